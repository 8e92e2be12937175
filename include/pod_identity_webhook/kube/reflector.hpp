#pragma once
// Keeps a local copy of one kind of Kubernetes object up to date, like client-go's reflector:
// a paginated LIST, then a WATCH from the list's resourceVersion (with bookmarks), resumed from
// the last resourceVersion seen after the stream ends, and a fresh LIST (reconciled by the
// handler) when the server says that resourceVersion is gone (410). Failures back off with
// jitter; nothing is lost across reconnections. One thread per reflector; the handler is called
// on it, one call at a time.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/kube/objects.hpp"

namespace piw::kube {

class ReflectorHandler {
  public:
    virtual ~ReflectorHandler() = default;
    // A full LIST starts; objects follow page by page. At on_list_end the listed objects are the
    // whole truth: anything the handler holds that was not listed since on_list_begin is gone.
    virtual void on_list_begin() = 0;
    virtual void on_list_object(KubeObject object) = 0;
    virtual void on_list_end() = 0;
    // A LIST failed part-way: what was listed so far may be kept, but nothing may be removed.
    virtual void on_list_abandoned() {}
    // ADDED / MODIFIED / DELETED from the watch.
    virtual void on_watch_event(WatchEventType type, KubeObject object) = 0;
};

struct ReflectorOptions {
    std::string resource = "serviceaccounts";      // for logs
    std::string path = "/api/v1/serviceaccounts";  // collection path
    std::string field_selector;                    // e.g. "metadata.name=pod-identity-webhook"
    std::size_t page_size = 500;
    DecodeOptions decode;
    std::chrono::milliseconds request_timeout{30000};  // one LIST page
    // Backoff after a failure: exponential from `initial_backoff` to `max_backoff`, ±25 % jitter.
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{30000};
    // Until the first LIST succeeds the webhook is not ready: retry at least this often, so that
    // it becomes ready soon after the API server comes back.
    std::chrono::milliseconds max_backoff_before_sync{5000};
    // Each WATCH asks the server to end it after a random time in [min, 2 × min), like client-go,
    // so that load balancers spread and stale connections are not kept forever.
    std::chrono::seconds min_watch_timeout{300};
    // Called when a WATCH or LIST has to be re-established (for a metric).
    std::function<void(std::string_view reason)> on_restart;
};

class Reflector {
  public:
    // The client and handler must outlive the reflector.
    Reflector(KubeClient& client, ReflectorOptions options, ReflectorHandler& handler);
    ~Reflector();  // stops
    Reflector(const Reflector&) = delete;
    Reflector& operator=(const Reflector&) = delete;

    void start();
    // Ends the loop; an open WATCH is abandoned (callers shut the client down to cut it short).
    void stop();

    // True once the first complete LIST has been delivered.
    [[nodiscard]] bool synced() const { return synced_.load(std::memory_order_acquire); }
    // The last problem, "" when the last attempt worked (for /readyz and logs).
    [[nodiscard]] std::string last_error() const;
    // The resourceVersion the next WATCH would resume from (tests).
    [[nodiscard]] std::string resource_version() const;

  private:
    enum class WatchEnd { resume, relist, failed, stopped };

    void run();
    bool list();
    WatchEnd watch();
    WatchEnd handle_watch_line(std::string_view line);
    WatchEnd watch_failure(const ApiResponse& response);
    std::string list_path(const std::string& continue_token) const;
    std::int64_t next_watch_timeout_seconds();
    std::string watch_path(std::int64_t timeout_seconds) const;
    void failed(std::string message, std::string_view reason);
    void succeeded();
    void back_off();
    void set_resource_version(std::string resource_version);

    KubeClient& client_;
    ReflectorOptions options_;
    ReflectorHandler& handler_;

    std::atomic<bool> synced_{false};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;  // guards the strings below and the sleep
    std::condition_variable wake_;
    std::string last_error_;
    std::string resource_version_;
    std::chrono::milliseconds backoff_{0};
    std::minstd_rand random_;
    std::thread thread_;
};

}  // namespace piw::kube
