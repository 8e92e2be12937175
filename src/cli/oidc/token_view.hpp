#pragma once
// How `verify-token` and `check --token` show a token: header and claims (never the signature),
// its times in UTC and relative to the clock, who it is for and what it is bound to.

#include <cstdint>
#include <string>

#include "cli/oidc/report.hpp"
#include "pod_identity_webhook/oidc/jwt.hpp"

namespace piw::cli::oidc_cli {

// --now: "" (the system clock), seconds since the epoch, or RFC 3339 UTC
// ("2026-11-30T12:00:00Z").
Result<std::int64_t> parse_time(const std::string& text);

// "2026-11-30T12:00:00Z (in 23h 59m)" / "(5m 3s ago)".
std::string describe_time(std::int64_t when, std::int64_t now);

// Appends the token's description to report.text and report.data.
void describe_token(const oidc::TokenReport& token, const oidc::TokenExpectations& expected,
                    Report& report);

}  // namespace piw::cli::oidc_cli
