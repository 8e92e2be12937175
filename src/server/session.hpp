#pragma once
// One HTTP/1.1 connection, over TLS (Stream = ssl::stream<Socket>) or plain TCP (Stream = Socket).
//
// Everything runs on the connection's strand. A connection goes through these phases:
//
//   handshake ─► idle ─► reading ─► handling ─► writing ─┬─► idle (keep-alive)
//                  ▲                                      └─► closing ─► closed
//                  └──────────────────────────────────────┘
//
// and one timer enforces the deadline of the current phase (decision S3): handshake_timeout,
// idle_timeout until the first byte of the next request, request_timeout from that first byte to
// the end of the request (and again for writing the response). Handling has no deadline: the
// handler bounds its own work. The timer is re-armed only when a deadline moves earlier than the
// pending wait; otherwise the pending wait, when it fires, re-arms itself for the current
// deadline, so a busy keep-alive connection costs about one timer operation per request_timeout
// rather than several per request.

#include <optional>
#include <utility>

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "pod_identity_webhook/logging/log.hpp"
#include "server/read_buffer.hpp"
#include "server/request_parser.hpp"
#include "server/response_writer.hpp"
#include "server/server_core.hpp"

namespace piw::server::detail {

using TlsStream = net::ssl::stream<Socket>;

// Tuning that is not a user-visible limit.
inline constexpr std::size_t kReadChunk = 16U * 1024U;  // one TLS record
inline constexpr std::size_t kInitialReadBuffer = 16U * 1024U;
inline constexpr std::size_t kRetainedBodyCapacity = 1024U * 1024U;  // kept between requests
inline constexpr std::chrono::milliseconds kGracefulCloseTimeout{1000};
inline constexpr std::size_t kMaxLingerBytes = 1024U * 1024U;

// The status line and body Go's net/http writes for protocol errors.
HttpResponse protocol_error_response(int status);
// Go's http.NotFound.
HttpResponse not_found_response();
HttpResponse handler_failure_response();

template <class Stream>
class Session final : public SessionBase {
  public:
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

    Session(std::shared_ptr<ServerCore> core, Socket socket,
            std::shared_ptr<net::ssl::context> tls_context) requires kTls
        : core_(std::move(core)),
          tls_context_(std::move(tls_context)),
          strand_(socket.get_executor()),
          stream_(std::move(socket), *tls_context_),
          timer_(strand_),
          buffer_(kInitialReadBuffer, core_->options.limits.max_header_bytes + kReadChunk) {}

    Session(std::shared_ptr<ServerCore> core, Socket socket) requires(!kTls)
        : core_(std::move(core)),
          strand_(socket.get_executor()),
          stream_(std::move(socket)),
          timer_(strand_),
          buffer_(kInitialReadBuffer, core_->options.limits.max_header_bytes + kReadChunk) {}

    ~Session() override {
        finish_in_flight();
        release_connection();
        core_->sessions.remove(*this);
    }

    void begin() override {
        net::post(strand_, [self = self()]() { self->start(); });
    }
    void drain() override {
        net::post(strand_, [self = self()]() { self->on_drain(); });
    }
    void force_close() override {
        net::post(strand_, [self = self()]() { self->close_now(); });
    }

  private:
    enum class Phase { handshake, idle, reading, handling, writing, closing, closed };
    using error_code = boost::system::error_code;

    std::shared_ptr<Session> self() {
        return std::static_pointer_cast<Session>(shared_from_this());
    }
    Socket& socket() {
        if constexpr (kTls) {
            return stream_.next_layer();
        } else {
            return stream_;
        }
    }
    const ServerLimits& limits() const { return core_->options.limits; }

    void log_debug(std::string_view message, std::string_view reason = {}) const {
        if (!logging::enabled(spdlog::level::debug)) return;
        logging::debug(message, {{"server", core_->options.name}, {"reason", reason}});
    }

    // ---- connection start ---------------------------------------------------------------------

    void start() {
        if constexpr (kTls) {
            phase_ = Phase::handshake;
            set_deadline(Clock::now() + limits().handshake_timeout);
            stream_.async_handshake(
                net::ssl::stream_base::server,
                [self = self()](const error_code& ec) { self->on_handshake(ec); });
        } else {
            begin_request();
        }
    }

    void on_handshake(const error_code& ec) {
        if (phase_ == Phase::closed) return;
        if (ec) {
            log_debug("TLS handshake failed", ec.message());
            close_now();
            return;
        }
        begin_request();
    }

    // ---- reading a request --------------------------------------------------------------------

    void begin_request() {
        if (core_->draining.load(std::memory_order_relaxed) ||
            core_->detached.load(std::memory_order_relaxed)) {
            close_now();
            return;
        }
        phase_ = Phase::idle;
        if (request_.body.capacity() > kRetainedBodyCapacity) std::string().swap(request_.body);
        buffer_.shrink_if_empty();
        parser_.emplace(request_, limits().max_header_bytes, limits().max_header_fields,
                        limits().max_body_bytes);
        continue_sent_ = false;
        header_bytes_ = 0;
        if (!buffer_.empty()) {  // a pipelined request is already here
            begin_reading_request();
            parse_buffered();
            return;
        }
        set_deadline(Clock::now() + limits().idle_timeout);
        read_more();
    }

    void read_more() {
        const auto space = buffer_.prepare(kReadChunk);
        if (space.size() == 0) {  // cannot happen: the header limit is smaller than the buffer
            reject_request(431, "request buffer full");
            return;
        }
        stream_.async_read_some(space, [self = self()](const error_code& ec, std::size_t bytes) {
            self->on_read(ec, bytes);
        });
    }

    void on_read(const error_code& ec, std::size_t bytes) {
        if (phase_ == Phase::closed) return;
        if (ec) {
            if (phase_ == Phase::reading)
                log_debug("connection lost during a request", ec.message());
            close_now();
            return;
        }
        buffer_.commit(bytes);
        if (phase_ == Phase::idle) begin_reading_request();
        parse_buffered();
    }

    void begin_reading_request() {
        phase_ = Phase::reading;
        request_.received_at = Clock::now();
        set_deadline(request_.received_at + limits().request_timeout);
        if (!counted_in_flight_) {
            counted_in_flight_ = true;
            core_->requests_in_flight.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void parse_buffered() {
        RequestParser& parser = *parser_;
        const std::size_t max_header = limits().max_header_bytes;
        while (!parser.is_done() && !buffer_.empty()) {
            std::size_t available = buffer_.size();
            const bool in_header = !parser.is_header_done();
            if (in_header) {
                // Beast consumes complete header fields as they arrive and applies its own
                // limit to each call's window only: count the header across calls ourselves.
                available = std::min(available, max_header - std::min(header_bytes_, max_header));
                if (available == 0) {
                    reject_request(431, "header too large");
                    return;
                }
            }
            error_code ec;
            const std::size_t used = parser.put(net::const_buffer(buffer_.data(), available), ec);
            buffer_.consume(used);
            if (in_header) header_bytes_ += used;
            if (ec == boost::beast::http::error::need_more) {
                if (!parser.is_header_done() && header_bytes_ + buffer_.size() >= max_header) {
                    reject_request(431, "header too large");
                    return;
                }
                break;
            }
            if (ec) {
                reject_malformed(ec, parser.too_many_fields());
                return;
            }
            if (used == 0) break;
        }
        if (parser.is_done()) {
            dispatch_request();
            return;
        }
        if (parser.is_header_done() && parser.expects_continue() && !continue_sent_) {
            send_continue();
            return;
        }
        read_more();
    }

    void reject_malformed(const error_code& ec, bool too_many_fields) {
        namespace http_error = boost::beast::http;
        if (ec == http_error::error::header_limit) {
            reject_request(431, too_many_fields ? "too many header fields" : "header too large");
        } else if (ec == http_error::error::body_limit) {
            reject_request(413, "body too large");
        } else {
            reject_request(400, ec.message());
        }
    }

    void reject_request(int status, std::string_view reason) {
        log_debug("rejected a request", reason);
        request_rejected_ = true;
        keep_alive_ = false;
        http10_ = false;
        head_ = false;
        write_response(protocol_error_response(status));
    }

    // Clients that send "Expect: 100-continue" wait for this before sending the body.
    void send_continue() {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        continue_sent_ = true;
        net::async_write(stream_, net::const_buffer(kContinue.data(), kContinue.size()),
                         [self = self()](const error_code& ec, std::size_t /*bytes*/) {
                             self->on_continue_written(ec);
                         });
    }

    void on_continue_written(const error_code& ec) {
        if (phase_ == Phase::closed) return;
        if (ec) {
            close_now();
            return;
        }
        read_more();
    }

    // ---- handling -----------------------------------------------------------------------------

    void dispatch_request() {
        phase_ = Phase::handling;
        set_deadline(Clock::time_point::max());
        ++request_id_;
        keep_alive_ = parser_->keep_alive();
        http10_ = parser_->http_version() == 10;
        head_ = request_.method == "HEAD";
        if (core_->detached.load(std::memory_order_relaxed)) {
            close_now();
            return;
        }
        route_ = core_->find_route(request_.path());
        if (route_ == nullptr) {
            write_response(not_found_response());
            return;
        }
        try {
            route_->handler->handle(request_, make_responder());
        } catch (const std::exception& failure) {
            logging::error("request handler failed", {{"server", core_->options.name},
                                                      {"path", route_->path},
                                                      {"error", failure.what()}});
            on_response(request_id_, handler_failure_response());
        } catch (...) {
            logging::error("request handler failed",
                           {{"server", core_->options.name}, {"path", route_->path}});
            on_response(request_id_, handler_failure_response());
        }
    }

    Responder make_responder() {
        return [self = self(), id = request_id_](HttpResponse response) {
            self->deliver(id, std::move(response));
        };
    }

    // May be called from any thread.
    void deliver(std::uint64_t id, HttpResponse response) {
        if (strand_.running_in_this_thread()) {
            on_response(id, std::move(response));
            return;
        }
        net::post(strand_, [self = self(), id, response = std::move(response)]() mutable {
            self->on_response(id, std::move(response));
        });
    }

    void on_response(std::uint64_t id, HttpResponse response) {
        // A second answer, an answer after the connection closed, or after a handler failure.
        if (id != request_id_ || phase_ != Phase::handling) return;
        if (route_ != nullptr && route_->instrumented && core_->metrics != nullptr) {
            core_->metrics->record_http_request(request_.method, route_->path, response.status,
                                                Clock::now() - request_.received_at);
        }
        write_response(response);
    }

    // ---- writing ------------------------------------------------------------------------------

    void write_response(const HttpResponse& response) {
        close_after_response_ = close_after_response_ || !keep_alive_ ||
                                core_->draining.load(std::memory_order_relaxed);
        const ResponseFraming framing{close_after_response_,
                                      http10_ && keep_alive_ && !close_after_response_, head_};
        serialize_response(response, framing, response_bytes_);
        phase_ = Phase::writing;
        set_deadline(Clock::now() + limits().request_timeout);
        net::async_write(
            stream_, net::buffer(response_bytes_),
            [self = self()](const error_code& ec, std::size_t /*bytes*/) { self->on_written(ec); });
    }

    void on_written(const error_code& ec) {
        if (phase_ == Phase::closed) return;
        finish_in_flight();
        if (ec) {
            close_now();
            return;
        }
        if (close_after_response_) {
            begin_graceful_close();
            return;
        }
        begin_request();
    }

    void finish_in_flight() {
        if (!counted_in_flight_) return;
        counted_in_flight_ = false;
        core_->requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
    }

    // ---- closing ------------------------------------------------------------------------------

    void on_drain() {
        if (phase_ == Phase::idle || phase_ == Phase::handshake) close_now();
        // Otherwise the request in progress is answered with "Connection: close".
    }

    // After a response with "Connection: close": send TLS close_notify (without waiting for the
    // client's), then close. When the client may still be sending (a rejected request, bytes
    // after the last request), half-close first and read and drop what arrives for a moment, so
    // that closing with unread data does not reset the connection before the client has read
    // the response. Bounded in time and bytes.
    void begin_graceful_close() {
        phase_ = Phase::closing;
        set_deadline(Clock::now() + kGracefulCloseTimeout);
        if constexpr (kTls) {
            // As if the client's close_notify had arrived: SSL_shutdown then only sends ours.
            SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
            stream_.async_shutdown([self = self()](const error_code& /*ec*/) {
                if (self->phase_ != Phase::closed) self->close_or_linger();
            });
        } else {
            close_or_linger();
        }
    }

    void close_or_linger() {
        error_code ec;
        const bool client_may_be_sending =
            request_rejected_ || !buffer_.empty() || socket().available(ec) > 0;
        if (!client_may_be_sending) {
            close_now();
            return;
        }
        socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
        buffer_.consume(buffer_.size());
        linger_read();
    }

    void linger_read() {
        socket().async_read_some(buffer_.prepare(kReadChunk),
                                 [self = self()](const error_code& ec, std::size_t bytes) {
                                     self->on_linger_read(ec, bytes);
                                 });
    }

    void on_linger_read(const error_code& ec, std::size_t bytes) {
        if (phase_ == Phase::closed) return;
        lingered_bytes_ += bytes;
        if (ec || lingered_bytes_ > kMaxLingerBytes) {
            close_now();
            return;
        }
        linger_read();
    }

    void close_now() {
        if (phase_ == Phase::closed) return;
        phase_ = Phase::closed;
        finish_in_flight();
        error_code ignored;
        timer_.cancel();
        socket().close(ignored);
        release_connection();
    }

    void release_connection() {
        if (connection_released_) return;
        connection_released_ = true;
        core_->open_connections.fetch_sub(1, std::memory_order_relaxed);
    }

    // ---- deadlines ----------------------------------------------------------------------------

    void set_deadline(Clock::time_point deadline) {
        deadline_ = deadline;
        if (deadline == Clock::time_point::max()) return;
        if (timer_armed_ && timer_expiry_ <= deadline) return;  // that wait re-arms itself
        arm_timer(deadline);
    }

    void arm_timer(Clock::time_point at) {
        timer_armed_ = true;
        timer_expiry_ = at;
        const std::uint64_t generation = ++timer_generation_;
        timer_.expires_at(
            at);  // cancels the previous wait, whose handler then sees a stale generation
        timer_.async_wait(
            [self = self(), generation](const error_code& ec) { self->on_timer(ec, generation); });
    }

    void on_timer(const error_code& ec, std::uint64_t generation) {
        if (generation != timer_generation_ || phase_ == Phase::closed) return;
        timer_armed_ = false;
        if (ec || deadline_ == Clock::time_point::max()) return;
        if (Clock::now() < deadline_) {
            arm_timer(deadline_);
            return;
        }
        on_deadline();
    }

    void on_deadline() {
        switch (phase_) {
            case Phase::handshake:
                log_debug("TLS handshake timed out");
                break;
            case Phase::idle:
                break;  // an idle keep-alive connection: nothing to report
            case Phase::reading:
                log_debug("request not received in time");
                break;
            case Phase::writing:
                log_debug("response not taken in time");
                break;
            case Phase::closing:
            case Phase::handling:
            case Phase::closed:
                break;
        }
        close_now();
    }

    // Declaration order matters: the TLS context outlives the stream that uses it.
    std::shared_ptr<ServerCore> core_;
    std::shared_ptr<net::ssl::context> tls_context_;
    Strand strand_;
    Stream stream_;
    Timer timer_;
    ReadBuffer buffer_;
    std::optional<RequestParser> parser_;
    HttpRequest request_;
    std::string response_bytes_;
    const Route* route_ = nullptr;

    Phase phase_ = Phase::idle;
    std::uint64_t request_id_ = 0;
    Clock::time_point deadline_ = Clock::time_point::max();
    Clock::time_point timer_expiry_{};
    std::uint64_t timer_generation_ = 0;
    std::size_t lingered_bytes_ = 0;
    std::size_t header_bytes_ = 0;  // of the current request, consumed by the parser so far
    bool timer_armed_ = false;
    bool keep_alive_ = true;
    bool http10_ = false;
    bool head_ = false;
    bool close_after_response_ = false;
    bool continue_sent_ = false;
    bool counted_in_flight_ = false;
    bool request_rejected_ = false;  // the rest of that request was never read
    bool connection_released_ = false;
};

}  // namespace piw::server::detail
