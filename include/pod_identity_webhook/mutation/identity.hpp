#pragma once
// What the webhook knows about a pod's ServiceAccount once every source has been consulted.
// Produced by the identity room, consumed (read-only) by the pure mutation core.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace piw {

enum class CredentialMode {
    none,                   // no role for this ServiceAccount: the pod is left alone
    web_identity,           // IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
    container_credentials,  // EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI + token file
};

std::string_view to_string(CredentialMode mode);

// Facts about the ServiceAccount's annotations that deserve an admission warning (decision M6).
struct ServiceAccountFindings {
    std::vector<std::string> near_miss_keys;         // e.g. "eks.amazon.com/role-arn"
    bool role_arn_invalid = false;                   // fails upstream's ARN regex (still used)
    std::optional<std::int64_t> clamped_expiration;  // the raw annotation value when it was < 600
};

struct Identity {
    CredentialMode mode = CredentialMode::none;
    // True when some source knows the ServiceAccount (with or without a role). False means the
    // pod is not mutated because the ServiceAccount could not be found: counted as "missing".
    bool service_account_found = false;
    std::string role_arn;  // web_identity only
    std::string audience;  // web_identity only; container_credentials takes the flag value
    bool regional_sts = false;
    std::int64_t token_expiration = 86400;  // before the pod's own annotation is applied
    // Where the role came from, for the decision log: "ServiceAccount", "ConfigMap",
    // "container-credentials config", or empty.
    std::string source;
    ServiceAccountFindings findings;
};

}  // namespace piw
