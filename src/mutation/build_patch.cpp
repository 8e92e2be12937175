#include "pod_identity_webhook/mutation/build_patch.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <set>

#include "mutation/warnings.hpp"
#include "pod_identity_webhook/common/go_compat.hpp"
#include "pod_identity_webhook/common/json_text.hpp"

namespace piw::mutation {
namespace {

// The environment variables the webhook may add, in upstream's order (upstream-behaviour §3.5.1).
enum EnvSlot : std::uint32_t {
    kStsSlot,            // AWS_STS_REGIONAL_ENDPOINTS
    kDefaultRegionSlot,  // AWS_DEFAULT_REGION
    kRegionSlot,         // AWS_REGION
    kCredentialSlot,     // AWS_ROLE_ARN or AWS_CONTAINER_CREDENTIALS_FULL_URI
    kTokenFileSlot,      // AWS_WEB_IDENTITY_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    kSlotCount,
};

// Everything that differs between the two credential modes, resolved once per pod. Every
// container gets the same values, so their JSON is rendered here once, not per container.
struct CredentialPlan {
    CredentialMode mode = CredentialMode::none;
    std::string_view volume_name;
    std::string_view mount_path;
    std::string_view token_path;
    std::string_view audience;
    std::int64_t expiration = kDefaultTokenExpiration;
    std::string token_file;                        // what AWS_*_TOKEN_FILE points at
    std::array<std::string, kSlotCount> env_json;  // {"name":..,"value":..} per slot
    std::string mount_json;                        // the volumeMount object
};

// Writes a JSON Patch array of "add" operations. Paths are built by the webhook from constant
// parts and indexes, so they need no escaping.
class PatchWriter {
  public:
    PatchWriter() { text_.reserve(2048); }

    void begin(std::string_view path, std::size_t index = kNoIndex, std::string_view suffix = {}) {
        text_.append(text_.empty() ? R"([{"op":"add","path":")" : R"(,{"op":"add","path":")");
        text_.append(path);
        if (index != kNoIndex) text_.append(std::to_string(index));
        text_.append(suffix);
        text_.append(R"(","value":)");
    }
    void value(std::string_view json) { text_.append(json); }
    void end() { text_.push_back('}'); }
    void add(std::string_view path, std::string_view value_json) {
        begin(path);
        value(value_json);
        end();
    }
    // An element of /spec/<list>/<index><suffix>.
    void add_to_list(std::string_view list, std::size_t index, std::string_view suffix,
                     std::string_view value_json) {
        begin(list, index, suffix);
        value(value_json);
        end();
    }
    [[nodiscard]] bool empty() const { return text_.empty(); }
    std::string finish() && {
        if (!text_.empty()) text_.push_back(']');
        return std::move(text_);
    }

    static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  private:
    std::string text_;
};

std::string env_var_json(std::string_view name, std::string_view value) {
    std::string out = R"({"name":")";
    out.append(name);  // our own constant names
    out.push_back('"');
    if (!value.empty()) {  // Go's omitempty, as upstream serialises it
        out.append(R"(,"value":)");
        json::append_string(out, value);
    }
    out.push_back('}');
    return out;
}

std::string volume_mount_json(const CredentialPlan& plan) {
    std::string out = R"({"name":)";
    json::append_string(out, plan.volume_name);
    out.append(R"(,"readOnly":true,"mountPath":)");
    json::append_string(out, plan.mount_path);
    out.push_back('}');
    return out;
}

std::string volume_json(const CredentialPlan& plan) {
    std::string out = R"({"name":)";
    json::append_string(out, plan.volume_name);
    out.append(R"(,"projected":{"sources":[{"serviceAccountToken":{)");
    if (!plan.audience.empty()) {
        out.append(R"("audience":)");
        json::append_string(out, plan.audience);
        out.push_back(',');
    }
    out.append(R"("expirationSeconds":)");
    out.append(std::to_string(plan.expiration));
    out.append(R"(,"path":)");
    json::append_string(out, plan.token_path);
    out.append("}}]}}");
    return out;
}

// Upstream addEnvToContainer (upstream-behaviour §3.5.1): which env slots to append to one
// container, or none at all when the early-exit rule applies.
struct ContainerPlan {
    std::uint32_t env_slots = 0;  // bit per EnvSlot
    bool add_mount = false;
};

constexpr std::uint32_t slot_bit(EnvSlot slot) {
    return 1U << slot;
}

ContainerPlan plan_container(const ContainerFacts& container, const CredentialPlan& plan,
                             const Identity& identity, const MutationSettings& settings) {
    const std::uint32_t flags = container.env_flags;
    const bool web_identity_defined = (flags & (kEnvRoleArn | kEnvWebIdentityTokenFile)) != 0;
    const bool container_credentials_defined =
        (flags & (kEnvContainerCredentialsUri | kEnvContainerAuthTokenFile)) != 0;
    const bool region_defined = (flags & (kEnvRegion | kEnvDefaultRegion)) != 0;
    const bool regional_sts_defined = (flags & kEnvStsRegionalEndpoints) != 0;
    const bool credentials_defined = plan.mode == CredentialMode::container_credentials
                                         ? container_credentials_defined
                                         : web_identity_defined;
    ContainerPlan out;
    // Early exit: evaluated whatever region/STS injection is configured; the container then gets
    // no volume mount either (upstream fixture rawPodHasAll).
    if (credentials_defined && region_defined && regional_sts_defined) return out;

    if (!regional_sts_defined && identity.regional_sts) out.env_slots |= slot_bit(kStsSlot);
    if (!region_defined && !settings.aws_default_region.empty()) {
        out.env_slots |= slot_bit(kDefaultRegionSlot) | slot_bit(kRegionSlot);
    }
    if (!credentials_defined) {
        out.env_slots |= slot_bit(kCredentialSlot) | slot_bit(kTokenFileSlot);
    }
    out.add_mount = plan.mode == CredentialMode::container_credentials
                        ? !container.has_container_credentials_mount
                        : !container.has_web_identity_mount;
    return out;
}

void patch_container(const ContainerFacts& container, std::string_view list, std::size_t index,
                     const CredentialPlan& plan, const Identity& identity,
                     const MutationSettings& settings, PatchWriter& patch) {
    const ContainerPlan container_plan = plan_container(container, plan, identity, settings);
    if (container_plan.env_slots != 0) {
        if (container.env_present) {
            // Append to the existing list: entries already there are never touched (M2).
            for (std::uint32_t slot = 0; slot < kSlotCount; ++slot) {
                if ((container_plan.env_slots & (1U << slot)) == 0) continue;
                patch.add_to_list(list, index, "/env/-", plan.env_json[slot]);
            }
        } else {
            patch.begin(list, index, "/env");
            char separator = '[';
            for (std::uint32_t slot = 0; slot < kSlotCount; ++slot) {
                if ((container_plan.env_slots & (1U << slot)) == 0) continue;
                patch.value(std::string_view(&separator, 1));
                patch.value(plan.env_json[slot]);
                separator = ',';
            }
            patch.value("]");
            patch.end();
        }
    }
    if (container_plan.add_mount) {
        if (container.mounts_present) {
            patch.add_to_list(list, index, "/volumeMounts/-", plan.mount_json);
        } else {
            patch.begin(list, index, "/volumeMounts");
            patch.value("[");
            patch.value(plan.mount_json);
            patch.value("]");
            patch.end();
        }
    }
}

void patch_pod_identity_label(const PodFacts& pod, PatchWriter& patch) {
    // Decision M3: only an existing "enabled" value makes the operation unnecessary.
    if (pod.pod_identity_label == std::string_view("enabled")) return;
    const std::string label_object = "{" + json::quote(kPodIdentityLabel) + R"(:"enabled"})";
    if (pod.labels_present) {
        patch.add("/metadata/labels/" + json::escape_pointer_token(kPodIdentityLabel),
                  R"("enabled")");
    } else if (pod.metadata_present) {
        patch.add("/metadata/labels", label_object);
    } else {
        patch.add("/metadata", R"({"labels":)" + label_object + "}");
    }
}

void patch_volume(const PodFacts& pod, const CredentialPlan& plan, PatchWriter& patch,
                  std::vector<std::string>& warnings) {
    const NamedVolumeFacts& existing = plan.mode == CredentialMode::container_credentials
                                           ? pod.container_credentials_volume
                                           : pod.web_identity_volume;
    if (existing.present) {
        // Upstream reuses any volume of that name (M4): say so when it cannot carry a token.
        if (!existing.projected_token) warnings.push_back(volume_clash_warning(plan.volume_name));
        return;
    }
    if (!pod.spec_present) {
        patch.add("/spec", R"({"volumes":[)" + volume_json(plan) + "]}");
    } else if (pod.volumes_present) {
        patch.add("/spec/volumes/0", volume_json(plan));  // prepended, like upstream
    } else {
        patch.add("/spec/volumes", "[" + volume_json(plan) + "]");
    }
}

// Pod annotation <prefix>/token-expiration over the identity's value, clamped to >= 600.
std::int64_t effective_expiration(const PodFacts& pod, const Identity& identity,
                                  std::vector<std::string>& warnings) {
    if (!pod.token_expiration_annotation) return identity.token_expiration;
    const std::string& text = *pod.token_expiration_annotation;
    auto parsed = go::parse_int_decimal(text);
    if (!parsed) {
        warnings.push_back(invalid_pod_expiration_warning(text, identity.token_expiration));
        return identity.token_expiration;
    }
    if (*parsed < kMinTokenExpiration) {
        warnings.push_back(clamped_pod_expiration_warning(*parsed));
        return kMinTokenExpiration;
    }
    return *parsed;
}

std::set<std::string, std::less<>> containers_to_skip(const PodFacts& pod,
                                                      std::vector<std::string>& warnings) {
    std::set<std::string, std::less<>> skip;
    if (!pod.skip_containers_annotation) return skip;
    auto fields = go::parse_csv_first_record(*pod.skip_containers_annotation);
    if (!fields.ok()) {
        warnings.push_back(
            skip_containers_warning(*pod.skip_containers_annotation, fields.error()));
        return skip;
    }
    skip.insert(fields->begin(), fields->end());
    return skip;
}

bool names_container(const std::vector<ContainerFacts>& containers, std::string_view name) {
    return std::any_of(containers.begin(), containers.end(),
                       [name](const ContainerFacts& c) { return c.name == name; });
}

CredentialPlan make_plan(const PodFacts& pod, const Identity& identity,
                         const MutationSettings& settings, std::int64_t expiration,
                         Jitter& jitter) {
    CredentialPlan plan;
    plan.mode = identity.mode;
    if (identity.mode == CredentialMode::container_credentials) {
        plan.volume_name = settings.container_credentials_volume_name;
        plan.mount_path = settings.container_credentials_mount_path;
        plan.token_path = settings.container_credentials_token_path;
        plan.audience = settings.container_credentials_audience;
        // Decision M7: spread refreshes of the default 24h token over the last two hours.
        plan.expiration = expiration == kDefaultTokenExpiration
                              ? jitter.uniform(kJitterFloor, kDefaultTokenExpiration)
                              : expiration;
    } else {
        plan.volume_name = kWebIdentityVolumeName;
        plan.mount_path = settings.token_mount_path;
        plan.token_path = kWebIdentityTokenPath;
        plan.audience = identity.audience;
        plan.expiration = expiration;
    }
    plan.token_file = token_file_path(plan.mount_path, plan.token_path, pod.targets_windows());
    if (identity.regional_sts) {
        plan.env_json[kStsSlot] = env_var_json("AWS_STS_REGIONAL_ENDPOINTS", "regional");
    }
    if (!settings.aws_default_region.empty()) {
        plan.env_json[kDefaultRegionSlot] =
            env_var_json("AWS_DEFAULT_REGION", settings.aws_default_region);
        plan.env_json[kRegionSlot] = env_var_json("AWS_REGION", settings.aws_default_region);
    }
    if (plan.mode == CredentialMode::container_credentials) {
        plan.env_json[kCredentialSlot] = env_var_json("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                                      settings.container_credentials_full_uri);
        plan.env_json[kTokenFileSlot] =
            env_var_json("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", plan.token_file);
    } else {
        plan.env_json[kCredentialSlot] = env_var_json("AWS_ROLE_ARN", identity.role_arn);
        plan.env_json[kTokenFileSlot] =
            env_var_json("AWS_WEB_IDENTITY_TOKEN_FILE", plan.token_file);
    }
    plan.mount_json = volume_mount_json(plan);
    return plan;
}

}  // namespace

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::mutated:
            return "mutated";
        case Outcome::already_mutated:
            return "already_mutated";
        case Outcome::no_role:
            return "no_role";
        case Outcome::service_account_not_found:
            return "service_account_not_found";
    }
    return "unknown";
}

std::int64_t RandomJitter::uniform(std::int64_t low, std::int64_t high) {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> distribution(low, high);
    return distribution(engine);
}

std::string token_file_path(std::string_view mount_path, std::string_view token_path,
                            bool windows) {
    std::string path = go::join_path(mount_path, token_path);
    if (!windows) return path;
    std::replace(path.begin(), path.end(), '/', '\\');
    path.insert(0, "C:");
    return path;
}

MutationResult build_patch(const PodFacts& pod, const Identity& identity,
                           const MutationSettings& settings, Jitter& jitter) {
    MutationResult result;
    result.mode = identity.mode;
    append_annotation_warnings(pod, identity, settings, result.warnings);
    if (identity.mode == CredentialMode::none) {
        result.outcome =
            identity.service_account_found ? Outcome::no_role : Outcome::service_account_not_found;
        return result;
    }

    const std::int64_t expiration = effective_expiration(pod, identity, result.warnings);
    const auto skip = containers_to_skip(pod, result.warnings);
    for (const std::string& name : skip) {
        if (names_container(pod.containers, name) || names_container(pod.init_containers, name)) {
            result.skipped_containers.push_back(name);
        } else {
            result.warnings.push_back(unknown_skipped_container_warning(name));
        }
    }
    const CredentialPlan plan = make_plan(pod, identity, settings, expiration, jitter);
    result.token_expiration = plan.expiration;

    PatchWriter patch;
    if (plan.mode == CredentialMode::container_credentials) patch_pod_identity_label(pod, patch);
    patch_volume(pod, plan, patch, result.warnings);
    const auto patch_list = [&skip, &plan, &identity, &settings, &patch](
                                const std::vector<ContainerFacts>& containers,
                                std::string_view list) {
        for (std::size_t i = 0; i < containers.size(); ++i) {
            if (skip.contains(containers[i].name)) continue;
            patch_container(containers[i], list, i, plan, identity, settings, patch);
        }
    };
    patch_list(pod.containers, "/spec/containers/");
    patch_list(pod.init_containers, "/spec/initContainers/");

    result.outcome = patch.empty() ? Outcome::already_mutated : Outcome::mutated;
    result.patch = std::move(patch).finish();
    return result;
}

}  // namespace piw::mutation
