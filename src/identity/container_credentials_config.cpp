// The EKS Pod Identity file, decoded with Go encoding/json's rules for upstream's struct
// {Identities []{Namespace, ServiceAccount}}: keys match case-insensitively, unknown keys and
// nulls are ignored, a wrong type is an error.

#include "pod_identity_webhook/identity/container_credentials_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "pod_identity_webhook/common/manifests.hpp"
#include "pod_identity_webhook/logging/log.hpp"

namespace piw::identity {
namespace {

using manifests::Json;
using Identities = ContainerCredentialsConfig::Identities;
using IdentityView = ContainerCredentialsConfig::IdentityView;

constexpr std::size_t kMaxConfigBytes = 16U * 1024U * 1024U;
constexpr std::string_view kMetricsSource = "container_credentials_config";
constexpr std::string_view kUnmarshalError =
    "error Unmarshalling container credentials config file: ";

// Go matches a JSON key to a field name with Unicode case folding; for these field names only
// ASCII letters and 'ſ' (U+017F, which folds to 's') matter.
bool matches_field(std::string_view key, std::string_view lower_field) {
    std::size_t k = 0;
    for (const char wanted : lower_field) {
        if (k < key.size() && wanted == 's' && key.substr(k).starts_with("\xC5\xBF")) {
            k += 2;
            continue;
        }
        if (k >= key.size()) {
            return false;
        }
        char c = key[k++];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != wanted) {
            return false;
        }
    }
    return k == key.size();
}

std::string_view json_type(const Json& value) {
    switch (value.type()) {
        case Json::value_t::boolean:
            return "bool";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "number";
        case Json::value_t::string:
            return "string";
        case Json::value_t::array:
            return "array";
        case Json::value_t::object:
            return "object";
        default:
            return "null";
    }
}

// Go's wording: "json: cannot unmarshal number into Go struct field .identities.namespace of
// type string".
Error type_error(const Json& value, std::string_view field, std::string_view go_type) {
    std::string message = "json: cannot unmarshal " + std::string(json_type(value)) + " into Go ";
    message += field.empty() ? "value" : "struct field " + std::string(field);
    message += " of type " + std::string(go_type);
    return Error{std::string(kUnmarshalError) + message};
}

// A string field: null leaves it as it was (Go), anything else but a string is an error.
Status decode_string(const Json& value, std::string_view field, std::string& out) {
    if (value.is_null()) {
        return Status::success();
    }
    if (!value.is_string()) {
        return type_error(value, field, "string");
    }
    out = value.get<std::string>();
    return Status::success();
}

Status decode_identity(const Json& value, std::pair<std::string, std::string>& out) {
    if (value.is_null()) {
        return Status::success();
    }
    if (!value.is_object()) {
        return type_error(value, ".identities", "containercredentials.Identity");
    }
    for (const auto& [key, item] : value.items()) {
        Status decoded;
        if (matches_field(key, "namespace")) {
            decoded = decode_string(item, ".identities.namespace", out.first);
        } else if (matches_field(key, "serviceaccount")) {
            decoded = decode_string(item, ".identities.serviceAccount", out.second);
        }
        if (!decoded.ok()) {
            return decoded;
        }
    }
    return Status::success();
}

Status decode_identities(const Json& value, Identities& out) {
    out.clear();  // Go resets a slice before decoding an array into it
    if (value.is_null()) {
        return Status::success();
    }
    if (!value.is_array()) {
        return type_error(value, ".identities", "[]containercredentials.Identity");
    }
    for (const Json& item : value) {
        std::pair<std::string, std::string> identity;
        if (Status decoded = decode_identity(item, identity); !decoded.ok()) {
            return decoded;
        }
        out.insert(std::move(identity));
    }
    return Status::success();
}

Result<Identities> decode_config(std::string_view content) {
    if (content.size() > kMaxConfigBytes) {
        return Error{std::string(kUnmarshalError) + "the file is larger than " +
                     std::to_string(kMaxConfigBytes >> 20U) + " MiB"};
    }
    Result<Json> parsed = manifests::parse_json(content);
    if (!parsed.ok()) {
        return Error{std::string(kUnmarshalError) + parsed.error()};
    }
    const Json& root = *parsed;
    Identities identities;
    if (root.is_null()) {
        return identities;
    }
    if (!root.is_object()) {
        return type_error(root, "", "containercredentials.Config");
    }
    for (const auto& [key, value] : root.items()) {
        if (matches_field(key, "identities")) {
            if (Status decoded = decode_identities(value, identities); !decoded.ok()) {
                return Error{decoded.error()};
            }
        }
    }
    return identities;
}

enum class ReadOutcome { content, missing, failed };

// The file's bytes (capped), or why they could not be read. A missing file is not an error.
ReadOutcome read_file(const std::string& path, std::string& content, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return ReadOutcome::missing;
        }
        error = path + ": " + std::strerror(errno);
        return ReadOutcome::failed;
    }
    std::array<char, 65536> buffer{};
    ReadOutcome outcome = ReadOutcome::content;
    while (true) {
        const ssize_t count = ::read(fd, buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            error = path + ": " + std::strerror(errno);
            outcome = ReadOutcome::failed;
            break;
        }
        if (count == 0) {
            break;
        }
        content.append(buffer.data(), static_cast<std::size_t>(count));
        if (content.size() > kMaxConfigBytes) {
            error = path + ": larger than " + std::to_string(kMaxConfigBytes >> 20U) + " MiB";
            outcome = ReadOutcome::failed;
            break;
        }
    }
    ::close(fd);
    return outcome;
}

}  // namespace

bool ContainerCredentialsConfig::contains(std::string_view namespace_,
                                          std::string_view service_account) const {
    const IdentityView key(namespace_, service_account);
    std::shared_lock lock(mutex_);
    return identities_.find(key) != identities_.end();
}

Status ContainerCredentialsConfig::load(std::string_view content) {
    if (content.empty()) {
        logging::info("Container credentials config file is empty, clearing cache");
        clear();
        return Status::success();
    }
    Result<Identities> decoded = decode_config(content);
    if (!decoded.ok()) {
        return Error{decoded.error()};
    }
    Identities previous;
    {
        std::unique_lock lock(mutex_);
        previous = std::exchange(identities_, std::move(decoded).value());
    }
    return Status::success();
}

void ContainerCredentialsConfig::clear() {
    Identities previous;
    std::unique_lock lock(mutex_);
    previous.swap(identities_);
}

std::size_t ContainerCredentialsConfig::size() const {
    std::shared_lock lock(mutex_);
    return identities_.size();
}

ContainerCredentialsConfigFile::ContainerCredentialsConfigFile(std::string path,
                                                               metrics::WebhookMetrics* metrics)
    : path_(std::move(path)), metrics_(metrics) {}

ContainerCredentialsConfigFile::~ContainerCredentialsConfigFile() {
    if (watcher_) {
        watcher_->stop();
    }
}

Status ContainerCredentialsConfigFile::reload() {
    std::string content;
    std::string read_error;
    const ReadOutcome outcome = read_file(path_, content, read_error);
    Status loaded = outcome == ReadOutcome::failed
                        ? Status(Error{std::string(kUnmarshalError) + read_error})
                        : config_.load(content);  // missing: empty content, cleared
    if (metrics_ != nullptr) {
        metrics_->record_config_reload(kMetricsSource, loaded.ok());
    }
    if (!loaded.ok()) {
        logging::error(loaded.error(), {{"path", path_}});
    } else if (!content.empty()) {
        logging::info("Successfully loaded container credentials config file",
                      {{"path", path_}, {"identities", std::to_string(config_.size())}});
    }
    return loaded;
}

void ContainerCredentialsConfigFile::start_watching(std::chrono::milliseconds poll_interval) {
    if (watcher_) {
        return;
    }
    logging::info("Watching container credentials config file " + path_);
    watcher_ = std::make_unique<FileWatcher>(std::vector<std::string>{path_}, poll_interval,
                                             [this] { return reload().ok(); });
    watcher_->start();
}

}  // namespace piw::identity
