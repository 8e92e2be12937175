#pragma once
// Decision I2: a pod whose ServiceAccount is not cached yet (created a moment ago, the watch
// lagging) waits for a live GET instead of silently getting no credentials. LiveLookup is the
// machinery, independent of HTTP: one fetch in flight per ServiceAccount however many pods wait
// (singleflight), fetches rate-limited like upstream (10/s, burst 20), every waiter answered by
// its own deadline even when the fetch is slower, and a failure forgotten at once (a later pod
// triggers a new fetch; upstream quirk 12 kept a dead notifier forever).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pod_identity_webhook/identity/service_account_source.hpp"

namespace piw::identity {

// A token bucket like Go's rate.Limiter: `rate` tokens per second, at most `burst` saved up.
// Reservations may go into debt, so waiting callers are served in order.
class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;
    TokenBucket(double rate_per_second, double burst, Clock::time_point now = Clock::now());
    // When a token will be available, reserving it — or nullopt (nothing reserved) when that
    // would be after `latest`.
    std::optional<Clock::time_point> reserve(Clock::time_point now, Clock::time_point latest);

  private:
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point updated_;
};

struct LiveLookupOptions {
    double rate_per_second = 10;     // upstream: rate.Every(100ms)
    double burst = 20;               // upstream: 20
    std::size_t workers = 4;         // fetches running at once
    std::size_t max_pending = 1000;  // distinct ServiceAccounts waiting; beyond: answered unknown
};

class LiveLookup {
  public:
    using Clock = std::chrono::steady_clock;
    // Fetches one ServiceAccount, blocking, giving up by `deadline`: found, absent (the API says
    // it does not exist) or unknown (the fetch failed).
    using Fetch = std::function<ServiceAccountLookup(
        const std::string& namespace_, const std::string& name, Clock::time_point deadline)>;

    LiveLookup(Fetch fetch, LiveLookupOptions options = {});
    ~LiveLookup();  // stop()
    LiveLookup(const LiveLookup&) = delete;
    LiveLookup& operator=(const LiveLookup&) = delete;

    // Calls `done` exactly once, on a lookup thread (or inline when stopped or overloaded), no
    // later than `deadline` (give or take scheduling).
    void lookup(std::string namespace_, std::string name, Clock::time_point deadline,
                ServiceAccountSource::FetchCallback done);
    // The ServiceAccount became known another way (the watch): its waiters are answered now.
    void resolve(std::string_view namespace_, std::string_view name,
                 const ServiceAccountLookup& result);
    // Answers every waiter with unknown and joins the threads. Later lookups answer unknown.
    void stop();

    [[nodiscard]] std::size_t pending() const;  // ServiceAccounts being looked up

  private:
    struct Waiter {
        Clock::time_point deadline;
        ServiceAccountSource::FetchCallback done;
    };
    struct Pending {
        std::string namespace_;
        std::string name;
        std::vector<Waiter> waiters;
        bool in_flight = false;
    };
    using Answers =
        std::vector<std::pair<ServiceAccountSource::FetchCallback, ServiceAccountLookup>>;

    void work();
    void expire();
    void fetch_one(std::unique_lock<std::mutex>& lock, const std::string& key);
    static void deliver(Answers answers);

    Fetch fetch_;
    LiveLookupOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable deadlines_changed_;
    std::unordered_map<std::string, Pending> pending_;  // "<ns>/<name>"
    std::deque<std::string> queue_;
    TokenBucket bucket_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
    std::thread expiry_;
};

}  // namespace piw::identity
