#pragma once
// Reads PodFacts from pod JSON in a single forward pass (simdjson on-demand, no exceptions).
// Keys are matched exactly as the API server writes them; for a repeated key the last one wins.

#include <simdjson.h>

#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/mutation/pod_facts.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::mutation {

class PodReader {
  public:
    explicit PodReader(const MutationSettings& settings);

    // `pod` is positioned on the pod object inside a larger document (the AdmissionReview).
    // Errors name the offending field, e.g. "spec.containers[1].env is not an array".
    Result<PodFacts> read(simdjson::ondemand::value pod) const;

    // A standalone pod JSON document (copied into a padded buffer).
    Result<PodFacts> read_json(std::string_view json) const;

  private:
    std::string prefix_;
    std::string token_expiration_key_;
    std::string skip_containers_key_;
    std::string container_credentials_volume_name_;
};

// "an object", "a string", "null", ... for error messages.
std::string_view json_type_name(simdjson::ondemand::json_type type);

// True when a document has content after its root value (call after reading the root).
bool has_trailing_content(simdjson::ondemand::document& document);

}  // namespace piw::mutation
