#pragma once
// One HTTP/1.1 listener on Boost.Beast/Asio (decision S0): TLS (webhook port) or plain (metrics
// port), exact-path routes, and the limits of decision S3 — header and body caps (chunked bodies
// included), a whole-request deadline, a TLS handshake deadline, an idle keep-alive timeout and a
// cap on open connections — plus graceful drain (S4).

// Boost 1.74 with g++ 12 in C++20: <optional> and <utility> before any Asio header.
#include <optional>
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/server/certificate_reloader.hpp"
#include "pod_identity_webhook/server/http.hpp"

namespace piw::server {

struct ServerLimits {
    std::size_t max_header_bytes = 64U * 1024U;       // request line + headers → 431
    std::size_t max_header_fields = 100;              // → 431
    std::size_t max_body_bytes = 8U * 1024U * 1024U;  // → 413, connection closed, rest unread
    // From a request's first byte to its end; writing the response gets as long again.
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake
    std::chrono::milliseconds idle_timeout{60'000};       // keep-alive wait for the next request
    std::size_t max_connections = 2048;  // beyond this new connections are closed at once
};

struct ServerOptions {
    std::string name = "webhook";  // for logs: "webhook" or "metrics"
    std::string bind_address;      // "" → all interfaces (IPv6 dual-stack, else 0.0.0.0)
    unsigned short port = 0;       // 0 → an ephemeral port (see HttpServer::start)
    ServerLimits limits;
    CertificateReloader* tls = nullptr;  // null → plain HTTP
};

// The caller owns the io_context and runs it on as many threads as it likes; each connection runs
// on its own strand. Handlers and the CertificateReloader must outlive the server, and the server
// must be destroyed before the io_context (connections still open are force-closed and call no
// handler afterwards).
class HttpServer {
  public:
    HttpServer(boost::asio::io_context& io, ServerOptions options,
               metrics::WebhookMetrics* metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Exact path match. `instrumented` routes are counted in upstream's http_request_* metrics.
    // Unknown paths answer 404 "404 page not found\n". Call before start().
    void add_route(std::string path, RequestHandler& handler, bool instrumented);

    // Binds and starts accepting. Returns the bound port (useful with port 0). Logs
    // "listening server=<name> port=<port> tls=<true|false>".
    Result<unsigned short> start();

    // Graceful drain: stop accepting, close idle keep-alive connections, let requests in flight
    // finish (their responses carry "Connection: close"). Thread-safe.
    void begin_shutdown();
    // Closes every connection now (after the shutdown timeout).
    void force_close();

    // For the drain loop: connections not yet closed, and requests whose first byte has arrived
    // and whose response has not been written yet.
    [[nodiscard]] std::size_t open_connections() const;
    [[nodiscard]] std::size_t requests_in_flight() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// Adapts a function to RequestHandler, for small routes like /healthz.
class FunctionHandler final : public RequestHandler {
  public:
    explicit FunctionHandler(std::function<HttpResponse(HttpRequest&)> function)
        : function_(std::move(function)) {}
    void handle(HttpRequest& request, Responder respond) override { respond(function_(request)); }

  private:
    std::function<HttpResponse(HttpRequest&)> function_;
};

}  // namespace piw::server
