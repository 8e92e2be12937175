// Upstream's flags reach the patch (decision C1): a flag parsed but not wired would only show up
// here, in what a pod actually gets.

#include <gtest/gtest.h>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

// A simple_pod() after admission, and its only container.
struct Admitted {
    Json pod;
    Json api;
};

Result<Admitted> admit_simple(const WebhookProcess& webhook, std::string_view namespace_,
                              std::string_view service_account) {
    const Json review = make_review(simple_pod("p", service_account), namespace_, "uid-flags");
    auto answer = webhook.admit(review);
    if (!answer.ok()) return Error{answer.error()};
    if (!answer->patch) return Error{"not mutated: " + answer->review.dump()};
    auto pod = patched_pod(review, *answer);
    if (!pod.ok()) return Error{pod.error()};
    return Admitted{*pod, (*pod)["spec"]["containers"][0]};
}

TEST(BinaryFlags, WebIdentityFlagsShapeThePatch) {
    WebhookProcess webhook(
        {.arguments = {"--annotation-prefix=example.com", "--token-audience=my-audience",
                       "--token-mount-path=/var/run/custom", "--token-expiration=3600",
                       "--sts-regional-endpoint", "--aws-default-region=ap-south-1"},
         .service_accounts = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: custom
  namespace: team
  annotations:
    example.com/role-arn: arn:aws:iam::111122223333:role/custom
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/wrong-prefix
)"});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto admitted = admit_simple(webhook, "team", "custom");
    ASSERT_TRUE(admitted.ok()) << admitted.error();

    const std::vector<std::pair<std::string, std::string>> expected_env{
        {"AWS_STS_REGIONAL_ENDPOINTS", "regional"},
        {"AWS_DEFAULT_REGION", "ap-south-1"},
        {"AWS_REGION", "ap-south-1"},
        {"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/custom"},
        {"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/custom/token"},
    };
    EXPECT_EQ(env_of(admitted->api), expected_env);
    const Json expected_volume = Json::parse(R"({"name":"aws-iam-token","projected":{"sources":[
        {"serviceAccountToken":{"audience":"my-audience","expirationSeconds":3600,"path":"token"}}]}})");
    EXPECT_EQ(admitted->pod["spec"]["volumes"][0], expected_volume);
    EXPECT_EQ(admitted->api["volumeMounts"][0].value("mountPath", ""), "/var/run/custom");
}

TEST(BinaryFlags, ComposedRoleArnAndClampedExpiration) {
    WebhookProcess webhook({.arguments = {"--compose-role-arn", "--aws-account-id=444455556666",
                                          "--aws-partition=aws-cn", "--token-expiration=100"},
                            .service_accounts = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: reader
  namespace: data
  annotations:
    eks.amazonaws.com/role-arn: s3-reader
)"});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto admitted = admit_simple(webhook, "data", "reader");
    ASSERT_TRUE(admitted.ok()) << admitted.error();
    EXPECT_EQ(env_value(admitted->api, "AWS_ROLE_ARN"),
              "arn:aws-cn:iam::444455556666:role/s3-reader");
    const Json token =
        admitted->pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"];
    EXPECT_EQ(token.value("expirationSeconds", 0), 600) << "--token-expiration is clamped to 600";
}

TEST(BinaryFlags, ContainerCredentialsFlagsShapeThePatch) {
    TempDir config_dir("piw-pod-identity");
    const auto config = config_dir.write_file(
        "config.json", R"({"identities":[{"namespace":"payments","serviceAccount":"no-role"}]})");
    WebhookProcess webhook(
        {.arguments = {"--watch-container-credentials-config=" + config.string(),
                       "--container-credentials-audience=pods.example.com",
                       "--container-credentials-token-mount-path=/var/run/pi",
                       "--container-credentials-token-volume-name=pi-token",
                       "--container-credentials-token-path=pi",
                       "--container-credentials-full-uri=http://127.0.0.1:1234/creds",
                       "--token-expiration=7200"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto admitted = admit_simple(webhook, "payments", "no-role");
    ASSERT_TRUE(admitted.ok()) << admitted.error();

    const std::vector<std::pair<std::string, std::string>> expected_env{
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1234/creds"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/pi/pi"},
    };
    EXPECT_EQ(env_of(admitted->api), expected_env);
    const Json volume = find_named(admitted->pod["spec"]["volumes"], "pi-token");
    ASSERT_TRUE(volume.is_object()) << admitted->pod.dump();
    const Json token = volume["projected"]["sources"][0]["serviceAccountToken"];
    EXPECT_EQ(token.value("audience", ""), "pods.example.com");
    EXPECT_EQ(token.value("path", ""), "pi");
    EXPECT_EQ(token.value("expirationSeconds", 0), 7200) << "not 86400, so no jitter";
    EXPECT_EQ(admitted->api["volumeMounts"][0],
              Json({{"name", "pi-token"}, {"readOnly", true}, {"mountPath", "/var/run/pi"}}));
    EXPECT_EQ(admitted->pod["metadata"]["labels"].value("eks.amazonaws.com/pod-identity", ""),
              "enabled");
}

TEST(BinaryFlags, ServiceAccountsFileAsJsonListWithDefaultNamespace) {
    WebhookProcess webhook({.service_accounts = R"({"apiVersion":"v1","kind":"List","items":[
        {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"app",
         "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/app"}}}]})"});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto admitted = admit_simple(webhook, "default", "app");
    ASSERT_TRUE(admitted.ok()) << admitted.error();
    EXPECT_EQ(env_value(admitted->api, "AWS_ROLE_ARN"), "arn:aws:iam::111122223333:role/app");
    auto elsewhere = webhook.admit(make_review(simple_pod("p", "app"), "other", "uid"));
    ASSERT_TRUE(elsewhere.ok()) << elsewhere.error();
    EXPECT_FALSE(elsewhere->patch.has_value()) << "a ServiceAccount without namespace is default's";
}

}  // namespace
}  // namespace piw::testing
