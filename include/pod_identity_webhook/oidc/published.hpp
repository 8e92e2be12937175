#pragma once
// Published discovery documents read back and checked the way STS will use them (spec/oidc.md
// §6.2 `oidc discovery --check`): untrusted bytes, size-capped, parsed without exceptions.

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/oidc/finding.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

inline constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
// A user report says STS reads at most 100 keys (spec/oidc.md §2.1, unverified by AWS docs).
inline constexpr std::size_t kMaxJwksKeys = 100;

struct DiscoveryDocument {
    std::string issuer;
    std::string jwks_uri;
    std::vector<std::string> algs;  // id_token_signing_alg_values_supported
};

// A JSON object with string `issuer` and `jwks_uri`; the alg list (strings) may be absent.
Result<DiscoveryDocument> parse_openid_configuration(std::string_view text);

struct PublishedJwk {
    std::string kid, kty, alg, use, crv;       // as published ("" if absent or not a string)
    std::vector<std::string> private_members;  // d, p, q, dp, dq, qi, k present
    std::optional<PublicKey> key;              // rebuilt from n/e or crv/x/y, kid recomputed
    std::string key_error;                     // why `key` is empty
};

// {"keys":[…]}: every member an object (a non-object entry is an error).
Result<std::vector<PublishedJwk>> parse_jwks(std::string_view text);

// The rules on the discovery document alone: the issuer's shape, the issuer the caller expects,
// jwks_uri (for when the JWKS could not be had).
std::vector<Finding> check_discovery_document(const DiscoveryDocument& discovery,
                                              std::string_view expected_issuer);

// Every rule of `--check` against the issuer the caller expects (empty: not compared).
std::vector<Finding> check_documents(const DiscoveryDocument& discovery,
                                     const std::vector<PublishedJwk>& jwks,
                                     std::string_view expected_issuer);

// `--compare-apiserver`: the kids the API server lists that the published JWKS lacks (a stale
// copy after key rotation).
std::vector<Finding> compare_with_apiserver(const std::vector<PublishedJwk>& published,
                                            const std::vector<PublishedJwk>& apiserver);

// The rebuilt keys under their *published* kids, for verify_token's kid lookup.
std::vector<PublicKey> verification_keys(const std::vector<PublishedJwk>& jwks);

}  // namespace piw::oidc
