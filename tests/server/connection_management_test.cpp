// The connection cap (decision S3) and graceful drain / force close (decision S4).

#include <gtest/gtest.h>

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

using testing::eventually;

// A connection the server refuses: accepted and closed before the TLS handshake.
bool refused(unsigned short port, const testing::ClientTlsOptions& tls) {
    auto connection = TestConnection::connect(port, 2s);
    if (!connection.ok()) return true;  // listener closed
    return !connection->start_tls(tls, 2s).ok();
}

TEST(ConnectionCap, ConnectionsBeyondTheCapAreRefusedNotQueued) {
    test::EchoHandler echo;
    testing::HarnessOptions options;
    options.limits.max_connections = 10;
    ServerHarness harness(options);
    harness.add_route("/echo", echo);
    harness.start();

    std::vector<TestConnection> held;
    for (int i = 0; i < 10; ++i) {
        auto connection = harness.connect();
        ASSERT_TRUE(connection.ok()) << connection.error();
        held.push_back(std::move(connection.value()));
    }
    ASSERT_TRUE(eventually([&]() { return harness.server().open_connections() == 10; }));

    const auto start = Clock::now();
    EXPECT_TRUE(refused(harness.port(), harness.client_tls()));
    EXPECT_LT(Clock::now() - start, 1s) << "refused connections must not wait in a queue";

    // The connections already open keep working.
    for (auto& connection : held) {
        auto response = connection.request("GET", "/echo");
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, 200);
    }

    // Once one closes there is room again.
    held.pop_back();
    ASSERT_TRUE(eventually([&]() { return harness.server().open_connections() == 9; }));
    auto again = harness.connect();
    ASSERT_TRUE(again.ok()) << again.error();
    auto response = again->request("GET", "/echo");
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
}

class ShutdownTest : public ::testing::Test {
  protected:
    void SetUp() override {
        harness_.add_route("/echo", echo_, true);
        harness_.add_route("/slow", slow_, true);
        harness_.start();
    }

    TestConnection connect() {
        auto connection = harness_.connect();
        EXPECT_TRUE(connection.ok()) << connection.error();
        return std::move(connection.value());
    }

    test::EchoHandler echo_;
    test::DeferredHandler slow_{400ms};
    ServerHarness harness_;
};

TEST_F(ShutdownTest, DrainFinishesRequestsInFlightClosesIdleConnectionsAndRefusesNewOnes) {
    auto idle = connect();
    ASSERT_TRUE(idle.request("GET", "/echo").ok());
    auto busy = connect();
    ASSERT_TRUE(busy.send(testing::build_request("POST", "/slow", "work")).ok());
    ASSERT_TRUE(eventually([&]() { return slow_.started == 1; }));
    EXPECT_EQ(harness_.server().requests_in_flight(), 1U);

    harness_.server().begin_shutdown();

    EXPECT_TRUE(idle.wait_closed(1s)) << "idle keep-alive connections close at once";
    EXPECT_TRUE(refused(harness_.port(), harness_.client_tls())) << "no new connections";

    auto response = busy.read_response(3s);
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "deferred /slow");
    EXPECT_TRUE(response->connection_close());
    EXPECT_TRUE(busy.wait_closed(2s));

    EXPECT_TRUE(eventually([&]() { return harness_.server().open_connections() == 0; }));
    EXPECT_EQ(harness_.server().requests_in_flight(), 0U);
}

TEST_F(ShutdownTest, ARequestArrivingOnAKeptConnectionDuringDrainIsAnsweredAndClosed) {
    auto connection = connect();
    // Half a request: the connection is "in a request", so drain lets it finish.
    ASSERT_TRUE(connection.send("GET /echo HTTP/1.1\r\nHost: x\r\n").ok());
    ASSERT_TRUE(eventually([&]() { return harness_.server().requests_in_flight() == 1; }));
    harness_.server().begin_shutdown();
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(connection.send("\r\n").ok());
    auto response = connection.read_response();
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->connection_close());
    EXPECT_TRUE(connection.wait_closed(2s));
}

TEST_F(ShutdownTest, ForceCloseDropsEverything) {
    auto busy = connect();
    ASSERT_TRUE(busy.send(testing::build_request("POST", "/slow", "work")).ok());
    auto idle = connect();
    ASSERT_TRUE(eventually([&]() { return slow_.started == 1; }));
    harness_.server().begin_shutdown();
    harness_.server().force_close();
    EXPECT_TRUE(busy.wait_closed(1s));
    EXPECT_TRUE(idle.wait_closed(1s));
    EXPECT_TRUE(eventually([&]() { return harness_.server().open_connections() == 0; }));
    EXPECT_EQ(harness_.server().requests_in_flight(), 0U);
    // The late answer from the handler goes nowhere and harms nothing.
    EXPECT_TRUE(eventually([&]() { return slow_.answered == 1; }));
}

}  // namespace
}  // namespace piw::server
