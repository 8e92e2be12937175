// `pod-identity-webhook mutate` (decision C2): what the webhook would do to a bundle of manifests,
// offline, as a GitOps preview would run it.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

constexpr std::string_view kWebRoleArn = "arn:aws:iam::111122223333:role/web";
constexpr std::string_view kReporterRoleArn = "arn:aws:iam::111122223333:role/reporter";

// Kept verbatim in the output (comments, quoting, the odd `yes`): it is not a workload.
constexpr std::string_view kConfigMap = R"(# settings shared by the web tier
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  greeting: "hello"   # quoted on purpose
  enabled: yes
)";

std::string bundle() {
    return std::string(R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
  annotations:
    eks.amazonaws.com/role-arn: )") +
           std::string(kWebRoleArn) + R"(
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: nginx:1.27
        env:
        - name: MODE
          value: production
---
)" + std::string(kConfigMap) +
           R"(---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: reporter
          restartPolicy: Never
          containers:
          - name: report
            image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  annotations:
    eks.amazonaws.com/token_expiration: "3600"
spec:
  serviceAccountName: web
  containers:
  - name: shell
    image: busybox
)";
}

constexpr std::string_view kOtherServiceAccounts = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: reporter
  namespace: shop
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/reporter
)";

class BinaryMutateCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        manifests_ = dir_.write_file("bundle.yaml", bundle());
        service_accounts_ = dir_.write_file("sa.yaml", kOtherServiceAccounts);
    }

    RunResult mutate(std::vector<std::string> more) const {
        std::vector<std::string> arguments{"mutate", "-f", manifests_.string(),
                                           "--service-accounts-file=" + service_accounts_.string()};
        arguments.insert(arguments.end(), more.begin(), more.end());
        return run_binary(arguments);
    }

    TempDir dir_{"piw-mutate"};
    std::filesystem::path manifests_;
    std::filesystem::path service_accounts_;
};

// Env of a YAML container as (name, value) pairs.
std::vector<std::pair<std::string, std::string>> yaml_env(const YAML::Node& container) {
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& entry : container["env"]) {
        env.emplace_back(entry["name"].as<std::string>(),
                         entry["value"] ? entry["value"].as<std::string>() : "<valueFrom>");
    }
    return env;
}

std::vector<YAML::Node> load_all(const std::string& text, std::string& error) {
    try {
        return YAML::LoadAll(text);
    } catch (const YAML::Exception& exception) {
        error = exception.what();
        return {};
    }
}

TEST_F(BinaryMutateCommand, YamlOutputMutatesWorkloadsAndPassesTheRestThrough) {
    const RunResult run = mutate({"-o", "yaml", "--namespace", "shop"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::string error;
    const auto documents = load_all(run.out, error);
    ASSERT_TRUE(error.empty()) << error << "\n" << run.out;
    ASSERT_EQ(documents.size(), 5U) << run.out;

    EXPECT_EQ(documents[0]["kind"].as<std::string>(), "ServiceAccount");
    EXPECT_EQ(documents[2]["kind"].as<std::string>(), "ConfigMap");
    EXPECT_NE(run.out.find(kConfigMap), std::string::npos)
        << "ConfigMap not passed through as is:\n"
        << run.out;

    const YAML::Node deployment = documents[1];
    ASSERT_EQ(deployment["kind"].as<std::string>(), "Deployment");
    EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 2);
    const YAML::Node web_pod = deployment["spec"]["template"]["spec"];
    const std::vector<std::pair<std::string, std::string>> web_env{
        {"MODE", "production"},
        {"AWS_ROLE_ARN", std::string(kWebRoleArn)},
        {"AWS_WEB_IDENTITY_TOKEN_FILE", std::string(kWebIdentityTokenFile)},
    };
    EXPECT_EQ(yaml_env(web_pod["containers"][0]), web_env);
    ASSERT_TRUE(web_pod["volumes"].IsSequence()) << run.out;
    EXPECT_EQ(web_pod["volumes"][0]["name"].as<std::string>(), "aws-iam-token");
    EXPECT_EQ(web_pod["containers"][0]["volumeMounts"][0]["mountPath"].as<std::string>(),
              kWebIdentityMountPath);

    const YAML::Node cron_job = documents[3];
    ASSERT_EQ(cron_job["kind"].as<std::string>(), "CronJob");
    const YAML::Node report_pod = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    EXPECT_EQ(report_pod["restartPolicy"].as<std::string>(), "Never");
    const auto report_env = yaml_env(report_pod["containers"][0]);
    ASSERT_FALSE(report_env.empty()) << run.out;
    EXPECT_EQ(report_env[0],
              std::make_pair(std::string("AWS_ROLE_ARN"), std::string(kReporterRoleArn)))
        << "the role comes from --service-accounts-file";

    // The bare Pod has no namespace: --namespace shop makes it shop/web's.
    const YAML::Node pod = documents[4];
    ASSERT_EQ(pod["kind"].as<std::string>(), "Pod");
    EXPECT_EQ(yaml_env(pod["spec"]["containers"][0]).at(0).second, kWebRoleArn);
}

TEST_F(BinaryMutateCommand, NamespaceDefaultsToDefault) {
    const RunResult run = mutate({"-o", "json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json list = Json::parse(run.out, nullptr, false);
    ASSERT_TRUE(list.is_object()) << run.out;
    const Json pod = list["items"].back();
    ASSERT_EQ(pod.value("kind", ""), "Pod");
    EXPECT_FALSE(pod["spec"]["containers"][0].contains("env"))
        << "default/web does not exist, so the bare Pod is left alone";
}

TEST_F(BinaryMutateCommand, JsonAndPatchOutputsAreValidJson) {
    const RunResult json_run = mutate({"-o", "json", "--namespace=shop"});
    ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
    const Json list = Json::parse(json_run.out, nullptr, false);
    ASSERT_FALSE(list.is_discarded()) << json_run.out;
    EXPECT_EQ(list.value("kind", ""), "List");
    ASSERT_EQ(list["items"].size(), 5U);
    EXPECT_EQ(list["items"][2].value("kind", ""), "ConfigMap");
    EXPECT_EQ(list["items"][2]["data"].value("greeting", ""), "hello");
    EXPECT_EQ(
        env_value(list["items"][1]["spec"]["template"]["spec"]["containers"][0], "AWS_ROLE_ARN"),
        std::string(kWebRoleArn));

    const RunResult patch_run = mutate({"-o", "patch", "--namespace=shop"});
    ASSERT_EQ(patch_run.exit_code, 0) << patch_run.err;
    const Json reports = Json::parse(patch_run.out, nullptr, false);
    ASSERT_TRUE(reports.is_array()) << patch_run.out;
    ASSERT_EQ(reports.size(), 3U) << "Deployment, CronJob and Pod: " << patch_run.out;
    EXPECT_EQ(reports[0].value("kind", ""), "Deployment");
    ASSERT_TRUE(reports[0]["patch"].is_array());
    ASSERT_FALSE(reports[0]["patch"].empty());
    for (const Json& operation : reports[0]["patch"]) {
        EXPECT_TRUE(operation.value("path", "").starts_with("/spec/template/")) << operation.dump();
    }
    EXPECT_EQ(reports[1].value("kind", ""), "CronJob");
    for (const Json& operation : reports[1]["patch"]) {
        EXPECT_TRUE(operation.value("path", "").starts_with("/spec/jobTemplate/spec/template/"))
            << operation.dump();
    }
}

TEST_F(BinaryMutateCommand, ReadsStandardInput) {
    const RunResult from_file = mutate({"-o", "json", "--namespace=shop"});
    ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
    const RunResult from_stdin = run_binary_with_stdin(
        {"mutate", "-f", "-", "--service-accounts-file=" + service_accounts_.string(), "-o", "json",
         "--namespace=shop"},
        manifests_);
    ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
    const Json a = Json::parse(from_file.out, nullptr, false);
    const Json b = Json::parse(from_stdin.out, nullptr, false);
    ASSERT_FALSE(b.is_discarded()) << from_stdin.out;
    // Jitter aside (not used here: no container credentials), the same input gives the same output.
    EXPECT_EQ(a, b);
}

TEST_F(BinaryMutateCommand, WarningsGoToStandardError) {
    const RunResult run = mutate({"-o", "yaml", "--namespace=shop"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // The Pod's `token_expiration` is a near miss of `token-expiration` (M6).
    EXPECT_NE(run.err.find("eks.amazonaws.com/token_expiration"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("token-expiration"), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find("did you mean"), std::string::npos) << "a warning leaked into stdout";
    std::string error;
    EXPECT_EQ(load_all(run.out, error).size(), 5U) << error;
}

TEST_F(BinaryMutateCommand, EveryWorkloadKindAndListsFromSeveralFiles) {
    std::string workloads;
    for (const char* kind : {"StatefulSet", "DaemonSet", "ReplicaSet", "Job"}) {
        workloads +=
            std::string("---\napiVersion: apps/v1\nkind: ") + kind +
            "\nmetadata: {name: w, namespace: shop}\nspec:\n  template:\n    spec:\n"
            "      serviceAccountName: reporter\n      containers: [{name: c, image: i}]\n";
    }
    const auto first = dir_.write_file("workloads.yaml", workloads);
    // What `kubectl get pods -o yaml` prints: a List.
    const auto second = dir_.write_file("list.json", R"({"apiVersion":"v1","kind":"List","items":[
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"shop"},
         "spec":{"serviceAccountName":"reporter","containers":[{"name":"c","image":"i"}]}}]})");
    const RunResult run =
        run_binary({"mutate", "-f", first.string(), "-f", second.string(),
                    "--service-accounts-file=" + service_accounts_.string(), "-o", "json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json list = Json::parse(run.out, nullptr, false);
    ASSERT_TRUE(list.is_object()) << run.out;
    ASSERT_EQ(list["items"].size(), 5U) << run.out;
    for (std::size_t i = 0; i < 4; ++i) {
        const Json& item = list["items"][i];
        EXPECT_EQ(env_value(item["spec"]["template"]["spec"]["containers"][0], "AWS_ROLE_ARN"),
                  std::string(kReporterRoleArn))
            << item.value("kind", "");
    }
    const Json& pod = list["items"][4]["items"][0];
    EXPECT_EQ(env_value(pod["spec"]["containers"][0], "AWS_ROLE_ARN"),
              std::string(kReporterRoleArn))
        << list["items"][4].dump();
}

TEST_F(BinaryMutateCommand, SyntaxErrorExitsOneNamingTheFile) {
    const auto broken =
        dir_.write_file("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n");
    const RunResult run = run_binary({"mutate", "-f", broken.string()});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(broken.string()), std::string::npos) << run.err;
}

TEST_F(BinaryMutateCommand, MissingFileExitsOneNamingIt) {
    const std::string missing = (dir_ / "nope.yaml").string();
    const RunResult run = run_binary({"mutate", "-f", missing});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(missing), std::string::npos) << run.err;
}

}  // namespace
}  // namespace piw::testing
