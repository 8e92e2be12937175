// The real binary reading ServiceAccounts (and the role ConfigMap) from a Kubernetes API server
// through --kubeconfig: readiness while the API is down, a pod created right after its
// ServiceAccount while the watch is stalled, a dropped watch followed by 410, clear start-up
// errors.

#include <gtest/gtest.h>

#include <csignal>

#include "support/fake_api_server.hpp"
#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

constexpr const char* kRoleKey = "eks.amazonaws.com/role-arn";
constexpr const char* kRoleA = "arn:aws:iam::111122223333:role/role-a";
constexpr const char* kRoleB = "arn:aws:iam::111122223333:role/role-b";

// The role the webhook gives a pod of `namespace_` running as `service_account`, or "" if the
// pod is left alone.
std::string role_given(const WebhookProcess& webhook, const std::string& namespace_,
                       const std::string& service_account) {
    const Json review = make_review(simple_pod("app-pod", service_account), namespace_,
                                    "uid-" + namespace_ + "-" + service_account);
    auto answer = webhook.admit(review);
    if (!answer.ok()) return "<error: " + answer.error() + ">";
    auto pod = patched_pod(review, *answer);
    if (!pod.ok()) return "<error: " + pod.error() + ">";
    return env_value((*pod)["spec"]["containers"][0], "AWS_ROLE_ARN").value_or("");
}

int readyz_status(const WebhookProcess& webhook) {
    auto answer = webhook.request("GET", "/readyz");
    return answer.ok() ? answer->status : 0;
}

class BinaryKubeApi : public ::testing::Test {
  protected:
    void SetUp() override {
        api_.put_service_account("payments", "api", {{kRoleKey, kRoleA}});
        api_.put_service_account("payments", "plain");
    }
    WebhookOptions options(std::vector<std::string> extra = {}) {
        std::vector<std::string> arguments{"--kubeconfig=" + kubeconfig_.string(),
                                           "--aws-default-region=eu-west-1"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return WebhookOptions{.arguments = std::move(arguments), .service_accounts_file = false};
    }

    // The API server up, then the webhook started against it and ready (its first LIST done).
    std::unique_ptr<WebhookProcess> start_ready_webhook(std::vector<std::string> extra = {}) {
        api_.start();
        api_.write_kubeconfig(kubeconfig_);
        auto webhook = std::make_unique<WebhookProcess>(options(std::move(extra)));
        if (!webhook->start()) {
            ADD_FAILURE() << webhook->start_error();
            return nullptr;
        }
        if (!eventually([&webhook]() { return readyz_status(*webhook) == 200; }, 10s)) {
            ADD_FAILURE() << "not ready after 10 s\n" << webhook->log();
            return nullptr;
        }
        return webhook;
    }

    TempDir dir_{"piw-binary-kube"};
    std::filesystem::path kubeconfig_ = dir_ / "kubeconfig";
    FakeApiServer api_;
};

TEST_F(BinaryKubeApi, NotReadyWhileTheApiIsDownThenReadyAndMutating) {
    const unsigned short port = api_.start();
    api_.write_kubeconfig(kubeconfig_);
    api_.stop();
    WebhookProcess webhook(options());
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    EXPECT_EQ(readyz_status(webhook), 503);
    auto not_ready = webhook.request("GET", "/readyz");
    ASSERT_TRUE(not_ready.ok());
    EXPECT_NE(not_ready->body.find("ServiceAccounts not listed yet"), std::string::npos)
        << not_ready->body;
    EXPECT_EQ(webhook.request("GET", "/healthz")->status, 200);  // alive, not ready

    api_.start(port);
    EXPECT_TRUE(eventually([&webhook]() { return readyz_status(webhook) == 200; }, 10s))
        << webhook.log();
    EXPECT_EQ(role_given(webhook, "payments", "api"), kRoleA);
    EXPECT_EQ(role_given(webhook, "payments", "plain"), "");
    EXPECT_EQ(webhook.metric("pod_identity_webhook_service_accounts"), 2);
}

TEST_F(BinaryKubeApi, PodCreatedRightAfterItsServiceAccountWhileTheWatchIsStalled) {
    auto started = start_ready_webhook();
    ASSERT_NE(started, nullptr);
    WebhookProcess& webhook = *started;

    api_.set_watches_stalled(true);
    api_.put_service_account("payments", "brand-new", {{kRoleKey, kRoleB}});
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(role_given(webhook, "payments", "brand-new"), kRoleB) << webhook.log();
    EXPECT_EQ(webhook.metric("pod_identity_webhook_sa_lookups_total", {{"result", "fetched"}}), 1);
    // A ServiceAccount that does not exist: the lookup says so, the pod is admitted unchanged.
    EXPECT_EQ(role_given(webhook, "payments", "ghost"), "");
    EXPECT_EQ(webhook.metric("pod_identity_webhook_missing_sa_count"), 1);
    api_.set_watches_stalled(false);
}

TEST_F(BinaryKubeApi, AfterADroppedWatchAnd410LaterChangesAndDeletesAreReflected) {
    auto started = start_ready_webhook();
    ASSERT_NE(started, nullptr);
    WebhookProcess& webhook = *started;

    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }, 5s));
    api_.set_watches_stalled(true);
    api_.put_service_account("payments", "api", {{kRoleKey, kRoleB}});  // in the gap
    api_.compact();
    api_.drop_watches();
    api_.set_watches_stalled(false);
    EXPECT_TRUE(eventually(
        [&webhook]() {
            return webhook.metric("pod_identity_webhook_watch_restarts_total").value_or(0) >= 1;
        },
        10s))
        << webhook.log();
    EXPECT_TRUE(
        eventually([&webhook]() { return role_given(webhook, "payments", "api") == kRoleB; }, 10s));
    // Later changes arrive through the new watch.
    api_.put_service_account("payments", "plain", {{kRoleKey, kRoleA}});
    EXPECT_TRUE(eventually(
        [&webhook]() { return role_given(webhook, "payments", "plain") == kRoleA; }, 10s));
    api_.delete_service_account("payments", "api");
    EXPECT_TRUE(
        eventually([&webhook]() { return role_given(webhook, "payments", "api").empty(); }, 10s));
}

TEST_F(BinaryKubeApi, RolesFromTheConfigMap) {
    api_.put_config_map(
        "eks", "pod-identity-webhook",
        {{"config",
          R"({"payments/plain":{"RoleARN":"arn:aws:iam::111122223333:role/from-cm"},"bad-key":{}})"}});
    auto started = start_ready_webhook({"--watch-config-map", "--namespace=eks"});
    ASSERT_NE(started, nullptr);
    WebhookProcess& webhook = *started;
    EXPECT_EQ(role_given(webhook, "payments", "plain"), "arn:aws:iam::111122223333:role/from-cm");
    EXPECT_EQ(role_given(webhook, "payments", "api"), kRoleA);  // the annotation wins
    EXPECT_TRUE(webhook.wait_for_log("bad-key", 2s));
    api_.delete_config_map("eks", "pod-identity-webhook");
    EXPECT_TRUE(
        eventually([&webhook]() { return role_given(webhook, "payments", "plain").empty(); }, 10s));
}

TEST_F(BinaryKubeApi, SigtermWithAStalledWatchExitsPromptly) {
    auto started = start_ready_webhook();
    ASSERT_NE(started, nullptr);
    WebhookProcess& webhook = *started;
    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }, 5s));
    api_.set_watches_stalled(true);  // the watch blocks in a read that will not return
    const auto signalled = std::chrono::steady_clock::now();
    ASSERT_TRUE(webhook.process().signal(SIGTERM));
    EXPECT_EQ(webhook.process().wait_exit(5s), 0) << webhook.log();
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, 2s);
    api_.set_watches_stalled(false);
}

TEST_F(BinaryKubeApi, BadKubeconfigStopsStartUpWithAClearMessage) {
    const auto broken = dir_.write_file("broken", "apiVersion: v1\nkind: Config\nclusters: [\n");
    auto result = run_binary({"--port=0", "--metrics-port=0", "--kubeconfig=" + broken.string()});
    ASSERT_TRUE(result.exit_code.has_value());
    EXPECT_EQ(*result.exit_code, 1);
    EXPECT_NE(result.err.find(broken.string()), std::string::npos) << result.err;
}

}  // namespace
}  // namespace piw::testing
