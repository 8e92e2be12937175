#include "pod_identity_webhook/oidc/keys.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include "oidc/go_json.hpp"
#include "pod_identity_webhook/oidc/base64url.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

namespace piw::oidc {
namespace {

using openssl::BioPtr;
using openssl::ParamPtr;
using openssl::PkeyCtxPtr;
using openssl::PkeyPtr;
using openssl::X509Ptr;
using BnPtr = openssl::BignumPtr;
using ParamBldPtr = openssl::ParamBuildPtr;

// OpenSSL's error queue is per thread: nothing of a failed parse may leak into the next caller's
// error checks.
struct ErrorQueueGuard {
    ErrorQueueGuard() = default;
    ErrorQueueGuard(const ErrorQueueGuard&) = delete;
    ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
    ~ErrorQueueGuard() { ERR_clear_error(); }
};

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// ---------------------------------------------------------------------------------------------
// PEM blocks

struct PemBlock {
    std::string label;
    std::string headers;  // RFC 1421 headers: only legacy encrypted keys carry them
    std::string der;
};

enum class PemRead { block, end, malformed };

PemRead read_pem_block(BIO* bio, PemBlock& block) {
    char* name = nullptr;
    char* headers = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio, &name, &headers, &data, &length) != 1) {
        const unsigned long error = ERR_peek_last_error();
        ERR_clear_error();
        // "No start line" is how PEM_read_bio says there are no more blocks.
        return ERR_GET_REASON(error) == PEM_R_NO_START_LINE ? PemRead::end : PemRead::malformed;
    }
    block.label = name;
    block.headers = headers;
    block.der.assign(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    OPENSSL_free(name);
    OPENSSL_free(headers);
    OPENSSL_free(data);
    return PemRead::block;
}

enum class BlockKind {
    public_key,       // PUBLIC KEY: X.509 SubjectPublicKeyInfo
    rsa_public_key,   // RSA PUBLIC KEY: PKCS#1
    rsa_private_key,  // RSA PRIVATE KEY: PKCS#1
    ec_private_key,   // EC PRIVATE KEY: SEC 1
    private_key,      // PRIVATE KEY: PKCS#8
    certificate,      // CERTIFICATE: its subject public key
    encrypted,        // ENCRYPTED PRIVATE KEY
    other,            // anything else: skipped, as kube-apiserver does
};

BlockKind classify(std::string_view label) {
    if (label == "PUBLIC KEY") return BlockKind::public_key;
    if (label == "RSA PUBLIC KEY") return BlockKind::rsa_public_key;
    if (label == "RSA PRIVATE KEY") return BlockKind::rsa_private_key;
    if (label == "EC PRIVATE KEY") return BlockKind::ec_private_key;
    if (label == "PRIVATE KEY") return BlockKind::private_key;
    if (label == "CERTIFICATE") return BlockKind::certificate;
    if (label == "ENCRYPTED PRIVATE KEY") return BlockKind::encrypted;
    return BlockKind::other;
}

bool is_private(BlockKind kind) {
    return kind == BlockKind::rsa_private_key || kind == BlockKind::ec_private_key ||
           kind == BlockKind::private_key;
}

EVP_PKEY* key_of_certificate(const unsigned char** cursor, long length) {
    const X509Ptr cert(d2i_X509(nullptr, cursor, length));
    return cert ? X509_get_pubkey(cert.get()) : nullptr;  // a new reference
}

// The DER of one block as a key; trailing bytes are refused like Go's parsers refuse them.
PkeyPtr decode_block(BlockKind kind, std::string_view der) {
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) return nullptr;
    const unsigned char* cursor = bytes_of(der);
    const auto length = static_cast<long>(der.size());
    EVP_PKEY* key = nullptr;
    switch (kind) {
        case BlockKind::public_key:
            key = d2i_PUBKEY(nullptr, &cursor, length);
            break;
        case BlockKind::rsa_public_key:
            key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, length);
            break;
        case BlockKind::rsa_private_key:
            key = d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &cursor, length);
            break;
        case BlockKind::ec_private_key:
            key = d2i_PrivateKey(EVP_PKEY_EC, nullptr, &cursor, length);
            break;
        case BlockKind::private_key:
            key = d2i_AutoPrivateKey(nullptr, &cursor, length);
            break;
        case BlockKind::certificate:
            key = key_of_certificate(&cursor, length);
            break;
        case BlockKind::encrypted:
        case BlockKind::other:
            break;
    }
    PkeyPtr owned(key);
    if (owned && cursor != bytes_of(der) + der.size()) return nullptr;
    return owned;
}

// ---------------------------------------------------------------------------------------------
// Public halves

std::optional<std::string> spki_der_of(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int length = i2d_PUBKEY(key, &der);
    if (length <= 0 || der == nullptr) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

PkeyPtr decode_spki(std::string_view der) {
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) return nullptr;
    const unsigned char* cursor = bytes_of(der);
    PkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
    if (key && cursor != bytes_of(der) + der.size()) return nullptr;
    return key;
}

struct Curve {
    std::string_view openssl_name;
    std::string_view jwk_name;
    std::string_view alg;
    int coordinate_bytes;
};

// kube-apiserver signs and publishes only these (jwt.go, openidmetadata.go algorithmFromPublicKey).
constexpr std::array<Curve, 3> kCurves = {{
    {"prime256v1", "P-256", "ES256", 32},
    {"secp384r1", "P-384", "ES384", 48},
    {"secp521r1", "P-521", "ES512", 66},
}};

std::optional<Curve> curve_of(EVP_PKEY* key) {
    std::array<char, 80> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                       &length) != 1) {
        return std::nullopt;  // e.g. explicit curve parameters, which Go refuses too
    }
    const std::string_view group(name.data(), length);
    for (const Curve& curve : kCurves) {
        if (curve.openssl_name == group) return curve;
    }
    return std::nullopt;
}

std::optional<std::string> bignum_param(EVP_PKEY* key, const char* param, int pad_to) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return std::nullopt;
    const BnPtr bn(raw);
    const int minimal = BN_num_bytes(bn.get());
    const int size = pad_to > 0 ? pad_to : minimal;
    if (minimal > size) return std::nullopt;
    std::string out(static_cast<std::size_t>(size), '\0');
    auto* target = reinterpret_cast<unsigned char*>(out.data());
    const int written =
        pad_to > 0 ? BN_bn2binpad(bn.get(), target, size) : BN_bn2bin(bn.get(), target);
    if (written != size) return std::nullopt;
    return out;
}

Status describe_rsa(EVP_PKEY* key, PublicKey& out) {
    const auto n = bignum_param(key, OSSL_PKEY_PARAM_RSA_N, 0);
    const auto e = bignum_param(key, OSSL_PKEY_PARAM_RSA_E, 0);
    if (!n || !e) return Error{"cannot read the RSA modulus and exponent"};
    out.type = KeyType::rsa;
    out.alg = "RS256";  // "Today we only support RS256" (kube-apiserver jwt.go)
    out.n = base64url_encode(*n);
    out.e = base64url_encode(*e);
    return Status::success();
}

Status describe_ec(EVP_PKEY* key, PublicKey& out) {
    const auto curve = curve_of(key);
    if (!curve) {
        return Error{
            "unsupported elliptic curve: kube-apiserver signs only with P-256, P-384 and P-521"};
    }
    const auto x = bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_X, curve->coordinate_bytes);
    const auto y = bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, curve->coordinate_bytes);
    if (!x || !y) return Error{"cannot read the EC public point"};
    out.type = KeyType::ec;
    out.crv = curve->jwk_name;
    out.alg = curve->alg;
    out.x = base64url_encode(*x);
    out.y = base64url_encode(*y);
    return Status::success();
}

std::string type_name(EVP_PKEY* key) {
    const char* name = EVP_PKEY_get0_type_name(key);
    return name != nullptr ? name : "unknown";
}

// The public key kube-apiserver would publish, from DER SPKI already normalised (uncompressed
// point), owning nothing private.
Result<PublicKey> describe_public_key(PkeyPtr key, std::string spki_der) {
    PublicKey out;
    Status described;
    switch (EVP_PKEY_get_base_id(key.get())) {
        case EVP_PKEY_RSA:
            described = describe_rsa(key.get(), out);
            break;
        case EVP_PKEY_EC:
            described = describe_ec(key.get(), out);
            break;
        default:
            return Error{"unsupported key type " + type_name(key.get()) +
                         ": kube-apiserver publishes only RSA and ECDSA keys"};
    }
    if (!described) return Error{described.error()};
    out.bits = EVP_PKEY_get_bits(key.get());
    out.kid = key_id_from_spki_der(spki_der);
    out.spki_der = std::move(spki_der);
    out.pkey = std::shared_ptr<evp_pkey_st>(key.release(), EVP_PKEY_free);
    return out;
}

// Go's x509.MarshalPKIXPublicKey always writes an EC point uncompressed, while OpenSSL re-encodes
// a key in the form it was read in; the kid must be computed from Go's bytes.
std::optional<std::string> normalised_spki_der(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        std::string form = "uncompressed";
        if (EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           form.data()) != 1) {
            return std::nullopt;
        }
    }
    return spki_der_of(key);
}

// Private keys are reduced to their public halves by a round trip through SPKI DER, so nothing
// private is kept past this point.
Result<PublicKey> reduce_to_public(EVP_PKEY* key) {
    const auto first = spki_der_of(key);
    if (!first) return Error{"cannot encode the public key"};
    PkeyPtr public_only = decode_spki(*first);
    if (!public_only) return Error{"cannot decode the public key"};
    auto der = normalised_spki_der(public_only.get());
    if (!der) return Error{"cannot encode the public key"};
    return describe_public_key(std::move(public_only), std::move(*der));
}

// A public key from OpenSSL parameters (EVP_PKEY_fromdata checks that an EC point is on the curve).
PkeyPtr key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
    const ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
    return PkeyPtr(key);
}

Result<PublicKey> describe_rebuilt(PkeyPtr key) {
    if (!key) return Error{"the JWK members do not form a valid public key"};
    auto der = normalised_spki_der(key.get());
    if (!der) return Error{"cannot encode the public key"};
    return describe_public_key(std::move(key), std::move(*der));
}

BnPtr bignum_of(std::string_view bytes) {
    return BnPtr(BN_bin2bn(bytes_of(bytes), static_cast<int>(bytes.size()), nullptr));
}

std::string block_name(std::size_t index, std::string_view label) {
    return "PEM block " + std::to_string(index) + " (\"" + std::string(label) + "\")";
}

Result<PublicKey> key_from_block(std::size_t index, const PemBlock& block, BlockKind kind) {
    if (kind == BlockKind::encrypted || !block.headers.empty()) {
        return Error{block_name(index, block.label) +
                     ": encrypted private keys are not supported; extract the public key with "
                     "`openssl pkey -in FILE -pubout`"};
    }
    const PkeyPtr key = decode_block(kind, block.der);
    if (!key) return Error{block_name(index, block.label) + ": not a valid key of this kind"};
    auto reduced = reduce_to_public(key.get());
    if (!reduced) return Error{block_name(index, block.label) + ": " + reduced.error()};
    reduced->from_private_key = is_private(kind);
    return reduced;
}

}  // namespace

Result<LoadedKeys> load_pem_keys(std::string_view pem) {
    if (pem.size() > kMaxKeyFileBytes) {
        return Error{"key data is " + std::to_string(pem.size()) + " bytes, more than the " +
                     std::to_string(kMaxKeyFileBytes) + " a key file may have"};
    }
    if (pem.empty()) return Error{"the data holds no PEM-encoded RSA or EC key"};
    const ErrorQueueGuard guard;
    const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Error{"out of memory"};
    LoadedKeys loaded;
    for (std::size_t index = 1;; ++index) {
        PemBlock block;
        const PemRead read = read_pem_block(bio.get(), block);
        if (read == PemRead::end) break;
        if (read == PemRead::malformed) {
            return Error{"malformed PEM data at block " + std::to_string(index)};
        }
        const BlockKind kind = classify(block.label);
        if (kind == BlockKind::other) {
            loaded.skipped_blocks.push_back(block.label);
            continue;
        }
        auto key = key_from_block(index, block, kind);
        if (!key) return Error{key.error()};
        loaded.keys.push_back(std::move(key).value());
    }
    if (loaded.keys.empty()) return Error{"the data holds no PEM-encoded RSA or EC key"};
    return loaded;
}

Result<PublicKey> public_key_from_spki_der(std::string_view der) {
    const ErrorQueueGuard guard;
    PkeyPtr key = decode_spki(der);
    if (!key) return Error{"not a DER SubjectPublicKeyInfo"};
    auto normalised = normalised_spki_der(key.get());
    if (!normalised) return Error{"cannot encode the public key"};
    return describe_public_key(std::move(key), std::move(*normalised));
}

Result<PublicKey> public_key_from_rsa_members(std::string_view n, std::string_view e) {
    const auto n_bytes = base64url_decode(n);
    const auto e_bytes = base64url_decode(e);
    if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty()) {
        return Error{"n and e must be non-empty base64url"};
    }
    if (n_bytes->size() > kMaxKeyFileBytes || e_bytes->size() > 8) {
        return Error{"n or e is implausibly large"};
    }
    const ErrorQueueGuard guard;
    const BnPtr n_bn = bignum_of(*n_bytes);
    const BnPtr e_bn = bignum_of(*e_bytes);
    const ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!n_bn || !e_bn || !bld ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
        return Error{"out of memory"};
    }
    return describe_rebuilt(key_from_params("RSA", bld.get()));
}

Result<PublicKey> public_key_from_ec_members(std::string_view crv, std::string_view x,
                                             std::string_view y) {
    const auto curve = std::find_if(kCurves.begin(), kCurves.end(),
                                    [&](const Curve& c) { return c.jwk_name == crv; });
    if (curve == kCurves.end()) return Error{"unsupported crv \"" + std::string(crv) + "\""};
    const auto x_bytes = base64url_decode(x);
    const auto y_bytes = base64url_decode(y);
    const auto size = static_cast<std::size_t>(curve->coordinate_bytes);
    if (!x_bytes || !y_bytes || x_bytes->size() != size || y_bytes->size() != size) {
        return Error{"x and y must be base64url of exactly " + std::to_string(size) + " bytes"};
    }
    const ErrorQueueGuard guard;
    std::string point = "\x04" + *x_bytes + *y_bytes;  // SEC 1 uncompressed
    std::string group(curve->openssl_name);
    const ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return Error{"out of memory"};
    }
    return describe_rebuilt(key_from_params("EC", bld.get()));
}

std::string key_id_from_spki_der(std::string_view spki_der) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(spki_der.data(), spki_der.size(), digest.data(), &length, EVP_sha256(),
                   nullptr) != 1) {
        ERR_clear_error();
        return {};
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

void append_jwk(std::string& out, const PublicKey& key) {
    using detail::append_go_json_string;
    out.append(R"({"use":"sig","kty":)");
    append_go_json_string(out, key.type == KeyType::rsa ? "RSA" : "EC");
    out.append(R"(,"kid":)");
    append_go_json_string(out, key.kid);
    if (key.type == KeyType::ec) {
        out.append(R"(,"crv":)");
        append_go_json_string(out, key.crv);
    }
    out.append(R"(,"alg":)");
    append_go_json_string(out, key.alg);
    if (key.type == KeyType::rsa) {
        out.append(R"(,"n":)");
        append_go_json_string(out, key.n);
        out.append(R"(,"e":)");
        append_go_json_string(out, key.e);
    } else {
        out.append(R"(,"x":)");
        append_go_json_string(out, key.x);
        out.append(R"(,"y":)");
        append_go_json_string(out, key.y);
    }
    out.push_back('}');
}

std::string render_jwk(const PublicKey& key) {
    std::string out;
    append_jwk(out, key);
    return out;
}

}  // namespace piw::oidc
