#pragma once
// Private to FakeApiServer: the JSON text of the objects it serves and the small encodings it
// needs. Objects are written by hand rather than through a DOM because the scale benchmark
// serialises 300,000 ServiceAccounts and the fake server must never be the bottleneck.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "support/fake_api_server.hpp"

namespace piw::testing::fake_api {

enum class Resource { service_accounts, config_maps };

// What a single GET or a watch event carries before "metadata"; items of a List omit it (as the
// real server does for typed lists), so a List item is "{" + full.substr(prefix.size()).
std::string_view object_prefix(Resource resource);
std::string_view list_kind(Resource resource);      // "ServiceAccountList"
std::string_view object_kind(Resource resource);    // "ServiceAccount"
std::string_view resource_name(Resource resource);  // "serviceaccounts"

// The parts of metadata every object has.
struct ObjectMeta {
    std::string_view namespace_;
    std::string_view name;
    std::uint64_t resource_version = 0;
    std::uint64_t serial = 0;  // seeds the uid and the token secret's suffix
    std::string_view created;  // RFC 3339, "" when not realistic
    std::string_view updated;  // managedFields time
};

// Full objects, with kind and apiVersion.
std::string service_account_json(const ObjectMeta& meta, const StringMap& annotations,
                                 const StringMap& labels, bool realistic);
std::string config_map_json(const ObjectMeta& meta, const StringMap& data, bool realistic);

// A metav1.Status with status "Failure".
std::string status_json(int code, std::string_view message, std::string_view name = "",
                        std::string_view kind = "");
// The reason kube-apiserver gives with an HTTP status ("NotFound", "Expired", …).
std::string_view status_reason(int code);

void append_json_string(std::string& out, std::string_view text);  // quoted
void append_json_chars(std::string& out, std::string_view text);   // escaped, no quotes
std::string json_string(std::string_view text);

std::string format_timestamp(std::time_t seconds);  // "2024-05-01T12:00:00Z"

std::string base64_encode(std::string_view bytes, bool url_safe_unpadded = false);
// Standard or URL-safe alphabet, padded or not; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace piw::testing::fake_api
