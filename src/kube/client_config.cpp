#include "pod_identity_webhook/kube/client_config.hpp"
#include "pod_identity_webhook/common/capped_read.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include "kube/credentials.hpp"
#include "kube/server_url.hpp"

namespace piw::kube {
namespace {

constexpr std::size_t kMaxKubeconfigBytes = 4U * 1024U * 1024U;
constexpr std::size_t kMaxReferencedFileBytes = 4U * 1024U * 1024U;

std::string in_quotes(std::string_view text) {
    std::string out = "\"";
    out.append(text);
    out += '"';
    return out;
}

// Reads a whole file, refusing more than `cap` bytes.
Result<std::string> read_capped(const std::string& path, std::size_t cap) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return Error{path + " is a directory"};
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path + ": " + std::strerror(errno)};
    std::string content;
    switch (piw::read_capped(in, cap, content)) {
        case CappedRead::too_large:
            return Error{path + " is larger than " + std::to_string(cap / (1024U * 1024U)) +
                         " MiB"};
        case CappedRead::failed:
            return Error{"cannot read " + path + ": read error"};
        case CappedRead::ok:
            break;
    }
    return content;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Standard base64 (RFC 4648), line breaks ignored, padding optional.
bool decode_base64(std::string_view text, std::string& out) {
    out.clear();
    unsigned int accumulator = 0;
    int bits = 0;
    std::size_t symbols = 0;
    std::size_t padding = 0;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding > 0) return false;  // data after padding
        const int value = base64_value(c);
        if (value < 0) return false;
        accumulator = (accumulator << 6U) | static_cast<unsigned int>(value);
        bits += 6;
        ++symbols;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(
                static_cast<char>((accumulator >> static_cast<unsigned int>(bits)) & 0xFFU));
        }
    }
    if (symbols % 4 == 1 || padding > 2) return false;
    if (padding > 0 && (symbols + padding) % 4 != 0) return false;
    return true;
}

// --- YAML access (yaml-cpp throws; every call below runs inside parse_kubeconfig's try) -------

// A string field: "" when absent or null; Error when it is a list or a mapping.
Result<std::string> string_field(const YAML::Node& map, const char* key, const std::string& where) {
    const YAML::Node value = map[key];
    if (!value.IsDefined() || value.IsNull()) return std::string();
    if (!value.IsScalar()) return Error{where + "." + key + " is not a string"};
    return value.as<std::string>();
}

Result<bool> bool_field(const YAML::Node& map, const char* key, const std::string& where) {
    const YAML::Node value = map[key];
    if (!value.IsDefined() || value.IsNull()) return false;
    bool result = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
        return Error{where + "." + key + " is not a boolean"};
    }
    return result;
}

// The entry called `name` in a list of {name: ..., <field>: {...}}; its <field> mapping.
Result<YAML::Node> named_entry(const YAML::Node& root, const char* list, const char* field,
                               const std::string& name) {
    const YAML::Node entries = root[list];
    if (!entries.IsDefined() || entries.IsNull()) return Error{std::string("no ") + list};
    if (!entries.IsSequence()) return Error{std::string(list) + " is not a list"};
    for (const YAML::Node& entry : entries) {
        if (!entry.IsMap()) continue;
        const YAML::Node entry_name = entry["name"];
        if (entry_name.IsScalar() && entry_name.as<std::string>() == name) {
            const YAML::Node value = entry[field];
            if (value.IsDefined() && !value.IsNull() && !value.IsMap()) {
                return Error{std::string(list) + " entry " + in_quotes(name) + ": " + field +
                             " is not a mapping"};
            }
            return value.IsMap() ? value : YAML::Node(YAML::NodeType::Map);
        }
    }
    return Error{""};  // not found: no further detail
}

std::string detail(const std::string& reason) {
    return reason.empty() ? "" : " (" + reason + ")";
}

class KubeconfigReader {
  public:
    KubeconfigReader(std::string path, const std::optional<std::string>& context)
        : path_(std::move(path)), requested_context_(context) {
        const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
        directory_ = parent.string();
    }

    Result<ClientConfig> read(const YAML::Node& root);

  private:
    Error fail(const std::string& what) const { return Error{"kubeconfig " + path_ + ": " + what}; }
    std::string resolve(const std::string& file) const {
        if (file.empty() || file.front() == '/' || directory_.empty()) return file;
        return (std::filesystem::path(directory_) / file).string();
    }
    // `data` (base64) or the file `file` (relative to the kubeconfig), read now.
    Result<std::string> data_or_file(const YAML::Node& map, const char* data_key,
                                     const char* file_key, const std::string& where,
                                     std::string* file_used);
    Status read_cluster(const YAML::Node& cluster, const std::string& where, ClientConfig& config);
    Status read_user(const YAML::Node& user, const std::string& where, ClientConfig& config);
    Status read_exec(const YAML::Node& exec, const std::string& where, ClientConfig& config);

    std::string path_;
    std::string directory_;
    std::optional<std::string> requested_context_;
};

Result<std::string> KubeconfigReader::data_or_file(const YAML::Node& map, const char* data_key,
                                                   const char* file_key, const std::string& where,
                                                   std::string* file_used) {
    auto data = string_field(map, data_key, where);
    if (!data.ok()) return fail(data.error());
    if (!data->empty()) {
        std::string decoded;
        if (!decode_base64(*data, decoded)) {
            return fail(where + "." + data_key + " is not valid base64");
        }
        return decoded;
    }
    auto file = string_field(map, file_key, where);
    if (!file.ok()) return fail(file.error());
    if (file->empty()) return std::string();
    const std::string resolved = resolve(*file);
    if (file_used != nullptr) *file_used = resolved;
    auto content = read_capped(resolved, kMaxReferencedFileBytes);
    if (!content.ok()) return fail(where + "." + file_key + ": " + content.error());
    return content;
}

Status KubeconfigReader::read_cluster(const YAML::Node& cluster, const std::string& where,
                                      ClientConfig& config) {
    auto server = string_field(cluster, "server", where);
    if (!server.ok()) return fail(server.error());
    if (server->empty()) return fail(where + " has no server");
    auto url = parse_server_url(*server);
    if (!url.ok()) return fail(where + ": " + url.error());
    config.server = *server;
    auto ca = data_or_file(cluster, "certificate-authority-data", "certificate-authority", where,
                           &config.certificate_authority_file);
    if (!ca.ok()) return Error{ca.error()};
    config.certificate_authority_pem = std::move(*ca);
    auto insecure = bool_field(cluster, "insecure-skip-tls-verify", where);
    if (!insecure.ok()) return fail(insecure.error());
    config.insecure_skip_tls_verify = *insecure;
    if (config.insecure_skip_tls_verify && !config.certificate_authority_pem.empty()) {
        return fail(where +
                    ": specifying a root certificates file with the insecure flag is not allowed");
    }
    auto server_name = string_field(cluster, "tls-server-name", where);
    if (!server_name.ok()) return fail(server_name.error());
    config.tls_server_name = *server_name;
    if (cluster["proxy-url"].IsDefined() && !cluster["proxy-url"].IsNull()) {
        return fail(where + ".proxy-url is not supported");
    }
    return {};
}

Status KubeconfigReader::read_exec(const YAML::Node& exec, const std::string& where,
                                   ClientConfig& config) {
    if (!exec.IsMap()) return fail(where + " is not a mapping");
    ExecCredentialPlugin plugin;
    auto api_version = string_field(exec, "apiVersion", where);
    if (!api_version.ok()) return fail(api_version.error());
    plugin.api_version = *api_version;
    if (plugin.api_version == "client.authentication.k8s.io/v1alpha1") {
        return fail(where +
                    ".apiVersion client.authentication.k8s.io/v1alpha1 is no longer "
                    "supported; use client.authentication.k8s.io/v1 (or v1beta1)");
    }
    if (plugin.api_version != "client.authentication.k8s.io/v1" &&
        plugin.api_version != "client.authentication.k8s.io/v1beta1") {
        return fail(where + ".apiVersion " + in_quotes(plugin.api_version) +
                    " is not supported (want client.authentication.k8s.io/v1 or v1beta1)");
    }
    auto command = string_field(exec, "command", where);
    if (!command.ok()) return fail(command.error());
    if (command->empty()) return fail(where + " has no command");
    // kubectl: a relative path with a '/' is relative to the kubeconfig; a bare name uses PATH.
    plugin.command = command->find('/') == std::string::npos ? *command : resolve(*command);
    const YAML::Node args = exec["args"];
    if (args.IsDefined() && !args.IsNull()) {
        if (!args.IsSequence()) return fail(where + ".args is not a list");
        for (const YAML::Node& arg : args) {
            if (!arg.IsScalar()) return fail(where + ".args has an entry that is not a string");
            plugin.args.push_back(arg.as<std::string>());
        }
    }
    const YAML::Node env = exec["env"];
    if (env.IsDefined() && !env.IsNull()) {
        if (!env.IsSequence()) return fail(where + ".env is not a list");
        for (const YAML::Node& entry : env) {
            auto name = entry.IsMap()
                            ? string_field(entry, "name", where + ".env")
                            : Result<std::string>(Error{where + ".env entry is not a mapping"});
            if (!name.ok()) return fail(name.error());
            if (name->empty() || name->find('=') != std::string::npos) {
                return fail(where + ".env has an entry without a valid name");
            }
            auto value = string_field(entry, "value", where + ".env");
            if (!value.ok()) return fail(value.error());
            plugin.env.emplace_back(*name, *value);
        }
    }
    auto hint = string_field(exec, "installHint", where);
    if (!hint.ok()) return fail(hint.error());
    plugin.install_hint = *hint;
    auto provide = bool_field(exec, "provideClusterInfo", where);
    if (!provide.ok()) return fail(provide.error());
    plugin.provide_cluster_info = *provide;
    auto mode = string_field(exec, "interactiveMode", where);
    if (!mode.ok()) return fail(mode.error());
    plugin.interactive_mode = *mode;
    if (!mode->empty() && *mode != "Never" && *mode != "IfAvailable" && *mode != "Always") {
        return fail(where + ".interactiveMode " + in_quotes(*mode) +
                    " is not one of Never, IfAvailable, Always");
    }
    if (*mode == "Always") {
        return fail(where +
                    ": interactiveMode Always needs a terminal, which the webhook never "
                    "has");
    }
    config.exec = std::move(plugin);
    return {};
}

Status KubeconfigReader::read_user(const YAML::Node& user, const std::string& where,
                                   ClientConfig& config) {
    const YAML::Node auth_provider = user["auth-provider"];
    if (auth_provider.IsDefined() && !auth_provider.IsNull()) {
        std::string name;
        if (auth_provider.IsMap() && auth_provider["name"].IsScalar()) {
            name = auth_provider["name"].as<std::string>();
        }
        return fail(where + " uses auth-provider " + in_quotes(name) +
                    ", which is not supported; use an exec credential plugin");
    }
    auto username = string_field(user, "username", where);
    auto password = string_field(user, "password", where);
    if (!username.ok()) return fail(username.error());
    if (!password.ok()) return fail(password.error());
    if (!username->empty() || !password->empty()) {
        return fail(where + ": basic authentication (username/password) is not supported");
    }
    auto token = string_field(user, "token", where);
    if (!token.ok()) return fail(token.error());
    config.bearer_token = *token;
    auto token_file = string_field(user, "tokenFile", where);
    if (!token_file.ok()) return fail(token_file.error());
    if (!token_file->empty()) {
        config.bearer_token_file = resolve(*token_file);
        // Like client-go, the file must be readable now unless a token is also given.
        if (config.bearer_token.empty()) {
            auto content = read_token_file(config.bearer_token_file);
            if (!content.ok()) return fail(where + ".tokenFile: " + content.error());
        }
    }
    std::string certificate_file;
    std::string key_file;
    auto certificate = data_or_file(user, "client-certificate-data", "client-certificate", where,
                                    &certificate_file);
    if (!certificate.ok()) return Error{certificate.error()};
    auto key = data_or_file(user, "client-key-data", "client-key", where, &key_file);
    if (!key.ok()) return Error{key.error()};
    if (!certificate->empty() && key->empty()) {
        return fail(where + " has a client certificate but no client key");
    }
    if (certificate->empty() && !key->empty()) {
        return fail(where + " has a client key but no client certificate");
    }
    config.client_certificate_pem = std::move(*certificate);
    config.client_key_pem = std::move(*key);
    const YAML::Node exec = user["exec"];
    if (exec.IsDefined() && !exec.IsNull()) {
        if (!config.bearer_token.empty() || !config.bearer_token_file.empty()) {
            return fail(where + " sets both a token and an exec plugin; only one is allowed");
        }
        Status status = read_exec(exec, where + ".exec", config);
        if (!status.ok()) return status;
    }
    return {};
}

Result<ClientConfig> KubeconfigReader::read(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) return fail("empty file (no current-context)");
    if (!root.IsMap()) return fail("not a kubeconfig (the document is not a mapping)");
    std::string context_name;
    if (requested_context_.has_value() && !requested_context_->empty()) {
        context_name = *requested_context_;
    } else {
        auto current = string_field(root, "current-context", "kubeconfig");
        if (!current.ok()) return fail(current.error());
        if (current->empty()) return fail("no current-context is set");
        context_name = *current;
    }
    auto context = named_entry(root, "contexts", "context", context_name);
    if (!context.ok()) {
        return fail("context " + in_quotes(context_name) + " not found" + detail(context.error()));
    }
    const std::string context_where = "context " + in_quotes(context_name);
    auto cluster_name = string_field(*context, "cluster", context_where);
    if (!cluster_name.ok()) return fail(cluster_name.error());
    if (cluster_name->empty()) return fail(context_where + " names no cluster");
    auto cluster = named_entry(root, "clusters", "cluster", *cluster_name);
    if (!cluster.ok()) {
        return fail("cluster " + in_quotes(*cluster_name) + " of " + context_where + " not found" +
                    detail(cluster.error()));
    }
    ClientConfig config;
    Status status = read_cluster(*cluster, "cluster " + in_quotes(*cluster_name), config);
    if (!status.ok()) return Error{status.error()};
    auto user_name = string_field(*context, "user", context_where);
    if (!user_name.ok()) return fail(user_name.error());
    if (!user_name->empty()) {
        auto user = named_entry(root, "users", "user", *user_name);
        if (!user.ok()) {
            return fail("user " + in_quotes(*user_name) + " of " + context_where + " not found" +
                        detail(user.error()));
        }
        status = read_user(*user, "user " + in_quotes(*user_name), config);
        if (!status.ok()) return Error{status.error()};
    }
    config.description =
        "kubeconfig " + path_ + " (context " + context_name + ", server " + config.server + ")";
    return config;
}

}  // namespace

InClusterEnvironment InClusterEnvironment::from_process() {
    InClusterEnvironment environment;
    if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host != nullptr) {
        environment.service_host = host;
    }
    if (const char* port = std::getenv("KUBERNETES_SERVICE_PORT"); port != nullptr) {
        environment.service_port = port;
    }
    return environment;
}

Result<ClientConfig> load_in_cluster_config(const InClusterEnvironment& environment) {
    try {
        if (!environment.service_host.has_value() || environment.service_host->empty() ||
            !environment.service_port.has_value() || environment.service_port->empty()) {
            return Error{
                "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                "are not set; pass --kubeconfig or --kube-api"};
        }
        const std::string& host = *environment.service_host;
        const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
        ClientConfig config;
        config.server =
            "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + *environment.service_port;
        auto url = parse_server_url(config.server);
        if (!url.ok()) {
            return Error{"in-cluster config: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT: " +
                         url.error()};
        }
        auto ca = read_capped(environment.ca_file, kMaxReferencedFileBytes);
        if (!ca.ok()) return Error{"in-cluster config: CA certificate: " + ca.error()};
        config.certificate_authority_pem = std::move(*ca);
        config.certificate_authority_file = environment.ca_file;
        auto token = read_token_file(environment.token_file);
        if (!token.ok()) return Error{"in-cluster config: ServiceAccount token: " + token.error()};
        config.bearer_token_file = environment.token_file;
        config.description = "in-cluster config (" + config.server + ")";
        return config;
    } catch (const std::exception& error) {
        return Error{std::string("in-cluster config: ") + error.what()};
    }
}

Result<ClientConfig> parse_kubeconfig(const std::string& text, const std::string& path,
                                      const std::optional<std::string>& context) {
    try {
        if (text.size() > kMaxKubeconfigBytes) {
            return Error{"kubeconfig " + path + ": larger than 4 MiB"};
        }
        const YAML::Node root = YAML::Load(text);
        return KubeconfigReader(path, context).read(root);
    } catch (const YAML::Exception& error) {
        return Error{"kubeconfig " + path + " is not valid YAML: " + error.what()};
    } catch (const std::exception& error) {
        return Error{"kubeconfig " + path + ": " + error.what()};
    }
}

Result<ClientConfig> load_kubeconfig(const std::string& path,
                                     const std::optional<std::string>& context) {
    try {
        auto text = read_capped(path, kMaxKubeconfigBytes);
        if (!text.ok()) return Error{"kubeconfig: " + text.error()};
        return parse_kubeconfig(*text, path, context);
    } catch (const std::exception& error) {
        return Error{"kubeconfig " + path + ": " + error.what()};
    }
}

Result<ClientConfig> resolve_client_config(const std::string& kubeconfig,
                                           const std::string& kube_api,
                                           const InClusterEnvironment& environment) {
    if (!kube_api.empty()) {
        auto url = parse_server_url(kube_api);
        if (!url.ok()) return Error{"--kube-api: " + url.error()};
    }
    if (kubeconfig.empty() && kube_api.empty()) return load_in_cluster_config(environment);
    if (kubeconfig.empty()) {
        ClientConfig config;
        config.server = kube_api;
        config.description = "--kube-api " + kube_api;
        return config;
    }
    auto config = load_kubeconfig(kubeconfig);
    if (!config.ok()) return config;
    if (!kube_api.empty()) {
        config->server = kube_api;
        config->description = "kubeconfig " + kubeconfig + " with --kube-api " + kube_api;
    }
    return config;
}

}  // namespace piw::kube
