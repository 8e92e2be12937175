#pragma once
// Where the Kubernetes API is and how to authenticate to it: in-cluster config, a kubeconfig file
// (current context; exec credential plugins) or --kube-api, resolved like client-go's
// clientcmd.BuildConfigFromFlags(--kube-api, --kubeconfig). Loading never throws: every problem
// is an Error that names the file, the context and the field.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::kube {

// users[].user.exec (client.authentication.k8s.io/v1 or v1beta1).
struct ExecCredentialPlugin {
    std::string api_version;  // e.g. client.authentication.k8s.io/v1
    std::string command;      // resolved against PATH when it has no '/'; relative paths are
                              // taken relative to the kubeconfig's directory (like kubectl)
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // added to the process environment
    std::string install_hint;                              // shown when the command is missing
    bool provide_cluster_info = false;                     // passes spec.cluster to the plugin
    std::string interactive_mode;  // Never | IfAvailable | Always; we never have a terminal
};

struct ClientConfig {
    // "https://host:port" (optionally with a path prefix, e.g. behind a proxy). http:// is
    // accepted only for --kube-api / kubeconfig servers that say so explicitly.
    std::string server;

    // Server verification: CA bundle (PEM text, from certificate-authority-data or the file
    // certificate-authority / ca.crt). Empty → the system's default trust store.
    std::string certificate_authority_pem;
    std::string certificate_authority_file;  // for messages only; the PEM above is what is used
    bool insecure_skip_tls_verify = false;
    std::string tls_server_name;  // clusters[].cluster.tls-server-name

    // Credentials; at most one kind is normally set, client certificates may accompany a token.
    std::string client_certificate_pem;
    std::string client_key_pem;
    std::string bearer_token;
    std::string bearer_token_file;  // re-read when it changes (bound tokens rotate)
    std::optional<ExecCredentialPlugin> exec;

    // For log lines and errors, e.g. "kubeconfig /root/.kube/config (context admin@k3s)" or
    // "in-cluster config (https://10.43.0.1:443)".
    std::string description;
};

// Where in-cluster config comes from; the defaults are the real paths. Tests point them elsewhere.
struct InClusterEnvironment {
    std::optional<std::string> service_host;  // KUBERNETES_SERVICE_HOST
    std::optional<std::string> service_port;  // KUBERNETES_SERVICE_PORT
    std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

    static InClusterEnvironment from_process();  // reads the two environment variables
};

// In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (IPv6 hosts bracketed),
// the ServiceAccount token file (kept as bearer_token_file) and ca.crt.
Result<ClientConfig> load_in_cluster_config(const InClusterEnvironment& environment);

// A kubeconfig file: its current-context (or `context` when given), that context's cluster and
// user. Relative file paths inside are relative to the kubeconfig's directory. Size-capped.
Result<ClientConfig> load_kubeconfig(const std::string& path,
                                     const std::optional<std::string>& context = std::nullopt);

// The same, from text (path used for messages and for resolving relative paths).
Result<ClientConfig> parse_kubeconfig(const std::string& text, const std::string& path,
                                      const std::optional<std::string>& context = std::nullopt);

// --kube-api / --kubeconfig as upstream (clientcmd.BuildConfigFromFlags): both empty → in-cluster;
// kubeconfig given → it, with its server replaced by kube_api when that is set; only kube_api →
// that server, no credentials, system trust store.
Result<ClientConfig> resolve_client_config(const std::string& kubeconfig,
                                           const std::string& kube_api,
                                           const InClusterEnvironment& environment);

}  // namespace piw::kube
