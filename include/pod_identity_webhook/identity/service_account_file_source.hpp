#pragma once
// --service-accounts-file (decision I5): ServiceAccount objects from a YAML or JSON file
// (multi-document or a v1 List), authoritative (a ServiceAccount not in the file is absent),
// reloaded when the file changes. An invalid file at start is an error; an invalid file on reload
// keeps the previous content, and the failure is logged and counted.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/file_watcher.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/identity/service_account_source.hpp"
#include "pod_identity_webhook/identity/service_account_store.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

namespace piw::identity {

// Parses ServiceAccounts out of manifest text. Non-ServiceAccount documents are skipped; a
// ServiceAccount without metadata.name is an error; without a namespace it is in "default".
Result<std::vector<ServiceAccountEntry>> parse_service_accounts(std::string_view text,
                                                                const AnnotationSettings& settings);

class ServiceAccountFileSource final : public ServiceAccountSource {
  public:
    // Loads the file once; a missing, unreadable or invalid file is an Error naming the file.
    static Result<std::unique_ptr<ServiceAccountFileSource>> open(std::string path,
                                                                  AnnotationSettings settings,
                                                                  metrics::WebhookMetrics* metrics);

    // Starts watching the file for changes.
    void start_watching(std::chrono::milliseconds poll_interval = std::chrono::seconds(10));
    // Re-reads the file now; on failure the previous content is kept.
    Status reload();

    ServiceAccountLookup find(std::string_view namespace_, std::string_view name) const override;
    void fetch(std::string namespace_, std::string name, Clock::time_point deadline,
               FetchCallback done) override;  // answers absent at once: the file is authoritative
    bool synced() const override { return true; }
    std::vector<std::shared_ptr<const ServiceAccountEntry>> entries() const override;
    std::size_t size() const override;
    void clear() override;
    std::string describe() const override;

    ~ServiceAccountFileSource() override;

  private:
    ServiceAccountFileSource(std::string path, AnnotationSettings settings,
                             metrics::WebhookMetrics* metrics);
    // Reads and parses the file; replaces the content only when all of it is valid.
    Status load();

    std::mutex reload_mutex_;  // one load at a time (watcher thread, callers of reload())
    std::string path_;
    AnnotationSettings settings_;
    metrics::WebhookMetrics* metrics_;
    ServiceAccountStore store_;
    std::unique_ptr<FileWatcher> watcher_;
};

}  // namespace piw::identity
