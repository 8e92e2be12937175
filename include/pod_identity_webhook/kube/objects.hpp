#pragma once
// The few fields of Kubernetes objects the webhook keeps, decoded straight from API responses
// (LIST pages, single GETs, watch event lines) with simdjson's on-demand parser: only metadata
// name, namespace and resourceVersion, the annotations a caller asks for, and (for ConfigMaps)
// the data keys it asks for. Everything else — managedFields, labels, secrets — is skipped
// without being materialised, which is what keeps memory flat on clusters with many objects.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::kube {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct KubeObject {
    std::string namespace_;
    std::string name;
    std::string resource_version;
    StringPairs annotations;  // only those the DecodeOptions keep, in document order
    StringPairs data;         // ConfigMap data, only the keys the DecodeOptions keep
};

struct DecodeOptions {
    // Which annotation keys to keep (null: none).
    std::function<bool(std::string_view key)> keep_annotation;
    // Which `data` keys to keep (null: none).
    std::function<bool(std::string_view key)> keep_data;
};

struct ListPage {
    std::string
        resource_version;  // metadata.resourceVersion of the list ("" if the server sent none)
    std::string continue_token;  // metadata.continue; "" on the last page
    std::vector<KubeObject> items;
};

enum class WatchEventType { added, modified, deleted, bookmark, error };

struct WatchEvent {
    WatchEventType type = WatchEventType::error;
    KubeObject object;  // for bookmark: only resource_version is set
    // For ERROR events: the Status object's code, reason and message (e.g. 410 "Expired").
    int status_code = 0;
    std::string status_reason;
    std::string status_message;
};

// A `…List` response body.
Result<ListPage> decode_list(std::string_view body, const DecodeOptions& options);
// A single object (GET response body).
Result<KubeObject> decode_object(std::string_view body, const DecodeOptions& options);
// One line of a watch stream.
Result<WatchEvent> decode_watch_event(std::string_view line, const DecodeOptions& options);

// A readable summary of an error response body: the Status object's message and reason when it
// is one (e.g. `serviceaccounts "x" is forbidden: … (Forbidden)`), else the start of the body.
std::string describe_error_body(std::string_view body);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string query_escape(std::string_view value);

}  // namespace piw::kube
