#pragma once
// The few facts about a pod that the mutation needs, read in one pass from its JSON
// (see pod_reader.hpp). Reading only these keeps admission cheap: no DOM of the whole pod.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace piw::mutation {

// Bits for the environment variable names the upstream algorithm looks at.
enum EnvFlag : std::uint32_t {
    kEnvRoleArn = 1U << 0,                  // AWS_ROLE_ARN
    kEnvWebIdentityTokenFile = 1U << 1,     // AWS_WEB_IDENTITY_TOKEN_FILE
    kEnvContainerCredentialsUri = 1U << 2,  // AWS_CONTAINER_CREDENTIALS_FULL_URI
    kEnvContainerAuthTokenFile = 1U << 3,   // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    kEnvRegion = 1U << 4,                   // AWS_REGION
    kEnvDefaultRegion = 1U << 5,            // AWS_DEFAULT_REGION
    kEnvStsRegionalEndpoints = 1U << 6,     // AWS_STS_REGIONAL_ENDPOINTS
};

struct ContainerFacts {
    std::string name;
    bool env_present = false;     // "env" exists and is not null
    bool mounts_present = false;  // "volumeMounts" exists and is not null
    std::uint32_t env_flags = 0;  // EnvFlag bits of names present in "env" (value or valueFrom)
    bool has_web_identity_mount = false;           // a volumeMount named aws-iam-token
    bool has_container_credentials_mount = false;  // a volumeMount named the cc volume name
};

struct NamedVolumeFacts {
    bool present = false;          // some volume has this name
    bool projected_token = false;  // ... and it is projected with a serviceAccountToken source
};

struct PodFacts {
    std::string name;
    std::string generate_name;
    std::string namespace_;  // metadata.namespace; the admission request's namespace overrides it
    std::string service_account_name;

    bool metadata_present = false;  // "metadata" is an object
    bool spec_present = false;      // "spec" is an object
    bool labels_present = false;    // metadata.labels is an object ({} counts, null does not)
    std::optional<std::string> pod_identity_label;  // value of eks.amazonaws.com/pod-identity

    // Values of <prefix>/token-expiration and <prefix>/skip-containers, verbatim.
    std::optional<std::string> token_expiration_annotation;
    std::optional<std::string> skip_containers_annotation;
    // Pod annotation keys that look like a mistyped webhook annotation (decision M6).
    std::vector<std::string> near_miss_annotation_keys;

    bool volumes_present = false;          // spec.volumes is an array ([] counts, null does not)
    NamedVolumeFacts web_identity_volume;  // volume named aws-iam-token
    NamedVolumeFacts container_credentials_volume;  // volume named the cc volume name

    std::vector<ContainerFacts> containers;
    std::vector<ContainerFacts> init_containers;

    // Decision M5: the pod will run on Windows nodes.
    bool windows_node_selector = false;  // nodeSelector kubernetes.io/os or beta.kubernetes.io/os
    bool windows_os_name = false;        // spec.os.name == "windows"
    bool windows_node_affinity = false;  // every required nodeAffinity term pins the os to windows

    [[nodiscard]] bool targets_windows() const {
        return windows_node_selector || windows_os_name || windows_node_affinity;
    }
    // For logs: the pod's name, or its generateName when the name is not assigned yet.
    [[nodiscard]] const std::string& display_name() const {
        return name.empty() ? generate_name : name;
    }
};

}  // namespace piw::mutation
