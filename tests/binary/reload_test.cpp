// Files the webhook watches while it runs: the serving certificate (S2), the ServiceAccounts file
// (I5) and the container-credentials config (I4), each updated the way they are in a cluster
// (kubelet symlink swaps) or by hand, without a restart.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

constexpr auto kReloadTimeout = 5s;
constexpr std::string_view kBatchRoleArn = "arn:aws:iam::111122223333:role/batch";
constexpr std::string_view kPodIdentityMountPath =
    "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";
constexpr std::string_view kPodIdentityTokenFile =
    "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";

// CN of the certificate a fresh handshake gets, or "<error>".
std::string served_common_name(const WebhookProcess& webhook) {
    auto connection = webhook.connect(2s);
    if (!connection.ok()) return "<" + connection.error() + ">";
    return connection->peer_common_name();
}

TEST(BinaryReload, CertificateRotatesOnKubeletSecretSwap) {
    WebhookProcess webhook({.certificate_cn = "webhook-a"});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(served_common_name(webhook), "webhook-a");
    auto kept = webhook.connect();
    ASSERT_TRUE(kept.ok()) << kept.error();

    webhook.rotate_certificate("webhook-b");
    EXPECT_TRUE(
        eventually([&] { return served_common_name(webhook) == "webhook-b"; }, kReloadTimeout))
        << "still serving " << served_common_name(webhook) << "\n"
        << webhook.log();
    // A connection made before the swap keeps working.
    auto answer = kept->request("GET", "/healthz");
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->status, 200);
    EXPECT_TRUE(webhook.wait_for_metric_at_least("pod_identity_webhook_certificate_reloads_total",
                                                 {{"result", "success"}}, 1, kReloadTimeout));
}

TEST(BinaryReload, CertificateFilesRewrittenInPlaceAreReloaded) {
    // Not every deployment uses a Secret volume: a sidecar or an operator may rewrite the files.
    WebhookProcess webhook({.certificate_cn = "webhook-a", .kubelet_certificates = false});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(served_common_name(webhook), "webhook-a");
    webhook.rotate_certificate("webhook-b");
    EXPECT_TRUE(
        eventually([&] { return served_common_name(webhook) == "webhook-b"; }, kReloadTimeout))
        << "still serving " << served_common_name(webhook) << "\n"
        << webhook.log();
}

TEST(BinaryReload, BrokenCertificatePairKeepsThePreviousOne) {
    WebhookProcess webhook({.certificate_cn = "webhook-a"});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(served_common_name(webhook), "webhook-a");
    const Labels kCertificateFailure{{"result", "failure"}};

    // A certificate with the key of another one.
    const PemPair certificate = webhook.ca().issue({.common_name = "webhook-mismatched"});
    const PemPair other = webhook.ca().issue({.common_name = "webhook-other"});
    webhook.project_certificate_files(certificate.certificate, other.key);
    ASSERT_TRUE(webhook.wait_for_metric_at_least("pod_identity_webhook_certificate_reloads_total",
                                                 kCertificateFailure, 1, kReloadTimeout))
        << webhook.log();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(served_common_name(webhook), "webhook-a");
    const double failures =
        webhook.metric("pod_identity_webhook_certificate_reloads_total", kCertificateFailure)
            .value_or(0);

    // Garbage in both files.
    webhook.project_certificate_files("not a certificate\n", "not a key\n");
    EXPECT_TRUE(webhook.wait_for_metric_at_least("pod_identity_webhook_certificate_reloads_total",
                                                 kCertificateFailure, failures + 1, kReloadTimeout))
        << webhook.log();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(served_common_name(webhook), "webhook-a");
    auto health = webhook.request("GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.error();
    EXPECT_EQ(health->status, 200);

    // A good pair again is picked up.
    webhook.rotate_certificate("webhook-fixed");
    EXPECT_TRUE(
        eventually([&] { return served_common_name(webhook) == "webhook-fixed"; }, kReloadTimeout))
        << webhook.log();
}

std::string service_accounts_with_batch_role() {
    return test_data("typical-sa.yaml") + R"(
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: no-role
  namespace: payments
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: batch
  namespace: payments
  annotations:
    eks.amazonaws.com/role-arn: )" +
           std::string(kBatchRoleArn) + "\n";
}

// The role the webhook gives the typical pod when it runs as `service_account` ("" if none).
std::string role_given_to(const WebhookProcess& webhook, std::string_view service_account) {
    const Json review = typical_review_for(service_account, "uid-reload");
    auto answer = webhook.admit(review);
    if (!answer.ok() || !answer->patch) return "";
    auto pod = patched_pod(review, *answer);
    if (!pod.ok()) return "";
    return env_value(find_named((*pod)["spec"]["containers"], "api"), "AWS_ROLE_ARN").value_or("");
}

TEST(BinaryReload, ServiceAccountsFileEditIsPickedUp) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(role_given_to(webhook, "batch"), "");

    // Edited in place, the way `kubectl get sa -o yaml > file` or an editor would.
    write_file(webhook.service_accounts_file(), service_accounts_with_batch_role());
    EXPECT_TRUE(eventually([&] { return role_given_to(webhook, "batch") == kBatchRoleArn; },
                           kReloadTimeout))
        << webhook.log();
    EXPECT_EQ(role_given_to(webhook, "payments-api"), kPaymentsRoleArn);
    EXPECT_TRUE(webhook.wait_for_metric_at_least(
        "pod_identity_webhook_config_reloads_total",
        {{"source", "service_accounts_file"}, {"result", "success"}}, 1, kReloadTimeout));
}

TEST(BinaryReload, ServiceAccountsFileInAConfigMapVolumeFollowsKubeletSwaps) {
    // In a cluster the file comes from a ConfigMap volume, which kubelet updates by a ..data swap.
    TempDir volume_dir("piw-sa-configmap");
    KubeletSecretDir config_map(volume_dir / "service-accounts");
    config_map.write({{"service-accounts.yaml", default_service_accounts()}});
    WebhookProcess webhook({.arguments = {"--service-accounts-file=" +
                                          config_map.path_of("service-accounts.yaml").string()}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(role_given_to(webhook, "batch"), "");
    ASSERT_EQ(role_given_to(webhook, "payments-api"), kPaymentsRoleArn);

    config_map.write({{"service-accounts.yaml", service_accounts_with_batch_role()}});
    EXPECT_TRUE(eventually([&] { return role_given_to(webhook, "batch") == kBatchRoleArn; },
                           kReloadTimeout))
        << webhook.log();
}

TEST(BinaryReload, InvalidServiceAccountsFileKeepsThePreviousContent) {
    WebhookProcess webhook({.service_accounts = service_accounts_with_batch_role()});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_EQ(role_given_to(webhook, "batch"), kBatchRoleArn);

    webhook.write_service_accounts("apiVersion: v1\nkind: ServiceAccount\nmetadata: [unclosed\n");
    ASSERT_TRUE(webhook.wait_for_metric_at_least(
        "pod_identity_webhook_config_reloads_total",
        {{"source", "service_accounts_file"}, {"result", "failure"}}, 1, kReloadTimeout))
        << webhook.log();
    EXPECT_NE(webhook.log().find(webhook.service_accounts_file().string()), std::string::npos)
        << "the failure is logged with the file's name:\n"
        << webhook.log();
    EXPECT_EQ(role_given_to(webhook, "batch"), kBatchRoleArn);
    EXPECT_EQ(role_given_to(webhook, "payments-api"), kPaymentsRoleArn);
    auto ready = webhook.request("GET", "/readyz");
    ASSERT_TRUE(ready.ok()) << ready.error();
    EXPECT_EQ(ready->status, 200) << "a bad edit must not take the webhook out of service";
}

TEST(BinaryReload, BrokenServiceAccountsFileIsRetriedWithBackoffNotInALoop) {
    // While the file stays broken, the retries back off (100 ms doubling): a few attempts per
    // second at first, then fewer, even when other files in the same directory change (a log
    // written next to the file during a local run, another key of the ConfigMap...).
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    const Labels failure{{"source", "service_accounts_file"}, {"result", "failure"}};
    webhook.write_service_accounts("kind: [unclosed\n");
    ASSERT_TRUE(webhook.wait_for_metric_at_least("pod_identity_webhook_config_reloads_total",
                                                 failure, 1, kReloadTimeout))
        << webhook.log();
    const double before =
        webhook.metric("pod_identity_webhook_config_reloads_total", failure).value_or(0);
    const auto neighbour = webhook.dir() / "neighbour.log";
    const auto until = std::chrono::steady_clock::now() + 2s;
    for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
        write_file(neighbour, "line " + std::to_string(i) + "\n");
        std::this_thread::sleep_for(100ms);  // longer than the watcher's 50 ms settle time
    }
    const double after =
        webhook.metric("pod_identity_webhook_config_reloads_total", failure).value_or(0);
    // Backoff allows about 5 attempts in 2 s (100+200+400+800 ms); a retry per event gives ~20.
    EXPECT_LE(after - before, 8.0)
        << "failed reloads of an unchanged file in 2 s: " << after - before;
}

std::string identities_json(const std::vector<std::pair<std::string, std::string>>& identities) {
    Json list = Json::array();
    for (const auto& [namespace_, service_account] : identities) {
        list.push_back({{"namespace", namespace_}, {"serviceAccount", service_account}});
    }
    return Json{{"identities", list}}.dump();
}

TEST(BinaryReload, ContainerCredentialsWinAndFollowConfigMapSwaps) {
    TempDir config_dir("piw-pod-identity");
    KubeletSecretDir config_map(config_dir / "config");
    config_map.write({{"config.json", identities_json({{"payments", "payments-api"}})}});
    WebhookProcess webhook({.arguments = {"--aws-default-region=eu-west-1",
                                          "--watch-container-credentials-config=" +
                                              config_map.path_of("config.json").string()}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();

    const Json review = typical_review();
    auto answer = webhook.admit(review);
    ASSERT_TRUE(answer.ok()) << answer.error();
    ASSERT_TRUE(answer->patch.has_value()) << answer->review.dump();
    auto pod = patched_pod(review, *answer);
    ASSERT_TRUE(pod.ok()) << pod.error();

    const Json& labels = (*pod)["metadata"]["labels"];
    EXPECT_EQ(labels.value("eks.amazonaws.com/pod-identity", ""), "enabled");
    EXPECT_EQ(labels.value("team", ""), "checkout") << "other labels stay";

    const std::vector<std::pair<std::string, std::string>> expected_tail{
        {"AWS_STS_REGIONAL_ENDPOINTS", "regional"},
        {"AWS_DEFAULT_REGION", "eu-west-1"},
        {"AWS_REGION", "eu-west-1"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", std::string(kPodIdentityTokenFile)},
    };
    const Json expected_mount = {{"name", "eks-pod-identity-token"},
                                 {"readOnly", true},
                                 {"mountPath", std::string(kPodIdentityMountPath)}};
    for (const char* list : {"initContainers", "containers"}) {
        for (const Json& container : (*pod)["spec"][list]) {
            const auto env = env_of(container);
            ASSERT_GE(env.size(), expected_tail.size());
            EXPECT_EQ(std::vector(env.end() - 5, env.end()), expected_tail)
                << container.value("name", "");
            EXPECT_FALSE(env_value(container, "AWS_ROLE_ARN").has_value())
                << "container credentials win over the role-arn annotation";
            EXPECT_EQ(container["volumeMounts"].back(), expected_mount);
        }
    }
    const Json volume = find_named((*pod)["spec"]["volumes"], "eks-pod-identity-token");
    ASSERT_TRUE(volume.is_object()) << (*pod)["spec"]["volumes"].dump();
    EXPECT_TRUE(find_named((*pod)["spec"]["volumes"], "aws-iam-token").is_null());
    const Json token = volume["projected"]["sources"][0]["serviceAccountToken"];
    EXPECT_EQ(token.value("audience", ""), "pods.eks.amazonaws.com");
    EXPECT_EQ(token.value("path", ""), "eks-pod-identity-token");
    const auto expiration = token.value("expirationSeconds", 0L);
    EXPECT_GE(expiration, 79200);
    EXPECT_LE(expiration, 86400);
    EXPECT_GE(
        webhook.metric("pod_identity_webhook_pod_count", {{"method", "container_credentials"}})
            .value_or(0),
        1.0);

    // kubelet updates the ConfigMap volume: the ServiceAccount loses its pod identity.
    config_map.write({{"config.json", identities_json({})}});
    EXPECT_TRUE(eventually(
        [&] { return role_given_to(webhook, "payments-api") == kPaymentsRoleArn; }, kReloadTimeout))
        << webhook.log();
}

TEST(BinaryReload, ContainerCredentialsTokenExpirationIsJittered) {
    TempDir config_dir("piw-pod-identity");
    const auto config =
        config_dir.write_file("config.json", identities_json({{"payments", "payments-api"}}));
    WebhookProcess webhook(
        {.arguments = {"--watch-container-credentials-config=" + config.string()}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    std::set<std::int64_t> seen;
    for (int i = 0; i < 8; ++i) {
        const Json review = make_review(simple_pod("p", "payments-api"), "payments", "uid");
        auto answer = webhook.admit(review);
        ASSERT_TRUE(answer.ok()) << answer.error();
        auto pod = patched_pod(review, *answer);
        ASSERT_TRUE(pod.ok()) << pod.error();
        const Json volume = find_named((*pod)["spec"]["volumes"], "eks-pod-identity-token");
        const auto expiration =
            volume["projected"]["sources"][0]["serviceAccountToken"].value("expirationSeconds", 0L);
        EXPECT_GE(expiration, 79200);
        EXPECT_LE(expiration, 86400);
        seen.insert(expiration);
    }
    EXPECT_GT(seen.size(), 1U) << "eight pods, always the same expiration: no jitter (M7)";
}

}  // namespace
}  // namespace piw::testing
