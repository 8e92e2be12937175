#include "logging/format.hpp"

#include <cstdint>
#include <ctime>

namespace piw::logging {

namespace {

constexpr char kHex[] = "0123456789abcdef";

struct Decoded {
    char32_t rune;  // kInvalid for a byte that does not start a valid sequence
    std::size_t length;
};
constexpr char32_t kInvalid = 0xFFFFFFFF;

// One UTF-8 sequence at `at`, with Go's rules: overlong forms, surrogates and values above
// U+10FFFF are invalid and consume a single byte.
Decoded decode_utf8(std::string_view text, std::size_t at) {
    auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    if (lead < 0x80) return {lead, 1};
    std::size_t length = 0;
    char32_t rune = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        rune = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        rune = lead & 0x0Fu;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        rune = lead & 0x07u;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return {kInvalid, 1};
    }
    if (at + length > text.size()) return {kInvalid, 1};
    for (std::size_t i = 1; i < length; ++i) {
        unsigned char next = byte(at + i);
        unsigned char min = i == 1 ? low : 0x80;
        unsigned char max = i == 1 ? high : 0xBF;
        if (next < min || next > max) return {kInvalid, 1};
        rune = (rune << 6) | (next & 0x3Fu);
    }
    return {rune, length};
}

// Characters Go's strconv.IsPrint rejects that matter in logs: C1 controls and the invisible
// format characters (soft hyphen, zero-width, bidirectional overrides, line/paragraph separators,
// BOM), which could otherwise hide or reorder text in a terminal. Private-use code points too.
bool invisible_rune(char32_t rune) {
    return (rune >= 0x80 && rune <= 0x9F) || rune == 0xAD || (rune >= 0x200B && rune <= 0x200F) ||
           (rune >= 0x2028 && rune <= 0x202E) || (rune >= 0x2060 && rune <= 0x206F) ||
           rune == 0xFEFF || (rune >= 0xFFF9 && rune <= 0xFFFB) ||
           (rune >= 0xE000 && rune <= 0xF8FF);
}

void append_hex_escape(std::string& out, char prefix, std::uint32_t value, int digits) {
    out += '\\';
    out += prefix;
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += kHex[(value >> static_cast<unsigned>(shift)) & 0xFu];
    }
}

// Go's escaping of one rune inside a quoted string, without handling the quote itself.
void append_go_escaped(std::string& out, std::string_view text, bool escape_quote_and_backslash) {
    std::size_t at = 0;
    while (at < text.size()) {
        Decoded decoded = decode_utf8(text, at);
        char32_t rune = decoded.rune;
        if (rune == kInvalid) {
            append_hex_escape(out, 'x', static_cast<unsigned char>(text[at]), 2);
        } else if (escape_quote_and_backslash && (rune == '"' || rune == '\\')) {
            out += '\\';
            out += static_cast<char>(rune);
        } else if (rune < 0x20 || rune == 0x7F) {
            switch (rune) {
                case '\a':
                    out += "\\a";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\v':
                    out += "\\v";
                    break;
                default:
                    append_hex_escape(out, 'x', static_cast<std::uint32_t>(rune), 2);
            }
        } else if (invisible_rune(rune)) {
            append_hex_escape(out, 'u', static_cast<std::uint32_t>(rune), 4);
        } else {
            out.append(text.substr(at, decoded.length));
        }
        at += decoded.length;
    }
}

void append_text_value(std::string& out, std::string_view value) {
    if (needs_quoting(value)) {
        append_go_quoted(out, value);
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
    append_go_escaped(out, message, false);
    for (const auto& [key, value] : fields) {
        out += ' ';
        append_go_escaped(out, key, false);
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
    append_json_string(out, message);
    for (const auto& [key, value] : fields) {
        out += ',';
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
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
        Decoded decoded = decode_utf8(value, at);
        char32_t rune = decoded.rune;
        if (rune == kInvalid || rune <= 0x20 || rune == 0x7F || rune == '"' || rune == '=' ||
            invisible_rune(rune)) {
            return true;
        }
        at += decoded.length;
    }
    return false;
}

void append_go_quoted(std::string& out, std::string_view value) {
    out += '"';
    append_go_escaped(out, value, true);
    out += '"';
}

void append_json_string(std::string& out, std::string_view value) {
    out += '"';
    std::size_t at = 0;
    while (at < value.size()) {
        Decoded decoded = decode_utf8(value, at);
        char32_t rune = decoded.rune;
        switch (rune) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case kInvalid:
                out += "\\ufffd";
                break;
            // Valid JSON, but JavaScript treats them as line ends (as Go's encoder does).
            case 0x2028:
                out += "\\u2028";
                break;
            case 0x2029:
                out += "\\u2029";
                break;
            default:
                if (rune < 0x20) {
                    append_hex_escape(out, 'u', static_cast<std::uint32_t>(rune), 4);
                } else {
                    out.append(value.substr(at, decoded.length));
                }
        }
        at += decoded.length;
    }
    out += '"';
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
