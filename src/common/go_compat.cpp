#include "pod_identity_webhook/common/go_compat.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace piw::go {
namespace {

constexpr std::uint64_t kMaxInt64 =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr char kLowerHex[] = "0123456789abcdef";

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int digit_value(char c) {
    if (is_digit(c)) return c - '0';
    char l = lower(c);
    if (l >= 'a' && l <= 'z') return l - 'a' + 10;
    return 99;
}

// "\x1b", "\u202e", "\U0010fffd": Go's escapes, lower-case hex.
void append_hex_escape(std::string& out, char prefix, std::uint32_t value, int digits) {
    out += '\\';
    out += prefix;
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += kLowerHex[(value >> static_cast<unsigned>(shift)) & 0xFu];
    }
}

// strconv.appendEscapedRune for a rune that is not printable: a named escape for the usual
// controls, \xNN for the others, \uNNNN or \UNNNNNNNN above ASCII.
void append_unprintable(std::string& out, char32_t rune) {
    constexpr std::string_view kNamedControls = "\a\b\f\n\r\t\v";
    constexpr std::string_view kNames = "abfnrtv";
    const std::size_t named =
        rune < 0x20 ? kNamedControls.find(static_cast<char>(rune)) : std::string_view::npos;
    if (named != std::string_view::npos) {
        out += '\\';
        out += kNames[named];
    } else if (rune < 0x20 || rune == 0x7F) {
        append_hex_escape(out, 'x', rune, 2);
    } else if (rune < 0x10000) {
        append_hex_escape(out, 'u', rune, 4);
    } else {
        append_hex_escape(out, 'U', rune, 8);
    }
}

// ------------------------------------------------------------------------------------------------
// strconv.ParseInt / ParseUint

// strconv.NumError's text: `strconv.ParseInt: parsing "abc": invalid syntax`.
Error num_error(std::string_view function, std::string_view text, std::string_view problem) {
    return Error{"strconv." + std::string(function) + ": parsing " + quote(text) + ": " +
                 std::string(problem)};
}

// strconv's baseError and bitSizeError, which Go checks after the empty-string check.
std::optional<std::string> argument_problem(int base, int bit_size) {
    if (base != 0 && (base < 2 || base > 36)) return "invalid base " + std::to_string(base);
    if (bit_size < 0 || bit_size > 64) return "invalid bit size " + std::to_string(bit_size);
    return std::nullopt;
}

// Base 0: "0b", "0o" and "0x" (with something after them) or a bare leading "0" (octal) choose
// the base and are removed from `digits`; anything else is decimal.
int take_base_prefix(std::string_view& digits) {
    if (digits.empty() || digits[0] != '0') return 10;
    const char kind = digits.size() >= 3 ? lower(digits[1]) : '\0';
    if (kind == 'b' || kind == 'o' || kind == 'x') {
        digits.remove_prefix(2);
        return kind == 'b' ? 2 : kind == 'o' ? 8 : 16;
    }
    digits.remove_prefix(1);
    return 8;
}

// Go strconv.underscoreOK: underscores only between digits, or between the base prefix and a digit.
bool underscores_well_placed(std::string_view s) {
    char saw = '^';  // ^ start, 0 digit or prefix, _ underscore, ! anything else
    std::size_t i = 0;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    bool hex = false;
    if (s.size() >= 2 && s[0] == '0' &&
        (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(s[1]) == 'x';
    }
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (is_digit(c) || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0') return false;
            saw = '_';
            continue;
        }
        if (saw == '_') return false;
        saw = '!';
    }
    return saw != '_';
}

// What strconv.ParseUint found: the value, or the reason it failed (then `value` is Go's
// return value, which ParseInt still uses after a range error).
struct Magnitude {
    std::uint64_t value = 0;
    std::string problem;  // empty, kErrSyntax, kErrRange or an argument problem
};

// The body of strconv.ParseUint. Like Go it reports a range error at the first overflow, before
// looking at the characters after it, and judges the underscores only once all digits are read.
Magnitude parse_magnitude(std::string_view text, int base, int bit_size) {
    if (text.empty()) return {0, std::string(kErrSyntax)};
    if (auto problem = argument_problem(base, bit_size)) return {0, std::move(*problem)};
    const bool base_zero = base == 0;
    std::string_view digits = text;
    if (base_zero) base = take_base_prefix(digits);
    if (bit_size == 0) bit_size = 64;
    const std::uint64_t max_value = std::numeric_limits<std::uint64_t>::max() >> (64 - bit_size);
    const auto ubase = static_cast<std::uint64_t>(base);
    std::uint64_t value = 0;
    bool underscores = false;
    for (char c : digits) {
        if (c == '_' && base_zero) {
            underscores = true;
            continue;
        }
        const int digit = digit_value(c);
        if (digit >= base) return {0, std::string(kErrSyntax)};
        const auto d = static_cast<std::uint64_t>(digit);
        if (d > max_value || value > (max_value - d) / ubase) {
            return {max_value, std::string(kErrRange)};
        }
        value = value * ubase + d;
    }
    if (underscores && !underscores_well_placed(text)) return {0, std::string(kErrSyntax)};
    return {value, {}};
}

// ------------------------------------------------------------------------------------------------
// time.ParseDuration

// Package time's own quote(), used in its error messages: unlike strconv.Quote, every byte
// outside printable ASCII becomes \xNN (DEL stays as it is).
std::string time_quote(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x80 || c < 0x20) {
            append_hex_escape(out, 'x', c, 2);
        } else {
            if (c == '"' || c == '\\') out += '\\';
            out += ch;
        }
    }
    out += '"';
    return out;
}

Error invalid_duration(std::string_view original) {
    return Error{"time: invalid duration " + time_quote(original)};
}

constexpr std::uint64_t kDurationLimit = 1ULL << 63;  // |math.MinInt64|, the largest magnitude

struct DurationUnit {
    std::string_view name;
    std::uint64_t nanoseconds;
};

constexpr std::array<DurationUnit, 8> kDurationUnits = {{
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"\xC2\xB5s", 1000ULL},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000ULL},  // U+03BC Greek mu
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
}};

std::optional<std::uint64_t> unit_nanoseconds(std::string_view name) {
    for (const auto& unit : kDurationUnits) {
        if (unit.name == name) return unit.nanoseconds;
    }
    return std::nullopt;
}

// Go time.leadingInt: consumes [0-9]*; nullopt on overflow.
std::optional<std::uint64_t> leading_int(std::string_view& s) {
    std::uint64_t x = 0;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (!is_digit(c)) break;
        if (x > kDurationLimit / 10) return std::nullopt;
        x = x * 10 + static_cast<std::uint64_t>(c - '0');
        if (x > kDurationLimit) return std::nullopt;
    }
    s.remove_prefix(i);
    return x;
}

// Go time.leadingFraction: consumes [0-9]*, keeping precision while it fits.
void leading_fraction(std::string_view& s, std::uint64_t& fraction, double& scale) {
    std::size_t i = 0;
    scale = 1.0;
    fraction = 0;
    bool overflow = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (!is_digit(c)) break;
        if (overflow) continue;
        if (fraction > (std::numeric_limits<std::int64_t>::max() - 1) / 10) {
            overflow = true;
            continue;
        }
        std::uint64_t y = fraction * 10 + static_cast<std::uint64_t>(c - '0');
        if (y > kMaxInt64) {
            overflow = true;
            continue;
        }
        fraction = y;
        scale *= 10;
    }
    s.remove_prefix(i);
}

// The number in front of a unit: "1", "1.5", ".5", "1." (but not ".").
struct DurationNumber {
    std::uint64_t whole = 0;
    std::uint64_t fraction = 0;
    double scale = 1.0;  // fraction / scale is the fractional part
};

std::optional<DurationNumber> take_duration_number(std::string_view& rest) {
    if (!(rest[0] == '.' || is_digit(rest[0]))) return std::nullopt;
    DurationNumber number;
    const std::size_t before = rest.size();
    auto whole = leading_int(rest);
    if (!whole) return std::nullopt;
    number.whole = *whole;
    bool digits = before != rest.size();
    if (!rest.empty() && rest[0] == '.') {
        rest.remove_prefix(1);
        const std::size_t before_fraction = rest.size();
        leading_fraction(rest, number.fraction, number.scale);
        digits = digits || before_fraction != rest.size();
    }
    if (!digits) return std::nullopt;
    return number;
}

// The unit after a number: everything up to the next '.' or digit, in nanoseconds.
Result<std::uint64_t> take_duration_unit(std::string_view& rest, std::string_view original) {
    std::size_t length = 0;
    while (length < rest.size() && rest[length] != '.' && !is_digit(rest[length])) ++length;
    if (length == 0) return Error{"time: missing unit in duration " + time_quote(original)};
    const std::string_view name = rest.substr(0, length);
    rest.remove_prefix(length);
    auto unit = unit_nanoseconds(name);
    if (!unit) {
        return Error{"time: unknown unit " + time_quote(name) + " in duration " +
                     time_quote(original)};
    }
    return *unit;
}

// One "<number><unit>" element of `original` (the loop body of time.ParseDuration), in
// nanoseconds, at most kDurationLimit.
Result<std::uint64_t> take_duration_element(std::string_view& rest, std::string_view original) {
    auto number = take_duration_number(rest);
    if (!number) return invalid_duration(original);
    auto unit = take_duration_unit(rest, original);
    if (!unit) return Error{unit.error()};
    if (number->whole > kDurationLimit / *unit) return invalid_duration(original);
    std::uint64_t nanoseconds = number->whole * *unit;
    if (number->fraction > 0) {
        // Go computes the fractional part in floating point; so do we, to round the same way.
        nanoseconds += static_cast<std::uint64_t>(static_cast<double>(number->fraction) *
                                                  (static_cast<double>(*unit) / number->scale));
        if (nanoseconds > kDurationLimit) return invalid_duration(original);
    }
    return nanoseconds;
}

// Appends the decimal digits of v in reverse into out.
void append_reversed_int(std::string& reversed, std::uint64_t v) {
    if (v == 0) {
        reversed.push_back('0');
        return;
    }
    while (v > 0) {
        reversed.push_back(static_cast<char>('0' + v % 10));
        v /= 10;
    }
}

// Go time.fmtFrac, writing in reverse: the fraction of v/10^prec without trailing zeros.
std::uint64_t append_reversed_fraction(std::string& reversed, std::uint64_t v, int prec) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        std::uint64_t digit = v % 10;
        print = print || digit != 0;
        if (print) reversed.push_back(static_cast<char>('0' + digit));
        v /= 10;
    }
    if (print) reversed.push_back('.');
    return v;
}

}  // namespace

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
        text == "True") {
        return true;
    }
    if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
        text == "False") {
        return false;
    }
    return std::nullopt;
}

Result<bool> parse_bool_checked(std::string_view text) {
    if (auto value = parse_bool(text)) return *value;
    return num_error("ParseBool", text, kErrSyntax);
}

Result<std::uint64_t> parse_uint(std::string_view text, int base, int bit_size) {
    Magnitude magnitude = parse_magnitude(text, base, bit_size);
    if (!magnitude.problem.empty()) return num_error("ParseUint", text, magnitude.problem);
    return magnitude.value;
}

Result<std::int64_t> parse_int(std::string_view text, int base, int bit_size) {
    if (text.empty()) return num_error("ParseInt", text, kErrSyntax);
    const bool negative = text[0] == '-';
    std::string_view unsigned_text = text;
    if (text[0] == '+' || text[0] == '-') unsigned_text.remove_prefix(1);
    Magnitude magnitude = parse_magnitude(unsigned_text, base, bit_size);
    // After an unsigned range error Go goes on to the signed check, which fails on its own.
    if (!magnitude.problem.empty() && magnitude.problem != kErrRange) {
        return num_error("ParseInt", text, magnitude.problem);
    }
    if (bit_size == 0) bit_size = 64;
    const std::uint64_t cutoff = 1ULL << (bit_size - 1);  // |minimum|
    if (magnitude.value > cutoff || (!negative && magnitude.value == cutoff)) {
        return num_error("ParseInt", text, kErrRange);
    }
    // Two's complement wrap-around (defined since C++20) also gives the minimum right.
    return negative ? static_cast<std::int64_t>(0 - magnitude.value)
                    : static_cast<std::int64_t>(magnitude.value);
}

std::optional<std::int64_t> parse_int_decimal(std::string_view text) {
    auto value = parse_int(text, 10);
    if (!value) return std::nullopt;
    return *value;
}

std::optional<std::int64_t> parse_int_any_base(std::string_view text) {
    auto value = parse_int(text, 0);
    if (!value) return std::nullopt;
    return *value;
}

Result<std::chrono::nanoseconds> parse_duration_checked(std::string_view text) {
    const std::string_view original = text;
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    if (text == "0") return std::chrono::nanoseconds(0);
    if (text.empty()) return invalid_duration(original);
    std::uint64_t total = 0;
    while (!text.empty()) {
        auto element = take_duration_element(text, original);
        if (!element) return Error{element.error()};
        // Both are at most 1<<63, so only 1<<63 + 1<<63 wraps (to 0, accepted); Go's
        // uint64 arithmetic does the same.
        total += *element;
        if (total > kDurationLimit) return invalid_duration(original);
    }
    if (!negative && total > kMaxInt64) return invalid_duration(original);
    // Two's complement wrap-around (defined since C++20) also gives the minimum right.
    return std::chrono::nanoseconds(negative ? static_cast<std::int64_t>(0 - total)
                                             : static_cast<std::int64_t>(total));
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    auto value = parse_duration_checked(text);
    if (!value) return std::nullopt;
    return *value;
}

std::string format_duration(std::chrono::nanoseconds duration) {
    const std::int64_t d = duration.count();
    const bool negative = d < 0;
    std::uint64_t u =
        negative ? (~static_cast<std::uint64_t>(d) + 1) : static_cast<std::uint64_t>(d);
    std::string reversed;
    constexpr std::uint64_t kSecond = 1000000000ULL;
    if (u < kSecond) {
        int prec = 0;
        reversed.push_back('s');
        if (u == 0) return "0s";
        if (u < 1000ULL) {
            reversed.push_back('n');
        } else if (u < 1000000ULL) {
            prec = 3;
            reversed.append("\xB5\xC2");  // "µ" reversed byte order
        } else {
            prec = 6;
            reversed.push_back('m');
        }
        u = append_reversed_fraction(reversed, u, prec);
        append_reversed_int(reversed, u);
    } else {
        reversed.push_back('s');
        u = append_reversed_fraction(reversed, u, 9);
        append_reversed_int(reversed, u % 60);
        u /= 60;
        if (u > 0) {
            reversed.push_back('m');
            append_reversed_int(reversed, u % 60);
            u /= 60;
            if (u > 0) {
                reversed.push_back('h');
                append_reversed_int(reversed, u);
            }
        }
    }
    if (negative) reversed.push_back('-');
    return {reversed.rbegin(), reversed.rend()};
}

std::string clean_path(std::string_view path) {
    if (path.empty()) return ".";
    const bool rooted = path[0] == '/';
    const std::size_t n = path.size();
    std::string out;
    out.reserve(n);
    std::size_t r = 0;
    std::size_t dotdot = 0;
    if (rooted) {
        out.push_back('/');
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            ++r;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            ++r;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (out.size() > dotdot) {
                out.pop_back();
                while (out.size() > dotdot && out.back() != '/') out.pop_back();
                // Go's lazybuf keeps the slash that precedes the removed element out of the result
                // by truncating to the slash position.
                if (out.size() > dotdot && out.back() == '/') out.pop_back();
            } else if (!rooted) {
                if (!out.empty()) out.push_back('/');
                out.append("..");
                dotdot = out.size();
            }
        } else {
            if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out.push_back('/');
            for (; r < n && path[r] != '/'; ++r) out.push_back(path[r]);
        }
    }
    if (out.empty()) return ".";
    return out;
}

std::string join_path(std::string_view first, std::string_view second) {
    if (first.empty() && second.empty()) return "";
    if (first.empty()) return clean_path(second);
    if (second.empty()) return clean_path(first);
    std::string joined;
    joined.reserve(first.size() + 1 + second.size());
    joined.append(first).push_back('/');
    joined.append(second);
    return clean_path(joined);
}

namespace {

// One line of input as Go's csv.Reader.readLine sees it: up to and including '\n' (added if the
// input ends without one), with "\r\n" normalised to "\n".
struct LineReader {
    std::string_view rest;
    int line_number = 0;

    // Returns false at end of input.
    bool next(std::string& line) {
        if (rest.empty()) return false;
        std::size_t end = rest.find('\n');
        if (end == std::string_view::npos) {
            line.assign(rest);
            rest = {};
            if (!line.empty() && line.back() == '\r') line.pop_back();
            line.push_back('\n');
        } else {
            line.assign(rest.substr(0, end + 1));
            rest.remove_prefix(end + 1);
            if (line.size() >= 2 && line[line.size() - 2] == '\r') {
                line.erase(line.size() - 2, 1);
            }
        }
        ++line_number;
        return true;
    }
};

std::string csv_error(int start_line, int line, std::size_t column, std::string_view what) {
    std::string message;
    if (start_line != line) {
        message = "record on line " + std::to_string(start_line) + "; ";
    }
    message += "parse error on line " + std::to_string(line) + ", column " +
               std::to_string(column) + ": " + std::string(what);
    return message;
}

constexpr std::string_view kBareQuote = "bare \" in non-quoted-field";
constexpr std::string_view kQuoteError = "extraneous or missing \" in quoted-field";

}  // namespace

Result<std::vector<std::string>> parse_csv_first_record(std::string_view text) {
    LineReader reader{text};
    std::string line;
    // Skip empty lines; end of input before any record is Go's io.EOF.
    while (true) {
        if (!reader.next(line)) return Error{"EOF"};
        if (line != "\n") break;
    }
    const int record_line = reader.line_number;
    std::vector<std::string> fields;
    std::string_view rest = line;
    std::size_t column = 1;
    while (true) {
        if (rest.empty() || rest[0] != '"') {
            std::size_t comma = rest.find(',');
            std::string_view field = comma == std::string_view::npos
                                         ? rest.substr(0, rest.size() - (rest.empty() ? 0 : 1))
                                         : rest.substr(0, comma);
            if (std::size_t quote = field.find('"'); quote != std::string_view::npos) {
                return Error{
                    csv_error(record_line, reader.line_number, column + quote, kBareQuote)};
            }
            fields.emplace_back(field);
            if (comma == std::string_view::npos) return fields;
            rest.remove_prefix(comma + 1);
            column += comma + 1;
            continue;
        }
        // Quoted field; it may continue over several lines.
        rest.remove_prefix(1);
        column += 1;
        std::string field;
        while (true) {
            std::size_t quote = rest.find('"');
            if (quote != std::string_view::npos) {
                field.append(rest.substr(0, quote));
                rest.remove_prefix(quote + 1);
                column += quote + 1;
                if (!rest.empty() && rest[0] == '"') {
                    field.push_back('"');
                    rest.remove_prefix(1);
                    column += 1;
                } else if (!rest.empty() && rest[0] == ',') {
                    rest.remove_prefix(1);
                    column += 1;
                    fields.push_back(std::move(field));
                    break;
                } else if (rest == "\n" || rest.empty()) {
                    fields.push_back(std::move(field));
                    return fields;
                } else {
                    return Error{
                        csv_error(record_line, reader.line_number, column - 1, kQuoteError)};
                }
            } else if (!rest.empty()) {
                field.append(rest);
                column += rest.size();
                if (!reader.next(line)) {
                    return Error{csv_error(record_line, reader.line_number, column, kQuoteError)};
                }
                rest = line;
                column = 1;
            } else {
                return Error{csv_error(record_line, reader.line_number, column, kQuoteError)};
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Runes and quoting

DecodedRune decode_rune(std::string_view text, std::size_t at) {
    auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) return {lead, 1};
    std::size_t length = 0;
    char32_t rune = 0;
    unsigned char low = 0x80;  // allowed range of the second byte
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
        return {kInvalidRune, 1};
    }
    if (at + length > text.size()) return {kInvalidRune, 1};
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char next = byte(at + i);
        if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) return {kInvalidRune, 1};
        rune = (rune << 6) | (next & 0x3Fu);
    }
    return {rune, length};
}

bool is_print(char32_t rune) {
    if (rune < 0x20 || rune == 0x7F || rune > 0x10FFFF) return false;
    const bool invisible =
        (rune >= 0x80 && rune <= 0x9F) || rune == 0xAD || (rune >= 0x200B && rune <= 0x200F) ||
        (rune >= 0x2028 && rune <= 0x202E) || (rune >= 0x2060 && rune <= 0x206F) ||
        rune == 0xFEFF || (rune >= 0xFFF9 && rune <= 0xFFFB) || (rune >= 0xE000 && rune <= 0xF8FF);
    return !invisible;
}

void append_escaped(std::string& out, std::string_view text, bool escape_quote_and_backslash) {
    std::size_t at = 0;
    while (at < text.size()) {
        const auto [rune, length] = decode_rune(text, at);
        if (rune == kInvalidRune) {
            append_hex_escape(out, 'x', static_cast<unsigned char>(text[at]), 2);
        } else if (escape_quote_and_backslash && (rune == '"' || rune == '\\')) {
            out += '\\';
            out += static_cast<char>(rune);
        } else if (is_print(rune)) {
            out.append(text.substr(at, length));
        } else {
            append_unprintable(out, rune);
        }
        at += length;
    }
}

void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    append_escaped(out, text, true);
    out += '"';
}

std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    append_quoted(out, text);
    return out;
}

}  // namespace piw::go
