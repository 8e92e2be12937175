#pragma once
// Serving certificate hot reload (decision S2). Holds the current SSL context; every new TLS
// connection takes the context current at accept time, so the next handshake after a change
// serves the new certificate. A bad new pair keeps the old one (logged and counted).

// Boost 1.74 with g++ 12 in C++20: <optional> and <utility> before any Asio header.
#include <optional>
#include <utility>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "pod_identity_webhook/common/file_watcher.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/server/tls_settings.hpp"

namespace piw::server {

// A fully configured server context (policy, ALPN http/1.1 only, no renegotiation or
// compression) holding this certificate and key. Fails if either is unreadable or they differ.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const TlsSettings& settings);

class CertificateReloader {
  public:
    // Loads the pair; an Error names the file and the OpenSSL reason.
    static Result<std::unique_ptr<CertificateReloader>> create(TlsSettings settings,
                                                               metrics::WebhookMetrics* metrics);
    ~CertificateReloader();

    [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> current() const;
    // Re-reads both files; on failure keeps the current context.
    Status reload();
    void start_watching(std::chrono::milliseconds poll_interval = std::chrono::seconds(10));

  private:
    CertificateReloader(TlsSettings settings, metrics::WebhookMetrics* metrics);
    TlsSettings settings_;
    metrics::WebhookMetrics* metrics_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> context_;
    std::unique_ptr<FileWatcher> watcher_;
};

}  // namespace piw::server
