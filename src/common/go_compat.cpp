#include "pod_identity_webhook/common/go_compat.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace piw::go {
namespace {

constexpr std::uint64_t kMaxInt64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    char l = lower(c);
    if (l >= 'a' && l <= 'z') return l - 'a' + 10;
    return 99;
}

// Go strconv.underscoreOK: underscores only between digits, or between the base prefix and a digit.
bool underscores_well_placed(std::string_view s) {
    char saw = '^';
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
        if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
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

// Go strconv.ParseUint for base 10 or base 0 (prefix detection, underscores allowed).
std::optional<std::uint64_t> parse_uint(std::string_view s, bool any_base) {
    if (s.empty()) return std::nullopt;
    const std::string_view original = s;
    int base = 10;
    if (any_base && s[0] == '0') {
        if (s.size() >= 3 && lower(s[1]) == 'b') {
            base = 2;
            s.remove_prefix(2);
        } else if (s.size() >= 3 && lower(s[1]) == 'o') {
            base = 8;
            s.remove_prefix(2);
        } else if (s.size() >= 3 && lower(s[1]) == 'x') {
            base = 16;
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
    }
    bool saw_underscore = false;
    std::uint64_t value = 0;
    for (char c : s) {
        if (c == '_' && any_base) {
            saw_underscore = true;
            continue;
        }
        int d = digit_value(c);
        if (d >= base) return std::nullopt;
        auto ubase = static_cast<std::uint64_t>(base);
        if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(d)) / ubase) {
            return std::nullopt;  // out of range
        }
        value = value * ubase + static_cast<std::uint64_t>(d);
    }
    if (saw_underscore && !underscores_well_placed(original)) return std::nullopt;
    return value;
}

std::optional<std::int64_t> parse_int(std::string_view s, bool any_base) {
    if (s.empty()) return std::nullopt;
    const std::string_view original = s;
    bool negative = false;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    auto magnitude = parse_uint(s, any_base);
    if (!magnitude) return std::nullopt;
    // Underscore placement is judged on the signed text, like Go.
    if (any_base && original.find('_') != std::string_view::npos &&
        !underscores_well_placed(original)) {
        return std::nullopt;
    }
    if (!negative) {
        if (*magnitude > kMaxInt64) return std::nullopt;
        return static_cast<std::int64_t>(*magnitude);
    }
    if (*magnitude > kMaxInt64 + 1) return std::nullopt;
    if (*magnitude == kMaxInt64 + 1) return std::numeric_limits<std::int64_t>::min();
    return -static_cast<std::int64_t>(*magnitude);
}

struct DurationUnit {
    std::string_view name;
    std::uint64_t nanoseconds;
};

constexpr std::array<DurationUnit, 9> kDurationUnits = {{
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"\xC2\xB5s", 1000ULL},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000ULL},  // U+03BC Greek mu
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
    {"", 0ULL},
}};

std::optional<std::uint64_t> unit_nanoseconds(std::string_view name) {
    for (const auto& unit : kDurationUnits) {
        if (!unit.name.empty() && unit.name == name) return unit.nanoseconds;
    }
    return std::nullopt;
}

// Go time.leadingInt: consumes [0-9]*; nullopt on overflow.
std::optional<std::uint64_t> leading_int(std::string_view& s) {
    std::uint64_t x = 0;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c < '0' || c > '9') break;
        if (x > (1ULL << 63) / 10) return std::nullopt;
        x = x * 10 + static_cast<std::uint64_t>(c - '0');
        if (x > (1ULL << 63)) return std::nullopt;
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
        if (c < '0' || c > '9') break;
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

std::optional<std::int64_t> parse_int_decimal(std::string_view text) {
    return parse_int(text, false);
}

std::optional<std::int64_t> parse_int_any_base(std::string_view text) {
    return parse_int(text, true);
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) {
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds(0);
    if (s.empty()) return std::nullopt;
    std::uint64_t total = 0;
    while (!s.empty()) {
        if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return std::nullopt;
        std::size_t before = s.size();
        auto whole = leading_int(s);
        if (!whole) return std::nullopt;
        bool pre = before != s.size();
        bool post = false;
        std::uint64_t fraction = 0;
        double scale = 1.0;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            std::size_t before_fraction = s.size();
            leading_fraction(s, fraction, scale);
            post = before_fraction != s.size();
        }
        if (!pre && !post) return std::nullopt;
        std::size_t i = 0;
        while (i < s.size() && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9')) ++i;
        if (i == 0) return std::nullopt;  // missing unit
        auto unit = unit_nanoseconds(s.substr(0, i));
        s.remove_prefix(i);
        if (!unit) return std::nullopt;  // unknown unit
        std::uint64_t v = *whole;
        if (v > (1ULL << 63) / *unit) return std::nullopt;
        v *= *unit;
        if (fraction > 0) {
            v += static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                            (static_cast<double>(*unit) / scale));
            if (v > (1ULL << 63)) return std::nullopt;
        }
        total += v;
        if (total > (1ULL << 63)) return std::nullopt;
    }
    if (negative) {
        if (total == (1ULL << 63)) return std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::min());
        return std::chrono::nanoseconds(-static_cast<std::int64_t>(total));
    }
    if (total > kMaxInt64) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

std::string format_duration(std::chrono::nanoseconds duration) {
    const std::int64_t d = duration.count();
    const bool negative = d < 0;
    std::uint64_t u = negative ? (~static_cast<std::uint64_t>(d) + 1) : static_cast<std::uint64_t>(d);
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
                return Error{csv_error(record_line, reader.line_number, column + quote, kBareQuote)};
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
                    return Error{csv_error(record_line, reader.line_number, column - 1, kQuoteError)};
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

}  // namespace piw::go
