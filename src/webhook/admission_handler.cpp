#include "pod_identity_webhook/webhook/admission_handler.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "pod_identity_webhook/common/go_compat.hpp"
#include "pod_identity_webhook/logging/log.hpp"

namespace piw::webhook {
namespace {

using Clock = std::chrono::steady_clock;

// Leave the API server time to receive our answer before its own ?timeout= expires.
constexpr std::chrono::milliseconds kTimeoutMargin{250};

server::HttpResponse json_response(std::string body) {
    server::HttpResponse response;
    response.content_type = "application/json";
    response.body = std::move(body);
    return response;
}

server::HttpResponse unsupported_media_type() {
    server::HttpResponse response;
    response.status = 415;
    response.body = "Invalid Content-Type, expected `application/json`\n";
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
}

std::string_view decision_message(mutation::Outcome outcome) {
    switch (outcome) {
        case mutation::Outcome::mutated:
            return "pod mutated";
        case mutation::Outcome::already_mutated:
            return "pod not mutated: credentials already present";
        case mutation::Outcome::no_role:
            return "pod not mutated: ServiceAccount has no role for this webhook";
        case mutation::Outcome::service_account_not_found:
            return "pod not mutated: ServiceAccount not found";
    }
    return "pod not mutated";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out.push_back(',');
        out.append(item);
    }
    return out;
}

// One line per admission decision (decision S6); empty fields are left out.
void log_decision(const admission::DecodedReview& review, const Identity& identity,
                  const mutation::MutationResult& result) {
    const auto& pod = review.pod;
    const std::string expiration =
        result.token_expiration > 0 ? std::to_string(result.token_expiration) : std::string();
    const std::string skipped = join(result.skipped_containers);
    const std::string warnings = join(result.warnings);
    const std::array<logging::Field, 11> all = {{
        {"namespace", pod.namespace_},
        {"pod", pod.display_name()},
        {"service_account", pod.service_account_name},
        {"mode", to_string(result.mode)},
        {"reason", mutation::to_string(result.outcome)},
        {"source", identity.source},
        {"expiration_seconds", expiration},
        {"skipped_containers", skipped},
        {"warnings", warnings},
        {"uid", review.uid},
        {"dry_run", review.dry_run ? "true" : ""},
    }};
    std::array<logging::Field, 11> present{};
    std::size_t count = 0;
    for (const auto& field : all) {
        if (!field.second.empty()) present[count++] = field;
    }
    logging::log(spdlog::level::info, decision_message(result.outcome),
                 std::span<const logging::Field>(present.data(), count));
}

}  // namespace

// Everything one admission needs across a possible asynchronous lookup.
struct AdmissionHandler::Exchange {
    admission::DecodedReview review;
    server::Responder respond;
    Clock::time_point received_at;
};

AdmissionHandler::AdmissionHandler(AdmissionSettings settings, identity::IdentityResolver& resolver,
                                   metrics::WebhookMetrics* metrics, mutation::Jitter& jitter)
    : settings_(std::move(settings)),
      decoder_(settings_.mutation),
      resolver_(resolver),
      metrics_(metrics),
      jitter_(jitter) {}

bool AdmissionHandler::is_json_content_type(std::string_view content_type) {
    std::string_view media_type = content_type.substr(0, content_type.find(';'));
    while (!media_type.empty() && std::isspace(static_cast<unsigned char>(media_type.back()))) {
        media_type.remove_suffix(1);
    }
    while (!media_type.empty() && std::isspace(static_cast<unsigned char>(media_type.front()))) {
        media_type.remove_prefix(1);
    }
    constexpr std::string_view kJson = "application/json";
    return media_type.size() == kJson.size() &&
           std::equal(media_type.begin(), media_type.end(), kJson.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

void AdmissionHandler::handle(server::HttpRequest& request, server::Responder respond) {
    if (!is_json_content_type(request.content_type)) {
        logging::warn("request refused: unsupported Content-Type",
                      {{"content_type", request.content_type}, {"expected", "application/json"}});
        respond(unsupported_media_type());
        return;
    }
    auto exchange = std::make_shared<Exchange>();
    exchange->review = decoder_.decode(request.body, request.body.capacity());
    exchange->respond = std::move(respond);
    exchange->received_at = request.received_at;
    if (!exchange->review.ok()) {
        deny(*exchange);
        return;
    }
    const auto& pod = exchange->review.pod;
    if (auto identity = resolver_.try_resolve(pod.namespace_, pod.service_account_name)) {
        if (metrics_ != nullptr) {
            metrics_->record_service_account_lookup(identity->service_account_found ? "hit"
                                                                                    : "absent");
        }
        finish(*exchange, *identity);
        return;
    }
    if (settings_.lookup_grace_period.count() <= 0) {
        if (metrics_ != nullptr) metrics_->record_service_account_lookup("miss");
        finish(*exchange, resolver_.from_lookup(pod.namespace_, pod.service_account_name, {}));
        return;
    }
    // Not known yet: the source fetches it (bounded), and we answer when it knows.
    logging::debug("ServiceAccount not cached; looking it up",
                   {{"namespace", pod.namespace_}, {"service_account", pod.service_account_name}});
    resolver_.resolve_async(pod.namespace_, pod.service_account_name, lookup_deadline(request),
                            [this, exchange](const Identity& identity) {
                                if (metrics_ != nullptr) {
                                    metrics_->record_service_account_lookup(
                                        identity.service_account_found ? "fetched" : "not_found");
                                }
                                finish(*exchange, identity);
                            });
}

Clock::time_point AdmissionHandler::lookup_deadline(const server::HttpRequest& request) const {
    Clock::time_point deadline = request.received_at + settings_.lookup_grace_period;
    if (auto timeout_text = request.query("timeout")) {
        if (auto timeout = go::parse_duration(*timeout_text); timeout && timeout->count() > 0) {
            const auto api_deadline = request.received_at +
                                      std::chrono::duration_cast<Clock::duration>(*timeout) -
                                      kTimeoutMargin;
            deadline = std::min(deadline, api_deadline);
        }
    }
    return deadline;
}

void AdmissionHandler::deny(Exchange& exchange) const {
    const auto& review = exchange.review;
    logging::warn("admission denied: cannot decode the request",
                  {{"uid", review.uid}, {"error", review.error}});
    if (metrics_ != nullptr) {
        metrics_->record_admission("denied", Clock::now() - exchange.received_at);
        metrics_->record_mutation(CredentialMode::none, "error");
    }
    admission::AdmissionResponse response;
    response.allowed = false;
    response.message = review.error;
    exchange.respond(json_response(encode_response(review.type_meta, review.uid, response)));
}

void AdmissionHandler::finish(Exchange& exchange, const Identity& identity) const {
    const auto& review = exchange.review;
    const auto& pod = review.pod;
    mutation::MutationResult result =
        mutation::build_patch(pod, identity, settings_.mutation, jitter_);

    if (metrics_ != nullptr) {
        if (result.outcome == mutation::Outcome::service_account_not_found) {
            metrics_->increment_missing_service_account();
        }
        metrics_->record_mutation(result.mode, mutation::to_string(result.outcome));
        metrics_->record_admission("allowed", Clock::now() - exchange.received_at);
    }
    if (logging::enabled(spdlog::level::info)) log_decision(review, identity, result);
    admission::AdmissionResponse response;
    response.patch = std::move(result.patch);
    response.warnings = std::move(result.warnings);
    exchange.respond(json_response(encode_response(review.type_meta, review.uid, response)));
}

}  // namespace piw::webhook
