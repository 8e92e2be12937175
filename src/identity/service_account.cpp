#include "pod_identity_webhook/identity/service_account.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pod_identity_webhook/common/go_compat.hpp"
#include "pod_identity_webhook/mutation/annotations.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::identity {
namespace {

// The raw values of the annotations the webhook reads; absent ones stay empty optionals.
struct RawAnnotations {
    std::optional<std::string> role_arn;
    std::optional<std::string> audience;
    std::optional<std::string> regional_sts;
    std::optional<std::string> token_expiration;
    std::vector<std::string> near_miss_keys;
};

RawAnnotations collect(const Annotations& annotations, std::string_view prefix) {
    const std::string role_arn_key = annotations::key(prefix, annotations::kRoleArn);
    const std::string audience_key = annotations::key(prefix, annotations::kAudience);
    const std::string regional_sts_key =
        annotations::key(prefix, annotations::kStsRegionalEndpoints);
    const std::string expiration_key = annotations::key(prefix, annotations::kTokenExpiration);
    RawAnnotations raw;
    for (const auto& [key, value] : annotations) {
        if (key == role_arn_key) {
            raw.role_arn = value;
        } else if (key == audience_key) {
            raw.audience = value;
        } else if (key == regional_sts_key) {
            raw.regional_sts = value;
        } else if (key == expiration_key) {
            raw.token_expiration = value;
        } else if (annotations::near_miss_of(key, prefix).has_value() &&
                   std::find(raw.near_miss_keys.begin(), raw.near_miss_keys.end(), key) ==
                       raw.near_miss_keys.end()) {
            raw.near_miss_keys.push_back(key);
        }
    }
    return raw;
}

std::string compose_role_arn(const std::string& value, const AnnotationSettings& settings) {
    if (!settings.compose_role_arn || value.find("arn:") != std::string::npos) {
        return value;
    }
    const RoleArnComposition& composition = *settings.compose_role_arn;
    return "arn:" + composition.partition + ":iam::" + composition.account_id + ":role/" + value;
}

}  // namespace

ServiceAccountEntry make_service_account_entry(std::string namespace_, std::string name,
                                               std::string resource_version,
                                               const Annotations& annotations,
                                               const AnnotationSettings& settings) {
    ServiceAccountEntry entry;
    entry.namespace_ = std::move(namespace_);
    entry.name = std::move(name);
    entry.resource_version = std::move(resource_version);

    RawAnnotations raw = collect(annotations, settings.prefix);
    entry.findings.near_miss_keys = std::move(raw.near_miss_keys);

    // Present but empty means "no role" (upstream never composes or validates it).
    if (raw.role_arn && !raw.role_arn->empty()) {
        entry.role_arn = compose_role_arn(*raw.role_arn, settings);
        entry.findings.role_arn_invalid = !annotations::is_valid_role_arn(entry.role_arn);
    }
    entry.audience = std::move(raw.audience);
    if (raw.regional_sts) {
        entry.regional_sts = go::parse_bool(*raw.regional_sts);  // invalid: the flag applies
    }
    if (raw.token_expiration) {
        if (const auto seconds = go::parse_int_decimal(*raw.token_expiration)) {
            if (*seconds < mutation::kMinTokenExpiration) {
                entry.findings.clamped_expiration = *seconds;
                entry.token_expiration = mutation::kMinTokenExpiration;
            } else {
                entry.token_expiration = *seconds;
            }
        }
    }
    return entry;
}

std::string service_account_key(std::string_view namespace_, std::string_view name) {
    std::string key;
    key.reserve(namespace_.size() + 1 + name.size());
    key.append(namespace_);
    key += '/';
    key.append(name);
    return key;
}

}  // namespace piw::identity
