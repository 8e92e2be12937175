#include "kube/httplib_client.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include <httplib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kube/server_url.hpp"
#include "pod_identity_webhook/logging/log.hpp"

namespace piw::kube {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxErrorBodyBytes = 1024U * 1024U;
constexpr const char* kShutDown = "client shut down";

// The status and the headers a caller may report (issuer-discovery checks show them).
void keep_reported_headers(const httplib::Response& response, ApiResponse& answer) {
    answer.status = response.status;
    answer.content_type = response.get_header_value("Content-Type");
    answer.cache_control = response.get_header_value("Cache-Control");
    answer.location = response.get_header_value("Location");
}

// --- OpenSSL ownership -----------------------------------------------------------------------

using openssl::BioPtr;
using openssl::PkeyPtr;
using openssl::X509Ptr;
using StorePtr = openssl::X509StorePtr;

std::string openssl_error_text() {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) return {};
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return buffer;
}

BioPtr memory_bio(const std::string& text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate of a PEM bundle (at least one).
Result<std::vector<X509Ptr>> parse_certificates(const std::string& pem, const std::string& what) {
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"cannot parse " + what + ": out of memory"};
    std::vector<X509Ptr> certificates;
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        certificates.emplace_back(certificate);
    }
    ERR_clear_error();  // the loop ends with a "no start line" error
    if (certificates.empty()) return Error{what + " contains no PEM certificate"};
    return certificates;
}

Result<PkeyPtr> parse_private_key(const std::string& pem, const std::string& what) {
    BioPtr bio = memory_bio(pem);
    if (!bio) return Error{"cannot parse " + what + ": out of memory"};
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        ERR_clear_error();
        return Error{what + " contains no PEM private key"};
    }
    return key;
}

Result<StorePtr> make_ca_store(const std::string& pem, const std::string& what) {
    auto certificates = parse_certificates(pem, what);
    if (!certificates.ok()) return Error{certificates.error()};
    StorePtr store(X509_STORE_new());
    if (!store) return Error{"cannot create a certificate store"};
    for (const X509Ptr& certificate : *certificates) {
        // A bundle may repeat a certificate; OpenSSL 3 ignores duplicates.
        if (X509_STORE_add_cert(store.get(), certificate.get()) != 1) {
            return Error{"cannot use " + what + ": " + openssl_error_text()};
        }
    }
    return store;
}

struct ClientCertificate {
    std::vector<X509Ptr> chain;  // [0] is the leaf
    PkeyPtr key;
};

Result<ClientCertificate> load_client_certificate(const std::string& certificate_pem,
                                                  const std::string& key_pem) {
    auto chain = parse_certificates(certificate_pem, "the client certificate");
    if (!chain.ok()) return Error{chain.error()};
    auto key = parse_private_key(key_pem, "the client key");
    if (!key.ok()) return Error{key.error()};
    if (X509_check_private_key(chain->front().get(), key->get()) != 1) {
        ERR_clear_error();
        return Error{"the client certificate and the client key do not match"};
    }
    return ClientCertificate{std::move(*chain), std::move(*key)};
}

// --- server verification ---------------------------------------------------------------------
// httplib's own verification loads the system trust paths even when a store is set, so the
// client turns it off and lets OpenSSL verify during the handshake (SSL_VERIFY_PEER with the
// cluster's CA store and the expected host name or IP). The callback records why verification
// failed, since httplib only reports "SSL connection failed".

struct VerifyState {
    std::atomic<long> error{X509_V_OK};
};

int verify_state_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int record_verify_result(int preverify_ok, X509_STORE_CTX* store_context) {
    if (preverify_ok == 1) return 1;
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store_context, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (ssl != nullptr) {
        auto* state = static_cast<VerifyState*>(
            SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), verify_state_index()));
        if (state != nullptr) state->error = X509_STORE_CTX_get_error(store_context);
    }
    return 0;
}

// A numeric address for `host` (httplib's host→address map only takes numeric addresses).
Result<std::string> numeric_address(const std::string& host) {
    if (is_ip_literal(host)) return host;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
        return Error{"cannot resolve " + host + ": " + ::gai_strerror(rc)};
    }
    char text[NI_MAXHOST];
    const int name_rc = ::getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr,
                                      0, NI_NUMERICHOST);
    ::freeaddrinfo(found);
    if (name_rc != 0) return Error{"cannot resolve " + host + ": " + ::gai_strerror(name_rc)};
    return std::string(text);
}

// The process must survive the API server closing a connection while we write: neither httplib
// nor OpenSSL pass MSG_NOSIGNAL. Only a default disposition is changed.
void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, []() {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
            struct sigaction ignore {};
            ignore.sa_handler = SIG_IGN;
            sigemptyset(&ignore.sa_mask);
            ::sigaction(SIGPIPE, &ignore, nullptr);
        }
    });
}

// One httplib client (one keep-alive connection), used by one thread at a time.
struct Connection {
    VerifyState verify;  // declared first: outlives the SSL_CTX that points at it
    std::unique_ptr<httplib::ClientImpl> http;
    std::uint64_t certificate_generation = 0;
    bool used = false;  // has carried a request (a kept-alive connection the server may close)
};

void set_timeouts(httplib::ClientImpl& http, std::chrono::milliseconds connect,
                  std::chrono::milliseconds read) {
    http.set_connection_timeout(connect);
    http.set_read_timeout(read);
    http.set_write_timeout(std::max(connect, std::chrono::milliseconds(1000)));
}

// --- watch stream -----------------------------------------------------------------------------

// Splits the body of a 200 watch response into lines; keeps the body of any other answer.
class WatchStream {
  public:
    WatchStream(const KubeClient::LineHandler& on_line, std::size_t max_line_bytes)
        : on_line_(on_line), max_line_bytes_(max_line_bytes) {}

    void on_headers(int status) {
        status_ = status;
        last_data_ = Clock::now();
    }

    // false closes the stream.
    bool on_data(const char* data, std::size_t size) {
        last_data_ = Clock::now();
        if (status_ != 200) return keep_error_body(data, size);
        std::string_view chunk(data, size);
        while (!chunk.empty()) {
            const std::size_t newline = chunk.find('\n');
            if (newline == std::string_view::npos) {
                if (pending_.size() + chunk.size() > max_line_bytes_) return line_too_large();
                pending_.append(chunk);
                return true;
            }
            const std::string_view piece = chunk.substr(0, newline);
            chunk.remove_prefix(newline + 1);
            if (pending_.size() + piece.size() > max_line_bytes_) return line_too_large();
            bool keep_going = true;
            if (pending_.empty()) {
                keep_going = deliver(piece);  // the common case: no copy
            } else {
                pending_.append(piece);
                keep_going = deliver(pending_);
                pending_.clear();
            }
            if (!keep_going) return false;
        }
        return true;
    }

    [[nodiscard]] int status() const { return status_; }
    [[nodiscard]] std::string& body() { return body_; }
    [[nodiscard]] bool handler_stopped() const { return handler_stopped_; }
    [[nodiscard]] bool too_large() const { return too_large_; }
    [[nodiscard]] const std::string& handler_error() const { return handler_error_; }
    [[nodiscard]] Clock::duration since_last_data() const { return Clock::now() - last_data_; }

  private:
    bool deliver(std::string_view line) {
        if (line.empty()) return true;  // blank keep-alive lines carry no event
        try {
            if (on_line_(line)) return true;
        } catch (const std::exception& error) {
            handler_error_ = std::string("watch line handler failed: ") + error.what();
        } catch (...) {
            handler_error_ = "watch line handler failed";
        }
        handler_stopped_ = true;
        return false;
    }

    bool line_too_large() {
        too_large_ = true;
        return false;
    }

    bool keep_error_body(const char* data, std::size_t size) {
        const std::size_t room = kMaxErrorBodyBytes - body_.size();
        body_.append(data, std::min(size, room));
        return size <= room;
    }

    const KubeClient::LineHandler& on_line_;
    std::size_t max_line_bytes_;
    int status_ = 0;
    std::string pending_;
    std::string body_;
    bool handler_stopped_ = false;
    bool too_large_ = false;
    std::string handler_error_;
    Clock::time_point last_data_ = Clock::now();
};

// --- the client -------------------------------------------------------------------------------

class HttplibKubeClient final : public KubeClient {
  public:
    HttplibKubeClient(ClientConfig config, ServerUrl url, StorePtr ca_store,
                      HttplibClientOptions options)
        : config_(std::move(config)),
          url_(std::move(url)),
          ca_store_(std::move(ca_store)),
          options_(options),
          credentials_(config_, options.credentials),
          user_agent_(std::string("pod-identity-webhook/") + PIW_VERSION) {}

    ~HttplibKubeClient() override { shutdown(); }
    HttplibKubeClient(const HttplibKubeClient&) = delete;
    HttplibKubeClient& operator=(const HttplibKubeClient&) = delete;

    ApiResponse get(const std::string& path_and_query, const RequestOptions& options) override {
        try {
            return with_refresh([this, &path_and_query, &options](const Credentials& credentials) {
                return get_once(path_and_query, options, credentials);
            });
        } catch (const std::exception& error) {
            return failure(std::string("GET ") + path_and_query + " failed: " + error.what());
        } catch (...) {
            return failure("GET " + path_and_query + " failed: unknown error");
        }
    }

    ApiResponse watch(const std::string& path_and_query, const LineHandler& on_line,
                      const WatchOptions& options) override {
        try {
            return with_refresh(
                [this, &path_and_query, &on_line, &options](const Credentials& credentials) {
                    return watch_once(path_and_query, on_line, options, credentials);
                });
        } catch (const std::exception& error) {
            return failure(std::string("watch ") + path_and_query + " failed: " + error.what());
        } catch (...) {
            return failure("watch " + path_and_query + " failed: unknown error");
        }
    }

    void shutdown() override {
        std::vector<std::unique_ptr<Connection>> idle;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            shut_down_ = true;
            // stop() on a connection in use only shuts its socket down (httplib makes that safe
            // from another thread); the thread using it sees the error and returns.
            for (Connection* connection : live_) connection->http->stop();
            idle.swap(idle_);
            for (const auto& connection : idle) live_.erase(connection.get());
        }
        idle.clear();
    }

    [[nodiscard]] const std::string& description() const override { return config_.description; }

  private:
    static ApiResponse failure(std::string error) { return answer(0, {}, std::move(error)); }

    static ApiResponse answer(int status, std::string body, std::string error) {
        ApiResponse response;
        response.status = status;
        response.body = std::move(body);
        response.error = std::move(error);
        return response;
    }

    // Runs `attempt` with the current credentials; on 401 refreshes them and tries once more.
    template <class Attempt>
    ApiResponse with_refresh(const Attempt& attempt) {
        for (int round = 0;; ++round) {
            if (shut_down_) return failure(kShutDown);
            auto credentials = credentials_.current();
            if (!credentials.ok())
                return failure("credentials unavailable: " + credentials.error());
            ApiResponse response = attempt(*credentials);
            if (response.status != 401 || round > 0) return response;
            logging::info("Kubernetes API answered 401; refreshing credentials and retrying",
                          {{"server", config_.server}});
            credentials_.reject(*credentials);
        }
    }

    httplib::Headers request_headers(const Credentials& credentials) const {
        httplib::Headers headers{{"Accept", "application/json"}, {"User-Agent", user_agent_}};
        if (!credentials.bearer_token.empty()) {
            headers.emplace("Authorization", "Bearer " + credentials.bearer_token);
        }
        // With tls-server-name the connection is made to that name (for SNI and verification);
        // the Host header still names the server of the URL.
        if (!config_.tls_server_name.empty()) headers.emplace("Host", url_.authority());
        return headers;
    }

    Status configure_tls(SSL_CTX* context, VerifyState& state) const {
        SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
        if (config_.insecure_skip_tls_verify) {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
            return {};
        }
        if (ca_store_) {
            SSL_CTX_set1_cert_store(context, ca_store_.get());  // takes its own reference
        } else if (SSL_CTX_set_default_verify_paths(context) != 1) {
            return Error{"cannot load the system trust store: " + openssl_error_text()};
        }
        const std::string& name =
            config_.tls_server_name.empty() ? url_.host : config_.tls_server_name;
        X509_VERIFY_PARAM* parameters = SSL_CTX_get0_param(context);
        int rc = 0;
        if (is_ip_literal(name)) {
            rc = X509_VERIFY_PARAM_set1_ip_asc(parameters, name.c_str());
        } else {
            X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            rc = X509_VERIFY_PARAM_set1_host(parameters, name.c_str(), name.size());
        }
        if (rc != 1) return Error{"cannot verify the server name " + name};
        SSL_CTX_set_ex_data(context, verify_state_index(), &state);
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, record_verify_result);
        return {};
    }

    Result<std::unique_ptr<httplib::SSLClient>> make_ssl_client(const Credentials& credentials,
                                                                const std::string& host) const {
        std::unique_ptr<httplib::SSLClient> ssl;
        if (credentials.client_certificate_pem.empty()) {
            ssl = std::make_unique<httplib::SSLClient>(host, url_.port);
            if (!ssl->is_valid())
                return Error{"cannot create a TLS context: " + openssl_error_text()};
            return ssl;
        }
        auto certificate =
            load_client_certificate(credentials.client_certificate_pem, credentials.client_key_pem);
        if (!certificate.ok()) return Error{certificate.error()};
        // httplib takes its own references to the leaf and the key.
        ssl = std::make_unique<httplib::SSLClient>(host, url_.port, certificate->chain[0].get(),
                                                   certificate->key.get());
        if (!ssl->is_valid()) {
            return Error{"cannot use the client certificate: " + openssl_error_text()};
        }
        for (std::size_t i = 1; i < certificate->chain.size(); ++i) {
            SSL_CTX_add1_chain_cert(ssl->ssl_context(), certificate->chain[i].get());
        }
        return ssl;
    }

    Result<std::unique_ptr<Connection>> make_connection(const Credentials& credentials) const {
        auto connection = std::make_unique<Connection>();
        connection->certificate_generation = credentials.certificate_generation;
        if (!url_.tls) {
            connection->http = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
        } else {
            const bool renamed = !config_.tls_server_name.empty();
            auto ssl = make_ssl_client(credentials, renamed ? config_.tls_server_name : url_.host);
            if (!ssl.ok()) return Error{ssl.error()};
            // We verify inside OpenSSL (configure_tls); httplib's check would add the system CAs.
            (*ssl)->enable_server_certificate_verification(false);
            Status tls = configure_tls((*ssl)->ssl_context(), connection->verify);
            if (!tls.ok()) return Error{tls.error()};
            if (renamed) {
                auto address = numeric_address(url_.host);
                if (!address.ok()) return Error{address.error()};
                (*ssl)->set_hostname_addr_map({{config_.tls_server_name, *address}});
            }
            connection->http = std::move(*ssl);
        }
        connection->http->set_keep_alive(true);
        connection->http->set_url_encode(false);  // paths come already escaped
        connection->http->set_follow_location(false);
        connection->http->set_tcp_nodelay(true);
        return connection;
    }

    // A pooled connection made with the current client certificate, or a new one.
    Result<std::unique_ptr<Connection>> acquire(const Credentials& credentials, bool pooled) {
        std::vector<std::unique_ptr<Connection>> stale;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (shut_down_) return Error{kShutDown};
            while (pooled && !idle_.empty()) {
                std::unique_ptr<Connection> connection = std::move(idle_.back());
                idle_.pop_back();
                if (connection->certificate_generation == credentials.certificate_generation) {
                    return connection;
                }
                live_.erase(connection.get());
                stale.push_back(std::move(connection));
            }
        }
        stale.clear();  // outside the lock: closing may write a TLS close_notify
        auto created = make_connection(credentials);
        if (!created.ok()) return created;
        std::lock_guard<std::mutex> lock(mutex_);
        if (shut_down_) return Error{kShutDown};
        live_.insert(created->get());
        return created;
    }

    void release(std::unique_ptr<Connection> connection, bool reusable) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (reusable && !shut_down_ && idle_.size() < options_.max_idle_connections) {
                idle_.push_back(std::move(connection));
                return;
            }
            live_.erase(connection.get());
        }
        connection.reset();
    }

    std::string describe_failure(const std::string& what, httplib::Error error,
                                 long verify_error) const {
        std::string text = what + " to " + url_.authority() + " failed: ";
        switch (error) {
            case httplib::Error::Connection:
                text += "cannot connect";
                break;
            case httplib::Error::ConnectionTimeout:
                text += "connection timed out";
                break;
            case httplib::Error::SSLConnection:
            case httplib::Error::SSLServerVerification:
                if (verify_error != X509_V_OK) {
                    text += "TLS handshake failed: server certificate verify failed: ";
                    text += X509_verify_cert_error_string(verify_error);
                } else {
                    text += "TLS handshake failed";
                    const std::string detail = openssl_error_text();
                    if (!detail.empty()) text += " (" + detail + ")";
                }
                break;
            case httplib::Error::Read:
                text += "no (complete) response: read error or timeout";
                break;
            case httplib::Error::Write:
                text += "cannot send the request";
                break;
            case httplib::Error::Canceled:
                text += "cancelled";
                break;
            default:
                text += httplib::to_string(error);
                break;
        }
        return text;
    }

    ApiResponse get_once(const std::string& path_and_query, const RequestOptions& options,
                         const Credentials& credentials) {
        for (int attempt = 0;; ++attempt) {
            bool retry_on_fresh_connection = false;
            ApiResponse response = get_on_connection(path_and_query, options, credentials,
                                                     attempt == 0, retry_on_fresh_connection);
            if (!retry_on_fresh_connection || attempt > 0) return response;
        }
    }

    // One GET on a pooled (or new) connection. `stale` is set when a reused keep-alive
    // connection failed before any answer (the server closed it while idle): a GET is safe to
    // send again on a fresh connection.
    ApiResponse get_on_connection(const std::string& path_and_query, const RequestOptions& options,
                                  const Credentials& credentials, bool pooled, bool& stale) {
        auto acquired = acquire(credentials, pooled);
        if (!acquired.ok()) return failure(acquired.error());
        std::unique_ptr<Connection> connection = std::move(*acquired);
        const bool reused = connection->used;
        connection->used = true;
        connection->verify.error = X509_V_OK;
        set_timeouts(*connection->http, options.timeout, options.timeout);
        const auto started = Clock::now();
        const auto deadline = started + options.timeout;
        ApiResponse answer;
        bool too_large = false;
        bool timed_out = false;
        auto on_headers = [this, &answer](const httplib::Response& response) {
            keep_reported_headers(response, answer);
            return !shut_down_;
        };
        auto on_data = [this, &answer, &too_large, &timed_out, &options, deadline](
                           const char* data, std::size_t size) {
            if (shut_down_) return false;
            if (answer.body.size() + size > options.max_body_bytes) {
                too_large = true;
                return false;
            }
            if (Clock::now() > deadline) {
                timed_out = true;
                return false;
            }
            answer.body.append(data, size);
            return true;
        };
        httplib::Result result = connection->http->Get(
            url_.path_prefix + path_and_query, request_headers(credentials), on_headers, on_data);
        const httplib::Error error = result.error();
        const bool completed = static_cast<bool>(result);
        const long verify_error = connection->verify.error;
        release(std::move(connection), completed);
        if (shut_down_) return failure(kShutDown);
        const std::string what = "GET " + path_and_query;
        if (too_large) {
            ApiResponse response =
                failure(what + ": response larger than " + std::to_string(options.max_body_bytes) +
                        " bytes (too large)");
            response.too_large = true;
            return response;
        }
        if (timed_out) {
            return failure(what + ": no complete response within " +
                           std::to_string(options.timeout.count()) + "ms (timed out)");
        }
        if (!completed) {
            // Quickly: a read that timed out is a slow server, not a closed connection.
            stale = reused && answer.status == 0 && Clock::now() - started < options.timeout / 2 &&
                    (error == httplib::Error::Read || error == httplib::Error::Write);
            return failure(describe_failure(what, error, verify_error));
        }
        return answer;
    }

    ApiResponse watch_once(const std::string& path_and_query, const LineHandler& on_line,
                           const WatchOptions& options, const Credentials& credentials) {
        auto acquired = acquire(credentials, false);  // a watch holds its own connection
        if (!acquired.ok()) return failure(acquired.error());
        std::unique_ptr<Connection> connection = std::move(*acquired);
        connection->http->set_keep_alive(false);
        set_timeouts(*connection->http, options.connect_timeout, options.idle_timeout);
        WatchStream stream(on_line, options.max_line_bytes);
        auto on_headers = [this, &stream](const httplib::Response& response) {
            stream.on_headers(response.status);
            return !shut_down_;
        };
        auto on_data = [this, &stream](const char* data, std::size_t size) {
            return !shut_down_ && stream.on_data(data, size);
        };
        httplib::Result result = connection->http->Get(
            url_.path_prefix + path_and_query, request_headers(credentials), on_headers, on_data);
        const httplib::Error error = result.error();
        const long verify_error = connection->verify.error;
        release(std::move(connection), false);
        if (shut_down_) return failure(kShutDown);
        const std::string what = "watch " + path_and_query;
        if (stream.status() == 0) return failure(describe_failure(what, error, verify_error));
        if (stream.status() != 200) return answer(stream.status(), std::move(stream.body()), {});
        return answer(200, {}, watch_end_reason(what, result, stream, options));
    }

    // "" when the server ended the stream or the handler stopped it; otherwise why it broke.
    std::string watch_end_reason(const std::string& what, const httplib::Result& result,
                                 const WatchStream& stream, const WatchOptions& options) const {
        if (!stream.handler_error().empty()) return stream.handler_error();
        if (stream.handler_stopped() || result) return {};
        if (stream.too_large()) {
            return what + ": an event is larger than " + std::to_string(options.max_line_bytes) +
                   " bytes; stream closed";
        }
        // httplib reports a read timeout as a read error; the clock tells them apart.
        if (stream.since_last_data() + options.idle_timeout / 10 >= options.idle_timeout) {
            return what + ": stream stalled (no data for " +
                   std::to_string(options.idle_timeout.count()) + "ms); closed";
        }
        return describe_failure(what, result.error(), X509_V_OK);
    }

    ClientConfig config_;
    ServerUrl url_;
    StorePtr ca_store_;  // null → the system trust store
    HttplibClientOptions options_;
    CredentialSource credentials_;
    std::string user_agent_;

    std::mutex mutex_;
    std::atomic<bool> shut_down_{false};  // written under mutex_, read anywhere
    std::vector<std::unique_ptr<Connection>> idle_;
    std::unordered_set<Connection*> live_;  // idle and in use
};

}  // namespace

Result<std::unique_ptr<KubeClient>> create_httplib_client(ClientConfig config,
                                                          HttplibClientOptions options) {
    auto url = parse_server_url(config.server);
    if (!url.ok()) return Error{config.description + ": " + url.error()};
    StorePtr store;
    if (url->tls && !config.insecure_skip_tls_verify && !config.certificate_authority_pem.empty()) {
        const std::string what = config.certificate_authority_file.empty()
                                     ? std::string("the CA bundle")
                                     : "CA bundle " + config.certificate_authority_file;
        auto made = make_ca_store(config.certificate_authority_pem, what);
        if (!made.ok()) return Error{config.description + ": " + made.error()};
        store = std::move(*made);
    }
    if (!config.client_certificate_pem.empty() || !config.client_key_pem.empty()) {
        auto certificate =
            load_client_certificate(config.client_certificate_pem, config.client_key_pem);
        if (!certificate.ok()) return Error{config.description + ": " + certificate.error()};
    }
    ignore_sigpipe_once();
    ServerUrl parsed = std::move(*url);
    return std::unique_ptr<KubeClient>(std::make_unique<HttplibKubeClient>(
        std::move(config), std::move(parsed), std::move(store), options));
}

}  // namespace piw::kube
