#pragma once
// The two documents kube-apiserver serves for service-account issuer discovery, rendered
// byte-for-byte as it renders them (spec/oidc.md §1.1, §1.2), and the checks on the issuer URL
// that STS and IAM impose (§1.5, §2.1).

#include "pod_identity_webhook/oidc/finding.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

// IAM's limit on an OIDC provider URL.
inline constexpr std::size_t kMaxIssuerLength = 255;

// Where the documents live under the issuer (also the S3 object keys under the prefix).
inline constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
inline constexpr std::string_view kJwksPath = "/openid/v1/jwks";

// issuer + "/openid/v1/jwks": what `--service-account-jwks-uri` is set to when the JWKS is
// published next to the discovery document (kube-apiserver's own default points at its external
// address instead, which STS cannot reach).
std::string default_jwks_uri(std::string_view issuer);

// The sorted, de-duplicated `alg` values of the keys (kube-apiserver's getAlgs).
std::vector<std::string> signing_algorithms(const std::vector<PublicKey>& keys);

// /.well-known/openid-configuration, compact, without a trailing newline:
// {"issuer":…,"jwks_uri":…,"response_types_supported":["id_token"],
//  "subject_types_supported":["public"],"id_token_signing_alg_values_supported":[…]}
std::string render_openid_configuration(std::string_view issuer, std::string_view jwks_uri,
                                        const std::vector<PublicKey>& keys);

// /openid/v1/jwks: {"keys":[JWK,…]}, every key in order (duplicates included, as kube does).
std::string render_jwks(const std::vector<PublicKey>& keys);

// The issuer as STS and IAM need it: https, a host, no port, user info, query or fragment, no
// trailing slash, at most 255 characters, printable ASCII. Every problem, not only the first.
std::vector<Finding> validate_issuer(std::string_view issuer);

// jwks_uri must be https (kube-apiserver refuses otherwise); under the issuer on the same host is
// expected; another host works but needs its certificate trusted too (a warning).
std::vector<Finding> validate_jwks_uri(std::string_view issuer, std::string_view jwks_uri);

}  // namespace piw::oidc
