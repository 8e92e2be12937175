#include "crypto.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace piw::e2e {

namespace {

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

unsigned byte_at(std::string_view bytes, std::size_t index) {
    return static_cast<unsigned char>(bytes[index]);
}

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

using MdContext = openssl::MdCtxPtr;

MdContext new_md_context() {
    MdContext context(EVP_MD_CTX_new());
    if (!context) throw std::runtime_error("EVP_MD_CTX_new failed");
    return context;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned group =
            (byte_at(bytes, i) << 16U) | (byte_at(bytes, i + 1) << 8U) | byte_at(bytes, i + 2);
        for (const unsigned shift : {18U, 12U, 6U, 0U}) {
            out.push_back(kBase64UrlAlphabet[(group >> shift) & 0x3FU]);
        }
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned group = byte_at(bytes, i) << 16U;
        if (rest == 2) group |= byte_at(bytes, i + 1) << 8U;
        out.push_back(kBase64UrlAlphabet[(group >> 18U) & 0x3FU]);
        out.push_back(kBase64UrlAlphabet[(group >> 12U) & 0x3FU]);
        if (rest == 2) out.push_back(kBase64UrlAlphabet[(group >> 6U) & 0x3FU]);
    }
    return out;
}

std::string sha256(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest(sha256) failed");
    }
    return {reinterpret_cast<const char*>(digest.data()), length};
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(),
             mac.data(), &length) == nullptr) {
        throw std::runtime_error("HMAC(sha256) failed");
    }
    return {reinterpret_cast<const char*>(mac.data()), length};
}

std::string hex(std::string_view bytes) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(kDigits[byte >> 4U]);
        out.push_back(kDigits[byte & 0x0FU]);
    }
    return out;
}

std::string random_string(std::size_t length, std::string_view alphabet) {
    std::vector<unsigned char> random(length);
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::string out;
    out.reserve(length);
    for (const unsigned char byte : random) out.push_back(alphabet[byte % alphabet.size()]);
    return out;
}

// ---- RS256 ------------------------------------------------------------------------------------

struct RsaSigningKey::Key {
    openssl::PkeyPtr pkey;
};

RsaSigningKey::RsaSigningKey() : key_(std::make_unique<Key>()) {
    key_->pkey.reset(EVP_RSA_gen(2048));
    if (!key_->pkey) throw std::runtime_error("EVP_RSA_gen(2048) failed");
}

RsaSigningKey::~RsaSigningKey() = default;

std::string RsaSigningKey::private_key_pem() const {
    const openssl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        throw std::runtime_error("PEM_write_bio_PrivateKey failed");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(length)};
}

std::string RsaSigningKey::sign(std::string_view data) const {
    const MdContext context = new_md_context();
    if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1) {
        throw std::runtime_error("EVP_DigestSignInit failed");
    }
    std::size_t length = 0;
    if (EVP_DigestSign(context.get(), nullptr, &length, bytes_of(data), data.size()) != 1) {
        throw std::runtime_error("EVP_DigestSign (size) failed");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       bytes_of(data), data.size()) != 1) {
        throw std::runtime_error("EVP_DigestSign failed");
    }
    signature.resize(length);
    return signature;
}

std::string RsaSigningKey::sign_jwt(const Json& claims, std::string_view kid) const {
    const Json header{{"alg", "RS256"}, {"kid", kid}};
    const std::string signing_input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    return signing_input + "." + base64url_encode(sign(signing_input));
}

}  // namespace piw::e2e
