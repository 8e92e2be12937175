// HttpServer behaviour a client sees over real TLS on 127.0.0.1: routing, keep-alive, handlers
// that answer later from another thread, response framing, metrics of instrumented routes.

#include "pod_identity_webhook/server/http_server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "server/test_handlers.hpp"
#include "support/server_harness.hpp"

namespace piw::server {
namespace {

using namespace std::chrono_literals;
using testing::ServerHarness;
using testing::TestConnection;

class HttpServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        harness_.add_route("/echo", echo_, true);
        harness_.add_route("/healthz", healthz_, false);
        harness_.add_route("/later", deferred_, true);
        harness_.add_route("/throw", throwing_, true);
        harness_.start();
    }

    TestConnection connect() {
        auto connection = harness_.connect();
        EXPECT_TRUE(connection.ok()) << connection.error();
        return std::move(connection.value());
    }

    test::EchoHandler echo_;
    FunctionHandler healthz_{[](HttpRequest&) {
        HttpResponse response;
        response.body = "ok";
        return response;
    }};
    test::DeferredHandler deferred_{50ms};
    test::ThrowingHandler throwing_;
    ServerHarness harness_;  // declared last: stopped before the handlers go away
};

TEST_F(HttpServerTest, RoutesByExactPathIgnoringTheQuery) {
    auto connection = connect();
    auto health = connection.request("GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.error();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok");
    EXPECT_EQ(health->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(health->header("Content-Length"), "2");
    EXPECT_TRUE(health->header("Date").has_value());

    auto echo = connection.request("POST", "/echo?timeout=10s", R"({"a":1})",
                                   {{"Content-Type", "application/json"}});
    ASSERT_TRUE(echo.ok()) << echo.error();
    EXPECT_EQ(echo->status, 200);
    EXPECT_EQ(echo->body, R"(POST /echo?timeout=10s ct=application/json len=7)");
    EXPECT_EQ(echo->header("X-Echo"), "yes");
    EXPECT_EQ(echo_.last_body(), R"({"a":1})");
    EXPECT_TRUE(echo_.last_body_padded) << "body must have kBodyPadding spare bytes";
}

TEST_F(HttpServerTest, UnknownPathsGetGosNotFound) {
    auto connection = connect();
    for (const char* target : {"/", "/echo/", "/ECHO", "/healthz/x", "/nothing?x=/echo"}) {
        auto response = connection.request("GET", target);
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, 404) << target;
        EXPECT_EQ(response->body, "404 page not found\n");
        EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
        EXPECT_FALSE(response->connection_close());
    }
    EXPECT_EQ(echo_.calls, 0);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
    auto connection = connect();
    for (int i = 0; i < 50; ++i) {
        auto response = connection.request("POST", "/echo",
                                           std::string(static_cast<std::size_t>(i * 100), 'x'));
        ASSERT_TRUE(response.ok()) << "request " << i << ": " << response.error();
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "POST /echo ct= len=" + std::to_string(i * 100));
        EXPECT_FALSE(response->connection_close());
    }
    EXPECT_EQ(echo_.calls, 50);
    EXPECT_EQ(harness_.server().open_connections(), 1U);
}

TEST_F(HttpServerTest, ClientConnectionCloseIsHonoured) {
    auto connection = connect();
    auto response = connection.request("GET", "/healthz", {}, {{"Connection", "close"}});
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->connection_close());
    EXPECT_TRUE(connection.wait_closed(2s));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
    auto connection = connect();
    const std::string both = testing::build_request("POST", "/echo", "first") +
                             testing::build_request("GET", "/healthz") +
                             testing::build_request("POST", "/echo?n=3", "third!");
    ASSERT_TRUE(connection.send(both).ok());
    auto first = connection.read_response();
    auto second = connection.read_response();
    auto third = connection.read_response();
    ASSERT_TRUE(first.ok() && second.ok() && third.ok());
    EXPECT_EQ(first->body, "POST /echo ct= len=5");
    EXPECT_EQ(second->body, "ok");
    EXPECT_EQ(third->body, "POST /echo?n=3 ct= len=6");
}

TEST_F(HttpServerTest, HandlerMayAnswerLaterFromAnotherThread) {
    auto connection = connect();
    for (int i = 0; i < 3; ++i) {  // and the connection stays usable
        auto response = connection.request("GET", "/later?i=" + std::to_string(i));
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "deferred /later");
    }
    // Several connections waiting at once do not block each other.
    std::vector<TestConnection> connections;
    for (int i = 0; i < 8; ++i) connections.push_back(connect());
    const auto start = std::chrono::steady_clock::now();
    for (auto& each : connections)
        ASSERT_TRUE(each.send(testing::build_request("GET", "/later")).ok());
    for (auto& each : connections) {
        auto response = each.read_response();
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, 200);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 8 * 50ms);
}

TEST_F(HttpServerTest, AHandlerExceptionBecomesA500WithoutItsText) {
    auto connection = connect();
    auto response = connection.request("POST", "/throw", "x");
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(response->body.find("secret"), std::string::npos);
    // The connection survives.
    auto next = connection.request("GET", "/healthz");
    ASSERT_TRUE(next.ok()) << next.error();
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, HeadGetsHeadersWithoutABody) {
    auto connection = connect();
    ASSERT_TRUE(connection.send(testing::build_request("HEAD", "/healthz")).ok());
    ASSERT_TRUE(connection.read_until("\r\n\r\n", 2s));
    connection.wait_closed(100ms);  // a body, if one were sent, would be here by now
    const std::string& raw = connection.unread();
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 OK\r\n")) << raw;
    EXPECT_NE(raw.find("Content-Length: 2\r\n"), std::string::npos) << raw;
    EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << raw;
}

TEST_F(HttpServerTest, Http10ClientsGetKeepAliveOnlyWhenTheyAskForIt) {
    auto connection = connect();
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
    auto kept = connection.read_response();
    ASSERT_TRUE(kept.ok()) << kept.error();
    EXPECT_EQ(kept->header("Connection"), "keep-alive");
    ASSERT_TRUE(connection.send("GET /healthz HTTP/1.0\r\n\r\n").ok());
    auto closed = connection.read_response();
    ASSERT_TRUE(closed.ok()) << closed.error();
    EXPECT_TRUE(closed->connection_close());
    EXPECT_TRUE(connection.wait_closed(2s));
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
    auto connection = connect();
    ASSERT_TRUE(connection
                    .send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                          "Expect: 100-continue\r\n\r\n")
                    .ok());
    // The server must answer 100 before we send the body.
    ASSERT_TRUE(connection.read_until("HTTP/1.1 100 Continue\r\n\r\n", 2s)) << connection.unread();
    ASSERT_TRUE(connection.send("body").ok());
    auto response = connection.read_response();
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->body, "POST /echo ct= len=4");
}

TEST_F(HttpServerTest, ChunkedBodiesAreAssembled) {
    auto connection = connect();
    ASSERT_TRUE(connection
                    .send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")
                    .ok());
    auto response = connection.read_response();
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->body, "POST /echo ct= len=12");
    EXPECT_EQ(echo_.last_body(), "hello, world");
    EXPECT_TRUE(echo_.last_body_padded);
}

TEST_F(HttpServerTest, InstrumentedRoutesAreCounted) {
    auto connection = connect();
    ASSERT_TRUE(connection.request("POST", "/echo", "x").ok());
    ASSERT_TRUE(connection.request("GET", "/echo").ok());
    ASSERT_TRUE(connection.request("GET", "/healthz").ok());  // not instrumented
    ASSERT_TRUE(connection.request("GET", "/missing").ok());  // no route
    const std::string exposition = harness_.registry().render();
    EXPECT_NE(exposition.find(R"(http_request_count{code="200",path="/echo",verb="GET"} 1)"),
              std::string::npos)
        << exposition;
    EXPECT_EQ(exposition.find(R"(path="/healthz")"), std::string::npos) << exposition;
    EXPECT_EQ(exposition.find(R"(path="/missing")"), std::string::npos) << exposition;
}

TEST_F(HttpServerTest, ManyClientsInParallel) {
    constexpr int kClients = 16;
    constexpr int kRequests = 40;
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([this, &answered]() {
            auto connection = harness_.connect();
            if (!connection.ok()) return;
            for (int r = 0; r < kRequests; ++r) {
                auto response = connection->request("POST", "/echo", "payload");
                if (response.ok() && response->status == 200) ++answered;
            }
        });
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(answered, kClients * kRequests);
}

TEST(PlainHttpServer, ServesWithoutTls) {
    test::EchoHandler echo;
    testing::HarnessOptions options;
    options.tls = false;
    ServerHarness harness(options);
    harness.add_route("/metrics", echo, false);
    harness.start();
    auto response = testing::http_get(harness.port(), "/metrics");
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "GET /metrics ct= len=0");
    auto missing = testing::http_get(harness.port(), "/debug");
    ASSERT_TRUE(missing.ok()) << missing.error();
    EXPECT_EQ(missing->status, 404);
}

TEST(HttpServerStart, ReportsTheBoundPortAndBindErrors) {
    boost::asio::io_context io;
    ServerOptions options;
    options.bind_address = "127.0.0.1";
    HttpServer first(io, options, nullptr);
    const auto port = first.start();
    ASSERT_TRUE(port.ok()) << port.error();
    EXPECT_NE(*port, 0);

    options.port = *port;
    HttpServer second(io, options, nullptr);
    const auto clash = second.start();
    ASSERT_FALSE(clash.ok());
    EXPECT_NE(clash.error().find(std::to_string(*port)), std::string::npos) << clash.error();

    options.bind_address = "not-an-address";
    options.port = 0;
    HttpServer third(io, options, nullptr);
    EXPECT_FALSE(third.start().ok());
}

TEST(HttpServerStart, AnEmptyBindAddressListensOnAllInterfaces) {
    boost::asio::io_context io;
    ServerOptions options;  // bind_address "" → "::" dual-stack (or 0.0.0.0)
    test::EchoHandler echo;
    HttpServer server(io, options, nullptr);
    server.add_route("/echo", echo, false);
    const auto port = server.start();
    ASSERT_TRUE(port.ok()) << port.error();
    std::thread runner([&io]() { io.run_for(3s); });
    auto response = testing::http_get(*port, "/echo");  // IPv4 loopback reaches it
    server.force_close();
    io.stop();
    runner.join();
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
}

}  // namespace
}  // namespace piw::server
