#pragma once
// An authenticated HTTPS client for the Kubernetes API on cpp-httplib (decision S0). Thread-safe:
// every call may come from any thread; connections are kept alive in a small pool, and a watch
// holds its own connection for its lifetime. Blocking by design: callers run it on their own
// threads (reflector, lookup workers), never on the server's event loop.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/kube/client_config.hpp"

namespace piw::kube {

struct ApiResponse {
    // HTTP status; 0 when no response came (connection refused, TLS failure, timeout, cancelled,
    // credentials unavailable) — then `error` says why.
    int status = 0;
    std::string body;        // capped by RequestOptions::max_body_bytes
    std::string error;       // transport-level problem, or "" when a response arrived
    bool too_large = false;  // status 0 because the body exceeded max_body_bytes

    // get() only: a few response headers worth reporting (issuer-discovery checks).
    std::string content_type;
    std::string cache_control;
    std::string location;  // of a redirect (never followed)

    [[nodiscard]] bool transport_failed() const { return status == 0; }
};

struct RequestOptions {
    std::chrono::milliseconds timeout{10000};          // connect + whole response
    std::size_t max_body_bytes = 64U * 1024U * 1024U;  // larger → status 0, error "too large"
};

struct WatchOptions {
    std::chrono::milliseconds connect_timeout{10000};
    // No byte for this long (not even a bookmark) → the stream is considered stalled and closed.
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(11)};
    std::size_t max_line_bytes = 16U * 1024U * 1024U;  // one event; larger → stream closed
};

class KubeClient {
  public:
    // Called with each complete newline-terminated line of a watch stream (without the '\n').
    // Return false to close the stream.
    using LineHandler = std::function<bool(std::string_view line)>;

    // Validates the config (server URL, PEM blocks parse) and returns a client; no I/O yet.
    static Result<std::unique_ptr<KubeClient>> create(ClientConfig config);

    virtual ~KubeClient() = default;

    // GET `path_and_query` (starting with '/', already escaped), Accept: application/json, with
    // the current credentials. 401 from the server: credentials are refreshed (token file re-read,
    // exec plugin re-run) and the request retried once.
    virtual ApiResponse get(const std::string& path_and_query,
                            const RequestOptions& options = {}) = 0;

    // A streaming GET (watch=true, chunked): calls `on_line` per line until the server ends the
    // stream, the handler returns false, the stream stalls, or shutdown(). Returns the response
    // status (200 for a stream that ran) or the error; for a non-200 answer the body is returned.
    virtual ApiResponse watch(const std::string& path_and_query, const LineHandler& on_line,
                              const WatchOptions& options = {}) = 0;

    // Closes every open connection and makes later calls fail at once (status 0, "shut down").
    // Safe from any thread; blocked get()/watch() calls return promptly.
    virtual void shutdown() = 0;

    [[nodiscard]] virtual const std::string& description() const = 0;
};

}  // namespace piw::kube
