#pragma once
// Combines the sources in upstream's fixed precedence (upstream-behaviour §2.3, §3.4, §5.3):
// container-credentials config first, then the ServiceAccount's role-arn annotation, then the
// ConfigMap's "<ns>/<sa>" and "*/<sa>" roles. Defaults for audience, regional STS and expiration
// come from the flags.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "pod_identity_webhook/identity/config_map_roles.hpp"
#include "pod_identity_webhook/identity/container_credentials_config.hpp"
#include "pod_identity_webhook/identity/service_account_source.hpp"
#include "pod_identity_webhook/mutation/identity.hpp"

namespace piw::identity {

struct IdentityDefaults {
    std::string token_audience = "sts.amazonaws.com";  // --token-audience
    bool regional_sts = false;                         // --sts-regional-endpoint
    std::int64_t token_expiration = 86400;             // --token-expiration, already >= 600
};

class IdentityResolver {
  public:
    using Clock = std::chrono::steady_clock;

    // `container_credentials` and `config_map_roles` may be null (features off). The references
    // must outlive the resolver.
    IdentityResolver(ServiceAccountSource& service_accounts,
                     const ContainerCredentialsConfig* container_credentials,
                     IdentityDefaults defaults, const RoleMapping* config_map_roles = nullptr);

    // Decides from what the sources hold, without waiting. std::nullopt: the ServiceAccount is
    // not known yet and resolve_async() may still find it.
    [[nodiscard]] std::optional<Identity> try_resolve(std::string_view namespace_,
                                                      std::string_view service_account) const;

    // For a ServiceAccount try_resolve() could not decide: asks the source to fetch it and calls
    // `done` exactly once (possibly on another thread) by `deadline`. When try_resolve() decides,
    // `done` runs inline. The resolver must outlive pending fetches.
    void resolve_async(std::string namespace_, std::string service_account,
                       Clock::time_point deadline, std::function<void(Identity)> done);

    // Builds the identity from a lookup result (shared by both paths; public for tests).
    [[nodiscard]] Identity from_lookup(std::string_view namespace_,
                                       std::string_view service_account,
                                       const ServiceAccountLookup& lookup) const;

    [[nodiscard]] const IdentityDefaults& defaults() const { return defaults_; }

  private:
    // Container-credentials mode: regional STS and expiration as upstream GetCommonConfigurations.
    [[nodiscard]] Identity container_credentials_identity(std::string_view namespace_,
                                                          std::string_view service_account) const;

    ServiceAccountSource& service_accounts_;
    [[nodiscard]] std::optional<Identity> config_map_identity(
        std::string_view namespace_, std::string_view service_account) const;

    const ContainerCredentialsConfig* container_credentials_;
    IdentityDefaults defaults_;
    const RoleMapping* config_map_roles_;
};

}  // namespace piw::identity
