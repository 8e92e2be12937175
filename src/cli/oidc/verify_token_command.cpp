// `oidc verify-token` (spec/oidc.md §3, §6.2): a projected ServiceAccount token checked the way
// STS checks it, against a JWKS (file or URL) or the issuer's discovery documents, optionally
// against the role's trust policy. Prints the header and the claims, never the signature.

#include <charconv>
#include <ctime>
#include <filesystem>
#include <ostream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/published_documents.hpp"
#include "cli/oidc/report.hpp"
#include "cli/oidc/sources.hpp"
#include "cli/oidc/token_view.hpp"
#include "pod_identity_webhook/oidc/jwt.hpp"
#include "pod_identity_webhook/oidc/trust_policy.hpp"

namespace piw::cli::oidc_cli {
namespace {

using oidc::Severity;

constexpr const char* kCommand = "oidc verify-token";
constexpr std::size_t kMaxPolicyFileBytes = 64 * 1024;

const std::vector<FlagSpec> kFlags = with_common_flags({{"token"},
                                                        {"jwks"},
                                                        {"discovery"},
                                                        {"issuer"},
                                                        {"audience"},
                                                        {"trust-policy"},
                                                        {"now"},
                                                        {"skew"},
                                                        {"ca-file"},
                                                        {"connect-to"}});

struct KeySource {
    std::vector<oidc::PublicKey> keys;
    std::string issuer;  // from the discovery document, when there was one
};

bool is_url(const std::string& target) {
    return target.rfind("https://", 0) == 0;
}

// The documents named by --discovery (URL, directory or file) and --jwks (URL or file).
Result<std::pair<std::optional<std::string>, std::optional<std::string>>> document_bytes(
    const Arguments& arguments, std::istream& in, Report& report) {
    std::optional<std::string> discovery;
    std::optional<std::string> jwks;
    const FetchOptions fetching = fetch_options(arguments, "ca-file");
    const std::string target = arguments.value("discovery");
    if (is_url(target)) {
        auto fetched = fetch_published_documents(target, fetching, report);
        if (!fetched) return Error{fetched.error()};
        discovery = std::move(fetched->discovery);
        jwks = std::move(fetched->jwks);
    } else if (std::error_code ignored;
               !target.empty() && std::filesystem::is_directory(target, ignored)) {
        auto read = read_document_dir(target, in);
        if (!read) return Error{read.error()};
        discovery = std::move(read->discovery);
        jwks = std::move(read->jwks);
    } else if (!target.empty()) {
        auto read = read_capped(target, oidc::kMaxDocumentBytes, in);
        if (!read) return Error{read.error()};
        discovery = std::move(*read);
    }
    const std::string jwks_source = arguments.value("jwks");
    if (!jwks_source.empty()) {
        if (is_url(jwks_source)) {
            auto fetched = fetch_url(jwks_source, fetching, oidc::kMaxDocumentBytes);
            if (!fetched) return Error{fetched.error()};
            report.add(public_fetch_findings(*fetched, "the JWKS"));
            if (fetched->status == 200) jwks = std::move(fetched->body);
        } else {
            auto read = read_capped(jwks_source, oidc::kMaxDocumentBytes, in);
            if (!read) return Error{read.error()};
            jwks = std::move(*read);
        }
    }
    return std::make_pair(std::move(discovery), std::move(jwks));
}

Result<KeySource> key_source(const Arguments& arguments, std::istream& in, Report& report) {
    auto bytes = document_bytes(arguments, in, report);
    if (!bytes) return Error{bytes.error()};
    auto& [discovery, jwks] = *bytes;
    if (discovery && !jwks) {
        // A discovery file alone: its jwks_uri is where STS would look.
        auto parsed = oidc::parse_openid_configuration(*discovery);
        if (parsed && is_url(parsed->jwks_uri)) {
            auto fetched = fetch_url(parsed->jwks_uri, fetch_options(arguments, "ca-file"),
                                     oidc::kMaxDocumentBytes);
            if (!fetched) return Error{fetched.error()};
            report.add(public_fetch_findings(*fetched, "the JWKS"));
            if (fetched->status == 200) jwks = std::move(fetched->body);
        }
    }
    const auto parsed = check_document_bytes(discovery, jwks, arguments.value("issuer"), report);
    KeySource source;
    if (parsed.jwks) source.keys = oidc::verification_keys(*parsed.jwks);
    if (parsed.discovery) source.issuer = parsed.discovery->issuer;
    return source;
}

Result<oidc::TokenExpectations> expectations(const Arguments& arguments, const KeySource& source,
                                             std::int64_t now) {
    oidc::TokenExpectations expected;
    expected.issuer = arguments.value("issuer", source.issuer);
    expected.audience = arguments.value("audience", "sts.amazonaws.com");
    expected.now = now;
    if (arguments.has("skew")) {
        const std::string text = arguments.value("skew");
        std::int64_t skew = -1;
        const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), skew);
        if (failure != std::errc() || end != text.data() + text.size() || skew < 0) {
            return Error{"--skew must be a number of seconds, not \"" + text + "\""};
        }
        expected.skew = skew;
    }
    return expected;
}

// The audience IAM's :aud key would carry: the expected one when the token has it.
std::string token_audience(const nlohmann::json& claims, const std::string& expected) {
    const auto aud = claims.find("aud");
    if (aud == claims.end()) return {};
    if (aud->is_string()) return aud->get<std::string>();
    if (!aud->is_array() || aud->empty()) return {};
    for (const auto& value : *aud) {
        if (value == expected) return expected;
    }
    return aud->front().is_string() ? aud->front().get<std::string>() : std::string();
}

void check_trust_policy(const Arguments& arguments, const oidc::TokenReport& token,
                        const oidc::TokenExpectations& expected, std::istream& in, Report& report,
                        Status& io) {
    auto policy = read_capped(arguments.value("trust-policy"), kMaxPolicyFileBytes, in);
    if (!policy) {
        io = Error{policy.error()};
        return;
    }
    const auto& claims = token.jws.claims;
    const std::string iss = oidc::claim_string(claims, {"iss"});
    const std::string sub = oidc::claim_string(claims, {"sub"});
    const std::string aud = token_audience(claims, expected.audience);
    report.add(oidc::check_trust_policy_for_issuer(*policy, iss));
    auto admitted = oidc::evaluate_trust_policy(*policy, sub, aud);
    if (!admitted) {
        report.add({Severity::error, "trust-policy-not-evaluated", admitted.error(), ""});
    } else if (!*admitted) {
        report.add({Severity::error, "trust-policy-denies",
                    "the trust policy does not admit sub " + sub + " with aud " + aud,
                    "the role's :sub condition must match system:serviceaccount:NS:NAME"});
    }
    report.data["trust_policy_admits"] = admitted.ok() && *admitted;
}

}  // namespace

int run_verify_token(const Words& args, Io io) {
    int exit_code = kExitOk;
    auto invocation = start(args, kFlags, "verify-token", io, exit_code);
    if (!invocation) return exit_code;
    const Arguments& arguments = invocation->arguments;
    const OutputOptions& output = invocation->output;
    if (!arguments.has("token") || (!arguments.has("jwks") && !arguments.has("discovery"))) {
        return fail_usage("--token and one of --jwks or --discovery are required", kCommand,
                          io.err);
    }
    const auto now = parse_time(arguments.value("now"));  // before any fetching
    if (!now) return fail_usage(now.error(), kCommand, io.err);
    auto token = read_token(arguments.value("token"), io.in);
    if (!token) return fail_io(token.error(), output, io.out, io.err);
    Report report;
    auto keys = key_source(arguments, io.in, report);
    if (!keys) return fail_io(keys.error(), output, io.out, io.err);
    auto expected = expectations(arguments, *keys, *now);
    if (!expected) return fail_usage(expected.error(), kCommand, io.err);
    if (expected->issuer.empty()) {
        report.add({Severity::warning, "issuer-not-compared",
                    "the token's iss was not compared with anything",
                    "give --issuer (the IAM provider URL) or --discovery"});
    }
    oidc::TokenReport verified = oidc::verify_token(*token, keys->keys, *expected);
    report.add(verified.findings);
    Status policy_io;
    if (verified.parsed && arguments.has("trust-policy")) {
        check_trust_policy(arguments, verified, *expected, io.in, report, policy_io);
        if (!policy_io) return fail_io(policy_io.error(), output, io.out, io.err);
    }
    describe_token(verified, *expected, report);
    return finish(std::move(report), output, io.out, io.err);
}

}  // namespace piw::cli::oidc_cli
