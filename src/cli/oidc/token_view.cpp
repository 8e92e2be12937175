#include "cli/oidc/token_view.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace piw::cli::oidc_cli {
namespace {

std::string duration_text(std::int64_t seconds) {
    const std::int64_t days = seconds / 86400;
    const std::int64_t hours = seconds % 86400 / 3600;
    const std::int64_t minutes = seconds % 3600 / 60;
    if (days > 0) return std::to_string(days) + "d " + std::to_string(hours) + "h";
    if (hours > 0) return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
    return std::to_string(minutes) + "m " + std::to_string(seconds % 60) + "s";
}

std::string json_text(const nlohmann::json& value) {
    return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "pod payments/api-0, node worker-1" from the kubernetes.io claim.
std::string binding_text(const nlohmann::json& claims) {
    std::string text;
    const std::string ns = oidc::claim_string(claims, {"kubernetes.io", "namespace"});
    for (const char* kind : {"pod", "secret", "node"}) {
        const std::string name = oidc::claim_string(claims, {"kubernetes.io", kind, "name"});
        if (name.empty()) continue;
        if (!text.empty()) text += ", ";
        text += std::string(kind) + " " +
                (std::string(kind) == "node" || ns.empty() ? name : ns + "/" + name);
    }
    return text.empty() ? "nothing (not a projected token)" : text;
}

void describe_times(const nlohmann::json& claims, std::int64_t now, Report& report) {
    for (const char* claim : {"iat", "nbf", "exp"}) {
        const auto it = claims.find(claim);
        if (it == claims.end() || !it->is_number_integer()) continue;
        report.text +=
            std::string("  ") + claim + "  " + describe_time(it->get<std::int64_t>(), now) + "\n";
    }
}

}  // namespace

Result<std::int64_t> parse_time(const std::string& text) {
    if (text.empty()) return static_cast<std::int64_t>(std::time(nullptr));
    std::int64_t seconds = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (failure == std::errc() && end == text.data() + text.size()) return seconds;
    std::tm parts{};
    char zulu = '\0';
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &parts.tm_year, &parts.tm_mon,
                    &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &zulu,
                    &consumed) == 7 &&
        zulu == 'Z' && static_cast<std::size_t>(consumed) == text.size()) {
        parts.tm_year -= 1900;
        parts.tm_mon -= 1;
        return static_cast<std::int64_t>(timegm(&parts));
    }
    return Error{
        "--now must be seconds since the epoch or a UTC time like 2026-11-30T12:00:00Z, "
        "not \"" +
        text + "\""};
}

std::string describe_time(std::int64_t when, std::int64_t now) {
    const auto seconds = static_cast<std::time_t>(when);
    std::tm parts{};
    char buffer[32] = "(out of range)";
    if (gmtime_r(&seconds, &parts) != nullptr) {
        std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    }
    const std::string relative =
        when >= now ? "in " + duration_text(when - now) : duration_text(now - when) + " ago";
    return std::string(buffer) + " (" + relative + ")";
}

void describe_token(const oidc::TokenReport& token, const oidc::TokenExpectations& expected,
                    Report& report) {
    report.data["issuer_expected"] = expected.issuer;
    report.data["audience_expected"] = expected.audience;
    report.data["verified_kid"] = token.verified_kid;
    if (!token.parsed) {
        report.text += "The token could not be decoded.\n";
        return;
    }
    const auto& claims = token.jws.claims;
    report.data["header"] = token.jws.header;
    report.data["claims"] = claims;
    report.text += "Header:\n" + json_text(token.jws.header) + "\nClaims:\n" + json_text(claims) +
                   "\nTimes:\n";
    describe_times(claims, expected.now, report);
    report.text += "Subject:    " + oidc::claim_string(claims, {"sub"}) + "\n";
    report.text += "Bound to:   " + binding_text(claims) + "\n";
    report.text += "Issuer:     " +
                   (expected.issuer.empty() ? std::string("(not compared)")
                                            : "compared with " + expected.issuer) +
                   "\n";
    report.text += "Signature:  " +
                   (token.verified_kid.empty() ? std::string("NOT verified")
                                               : "verified with key " + token.verified_kid) +
                   "\n";
    const bool errors = oidc::has_errors(report.findings);
    report.text += errors ? "Result:     STS would refuse this token (see the errors)\n"
                          : "Result:     STS would accept this token\n";
}

}  // namespace piw::cli::oidc_cli
