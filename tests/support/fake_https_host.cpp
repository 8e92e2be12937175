#include "support/fake_https_host.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "support/certificates.hpp"
#include "support/fake_api_json.hpp"
#include "support/kubeconfig.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

// What kube-apiserver's openidmetadata handler sends with both documents.
constexpr const char* kDocumentCacheControl = "public, max-age=3600";
// kube-apiserver's answer to a path nothing serves (Go's http.NotFound).
constexpr const char* kNotFoundBody = "404 page not found\n";

// Go's %q for the ASCII paths tests use; JSON's escapes agree with it there.
std::string go_quoted(std::string_view text) {
    return fake_api::json_string(text);
}

// The RBAC verb kube-apiserver names for a non-resource request.
std::string verb_of(std::string_view method) {
    if (method == "HEAD") return "get";
    std::string verb(method);
    std::transform(verb.begin(), verb.end(), verb.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return verb;
}

void set_headers(httplib::Response& res, const FakeHttpsHost::Headers& headers) {
    for (const auto& [name, value] : headers) res.set_header(name.c_str(), value);
}

}  // namespace

std::string kube_unauthorized_status_json() {
    return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
           R"("message":"Unauthorized","reason":"Unauthorized","code":401})";
}

std::string kube_forbidden_status_json(std::string_view user, std::string_view verb,
                                       std::string_view path) {
    const std::string message = "forbidden: User " + go_quoted(user) + " cannot " +
                                std::string(verb) + " path " + go_quoted(path);
    return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)" +
           go_quoted(message) + R"(,"reason":"Forbidden","details":{},"code":403})";
}

// ---------------------------------------------------------------------------------------------

struct FakeHttpsHost::State {
    State() {
        CertificateRequest request;
        request.common_name = "fake-https-host";
        ca.issue(request).write(dir / "tls.crt", dir / "tls.key");
    }

    TestCertificateAuthority ca{"fake HTTPS host CA"};
    TempDir dir{"piw-fake-https-host"};

    mutable std::mutex mutex;
    std::map<std::string, Response> routes;
    std::optional<std::string> required_token;
    std::string forbidden_user;
    std::vector<Request> log;

    std::unique_ptr<httplib::SSLServer> server;
    std::thread listener;
    std::atomic<bool> listener_done{false};
    unsigned short port = 0;  // set before the listener thread starts, constant afterwards

    void start();
    void stop();
    void handle(const httplib::Request& req, httplib::Response& res);

    // kube-apiserver authenticates before it looks at the path. Returns false when it answered.
    bool authenticate(const httplib::Request& req, httplib::Response& res) const;
    void route(const httplib::Request& req, httplib::Response& res) const;
};

void FakeHttpsHost::State::handle(const httplib::Request& req, httplib::Response& res) {
    Request record;
    record.method = req.method;
    record.path = req.path;
    const std::size_t question = req.target.find('?');
    if (question != std::string::npos) record.query = req.target.substr(question + 1);
    record.authorization = req.get_header_value("Authorization");

    if (authenticate(req, res)) {
        if (req.method == "GET" || req.method == "HEAD") {
            route(req, res);
        } else {
            res.status = 405;
            res.set_content("405 method not allowed\n", "text/plain; charset=utf-8");
        }
    }
    record.status = res.status;
    const std::lock_guard lock(mutex);
    log.push_back(std::move(record));
}

bool FakeHttpsHost::State::authenticate(const httplib::Request& req, httplib::Response& res) const {
    std::string user;
    {
        const std::lock_guard lock(mutex);
        if (!required_token) return true;
        constexpr std::string_view kBearer = "Bearer ";
        const std::string header = req.get_header_value("Authorization");
        if (header.compare(0, kBearer.size(), kBearer) != 0) {
            res.status = 401;
            res.set_content(kube_unauthorized_status_json(), "application/json");
            return false;
        }
        if (std::string_view(header).substr(kBearer.size()) == *required_token) return true;
        user = forbidden_user;
    }
    res.status = 403;
    res.set_content(kube_forbidden_status_json(user, verb_of(req.method), req.path),
                    "application/json");
    return false;
}

void FakeHttpsHost::State::route(const httplib::Request& req, httplib::Response& res) const {
    std::optional<Response> response;
    {
        const std::lock_guard lock(mutex);
        const auto it = routes.find(req.path);
        if (it != routes.end()) response = it->second;
    }
    if (!response) {
        res.status = 404;
        res.set_content(kNotFoundBody, "text/plain; charset=utf-8");
        return;
    }
    res.status = response->status;
    set_headers(res, response->headers);
    // Not set_content: it would replace the route's Content-Type (or invent one).
    res.body = std::move(response->body);
}

void FakeHttpsHost::State::start() {
    // A client that stops reading mid-body (a size cap) must be a failed write here, not a
    // SIGPIPE that kills the test process (OpenSSL writes without MSG_NOSIGNAL).
    static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;

    server =
        std::make_unique<httplib::SSLServer>((dir / "tls.crt").c_str(), (dir / "tls.key").c_str());
    if (!server->is_valid()) throw std::runtime_error("fake HTTPS host: TLS setup failed");
    // One request per connection: no idle keep-alive connection can hold up stop().
    server->set_keep_alive_max_count(1);
    server->set_read_timeout(5);
    server->set_write_timeout(5);
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        handle(req, res);
    };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Patch(".*", handler);
    server->Delete(".*", handler);
    server->Options(".*", handler);

    const int bound = server->bind_to_any_port("127.0.0.1");
    if (bound <= 0) throw std::runtime_error("fake HTTPS host: cannot listen on 127.0.0.1");
    port = static_cast<unsigned short>(bound);

    httplib::SSLServer* raw = server.get();
    listener = std::thread([this, raw] {
        raw->listen_after_bind();
        listener_done.store(true);
    });
    // stop() does nothing until the accept loop runs, so wait for it.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!raw->is_running() && !listener_done.load() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!raw->is_running()) {
        stop();
        throw std::runtime_error("fake HTTPS host: the listener did not start");
    }
}

void FakeHttpsHost::State::stop() {
    if (!server) return;
    server->stop();
    if (listener.joinable()) listener.join();
    server.reset();
}

// ---------------------------------------------------------------------------------------------

FakeHttpsHost::FakeHttpsHost() : state_(std::make_unique<State>()) {
    state_->start();
}

FakeHttpsHost::~FakeHttpsHost() {
    state_->stop();
}

unsigned short FakeHttpsHost::port() const {
    return state_->port;
}

std::string FakeHttpsHost::base_url() const {
    return "https://127.0.0.1:" + std::to_string(state_->port);
}

const std::string& FakeHttpsHost::ca_pem() const {
    return state_->ca.certificate_pem();
}

void FakeHttpsHost::write_ca(const std::filesystem::path& file) const {
    state_->ca.write_certificate(file);
}

void FakeHttpsHost::write_kubeconfig(const std::filesystem::path& file,
                                     const std::string& token) const {
    write_token_kubeconfig(file, base_url(), ca_pem(), token);
}

void FakeHttpsHost::set_route(const std::string& path, Response response) {
    const std::lock_guard lock(state_->mutex);
    state_->routes.insert_or_assign(path, std::move(response));
}

void FakeHttpsHost::remove_route(const std::string& path) {
    const std::lock_guard lock(state_->mutex);
    state_->routes.erase(path);
}

void FakeHttpsHost::set_redirect(const std::string& path, int status, const std::string& location) {
    set_route(path, Response{status,
                             {{"Location", location}, {"Content-Type", "text/html; charset=utf-8"}},
                             "<a href=\"" + location + "\">Moved</a>.\n"});
}

void FakeHttpsHost::serve_discovery_documents(const std::string& openid_configuration,
                                              const std::string& jwks,
                                              const std::string& path_prefix) {
    set_route(
        path_prefix + "/.well-known/openid-configuration",
        Response{200,
                 {{"Content-Type", "application/json"}, {"Cache-Control", kDocumentCacheControl}},
                 openid_configuration});
    set_route(path_prefix + "/openid/v1/jwks",
              Response{200,
                       {{"Content-Type", "application/jwk-set+json"},
                        {"Cache-Control", kDocumentCacheControl}},
                       jwks});
}

void FakeHttpsHost::require_bearer_token(std::string token, std::string forbidden_user) {
    const std::lock_guard lock(state_->mutex);
    state_->required_token = std::move(token);
    state_->forbidden_user = std::move(forbidden_user);
}

void FakeHttpsHost::allow_anonymous() {
    const std::lock_guard lock(state_->mutex);
    state_->required_token.reset();
}

std::vector<FakeHttpsHost::Request> FakeHttpsHost::requests() const {
    const std::lock_guard lock(state_->mutex);
    return state_->log;
}

std::size_t FakeHttpsHost::count_requests(std::string_view path) const {
    const std::lock_guard lock(state_->mutex);
    return static_cast<std::size_t>(
        std::count_if(state_->log.begin(), state_->log.end(),
                      [path](const Request& request) { return request.path == path; }));
}

void FakeHttpsHost::clear_requests() {
    const std::lock_guard lock(state_->mutex);
    state_->log.clear();
}

}  // namespace piw::testing
