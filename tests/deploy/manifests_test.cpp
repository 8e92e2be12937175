// deploy/: kubectl kustomize renders it, it passes the same checks as the chart, and it does not
// drift from the chart's defaults.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "installation_checks.hpp"
#include "rendered.hpp"

namespace piw::deploy {
namespace {

constexpr const char* kNamespace = "pod-identity-webhook";

// A node as text with map keys sorted: kustomize and helm order keys differently.
std::string canonical(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "~";
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    std::string out;
    if (node.IsSequence()) {
        out = "[";
        for (const auto& item : node) out += canonical(item) + ",";
        return out + "]";
    }
    std::map<std::string, std::string> entries;
    for (const auto& entry : node) entries[text(entry.first)] = canonical(entry.second);
    out = "{";
    for (const auto& [key, value] : entries) out += key + ":" + value + ",";
    return out + "}";
}

class ManifestsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string missing = missing_tool_message(kubectl_path());
        ASSERT_TRUE(missing.empty()) << missing;
        render_ = kustomize_deploy();
        ASSERT_EQ(render_.result.exit_code, 0) << "kubectl kustomize deploy/:\n"
                                               << render_.result.err;
    }
    Render render_;
};

TEST_F(ManifestsTest, KustomizeRendersAWorkingLeastPrivilegeInstallation) {
    const Installation installation = check_installation(render_.objects, kNamespace);
    ASSERT_TRUE(installation.container.IsDefined());
    expect_mirror_pods_skipped(installation);

    const YAML::Node& webhook = installation.webhook;
    EXPECT_EQ(text(at(webhook, "failurePolicy")), "Ignore");
    EXPECT_EQ(at(webhook, "timeoutSeconds").as<int>(0), 10);
    EXPECT_EQ(text(at(webhook, "reinvocationPolicy")), "IfNeeded");
    EXPECT_EQ(at(installation.deployment, "spec", "replicas").as<int>(0), 2);
    EXPECT_EQ(text(at(installation.pod_spec, "priorityClassName")), "system-cluster-critical");
    EXPECT_EQ(at(render_.objects.only("PodDisruptionBudget"), "spec", "maxUnavailable").as<int>(0),
              1);
    EXPECT_EQ(installation.flags.at("port"), "8443");
    EXPECT_EQ(installation.flags.at("namespace"), kNamespace);
    // The Role for the role ConfigMap is only useful with --watch-config-map.
    EXPECT_EQ(installation.flags.at("watch-config-map"), "true");
    EXPECT_EQ(render_.objects.of_kind("Role").size(), 1U);
    // The full cert-manager chain: self-signed Issuer -> CA Certificate -> CA Issuer -> serving.
    EXPECT_EQ(render_.objects.of_kind("Issuer").size(), 2U);
    EXPECT_EQ(render_.objects.of_kind("Certificate").size(), 2U);
}

TEST_F(ManifestsTest, NamespaceEnforcesTheRestrictedPodSecurityStandard) {
    const YAML::Node ns = render_.objects.find("Namespace", kNamespace);
    ASSERT_TRUE(ns.IsDefined()) << "kubectl apply -k would fail without the namespace";
    EXPECT_EQ(text(at(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce")),
              "restricted");
}

TEST_F(ManifestsTest, AgreeWithTheChartDefaults) {
    // The same installation from the chart (release and namespace pod-identity-webhook, roles
    // from a ConfigMap managed by the admin) passes the same flags and registers the webhook
    // the same way: the two ways to install must not drift apart.
    const std::string missing = missing_tool_message(helm_path());
    ASSERT_TRUE(missing.empty()) << missing;
    const Render chart =
        helm_template("pod-identity-webhook", kNamespace, {},
                      {"--set", "config.configMap.enabled=true,config.configMap.create=false"});
    ASSERT_EQ(chart.result.exit_code, 0) << chart.result.err;

    const Installation from_chart = check_installation(chart.objects, kNamespace);
    const Installation from_manifests = check_installation(render_.objects, kNamespace);
    ASSERT_TRUE(from_chart.container.IsDefined());
    ASSERT_TRUE(from_manifests.container.IsDefined());
    EXPECT_EQ(from_chart.flags, from_manifests.flags);
    EXPECT_EQ(text(at(from_chart.container, "image")), text(at(from_manifests.container, "image")));
    for (const auto* field :
         {"failurePolicy", "timeoutSeconds", "reinvocationPolicy", "sideEffects", "matchPolicy"}) {
        EXPECT_EQ(text(at(from_chart.webhook, field)), text(at(from_manifests.webhook, field)))
            << field;
    }
    EXPECT_EQ(canonical(at(from_chart.webhook, "objectSelector")),
              canonical(at(from_manifests.webhook, "objectSelector")));
    EXPECT_EQ(canonical(at(from_chart.webhook, "namespaceSelector")),
              canonical(at(from_manifests.webhook, "namespaceSelector")));
    EXPECT_EQ(canonical(at(from_chart.webhook, "matchConditions")),
              canonical(at(from_manifests.webhook, "matchConditions")));
    EXPECT_EQ(canonical(at(from_chart.container, "securityContext")),
              canonical(at(from_manifests.container, "securityContext")));
    EXPECT_EQ(canonical(at(from_chart.container, "resources")),
              canonical(at(from_manifests.container, "resources")));
    EXPECT_EQ(canonical(at(from_chart.pod_spec, "securityContext")),
              canonical(at(from_manifests.pod_spec, "securityContext")));
    EXPECT_EQ(at(from_chart.pod_spec, "terminationGracePeriodSeconds").as<int>(0),
              at(from_manifests.pod_spec, "terminationGracePeriodSeconds").as<int>(0));
    const auto kinds = [](const Rendered& rendered) {
        std::multiset<std::string> found;
        for (const auto& object : rendered.objects()) {
            if (text(at(object, "metadata", "annotations", "helm.sh/hook")).empty()) {
                found.insert(text(at(object, "kind")));
            }
        }
        return found;
    };
    auto manifest_kinds = kinds(render_.objects);
    manifest_kinds.erase("Namespace");  // helm install --create-namespace
    EXPECT_EQ(kinds(chart.objects), manifest_kinds);
}

}  // namespace
}  // namespace piw::deploy
