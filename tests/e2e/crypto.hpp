#pragma once
// The little cryptography the end-to-end suite needs, on OpenSSL 3's EVP API: an RSA key made at
// test time that signs and verifies RS256 JSON Web Tokens (the kubelet's projected ServiceAccount
// tokens and STS's check of them), base64url, SHA-256 and HMAC-SHA256 (SigV4). Errors throw
// std::runtime_error (test code only).

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::e2e {

using Json = nlohmann::json;

// RFC 4648 §5, without padding (as JWTs use it).
std::string base64url_encode(std::string_view bytes);
// Accepts the unpadded form only; error on anything else.
Result<std::string> base64url_decode(std::string_view text);

// Raw 32-byte digests and their lower-case hex form.
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hex(std::string_view bytes);

// `length` characters from `alphabet`, from OpenSSL's CSPRNG.
std::string random_string(std::size_t length, std::string_view alphabet);

// An RSA-2048 key pair generated when constructed; `kid` names it in JWT headers, as a JWKS
// entry would.
class RsaSigningKey {
  public:
    explicit RsaSigningKey(std::string kid);
    ~RsaSigningKey();
    RsaSigningKey(const RsaSigningKey&) = delete;
    RsaSigningKey& operator=(const RsaSigningKey&) = delete;

    [[nodiscard]] const std::string& kid() const { return kid_; }

    // A compact JWS: base64url(header).base64url(claims).base64url(RS256 signature).
    [[nodiscard]] std::string sign_jwt(const Json& claims) const;
    // Checks the header (alg RS256, this kid) and the signature; returns the claims. Says what
    // is wrong otherwise. Claims are not checked here (the caller knows what it expects).
    [[nodiscard]] Result<Json> verify_jwt(std::string_view token) const;

  private:
    [[nodiscard]] std::string sign(std::string_view data) const;
    [[nodiscard]] bool verify(std::string_view data, std::string_view signature) const;

    std::string kid_;
    struct Key;
    std::unique_ptr<Key> key_;
};

}  // namespace piw::e2e
