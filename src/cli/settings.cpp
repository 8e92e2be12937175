#include <cstdlib>

#include "pod_identity_webhook/cli/commands.hpp"
#include "pod_identity_webhook/identity/role_arn_composition.hpp"
#include "pod_identity_webhook/mutation/build_patch.hpp"

namespace piw::cli {
namespace {

constexpr std::string_view kDefaultMetadataEndpoint = "http://169.254.169.254";
constexpr std::chrono::milliseconds kMetadataTimeout{5000};

}  // namespace

std::int64_t clamped_token_expiration(const Options& options) {
    return std::max(options.token_expiration, mutation::kMinTokenExpiration);
}

mutation::MutationSettings mutation_settings(const Options& options) {
    mutation::MutationSettings settings;
    settings.annotation_prefix = options.annotation_prefix;
    settings.aws_default_region = options.aws_default_region;
    settings.token_mount_path = options.token_mount_path;
    settings.container_credentials_audience = options.container_credentials_audience;
    settings.container_credentials_mount_path = options.container_credentials_token_mount_path;
    settings.container_credentials_volume_name = options.container_credentials_token_volume_name;
    settings.container_credentials_token_path = options.container_credentials_token_path;
    settings.container_credentials_full_uri = options.container_credentials_full_uri;
    return settings;
}

identity::IdentityDefaults identity_defaults(const Options& options) {
    identity::IdentityDefaults defaults;
    defaults.token_audience = options.token_audience;
    defaults.regional_sts = options.sts_regional_endpoint;
    defaults.token_expiration = clamped_token_expiration(options);
    return defaults;
}

Result<identity::AnnotationSettings> annotation_settings(const Options& options) {
    identity::AnnotationSettings settings;
    settings.prefix = options.annotation_prefix;
    if (!options.compose_role_arn) return settings;
    if (!options.aws_account_id.empty()) {
        settings.compose_role_arn =
            identity::RoleArnComposition{options.aws_partition, options.aws_account_id};
        return settings;
    }
    // Upstream asks EC2 instance metadata; AWS SDKs honour this variable to point elsewhere.
    const char* endpoint = std::getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    auto composition = identity::composition_from_instance_metadata(
        endpoint != nullptr && *endpoint != '\0' ? std::string(endpoint)
                                                 : std::string(kDefaultMetadataEndpoint),
        kMetadataTimeout);
    if (!composition.ok()) {
        return Error{composition.error() +
                     " (with --compose-role-arn and no --aws-account-id, the account comes from "
                     "EC2 instance metadata)"};
    }
    settings.compose_role_arn = std::move(composition).value();
    return settings;
}

Result<logging::LogSettings> log_settings(const Options& options) {
    logging::LogSettings settings;
    if (!logging::parse_log_format(options.log_format, settings.format)) {
        return Error{"invalid --log-format \"" + options.log_format + "\": use text or json"};
    }
    settings.verbosity = static_cast<int>(options.verbosity);
    settings.level = options.log_level;
    return settings;
}

}  // namespace piw::cli
