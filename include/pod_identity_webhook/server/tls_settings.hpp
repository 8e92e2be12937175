#pragma once
// TLS policy for the webhook port (decision S2): certificate files, minimum version, cipher suites.

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::server {

struct TlsSettings {
    std::string certificate_file = "/etc/webhook/certs/tls.crt";  // --tls-cert
    std::string key_file = "/etc/webhook/certs/tls.key";          // --tls-key
    int min_version = TLS1_2_VERSION;                             // --tls-min-version
    // OpenSSL names for TLS <= 1.2 suites; empty → Mozilla "intermediate" (ECDHE +
    // AES-GCM/ChaCha20).
    std::string cipher_list;
};

// --tls-min-version: 1.0 1.1 1.2 1.3 VersionTLS10..VersionTLS13; "" → TLS 1.2.
// Error text as upstream: "Invalid value for tls-min-version unsupported version <v>".
Result<int> parse_tls_min_version(std::string_view text);

// --tls-cipher-suites: comma-separated IANA names (Go's names, e.g.
// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), spaces trimmed, empty items skipped. Returns an OpenSSL
// cipher list for TLS <= 1.2. TLS 1.3 names are accepted and ignored (as Go does). Unknown name:
// "invalid tls-cipher-suites: unsupported cipher suite: <name>".
Result<std::string> parse_tls_cipher_suites(std::string_view text);

}  // namespace piw::server
