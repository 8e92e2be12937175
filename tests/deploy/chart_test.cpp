// The Helm chart: helm lint --strict, the values schema, and helm template with the values sets
// in tests/deploy/values/, each checked for what a cluster would receive.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "installation_checks.hpp"
#include "rendered.hpp"

namespace piw::deploy {
namespace {

const std::vector<std::string>& values_sets() {
    static const std::vector<std::string> files = {"defaults.yaml",
                                                   "own-secret.yaml",
                                                   "opt-in-fail.yaml",
                                                   "config-map.yaml",
                                                   "container-credentials.yaml",
                                                   "custom-prefix.yaml"};
    return files;
}

constexpr const char* kNamespace = "identity-system";
constexpr const char* kRelease = "piw";

// Flags the Deployment must pass with these values (nullopt: must not pass at all).
using ExpectedFlags = std::map<std::string, std::optional<std::string>>;

void expect_flags(const std::map<std::string, std::string>& flags, const ExpectedFlags& expected) {
    for (const auto& [flag, value] : expected) {
        if (!value) {
            EXPECT_EQ(flags.count(flag), 0U) << "--" << flag << " should not be passed";
            continue;
        }
        auto found = flags.find(flag);
        if (found == flags.end()) {
            ADD_FAILURE() << "--" << flag << " is not passed (expected " << *value << ")";
        } else {
            EXPECT_EQ(found->second, *value) << "--" << flag;
        }
    }
}

class ChartTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string missing = missing_tool_message(helm_path());
        ASSERT_TRUE(missing.empty()) << missing;
    }

    // Renders with one values set and runs the checks common to every configuration.
    struct Checked {
        Rendered objects;
        Installation installation;
    };
    static Checked render_and_check(const std::string& values_file,
                                    const std::vector<std::string>& extra = {}) {
        Checked checked;
        SCOPED_TRACE("helm template with " + values_file);
        Render render = helm_template(kRelease, kNamespace, {values_path(values_file)}, extra);
        EXPECT_EQ(render.result.exit_code, 0) << render.result.err;
        checked.objects = render.objects;
        checked.installation = check_installation(render.objects, kNamespace);
        return checked;
    }
};

// --- lint and schema ---------------------------------------------------------------------------

TEST_F(ChartTest, LintsCleanWithStrictForEveryValuesSet) {
    for (const auto& file : values_sets()) {
        SCOPED_TRACE(file);
        const ToolResult lint =
            run_tool(helm_path(), {"lint", "--strict", chart_path(), "--namespace", kNamespace,
                                   "--values", values_path(file)});
        EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
    }
}

TEST_F(ChartTest, SchemaRejectsMisspeltAndInvalidValues) {
    // A typo in a values file must stop the install instead of being silently ignored.
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"replicas=3", "replicas"},
        {"config.tokenExpiraton=3600", "tokenExpiraton"},
        {"webhook.failurePolicy=Sometimes", "failurePolicy"},
        {"webhook.timeoutSeconds=31", "timeoutSeconds"},
        {"config.logLevel=verbose", "logLevel"},
        {"config.logFormat=xml", "logFormat"},
        {"webhook.optIn.enabeld=true", "enabeld"},
        {"pki.certManager.issuerRef.kind=Certificate", "kind"},
        {"image.pullPolicy=Sometimes", "pullPolicy"},
        {"config.tls.minVersion=1.4", "minVersion"},
        {"config.shutdownDelay=5", "shutdownDelay"},  // no unit
        {"config.shutdownDelay=soon", "shutdownDelay"},
        {"config.shutdownDelay=-5s", "shutdownDelay"},
    };
    for (const auto& [assignment, mention] : bad) {
        SCOPED_TRACE(assignment);
        Render render = helm_template(kRelease, kNamespace, {}, {"--set", assignment});
        EXPECT_NE(render.result.exit_code, 0) << "accepted";
        EXPECT_NE(render.result.err.find(mention), std::string::npos) << render.result.err;
    }
}

TEST_F(ChartTest, SchemaAcceptsDocumentedValueForms) {
    const std::vector<std::vector<std::string>> good = {
        {"--set-string", "config.composeRoleArn.awsAccountId=111122223333"},
        {"--set", "webhook.optIn.enabled=true,webhook.optIn.value=true"},
        {"--set", "podDisruptionBudget.maxUnavailable=50%"},
        {"--set", "config.serviceAccountLookupGracePeriod=0"},
        {"--set", "config.shutdownDelay=0"},
        {"--set", "config.shutdownDelay=500ms"},
        {"--set", "config.shutdownDelay=1m30s"},
        {"--set", "config.tls.minVersion=VersionTLS13"},
        {"--set", "pki.certManager.issuerRef.name=ca,pki.certManager.issuerRef.kind=Issuer"},
        {"--set", "image.digest=sha256:" + std::string(64, 'a')},
        {"--set", "serviceAccount.create=false,serviceAccount.name=existing"},
        {"--set", "global.imageRegistry=example.com"},
    };
    for (const auto& arguments : good) {
        SCOPED_TRACE(arguments.back());
        Render render = helm_template(kRelease, kNamespace, {}, arguments);
        EXPECT_EQ(render.result.exit_code, 0) << render.result.err;
    }
}

TEST_F(ChartTest, MissingRequiredValuesFailWithAMessage) {
    struct Case {
        std::vector<std::string> arguments;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"--set", "pki.certManager.enabled=false"}, "pki.existingSecret"},
        {{"--set", "pki.certManager.enabled=false,pki.existingSecret=tls"}, "pki.caBundle"},
        {{"--set", "serviceAccount.create=false"}, "serviceAccount.name"},
    };
    for (const auto& test_case : cases) {
        SCOPED_TRACE(test_case.arguments.back());
        Render render = helm_template(kRelease, kNamespace, {}, test_case.arguments);
        EXPECT_NE(render.result.exit_code, 0);
        EXPECT_NE(render.result.err.find(test_case.message), std::string::npos)
            << render.result.err;
    }
}

// --- every values set ----------------------------------------------------------------------------

class ValuesSetTest : public ChartTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ValuesSetTest, RendersAWorkingLeastPrivilegeInstallation) {
    const Checked checked = render_and_check(GetParam());
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    expect_mirror_pods_skipped(installation);

    // Flags every configuration passes explicitly, so the pod spec says how it behaves.
    for (const auto* flag :
         {"annotation-prefix", "token-audience", "token-mount-path", "token-expiration",
          "sts-regional-endpoint", "log-level", "log-format", "service-account-lookup-grace-period",
          "shutdown-delay", "shutdown-timeout"}) {
        EXPECT_EQ(installation.flags.count(flag), 1U) << "--" << flag;
    }
    // A pod waiting for its ServiceAccount must get an answer before the API server gives up.
    const auto grace = duration_ms(installation.flags.at("service-account-lookup-grace-period"));
    ASSERT_TRUE(grace.has_value());
    EXPECT_LT(*grace, at(installation.webhook, "timeoutSeconds").as<long long>(10) * 1000);
    EXPECT_GE(at(installation.deployment, "spec", "replicas").as<int>(0), 2)
        << "one replica makes every pod creation depend on one pod";
}

TEST_P(ValuesSetTest, HelmTestHookChecksTheInjectionInAMutatedNamespace) {
    const Checked checked = render_and_check(GetParam());
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    const auto hooks = [&](const std::string& kind) {
        std::vector<YAML::Node> found;
        for (const auto& object : checked.objects.of_kind(kind)) {
            if (text(at(object, "metadata", "annotations", "helm.sh/hook")) == "test") {
                found.push_back(object);
            }
        }
        return found;
    };
    const auto accounts = hooks("ServiceAccount");
    const auto pods = hooks("Pod");
    ASSERT_EQ(accounts.size(), 1U);
    ASSERT_EQ(pods.size(), 1U);
    const YAML::Node account = accounts[0];
    const YAML::Node pod = pods[0];

    // The ServiceAccount carries the role under the configured prefix, and exists first.
    const std::string prefix = installation.flags.at("annotation-prefix");
    const std::string role = text(at(account, "metadata", "annotations")[prefix + "/role-arn"]);
    EXPECT_FALSE(role.empty()) << "the test ServiceAccount has no " << prefix << "/role-arn";
    EXPECT_LT(at(account, "metadata", "annotations", "helm.sh/hook-weight").as<int>(0),
              at(pod, "metadata", "annotations", "helm.sh/hook-weight").as<int>(0));
    for (const auto& hook : {account, pod}) {
        const std::string policy =
            text(at(hook, "metadata", "annotations", "helm.sh/hook-delete-policy"));
        EXPECT_NE(policy.find("before-hook-creation"), std::string::npos);
        EXPECT_NE(policy.find("hook-succeeded"), std::string::npos);
        EXPECT_EQ(text(at(hook, "metadata", "namespace")), text(at(pod, "metadata", "namespace")));
    }

    // The pod runs where the webhook mutates: not its own namespace, selected by the opt-in label.
    EXPECT_NE(text(at(pod, "metadata", "namespace")), kNamespace);
    EXPECT_EQ(text(at(pod, "spec", "serviceAccountName")), text(at(account, "metadata", "name")));
    EXPECT_EQ(text(at(pod, "spec", "restartPolicy")), "Never");
    const auto pod_labels = string_map(at(pod, "metadata", "labels"));
    EXPECT_EQ(pod_labels.count("eks.amazonaws.com/skip-pod-identity-webhook"), 0U);
    for (const auto& expression : at(installation.webhook, "objectSelector", "matchExpressions")) {
        if (text(at(expression, "operator")) != "In") continue;
        const auto label = pod_labels.find(text(at(expression, "key")));
        ASSERT_NE(label, pod_labels.end()) << "the test pod lacks " << text(at(expression, "key"));
        const auto values = strings(at(expression, "values"));
        EXPECT_NE(std::find(values.begin(), values.end(), label->second), values.end());
    }
    // No Service or PDB of the release selects the test pod.
    EXPECT_FALSE(
        labels_contain(pod_labels, string_map(at(installation.service, "spec", "selector"))));

    // It compares what the webhook injected with what these values promise.
    const YAML::Node container = at(pod, "spec", "containers", 0);
    const YAML::Node env = at(container, "env");
    EXPECT_EQ(text(at(element_with(env, "name", "EXPECTED_ROLE_ARN"), "value")), role);
    EXPECT_EQ(text(at(element_with(env, "name", "EXPECTED_TOKEN_FILE"), "value")),
              installation.flags.at("token-mount-path") + "/token");
    const std::string script = strings(at(container, "command")).empty()
                                   ? std::string()
                                   : strings(at(container, "command")).back();
    for (const auto* needle : {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                               "-s \"$EXPECTED_TOKEN_FILE\"", "exit \"$fail\""}) {
        EXPECT_NE(script.find(needle), std::string::npos) << needle;
    }
    // The env names the webhook injects must not be preset, or it would leave them alone.
    EXPECT_FALSE(element_with(env, "name", "AWS_ROLE_ARN").IsDefined());
    EXPECT_FALSE(element_with(env, "name", "AWS_WEB_IDENTITY_TOKEN_FILE").IsDefined());
    EXPECT_TRUE(at(pod, "spec", "securityContext", "runAsNonRoot").as<bool>(false));
}

// gtest names: "own-secret.yaml" -> "ownsecret".
std::string values_set_name(const ::testing::TestParamInfo<std::string>& param) {
    std::string name;
    for (const char character : param.param) {
        if (character == '.') break;
        if (std::isalnum(static_cast<unsigned char>(character)) != 0) name.push_back(character);
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Chart, ValuesSetTest, ::testing::ValuesIn(values_sets()), values_set_name);

// --- each values set's own promises --------------------------------------------------------------

TEST_F(ChartTest, DefaultsAreProductionReady) {
    const Checked checked = render_and_check("defaults.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    expect_flags(installation.flags,
                 {{"port", "8443"},
                  {"metrics-port", "9999"},
                  {"tls-cert", "/etc/webhook/certs/tls.crt"},
                  {"tls-key", "/etc/webhook/certs/tls.key"},
                  {"in-cluster", "false"},
                  {"namespace", kNamespace},
                  {"annotation-prefix", "eks.amazonaws.com"},
                  {"token-audience", "sts.amazonaws.com"},
                  {"token-expiration", "86400"},
                  {"token-mount-path", "/var/run/secrets/eks.amazonaws.com/serviceaccount"},
                  {"sts-regional-endpoint", "true"},
                  {"service-account-lookup-grace-period", "1s"},
                  {"shutdown-delay", "5s"},
                  {"shutdown-timeout", "10s"},
                  {"log-level", "info"},
                  {"log-format", "json"},
                  {"aws-default-region", std::nullopt},
                  {"watch-config-map", std::nullopt},
                  {"watch-container-credentials-config", std::nullopt},
                  {"enable-debugging-handlers", std::nullopt},
                  {"compose-role-arn", std::nullopt},
                  {"tls-min-version", std::nullopt},
                  {"tls-cipher-suites", std::nullopt}});
    EXPECT_EQ(text(at(installation.container, "image")),
              "ghcr.io/pod-identity-webhook/pod-identity-webhook:0.1.0");
    EXPECT_EQ(at(installation.deployment, "spec", "replicas").as<int>(0), 2);
    EXPECT_EQ(text(at(installation.pod_spec, "priorityClassName")), "system-cluster-critical");
    // Shutdown is the binary's own (--shutdown-delay), not a preStop hook.
    EXPECT_FALSE(at(installation.container, "lifecycle").IsDefined());
    // A new pod is ready before an old one goes.
    EXPECT_EQ(at(installation.deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable")
                  .as<int>(-1),
              0);

    const YAML::Node& webhook = installation.webhook;
    EXPECT_EQ(text(at(webhook, "failurePolicy")), "Ignore");
    EXPECT_EQ(at(webhook, "timeoutSeconds").as<int>(0), 10);
    EXPECT_EQ(text(at(webhook, "reinvocationPolicy")), "IfNeeded");
    EXPECT_EQ(at(webhook, "objectSelector", "matchExpressions").size(), 1U) << "opt-out by default";
    EXPECT_EQ(at(webhook, "namespaceSelector", "matchExpressions").size(), 1U);

    const YAML::Node budget = checked.objects.only("PodDisruptionBudget");
    EXPECT_EQ(at(budget, "spec", "maxUnavailable").as<int>(0), 1);
    // cert-manager CA chain of the release's own, no extras.
    EXPECT_EQ(checked.objects.of_kind("Issuer").size(), 2U);
    EXPECT_EQ(checked.objects.of_kind("Certificate").size(), 2U);
    EXPECT_TRUE(checked.objects.of_kind("Role").empty()) << "no ConfigMap mode, no Role";
    EXPECT_TRUE(checked.objects.of_kind("ConfigMap").empty());
    EXPECT_TRUE(checked.objects.of_kind("ServiceMonitor").empty());
    EXPECT_TRUE(checked.objects.of_kind("NetworkPolicy").empty());
    EXPECT_TRUE(checked.objects.of_kind("Secret").empty()) << "no key material in the chart";
}

TEST_F(ChartTest, OwnSecretNeedsNoCertManager) {
    const Checked checked = render_and_check("own-secret.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    for (const auto& object : checked.objects.objects()) {
        EXPECT_EQ(text(at(object, "apiVersion")).rfind("cert-manager.io", 0), std::string::npos)
            << text(at(object, "kind")) << " needs cert-manager";
    }
    EXPECT_FALSE(at(installation.webhook_configuration, "metadata", "annotations",
                    "cert-manager.io/inject-ca-from")
                     .IsDefined());
    EXPECT_EQ(
        text(at(volume_mounted_at(installation, "/etc/webhook/certs"), "secret", "secretName")),
        "my-webhook-tls");
    // The PEM from the values file, base64-encoded as the API expects.
    const YAML::Node values = YAML::LoadFile(values_path("own-secret.yaml"));
    const std::string pem = at(values, "pki", "caBundle").as<std::string>();
    const std::string decoded =
        base64_decode(text(at(installation.webhook, "clientConfig", "caBundle")));
    EXPECT_EQ(decoded.substr(0, decoded.find_last_not_of('\n') + 1),
              pem.substr(0, pem.find_last_not_of('\n') + 1));
}

TEST_F(ChartTest, OptInModeSendsOnlyLabelledPodsAndMayFail) {
    const Checked checked = render_and_check("opt-in-fail.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    const YAML::Node& webhook = installation.webhook;
    EXPECT_EQ(text(at(webhook, "failurePolicy")), "Fail");
    EXPECT_EQ(at(webhook, "timeoutSeconds").as<int>(0), 5);
    const YAML::Node opt_in = element_with(at(webhook, "objectSelector", "matchExpressions"), "key",
                                           "example.com/aws-credentials");
    ASSERT_TRUE(opt_in.IsDefined()) << "unlabelled pods would be sent (and fail)";
    EXPECT_EQ(text(at(opt_in, "operator")), "In");
    EXPECT_EQ(strings(at(opt_in, "values")), std::vector<std::string>{"enabled"});
    // The admin's namespaceSelector is kept, and the webhook's namespace still excluded.
    const YAML::Node tier = element_with(at(webhook, "namespaceSelector", "matchExpressions"),
                                         "key", "example.com/tier");
    ASSERT_TRUE(tier.IsDefined());
    EXPECT_EQ(text(at(tier, "operator")), "NotIn");
    // Extra matchConditions come after the mirror-pod one.
    ASSERT_EQ(at(webhook, "matchConditions").size(), 2U);
    EXPECT_EQ(text(at(webhook, "matchConditions", 1, "name")), "not-kube-system");
    EXPECT_EQ(text(at(webhook, "matchConditions", 1, "expression")),
              "request.namespace != 'kube-system'");
}

TEST_F(ChartTest, ConfigMapModeWatchesTheRoleConfigMapItCreates) {
    const Checked checked = render_and_check("config-map.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    expect_flags(installation.flags, {{"watch-config-map", "true"}, {"namespace", kNamespace}});
    // The binary reads exactly this name in --namespace, key "config".
    const YAML::Node config_map = checked.objects.find("ConfigMap", "pod-identity-webhook");
    ASSERT_TRUE(config_map.IsDefined());
    EXPECT_EQ(text(at(config_map, "metadata", "namespace")), kNamespace);
    const auto roles = nlohmann::json::parse(text(at(config_map, "data", "config")));
    ASSERT_TRUE(roles.is_object());
    EXPECT_EQ(roles.size(), 2U);
    EXPECT_EQ(roles["payments/api"]["RoleARN"], "arn:aws:iam::111122223333:role/payments-api");
    EXPECT_EQ(roles["payments/api"]["UseRegionalSTS"], true);
    EXPECT_TRUE(roles["payments/api"]["TokenExpiration"].is_number_integer())
        << "the binary rejects a config whose TokenExpiration is not an integer";
    EXPECT_EQ(roles["payments/api"]["TokenExpiration"], 3600);
    EXPECT_EQ(roles["*/s3-reader"]["RoleARN"], "arn:aws:iam::111122223333:role/s3-reader");
    // ... and may read it (check_installation verified it may read nothing else).
    ASSERT_EQ(checked.objects.of_kind("Role").size(), 1U);
    EXPECT_EQ(checked.objects.of_kind("RoleBinding").size(), 1U);
    const auto verbs = strings(at(checked.objects.of_kind("Role")[0], "rules", 0, "verbs"));
    EXPECT_EQ(std::set<std::string>(verbs.begin(), verbs.end()),
              (std::set<std::string>{"get", "list", "watch"}));
}

TEST_F(ChartTest, ContainerCredentialsConfigIsMountedWhereTheFlagPoints) {
    const Checked checked = render_and_check("container-credentials.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    expect_flags(installation.flags,
                 {{"container-credentials-audience", "pods.example.com"},
                  {"container-credentials-full-uri", "http://169.254.170.23/v1/credentials"},
                  {"container-credentials-token-mount-path",
                   "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"},
                  {"container-credentials-token-volume-name", "eks-pod-identity-token"},
                  {"container-credentials-token-path", "eks-pod-identity-token"},
                  {"watch-config-map", std::nullopt}});
    ASSERT_EQ(installation.flags.count("watch-container-credentials-config"), 1U);
    const std::string path = installation.flags.at("watch-container-credentials-config");
    const std::string directory = path.substr(0, path.rfind('/'));
    const std::string file = path.substr(path.rfind('/') + 1);
    const YAML::Node volume = volume_mounted_at(installation, directory);
    ASSERT_TRUE(volume.IsDefined()) << "nothing is mounted at " << directory;
    const std::string config_map_name = text(at(volume, "configMap", "name"));
    ASSERT_FALSE(config_map_name.empty());
    // Without items the whole ConfigMap is mounted; with items the file must be one of them.
    std::string key = file;
    if (at(volume, "configMap", "items").IsDefined()) {
        const YAML::Node item = element_with(at(volume, "configMap", "items"), "path", file);
        ASSERT_TRUE(item.IsDefined()) << file << " is not projected";
        key = text(at(item, "key"));
    }
    const YAML::Node config_map = checked.objects.find("ConfigMap", config_map_name);
    ASSERT_TRUE(config_map.IsDefined());
    const auto config = nlohmann::json::parse(text(at(config_map, "data", key)));
    EXPECT_EQ(config, nlohmann::json::parse(R"({"identities":[
        {"namespace":"payments","serviceAccount":"api"},
        {"namespace":"batch","serviceAccount":"worker"}]})"));
    EXPECT_TRUE(checked.objects.of_kind("Role").empty());
}

TEST_F(ChartTest, EveryFlagFollowsItsValue) {
    const Checked checked = render_and_check("custom-prefix.yaml");
    const Installation& installation = checked.installation;
    ASSERT_TRUE(installation.container.IsDefined());
    expect_flags(installation.flags,
                 {{"metrics-port", "9090"},
                  {"annotation-prefix", "irsa.example.com"},
                  {"aws-default-region", "eu-west-1"},
                  {"sts-regional-endpoint", "false"},
                  {"token-audience", "sts.example.com"},
                  {"token-expiration", "3600"},
                  {"token-mount-path", "/var/run/secrets/irsa"},
                  {"service-account-lookup-grace-period", "2500ms"},
                  {"shutdown-delay", "1m"},
                  {"shutdown-timeout", "20s"},
                  {"log-level", "debug"},
                  {"log-format", "text"},
                  {"enable-debugging-handlers", "true"},
                  {"tls-min-version", "1.3"},
                  {"tls-cipher-suites",
                   "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
                  {"compose-role-arn", "true"},
                  {"aws-account-id", "111122223333"},
                  {"aws-partition", "aws-cn"},
                  {"max-connections", "4096"}});
    EXPECT_EQ(text(at(installation.container, "image")),
              "registry.example.com/platform/pod-identity-webhook:0.1.0-rc1");
    EXPECT_EQ(text(at(installation.deployment, "metadata", "name")), "irsa");
    EXPECT_EQ(at(installation.deployment, "spec", "replicas").as<int>(0), 3);
    EXPECT_FALSE(at(installation.pod_spec, "priorityClassName").IsDefined());
    EXPECT_EQ(text(at(installation.webhook, "reinvocationPolicy")), "Never");
    EXPECT_EQ(at(installation.webhook, "timeoutSeconds").as<int>(0), 15);
    EXPECT_EQ(at(checked.objects.only("PodDisruptionBudget"), "spec", "minAvailable").as<int>(0),
              2);

    // An existing ClusterIssuer signs; the chart creates no CA of its own.
    EXPECT_TRUE(checked.objects.of_kind("Issuer").empty());
    const YAML::Node certificate = checked.objects.only("Certificate");
    EXPECT_EQ(text(at(certificate, "spec", "issuerRef", "kind")), "ClusterIssuer");
    EXPECT_EQ(text(at(certificate, "spec", "issuerRef", "name")), "corporate-ca");
    EXPECT_EQ(text(at(certificate, "spec", "issuerRef", "group")), "cert-manager.io");

    // Prometheus Operator scrapes the metrics port of this Service.
    const YAML::Node monitor = checked.objects.only("ServiceMonitor");
    EXPECT_EQ(text(at(monitor, "spec", "endpoints", 0, "port")), "metrics");
    EXPECT_EQ(text(at(monitor, "metadata", "labels", "release")), "prometheus");
    EXPECT_TRUE(labels_contain(string_map(at(installation.service, "metadata", "labels")),
                               string_map(at(monitor, "spec", "selector", "matchLabels"))));
    EXPECT_EQ(strings(at(monitor, "spec", "namespaceSelector", "matchNames")),
              std::vector<std::string>{kNamespace});

    // The NetworkPolicy lets the API server in (from anywhere: its address is cluster-specific)
    // and Prometheus only from the monitoring namespace.
    const YAML::Node policy = checked.objects.only("NetworkPolicy");
    EXPECT_TRUE(labels_contain(installation.pod_labels,
                               string_map(at(policy, "spec", "podSelector", "matchLabels"))));
    bool webhook_open = false;
    bool metrics_restricted = false;
    for (const auto& rule : at(policy, "spec", "ingress")) {
        const std::string port = text(at(rule, "ports", 0, "port"));
        if (port == "webhook") webhook_open = !at(rule, "from").IsDefined();
        if (port == "metrics") metrics_restricted = at(rule, "from").IsDefined();
    }
    EXPECT_TRUE(webhook_open);
    EXPECT_TRUE(metrics_restricted);

    // The test hook uses the custom prefix, namespace and mount path.
    const YAML::Node account = checked.objects.find("ServiceAccount", "irsa-test");
    ASSERT_TRUE(account.IsDefined());
    EXPECT_EQ(text(at(account, "metadata", "namespace")), "irsa-test");
    EXPECT_EQ(text(at(account, "metadata", "annotations", "irsa.example.com/role-arn")),
              "arn:aws-cn:iam::111122223333:role/irsa-test");
    const YAML::Node pod = checked.objects.find("Pod", "irsa-test");
    ASSERT_TRUE(pod.IsDefined());
    const YAML::Node env = at(pod, "spec", "containers", 0, "env");
    EXPECT_EQ(text(at(element_with(env, "name", "EXPECTED_TOKEN_FILE"), "value")),
              "/var/run/secrets/irsa/token");
    EXPECT_EQ(text(at(element_with(env, "name", "EXPECTED_REGION"), "value")), "eu-west-1");
}

// --- Kubernetes versions ----------------------------------------------------------------------

TEST_F(ChartTest, FieldsNewerThanTheClusterAreLeftOut) {
    // matchConditions exist from 1.28: an older API server would reject (or strict field
    // validation refuse) the configuration. Nothing else depends on the version.
    {
        const Checked checked = render_and_check("defaults.yaml", {"--kube-version", "1.27.0"});
        ASSERT_TRUE(checked.installation.container.IsDefined());
        EXPECT_FALSE(at(checked.installation.webhook, "matchConditions").IsDefined());
    }
    for (const auto* version : {"1.28.0", "1.29.4", "1.30.0"}) {
        SCOPED_TRACE(version);
        const Checked checked = render_and_check("defaults.yaml", {"--kube-version", version});
        ASSERT_TRUE(checked.installation.container.IsDefined());
        expect_mirror_pods_skipped(checked.installation);
    }
}

}  // namespace
}  // namespace piw::deploy
