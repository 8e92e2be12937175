#pragma once
// Annotation keys the webhook reads, and the "near miss" check of decision M6: a key that is
// almost one of ours is probably a typo that silently disables credentials.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace piw::annotations {

inline constexpr std::string_view kRoleArn = "role-arn";
inline constexpr std::string_view kAudience = "audience";
inline constexpr std::string_view kStsRegionalEndpoints = "sts-regional-endpoints";
inline constexpr std::string_view kTokenExpiration = "token-expiration";
inline constexpr std::string_view kSkipContainers = "skip-containers";
inline constexpr std::array<std::string_view, 5> kKnownSuffixes = {
    kRoleArn, kAudience, kStsRegionalEndpoints, kTokenExpiration, kSkipContainers};

// "<prefix>/<suffix>"
std::string key(std::string_view prefix, std::string_view suffix);

// If `key` is a near miss of a known annotation under `prefix`, the key that was probably meant.
// A near miss: the part after '/' equals a known suffix when compared case-insensitively with '_'
// and '-' ignored, and either the part before '/' is 1-3 edits away from `prefix`, or it equals
// `prefix` and the suffix differs only in case or separators. Exact keys are not near misses.
std::optional<std::string> near_miss_of(std::string_view key, std::string_view prefix);

// Upstream's check ^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]+$ (a warning only).
bool is_valid_role_arn(std::string_view arn);

// Levenshtein distance, capped: returns cap + 1 as soon as the distance must exceed cap.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap);

}  // namespace piw::annotations
