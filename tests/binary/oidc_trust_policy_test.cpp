// `pod-identity-webhook oidc trust-policy`: the real executable, offline.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oidc_cli.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

constexpr const char* kIssuer = "https://acme-oidc.s3.eu-west-1.amazonaws.com/prod";
constexpr const char* kProvider = "acme-oidc.s3.eu-west-1.amazonaws.com/prod";

TEST(OidcTrustPolicy, MixedServiceAccountsAndNamespaceGoUnderOneStringLike) {
    const auto result = run_oidc({"trust-policy", "--issuer", kIssuer, "--account", "111122223333",
                                  "--service-account", "payments:api", "--namespace", "reports"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string provider = kProvider;
    EXPECT_EQ(result.out, R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/)" +
                              provider + R"("
      },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          ")" + provider + R"(:aud": "sts.amazonaws.com"
        },
        "StringLike": {
          ")" + provider + R"(:sub": [
            "system:serviceaccount:payments:api",
            "system:serviceaccount:reports:*"
          ]
        }
      }
    }
  ]
}
)");
}

TEST(OidcTrustPolicy, EvaluateAnswersAndExitCodeFollows) {
    const std::vector<std::string> base = {"trust-policy", "--issuer",    kIssuer,   "--account",
                                           "111122223333", "--namespace", "payments"};
    auto admitted = base;
    admitted.insert(admitted.end(), {"--evaluate", "system:serviceaccount:payments:worker"});
    const auto yes = run_oidc(admitted);
    EXPECT_EQ(yes.exit_code, 0) << yes.err;
    EXPECT_EQ(yes.out, "system:serviceaccount:payments:worker  admitted\n");

    auto refused = base;
    refused.insert(refused.end(), {"--evaluate", "system:serviceaccount:paymentsx:worker",
                                   "--audience", "sts.amazonaws.com"});
    const auto no = run_oidc(refused);
    EXPECT_EQ(no.exit_code, 1);
    EXPECT_THAT(no.out, HasSubstr("NOT admitted"));
    EXPECT_THAT(no.err, HasSubstr("[trust-policy-denies]"));
}

TEST(OidcTrustPolicy, ExistingPolicyWithSubUnderTwoOperatorsIsCalledOut) {
    TempDir dir("piw-oidc");
    const std::string provider = kProvider;
    // The classic trap: the same :sub key under StringEquals and StringLike is AND'ed.
    const auto policy = dir.write_file("policy.json", R"({"Version":"2012-10-17","Statement":[{
      "Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/)" +
                                                          provider + R"("},
      "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
        "StringEquals":{")" + provider + R"(:sub":"system:serviceaccount:payments:api"},
        "StringLike":{")" + provider + R"(:sub":"system:serviceaccount:reports:*"}}}]})");
    const auto result = run_oidc({"trust-policy", "--policy", policy.string(), "--issuer", kIssuer,
                                  "--evaluate", "system:serviceaccount:reports:x", "-o", "json"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.codes(), Contains("trust-policy-sub-two-operators"));
    EXPECT_THAT(result.codes(), Contains("trust-policy-denies"));
    EXPECT_EQ(result.json()["evaluations"][0]["admitted"], false);

    const auto other_issuer = run_oidc({"trust-policy", "--policy", policy.string(), "--issuer",
                                        std::string(kIssuer) + "/", "-o", "json"});
    EXPECT_THAT(other_issuer.codes(), Contains("trust-policy-provider-mismatch"));
}

TEST(OidcTrustPolicy, ProviderInput) {
    const auto result = run_oidc({"trust-policy", "--provider-input", "--issuer", kIssuer});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, std::string("{\n  \"Url\": \"") + kIssuer +
                              "\",\n  \"ClientIDList\": [\n    \"sts.amazonaws.com\"\n  ]\n}\n");
}

TEST(OidcTrustPolicy, InvalidNamesAndWildcardsAreRefused) {
    const std::vector<std::string> base = {"trust-policy", "--issuer", kIssuer, "--account",
                                           "111122223333", "-o",       "json"};
    auto bad_namespace = base;
    bad_namespace.insert(bad_namespace.end(), {"--namespace", "Payments"});
    EXPECT_EQ(run_oidc(bad_namespace).exit_code, 1);

    auto partial = base;
    partial.insert(partial.end(), {"--service-account", "payments:api-*"});
    EXPECT_EQ(run_oidc(partial).exit_code, 1);
    partial.push_back("--allow-partial-wildcards");
    EXPECT_EQ(run_oidc(partial).exit_code, 0);

    auto everything = base;
    everything.insert(everything.end(), {"--service-account", "*:*"});
    EXPECT_EQ(run_oidc(everything).exit_code, 1);
    everything.push_back("--allow-all");
    EXPECT_EQ(run_oidc(everything).exit_code, 0);

    EXPECT_EQ(
        run_oidc({"trust-policy", "--issuer", kIssuer, "--account", "111122223333"}).exit_code,
        2);  // nobody to trust
}

}  // namespace
}  // namespace piw::testing
