#include "pod_identity_webhook/identity/kubernetes_service_account_source.hpp"

#include <algorithm>
#include <utility>

#include "pod_identity_webhook/logging/log.hpp"
#include "pod_identity_webhook/mutation/annotations.hpp"

namespace piw::identity {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxServiceAccountBytes = 1U << 20U;
// A retry is worth it only with this much time left before the pod's deadline.
constexpr std::chrono::milliseconds kMinRetryWindow{100};
constexpr std::chrono::milliseconds kRetryPause{50};
constexpr int kMaxAttempts = 3;

std::string service_account_path(const std::string& namespace_, const std::string& name) {
    return "/api/v1/namespaces/" + kube::query_escape(namespace_) + "/serviceaccounts/" +
           kube::query_escape(name);
}

bool worth_retrying(const kube::ApiResponse& response) {
    return response.transport_failed() || response.status == 429 || response.status >= 500;
}

// What LIST pages, watch events and live GETs keep of a ServiceAccount: the same for all three.
kube::DecodeOptions service_account_decoding(const std::string& prefix) {
    kube::DecodeOptions decode;
    decode.keep_annotation = [prefix](std::string_view key) {
        return is_relevant_annotation(key, prefix);
    };
    return decode;
}

kube::ReflectorOptions reflector_options(const KubernetesSourceOptions& options,
                                         metrics::WebhookMetrics* metrics) {
    kube::ReflectorOptions reflector;
    reflector.resource = "serviceaccounts";
    reflector.path = "/api/v1/serviceaccounts";
    reflector.page_size = options.page_size;
    reflector.decode = service_account_decoding(options.annotations.prefix);
    reflector.initial_backoff = options.initial_backoff;
    reflector.max_backoff = options.max_backoff;
    reflector.min_watch_timeout = options.min_watch_timeout;
    reflector.on_restart = [metrics](std::string_view /*reason*/) {
        if (metrics != nullptr) metrics->increment_watch_restarts();
    };
    return reflector;
}

}  // namespace

bool is_relevant_annotation(std::string_view key, std::string_view prefix) {
    if (key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] == '/') {
        return true;
    }
    return annotations::near_miss_of(key, prefix).has_value();
}

KubernetesServiceAccountSource::KubernetesServiceAccountSource(kube::KubeClient& client,
                                                               KubernetesSourceOptions options,
                                                               metrics::WebhookMetrics* metrics)
    : client_(client),
      options_(std::move(options)),
      metrics_(metrics),
      lookup_([this](const std::string& namespace_, const std::string& name,
                     Clock::time_point deadline) { return get_live(namespace_, name, deadline); },
              options_.lookup),
      reflector_(client, reflector_options(options_, metrics), *this) {}

KubernetesServiceAccountSource::~KubernetesServiceAccountSource() {
    stop();
}

void KubernetesServiceAccountSource::start() {
    reflector_.start();
}

void KubernetesServiceAccountSource::stop() {
    reflector_.stop();
    lookup_.stop();
}

ServiceAccountLookup KubernetesServiceAccountSource::find(std::string_view namespace_,
                                                          std::string_view name) const {
    if (auto entry = store_.find(namespace_, name)) {
        return ServiceAccountLookup{LookupStatus::found, std::move(entry)};
    }
    // Never "absent": a ServiceAccount created a moment ago may not have reached the watch yet
    // (upstream's most reported bug). fetch() asks the API server.
    return ServiceAccountLookup{LookupStatus::unknown, nullptr};
}

void KubernetesServiceAccountSource::fetch(std::string namespace_, std::string name,
                                           Clock::time_point deadline, FetchCallback done) {
    lookup_.lookup(std::move(namespace_), std::move(name), deadline, std::move(done));
}

std::vector<std::shared_ptr<const ServiceAccountEntry>> KubernetesServiceAccountSource::entries()
    const {
    return store_.entries();
}

std::size_t KubernetesServiceAccountSource::size() const {
    return store_.size();
}

void KubernetesServiceAccountSource::clear() {
    store_.clear();
    publish_size();
}

std::string KubernetesServiceAccountSource::describe() const {
    return "Kubernetes API (" + client_.description() + ")";
}

ServiceAccountEntry KubernetesServiceAccountSource::make_entry(kube::KubeObject object) const {
    return make_service_account_entry(std::move(object.namespace_), std::move(object.name),
                                      std::move(object.resource_version), object.annotations,
                                      options_.annotations);
}

void KubernetesServiceAccountSource::store_entry(ServiceAccountEntry entry) {
    // Nearly always nobody waits: the initial LIST of 100k ServiceAccounts builds no keys for it.
    if (lookup_.pending() == 0) {
        store_.upsert(std::move(entry));
        return;
    }
    std::string key = service_account_key(entry.namespace_, entry.name);
    auto stored = store_.upsert(std::move(entry));
    const auto slash = key.find('/');
    lookup_.resolve(std::string_view(key).substr(0, slash), std::string_view(key).substr(slash + 1),
                    ServiceAccountLookup{LookupStatus::found, std::move(stored)});
}

void KubernetesServiceAccountSource::on_list_begin() {
    // Reconcile whenever something is held: after a 410, but also after a first LIST that failed
    // part-way (what its early pages delivered may have been deleted since).
    relisting_ = store_.size() > 0;
    listed_.clear();
}

void KubernetesServiceAccountSource::on_list_object(kube::KubeObject object) {
    if (relisting_) listed_.insert(service_account_key(object.namespace_, object.name));
    store_entry(make_entry(std::move(object)));
}

void KubernetesServiceAccountSource::on_list_end() {
    if (relisting_) {
        // Deleted while the watch was away (e.g. during a 410 gap): not listed any more.
        const std::size_t removed =
            store_.erase_unless([this](const std::string& key) { return listed_.count(key) > 0; });
        if (removed > 0) {
            logging::info("relist removed ServiceAccounts deleted while the watch was away",
                          {{"removed", std::to_string(removed)}});
        }
    }
    std::unordered_set<std::string>().swap(listed_);  // give the memory back
    relisting_ = false;
    publish_size();
}

void KubernetesServiceAccountSource::on_list_abandoned() {
    std::unordered_set<std::string>().swap(listed_);
    relisting_ = false;
    publish_size();
}

void KubernetesServiceAccountSource::on_watch_event(kube::WatchEventType type,
                                                    kube::KubeObject object) {
    if (type == kube::WatchEventType::deleted) {
        store_.erase(object.namespace_, object.name);
    } else {
        store_entry(make_entry(std::move(object)));
    }
    publish_size();
}

void KubernetesServiceAccountSource::publish_size() {
    if (metrics_ == nullptr) return;
    const std::size_t count = store_.size();
    metrics_->set_service_accounts(count);
    if (count > 0) metrics_->set_used(true);
}

ServiceAccountLookup KubernetesServiceAccountSource::get_live(const std::string& namespace_,
                                                              const std::string& name,
                                                              Clock::time_point deadline) {
    const std::string path = service_account_path(namespace_, name);
    kube::ApiResponse response;
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) break;
        kube::RequestOptions request;
        request.timeout = std::min(options_.get_timeout, remaining);
        request.max_body_bytes = kMaxServiceAccountBytes;
        response = client_.get(path, request);
        if (!worth_retrying(response)) break;
        if (deadline - Clock::now() < kMinRetryWindow) break;
        std::this_thread::sleep_for(kRetryPause);
    }
    if (response.status == 200) {
        auto object = kube::decode_object(response.body,
                                          service_account_decoding(options_.annotations.prefix));
        if (object.ok()) {
            logging::info("ServiceAccount found by a live lookup (not yet seen by the watch)",
                          {{"namespace", namespace_}, {"service_account", name}});
            // The watch may have delivered a newer state meanwhile: that one wins.
            if (auto cached = store_.find(namespace_, name)) {
                return ServiceAccountLookup{LookupStatus::found, std::move(cached)};
            }
            auto stored = store_.upsert(make_entry(std::move(object).value()));
            publish_size();
            return ServiceAccountLookup{LookupStatus::found, std::move(stored)};
        }
        logging::warn(
            "live ServiceAccount lookup: cannot decode the answer",
            {{"namespace", namespace_}, {"service_account", name}, {"error", object.error()}});
        return ServiceAccountLookup{LookupStatus::unknown, nullptr};
    }
    if (response.status == 404) {
        logging::debug("live ServiceAccount lookup: not found",
                       {{"namespace", namespace_}, {"service_account", name}});
        return ServiceAccountLookup{LookupStatus::absent, nullptr};
    }
    const std::string problem =
        response.transport_failed()
            ? (response.error.empty() ? std::string("no time left before the pod's deadline")
                                      : response.error)
            : "HTTP " + std::to_string(response.status) + ": " +
                  kube::describe_error_body(response.body);
    logging::warn("live ServiceAccount lookup failed; the pod is admitted without credentials",
                  {{"namespace", namespace_}, {"service_account", name}, {"error", problem}});
    return ServiceAccountLookup{LookupStatus::unknown, nullptr};
}

}  // namespace piw::identity
