#pragma once
// --watch-container-credentials-config (upstream §4, decision I4): the EKS Pod Identity file
// {"identities":[{"namespace":"ns","serviceAccount":"sa"}, ...]} naming the ServiceAccounts that
// get container credentials. Missing or empty file: nothing matches. Invalid JSON: the previous
// content is kept and the load is retried. Reloaded on change, including kubelet ConfigMap
// `..data` symlink swaps.

#include <chrono>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include "pod_identity_webhook/common/file_watcher.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

namespace piw::identity {

class ContainerCredentialsConfig {
  public:
    // Exact (namespace, serviceAccount) match; no wildcards.
    [[nodiscard]] bool contains(std::string_view namespace_,
                                std::string_view service_account) const;
    // Empty content clears. Invalid content returns an Error and keeps the previous identities.
    // Keys are matched case-insensitively and unknown keys ignored (Go encoding/json semantics).
    Status load(std::string_view content);
    void clear();
    [[nodiscard]] std::size_t size() const;

    using IdentityView = std::pair<std::string_view, std::string_view>;
    // Orders (namespace, serviceAccount) pairs and lets contains() look up views without copying.
    struct IdentityLess {
        using is_transparent = void;
        static IdentityView view(const std::pair<std::string, std::string>& identity) {
            return {identity.first, identity.second};
        }
        static IdentityView view(const IdentityView& identity) { return identity; }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const {
            return view(a) < view(b);
        }
    };
    using Identities = std::set<std::pair<std::string, std::string>, IdentityLess>;

  private:
    mutable std::shared_mutex mutex_;
    Identities identities_;
};

// Keeps a ContainerCredentialsConfig in step with its file.
class ContainerCredentialsConfigFile {
  public:
    ContainerCredentialsConfigFile(std::string path, metrics::WebhookMetrics* metrics);
    ~ContainerCredentialsConfigFile();

    // Reads the file now (missing → empty). Errors are logged, counted and returned.
    Status reload();
    // Reloads on every later change (call reload() first). A failed reload is retried with
    // backoff until the file is valid again; meanwhile the previous identities stay in use.
    void start_watching(std::chrono::milliseconds poll_interval = std::chrono::seconds(10));

    [[nodiscard]] const ContainerCredentialsConfig& config() const { return config_; }
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
    metrics::WebhookMetrics* metrics_;
    ContainerCredentialsConfig config_;
    std::unique_ptr<FileWatcher> watcher_;
};

}  // namespace piw::identity
