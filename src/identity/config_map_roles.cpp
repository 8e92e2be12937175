#include "pod_identity_webhook/identity/config_map_roles.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

#include "pod_identity_webhook/common/json_text.hpp"
#include "pod_identity_webhook/logging/log.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::identity {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxConfigBytes = 1U << 20U;  // a ConfigMap cannot hold more

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string json_quoted(std::string_view text) {
    return piw::json::quote(text);
}

Status type_error(const std::string& key, std::string_view field, std::string_view expected,
                  const Json& value) {
    return Error{"config: " + json_quoted(key) + ": " + std::string(field) + " must be " +
                 std::string(expected) + ", got " + value.type_name()};
}

// One value object, fields matched case-insensitively like Go's encoding/json; unknown fields
// are ignored and null leaves a field unset.
Status read_role(const std::string& key, const Json& value, ConfigMapRole& role) {
    for (const auto& [field, item] : value.items()) {
        if (item.is_null()) continue;
        if (equals_ignoring_case(field, "RoleARN")) {
            if (!item.is_string()) return type_error(key, "RoleARN", "a string", item);
            role.role_arn = item.get_ref<const std::string&>();
        } else if (equals_ignoring_case(field, "Audience")) {
            if (!item.is_string()) return type_error(key, "Audience", "a string", item);
            const auto& audience = item.get_ref<const std::string&>();
            role.audience = audience.empty() ? std::nullopt : std::optional(audience);
        } else if (equals_ignoring_case(field, "UseRegionalSTS")) {
            if (!item.is_boolean()) return type_error(key, "UseRegionalSTS", "true or false", item);
            role.regional_sts = item.get<bool>();
        } else if (equals_ignoring_case(field, "TokenExpiration")) {
            std::int64_t seconds = 0;
            if (item.is_number_integer() && !item.is_number_unsigned()) {
                seconds = item.get<std::int64_t>();
            } else if (item.is_number_unsigned() &&
                       item.get<std::uint64_t>() <=
                           static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                seconds = static_cast<std::int64_t>(item.get<std::uint64_t>());
            } else {
                return type_error(key, "TokenExpiration", "an integer (seconds)", item);
            }
            role.token_expiration = seconds == 0 ? std::nullopt : std::optional(seconds);
        }
    }
    if (role.token_expiration && *role.token_expiration < mutation::kMinTokenExpiration) {
        // The API server refuses a projected token shorter than 10 minutes: the pod would not
        // start. Upstream passed the value through.
        role.clamped_expiration = role.token_expiration;
        role.token_expiration = mutation::kMinTokenExpiration;
    }
    return Status::success();
}

// "<namespace>/<name>" with exactly one '/', both parts non-empty; "*" as the namespace.
std::optional<std::string> key_problem(const std::string& key) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) return "has no '/' (expected \"<namespace>/<serviceaccount>\")";
    if (key.find('/', slash + 1) != std::string::npos) return "has more than one '/'";
    if (slash == 0) return "has an empty namespace (use \"*\" for any namespace)";
    if (slash + 1 == key.size()) return "has an empty ServiceAccount name";
    return std::nullopt;
}

}  // namespace

Result<ConfigMapRoles> parse_config_map_roles(std::string_view config) {
    if (config.size() > kMaxConfigBytes) {
        return Error{"config: larger than " + std::to_string(kMaxConfigBytes) + " bytes"};
    }
    const Json document = Json::parse(config, nullptr, false);
    if (document.is_discarded()) return Error{"config: not valid JSON"};
    if (!document.is_object()) {
        return Error{std::string("config: must be a JSON object, got ") + document.type_name()};
    }
    ConfigMapRoles roles;
    for (const auto& [key, value] : document.items()) {
        if (auto problem = key_problem(key)) {
            roles.skipped.push_back("key " + json_quoted(key) + " " + *problem);
            continue;
        }
        if (value.is_null()) {
            roles.skipped.push_back("key " + json_quoted(key) + " has a null value");
            continue;
        }
        if (!value.is_object()) {
            return Error{"config: " + json_quoted(key) + ": must be an object, got " +
                         std::string(value.type_name())};
        }
        ConfigMapRole role;
        if (auto status = read_role(key, value, role); !status.ok()) return Error{status.error()};
        roles.by_key.insert_or_assign(key, std::move(role));
    }
    return roles;
}

// ---- RoleTable ----------------------------------------------------------------------------------

void RoleTable::replace(ConfigMapRoles roles) {
    auto replacement = std::make_shared<const ConfigMapRoles>(std::move(roles));
    std::lock_guard lock(mutex_);
    roles_.swap(replacement);
}

void RoleTable::clear() {
    replace(ConfigMapRoles{});
}

std::size_t RoleTable::size() const {
    std::lock_guard lock(mutex_);
    return roles_->by_key.size();
}

std::optional<ConfigMapRole> RoleTable::find(std::string_view namespace_, std::string_view name,
                                             bool wildcard) const {
    std::shared_ptr<const ConfigMapRoles> roles;
    {
        std::lock_guard lock(mutex_);
        roles = roles_;
    }
    if (roles->by_key.empty()) return std::nullopt;
    std::string key(namespace_);
    key += '/';
    key.append(name);
    if (auto it = roles->by_key.find(key); it != roles->by_key.end()) return it->second;
    if (!wildcard) return std::nullopt;
    key = "*/";
    key.append(name);
    if (auto it = roles->by_key.find(key); it != roles->by_key.end()) return it->second;
    return std::nullopt;
}

// ---- ConfigMapRoleSource ------------------------------------------------------------------------

namespace {

kube::ReflectorOptions config_map_reflector(const ConfigMapRoleSource::Options& options) {
    kube::ReflectorOptions reflector;
    reflector.resource = "configmaps";
    reflector.path = "/api/v1/namespaces/" + kube::query_escape(options.namespace_) + "/configmaps";
    reflector.field_selector = "metadata.name=" + std::string(kRoleConfigMapName);
    reflector.decode.keep_data = [](std::string_view key) { return key == kRoleConfigMapKey; };
    reflector.initial_backoff = options.initial_backoff;
    reflector.max_backoff = options.max_backoff;
    reflector.min_watch_timeout = options.min_watch_timeout;
    return reflector;
}

}  // namespace

ConfigMapRoleSource::ConfigMapRoleSource(kube::KubeClient& client, Options options,
                                         metrics::WebhookMetrics* metrics)
    : options_(std::move(options)),
      metrics_(metrics),
      reflector_(client, config_map_reflector(options_), *this) {}

ConfigMapRoleSource::~ConfigMapRoleSource() {
    stop();
}

void ConfigMapRoleSource::start() {
    logging::info("watching ConfigMap for ServiceAccount roles",
                  {{"namespace", options_.namespace_}, {"name", std::string(kRoleConfigMapName)}});
    reflector_.start();
}

void ConfigMapRoleSource::stop() {
    reflector_.stop();
}

std::string ConfigMapRoleSource::describe() const {
    return "ConfigMap " + options_.namespace_ + "/" + std::string(kRoleConfigMapName);
}

void ConfigMapRoleSource::on_list_object(kube::KubeObject object) {
    if (object.name != kRoleConfigMapName) return;
    listed_ = true;
    apply(object);
}

void ConfigMapRoleSource::on_list_end() {
    if (listed_) return;
    if (table_.size() > 0)
        logging::info("ConfigMap not found; its roles are cleared", {{"configmap", describe()}});
    table_.clear();
}

void ConfigMapRoleSource::on_watch_event(kube::WatchEventType type, kube::KubeObject object) {
    if (object.name != kRoleConfigMapName) return;
    if (type == kube::WatchEventType::deleted) {
        // Upstream kept the roles of a deleted ConfigMap until restart (I3).
        logging::info("ConfigMap deleted; its roles are cleared", {{"configmap", describe()}});
        table_.clear();
        return;
    }
    apply(object);
}

void ConfigMapRoleSource::apply(const kube::KubeObject& object) {
    const auto config = std::find_if(object.data.begin(), object.data.end(), [](const auto& item) {
        return item.first == kRoleConfigMapKey;
    });
    if (config == object.data.end()) {
        logging::warn("ConfigMap has no \"config\" key; no roles from it",
                      {{"configmap", describe()}});
        table_.clear();
        if (metrics_ != nullptr) metrics_->record_config_reload("config_map", true);
        return;
    }
    auto roles = parse_config_map_roles(config->second);
    if (metrics_ != nullptr) metrics_->record_config_reload("config_map", roles.ok());
    if (!roles.ok()) {
        logging::error("ConfigMap \"config\" is invalid; keeping the roles loaded before",
                       {{"configmap", describe()}, {"error", roles.error()}});
        return;
    }
    for (const std::string& skipped : roles->skipped) {
        logging::warn("ConfigMap entry skipped", {{"configmap", describe()}, {"reason", skipped}});
    }
    for (const auto& [key, role] : roles->by_key) {
        if (role.clamped_expiration) {
            logging::warn(
                "ConfigMap TokenExpiration below 600 seconds; using 600",
                {{"key", key}, {"TokenExpiration", std::to_string(*role.clamped_expiration)}});
        }
    }
    logging::info("ConfigMap roles loaded", {{"configmap", describe()},
                                             {"resource_version", object.resource_version},
                                             {"roles", std::to_string(roles->by_key.size())}});
    table_.replace(std::move(roles).value());
}

}  // namespace piw::identity
