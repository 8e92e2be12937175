#pragma once
// Small helpers for writing JSON text directly (the hot path builds its few output bytes by hand
// rather than through a DOM).

#include <string>
#include <string_view>

namespace piw::json {

// Appends `text` as a JSON string literal (with quotes), escaped the way Go's encoder does it
// (short escapes for \b \f \n \r \t, \u00XX for other control characters, \u2028/\u2029), except
// that '<', '>' and '&' are kept. Invalid UTF-8 bytes become U+FFFD, so the output is always valid
// JSON.
void append_string(std::string& out, std::string_view text);

std::string quote(std::string_view text);

// RFC 4648 base64 with padding.
void append_base64(std::string& out, std::string_view bytes);

// JSON Pointer token escaping (RFC 6901): '~' → "~0", '/' → "~1".
std::string escape_pointer_token(std::string_view token);

}  // namespace piw::json
