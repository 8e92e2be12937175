#pragma once
// Admission warnings (decision M6): short (<= 120 characters), specific, and saying what the
// webhook did about it. User-supplied text is clipped and stripped of control characters.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/mutation/identity.hpp"
#include "pod_identity_webhook/mutation/pod_facts.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::mutation {

// Near-miss annotation keys on the pod and its ServiceAccount, an invalid role ARN and a clamped
// ServiceAccount token-expiration.
void append_annotation_warnings(const PodFacts& pod, const Identity& identity,
                                const MutationSettings& settings,
                                std::vector<std::string>& warnings);

std::string volume_clash_warning(std::string_view volume_name);
std::string invalid_pod_expiration_warning(std::string_view value, std::int64_t used);
std::string clamped_pod_expiration_warning(std::int64_t value);
std::string skip_containers_warning(std::string_view value, std::string_view error);
std::string unknown_skipped_container_warning(std::string_view name);

// Clips `text` to at most `max_length` bytes (on a UTF-8 boundary, with "..."), replacing control
// characters by '?'.
std::string clip(std::string_view text, std::size_t max_length);

}  // namespace piw::mutation
