#include "pod_identity_webhook/server/tls_settings.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include <openssl/err.h>

#include <array>
#include <memory>

namespace piw::server {
namespace {

struct VersionName {
    std::string_view name;
    int version;
};

// Upstream's table (upstream-behaviour §1): both spellings of every version.
constexpr std::array<VersionName, 8> kVersionNames{{
    {"1.0", TLS1_VERSION},
    {"1.1", TLS1_1_VERSION},
    {"1.2", TLS1_2_VERSION},
    {"1.3", TLS1_3_VERSION},
    {"VersionTLS10", TLS1_VERSION},
    {"VersionTLS11", TLS1_1_VERSION},
    {"VersionTLS12", TLS1_2_VERSION},
    {"VersionTLS13", TLS1_3_VERSION},
}};

// Go's tls.CipherSuites(): the three TLS 1.3 suites, which Go does not let you configure (the
// names are accepted and have no effect).
constexpr std::array<std::string_view, 3> kTls13Suites{
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
};

// Go's tls.CipherSuites() (TLS <= 1.2 part) and tls.InsecureCipherSuites(): the only names
// upstream accepts.
constexpr std::array<std::string_view, 22> kGoTls12Suites{
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    // insecure
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
    for (const auto candidate : names) {
        if (candidate == name) return true;
    }
    return false;
}

std::string_view trim_spaces(std::string_view text) {
    constexpr std::string_view kSpace = " \t\n\r\f\v";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(kSpace);
    return text.substr(first, last - first + 1);
}

// The OpenSSL name of an IANA-named suite, looked up among every suite this OpenSSL knows
// (security level 0 so that nothing is hidden by policy); empty if it cannot offer it.
class OpenSslCipherCatalog {
  public:
    OpenSslCipherCatalog() : context_(SSL_CTX_new(TLS_method())) {
        if (!context_) return;
        SSL_CTX_set_security_level(context_.get(), 0);
        if (SSL_CTX_set_cipher_list(context_.get(), "ALL:COMPLEMENTOFALL") != 1) {
            ERR_clear_error();
        }
    }

    [[nodiscard]] std::string openssl_name(std::string_view standard_name) const {
        if (!context_) return {};
        STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(context_.get());
        const int count = sk_SSL_CIPHER_num(ciphers);
        for (int i = 0; i < count; ++i) {
            const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
            const char* standard = SSL_CIPHER_standard_name(cipher);
            if (standard != nullptr && standard_name == standard) {
                return SSL_CIPHER_get_name(cipher);
            }
        }
        return {};
    }

  private:
    openssl::SslCtxPtr context_;
};

}  // namespace

Result<int> parse_tls_min_version(std::string_view text) {
    if (text.empty()) return TLS1_2_VERSION;
    for (const auto& entry : kVersionNames) {
        if (entry.name == text) return entry.version;
    }
    return Error{"Invalid value for tls-min-version unsupported version " + std::string(text)};
}

Result<std::string> parse_tls_cipher_suites(std::string_view text) {
    const OpenSslCipherCatalog catalog;
    std::string list;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = trim_spaces(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) continue;
        if (contains(kTls13Suites, item)) continue;
        if (!contains(kGoTls12Suites, item)) {
            return Error{"invalid tls-cipher-suites: unsupported cipher suite: " +
                         std::string(item)};
        }
        const std::string openssl_name = catalog.openssl_name(item);
        if (openssl_name.empty()) {
            return Error{"invalid tls-cipher-suites: cipher suite " + std::string(item) +
                         " is not available in this build of OpenSSL"};
        }
        if (!list.empty()) list += ':';
        list += openssl_name;
    }
    return list;
}

}  // namespace piw::server
