#pragma once
// AdmissionReview (admission.k8s.io/v1 and v1beta1 share one JSON shape) in and out.
// Knows nothing of TLS, sources or metrics.

#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/mutation/pod_facts.hpp"
#include "pod_identity_webhook/mutation/pod_reader.hpp"

namespace piw::admission {

// Echoed in the response: v1 API servers require kind/apiVersion to match their request.
struct TypeMeta {
    std::string kind;
    std::string api_version;
};

struct DecodedReview {
    TypeMeta type_meta;
    bool has_request = false;
    std::string uid;
    std::string namespace_;  // request.namespace (overrides the pod's metadata.namespace)
    std::string operation;   // request.operation, for logs
    bool dry_run = false;
    // Non-empty when the review or its pod could not be decoded: the denial message.
    std::string error;
    mutation::PodFacts pod;

    [[nodiscard]] bool ok() const { return error.empty(); }
};

class ReviewDecoder {
  public:
    explicit ReviewDecoder(const mutation::MutationSettings& settings);

    // `body` must be followed by at least simdjson::SIMDJSON_PADDING readable bytes
    // (`capacity` >= body.size() + padding); the server reads bodies into such buffers.
    // Never throws; any problem is reported in DecodedReview::error.
    DecodedReview decode(std::string_view body, std::size_t capacity) const;

    // Convenience for tests and tools: copies `body` into a padded buffer first.
    DecodedReview decode_copy(std::string_view body) const;

  private:
    mutation::PodReader pod_reader_;
};

struct AdmissionResponse {
    bool allowed = true;
    std::string message;  // status.message, for denials
    std::string patch;    // JSON Patch text; empty → no patch and no patchType
    std::vector<std::string> warnings;
};

// {"kind":..,"apiVersion":..,"response":{"uid":..,"allowed":..,"status":{..},"patch":"<base64>",
//  "patchType":"JSONPatch","warnings":[..]}}; kind/apiVersion are omitted when empty, like
//  upstream.
std::string encode_response(const TypeMeta& type_meta, std::string_view uid,
                            const AdmissionResponse& response);

}  // namespace piw::admission
