// The Kubernetes API sources (decisions I1–I3) against the fake API server of tests/support,
// through the real client: LIST pagination, watch events, resumption, 410 relists, failures,
// token rotation, live lookups while the watch is stalled, and the ConfigMap.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "pod_identity_webhook/identity/config_map_roles.hpp"
#include "pod_identity_webhook/identity/kubernetes_service_account_source.hpp"
#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/metrics/registry.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "support/eventually.hpp"
#include "support/fake_api_server.hpp"
#include "support/temp_dir.hpp"

namespace piw::identity {
namespace {

using namespace std::chrono_literals;
using piw::testing::eventually;
using piw::testing::FakeApiServer;
using piw::testing::StringMap;
using piw::testing::TempDir;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr const char* kRoleKey = "eks.amazonaws.com/role-arn";
constexpr const char* kRoleA = "arn:aws:iam::111122223333:role/a";
constexpr const char* kRoleB = "arn:aws:iam::111122223333:role/b";

std::unique_ptr<kube::KubeClient> client_from(const std::filesystem::path& kubeconfig) {
    auto config = kube::load_kubeconfig(kubeconfig.string());
    if (!config.ok()) throw std::runtime_error(config.error());
    auto client = kube::KubeClient::create(std::move(config).value());
    if (!client.ok()) throw std::runtime_error(client.error());
    return std::move(client).value();
}

KubernetesSourceOptions fast_options() {
    KubernetesSourceOptions options;
    options.page_size = 100;
    options.initial_backoff = 20ms;
    options.max_backoff = 200ms;
    return options;
}

std::string role_of(const ServiceAccountSource& source, const std::string& namespace_,
                    const std::string& name) {
    const auto lookup = source.find(namespace_, name);
    if (lookup.status != LookupStatus::found) return "<not cached>";
    return lookup.entry->role_arn;
}

ServiceAccountLookup fetch_now(ServiceAccountSource& source, const std::string& namespace_,
                               const std::string& name, std::chrono::milliseconds grace = 1s) {
    std::promise<ServiceAccountLookup> answer;
    source.fetch(namespace_, name, Clock::now() + grace,
                 [&answer](ServiceAccountLookup lookup) { answer.set_value(std::move(lookup)); });
    auto future = answer.get_future();
    if (future.wait_for(grace + 2s) != std::future_status::ready) {
        throw std::runtime_error("fetch did not answer by its deadline");
    }
    return future.get();
}

class KubernetesSourceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        api_.put_service_account("payments", "api", {{kRoleKey, kRoleA}});
        api_.put_service_account("payments", "plain");
    }
    void TearDown() override {
        if (client_) client_->shutdown();
        if (source_) source_->stop();
    }

    void start_source(KubernetesSourceOptions options = fast_options()) {
        if (!api_.running() && start_api_) api_.start();
        if (client_ == nullptr) {
            api_.write_kubeconfig(dir_ / "kubeconfig");
            client_ = client_from(dir_ / "kubeconfig");
        }
        source_ = std::make_unique<KubernetesServiceAccountSource>(*client_, std::move(options),
                                                                   &metrics_);
        source_->start();
    }
    bool synced() {
        return eventually([this]() { return source_->synced(); }, 5s);
    }

    TempDir dir_{"piw-kube-source"};
    FakeApiServer api_;
    bool start_api_ = true;
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_{registry_};
    std::unique_ptr<kube::KubeClient> client_;
    std::unique_ptr<KubernetesServiceAccountSource> source_;
};

TEST_F(KubernetesSourceTest, ListsEveryPageBeforeItIsSynced) {
    api_.add_generated_service_accounts(1234, 7, 10);
    start_source();
    ASSERT_TRUE(synced()) << source_->last_error();
    EXPECT_EQ(source_->size(), 1236U);
    EXPECT_EQ(role_of(*source_, "payments", "api"), kRoleA);
    EXPECT_EQ(role_of(*source_, "payments", "plain"), "");  // known, without a role
    // 1236 objects in pages of 100.
    EXPECT_EQ(api_.count_requests("/api/v1/serviceaccounts") - api_.count_watches(), 13);
    EXPECT_THAT(registry_.render(), HasSubstr("pod_identity_webhook_service_accounts 1236"));
    EXPECT_THAT(registry_.render(), HasSubstr("pod_identity_webhook_used 1"));
}

TEST_F(KubernetesSourceTest, WatchAddsModifiesAndDeletes) {
    start_source();
    ASSERT_TRUE(synced());
    api_.put_service_account("shop", "cart", {{kRoleKey, kRoleA}});
    EXPECT_TRUE(eventually([this]() { return role_of(*source_, "shop", "cart") == kRoleA; }));
    api_.put_service_account("shop", "cart", {{kRoleKey, kRoleB}});
    EXPECT_TRUE(eventually([this]() { return role_of(*source_, "shop", "cart") == kRoleB; }));
    api_.put_service_account("shop", "cart", {});  // annotation removed: no role any more
    EXPECT_TRUE(eventually([this]() { return role_of(*source_, "shop", "cart").empty(); }));
    api_.delete_service_account("shop", "cart");
    EXPECT_TRUE(eventually(
        [this]() { return source_->find("shop", "cart").status == LookupStatus::unknown; }));
}

TEST_F(KubernetesSourceTest, ADroppedWatchResumesFromTheLastVersionWithoutLosingEvents) {
    start_source();
    ASSERT_TRUE(synced());
    const int lists = api_.count_requests("/api/v1/serviceaccounts") - api_.count_watches();
    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }));
    api_.set_watches_stalled(true);
    api_.put_service_account("shop", "during-stall", {{kRoleKey, kRoleA}});
    api_.delete_service_account("payments", "api");
    api_.drop_watches();
    // The events above were never delivered on the dropped watch; the new one must replay them.
    ASSERT_TRUE(eventually([this]() { return api_.count_watches() >= 2; }));
    api_.set_watches_stalled(false);
    EXPECT_TRUE(
        eventually([this]() { return role_of(*source_, "shop", "during-stall") == kRoleA; }));
    EXPECT_TRUE(eventually(
        [this]() { return source_->find("payments", "api").status == LookupStatus::unknown; }));
    // Resumed by WATCH from its resourceVersion, not by listing again.
    EXPECT_EQ(api_.count_requests("/api/v1/serviceaccounts") - api_.count_watches(), lists);
}

TEST_F(KubernetesSourceTest, ExpiredVersionRelistsAndAppliesADeleteFromTheGap) {
    start_source();
    ASSERT_TRUE(synced());
    const unsigned short port = api_.port();
    api_.stop();                                     // the API server restarts...
    api_.delete_service_account("payments", "api");  // ...and meanwhile this one goes
    api_.put_service_account("shop", "new", {{kRoleKey, kRoleB}});
    api_.compact();  // and the events of the gap are gone: WATCH gets 410
    api_.start(port);
    EXPECT_TRUE(eventually([this]() { return role_of(*source_, "shop", "new") == kRoleB; }, 5s));
    EXPECT_TRUE(eventually(
        [this]() { return source_->find("payments", "api").status == LookupStatus::unknown; }));
    EXPECT_EQ(role_of(*source_, "payments", "plain"), "");  // still known
    EXPECT_THAT(registry_.render(),
                ::testing::ContainsRegex("pod_identity_webhook_watch_restarts_total [1-9]"));
    // And it keeps watching after the relist.
    api_.put_service_account("shop", "later", {{kRoleKey, kRoleA}});
    EXPECT_TRUE(eventually([this]() { return role_of(*source_, "shop", "later") == kRoleA; }));
}

TEST_F(KubernetesSourceTest, ABurstOfServerErrorsIsRetriedUntilItSyncs) {
    api_.fail_next_requests(6, 500, "/api/v1/serviceaccounts");
    start_source();
    ASSERT_TRUE(synced()) << source_->last_error();
    EXPECT_EQ(role_of(*source_, "payments", "api"), kRoleA);
    api_.fail_next_requests(3, 503, "/api/v1/serviceaccounts");
    api_.drop_watches();
    api_.put_service_account("shop", "after-errors", {{kRoleKey, kRoleA}});
    EXPECT_TRUE(
        eventually([this]() { return role_of(*source_, "shop", "after-errors") == kRoleA; }, 5s));
}

TEST_F(KubernetesSourceTest, ForbiddenIsReportedWithAHintAndNotReady) {
    api_.fail_next_requests(1000, 403, "/api/v1/serviceaccounts");
    start_source();
    EXPECT_TRUE(eventually([this]() { return !source_->last_error().empty(); }));
    EXPECT_FALSE(source_->synced());
    EXPECT_THAT(source_->last_error(), HasSubstr("403"));
    EXPECT_THAT(source_->last_error(), HasSubstr("list and watch on serviceaccounts"));
}

TEST_F(KubernetesSourceTest, APIDownAtStartIsNotReadyThenSyncsWhenItComesUp) {
    const unsigned short port = api_.start();
    api_.write_kubeconfig(dir_ / "kubeconfig");
    api_.stop();
    start_api_ = false;
    start_source();
    EXPECT_TRUE(eventually([this]() { return !source_->last_error().empty(); }));
    EXPECT_FALSE(source_->synced());
    api_.start(port);
    ASSERT_TRUE(synced()) << source_->last_error();
    EXPECT_EQ(role_of(*source_, "payments", "api"), kRoleA);
    EXPECT_EQ(source_->last_error(), "");
}

TEST_F(KubernetesSourceTest, RotatedTokenFileIsUsedByTheNextRequest) {
    api_.set_tokens({"token-1"});
    api_.start();
    const auto token_file = dir_.write_file("token", "token-1");
    // A kubeconfig that names the token file instead of embedding the token.
    api_.write_kubeconfig(dir_ / "inline-kubeconfig", "token-1");
    std::string text = piw::testing::read_file(dir_ / "inline-kubeconfig");
    const std::string inline_token = R"(token: "token-1")";
    const auto at = text.find(inline_token);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, inline_token.size(), "tokenFile: " + token_file.string());
    piw::testing::write_file(dir_ / "kubeconfig", text);
    client_ = client_from(dir_ / "kubeconfig");
    start_source();
    ASSERT_TRUE(synced()) << source_->last_error();

    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }));
    // The kubelet rotates the bound token; the old one stops working.
    piw::testing::write_file(token_file, "token-2");
    api_.set_tokens({"token-2"});
    api_.drop_watches();
    api_.put_service_account("shop", "after-rotation", {{kRoleKey, kRoleB}});
    EXPECT_TRUE(
        eventually([this]() { return role_of(*source_, "shop", "after-rotation") == kRoleB; }, 5s));
    const auto requests = api_.requests();
    ASSERT_FALSE(requests.empty());
    EXPECT_EQ(requests.back().authorization, "Bearer token-2");
}

TEST_F(KubernetesSourceTest, PodCreatedRightAfterItsServiceAccountWhileTheWatchIsStalled) {
    start_source();
    ASSERT_TRUE(synced());
    api_.set_watches_stalled(true);
    api_.put_service_account("payments", "brand-new", {{kRoleKey, kRoleB}});
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(source_->find("payments", "brand-new").status, LookupStatus::unknown);
    const auto lookup = fetch_now(*source_, "payments", "brand-new");
    ASSERT_EQ(lookup.status, LookupStatus::found);
    EXPECT_EQ(lookup.entry->role_arn, kRoleB);
    EXPECT_EQ(api_.count_requests("/api/v1/namespaces/payments/serviceaccounts/brand-new"), 1);
    // Now cached: the next pod needs no request.
    EXPECT_EQ(role_of(*source_, "payments", "brand-new"), kRoleB);
    api_.set_watches_stalled(false);
}

TEST_F(KubernetesSourceTest, LiveLookupOfAServiceAccountThatDoesNotExistIsAbsent) {
    start_source();
    ASSERT_TRUE(synced());
    EXPECT_EQ(fetch_now(*source_, "payments", "ghost").status, LookupStatus::absent);
    EXPECT_EQ(source_->find("payments", "ghost").status, LookupStatus::unknown);  // not cached
}

TEST_F(KubernetesSourceTest, AFailedLiveLookupDoesNotPoisonTheNextOne) {
    start_source();
    ASSERT_TRUE(synced());
    api_.set_watches_stalled(true);
    api_.put_service_account("payments", "flaky", {{kRoleKey, kRoleA}});
    api_.fail_next_requests(1, 403, "/serviceaccounts/flaky");  // 403 is not retried
    EXPECT_EQ(fetch_now(*source_, "payments", "flaky").status, LookupStatus::unknown);
    const auto lookup = fetch_now(*source_, "payments", "flaky");
    ASSERT_EQ(lookup.status, LookupStatus::found);
    EXPECT_EQ(lookup.entry->role_arn, kRoleA);
    api_.set_watches_stalled(false);
}

TEST_F(KubernetesSourceTest, LiveLookupGivesUpAtTheDeadlineWhenTheApiIsSlow) {
    start_source();
    ASSERT_TRUE(synced());
    api_.set_watches_stalled(true);
    api_.set_response_delay(2s);
    const auto started = Clock::now();
    EXPECT_EQ(fetch_now(*source_, "payments", "slow", 200ms).status, LookupStatus::unknown);
    EXPECT_LT(Clock::now() - started, 1s);
    api_.set_response_delay(0ms);
    api_.set_watches_stalled(false);
}

// ---- ConfigMap ------------------------------------------------------------------------------

class ConfigMapSourceTest : public ::testing::Test {
  protected:
    void start_source() {
        api_.start();
        api_.write_kubeconfig(dir_ / "kubeconfig");
        client_ = client_from(dir_ / "kubeconfig");
        ConfigMapRoleSource::Options options;
        options.namespace_ = "eks";
        options.initial_backoff = 20ms;
        options.max_backoff = 200ms;
        source_ = std::make_unique<ConfigMapRoleSource>(*client_, options, &metrics_);
        source_->start();
        ASSERT_TRUE(eventually([this]() { return source_->synced(); }, 5s))
            << source_->last_error();
    }
    void TearDown() override {
        if (client_) client_->shutdown();
        if (source_) source_->stop();
    }
    std::string role_of(const std::string& namespace_, const std::string& name) {
        auto role = source_->find(namespace_, name, true);
        return role ? role->role_arn : "<none>";
    }

    TempDir dir_{"piw-configmap"};
    FakeApiServer api_;
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_{registry_};
    std::unique_ptr<kube::KubeClient> client_;
    std::unique_ptr<ConfigMapRoleSource> source_;
};

TEST_F(ConfigMapSourceTest, AddUpdateAndDeleteFollowTheConfigMap) {
    start_source();
    EXPECT_EQ(source_->size(), 0U);  // no ConfigMap yet: synced and empty
    api_.put_config_map(
        "eks", "pod-identity-webhook",
        {{"config", R"({"payments/api":{"RoleARN":"arn:a"},"*/any":{"RoleARN":"arn:b"}})"}});
    EXPECT_TRUE(eventually([this]() { return role_of("payments", "api") == "arn:a"; }));
    EXPECT_EQ(role_of("shop", "any"), "arn:b");
    // Update: an entry that is no longer in the config goes away.
    api_.put_config_map("eks", "pod-identity-webhook",
                        {{"config", R"({"payments/api":{"RoleARN":"arn:c"}})"}});
    EXPECT_TRUE(eventually([this]() { return role_of("payments", "api") == "arn:c"; }));
    EXPECT_EQ(role_of("shop", "any"), "<none>");
    // Delete clears (upstream kept the roles until restart).
    api_.delete_config_map("eks", "pod-identity-webhook");
    EXPECT_TRUE(eventually([this]() { return role_of("payments", "api") == "<none>"; }));
}

TEST_F(ConfigMapSourceTest, BadKeysAreSkippedAndAnInvalidUpdateKeepsThePreviousRoles) {
    api_.put_config_map(
        "eks", "pod-identity-webhook",
        {{"config", R"({"noslash":{"RoleARN":"x"},"payments/api":{"RoleARN":"arn:a"}})"}});
    start_source();
    EXPECT_EQ(role_of("payments", "api"), "arn:a");
    EXPECT_EQ(source_->size(), 1U);
    api_.put_config_map("eks", "pod-identity-webhook", {{"config", R"({"payments/api":)"}});
    api_.put_config_map("eks", "other-configmap",
                        {{"config", R"({"payments/api":{"RoleARN":"arn:z"}})"}});
    EXPECT_TRUE(eventually([this]() {
        return registry_.render().find(
                   R"(pod_identity_webhook_config_reloads_total{result="failure",source="config_map"} 1)") !=
               std::string::npos;
    }));
    EXPECT_EQ(role_of("payments", "api"), "arn:a");
}

TEST_F(ConfigMapSourceTest, OnlyTheWebhooksConfigMapInItsNamespaceCounts) {
    api_.put_config_map("default", "pod-identity-webhook",
                        {{"config", R"({"payments/api":{"RoleARN":"arn:wrong-namespace"}})"}});
    start_source();
    api_.put_config_map("eks", "something-else",
                        {{"config", R"({"payments/api":{"RoleARN":"arn:wrong-name"}})"}});
    api_.put_config_map("eks", "pod-identity-webhook",
                        {{"config", R"({"shop/cart":{"RoleARN":"arn:right"}})"}});
    EXPECT_TRUE(eventually([this]() { return role_of("shop", "cart") == "arn:right"; }));
    EXPECT_EQ(role_of("payments", "api"), "<none>");
}

}  // namespace
}  // namespace piw::identity
