#include "crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextDeleter>;

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

Result<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return Error{"base64url: impossible length"};
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const auto value = kBase64UrlAlphabet.find(c);
        if (value == std::string_view::npos) return Error{"base64url: invalid character"};
        buffer = (buffer << 6U) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
        }
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
    std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey;
};

RsaSigningKey::RsaSigningKey(std::string kid)
    : kid_(std::move(kid)), key_(std::make_unique<Key>()) {
    key_->pkey.reset(EVP_RSA_gen(2048));
    if (!key_->pkey) throw std::runtime_error("EVP_RSA_gen(2048) failed");
}

RsaSigningKey::~RsaSigningKey() = default;

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

bool RsaSigningKey::verify(std::string_view data, std::string_view signature) const {
    const MdContext context = new_md_context();
    if (EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) !=
        1) {
        throw std::runtime_error("EVP_DigestVerifyInit failed");
    }
    return EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(), bytes_of(data),
                            data.size()) == 1;
}

std::string RsaSigningKey::sign_jwt(const Json& claims) const {
    const Json header{{"alg", "RS256"}, {"kid", kid_}};
    const std::string signing_input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    return signing_input + "." + base64url_encode(sign(signing_input));
}

Result<Json> RsaSigningKey::verify_jwt(std::string_view token) const {
    const auto first_dot = token.find('.');
    const auto last_dot = token.rfind('.');
    if (first_dot == std::string_view::npos || first_dot == last_dot) {
        return Error{"not a compact JWS (header.claims.signature)"};
    }
    const std::string_view signing_input = token.substr(0, last_dot);
    auto header_text = base64url_decode(token.substr(0, first_dot));
    auto claims_text = base64url_decode(token.substr(first_dot + 1, last_dot - first_dot - 1));
    auto signature = base64url_decode(token.substr(last_dot + 1));
    if (!header_text.ok() || !claims_text.ok() || !signature.ok()) {
        return Error{"a JWT part is not base64url"};
    }
    const Json header = Json::parse(*header_text, nullptr, false);
    if (!header.is_object() || header.value("alg", "") != "RS256") {
        return Error{"the JWT header is not {\"alg\":\"RS256\",...}"};
    }
    if (header.value("kid", "") != kid_) return Error{"unknown signing key (kid)"};
    if (!verify(signing_input, *signature)) return Error{"the JWT signature does not verify"};
    Json claims = Json::parse(*claims_text, nullptr, false);
    if (!claims.is_object()) return Error{"the JWT claims are not a JSON object"};
    return claims;
}

}  // namespace piw::e2e
