// make_server_context: the webhook port's TLS policy (decision S2) and its certificate.

#include <optional>
#include <utility>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "pod_identity_webhook/common/openssl_ptr.hpp"
#include "pod_identity_webhook/server/certificate_reloader.hpp"
#include "server/openssl_text.hpp"

namespace piw::server {
namespace {

// Mozilla "intermediate" for TLS 1.2: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only.
constexpr const char* kIntermediateTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.0/1.1 have no AEAD suites: when an operator lowers --tls-min-version without naming
// suites, the ECDHE CBC suites Go's defaults include are added so old clients can connect.
constexpr const char* kLegacyTlsCiphers =
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

// Certificates and keys are small; anything bigger is not a PEM pair we should hold in memory.
constexpr long kMaxPemFileBytes = 4L * 1024L * 1024L;

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using openssl::BioPtr;
using openssl::X509Ptr;
using KeyPtr = openssl::PkeyPtr;

// Key material read from disk, wiped from memory when done with.
class SecretText {
  public:
    explicit SecretText(std::string text) : text_(std::move(text)) {}
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    ~SecretText() { OPENSSL_cleanse(text_.data(), text_.size()); }
    [[nodiscard]] const std::string& text() const { return text_; }

  private:
    std::string text_;
};

// Both files are read whole before either is parsed, so that the pair comes from as close to one
// moment as possible (kubelet swaps them together).
Result<std::string> read_pem_file(const std::string& path) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return Error{"cannot open " + path + ": " +
                     std::error_code(errno, std::generic_category()).message()};
    }
    std::string content;
    content.reserve(16384);  // typical PEM files fit: no reallocation leaves copies behind
    char chunk[16384];
    while (true) {
        const std::size_t read = std::fread(chunk, 1, sizeof chunk, file.get());
        content.append(chunk, read);
        if (content.size() > static_cast<std::size_t>(kMaxPemFileBytes)) {
            return Error{"cannot read " + path + ": larger than 4 MiB"};
        }
        if (read < sizeof chunk) break;
    }
    OPENSSL_cleanse(chunk, sizeof chunk);
    if (std::ferror(file.get()) != 0) return Error{"cannot read " + path + ": read error"};
    return content;
}

// Never prompt on a terminal for a passphrase: an encrypted key is simply an error.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
    return 0;
}

BioPtr memory_bio(const std::string& content) {
    return BioPtr(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
}

bool only_no_start_line_pending() {
    const unsigned long code = ERR_peek_last_error();
    return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

Status load_certificate_chain(SSL_CTX* context, const std::string& pem, const std::string& path) {
    ERR_clear_error();
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"loading certificate " + path + ": " + detail::take_openssl_errors()};
    X509Ptr leaf(PEM_read_bio_X509_AUX(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (!leaf) {
        return Error{"loading certificate " + path + ": " + detail::take_openssl_errors()};
    }
    if (SSL_CTX_use_certificate(context, leaf.get()) != 1) {
        return Error{"using certificate " + path + ": " + detail::take_openssl_errors()};
    }
    // The rest of the file is the chain to send after the leaf.
    while (true) {
        X509Ptr intermediate(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
        if (!intermediate) break;
        if (SSL_CTX_add0_chain_cert(context, intermediate.get()) != 1) {
            return Error{"adding chain certificate from " + path + ": " +
                         detail::take_openssl_errors()};
        }
        static_cast<void>(intermediate.release());  // owned by the context now
    }
    if (ERR_peek_last_error() != 0 && !only_no_start_line_pending()) {
        return Error{"loading certificate chain " + path + ": " + detail::take_openssl_errors()};
    }
    ERR_clear_error();
    return Status::success();
}

Status load_private_key(SSL_CTX* context, const std::string& pem, const TlsSettings& settings) {
    ERR_clear_error();
    BioPtr bio = memory_bio(pem);
    if (!bio)
        return Error{"loading key " + settings.key_file + ": " + detail::take_openssl_errors()};
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (!key) {
        return Error{"loading key " + settings.key_file + ": " + detail::take_openssl_errors()};
    }
    // Checked before SSL_CTX_use_PrivateKey, which would otherwise drop the certificate quietly.
    if (X509_check_private_key(SSL_CTX_get0_certificate(context), key.get()) != 1) {
        return Error{"certificate " + settings.certificate_file + " does not match key " +
                     settings.key_file + ": " + detail::take_openssl_errors()};
    }
    if (SSL_CTX_use_PrivateKey(context, key.get()) != 1 ||
        SSL_CTX_check_private_key(context) != 1) {
        return Error{"using key " + settings.key_file + ": " + detail::take_openssl_errors()};
    }
    return Status::success();
}

// ALPN: we speak HTTP/1.1 only. A client that offers it gets it; a client that offers only other
// protocols (h2) gets no ALPN at all and may still talk HTTP/1.1.
int select_http11(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void* /*arg*/) {
    static constexpr std::string_view kHttp11 = "http/1.1";
    unsigned int position = 0;
    while (position < offered_length) {
        const unsigned int length = offered[position];
        const unsigned int start = position + 1;
        if (start + length > offered_length) break;
        const std::string_view protocol(reinterpret_cast<const char*>(offered + start), length);
        if (protocol == kHttp11) {
            *out = offered + start;
            *out_length = static_cast<unsigned char>(length);
            return SSL_TLSEXT_ERR_OK;
        }
        position = start + length;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

Status apply_policy(SSL_CTX* context, const TlsSettings& settings) {
    ERR_clear_error();
    const int min_version = settings.min_version == 0 ? TLS1_2_VERSION : settings.min_version;
    if (min_version < TLS1_2_VERSION) {
        // OpenSSL 3 only negotiates TLS 1.0/1.1 at security level 0; an operator who asks for
        // them explicitly (as upstream allows) gets them.
        SSL_CTX_set_security_level(context, 0);
    }
    if (SSL_CTX_set_min_proto_version(context, min_version) != 1 ||
        SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1) {
        return Error{"setting TLS versions: " + detail::take_openssl_errors()};
    }
    std::string tls12 = settings.cipher_list;
    if (tls12.empty()) {
        tls12 = kIntermediateTls12Ciphers;
        if (min_version < TLS1_2_VERSION) tls12 = tls12 + ":" + kLegacyTlsCiphers;
    }
    if (SSL_CTX_set_cipher_list(context, tls12.c_str()) != 1) {
        return Error{"setting TLS 1.2 cipher suites \"" + tls12 +
                     "\": " + detail::take_openssl_errors()};
    }
    if (SSL_CTX_set_ciphersuites(context, kTls13Suites) != 1) {
        return Error{"setting TLS 1.3 cipher suites: " + detail::take_openssl_errors()};
    }
    if (SSL_CTX_set1_groups_list(context, kGroups) != 1) {
        return Error{"setting key exchange groups: " + detail::take_openssl_errors()};
    }
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_alpn_select_cb(context, select_http11, nullptr);
    return Status::success();
}

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    const TlsSettings& settings) {
    auto certificate_pem = read_pem_file(settings.certificate_file);
    if (!certificate_pem) return Error{certificate_pem.error()};
    auto key_file = read_pem_file(settings.key_file);
    if (!key_file) return Error{key_file.error()};
    const SecretText key_pem(std::move(key_file.value()));

    std::shared_ptr<boost::asio::ssl::context> context;
    try {
        context =
            std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    } catch (const std::exception&) {
        return Error{"creating a TLS context: " + detail::take_openssl_errors()};
    }
    SSL_CTX* handle = context->native_handle();
    if (auto status = apply_policy(handle, settings); !status) return Error{status.error()};
    if (auto status = load_certificate_chain(handle, *certificate_pem, settings.certificate_file);
        !status) {
        return Error{status.error()};
    }
    if (auto status = load_private_key(handle, key_pem.text(), settings); !status) {
        return Error{status.error()};
    }
    return context;
}

}  // namespace piw::server
