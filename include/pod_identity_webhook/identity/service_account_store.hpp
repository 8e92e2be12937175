#pragma once
// The in-memory table of ServiceAccountEntry behind every source: sharded, reader-writer locked,
// entries immutable and shared, so a request copies a pointer and never waits on a writer for long.
// Most ServiceAccounts of a cluster carry nothing the webhook reads; they all share one empty
// entry (`plain_entry()`, whose namespace and name are empty), so each costs only its map node —
// what keeps 100,000 ServiceAccounts within a few MiB.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pod_identity_webhook/identity/service_account.hpp"

namespace piw::identity {

class ServiceAccountStore {
  public:
    using EntryPtr = std::shared_ptr<const ServiceAccountEntry>;

    [[nodiscard]] EntryPtr find(std::string_view namespace_, std::string_view name) const;
    // Returns the stored entry (plain_entry() for a ServiceAccount without annotations).
    EntryPtr upsert(ServiceAccountEntry entry);
    // Returns true when an entry was removed.
    bool erase(std::string_view namespace_, std::string_view name);
    // Replaces the whole content (file reload, relist).
    void replace_all(std::vector<ServiceAccountEntry> entries);
    void clear();
    // Removes every entry whose "<namespace>/<name>" key `keep` rejects; returns how many.
    std::size_t erase_unless(const std::function<bool(const std::string& key)>& keep);
    [[nodiscard]] std::size_t size() const;
    // Sorted by namespace/name; plain ServiceAccounts get a named copy here.
    [[nodiscard]] std::vector<EntryPtr> entries() const;
    static const EntryPtr& plain_entry();

  private:
    static constexpr std::size_t kShards = 16;

    // Lookups hash "<namespace>/<name>" piecewise, so find() builds no key string.
    struct NamespacedName {
        std::string_view namespace_;
        std::string_view name;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const;
        std::size_t operator()(const NamespacedName& key) const;
    };
    struct KeyEqual {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const { return a == b; }
        bool operator()(const NamespacedName& a, std::string_view b) const;
        bool operator()(std::string_view a, const NamespacedName& b) const { return (*this)(b, a); }
    };
    using Map = std::unordered_map<std::string, EntryPtr, KeyHash, KeyEqual>;  // "<ns>/<name>"

    struct Shard {
        mutable std::shared_mutex mutex;
        Map entries;
    };
    static std::size_t shard_index(std::size_t hash);
    std::array<Shard, kShards> shards_;
};

}  // namespace piw::identity
