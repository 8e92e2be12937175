#pragma once
// What the kubelet does for a container of a (patched) pod, as far as AWS credentials go:
//
// - the process environment is the container's literal `env` entries (`valueFrom` entries need
//   the API server and are left out; the webhook only ever adds literal values);
// - each projected `serviceAccountToken` volume the container mounts is a freshly issued token:
//   a JWT signed by the cluster's service-account key (header: RS256 and the key's kid), with
//   `iss`, `sub` = system:serviceaccount:<ns>:<sa>, `aud` = the source's `audience`, `exp` =
//   now + `expirationSeconds`, `iat`, `nbf` and the `kubernetes.io` block, written to
//   `<mountPath>/<path>`.
//
// The one liberty taken: there is no mount namespace, so each container gets its own root
// directory `<root>/<container>/` and the token lands at `<root>/<container>/<mountPath>/<path>`.
// Env values that are paths inside one of the container's volume mounts (the webhook's
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) are rewritten to the
// same place under that root — exactly what the container's view of the filesystem would
// resolve them to. Nothing else is changed.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "crypto.hpp"

namespace piw::e2e {

using Environment = std::vector<std::pair<std::string, std::string>>;

struct ProjectedToken {
    std::string volume;
    std::string audience;
    long long expiration_seconds = 0;
    std::filesystem::path container_path;  // mountPath/path, as the container sees it
    std::filesystem::path host_path;       // where it was written
    std::string token;                     // the file's content
    Json claims;
};

struct PreparedContainer {
    Environment environment;  // literal env entries, token paths rewritten (see above)
    std::vector<ProjectedToken> tokens;
};

class FakeKubelet {
  public:
    // Signs tokens with `key`, their header naming `kid` (the kid the issuer's JWKS lists for
    // the key), claiming `issuer`; roots containers under `root`.
    FakeKubelet(const RsaSigningKey& key, std::string kid, std::string issuer,
                std::filesystem::path root);

    // The container (from `containers` or `initContainers`) named `container` of `pod`, in
    // `namespace_`. Throws std::runtime_error if there is no such container.
    PreparedContainer prepare(const Json& pod, const std::string& namespace_,
                              const std::string& container) const;

  private:
    [[nodiscard]] Json claims_for(const Json& pod, const std::string& namespace_,
                                  const std::string& audience, long long expiration_seconds) const;

    const RsaSigningKey& key_;
    std::string kid_;
    std::string issuer_;
    std::filesystem::path root_;
};

// The names of every container and init container of `pod`, in order.
std::vector<std::string> container_names(const Json& pod);

}  // namespace piw::e2e
