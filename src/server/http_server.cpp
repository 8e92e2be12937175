#include "pod_identity_webhook/server/http_server.hpp"

#include <optional>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include <exception>
#include <string>

#include "pod_identity_webhook/logging/log.hpp"
#include "server/response_writer.hpp"
#include "server/server_core.hpp"
#include "server/session.hpp"

namespace piw::server {
namespace detail {

HttpResponse protocol_error_response(int status) {
    HttpResponse response;
    response.status = status;
    response.body = std::to_string(status);
    response.body += ' ';
    response.body += reason_phrase(status);
    return response;
}

HttpResponse not_found_response() {
    HttpResponse response;
    response.status = 404;
    response.body = "404 page not found\n";
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
}

HttpResponse handler_failure_response() {
    HttpResponse response;
    response.status = 500;
    response.body = "Internal Server Error\n";
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
}

// A message at most once per interval (refused connections, accept errors): an attack or an
// exhausted file table must not turn into a log flood.
class RateLimitedLog {
  public:
    explicit RateLimitedLog(std::chrono::seconds interval) : interval_(interval) {}
    // Counts an occurrence; returns the number of occurrences since the last report when it is
    // time to report, else 0.
    std::uint64_t occurrence() {
        ++pending_;
        const auto now = Clock::now();
        if (reported_ && now - last_report_ < interval_) return 0;
        reported_ = true;
        last_report_ = now;
        return std::exchange(pending_, 0);
    }

  private:
    std::chrono::seconds interval_;
    Clock::time_point last_report_{};
    std::uint64_t pending_ = 0;
    bool reported_ = false;
};

inline bool is_resource_exhaustion(const boost::system::error_code& ec) {
    return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
           ec == net::error::no_memory || ec.value() == ENFILE;
}

}  // namespace detail

using detail::Clock;
namespace net = boost::asio;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
    Impl(net::io_context& context, ServerOptions options, metrics::WebhookMetrics* metrics)
        : io(context),
          core(std::make_shared<detail::ServerCore>(std::move(options), metrics)),
          acceptor(net::make_strand(context)),
          retry_timer(acceptor.get_executor()) {}

    Result<unsigned short> listen();
    void accept_next();
    void on_accept(const boost::system::error_code& ec, detail::Socket socket);
    void start_session(detail::Socket socket);
    void refuse(detail::Socket& socket);
    void stop_accepting();

    net::io_context& io;
    std::shared_ptr<detail::ServerCore> core;
    detail::Acceptor acceptor;
    detail::Timer retry_timer;
    bool started = false;
    // Touched only on the acceptor's strand.
    detail::RateLimitedLog refusal_log{std::chrono::seconds(5)};
    detail::RateLimitedLog accept_error_log{std::chrono::seconds(5)};
};

namespace {

std::string endpoint_text(const net::ip::tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return text + ":" + std::to_string(endpoint.port());
}

}  // namespace

Result<unsigned short> HttpServer::Impl::listen() {
    const ServerOptions& options = core->options;
    boost::system::error_code ec;
    auto open_and_bind = [this, &ec](const net::ip::tcp::endpoint& endpoint, bool dual_stack) {
        ec.clear();
        boost::system::error_code ignored;
        acceptor.close(ignored);
        acceptor.open(endpoint.protocol(), ec);
        if (ec) return;
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
        if (ec) return;
        if (dual_stack) {
            acceptor.set_option(net::ip::v6_only(false), ec);
            if (ec) return;
        }
        acceptor.bind(endpoint, ec);
    };

    net::ip::tcp::endpoint endpoint;
    if (options.bind_address.empty()) {
        // All interfaces: IPv6 dual-stack, or IPv4 where IPv6 is unavailable.
        endpoint = net::ip::tcp::endpoint(net::ip::tcp::v6(), options.port);
        open_and_bind(endpoint, true);
        if (ec && ec != net::error::address_in_use && ec != net::error::access_denied) {
            endpoint = net::ip::tcp::endpoint(net::ip::tcp::v4(), options.port);
            open_and_bind(endpoint, false);
        }
    } else {
        const auto address = net::ip::make_address(options.bind_address, ec);
        if (ec) {
            return Error{"invalid bind address \"" + options.bind_address + "\" for the " +
                         options.name + " server: " + ec.message()};
        }
        endpoint = net::ip::tcp::endpoint(address, options.port);
        open_and_bind(endpoint, false);
    }
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return Error{"cannot listen on " + endpoint_text(endpoint) + " for the " + options.name +
                     " server: " + ec.message()};
    }
    const auto bound = acceptor.local_endpoint(ec);
    if (ec) return Error{"cannot read the bound address: " + ec.message()};
    return bound.port();
}

void HttpServer::Impl::accept_next() {
    acceptor.async_accept(
        net::make_strand(io),
        [self = shared_from_this()](const boost::system::error_code& ec, detail::Socket socket) {
            self->on_accept(ec, std::move(socket));
        });
}

void HttpServer::Impl::on_accept(const boost::system::error_code& ec, detail::Socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
        if (const auto count = accept_error_log.occurrence()) {
            logging::warn("accepting a connection failed",
                          {{"server", core->options.name},
                           {"error", ec.message()},
                           {"occurrences", std::to_string(count)}});
        }
        if (detail::is_resource_exhaustion(ec)) {
            // Out of descriptors or memory: let some connections close before trying again.
            retry_timer.expires_after(std::chrono::milliseconds(100));
            retry_timer.async_wait(
                [self = shared_from_this()](const boost::system::error_code& wait_ec) {
                    if (!wait_ec) self->accept_next();
                });
            return;
        }
        accept_next();
        return;
    }
    if (core->draining.load()) {
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    if (core->open_connections.load(std::memory_order_relaxed) >=
        core->options.limits.max_connections) {
        refuse(socket);
    } else {
        start_session(std::move(socket));
    }
    accept_next();
}

void HttpServer::Impl::refuse(detail::Socket& socket) {
    boost::system::error_code ignored;
    socket.close(ignored);
    if (const auto count = refusal_log.occurrence()) {
        logging::warn("connection limit reached, refusing new connections",
                      {{"server", core->options.name},
                       {"max_connections", std::to_string(core->options.limits.max_connections)},
                       {"refused", std::to_string(count)}});
    }
}

void HttpServer::Impl::start_session(detail::Socket socket) {
    boost::system::error_code ignored;
    socket.set_option(net::ip::tcp::no_delay(true), ignored);
    core->open_connections.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<detail::SessionBase> session;
    try {
        if (core->options.tls != nullptr) {
            session = std::make_shared<detail::Session<detail::TlsStream>>(
                core, std::move(socket), core->options.tls->current());
        } else {
            session = std::make_shared<detail::Session<detail::Socket>>(core, std::move(socket));
        }
    } catch (const std::exception& failure) {
        // The session (if partly built) released nothing: undo the count ourselves.
        core->open_connections.fetch_sub(1, std::memory_order_relaxed);
        logging::error("cannot set up a connection",
                       {{"server", core->options.name}, {"error", failure.what()}});
        return;
    }
    core->sessions.add(*session);
    session->begin();
}

void HttpServer::Impl::stop_accepting() {
    net::post(acceptor.get_executor(), [self = shared_from_this()]() {
        boost::system::error_code ignored;
        self->acceptor.close(ignored);
        self->retry_timer.cancel();
    });
}

HttpServer::HttpServer(net::io_context& io, ServerOptions options, metrics::WebhookMetrics* metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), metrics)) {}

HttpServer::~HttpServer() {
    impl_->core->detached.store(true);
    impl_->core->draining.store(true);
    impl_->stop_accepting();
    impl_->core->sessions.for_each([](detail::SessionBase& session) { session.force_close(); });
}

void HttpServer::add_route(std::string path, RequestHandler& handler, bool instrumented) {
    if (impl_->started) {
        logging::error("route added after the server started; ignored",
                       {{"server", impl_->core->options.name}, {"path", path}});
        return;
    }
    for (auto& route : impl_->core->routes) {
        if (route.path == path) {
            route.handler = &handler;
            route.instrumented = instrumented;
            return;
        }
    }
    impl_->core->routes.push_back(detail::Route{std::move(path), &handler, instrumented});
}

Result<unsigned short> HttpServer::start() {
    if (impl_->started)
        return Error{"the " + impl_->core->options.name + " server already started"};
    auto port = impl_->listen();
    if (!port) return port;
    impl_->started = true;
    net::post(impl_->acceptor.get_executor(), [impl = impl_]() { impl->accept_next(); });
    logging::info("listening", {{"server", impl_->core->options.name},
                                {"port", std::to_string(*port)},
                                {"tls", impl_->core->options.tls != nullptr ? "true" : "false"}});
    return port;
}

void HttpServer::begin_shutdown() {
    impl_->core->draining.store(true);
    impl_->stop_accepting();
    impl_->core->sessions.for_each([](detail::SessionBase& session) { session.drain(); });
}

void HttpServer::force_close() {
    impl_->core->draining.store(true);
    impl_->stop_accepting();
    impl_->core->sessions.for_each([](detail::SessionBase& session) { session.force_close(); });
}

std::size_t HttpServer::open_connections() const {
    return impl_->core->open_connections.load(std::memory_order_relaxed);
}

std::size_t HttpServer::requests_in_flight() const {
    return impl_->core->requests_in_flight.load(std::memory_order_relaxed);
}

}  // namespace piw::server
