#include "support/fake_api_server.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/certificates.hpp"
#include "support/fake_api_json.hpp"
#include "support/kubeconfig.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using fake_api::Resource;
using Clock = std::chrono::steady_clock;
using Json = std::shared_ptr<const std::string>;

// Each open watch holds a worker for its lifetime, so there are plenty.
constexpr std::size_t kWorkerThreads = 48;
// How often a waiting watch looks at its deadline, the stop flag and its peer.
constexpr auto kWatchPoll = std::chrono::milliseconds(50);
// Lines per chunk, so a big initial ADDED burst does not build one giant string.
constexpr std::size_t kLinesPerWrite = 1000;
// Real clusters have large resourceVersions; starting above 0 keeps "0" meaning "any".
constexpr std::uint64_t kInitialResourceVersion = 1000;

// ---------------------------------------------------------------------------------------------
// Open connections, so that stop() can cut them: cpp-httplib's stop() only closes the listening
// socket and then joins its workers, which would wait for idle keep-alive connections and for
// requests in flight. Each TLS connection registers its socket when its handshake starts and
// unregisters it when its SSL object is freed — which cpp-httplib does before closing the
// socket, so a registered descriptor is never a reused one.

class ConnectionTracker {
  public:
    void add(int fd) {
        const std::lock_guard lock(mutex_);
        fds_.insert(fd);
    }
    void remove(int fd) {
        const std::lock_guard lock(mutex_);
        fds_.erase(fd);
    }
    void shutdown_all() {
        const std::lock_guard lock(mutex_);
        for (const int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }

  private:
    std::mutex mutex_;
    std::set<int> fds_;
};

struct SslRegistration {
    std::shared_ptr<ConnectionTracker> tracker;
    int fd = -1;
};

void free_registration(void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                       long /*argl*/, void* /*argp*/) {
    auto* registration = static_cast<SslRegistration*>(pointer);
    if (registration == nullptr) return;
    registration->tracker->remove(registration->fd);
    delete registration;
}

int ssl_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_registration);
    return index;
}

int ctx_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void on_ssl_info(const SSL* ssl, int where, int /*ret*/) {
    if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
    if (SSL_get_ex_data(ssl, ssl_index()) != nullptr) return;  // renegotiation, key update
    auto* tracker = static_cast<std::shared_ptr<ConnectionTracker>*>(
        SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index()));
    const int fd = SSL_get_fd(ssl);
    if (tracker == nullptr || fd < 0) return;
    auto* registration = new SslRegistration{*tracker, fd};
    (*tracker)->add(fd);
    SSL_set_ex_data(const_cast<SSL*>(ssl), ssl_index(), registration);
}

// True when the client closed its side: a watch with nothing to send would otherwise notice
// only at its next write, and keep a worker busy meanwhile.
bool peer_closed(int fd) {
    if (fd < 0) return false;
    pollfd entry{fd, POLLRDHUP, 0};
    return ::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

// ---------------------------------------------------------------------------------------------

// strconv.ParseBool's "true" spellings, which the API server accepts for ?watch=.
bool parse_bool(const std::string& text) {
    return text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" ||
           text == "True";
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc() || result.ptr != end) return std::nullopt;
    return value;
}

std::string make_key(std::string_view namespace_, std::string_view name) {
    std::string key;
    key.reserve(namespace_.size() + 1 + name.size());
    key += namespace_;
    key += '/';
    key += name;
    return key;
}

// Which objects a request is about: a resource, optionally one namespace, optionally one name
// (fieldSelector=metadata.name=X).
struct Scope {
    Resource resource = Resource::service_accounts;
    std::string namespace_;
    std::string name;
    bool contradictory = false;  // e.g. a namespaced path with another metadata.namespace

    [[nodiscard]] bool matches(Resource object_resource, std::string_view key) const {
        if (object_resource != resource || contradictory) return false;
        const std::size_t slash = key.find('/');
        if (!namespace_.empty() && key.substr(0, slash) != namespace_) return false;
        return name.empty() || key.substr(slash + 1) == name;
    }
};

// Applies a fieldSelector to the scope; returns an error message for what the real server
// rejects.
std::optional<std::string> apply_field_selector(Scope& scope, std::string_view selector) {
    while (!selector.empty()) {
        const std::size_t comma = selector.find(',');
        std::string_view term = selector.substr(0, comma);
        selector = comma == std::string_view::npos ? "" : selector.substr(comma + 1);
        if (term.empty()) continue;
        const std::size_t equals = term.find('=');
        if (equals == std::string_view::npos || (equals > 0 && term[equals - 1] == '!')) {
            return "unsupported field selector: " + std::string(term);
        }
        const std::string_view field = term.substr(0, equals);
        std::string_view value = term.substr(equals + 1);
        if (!value.empty() && value.front() == '=') value.remove_prefix(1);  // "=="
        if (field == "metadata.name") {
            if (!scope.name.empty() && scope.name != value) scope.contradictory = true;
            scope.name = value;
        } else if (field == "metadata.namespace") {
            if (!scope.namespace_.empty() && scope.namespace_ != value) scope.contradictory = true;
            scope.namespace_ = value;
        } else {
            return "field label not supported: " + std::string(field);
        }
    }
    return std::nullopt;
}

struct StoredObject {
    std::uint64_t serial = 0;
    std::time_t created = 0;
    StringMap annotations;  // ServiceAccounts
    StringMap labels;       // ServiceAccounts
    StringMap data;         // ConfigMaps
    Json json;              // the full object (kind, apiVersion), rendered when it changed
};

struct Event {
    std::uint64_t resource_version = 0;
    Resource resource = Resource::service_accounts;
    std::string key;
    std::string_view type;  // "ADDED", "MODIFIED", "DELETED"
    Json json;
};

struct FailureRule {
    int remaining = 0;
    int status = 500;
    std::string path_substring;
};

struct WatchStream {
    Scope scope;
    std::uint64_t cursor = 0;   // every event up to here has been looked at
    std::vector<Json> initial;  // synthetic ADDED events for a watch without resourceVersion
    std::size_t initial_sent = 0;
    std::optional<Clock::time_point> deadline;
    bool bookmarks = false;
    Clock::time_point next_bookmark;
    std::uint64_t drop_generation = 0;
    int fd = -1;
};

void append_event_line(std::string& out, std::string_view type, const std::string& object) {
    out += R"({"type":")";
    out += type;
    out += R"(","object":)";
    out += object;
    out += "}\n";
}

void set_status(httplib::Response& res, int code, std::string_view message,
                std::string_view name = "", std::string_view kind = "") {
    res.status = code;
    res.set_content(fake_api::status_json(code, message, name, kind), "application/json");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct FakeApiServer::State {
    explicit State(FakeApiServerOptions opts) : options(std::move(opts)), tokens(options.tokens) {
        CertificateRequest request;
        request.common_name = "fake-kube-apiserver";
        const PemPair pair = ca.issue(request);
        cert_file = dir / "apiserver.crt";
        key_file = dir / "apiserver.key";
        pair.write(cert_file, key_file);
    }

    FakeApiServerOptions options;
    TestCertificateAuthority ca{"fake kube-apiserver CA"};
    TempDir dir{"piw-fake-api"};
    std::filesystem::path cert_file;
    std::filesystem::path key_file;

    // Objects, events and watch control.
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, StoredObject> service_accounts;
    std::map<std::string, StoredObject> config_maps;
    std::deque<Event> events;  // ascending resourceVersion
    std::uint64_t resource_version = kInitialResourceVersion;
    // Every event after this one is in `events`; a watch or continue token from before it is
    // too old (410).
    std::uint64_t horizon = kInitialResourceVersion;
    std::uint64_t next_serial = 1;
    mutable std::time_t cached_second = 0;
    mutable std::string cached_timestamp;
    bool stalled = false;
    std::uint64_t drop_generation = 0;
    bool stopping = false;

    // Authentication, injected failures and the request log.
    mutable std::mutex control_mutex;
    std::vector<std::string> tokens;
    std::vector<FailureRule> failures;
    std::vector<RecordedRequest> log;
    std::atomic<std::int64_t> delay_ms{0};
    std::atomic<int> open_watches{0};

    // The listening server.
    mutable std::mutex lifecycle_mutex;
    std::unique_ptr<httplib::SSLServer> server;
    std::thread listener;
    std::atomic<bool> listener_done{false};
    std::atomic<bool> running{false};
    std::atomic<unsigned short> port{0};
    std::shared_ptr<ConnectionTracker> tracker = std::make_shared<ConnectionTracker>();

    std::map<std::string, StoredObject>& objects(Resource resource) {
        return resource == Resource::service_accounts ? service_accounts : config_maps;
    }

    // --- changes (mutex held) ---

    // RFC 3339 text of a time, remembered for the last second asked: rendering 300k objects
    // would otherwise spend much of its time in strftime.
    const std::string& timestamp(std::time_t seconds) const {
        if (seconds != cached_second || cached_timestamp.empty()) {
            cached_second = seconds;
            cached_timestamp = fake_api::format_timestamp(seconds);
        }
        return cached_timestamp;
    }

    void render(Resource resource, const std::string& key, StoredObject& object,
                std::uint64_t object_rv) const {
        const std::size_t slash = key.find('/');
        std::string created;
        std::string updated;
        if (options.realistic_objects) {
            updated = timestamp(std::time(nullptr));
            created = object.created == cached_second ? updated : timestamp(object.created);
        }
        fake_api::ObjectMeta meta;
        meta.namespace_ = std::string_view(key).substr(0, slash);
        meta.name = std::string_view(key).substr(slash + 1);
        meta.resource_version = object_rv;
        meta.serial = object.serial;
        meta.created = created;
        meta.updated = updated;
        object.json = std::make_shared<const std::string>(
            resource == Resource::service_accounts
                ? fake_api::service_account_json(meta, object.annotations, object.labels,
                                                 options.realistic_objects)
                : fake_api::config_map_json(meta, object.data, options.realistic_objects));
    }

    void record_event(Resource resource, std::string key, std::string_view type, Json json) {
        events.push_back(Event{resource_version, resource, std::move(key), type, std::move(json)});
        while (events.size() > options.event_window) {
            horizon = events.front().resource_version;
            events.pop_front();
        }
    }

    std::string put(Resource resource, std::string key, StringMap annotations, StringMap labels,
                    StringMap data) {
        std::unique_lock lock(mutex);
        auto [it, inserted] = objects(resource).try_emplace(key);
        StoredObject& object = it->second;
        if (inserted) {
            object.serial = next_serial++;
            object.created = std::time(nullptr);
        }
        object.annotations = std::move(annotations);
        object.labels = std::move(labels);
        object.data = std::move(data);
        const std::uint64_t rv = ++resource_version;
        render(resource, key, object, rv);
        record_event(resource, std::move(key), inserted ? "ADDED" : "MODIFIED", object.json);
        lock.unlock();
        changed.notify_all();
        return std::to_string(rv);
    }

    bool remove(Resource resource, const std::string& key) {
        std::unique_lock lock(mutex);
        auto& map = objects(resource);
        const auto it = map.find(key);
        if (it == map.end()) return false;
        // The DELETED event carries the last state at a new resourceVersion.
        const std::uint64_t rv = ++resource_version;
        render(resource, key, it->second, rv);
        record_event(resource, key, "DELETED", it->second.json);
        map.erase(it);
        lock.unlock();
        changed.notify_all();
        return true;
    }

    // --- requests ---

    void handle(const httplib::Request& req, httplib::Response& res) {
        RecordedRequest record;
        record.method = req.method;
        record.path = req.path;
        const std::size_t question = req.target.find('?');
        if (question != std::string::npos) record.query = req.target.substr(question + 1);
        record.authorization = req.get_header_value("Authorization");
        record.watch = req.has_param("watch") && parse_bool(req.get_param_value("watch"));

        delay_response();
        if (!authorized(record.authorization)) {
            set_status(res, 401, "Unauthorized");
        } else if (const std::optional<int> failure = take_failure(req.path)) {
            set_status(res, *failure, "injected failure (fake API server)");
        } else if (req.method != "GET" && req.method != "HEAD") {
            set_status(res, 405, "the server does not allow this method on the requested resource");
        } else {
            route(req, res);
        }

        record.status = res.status;
        const std::lock_guard lock(control_mutex);
        log.push_back(std::move(record));
    }

    void delay_response() {
        const std::int64_t delay = delay_ms.load();
        if (delay <= 0) return;
        std::unique_lock lock(mutex);
        changed.wait_for(lock, std::chrono::milliseconds(delay), [this] { return stopping; });
    }

    bool authorized(const std::string& header) const {
        constexpr std::string_view kBearer = "Bearer ";
        if (header.compare(0, kBearer.size(), kBearer) != 0) return false;
        const std::string_view token = std::string_view(header).substr(kBearer.size());
        const std::lock_guard lock(control_mutex);
        return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    }

    std::optional<int> take_failure(const std::string& path) {
        const std::lock_guard lock(control_mutex);
        for (auto it = failures.begin(); it != failures.end(); ++it) {
            if (it->remaining <= 0 || path.find(it->path_substring) == std::string::npos) continue;
            const int status = it->status;
            if (--it->remaining <= 0) failures.erase(it);
            return status;
        }
        return std::nullopt;
    }

    void route(const httplib::Request& req, httplib::Response& res) {
        // /api/v1/RESOURCE | /api/v1/namespaces/NS/RESOURCE | /api/v1/namespaces/NS/RESOURCE/NAME
        std::vector<std::string_view> segments;
        std::string_view rest(req.path);
        while (!rest.empty()) {
            const std::size_t slash = rest.find('/');
            const std::string_view segment = rest.substr(0, slash);
            if (!segment.empty()) segments.push_back(segment);
            rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
        }
        const auto resource_of = [](std::string_view text) -> std::optional<Resource> {
            if (text == "serviceaccounts") return Resource::service_accounts;
            if (text == "configmaps") return Resource::config_maps;
            return std::nullopt;
        };
        Scope scope;
        std::string_view name;
        std::optional<Resource> resource;
        if (segments.size() >= 3 && segments[0] == "api" && segments[1] == "v1") {
            if (segments.size() == 3) {
                resource = resource_of(segments[2]);
            } else if ((segments.size() == 5 || segments.size() == 6) &&
                       segments[2] == "namespaces") {
                resource = resource_of(segments[4]);
                scope.namespace_ = segments[3];
                if (segments.size() == 6) name = segments[5];
            }
        }
        if (!resource) {
            set_status(res, 404, "the server could not find the requested resource");
            return;
        }
        scope.resource = *resource;
        if (!name.empty()) {
            get(scope, name, res);
            return;
        }
        if (req.has_param("fieldSelector")) {
            if (auto error = apply_field_selector(scope, req.get_param_value("fieldSelector"))) {
                set_status(res, 400, *error);
                return;
            }
        }
        if (req.has_param("watch") && parse_bool(req.get_param_value("watch"))) {
            watch(req, scope, res);
        } else {
            list(req, scope, res);
        }
    }

    void get(const Scope& scope, std::string_view name, httplib::Response& res) {
        Json json;
        {
            const std::lock_guard lock(mutex);
            auto& map = objects(scope.resource);
            const auto it = map.find(make_key(scope.namespace_, name));
            if (it != map.end()) json = it->second.json;
        }
        if (!json) {
            const std::string_view kind = fake_api::resource_name(scope.resource);
            set_status(res, 404, std::string(kind) + " \"" + std::string(name) + "\" not found",
                       name, kind);
            return;
        }
        res.status = 200;
        res.set_content(*json, "application/json");
    }

    void list(const httplib::Request& req, const Scope& scope, httplib::Response& res) {
        std::size_t limit = 0;  // 0: everything
        if (req.has_param("limit")) {
            if (const auto value = parse_uint(req.get_param_value("limit"))) {
                limit = static_cast<std::size_t>(*value);
            }
        }
        std::optional<std::uint64_t> token_rv;
        std::string start_after;
        if (req.has_param("continue") && !req.get_param_value("continue").empty()) {
            const auto decoded = fake_api::base64_decode(req.get_param_value("continue"));
            const auto token = decoded ? nlohmann::json::parse(*decoded, nullptr, false)
                                       : nlohmann::json(nlohmann::json::value_t::discarded);
            if (token.is_discarded() || !token.is_object() || !token.contains("rv") ||
                !token["rv"].is_number_unsigned() || !token.contains("start") ||
                !token["start"].is_string()) {
                set_status(res, 400,
                           "continue key is not valid: incorrect encoded start "
                           "resourceVersion (version meta.k8s.io/v1)");
                return;
            }
            token_rv = token["rv"].get<std::uint64_t>();
            start_after = token["start"].get<std::string>();
        }

        std::vector<Json> items;
        std::uint64_t list_rv = 0;
        std::string next_start;  // "" when this is the last page
        {
            const std::lock_guard lock(mutex);
            if (token_rv && *token_rv < horizon) {
                set_status(res, 410,
                           "The provided continue parameter is too old to display a consistent "
                           "list result. You can start a new list without the continue "
                           "parameter.");
                return;
            }
            // Every page reports the resourceVersion of the first one, as the real server
            // does; the items come from the current state.
            list_rv = token_rv.value_or(resource_version);
            const auto& map = objects(scope.resource);
            const std::string prefix = scope.namespace_.empty() ? "" : scope.namespace_ + "/";
            auto it = map.lower_bound(prefix);
            if (token_rv && start_after >= prefix) it = map.upper_bound(start_after);
            if (limit > 0) items.reserve(std::min(limit, map.size()));
            const std::string* last_served = nullptr;
            for (; it != map.end(); ++it) {
                if (it->first.compare(0, prefix.size(), prefix) != 0) break;
                if (!scope.matches(scope.resource, it->first)) continue;
                if (limit > 0 && items.size() == limit) {
                    next_start = *last_served;  // more remain
                    break;
                }
                items.push_back(it->second.json);
                last_served = &it->first;
            }
        }
        write_list(scope.resource, items, list_rv, next_start, res);
    }

    static void write_list(Resource resource, const std::vector<Json>& items, std::uint64_t list_rv,
                           const std::string& next_start, httplib::Response& res);

    void watch(const httplib::Request& req, const Scope& scope, httplib::Response& res);
    bool pump_watch(WatchStream& stream, httplib::DataSink& sink);
    bool collect_watch_output(WatchStream& stream, std::string& out);
};

void FakeApiServer::State::write_list(Resource resource, const std::vector<Json>& items,
                                      std::uint64_t list_rv, const std::string& next_start,
                                      httplib::Response& res) {
    const std::size_t prefix_size = fake_api::object_prefix(resource).size();
    std::string head = R"({"kind":")";
    head += fake_api::list_kind(resource);
    head += R"(","apiVersion":"v1","metadata":{"resourceVersion":")";
    head += std::to_string(list_rv);
    head += '"';
    if (!next_start.empty()) {
        const nlohmann::json token{{"v", "meta.k8s.io/v1"}, {"rv", list_rv}, {"start", next_start}};
        head += R"(,"continue":")";
        head += fake_api::base64_encode(token.dump(), /*url_safe_unpadded=*/true);
        head += '"';
    }
    head += R"(},"items":[)";

    std::size_t size = head.size() + 2;
    for (const Json& item : items) size += item->size() - prefix_size + 2;
    std::string body;
    body.reserve(size);
    body += head;
    bool first = true;
    for (const Json& item : items) {
        // A List's items carry no kind/apiVersion: "{" + the object after its prefix.
        if (!first) body += ',';
        first = false;
        body += '{';
        body.append(*item, prefix_size);
    }
    body += "]}";
    res.status = 200;
    // What set_content does, without copying a body that can be hundreds of megabytes.
    res.body = std::move(body);
    res.set_header("Content-Type", "application/json");
}

void FakeApiServer::State::watch(const httplib::Request& req, const Scope& scope,
                                 httplib::Response& res) {
    auto stream = std::make_shared<WatchStream>();
    stream->scope = scope;
    const std::string from =
        req.has_param("resourceVersion") ? req.get_param_value("resourceVersion") : "";
    std::optional<std::uint64_t> from_rv;
    if (!from.empty() && from != "0") {
        from_rv = parse_uint(from);
        if (!from_rv) {
            set_status(res, 400, "resourceVersion: Invalid value: \"" + from + "\"");
            return;
        }
    }
    if (req.has_param("timeoutSeconds")) {
        if (const auto seconds = parse_uint(req.get_param_value("timeoutSeconds"))) {
            stream->deadline = Clock::now() + std::chrono::seconds(*seconds);
        }
    }
    stream->bookmarks = options.bookmark_interval.count() > 0 &&
                        req.has_param("allowWatchBookmarks") &&
                        parse_bool(req.get_param_value("allowWatchBookmarks"));
    stream->next_bookmark = Clock::now() + options.bookmark_interval;
    stream->fd = req.ssl != nullptr ? SSL_get_fd(req.ssl) : -1;
    {
        const std::lock_guard lock(mutex);
        stream->drop_generation = drop_generation;
        if (from_rv) {
            // Too old (compacted) is reported in the stream, as the real server does.
            stream->cursor = *from_rv;
        } else {
            // No resourceVersion: the current state as ADDED events, then what follows.
            stream->cursor = resource_version;
            const auto& map = objects(scope.resource);
            for (const auto& [key, object] : map) {
                if (scope.matches(scope.resource, key)) stream->initial.push_back(object.json);
            }
        }
    }
    res.status = 200;
    open_watches.fetch_add(1);
    res.set_chunked_content_provider(
        "application/json",
        [this, stream](std::size_t /*offset*/, httplib::DataSink& sink) {
            return pump_watch(*stream, sink);
        },
        [this](bool /*success*/) { open_watches.fetch_sub(1); });
}

// Called again and again by cpp-httplib while it returns true: waits a little for something to
// send, sends it, and ends the stream when asked to.
bool FakeApiServer::State::pump_watch(WatchStream& stream, httplib::DataSink& sink) {
    std::string out;
    bool finished = false;
    {
        std::unique_lock lock(mutex);
        const auto has_work = [&] {
            if (stopping || drop_generation != stream.drop_generation) return true;
            if (stalled) return false;
            return stream.initial_sent < stream.initial.size() || stream.cursor < horizon ||
                   (!events.empty() && events.back().resource_version > stream.cursor);
        };
        changed.wait_for(lock, kWatchPoll, has_work);
        if (stopping) return false;
        if (drop_generation != stream.drop_generation ||
            (stream.deadline && Clock::now() >= *stream.deadline)) {
            finished = true;
        } else if (!stalled) {
            finished = collect_watch_output(stream, out);
        }
    }
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;
    if (finished) {
        sink.done();
        return true;
    }
    return !peer_closed(stream.fd);
}

// Appends what the stream should send next (mutex held). Returns true when the stream must end
// after it (410: its resourceVersion is gone).
bool FakeApiServer::State::collect_watch_output(WatchStream& stream, std::string& out) {
    std::size_t lines = 0;
    const std::string_view added = "ADDED";
    while (stream.initial_sent < stream.initial.size() && lines < kLinesPerWrite) {
        append_event_line(out, added, *stream.initial[stream.initial_sent++]);
        ++lines;
    }
    if (stream.initial_sent < stream.initial.size()) return false;
    if (!stream.initial.empty()) {
        stream.initial.clear();  // sent; free the references
        stream.initial_sent = 0;
    }

    if (stream.cursor < horizon) {
        out += R"({"type":"ERROR","object":)";
        out += fake_api::status_json(
            410, "too old resource version: " + std::to_string(stream.cursor) + " (" +
                     std::to_string(horizon) + ")");
        out += "}\n";
        return true;
    }

    auto it = std::upper_bound(
        events.begin(), events.end(), stream.cursor,
        [](std::uint64_t rv, const Event& event) { return rv < event.resource_version; });
    for (; it != events.end() && lines < kLinesPerWrite; ++it) {
        if (stream.scope.matches(it->resource, it->key)) {
            append_event_line(out, it->type, *it->json);
            ++lines;
        }
        stream.cursor = it->resource_version;
    }
    if (it != events.end()) return false;

    // Every change after `horizon` has an event, so having looked at all of them the stream is
    // current.
    stream.cursor = std::max(stream.cursor, resource_version);
    if (stream.bookmarks && Clock::now() >= stream.next_bookmark) {
        out += R"({"type":"BOOKMARK","object":{"kind":")";
        out += fake_api::object_kind(stream.scope.resource);
        out += R"(","apiVersion":"v1","metadata":{"resourceVersion":")";
        out += std::to_string(stream.cursor);
        out += "\"}}}\n";
        stream.next_bookmark = Clock::now() + options.bookmark_interval;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

FakeApiServer::~FakeApiServer() {
    stop();
}

unsigned short FakeApiServer::start(unsigned short port) {
    State& s = *state_;
    const std::lock_guard lifecycle(s.lifecycle_mutex);
    if (s.server) throw std::runtime_error("fake API server: already running");

    // A client going away mid-response must be a failed write, not a signal that kills the
    // test process (OpenSSL writes to the socket without MSG_NOSIGNAL).
    static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;

    auto server = std::make_unique<httplib::SSLServer>(s.cert_file.c_str(), s.key_file.c_str());
    if (!server->is_valid()) throw std::runtime_error("fake API server: TLS setup failed");
    SSL_CTX* context = server->ssl_context();
    SSL_CTX_set_ex_data(context, ctx_index(), &s.tracker);
    SSL_CTX_set_info_callback(context, &on_ssl_info);

    server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server->set_tcp_nodelay(true);
    server->set_keep_alive_max_count(1000000);
    server->set_keep_alive_timeout(60);
    server->set_read_timeout(30);
    server->set_write_timeout(30);
    State* state = &s;
    const auto handler = [state](const httplib::Request& req, httplib::Response& res) {
        state->handle(req, res);
    };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Patch(".*", handler);
    server->Delete(".*", handler);
    server->Options(".*", handler);

    {
        const std::lock_guard lock(s.mutex);
        s.stopping = false;
    }
    int bound = -1;
    if (port == 0) {
        bound = server->bind_to_any_port("127.0.0.1");
    } else {
        // The same port again after stop(): SO_REUSEADDR (set by cpp-httplib) makes this work
        // at once; retry briefly in case the old socket is still being torn down.
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        while (bound < 0) {
            if (server->bind_to_port("127.0.0.1", port)) {
                bound = port;
            } else if (Clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            } else {
                break;
            }
        }
    }
    if (bound <= 0) {
        throw std::runtime_error("fake API server: cannot listen on 127.0.0.1:" +
                                 std::to_string(port));
    }

    s.listener_done.store(false);
    httplib::SSLServer* raw = server.get();
    s.listener = std::thread([raw, state] {
        raw->listen_after_bind();
        state->listener_done.store(true);
    });
    // stop() is a no-op until the accept loop runs, so wait for it.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!raw->is_running() && !s.listener_done.load() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!raw->is_running()) {
        raw->stop();
        s.listener.join();
        throw std::runtime_error("fake API server: the listener did not start");
    }
    s.server = std::move(server);
    s.port.store(static_cast<unsigned short>(bound));
    s.running.store(true);
    return static_cast<unsigned short>(bound);
}

void FakeApiServer::stop() {
    State& s = *state_;
    const std::lock_guard lifecycle(s.lifecycle_mutex);
    if (!s.server) return;
    {
        const std::lock_guard lock(s.mutex);
        s.stopping = true;
    }
    s.changed.notify_all();
    s.server->stop();
    // Connections still open (idle keep-alive, requests in flight, queued) are cut until the
    // workers are all gone.
    while (!s.listener_done.load()) {
        s.tracker->shutdown_all();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.listener.join();
    s.server.reset();
    s.running.store(false);
}

bool FakeApiServer::running() const {
    return state_->running.load();
}
unsigned short FakeApiServer::port() const {
    return state_->port.load();
}
std::string FakeApiServer::url() const {
    return "https://127.0.0.1:" + std::to_string(state_->port.load());
}

const std::string& FakeApiServer::ca_pem() const {
    return state_->ca.certificate_pem();
}

void FakeApiServer::write_ca(const std::filesystem::path& file) const {
    state_->ca.write_certificate(file);
}

void FakeApiServer::write_kubeconfig(const std::filesystem::path& file, const std::string& token,
                                     const std::string& server) const {
    std::string user_token = token;
    if (user_token.empty()) {
        const std::lock_guard lock(state_->control_mutex);
        if (!state_->tokens.empty()) user_token = state_->tokens.front();
    }
    write_token_kubeconfig(file, server.empty() ? url() : server, ca_pem(), user_token);
}

std::string FakeApiServer::put_service_account(const std::string& namespace_,
                                               const std::string& name,
                                               const StringMap& annotations,
                                               const StringMap& labels) {
    return state_->put(Resource::service_accounts, make_key(namespace_, name), annotations, labels,
                       {});
}

bool FakeApiServer::delete_service_account(const std::string& namespace_, const std::string& name) {
    return state_->remove(Resource::service_accounts, make_key(namespace_, name));
}

std::string FakeApiServer::put_config_map(const std::string& namespace_, const std::string& name,
                                          const StringMap& data) {
    return state_->put(Resource::config_maps, make_key(namespace_, name), {}, {}, data);
}

bool FakeApiServer::delete_config_map(const std::string& namespace_, const std::string& name) {
    return state_->remove(Resource::config_maps, make_key(namespace_, name));
}

void FakeApiServer::add_generated_service_accounts(std::size_t count, std::size_t namespaces,
                                                   std::size_t annotate_every) {
    State& s = *state_;
    if (namespaces == 0) namespaces = 1;
    {
        const std::lock_guard lock(s.mutex);
        const std::time_t now = std::time(nullptr);
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = "sa-" + std::to_string(i);
            std::string key = make_key("ns-" + std::to_string(i % namespaces), name);
            auto [it, inserted] = s.service_accounts.try_emplace(std::move(key));
            StoredObject& object = it->second;
            if (inserted) {
                object.serial = s.next_serial++;
                object.created = now;
            }
            object.annotations.clear();
            object.labels.clear();
            if (annotate_every > 0 && i % annotate_every == 0) {
                object.annotations.emplace("eks.amazonaws.com/role-arn",
                                           "arn:aws:iam::111122223333:role/" + name);
            }
            s.render(Resource::service_accounts, it->first, object, ++s.resource_version);
        }
        // No events were recorded for these, so a watch from before them cannot be resumed: it
        // must list again (410), as after a compaction.
        s.horizon = s.resource_version;
        s.events.clear();
    }
    s.changed.notify_all();
}

std::string FakeApiServer::resource_version() const {
    const std::lock_guard lock(state_->mutex);
    return std::to_string(state_->resource_version);
}

std::size_t FakeApiServer::service_account_count() const {
    const std::lock_guard lock(state_->mutex);
    return state_->service_accounts.size();
}

void FakeApiServer::set_tokens(std::vector<std::string> tokens) {
    const std::lock_guard lock(state_->control_mutex);
    state_->tokens = std::move(tokens);
}

void FakeApiServer::fail_next_requests(int count, int status, std::string path_substring) {
    if (count <= 0) return;
    const std::lock_guard lock(state_->control_mutex);
    state_->failures.push_back(FailureRule{count, status, std::move(path_substring)});
}

void FakeApiServer::set_watches_stalled(bool stalled) {
    {
        const std::lock_guard lock(state_->mutex);
        state_->stalled = stalled;
    }
    state_->changed.notify_all();
}

void FakeApiServer::drop_watches() {
    {
        const std::lock_guard lock(state_->mutex);
        ++state_->drop_generation;
    }
    state_->changed.notify_all();
}

void FakeApiServer::compact() {
    {
        const std::lock_guard lock(state_->mutex);
        state_->horizon = state_->resource_version;
        state_->events.clear();
    }
    state_->changed.notify_all();
}

void FakeApiServer::set_response_delay(std::chrono::milliseconds delay) {
    state_->delay_ms.store(delay.count());
}

std::vector<RecordedRequest> FakeApiServer::requests() const {
    const std::lock_guard lock(state_->control_mutex);
    return state_->log;
}

int FakeApiServer::count_requests(std::string_view path_substring) const {
    const std::lock_guard lock(state_->control_mutex);
    return static_cast<int>(std::count_if(
        state_->log.begin(), state_->log.end(), [path_substring](const RecordedRequest& request) {
            return request.path.find(path_substring) != std::string::npos;
        }));
}

int FakeApiServer::count_watches(std::string_view path_substring) const {
    const std::lock_guard lock(state_->control_mutex);
    return static_cast<int>(std::count_if(
        state_->log.begin(), state_->log.end(), [path_substring](const RecordedRequest& request) {
            return request.watch && request.path.find(path_substring) != std::string::npos;
        }));
}

int FakeApiServer::open_watches() const {
    return state_->open_watches.load();
}

}  // namespace piw::testing
