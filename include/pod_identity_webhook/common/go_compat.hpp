#pragma once
// Parsers that reproduce Go standard-library semantics the upstream webhook depends on
// (strconv.ParseBool / ParseInt, time.ParseDuration, path.Clean / filepath.Join, encoding/csv).
// All are total functions: bad input yields std::nullopt or an Error, never an exception.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::go {

// strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
std::optional<bool> parse_bool(std::string_view text);

// strconv.ParseInt(text, 10, 64): optional sign, decimal digits only, no spaces, range-checked.
std::optional<std::int64_t> parse_int_decimal(std::string_view text);

// strconv.ParseInt(text, 0, 64): like the decimal form, plus 0x/0o/0b/0 prefixes and '_' separators
// (only between digits, as Go requires). Used for int flags.
std::optional<std::int64_t> parse_int_any_base(std::string_view text);

// time.ParseDuration: "300ms", "-1.5h", "2h45m", "0". Units ns us µs ms s m h.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Formats like Go's time.Duration.String(): "1s", "100ms", "1m30s", "0s".
std::string format_duration(std::chrono::nanoseconds duration);

// path.Clean (slash-separated, as filepath on Linux).
std::string clean_path(std::string_view path);

// filepath.Join(a, b) on Linux: empty elements are ignored, the result is cleaned, "" if both empty.
std::string join_path(std::string_view first, std::string_view second);

// encoding/csv reader, first record only, default settings (comma ',', RFC 4180 quotes, no trimming,
// LazyQuotes=false). Returns the fields, or an Error (bare quote in an unquoted field, extraneous or
// missing quote, or empty input which Go reports as EOF).
Result<std::vector<std::string>> parse_csv_first_record(std::string_view text);

}  // namespace piw::go
