#pragma once
// POST /mutate: decode the AdmissionReview, find out who the pod's ServiceAccount is, build the
// patch, encode the response, record metrics and one decision log line. Thin on purpose: every
// rule lives in the admission, identity and mutation rooms.

#include <chrono>
#include <memory>

#include "pod_identity_webhook/admission/review.hpp"
#include "pod_identity_webhook/identity/identity_resolver.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/mutation/build_patch.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"
#include "pod_identity_webhook/server/http.hpp"

namespace piw::webhook {

struct AdmissionSettings {
    mutation::MutationSettings mutation;
    // How long a pod may wait for a ServiceAccount the sources do not know yet (decision I2).
    // Also bounded by the API server's ?timeout= on the call. Zero: never wait.
    std::chrono::milliseconds lookup_grace_period{1000};
};

class AdmissionHandler final : public server::RequestHandler {
  public:
    // The resolver, metrics (nullable) and jitter must outlive the handler.
    AdmissionHandler(AdmissionSettings settings, identity::IdentityResolver& resolver,
                     metrics::WebhookMetrics* metrics, mutation::Jitter& jitter);

    void handle(server::HttpRequest& request, server::Responder respond) override;

    // Media type application/json, compared case-insensitively, parameters allowed (M8).
    static bool is_json_content_type(std::string_view content_type);

  private:
    struct Exchange;
    void finish(Exchange& exchange, const Identity& identity) const;
    void deny(Exchange& exchange) const;
    std::chrono::steady_clock::time_point lookup_deadline(const server::HttpRequest& request) const;

    AdmissionSettings settings_;
    admission::ReviewDecoder decoder_;
    identity::IdentityResolver& resolver_;
    metrics::WebhookMetrics* metrics_;
    mutation::Jitter& jitter_;
};

}  // namespace piw::webhook
