#pragma once
// What every rendering of the webhook (the chart with any values, deploy/) must get right for a
// cluster to work and stay safe: the objects refer to each other correctly (webhook -> Service
// -> pods, Certificate -> Secret -> mount, RBAC -> ServiceAccount), the registration has the
// fields the API server and this webhook need, RBAC is least privilege, the pod is hardened and
// probed. Failures are recorded with gtest; the caller adds a SCOPED_TRACE naming the rendering.

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "rendered.hpp"

namespace piw::deploy {

// The main objects of one rendering, looked up through their references.
struct Installation {
    std::string namespace_;
    YAML::Node deployment;
    YAML::Node pod_spec;
    YAML::Node container;  // the webhook container
    YAML::Node service;
    YAML::Node webhook_configuration;
    YAML::Node webhook;  // webhooks[0]
    std::map<std::string, std::string> flags;
    std::map<std::string, std::string> pod_labels;
};

// Finds the objects and checks everything that holds for every valid configuration.
Installation check_installation(const Rendered& rendered, const std::string& namespace_);

// A matchCondition keeps mirror pods (the kubelet's API copies of static pods) away from the
// webhook: they cannot carry projected tokens and must not depend on it.
void expect_mirror_pods_skipped(const Installation& installation);

// The volume of the pod spec mounted at `mount_path` by the container; undefined if none.
YAML::Node volume_mounted_at(const Installation& installation, const std::string& mount_path);

// A sequence element whose `key` field equals `value`; undefined if none.
YAML::Node element_with(const YAML::Node& sequence, const std::string& key,
                        const std::string& value);

}  // namespace piw::deploy
