// Decision S3 deadlines (with short limits so the suite stays fast): the whole request must
// arrive within request_timeout of its first byte, an idle keep-alive connection closes after
// idle_timeout, a TLS handshake must finish within handshake_timeout — and hundreds of slow or
// idle connections do not slow down a normal client.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "server/test_handlers.hpp"
#include "support/eventually.hpp"
#include "support/server_harness.hpp"

namespace piw::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ServerHarness;
using testing::TestConnection;

testing::HarnessOptions short_limits() {
    testing::HarnessOptions options;
    options.limits.request_timeout = 300ms;
    options.limits.idle_timeout = 300ms;
    options.limits.handshake_timeout = 300ms;
    return options;
}

class DeadlinesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        harness_.add_route("/echo", echo_, true);
        harness_.start();
    }

    TestConnection connect() {
        auto connection = harness_.connect();
        EXPECT_TRUE(connection.ok()) << connection.error();
        return std::move(connection.value());
    }

    test::EchoHandler echo_;
    ServerHarness harness_{short_limits()};
};

TEST_F(DeadlinesTest, AClientSendingItsHeadersSlowlyIsCutOffAtTheRequestDeadline) {
    auto connection = connect();
    const std::string request =
        "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
    const auto start = Clock::now();
    // A byte every 20 ms: each read is quick, so only a whole-request deadline stops this.
    const auto status = connection.send_slowly(request, 1, 20ms);
    const auto elapsed = Clock::now() - start;
    EXPECT_FALSE(status.ok()) << "the server waited for the whole slow request";
    EXPECT_GE(elapsed, 250ms);
    EXPECT_LT(elapsed, 2s);
    EXPECT_TRUE(connection.wait_closed(1s));
    EXPECT_EQ(echo_.calls, 0);
}

TEST_F(DeadlinesTest, ABodyThatStopsArrivingIsCutOffAtTheRequestDeadline) {
    auto connection = connect();
    ASSERT_TRUE(
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf").ok());
    const auto start = Clock::now();
    EXPECT_TRUE(connection.wait_closed(2s));
    EXPECT_GE(Clock::now() - start, 200ms);
    EXPECT_EQ(echo_.calls, 0);
}

TEST_F(DeadlinesTest, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    auto connection = connect();
    auto response = connection.request("GET", "/echo");
    ASSERT_TRUE(response.ok()) << response.error();
    const auto start = Clock::now();
    EXPECT_TRUE(connection.wait_closed(2s));
    const auto idle = Clock::now() - start;
    EXPECT_GE(idle, 250ms);
    EXPECT_LT(idle, 1500ms);
}

TEST_F(DeadlinesTest, AConnectionThatNeverSendsARequestIsClosedAfterTheIdleTimeout) {
    auto connection = connect();  // handshake done, no request
    EXPECT_TRUE(connection.wait_closed(2s));
}

TEST_F(DeadlinesTest, ABusyKeepAliveConnectionOutlivesTheIdleTimeout) {
    auto connection = connect();
    const auto start = Clock::now();
    while (Clock::now() - start < 900ms) {  // three idle timeouts
        auto response = connection.request("GET", "/echo");
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, 200);
        std::this_thread::sleep_for(100ms);
    }
}

TEST_F(DeadlinesTest, ARequestTimeoutDoesNotCarryOverToTheNextRequest) {
    auto connection = connect();
    // Each request is quick, but together they take longer than one request_timeout.
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(connection.send_slowly(testing::build_request("GET", "/echo"), 10, 10ms).ok());
        auto response = connection.read_response();
        ASSERT_TRUE(response.ok()) << "request " << i << ": " << response.error();
        EXPECT_EQ(response->status, 200);
    }
}

TEST_F(DeadlinesTest, AStalledTlsHandshakeIsCutOff) {
    auto connection = TestConnection::connect(harness_.port());  // TCP only, no ClientHello
    ASSERT_TRUE(connection.ok()) << connection.error();
    const auto start = Clock::now();
    EXPECT_TRUE(connection->wait_closed(2s));
    EXPECT_GE(Clock::now() - start, 250ms);
    EXPECT_TRUE(
        testing::eventually([this]() { return harness_.server().open_connections() == 0; }));
}

double percentile(std::vector<double> samples, double fraction) {
    std::sort(samples.begin(), samples.end());
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
    return samples[index];
}

TEST(SlowClients, HundredsOfSlowAndIdleConnectionsDoNotDelayANormalClient) {
    test::EchoHandler echo;
    ServerHarness harness;  // production limits: slow clients may hold on for 10 s
    harness.add_route("/echo", echo);
    harness.start();

    constexpr int kSlow = 100;
    constexpr int kIdle = 100;
    std::vector<TestConnection> slow;
    std::vector<TestConnection> idle;
    for (int i = 0; i < kSlow + kIdle; ++i) {
        auto connection = harness.connect();
        ASSERT_TRUE(connection.ok()) << "connection " << i << ": " << connection.error();
        if (i < kSlow) {
            ASSERT_TRUE(connection->send("POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ").ok());
            slow.push_back(std::move(connection.value()));
        } else {
            idle.push_back(std::move(connection.value()));
        }
    }
    // Slowloris: keep every slow connection trickling header bytes.
    std::atomic<bool> stop{false};
    std::thread trickler([&slow, &stop]() {
        while (!stop) {
            for (auto& connection : slow) {
                if (stop) break;
                static_cast<void>(connection.send("s", 100ms));
            }
            std::this_thread::sleep_for(50ms);
        }
    });

    auto normal = harness.connect();
    ASSERT_TRUE(normal.ok()) << normal.error();
    std::vector<double> latencies_ms;
    for (int i = 0; i < 300; ++i) {
        const auto start = Clock::now();
        auto response = normal->request("POST", "/echo", R"({"kind":"AdmissionReview"})",
                                        {{"Content-Type", "application/json"}});
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        ASSERT_TRUE(response.ok()) << "request " << i << ": " << response.error();
        ASSERT_EQ(response->status, 200);
    }
    // New connections are served too.
    auto fresh = harness.connect();
    ASSERT_TRUE(fresh.ok()) << fresh.error();
    EXPECT_TRUE(fresh->request("GET", "/echo").ok());

    stop = true;
    trickler.join();
    EXPECT_GE(harness.server().open_connections(), static_cast<std::size_t>(kSlow + kIdle));
    const double p99 = percentile(latencies_ms, 0.99);
    EXPECT_LT(p99, 50.0) << "p50 " << percentile(latencies_ms, 0.5) << " ms";
}

}  // namespace
}  // namespace piw::server
