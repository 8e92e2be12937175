#pragma once
// Raw HTTP/1.1 clients for tests, over TLS (OpenSSL) or plain TCP, on a blocking-with-deadline
// socket to 127.0.0.1. Unlike a real HTTP client they let a test send any bytes, at any pace
// (slowly, half a request, a body that never ends), observe exactly what the server answers and
// when it closes, and inspect the TLS session (peer certificate CN, ALPN, protocol version).
//
//   auto connection = TestConnection::connect(port);
//   ASSERT_TRUE(connection.ok()) << connection.error();
//   ClientTlsOptions tls;
//   tls.ca_file = ca_path;
//   ASSERT_TRUE(connection->start_tls(tls).ok());
//   auto response = connection->request("POST", "/mutate", body, {{"Content-Type",
//   "application/json"}}); EXPECT_EQ(response->status, 200);
//
// Every call takes a timeout and fails (never hangs) when it passes. The first connect() makes the
// process ignore SIGPIPE (a server closing mid-write is an error to assert on, not a crash). Errors
// are returned as piw::Result / piw::Status values, so tests can assert on them.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::testing {

using namespace std::chrono_literals;

struct ClientTlsOptions {
    // Verify the server's chain against this CA file (and its name against server_name). Empty:
    // accept any certificate.
    std::string ca_file;
    std::string server_name = "localhost";  // SNI and the name checked when ca_file is set
    int min_version = 0;                    // e.g. TLS1_2_VERSION; 0 = OpenSSL's default
    int max_version = 0;
    std::vector<std::string> alpn;  // protocols to offer, e.g. {"h2", "http/1.1"}
    std::string cipher_list;        // TLS <= 1.2 suites (OpenSSL names); empty = default
    std::string ciphersuites;       // TLS 1.3 suites; empty = default
    std::string groups;             // key exchange groups, e.g. "P-521"; empty = default
};

struct HttpResponseMessage {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as received
    std::string body;

    // First header with this name (case-insensitive).
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // "Connection: close" was sent.
    [[nodiscard]] bool connection_close() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Builds the bytes of a request. Adds "Host: localhost" and, when there is a body (or
// `always_content_length`), "Content-Length".
std::string build_request(std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {},
                          bool always_content_length = false);

class TestConnection {
  public:
    // TCP connect to 127.0.0.1:port.
    static Result<TestConnection> connect(unsigned short port,
                                          std::chrono::milliseconds timeout = 5s);

    TestConnection(TestConnection&& other) noexcept;
    TestConnection& operator=(TestConnection&& other) noexcept;
    TestConnection(const TestConnection&) = delete;
    TestConnection& operator=(const TestConnection&) = delete;
    ~TestConnection();

    // TLS client handshake. The connection is TLS from then on.
    Status start_tls(const ClientTlsOptions& options = {}, std::chrono::milliseconds timeout = 5s);

    // Sends all of `bytes`.
    Status send(std::string_view bytes, std::chrono::milliseconds timeout = 5s);
    // Sends `bytes` in pieces of `piece_size`, pausing `pause` before each piece after the first.
    // Fails as soon as the server closes the connection.
    Status send_slowly(std::string_view bytes, std::size_t piece_size,
                       std::chrono::milliseconds pause);
    // Sends `piece` up to `repetitions` times, stopping early (and successfully) once the server
    // has started to answer or has closed — what a well-behaved client does when the server
    // rejects an upload midway. Returns the number of bytes sent.
    Result<std::size_t> send_repeatedly_until_answered(std::string_view piece,
                                                       std::size_t repetitions,
                                                       std::chrono::milliseconds timeout = 60s);

    // Reads one response (status line, headers, body by Content-Length, chunked, or until close).
    // Interim 1xx responses are skipped.
    Result<HttpResponseMessage> read_response(std::chrono::milliseconds timeout = 5s);

    // send(build_request(...)) then read_response().
    Result<HttpResponseMessage> request(std::string_view method, std::string_view target,
                                        std::string_view body = {}, const Headers& headers = {},
                                        std::chrono::milliseconds timeout = 5s);

    // Waits until the server closes the connection (EOF, close_notify or reset); anything it
    // sends meanwhile is kept in unread(). True if it closed within the timeout.
    bool wait_closed(std::chrono::milliseconds timeout);
    // Reads until unread() contains `needle`; false on timeout or close.
    bool read_until(std::string_view needle, std::chrono::milliseconds timeout);

    // Bytes received and not yet consumed by read_response() (e.g. after wait_closed()).
    [[nodiscard]] const std::string& unread() const;

    // TLS facts (empty when not TLS): the leaf certificate's subject CN, the negotiated ALPN
    // protocol ("" if none), the protocol ("TLSv1.3") and the cipher (OpenSSL name).
    [[nodiscard]] std::string peer_common_name() const;
    [[nodiscard]] std::string alpn() const;
    [[nodiscard]] std::string tls_version() const;
    [[nodiscard]] std::string cipher() const;

    [[nodiscard]] int fd() const;
    void close();

  private:
    struct State;
    explicit TestConnection(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// One request on a fresh connection (TLS if `tls` is set), then the connection is closed.
Result<HttpResponseMessage> one_request(unsigned short port, std::string_view method,
                                        std::string_view target, std::string_view body = {},
                                        const Headers& headers = {},
                                        const std::optional<ClientTlsOptions>& tls = std::nullopt,
                                        std::chrono::milliseconds timeout = 5s);

// Plain-HTTP GET, e.g. for the metrics port.
Result<HttpResponseMessage> http_get(unsigned short port, std::string_view target,
                                     std::chrono::milliseconds timeout = 5s);

}  // namespace piw::testing
