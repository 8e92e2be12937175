#include "pod_identity_webhook/cli/options.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "pod_identity_webhook/common/go_compat.hpp"

// The parser reproduces spf13/pflag v1.0.9 (FlagSet.parseArgs, parseLongArg,
// parseSingleShortArg) with klog's flags added the way pflag.PFlagFromGoFlag adds them, so that
// every command line upstream accepts is accepted here with the same meaning, and every one it
// rejects is rejected with the same message.

namespace piw::cli {

namespace {

// ---------------------------------------------------------------------------------------------
// Flag table

enum class Group { mutate, application, klog, ours };

// Sets a flag from its text; returns the reason for rejecting it (the part after "flag: ").
using Setter = std::function<std::optional<std::string>(CommandLine&, std::string_view)>;

struct Flag {
    std::string_view name;
    char shorthand = '\0';
    // pflag's Value.Type(): "bool", "int", "int64", "string", "duration", "uint64", "Level",
    // "severity", "moduleSpec", "traceLocation", "stringArray".
    std::string_view type;
    std::string default_text;  // pflag's DefValue
    std::string_view usage;
    Group group = Group::application;
    Setter set;

    [[nodiscard]] bool is_bool() const { return type == "bool"; }
};

using OptionsString = std::string Options::*;
using OptionsInt = std::int64_t Options::*;
using OptionsBool = bool Options::*;
using OptionsDuration = std::chrono::nanoseconds Options::*;

// A check run after a value parsed; returns the reason to reject it.
using StringCheck = std::optional<std::string> (*)(std::string_view);
using IntCheck = std::optional<std::string> (*)(std::int64_t);

// pflag's boolValue: strconv.ParseBool's own error.
Setter bool_setter(OptionsBool member) {
    return [member](CommandLine& line, std::string_view text) -> std::optional<std::string> {
        auto value = go::parse_bool_checked(text);
        if (!value) return value.error();
        line.options.*member = *value;
        return std::nullopt;
    };
}

// pflag's intValue / int64Value: strconv.ParseInt(text, 0, 64).
Setter int_setter(OptionsInt member, IntCheck check = nullptr) {
    return [member, check](CommandLine& line, std::string_view text) -> std::optional<std::string> {
        auto value = go::parse_int(text, 0);
        if (!value) return value.error();
        if (check != nullptr) {
            if (auto problem = check(*value)) return problem;
        }
        line.options.*member = *value;
        return std::nullopt;
    };
}

Setter string_setter(OptionsString member, StringCheck check = nullptr) {
    return [member, check](CommandLine& line, std::string_view text) -> std::optional<std::string> {
        if (check != nullptr) {
            if (auto problem = check(text)) return problem;
        }
        line.options.*member = std::string(text);
        return std::nullopt;
    };
}

// pflag's durationValue: time.ParseDuration's own error.
Setter duration_setter(OptionsDuration member) {
    return [member](CommandLine& line, std::string_view text) -> std::optional<std::string> {
        auto value = go::parse_duration_checked(text);
        if (!value) return value.error();
        line.options.*member = *value;
        return std::nullopt;
    };
}

// Go's flag.boolValue (klog's booleans): any failure reads "parse error".
std::optional<std::string> check_go_bool(CommandLine& /*line*/, std::string_view text) {
    if (!go::parse_bool(text)) return std::string("parse error");
    return std::nullopt;
}

std::optional<std::string> check_go_string(CommandLine& /*line*/, std::string_view /*text*/) {
    return std::nullopt;
}

// Go's flag.uint64Value: strconv.ParseUint(text, 0, 64) with errors reduced to two words.
std::optional<std::string> check_go_uint64(CommandLine& /*line*/, std::string_view text) {
    auto value = go::parse_uint(text, 0);
    if (value) return std::nullopt;
    return std::string(value.error().ends_with(go::kErrRange) ? "value out of range"
                                                              : "parse error");
}

// klog's Level (-v): strconv.ParseInt(text, 10, 32).
std::optional<std::string> set_klog_level(CommandLine& line, std::string_view text) {
    auto value = go::parse_int(text, 10, 32);
    if (!value) return value.error();
    line.options.verbosity = *value;
    return std::nullopt;
}

// klog's severityValue: a name (any case) or a number.
std::optional<std::string> check_klog_severity(CommandLine& /*line*/, std::string_view text) {
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
    if (upper == "INFO" || upper == "WARNING" || upper == "ERROR" || upper == "FATAL") {
        return std::nullopt;
    }
    auto value = go::parse_int(text, 10, 32);
    if (!value) return value.error();
    return std::nullopt;
}

// klog's moduleSpec: comma-separated pattern=N, N >= 0.
std::optional<std::string> check_klog_vmodule(CommandLine& /*line*/, std::string_view text) {
    const std::string syntax = "syntax error: expect comma-separated list of filename=N";
    std::string_view rest = text;
    while (true) {
        auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        if (!item.empty()) {
            auto equals = item.find('=');
            if (equals == std::string_view::npos || equals == 0 || equals + 1 == item.size() ||
                item.find('=', equals + 1) != std::string_view::npos) {
                return syntax;
            }
            auto level = go::parse_int(item.substr(equals + 1), 10, 32);
            if (!level) return syntax;
            if (*level < 0) return std::string("negative value for vmodule level");
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

// klog's traceLocation: empty, or file.go:N with N > 0.
std::optional<std::string> check_klog_trace_location(CommandLine& /*line*/, std::string_view text) {
    if (text.empty()) return std::nullopt;
    const std::string syntax = "syntax error: expect file.go:234";
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
        return syntax;
    }
    std::string_view file = text.substr(0, colon);
    if (file.find('.') == std::string_view::npos) return syntax;
    auto line_number = go::parse_int_decimal(text.substr(colon + 1));
    if (!line_number) return syntax;
    if (*line_number <= 0) return std::string("negative or zero value for level");
    return std::nullopt;
}

std::optional<std::string> check_log_format(std::string_view text) {
    if (text == "text" || text == "json") return std::nullopt;
    return std::string("must be text or json");
}

std::optional<std::string> check_log_level(std::string_view text) {
    for (std::string_view level : {"trace", "debug", "info", "warn", "error"}) {
        if (text == level) return std::nullopt;
    }
    return std::string("must be one of trace, debug, info, warn, error");
}

std::optional<std::string> check_account_id(std::string_view text) {
    bool twelve_digits = text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) {
                             return c >= '0' && c <= '9';
                         });
    if (text.empty() || twelve_digits) return std::nullopt;
    return std::string("must be a 12-digit AWS account ID");
}

std::optional<std::string> check_max_connections(std::int64_t value) {
    if (value >= 1) return std::nullopt;
    return std::string("must be at least 1");
}

std::optional<std::string> set_filename(CommandLine& line, std::string_view text) {
    line.mutate.files.emplace_back(text);
    return std::nullopt;
}

std::optional<std::string> set_output(CommandLine& line, std::string_view text) {
    if (text != "yaml" && text != "json" && text != "patch") {
        return std::string("must be yaml, json or patch");
    }
    line.mutate.output = std::string(text);
    return std::nullopt;
}

std::optional<std::string> set_default_namespace(CommandLine& line, std::string_view text) {
    line.mutate.default_namespace = std::string(text);
    return std::nullopt;
}

std::string bool_text(bool value) {
    return value ? "true" : "false";
}

void add_application_flags(std::vector<Flag>& flags, const Options& d, Command command) {
    auto add = [&flags](std::string_view name, std::string_view type, std::string def,
                        std::string_view usage, Setter set) {
        flags.push_back(
            Flag{name, '\0', type, std::move(def), usage, Group::application, std::move(set)});
    };
    add("port", "int", std::to_string(d.port), "Port to listen on", int_setter(&Options::port));
    add("metrics-port", "int", std::to_string(d.metrics_port),
        "Port to listen on for metrics (http)", int_setter(&Options::metrics_port));
    add("kubeconfig", "string", d.kubeconfig,
        "(out-of-cluster) Absolute path to the API server kubeconfig file",
        string_setter(&Options::kubeconfig));
    add("kube-api", "string", d.kube_api, "(out-of-cluster) The url to the API server",
        string_setter(&Options::kube_api));
    add("tls-key", "string", d.tls_key, "(out-of-cluster) TLS key file path",
        string_setter(&Options::tls_key));
    add("tls-cert", "string", d.tls_cert, "(out-of-cluster) TLS certificate file path",
        string_setter(&Options::tls_cert));
    add("tls-cipher-suites", "string", d.tls_cipher_suites,
        "Comma-separated list of cipher suites for the server. Values are from tls package "
        "constants (https://golang.org/pkg/crypto/tls/#pkg-constants). If omitted, the default "
        "cipher suites will be used.",
        string_setter(&Options::tls_cipher_suites));
    add("tls-min-version", "string", d.tls_min_version,
        "Minimum TLS version supported. Possible values: 1.0, 1.1, 1.2, 1.3, VersionTLS10, "
        "VersionTLS11, VersionTLS12, VersionTLS13. If omitted, TLS 1.2 is the minimum.",
        string_setter(&Options::tls_min_version));
    add("in-cluster", "bool", bool_text(d.in_cluster),
        "Use in-cluster authentication and certificate request API (accepted for compatibility; "
        "certificates always come from --tls-cert/--tls-key)",
        bool_setter(&Options::in_cluster));
    add("service-name", "string", d.service_name,
        "(in-cluster) The service name fronting this webhook",
        string_setter(&Options::service_name));
    if (command == Command::serve) {
        add("namespace", "string", d.namespace_,
            "(in-cluster) The namespace name this webhook, the TLS secret, and configmap resides "
            "in",
            string_setter(&Options::namespace_));
    }
    add("tls-secret", "string", d.tls_secret,
        "(in-cluster) The secret name for storing the TLS serving cert",
        string_setter(&Options::tls_secret));
    add("annotation-prefix", "string", d.annotation_prefix,
        "The Service Account annotation to look for", string_setter(&Options::annotation_prefix));
    add("token-audience", "string", d.token_audience,
        "The default audience for tokens. Can be overridden by annotation",
        string_setter(&Options::token_audience));
    add("token-mount-path", "string", d.token_mount_path, "The path to mount tokens",
        string_setter(&Options::token_mount_path));
    add("token-expiration", "int64", std::to_string(d.token_expiration), "The token expiration",
        int_setter(&Options::token_expiration));
    add("aws-default-region", "string", d.aws_default_region,
        "If set, AWS_DEFAULT_REGION and AWS_REGION will be set to this value in mutated "
        "containers",
        string_setter(&Options::aws_default_region));
    add("sts-regional-endpoint", "bool", bool_text(d.sts_regional_endpoint),
        "Whether to inject the AWS_STS_REGIONAL_ENDPOINTS=regional env var in mutated pods. "
        "Defaults to `false`.",
        bool_setter(&Options::sts_regional_endpoint));
    add("watch-config-map", "bool", bool_text(d.watch_config_map),
        "Enables watching serviceaccounts that are configured through the pod-identity-webhook "
        "configmap instead of using annotations",
        bool_setter(&Options::watch_config_map));
    add("compose-role-arn", "bool", bool_text(d.compose_role_arn),
        "If true, then the role name and path can be used instead of the full ARN; the account "
        "ID and partition come from --aws-account-id/--aws-partition or the EC2 instance "
        "metadata service",
        bool_setter(&Options::compose_role_arn));
    add("watch-container-credentials-config", "string", d.watch_container_credentials_config,
        "Absolute path to the container credentials (EKS Pod Identity) config file to watch",
        string_setter(&Options::watch_container_credentials_config));
    add("container-credentials-audience", "string", d.container_credentials_audience,
        "The audience for tokens in container credentials mode",
        string_setter(&Options::container_credentials_audience));
    add("container-credentials-token-mount-path", "string",
        d.container_credentials_token_mount_path,
        "The path to mount tokens in container credentials mode",
        string_setter(&Options::container_credentials_token_mount_path));
    add("container-credentials-token-volume-name", "string",
        d.container_credentials_token_volume_name,
        "The name of the token volume in container credentials mode",
        string_setter(&Options::container_credentials_token_volume_name));
    add("container-credentials-token-path", "string", d.container_credentials_token_path,
        "The path of the token file in the volume in container credentials mode",
        string_setter(&Options::container_credentials_token_path));
    add("container-credentials-full-uri", "string", d.container_credentials_full_uri,
        "The value of AWS_CONTAINER_CREDENTIALS_FULL_URI in container credentials mode",
        string_setter(&Options::container_credentials_full_uri));
    add("version", "bool", bool_text(d.version), "Display the version and exit",
        bool_setter(&Options::version));
    add("enable-debugging-handlers", "bool", bool_text(d.enable_debugging_handlers),
        "Enable debugging handlers. Currently /debug/alpha/cache is supported",
        bool_setter(&Options::enable_debugging_handlers));
    add("service-account-lookup-grace-period", "duration",
        go::format_duration(d.service_account_lookup_grace_period),
        "The grace period for service account to be available in cache before not mutating a "
        "pod; unknown service accounts are fetched from the API server meanwhile. 0 deactivates "
        "waiting. Carefully use values higher than a bunch of milliseconds as it may have "
        "significant impact on Kubernetes' pod scheduling performance.",
        duration_setter(&Options::service_account_lookup_grace_period));
    add("resync-period", "duration", go::format_duration(d.resync_period),
        "The period to resync the SA informer cache", duration_setter(&Options::resync_period));
}

void add_klog_flags(std::vector<Flag>& flags, const Options& d) {
    auto add = [&flags](std::string_view name, char shorthand, std::string_view type,
                        std::string def, std::string_view usage, Setter set) {
        flags.push_back(
            Flag{name, shorthand, type, std::move(def), usage, Group::klog, std::move(set)});
    };
    add("log_dir", '\0', "string", "",
        "If non-empty, write log files in this directory (no effect when -logtostderr=true)",
        check_go_string);
    add("log_file", '\0', "string", "",
        "If non-empty, use this log file (no effect when -logtostderr=true)", check_go_string);
    add("log_file_max_size", '\0', "uint64", "1800",
        "Defines the maximum size a log file can grow to (no effect when -logtostderr=true). "
        "Unit is megabytes. If the value is 0, the maximum file size is unlimited.",
        check_go_uint64);
    add("logtostderr", '\0', "bool", "true", "log to standard error instead of files",
        check_go_bool);
    add("alsologtostderr", '\0', "bool", "false",
        "log to standard error as well as files (no effect when -logtostderr=true)", check_go_bool);
    add("legacy_stderr_threshold_behavior", '\0', "bool", "true",
        "If true, stderrthreshold is ignored when logtostderr=true (legacy behavior). If false, "
        "stderrthreshold is honored even when logtostderr=true",
        check_go_bool);
    add("v", 'v', "Level", std::to_string(d.verbosity),
        "number for the log level verbosity (0-3: info, 4: debug, 5 or more: trace)",
        set_klog_level);
    add("add_dir_header", '\0', "bool", "false",
        "If true, adds the file directory to the header of the log messages", check_go_bool);
    add("skip_headers", '\0', "bool", "false", "If true, avoid header prefixes in the log messages",
        check_go_bool);
    add("one_output", '\0', "bool", "false",
        "If true, only write logs to their native severity level (vs also writing to each lower "
        "severity level; no effect when -logtostderr=true)",
        check_go_bool);
    add("skip_log_headers", '\0', "bool", "false",
        "If true, avoid headers when opening log files (no effect when -logtostderr=true)",
        check_go_bool);
    add("stderrthreshold", '\0', "severity", "2",
        "logs at or above this threshold go to stderr when writing to files and stderr (no "
        "effect when -logtostderr=true or -alsologtostderr=true)",
        check_klog_severity);
    add("alsologtostderrthreshold", '\0', "severity", "0",
        "logs at or above this threshold go to stderr when -alsologtostderr=true (no effect when "
        "-logtostderr=true)",
        check_klog_severity);
    add("vmodule", '\0', "moduleSpec", "",
        "comma-separated list of pattern=N settings for file-filtered logging", check_klog_vmodule);
    add("log_backtrace_at", '\0', "traceLocation", ":0",
        "when logging hits line file:N, emit a stack trace", check_klog_trace_location);
}

void add_our_flags(std::vector<Flag>& flags, const Options& d) {
    auto add = [&flags](std::string_view name, std::string_view type, std::string def,
                        std::string_view usage, Setter set) {
        flags.push_back(Flag{name, '\0', type, std::move(def), usage, Group::ours, std::move(set)});
    };
    add("service-accounts-file", "string", d.service_accounts_file,
        "Read ServiceAccounts from this YAML or JSON file (reloaded when it changes) instead of "
        "the Kubernetes API",
        string_setter(&Options::service_accounts_file));
    add("log-format", "string", d.log_format, "Log format: text or json",
        string_setter(&Options::log_format, check_log_format));
    add("log-level", "string", d.log_level,
        "Log level: trace, debug, info, warn or error (overrides -v when set)",
        string_setter(&Options::log_level, check_log_level));
    add("shutdown-delay", "duration", go::format_duration(d.shutdown_delay),
        "After SIGTERM or SIGINT, keep serving this long with /readyz answering 503 (so that "
        "Service endpoints drop the pod before it stops accepting connections), then drain",
        duration_setter(&Options::shutdown_delay));
    add("shutdown-timeout", "duration", go::format_duration(d.shutdown_timeout),
        "How long in-flight requests may take to finish after SIGTERM or SIGINT",
        duration_setter(&Options::shutdown_timeout));
    add("aws-account-id", "string", d.aws_account_id,
        "AWS account ID (12 digits) used by --compose-role-arn instead of asking EC2 instance "
        "metadata",
        string_setter(&Options::aws_account_id, check_account_id));
    add("aws-partition", "string", d.aws_partition,
        "AWS partition used with --aws-account-id by --compose-role-arn",
        string_setter(&Options::aws_partition));
    add("bind-address", "string", d.bind_address,
        "IP address the webhook and metrics servers listen on; empty means all interfaces",
        string_setter(&Options::bind_address));
    add("max-connections", "int", std::to_string(d.max_connections),
        "Maximum number of open connections on the webhook port; further ones are refused",
        int_setter(&Options::max_connections, check_max_connections));
}

void add_mutate_flags(std::vector<Flag>& flags, const MutateOptions& d) {
    flags.push_back(Flag{"filename", 'f', "stringArray", "[]",
                         "Manifest file to mutate (YAML or JSON, several documents allowed); "
                         "repeatable; - reads standard input",
                         Group::mutate, set_filename});
    flags.push_back(Flag{"output", 'o', "string", d.output,
                         "Output format: yaml (the mutated manifests), json, or patch (the JSON "
                         "patch per pod)",
                         Group::mutate, set_output});
    flags.push_back(Flag{"namespace", '\0', "string", d.default_namespace,
                         "Namespace assumed for manifests that do not name one", Group::mutate,
                         set_default_namespace});
}

std::vector<Flag> flags_for(Command command) {
    const Options options_defaults;
    const MutateOptions mutate_defaults;
    std::vector<Flag> flags;
    if (command == Command::mutate) add_mutate_flags(flags, mutate_defaults);
    add_application_flags(flags, options_defaults, command);
    add_klog_flags(flags, options_defaults);
    add_our_flags(flags, options_defaults);
    return flags;
}

// ---------------------------------------------------------------------------------------------
// Parsing (pflag's FlagSet.parseArgs)

enum class Outcome { parsed, help, failed };

class FlagParser {
  public:
    FlagParser(const std::vector<Flag>& flags, CommandLine& line) : flags_(flags), line_(line) {}

    Outcome parse(std::vector<std::string>::const_iterator next,
                  std::vector<std::string>::const_iterator end) {
        next_ = next;
        end_ = end;
        while (next_ != end_) {
            const std::string& arg = *next_++;
            if (arg.size() < 2 || arg[0] != '-') {
                line_.ignored_positionals.push_back(arg);
                continue;
            }
            Outcome outcome = Outcome::parsed;
            if (arg[1] == '-') {
                if (arg.size() == 2) {  // "--" ends the flags
                    line_.ignored_positionals.insert(line_.ignored_positionals.end(), next_, end_);
                    return Outcome::parsed;
                }
                outcome = parse_long(arg);
            } else {
                outcome = parse_shorthands(std::string_view(arg).substr(1));
            }
            if (outcome != Outcome::parsed) return outcome;
        }
        return Outcome::parsed;
    }

    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    const Flag* find_long(std::string_view name) const {
        for (const auto& flag : flags_) {
            if (flag.name == name) return &flag;
        }
        return nullptr;
    }

    const Flag* find_short(char shorthand) const {
        for (const auto& flag : flags_) {
            if (flag.shorthand != '\0' && flag.shorthand == shorthand) return &flag;
        }
        return nullptr;
    }

    Outcome fail(std::string message) {
        error_ = std::move(message);
        return Outcome::failed;
    }

    bool has_next_arg() const { return next_ != end_; }

    Outcome apply(const Flag& flag, std::string_view value) {
        auto problem = flag.set(line_, value);
        if (!problem) return Outcome::parsed;
        std::string flag_name = flag.shorthand != '\0' ? "-" + std::string(1, flag.shorthand) +
                                                             ", --" + std::string(flag.name)
                                                       : "--" + std::string(flag.name);
        return fail("invalid argument " + go::quote(value) + " for " + go::quote(flag_name) +
                    " flag: " + *problem);
    }

    Outcome parse_long(const std::string& arg) {
        std::string_view name = std::string_view(arg).substr(2);
        if (name.empty() || name[0] == '-' || name[0] == '=') {
            return fail("bad flag syntax: " + arg);
        }
        auto equals = name.find('=');
        std::optional<std::string_view> inline_value;
        if (equals != std::string_view::npos) inline_value = name.substr(equals + 1);
        name = name.substr(0, equals);

        const Flag* flag = find_long(name);
        if (flag == nullptr) {
            if (name == "help") return Outcome::help;
            return fail("unknown flag: --" + std::string(name));
        }
        if (inline_value) return apply(*flag, *inline_value);  // --flag=value
        if (flag->is_bool()) return apply(*flag, "true");      // --flag
        if (has_next_arg()) return apply(*flag, *next_++);     // --flag value
        return fail("flag needs an argument: " + arg);
    }

    // "-v4", "-v=4", "-v 4"; a cluster of shorthands is walked letter by letter.
    Outcome parse_shorthands(std::string_view shorthands) {
        const std::string whole(shorthands);
        while (!shorthands.empty()) {
            char letter = shorthands[0];
            const Flag* flag = find_short(letter);
            if (flag == nullptr) {
                if (letter == 'h') return Outcome::help;
                return fail("unknown shorthand flag: " + quote_char(letter) + " in -" + whole);
            }
            Outcome outcome = Outcome::parsed;
            if (shorthands.size() > 2 && shorthands[1] == '=') {
                outcome = apply(*flag, shorthands.substr(2));
                shorthands = {};
            } else if (flag->is_bool()) {
                outcome = apply(*flag, "true");
                shorthands.remove_prefix(1);
            } else if (shorthands.size() > 1) {
                outcome = apply(*flag, shorthands.substr(1));
                shorthands = {};
            } else if (has_next_arg()) {
                outcome = apply(*flag, *next_++);
                shorthands = {};
            } else {
                return fail("flag needs an argument: " + quote_char(letter) + " in -" + whole);
            }
            if (outcome != Outcome::parsed) return outcome;
        }
        return Outcome::parsed;
    }

    // Go's %q for a byte (strconv.QuoteRune): a quoted character literal.
    static std::string quote_char(char c) {
        constexpr char kHex[] = "0123456789abcdef";
        auto byte = static_cast<unsigned char>(c);
        if (byte == '\'') return "'\\''";
        if (byte >= 0x80) {
            std::string quoted = "'\\u00";
            quoted += kHex[byte >> 4];
            quoted += kHex[byte & 0xFu];
            return quoted + "'";
        }
        std::string quoted = go::quote(std::string_view(&c, 1));
        if (byte == '"') quoted = "\"\"\"";  // no escape needed inside single quotes
        quoted.front() = '\'';
        quoted.back() = '\'';
        return quoted;
    }

    const std::vector<Flag>& flags_;
    CommandLine& line_;
    std::vector<std::string>::const_iterator next_;
    std::vector<std::string>::const_iterator end_;
    std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Usage (pflag's FlagUsages)

// pflag's UnquoteUsage: a `name` in back quotes becomes the value placeholder; otherwise the
// type gives it ("" for booleans).
std::pair<std::string, std::string> placeholder_and_usage(const Flag& flag) {
    std::string usage(flag.usage);
    auto open = usage.find('`');
    if (open != std::string::npos) {
        auto close = usage.find('`', open + 1);
        if (close != std::string::npos) {
            std::string name = usage.substr(open + 1, close - open - 1);
            usage = usage.substr(0, open) + name + usage.substr(close + 1);
            return {name, usage};
        }
    }
    std::string_view type = flag.type;
    if (type == "bool") return {"", usage};
    if (type == "int64") return {"int", usage};
    if (type == "uint64") return {"uint", usage};
    return {std::string(type), usage};
}

bool default_is_zero(const Flag& flag) {
    const std::string& value = flag.default_text;
    if (flag.type == "bool") return value == "false";
    if (flag.type == "duration") return value == "0" || value == "0s";
    if (flag.type == "int" || flag.type == "int64" || flag.type == "uint64") return value == "0";
    if (flag.type == "string") return value.empty();
    if (flag.type == "stringArray") return value == "[]";
    return value == "false" || value == "<nil>" || value.empty() || value == "0";
}

std::string flag_usages(std::vector<const Flag*> flags) {
    std::sort(flags.begin(), flags.end(),
              [](const Flag* a, const Flag* b) { return a->name < b->name; });
    std::vector<std::pair<std::string, std::string>> lines;  // (left column, description)
    std::size_t widest = 0;
    for (const Flag* flag : flags) {
        std::string left = flag->shorthand != '\0' ? "  -" + std::string(1, flag->shorthand) +
                                                         ", --" + std::string(flag->name)
                                                   : "      --" + std::string(flag->name);
        auto [placeholder, usage] = placeholder_and_usage(*flag);
        if (!placeholder.empty()) left += " " + placeholder;
        if (!default_is_zero(*flag)) {
            usage += flag->type == "string" ? " (default " + go::quote(flag->default_text) + ")"
                                            : " (default " + flag->default_text + ")";
        }
        widest = std::max(widest, left.size());
        lines.emplace_back(std::move(left), std::move(usage));
    }
    std::string out;
    for (const auto& [left, usage] : lines) {
        // pflag separates the columns by three spaces after the widest left column.
        out += left;
        out.append(widest - left.size() + 3, ' ');
        out += usage;
        out += '\n';
    }
    return out;
}

std::string group_usages(const std::vector<Flag>& flags, Group group) {
    std::vector<const Flag*> selected;
    for (const auto& flag : flags) {
        if (flag.group == group) selected.push_back(&flag);
    }
    return flag_usages(std::move(selected));
}

constexpr std::string_view kServeIntro =
    R"(pod-identity-webhook: a Kubernetes mutating admission webhook that gives pods AWS credentials.
Pods whose ServiceAccount is annotated with an IAM role (<annotation-prefix>/role-arn) get the
environment variables and projected token volume that AWS SDKs use to assume it (IRSA); pods
listed in the container-credentials config get EKS Pod Identity credentials instead.
A drop-in replacement for amazon-eks-pod-identity-webhook: it accepts the same flags.

Usage:
  pod-identity-webhook [flags]
  pod-identity-webhook mutate -f FILE [flags]    (see pod-identity-webhook mutate --help)
  pod-identity-webhook oidc SUBCOMMAND [flags]   (self-hosted IRSA toolkit: pod-identity-webhook oidc --help)

Example:
  pod-identity-webhook --in-cluster=false --namespace=kube-system \
    --tls-cert=/etc/webhook/certs/tls.crt --tls-key=/etc/webhook/certs/tls.key \
    --aws-default-region=us-west-2 --sts-regional-endpoint --logtostderr -v=2

)";

constexpr std::string_view kMutateIntro =
    R"(pod-identity-webhook mutate: print what the webhook would do to Kubernetes manifests, offline.
Pods and the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
CronJobs are mutated as the webhook would admit them; other documents pass through unchanged.
ServiceAccounts come from --service-accounts-file and from ServiceAccount documents in the
manifests themselves; the other serving flags (--annotation-prefix, --aws-default-region,
--token-audience, ...) apply as they would to the server. Warnings go to standard error.

Usage:
  pod-identity-webhook mutate -f FILE [-f FILE ...] [flags]

Examples:
  # A Deployment as the webhook would admit it
  pod-identity-webhook mutate -f deployment.yaml --service-accounts-file serviceaccounts.yaml

  # The JSON patch for a pod read from standard input, in namespace payments
  kubectl get pod api-0 -o yaml | pod-identity-webhook mutate -f - -o patch \
    --service-accounts-file serviceaccounts.yaml --namespace payments

)";

}  // namespace

Result<CommandLine> parse_command_line(const std::vector<std::string>& args) {
    CommandLine line;
    auto first = args.begin();
    if (first != args.end() && (*first == "mutate" || *first == "serve")) {
        line.command = *first == "mutate" ? Command::mutate : Command::serve;
        ++first;
    }
    const std::vector<Flag> flags = flags_for(line.command);
    FlagParser parser(flags, line);
    switch (parser.parse(first, args.end())) {
        case Outcome::help:
            line.options.help = true;
            return line;
        case Outcome::failed:
            return Error{parser.error()};
        case Outcome::parsed:
            break;
    }
    if (line.command == Command::mutate && line.mutate.files.empty() && !line.options.version) {
        return Error{"required flag(s) \"filename\" not set"};
    }
    return line;
}

std::string usage(Command command) {
    const std::vector<Flag> flags = flags_for(command);
    std::string out(command == Command::mutate ? kMutateIntro : kServeIntro);
    if (command == Command::mutate) {
        out += "Mutate flags:\n";
        out += group_usages(flags, Group::mutate);
        out += "\n";
    }
    out += "Application flags (as upstream):\n";
    out += group_usages(flags, Group::application);
    out += "\nLogging flags (klog's, accepted for compatibility; only -v has an effect):\n";
    out += group_usages(flags, Group::klog);
    out += "\nAdditional flags:\n";
    out += group_usages(flags, Group::ours);
    out += "\n  -h, --help   Show this help and exit\n";
    return out;
}

}  // namespace piw::cli
