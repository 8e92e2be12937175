#pragma once
// State shared by an HttpServer's listener and its connections: options, routes, counters, the
// registry of open connections (for drain and force-close) and the Asio types they use.

#include <optional>
#include <utility>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/server/http.hpp"
#include "pod_identity_webhook/server/http_server.hpp"

namespace piw::server::detail {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
// Concrete executor types (no type erasure on the hot path): every connection runs on its own
// strand of the caller's io_context.
using Strand = net::strand<net::io_context::executor_type>;
using Socket = net::basic_stream_socket<net::ip::tcp, Strand>;
using Acceptor = net::basic_socket_acceptor<net::ip::tcp, Strand>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Strand>;

struct Route {
    std::string path;
    RequestHandler* handler = nullptr;
    bool instrumented = false;
};

// One connection as the server sees it from outside its strand.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
  public:
    SessionBase() = default;
    SessionBase(const SessionBase&) = delete;
    SessionBase& operator=(const SessionBase&) = delete;
    virtual ~SessionBase() = default;

    // All thread-safe: each posts to the connection's strand.
    virtual void begin() = 0;
    // Close now if idle (between requests or still in the TLS handshake); otherwise finish the
    // current request, answer it with "Connection: close" and close.
    virtual void drain() = 0;
    virtual void force_close() = 0;

  private:
    friend class SessionRegistry;
    SessionBase* previous_ = nullptr;
    SessionBase* next_ = nullptr;
};

// The open connections, as an intrusive list under a mutex (touched on connect, disconnect and
// shutdown only, never per request).
class SessionRegistry {
  public:
    void add(SessionBase& session);
    void remove(SessionBase& session);
    // Calls `action` on every connection still alive, outside the lock.
    template <class Action>
    void for_each(Action action) {
        std::vector<std::shared_ptr<SessionBase>> alive;
        {
            std::lock_guard lock(mutex_);
            for (SessionBase* session = head_; session != nullptr; session = session->next_) {
                // Empty for a connection whose destructor is waiting for this lock.
                if (auto strong = session->weak_from_this().lock())
                    alive.push_back(std::move(strong));
            }
        }
        for (const auto& session : alive) action(*session);
    }

  private:
    std::mutex mutex_;
    SessionBase* head_ = nullptr;
};

struct ServerCore {
    ServerCore(ServerOptions server_options, metrics::WebhookMetrics* webhook_metrics)
        : options(std::move(server_options)), metrics(webhook_metrics) {}

    [[nodiscard]] const Route* find_route(std::string_view path) const {
        for (const auto& route : routes) {
            if (route.path == path) return &route;
        }
        return nullptr;
    }

    const ServerOptions options;
    metrics::WebhookMetrics* const metrics;
    std::vector<Route> routes;  // fixed once the server has started

    std::atomic<bool> draining{false};
    // Set when the HttpServer is destroyed: connections that outlive it call no handler.
    std::atomic<bool> detached{false};
    std::atomic<std::size_t> open_connections{0};
    std::atomic<std::size_t> requests_in_flight{0};
    SessionRegistry sessions;
};

}  // namespace piw::server::detail
