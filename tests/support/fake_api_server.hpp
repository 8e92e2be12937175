#pragma once
// A stand-in for kube-apiserver's ServiceAccount and ConfigMap endpoints, in the test process,
// over HTTPS on 127.0.0.1 (certificate from a TestCertificateAuthority made at start). It keeps
// objects with a global resourceVersion and an event log, and speaks the parts of the API the
// webhook uses:
//
//   GET /api/v1/serviceaccounts?limit=N&continue=T            paginated LIST (all namespaces)
//   GET /api/v1/serviceaccounts?watch=true&resourceVersion=R&allowWatchBookmarks=true
//                                &timeoutSeconds=S             chunked WATCH, one JSON event/line
//   GET /api/v1/namespaces/NS/serviceaccounts/NAME             single GET (404 Status if absent)
//   GET /api/v1/namespaces/NS/configmaps[?fieldSelector=metadata.name%3DX][&watch=true…]
//   GET /api/v1/namespaces/NS/configmaps/NAME
//
// Bearer tokens are checked (401 Status otherwise). A WATCH from a resourceVersion older than the
// retained event window answers HTTP 200 and one ERROR event carrying Status code 410 "Expired",
// then closes — as kube-apiserver does. Failures are injected on demand.
//
//   FakeApiServer api;
//   api.put_service_account("default", "app", {{"eks.amazonaws.com/role-arn", "arn:..."}});
//   api.start();
//   api.write_kubeconfig(dir / "kubeconfig");   // server, CA data, token
//
// Test code only: errors throw std::runtime_error.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace piw::testing {

using StringMap = std::map<std::string, std::string>;

struct FakeApiServerOptions {
    std::vector<std::string> tokens{"test-token"};  // accepted bearer tokens
    // Watches with allowWatchBookmarks=true get a BOOKMARK at the current resourceVersion this
    // often (0: never).
    std::chrono::milliseconds bookmark_interval{0};
    // Events kept for WATCH resumption; a watch from an older resourceVersion gets 410.
    std::size_t event_window = 100000;
    // Objects look like a real cluster's: uid, creationTimestamp, labels, secrets, managedFields.
    bool realistic_objects = true;
};

struct RecordedRequest {
    std::string method;
    std::string path;           // without the query
    std::string query;          // raw, without '?'
    std::string authorization;  // header value
    int status = 0;
    bool watch = false;
};

class FakeApiServer {
  public:
    explicit FakeApiServer(FakeApiServerOptions options = {});
    ~FakeApiServer();
    FakeApiServer(const FakeApiServer&) = delete;
    FakeApiServer& operator=(const FakeApiServer&) = delete;

    // Listens on 127.0.0.1:`port` (0: an ephemeral port) and returns the port. After stop() it
    // can start again, on the same port when asked (API down, then up).
    unsigned short start(unsigned short port = 0);
    // Stops listening and closes every connection, watches included.
    void stop();
    [[nodiscard]] bool running() const;
    [[nodiscard]] unsigned short port() const;
    [[nodiscard]] std::string url() const;  // "https://127.0.0.1:<port>"

    [[nodiscard]] const std::string& ca_pem() const;
    void write_ca(const std::filesystem::path& file) const;
    // A kubeconfig (current-context set) with server, certificate-authority-data and `token`
    // (default: the first accepted token). The server may be overridden (e.g. a port not yet
    // listening).
    void write_kubeconfig(const std::filesystem::path& file, const std::string& token = "",
                          const std::string& server = "") const;

    // --- objects; each change bumps the resourceVersion and records a watch event ---
    // ADDED when new, MODIFIED otherwise. Returns the object's new resourceVersion.
    std::string put_service_account(const std::string& namespace_, const std::string& name,
                                    const StringMap& annotations = {},
                                    const StringMap& labels = {});
    // Returns false when it did not exist.
    bool delete_service_account(const std::string& namespace_, const std::string& name);
    std::string put_config_map(const std::string& namespace_, const std::string& name,
                               const StringMap& data);
    bool delete_config_map(const std::string& namespace_, const std::string& name);
    // Many ServiceAccounts at once, without watch events (a cluster that existed before the
    // webhook started): ns-<i % namespaces>/sa-<i>, every `annotate_every`-th one with a role-arn
    // annotation. Fast enough for 300k objects.
    void add_generated_service_accounts(std::size_t count, std::size_t namespaces = 100,
                                        std::size_t annotate_every = 10);
    [[nodiscard]] std::string resource_version() const;  // the current one
    [[nodiscard]] std::size_t service_account_count() const;

    // --- authentication ---
    void set_tokens(std::vector<std::string> tokens);

    // --- failures ---
    // The next `count` requests whose path contains `path_substring` ("" = any) answer `status`
    // with a Status body (e.g. 500, 503, 403, 429).
    void fail_next_requests(int count, int status = 500, std::string path_substring = "");
    // Stalled: open and new watches stay open but deliver nothing (events are still recorded and
    // flow once un-stalled); LIST and GET keep working.
    void set_watches_stalled(bool stalled);
    // Closes every open watch stream now (the client sees the stream end).
    void drop_watches();
    // Forgets every event recorded so far: a watch from an older resourceVersion gets 410.
    void compact();
    // Every response is delayed by this much (a slow API server).
    void set_response_delay(std::chrono::milliseconds delay);

    // --- observations ---
    [[nodiscard]] std::vector<RecordedRequest> requests() const;
    // Requests whose path contains `path_substring`, optionally only watches / only non-watches.
    [[nodiscard]] int count_requests(std::string_view path_substring = "") const;
    [[nodiscard]] int count_watches(std::string_view path_substring = "") const;
    [[nodiscard]] int open_watches() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace piw::testing
