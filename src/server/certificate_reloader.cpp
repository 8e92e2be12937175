#include "pod_identity_webhook/server/certificate_reloader.hpp"

#include <openssl/ssl.h>

#include <string>
#include <utility>

#include "pod_identity_webhook/logging/log.hpp"
#include "server/openssl_text.hpp"

namespace piw::server {
namespace {

struct CertificateFacts {
    std::string common_name;
    std::optional<double> not_after;
};

CertificateFacts describe(const boost::asio::ssl::context& context) {
    // SSL_CTX_get0_certificate takes a non-const context but does not modify it.
    const X509* leaf =
        SSL_CTX_get0_certificate(const_cast<boost::asio::ssl::context&>(context).native_handle());
    return {detail::common_name(leaf), detail::not_after_unix_seconds(leaf)};
}

std::string unix_seconds_text(std::optional<double> seconds) {
    return seconds ? std::to_string(static_cast<long long>(*seconds)) : std::string("unknown");
}

}  // namespace

CertificateReloader::CertificateReloader(TlsSettings settings, metrics::WebhookMetrics* metrics)
    : settings_(std::move(settings)), metrics_(metrics) {}

CertificateReloader::~CertificateReloader() {
    // The watcher's thread calls reload(); stop it before anything it touches goes away.
    watcher_.reset();
}

Result<std::unique_ptr<CertificateReloader>> CertificateReloader::create(
    TlsSettings settings, metrics::WebhookMetrics* metrics) {
    auto context = make_server_context(settings);
    if (!context) return Error{context.error()};
    std::unique_ptr<CertificateReloader> reloader(
        new CertificateReloader(std::move(settings), metrics));
    const CertificateFacts facts = describe(**context);
    reloader->context_ = std::move(context.value());
    if (metrics != nullptr && facts.not_after) metrics->set_certificate_expiry(*facts.not_after);
    logging::info("serving certificate loaded",
                  {{"certificate", reloader->settings_.certificate_file},
                   {"subject_cn", facts.common_name},
                   {"not_after_unix", unix_seconds_text(facts.not_after)}});
    return reloader;
}

std::shared_ptr<boost::asio::ssl::context> CertificateReloader::current() const {
    std::lock_guard lock(mutex_);
    return context_;
}

Status CertificateReloader::reload() {
    auto context = make_server_context(settings_);
    if (!context) {
        logging::warn("keeping the current serving certificate: the new pair is not usable",
                      {{"certificate", settings_.certificate_file},
                       {"key", settings_.key_file},
                       {"reason", context.error()}});
        if (metrics_ != nullptr) metrics_->record_certificate_reload(false);
        return Error{context.error()};
    }
    const CertificateFacts facts = describe(**context);
    {
        std::lock_guard lock(mutex_);
        context_ = std::move(context.value());
    }
    if (metrics_ != nullptr) {
        metrics_->record_certificate_reload(true);
        if (facts.not_after) metrics_->set_certificate_expiry(*facts.not_after);
    }
    logging::info("serving certificate reloaded",
                  {{"certificate", settings_.certificate_file},
                   {"subject_cn", facts.common_name},
                   {"not_after_unix", unix_seconds_text(facts.not_after)}});
    return Status::success();
}

void CertificateReloader::start_watching(std::chrono::milliseconds poll_interval) {
    if (watcher_) return;
    watcher_ = std::make_unique<FileWatcher>(
        std::vector<std::string>{settings_.certificate_file, settings_.key_file}, poll_interval,
        [this]() { return reload().ok(); });
    watcher_->start();
}

}  // namespace piw::server
