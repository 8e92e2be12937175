#pragma once
// A ServiceAccount as the webhook keeps it: name, namespace, resourceVersion and what its
// annotations under the prefix say, parsed once when the ServiceAccount is learnt (upstream addSA).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pod_identity_webhook/mutation/identity.hpp"

namespace piw::identity {

// --compose-role-arn, resolved at start-up (decision C3): a role-arn annotation that does not
// contain "arn:" becomes arn:<partition>:iam::<account_id>:role/<value>.
struct RoleArnComposition {
    std::string partition = "aws";
    std::string account_id;
};

struct AnnotationSettings {
    std::string prefix = "eks.amazonaws.com";
    std::optional<RoleArnComposition> compose_role_arn;
};

struct ServiceAccountEntry {
    std::string namespace_;
    std::string name;
    std::string resource_version;

    std::string role_arn;                          // "" when absent or empty
    std::optional<std::string> audience;           // annotation present (may be "")
    std::optional<bool> regional_sts;              // annotation present and a valid Go bool
    std::optional<std::int64_t> token_expiration;  // valid annotation, already clamped to >= 600
    ServiceAccountFindings findings;               // for admission warnings (decision M6)
};

using Annotations = std::vector<std::pair<std::string, std::string>>;

// Parses annotations exactly like upstream (upstream-behaviour §2.1): values are not trimmed;
// sts-regional-endpoints uses Go ParseBool; token-expiration decimal ParseInt then clamped to
// >= 600; role-arn composed when configured and checked against the upstream regex (warning only).
// Keys not under the prefix are ignored except near misses, which are remembered.
ServiceAccountEntry make_service_account_entry(std::string namespace_, std::string name,
                                               std::string resource_version,
                                               const Annotations& annotations,
                                               const AnnotationSettings& settings);

// "<namespace>/<name>"
std::string service_account_key(std::string_view namespace_, std::string_view name);

}  // namespace piw::identity
