#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

#include <array>
#include <string>

namespace piw::metrics {

namespace {

constexpr std::string_view kMutatePath = "/mutate";

// Methods from RFC 9110 and PATCH; anything else a client sends would otherwise become a label
// value of its own.
std::string_view bounded_verb(std::string_view verb) {
    static constexpr std::array<std::string_view, 9> kKnown = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    for (std::string_view known : kKnown) {
        if (verb == known) return known;
    }
    return "OTHER";
}

std::string_view mode_label(CredentialMode mode) {
    switch (mode) {
        case CredentialMode::web_identity:
            return "web_identity";
        case CredentialMode::container_credentials:
            return "container_credentials";
        case CredentialMode::none:
            break;
    }
    return "none";
}

// Upstream's pod_count{method} values.
std::string_view upstream_method_label(CredentialMode mode) {
    return mode == CredentialMode::container_credentials ? "container_credentials"
                                                         : "sts_web_identity";
}

bool pod_gets_credentials(CredentialMode mode, std::string_view outcome) {
    return mode != CredentialMode::none && (outcome == "mutated" || outcome == "already_mutated");
}

double microseconds(std::chrono::nanoseconds duration) {
    // Upstream observes time.Duration.Microseconds(): truncated to whole microseconds.
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

double seconds(std::chrono::nanoseconds duration) {
    return std::chrono::duration<double>(duration).count();
}

}  // namespace

WebhookMetrics::WebhookMetrics(Registry& registry)
    : registry_(registry),
      http_request_count_(
          registry.counter("http_request_count",
                           "Counter of requests broken out for each verb, path, and response code.",
                           {"verb", "path", "code"})),
      http_request_latencies_(
          registry.histogram("http_request_latencies",
                             "Response latency distribution in microseconds for each verb and path",
                             {"verb", "path"}, {125000, 250000, 500000, 1e6, 2e6, 4e6, 8e6})),
      http_request_duration_(registry.summary(
          "http_request_duration_microseconds",
          "Response latency summary in microseconds for each verb and path.", {"verb", "path"})),
      admission_duration_(registry.histogram(
          "pod_identity_webhook_admission_duration_seconds",
          "Time spent deciding an admission review, from the decoded request to the encoded "
          "response, by outcome (allowed or denied).",
          {"outcome"},
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
           5, 10})),
      mutations_total_(registry.counter(
          "pod_identity_webhook_mutations_total",
          "Pods reviewed, by credential mode (web_identity, container_credentials or none) and "
          "outcome.",
          {"mode", "outcome"})),
      pod_count_(registry.counter(
          "pod_identity_webhook_pod_count",
          "Indicator to how many pods are using sts web identity or container credentials",
          {"method"})),
      missing_sa_count_(registry.counter(
          "pod_identity_webhook_missing_sa_count",
          "Service account did not have the right annotations or was not found in the cache.")),
      used_(registry.gauge("pod_identity_webhook_used",
                           "Indicator to know pod identity webhook is used")),
      service_accounts_(registry.gauge("pod_identity_webhook_service_accounts",
                                       "ServiceAccounts currently known to the webhook.")),
      watch_restarts_(registry.counter(
          "pod_identity_webhook_watch_restarts_total",
          "Times the ServiceAccount watch on the Kubernetes API was restarted (expired resource "
          "version, dropped connection or error).")),
      sa_lookups_(registry.counter("pod_identity_webhook_sa_lookups_total",
                                   "ServiceAccount lookups made while reviewing pods, by result.",
                                   {"result"})),
      certificate_expiry_(registry.gauge(
          "pod_identity_webhook_certificate_expiry_timestamp_seconds",
          "Expiry (notAfter) of the serving certificate currently in use, in seconds since the "
          "Unix epoch.")),
      certificate_reloads_(registry.counter(
          "pod_identity_webhook_certificate_reloads_total",
          "Attempts to load a changed serving certificate and key, by result (success or "
          "failure; on failure the previous pair stays in use).",
          {"result"})),
      config_reloads_(registry.counter(
          "pod_identity_webhook_config_reloads_total",
          "Reloads of watched configuration files, by source (service_accounts_file or "
          "container_credentials_config) and result (success or failure; on failure the "
          "previous content stays in use).",
          {"source", "result"})),
      mutate_ok_count_(http_request_count_.with({"POST", kMutatePath, "200"})),
      mutate_latencies_(http_request_latencies_.with({"POST", kMutatePath})),
      mutate_duration_(http_request_duration_.with({"POST", kMutatePath})),
      admission_allowed_(admission_duration_.with({"allowed"})),
      admission_denied_(admission_duration_.with({"denied"})) {
    // Present from the start as upstream's plain gauge is; counters without labels start at 0 so
    // that rate() works from the first scrape. missing_sa_count and the certificate expiry stay
    // absent until they have a value (upstream, and a 0 expiry would read as "expired").
    used_.with({}).set(0);
    service_accounts_.with({}).set(0);
    watch_restarts_.with({});
}

void WebhookMetrics::record_http_request(std::string_view verb, std::string_view path, int code,
                                         std::chrono::nanoseconds duration) {
    const double us = microseconds(duration);
    if (verb == "POST" && path == kMutatePath) {
        if (code == 200) {
            mutate_ok_count_.inc();
        } else {
            http_request_count_.with({"POST", kMutatePath, std::to_string(code)}).inc();
        }
        mutate_latencies_.observe(us);
        mutate_duration_.observe(us);
        return;
    }
    std::string_view method = bounded_verb(verb);
    http_request_count_.with({method, path, std::to_string(code)}).inc();
    http_request_latencies_.with({method, path}).observe(us);
    http_request_duration_.with({method, path}).observe(us);
}

void WebhookMetrics::record_admission(std::string_view outcome, std::chrono::nanoseconds duration) {
    if (outcome == "allowed") {
        admission_allowed_.observe(seconds(duration));
    } else if (outcome == "denied") {
        admission_denied_.observe(seconds(duration));
    } else {
        admission_duration_.with({outcome}).observe(seconds(duration));
    }
}

void WebhookMetrics::record_mutation(CredentialMode mode, std::string_view outcome) {
    mutations_total_.with({mode_label(mode), outcome}).inc();
    if (pod_gets_credentials(mode, outcome)) {
        pod_count_.with({upstream_method_label(mode)}).inc();
    }
}

void WebhookMetrics::increment_missing_service_account() {
    missing_sa_count_.with({}).inc();
}

void WebhookMetrics::set_used(bool used) {
    used_.with({}).set(used ? 1.0 : 0.0);
}

void WebhookMetrics::set_service_accounts(std::size_t count) {
    service_accounts_.with({}).set(static_cast<double>(count));
}

void WebhookMetrics::increment_watch_restarts() {
    watch_restarts_.with({}).inc();
}

void WebhookMetrics::record_service_account_lookup(std::string_view result) {
    sa_lookups_.with({result}).inc();
}

void WebhookMetrics::set_certificate_expiry(double unix_seconds) {
    certificate_expiry_.with({}).set(unix_seconds);
}

void WebhookMetrics::record_certificate_reload(bool success) {
    certificate_reloads_.with({success ? "success" : "failure"}).inc();
}

void WebhookMetrics::record_config_reload(std::string_view source, bool success) {
    config_reloads_.with({source, success ? "success" : "failure"}).inc();
}

}  // namespace piw::metrics
