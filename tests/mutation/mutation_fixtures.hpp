#pragma once
// Shared helpers for the mutation tests: run the pure core on a pod and apply the resulting
// JSON Patch the way the API server would, so tests assert on the pod a user ends up with.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "pod_identity_webhook/mutation/build_patch.hpp"
#include "pod_identity_webhook/mutation/pod_reader.hpp"

namespace piw::mutation::testing {

using Json = nlohmann::json;

// Always answers the same value; remembers the range it was asked for.
class FixedJitter final : public Jitter {
  public:
    explicit FixedJitter(std::int64_t value) : value_(value) {}
    std::int64_t uniform(std::int64_t low, std::int64_t high) override {
        ++calls;
        last_low = low;
        last_high = high;
        return value_;
    }
    int calls = 0;
    std::int64_t last_low = 0;
    std::int64_t last_high = 0;

  private:
    std::int64_t value_;
};

inline Identity web_identity(std::string role_arn = "arn:aws:iam::111122223333:role/s3-reader",
                             std::string audience = "sts.amazonaws.com", bool regional_sts = false,
                             std::int64_t expiration = 86400) {
    Identity identity;
    identity.mode = CredentialMode::web_identity;
    identity.service_account_found = true;
    identity.role_arn = std::move(role_arn);
    identity.audience = std::move(audience);
    identity.regional_sts = regional_sts;
    identity.token_expiration = expiration;
    identity.source = "ServiceAccount";
    return identity;
}

inline Identity container_credentials(bool regional_sts = false, std::int64_t expiration = 86400) {
    Identity identity;
    identity.mode = CredentialMode::container_credentials;
    identity.service_account_found = true;
    identity.regional_sts = regional_sts;
    identity.token_expiration = expiration;
    identity.source = "container-credentials config";
    return identity;
}

struct Mutation {
    MutationResult result;
    Json patch;      // parsed patch ([] when none)
    Json pod_after;  // the pod with the patch applied
};

inline Mutation mutate(const Json& pod, const Identity& identity,
                       const MutationSettings& settings = {}, Jitter* jitter = nullptr) {
    FixedJitter default_jitter(80000);
    Jitter& used_jitter = jitter != nullptr ? *jitter : default_jitter;
    PodReader reader(settings);
    auto facts = reader.read_json(pod.dump());
    EXPECT_TRUE(facts.ok()) << facts.error();
    Mutation out;
    if (!facts.ok()) return out;
    out.result = build_patch(*facts, identity, settings, used_jitter);
    out.patch = out.result.patch.empty() ? Json::array() : Json::parse(out.result.patch);
    out.pod_after = pod.patch(out.patch);
    for (const auto& warning : out.result.warnings) {
        EXPECT_LE(warning.size(), kMaxWarningLength) << warning;
    }
    return out;
}

// Names of the env entries of a container, in order.
inline std::vector<std::string> env_names(const Json& container) {
    std::vector<std::string> names;
    if (!container.contains("env")) return names;
    for (const auto& env : container["env"]) names.push_back(env["name"].get<std::string>());
    return names;
}

inline std::string env_value(const Json& container, const std::string& name) {
    for (const auto& env : container.value("env", Json::array())) {
        if (env["name"] == name) return env.value("value", "");
    }
    return "<absent>";
}

inline Json simple_pod() {
    return Json::parse(R"({
      "apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "balajilovesoreos", "namespace": "default"},
      "spec": {"serviceAccountName": "default",
               "containers": [{"name": "balajilovesoreos", "image": "amazonlinux"}]}
    })");
}

}  // namespace piw::mutation::testing
