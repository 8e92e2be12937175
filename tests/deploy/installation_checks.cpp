#include "installation_checks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace piw::deploy {
namespace {

constexpr const char* kSkipLabel = "eks.amazonaws.com/skip-pod-identity-webhook";
constexpr const char* kMirrorAnnotation = "kubernetes.io/config.mirror";
constexpr const char* kCertificateDirectory = "/etc/webhook/certs";

// Kinds that live in a namespace; everything else the webhook needs is cluster-scoped.
const std::set<std::string>& namespaced_kinds() {
    static const std::set<std::string> kinds = {"ServiceAccount",
                                                "Role",
                                                "RoleBinding",
                                                "Deployment",
                                                "Service",
                                                "ConfigMap",
                                                "Secret",
                                                "PodDisruptionBudget",
                                                "Certificate",
                                                "Issuer",
                                                "NetworkPolicy",
                                                "ServiceMonitor",
                                                "Pod"};
    return kinds;
}

bool is_helm_test_hook(const YAML::Node& object) {
    return text(at(object, "metadata", "annotations", "helm.sh/hook")) == "test";
}

std::set<std::string> as_set(const std::vector<std::string>& values) {
    return {values.begin(), values.end()};
}

// The container port a Service/probe port refers to (by name or number).
YAML::Node container_port(const YAML::Node& container, const std::string& reference) {
    for (const auto& port : at(container, "ports")) {
        if (text(at(port, "name")) == reference || text(at(port, "containerPort")) == reference) {
            return port;
        }
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

void check_placement(const Rendered& rendered, const std::string& namespace_) {
    for (const auto& object : rendered.objects()) {
        const std::string kind = text(at(object, "kind"));
        const std::string name = text(at(object, "metadata", "name"));
        SCOPED_TRACE(kind + " " + name);
        EXPECT_FALSE(name.empty());
        // Everything is labelled, so `kubectl get all,... -l app.kubernetes.io/name=...` finds
        // (and a cleanup deletes) the whole installation.
        EXPECT_FALSE(text(at(object, "metadata", "labels", "app.kubernetes.io/name")).empty());
        if (namespaced_kinds().count(kind) == 0) {
            EXPECT_FALSE(at(object, "metadata", "namespace").IsDefined())
                << "a cluster-scoped object carries a namespace";
        } else if (!is_helm_test_hook(object) && kind != "ServiceMonitor") {
            EXPECT_EQ(text(at(object, "metadata", "namespace")), namespace_)
                << "not in the webhook's namespace";
        }
    }
}

void check_webhook_registration(const Installation& installation) {
    const YAML::Node& configuration = installation.webhook_configuration;
    ASSERT_TRUE(configuration.IsDefined());
    EXPECT_EQ(text(at(configuration, "apiVersion")), "admissionregistration.k8s.io/v1");
    ASSERT_TRUE(at(configuration, "webhooks").IsSequence());
    ASSERT_EQ(at(configuration, "webhooks").size(), 1U);
    const YAML::Node& webhook = installation.webhook;

    EXPECT_FALSE(text(at(webhook, "name")).empty());
    // The binary answers both AdmissionReview versions; v1 first so the API server picks it.
    EXPECT_EQ(strings(at(webhook, "admissionReviewVersions")),
              (std::vector<std::string>{"v1", "v1beta1"}));
    EXPECT_EQ(text(at(webhook, "sideEffects")), "None");
    const std::string failure_policy = text(at(webhook, "failurePolicy"));
    EXPECT_TRUE(failure_policy == "Ignore" || failure_policy == "Fail") << failure_policy;
    const int timeout = at(webhook, "timeoutSeconds").as<int>(0);
    EXPECT_GE(timeout, 1);
    EXPECT_LE(timeout, 30) << "the API server refuses timeoutSeconds above 30";
    const std::string reinvocation = text(at(webhook, "reinvocationPolicy"));
    EXPECT_TRUE(reinvocation == "IfNeeded" || reinvocation == "Never") << reinvocation;

    // Pod CREATE only: the webhook decodes pods, and mutating updates is not allowed anyway.
    ASSERT_TRUE(at(webhook, "rules").IsSequence());
    ASSERT_EQ(at(webhook, "rules").size(), 1U);
    const YAML::Node rule = at(webhook, "rules", 0);
    EXPECT_EQ(strings(at(rule, "operations")), std::vector<std::string>{"CREATE"});
    EXPECT_EQ(strings(at(rule, "apiGroups")), std::vector<std::string>{""});
    EXPECT_EQ(strings(at(rule, "apiVersions")), std::vector<std::string>{"v1"});
    EXPECT_EQ(strings(at(rule, "resources")), std::vector<std::string>{"pods"});

    // The skip label always works, whatever else selects pods.
    const YAML::Node skip =
        element_with(at(webhook, "objectSelector", "matchExpressions"), "key", kSkipLabel);
    ASSERT_TRUE(skip.IsDefined()) << "objectSelector does not exclude " << kSkipLabel;
    EXPECT_EQ(text(at(skip, "operator")), "DoesNotExist");

    // The webhook's own pods never wait on the webhook (they must start while it is down).
    bool own_namespace_excluded = false;
    for (const auto& expression : at(webhook, "namespaceSelector", "matchExpressions")) {
        if (text(at(expression, "key")) == "kubernetes.io/metadata.name" &&
            text(at(expression, "operator")) == "NotIn") {
            const auto values = strings(at(expression, "values"));
            own_namespace_excluded =
                std::find(values.begin(), values.end(), installation.namespace_) != values.end();
        }
    }
    EXPECT_TRUE(own_namespace_excluded)
        << "namespaceSelector does not exclude namespace " << installation.namespace_;
    EXPECT_NE(
        string_map(at(webhook, "namespaceSelector", "matchLabels"))["kubernetes.io/metadata.name"],
        installation.namespace_);

    // The API server calls <service>.<namespace>.svc:<port>/mutate: that Service, a port of it
    // that reaches the container port the binary listens on.
    const YAML::Node client = at(webhook, "clientConfig");
    EXPECT_FALSE(at(client, "url").IsDefined()) << "clientConfig must use the Service, not a URL";
    EXPECT_EQ(text(at(client, "service", "name")),
              text(at(installation.service, "metadata", "name")));
    EXPECT_EQ(text(at(client, "service", "namespace")), installation.namespace_);
    EXPECT_EQ(text(at(client, "service", "path")), "/mutate");
    const std::string service_port =
        at(client, "service", "port").IsDefined() ? text(at(client, "service", "port")) : "443";
    const YAML::Node port =
        element_with(at(installation.service, "spec", "ports"), "port", service_port);
    ASSERT_TRUE(port.IsDefined()) << "the Service has no port " << service_port;
    const YAML::Node target = container_port(installation.container, text(at(port, "targetPort")));
    ASSERT_TRUE(target.IsDefined())
        << "Service targetPort " << text(at(port, "targetPort")) << " is not a container port";
    EXPECT_EQ(text(at(target, "containerPort")), installation.flags.at("port"))
        << "the Service does not reach the port the binary listens on (--port)";
}

// The serving certificate: mounted where --tls-cert/--tls-key point, trusted by the API server
// (caBundle, or cert-manager's injection from the very Certificate that fills the Secret), and
// valid for every name of the Service.
void check_certificate(const Rendered& rendered, const Installation& installation) {
    const std::string cert = installation.flags.count("tls-cert") != 0
                                 ? installation.flags.at("tls-cert")
                                 : std::string(kCertificateDirectory) + "/tls.crt";
    const std::string key = installation.flags.count("tls-key") != 0
                                ? installation.flags.at("tls-key")
                                : std::string(kCertificateDirectory) + "/tls.key";
    EXPECT_EQ(cert, std::string(kCertificateDirectory) + "/tls.crt");
    EXPECT_EQ(key, std::string(kCertificateDirectory) + "/tls.key");
    const YAML::Node volume = volume_mounted_at(installation, kCertificateDirectory);
    ASSERT_TRUE(volume.IsDefined()) << "nothing is mounted at " << kCertificateDirectory;
    const std::string secret = text(at(volume, "secret", "secretName"));
    ASSERT_FALSE(secret.empty()) << "the certificate volume is not a Secret";
    EXPECT_TRUE(at(volume, "secret", "items").IsDefined() == false)
        << "items would hide tls.crt/tls.key from the reload";

    const YAML::Node configuration = installation.webhook_configuration;
    const std::string inject =
        text(at(configuration, "metadata", "annotations", "cert-manager.io/inject-ca-from"));
    const std::string ca_bundle = text(at(installation.webhook, "clientConfig", "caBundle"));
    EXPECT_TRUE(inject.empty() != ca_bundle.empty())
        << "exactly one of caBundle and cert-manager.io/inject-ca-from must be set";
    if (!ca_bundle.empty()) {
        EXPECT_NE(base64_decode(ca_bundle).find("-----BEGIN CERTIFICATE-----"), std::string::npos)
            << "caBundle is not base64-encoded PEM";
    }

    const std::string service = text(at(installation.service, "metadata", "name"));
    const std::string& ns = installation.namespace_;
    for (const auto& certificate : rendered.of_kind("Certificate")) {
        if (at(certificate, "spec", "isCA").as<bool>(false)) continue;
        SCOPED_TRACE("serving Certificate " + text(at(certificate, "metadata", "name")));
        EXPECT_EQ(text(at(certificate, "spec", "secretName")), secret)
            << "the Certificate fills another Secret than the one mounted";
        EXPECT_EQ(inject, ns + "/" + text(at(certificate, "metadata", "name")))
            << "the CA is injected from another Certificate";
        const auto names = as_set(strings(at(certificate, "spec", "dnsNames")));
        for (const auto& name : {service, service + "." + ns, service + "." + ns + ".svc",
                                 service + "." + ns + ".svc.cluster.local"}) {
            EXPECT_EQ(names.count(name), 1U) << "dnsNames lacks " << name;
        }
        const auto usages = as_set(strings(at(certificate, "spec", "usages")));
        EXPECT_EQ(usages.count("server auth"), 1U);
        EXPECT_FALSE(text(at(certificate, "spec", "duration")).empty());
        EXPECT_FALSE(text(at(certificate, "spec", "renewBefore")).empty());

        // The issuer chain: an Issuer of this rendering must be a CA Issuer whose key comes
        // from an isCA Certificate issued by a self-signed Issuer.
        const YAML::Node issuer_ref = at(certificate, "spec", "issuerRef");
        if (text(at(issuer_ref, "kind")) != "Issuer") continue;
        const YAML::Node issuer = rendered.find("Issuer", text(at(issuer_ref, "name")));
        if (!issuer.IsDefined()) continue;  // an existing Issuer of the admin's
        const std::string ca_secret = text(at(issuer, "spec", "ca", "secretName"));
        ASSERT_FALSE(ca_secret.empty()) << "the serving Certificate's Issuer is not a CA Issuer";
        bool ca_found = false;
        for (const auto& ca : rendered.of_kind("Certificate")) {
            if (text(at(ca, "spec", "secretName")) != ca_secret) continue;
            ca_found = true;
            EXPECT_TRUE(at(ca, "spec", "isCA").as<bool>(false)) << "the CA Certificate lacks isCA";
            const YAML::Node root =
                rendered.find("Issuer", text(at(ca, "spec", "issuerRef", "name")));
            ASSERT_TRUE(root.IsDefined()) << "the CA Certificate's Issuer is not rendered";
            EXPECT_TRUE(at(root, "spec", "selfSigned").IsDefined());
        }
        EXPECT_TRUE(ca_found) << "no Certificate fills the CA Secret " << ca_secret;
    }
    if (!inject.empty()) {
        EXPECT_FALSE(rendered.of_kind("Certificate").empty())
            << "inject-ca-from names a Certificate that is not rendered";
    }
}

// Least privilege: ServiceAccounts read cluster-wide, the role ConfigMap read in the webhook's
// namespace, nothing else (no Secrets, no writes, no wildcards).
void check_rbac(const Rendered& rendered, const Installation& installation) {
    const std::string service_account = text(at(installation.pod_spec, "serviceAccountName"));
    ASSERT_FALSE(service_account.empty()) << "the webhook would run as the default ServiceAccount";
    EXPECT_NE(at(installation.pod_spec, "automountServiceAccountToken").as<bool>(true), false)
        << "the webhook needs its token to read ServiceAccounts";

    for (const auto& role : rendered.of_kind("ClusterRole")) {
        SCOPED_TRACE("ClusterRole " + text(at(role, "metadata", "name")));
        ASSERT_EQ(at(role, "rules").size(), 1U);
        const YAML::Node rule = at(role, "rules", 0);
        EXPECT_EQ(strings(at(rule, "apiGroups")), std::vector<std::string>{""});
        EXPECT_EQ(strings(at(rule, "resources")), std::vector<std::string>{"serviceaccounts"});
        EXPECT_EQ(as_set(strings(at(rule, "verbs"))),
                  (std::set<std::string>{"get", "list", "watch"}));
        EXPECT_FALSE(at(rule, "resourceNames").IsDefined());
        EXPECT_FALSE(at(role, "aggregationRule").IsDefined());
    }
    for (const auto& role : rendered.of_kind("Role")) {
        SCOPED_TRACE("Role " + text(at(role, "metadata", "name")));
        EXPECT_EQ(text(at(role, "metadata", "namespace")), installation.namespace_);
        for (const auto& rule : at(role, "rules")) {
            EXPECT_EQ(strings(at(rule, "apiGroups")), std::vector<std::string>{""});
            EXPECT_EQ(strings(at(rule, "resources")), std::vector<std::string>{"configmaps"});
            EXPECT_EQ(strings(at(rule, "resourceNames")),
                      std::vector<std::string>{"pod-identity-webhook"});
            for (const auto& verb : strings(at(rule, "verbs"))) {
                EXPECT_TRUE(verb == "get" || verb == "list" || verb == "watch") << verb;
            }
        }
    }
    EXPECT_EQ(rendered.of_kind("ClusterRole").size(), 1U);
    for (const std::string kind : {"ClusterRoleBinding", "RoleBinding"}) {
        for (const auto& binding : rendered.of_kind(kind)) {
            SCOPED_TRACE(kind + " " + text(at(binding, "metadata", "name")));
            const std::string role_kind = kind == "RoleBinding" ? "Role" : "ClusterRole";
            EXPECT_EQ(text(at(binding, "roleRef", "kind")), role_kind);
            EXPECT_TRUE(rendered.find(role_kind, text(at(binding, "roleRef", "name"))).IsDefined())
                << "binds a role that is not rendered";
            ASSERT_EQ(at(binding, "subjects").size(), 1U);
            const YAML::Node subject = at(binding, "subjects", 0);
            EXPECT_EQ(text(at(subject, "kind")), "ServiceAccount");
            EXPECT_EQ(text(at(subject, "name")), service_account);
            EXPECT_EQ(text(at(subject, "namespace")), installation.namespace_);
        }
    }
    EXPECT_EQ(rendered.of_kind("ClusterRoleBinding").size(), 1U);
    EXPECT_EQ(rendered.of_kind("Role").size(), rendered.of_kind("RoleBinding").size());
}

void check_probe(const YAML::Node& probe, const std::string& path,
                 const Installation& installation) {
    SCOPED_TRACE("probe " + path);
    ASSERT_TRUE(probe.IsDefined());
    EXPECT_EQ(text(at(probe, "httpGet", "path")), path);
    EXPECT_EQ(text(at(probe, "httpGet", "scheme")), "HTTPS") << "the webhook port speaks TLS only";
    const YAML::Node port =
        container_port(installation.container, text(at(probe, "httpGet", "port")));
    ASSERT_TRUE(port.IsDefined());
    EXPECT_EQ(text(at(port, "containerPort")), installation.flags.at("port"));
}

// The restricted Pod Security Standard, and the binary's needs (uid 65532, nothing written).
void check_pod_security(const Installation& installation) {
    const YAML::Node pod = at(installation.pod_spec, "securityContext");
    const YAML::Node container = at(installation.container, "securityContext");
    const auto either = [&](const char* field) {
        return at(container, field).IsDefined() ? at(container, field) : at(pod, field);
    };
    EXPECT_TRUE(either("runAsNonRoot").as<bool>(false));
    EXPECT_NE(either("runAsUser").as<long>(0), 0);
    EXPECT_EQ(text(at(either("seccompProfile"), "type")), "RuntimeDefault");
    EXPECT_FALSE(at(container, "allowPrivilegeEscalation").as<bool>(true));
    EXPECT_TRUE(at(container, "readOnlyRootFilesystem").as<bool>(false));
    EXPECT_FALSE(at(container, "privileged").as<bool>(false));
    EXPECT_EQ(strings(at(container, "capabilities", "drop")), std::vector<std::string>{"ALL"});
    EXPECT_FALSE(at(container, "capabilities", "add").IsDefined());
    for (const auto& volume : at(installation.pod_spec, "volumes")) {
        EXPECT_FALSE(at(volume, "hostPath").IsDefined()) << text(at(volume, "name"));
    }
    EXPECT_FALSE(at(installation.pod_spec, "hostPID").as<bool>(false));
    EXPECT_FALSE(at(installation.pod_spec, "hostIPC").as<bool>(false));
}

// A duration flag in milliseconds, the binary's default when it is not passed; -1 if unparsable.
long long flag_duration_ms(const Installation& installation, const std::string& flag,
                           const std::string& binary_default) {
    const auto found = installation.flags.find(flag);
    return duration_ms(found != installation.flags.end() ? found->second : binary_default)
        .value_or(-1);
}

void check_deployment(const Rendered& rendered, const Installation& installation) {
    const YAML::Node& spec = at(installation.deployment, "spec");
    const auto selector = string_map(at(spec, "selector", "matchLabels"));
    ASSERT_FALSE(selector.empty());
    EXPECT_TRUE(labels_contain(installation.pod_labels, selector))
        << "the Deployment's selector does not match its pods";
    EXPECT_TRUE(labels_contain(installation.pod_labels,
                               string_map(at(installation.service, "spec", "selector"))))
        << "the Service does not select the webhook pods";
    EXPECT_FALSE(string_map(at(installation.service, "spec", "selector")).empty());

    check_probe(at(installation.container, "livenessProbe"), "/healthz", installation);
    check_probe(at(installation.container, "readinessProbe"), "/readyz", installation);
    check_pod_security(installation);

    // Requests so the scheduler places it; a memory limit so a leak cannot take the node.
    const YAML::Node resources = at(installation.container, "resources");
    EXPECT_TRUE(at(resources, "requests", "cpu").IsDefined());
    EXPECT_TRUE(at(resources, "requests", "memory").IsDefined());
    EXPECT_TRUE(at(resources, "limits", "memory").IsDefined());

    // The binary cannot bind 443 as non-root; the Service maps 443 to --port.
    ASSERT_EQ(installation.flags.count("port"), 1U);
    EXPECT_NE(installation.flags.at("port"), "443");
    EXPECT_EQ(installation.flags.count("metrics-port"), 1U);
    const YAML::Node metrics = container_port(installation.container, "metrics");
    ASSERT_TRUE(metrics.IsDefined());
    EXPECT_EQ(text(at(metrics, "containerPort")), installation.flags.at("metrics-port"));
    EXPECT_TRUE(element_with(at(installation.service, "spec", "ports"), "targetPort", "metrics")
                    .IsDefined())
        << "the Service does not expose the metrics port";
    // The deprecated CSR mode is not implemented; the namespace is where the role ConfigMap is.
    EXPECT_EQ(installation.flags.count("in-cluster"), 1U);
    EXPECT_EQ(installation.flags.at("in-cluster"), "false");
    EXPECT_EQ(installation.flags.count("namespace"), 1U);
    if (installation.flags.count("namespace") != 0) {
        EXPECT_EQ(installation.flags.at("namespace"), installation.namespace_);
    }
    EXPECT_EQ(installation.flags.count("service-accounts-file"), 0U)
        << "in a cluster ServiceAccounts come from the API";

    // SIGTERM: the webhook serves on (not ready) for --shutdown-delay while endpoints drop the
    // pod, then drains requests in flight within --shutdown-timeout; the kubelet must not
    // SIGKILL before both are over.
    const long long delay = flag_duration_ms(installation, "shutdown-delay", "0s");
    const long long shutdown = flag_duration_ms(installation, "shutdown-timeout", "10s");
    ASSERT_GE(delay, 0) << "--shutdown-delay is not a Go duration";
    ASSERT_GE(shutdown, 0) << "--shutdown-timeout is not a Go duration";
    const long long grace =
        at(installation.pod_spec, "terminationGracePeriodSeconds").as<long long>(30) * 1000;
    EXPECT_GT(grace, delay + shutdown)
        << "terminationGracePeriodSeconds does not cover --shutdown-delay + --shutdown-timeout";

    // Spread over nodes; a constraint that selects other pods would spread nothing.
    bool spread_over_nodes = false;
    for (const auto& constraint : at(installation.pod_spec, "topologySpreadConstraints")) {
        EXPECT_TRUE(labels_contain(installation.pod_labels,
                                   string_map(at(constraint, "labelSelector", "matchLabels"))))
            << "a spread constraint does not select the webhook pods";
        EXPECT_FALSE(string_map(at(constraint, "labelSelector", "matchLabels")).empty());
        if (text(at(constraint, "topologyKey")) == "kubernetes.io/hostname")
            spread_over_nodes = true;
    }
    EXPECT_TRUE(spread_over_nodes) << "no topology spread over nodes";

    for (const auto& budget : rendered.of_kind("PodDisruptionBudget")) {
        EXPECT_EQ(text(at(budget, "apiVersion")), "policy/v1");
        EXPECT_TRUE(labels_contain(installation.pod_labels,
                                   string_map(at(budget, "spec", "selector", "matchLabels"))))
            << "the PodDisruptionBudget does not select the webhook pods";
        EXPECT_TRUE(at(budget, "spec", "maxUnavailable").IsDefined() !=
                    at(budget, "spec", "minAvailable").IsDefined());
    }
}

}  // namespace

void expect_mirror_pods_skipped(const Installation& installation) {
    bool mirror_condition = false;
    for (const auto& condition : at(installation.webhook, "matchConditions")) {
        if (text(at(condition, "expression")).find(kMirrorAnnotation) != std::string::npos) {
            mirror_condition = true;
            EXPECT_FALSE(text(at(condition, "name")).empty());
        }
    }
    EXPECT_TRUE(mirror_condition) << "no matchCondition skips mirror pods";
}

YAML::Node element_with(const YAML::Node& sequence, const std::string& key,
                        const std::string& value) {
    if (!sequence.IsDefined() || !sequence.IsSequence()) {
        return YAML::Node(YAML::NodeType::Undefined);
    }
    for (const auto& element : sequence) {
        if (text(at(element, key)) == value) return element;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node volume_mounted_at(const Installation& installation, const std::string& mount_path) {
    const YAML::Node mount =
        element_with(at(installation.container, "volumeMounts"), "mountPath", mount_path);
    if (!mount.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    EXPECT_TRUE(at(mount, "readOnly").as<bool>(false)) << mount_path << " is mounted writable";
    return element_with(at(installation.pod_spec, "volumes"), "name", text(at(mount, "name")));
}

// The binary itself parses the arguments the pod would start it with: a flag misspelt in a
// template would otherwise only show up as a crash-looping pod. `--version` after them makes the
// binary parse everything and exit without serving.
void check_binary_accepts_arguments(const Installation& installation) {
    EXPECT_FALSE(at(installation.container, "command").IsDefined())
        << "the image's entrypoint is the webhook; a command would replace it";
    std::vector<std::string> arguments = strings(at(installation.container, "args"));
    arguments.emplace_back("--version");
    const ToolResult result = run_tool(PIW_BINARY_PATH, arguments);
    EXPECT_EQ(result.exit_code, 0) << "the webhook refuses the Deployment's arguments:\n"
                                   << result.err;
    EXPECT_EQ(result.out, "v" PIW_VERSION_TEXT "\n");
}

Installation check_installation(const Rendered& rendered, const std::string& namespace_) {
    Installation installation;
    installation.namespace_ = namespace_;
    installation.deployment = rendered.only("Deployment");
    installation.service = rendered.only("Service");
    installation.webhook_configuration = rendered.only("MutatingWebhookConfiguration");
    if (!installation.deployment.IsDefined() || !installation.service.IsDefined() ||
        !installation.webhook_configuration.IsDefined()) {
        return installation;
    }
    installation.pod_spec = at(installation.deployment, "spec", "template", "spec");
    installation.pod_labels =
        string_map(at(installation.deployment, "spec", "template", "metadata", "labels"));
    EXPECT_EQ(at(installation.pod_spec, "containers").size(), 1U);
    installation.container = at(installation.pod_spec, "containers", 0);
    installation.flags = flags_of(installation.container);
    if (at(installation.webhook_configuration, "webhooks").IsSequence() &&
        at(installation.webhook_configuration, "webhooks").size() > 0) {
        installation.webhook = at(installation.webhook_configuration, "webhooks", 0);
    }
    if (installation.flags.count("port") == 0) {
        ADD_FAILURE() << "the Deployment does not pass --port (the binary's default is 443, which "
                         "uid 65532 cannot bind)";
        return installation;
    }

    {
        SCOPED_TRACE("placement and labels");
        check_placement(rendered, namespace_);
    }
    {
        SCOPED_TRACE("MutatingWebhookConfiguration");
        check_webhook_registration(installation);
    }
    {
        SCOPED_TRACE("certificate");
        check_certificate(rendered, installation);
    }
    {
        SCOPED_TRACE("RBAC");
        check_rbac(rendered, installation);
    }
    {
        SCOPED_TRACE("Deployment");
        check_deployment(rendered, installation);
    }
    {
        SCOPED_TRACE("the binary's flag parser");
        check_binary_accepts_arguments(installation);
    }
    return installation;
}

}  // namespace piw::deploy
