#pragma once
// The flag values that shape a patch. Plain data; built once by the cli room.

#include <string>
#include <string_view>

namespace piw::mutation {

inline constexpr std::string_view kWebIdentityVolumeName = "aws-iam-token";
inline constexpr std::string_view kWebIdentityTokenPath = "token";
// Upstream hard-codes this label key (it does not follow --annotation-prefix).
inline constexpr std::string_view kPodIdentityLabel = "eks.amazonaws.com/pod-identity";
inline constexpr std::int64_t kMinTokenExpiration = 600;
inline constexpr std::int64_t kDefaultTokenExpiration = 86400;
inline constexpr std::int64_t kJitterFloor =
    79200;  // 22h: container-credentials jitter range start

struct MutationSettings {
    std::string annotation_prefix = "eks.amazonaws.com";
    std::string aws_default_region;  // empty: no AWS_REGION / AWS_DEFAULT_REGION
    std::string token_mount_path = "/var/run/secrets/eks.amazonaws.com/serviceaccount";

    std::string container_credentials_audience = "pods.eks.amazonaws.com";
    std::string container_credentials_mount_path =
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";
    std::string container_credentials_volume_name = "eks-pod-identity-token";
    std::string container_credentials_token_path = "eks-pod-identity-token";
    std::string container_credentials_full_uri = "http://169.254.170.23/v1/credentials";
};

}  // namespace piw::mutation
