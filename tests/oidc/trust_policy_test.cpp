#include "pod_identity_webhook/oidc/trust_policy.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <string>

namespace piw::oidc {
namespace {

constexpr std::string_view kIssuer = "https://charmed-k8s-oidc.s3.amazonaws.com/o7k";

TrustPolicyRequest request() {
    TrustPolicyRequest r;
    r.issuer = std::string(kIssuer);
    r.account = "111122223333";
    return r;
}

// Runs `body` on a thread with a small stack, so that recursion as deep as an input's nesting
// fails here even where the main thread's 8 MiB stack would hide it.
void run_with_small_stack(std::function<void()> body) {
    constexpr std::size_t kStack = 512 * 1024;
    pthread_attr_t attributes;
    ASSERT_EQ(pthread_attr_init(&attributes), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attributes, kStack), 0);
    pthread_t thread;
    const auto trampoline = [](void* argument) -> void* {
        (*static_cast<std::function<void()>*>(argument))();
        return nullptr;
    };
    ASSERT_EQ(pthread_create(&thread, &attributes, trampoline, &body), 0);
    pthread_attr_destroy(&attributes);
    ASSERT_EQ(pthread_join(thread, nullptr), 0);
}

std::vector<std::string> codes(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const Finding& finding : findings) out.push_back(finding.code);
    return out;
}

TEST(TrustPolicy, ProviderArnAndConditionPrefix) {
    EXPECT_EQ(provider_host_path(kIssuer), "charmed-k8s-oidc.s3.amazonaws.com/o7k");
    EXPECT_EQ(provider_arn("aws", "111122223333", kIssuer),
              "arn:aws:iam::111122223333:oidc-provider/charmed-k8s-oidc.s3.amazonaws.com/o7k");
}

TEST(TrustPolicy, ExactServiceAccountGolden) {
    TrustPolicyRequest r = request();
    r.service_accounts = {"default:s3-reader"};
    const TrustPolicy policy = render_trust_policy(r);
    EXPECT_TRUE(policy.findings.empty());
    EXPECT_EQ(policy.json, R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/charmed-k8s-oidc.s3.amazonaws.com/o7k"
      },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "charmed-k8s-oidc.s3.amazonaws.com/o7k:aud": "sts.amazonaws.com",
          "charmed-k8s-oidc.s3.amazonaws.com/o7k:sub": "system:serviceaccount:default:s3-reader"
        }
      }
    }
  ]
})");
}

TEST(TrustPolicy, MixedSubjectsGoUnderOneStringLike) {
    TrustPolicyRequest r = request();
    r.service_accounts = {"default:my-serviceaccount"};
    r.namespaces = {"amazon-cloudwatch"};
    const TrustPolicy policy = render_trust_policy(r);
    ASSERT_TRUE(policy.findings.empty());
    EXPECT_NE(policy.json.find(R"("StringEquals": {
          "charmed-k8s-oidc.s3.amazonaws.com/o7k:aud": "sts.amazonaws.com"
        },
        "StringLike": {
          "charmed-k8s-oidc.s3.amazonaws.com/o7k:sub": [
            "system:serviceaccount:default:my-serviceaccount",
            "system:serviceaccount:amazon-cloudwatch:*"
          ]
        })"),
              std::string::npos)
        << policy.json;
    // And the evaluator agrees with what was meant.
    EXPECT_TRUE(*evaluate_trust_policy(
        policy.json, "system:serviceaccount:default:my-serviceaccount", "sts.amazonaws.com"));
    EXPECT_TRUE(*evaluate_trust_policy(policy.json, "system:serviceaccount:amazon-cloudwatch:agent",
                                       "sts.amazonaws.com"));
    EXPECT_FALSE(*evaluate_trust_policy(policy.json, "system:serviceaccount:default:other",
                                        "sts.amazonaws.com"));
    EXPECT_FALSE(*evaluate_trust_policy(
        policy.json, "system:serviceaccount:default:my-serviceaccount", "kubernetes"));
}

TEST(TrustPolicy, ValidationFindings) {
    TrustPolicyRequest r = request();
    r.issuer = std::string(kIssuer) + "/";
    r.account = "12345";
    r.partition = "aws-moon";
    r.service_accounts = {"Default:x", "ns:Bad_Name", "ns:app-*", "nocolon", "*:*"};
    EXPECT_EQ(
        codes(render_trust_policy(r).findings),
        (std::vector<std::string>{"issuer-trailing-slash", "account-invalid", "partition-invalid",
                                  "trust-policy-namespace", "trust-policy-service-account",
                                  "trust-policy-service-account", "trust-policy-service-account",
                                  "trust-policy-all-service-accounts"}));
    EXPECT_TRUE(render_trust_policy(r).json.empty());

    TrustPolicyRequest empty = request();
    EXPECT_EQ(codes(render_trust_policy(empty).findings),
              std::vector<std::string>{"trust-policy-no-subjects"});

    TrustPolicyRequest partial = request();
    partial.service_accounts = {"ns:app-*"};
    partial.allow_partial_wildcards = true;
    EXPECT_TRUE(render_trust_policy(partial).findings.empty());
}

TEST(TrustPolicy, LengthWarning) {
    TrustPolicyRequest r = request();
    for (int i = 0; i < 60; ++i)
        r.service_accounts.push_back("namespace-" + std::to_string(i) + ":reader");
    const TrustPolicy policy = render_trust_policy(r);
    EXPECT_EQ(codes(policy.findings), std::vector<std::string>{"trust-policy-too-long"});
    EXPECT_FALSE(policy.json.empty());
}

struct LikeCase {
    std::string pattern, value;
    bool matches;
};

TEST(StringLike, IamWildcards) {
    for (const auto& [pattern, value, expected] : std::vector<LikeCase>{
             {"system:serviceaccount:default:*", "system:serviceaccount:default:a", true},
             {"system:serviceaccount:default:*", "system:serviceaccount:default:", true},
             {"system:serviceaccount:*", "system:serviceaccount:x:y", true},  // '*' crosses ':'
             {"system:serviceaccount:default:?", "system:serviceaccount:default:ab", false},
             {"system:serviceaccount:default:a?", "system:serviceaccount:default:ab", true},
             {"System:serviceaccount:*", "system:serviceaccount:x:y", false},  // case-sensitive
             {"a*b*c", "aXbYbZc", true},
             {"a*b*c", "aXbYbZ", false},
             {"", "", true},
             {"*", "", true},
             {"exact", "exact", true},
             {"exact", "exacT", false}}) {
        EXPECT_EQ(string_like(pattern, value), expected) << pattern << " vs " << value;
    }
}

TEST(Evaluate, SubUnderTwoOperatorsIsAnded) {
    // The classic mistake: StringEquals and StringLike on the same :sub key.
    const std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/h/p"},
      "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
      "StringEquals":{"h/p:sub":"system:serviceaccount:default:a","h/p:aud":"sts.amazonaws.com"},
      "StringLike":{"h/p:sub":"system:serviceaccount:kube-system:*"}}}]})";
    EXPECT_FALSE(
        *evaluate_trust_policy(policy, "system:serviceaccount:default:a", "sts.amazonaws.com"));
    EXPECT_FALSE(
        *evaluate_trust_policy(policy, "system:serviceaccount:kube-system:b", "sts.amazonaws.com"));
}

TEST(Evaluate, UnsupportedAndMalformed) {
    EXPECT_FALSE(evaluate_trust_policy("nope", "s", "a").ok());
    EXPECT_FALSE(evaluate_trust_policy(
                     R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
      "Condition":{"ForAnyValue:StringLike":{"h:sub":"*"}}}]})",
                     "s", "a")
                     .ok());
    EXPECT_FALSE(*evaluate_trust_policy(R"({"Statement":{"Effect":1,"Action":"*"}})", "s", "a"));
    EXPECT_TRUE(
        *evaluate_trust_policy(R"({"Statement":{"Effect":"Allow","Action":"*"}})", "s", "a"));
}

TEST(Evaluate, AnApplicableDenyWinsOverAnyAllow) {
    const std::string policy = R"({"Statement":[
      {"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
       "Condition":{"StringLike":{"h/p:sub":"system:serviceaccount:payments:*"}}},
      {"Effect":"Deny","Action":"sts:AssumeRoleWithWebIdentity",
       "Condition":{"StringEquals":{"h/p:sub":"system:serviceaccount:payments:untrusted"}}}]})";
    EXPECT_TRUE(*evaluate_trust_policy(policy, "system:serviceaccount:payments:api", "a"));
    EXPECT_FALSE(*evaluate_trust_policy(policy, "system:serviceaccount:payments:untrusted", "a"));
}

TEST(TrustPolicy, AudienceIsAClientIdIamAccepts) {
    EXPECT_TRUE(validate_audience("sts.amazonaws.com").empty());
    EXPECT_TRUE(validate_audience(std::string(255, 'a')).empty());
    for (const std::string& bad : {std::string(), std::string(256, 'a'),
                                   std::string("sts amazonaws"), std::string("\xff")}) {
        EXPECT_EQ(codes(validate_audience(bad)), (std::vector<std::string>{"audience-invalid"}));
    }
    auto r = request();
    r.namespaces = {"payments"};
    r.audience = "\xff";
    const TrustPolicy policy = render_trust_policy(r);  // must not throw on the stray byte
    EXPECT_TRUE(policy.json.empty());
    EXPECT_EQ(codes(policy.findings), (std::vector<std::string>{"audience-invalid"}));
}

TEST(CheckForIssuer, RenderedPolicyIsClean) {
    auto r = request();
    r.namespaces = {"payments"};
    const TrustPolicy policy = render_trust_policy(r);
    EXPECT_TRUE(check_trust_policy_for_issuer(policy.json, kIssuer).empty());
}

TEST(CheckForIssuer, ProviderAndConditionKeysOfAnotherIssuer) {
    // Written by hand from a provider registered with a trailing slash: the keys and the ARN
    // name another provider than the tokens' issuer.
    const std::string policy = R"({"Statement":[{"Effect":"Allow",
      "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/charmed-k8s-oidc.s3.amazonaws.com/o7k/"},
      "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
      "StringEquals":{"charmed-k8s-oidc.s3.amazonaws.com/o7k/:aud":"sts.amazonaws.com"},
      "StringLike":{"charmed-k8s-oidc.s3.amazonaws.com/o7k/:sub":"system:serviceaccount:a:*"}}}]})";
    EXPECT_EQ(codes(check_trust_policy_for_issuer(policy, kIssuer)),
              (std::vector<std::string>{"trust-policy-condition-key-mismatch",
                                        "trust-policy-condition-key-mismatch",
                                        "trust-policy-provider-mismatch"}));
}

TEST(CheckForIssuer, SubUnderTwoOperatorsAndBadDocuments) {
    const std::string policy = R"({"Statement":[{"Effect":"Allow",
      "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/charmed-k8s-oidc.s3.amazonaws.com/o7k"},
      "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
      "StringEquals":{"charmed-k8s-oidc.s3.amazonaws.com/o7k:sub":"system:serviceaccount:a:b"},
      "StringLike":{"charmed-k8s-oidc.s3.amazonaws.com/o7k:sub":"system:serviceaccount:c:*"}}}]})";
    EXPECT_EQ(codes(check_trust_policy_for_issuer(policy, kIssuer)),
              (std::vector<std::string>{"trust-policy-sub-two-operators"}));
    EXPECT_EQ(codes(check_trust_policy_for_issuer("[1,2", kIssuer)),
              (std::vector<std::string>{"trust-policy-invalid"}));
    EXPECT_EQ(codes(check_trust_policy_for_issuer(std::string(70 * 1024, ' '), kIssuer)),
              (std::vector<std::string>{"trust-policy-invalid"}));
    EXPECT_EQ(codes(check_trust_policy_for_issuer(R"({"Statement":"x"})", kIssuer)),
              (std::vector<std::string>{"trust-policy-provider-mismatch"}));
}

// Found by fuzz/fuzz_trust_policy: the statements were copied, and copying a JSON value recurses
// once per nesting level — a 64 KiB policy of brackets overflowed the stack.
TEST(Evaluate, DeeplyNestedStatementDoesNotRecurse) {
    constexpr std::size_t kDepth = 30000;  // within the 64 KiB policy cap
    const std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
    for (const std::string& policy :
         {R"({"Statement":)" + nested + "}", R"({"Statement":{"Effect":)" + nested + "}}"}) {
        Result<bool> admitted = Error{"not run"};
        std::vector<Finding> findings;
        run_with_small_stack([&admitted, &findings, &policy] {
            admitted = evaluate_trust_policy(policy, "system:serviceaccount:a:b", "sts");
            findings = check_trust_policy_for_issuer(policy, kIssuer);
        });
        ASSERT_TRUE(admitted.ok()) << admitted.error();
        EXPECT_FALSE(*admitted);
        EXPECT_EQ(codes(findings), std::vector<std::string>{"trust-policy-provider-mismatch"});
    }
}

}  // namespace
}  // namespace piw::oidc
