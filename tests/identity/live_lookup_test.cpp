#include "pod_identity_webhook/identity/live_lookup.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "support/eventually.hpp"

namespace piw::identity {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using piw::testing::eventually;

// A fetch the test controls: it counts calls, and blocks until released when `hold` is set.
class ScriptedFetch {
  public:
    ServiceAccountLookup operator()(const std::string& namespace_, const std::string& name,
                                    Clock::time_point /*deadline*/) {
        calls.fetch_add(1);
        std::unique_lock lock(mutex_);
        released_.wait(lock, [this]() { return !hold; });
        if (fail) return {LookupStatus::unknown, nullptr};
        if (name == "ghost") return {LookupStatus::absent, nullptr};
        ServiceAccountEntry entry;
        entry.namespace_ = namespace_;
        entry.name = name;
        entry.role_arn = "arn:aws:iam::111122223333:role/" + name;
        return {LookupStatus::found, std::make_shared<const ServiceAccountEntry>(entry)};
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            hold = false;
        }
        released_.notify_all();
    }

    std::atomic<int> calls{0};
    bool hold = false;
    std::atomic<bool> fail{false};

  private:
    std::mutex mutex_;
    std::condition_variable released_;
};

// Collects answers from whatever thread delivers them.
struct Answers {
    void add(ServiceAccountLookup lookup) {
        std::lock_guard lock(mutex);
        items.push_back(std::move(lookup));
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return items.size();
    }
    ServiceAccountLookup at(std::size_t i) {
        std::lock_guard lock(mutex);
        return items.at(i);
    }
    std::mutex mutex;
    std::vector<ServiceAccountLookup> items;
};

LiveLookup::Fetch fetch_with(ScriptedFetch& script) {
    return [&script](const std::string& ns, const std::string& name, Clock::time_point deadline) {
        return script(ns, name, deadline);
    };
}

TEST(LiveLookupTest, ManyPodsWaitingForOneServiceAccountCauseOneFetch) {
    ScriptedFetch script;
    script.hold = true;
    LiveLookup lookup(fetch_with(script));
    Answers answers;
    for (int i = 0; i < 20; ++i) {
        lookup.lookup("payments", "api", Clock::now() + 5s,
                      [&answers](ServiceAccountLookup result) { answers.add(std::move(result)); });
    }
    ASSERT_TRUE(eventually([&script]() { return script.calls.load() == 1; }));
    script.release();
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 20; }));
    EXPECT_EQ(script.calls.load(), 1);
    for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(answers.at(i).status, LookupStatus::found);
        EXPECT_EQ(answers.at(i).entry->role_arn, "arn:aws:iam::111122223333:role/api");
    }
    EXPECT_EQ(lookup.pending(), 0U);
}

TEST(LiveLookupTest, AWaiterIsAnsweredAtItsDeadlineEvenWhenTheFetchIsSlower) {
    ScriptedFetch script;
    script.hold = true;
    LiveLookup lookup(fetch_with(script));
    std::promise<std::pair<ServiceAccountLookup, Clock::time_point>> answered;
    const auto started = Clock::now();
    lookup.lookup("payments", "api", started + 150ms, [&answered](ServiceAccountLookup result) {
        answered.set_value({std::move(result), Clock::now()});
    });
    auto future = answered.get_future();
    ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
    const auto [result, at] = future.get();
    EXPECT_EQ(result.status, LookupStatus::unknown);
    EXPECT_GE(at - started, 140ms);
    EXPECT_LT(at - started, 600ms);
    script.release();
}

TEST(LiveLookupTest, AFailedFetchDoesNotPoisonTheNextLookup) {
    ScriptedFetch script;
    script.fail = true;
    LiveLookup lookup(fetch_with(script));
    Answers answers;
    const auto collect = [&answers](ServiceAccountLookup result) {
        answers.add(std::move(result));
    };
    lookup.lookup("payments", "api", Clock::now() + 2s, collect);
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 1; }));
    EXPECT_EQ(answers.at(0).status, LookupStatus::unknown);
    // Upstream kept a dead notifier for this key forever; here the next pod fetches again.
    script.fail = false;
    lookup.lookup("payments", "api", Clock::now() + 2s, collect);
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 2; }));
    EXPECT_EQ(answers.at(1).status, LookupStatus::found);
    EXPECT_EQ(script.calls.load(), 2);
}

TEST(LiveLookupTest, NotFoundIsReportedAsAbsent) {
    ScriptedFetch script;
    LiveLookup lookup(fetch_with(script));
    Answers answers;
    lookup.lookup("payments", "ghost", Clock::now() + 2s,
                  [&answers](ServiceAccountLookup result) { answers.add(std::move(result)); });
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 1; }));
    EXPECT_EQ(answers.at(0).status, LookupStatus::absent);
}

TEST(LiveLookupTest, TheWatchAnswersWaitersBeforeTheFetchReturns) {
    ScriptedFetch script;
    script.hold = true;
    LiveLookup lookup(fetch_with(script));
    Answers answers;
    lookup.lookup("payments", "api", Clock::now() + 5s,
                  [&answers](ServiceAccountLookup result) { answers.add(std::move(result)); });
    ASSERT_TRUE(eventually([&script]() { return script.calls.load() == 1; }));
    ServiceAccountEntry entry;
    entry.namespace_ = "payments";
    entry.name = "api";
    entry.role_arn = "from-watch";
    lookup.resolve("payments", "api",
                   {LookupStatus::found, std::make_shared<const ServiceAccountEntry>(entry)});
    ASSERT_EQ(answers.size(), 1U);
    EXPECT_EQ(answers.at(0).entry->role_arn, "from-watch");
    script.release();
    ASSERT_TRUE(eventually([&lookup]() { return lookup.pending() == 0; }));
    EXPECT_EQ(answers.size(), 1U);  // exactly once
}

TEST(LiveLookupTest, FetchesAreRateLimitedWithABurst) {
    ScriptedFetch script;
    LiveLookupOptions options;
    options.rate_per_second = 10;
    options.burst = 5;
    LiveLookup lookup(fetch_with(script), options);
    Answers answers;
    const auto started = Clock::now();
    for (int i = 0; i < 8; ++i) {
        lookup.lookup("ns", "sa-" + std::to_string(i), started + 3s,
                      [&answers](ServiceAccountLookup result) { answers.add(std::move(result)); });
    }
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 8; }, 5s));
    const auto elapsed = Clock::now() - started;
    // 5 at once, then 3 more at 10/s: about 300 ms.
    EXPECT_GE(elapsed, 250ms);
    EXPECT_LT(elapsed, 1500ms);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(answers.at(i).status, LookupStatus::found);
}

TEST(LiveLookupTest, ALookupThatCannotGetATokenBeforeItsDeadlineIsAnsweredWithoutFetching) {
    ScriptedFetch script;
    LiveLookupOptions options;
    options.rate_per_second = 1;
    options.burst = 1;
    LiveLookup lookup(fetch_with(script), options);
    Answers answers;
    const auto collect = [&answers](ServiceAccountLookup result) {
        answers.add(std::move(result));
    };
    lookup.lookup("ns", "first", Clock::now() + 2s, collect);
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 1; }));
    lookup.lookup("ns", "second", Clock::now() + 100ms, collect);
    ASSERT_TRUE(eventually([&answers]() { return answers.size() == 2; }));
    EXPECT_EQ(answers.at(1).status, LookupStatus::unknown);
    EXPECT_EQ(script.calls.load(), 1);
}

TEST(LiveLookupTest, StopAnswersEveryWaiterAndLaterLookupsAtOnce) {
    ScriptedFetch script;
    script.hold = true;
    Answers answers;
    {
        LiveLookup lookup(fetch_with(script));
        const auto collect = [&answers](ServiceAccountLookup result) {
            answers.add(std::move(result));
        };
        lookup.lookup("ns", "a", Clock::now() + 10s, collect);
        lookup.lookup("ns", "b", Clock::now() + 10s, collect);
        ASSERT_TRUE(eventually([&script]() { return script.calls.load() >= 1; }));
        std::thread releaser([&script]() {
            std::this_thread::sleep_for(50ms);
            script.release();
        });
        lookup.stop();
        releaser.join();
        EXPECT_EQ(answers.size(), 2U);
        lookup.lookup("ns", "c", Clock::now() + 10s, collect);
        EXPECT_EQ(answers.size(), 3U);
    }
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(answers.at(i).status, LookupStatus::unknown);
}

TEST(TokenBucketTest, BurstThenSteadyRate) {
    const auto start = Clock::now();
    TokenBucket bucket(10, 2, start);
    EXPECT_EQ(bucket.reserve(start, start + 1s), start);
    EXPECT_EQ(bucket.reserve(start, start + 1s), start);
    const auto third = bucket.reserve(start, start + 1s);
    ASSERT_TRUE(third.has_value());
    EXPECT_NEAR(std::chrono::duration<double>(*third - start).count(), 0.1, 0.001);
    // Not before 50 ms: nothing is reserved.
    EXPECT_EQ(bucket.reserve(start, start + 50ms), std::nullopt);
    const auto fourth = bucket.reserve(start, start + 1s);
    ASSERT_TRUE(fourth.has_value());
    EXPECT_NEAR(std::chrono::duration<double>(*fourth - start).count(), 0.2, 0.001);
}

}  // namespace
}  // namespace piw::identity
