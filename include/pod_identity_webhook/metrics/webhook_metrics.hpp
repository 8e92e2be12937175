#pragma once
// Every metric the webhook exposes, by name, in one place (upstream-behaviour §6.3, decision S5).

#include <chrono>
#include <string_view>

#include "pod_identity_webhook/metrics/registry.hpp"
#include "pod_identity_webhook/mutation/identity.hpp"

namespace piw::metrics {

class WebhookMetrics {
  public:
    explicit WebhookMetrics(Registry& registry);

    // Upstream: http_request_count{verb,path,code}, http_request_latencies{verb,path} (µs
    // histogram), http_request_duration_microseconds{verb,path} (summary). `verb` is kept when it
    // is a standard HTTP method and becomes "OTHER" otherwise; `path` must come from the server's
    // route table (not the raw request target) so that the label set stays bounded.
    void record_http_request(std::string_view verb, std::string_view path, int code,
                             std::chrono::nanoseconds duration);

    // pod_identity_webhook_admission_duration_seconds{outcome}: outcome = allowed | denied
    void record_admission(std::string_view outcome, std::chrono::nanoseconds duration);

    // pod_identity_webhook_mutations_total{mode,outcome}; also upstream's
    // pod_identity_webhook_pod_count{method} when the pod gets credentials.
    void record_mutation(CredentialMode mode, std::string_view outcome);

    // Upstream's pod_identity_webhook_missing_sa_count (absent until first increment).
    void increment_missing_service_account();
    // Upstream's pod_identity_webhook_used: 1 once any ServiceAccount is known.
    void set_used(bool used);

    void set_service_accounts(std::size_t count);  // pod_identity_webhook_service_accounts
    void increment_watch_restarts();               // ..._watch_restarts_total
    void record_service_account_lookup(std::string_view result);  // ..._sa_lookups_total{result}
    void set_certificate_expiry(double unix_seconds);  // ..._certificate_expiry_timestamp_seconds
    void record_certificate_reload(bool success);      // ..._certificate_reloads_total{result}
    // pod_identity_webhook_config_reloads_total{source,result}: source = service_accounts_file |
    // container_credentials_config
    void record_config_reload(std::string_view source, bool success);

    [[nodiscard]] Registry& registry() { return registry_; }

  private:
    Registry& registry_;
    CounterFamily& http_request_count_;
    HistogramFamily& http_request_latencies_;
    SummaryFamily& http_request_duration_;
    HistogramFamily& admission_duration_;
    CounterFamily& mutations_total_;
    CounterFamily& pod_count_;
    CounterFamily& missing_sa_count_;
    GaugeFamily& used_;
    GaugeFamily& service_accounts_;
    CounterFamily& watch_restarts_;
    CounterFamily& sa_lookups_;
    GaugeFamily& certificate_expiry_;
    CounterFamily& certificate_reloads_;
    CounterFamily& config_reloads_;

    // Children used on every admission request, resolved once so that the hot path takes no lock.
    Counter& mutate_ok_count_;      // http_request_count{POST,/mutate,200}
    Histogram& mutate_latencies_;   // http_request_latencies{POST,/mutate}
    Summary& mutate_duration_;      // http_request_duration_microseconds{POST,/mutate}
    Histogram& admission_allowed_;  // ..._admission_duration_seconds{allowed}
    Histogram& admission_denied_;   // ..._admission_duration_seconds{denied}
};

}  // namespace piw::metrics
