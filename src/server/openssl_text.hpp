#pragma once
// Turning OpenSSL's error queue and certificate fields into text for logs and error messages.

#include <openssl/x509.h>

#include <optional>
#include <string>

namespace piw::server::detail {

// Empties this thread's OpenSSL error queue and describes what was in it, e.g.
// "PEM routines: no start line; SSL routines: key values mismatch". Never empty: if the queue
// held nothing, says so.
std::string take_openssl_errors();

// The subject's commonName, or "" if it has none.
std::string common_name(const X509* certificate);

// notAfter as seconds since the epoch.
std::optional<double> not_after_unix_seconds(const X509* certificate);

}  // namespace piw::server::detail
