#pragma once
// Every command-line flag: upstream's names and defaults (upstream-behaviour §1, decision C1),
// klog's flags (accepted; -v maps to the log level), and ours. GNU style like Go's pflag:
// --flag=value, --flag value, booleans as --flag or --flag=false, -v=4 / -v 4 / -v4.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::cli {

struct Options {
    // --- upstream application flags (main.go, declaration order) ---
    std::int64_t port = 443;
    std::int64_t metrics_port = 9999;
    std::string kubeconfig;
    std::string kube_api;
    std::string tls_key = "/etc/webhook/certs/tls.key";
    std::string tls_cert = "/etc/webhook/certs/tls.crt";
    std::string tls_cipher_suites;
    std::string tls_min_version;
    bool in_cluster = true;  // accepted; the deprecated CSR mode is not implemented (S2)
    std::string service_name = "pod-identity-webhook";
    std::string namespace_ = "eks";
    std::string tls_secret = "pod-identity-webhook";
    std::string annotation_prefix = "eks.amazonaws.com";
    std::string token_audience = "sts.amazonaws.com";
    std::string token_mount_path = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
    std::int64_t token_expiration = 86400;  // clamped to >= 600 at start-up
    std::string aws_default_region;
    bool sts_regional_endpoint = false;
    bool watch_config_map = false;
    bool compose_role_arn = false;
    std::string watch_container_credentials_config;
    std::string container_credentials_audience = "pods.eks.amazonaws.com";
    std::string container_credentials_token_mount_path =
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";
    std::string container_credentials_token_volume_name = "eks-pod-identity-token";
    std::string container_credentials_token_path = "eks-pod-identity-token";
    std::string container_credentials_full_uri = "http://169.254.170.23/v1/credentials";
    bool version = false;
    bool enable_debugging_handlers = false;
    // Decision I2: 1s by default (upstream 0s).
    std::chrono::nanoseconds service_account_lookup_grace_period = std::chrono::seconds(1);
    std::chrono::nanoseconds resync_period = std::chrono::seconds(60);

    // --- klog flags (accepted; only -v has an effect) ---
    std::int64_t verbosity = 0;  // -v / --v

    // --- ours ---
    std::string service_accounts_file;                                     // decision I5
    std::string log_format = "text";                                       // text | json
    std::string log_level;                                                 // overrides -v when set
    std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(10);  // decision S4
    std::chrono::nanoseconds shutdown_delay{0};  // serve on, not ready, before draining
    std::string aws_account_id;                  // decision C3
    std::string aws_partition = "aws";           // decision C3
    std::string bind_address;                    // "" → all interfaces
    std::int64_t max_connections = 2048;
    bool help = false;
};

// Options for `pod-identity-webhook mutate` (decision C2) on top of the serving flags.
struct MutateOptions {
    std::vector<std::string> files;             // -f / --filename, repeatable; "-" is stdin
    std::string output = "yaml";                // -o / --output: yaml | json | patch
    std::string default_namespace = "default";  // --namespace inside `mutate`
};

enum class Command { serve, mutate };

struct CommandLine {
    Command command = Command::serve;
    Options options;
    MutateOptions mutate;
    std::vector<std::string> ignored_positionals;  // pflag ignores them; we log them
};

// Parses argv (without argv[0]). `mutate` as the first argument selects the subcommand; `serve`
// is accepted too. Errors read like pflag's ("unknown flag: --foo", "invalid argument ...").
Result<CommandLine> parse_command_line(const std::vector<std::string>& args);

// The --help text for a command.
std::string usage(Command command);

}  // namespace piw::cli
