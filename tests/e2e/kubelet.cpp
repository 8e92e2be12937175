#include "kubelet.hpp"

#include <chrono>
#include <stdexcept>

#include "support/temp_dir.hpp"

namespace piw::e2e {

namespace fs = std::filesystem;

namespace {

const Json& find_container(const Json& pod, const std::string& name) {
    for (const char* list : {"containers", "initContainers"}) {
        if (!pod.at("spec").contains(list)) continue;
        for (const Json& container : pod.at("spec").at(list)) {
            if (container.value("name", "") == name) return container;
        }
    }
    throw std::runtime_error("the pod has no container named " + name);
}

const Json* find_volume(const Json& pod, const std::string& name) {
    const Json& spec = pod.at("spec");
    if (!spec.contains("volumes") || !spec.at("volumes").is_array()) return nullptr;
    for (const Json& volume : spec.at("volumes")) {
        if (volume.value("name", "") == name) return &volume;
    }
    return nullptr;
}

// `value` is `mount` or a path below it.
bool is_under(const std::string& value, const std::string& mount) {
    if (!value.starts_with(mount)) return false;
    return value.size() == mount.size() || mount.ends_with('/') || value[mount.size()] == '/';
}

}  // namespace

std::vector<std::string> container_names(const Json& pod) {
    std::vector<std::string> names;
    for (const char* list : {"containers", "initContainers"}) {
        if (!pod.at("spec").contains(list)) continue;
        for (const Json& container : pod.at("spec").at(list)) {
            names.push_back(container.value("name", ""));
        }
    }
    return names;
}

FakeKubelet::FakeKubelet(const RsaSigningKey& key, std::string kid, std::string issuer,
                         fs::path root)
    : key_(key), kid_(std::move(kid)), issuer_(std::move(issuer)), root_(std::move(root)) {}

Json FakeKubelet::claims_for(const Json& pod, const std::string& namespace_,
                             const std::string& audience, long long expiration_seconds) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::string service_account = pod.at("spec").value(
        "serviceAccountName", pod.at("spec").value("serviceAccount", "default"));
    const Json& metadata = pod.at("metadata");
    return Json{{"aud", Json::array({audience})},
                {"exp", now + expiration_seconds},
                {"iat", now},
                {"nbf", now},
                {"iss", issuer_},
                {"sub", "system:serviceaccount:" + namespace_ + ":" + service_account},
                {"kubernetes.io",
                 {{"namespace", namespace_},
                  {"pod",
                   {{"name", metadata.value("name", "")},
                    {"uid", metadata.value("uid", "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f")}}},
                  {"serviceaccount",
                   {{"name", service_account}, {"uid", "0e9d8c7b-6a59-4837-a261-5f4e3d2c1b0a"}}}}}};
}

PreparedContainer FakeKubelet::prepare(const Json& pod, const std::string& namespace_,
                                       const std::string& container_name) const {
    const Json& container = find_container(pod, container_name);
    const fs::path container_root = root_ / container_name;
    PreparedContainer prepared;
    std::vector<std::string> mount_paths;

    for (const Json& mount : container.value("volumeMounts", Json::array())) {
        const std::string mount_path = mount.value("mountPath", "");
        mount_paths.push_back(mount_path);
        const Json* volume = find_volume(pod, mount.value("name", ""));
        if (volume == nullptr || !volume->contains("projected")) continue;
        for (const Json& source : (*volume)["projected"].value("sources", Json::array())) {
            if (!source.contains("serviceAccountToken")) continue;
            const Json& projection = source["serviceAccountToken"];
            ProjectedToken token;
            token.volume = mount.value("name", "");
            token.audience = projection.value("audience", "");
            // The API server's default for an absent expirationSeconds.
            token.expiration_seconds = projection.value("expirationSeconds", 3600LL);
            token.container_path = fs::path(mount_path) / projection.value("path", "");
            token.host_path = container_root / token.container_path.relative_path();
            token.claims = claims_for(pod, namespace_, token.audience, token.expiration_seconds);
            token.token = key_.sign_jwt(token.claims, kid_);
            fs::create_directories(token.host_path.parent_path());
            testing::write_file(token.host_path, token.token);
            prepared.tokens.push_back(std::move(token));
        }
    }

    for (const Json& entry : container.value("env", Json::array())) {
        if (!entry.contains("value")) continue;  // valueFrom: not literal
        std::string value = entry["value"].get<std::string>();
        for (const std::string& mount_path : mount_paths) {
            if (!mount_path.empty() && is_under(value, mount_path)) {
                value = (container_root / fs::path(value).relative_path()).string();
                break;
            }
        }
        prepared.environment.emplace_back(entry.value("name", ""), std::move(value));
    }
    return prepared;
}

}  // namespace piw::e2e
