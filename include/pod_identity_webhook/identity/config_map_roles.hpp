#pragma once
// --watch-config-map (decision I3, upstream-behaviour §5.4): roles for ServiceAccounts listed in
// the ConfigMap "pod-identity-webhook" of --namespace, key "config", a JSON object
//   {"<namespace>/<serviceaccount>": {"RoleARN": "...", "Audience": "...",
//                                      "UseRegionalSTS": true, "TokenExpiration": 3600}, ...}
// where the namespace may be "*" (any namespace). Field names match case-insensitively (Go's
// encoding/json). Unlike upstream: a key without '/' is skipped and logged (upstream crashed),
// deleting the ConfigMap clears its roles, and a missing Audience, UseRegionalSTS or
// TokenExpiration falls back to the flags (the resolver applies them).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/kube/reflector.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

namespace piw::identity {

inline constexpr std::string_view kRoleConfigMapName = "pod-identity-webhook";
inline constexpr std::string_view kRoleConfigMapKey = "config";

struct ConfigMapRole {
    std::string role_arn;
    std::optional<std::string> audience;             // absent or "" → --token-audience
    std::optional<bool> regional_sts;                // absent → --sts-regional-endpoint
    std::optional<std::int64_t> token_expiration;    // absent or 0 → --token-expiration; >= 600
    std::optional<std::int64_t> clamped_expiration;  // the raw value when it was below 600
};

struct ConfigMapRoles {
    std::unordered_map<std::string, ConfigMapRole> by_key;  // "<ns>/<sa>" or "*/<sa>"
    std::vector<std::string> skipped;                       // why each skipped key was skipped
};

// Parses the "config" value. Invalid JSON or a field of the wrong type rejects the whole text
// (like Go's json.Unmarshal); a bad key only skips that key.
Result<ConfigMapRoles> parse_config_map_roles(std::string_view config);

// Where the resolver looks up roles by ServiceAccount (an interface so tests can fake it).
class RoleMapping {
  public:
    virtual ~RoleMapping() = default;
    // The role for exactly "<namespace>/<name>", else (when `wildcard`) for "*/<name>".
    [[nodiscard]] virtual std::optional<ConfigMapRole> find(std::string_view namespace_,
                                                            std::string_view name,
                                                            bool wildcard) const = 0;
};

// A RoleMapping with fixed content (tests, and the holder inside the ConfigMap source).
class RoleTable final : public RoleMapping {
  public:
    void replace(ConfigMapRoles roles);
    void clear();
    [[nodiscard]] std::size_t size() const;
    std::optional<ConfigMapRole> find(std::string_view namespace_, std::string_view name,
                                      bool wildcard) const override;

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const ConfigMapRoles> roles_ = std::make_shared<const ConfigMapRoles>();
};

// Watches the ConfigMap through the API and keeps a RoleTable in step with it.
class ConfigMapRoleSource final : public RoleMapping, private kube::ReflectorHandler {
  public:
    struct Options {
        std::string namespace_;  // --namespace
        std::chrono::milliseconds initial_backoff{250};
        std::chrono::milliseconds max_backoff{30000};
        std::chrono::seconds min_watch_timeout{300};
    };
    ConfigMapRoleSource(kube::KubeClient& client, Options options,
                        metrics::WebhookMetrics* metrics);
    ~ConfigMapRoleSource() override;

    void start();
    void stop();
    [[nodiscard]] bool synced() const { return reflector_.synced(); }
    [[nodiscard]] std::string last_error() const { return reflector_.last_error(); }
    [[nodiscard]] std::string describe() const;
    [[nodiscard]] std::size_t size() const { return table_.size(); }
    void clear() { table_.clear(); }

    std::optional<ConfigMapRole> find(std::string_view namespace_, std::string_view name,
                                      bool wildcard) const override {
        return table_.find(namespace_, name, wildcard);
    }

  private:
    void on_list_begin() override { listed_ = false; }
    void on_list_object(kube::KubeObject object) override;
    void on_list_end() override;
    void on_watch_event(kube::WatchEventType type, kube::KubeObject object) override;
    void apply(const kube::KubeObject& object);

    Options options_;
    metrics::WebhookMetrics* metrics_;
    RoleTable table_;
    bool listed_ = false;
    kube::Reflector reflector_;
};

}  // namespace piw::identity
