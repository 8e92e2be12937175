// What the API server sees from the real binary for well-formed reviews: the echoed envelope, a
// JSONPatch that gives the pod exactly the credentials its ServiceAccount asks for (decisions
// M1–M3), nothing for pods that need nothing.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kRegion = "eu-west-1";

// The pod after the patch, minus what the webhook is expected to add: the token volume at the
// front of spec.volumes, `added_env` at the end of every container's env, the token mount at the
// end of every container's volumeMounts. Equal to the original pod iff nothing else was touched.
Json without_expected_additions(Json pod, std::size_t added_env, std::string_view volume) {
    Json& spec = pod["spec"];
    if (!spec["volumes"].empty() && spec["volumes"][0].value("name", "") == volume) {
        spec["volumes"].erase(0);
    }
    for (const char* list : {"initContainers", "containers"}) {
        if (!spec.contains(list)) continue;
        for (Json& container : spec[list]) {
            Json& env = container["env"];
            for (std::size_t i = 0; i < added_env && !env.empty(); ++i) {
                env.erase(env.size() - 1);
            }
            if (env.empty()) container.erase("env");
            Json& mounts = container["volumeMounts"];
            if (!mounts.empty() && mounts.back().value("name", "") == volume) {
                mounts.erase(mounts.size() - 1);
            }
            if (mounts.empty()) container.erase("volumeMounts");
        }
    }
    return pod;
}

std::vector<std::pair<std::string, std::string>> last_env(const Json& container, std::size_t n) {
    auto env = env_of(container);
    if (env.size() < n) return env;
    return {env.end() - static_cast<std::ptrdiff_t>(n), env.end()};
}

TEST(BinaryAdmission, TypicalV1ReviewGetsWebIdentityCredentials) {
    WebhookProcess webhook({.arguments = {"--aws-default-region=" + std::string(kRegion)}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Json review = typical_review();

    auto message = webhook.post_review(review.dump());
    ASSERT_TRUE(message.ok()) << message.error();
    ASSERT_EQ(message->status, 200) << message->body;
    EXPECT_EQ(message->header("Content-Type").value_or(""), "application/json");
    auto answer = parse_admission_answer(*message);
    ASSERT_TRUE(answer.ok()) << answer.error();

    EXPECT_EQ(answer->review.value("kind", ""), "AdmissionReview");
    EXPECT_EQ(answer->review.value("apiVersion", ""), "admission.k8s.io/v1");
    EXPECT_FALSE(answer->review.contains("request")) << "the request is not echoed back";
    EXPECT_EQ(answer->response.value("uid", ""), review["request"]["uid"].get<std::string>());
    EXPECT_EQ(answer->response.value("allowed", false), true);
    EXPECT_EQ(answer->response.value("patchType", ""), "JSONPatch");
    ASSERT_TRUE(answer->patch.has_value()) << answer->review.dump();
    for (const Json& operation : *answer->patch) {
        EXPECT_EQ(operation.value("op", ""), "add") << operation.dump();
        const std::string path = operation.value("path", "");
        EXPECT_NE(path, "/spec/containers") << "whole containers array replaced (M2)";
        EXPECT_NE(path, "/spec/initContainers") << "whole initContainers array replaced (M2)";
    }

    auto pod = patched_pod(review, *answer);
    ASSERT_TRUE(pod.ok()) << pod.error();
    const Json& spec = (*pod)["spec"];

    const std::vector<std::pair<std::string, std::string>> expected_env{
        {"AWS_STS_REGIONAL_ENDPOINTS", "regional"},
        {"AWS_DEFAULT_REGION", std::string(kRegion)},
        {"AWS_REGION", std::string(kRegion)},
        {"AWS_ROLE_ARN", std::string(kPaymentsRoleArn)},
        {"AWS_WEB_IDENTITY_TOKEN_FILE", std::string(kWebIdentityTokenFile)},
    };
    const Json expected_mount = {{"name", "aws-iam-token"},
                                 {"readOnly", true},
                                 {"mountPath", std::string(kWebIdentityMountPath)}};
    for (const char* list : {"initContainers", "containers"}) {
        for (const Json& container : spec[list]) {
            const std::string name = container.value("name", "");
            EXPECT_EQ(last_env(container, expected_env.size()), expected_env) << name;
            ASSERT_TRUE(container.contains("volumeMounts")) << name;
            EXPECT_EQ(container["volumeMounts"].back(), expected_mount) << name;
        }
    }
    // The containers' own variables stay first, in their order.
    auto api_env = env_of(find_named(spec["containers"], "api"));
    ASSERT_GE(api_env.size(), 3U);
    EXPECT_EQ(api_env[0].first, "LOG_LEVEL");
    EXPECT_EQ(api_env[1].first, "POD_NAME");
    EXPECT_EQ(api_env[2].first, "GOMAXPROCS");

    ASSERT_EQ(spec["volumes"].size(), 4U);
    const Json expected_volume = Json::parse(R"({"name":"aws-iam-token","projected":{"sources":[
        {"serviceAccountToken":{"audience":"sts.amazonaws.com","expirationSeconds":86400,"path":"token"}}]}})");
    EXPECT_EQ(spec["volumes"][0], expected_volume) << "upstream prepends the token volume";

    // Nothing else changed: securityContext, probes, resources, labels... are as they were.
    const Json original = review["request"]["object"];
    EXPECT_EQ(without_expected_additions(*pod, expected_env.size(), "aws-iam-token"), original);
}

TEST(BinaryAdmission, V1beta1ReviewIsAnsweredAsV1beta1) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    Json review = typical_review();
    review["apiVersion"] = "admission.k8s.io/v1beta1";

    auto answer = webhook.admit(review);
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->review.value("apiVersion", ""), "admission.k8s.io/v1beta1");
    EXPECT_EQ(answer->review.value("kind", ""), "AdmissionReview");
    EXPECT_EQ(answer->response.value("uid", ""), review["request"]["uid"].get<std::string>());
    EXPECT_TRUE(answer->response.value("allowed", false));
    ASSERT_TRUE(answer->patch.has_value());
    auto pod = patched_pod(review, *answer);
    ASSERT_TRUE(pod.ok()) << pod.error();
    EXPECT_EQ(env_value(find_named((*pod)["spec"]["containers"], "api"), "AWS_ROLE_ARN"),
              std::string(kPaymentsRoleArn));
}

TEST(BinaryAdmission, ReinvocationOnTheMutatedPodNeedsNoPatch) {
    WebhookProcess webhook({.arguments = {"--aws-default-region=" + std::string(kRegion)}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Json review = typical_review();
    auto first = webhook.admit(review);
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_TRUE(first->patch.has_value());
    auto pod = patched_pod(review, *first);
    ASSERT_TRUE(pod.ok()) << pod.error();

    Json again = review;
    again["request"]["uid"] = "second-pass";
    again["request"]["object"] = *pod;
    auto second = webhook.admit(again);
    ASSERT_TRUE(second.ok()) << second.error();
    EXPECT_EQ(second->response.value("uid", ""), "second-pass");
    EXPECT_TRUE(second->response.value("allowed", false));
    EXPECT_FALSE(second->response.contains("patch")) << second->review.dump();
    EXPECT_FALSE(second->response.contains("patchType")) << second->review.dump();
}

TEST(BinaryAdmission, ServiceAccountWithoutRoleIsAllowedUnchanged) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto answer = webhook.admit(typical_review_for("no-role", "uid-no-role"));
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->response.value("uid", ""), "uid-no-role");
    EXPECT_TRUE(answer->response.value("allowed", false));
    EXPECT_FALSE(answer->response.contains("patch")) << answer->review.dump();
    EXPECT_FALSE(answer->response.contains("status")) << "not a denial";
}

TEST(BinaryAdmission, UnknownServiceAccountIsAllowedPromptlyAndCountedAsMissing) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Json review = make_review(simple_pod("orphan", "ghost"), "payments", "uid-ghost");

    const auto started = Clock::now();
    auto answer = webhook.admit(review);
    const auto elapsed = Clock::now() - started;
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_TRUE(answer->response.value("allowed", false));
    EXPECT_FALSE(answer->response.contains("patch")) << answer->review.dump();
    // The file is the whole truth (I5): no reason to wait out the 1 s lookup grace period (I2).
    EXPECT_LT(elapsed, std::chrono::milliseconds(800));

    const auto missing = webhook.metric("pod_identity_webhook_missing_sa_count");
    ASSERT_TRUE(missing.has_value()) << webhook.metrics_get()->body;
    EXPECT_GE(*missing, 1.0);
}

TEST(BinaryAdmission, SimplePodOfAnnotatedServiceAccountGetsVolumesAndEnvCreated) {
    // A pod with no env, no volumes and no mounts at all: the lists are created.
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Json review = make_review(simple_pod("bare", "payments-api"), "payments", "uid-bare");
    auto answer = webhook.admit(review);
    ASSERT_TRUE(answer.ok()) << answer.error();
    ASSERT_TRUE(answer->patch.has_value()) << answer->review.dump();
    auto pod = patched_pod(review, *answer);
    ASSERT_TRUE(pod.ok()) << pod.error();
    const Json& container = (*pod)["spec"]["containers"][0];
    const std::vector<std::pair<std::string, std::string>> expected_env{
        {"AWS_STS_REGIONAL_ENDPOINTS", "regional"},
        {"AWS_ROLE_ARN", std::string(kPaymentsRoleArn)},
        {"AWS_WEB_IDENTITY_TOKEN_FILE", std::string(kWebIdentityTokenFile)},
    };
    EXPECT_EQ(env_of(container), expected_env);
    ASSERT_EQ((*pod)["spec"]["volumes"].size(), 1U);
    EXPECT_EQ((*pod)["spec"]["volumes"][0].value("name", ""), "aws-iam-token");
    ASSERT_EQ(container["volumeMounts"].size(), 1U);
    EXPECT_EQ(container["volumeMounts"][0].value("mountPath", ""), kWebIdentityMountPath);
}

TEST(BinaryAdmission, PathWithTheApiServerTimeoutQueryIsServed) {
    // The API server calls <path>?timeout=10s (its webhook timeout).
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto message = webhook.request("POST", "/mutate?timeout=10s", typical_review().dump(),
                                   {{"Content-Type", "application/json"}});
    ASSERT_TRUE(message.ok()) << message.error();
    auto answer = parse_admission_answer(*message);
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_TRUE(answer->patch.has_value()) << answer->review.dump();
}

TEST(BinaryAdmission, ChunkedReviewIsServed) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const std::string body = typical_review().dump();
    std::string request =
        "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t offset = 0; offset < body.size(); offset += 1000) {
        const std::string piece = body.substr(offset, 1000);
        char size[16];
        std::snprintf(size, sizeof size, "%zx", piece.size());
        request += std::string(size) + "\r\n" + piece + "\r\n";
    }
    request += "0\r\n\r\n";
    auto connection = webhook.connect();
    ASSERT_TRUE(connection.ok()) << connection.error();
    ASSERT_TRUE(connection->send(request).ok());
    auto message = connection->read_response();
    ASSERT_TRUE(message.ok()) << message.error();
    auto answer = parse_admission_answer(*message);
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_TRUE(answer->patch.has_value());
}

TEST(BinaryAdmission, LargePodUnderTheBodyLimitIsMutated) {
    // Pods can be big (last-applied-configuration, large env): 6 MiB is still under the 8 MiB
    // limit.
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    Json review = typical_review();
    review["request"]["object"]["metadata"]["annotations"]["example.com/blob"] =
        std::string(6U * 1024U * 1024U, 'b');
    auto message = webhook.post_review(review.dump(), 20s);
    ASSERT_TRUE(message.ok()) << message.error();
    auto answer = parse_admission_answer(*message);
    ASSERT_TRUE(answer.ok()) << answer.error().substr(0, 500);
    ASSERT_TRUE(answer->patch.has_value());
    auto pod = patched_pod(review, *answer);
    ASSERT_TRUE(pod.ok()) << pod.error();
    EXPECT_EQ(env_value(find_named((*pod)["spec"]["containers"], "api"), "AWS_ROLE_ARN"),
              std::string(kPaymentsRoleArn));
}

TEST(BinaryAdmission, ConcurrentClientsGetTheSameAnswer) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Json review = typical_review();
    auto reference = webhook.admit(review);
    ASSERT_TRUE(reference.ok()) << reference.error();
    ASSERT_TRUE(reference->patch.has_value());

    constexpr int kClients = 4;
    constexpr int kRequestsEach = 25;
    const std::string body = review.dump();
    std::vector<std::string> failures(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&webhook, &body, &reference, &failures, c] {
            auto connection = webhook.connect();
            if (!connection.ok()) {
                failures[static_cast<std::size_t>(c)] = connection.error();
                return;
            }
            for (int i = 0; i < kRequestsEach; ++i) {
                auto message = connection->request("POST", "/mutate", body,
                                                   {{"Content-Type", "application/json"}});
                auto answer = message.ok() ? parse_admission_answer(*message)
                                           : Result<AdmissionAnswer>(Error{message.error()});
                if (!answer.ok() || answer->patch != reference->patch) {
                    failures[static_cast<std::size_t>(c)] =
                        "request " + std::to_string(i) + ": " +
                        (answer.ok() ? answer->review.dump() : answer.error());
                    return;
                }
            }
        });
    }
    for (auto& client : clients) client.join();
    for (int c = 0; c < kClients; ++c) {
        EXPECT_EQ(failures[static_cast<std::size_t>(c)], "") << "client " << c;
    }
}

}  // namespace
}  // namespace piw::testing
