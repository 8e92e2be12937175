#pragma once
// A fixed, authoritative set of ServiceAccounts held in memory: what `mutate` builds from its
// --service-accounts-file and the ServiceAccounts found in the manifests, and a handy source for
// tests. A ServiceAccount not in the set is absent.

#include <string>
#include <vector>

#include "pod_identity_webhook/identity/service_account_source.hpp"
#include "pod_identity_webhook/identity/service_account_store.hpp"

namespace piw::identity {

class StaticServiceAccountSource final : public ServiceAccountSource {
  public:
    StaticServiceAccountSource(std::vector<ServiceAccountEntry> entries, std::string description);

    ServiceAccountLookup find(std::string_view namespace_, std::string_view name) const override;
    void fetch(std::string namespace_, std::string name, Clock::time_point deadline,
               FetchCallback done) override;
    bool synced() const override { return true; }
    std::vector<std::shared_ptr<const ServiceAccountEntry>> entries() const override;
    std::size_t size() const override;
    void clear() override;
    std::string describe() const override { return description_; }

  private:
    ServiceAccountStore store_;
    std::string description_;
};

}  // namespace piw::identity
