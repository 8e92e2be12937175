#pragma once
// ServiceAccounts from the Kubernetes API (decisions I1, I2): a reflector (LIST + WATCH of every
// namespace) fills the store with stripped entries — name, namespace, resourceVersion, the
// annotations under the prefix and near-miss keys — and a ServiceAccount the store does not hold
// is looked up live (LiveLookup) within the pod's deadline.

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>

#include "pod_identity_webhook/identity/live_lookup.hpp"
#include "pod_identity_webhook/identity/service_account_source.hpp"
#include "pod_identity_webhook/identity/service_account_store.hpp"
#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/kube/reflector.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

namespace piw::identity {

struct KubernetesSourceOptions {
    AnnotationSettings annotations;
    std::size_t page_size = 500;
    std::chrono::milliseconds get_timeout{1000};  // one live GET (also bounded by the deadline)
    LiveLookupOptions lookup;
    // Tests shorten these.
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{30000};
    std::chrono::seconds min_watch_timeout{300};
};

// Which annotation keys a ServiceAccount entry needs: those under "<prefix>/" and near misses.
bool is_relevant_annotation(std::string_view key, std::string_view prefix);

class KubernetesServiceAccountSource final : public ServiceAccountSource,
                                             private kube::ReflectorHandler {
  public:
    // The client and metrics (nullable) must outlive the source.
    KubernetesServiceAccountSource(kube::KubeClient& client, KubernetesSourceOptions options,
                                   metrics::WebhookMetrics* metrics);
    ~KubernetesServiceAccountSource() override;

    void start();
    // Stops the reflector and answers pending lookups. Shut the client down first to cut an
    // open watch short.
    void stop();

    ServiceAccountLookup find(std::string_view namespace_, std::string_view name) const override;
    void fetch(std::string namespace_, std::string name, Clock::time_point deadline,
               FetchCallback done) override;
    bool synced() const override { return reflector_.synced(); }
    std::vector<std::shared_ptr<const ServiceAccountEntry>> entries() const override;
    std::size_t size() const override;
    void clear() override;
    std::string describe() const override;
    // Why the source is not synced yet (for /readyz): the last LIST error, if any.
    [[nodiscard]] std::string last_error() const { return reflector_.last_error(); }

  private:
    void on_list_begin() override;
    void on_list_object(kube::KubeObject object) override;
    void on_list_end() override;
    void on_list_abandoned() override;
    void on_watch_event(kube::WatchEventType type, kube::KubeObject object) override;

    ServiceAccountEntry make_entry(kube::KubeObject object) const;
    void store_entry(ServiceAccountEntry entry);
    ServiceAccountLookup get_live(const std::string& namespace_, const std::string& name,
                                  Clock::time_point deadline);
    void publish_size();

    kube::KubeClient& client_;
    KubernetesSourceOptions options_;
    metrics::WebhookMetrics* metrics_;
    ServiceAccountStore store_;
    // Keys listed during a relist (not the first LIST): whatever is not among them is deleted.
    std::unordered_set<std::string> listed_;
    bool relisting_ = false;
    LiveLookup lookup_;
    kube::Reflector reflector_;
};

}  // namespace piw::identity
