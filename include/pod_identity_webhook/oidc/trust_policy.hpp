#pragma once
// IRSA role trust policies (spec/oidc.md §2.4, §2.5): rendered in the EKS guide's shape with every
// `:sub` pattern under one operator, and an offline evaluator of IAM's StringEquals/StringLike so
// `--evaluate` can answer "does this policy admit system:serviceaccount:NS:NAME?".

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/oidc/finding.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

// IAM's default trust-policy quota, counted without whitespace (unverified, §2.6).
inline constexpr std::size_t kTrustPolicyQuota = 2048;

struct TrustPolicyRequest {
    std::string issuer;
    std::string account;
    std::string partition = "aws";
    std::string audience = "sts.amazonaws.com";
    std::vector<std::string> service_accounts;  // "NAMESPACE:NAME" ('*' allowed as a whole part)
    std::vector<std::string> namespaces;        // every ServiceAccount of NAMESPACE
    bool include_aud = true;
    bool allow_partial_wildcards = false;
    bool allow_all = false;
};

struct TrustPolicy {
    std::string json;  // empty when a finding is an error
    std::vector<Finding> findings;
};

// IAM's limit on one ClientIDList entry.
inline constexpr std::size_t kMaxClientIdLength = 255;

// The audience (the provider's client ID, the tokens' aud): 1–255 printable ASCII characters.
std::vector<Finding> validate_audience(std::string_view audience);

// The issuer without "https://": the provider ARN's suffix and the condition-key prefix.
std::string provider_host_path(std::string_view issuer);
// arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST/PATH
std::string provider_arn(std::string_view partition, std::string_view account,
                         std::string_view issuer);

TrustPolicy render_trust_policy(const TrustPolicyRequest& request);

// IAM StringLike: case-sensitive, '*' any run of characters (':' included), '?' one character.
bool string_like(std::string_view pattern, std::string_view value);

// Whether the policy admits a token with this `sub` and `aud` for sts:AssumeRoleWithWebIdentity:
// an Allow statement's conditions hold and no Deny statement's do (conditions on other keys are
// false: the key is missing from the request). Operators other than StringEquals/StringLike are
// an error.
Result<bool> evaluate_trust_policy(std::string_view policy_json, std::string_view sub,
                                   std::string_view aud);

// What makes a policy refuse every token of `issuer` whatever its sub: no statement trusts the
// issuer's provider ARN, condition keys for another provider (often a trailing slash), the :sub
// key under two operators (AND'ed).
std::vector<Finding> check_trust_policy_for_issuer(std::string_view policy_json,
                                                   std::string_view issuer);

}  // namespace piw::oidc
