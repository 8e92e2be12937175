#include "pod_identity_webhook/identity/static_service_account_source.hpp"

namespace piw::identity {

StaticServiceAccountSource::StaticServiceAccountSource(std::vector<ServiceAccountEntry> entries,
                                                       std::string description)
    : description_(std::move(description)) {
    store_.replace_all(std::move(entries));
}

ServiceAccountLookup StaticServiceAccountSource::find(std::string_view namespace_,
                                                      std::string_view name) const {
    auto entry = store_.find(namespace_, name);
    if (!entry) return {LookupStatus::absent, nullptr};
    return {LookupStatus::found, std::move(entry)};
}

void StaticServiceAccountSource::fetch(std::string namespace_, std::string name,
                                       Clock::time_point /*deadline*/, FetchCallback done) {
    done(find(namespace_, name));
}

std::vector<std::shared_ptr<const ServiceAccountEntry>> StaticServiceAccountSource::entries()
    const {
    return store_.entries();
}

std::size_t StaticServiceAccountSource::size() const {
    return store_.size();
}

void StaticServiceAccountSource::clear() {
    store_.clear();
}

}  // namespace piw::identity
