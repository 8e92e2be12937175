#include "pod_identity_webhook/identity/live_lookup.hpp"

#include <algorithm>
#include <utility>

#include "pod_identity_webhook/logging/log.hpp"

namespace piw::identity {
namespace {

using Clock = std::chrono::steady_clock;

ServiceAccountLookup unknown() {
    return ServiceAccountLookup{LookupStatus::unknown, nullptr};
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock::time_point now)
    : rate_(rate_per_second), burst_(burst), tokens_(burst), updated_(now) {}

std::optional<Clock::time_point> TokenBucket::reserve(Clock::time_point now,
                                                      Clock::time_point latest) {
    if (now > updated_) {
        const double elapsed = std::chrono::duration<double>(now - updated_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        updated_ = now;
    }
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return now;
    }
    const auto wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((1.0 - tokens_) / rate_));
    const Clock::time_point at = now + wait;
    if (at > latest) return std::nullopt;
    tokens_ -= 1.0;
    return at;
}

LiveLookup::LiveLookup(Fetch fetch, LiveLookupOptions options)
    : fetch_(std::move(fetch)), options_(options), bucket_(options.rate_per_second, options.burst) {
    const std::size_t workers = std::max<std::size_t>(1, options_.workers);
    workers_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this]() { work(); });
    expiry_ = std::thread([this]() { expire(); });
}

LiveLookup::~LiveLookup() {
    stop();
}

void LiveLookup::lookup(std::string namespace_, std::string name, Clock::time_point deadline,
                        ServiceAccountSource::FetchCallback done) {
    std::string key = service_account_key(namespace_, name);
    bool stopped = false;
    {
        std::lock_guard lock(mutex_);
        stopped = stopping_;
        auto it = pending_.find(key);
        if (!stopping_ && it != pending_.end()) {
            it->second.waiters.push_back(Waiter{deadline, std::move(done)});
            deadlines_changed_.notify_one();
            return;
        }
        if (!stopping_ && pending_.size() < options_.max_pending) {
            Pending& entry = pending_[key];
            entry.namespace_ = std::move(namespace_);
            entry.name = std::move(name);
            entry.waiters.push_back(Waiter{deadline, std::move(done)});
            queue_.push_back(std::move(key));
            work_ready_.notify_one();
            deadlines_changed_.notify_one();
            return;
        }
    }
    if (!stopped) {
        logging::warn("too many ServiceAccount lookups waiting; answering without a lookup",
                      {{"namespace", namespace_}, {"service_account", name}});
    }
    done(unknown());
}

void LiveLookup::resolve(std::string_view namespace_, std::string_view name,
                         const ServiceAccountLookup& result) {
    Answers answers;
    {
        std::lock_guard lock(mutex_);
        if (pending_.empty()) return;
        auto it = pending_.find(service_account_key(namespace_, name));
        if (it == pending_.end()) return;
        for (Waiter& waiter : it->second.waiters)
            answers.emplace_back(std::move(waiter.done), result);
        it->second.waiters.clear();
        // Not yet fetching: nobody needs the fetch any more. In flight: its worker removes it.
        if (!it->second.in_flight) pending_.erase(it);
    }
    deliver(std::move(answers));
}

void LiveLookup::stop() {
    Answers answers;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && workers_.empty()) return;
        stopping_ = true;
        for (auto& [key, entry] : pending_) {
            for (Waiter& waiter : entry.waiters)
                answers.emplace_back(std::move(waiter.done), unknown());
            entry.waiters.clear();
        }
    }
    work_ready_.notify_all();
    deadlines_changed_.notify_all();
    deliver(std::move(answers));
    for (auto& worker : workers_) {
        if (worker.joinable()) worker.join();
    }
    workers_.clear();
    if (expiry_.joinable()) expiry_.join();
}

std::size_t LiveLookup::pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

void LiveLookup::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        work_ready_.wait(lock, [this]() { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        std::string key = std::move(queue_.front());
        queue_.pop_front();
        fetch_one(lock, key);
    }
}

// Called with the lock held; releases it around the fetch itself.
void LiveLookup::fetch_one(std::unique_lock<std::mutex>& lock, const std::string& key) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;  // answered by the watch meanwhile
    if (it->second.waiters.empty()) {  // every waiter's deadline passed while queued
        pending_.erase(it);
        return;
    }
    Clock::time_point latest = Clock::time_point::min();
    for (const Waiter& waiter : it->second.waiters) latest = std::max(latest, waiter.deadline);
    const auto start_at = bucket_.reserve(Clock::now(), latest);
    if (!start_at) {
        Answers answers;
        for (Waiter& waiter : it->second.waiters)
            answers.emplace_back(std::move(waiter.done), unknown());
        logging::warn("ServiceAccount lookups are rate-limited; not looking this one up in time",
                      {{"namespace", it->second.namespace_}, {"service_account", it->second.name}});
        pending_.erase(it);
        lock.unlock();
        deliver(std::move(answers));
        lock.lock();
        return;
    }
    it->second.in_flight = true;
    const std::string namespace_ = it->second.namespace_;
    const std::string name = it->second.name;
    // Waiting for the rate limiter is interruptible by stop(); the iterator may be invalidated.
    if (work_ready_.wait_until(lock, *start_at, [this]() { return stopping_; })) return;
    lock.unlock();
    ServiceAccountLookup result = fetch_(namespace_, name, latest);
    lock.lock();
    it = pending_.find(key);
    if (it == pending_.end()) return;
    Answers answers;
    for (Waiter& waiter : it->second.waiters) answers.emplace_back(std::move(waiter.done), result);
    pending_.erase(it);
    lock.unlock();
    deliver(std::move(answers));
    lock.lock();
}

void LiveLookup::expire() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const Clock::time_point now = Clock::now();
        Clock::time_point next = Clock::time_point::max();
        Answers answers;
        for (auto& [key, entry] : pending_) {
            auto& waiters = entry.waiters;
            for (auto waiter = waiters.begin(); waiter != waiters.end();) {
                if (waiter->deadline <= now) {
                    answers.emplace_back(std::move(waiter->done), unknown());
                    waiter = waiters.erase(waiter);
                } else {
                    next = std::min(next, waiter->deadline);
                    ++waiter;
                }
            }
        }
        if (!answers.empty()) {
            lock.unlock();
            deliver(std::move(answers));
            lock.lock();
            continue;
        }
        if (next == Clock::time_point::max()) {
            deadlines_changed_.wait(lock);
        } else {
            deadlines_changed_.wait_until(lock, next);
        }
    }
}

void LiveLookup::deliver(Answers answers) {
    for (auto& [done, result] : answers) done(result);
}

}  // namespace piw::identity
