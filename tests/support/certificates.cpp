#include "support/certificates.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using KeyPtr = openssl::PkeyPtr;
using openssl::BioPtr;
using openssl::X509Ptr;

[[noreturn]] void fail(const std::string& what) {
    const unsigned long code = ERR_get_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : "no OpenSSL error";
    if (reason == nullptr) reason = "unknown";
    ERR_clear_error();
    throw std::runtime_error("test certificate: " + what + ": " + std::string(reason));
}

KeyPtr generate_key(KeyType type) {
    EVP_PKEY* key = type == KeyType::ec_p256
                        ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
    if (key == nullptr) fail("generating a key");
    return KeyPtr(key);
}

void set_random_serial(X509* certificate) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) fail("random serial");
    bytes[0] &= 0x7F;  // positive
    BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
    if (number == nullptr ||
        BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) == nullptr) {
        BN_free(number);
        fail("serial number");
    }
    BN_free(number);
}

void set_common_name(X509_NAME* name, const std::string& common_name) {
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1) {
        fail("subject name");
    }
}

void add_extension(X509* certificate, X509V3_CTX* context, int nid, const std::string& value) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str());
    if (extension == nullptr) fail("extension " + value);
    const int added = X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
    if (added != 1) fail("adding extension " + value);
}

std::string subject_alt_names(const CertificateRequest& request) {
    std::string names;
    for (const auto& dns : request.dns_names) names += (names.empty() ? "" : ",") + ("DNS:" + dns);
    for (const auto& ip : request.ip_addresses) names += (names.empty() ? "" : ",") + ("IP:" + ip);
    return names;
}

// issuer == nullptr: self-signed.
X509Ptr build_certificate(const std::string& common_name, EVP_PKEY* subject_key,
                          X509* issuer_certificate, EVP_PKEY* issuer_key, bool is_ca,
                          const CertificateRequest* serving, std::chrono::seconds valid_for,
                          std::chrono::seconds backdate) {
    X509Ptr certificate(X509_new());
    if (!certificate) fail("X509_new");
    X509_set_version(certificate.get(), 2);
    set_random_serial(certificate.get());
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -static_cast<long>(backdate.count()));
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), static_cast<long>(valid_for.count()));
    if (X509_set_pubkey(certificate.get(), subject_key) != 1) fail("public key");
    set_common_name(X509_get_subject_name(certificate.get()), common_name);
    X509* issuer = issuer_certificate != nullptr ? issuer_certificate : certificate.get();
    if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer)) != 1) {
        fail("issuer name");
    }

    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate.get(), nullptr, nullptr, 0);
    add_extension(certificate.get(), &context, NID_subject_key_identifier, "hash");
    if (issuer_certificate != nullptr) {
        add_extension(certificate.get(), &context, NID_authority_key_identifier, "keyid:always");
    }
    if (is_ca) {
        add_extension(certificate.get(), &context, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(certificate.get(), &context, NID_key_usage,
                      "critical,keyCertSign,cRLSign,digitalSignature");
    } else {
        add_extension(certificate.get(), &context, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(certificate.get(), &context, NID_key_usage,
                      "critical,digitalSignature,keyEncipherment");
        add_extension(certificate.get(), &context, NID_ext_key_usage, "serverAuth");
        if (serving != nullptr) {
            const std::string names = subject_alt_names(*serving);
            if (!names.empty()) {
                add_extension(certificate.get(), &context, NID_subject_alt_name, names);
            }
        }
    }
    if (X509_sign(certificate.get(), issuer_key, EVP_sha256()) == 0) fail("signing");
    return certificate;
}

std::string to_pem(X509* certificate) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) fail("certificate PEM");
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

std::string to_pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("key PEM");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

struct TestCertificateAuthority::State {
    KeyPtr key;
    X509Ptr certificate;
};

void PemPair::write(const std::filesystem::path& certificate_file,
                    const std::filesystem::path& key_file) const {
    write_file(certificate_file, certificate);
    write_file(key_file, key);
}

TestCertificateAuthority::TestCertificateAuthority(std::string common_name, KeyType key_type)
    : state_(std::make_unique<State>()) {
    state_->key = generate_key(key_type);
    state_->certificate =
        build_certificate(common_name, state_->key.get(), nullptr, state_->key.get(), true, nullptr,
                          std::chrono::hours(24 * 7), std::chrono::hours(1));
    certificate_pem_ = to_pem(state_->certificate.get());
}

TestCertificateAuthority::~TestCertificateAuthority() = default;

void TestCertificateAuthority::write_certificate(const std::filesystem::path& file) const {
    write_file(file, certificate_pem_);
}

PemPair TestCertificateAuthority::issue(const CertificateRequest& request) const {
    KeyPtr key = generate_key(request.key_type);
    X509Ptr certificate =
        build_certificate(request.common_name, key.get(), state_->certificate.get(),
                          state_->key.get(), false, &request, request.valid_for, request.backdate);
    return PemPair{to_pem(certificate.get()), to_pem(key.get())};
}

PemPair make_self_signed(const CertificateRequest& request) {
    KeyPtr key = generate_key(request.key_type);
    X509Ptr certificate = build_certificate(request.common_name, key.get(), nullptr, key.get(),
                                            false, &request, request.valid_for, request.backdate);
    return PemPair{to_pem(certificate.get()), to_pem(key.get())};
}

}  // namespace piw::testing
