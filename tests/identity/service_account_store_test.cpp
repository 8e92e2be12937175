#include "pod_identity_webhook/identity/service_account_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace piw::identity {
namespace {

ServiceAccountEntry make_entry(std::string namespace_, std::string name, std::string role = "") {
    ServiceAccountEntry entry;
    entry.namespace_ = std::move(namespace_);
    entry.name = std::move(name);
    entry.role_arn = std::move(role);
    return entry;
}

std::vector<std::string> keys_of(const std::vector<ServiceAccountStore::EntryPtr>& entries) {
    std::vector<std::string> keys;
    for (const auto& entry : entries) {
        keys.push_back(service_account_key(entry->namespace_, entry->name));
    }
    return keys;
}

TEST(ServiceAccountStoreTest, FindsWhatWasUpsertedAndNothingElse) {
    ServiceAccountStore store;
    store.upsert(make_entry("payments", "api", "role-a"));
    const auto found = store.find("payments", "api");
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->role_arn, "role-a");
    EXPECT_EQ(store.find("payments", "web"), nullptr);
    EXPECT_EQ(store.find("other", "api"), nullptr);
    // "<ns>/<name>" pieces must match exactly, not just the concatenation.
    EXPECT_EQ(store.find("payments/api", ""), nullptr);
    EXPECT_EQ(store.find("", "payments/api"), nullptr);
    EXPECT_EQ(store.find("payment", "s/api"), nullptr);
}

TEST(ServiceAccountStoreTest, UpsertReplacesButReadersKeepTheirSnapshot) {
    ServiceAccountStore store;
    store.upsert(make_entry("ns", "sa", "old"));
    const auto before = store.find("ns", "sa");
    store.upsert(make_entry("ns", "sa", "new"));
    EXPECT_EQ(before->role_arn, "old");
    EXPECT_EQ(store.find("ns", "sa")->role_arn, "new");
    EXPECT_EQ(store.size(), 1U);
}

TEST(ServiceAccountStoreTest, EraseReportsWhetherSomethingWasRemoved) {
    ServiceAccountStore store;
    store.upsert(make_entry("ns", "sa"));
    EXPECT_TRUE(store.erase("ns", "sa"));
    EXPECT_FALSE(store.erase("ns", "sa"));
    EXPECT_EQ(store.find("ns", "sa"), nullptr);
    EXPECT_EQ(store.size(), 0U);
}

TEST(ServiceAccountStoreTest, ReplaceAllSwapsTheWholeContentAndLastDuplicateWins) {
    ServiceAccountStore store;
    store.upsert(make_entry("old", "gone"));
    store.replace_all({make_entry("b", "x", "first"), make_entry("a", "y"),
                       make_entry("b", "x", "second"), make_entry("a", "b-z")});
    EXPECT_EQ(store.find("old", "gone"), nullptr);
    EXPECT_EQ(store.size(), 3U);
    EXPECT_EQ(store.find("b", "x")->role_arn, "second");
    EXPECT_THAT(keys_of(store.entries()), ::testing::ElementsAre("a/b-z", "a/y", "b/x"));
    store.clear();
    EXPECT_EQ(store.size(), 0U);
    EXPECT_TRUE(store.entries().empty());
}

TEST(ServiceAccountStoreTest, EntriesAreSortedByNamespaceThenName) {
    ServiceAccountStore store;
    // Sorting by the "<ns>/<name>" string would put "a-b/x" before "a/x".
    for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
             {"a-b", "x"}, {"a", "x"}, {"a", "a"}, {"kube-system", "coredns"}}) {
        store.upsert(make_entry(ns, name));
    }
    EXPECT_THAT(keys_of(store.entries()),
                ::testing::ElementsAre("a/a", "a/x", "a-b/x", "kube-system/coredns"));
}

TEST(ServiceAccountStoreTest, ManyEntriesSpreadOverShards) {
    ServiceAccountStore store;
    std::vector<ServiceAccountEntry> entries;
    for (int i = 0; i < 2000; ++i) {
        entries.push_back(make_entry("ns-" + std::to_string(i % 37), "sa-" + std::to_string(i),
                                     "role-" + std::to_string(i)));
    }
    store.replace_all(std::move(entries));
    EXPECT_EQ(store.size(), 2000U);
    for (int i = 0; i < 2000; ++i) {
        const auto found = store.find("ns-" + std::to_string(i % 37), "sa-" + std::to_string(i));
        ASSERT_NE(found, nullptr) << i;
        EXPECT_EQ(found->role_arn, "role-" + std::to_string(i));
    }
}

// Readers run while a writer upserts, erases and replaces; every entry a reader sees must be
// whole and belong to the key it asked for (run under -fsanitize=thread/address for more).
TEST(ServiceAccountStoreTest, ConcurrentReadersAndWriterSmokeTest) {
    ServiceAccountStore store;
    constexpr int kKeys = 64;
    std::atomic<bool> stop{false};
    std::atomic<long> mismatches{0};
    std::atomic<long> hits{0};
    auto reader = [&store, &stop, &mismatches, &hits] {
        while (!stop.load(std::memory_order_relaxed)) {
            for (int i = 0; i < kKeys; ++i) {
                const std::string name = "sa-" + std::to_string(i);
                const auto entry = store.find("ns", name);
                if (!entry) {
                    continue;
                }
                hits.fetch_add(1, std::memory_order_relaxed);
                if (entry->name != name || !entry->role_arn.ends_with("/" + name)) {
                    mismatches.fetch_add(1, std::memory_order_relaxed);
                }
            }
            (void)store.size();
        }
    };
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i) {
        readers.emplace_back(reader);
    }
    for (int round = 0; round < 300; ++round) {
        const std::string generation = std::to_string(round);
        for (int i = 0; i < kKeys; ++i) {
            const std::string name = "sa-" + std::to_string(i);
            store.upsert(make_entry("ns", name, "gen" + generation + "/" + name));
        }
        for (int i = 0; i < kKeys; i += 3) {
            store.erase("ns", "sa-" + std::to_string(i));
        }
        if (round % 10 == 0) {
            std::vector<ServiceAccountEntry> all;
            for (int i = 0; i < kKeys; ++i) {
                const std::string name = "sa-" + std::to_string(i);
                all.push_back(make_entry("ns", name, "bulk" + generation + "/" + name));
            }
            store.replace_all(std::move(all));
        }
    }
    stop = true;
    for (auto& thread : readers) {
        thread.join();
    }
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_GT(hits.load(), 0);
    EXPECT_EQ(store.size(), static_cast<std::size_t>(kKeys - (kKeys + 2) / 3));
}

}  // namespace
}  // namespace piw::identity
