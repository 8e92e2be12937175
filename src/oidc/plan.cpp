#include "pod_identity_webhook/oidc/plan.hpp"

#include "pod_identity_webhook/oidc/discovery.hpp"
#include "pod_identity_webhook/oidc/trust_policy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace piw::oidc {
namespace {

Finding error(std::string code, std::string message, std::string hint = {}) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool looks_like_ip_address(std::string_view name) {
    return std::count(name.begin(), name.end(), '.') == 3 &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Names S3 reserves for its own features.
bool is_reserved(std::string_view name) {
    constexpr std::array<std::string_view, 3> kPrefixes = {"xn--", "sthree-", "amzn-s3-demo-"};
    constexpr std::array<std::string_view, 5> kSuffixes = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                                           "--table-s3"};
    return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                       [&](std::string_view p) { return starts_with(name, p); }) ||
           std::any_of(kSuffixes.begin(), kSuffixes.end(),
                       [&](std::string_view s) { return ends_with(name, s); });
}

bool is_region(std::string_view region) {
    return !region.empty() && is_lower_alnum(region.front()) &&
           std::all_of(region.begin(), region.end(),
                       [](char c) { return is_lower_alnum(c) || c == '-'; });
}

std::string s3_domain(std::string_view partition) {
    return partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string issuer_of(const PlanRequest& r) {
    const std::string domain = s3_domain(r.partition);
    std::string base;
    switch (r.url_style) {
        case UrlStyle::regional:
            base = "https://" + r.bucket + ".s3." + r.region + "." + domain;
            break;
        case UrlStyle::path:
            base = "https://s3." + r.region + "." + domain + "/" + r.bucket;
            break;
        case UrlStyle::global:
            base = "https://" + r.bucket + ".s3." + domain;
            break;
    }
    return r.prefix.empty() ? base : base + "/" + r.prefix;
}

std::string object_key(std::string_view prefix, std::string_view path) {
    // kDiscoveryPath/kJwksPath start with '/'; object keys must not.
    const std::string relative(path.substr(1));
    return prefix.empty() ? relative : std::string(prefix) + "/" + relative;
}

std::string bucket_policy(const PlanRequest& r, const Plan& plan) {
    const std::string arn = "arn:" + r.partition + ":s3:::" + r.bucket + "/";
    const nlohmann::ordered_json statement = {
        {"Sid", "PublicReadOfOidcDocuments"},
        {"Effect", "Allow"},
        {"Principal", "*"},
        {"Action", "s3:GetObject"},
        {"Resource", {arn + plan.discovery_object_key, arn + plan.jwks_object_key}}};
    const nlohmann::ordered_json policy = {
        {"Version", "2012-10-17"}, {"Statement", nlohmann::ordered_json::array({statement})}};
    return policy.dump(
        2, ' ', false,
        nlohmann::json::error_handler_t::replace);  // a bad bucket name is a finding, not a throw
}

std::vector<std::string> commands(const PlanRequest& r, const Plan& plan) {
    const std::string s3 = "s3://" + r.bucket + "/";
    return {
        "aws s3api put-bucket-policy --bucket " + r.bucket + " --policy file://bucket-policy.json",
        "aws s3 cp OUT_DIR/.well-known/openid-configuration " + s3 + plan.discovery_object_key +
            " --content-type application/json",
        "aws s3 cp OUT_DIR/openid/v1/jwks " + s3 + plan.jwks_object_key +
            " --content-type application/json",
        "aws iam create-open-id-connect-provider --url " + plan.issuer + " --client-id-list " +
            r.audience,
    };
}

void validate_request(const PlanRequest& r, std::vector<Finding>& findings) {
    if (!is_region(r.region)) {
        findings.push_back(error("region-invalid", "\"" + r.region + "\" is not an AWS Region name",
                                 "e.g. eu-west-1"));
    }
    if (r.partition != "aws" && r.partition != "aws-cn" && r.partition != "aws-us-gov") {
        findings.push_back(error("partition-invalid", "unknown partition \"" + r.partition + "\"",
                                 "aws, aws-cn or aws-us-gov"));
    }
    if (starts_with(r.prefix, "/") || ends_with(r.prefix, "/")) {
        findings.push_back(error("prefix-slash", "the prefix starts or ends with '/'",
                                 "write it without slashes at either end, e.g. my-cluster"));
    }
    if (r.url_style == UrlStyle::global && r.region != "us-east-1") {
        findings.push_back({Severity::warning, "global-endpoint-region",
                            "the legacy global endpoint may answer 307 (or 400 in Regions "
                            "launched after March 2019) for a bucket in " +
                                r.region,
                            "use --url-style regional"});
    }
    if (!r.account.empty() &&
        (r.account.size() != 12 || !std::all_of(r.account.begin(), r.account.end(),
                                                [](char c) { return c >= '0' && c <= '9'; }))) {
        findings.push_back(
            error("account-invalid", "\"" + r.account + "\" is not a 12-digit account ID"));
    }
}

Finding warning(std::string code, std::string message, std::string hint = {}) {
    return {Severity::warning, std::move(code), std::move(message), std::move(hint)};
}

// api-extra-args: space-separated "key=value" or bare "key"; the charm turns it into a dict, so a
// key given twice keeps its last value — and so does this merge.
std::string merge_extra_args(std::string_view current,
                             const std::vector<std::pair<std::string, std::string>>& updates) {
    std::vector<std::pair<std::string, std::string>> args;  // key, whole token
    std::size_t start = 0;
    while (start < current.size()) {
        const std::size_t space = current.find_first_of(" \t\n", start);
        const std::string token(current.substr(start, space - start));
        if (!token.empty()) {
            const std::string key = token.substr(0, token.find('='));
            const auto existing = std::find_if(args.begin(), args.end(),
                                               [&key](const auto& a) { return a.first == key; });
            if (existing != args.end()) {
                existing->second = token;
            } else {
                args.emplace_back(key, token);
            }
        }
        if (space == std::string_view::npos) break;
        start = space + 1;
    }
    // Not a structured binding: clang before 16 cannot capture one in a lambda (fuzz/ builds
    // this room with clang 14).
    for (const auto& update : updates) {
        const std::string& key = update.first;
        const std::string token = key + "=" + update.second;
        const auto existing = std::find_if(args.begin(), args.end(),
                                           [&key](const auto& a) { return a.first == key; });
        if (existing != args.end()) {
            existing->second = token;
        } else {
            args.emplace_back(key, token);
        }
    }
    std::string out;
    for (const auto& arg : args) {
        if (!out.empty()) out.push_back(' ');
        out += arg.second;
    }
    return out;
}

PlatformSnippet charmed_snippet(std::string_view issuer, std::string_view jwks_uri,
                                std::string_view current) {
    PlatformSnippet snippet;
    const std::string merged =
        merge_extra_args(current, {{"service-account-issuer", std::string(issuer)},
                                   {"service-account-jwks-uri", std::string(jwks_uri)}});
    snippet.lines.push_back("juju config kubernetes-control-plane api-extra-args=\"" + merged +
                            "\"");
    if (current.empty()) {
        snippet.findings.push_back(warning(
            "charmed-extra-args-unknown", "juju config replaces the whole api-extra-args value",
            "read it first (juju config kubernetes-control-plane api-extra-args) and pass it as "
            "--current-extra-args, or the existing flags are lost"));
    }
    snippet.findings.push_back(warning(
        "charmed-issuer-replaced",
        "the charm cannot repeat --service-account-issuer: the new issuer replaces "
        "https://kubernetes.default.svc, so tokens issued before are rejected until renewed "
        "(at most 24 h) and the default API audiences change",
        "restart workloads (rolling) after the API servers restart"));
    snippet.findings.push_back({Severity::info, "charmed-authenticated-fetch",
                                "Charmed sets anonymous-auth=false: fetch the documents with "
                                "credentials (admin kubeconfig or a ServiceAccount token)",
                                ""});
    return snippet;
}

}  // namespace

std::vector<Finding> validate_bucket_name(std::string_view bucket, UrlStyle style) {
    std::vector<Finding> findings;
    const bool charset = std::all_of(bucket.begin(), bucket.end(), [](char c) {
        return is_lower_alnum(c) || c == '.' || c == '-';
    });
    if (bucket.size() < 3 || bucket.size() > 63 || !charset || !is_lower_alnum(bucket.front()) ||
        !is_lower_alnum(bucket.back()) || bucket.find("..") != std::string_view::npos ||
        looks_like_ip_address(bucket) || is_reserved(bucket)) {
        findings.push_back(error("bucket-name-invalid",
                                 "\"" + std::string(bucket) + "\" is not a valid S3 bucket name",
                                 "3–63 lowercase letters, digits, '-' and '.', starting and ending "
                                 "with a letter or digit"));
    }
    if (style != UrlStyle::path && bucket.find('.') != std::string_view::npos) {
        findings.push_back(error("bucket-name-dots",
                                 "a bucket name with dots breaks the *.s3 wildcard TLS certificate "
                                 "in virtual-hosted URLs",
                                 "choose a name without dots, or --url-style path"));
    }
    return findings;
}

Plan make_plan(const PlanRequest& request) {
    Plan plan;
    plan.findings = validate_bucket_name(request.bucket, request.url_style);
    validate_request(request, plan.findings);
    for (Finding& finding : validate_audience(request.audience))
        plan.findings.push_back(std::move(finding));
    plan.issuer = issuer_of(request);
    for (Finding& finding : validate_issuer(plan.issuer))
        plan.findings.push_back(std::move(finding));
    plan.jwks_uri = default_jwks_uri(plan.issuer);
    plan.discovery_object_key = object_key(request.prefix, kDiscoveryPath);
    plan.jwks_object_key = object_key(request.prefix, kJwksPath);
    plan.condition_key_prefix = provider_host_path(plan.issuer);
    if (!request.account.empty()) {
        plan.provider_arn = provider_arn(request.partition, request.account, plan.issuer);
    }
    plan.bucket_policy = bucket_policy(request, plan);
    plan.commands = commands(request, plan);
    return plan;
}

PlatformSnippet platform_snippet(Platform platform, std::string_view issuer,
                                 std::string_view jwks_uri, std::string_view current_extra_args) {
    const std::string iss(issuer);
    const std::string jwks(jwks_uri);
    PlatformSnippet snippet;
    switch (platform) {
        case Platform::charmed:
            return charmed_snippet(issuer, jwks_uri, current_extra_args);
        case Platform::canonical_k8s:
            snippet.lines.push_back(
                "juju deploy k8s --config kube-apiserver-extra-args=\""
                "service-account-issuer=" +
                iss + " service-account-jwks-uri=" + jwks + "\"");
            snippet.findings.push_back(warning("canonical-k8s-deploy-time",
                                               "the k8s charm reads kube-apiserver-extra-args only "
                                               "at deployment",
                                               "set it when deploying the cluster"));
            return snippet;
        case Platform::kubeadm:
            // New issuer first: the first one signs, all are accepted (old tokens keep working).
            snippet.lines = {
                "# /etc/kubernetes/manifests/kube-apiserver.yaml on every control-plane node, "
                "above the existing --service-account-issuer:",
                "    - --service-account-issuer=" + iss, "    - --service-account-jwks-uri=" + jwks,
                "# kubeadm-config ClusterConfiguration (v1beta4) so that upgrades keep it:",
                "extraArgs: [{name: service-account-issuer, value: " + iss +
                    "}, {name: service-account-issuer, value: "
                    "https://kubernetes.default.svc.cluster.local}, {name: "
                    "service-account-jwks-uri, value: " +
                    jwks + "}]"};
            return snippet;
        case Platform::k3s:
        case Platform::rke2:
            // "key-=value" prepends to k3s's default, keeping the old issuer accepted.
            snippet.lines = {"--kube-apiserver-arg=service-account-issuer-=" + iss +
                                 " --kube-apiserver-arg=service-account-jwks-uri=" + jwks,
                             std::string("# or in /etc/rancher/") +
                                 (platform == Platform::k3s ? "k3s" : "rke2") +
                                 "/config.yaml, then restart the service:",
                             "kube-apiserver-arg:", "  - service-account-issuer-=" + iss,
                             "  - service-account-jwks-uri=" + jwks};
            return snippet;
        case Platform::microk8s:
            snippet.lines = {
                "# /var/snap/microk8s/current/args/kube-apiserver, above the existing "
                "--service-account-issuer line:",
                "--service-account-issuer=" + iss, "--service-account-jwks-uri=" + jwks,
                "microk8s stop && microk8s start"};
            return snippet;
    }
    return snippet;
}

}  // namespace piw::oidc
