#include "support/fake_api_json.hpp"

#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace piw::testing::fake_api {
namespace {

constexpr std::string_view kServiceAccountPrefix = R"({"kind":"ServiceAccount","apiVersion":"v1",)";
constexpr std::string_view kConfigMapPrefix = R"({"kind":"ConfigMap","apiVersion":"v1",)";

// A fixed mix of the serial, so uids and secret names look random but are reproducible.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31U);
}

void append_hex(std::string& out, std::uint64_t value, int digits) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += kHex[(value >> static_cast<unsigned>(shift)) & 0xFU];
    }
}

// A version-4-shaped UUID, as the API server assigns.
void append_uid(std::string& out, std::uint64_t serial) {
    const std::uint64_t high = splitmix64(serial);
    const std::uint64_t low = splitmix64(serial ^ 0xA5A5A5A5A5A5A5A5ULL);
    out += '"';
    append_hex(out, high >> 32U, 8);
    out += '-';
    append_hex(out, (high >> 16U) & 0xFFFFU, 4);
    out += "-4";
    append_hex(out, high & 0x0FFFU, 3);
    out += '-';
    append_hex(out, 0x8000U | ((low >> 48U) & 0x3FFFU), 4);
    out += '-';
    append_hex(out, low & 0xFFFFFFFFFFFFULL, 12);
    out += '"';
}

// The 5-character suffix of a generated name ("-token-xxxxx"), from the same alphabet as
// Kubernetes' generateName (no vowels, no confusable digits).
void append_name_suffix(std::string& out, std::uint64_t serial) {
    static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    std::uint64_t bits = splitmix64(serial + 0x1234567ULL);
    for (int i = 0; i < 5; ++i) {
        out += kAlphabet[bits % kAlphabet.size()];
        bits /= kAlphabet.size();
    }
}

void append_uint(std::string& out, std::uint64_t value) {
    std::array<char, 24> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), result.ptr);
}

using Entries = std::vector<std::pair<std::string_view, std::string_view>>;

// The given map merged with defaults (sorted by key; a given key wins), in key order — the API
// server writes maps sorted.
void merge_entries(Entries& out, const StringMap& given, const Entries& defaults) {
    out.clear();
    auto next = given.begin();
    for (const auto& [key, value] : defaults) {
        while (next != given.end() && next->first < key) {
            out.emplace_back(next->first, next->second);
            ++next;
        }
        // Overridden: the given entry is emitted when a later default (or the tail) passes it.
        if (next != given.end() && next->first == key) continue;
        out.emplace_back(key, value);
    }
    for (; next != given.end(); ++next) out.emplace_back(next->first, next->second);
}

// A JSON object of strings from any range of (key, value) pairs (Entries or a StringMap).
template <class Pairs>
void append_string_object(std::string& out, const Pairs& pairs) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : pairs) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
    }
    out += '}';
}

// managedFields' FieldsV1 set for a map: {".":{},"f:key":{},…}.
void append_field_set(std::string& out, const Entries& entries) {
    out += R"({".":{})";
    for (const auto& entry : entries) {
        out += R"(,"f:)";
        append_json_chars(out, entry.first);
        out += R"(":{})";
    }
    out += '}';
}

// Fields every object starts its metadata with.
void append_common_meta(std::string& out, const ObjectMeta& meta, bool realistic) {
    out += R"("metadata":{"name":)";
    append_json_string(out, meta.name);
    out += R"(,"namespace":)";
    append_json_string(out, meta.namespace_);
    if (realistic) {
        out += R"(,"uid":)";
        append_uid(out, meta.serial);
    }
    out += R"(,"resourceVersion":")";
    append_uint(out, meta.resource_version);
    out += '"';
    if (realistic && !meta.created.empty()) {
        out += R"(,"creationTimestamp":)";
        append_json_string(out, meta.created);
    }
}

}  // namespace

std::string_view object_prefix(Resource resource) {
    return resource == Resource::service_accounts ? kServiceAccountPrefix : kConfigMapPrefix;
}
std::string_view list_kind(Resource resource) {
    return resource == Resource::service_accounts ? "ServiceAccountList" : "ConfigMapList";
}
std::string_view object_kind(Resource resource) {
    return resource == Resource::service_accounts ? "ServiceAccount" : "ConfigMap";
}
std::string_view resource_name(Resource resource) {
    return resource == Resource::service_accounts ? "serviceaccounts" : "configmaps";
}

std::string service_account_json(const ObjectMeta& meta, const StringMap& annotations,
                                 const StringMap& labels, bool realistic) {
    // Written into a reused buffer and copied once, so the stored text has no spare capacity
    // (300k objects of ~1.2 KB each).
    static thread_local std::string out;
    out.clear();
    out += kServiceAccountPrefix;
    append_common_meta(out, meta, realistic);
    if (!realistic) {
        if (!labels.empty()) {
            out += R"(,"labels":)";
            append_string_object(out, labels);
        }
        if (!annotations.empty()) {
            out += R"(,"annotations":)";
            append_string_object(out, annotations);
        }
        out += "}}";
        return std::string(out);
    }

    // What Helm puts on the ServiceAccounts it installs: most real clusters look like this.
    const std::string instance = std::string(meta.namespace_) + "-" + std::string(meta.name);
    const Entries default_labels{
        {"app.kubernetes.io/instance", instance}, {"app.kubernetes.io/managed-by", "Helm"},
        {"app.kubernetes.io/name", meta.name},    {"app.kubernetes.io/part-of", meta.namespace_},
        {"app.kubernetes.io/version", "1.16.0"},  {"helm.sh/chart", "app-0.1.0"}};
    const Entries default_annotations{{"meta.helm.sh/release-name", instance},
                                      {"meta.helm.sh/release-namespace", meta.namespace_}};
    Entries merged_labels;
    Entries merged_annotations;
    merge_entries(merged_labels, labels, default_labels);
    merge_entries(merged_annotations, annotations, default_annotations);

    out += R"(,"labels":)";
    append_string_object(out, merged_labels);
    out += R"(,"annotations":)";
    append_string_object(out, merged_annotations);
    out += R"(,"managedFields":[{"manager":"helm","operation":"Update","apiVersion":"v1","time":)";
    append_json_string(out, meta.updated.empty() ? meta.created : meta.updated);
    out += R"(,"fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":)";
    append_field_set(out, merged_annotations);
    out += R"(,"f:labels":)";
    append_field_set(out, merged_labels);
    out += R"(}}}]},"secrets":[{"name":)";
    std::string secret(meta.name);
    secret += "-token-";
    append_name_suffix(secret, meta.serial);
    append_json_string(out, secret);
    out += "}]}";
    return std::string(out);
}

std::string config_map_json(const ObjectMeta& meta, const StringMap& data, bool realistic) {
    std::string out;
    out += kConfigMapPrefix;
    append_common_meta(out, meta, realistic);
    out += R"(},"data":)";
    append_string_object(out, data);
    out += '}';
    return out;
}

std::string_view status_reason(int code) {
    switch (code) {
        case 400:
            return "BadRequest";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "NotFound";
        case 405:
            return "MethodNotAllowed";
        case 409:
            return "Conflict";
        case 410:
            return "Expired";
        case 422:
            return "Invalid";
        case 429:
            return "TooManyRequests";
        case 503:
            return "ServiceUnavailable";
        case 504:
            return "Timeout";
        default:
            return "InternalError";
    }
}

std::string status_json(int code, std::string_view message, std::string_view name,
                        std::string_view kind) {
    std::string out = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)";
    out += R"("message":)";
    append_json_string(out, message);
    out += R"(,"reason":)";
    append_json_string(out, status_reason(code));
    if (!name.empty() || !kind.empty()) {
        out += R"(,"details":{"name":)";
        append_json_string(out, name);
        out += R"(,"kind":)";
        append_json_string(out, kind);
        out += '}';
    }
    out += R"(,"code":)";
    append_uint(out, static_cast<std::uint64_t>(code));
    out += '}';
    return out;
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    append_json_chars(out, text);
    out += '"';
}

void append_json_chars(std::string& out, std::string_view text) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    // Runs that need no escaping (nearly everything) are appended whole.
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20U && byte != '"' && byte != '\\') continue;  // UTF-8 passes through
        out.append(text.data() + run_start, i - run_start);
        run_start = i + 1;
        switch (byte) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                out += "\\u00";
                out += kHex[byte >> 4U];
                out += kHex[byte & 0xFU];
        }
    }
    out.append(text.data() + run_start, text.size() - run_start);
}

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string format_timestamp(std::time_t seconds) {
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    std::array<char, 32> buffer{};
    const std::size_t size =
        std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(buffer.data(), size);
}

std::string base64_encode(std::string_view bytes, bool url_safe_unpadded) {
    const std::string_view alphabet =
        url_safe_unpadded ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[(group >> 18U) & 0x3FU];
        out += alphabet[(group >> 12U) & 0x3FU];
        out += alphabet[(group >> 6U) & 0x3FU];
        out += alphabet[group & 0x3FU];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                              << 16U;
        if (rest == 2)
            group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        out += alphabet[(group >> 18U) & 0x3FU];
        out += alphabet[(group >> 12U) & 0x3FU];
        if (rest == 2) out += alphabet[(group >> 6U) & 0x3FU];
        if (!url_safe_unpadded) out.append(rest == 1 ? 2 : 1, '=');
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t group = 0;
    unsigned bits = 0;
    for (const char c : text) {
        std::uint32_t value = 0;
        if (c >= 'A' && c <= 'Z')
            value = static_cast<std::uint32_t>(c - 'A');
        else if (c >= 'a' && c <= 'z')
            value = static_cast<std::uint32_t>(c - 'a') + 26U;
        else if (c >= '0' && c <= '9')
            value = static_cast<std::uint32_t>(c - '0') + 52U;
        else if (c == '+' || c == '-')
            value = 62;
        else if (c == '/' || c == '_')
            value = 63;
        else
            return std::nullopt;
        group = (group << 6U) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((group >> bits) & 0xFFU);
        }
    }
    if (bits >= 6) return std::nullopt;  // a lone trailing character carries no whole byte
    return out;
}

}  // namespace piw::testing::fake_api
