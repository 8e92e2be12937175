// `oidc check` (spec/oidc.md §6.2): online, what STS does — an anonymous GET of the issuer's
// discovery document and of its jwks_uri, TLS verified, redirects and 403/404 reported — then the
// `discovery --check` rules, and with --token the `verify-token` checks against what is published.

#include <ostream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/published_documents.hpp"
#include "cli/oidc/report.hpp"
#include "cli/oidc/sources.hpp"
#include "cli/oidc/token_view.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"
#include "pod_identity_webhook/oidc/jwt.hpp"

namespace piw::cli::oidc_cli {
namespace {

constexpr const char* kCommand = "oidc check";

const std::vector<FlagSpec> kFlags =
    with_common_flags({{"issuer"}, {"ca-file"}, {"connect-to"}, {"token"}, {"audience"}, {"now"}});

}  // namespace

int run_check(const Words& args, Io io) {
    int exit_code = kExitOk;
    auto invocation = start(args, kFlags, "check", io, exit_code);
    if (!invocation) return exit_code;
    const Arguments& arguments = invocation->arguments;
    const OutputOptions& output = invocation->output;
    if (!arguments.has("issuer")) return fail_usage("--issuer is required", kCommand, io.err);
    auto now = parse_time(arguments.value("now"));
    if (!now) return fail_usage(now.error(), kCommand, io.err);
    const std::string issuer = arguments.value("issuer");

    Report report;
    report.add(oidc::validate_issuer(issuer));
    if (oidc::has_errors(report.findings)) return finish(std::move(report), output, io.out, io.err);
    auto fetched = fetch_published_documents(issuer, fetch_options(arguments, "ca-file"), report);
    if (!fetched) return fail_io(fetched.error(), output, io.out, io.err);
    const auto parsed = check_document_bytes(fetched->discovery, fetched->jwks, issuer, report);
    report.text = "Checked " + issuer + std::string(oidc::kDiscoveryPath) + "\n";
    report.data["issuer"] = issuer;
    report.data["keys"] = parsed.jwks ? parsed.jwks->size() : 0;
    if (arguments.has("token")) {
        auto token = read_token(arguments.value("token"), io.in);
        if (!token) return fail_io(token.error(), output, io.out, io.err);
        oidc::TokenExpectations expected;
        expected.issuer = issuer;
        expected.audience = arguments.value("audience", "sts.amazonaws.com");
        expected.now = *now;
        const auto keys =
            parsed.jwks ? oidc::verification_keys(*parsed.jwks) : std::vector<oidc::PublicKey>{};
        const oidc::TokenReport verified = oidc::verify_token(*token, keys, expected);
        report.add(verified.findings);
        describe_token(verified, expected, report);
    }
    return finish(std::move(report), output, io.out, io.err);
}

}  // namespace piw::cli::oidc_cli
