#pragma once
// base64url without padding (RFC 7515 §2), the encoding of every JWS part and JWK member.

#include <optional>
#include <string>
#include <string_view>

namespace piw::oidc {

std::string base64url_encode(std::string_view bytes);

// Strict: no padding, no whitespace, only the URL-safe alphabet, and unused trailing bits zero, so
// that every byte string has exactly one accepted encoding (a token cannot be altered in its
// encoding while keeping its signature valid). nullopt on any violation.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace piw::oidc
