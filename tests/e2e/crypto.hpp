#pragma once
// The little cryptography the end-to-end suite needs, on OpenSSL 3's EVP API: an RSA key made at
// test time that signs RS256 JSON Web Tokens (the kubelet's projected ServiceAccount tokens),
// base64url, SHA-256 and HMAC-SHA256 (SigV4). Errors throw std::runtime_error (test code only).

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace piw::e2e {

using Json = nlohmann::json;

// RFC 4648 §5, without padding (as JWTs use it).
std::string base64url_encode(std::string_view bytes);

// Raw 32-byte digests and their lower-case hex form.
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hex(std::string_view bytes);

// `length` characters from `alphabet`, from OpenSSL's CSPRNG.
std::string random_string(std::size_t length, std::string_view alphabet);

// An RSA-2048 key pair generated when constructed: the cluster's service-account signing key.
// It signs RS256 JSON Web Tokens; verifying them is the relying party's business, done with
// Node's crypto against the published JWKS (token_verifier.hpp), never with this key.
class RsaSigningKey {
  public:
    RsaSigningKey();
    ~RsaSigningKey();
    RsaSigningKey(const RsaSigningKey&) = delete;
    RsaSigningKey& operator=(const RsaSigningKey&) = delete;

    // The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), as --service-account-signing-key-file
    // would hold it.
    [[nodiscard]] std::string private_key_pem() const;

    // A compact JWS: base64url(header).base64url(claims).base64url(RS256 signature), the header
    // naming `kid` (whatever the caller says: the kid a JWKS lists for this key, or not).
    [[nodiscard]] std::string sign_jwt(const Json& claims, std::string_view kid) const;

  private:
    [[nodiscard]] std::string sign(std::string_view data) const;

    struct Key;
    std::unique_ptr<Key> key_;
};

}  // namespace piw::e2e
