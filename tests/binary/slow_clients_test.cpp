// Decision S3: hundreds of slow or idle connections must not slow down the API server's requests.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStalledConnections = 200;
constexpr int kIdleTlsConnections = 100;
constexpr int kSilentTcpConnections = 50;  // connected, never start the TLS handshake
constexpr auto kNormalClientRun = 2s;
constexpr auto kMaxP99 = 50ms;

TEST(BinarySlowClients, StalledAndIdleConnectionsDoNotSlowANormalClient) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();

    std::vector<TestConnection> hogs;
    hogs.reserve(kStalledConnections + kIdleTlsConnections + kSilentTcpConnections);
    for (int i = 0; i < kStalledConnections; ++i) {
        auto connection = webhook.connect();
        ASSERT_TRUE(connection.ok()) << "stalled #" << i << ": " << connection.error();
        // Half a request line, or the headers cut off midway, and then nothing.
        const std::string_view partial = i % 2 == 0 ? "POST /mutate HTT"
                                                    : "POST /mutate HTTP/1.1\r\nHost: localhost\r\n"
                                                      "Content-Type: applic";
        ASSERT_TRUE(connection->send(partial).ok());
        hogs.push_back(std::move(connection).value());
    }
    for (int i = 0; i < kIdleTlsConnections; ++i) {
        auto connection = webhook.connect();
        ASSERT_TRUE(connection.ok()) << "idle #" << i << ": " << connection.error();
        hogs.push_back(std::move(connection).value());
    }
    for (int i = 0; i < kSilentTcpConnections; ++i) {
        auto connection = TestConnection::connect(webhook.port());
        ASSERT_TRUE(connection.ok()) << "silent #" << i << ": " << connection.error();
        hogs.push_back(std::move(connection).value());
    }

    auto client = webhook.connect();
    ASSERT_TRUE(client.ok()) << client.error();
    const std::string body = typical_review().dump();
    const Headers headers{{"Content-Type", "application/json"}};
    std::vector<Clock::duration> latencies;
    const auto until = Clock::now() + kNormalClientRun;
    while (Clock::now() < until) {
        const auto started = Clock::now();
        auto answer = client->request("POST", "/mutate", body, headers, 5s);
        latencies.push_back(Clock::now() - started);
        ASSERT_TRUE(answer.ok()) << "request #" << latencies.size() << ": " << answer.error();
        ASSERT_EQ(answer->status, 200) << answer->body;
        ASSERT_FALSE(answer->connection_close());
    }

    ASSERT_GE(latencies.size(), 20U)
        << "too few requests answered in " << kNormalClientRun.count() << " s";
    std::sort(latencies.begin(), latencies.end());
    const std::size_t p99_index = (latencies.size() * 99 + 99) / 100 - 1;
    const auto p99 = std::chrono::duration_cast<std::chrono::microseconds>(latencies[p99_index]);
    const auto median =
        std::chrono::duration_cast<std::chrono::microseconds>(latencies[latencies.size() / 2]);
    EXPECT_LT(p99, kMaxP99) << latencies.size() << " requests, median " << median.count()
                            << " us, p99 " << p99.count() << " us";
    RecordProperty("requests", static_cast<int>(latencies.size()));
    RecordProperty("p99_us", static_cast<int>(p99.count()));

    // The stalled connections were not answered with anything (they never finished a request).
    for (int i = 0; i < kStalledConnections; i += 50) {
        EXPECT_TRUE(hogs[static_cast<std::size_t>(i)].unread().empty());
    }
    auto health = webhook.request("GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.error();
    EXPECT_EQ(health->status, 200);
}

TEST(BinarySlowClients, ConnectionsBeyondTheCapAreRefusedNotQueued) {
    WebhookProcess webhook({.arguments = {"--max-connections=3"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    std::vector<TestConnection> held;
    for (int i = 0; i < 3; ++i) {
        auto connection = webhook.connect();
        ASSERT_TRUE(connection.ok()) << connection.error();
        held.push_back(std::move(connection).value());
    }
    // The fourth is closed at once: its handshake fails fast instead of waiting in a queue.
    const auto started = Clock::now();
    auto extra = webhook.connect(3s);
    if (extra.ok()) {
        EXPECT_TRUE(extra->wait_closed(1s)) << "a connection beyond --max-connections was served";
    }
    EXPECT_LT(Clock::now() - started, 2s);

    // Those within the cap are still served; freeing one makes room again.
    auto answer = held[0].request("GET", "/healthz");
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->status, 200);
    held.pop_back();
    EXPECT_TRUE(eventually(
        [&] {
            auto again = webhook.request("GET", "/healthz", {}, {}, 1s);
            return again.ok() && again->status == 200;
        },
        3s));
}

}  // namespace
}  // namespace piw::testing
