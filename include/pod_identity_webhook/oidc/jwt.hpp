#pragma once
// Service-account tokens checked the way STS checks them (spec/oidc.md §2.1, §3.3, §6.2
// verify-token): compact JWS, an allow-list of algorithms, the key by kid, the signature, then the
// claims. Every problem is reported, not only the first. Nothing here prints a token or a
// signature: findings name claims and header members only.

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/oidc/finding.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

// STS's WebIdentityToken maximum.
inline constexpr std::size_t kMaxTokenLength = 20000;
// "IAM provides a five-minute window beyond the expiration time … to account for clock skew".
inline constexpr std::int64_t kDefaultSkewSeconds = 300;
// Nesting of the header and claims. Real tokens nest three deep ("kubernetes.io" → "pod" →
// "name"); copying or printing a JSON value recurses once per level, so deeper is refused.
inline constexpr std::size_t kMaxJsonDepth = 32;

struct Jws {
    nlohmann::json header;  // a JSON object
    nlohmann::json claims;  // a JSON object
    std::string alg;
    std::string kid;  // empty when the header has none
    bool has_kid = false;
    std::string signing_input;  // "BASE64URL(header).BASE64URL(payload)" as in the token
    std::string signature;      // raw bytes: never print
};

// Size cap, exactly three parts, strict base64url, header and payload JSON objects nested at most
// kMaxJsonDepth deep, `alg` a string.
Result<Jws> parse_compact_jws(std::string_view token);

// The signature of `jws` under `key`: RS256/384/512 (RSA PKCS#1 v1.5) with an RSA key;
// ES256/384/512 (raw r||s of 64/96/132 bytes) with a P-256/P-384/P-521 key. Any other pairing,
// `none` and HS* are refused.
Status verify_signature(const Jws& jws, const PublicKey& key);

struct TokenExpectations {
    std::string issuer;  // exact: STS compares byte for byte
    std::string audience = "sts.amazonaws.com";
    std::int64_t now = 0;  // seconds since the epoch (the injected clock)
    std::int64_t skew = kDefaultSkewSeconds;
};

struct TokenReport {
    std::vector<Finding> findings;
    bool parsed = false;
    Jws jws;                   // valid when `parsed`
    std::string verified_kid;  // the key the signature verified with, if any
};

// The string at `path` in a claims object ({"sub"}, {"kubernetes.io", "namespace"}), or "" when
// a step is missing or not an object, or the value is not a string.
std::string claim_string(const nlohmann::json& claims, std::initializer_list<const char*> path);

// Every check of §6.2 `verify-token` against `keys` (the published JWKS, or keys from PEM).
TokenReport verify_token(std::string_view token, const std::vector<PublicKey>& keys,
                         const TokenExpectations& expected);

}  // namespace piw::oidc
