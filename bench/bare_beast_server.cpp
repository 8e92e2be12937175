// The "bare Beast" ceiling of the HTTP benchmark: a minimal Boost.Beast HTTPS keep-alive server,
// written the ordinary Beast way (http::async_read into a request<string_body>, http::async_write
// of a response<string_body>), that answers every request with the same 1 KB body. It does none
// of the webhook's work and has none of its limits beyond Beast's defaults; the benchmark compares
// the webhook's throughput with this one's on the same machine.
//
//   bare_beast_server <port> <cert.pem> <key.pem> [threads=1]
//
// Prints "listening on port <n>" (port 0 picks one) and runs until killed. It links piw_server
// only for the compiled Asio/Beast translation unit; it does not use HttpServer.

#include <optional>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

const std::string& fixed_body() {
    static const std::string body = [] {
        std::string text(1024, 'x');
        text.front() = '{';
        text.back() = '}';
        return text;
    }();
    return body;
}

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket&& socket, ssl::context& context) : stream_(std::move(socket), context) {}

    void run() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&Session::on_run, shared_from_this()));
    }

  private:
    void on_run() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        stream_.async_handshake(
            ssl::stream_base::server,
            beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
    }

    void on_handshake(beast::error_code ec) {
        if (ec) return;
        do_read();
    }

    void do_read() {
        request_ = {};
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, request_,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t /*bytes*/) {
        if (ec == http::error::end_of_stream) {
            do_close();
            return;
        }
        if (ec) return;
        response_ = {};
        response_.result(http::status::ok);
        response_.version(request_.version());
        response_.set(http::field::content_type, "application/json");
        response_.keep_alive(request_.keep_alive());
        response_.body() = fixed_body();
        response_.prepare_payload();
        http::async_write(stream_, response_,
                          beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t /*bytes*/) {
        if (ec) return;
        if (!response_.keep_alive()) {
            do_close();
            return;
        }
        do_read();
    }

    void do_close() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(net::io_context& io, ssl::context& context, unsigned short port)
        : io_(io), context_(context), acceptor_(net::make_strand(io)) {
        const tcp::endpoint endpoint(tcp::v4(), port);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(net::socket_base::max_listen_connections);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    void run() { do_accept(); }

  private:
    void do_accept() {
        acceptor_.async_accept(net::make_strand(io_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), context_)->run();
        }
        do_accept();
    }

    net::io_context& io_;
    ssl::context& context_;
    tcp::acceptor acceptor_;
};

bool parse_number(std::string_view text, unsigned long& out) {
    const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
    return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
    unsigned long port = 0;
    unsigned long threads = 1;
    if (argc < 4 || argc > 5 || !parse_number(argv[1], port) || port > 65535 ||
        (argc == 5 && (!parse_number(argv[4], threads) || threads == 0 || threads > 256))) {
        std::cerr << "usage: bare_beast_server <port> <cert.pem> <key.pem> [threads=1]\n";
        return 2;
    }
    try {
        ssl::context context(ssl::context::tls_server);
        context.use_certificate_chain_file(argv[2]);
        context.use_private_key_file(argv[3], ssl::context::pem);

        net::io_context io(static_cast<int>(threads));
        auto listener = std::make_shared<Listener>(io, context, static_cast<unsigned short>(port));
        listener->run();
        std::printf("listening on port %u\n", static_cast<unsigned>(listener->port()));
        std::fflush(stdout);

        net::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&io](beast::error_code, int) { io.stop(); });

        std::vector<std::thread> workers;
        for (unsigned long i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
        io.run();
        for (auto& worker : workers) worker.join();
    } catch (const std::exception& failure) {
        std::cerr << "bare_beast_server: " << failure.what() << "\n";
        return 1;
    }
    return 0;
}
