// The command line as an operator meets it (decisions C1, C2, S6; upstream §1, §6.7): version,
// help, flag errors, klog compatibility, start-up failures that say what is wrong, JSON logs.

#include <gtest/gtest.h>

#include <sstream>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

// Flags that keep a run that gets past validation on ephemeral loopback ports, then `more`.
std::vector<std::string> loopback_with(std::vector<std::string> more = {}) {
    std::vector<std::string> arguments{"--port=0", "--metrics-port=0", "--bind-address=127.0.0.1"};
    arguments.insert(arguments.end(), more.begin(), more.end());
    return arguments;
}

TEST(BinaryCommandLine, VersionPrintsUpstreamVersion) {
    const RunResult run = run_binary({"--version"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "v0.1.0\n");
}

TEST(BinaryCommandLine, HelpListsTheFlagsAndExitsZero) {
    const RunResult run = run_binary({"--help"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("--port"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("--service-accounts-file"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("--tls-cert"), std::string::npos) << run.out;
    const RunResult short_form = run_binary({"-h"});
    EXPECT_EQ(short_form.exit_code, 0);
    EXPECT_EQ(short_form.out, run.out);
}

TEST(BinaryCommandLine, UnknownFlagExitsTwoWithUsage) {
    const RunResult run = run_binary({"--no-such-flag=1"});
    ASSERT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("unknown flag"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--no-such-flag"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--port"), std::string::npos) << "usage follows the error: " << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;

    const RunResult bad_value = run_binary({"--port=eighty"});
    EXPECT_EQ(bad_value.exit_code, 2) << bad_value.err;
    EXPECT_NE(bad_value.err.find("eighty"), std::string::npos) << bad_value.err;
}

TEST(BinaryCommandLine, KlogFlagsAreAccepted) {
    WebhookProcess webhook(
        {.arguments = {"--logtostderr", "-v=4", "--v=2", "--log_dir=/tmp", "--alsologtostderr",
                       "--stderrthreshold=INFO", "--vmodule=main=2"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto health = webhook.request("GET", "/healthz");
    ASSERT_TRUE(health.ok()) << health.error();
    EXPECT_EQ(health->status, 200);
}

TEST(BinaryCommandLine, VerbosityFourShowsDebugLines) {
    // A document that is not a ServiceAccount is skipped with a debug line.
    const std::string accounts =
        default_service_accounts() + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    WebhookProcess quiet({.service_accounts = accounts});
    ASSERT_TRUE(quiet.start()) << quiet.start_error();
    WebhookProcess verbose({.arguments = {"-v=4"}, .service_accounts = accounts});
    ASSERT_TRUE(verbose.start()) << verbose.start_error();
    EXPECT_NE(verbose.log().find("skipping a document"), std::string::npos) << verbose.log();
    EXPECT_EQ(quiet.log().find("skipping a document"), std::string::npos) << quiet.log();
}

TEST(BinaryCommandLine, OutsideAClusterWithoutASourceExitsOneNamingTheFlags) {
    const RunResult run = run_binary(loopback_with());
    ASSERT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("--kubeconfig"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--service-accounts-file"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("error"), std::string::npos) << run.err;
}

TEST(BinaryCommandLine, MissingServiceAccountsFileExitsOneNamingIt) {
    TempDir dir("piw-cli");
    const std::string path = (dir / "does-not-exist.yaml").string();
    const RunResult run = run_binary(loopback_with({"--service-accounts-file=" + path}));
    ASSERT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(path), std::string::npos) << run.err;
}

TEST(BinaryCommandLine, InvalidServiceAccountsFileExitsOneNamingIt) {
    TempDir dir("piw-cli");
    const auto path = dir.write_file("broken.yaml",
                                     "apiVersion: v1\nkind: ServiceAccount\n"
                                     "metadata: {name: [oops\n");
    const RunResult run = run_binary(loopback_with({"--service-accounts-file=" + path.string()}));
    ASSERT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(path.string()), std::string::npos) << run.err;
}

TEST(BinaryCommandLine, InvalidTlsMinVersionIsRefusedWithUpstreamMessage) {
    WebhookProcess webhook({.arguments = {"--tls-min-version=1.4"}});
    ASSERT_FALSE(webhook.start()) << "served with --tls-min-version=1.4";
    const auto exit_code = webhook.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value());
    EXPECT_NE(*exit_code, 0);
    EXPECT_NE(webhook.log().find("Invalid value for tls-min-version unsupported version"),
              std::string::npos)
        << webhook.log();
}

TEST(BinaryCommandLine, UnknownTlsCipherSuiteIsRefused) {
    WebhookProcess webhook({.arguments = {"--tls-cipher-suites=TLS_RSA_WITH_NOTHING"}});
    ASSERT_FALSE(webhook.start()) << "served with an unknown cipher suite";
    const auto exit_code = webhook.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value());
    EXPECT_NE(*exit_code, 0);
    EXPECT_NE(webhook.log().find("TLS_RSA_WITH_NOTHING"), std::string::npos) << webhook.log();
}

TEST(BinaryCommandLine, PortInUseExitsOneWithAnError) {
    WebhookProcess first;
    ASSERT_TRUE(first.start()) << first.start_error();
    // Flags repeat like pflag's: the last --port wins.
    WebhookProcess second({.arguments = {"--port=" + std::to_string(first.port())}});
    ASSERT_FALSE(second.start()) << "two webhooks on one port";
    const auto exit_code = second.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value());
    EXPECT_EQ(*exit_code, 1) << second.log();
    EXPECT_NE(second.log().find("error="), std::string::npos) << second.log();
    EXPECT_NE(second.log().find(std::to_string(first.port())), std::string::npos)
        << "the error should say which port: " << second.log();
}

TEST(BinaryCommandLine, MissingCertificateExitsOneNamingTheFile) {
    TempDir dir("piw-cli");
    const std::string certificate = (dir / "no-such-tls.crt").string();
    WebhookProcess webhook({.arguments = {"--tls-cert=" + certificate}});
    ASSERT_FALSE(webhook.start()) << "served without a certificate";
    const auto exit_code = webhook.process().wait_exit(5s);
    ASSERT_TRUE(exit_code.has_value());
    EXPECT_EQ(*exit_code, 1) << webhook.log();
    EXPECT_NE(webhook.log().find(certificate), std::string::npos) << webhook.log();
}

std::vector<Json> json_lines(const std::string& text, std::string& not_json) {
    std::vector<Json> lines;
    std::istringstream stream(text);
    std::string line;
    while (std::getline(stream, line)) {
        if (line.empty()) continue;
        Json value = Json::parse(line, nullptr, false);
        if (value.is_discarded() || !value.is_object()) {
            not_json += line + "\n";
            continue;
        }
        lines.push_back(std::move(value));
    }
    return lines;
}

TEST(BinaryCommandLine, JsonLogsHaveOneDecisionLinePerPod) {
    WebhookProcess webhook({.arguments = {"--log-format=json"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    ASSERT_TRUE(webhook.admit(typical_review()).ok());
    ASSERT_TRUE(webhook.admit(make_review(simple_pod("quiet", "no-role"), "payments", "u2")).ok());
    ASSERT_TRUE(webhook.admit(make_review(simple_pod("lost", "ghost"), "payments", "u3")).ok());

    std::vector<Json> decisions;
    ASSERT_TRUE(eventually(
        [&] {
            std::string not_json;
            decisions.clear();
            for (Json& line : json_lines(webhook.log(), not_json)) {
                if (line.contains("pod") && line.contains("reason")) decisions.push_back(line);
            }
            return decisions.size() >= 3;
        },
        2s))
        << webhook.log();
    std::string not_json;
    const auto lines = json_lines(webhook.log(), not_json);
    EXPECT_TRUE(not_json.empty()) << "log lines that are not JSON objects:\n" << not_json;
    for (const Json& line : lines) {
        EXPECT_TRUE(line.contains("level") && line.contains("msg")) << line.dump();
    }

    ASSERT_EQ(decisions.size(), 3U) << webhook.log();
    const auto field = [](const Json& line, const char* key) {
        return line.value(key, "<absent>");
    };
    EXPECT_EQ(field(decisions[0], "namespace"), "payments");
    EXPECT_EQ(field(decisions[0], "pod"), "payments-api-7d9f8b6c5d-") << "generateName";
    EXPECT_EQ(field(decisions[0], "service_account"), "payments-api");
    EXPECT_EQ(field(decisions[0], "mode"), "web_identity");
    EXPECT_EQ(field(decisions[0], "reason"), "mutated");
    EXPECT_EQ(field(decisions[1], "pod"), "quiet");
    EXPECT_EQ(field(decisions[1], "service_account"), "no-role");
    EXPECT_EQ(field(decisions[1], "reason"), "no_role");
    EXPECT_NE(field(decisions[1], "mode"), "<absent>");
    EXPECT_EQ(field(decisions[2], "pod"), "lost");
    EXPECT_EQ(field(decisions[2], "reason"), "service_account_not_found");
}

}  // namespace
}  // namespace piw::testing
