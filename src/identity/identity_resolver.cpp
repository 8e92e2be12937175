#include "pod_identity_webhook/identity/identity_resolver.hpp"

#include <utility>

#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::identity {
namespace {

constexpr std::string_view kSourceServiceAccount = "ServiceAccount";
constexpr std::string_view kSourceContainerCredentials = "container-credentials config";

// Upstream GetCommonConfigurations' answer when no source knows the ServiceAccount: fixed
// values, not the flags (upstream-behaviour §5.3, quirk 9).
constexpr bool kUnknownRegionalSts = false;
constexpr std::int64_t kUnknownTokenExpiration = mutation::kDefaultTokenExpiration;

}  // namespace

IdentityResolver::IdentityResolver(ServiceAccountSource& service_accounts,
                                   const ContainerCredentialsConfig* container_credentials,
                                   IdentityDefaults defaults)
    : service_accounts_(service_accounts),
      container_credentials_(container_credentials),
      defaults_(std::move(defaults)) {}

std::optional<Identity> IdentityResolver::try_resolve(std::string_view namespace_,
                                                      std::string_view service_account) const {
    if (container_credentials_ != nullptr &&
        container_credentials_->contains(namespace_, service_account)) {
        return container_credentials_identity(namespace_, service_account);
    }
    ServiceAccountLookup lookup = service_accounts_.find(namespace_, service_account);
    if (lookup.status == LookupStatus::unknown) {
        return std::nullopt;
    }
    return from_lookup(namespace_, service_account, lookup);
}

void IdentityResolver::resolve_async(std::string namespace_, std::string service_account,
                                     Clock::time_point deadline,
                                     std::function<void(Identity)> done) {
    if (std::optional<Identity> decided = try_resolve(namespace_, service_account)) {
        done(std::move(*decided));
        return;
    }
    std::string fetch_namespace = namespace_;
    std::string fetch_name = service_account;
    service_accounts_.fetch(std::move(fetch_namespace), std::move(fetch_name), deadline,
                            [this, requested_namespace = std::move(namespace_),
                             requested_name = std::move(service_account),
                             on_done = std::move(done)](const ServiceAccountLookup& lookup) {
                                on_done(from_lookup(requested_namespace, requested_name, lookup));
                            });
}

Identity IdentityResolver::from_lookup(std::string_view /*namespace_*/,
                                       std::string_view /*service_account*/,
                                       const ServiceAccountLookup& lookup) const {
    Identity identity;
    const ServiceAccountEntry* entry =
        lookup.status == LookupStatus::found ? lookup.entry.get() : nullptr;
    if (entry != nullptr) {
        identity.service_account_found = true;
        identity.findings = entry->findings;  // warnings reach the user even without a role
    }
    if (entry != nullptr && !entry->role_arn.empty()) {
        identity.mode = CredentialMode::web_identity;
        identity.role_arn = entry->role_arn;
        identity.audience = entry->audience.value_or(defaults_.token_audience);
        identity.regional_sts = entry->regional_sts.value_or(defaults_.regional_sts);
        identity.token_expiration = entry->token_expiration.value_or(defaults_.token_expiration);
        identity.source = kSourceServiceAccount;
        return identity;
    }
    // The ConfigMap source (--watch-config-map, decision I3) slots in here: upstream consults
    // its "<ns>/<sa>" then "*/<sa>" entry when the ServiceAccount has no non-empty role-arn
    // annotation, and a match counts as found (upstream-behaviour §5.3, §5.4).
    identity.mode = CredentialMode::none;
    return identity;
}

Identity IdentityResolver::container_credentials_identity(std::string_view namespace_,
                                                          std::string_view service_account) const {
    Identity identity;
    identity.mode = CredentialMode::container_credentials;
    identity.service_account_found = true;
    identity.source = kSourceContainerCredentials;
    // Upstream GetCommonConfigurations: the ServiceAccount's values when it is known (annotated
    // or not), else fixed defaults. No waiting for an unknown ServiceAccount in this mode.
    const ServiceAccountLookup lookup = service_accounts_.find(namespace_, service_account);
    if (lookup.status == LookupStatus::found && lookup.entry) {
        const ServiceAccountEntry& entry = *lookup.entry;
        identity.regional_sts = entry.regional_sts.value_or(defaults_.regional_sts);
        identity.token_expiration = entry.token_expiration.value_or(defaults_.token_expiration);
        identity.findings = entry.findings;
        return identity;
    }
    // The ConfigMap's exact "<ns>/<sa>" entry (no "*" wildcard) comes next here, once it exists.
    identity.regional_sts = kUnknownRegionalSts;
    identity.token_expiration = kUnknownTokenExpiration;
    return identity;
}

}  // namespace piw::identity
