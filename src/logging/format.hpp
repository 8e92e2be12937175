#pragma once
// Record formatting for the two log formats, separated from the logger so that it can be tested
// byte for byte with a fixed clock.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "pod_identity_webhook/logging/log.hpp"

namespace piw::logging {

using Clock = std::chrono::system_clock;

// "2026-11-30T06:47:03.123Z"
void append_timestamp(std::string& out, Clock::time_point when);

// "trace" "debug" "info" "warn" "error" "crit" "off"
std::string_view level_name(spdlog::level::level_enum level);

// True when a logfmt value must be quoted: empty, or containing spaces, '"', '=', control
// characters, invalid UTF-8 or other characters that Go's %q escapes.
bool needs_quoting(std::string_view value);

void format_record_to(std::string& out, LogFormat format, spdlog::level::level_enum level,
                      Clock::time_point when, std::string_view message,
                      std::span<const Field> fields);

}  // namespace piw::logging
