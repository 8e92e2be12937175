#include "mutation/warnings.hpp"

#include "pod_identity_webhook/mutation/annotations.hpp"
#include "pod_identity_webhook/mutation/build_patch.hpp"

namespace piw::mutation {
namespace {

constexpr std::size_t kMaxQuoted = 40;  // longest user value quoted in a warning

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// Cuts to at most `length` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t length) {
    if (text.size() <= length) return text;
    while (length > 0 && is_continuation_byte(text[length])) --length;
    return text.substr(0, length);
}

// The final guard: whatever was assembled, never exceed the limit.
std::string limited(std::string text) {
    if (text.size() <= kMaxWarningLength) return text;
    std::string out(utf8_prefix(text, kMaxWarningLength - 3));
    out.append("...");
    return out;
}

std::string near_miss_warning(std::string_view where, std::string_view key,
                              std::string_view intended) {
    return limited(std::string(where) + " annotation \"" + clip(key, kMaxQuoted) +
                   "\" is ignored; did you mean \"" + clip(intended, kMaxQuoted) + "\"?");
}

}  // namespace

std::string clip(std::string_view text, std::size_t max_length) {
    std::string out;
    std::string_view kept = text.size() <= max_length ? text : utf8_prefix(text, max_length - 3);
    out.reserve(kept.size() + 3);
    for (char c : kept) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
    }
    if (kept.size() < text.size()) out.append("...");
    return out;
}

void append_annotation_warnings(const PodFacts& pod, const Identity& identity,
                                const MutationSettings& settings,
                                std::vector<std::string>& warnings) {
    for (const std::string& key : pod.near_miss_annotation_keys) {
        if (auto intended = annotations::near_miss_of(key, settings.annotation_prefix)) {
            warnings.push_back(near_miss_warning("pod", key, *intended));
        }
    }
    const ServiceAccountFindings& findings = identity.findings;
    for (const std::string& key : findings.near_miss_keys) {
        if (auto intended = annotations::near_miss_of(key, settings.annotation_prefix)) {
            warnings.push_back(near_miss_warning("ServiceAccount", key, *intended));
        }
    }
    if (identity.mode == CredentialMode::web_identity && findings.role_arn_invalid) {
        warnings.push_back(limited("role ARN \"" + clip(identity.role_arn, 48) +
                                   "\" is not arn:aws:iam::<12 digits>:role/<name>; STS may "
                                   "reject it"));
    }
    if (identity.mode != CredentialMode::none && findings.clamped_expiration) {
        warnings.push_back(limited("ServiceAccount token-expiration " +
                                   std::to_string(*findings.clamped_expiration) +
                                   " is below the 600s minimum; using 600"));
    }
}

std::string volume_clash_warning(std::string_view volume_name) {
    return limited("volume \"" + clip(volume_name, kMaxQuoted) +
                   "\" already exists and is not a projected token; AWS credentials will not work");
}

std::string invalid_pod_expiration_warning(std::string_view value, std::int64_t used) {
    return limited("pod token-expiration \"" + clip(value, 24) +
                   "\" is not a whole number of seconds; using " + std::to_string(used));
}

std::string clamped_pod_expiration_warning(std::int64_t value) {
    return limited("pod token-expiration " + std::to_string(value) +
                   " is below the 600s minimum; using 600");
}

std::string skip_containers_warning(std::string_view value, std::string_view error) {
    // Go's CSV errors start with the position; on a one-line annotation only the column helps.
    constexpr std::string_view kFirstLine = "parse error on line 1, ";
    if (error.substr(0, kFirstLine.size()) == kFirstLine) error.remove_prefix(kFirstLine.size());
    return limited("cannot parse skip-containers \"" + clip(value, 20) + "\": " + clip(error, 40) +
                   "; no container is skipped");
}

std::string unknown_skipped_container_warning(std::string_view name) {
    return limited("skip-containers names \"" + clip(name, kMaxQuoted) +
                   "\" but the pod has no container of that name");
}

}  // namespace piw::mutation
