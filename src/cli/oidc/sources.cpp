#include "cli/oidc/sources.hpp"
#include "pod_identity_webhook/common/capped_read.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>

#include <nlohmann/json.hpp>

#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/kube/client_config.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"

namespace piw::cli::oidc_cli {
namespace {

using oidc::Finding;
using oidc::Severity;

constexpr std::chrono::milliseconds kFetchTimeout{10000};
constexpr std::size_t kMaxCaFileBytes = 1024 * 1024;

Finding error(std::string code, std::string message, std::string hint = {}) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

Result<std::string> read_stream(std::istream& in, const std::string& name, std::size_t cap) {
    std::string bytes;
    switch (piw::read_capped(in, cap, bytes)) {
        case CappedRead::too_large:
            return Error{name + ": larger than " + std::to_string(cap) + " bytes"};
        case CappedRead::failed:
            return Error{name + ": read failed"};
        case CappedRead::ok:
            break;
    }
    return bytes;
}

// "https://host[:port]/path" → server "https://host[:port]" and "/path".
Result<std::pair<std::string, std::string>> split_url(const std::string& url) {
    constexpr std::string_view kHttps = "https://";
    if (url.compare(0, kHttps.size(), kHttps) != 0) {
        return Error{url + ": only https:// URLs are fetched (STS fetches nothing else)"};
    }
    const std::size_t slash = url.find('/', kHttps.size());
    if (slash == std::string::npos) return std::make_pair(url, std::string("/"));
    return std::make_pair(url.substr(0, slash), url.substr(slash));
}

// The host of "https://host[:port]" (an IPv6 literal keeps its brackets).
std::string host_of(const std::string& server) {
    const std::string authority = server.substr(std::string_view("https://").size());
    const std::size_t colon = authority.rfind(':');
    const std::size_t bracket = authority.rfind(']');
    const bool has_port =
        colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
    return has_port ? authority.substr(0, colon) : authority;
}

Fetched fetched_from(const std::string& url, kube::ApiResponse response) {
    Fetched fetched;
    fetched.url = url;
    fetched.status = response.status;
    fetched.body = std::move(response.body);
    fetched.too_large = response.too_large;
    fetched.content_type = std::move(response.content_type);
    fetched.cache_control = std::move(response.cache_control);
    fetched.location = std::move(response.location);
    return fetched;
}

Result<Fetched> get(kube::KubeClient& client, const std::string& url, const std::string& path,
                    std::size_t cap) {
    kube::RequestOptions options;
    options.timeout = kFetchTimeout;
    options.max_body_bytes = cap;
    auto response = client.get(path, options);
    if (response.transport_failed() && !response.too_large) {
        return Error{client.description() + ": " + response.error};
    }
    return fetched_from(url, std::move(response));
}

Finding too_large(const Fetched& fetched, const std::string& what) {
    return error("document-too-large", what + " at " + fetched.url + " is larger than the cap",
                 "a discovery document or JWKS is a few KiB; this is not one");
}

// The message of a Kubernetes Status body, if it is one.
std::string status_message(const std::string& body) {
    const auto status = nlohmann::json::parse(body, nullptr, false);
    if (!status.is_object()) return {};
    const auto message = status.find("message");
    return message != status.end() && message->is_string() ? message->get<std::string>()
                                                           : std::string();
}

// The connection trusts only the bundle in `path` (never stdin: "-" is a file name here).
Status trust_ca_file(const std::string& path, kube::ClientConfig& config) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return Error{path + ": cannot open"};
    auto pem = read_stream(file, path, kMaxCaFileBytes);
    if (!pem) return Error{pem.error()};
    config.certificate_authority_pem = std::move(*pem);
    config.certificate_authority_file = path;
    return Status::success();
}

std::string default_kubeconfig() {
    if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
        const std::string paths(env);
        return paths.substr(0, paths.find(':'));  // kubectl merges the list; we take the first
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        const std::string path = std::string(home) + "/.kube/config";
        std::error_code ignored;
        if (std::filesystem::exists(path, ignored)) return path;
    }
    return {};
}

Result<kube::ClientConfig> apiserver_config(const Arguments& arguments) {
    if (arguments.has("server")) {
        kube::ClientConfig config;
        config.server = arguments.value("server");
        config.bearer_token_file = arguments.value("token-file");
        config.description = "--server " + config.server;
        if (arguments.has("ca-file")) {
            if (auto trusted = trust_ca_file(arguments.value("ca-file"), config); !trusted) {
                return Error{trusted.error()};
            }
        }
        return config;
    }
    const std::string kubeconfig = arguments.value("kubeconfig", default_kubeconfig());
    if (!kubeconfig.empty()) {
        std::optional<std::string> context;
        if (arguments.has("context")) context = arguments.value("context");
        return kube::load_kubeconfig(kubeconfig, context);
    }
    return kube::load_in_cluster_config(kube::InClusterEnvironment::from_process());
}

}  // namespace

Result<std::string> read_capped(const std::string& path, std::size_t cap, std::istream& in) {
    if (path == "-") return read_stream(in, "<stdin>", cap);
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) return Error{path + ": is a directory"};
    std::ifstream file(path, std::ios::binary);
    if (!file) return Error{path + ": cannot open"};
    return read_stream(file, path, cap);
}

Result<std::string> read_token(const std::string& path, std::istream& in) {
    constexpr std::size_t kMaxTokenFileBytes = 1024 * 1024;
    auto token = read_capped(path, kMaxTokenFileBytes, in);
    if (!token) return token;
    while (!token->empty() && std::isspace(static_cast<unsigned char>(token->back())) != 0) {
        token->pop_back();  // `kubectl create token` ends with a newline
    }
    return token;
}

Status write_file(const std::string& path, const std::string& bytes) {
    std::error_code failure;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, failure);
    if (failure) return Error{parent.string() + ": " + failure.message()};
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.close();
    if (!file) return Error{path + ": write failed"};
    return Status::success();
}

FetchOptions fetch_options(const Arguments& arguments, const std::string& ca_flag) {
    return {arguments.value(ca_flag), arguments.value("connect-to")};
}

Result<Fetched> fetch_url(const std::string& url, const FetchOptions& options, std::size_t cap) {
    auto parts = split_url(url);
    if (!parts) return Error{parts.error()};
    kube::ClientConfig config;
    config.server = parts->first;
    config.description = parts->first;
    if (!options.connect_to.empty()) {
        // The socket goes to connect_to; SNI and the certificate check use the URL's host.
        config.tls_server_name = host_of(parts->first);
        config.server = "https://" + options.connect_to;
        config.description = parts->first + " (via " + options.connect_to + ")";
    }
    if (!options.ca_file.empty()) {
        if (auto trusted = trust_ca_file(options.ca_file, config); !trusted) {
            return Error{trusted.error()};
        }
    }
    auto client = kube::KubeClient::create(std::move(config));
    if (!client) return Error{url + ": " + client.error()};
    return get(**client, url, parts->second, cap);
}

std::vector<Finding> public_fetch_findings(const Fetched& fetched, const std::string& what) {
    const std::string where = "GET " + fetched.url + " answered " + std::to_string(fetched.status);
    if (fetched.too_large) return {too_large(fetched, what)};
    switch (fetched.status) {
        case 200:
            return {};
        case 301:
        case 302:
        case 303:
        case 307:
        case 308:
            return {error("redirect",
                          where + (fetched.location.empty() ? "" : " → " + fetched.location) +
                              "; STS needs " + what + " at exactly this URL",
                          "the legacy global S3 endpoint redirects buckets outside us-east-1: use "
                          "the regional URL https://BUCKET.s3.REGION.amazonaws.com/PREFIX as the "
                          "issuer (oidc plan --url-style regional)")};
        case 400:
            return {error("bad-request", where + " for " + what,
                          "S3's legacy global endpoint answers 400 for buckets in Regions launched "
                          "after March 2019: use the regional URL")};
        case 403:
            return {error("access-denied",
                          where + ": " + what +
                              " is not publicly readable (S3 also answers 403 for a missing "
                              "object when anonymous users cannot list the bucket)",
                          "upload it, and allow s3:GetObject to Principal \"*\" on exactly the two "
                          "objects with a bucket policy (oidc plan prints it); Block Public "
                          "Access must allow public bucket policies; ACLs are disabled on new "
                          "buckets, so --acl public-read fails")};
        case 404:
            return {error("not-found", where + ": " + what + " is not published there",
                          "upload it: aws s3 cp --recursive OUT_DIR s3://BUCKET/PREFIX "
                          "--content-type application/json")};
        default:
            return {error("http-status", where + " for " + what, "STS needs a 200")};
    }
}

const std::vector<FlagSpec> kApiServerFlags = {
    {"kubeconfig"}, {"context"}, {"server"}, {"token-file"}, {"ca-file"}};

Result<ApiServerDocuments> fetch_from_apiserver(const Arguments& arguments, std::size_t cap) {
    auto config = apiserver_config(arguments);
    if (!config) return Error{config.error()};
    ApiServerDocuments documents;
    documents.description = config->description;
    const std::string server = config->server;
    auto client = kube::KubeClient::create(std::move(*config));
    if (!client) return Error{documents.description + ": " + client.error()};
    auto discovery = get(**client, server + std::string(oidc::kDiscoveryPath),
                         std::string(oidc::kDiscoveryPath), cap);
    if (!discovery) return Error{discovery.error()};
    documents.discovery = std::move(*discovery);
    auto jwks =
        get(**client, server + std::string(oidc::kJwksPath), std::string(oidc::kJwksPath), cap);
    if (!jwks) return Error{jwks.error()};
    documents.jwks = std::move(*jwks);
    return documents;
}

std::vector<Finding> apiserver_fetch_findings(const Fetched& fetched,
                                              const std::string& description) {
    if (fetched.too_large) return {too_large(fetched, "the API server's document")};
    const std::string server_says = status_message(fetched.body);
    const std::string where = "GET " + fetched.url + " answered " + std::to_string(fetched.status) +
                              (server_says.empty() ? "" : " (" + server_says + ")");
    switch (fetched.status) {
        case 200:
            return {};
        case 401:
            return {
                error("apiserver-unauthorized",
                      where + ": the API server did not accept the credentials of " + description,
                      "use an admin kubeconfig, or a ServiceAccount token: kubectl create "
                      "token default > sa.token, then --server URL --token-file sa.token "
                      "--ca-file ca.crt (Charmed Kubernetes runs with anonymous-auth=false, "
                      "so an anonymous fetch never works there)")};
        case 403:
            return {error("apiserver-forbidden", where,
                          "reading the two paths needs the ClusterRole "
                          "system:service-account-issuer-discovery, bound by default to "
                          "ServiceAccounts only (group system:serviceaccounts): use a "
                          "ServiceAccount token (kubectl create token default), or bind it: "
                          "kubectl create clusterrolebinding oidc-reviewer "
                          "--clusterrole=system:service-account-issuer-discovery --user=YOU")};
        case 404:
            return {error("apiserver-discovery-not-served", where,
                          "kube-apiserver leaves the endpoints out when --service-account-issuer "
                          "or --service-account-jwks-uri is not an https URL (its log says "
                          "\"Could not construct pre-rendered responses\"); set both (oidc plan "
                          "--platform … prints the flags)")};
        default:
            return {error("apiserver-http-status", where,
                          fetched.status >= 300 && fetched.status < 400
                              ? "redirects are not followed; point --server or the kubeconfig "
                                "at the API server itself"
                              : "")};
    }
}

}  // namespace piw::cli::oidc_cli
