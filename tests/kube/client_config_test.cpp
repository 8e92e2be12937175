#include "pod_identity_webhook/kube/client_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pod_identity_webhook/common/json_text.hpp"
#include "support/certificates.hpp"
#include "support/temp_dir.hpp"

namespace piw::kube {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

std::string base64(std::string_view text) {
    std::string out;
    json::append_base64(out, text);
    return out;
}

// A kubeconfig with one cluster "c", one user "u" and one context "ctx" (current), where the
// cluster and user bodies are given as YAML lines (already indented by 4).
std::string kubeconfig(const std::string& cluster_body, const std::string& user_body,
                       const std::string& current_context = "ctx") {
    return "apiVersion: v1\nkind: Config\ncurrent-context: " + current_context +
           "\nclusters:\n- name: c\n  cluster:\n" + cluster_body + "users:\n- name: u\n  user:\n" +
           user_body + "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n" +
           "    namespace: default\n";
}

const std::string kServer = "    server: https://10.0.0.1:6443\n";

class KubeconfigTest : public ::testing::Test {
  protected:
    std::filesystem::path write(const std::string& text, const std::string& name = "config") {
        return dir_.write_file(name, text);
    }
    Result<ClientConfig> load(const std::string& text) {
        return load_kubeconfig(write(text).string());
    }

    TempDir dir_{"piw-kubeconfig"};
    testing::TestCertificateAuthority ca_;
};

TEST_F(KubeconfigTest, TokenUserWithCertificateAuthorityData) {
    auto config = load(kubeconfig(
        kServer + "    certificate-authority-data: " + base64(ca_.certificate_pem()) + "\n",
        "    token: abc.def\n"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "https://10.0.0.1:6443");
    EXPECT_EQ(config->bearer_token, "abc.def");
    EXPECT_EQ(config->certificate_authority_pem, ca_.certificate_pem());
    EXPECT_FALSE(config->insecure_skip_tls_verify);
    EXPECT_FALSE(config->exec.has_value());
    EXPECT_EQ(config->description, "kubeconfig " + (dir_ / "config").string() +
                                       " (context ctx, server https://10.0.0.1:6443)");
}

TEST_F(KubeconfigTest, RelativeFilesAreRelativeToTheKubeconfigDirectory) {
    const auto client = ca_.issue({});
    dir_.write_file("pki/ca.crt", ca_.certificate_pem());
    dir_.write_file("pki/client.crt", client.certificate);
    dir_.write_file("pki/client.key", client.key);
    dir_.write_file("pki/token", "  file-token\n");
    // The kubeconfig lives in a subdirectory; "../pki" must resolve from there, not from the
    // current directory.
    const std::string text = kubeconfig(kServer + "    certificate-authority: ../pki/ca.crt\n",
                                        "    client-certificate: ../pki/client.crt\n"
                                        "    client-key: ../pki/client.key\n"
                                        "    tokenFile: ../pki/token\n");
    const auto path = dir_.write_file("kube/config", text);
    auto config = load_kubeconfig(path.string());
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->certificate_authority_pem, ca_.certificate_pem());
    EXPECT_EQ(std::filesystem::path(config->certificate_authority_file),
              dir_ / "kube/../pki/ca.crt");
    EXPECT_EQ(config->client_certificate_pem, client.certificate);
    EXPECT_EQ(config->client_key_pem, client.key);
    // The token file stays a path: it is re-read at request time.
    EXPECT_EQ(std::filesystem::path(config->bearer_token_file), dir_ / "kube/../pki/token");
    EXPECT_TRUE(config->bearer_token.empty());
}

TEST_F(KubeconfigTest, AbsolutePathsAndClientCertificateData) {
    const auto client = ca_.issue({});
    const auto ca_file = dir_.write_file("ca.crt", ca_.certificate_pem());
    auto config = load(kubeconfig(kServer + "    certificate-authority: " + ca_file.string() + "\n",
                                  "    client-certificate-data: " + base64(client.certificate) +
                                      "\n    client-key-data: " + base64(client.key) + "\n"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->certificate_authority_pem, ca_.certificate_pem());
    EXPECT_EQ(config->client_certificate_pem, client.certificate);
    EXPECT_EQ(config->client_key_pem, client.key);
}

TEST_F(KubeconfigTest, InsecureSkipTlsVerifyAndTlsServerName) {
    auto config = load(kubeconfig(kServer + "    insecure-skip-tls-verify: true\n"
                                            "    tls-server-name: kubernetes.default.svc\n",
                                  "    token: t\n"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_TRUE(config->insecure_skip_tls_verify);
    EXPECT_EQ(config->tls_server_name, "kubernetes.default.svc");
    EXPECT_TRUE(config->certificate_authority_pem.empty());
}

TEST_F(KubeconfigTest, ExplicitContextWinsOverCurrentContext) {
    const std::string text =
        "current-context: a\n"
        "clusters:\n"
        "- {name: ca, cluster: {server: 'https://a.example:443'}}\n"
        "- {name: cb, cluster: {server: 'https://b.example:8443/prefix'}}\n"
        "users:\n- {name: ua, user: {token: ta}}\n- {name: ub, user: {token: tb}}\n"
        "contexts:\n"
        "- {name: a, context: {cluster: ca, user: ua}}\n"
        "- {name: b, context: {cluster: cb, user: ub}}\n";
    auto current = parse_kubeconfig(text, "/k/config");
    ASSERT_TRUE(current.ok()) << current.error();
    EXPECT_EQ(current->server, "https://a.example:443");
    EXPECT_EQ(current->bearer_token, "ta");
    auto explicit_context = parse_kubeconfig(text, "/k/config", "b");
    ASSERT_TRUE(explicit_context.ok()) << explicit_context.error();
    EXPECT_EQ(explicit_context->server, "https://b.example:8443/prefix");
    EXPECT_EQ(explicit_context->bearer_token, "tb");
    EXPECT_THAT(explicit_context->description, HasSubstr("context b"));
}

TEST_F(KubeconfigTest, ContextWithoutUserHasNoCredentials) {
    auto config = parse_kubeconfig(
        "current-context: x\nclusters:\n- {name: c, cluster: {server: 'http://127.0.0.1:8001'}}\n"
        "contexts:\n- {name: x, context: {cluster: c}}\n",
        "/k/config");
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "http://127.0.0.1:8001");
    EXPECT_TRUE(config->bearer_token.empty());
    EXPECT_TRUE(config->bearer_token_file.empty());
    EXPECT_FALSE(config->exec.has_value());
}

TEST_F(KubeconfigTest, ExecPlugin) {
    auto config = load(kubeconfig(kServer,
                                  "    exec:\n"
                                  "      apiVersion: client.authentication.k8s.io/v1\n"
                                  "      command: ./bin/get-token\n"
                                  "      args: [eks, get-token, --cluster-name, prod]\n"
                                  "      env:\n"
                                  "      - {name: AWS_PROFILE, value: prod}\n"
                                  "      - {name: EMPTY, value: ''}\n"
                                  "      installHint: install it with brew\n"
                                  "      provideClusterInfo: true\n"
                                  "      interactiveMode: Never\n"));
    ASSERT_TRUE(config.ok()) << config.error();
    ASSERT_TRUE(config->exec.has_value());
    const ExecCredentialPlugin& exec = *config->exec;
    EXPECT_EQ(exec.api_version, "client.authentication.k8s.io/v1");
    EXPECT_EQ(std::filesystem::path(exec.command), dir_ / "./bin/get-token");
    EXPECT_EQ(exec.args, (std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"}));
    ASSERT_EQ(exec.env.size(), 2U);
    EXPECT_EQ(exec.env[0], (std::pair<std::string, std::string>{"AWS_PROFILE", "prod"}));
    EXPECT_EQ(exec.env[1], (std::pair<std::string, std::string>{"EMPTY", ""}));
    EXPECT_EQ(exec.install_hint, "install it with brew");
    EXPECT_TRUE(exec.provide_cluster_info);
    EXPECT_EQ(exec.interactive_mode, "Never");
}

TEST_F(KubeconfigTest, ExecCommandWithoutSlashIsLookedUpInPath) {
    auto config = load(kubeconfig(kServer,
                                  "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
                                  "command: aws}\n"));
    ASSERT_TRUE(config.ok()) << config.error();
    ASSERT_TRUE(config->exec.has_value());
    EXPECT_EQ(config->exec->command, "aws");
    EXPECT_FALSE(config->exec->provide_cluster_info);
}

TEST_F(KubeconfigTest, MissingFileNamesThePath) {
    auto config = load_kubeconfig((dir_ / "nope").string());
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr((dir_ / "nope").string()));
    EXPECT_THAT(config.error(), HasSubstr("No such file"));
}

TEST_F(KubeconfigTest, OversizedFileIsRefused) {
    auto config = load(std::string(5U * 1024U * 1024U, '#'));
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr("larger than 4 MiB"));
}

struct BadKubeconfig {
    std::string name;
    std::string text;
    std::vector<std::string> expected;  // substrings of the error
};

std::vector<BadKubeconfig> bad_kubeconfigs() {
    const std::string token = "    token: t\n";
    return {
        {"NotYaml", "clusters: [unclosed\n", {"is not valid YAML"}},
        {"NotAMapping", "- just\n- a list\n", {"not a kubeconfig"}},
        {"Empty", "", {"no current-context"}},
        {"NoCurrentContext", "clusters: []\ncontexts: []\n", {"no current-context is set"}},
        {"ContextNotFound", kubeconfig(kServer, token, "other"), {"context \"other\" not found"}},
        {"ClusterNotFound",
         "current-context: x\ncontexts:\n- {name: x, context: {cluster: gone, user: u}}\n"
         "clusters: []\n",
         {"cluster \"gone\" of context \"x\" not found"}},
        {"UserNotFound",
         "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: gone}}\n"
         "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n",
         {"user \"gone\" of context \"x\" not found"}},
        {"NoServer",
         kubeconfig("    certificate-authority-data: ''\n", token),
         {"cluster \"c\" has no server"}},
        {"ServerNotAUrl",
         kubeconfig("    server: 10.0.0.1:6443\n", token),
         {"10.0.0.1:6443", "not a URL"}},
        {"UnsupportedScheme",
         kubeconfig("    server: ftp://10.0.0.1\n", token),
         {"unsupported scheme"}},
        {"BadPort", kubeconfig("    server: https://h:99999\n", token), {"invalid port"}},
        {"BadBase64",
         kubeconfig(kServer + "    certificate-authority-data: '%%%'\n", token),
         {"certificate-authority-data is not valid base64"}},
        {"UnreadableCaFile",
         kubeconfig(kServer + "    certificate-authority: /nonexistent/ca\n", token),
         {"certificate-authority", "/nonexistent/ca"}},
        {"UnreadableClientCertificate",
         kubeconfig(kServer, "    client-certificate: /nonexistent/crt\n    client-key-data: " +
                                 base64("k") + "\n"),
         {"client-certificate", "/nonexistent/crt"}},
        {"CertificateWithoutKey",
         kubeconfig(kServer, "    client-certificate-data: " + base64("cert") + "\n"),
         {"client certificate but no client key"}},
        {"KeyWithoutCertificate",
         kubeconfig(kServer, "    client-key-data: " + base64("k") + "\n"),
         {"client key but no client certificate"}},
        {"InsecureWithCa",
         kubeconfig(kServer +
                        "    insecure-skip-tls-verify: true\n    certificate-authority-data: " +
                        base64("ca") + "\n",
                    token),
         {"specifying a root certificates file with the insecure flag is not allowed"}},
        {"InsecureNotABool",
         kubeconfig(kServer + "    insecure-skip-tls-verify: maybe\n", token),
         {"insecure-skip-tls-verify is not a boolean"}},
        {"AuthProvider",
         kubeconfig(kServer, "    auth-provider:\n      name: gcp\n"),
         {"auth-provider \"gcp\"", "not supported"}},
        {"BasicAuth",
         kubeconfig(kServer, "    username: admin\n    password: secret\n"),
         {"basic authentication (username/password) is not supported"}},
        {"UnreadableTokenFile",
         kubeconfig(kServer, "    tokenFile: /nonexistent/token\n"),
         {"tokenFile", "/nonexistent/token"}},
        {"ExecV1Alpha1",
         kubeconfig(kServer,
                    "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, "
                    "command: aws}\n"),
         {"v1alpha1 is no longer supported"}},
        {"ExecUnknownApiVersion",
         kubeconfig(kServer, "    exec: {apiVersion: example.com/v9, command: aws}\n"),
         {"\"example.com/v9\" is not supported"}},
        {"ExecNoCommand",
         kubeconfig(kServer, "    exec: {apiVersion: client.authentication.k8s.io/v1}\n"),
         {"has no command"}},
        {"ExecInteractiveAlways",
         kubeconfig(kServer,
                    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: "
                    "aws, interactiveMode: Always}\n"),
         {"interactiveMode Always"}},
        {"ExecArgsNotAList",
         kubeconfig(kServer,
                    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: "
                    "aws, args: x}\n"),
         {"args is not a list"}},
    };
}

class BadKubeconfigTest : public ::testing::TestWithParam<BadKubeconfig> {};

TEST_P(BadKubeconfigTest, ErrorNamesTheFileAndTheProblem) {
    const BadKubeconfig& bad = GetParam();
    auto config = parse_kubeconfig(bad.text, "/home/me/.kube/config");
    ASSERT_FALSE(config.ok()) << "accepted:\n" << bad.text;
    EXPECT_THAT(config.error(), HasSubstr("/home/me/.kube/config"));
    for (const std::string& expected : bad.expected) {
        EXPECT_THAT(config.error(), HasSubstr(expected));
    }
}

INSTANTIATE_TEST_SUITE_P(Errors, BadKubeconfigTest, ::testing::ValuesIn(bad_kubeconfigs()),
                         [](const ::testing::TestParamInfo<BadKubeconfig>& param_info) {
                             return param_info.param.name;
                         });

// --- in-cluster -------------------------------------------------------------------------------

class InClusterTest : public ::testing::Test {
  protected:
    InClusterEnvironment environment(const std::string& host, const std::string& port) {
        InClusterEnvironment env;
        env.service_host = host;
        env.service_port = port;
        env.token_file = dir_.write_file("token", "sa-token\n").string();
        env.ca_file = dir_.write_file("ca.crt", ca_.certificate_pem()).string();
        return env;
    }

    TempDir dir_{"piw-incluster"};
    testing::TestCertificateAuthority ca_;
};

TEST_F(InClusterTest, ServiceEnvironmentTokenFileAndCa) {
    auto config = load_in_cluster_config(environment("10.43.0.1", "443"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "https://10.43.0.1:443");
    EXPECT_EQ(config->certificate_authority_pem, ca_.certificate_pem());
    EXPECT_EQ(config->bearer_token_file, (dir_ / "token").string());
    EXPECT_EQ(config->description, "in-cluster config (https://10.43.0.1:443)");
}

TEST_F(InClusterTest, Ipv6HostIsBracketed) {
    auto config = load_in_cluster_config(environment("fd00:10:96::1", "443"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "https://[fd00:10:96::1]:443");
}

TEST_F(InClusterTest, MissingEnvironmentSaysWhatToDo) {
    InClusterEnvironment env = environment("10.43.0.1", "443");
    env.service_port.reset();
    auto config = load_in_cluster_config(env);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error(),
              "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
              "not set; pass --kubeconfig or --kube-api");
}

TEST_F(InClusterTest, MissingCaIsAnError) {
    InClusterEnvironment env = environment("10.43.0.1", "443");
    env.ca_file = (dir_ / "missing-ca.crt").string();
    auto config = load_in_cluster_config(env);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr("missing-ca.crt"));
}

TEST_F(InClusterTest, MissingTokenIsAnError) {
    InClusterEnvironment env = environment("10.43.0.1", "443");
    env.token_file = (dir_ / "missing-token").string();
    auto config = load_in_cluster_config(env);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr("missing-token"));
}

TEST_F(InClusterTest, BadPortIsAnError) {
    auto config = load_in_cluster_config(environment("10.43.0.1", "https"));
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr("invalid port"));
}

// --- resolve_client_config --------------------------------------------------------------------

class ResolveTest : public InClusterTest {};

TEST_F(ResolveTest, NeitherFlagMeansInCluster) {
    auto config = resolve_client_config("", "", environment("10.43.0.1", "443"));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "https://10.43.0.1:443");
    EXPECT_FALSE(config->bearer_token_file.empty());

    auto outside = resolve_client_config("", "", InClusterEnvironment{});
    ASSERT_FALSE(outside.ok());
    EXPECT_THAT(outside.error(), HasSubstr("not running in a cluster"));
}

TEST_F(ResolveTest, KubeApiAloneHasNoCredentials) {
    auto config = resolve_client_config("", "https://api.example:6443", InClusterEnvironment{});
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server, "https://api.example:6443");
    EXPECT_TRUE(config->bearer_token.empty());
    EXPECT_TRUE(config->bearer_token_file.empty());
    EXPECT_TRUE(config->certificate_authority_pem.empty());  // the system trust store
    EXPECT_FALSE(config->exec.has_value());
}

TEST_F(ResolveTest, KubeconfigWinsOverInClusterAndKubeApiReplacesItsServer) {
    const auto path =
        dir_.write_file("kubeconfig", kubeconfig(kServer, "    token: from-kubeconfig\n"));
    auto plain = resolve_client_config(path.string(), "", environment("10.43.0.1", "443"));
    ASSERT_TRUE(plain.ok()) << plain.error();
    EXPECT_EQ(plain->server, "https://10.0.0.1:6443");
    EXPECT_EQ(plain->bearer_token, "from-kubeconfig");

    auto overridden =
        resolve_client_config(path.string(), "http://127.0.0.1:8001", InClusterEnvironment{});
    ASSERT_TRUE(overridden.ok()) << overridden.error();
    EXPECT_EQ(overridden->server, "http://127.0.0.1:8001");
    EXPECT_EQ(overridden->bearer_token, "from-kubeconfig");
    EXPECT_THAT(overridden->description, HasSubstr("--kube-api http://127.0.0.1:8001"));
}

TEST_F(ResolveTest, KubeApiMustBeAnHttpUrl) {
    for (const std::string bad :
         {"api.example:6443", "ftp://api.example", "https://", "https://h:0"}) {
        auto config = resolve_client_config("", bad, InClusterEnvironment{});
        ASSERT_FALSE(config.ok()) << bad;
        EXPECT_THAT(config.error(), HasSubstr("--kube-api")) << bad;
    }
}

TEST_F(ResolveTest, BrokenKubeconfigIsReportedEvenWithKubeApi) {
    auto config = resolve_client_config((dir_ / "missing").string(), "https://h:1",
                                        environment("10.43.0.1", "443"));
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr((dir_ / "missing").string()));
}

}  // namespace
}  // namespace piw::kube
