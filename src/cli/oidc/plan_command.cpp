// `oidc plan` (spec/oidc.md §6.2): the issuer, S3 layout, bucket policy, aws commands and the
// API server flags for a bucket, offline.

#include <ostream>
#include <sstream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/report.hpp"
#include "pod_identity_webhook/oidc/plan.hpp"

namespace piw::cli::oidc_cli {
namespace {

const std::vector<FlagSpec> kFlags = with_common_flags({{"bucket"},
                                                        {"region"},
                                                        {"prefix"},
                                                        {"url-style"},
                                                        {"account"},
                                                        {"partition"},
                                                        {"audience"},
                                                        {"platform"},
                                                        {"current-extra-args"}});

Result<oidc::UrlStyle> url_style(const std::string& text) {
    if (text == "regional") return oidc::UrlStyle::regional;
    if (text == "path") return oidc::UrlStyle::path;
    if (text == "global") return oidc::UrlStyle::global;
    return Error{"--url-style must be regional, path or global, not \"" + text + "\""};
}

Result<oidc::Platform> platform(const std::string& text) {
    using oidc::Platform;
    if (text == "charmed") return Platform::charmed;
    if (text == "canonical-k8s") return Platform::canonical_k8s;
    if (text == "kubeadm") return Platform::kubeadm;
    if (text == "k3s") return Platform::k3s;
    if (text == "rke2") return Platform::rke2;
    if (text == "microk8s") return Platform::microk8s;
    return Error{
        "--platform must be charmed, canonical-k8s, kubeadm, k3s, rke2 or microk8s, not \"" + text +
        "\""};
}

Result<oidc::PlanRequest> plan_request(const Arguments& arguments) {
    if (!arguments.has("bucket") || !arguments.has("region")) {
        return Error{"--bucket and --region are required"};
    }
    oidc::PlanRequest request;
    request.bucket = arguments.value("bucket");
    request.region = arguments.value("region");
    request.prefix = arguments.value("prefix");
    auto style = url_style(arguments.value("url-style", "regional"));
    if (!style) return Error{style.error()};
    request.url_style = *style;
    request.account = arguments.value("account");
    request.partition = arguments.value("partition", "aws");
    request.audience = arguments.value("audience", "sts.amazonaws.com");
    return request;
}

std::string plan_text(const oidc::Plan& plan, const oidc::PlanRequest& request,
                      const oidc::PlatformSnippet* snippet) {
    std::ostringstream text;
    text << "Issuer:              " << plan.issuer << "\n"
         << "JWKS URI:            " << plan.jwks_uri << "\n"
         << "S3 objects:          s3://" << request.bucket << "/" << plan.discovery_object_key
         << "\n"
         << "                     s3://" << request.bucket << "/" << plan.jwks_object_key << "\n"
         << "OIDC provider ARN:   "
         << (plan.provider_arn.empty() ? "(give --account to compute it)" : plan.provider_arn)
         << "\n"
         << "Condition keys:      " << plan.condition_key_prefix << ":sub, "
         << plan.condition_key_prefix << ":aud\n"
         << "Audience:            " << request.audience << "\n\n"
         << "Bucket policy (public read of exactly the two documents):\n"
         << plan.bucket_policy << "\n\nCommands:\n";
    for (const auto& command : plan.commands) text << "  " << command << "\n";
    if (snippet != nullptr) {
        text << "\nAPI server flags:\n";
        for (const auto& line : snippet->lines) text << "  " << line << "\n";
    }
    return text.str();
}

nlohmann::ordered_json plan_json(const oidc::Plan& plan, const oidc::PlanRequest& request,
                                 const oidc::PlatformSnippet* snippet) {
    nlohmann::ordered_json data = {
        {"issuer", plan.issuer},
        {"jwks_uri", plan.jwks_uri},
        {"bucket", request.bucket},
        {"object_keys", {plan.discovery_object_key, plan.jwks_object_key}},
        {"provider_arn", plan.provider_arn},
        {"condition_key_prefix", plan.condition_key_prefix},
        {"audience", request.audience},
        {"bucket_policy", nlohmann::ordered_json::parse(plan.bucket_policy, nullptr, false)},
        {"commands", plan.commands}};
    if (snippet != nullptr) data["platform_flags"] = snippet->lines;
    return data;
}

}  // namespace

int run_plan(const Words& args, Io io) {
    int exit_code = kExitOk;
    auto invocation = start(args, kFlags, "plan", io, exit_code);
    if (!invocation) return exit_code;
    const Arguments& arguments = invocation->arguments;
    const OutputOptions& output = invocation->output;
    auto request = plan_request(arguments);
    if (!request) return fail_usage(request.error(), "oidc plan", io.err);
    std::optional<oidc::PlatformSnippet> snippet;
    const oidc::Plan plan = oidc::make_plan(*request);
    if (arguments.has("platform")) {
        auto which = platform(arguments.value("platform"));
        if (!which) return fail_usage(which.error(), "oidc plan", io.err);
        snippet = oidc::platform_snippet(*which, plan.issuer, plan.jwks_uri,
                                         arguments.value("current-extra-args"));
    } else if (arguments.has("current-extra-args")) {
        return fail_usage("--current-extra-args needs --platform charmed", "oidc plan", io.err);
    }
    Report report;
    report.add(plan.findings);
    if (snippet) report.add(snippet->findings);
    const oidc::PlatformSnippet* platform_lines = snippet ? &*snippet : nullptr;
    report.text = plan_text(plan, *request, platform_lines);
    report.data = plan_json(plan, *request, platform_lines);
    return finish(std::move(report), output, io.out, io.err);
}

}  // namespace piw::cli::oidc_cli
