// `pod-identity-webhook oidc plan`: the real executable, offline.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oidc_cli.hpp"

namespace piw::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(OidcPlan, CharmedClusterGetsIssuerPolicyCommandsAndTheMergedJujuLine) {
    const auto result =
        run_oidc({"plan", "--bucket", "acme-oidc", "--region", "eu-west-1", "--prefix", "prod",
                  "--account", "111122223333", "--platform", "charmed", "--current-extra-args",
                  "audit-log-maxage=30 service-account-issuer=https://kubernetes.default.svc"});
    EXPECT_EQ(result.exit_code, 0) << result.err;  // warnings only
    const std::string issuer = "https://acme-oidc.s3.eu-west-1.amazonaws.com/prod";
    EXPECT_THAT(result.out, HasSubstr("Issuer:              " + issuer + "\n"));
    EXPECT_THAT(result.out, HasSubstr("s3://acme-oidc/prod/.well-known/openid-configuration"));
    EXPECT_THAT(result.out,
                HasSubstr("arn:aws:iam::111122223333:oidc-provider/acme-oidc.s3.eu-west-1."
                          "amazonaws.com/prod"));
    EXPECT_THAT(result.out, HasSubstr("\"arn:aws:s3:::acme-oidc/prod/openid/v1/jwks\""));
    EXPECT_THAT(result.out, HasSubstr("--content-type application/json"));
    EXPECT_THAT(result.out, HasSubstr("aws iam create-open-id-connect-provider --url " + issuer +
                                      " --client-id-list sts.amazonaws.com"));
    // The old value is kept, the issuer replaced (a dict in the charm), the jwks-uri appended.
    EXPECT_THAT(
        result.out,
        HasSubstr("juju config kubernetes-control-plane api-extra-args=\"audit-log-maxage=30 "
                  "service-account-issuer=" +
                  issuer + " service-account-jwks-uri=" + issuer + "/openid/v1/jwks\""));
    EXPECT_THAT(result.err, HasSubstr("[charmed-issuer-replaced]"));
    EXPECT_THAT(result.out, Not(HasSubstr("public-read")));  // ACLs are off on new buckets
}

TEST(OidcPlan, JsonOutputCarriesTheSameFacts) {
    const auto result = run_oidc({"plan", "--bucket", "acme-oidc", "--region", "us-west-2",
                                  "--url-style", "path", "--prefix", "c1", "-o", "json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto plan = result.json();
    ASSERT_TRUE(plan.is_object()) << result.out;
    EXPECT_EQ(plan["issuer"], "https://s3.us-west-2.amazonaws.com/acme-oidc/c1");
    EXPECT_EQ(plan["jwks_uri"], "https://s3.us-west-2.amazonaws.com/acme-oidc/c1/openid/v1/jwks");
    EXPECT_EQ(plan["object_keys"][0], "c1/.well-known/openid-configuration");
    EXPECT_EQ(plan["condition_key_prefix"], "s3.us-west-2.amazonaws.com/acme-oidc/c1");
    EXPECT_EQ(plan["bucket_policy"]["Statement"][0]["Principal"], "*");
    EXPECT_EQ(plan["provider_arn"], "");  // no --account
    EXPECT_EQ(plan["ok"], true);
}

TEST(OidcPlan, BucketWithDotsAndBadAccountAreErrors) {
    const auto result = run_oidc({"plan", "--bucket", "acme.oidc", "--region", "eu-west-1",
                                  "--account", "1234", "-o", "json"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.codes(), Contains("bucket-name-dots"));
    EXPECT_THAT(result.codes(), Contains("account-invalid"));
    EXPECT_EQ(result.json()["ok"], false);
}

TEST(OidcPlan, GlobalEndpointOutsideUsEast1WarnsAndStrictMakesItFail) {
    const std::vector<std::string> args = {"plan",         "--bucket",    "acme-oidc", "--region",
                                           "eu-central-1", "--url-style", "global"};
    const auto lenient = run_oidc(args);
    EXPECT_EQ(lenient.exit_code, 0);
    EXPECT_THAT(lenient.err, HasSubstr("warning: the legacy global endpoint"));
    auto strict_args = args;
    strict_args.push_back("--strict");
    EXPECT_EQ(run_oidc(strict_args).exit_code, 1);
}

TEST(OidcPlan, UsageErrorsExitTwo) {
    EXPECT_EQ(run_oidc({"plan", "--region", "eu-west-1"}).exit_code, 2);  // no --bucket
    EXPECT_EQ(
        run_oidc({"plan", "--bucket", "b-1", "--region", "r", "--url-style", "odd"}).exit_code, 2);
    EXPECT_EQ(run_oidc({"plan", "--bucket", "b-1", "--region", "eu-west-1", "--platform", "eks"})
                  .exit_code,
              2);
    const auto unknown = run_oidc({"plan", "--bukket", "b"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_THAT(unknown.err, HasSubstr("unknown flag --bukket"));
    EXPECT_EQ(run_oidc({"nonsense"}).exit_code, 2);
    const auto help = run_oidc({"plan", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_THAT(help.out, HasSubstr("--current-extra-args"));
}

TEST(OidcPlan, EveryPlatformPrintsItsSnippet) {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"kubeadm", "/etc/kubernetes/manifests/kube-apiserver.yaml"},
        {"k3s", "--kube-apiserver-arg=service-account-issuer-=https://"},
        {"rke2", "/etc/rancher/rke2/config.yaml"},
        {"microk8s", "/var/snap/microk8s/current/args/kube-apiserver"},
        {"canonical-k8s", "kube-apiserver-extra-args"}};
    for (const auto& [platform, text] : expected) {
        const auto result = run_oidc(
            {"plan", "--bucket", "acme-oidc", "--region", "eu-west-1", "--platform", platform});
        EXPECT_EQ(result.exit_code, 0) << platform << ": " << result.err;
        EXPECT_THAT(result.out, HasSubstr(text)) << platform;
    }
}

TEST(OidcPlan, BytesThatAreNotUtf8AreFindingsNotCrashes) {
    // Every flag value ends up in JSON somewhere (the bucket policy, the trust policy, -o json).
    const std::string bad = "\xff";
    const std::vector<std::vector<std::string>> commands = {
        {"plan", "--bucket", "b" + bad + "b", "--region", "eu-west-1"},
        {"plan", "--bucket", "acme-oidc", "--region", "eu-west-1", "--prefix", bad, "-o", "json"},
        {"plan", "--bucket", "acme-oidc", "--region", "eu-west-1", "--audience", bad},
        {"trust-policy", "--issuer", "https://a.example/x", "--account", "111122223333",
         "--namespace", "ns", "--audience", bad},
        {"trust-policy", "--provider-input", "--issuer", "https://a.example/" + bad, "-o", "json"}};
    for (const auto& command : commands) {
        const auto result = run_oidc(command);
        EXPECT_EQ(result.exit_code, 1) << command[0] << " " << command[2] << ": " << result.err;
        EXPECT_THAT(result.err, Not(HasSubstr("terminate"))) << command[0];
    }
}

}  // namespace
}  // namespace piw::testing
