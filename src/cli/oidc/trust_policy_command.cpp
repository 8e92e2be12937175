// `oidc trust-policy` (spec/oidc.md §2.5, §6.2): the IRSA role trust policy for service accounts
// or namespaces, the CreateOpenIDConnectProvider input, and an offline answer to "does this
// policy admit system:serviceaccount:NS:NAME?" — for a rendered policy or an existing one.

#include <ostream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/report.hpp"
#include "cli/oidc/sources.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"
#include "pod_identity_webhook/oidc/trust_policy.hpp"

namespace piw::cli::oidc_cli {
namespace {

using oidc::Severity;

constexpr const char* kCommand = "oidc trust-policy";
constexpr std::size_t kMaxPolicyFileBytes = 64 * 1024;

const std::vector<FlagSpec> kFlags = with_common_flags({{"issuer"},
                                                        {"account"},
                                                        {"partition"},
                                                        {"audience"},
                                                        {"service-account", true, true},
                                                        {"namespace", true, true},
                                                        {"no-aud", false},
                                                        {"allow-partial-wildcards", false},
                                                        {"allow-all", false},
                                                        {"evaluate", true, true},
                                                        {"policy"},
                                                        {"provider-input", false}});

std::string audience_of(const Arguments& arguments) {
    return arguments.value("audience", "sts.amazonaws.com");
}

oidc::TrustPolicyRequest policy_request(const Arguments& arguments) {
    oidc::TrustPolicyRequest request;
    request.issuer = arguments.value("issuer");
    request.account = arguments.value("account");
    request.partition = arguments.value("partition", "aws");
    request.audience = audience_of(arguments);
    request.service_accounts = arguments.values("service-account");
    request.namespaces = arguments.values("namespace");
    request.include_aud = !arguments.has("no-aud");
    request.allow_partial_wildcards = arguments.has("allow-partial-wildcards");
    request.allow_all = arguments.has("allow-all");
    return request;
}

// --evaluate SUB…: one line (and one JSON entry) per subject; a refusal is an error finding so
// that scripts can rely on the exit code.
void evaluate(const Arguments& arguments, const std::string& policy, Report& report) {
    report.data["evaluations"] = nlohmann::ordered_json::array();
    const std::string aud = audience_of(arguments);
    for (const std::string& subject : arguments.values("evaluate")) {
        auto admitted = oidc::evaluate_trust_policy(policy, subject, aud);
        if (!admitted) {
            report.add({Severity::error, "trust-policy-not-evaluated", admitted.error(), ""});
            continue;
        }
        report.text += subject + (*admitted ? "  admitted\n" : "  NOT admitted\n");
        report.data["evaluations"].push_back(
            {{"subject", subject}, {"audience", aud}, {"admitted", *admitted}});
        if (!*admitted) {
            report.add({Severity::error, "trust-policy-denies",
                        "the policy does not admit " + subject + " with aud " + aud,
                        "add the subject (or its namespace) to the :sub condition"});
        }
    }
}

int provider_input(const Arguments& arguments, const OutputOptions& output, Io io) {
    if (!arguments.has("issuer"))
        return fail_usage("--provider-input needs --issuer", kCommand, io.err);
    Report report;
    report.add(oidc::validate_issuer(arguments.value("issuer")));
    report.add(oidc::validate_audience(audience_of(arguments)));
    const nlohmann::ordered_json input = {{"Url", arguments.value("issuer")},
                                          {"ClientIDList", {audience_of(arguments)}}};
    report.text = input.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    report.data["provider_input"] = input;
    return finish(std::move(report), output, io.out, io.err);
}

// --policy FILE: an existing policy (e.g. from aws iam get-role) checked and evaluated.
int existing_policy(const Arguments& arguments, const OutputOptions& output, Io io) {
    auto policy = read_capped(arguments.value("policy"), kMaxPolicyFileBytes, io.in);
    if (!policy) return fail_io(policy.error(), output, io.out, io.err);
    Report report;
    if (arguments.has("issuer")) {
        report.add(oidc::check_trust_policy_for_issuer(*policy, arguments.value("issuer")));
    }
    evaluate(arguments, *policy, report);
    return finish(std::move(report), output, io.out, io.err);
}

int rendered_policy(const Arguments& arguments, const OutputOptions& output, Io io) {
    if (!arguments.has("issuer") || !arguments.has("account")) {
        return fail_usage("--issuer and --account are required", kCommand, io.err);
    }
    if (!arguments.has("service-account") && !arguments.has("namespace")) {
        return fail_usage("give at least one --service-account NS:NAME or --namespace NS", kCommand,
                          io.err);
    }
    const oidc::TrustPolicy policy = oidc::render_trust_policy(policy_request(arguments));
    Report report;
    report.add(policy.findings);
    if (!policy.json.empty()) {
        report.data["policy"] = nlohmann::ordered_json::parse(policy.json, nullptr, false);
        if (arguments.has("evaluate")) {
            evaluate(arguments, policy.json, report);
        } else {
            report.text = policy.json + "\n";
        }
    }
    return finish(std::move(report), output, io.out, io.err);
}

}  // namespace

int run_trust_policy(const Words& args, Io io) {
    int exit_code = kExitOk;
    auto invocation = start(args, kFlags, "trust-policy", io, exit_code);
    if (!invocation) return exit_code;
    const Arguments& arguments = invocation->arguments;
    const OutputOptions& output = invocation->output;
    if (arguments.has("provider-input")) return provider_input(arguments, output, io);
    if (arguments.has("policy")) {
        if (!arguments.has("evaluate") && !arguments.has("issuer")) {
            return fail_usage("--policy needs --evaluate SUB or --issuer URL", kCommand, io.err);
        }
        return existing_policy(arguments, output, io);
    }
    return rendered_policy(arguments, output, io);
}

}  // namespace piw::cli::oidc_cli
