#pragma once
// Owning pointers for the OpenSSL objects the rooms and tests hold, one definition for all:
// each frees with its own OpenSSL function.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace piw::openssl {

template <auto free_function>
struct Free {
    template <class T>
    void operator()(T* object) const {
        free_function(object);
    }
};

using BioPtr = std::unique_ptr<BIO, Free<&BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Free<&BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Free<&ECDSA_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Free<&EVP_MD_CTX_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Free<&OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Free<&OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free<&EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<&EVP_PKEY_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Free<&SSL_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Free<&X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Free<&X509_STORE_free>>;

}  // namespace piw::openssl
