#pragma once
// /readyz: ready once every check passes (ServiceAccount sources synced, certificate loaded) and
// not draining (decision S1).

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace piw::server {

class Readiness {
  public:
    // A check returns a reason when not ready.
    using Check = std::function<std::optional<std::string>()>;

    void add_check(Check check) {
        std::lock_guard lock(mutex_);
        checks_.push_back(std::move(check));
    }
    void set_draining() { draining_.store(true); }
    [[nodiscard]] bool draining() const { return draining_.load(); }

    [[nodiscard]] std::optional<std::string> not_ready_reason() const {
        if (draining_.load()) return std::string("shutting down");
        std::lock_guard lock(mutex_);
        for (const auto& check : checks_) {
            if (auto reason = check()) return reason;
        }
        return std::nullopt;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<Check> checks_;
    std::atomic<bool> draining_{false};
};

}  // namespace piw::server
