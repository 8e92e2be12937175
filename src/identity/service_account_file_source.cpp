#include "pod_identity_webhook/identity/service_account_file_source.hpp"

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "pod_identity_webhook/common/manifests.hpp"
#include "pod_identity_webhook/logging/log.hpp"

namespace piw::identity {
namespace {

using manifests::Json;

constexpr std::string_view kMetricsSource = "service_accounts_file";

std::string_view type_name(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::boolean:
            return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "a number";
        case Json::value_t::string:
            return "a string";
        case Json::value_t::array:
            return "a list";
        case Json::value_t::object:
            return "a mapping";
        default:
            return "binary data";
    }
}

const Json* member(const Json& object, std::string_view name) {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

std::string string_member(const Json& object, std::string_view name) {
    const Json* value = member(object, name);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool is_list(const Json& value) {
    const Json* kind = member(value, "kind");
    const Json* items = member(value, "items");
    return kind != nullptr && (*kind == "List" || *kind == "ServiceAccountList") &&
           items != nullptr && items->is_array();
}

// Collects ServiceAccounts in file order; a later one with the same namespace/name replaces an
// earlier one.
class ServiceAccountCollector {
  public:
    explicit ServiceAccountCollector(const AnnotationSettings& settings) : settings_(settings) {}

    Status add(const Json& value, const std::string& location) {
        if (!value.is_object()) {
            return Error{location + ": expected a Kubernetes object, found " +
                         std::string(type_name(value))};
        }
        const std::string kind = string_member(value, "kind");
        const Json* api_version = member(value, "apiVersion");
        if (kind != "ServiceAccount" || (api_version != nullptr && *api_version != "v1")) {
            logging::debug("skipping a document that is not a v1 ServiceAccount",
                           {{"location", location}, {"kind", kind}});
            return Status::success();
        }
        return add_service_account(value, location);
    }

    std::vector<ServiceAccountEntry> take() { return std::move(entries_); }

  private:
    Status add_service_account(const Json& value, const std::string& location) {
        const Json* metadata = member(value, "metadata");
        const Json* name =
            metadata != nullptr && metadata->is_object() ? member(*metadata, "name") : nullptr;
        if (name == nullptr || !name->is_string() || name->get_ref<const std::string&>().empty()) {
            return Error{location + ": ServiceAccount without metadata.name"};
        }
        const Json* namespace_value = member(*metadata, "namespace");
        if (namespace_value != nullptr && !namespace_value->is_string() &&
            !namespace_value->is_null()) {
            return Error{location + ": ServiceAccount " + name->get<std::string>() +
                         ": metadata.namespace must be a string"};
        }
        std::string namespace_ = string_member(*metadata, "namespace");
        if (namespace_.empty()) {
            namespace_ = "default";
        }
        const std::string display = namespace_ + "/" + name->get<std::string>();
        Annotations annotations;
        if (const Json* found = member(*metadata, "annotations");
            found != nullptr && !found->is_null()) {
            if (!found->is_object()) {
                return Error{location + ": ServiceAccount " + display +
                             ": metadata.annotations must be a mapping of strings, found " +
                             std::string(type_name(*found))};
            }
            for (const auto& [key, annotation] : found->items()) {
                if (!annotation.is_string()) {
                    return Error{location + ": ServiceAccount " + display + ": annotation \"" +
                                 key + "\" must be a string, found " +
                                 std::string(type_name(annotation)) + " (quote the value)"};
                }
                annotations.emplace_back(key, annotation.get<std::string>());
            }
        }
        ServiceAccountEntry entry = make_service_account_entry(
            namespace_, name->get<std::string>(), string_member(*metadata, "resourceVersion"),
            annotations, settings_);
        const auto [it, inserted] = index_.try_emplace(display, entries_.size());
        if (inserted) {
            entries_.push_back(std::move(entry));
        } else {
            entries_[it->second] = std::move(entry);
        }
        return Status::success();
    }

    const AnnotationSettings& settings_;
    std::vector<ServiceAccountEntry> entries_;
    std::unordered_map<std::string, std::size_t> index_;
};

void log_findings(const std::vector<ServiceAccountEntry>& entries) {
    for (const ServiceAccountEntry& entry : entries) {
        const std::string display = entry.namespace_ + "/" + entry.name;
        if (entry.findings.role_arn_invalid) {
            logging::warn("arn is invalid: " + entry.role_arn, {{"serviceAccount", display}});
        }
        for (const std::string& key : entry.findings.near_miss_keys) {
            logging::warn("ServiceAccount annotation looks like a typo of a webhook annotation",
                          {{"serviceAccount", display}, {"annotation", key}});
        }
    }
}

Result<std::vector<ServiceAccountEntry>> collect_service_accounts(
    const std::vector<manifests::Document>& documents, const AnnotationSettings& settings) {
    ServiceAccountCollector collector(settings);
    std::size_t number = 0;
    for (const manifests::Document& document : documents) {
        ++number;
        const std::string location = "document " + std::to_string(number);
        if (document.value.is_null()) {
            continue;
        }
        if (!is_list(document.value)) {
            if (Status added = collector.add(document.value, location); !added.ok()) {
                return Error{added.error()};
            }
            continue;
        }
        std::size_t item_number = 0;
        for (const Json& item : document.value.at("items")) {
            const std::string item_location = location + ", item " + std::to_string(++item_number);
            if (Status added = collector.add(item, item_location); !added.ok()) {
                return Error{added.error()};
            }
        }
    }
    return collector.take();
}

}  // namespace

Result<std::vector<ServiceAccountEntry>> parse_service_accounts(
    std::string_view text, const AnnotationSettings& settings) {
    Result<std::vector<manifests::Document>> documents = manifests::parse_documents(text);
    if (!documents.ok()) {
        return Error{documents.error()};
    }
    return collect_service_accounts(*documents, settings);
}

ServiceAccountFileSource::ServiceAccountFileSource(std::string path, AnnotationSettings settings,
                                                   metrics::WebhookMetrics* metrics)
    : path_(std::move(path)), settings_(std::move(settings)), metrics_(metrics) {}

ServiceAccountFileSource::~ServiceAccountFileSource() {
    if (watcher_) {
        watcher_->stop();
    }
}

Result<std::unique_ptr<ServiceAccountFileSource>> ServiceAccountFileSource::open(
    std::string path, AnnotationSettings settings, metrics::WebhookMetrics* metrics) {
    std::unique_ptr<ServiceAccountFileSource> source(
        new ServiceAccountFileSource(std::move(path), std::move(settings), metrics));
    if (Status loaded = source->load(); !loaded.ok()) {
        return Error{loaded.error()};
    }
    return source;
}

Status ServiceAccountFileSource::load() {
    std::lock_guard lock(reload_mutex_);
    Result<std::vector<manifests::Document>> documents = manifests::load_file(path_);
    Result<std::vector<ServiceAccountEntry>> entries =
        documents.ok() ? collect_service_accounts(*documents, settings_)
                       : Result<std::vector<ServiceAccountEntry>>(Error{documents.error()});
    if (!entries.ok()) {
        // load_file errors already start with the path.
        const std::string& detail = entries.error();
        return Error{"service accounts file " +
                     (detail.starts_with(path_ + ": ") ? detail : path_ + ": " + detail)};
    }
    log_findings(*entries);
    store_.replace_all(std::move(entries).value());
    const std::size_t count = store_.size();
    if (metrics_ != nullptr) {
        metrics_->set_service_accounts(count);
        metrics_->set_used(count > 0);
    }
    logging::info("loaded service accounts file",
                  {{"path", path_}, {"serviceAccounts", std::to_string(count)}});
    return Status::success();
}

Status ServiceAccountFileSource::reload() {
    Status loaded = load();
    if (metrics_ != nullptr) {
        metrics_->record_config_reload(kMetricsSource, loaded.ok());
    }
    if (!loaded.ok()) {
        logging::warn("keeping the previous service accounts: " + loaded.error(),
                      {{"path", path_}});
    }
    return loaded;
}

void ServiceAccountFileSource::start_watching(std::chrono::milliseconds poll_interval) {
    if (watcher_) {
        return;
    }
    watcher_ = std::make_unique<FileWatcher>(std::vector<std::string>{path_}, poll_interval,
                                             [this] { return reload().ok(); });
    watcher_->start();
}

ServiceAccountLookup ServiceAccountFileSource::find(std::string_view namespace_,
                                                    std::string_view name) const {
    ServiceAccountLookup lookup;
    lookup.entry = store_.find(namespace_, name);
    lookup.status = lookup.entry ? LookupStatus::found : LookupStatus::absent;
    return lookup;
}

void ServiceAccountFileSource::fetch(std::string namespace_, std::string name,
                                     Clock::time_point /*deadline*/, FetchCallback done) {
    done(find(namespace_, name));
}

std::vector<std::shared_ptr<const ServiceAccountEntry>> ServiceAccountFileSource::entries() const {
    return store_.entries();
}

std::size_t ServiceAccountFileSource::size() const {
    return store_.size();
}

void ServiceAccountFileSource::clear() {
    store_.clear();
}

std::string ServiceAccountFileSource::describe() const {
    return "service accounts file " + path_;
}

}  // namespace piw::identity
