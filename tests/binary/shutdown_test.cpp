// Decision S4: on SIGTERM the webhook stops being ready, lets requests in flight finish, and
// exits 0; a second signal exits at once.

#include <gtest/gtest.h>

#include <csignal>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A /mutate request whose headers and first half of the body are sent; finish() sends the rest.
struct HalfSentReview {
    std::string body = typical_review().dump();
    std::string head =
        "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";

    Status start(TestConnection& connection) const {
        return connection.send(head + body.substr(0, body.size() / 2));
    }
    Status finish(TestConnection& connection) const {
        return connection.send(std::string_view(body).substr(body.size() / 2));
    }
};

// True when the webhook no longer reports ready: /readyz answers 503, or nobody answers.
bool not_ready(const WebhookProcess& webhook) {
    auto answer = webhook.request("GET", "/readyz", {}, {}, 500ms);
    return !answer.ok() || answer->status == 503;
}

// Lets the server read what was just sent on loopback before the test goes on; nothing the
// test can observe from outside says "the server has parsed the headers".
void let_server_read() {
    std::this_thread::sleep_for(100ms);
}

TEST(BinaryShutdown, SigtermDrainsTheRequestInFlightAndExitsZero) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto in_flight = webhook.connect();
    ASSERT_TRUE(in_flight.ok()) << in_flight.error();
    const HalfSentReview review;
    ASSERT_TRUE(review.start(*in_flight).ok());
    let_server_read();

    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    EXPECT_TRUE(eventually([&] { return not_ready(webhook); }, 1s))
        << "still ready 1 s after SIGTERM\n"
        << webhook.log();

    ASSERT_TRUE(review.finish(*in_flight).ok());
    auto answer = in_flight->read_response(5s);
    ASSERT_TRUE(answer.ok()) << answer.error() << "\n" << webhook.log();
    EXPECT_EQ(answer->status, 200);
    EXPECT_TRUE(answer->connection_close()) << "a draining server must say Connection: close";
    auto admission = parse_admission_answer(*answer);
    ASSERT_TRUE(admission.ok()) << admission.error();
    EXPECT_TRUE(admission->patch.has_value());

    const auto exit_code = webhook.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value()) << "still running 5 s after the drain\n" << webhook.log();
    EXPECT_EQ(*exit_code, 0) << webhook.log();
}

TEST(BinaryShutdown, ShutdownDelayKeepsServingWhileNotReadyThenExits) {
    WebhookProcess webhook({.arguments = {"--shutdown-delay=1500ms"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const auto signalled = Clock::now();
    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    EXPECT_TRUE(eventually([&] { return not_ready(webhook); }, 1s)) << webhook.log();
    // Endpoints have not dropped the pod yet: new connections must still be served.
    auto answer = webhook.admit(typical_review());
    ASSERT_TRUE(answer.ok()) << answer.error() << "\n" << webhook.log();
    EXPECT_TRUE(answer->patch.has_value());
    EXPECT_LT(Clock::now() - signalled, 1500ms);
    const auto exit_code = webhook.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value()) << webhook.log();
    EXPECT_EQ(*exit_code, 0);
    EXPECT_GE(Clock::now() - signalled, 1500ms);
}

TEST(BinaryShutdown, IdleKeepAliveConnectionsDoNotDelayTheExit) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    std::vector<TestConnection> idle;
    for (int i = 0; i < 5; ++i) {
        auto connection = webhook.connect();
        ASSERT_TRUE(connection.ok()) << connection.error();
        auto answer = connection->request("GET", "/healthz");
        ASSERT_TRUE(answer.ok()) << answer.error();
        idle.push_back(std::move(connection).value());
    }
    const auto signalled = Clock::now();
    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    const auto exit_code = webhook.process().wait_exit(3s);
    ASSERT_TRUE(exit_code.has_value()) << "idle keep-alive connections held up the shutdown\n"
                                       << webhook.log();
    EXPECT_EQ(*exit_code, 0);
    EXPECT_LT(Clock::now() - signalled, 2s);
    for (auto& connection : idle) EXPECT_TRUE(connection.wait_closed(1s));
}

TEST(BinaryShutdown, SigintShutsDownGracefullyToo) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_TRUE(webhook.process().signal(SIGINT));
    const auto exit_code = webhook.process().wait_exit(3s);
    ASSERT_TRUE(exit_code.has_value()) << webhook.log();
    EXPECT_EQ(*exit_code, 0) << webhook.log();
    EXPECT_NE(webhook.log().find("shut down gracefully"), std::string::npos) << webhook.log();
}

TEST(BinaryShutdown, SecondSignalDuringTheDrainExitsAtOnceWithOne) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto stalled = webhook.connect();
    ASSERT_TRUE(stalled.ok()) << stalled.error();
    ASSERT_TRUE(HalfSentReview{}.start(*stalled).ok());
    let_server_read();

    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    ASSERT_TRUE(webhook.wait_for_log("shutting down", 2s)) << webhook.log();
    EXPECT_FALSE(webhook.process().wait_exit(300ms).has_value())
        << "exited although a request was in flight\n"
        << webhook.log();

    const auto signalled = Clock::now();
    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    const auto exit_code = webhook.process().wait_exit(2s);
    ASSERT_TRUE(exit_code.has_value()) << "the second SIGTERM did not end it\n" << webhook.log();
    EXPECT_EQ(*exit_code, 1);
    EXPECT_LT(Clock::now() - signalled, 1s);
}

TEST(BinaryShutdown, ShutdownTimeoutCutsAStalledRequest) {
    WebhookProcess webhook({.arguments = {"--shutdown-timeout=1s"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto stalled = webhook.connect();
    ASSERT_TRUE(stalled.ok()) << stalled.error();
    ASSERT_TRUE(HalfSentReview{}.start(*stalled).ok());
    let_server_read();

    const auto signalled = Clock::now();
    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    const auto exit_code = webhook.process().wait_exit(4s);
    ASSERT_TRUE(exit_code.has_value()) << "--shutdown-timeout=1s not honoured\n" << webhook.log();
    EXPECT_EQ(*exit_code, 0) << webhook.log();
    EXPECT_GE(Clock::now() - signalled, 900ms) << "the request in flight was not waited for";
    EXPECT_TRUE(stalled->wait_closed(1s));
}

}  // namespace
}  // namespace piw::testing
