#pragma once
// "Who is this ServiceAccount?" — the one interface every ServiceAccount source implements
// (static file now; the Kubernetes API watch next). The server and the mutation core never see
// which source answered.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/identity/service_account.hpp"

namespace piw::identity {

enum class LookupStatus {
    found,    // the source knows this ServiceAccount
    absent,   // the source is authoritative and the ServiceAccount does not exist
    unknown,  // not cached; fetch() may still find it (e.g. created a moment ago)
};

struct ServiceAccountLookup {
    LookupStatus status = LookupStatus::unknown;
    std::shared_ptr<const ServiceAccountEntry> entry;  // set when found
};

class ServiceAccountSource {
  public:
    using Clock = std::chrono::steady_clock;
    using FetchCallback = std::function<void(ServiceAccountLookup)>;

    virtual ~ServiceAccountSource() = default;

    // Non-blocking: answers from what the source holds. Safe to call from any thread.
    [[nodiscard]] virtual ServiceAccountLookup find(std::string_view namespace_,
                                                    std::string_view name) const = 0;

    // For a ServiceAccount find() reported unknown: try harder (e.g. a live GET). Must call `done`
    // exactly once, possibly on another thread, and no later than `deadline`. Must not block the
    // calling thread.
    virtual void fetch(std::string namespace_, std::string name, Clock::time_point deadline,
                       FetchCallback done) = 0;

    // True once the initial load/list has completed (readiness).
    [[nodiscard]] virtual bool synced() const = 0;

    // Everything held, for the debug endpoint.
    [[nodiscard]] virtual std::vector<std::shared_ptr<const ServiceAccountEntry>> entries()
        const = 0;
    [[nodiscard]] virtual std::size_t size() const = 0;
    // Debug endpoint /debug/alpha/cache/clear.
    virtual void clear() = 0;

    // For logs and /readyz, e.g. "service accounts file /etc/webhook/sa.yaml".
    [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace piw::identity
