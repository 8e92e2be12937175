#include "pod_identity_webhook/identity/service_account_store.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <utility>

namespace piw::identity {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= kFnvPrime;
    }
    return hash;
}

// MurmurHash3's finaliser: FNV-1a leaves the high bits (which pick the shard) poorly mixed.
std::size_t finish(std::uint64_t hash) {
    hash ^= hash >> 33U;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33U;
    hash *= 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 33U;
    return static_cast<std::size_t>(hash);
}

bool by_namespace_then_name(const ServiceAccountStore::EntryPtr& a,
                            const ServiceAccountStore::EntryPtr& b) {
    if (a->namespace_ != b->namespace_) {
        return a->namespace_ < b->namespace_;
    }
    return a->name < b->name;
}

// Nothing the webhook reads: no annotation under the prefix, no near miss.
bool is_plain(const ServiceAccountEntry& entry) {
    return entry.role_arn.empty() && !entry.audience && !entry.regional_sts &&
           !entry.token_expiration && entry.findings.near_miss_keys.empty() &&
           !entry.findings.role_arn_invalid && !entry.findings.clamped_expiration;
}

}  // namespace

const ServiceAccountStore::EntryPtr& ServiceAccountStore::plain_entry() {
    static const EntryPtr plain = std::make_shared<const ServiceAccountEntry>();
    return plain;
}

std::size_t ServiceAccountStore::KeyHash::operator()(std::string_view key) const {
    return finish(fnv1a(kFnvOffset, key));
}

std::size_t ServiceAccountStore::KeyHash::operator()(const NamespacedName& key) const {
    return finish(fnv1a(fnv1a(fnv1a(kFnvOffset, key.namespace_), "/"), key.name));
}

bool ServiceAccountStore::KeyEqual::operator()(const NamespacedName& a, std::string_view b) const {
    return b.size() == a.namespace_.size() + 1 + a.name.size() && b.starts_with(a.namespace_) &&
           b[a.namespace_.size()] == '/' && b.ends_with(a.name);
}

std::size_t ServiceAccountStore::shard_index(std::size_t hash) {
    return (hash >> 56U) % kShards;
}

ServiceAccountStore::EntryPtr ServiceAccountStore::find(std::string_view namespace_,
                                                        std::string_view name) const {
    const NamespacedName key{namespace_, name};
    const Shard& shard = shards_[shard_index(KeyHash{}(key))];
    std::shared_lock lock(shard.mutex);
    const auto it = shard.entries.find(key);
    return it == shard.entries.end() ? nullptr : it->second;
}

ServiceAccountStore::EntryPtr ServiceAccountStore::upsert(ServiceAccountEntry entry) {
    std::string key = service_account_key(entry.namespace_, entry.name);
    EntryPtr shared = is_plain(entry)
                          ? plain_entry()
                          : std::make_shared<const ServiceAccountEntry>(std::move(entry));
    Shard& shard = shards_[shard_index(KeyHash{}(key))];
    EntryPtr previous;  // released outside the lock
    std::unique_lock lock(shard.mutex);
    auto [it, inserted] = shard.entries.try_emplace(std::move(key), shared);
    if (!inserted) {
        previous = std::exchange(it->second, shared);
    }
    return shared;
}

bool ServiceAccountStore::erase(std::string_view namespace_, std::string_view name) {
    const NamespacedName key{namespace_, name};
    Shard& shard = shards_[shard_index(KeyHash{}(key))];
    EntryPtr previous;
    std::unique_lock lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
        return false;
    }
    previous = std::move(it->second);
    shard.entries.erase(it);
    return true;
}

void ServiceAccountStore::replace_all(std::vector<ServiceAccountEntry> entries) {
    std::array<Map, kShards> replacement;
    for (ServiceAccountEntry& entry : entries) {
        std::string key = service_account_key(entry.namespace_, entry.name);
        Map& map = replacement[shard_index(KeyHash{}(key))];
        EntryPtr shared = is_plain(entry)
                              ? plain_entry()
                              : std::make_shared<const ServiceAccountEntry>(std::move(entry));
        map.insert_or_assign(std::move(key), std::move(shared));
    }
    // All shards change together, so a reader never sees half of the old content and half of
    // the new. The old maps are freed after the locks are released.
    std::array<std::unique_lock<std::shared_mutex>, kShards> locks;
    for (std::size_t i = 0; i < kShards; ++i) {
        locks[i] = std::unique_lock(shards_[i].mutex);
    }
    for (std::size_t i = 0; i < kShards; ++i) {
        shards_[i].entries.swap(replacement[i]);
    }
    for (auto& lock : locks) {
        lock.unlock();
    }
}

std::size_t ServiceAccountStore::erase_unless(
    const std::function<bool(const std::string& key)>& keep) {
    std::size_t erased = 0;
    for (Shard& shard : shards_) {
        std::vector<EntryPtr> removed;  // released outside the lock
        std::unique_lock lock(shard.mutex);
        for (auto it = shard.entries.begin(); it != shard.entries.end();) {
            if (keep(it->first)) {
                ++it;
                continue;
            }
            removed.push_back(std::move(it->second));
            it = shard.entries.erase(it);
        }
        lock.unlock();
        erased += removed.size();
    }
    return erased;
}

void ServiceAccountStore::clear() {
    replace_all({});
}

std::size_t ServiceAccountStore::size() const {
    std::size_t total = 0;
    for (const Shard& shard : shards_) {
        std::shared_lock lock(shard.mutex);
        total += shard.entries.size();
    }
    return total;
}

std::vector<ServiceAccountStore::EntryPtr> ServiceAccountStore::entries() const {
    std::vector<EntryPtr> out;
    for (const Shard& shard : shards_) {
        std::shared_lock lock(shard.mutex);
        for (const auto& [key, entry] : shard.entries) {
            if (entry != plain_entry()) {
                out.push_back(entry);
                continue;
            }
            // The shared plain entry has no name: give the listing one of its own.
            auto named = std::make_shared<ServiceAccountEntry>();
            const auto slash = key.find('/');
            named->namespace_ = key.substr(0, slash);
            named->name = key.substr(slash + 1);
            out.push_back(std::move(named));
        }
    }
    std::sort(out.begin(), out.end(), by_namespace_then_name);
    return out;
}

}  // namespace piw::identity
