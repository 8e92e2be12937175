// The endpoints besides /mutate (decision S1, S5; upstream §6.2–6.4): probes, metrics, and the
// debug handlers only when asked for.

#include <gtest/gtest.h>

#include <chrono>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(BinaryEndpoints, HealthAndReadinessAnswerOk) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto health = webhook.request("GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.error();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok");
    auto ready = webhook.request("GET", "/readyz");
    ASSERT_TRUE(ready.ok()) << ready.error();
    EXPECT_EQ(ready->status, 200);
    EXPECT_EQ(ready->body, "ok");
}

TEST(BinaryEndpoints, MetricsDescribeTrafficCredentialsAndCertificate) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto answer = webhook.admit(typical_review());
    ASSERT_TRUE(answer.ok()) << answer.error();
    ASSERT_TRUE(answer->patch.has_value());

    auto metrics = webhook.metrics_get("/metrics");
    ASSERT_TRUE(metrics.ok()) << metrics.error();
    ASSERT_EQ(metrics->status, 200);
    EXPECT_TRUE(metrics->header("Content-Type").value_or("").starts_with("text/plain"));
    const std::string& text = metrics->body;

    const auto requests = metric_sample(text, "http_request_count",
                                        {{"verb", "POST"}, {"path", "/mutate"}, {"code", "200"}});
    ASSERT_TRUE(requests.has_value()) << text;
    EXPECT_GE(*requests, 1.0);
    const auto pods =
        metric_sample(text, "pod_identity_webhook_pod_count", {{"method", "sts_web_identity"}});
    ASSERT_TRUE(pods.has_value()) << text;
    EXPECT_GE(*pods, 1.0);
    const auto mutations = metric_sample(text, "pod_identity_webhook_mutations_total",
                                         {{"mode", "web_identity"}, {"outcome", "mutated"}});
    ASSERT_TRUE(mutations.has_value()) << text;
    EXPECT_GE(*mutations, 1.0);
    EXPECT_TRUE(metric_sample(text, "http_request_latencies_count", {{"path", "/mutate"}})) << text;

    // The test certificate is valid for 24 h from now.
    const auto expiry =
        metric_sample(text, "pod_identity_webhook_certificate_expiry_timestamp_seconds");
    ASSERT_TRUE(expiry.has_value()) << text;
    EXPECT_GT(*expiry, unix_now() + 23 * 3600);
    EXPECT_LT(*expiry, unix_now() + 25 * 3600);

    const auto resident = metric_sample(text, "process_resident_memory_bytes");
    ASSERT_TRUE(resident.has_value()) << text;
    EXPECT_GT(*resident, 1024.0 * 1024.0);
    const auto known = metric_sample(text, "pod_identity_webhook_service_accounts");
    ASSERT_TRUE(known.has_value()) << text;
    EXPECT_EQ(*known, 3.0) << "three ServiceAccounts in the file";
}

TEST(BinaryEndpoints, DebugHandlersAreAbsentByDefault) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    for (const char* path : {"/debug/alpha/deny", "/debug/alpha/500"}) {
        auto answer = webhook.request("GET", path);
        ASSERT_TRUE(answer.ok()) << answer.error();
        EXPECT_EQ(answer->status, 404) << path;
    }
    for (const char* path : {"/debug/alpha/cache", "/debug/alpha/cache/clear"}) {
        auto answer = webhook.metrics_get(path);
        ASSERT_TRUE(answer.ok()) << answer.error();
        EXPECT_EQ(answer->status, 404) << path;
    }
}

TEST(BinaryEndpoints, DebugHandlersWithTheFlag) {
    WebhookProcess webhook({.arguments = {"--enable-debugging-handlers"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();

    auto cache = webhook.metrics_get("/debug/alpha/cache");
    ASSERT_TRUE(cache.ok()) << cache.error();
    ASSERT_EQ(cache->status, 200);
    const Json dump = Json::parse(cache->body, nullptr, false);
    ASSERT_TRUE(dump.is_object()) << cache->body;
    ASSERT_TRUE(dump.contains("payments/payments-api")) << cache->body;
    EXPECT_EQ(dump["payments/payments-api"].value("RoleARN", ""), kPaymentsRoleArn);
    EXPECT_EQ(dump["payments/payments-api"].value("UseRegionalSTS", false), true);
    EXPECT_EQ(dump["payments/payments-api"].value("Audience", ""), "sts.amazonaws.com");
    EXPECT_EQ(dump["payments/payments-api"].value("TokenExpiration", 0), 86400);
    ASSERT_TRUE(dump.contains("payments/no-role")) << cache->body;
    EXPECT_EQ(dump["payments/no-role"].value("RoleARN", "?"), "");

    auto deny =
        webhook.request("POST", "/debug/alpha/deny", "{}", {{"Content-Type", "application/json"}});
    ASSERT_TRUE(deny.ok()) << deny.error();
    EXPECT_EQ(deny->status, 200);
    const Json denial = Json::parse(deny->body, nullptr, false);
    ASSERT_TRUE(denial.is_object()) << deny->body;
    EXPECT_EQ(denial["response"].value("allowed", true), false);
    EXPECT_EQ(denial["response"]["status"].value("message", ""), "Test deny message");

    auto failure = webhook.request("GET", "/debug/alpha/500");
    ASSERT_TRUE(failure.ok()) << failure.error();
    EXPECT_EQ(failure->status, 500);
    EXPECT_EQ(failure->body, "test error\n");

    auto clear = webhook.metrics_get("/debug/alpha/cache/clear");
    ASSERT_TRUE(clear.ok()) << clear.error();
    EXPECT_EQ(clear->status, 200);
    auto cleared = webhook.metrics_get("/debug/alpha/cache");
    ASSERT_TRUE(cleared.ok()) << cleared.error();
    EXPECT_EQ(Json::parse(cleared->body, nullptr, false), Json::object()) << cleared->body;
}

}  // namespace
}  // namespace piw::testing
