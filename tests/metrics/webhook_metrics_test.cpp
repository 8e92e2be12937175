#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::metrics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class WebhookMetricsTest : public ::testing::Test {
  protected:
    Registry registry;
    WebhookMetrics metrics{registry};
    std::string text() const { return registry.render(); }
};

TEST_F(WebhookMetricsTest, UpstreamNamesHelpTextsAndTypes) {
    std::string out = text();
    EXPECT_THAT(out,
                HasSubstr("# HELP http_request_count Counter of requests broken out for each "
                          "verb, path, and response code.\n# TYPE http_request_count counter\n"));
    EXPECT_THAT(out, HasSubstr("# HELP http_request_latencies Response latency distribution in "
                               "microseconds for each verb and path\n"
                               "# TYPE http_request_latencies histogram\n"));
    EXPECT_THAT(out, HasSubstr("# HELP http_request_duration_microseconds Response latency summary "
                               "in microseconds for each verb and path.\n"
                               "# TYPE http_request_duration_microseconds summary\n"));
    EXPECT_THAT(out,
                HasSubstr("# HELP pod_identity_webhook_pod_count Indicator to how many pods are "
                          "using sts web identity or container credentials\n"
                          "# TYPE pod_identity_webhook_pod_count counter\n"));
    EXPECT_THAT(out,
                HasSubstr("# HELP pod_identity_webhook_missing_sa_count Service account did not "
                          "have the right annotations or was not found in the cache.\n"
                          "# TYPE pod_identity_webhook_missing_sa_count counter\n"));
    EXPECT_THAT(out, HasSubstr("# HELP pod_identity_webhook_used Indicator to know pod identity "
                               "webhook is used\n# TYPE pod_identity_webhook_used gauge\n"
                               "pod_identity_webhook_used 0\n"));
    for (const char* ours :
         {"# TYPE pod_identity_webhook_admission_duration_seconds histogram\n",
          "# TYPE pod_identity_webhook_mutations_total counter\n",
          "# TYPE pod_identity_webhook_service_accounts gauge\n",
          "# TYPE pod_identity_webhook_watch_restarts_total counter\n",
          "# TYPE pod_identity_webhook_sa_lookups_total counter\n",
          "# TYPE pod_identity_webhook_certificate_expiry_timestamp_seconds gauge\n",
          "# TYPE pod_identity_webhook_certificate_reloads_total counter\n",
          "# TYPE pod_identity_webhook_config_reloads_total counter\n"}) {
        EXPECT_THAT(out, HasSubstr(ours));
    }
    EXPECT_THAT(out, HasSubstr("\npod_identity_webhook_watch_restarts_total 0\n"));
    EXPECT_THAT(out, HasSubstr("\npod_identity_webhook_service_accounts 0\n"));
}

TEST_F(WebhookMetricsTest, MissingServiceAccountCountIsAbsentUntilFirstIncrement) {
    EXPECT_THAT(text(), Not(HasSubstr("\npod_identity_webhook_missing_sa_count ")));
    metrics.increment_missing_service_account();
    metrics.increment_missing_service_account();
    EXPECT_THAT(text(), HasSubstr("\npod_identity_webhook_missing_sa_count 2\n"));
}

TEST_F(WebhookMetricsTest, CertificateExpiryIsAbsentUntilKnown) {
    EXPECT_THAT(text(),
                Not(HasSubstr("\npod_identity_webhook_certificate_expiry_timestamp_seconds ")));
    metrics.set_certificate_expiry(1.7e9);
    EXPECT_THAT(text(),
                HasSubstr("\npod_identity_webhook_certificate_expiry_timestamp_seconds 1.7e+09\n"));
}

TEST_F(WebhookMetricsTest, HttpRequestsInMicrosecondsWithUpstreamBuckets) {
    metrics.record_http_request("POST", "/mutate", 200, 300us + 999ns);
    metrics.record_http_request("POST", "/mutate", 200, 3s);
    metrics.record_http_request("POST", "/mutate", 415, 10us);
    std::string out = text();
    EXPECT_THAT(out,
                HasSubstr("http_request_count{code=\"200\",path=\"/mutate\",verb=\"POST\"} 2\n"));
    EXPECT_THAT(out,
                HasSubstr("http_request_count{code=\"415\",path=\"/mutate\",verb=\"POST\"} 1\n"));
    EXPECT_THAT(
        out,
        HasSubstr("http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"125000\"} 2\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"250000\"} 2\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"500000\"} 2\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"1e+06\"} 2\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"2e+06\"} 2\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"4e+06\"} 3\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"8e+06\"} 3\n"
                  "http_request_latencies_bucket{path=\"/mutate\",verb=\"POST\",le=\"+Inf\"} 3\n"
                  // truncated to whole microseconds: 300 + 3000000 + 10
                  "http_request_latencies_sum{path=\"/mutate\",verb=\"POST\"} 3.00031e+06\n"
                  "http_request_latencies_count{path=\"/mutate\",verb=\"POST\"} 3\n"));
    EXPECT_THAT(
        out,
        HasSubstr("http_request_duration_microseconds_sum{path=\"/mutate\",verb=\"POST\"} "
                  "3.00031e+06\n"
                  "http_request_duration_microseconds_count{path=\"/mutate\",verb=\"POST\"} 3\n"));
}

TEST_F(WebhookMetricsTest, UnknownVerbsShareOneLabelValue) {
    metrics.record_http_request("GET", "/debug/alpha/500", 500, 1us);
    metrics.record_http_request("BREW", "/mutate", 200, 1us);
    metrics.record_http_request("\x01garbage", "/mutate", 200, 1us);
    std::string out = text();
    EXPECT_THAT(
        out,
        HasSubstr("http_request_count{code=\"500\",path=\"/debug/alpha/500\",verb=\"GET\"} 1\n"));
    EXPECT_THAT(out,
                HasSubstr("http_request_count{code=\"200\",path=\"/mutate\",verb=\"OTHER\"} 2\n"));
    EXPECT_THAT(out, Not(HasSubstr("BREW")));
}

TEST_F(WebhookMetricsTest, AdmissionDurationInSecondsByOutcome) {
    metrics.record_admission("allowed", 300us);
    metrics.record_admission("denied", 2ms);
    std::string out = text();
    EXPECT_THAT(
        out, HasSubstr("pod_identity_webhook_admission_duration_seconds_bucket{outcome=\"allowed\","
                       "le=\"0.00025\"} 0\n"
                       "pod_identity_webhook_admission_duration_seconds_bucket{outcome=\"allowed\","
                       "le=\"0.0005\"} 1\n"));
    EXPECT_THAT(
        out, HasSubstr("pod_identity_webhook_admission_duration_seconds_bucket{outcome=\"denied\","
                       "le=\"0.001\"} 0\n"
                       "pod_identity_webhook_admission_duration_seconds_bucket{outcome=\"denied\","
                       "le=\"0.0025\"} 1\n"));
    EXPECT_THAT(
        out, HasSubstr("pod_identity_webhook_admission_duration_seconds_bucket{outcome=\"denied\","
                       "le=\"10\"} 1\n"));
    EXPECT_THAT(out,
                HasSubstr("pod_identity_webhook_admission_duration_seconds_sum{outcome=\"denied\"} "
                          "0.002\n"));
}

TEST_F(WebhookMetricsTest, PodCountFollowsUpstreamMethodNames) {
    metrics.record_mutation(CredentialMode::web_identity, "mutated");
    metrics.record_mutation(CredentialMode::web_identity, "already_mutated");
    metrics.record_mutation(CredentialMode::container_credentials, "mutated");
    metrics.record_mutation(CredentialMode::none, "not_mutated");
    metrics.record_mutation(CredentialMode::web_identity, "error");
    std::string out = text();
    EXPECT_THAT(out,
                HasSubstr("pod_identity_webhook_pod_count{method=\"container_credentials\"} 1\n"
                          "pod_identity_webhook_pod_count{method=\"sts_web_identity\"} 2\n"));
    EXPECT_THAT(out,
                HasSubstr("pod_identity_webhook_mutations_total{mode=\"container_credentials\","
                          "outcome=\"mutated\"} 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_mutations_total{mode=\"none\","
                               "outcome=\"not_mutated\"} 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_mutations_total{mode=\"web_identity\","
                               "outcome=\"already_mutated\"} 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_mutations_total{mode=\"web_identity\","
                               "outcome=\"error\"} 1\n"));
}

TEST_F(WebhookMetricsTest, GaugesAndReloadCounters) {
    metrics.set_used(true);
    metrics.set_service_accounts(42);
    metrics.increment_watch_restarts();
    metrics.record_service_account_lookup("cache_hit");
    metrics.record_service_account_lookup("cache_hit");
    metrics.record_certificate_reload(true);
    metrics.record_certificate_reload(false);
    metrics.record_config_reload("service_accounts_file", true);
    metrics.record_config_reload("container_credentials_config", false);
    std::string out = text();
    EXPECT_THAT(out, HasSubstr("\npod_identity_webhook_used 1\n"));
    EXPECT_THAT(out, HasSubstr("\npod_identity_webhook_service_accounts 42\n"));
    EXPECT_THAT(out, HasSubstr("\npod_identity_webhook_watch_restarts_total 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_sa_lookups_total{result=\"cache_hit\"} 2\n"));
    EXPECT_THAT(
        out, HasSubstr("pod_identity_webhook_certificate_reloads_total{result=\"failure\"} 1\n"
                       "pod_identity_webhook_certificate_reloads_total{result=\"success\"} 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_config_reloads_total{result=\"failure\","
                               "source=\"container_credentials_config\"} 1\n"));
    EXPECT_THAT(out, HasSubstr("pod_identity_webhook_config_reloads_total{result=\"success\","
                               "source=\"service_accounts_file\"} 1\n"));
    metrics.set_used(false);
    EXPECT_THAT(text(), HasSubstr("\npod_identity_webhook_used 0\n"));
}

}  // namespace
}  // namespace piw::metrics
