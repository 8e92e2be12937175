// End to end: a pod goes through the real webhook binary, and an unmodified AWS SDK (JavaScript
// v3), configured by nothing but what the webhook injected, gets credentials and lists buckets.
//
//   pod ──► pod-identity-webhook (TLS, AdmissionReview) ──► JSONPatch ──► patched pod
//   patched container ──► FakeKubelet: literal env + the projected token file
//                     ──► node list-buckets.mjs (default credential chain)
//                     ──► fake STS AssumeRoleWithWebIdentity (or the container-credentials
//                         endpoint) ──► fake S3 ListBuckets (SigV4 with the issued secret)
//
// The token's trust comes from the binary too: `pod-identity-webhook oidc discovery
// --from-key` renders the issuer documents from the kubelet's signing key, the kubelet signs
// with the kid they publish, and the fake AWS verifies every token with Node's crypto against
// those documents only (verify-token.mjs) — so pod → token → published JWKS → STS is proven.
//
// Everything listens on 127.0.0.1; AWS_ENDPOINT_URL sends the SDK's every call to the fake, and
// the tests assert that the fake saw them.

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "fake_aws.hpp"
#include "kubelet.hpp"
#include "sdk.hpp"
#include "support/temp_dir.hpp"
#include "support/webhook_process.hpp"
#include "token_verifier.hpp"

namespace piw::e2e {
namespace {

using testing::TempDir;
using testing::WebhookProcess;

constexpr const char* kIssuer = "https://oidc.e2e.piw.test/clusters/payments";
constexpr const char* kNamespace = "payments";
constexpr const char* kRegion = "eu-west-1";
constexpr const char* kPaymentsRole = "arn:aws:iam::111122223333:role/payments-api";
constexpr const char* kReportsRole = "arn:aws:iam::111122223333:role/reports";
constexpr const char* kLedgerRole = "arn:aws:iam::111122223333:role/ledger";
constexpr const char* kCredentialsError = "Could not load credentials from any providers";

// payments-api: a role (web identity). no-role: nothing. reports: a role, but an audience STS
// does not accept. ledger: no annotations; listed in the container-credentials config.
constexpr const char* kServiceAccounts = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: payments-api
  namespace: payments
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/payments-api
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
  name: reports
  namespace: payments
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/reports
    eks.amazonaws.com/audience: wrong-audience
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ledger
  namespace: payments
)";

std::string subject_of(const std::string& service_account) {
    return std::string("system:serviceaccount:") + kNamespace + ":" + service_account;
}

// Two app containers, a plain init container, a native sidecar (an init container with
// restartPolicy Always), and a log shipper the pod asks the webhook to skip.
Json pod_spec(const std::string& service_account) {
    return Json::parse(R"({
      "serviceAccountName": ")" +
                       service_account + R"(",
      "initContainers": [
        {"name": "migrate", "image": "payments/migrate:1.4",
         "env": [{"name": "DB_HOST", "value": "postgres.payments"}]},
        {"name": "proxy", "image": "envoyproxy/envoy:v1.30", "restartPolicy": "Always"}
      ],
      "containers": [
        {"name": "api", "image": "payments/api:1.4",
         "env": [{"name": "LOG_LEVEL", "value": "info"},
                 {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
         "volumeMounts": [{"name": "config", "mountPath": "/etc/payments"}]},
        {"name": "worker", "image": "payments/worker:1.4"},
        {"name": "log-shipper", "image": "fluent/fluent-bit:3.0"}
      ],
      "volumes": [{"name": "config", "configMap": {"name": "payments-config"}}]
    })");
}

Json realistic_pod(const std::string& service_account) {
    return Json{{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", "payments-api-7d9f8c6b5-x2x4z"},
                  {"namespace", kNamespace},
                  {"uid", "2b9c41a6-0f3e-4d27-9a51-7c8e6d5f4a3b"},
                  {"labels", {{"app", "payments-api"}}},
                  {"annotations", {{"eks.amazonaws.com/skip-containers", "log-shipper"}}}}},
                {"spec", pod_spec(service_account)}};
}

const std::vector<std::string> kCredentialedContainers{"migrate", "proxy", "api", "worker"};

Json container_of(const Json& pod, const std::string& name) {
    for (const char* list : {"containers", "initContainers"}) {
        const Json found = testing::find_named(pod["spec"].value(list, Json::array()), name);
        if (!found.is_null()) return found;
    }
    return nullptr;
}

bool has_aws_env(const Json& container) {
    const auto env = testing::env_of(container);
    return std::any_of(env.begin(), env.end(),
                       [](const auto& entry) { return entry.first.starts_with("AWS_"); });
}

bool credential_source_includes(const SdkResult& result, const std::string& source) {
    const Json sources = result.line.value("credentialSource", Json::array());
    return std::find(sources.begin(), sources.end(), Json(source)) != sources.end();
}

class EndToEnd : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string problem = sdk_installation_problem();
        ASSERT_TRUE(problem.empty()) << problem;
        ASSERT_NO_FATAL_FAILURE(publish_issuer_documents());
        FakeAwsOptions options;
        options.issuer = kIssuer;
        options.issuer_documents = issuer_documents();
        options.roles = {{kPaymentsRole, subject_of("payments-api")},
                         {kReportsRole, subject_of("reports")}};
        options.pod_identity_associations = {{subject_of("ledger"), kLedgerRole}};
        aws_ = std::make_unique<FakeAws>(options);
    }

    void TearDown() override {
        if (aws_) {
            EXPECT_TRUE(aws_->unexpected_requests().empty())
                << "the fake AWS got requests it does not serve: "
                << ::testing::PrintToString(aws_->unexpected_requests());
        }
    }

    // What a cluster operator does with the service-account signing key: writes it as a PEM
    // file and has the real binary render the issuer documents from it. The kubelet then signs
    // with the kid the JWKS publishes, so a wrong kid of ours fails Node's recomputation.
    void publish_issuer_documents() {
        const auto pem = dir_.write_file("sa-signer.key", key_.private_key_pem());
        const testing::RunResult run =
            testing::run_binary({"oidc", "discovery", "--from-key", pem.string(), "--issuer",
                                 kIssuer, "--out-dir", (dir_ / "issuer").string()});
        ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
        kid_ = published_kid();
        ASSERT_FALSE(kid_.empty()) << testing::read_file(issuer_documents().jwks);
    }

    [[nodiscard]] IssuerDocuments issuer_documents() const {
        return {dir_ / "issuer/.well-known/openid-configuration", dir_ / "issuer/openid/v1/jwks"};
    }

    [[nodiscard]] Json published_jwks() const {
        return Json::parse(testing::read_file(issuer_documents().jwks), nullptr, false);
    }

    // The kid of the JWKS's one key ("" if there is none).
    [[nodiscard]] std::string published_kid() const {
        const Json jwks = published_jwks();
        if (!jwks.is_object() || !jwks["keys"].is_array() || jwks["keys"].size() != 1) return {};
        return jwks["keys"][0].value("kid", "");
    }

    // The binary with the ServiceAccounts above, a region, regional STS, and the
    // container-credentials config listing payments/ledger with the fake's endpoint.
    void start_webhook() {
        const auto config = dir_.write_file(
            "pod-identity.json",
            R"({"identities":[{"namespace":"payments","serviceAccount":"ledger"}]})");
        webhook_ = std::make_unique<WebhookProcess>(testing::WebhookOptions{
            .arguments = {std::string("--aws-default-region=") + kRegion,
                          "--sts-regional-endpoint=true",
                          "--watch-container-credentials-config=" + config.string(),
                          "--container-credentials-full-uri=" + aws_->container_credentials_uri()},
            .service_accounts = std::string(kServiceAccounts)});
        ASSERT_TRUE(webhook_->start()) << webhook_->start_error();
    }

    // The pod as the API server stores it after calling the webhook (unchanged if no patch).
    Json admit(const Json& pod, std::optional<Json>* patch = nullptr) {
        const Json review = testing::make_review(pod, kNamespace, "e2e-review-1");
        auto answer = webhook_->admit(review);
        EXPECT_TRUE(answer.ok()) << answer.error() << "\n" << webhook_->log();
        if (!answer.ok()) return pod;
        EXPECT_TRUE(answer->response.value("allowed", false)) << answer->review.dump(2);
        if (patch != nullptr) *patch = answer->patch;
        auto patched = testing::patched_pod(review, *answer);
        EXPECT_TRUE(patched.ok()) << patched.error();
        return patched.ok() ? *patched : pod;
    }

    // The cluster's kubelet: the signing key, under the published kid.
    [[nodiscard]] FakeKubelet kubelet() const {
        return FakeKubelet(key_, kid_, kIssuer, dir_ / "containers");
    }

    SdkResult run_sdk(const Json& pod, const std::string& container,
                      PreparedContainer* prepared_out = nullptr) {
        return run_sdk_with(kubelet(), pod, container, prepared_out);
    }

    // Kubelet's part for one container, then the SDK in it. Node's output goes to the test log.
    SdkResult run_sdk_with(const FakeKubelet& kubelet, const Json& pod,
                           const std::string& container,
                           PreparedContainer* prepared_out = nullptr) {
        PreparedContainer prepared = kubelet.prepare(pod, kNamespace, container);
        SdkResult result =
            run_list_buckets(prepared.environment, aws_->endpoint(), dir_ / ("node-" + container));
        std::cout << "---- container " << container << ": " << result.describe() << std::endl;
        if (prepared_out != nullptr) *prepared_out = std::move(prepared);
        return result;
    }

    // The container received exactly the web-identity variables of the README's table, in its
    // order, after its own.
    static void expect_web_identity_env(const Json& container, const std::string& role) {
        SCOPED_TRACE("container " + container.value("name", ""));
        std::vector<std::pair<std::string, std::string>> aws;
        for (const auto& entry : testing::env_of(container)) {
            if (entry.first.starts_with("AWS_")) aws.push_back(entry);
        }
        const std::vector<std::pair<std::string, std::string>> expected{
            {"AWS_STS_REGIONAL_ENDPOINTS", "regional"},
            {"AWS_DEFAULT_REGION", kRegion},
            {"AWS_REGION", kRegion},
            {"AWS_ROLE_ARN", role},
            {"AWS_WEB_IDENTITY_TOKEN_FILE", std::string(testing::kWebIdentityTokenFile)}};
        EXPECT_EQ(aws, expected) << container.dump(2);
    }

    // One successful ListBuckets whose credentials came from STS for `role`.
    void expect_listed_via_sts(const SdkResult& result, const std::string& role,
                               const std::string& service_account) {
        ASSERT_TRUE(result.ok()) << result.describe();
        EXPECT_EQ(result.line["buckets"], Json({"payments-invoices", "payments-reports"}));
        const std::string key = result.line.value("accessKeyId", "");
        const auto sts = aws_->sts_calls();
        const auto issued = std::find_if(
            sts.begin(), sts.end(), [&](const StsCall& call) { return call.access_key_id == key; });
        ASSERT_NE(issued, sts.end()) << "STS did not issue " << key;
        EXPECT_EQ(issued->role_arn, role);
        EXPECT_EQ(issued->subject, subject_of(service_account));
        EXPECT_EQ(issued->audience, R"(["sts.amazonaws.com"])");
        const auto s3 = aws_->s3_calls();
        const auto listed = std::find_if(s3.begin(), s3.end(), [&](const S3Call& call) {
            return call.access_key_id == key && call.outcome == "ok";
        });
        ASSERT_NE(listed, s3.end()) << "S3 saw no verified request signed with " << key;
        EXPECT_EQ(listed->region, kRegion);  // the SDK signed for AWS_REGION
    }

    // STS refused the one token it got — the Node verifier's `check` failed — and the SDK
    // reports STS's error; nothing reached S3.
    void expect_refused_by_sts(const SdkResult& result, const std::string& check) {
        EXPECT_FALSE(result.ok()) << result.describe();
        EXPECT_EQ(result.error_name(), "InvalidIdentityTokenException") << result.describe();
        const auto sts = aws_->sts_calls();
        ASSERT_EQ(sts.size(), 1U);
        EXPECT_EQ(sts[0].role_arn, kPaymentsRole);
        EXPECT_EQ(sts[0].subject, subject_of("payments-api"));  // read, not trusted
        EXPECT_EQ(sts[0].outcome, "InvalidIdentityToken");
        EXPECT_EQ(sts[0].failed_check, check) << result.describe();
        EXPECT_TRUE(aws_->s3_calls().empty());
    }

    // No credentials at all: the SDK's own error, and no AWS endpoint reached.
    void expect_no_credentials(const SdkResult& result) {
        EXPECT_FALSE(result.ok()) << result.describe();
        EXPECT_EQ(result.exit_code, 1) << result.describe();
        EXPECT_EQ(result.error_name(), "CredentialsProviderError") << result.describe();
        EXPECT_NE(result.message().find(kCredentialsError), std::string::npos) << result.describe();
        EXPECT_TRUE(aws_->sts_calls().empty());
        EXPECT_TRUE(aws_->s3_calls().empty());
        EXPECT_TRUE(aws_->container_credentials_calls().empty());
    }

    TempDir dir_{"piw-e2e"};
    RsaSigningKey key_;  // the cluster's service-account signing key
    std::string kid_;    // as the rendered JWKS publishes it
    std::unique_ptr<FakeAws> aws_;
    std::unique_ptr<WebhookProcess> webhook_;
};

// (a) Web identity: every container the webhook did not skip — app containers, the init
// container, the native sidecar — gets credentials from STS and lists buckets.
TEST_F(EndToEnd, WebIdentityGivesEveryContainerCredentials) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json pod = admit(realistic_pod("payments-api"));

    const Json volume = testing::find_named(pod["spec"]["volumes"], "aws-iam-token");
    ASSERT_FALSE(volume.is_null()) << pod.dump(2);
    EXPECT_EQ(
        volume["projected"]["sources"][0]["serviceAccountToken"],
        Json({{"audience", "sts.amazonaws.com"}, {"expirationSeconds", 86400}, {"path", "token"}}));
    EXPECT_EQ(container_of(pod, "proxy").value("restartPolicy", ""), "Always");

    for (const std::string& name : kCredentialedContainers) {
        SCOPED_TRACE("container " + name);
        expect_web_identity_env(container_of(pod, name), kPaymentsRole);
        PreparedContainer prepared;
        const SdkResult result = run_sdk(pod, name, &prepared);
        ASSERT_EQ(prepared.tokens.size(), 1U);
        EXPECT_EQ(prepared.tokens[0].container_path.string(),
                  std::string(testing::kWebIdentityTokenFile));
        expect_listed_via_sts(result, kPaymentsRole, "payments-api");
        // Which providers of the default chain answered, as the SDK itself records it.
        EXPECT_TRUE(credential_source_includes(result, "CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN"))
            << result.describe();
        EXPECT_TRUE(credential_source_includes(result, "CREDENTIALS_STS_ASSUME_ROLE_WEB_ID"))
            << result.describe();
    }
    EXPECT_EQ(aws_->sts_calls().size(), kCredentialedContainers.size());
    for (const StsCall& call : aws_->sts_calls()) EXPECT_EQ(call.outcome, "ok");
    EXPECT_TRUE(aws_->container_credentials_calls().empty());
}

// (b) Container-credentials mode (EKS Pod Identity): the SDK calls the full URI with the
// projected token as Authorization, and signs S3 with what it got.
TEST_F(EndToEnd, ContainerCredentialsModeUsesTheCredentialsEndpoint) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json pod = admit(realistic_pod("ledger"));

    const Json volume = testing::find_named(pod["spec"]["volumes"], "eks-pod-identity-token");
    ASSERT_FALSE(volume.is_null()) << pod.dump(2);
    const Json projection = volume["projected"]["sources"][0]["serviceAccountToken"];
    EXPECT_EQ(projection["audience"], "pods.eks.amazonaws.com");
    EXPECT_GE(projection["expirationSeconds"].get<long long>(), 79200);  // jittered
    EXPECT_LE(projection["expirationSeconds"].get<long long>(), 86400);
    EXPECT_EQ(pod["metadata"]["labels"].value("eks.amazonaws.com/pod-identity", ""), "enabled");

    for (const std::string& name : {std::string("api"), std::string("proxy")}) {
        SCOPED_TRACE("container " + name);
        const Json container = container_of(pod, name);
        EXPECT_EQ(testing::env_value(container, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
                  aws_->container_credentials_uri());
        EXPECT_EQ(testing::env_value(container, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
                  "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token");
        EXPECT_EQ(testing::env_value(container, "AWS_ROLE_ARN"), std::nullopt);
        EXPECT_EQ(testing::env_value(container, "AWS_REGION"), kRegion);

        PreparedContainer prepared;
        const SdkResult result = run_sdk(pod, name, &prepared);
        ASSERT_TRUE(result.ok()) << result.describe();
        ASSERT_EQ(prepared.tokens.size(), 1U);
        const auto calls = aws_->container_credentials_calls();
        ASSERT_FALSE(calls.empty());
        EXPECT_EQ(calls.back().authorization, prepared.tokens[0].token);  // the file, verbatim
        EXPECT_EQ(calls.back().subject, subject_of("ledger"));
        EXPECT_EQ(calls.back().outcome, "ok");
        EXPECT_EQ(result.line.value("accessKeyId", ""), calls.back().access_key_id);
        EXPECT_TRUE(credential_source_includes(result, "CREDENTIALS_HTTP")) << result.describe();
        const auto s3 = aws_->s3_calls();
        ASSERT_FALSE(s3.empty());
        EXPECT_EQ(s3.back().access_key_id, calls.back().access_key_id);
        EXPECT_EQ(s3.back().outcome, "ok");
    }
    EXPECT_TRUE(aws_->sts_calls().empty());
}

// (c) A container named in skip-containers gets nothing, so the SDK finds no credentials.
TEST_F(EndToEnd, SkippedContainerGetsNoCredentials) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json pod = admit(realistic_pod("payments-api"));
    const Json shipper = container_of(pod, "log-shipper");
    EXPECT_FALSE(has_aws_env(shipper)) << shipper.dump(2);
    EXPECT_FALSE(shipper.contains("volumeMounts")) << shipper.dump(2);
    expect_no_credentials(run_sdk(pod, "log-shipper"));
}

// (d) A ServiceAccount without a role: no patch at all, no credentials.
TEST_F(EndToEnd, ServiceAccountWithoutRoleLeavesThePodWithoutCredentials) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json original = realistic_pod("no-role");
    std::optional<Json> patch;
    const Json pod = admit(original, &patch);
    EXPECT_FALSE(patch.has_value()) << patch.value_or(Json()).dump(2);
    EXPECT_EQ(pod, original);
    expect_no_credentials(run_sdk(pod, "api"));
}

// (e) A token for the wrong audience: STS refuses it and the SDK reports STS's error.
TEST_F(EndToEnd, WrongAudienceIsRefusedBySts) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json pod = admit(realistic_pod("reports"));
    expect_web_identity_env(container_of(pod, "api"), kReportsRole);

    PreparedContainer prepared;
    const SdkResult result = run_sdk(pod, "api", &prepared);
    ASSERT_EQ(prepared.tokens.size(), 1U);
    EXPECT_EQ(prepared.tokens[0].audience, "wrong-audience");
    EXPECT_FALSE(result.ok()) << result.describe();
    EXPECT_EQ(result.error_name(), "InvalidIdentityTokenException") << result.describe();
    EXPECT_EQ(result.message(), "Incorrect token audience") << result.describe();
    const auto sts = aws_->sts_calls();
    ASSERT_EQ(sts.size(), 1U);
    EXPECT_EQ(sts[0].role_arn, kReportsRole);
    EXPECT_EQ(sts[0].subject, subject_of("reports"));
    EXPECT_EQ(sts[0].audience, R"(["wrong-audience"])");
    EXPECT_EQ(sts[0].outcome, "InvalidIdentityToken");
    EXPECT_EQ(sts[0].failed_check, "audience");
    EXPECT_TRUE(aws_->s3_calls().empty());
}

// (f) The same flow through `pod-identity-webhook mutate` on a Deployment manifest.
TEST_F(EndToEnd, MutateSubcommandDeploymentGetsCredentials) {
    const auto accounts = dir_.write_file("service-accounts.yaml", kServiceAccounts);
    Json template_metadata = realistic_pod("payments-api")["metadata"];
    template_metadata.erase("name");
    template_metadata.erase("uid");
    template_metadata.erase("namespace");
    const Json deployment{
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", {{"name", "payments-api"}, {"namespace", kNamespace}}},
        {"spec",
         {{"replicas", 2},
          {"selector", {{"matchLabels", {{"app", "payments-api"}}}}},
          {"template", {{"metadata", template_metadata}, {"spec", pod_spec("payments-api")}}}}}};
    const auto manifest = dir_.write_file("deployment.json", deployment.dump(2));

    const testing::RunResult run = testing::run_binary(
        {"mutate", "-f", manifest.string(), "--service-accounts-file=" + accounts.string(),
         std::string("--aws-default-region=") + kRegion, "--sts-regional-endpoint=true", "-o",
         "json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json mutated = Json::parse(run.out, nullptr, false);
    ASSERT_TRUE(mutated.is_object()) << run.out;
    ASSERT_EQ(mutated.value("kind", ""), "Deployment") << run.out;

    // The pod the ReplicaSet would create from the template.
    Json pod{{"apiVersion", "v1"},
             {"kind", "Pod"},
             {"metadata", mutated["spec"]["template"]["metadata"]},
             {"spec", mutated["spec"]["template"]["spec"]}};
    pod["metadata"]["name"] = "payments-api-7d9f8c6b5-q8w2m";
    pod["metadata"]["namespace"] = kNamespace;

    for (const std::string& name : kCredentialedContainers) {
        SCOPED_TRACE("container " + name);
        expect_web_identity_env(container_of(pod, name), kPaymentsRole);
        expect_listed_via_sts(run_sdk(pod, name), kPaymentsRole, "payments-api");
    }
    EXPECT_FALSE(has_aws_env(container_of(pod, "log-shipper")));
}

// (g) An impostor key signing under the published kid: the token looks right to anyone who
// does not check the signature, but Node verifies it against the published key and STS refuses.
TEST_F(EndToEnd, TokenSignedByAnotherKeyUnderThePublishedKidIsRefusedBySts) {
    ASSERT_NO_FATAL_FAILURE(start_webhook());
    const Json pod = admit(realistic_pod("payments-api"));
    const RsaSigningKey impostor;
    const FakeKubelet impostor_kubelet(impostor, kid_, kIssuer, dir_ / "containers");
    expect_refused_by_sts(run_sdk_with(impostor_kubelet, pod, "api"), "signature");
}

// (h) A JWKS whose kid was edited by hand, the kubelet signing under that kid with the right
// key: the kid is no longer the SHA-256 of the key it names, which Node recomputes and refuses.
TEST_F(EndToEnd, JwksWithAnEditedKidIsRefusedBySts) {
    Json jwks = published_jwks();
    jwks["keys"][0]["kid"] = "payments-cluster-2024";
    testing::write_file(issuer_documents().jwks, jwks.dump());
    kid_ = published_kid();
    ASSERT_EQ(kid_, "payments-cluster-2024");

    ASSERT_NO_FATAL_FAILURE(start_webhook());
    expect_refused_by_sts(run_sdk(admit(realistic_pod("payments-api")), "api"), "kid");
}

}  // namespace
}  // namespace piw::e2e
