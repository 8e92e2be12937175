// The /mutate handler: content type, denials, the cache-hit path, and the cache-miss path that
// answers later (from another thread) once the source has fetched the ServiceAccount.

#include "pod_identity_webhook/webhook/admission_handler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "pod_identity_webhook/identity/static_service_account_source.hpp"

namespace piw::webhook {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string typical_review() {
    std::ifstream in(std::string(PIW_SOURCE_DIR) + "/tests/data/typical-review.json");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

identity::ServiceAccountEntry payments_api() {
    identity::ServiceAccountEntry entry;
    entry.namespace_ = "payments";
    entry.name = "payments-api";
    entry.role_arn = "arn:aws:iam::111122223333:role/payments-api";
    entry.regional_sts = true;
    return entry;
}

// A source that knows nothing until fetch() is answered by the test.
class SlowSource final : public identity::ServiceAccountSource {
  public:
    identity::ServiceAccountLookup find(std::string_view, std::string_view) const override {
        return {identity::LookupStatus::unknown, nullptr};
    }
    void fetch(std::string namespace_, std::string name, Clock::time_point deadline,
               FetchCallback done) override {
        std::lock_guard lock(mutex);
        fetched = namespace_ + "/" + name;
        fetch_deadline = deadline;
        pending = std::move(done);
    }
    bool synced() const override { return true; }
    std::vector<std::shared_ptr<const identity::ServiceAccountEntry>> entries() const override {
        return {};
    }
    std::size_t size() const override { return 0; }
    void clear() override {}
    std::string describe() const override { return "slow test source"; }

    std::mutex mutex;
    std::string fetched;
    Clock::time_point fetch_deadline;
    FetchCallback pending;
};

struct Captured {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<server::HttpResponse> responses;

    server::Responder responder() {
        return [this](server::HttpResponse response) {
            std::lock_guard lock(mutex);
            responses.push_back(std::move(response));
            changed.notify_all();
        };
    }
    bool wait_for(std::size_t count) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(5),
                                [this, count] { return responses.size() >= count; });
    }
};

server::HttpRequest make_request(std::string body, std::string content_type = "application/json",
                                 std::string target = "/mutate?timeout=10s") {
    server::HttpRequest request;
    request.method = "POST";
    request.target = std::move(target);
    request.content_type = std::move(content_type);
    request.body = std::move(body);
    request.body.reserve(request.body.size() + server::kBodyPadding);
    request.received_at = Clock::now();
    return request;
}

Json response_of(const server::HttpResponse& http) {
    return Json::parse(http.body)["response"];
}

Json patch_of(const Json& response) {
    std::string decoded;
    const std::string encoded = response["patch"];
    // base64 decode (test helper)
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int bits = 0;
    unsigned value = 0;
    for (char c : encoded) {
        if (c == '=') break;
        value = (value << 6U) | static_cast<unsigned>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded.push_back(static_cast<char>((value >> static_cast<unsigned>(bits)) & 0xFFU));
        }
    }
    return Json::parse(decoded);
}

struct Fixture {
    metrics::Registry registry;
    metrics::WebhookMetrics metrics{registry};
    mutation::RandomJitter jitter;
};

TEST(AdmissionHandler, MutatesFromTheCacheAndCountsIt) {
    Fixture f;
    identity::StaticServiceAccountSource source({payments_api()}, "test");
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionHandler handler({}, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(typical_review());
    handler.handle(request, captured.responder());
    ASSERT_EQ(captured.responses.size(), 1U);
    EXPECT_EQ(captured.responses[0].status, 200);
    EXPECT_EQ(captured.responses[0].content_type, "application/json");
    const Json response = response_of(captured.responses[0]);
    EXPECT_EQ(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    EXPECT_TRUE(response["allowed"].get<bool>());
    EXPECT_EQ(response["patchType"], "JSONPatch");
    EXPECT_FALSE(patch_of(response).empty());
    const std::string exposition = f.registry.render();
    EXPECT_THAT(
        exposition,
        HasSubstr(
            R"(pod_identity_webhook_mutations_total{mode="web_identity",outcome="mutated"} 1)"));
    EXPECT_THAT(exposition,
                HasSubstr(R"(pod_identity_webhook_pod_count{method="sts_web_identity"} 1)"));
}

TEST(AdmissionHandler, ContentTypeMustBeJsonButParametersAndCaseAreFine) {
    EXPECT_TRUE(AdmissionHandler::is_json_content_type("application/json"));
    EXPECT_TRUE(AdmissionHandler::is_json_content_type("Application/JSON; charset=utf-8"));
    EXPECT_TRUE(AdmissionHandler::is_json_content_type(" application/json ;charset=UTF-8"));
    EXPECT_FALSE(AdmissionHandler::is_json_content_type(""));
    EXPECT_FALSE(AdmissionHandler::is_json_content_type("text/plain"));
    EXPECT_FALSE(AdmissionHandler::is_json_content_type("application/jsonx"));

    Fixture f;
    identity::StaticServiceAccountSource source({}, "test");
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionHandler handler({}, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(typical_review(), "text/plain");
    handler.handle(request, captured.responder());
    ASSERT_EQ(captured.responses.size(), 1U);
    EXPECT_EQ(captured.responses[0].status, 415);
    EXPECT_EQ(captured.responses[0].body, "Invalid Content-Type, expected `application/json`\n");
}

TEST(AdmissionHandler, UndecodableReviewIsDeniedWithTheReason) {
    Fixture f;
    identity::StaticServiceAccountSource source({}, "test");
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionHandler handler({}, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(R"({"request":{"uid":"u1","object":"not a pod"}})");
    handler.handle(request, captured.responder());
    ASSERT_EQ(captured.responses.size(), 1U);
    EXPECT_EQ(captured.responses[0].status, 200);
    const Json response = response_of(captured.responses[0]);
    EXPECT_FALSE(response["allowed"].get<bool>());
    EXPECT_EQ(response["uid"], "u1");
    EXPECT_THAT(response["status"]["message"].get<std::string>(),
                HasSubstr("request.object is a string"));
}

TEST(AdmissionHandler, UnknownServiceAccountIsFetchedAndAnsweredLater) {
    Fixture f;
    SlowSource source;
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionSettings settings;
    settings.lookup_grace_period = std::chrono::milliseconds(1000);
    AdmissionHandler handler(settings, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(typical_review(), "application/json", "/mutate?timeout=2s");
    handler.handle(request, captured.responder());
    EXPECT_TRUE(captured.responses.empty());  // waiting for the source, not blocking the caller
    {
        std::lock_guard lock(source.mutex);
        EXPECT_EQ(source.fetched, "payments/payments-api");
        // bounded by the grace period (the API server's 2s timeout is later)
        EXPECT_LE(source.fetch_deadline, request.received_at + std::chrono::milliseconds(1000));
    }
    std::thread answering([&source] {
        identity::ServiceAccountSource::FetchCallback done;
        {
            std::lock_guard lock(source.mutex);
            done = std::move(source.pending);
        }
        done({identity::LookupStatus::found,
              std::make_shared<identity::ServiceAccountEntry>(payments_api())});
    });
    answering.join();
    ASSERT_TRUE(captured.wait_for(1));
    const Json response = response_of(captured.responses[0]);
    EXPECT_TRUE(response["allowed"].get<bool>());
    EXPECT_TRUE(response.contains("patch"));
    EXPECT_THAT(f.registry.render(),
                HasSubstr(R"(pod_identity_webhook_sa_lookups_total{result="fetched"} 1)"));
}

TEST(AdmissionHandler, TheApiServerTimeoutBoundsTheLookup) {
    Fixture f;
    SlowSource source;
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionSettings settings;
    settings.lookup_grace_period = std::chrono::milliseconds(5000);
    AdmissionHandler handler(settings, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(typical_review(), "application/json", "/mutate?timeout=1s");
    handler.handle(request, captured.responder());
    std::lock_guard lock(source.mutex);
    EXPECT_LT(source.fetch_deadline, request.received_at + std::chrono::milliseconds(1000));
    EXPECT_GT(source.fetch_deadline, request.received_at + std::chrono::milliseconds(500));
    source.pending({identity::LookupStatus::unknown, nullptr});
}

TEST(AdmissionHandler, WithoutAGracePeriodAnUnknownServiceAccountIsMissing) {
    Fixture f;
    SlowSource source;
    identity::IdentityResolver resolver(source, nullptr, {});
    AdmissionSettings settings;
    settings.lookup_grace_period = std::chrono::milliseconds(0);
    AdmissionHandler handler(settings, resolver, &f.metrics, f.jitter);
    Captured captured;
    auto request = make_request(typical_review());
    handler.handle(request, captured.responder());
    ASSERT_EQ(captured.responses.size(), 1U);
    EXPECT_FALSE(response_of(captured.responses[0]).contains("patch"));
    EXPECT_TRUE(source.fetched.empty());
    EXPECT_THAT(f.registry.render(), HasSubstr("pod_identity_webhook_missing_sa_count 1"));
}

}  // namespace
}  // namespace piw::webhook
