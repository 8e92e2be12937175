#include "pod_identity_webhook/kube/reflector.hpp"

#include <algorithm>

#include "pod_identity_webhook/logging/log.hpp"

namespace piw::kube {
namespace {

using Clock = std::chrono::steady_clock;

// A watch that ends this much before the timeout it asked for was cut by someone else.
constexpr std::chrono::seconds kEarlyEndMargin{2};
// How long past its own timeoutSeconds a silent watch is given before the client closes it.
constexpr std::chrono::seconds kWatchIdleSlack{60};

std::string describe(const ApiResponse& response) {
    if (response.transport_failed()) return response.error;
    return "HTTP " + std::to_string(response.status) + ": " + describe_error_body(response.body);
}

// What an operator should check for an answer that will not fix itself.
std::string hint_for(int status, const std::string& resource) {
    if (status == 401) {
        return "; the API server rejected the credentials (expired token? wrong kubeconfig user?)";
    }
    if (status == 403) {
        return "; the webhook's identity needs get, list and watch on " + resource +
               " (see deploy/ for the ClusterRole)";
    }
    return "";
}

}  // namespace

Reflector::Reflector(KubeClient& client, ReflectorOptions options, ReflectorHandler& handler)
    : client_(client),
      options_(std::move(options)),
      handler_(handler),
      random_(static_cast<std::minstd_rand::result_type>(Clock::now().time_since_epoch().count() &
                                                         0x7FFFFFFF)) {}

Reflector::~Reflector() {
    stop();
}

void Reflector::start() {
    stopping_.store(false);
    thread_ = std::thread([this]() { run(); });
}

void Reflector::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string Reflector::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

std::string Reflector::resource_version() const {
    std::lock_guard lock(mutex_);
    return resource_version_;
}

void Reflector::set_resource_version(std::string resource_version) {
    if (resource_version.empty()) return;
    std::lock_guard lock(mutex_);
    resource_version_ = std::move(resource_version);
}

void Reflector::run() {
    bool need_list = true;
    while (!stopping_.load()) {
        if (need_list) {
            if (!list()) {
                back_off();
                continue;
            }
            need_list = false;
        }
        switch (watch()) {
            case WatchEnd::resume:
                break;
            case WatchEnd::relist:
                need_list = true;
                break;
            case WatchEnd::failed:
                back_off();
                break;
            case WatchEnd::stopped:
                return;
        }
    }
}

std::string Reflector::list_path(const std::string& continue_token) const {
    std::string path = options_.path + "?limit=" + std::to_string(options_.page_size);
    if (!continue_token.empty()) path += "&continue=" + query_escape(continue_token);
    if (!options_.field_selector.empty()) {
        path += "&fieldSelector=" + query_escape(options_.field_selector);
    }
    return path;
}

bool Reflector::list() {
    const auto started = Clock::now();
    handler_.on_list_begin();
    std::string continue_token;
    std::string list_resource_version;
    std::size_t count = 0;
    RequestOptions request;
    request.timeout = options_.request_timeout;
    do {
        ApiResponse response = client_.get(list_path(continue_token), request);
        if (stopping_.load()) {
            handler_.on_list_abandoned();
            return false;
        }
        if (response.status != 200) {
            handler_.on_list_abandoned();
            failed("listing " + options_.resource + " failed: " + describe(response) +
                       hint_for(response.status, options_.resource),
                   "list failed");
            return false;
        }
        auto page = decode_list(response.body, options_.decode);
        if (!page.ok()) {
            handler_.on_list_abandoned();
            failed("listing " + options_.resource + " failed: " + page.error(), "list failed");
            return false;
        }
        if (list_resource_version.empty()) list_resource_version = page->resource_version;
        count += page->items.size();
        for (auto& item : page->items) handler_.on_list_object(std::move(item));
        continue_token = std::move(page->continue_token);
    } while (!continue_token.empty());
    handler_.on_list_end();
    {
        // Even when empty: an older version must not survive a relist (it would 410 again).
        std::lock_guard lock(mutex_);
        resource_version_ = list_resource_version;
    }
    synced_.store(true, std::memory_order_release);
    succeeded();
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    logging::info("listed " + options_.resource,
                  {{"count", std::to_string(count)},
                   {"resource_version", list_resource_version},
                   {"duration_ms", std::to_string(elapsed.count())}});
    return true;
}

std::int64_t Reflector::next_watch_timeout_seconds() {
    const auto min_seconds = std::max<std::int64_t>(1, options_.min_watch_timeout.count());
    std::uniform_int_distribution<std::int64_t> spread(min_seconds, 2 * min_seconds - 1);
    std::lock_guard lock(mutex_);
    return spread(random_);
}

std::string Reflector::watch_path(std::int64_t timeout_seconds) const {
    std::string path = options_.path + "?watch=true&allowWatchBookmarks=true";
    // Without one (a server whose LIST carried none) the server starts from its current state,
    // sending every object as ADDED first: nothing is missed, some updates are repeated.
    if (const std::string resource_version = this->resource_version(); !resource_version.empty()) {
        path += "&resourceVersion=" + query_escape(resource_version);
    }
    path += "&timeoutSeconds=" + std::to_string(timeout_seconds);
    if (!options_.field_selector.empty()) {
        path += "&fieldSelector=" + query_escape(options_.field_selector);
    }
    return path;
}

Reflector::WatchEnd Reflector::watch() {
    const std::int64_t timeout_seconds = next_watch_timeout_seconds();
    const std::string path = watch_path(timeout_seconds);
    WatchOptions watch_options;
    watch_options.idle_timeout = std::chrono::seconds(timeout_seconds) + kWatchIdleSlack;
    WatchEnd end = WatchEnd::resume;
    std::size_t events = 0;
    const auto started = Clock::now();
    const auto on_line = [this, &end, &events](std::string_view line) {
        if (stopping_.load()) return false;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
        ++events;
        end = handle_watch_line(line);
        return end == WatchEnd::resume;
    };
    ApiResponse response = client_.watch(path, on_line, watch_options);
    if (stopping_.load()) return WatchEnd::stopped;
    if (end != WatchEnd::resume) return end;
    if (response.status != 200) return watch_failure(response);
    succeeded();
    const bool ended_early =
        Clock::now() - started + kEarlyEndMargin < std::chrono::seconds(timeout_seconds);
    if (!ended_early) return WatchEnd::resume;  // the timeout we asked for: routine
    logging::info("watch of " + options_.resource + " ended early; resuming",
                  {{"resource_version", resource_version()},
                   {"events", std::to_string(events)},
                   {"reason", response.error.empty() ? "closed by the server" : response.error}});
    if (options_.on_restart) options_.on_restart("watch closed");
    // A server that closes every watch at once must not be hammered.
    return events > 0 ? WatchEnd::resume : WatchEnd::failed;
}

Reflector::WatchEnd Reflector::handle_watch_line(std::string_view line) {
    auto event = decode_watch_event(line, options_.decode);
    if (!event.ok()) {
        failed("watch of " + options_.resource + ": " + event.error(), "bad event");
        return WatchEnd::failed;
    }
    switch (event->type) {
        case WatchEventType::added:
        case WatchEventType::modified:
        case WatchEventType::deleted: {
            std::string resource_version = event->object.resource_version;
            handler_.on_watch_event(event->type, std::move(event->object));
            set_resource_version(std::move(resource_version));
            return WatchEnd::resume;
        }
        case WatchEventType::bookmark:
            set_resource_version(std::move(event->object.resource_version));
            return WatchEnd::resume;
        case WatchEventType::error:
            break;
    }
    if (event->status_code == 410) {
        logging::info(
            "resourceVersion of " + options_.resource + " expired; listing again",
            {{"resource_version", resource_version()}, {"message", event->status_message}});
        if (options_.on_restart) options_.on_restart("expired");
        return WatchEnd::relist;
    }
    failed("watch of " + options_.resource + " reported an error: " + event->status_message + " (" +
               event->status_reason + ", code " + std::to_string(event->status_code) + ")",
           "watch error");
    return WatchEnd::failed;
}

Reflector::WatchEnd Reflector::watch_failure(const ApiResponse& response) {
    if (response.status == 410) {
        logging::info("resourceVersion of " + options_.resource + " expired; listing again",
                      {{"resource_version", resource_version()}});
        if (options_.on_restart) options_.on_restart("expired");
        return WatchEnd::relist;
    }
    failed("watch of " + options_.resource + " failed: " + describe(response) +
               hint_for(response.status, options_.resource),
           "watch failed");
    return WatchEnd::failed;
}

void Reflector::failed(std::string message, std::string_view reason) {
    std::chrono::milliseconds delay{};
    {
        std::lock_guard lock(mutex_);
        last_error_ = message;
        const auto cap = synced()
                             ? options_.max_backoff
                             : std::min(options_.max_backoff, options_.max_backoff_before_sync);
        backoff_ = backoff_.count() == 0 ? options_.initial_backoff : std::min(backoff_ * 2, cap);
        delay = backoff_;
    }
    logging::warn(message, {{"retry_in_ms", std::to_string(delay.count())}});
    if (options_.on_restart) options_.on_restart(reason);
}

void Reflector::succeeded() {
    std::lock_guard lock(mutex_);
    last_error_.clear();
    backoff_ = std::chrono::milliseconds(0);
}

void Reflector::back_off() {
    std::unique_lock lock(mutex_);
    const auto base = std::max(backoff_, options_.initial_backoff);
    // ±25 % so that replicas that lost the API server together do not return together.
    std::uniform_int_distribution<std::int64_t> jitter(-base.count() / 4, base.count() / 4);
    const auto delay = base + std::chrono::milliseconds(jitter(random_));
    wake_.wait_for(lock, delay, [this]() { return stopping_.load(); });
}

}  // namespace piw::kube
