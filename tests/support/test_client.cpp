#include "support/test_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) text += "; ";
        text += buffer;
    }
    return text.empty() ? "no OpenSSL error" : text;
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

// Waits for `events` on fd; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    while (true) {
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, remaining_ms(deadline));
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return false;
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace

std::optional<std::string> HttpResponseMessage::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return std::nullopt;
}

bool HttpResponseMessage::connection_close() const {
    const auto value = header("Connection");
    return value && iequals(*value, "close");
}

std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const Headers& headers, bool always_content_length) {
    std::string request;
    request.reserve(256 + body.size());
    request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
    for (const auto& [name, value] : headers)
        request.append(name).append(": ").append(value).append("\r\n");
    if (!body.empty() || always_content_length) {
        request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    request.append("\r\n").append(body);
    return request;
}

// ---- connection state -------------------------------------------------------------------------

struct TestConnection::State {
    int fd = -1;
    SSL_CTX* context = nullptr;
    SSL* ssl = nullptr;
    std::string inbox;  // received, not yet consumed
    bool peer_closed = false;

    ~State() {
        if (ssl != nullptr) SSL_free(ssl);
        if (context != nullptr) SSL_CTX_free(context);
        if (fd >= 0) ::close(fd);
    }

    enum class IoResult { ok, would_block_read, would_block_write, closed, failed };

    // One non-blocking read into `inbox`; `bytes` gets the count.
    IoResult read_once(std::size_t& bytes, std::string& error) {
        char buffer[16384];
        bytes = 0;
        if (ssl != nullptr) {
            ERR_clear_error();
            const int n = SSL_read(ssl, buffer, sizeof buffer);
            if (n > 0) {
                bytes = static_cast<std::size_t>(n);
                inbox.append(buffer, bytes);
                return IoResult::ok;
            }
            const int code = SSL_get_error(ssl, n);
            if (code == SSL_ERROR_WANT_READ) return IoResult::would_block_read;
            if (code == SSL_ERROR_WANT_WRITE) return IoResult::would_block_write;
            if (code == SSL_ERROR_ZERO_RETURN) return IoResult::closed;
            if (code == SSL_ERROR_SYSCALL &&
                (errno == 0 || errno == ECONNRESET || errno == EPIPE)) {
                return IoResult::closed;
            }
            // OpenSSL 3 reports an EOF without close_notify as an SSL error.
            const unsigned long last = ERR_peek_last_error();
            if (ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                ERR_clear_error();
                return IoResult::closed;
            }
            error = "TLS read: " + openssl_errors();
            return IoResult::failed;
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            bytes = static_cast<std::size_t>(n);
            inbox.append(buffer, bytes);
            return IoResult::ok;
        }
        if (n == 0) return IoResult::closed;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return IoResult::would_block_read;
        }
        if (errno == ECONNRESET) return IoResult::closed;
        error = std::string("read: ") + std::strerror(errno);
        return IoResult::failed;
    }

    IoResult write_once(std::string_view data, std::size_t& bytes, std::string& error) {
        bytes = 0;
        if (ssl != nullptr) {
            ERR_clear_error();
            const int n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
            if (n > 0) {
                bytes = static_cast<std::size_t>(n);
                return IoResult::ok;
            }
            const int code = SSL_get_error(ssl, n);
            if (code == SSL_ERROR_WANT_READ) return IoResult::would_block_read;
            if (code == SSL_ERROR_WANT_WRITE) return IoResult::would_block_write;
            if (code == SSL_ERROR_ZERO_RETURN) return IoResult::closed;
            if (code == SSL_ERROR_SYSCALL &&
                (errno == 0 || errno == ECONNRESET || errno == EPIPE)) {
                return IoResult::closed;
            }
            error = "TLS write: " + openssl_errors();
            return IoResult::failed;
        }
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            bytes = static_cast<std::size_t>(n);
            return IoResult::ok;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return IoResult::would_block_write;
        }
        if (errno == ECONNRESET || errno == EPIPE) return IoResult::closed;
        error = std::string("write: ") + std::strerror(errno);
        return IoResult::failed;
    }

    // Reads at least one byte more into inbox. Error text on timeout/close/failure.
    Status read_more(Clock::time_point deadline) {
        while (true) {
            std::size_t bytes = 0;
            std::string error;
            switch (read_once(bytes, error)) {
                case IoResult::ok:
                    return Status::success();
                case IoResult::closed:
                    peer_closed = true;
                    return Error{"connection closed by peer"};
                case IoResult::failed:
                    return Error{error};
                case IoResult::would_block_read:
                    if (!wait_for(fd, POLLIN, deadline)) return Error{"timed out reading"};
                    break;
                case IoResult::would_block_write:
                    if (!wait_for(fd, POLLOUT, deadline)) return Error{"timed out reading"};
                    break;
            }
        }
    }

    Status write_all(std::string_view data, Clock::time_point deadline) {
        while (!data.empty()) {
            std::size_t bytes = 0;
            std::string error;
            switch (write_once(data, bytes, error)) {
                case IoResult::ok:
                    data.remove_prefix(bytes);
                    break;
                case IoResult::closed:
                    peer_closed = true;
                    return Error{"connection closed by peer"};
                case IoResult::failed:
                    return Error{error};
                case IoResult::would_block_read:
                    if (!wait_for(fd, POLLIN, deadline)) return Error{"timed out writing"};
                    break;
                case IoResult::would_block_write:
                    if (!wait_for(fd, POLLOUT, deadline)) return Error{"timed out writing"};
                    break;
            }
        }
        return Status::success();
    }

    // Has the server sent something (response bytes, or closed)? Reads what is there without
    // blocking; TLS records that carry no application data (session tickets) do not count.
    bool readable_now() {
        if (!inbox.empty() || peer_closed) return true;
        while (true) {
            if (ssl == nullptr || SSL_pending(ssl) == 0) {
                pollfd entry{fd, POLLIN, 0};
                if (::poll(&entry, 1, 0) <= 0 ||
                    (entry.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    return false;
                }
            }
            std::size_t bytes = 0;
            std::string error;
            switch (read_once(bytes, error)) {
                case IoResult::ok:
                    return true;
                case IoResult::closed:
                case IoResult::failed:
                    peer_closed = true;
                    return true;
                case IoResult::would_block_read:
                    break;  // e.g. a session ticket: look again
                case IoResult::would_block_write:
                    return false;
            }
        }
    }
};

TestConnection::TestConnection(std::unique_ptr<State> state) : state_(std::move(state)) {}
TestConnection::TestConnection(TestConnection&& other) noexcept = default;
TestConnection& TestConnection::operator=(TestConnection&& other) noexcept = default;
TestConnection::~TestConnection() = default;

Result<TestConnection> TestConnection::connect(unsigned short port,
                                               std::chrono::milliseconds timeout) {
    // OpenSSL writes to the socket with write(2): a server that has closed must be an error for
    // the test to see, not a SIGPIPE that kills the test process.
    static const bool sigpipe_ignored = []() { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    static_cast<void>(sigpipe_ignored);
    auto state = std::make_unique<State>();
    state->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (state->fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
    const int one = 1;
    ::setsockopt(state->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(state->fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (errno != EINPROGRESS) return Error{std::string("connect: ") + std::strerror(errno)};
        if (!wait_for(state->fd, POLLOUT, Clock::now() + timeout))
            return Error{"connect timed out"};
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(state->fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) return Error{std::string("connect: ") + std::strerror(error)};
    }
    return TestConnection(std::move(state));
}

Status TestConnection::start_tls(const ClientTlsOptions& options,
                                 std::chrono::milliseconds timeout) {
    State& s = *state_;
    ERR_clear_error();
    s.context = SSL_CTX_new(TLS_client_method());
    if (s.context == nullptr) return Error{"SSL_CTX_new: " + openssl_errors()};
    if (options.min_version != 0 || options.max_version != 0) {
        // Old protocol versions need security level 0 in OpenSSL 3.
        if (options.min_version != 0 && options.min_version < TLS1_2_VERSION) {
            SSL_CTX_set_security_level(s.context, 0);
        }
        if (options.max_version != 0 && options.max_version < TLS1_2_VERSION) {
            SSL_CTX_set_security_level(s.context, 0);
        }
        SSL_CTX_set_min_proto_version(s.context, options.min_version);
        SSL_CTX_set_max_proto_version(s.context, options.max_version);
    }
    if (!options.cipher_list.empty() &&
        SSL_CTX_set_cipher_list(s.context, options.cipher_list.c_str()) != 1) {
        return Error{"cipher list: " + openssl_errors()};
    }
    if (!options.ciphersuites.empty() &&
        SSL_CTX_set_ciphersuites(s.context, options.ciphersuites.c_str()) != 1) {
        return Error{"ciphersuites: " + openssl_errors()};
    }
    if (!options.groups.empty() &&
        SSL_CTX_set1_groups_list(s.context, options.groups.c_str()) != 1) {
        return Error{"groups: " + openssl_errors()};
    }
    if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(s.context, options.ca_file.c_str(), nullptr) != 1) {
            return Error{"loading CA " + options.ca_file + ": " + openssl_errors()};
        }
        SSL_CTX_set_verify(s.context, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(s.context, SSL_VERIFY_NONE, nullptr);
    }
    if (!options.alpn.empty()) {
        std::string wire;
        for (const auto& protocol : options.alpn) {
            wire.push_back(static_cast<char>(protocol.size()));
            wire += protocol;
        }
        SSL_CTX_set_alpn_protos(s.context, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size()));
    }
    s.ssl = SSL_new(s.context);
    if (s.ssl == nullptr) return Error{"SSL_new: " + openssl_errors()};
    SSL_set_fd(s.ssl, s.fd);
    if (!options.server_name.empty()) {
        SSL_ctrl(s.ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(options.server_name.c_str()));
        if (!options.ca_file.empty()) SSL_set1_host(s.ssl, options.server_name.c_str());
    }
    const auto deadline = Clock::now() + timeout;
    while (true) {
        ERR_clear_error();
        const int result = SSL_connect(s.ssl);
        if (result == 1) return Status::success();
        const int code = SSL_get_error(s.ssl, result);
        if (code == SSL_ERROR_WANT_READ) {
            if (!wait_for(s.fd, POLLIN, deadline)) return Error{"TLS handshake timed out"};
        } else if (code == SSL_ERROR_WANT_WRITE) {
            if (!wait_for(s.fd, POLLOUT, deadline)) return Error{"TLS handshake timed out"};
        } else {
            std::string reason = openssl_errors();
            if (code == SSL_ERROR_SYSCALL) reason += " (connection closed during the handshake)";
            return Error{"TLS handshake failed: " + reason};
        }
    }
}

Status TestConnection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
    return state_->write_all(bytes, Clock::now() + timeout);
}

Status TestConnection::send_slowly(std::string_view bytes, std::size_t piece_size,
                                   std::chrono::milliseconds pause) {
    piece_size = std::max<std::size_t>(1, piece_size);
    bool first = true;
    while (!bytes.empty()) {
        if (!first) {
            // Wait for the pause, but notice the server closing meanwhile.
            const auto until = Clock::now() + pause;
            while (Clock::now() < until) {
                if (state_->readable_now() && state_->peer_closed) {
                    return Error{"connection closed by peer"};
                }
                std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
                    5ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now())));
            }
        }
        first = false;
        const auto piece = bytes.substr(0, piece_size);
        if (auto status = state_->write_all(piece, Clock::now() + 5s); !status) return status;
        bytes.remove_prefix(piece.size());
    }
    return Status::success();
}

Result<std::size_t> TestConnection::send_repeatedly_until_answered(
    std::string_view piece, std::size_t repetitions, std::chrono::milliseconds timeout) {
    State& s = *state_;
    const auto deadline = Clock::now() + timeout;
    std::size_t sent = 0;
    for (std::size_t i = 0; i < repetitions; ++i) {
        std::string_view rest = piece;
        while (!rest.empty()) {
            if (s.readable_now()) return sent;
            std::size_t bytes = 0;
            std::string error;
            switch (s.write_once(rest, bytes, error)) {
                case State::IoResult::ok:
                    rest.remove_prefix(bytes);
                    sent += bytes;
                    break;
                case State::IoResult::closed:
                    s.peer_closed = true;
                    return sent;
                case State::IoResult::failed:
                    return Error{error};
                case State::IoResult::would_block_read:
                case State::IoResult::would_block_write: {
                    // Blocked: wait until we can write again or the server says something.
                    pollfd entry{s.fd, POLLIN | POLLOUT, 0};
                    if (::poll(&entry, 1, remaining_ms(deadline)) == 0) {
                        return Error{"timed out sending"};
                    }
                    if ((entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && s.readable_now()) {
                        return sent;
                    }
                    break;
                }
            }
            if (Clock::now() > deadline) return Error{"timed out sending"};
        }
    }
    return sent;
}

Result<HttpResponseMessage> TestConnection::read_response(std::chrono::milliseconds timeout) {
    State& s = *state_;
    const auto deadline = Clock::now() + timeout;
    while (true) {
        // Header block.
        std::size_t header_end;
        while ((header_end = s.inbox.find("\r\n\r\n")) == std::string::npos) {
            if (auto status = s.read_more(deadline); !status) {
                return Error{
                    "reading the response header: " + status.error() +
                    (s.inbox.empty() ? "" : " (got " + std::to_string(s.inbox.size()) + " bytes)")};
            }
        }
        HttpResponseMessage response;
        std::string_view head(s.inbox.data(), header_end);
        const auto line_end = head.find("\r\n");
        const std::string_view status_line = head.substr(0, line_end);
        if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
            return Error{"bad status line: " + std::string(status_line)};
        }
        const auto code_text = status_line.substr(9, 3);
        std::from_chars(code_text.data(), code_text.data() + code_text.size(), response.status);
        response.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : "";
        std::string_view fields =
            line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
        while (!fields.empty()) {
            const auto end = fields.find("\r\n");
            const std::string_view line = fields.substr(0, end);
            fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos)
                return Error{"bad header line: " + std::string(line)};
            response.headers.emplace_back(std::string(line.substr(0, colon)),
                                          std::string(trim(line.substr(colon + 1))));
        }
        s.inbox.erase(0, header_end + 4);
        if (response.status >= 100 && response.status < 200) continue;  // interim response

        const auto length = response.header("Content-Length");
        const auto encoding = response.header("Transfer-Encoding");
        if (length) {
            std::size_t size = 0;
            std::from_chars(length->data(), length->data() + length->size(), size);
            while (s.inbox.size() < size) {
                if (auto status = s.read_more(deadline); !status) {
                    return Error{"reading the body: " + status.error()};
                }
            }
            response.body = s.inbox.substr(0, size);
            s.inbox.erase(0, size);
        } else if (encoding && iequals(*encoding, "chunked")) {
            while (true) {
                std::size_t line = 0;
                while ((line = s.inbox.find("\r\n")) == std::string::npos) {
                    if (auto status = s.read_more(deadline); !status) {
                        return Error{"reading a chunk: " + status.error()};
                    }
                }
                std::size_t size = 0;
                std::from_chars(s.inbox.data(), s.inbox.data() + line, size, 16);
                while (s.inbox.size() < line + 2 + size + 2) {
                    if (auto status = s.read_more(deadline); !status) {
                        return Error{"reading a chunk: " + status.error()};
                    }
                }
                response.body.append(s.inbox, line + 2, size);
                s.inbox.erase(0, line + 2 + size + 2);
                if (size == 0) break;
            }
        } else {
            while (!s.peer_closed) {
                if (auto status = s.read_more(deadline); !status && !s.peer_closed) {
                    return Error{"reading the body: " + status.error()};
                }
            }
            response.body = std::move(s.inbox);
            s.inbox.clear();
        }
        return response;
    }
}

Result<HttpResponseMessage> TestConnection::request(std::string_view method,
                                                    std::string_view target, std::string_view body,
                                                    const Headers& headers,
                                                    std::chrono::milliseconds timeout) {
    if (auto status = send(build_request(method, target, body, headers), timeout); !status) {
        return Error{"sending the request: " + status.error()};
    }
    return read_response(timeout);
}

bool TestConnection::wait_closed(std::chrono::milliseconds timeout) {
    State& s = *state_;
    if (s.peer_closed) return true;
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        const auto status = s.read_more(deadline);
        if (s.peer_closed) return true;
        if (!status && status.error() != "timed out reading") return true;  // reset, TLS alert...
    }
    return s.peer_closed;
}

bool TestConnection::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
    State& s = *state_;
    const auto deadline = Clock::now() + timeout;
    while (s.inbox.find(needle) == std::string::npos) {
        if (!s.read_more(deadline)) return false;
    }
    return true;
}

const std::string& TestConnection::unread() const {
    return state_->inbox;
}

std::string TestConnection::peer_common_name() const {
    if (state_->ssl == nullptr) return {};
    X509* peer = SSL_get1_peer_certificate(state_->ssl);
    if (peer == nullptr) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    X509_free(peer);
    return name;
}

std::string TestConnection::alpn() const {
    if (state_->ssl == nullptr) return {};
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(state_->ssl, &data, &length);
    return data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(data), length);
}

std::string TestConnection::tls_version() const {
    return state_->ssl == nullptr ? std::string() : std::string(SSL_get_version(state_->ssl));
}

std::string TestConnection::cipher() const {
    return state_->ssl == nullptr ? std::string() : std::string(SSL_get_cipher_name(state_->ssl));
}

int TestConnection::fd() const {
    return state_->fd;
}

void TestConnection::close() {
    if (state_->ssl != nullptr) {
        SSL_free(state_->ssl);
        state_->ssl = nullptr;
    }
    if (state_->fd >= 0) {
        ::close(state_->fd);
        state_->fd = -1;
    }
}

Result<HttpResponseMessage> one_request(unsigned short port, std::string_view method,
                                        std::string_view target, std::string_view body,
                                        const Headers& headers,
                                        const std::optional<ClientTlsOptions>& tls,
                                        std::chrono::milliseconds timeout) {
    auto connection = TestConnection::connect(port, timeout);
    if (!connection) return Error{connection.error()};
    if (tls) {
        if (auto status = connection->start_tls(*tls, timeout); !status)
            return Error{status.error()};
    }
    return connection->request(method, target, body, headers, timeout);
}

Result<HttpResponseMessage> http_get(unsigned short port, std::string_view target,
                                     std::chrono::milliseconds timeout) {
    return one_request(port, "GET", target, {}, {}, std::nullopt, timeout);
}

}  // namespace piw::testing
