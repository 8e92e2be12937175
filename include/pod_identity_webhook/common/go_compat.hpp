#pragma once
// Parsers that reproduce Go standard-library semantics the upstream webhook depends on
// (strconv.ParseBool / ParseInt / ParseUint / Quote, time.ParseDuration, path.Clean /
// filepath.Join, encoding/csv), including Go's error messages where users see them.
// All are total functions: bad input yields std::nullopt or an Error, never an exception.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::go {

// strconv.ErrSyntax and strconv.ErrRange: the last part of a parse_int / parse_uint error, so
// callers can tell them apart the way Go code does with errors.Is.
inline constexpr std::string_view kErrSyntax = "invalid syntax";
inline constexpr std::string_view kErrRange = "value out of range";

// strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
std::optional<bool> parse_bool(std::string_view text);
// The same, failing with Go's `strconv.ParseBool: parsing "x": invalid syntax`.
Result<bool> parse_bool_checked(std::string_view text);

// strconv.ParseInt(text, base, bit_size) with Go's error text, e.g.
// `strconv.ParseInt: parsing "abc": invalid syntax` or `...: value out of range`, decided in Go's
// order (digits and the unsigned overflow first, then underscores, then the signed range). Base 0
// takes 0x/0o/0b/0 prefixes and '_' between digits; bit_size 0 means 64.
Result<std::int64_t> parse_int(std::string_view text, int base, int bit_size = 64);
// strconv.ParseUint(text, base, bit_size): no sign allowed; errors name strconv.ParseUint.
Result<std::uint64_t> parse_uint(std::string_view text, int base, int bit_size = 64);

// strconv.ParseInt(text, 10, 64): optional sign, decimal digits only, no spaces, range-checked.
std::optional<std::int64_t> parse_int_decimal(std::string_view text);

// strconv.ParseInt(text, 0, 64): like the decimal form, plus 0x/0o/0b/0 prefixes and '_' separators
// (only between digits, as Go requires). Used for int flags.
std::optional<std::int64_t> parse_int_any_base(std::string_view text);

// time.ParseDuration: "300ms", "-1.5h", "2h45m", "0". Units ns us µs ms s m h.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
// The same, failing with Go's messages: `time: invalid duration "x"`, `time: missing unit in
// duration "10"`, `time: unknown unit "d" in duration "1d"` (quoted the way package time does:
// every byte outside printable ASCII as \xNN).
Result<std::chrono::nanoseconds> parse_duration_checked(std::string_view text);

// Formats like Go's time.Duration.String(): "1s", "100ms", "1m30s", "0s".
std::string format_duration(std::chrono::nanoseconds duration);

// path.Clean (slash-separated, as filepath on Linux).
std::string clean_path(std::string_view path);

// filepath.Join(a, b) on Linux: empty elements are ignored, the result is cleaned, "" if both
// empty.
std::string join_path(std::string_view first, std::string_view second);

// encoding/csv reader, first record only, default settings (comma ',', RFC 4180 quotes, no
// trimming, LazyQuotes=false). Returns the fields, or an Error (bare quote in an unquoted field,
// extraneous or missing quote, or empty input which Go reports as EOF).
Result<std::vector<std::string>> parse_csv_first_record(std::string_view text);

// ------------------------------------------------------------------------------------------------
// Runes and quoting

// What decode_rune reports for a byte that starts no valid UTF-8 sequence. Unlike Go's
// utf8.RuneError (U+FFFD) it cannot be confused with a U+FFFD actually present in the text.
inline constexpr char32_t kInvalidRune = 0xFFFFFFFF;

struct DecodedRune {
    char32_t rune;       // kInvalidRune for an invalid byte
    std::size_t length;  // bytes consumed, at least 1
};

// utf8.DecodeRuneInString(text[at:]): overlong forms, surrogates and values above U+10FFFF are
// invalid and consume a single byte. `at` must be inside `text`.
DecodedRune decode_rune(std::string_view text, std::size_t at);

// An approximation of strconv.IsPrint that errs on the side of escaping what matters in terminals
// and logs: it rejects C0 and C1 controls, DEL, the invisible format characters (soft hyphen,
// zero-width characters, bidirectional overrides, line/paragraph separators, BOM, interlinear
// annotation) and private-use code points. Unlike Go it accepts other non-graphic code points
// (non-ASCII spaces such as U+00A0, unassigned code points).
bool is_print(char32_t rune);

// The inside of strconv.Quote(text): Go's escapes (\n, \x1b, \u202e, ...) for non-printable runes,
// \xNN for bytes that are not valid UTF-8; '"' and '\\' get a backslash only when asked.
void append_escaped(std::string& out, std::string_view text, bool escape_quote_and_backslash);

// strconv.Quote (Go's %q for strings), with is_print's notion of printable.
void append_quoted(std::string& out, std::string_view text);
std::string quote(std::string_view text);

}  // namespace piw::go
