#pragma once
// The server's view of one HTTP exchange, independent of Beast. Handlers may answer inline or
// later from another thread (a cache-miss lookup), by calling the Responder exactly once.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace piw::server {

// Bodies are read into buffers with this many spare bytes after the data, so that the JSON parser
// (simdjson, which needs 64 bytes of padding) can read them in place.
inline constexpr std::size_t kBodyPadding = 64;

struct HttpRequest {
    std::string method;        // as sent, e.g. "POST"
    std::string target;        // path and query, e.g. "/mutate?timeout=10s"
    std::string content_type;  // the Content-Type header value, empty if absent
    std::string body;          // body.capacity() >= body.size() + kBodyPadding
    std::chrono::steady_clock::time_point received_at;  // when the request's first byte arrived

    [[nodiscard]] std::string_view path() const;
    // Value of a query parameter (not percent-decoded; Kubernetes sends plain values).
    [[nodiscard]] std::optional<std::string_view> query(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using Responder = std::function<void(HttpResponse)>;

class RequestHandler {
  public:
    virtual ~RequestHandler() = default;
    // Called on a server thread. Must not block; call `respond` exactly once.
    virtual void handle(HttpRequest& request, Responder respond) = 0;
};

}  // namespace piw::server
