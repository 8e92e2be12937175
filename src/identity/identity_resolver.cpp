#include "pod_identity_webhook/identity/identity_resolver.hpp"

#include <utility>

#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::identity {
namespace {

constexpr std::string_view kSourceServiceAccount = "ServiceAccount";
constexpr std::string_view kSourceContainerCredentials = "container-credentials config";
constexpr std::string_view kSourceConfigMap = "ConfigMap";

// Upstream GetCommonConfigurations' answer when no source knows the ServiceAccount: fixed
// values, not the flags (upstream-behaviour §5.3, quirk 9).
constexpr bool kUnknownRegionalSts = false;
constexpr std::int64_t kUnknownTokenExpiration = mutation::kDefaultTokenExpiration;

// Web identity from a source's role, the flags filling in what the source leaves open. Works for
// a ServiceAccountEntry and a ConfigMapRole alike.
template <class Role>
void set_web_identity(Identity& identity, const Role& role, const IdentityDefaults& defaults,
                      std::string_view source) {
    identity.mode = CredentialMode::web_identity;
    identity.role_arn = role.role_arn;
    identity.audience = role.audience.value_or(defaults.token_audience);
    identity.regional_sts = role.regional_sts.value_or(defaults.regional_sts);
    identity.token_expiration = role.token_expiration.value_or(defaults.token_expiration);
    identity.source = source;
}

}  // namespace

IdentityResolver::IdentityResolver(ServiceAccountSource& service_accounts,
                                   const ContainerCredentialsConfig* container_credentials,
                                   IdentityDefaults defaults, const RoleMapping* config_map_roles)
    : service_accounts_(service_accounts),
      container_credentials_(container_credentials),
      defaults_(std::move(defaults)),
      config_map_roles_(config_map_roles) {}

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

Identity IdentityResolver::from_lookup(std::string_view namespace_,
                                       std::string_view service_account,
                                       const ServiceAccountLookup& lookup) const {
    Identity identity;
    const ServiceAccountEntry* entry =
        lookup.status == LookupStatus::found ? lookup.entry.get() : nullptr;
    if (entry != nullptr) {
        identity.service_account_found = true;
        identity.findings = entry->findings;  // warnings reach the user even without a role
    }
    if (entry != nullptr && !entry->role_arn.empty()) {
        set_web_identity(identity, *entry, defaults_, kSourceServiceAccount);
        return identity;
    }
    // Upstream consults the ConfigMap when the ServiceAccount has no non-empty role-arn
    // annotation, known or not, and a match counts as found (upstream-behaviour §5.3, §5.4).
    if (auto from_config_map = config_map_identity(namespace_, service_account)) {
        // The ServiceAccount's own findings (a near-miss annotation) still deserve a warning.
        from_config_map->findings.near_miss_keys = std::move(identity.findings.near_miss_keys);
        from_config_map->findings.role_arn_invalid = identity.findings.role_arn_invalid;
        return std::move(*from_config_map);
    }
    identity.mode = CredentialMode::none;
    return identity;
}

std::optional<Identity> IdentityResolver::config_map_identity(
    std::string_view namespace_, std::string_view service_account) const {
    if (config_map_roles_ == nullptr) return std::nullopt;
    auto role = config_map_roles_->find(namespace_, service_account, /*wildcard=*/true);
    if (!role) return std::nullopt;
    Identity identity;
    identity.service_account_found = true;
    if (role->role_arn.empty()) {
        // Upstream: an entry without a RoleARN is "found" but gives no credentials.
        identity.mode = CredentialMode::none;
        return identity;
    }
    set_web_identity(identity, *role, defaults_, kSourceConfigMap);
    identity.findings.clamped_expiration = role->clamped_expiration;
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
    // Then the ConfigMap's exact "<ns>/<sa>" entry (no "*" wildcard, as upstream).
    if (config_map_roles_ != nullptr) {
        if (auto role = config_map_roles_->find(namespace_, service_account, /*wildcard=*/false)) {
            identity.regional_sts = role->regional_sts.value_or(defaults_.regional_sts);
            identity.token_expiration = role->token_expiration.value_or(defaults_.token_expiration);
            return identity;
        }
    }
    identity.regional_sts = kUnknownRegionalSts;
    identity.token_expiration = kUnknownTokenExpiration;
    return identity;
}

}  // namespace piw::identity
