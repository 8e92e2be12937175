// Decision S3 limits as a client meets them: 413 for bodies over the limit (Content-Length or
// chunked, the rest never read and the memory never spent), 431 for oversized request lines,
// headers or too many fields, 400 for malformed requests; each answered, then the connection
// is closed.

#include <gtest/gtest.h>

#include <unistd.h>

#include "server/test_handlers.hpp"
#include "support/child_process.hpp"
#include "support/server_harness.hpp"

namespace piw::server {
namespace {

using namespace std::chrono_literals;
using testing::ServerHarness;
using testing::TestConnection;

// What a rejected 100 MiB upload may cost: the 8 MiB body limit, plus slack. AddressSanitizer
// keeps freed blocks in quarantine (every buffer the body grew through still counts), and
// ThreadSanitizer's shadow memory multiplies whatever is touched.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr long kRssBudgetKib = 64L * 1024L;
#else
constexpr long kRssBudgetKib = 16L * 1024L;
#endif

class RequestLimitsTest : public ::testing::Test {
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

    // Sends `bytes` (stopping early if the server answers first) and reads the answer, which
    // must close the connection.
    void expect_rejected(const std::string& bytes, int status) {
        auto connection = connect();
        auto sent = connection.send_repeatedly_until_answered(bytes, 1);
        ASSERT_TRUE(sent.ok()) << sent.error();
        auto response = connection.read_response();
        ASSERT_TRUE(response.ok()) << response.error();
        EXPECT_EQ(response->status, status);
        EXPECT_EQ(response->body, std::to_string(status) + " " + response->reason);
        EXPECT_TRUE(response->connection_close());
        EXPECT_TRUE(connection.wait_closed(3s)) << "the connection must be closed after " << status;
        EXPECT_EQ(echo_.calls, 0);
    }

    test::EchoHandler echo_;
    ServerHarness harness_;
};

TEST_F(RequestLimitsTest, ContentLengthOverTheLimitIs413BeforeTheBodyIsRead) {
    // 9 MiB announced, nothing sent: the answer must not wait for the body.
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n", 413);
}

TEST_F(RequestLimitsTest, HugeChunkedBodyIs413WithoutBufferingIt) {
    ASSERT_TRUE(testing::reset_peak_rss(getpid()));
    const long before = testing::process_rss_kib(getpid()).value_or(0);
    auto connection = connect();
    ASSERT_TRUE(
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .ok());
    const std::string piece = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";  // 64 KiB chunks
    auto sent = connection.send_repeatedly_until_answered(piece, 1600);          // up to 100 MiB
    ASSERT_TRUE(sent.ok()) << sent.error();
    auto response = connection.read_response(10s);
    ASSERT_TRUE(response.ok()) << response.error() << " after " << *sent << " bytes";
    EXPECT_EQ(response->status, 413);
    EXPECT_TRUE(response->connection_close());
    EXPECT_TRUE(connection.wait_closed(5s));
    EXPECT_LT(*sent, 32U * 1024U * 1024U) << "the server kept reading long after the limit";
    const long peak = testing::process_peak_rss_kib(getpid()).value_or(0);
    RecordProperty("rss_growth_kib", std::to_string(peak - before));
    EXPECT_LT(peak - before, kRssBudgetKib) << "RSS peaked at " << peak << " KiB from " << before;
    EXPECT_EQ(echo_.calls, 0);
}

TEST_F(RequestLimitsTest, OversizedRequestLineIs431) {
    expect_rejected("GET /" + std::string(70 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 431);
}

TEST_F(RequestLimitsTest, OversizedHeadersAre431) {
    std::string request = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 20; ++i) {
        request += "X-Filler-" + std::to_string(i) + ": " + std::string(4000, 'v') + "\r\n";
    }
    expect_rejected(request + "\r\n", 431);
}

TEST_F(RequestLimitsTest, MoreThanAHundredHeaderFieldsIs431) {
    std::string request = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 100; ++i) request += "X-Field-" + std::to_string(i) + ": v\r\n";
    expect_rejected(request + "\r\n", 431);
}

TEST_F(RequestLimitsTest, AHundredHeaderFieldsAreFine) {
    std::string request = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 99; ++i) request += "X-Field-" + std::to_string(i) + ": v\r\n";
    auto connection = connect();
    ASSERT_TRUE(connection.send(request + "\r\n").ok());
    auto response = connection.read_response();
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
}

TEST_F(RequestLimitsTest, MalformedRequestsAre400) {
    expect_rejected("GARBAGE\r\n\r\n", 400);
    expect_rejected("GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 400);
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400);
    // Request smuggling shape: both framings.
    expect_rejected(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        400);
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
                    400);
}

TEST(BodyLimit, ABodyOfExactlyTheLimitIsAcceptedOneMoreByteIsNot) {
    test::EchoHandler echo;
    testing::HarnessOptions options;
    options.limits.max_body_bytes = 64 * 1024;
    ServerHarness harness(options);
    harness.add_route("/echo", echo);
    harness.start();

    auto connection = harness.connect();
    ASSERT_TRUE(connection.ok()) << connection.error();
    auto exact = connection->request("POST", "/echo", std::string(64 * 1024, 'b'));
    ASSERT_TRUE(exact.ok()) << exact.error();
    EXPECT_EQ(exact->status, 200);
    EXPECT_TRUE(echo.last_body_padded);

    auto over = connection->request("POST", "/echo", std::string(64 * 1024 + 1, 'b'));
    ASSERT_TRUE(over.ok()) << over.error();
    EXPECT_EQ(over->status, 413);
    EXPECT_TRUE(connection->wait_closed(3s));
    EXPECT_EQ(echo.calls, 1);
}

}  // namespace
}  // namespace piw::server
