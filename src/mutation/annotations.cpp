#include "pod_identity_webhook/mutation/annotations.hpp"

#include <algorithm>
#include <vector>

namespace piw::annotations {
namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_separator(char c) {
    return c == '_' || c == '-';
}

// Equal when lower-cased with '_' and '-' removed ("Role_ARN" ~ "role-arn"). Runs for every pod
// annotation, so it compares in place rather than building normalised copies.
bool same_ignoring_case_and_separators(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (true) {
        while (i < a.size() && is_separator(a[i])) ++i;
        while (j < b.size() && is_separator(b[j])) ++j;
        if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
        if (lower(a[i]) != lower(b[j])) return false;
        ++i;
        ++j;
    }
}

bool is_word_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool consume(std::string_view& text, std::string_view expected) {
    if (text.substr(0, expected.size()) != expected) return false;
    text.remove_prefix(expected.size());
    return true;
}

}  // namespace

std::string key(std::string_view prefix, std::string_view suffix) {
    std::string out;
    out.reserve(prefix.size() + 1 + suffix.size());
    out.append(prefix).push_back('/');
    out.append(suffix);
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap) {
    const std::size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
    if (length_gap > cap) return cap + 1;
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        std::size_t row_minimum = current[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
            row_minimum = std::min(row_minimum, current[j]);
        }
        if (row_minimum > cap) return cap + 1;
        std::swap(previous, current);
    }
    return std::min(previous[b.size()], cap + 1);
}

std::optional<std::string> near_miss_of(std::string_view annotation_key, std::string_view prefix) {
    const std::size_t slash = annotation_key.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view key_prefix = annotation_key.substr(0, slash);
    const std::string_view key_suffix = annotation_key.substr(slash + 1);
    for (std::string_view known : kKnownSuffixes) {
        if (!same_ignoring_case_and_separators(key_suffix, known)) continue;
        if (key_prefix == prefix) {
            if (key_suffix == known) return std::nullopt;  // exactly ours
            return key(prefix, known);
        }
        const std::size_t distance = edit_distance(key_prefix, prefix, 3);
        if (distance >= 1 && distance <= 3) return key(prefix, known);
        return std::nullopt;
    }
    return std::nullopt;
}

bool is_valid_role_arn(std::string_view arn) {
    // ^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]+$
    if (!consume(arn, "arn:aws")) return false;
    while (!arn.empty() && ((arn[0] >= 'a' && arn[0] <= 'z') || (arn[0] >= '0' && arn[0] <= '9') ||
                            arn[0] == '-')) {
        arn.remove_prefix(1);
    }
    if (!consume(arn, ":iam::")) return false;
    for (int i = 0; i < 12; ++i) {
        if (arn.empty() || arn[0] < '0' || arn[0] > '9') return false;
        arn.remove_prefix(1);
    }
    if (!consume(arn, ":role/")) return false;
    if (arn.empty()) return false;
    return std::all_of(arn.begin(), arn.end(), [](char c) {
        return is_word_char(c) || c == '-' || c == '/' || c == '.' || c == '@' || c == '+' ||
               c == '=' || c == ',';
    });
}

}  // namespace piw::annotations
