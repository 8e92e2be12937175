#pragma once
// Runs tests/e2e/sdk/list-buckets.mjs — S3 ListBuckets through the AWS SDK for JavaScript v3's
// default credential chain — in a clean environment: the container's environment plus only
//
//   AWS_ENDPOINT_URL=<the fake AWS>   every service the SDK calls (STS, S3) goes to 127.0.0.1
//   AWS_EC2_METADATA_DISABLED=true    never instance metadata
//   HOME=<empty dir>, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE inside it
//                                     no profile, no shared credentials
//   PATH=/usr/bin:/bin, NODE_NO_WARNINGS=1
//
// The SDK comes from scripts/install-e2e-deps.sh (versions pinned in tests/e2e/sdk/).

#include <filesystem>
#include <optional>
#include <string>

#include "kubelet.hpp"

namespace piw::e2e {

struct SdkResult {
    std::optional<int> exit_code;  // nullopt: still running after the timeout (then killed)
    Json line;                     // the script's JSON line; null if it printed none
    std::string out;
    std::string err;
    Environment environment;  // what it ran with

    [[nodiscard]] bool ok() const { return line.is_object() && line.value("ok", false); }
    [[nodiscard]] std::string error_name() const {
        return line.is_object() ? line.value("errorName", "") : "";
    }
    [[nodiscard]] std::string message() const {
        return line.is_object() ? line.value("message", "") : "";
    }
    // Environment, exit code, stdout and stderr: for assertion messages (the test log).
    [[nodiscard]] std::string describe() const;
};

// Empty if node and the SDK are installed; otherwise what is missing and how to install it.
std::string sdk_installation_problem();

// Runs the script with `container_environment`, the SDK pointed at `aws_endpoint`; `scratch` is
// an empty directory it may use (HOME, a copy of the script next to a node_modules link).
SdkResult run_list_buckets(const Environment& container_environment,
                           const std::string& aws_endpoint, const std::filesystem::path& scratch);

}  // namespace piw::e2e
