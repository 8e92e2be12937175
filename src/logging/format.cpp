#include "logging/format.hpp"

#include <cstdint>
#include <ctime>

#include "pod_identity_webhook/common/go_compat.hpp"
#include "pod_identity_webhook/common/json_text.hpp"

namespace piw::logging {

namespace {

void append_text_value(std::string& out, std::string_view value) {
    if (needs_quoting(value)) {
        go::append_quoted(out, value);
    } else {
        out += value;
    }
}

void format_text(std::string& out, spdlog::level::level_enum level, Clock::time_point when,
                 std::string_view message, std::span<const Field> fields) {
    append_timestamp(out, when);
    out += ' ';
    std::string_view name = level_name(level);
    out += name;
    // Levels are padded to one width so that messages line up.
    for (std::size_t i = name.size(); i < 5; ++i) out += ' ';
    out += ' ';
    // Messages and keys are written bare, but a newline or terminal escape in them must not be
    // able to forge a second record.
    go::append_escaped(out, message, false);
    for (const auto& [key, value] : fields) {
        out += ' ';
        go::append_escaped(out, key, false);
        out += '=';
        append_text_value(out, value);
    }
}

void format_json(std::string& out, spdlog::level::level_enum level, Clock::time_point when,
                 std::string_view message, std::span<const Field> fields) {
    out += "{\"ts\":\"";
    append_timestamp(out, when);
    out += "\",\"level\":\"";
    out += level_name(level);
    out += "\",\"msg\":";
    json::append_string(out, message);
    for (const auto& [key, value] : fields) {
        out += ',';
        json::append_string(out, key);
        out += ':';
        json::append_string(out, value);
    }
    out += '}';
}

}  // namespace

void append_timestamp(std::string& out, Clock::time_point when) {
    auto since_epoch =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
    auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    auto millis = static_cast<unsigned>((since_epoch - seconds).count());
    std::time_t time = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    ::gmtime_r(&time, &utc);
    char buffer[32];
    std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    out.append(buffer, length);
    out += '.';
    out += static_cast<char>('0' + millis / 100);
    out += static_cast<char>('0' + millis / 10 % 10);
    out += static_cast<char>('0' + millis % 10);
    out += 'Z';
}

std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "crit";
        default:
            return "off";
    }
}

bool needs_quoting(std::string_view value) {
    if (value.empty()) return true;
    std::size_t at = 0;
    while (at < value.size()) {
        const auto [rune, length] = go::decode_rune(value, at);
        if (rune == go::kInvalidRune || rune == ' ' || rune == '"' || rune == '=' ||
            !go::is_print(rune)) {
            return true;
        }
        at += length;
    }
    return false;
}

void format_record_to(std::string& out, LogFormat format, spdlog::level::level_enum level,
                      Clock::time_point when, std::string_view message,
                      std::span<const Field> fields) {
    if (format == LogFormat::json) {
        format_json(out, level, when, message, fields);
    } else {
        format_text(out, level, when, message, fields);
    }
}

}  // namespace piw::logging
