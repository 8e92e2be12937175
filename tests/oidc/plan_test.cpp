#include "pod_identity_webhook/oidc/plan.hpp"

#include <gtest/gtest.h>

namespace piw::oidc {
namespace {

std::vector<std::string> codes(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const Finding& finding : findings) out.push_back(finding.code);
    return out;
}

PlanRequest seed() {
    PlanRequest r;
    r.bucket = "charmed-k8s-oidc";
    r.region = "eu-west-1";
    r.prefix = "o7k";
    r.account = "111122223333";
    return r;
}

TEST(Plan, RegionalVirtualHosted) {
    const Plan plan = make_plan(seed());
    EXPECT_TRUE(plan.findings.empty()) << ::testing::PrintToString(codes(plan.findings));
    EXPECT_EQ(plan.issuer, "https://charmed-k8s-oidc.s3.eu-west-1.amazonaws.com/o7k");
    EXPECT_EQ(plan.jwks_uri,
              "https://charmed-k8s-oidc.s3.eu-west-1.amazonaws.com/o7k/openid/v1/jwks");
    EXPECT_EQ(plan.discovery_object_key, "o7k/.well-known/openid-configuration");
    EXPECT_EQ(plan.jwks_object_key, "o7k/openid/v1/jwks");
    EXPECT_EQ(plan.condition_key_prefix, "charmed-k8s-oidc.s3.eu-west-1.amazonaws.com/o7k");
    EXPECT_EQ(
        plan.provider_arn,
        "arn:aws:iam::111122223333:oidc-provider/charmed-k8s-oidc.s3.eu-west-1.amazonaws.com/o7k");
    EXPECT_EQ(plan.bucket_policy, R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicReadOfOidcDocuments",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject",
      "Resource": [
        "arn:aws:s3:::charmed-k8s-oidc/o7k/.well-known/openid-configuration",
        "arn:aws:s3:::charmed-k8s-oidc/o7k/openid/v1/jwks"
      ]
    }
  ]
})");
    ASSERT_EQ(plan.commands.size(), 4U);
    EXPECT_EQ(plan.commands[1],
              "aws s3 cp OUT_DIR/.well-known/openid-configuration "
              "s3://charmed-k8s-oidc/o7k/.well-known/openid-configuration --content-type "
              "application/json");
    EXPECT_EQ(plan.commands[3],
              "aws iam create-open-id-connect-provider --url "
              "https://charmed-k8s-oidc.s3.eu-west-1.amazonaws.com/o7k --client-id-list "
              "sts.amazonaws.com");
}

TEST(Plan, PathStyleGlobalAndChina) {
    PlanRequest r = seed();
    r.url_style = UrlStyle::path;
    r.prefix = "";
    Plan plan = make_plan(r);
    EXPECT_EQ(plan.issuer, "https://s3.eu-west-1.amazonaws.com/charmed-k8s-oidc");
    EXPECT_EQ(plan.jwks_object_key, "openid/v1/jwks");

    r = seed();
    r.url_style = UrlStyle::global;
    plan = make_plan(r);
    EXPECT_EQ(plan.issuer, "https://charmed-k8s-oidc.s3.amazonaws.com/o7k");
    EXPECT_EQ(codes(plan.findings), std::vector<std::string>{"global-endpoint-region"});
    r.region = "us-east-1";
    EXPECT_TRUE(make_plan(r).findings.empty());

    r = seed();
    r.partition = "aws-cn";
    r.region = "cn-north-1";
    plan = make_plan(r);
    EXPECT_EQ(plan.issuer, "https://charmed-k8s-oidc.s3.cn-north-1.amazonaws.com.cn/o7k");
    EXPECT_EQ(plan.provider_arn.substr(0, 12), "arn:aws-cn:i");
}

TEST(Plan, ValidationFindings) {
    PlanRequest r = seed();
    r.bucket = "my.oidc.bucket";
    r.prefix = "/o7k/";
    r.account = "1234";
    r.region = "EU west";
    EXPECT_EQ(codes(make_plan(r).findings),
              (std::vector<std::string>{"bucket-name-dots", "region-invalid", "prefix-slash",
                                        "account-invalid", "issuer-invalid-character",
                                        "issuer-trailing-slash"}));
}

TEST(Plan, BucketNames) {
    for (const std::string& good :
         std::vector<std::string>{"abc", "my-bucket-1", std::string(63, 'a')}) {
        EXPECT_TRUE(validate_bucket_name(good, UrlStyle::regional).empty()) << good;
    }
    for (const std::string& bad :
         std::vector<std::string>{"ab", "My-Bucket", "-bucket", "bucket-", "a..b", "192.168.1.1",
                                  "xn--bucket", "bucket-s3alias", std::string(64, 'a'), "a_b"}) {
        EXPECT_EQ(codes(validate_bucket_name(bad, UrlStyle::path)),
                  std::vector<std::string>{"bucket-name-invalid"})
            << bad;
    }
    EXPECT_TRUE(validate_bucket_name("my.bucket", UrlStyle::path).empty());
    EXPECT_EQ(codes(validate_bucket_name("my.bucket", UrlStyle::global)),
              std::vector<std::string>{"bucket-name-dots"});
}

constexpr std::string_view kNewIssuer = "https://b.s3.eu-west-1.amazonaws.com/c";
constexpr std::string_view kNewJwks = "https://b.s3.eu-west-1.amazonaws.com/c/openid/v1/jwks";

TEST(PlatformSnippet, CharmedMergesTheWholeValue) {
    const PlatformSnippet snippet = platform_snippet(
        Platform::charmed, kNewIssuer, kNewJwks,
        "audit-log-maxage=30 service-account-issuer=https://kubernetes.default.svc "
        " v=2");
    ASSERT_EQ(snippet.lines.size(), 1U);
    EXPECT_EQ(snippet.lines[0],
              "juju config kubernetes-control-plane api-extra-args=\"audit-log-maxage=30 "
              "service-account-issuer=https://b.s3.eu-west-1.amazonaws.com/c v=2 "
              "service-account-jwks-uri=https://b.s3.eu-west-1.amazonaws.com/c/openid/v1/jwks\"");
    EXPECT_EQ(codes(snippet.findings),
              (std::vector<std::string>{"charmed-issuer-replaced", "charmed-authenticated-fetch"}));
    EXPECT_EQ(codes(platform_snippet(Platform::charmed, kNewIssuer, kNewJwks, "").findings),
              (std::vector<std::string>{"charmed-extra-args-unknown", "charmed-issuer-replaced",
                                        "charmed-authenticated-fetch"}));
}

TEST(PlatformSnippet, NewIssuerFirstElsewhere) {
    const auto k3s = platform_snippet(Platform::k3s, kNewIssuer, kNewJwks, "");
    EXPECT_EQ(
        k3s.lines[0],
        "--kube-apiserver-arg=service-account-issuer-=https://b.s3.eu-west-1.amazonaws.com/c "
        "--kube-apiserver-arg=service-account-jwks-uri=https://b.s3.eu-west-1.amazonaws.com/c/"
        "openid/v1/jwks");
    EXPECT_TRUE(k3s.findings.empty());
    const auto kubeadm = platform_snippet(Platform::kubeadm, kNewIssuer, kNewJwks, "");
    EXPECT_EQ(kubeadm.lines[1],
              "    - --service-account-issuer=https://b.s3.eu-west-1.amazonaws.com/c");
    EXPECT_EQ(codes(platform_snippet(Platform::canonical_k8s, kNewIssuer, kNewJwks, "").findings),
              std::vector<std::string>{"canonical-k8s-deploy-time"});
    EXPECT_EQ(platform_snippet(Platform::microk8s, kNewIssuer, kNewJwks, "").lines[1],
              "--service-account-issuer=https://b.s3.eu-west-1.amazonaws.com/c");
}

}  // namespace
}  // namespace piw::oidc
