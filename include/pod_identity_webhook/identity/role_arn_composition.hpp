#pragma once
// --compose-role-arn (upstream §5.6, decision C3): the account and partition come from
// --aws-account-id / --aws-partition when given, else from EC2 instance metadata (IMDSv2).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/identity/service_account.hpp"

namespace piw::identity {

// Region prefix → partition: cn- aws-cn, us-gov- aws-us-gov, us-iso- aws-iso, us-isob- aws-iso-b,
// eusc- aws-eusc, otherwise aws.
std::string partition_for_region(std::string_view region);

// IMDSv2: PUT /latest/api/token, then GET /latest/dynamic/instance-identity/document.
// `endpoint` is e.g. "http://169.254.169.254" (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides it).
Result<RoleArnComposition> composition_from_instance_metadata(std::string endpoint,
                                                              std::chrono::milliseconds timeout);

}  // namespace piw::identity
