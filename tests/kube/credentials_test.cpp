#include "kube/credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/kubelet_secret_dir.hpp"
#include "support/temp_dir.hpp"

namespace piw::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

std::string rfc3339(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

std::filesystem::path write_script(const TempDir& dir, const std::string& name,
                                   const std::string& body) {
    const auto path = dir.write_file(name, "#!/bin/sh\n" + body);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
}

int line_count(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return 0;
    const std::string text = testing::read_file(file);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// --- RFC 3339 ---------------------------------------------------------------------------------

TEST(Rfc3339Test, ParsesUtcFractionsAndOffsets) {
    using std::chrono::system_clock;
    auto utc = parse_rfc3339("2024-05-01T10:00:00Z");
    ASSERT_TRUE(utc.ok()) << utc.error();
    EXPECT_EQ(system_clock::to_time_t(*utc), 1714557600);

    auto offset = parse_rfc3339("2024-05-01T12:30:00+02:30");
    ASSERT_TRUE(offset.ok()) << offset.error();
    EXPECT_EQ(system_clock::to_time_t(*offset), 1714557600);

    auto fraction = parse_rfc3339("2024-05-01T10:00:00.250Z");
    ASSERT_TRUE(fraction.ok()) << fraction.error();
    EXPECT_EQ(*fraction - *utc, 250ms);

    // Beyond what system_clock can count (year 2262): "never expires", not a negative time.
    auto far = parse_rfc3339("9999-12-31T23:59:59Z");
    ASSERT_TRUE(far.ok()) << far.error();
    EXPECT_EQ(*far, system_clock::time_point::max());
}

TEST(Rfc3339Test, RejectsMalformedTimes) {
    for (const char* bad : {"", "2024-05-01", "2024-05-01T10:00:00", "2024-13-01T10:00:00Z",
                            "2024-02-30T10:00:00Z", "2024-05-01T10:00:00.Z", "24-05-01T10:00:00Z",
                            "2024-05-01T10:00:00Zjunk", "2024-05-01T25:00:00Z"}) {
        EXPECT_FALSE(parse_rfc3339(bad).ok()) << bad;
    }
}

// --- ExecCredential ---------------------------------------------------------------------------

TEST(ExecCredentialTest, TokenWithExpiration) {
    auto credential = parse_exec_credential(
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",
            "status":{"token":"k8s-aws-v1.abc","expirationTimestamp":"2030-01-01T00:00:00Z"}})",
        kV1);
    ASSERT_TRUE(credential.ok()) << credential.error();
    EXPECT_EQ(credential->token, "k8s-aws-v1.abc");
    ASSERT_TRUE(credential->expiration.has_value());
    EXPECT_EQ(*credential->expiration, *parse_rfc3339("2030-01-01T00:00:00Z"));
}

TEST(ExecCredentialTest, ClientCertificate) {
    auto credential = parse_exec_credential(
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1",
            "status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
        "client.authentication.k8s.io/v1beta1");
    ASSERT_TRUE(credential.ok()) << credential.error();
    EXPECT_EQ(credential->client_certificate_pem, "CERT");
    EXPECT_EQ(credential->client_key_pem, "KEY");
    EXPECT_TRUE(credential->token.empty());
    EXPECT_FALSE(credential->expiration.has_value());
}

TEST(ExecCredentialTest, RejectsBadAnswersWithoutEchoingTheToken) {
    struct Case {
        std::string text;
        std::string expected;
    };
    const std::string head =
        R"({"kind":"ExecCredential","apiVersion":")" + std::string(kV1) + "\",";
    const Case cases[] = {
        {"not json", "not an ExecCredential"},
        {"[1,2]", "not an ExecCredential"},
        {R"({"kind":"Pod","apiVersion":"v1","status":{"token":"secret-1"}})", "kind \"Pod\""},
        {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1",
             "status":{"token":"secret-1"}})",
         "does not match"},
        {head + "\"status\":5}", "has no status"},
        {head + R"("status":{}})", "neither a token nor a client certificate"},
        {head + R"("status":{"token":5}})", "status.token is not a string"},
        {head + R"("status":{"clientCertificateData":"C"}})", "only one of"},
        {head + R"("status":{"token":"secret-1","expirationTimestamp":"tomorrow"}})",
         "expirationTimestamp"},
    };
    for (const Case& c : cases) {
        auto credential = parse_exec_credential(c.text, kV1);
        ASSERT_FALSE(credential.ok()) << c.text;
        EXPECT_THAT(credential.error(), HasSubstr(c.expected)) << c.text;
        EXPECT_THAT(credential.error(), ::testing::Not(HasSubstr("secret-1")));
    }
}

TEST(ExecCredentialTest, ExecInfoCarriesApiVersionAndClusterWhenAsked) {
    ExecCredentialPlugin plugin;
    plugin.api_version = kV1;
    ExecClusterInfo cluster{"https://10.0.0.1:6443", "api.internal", false, "PEM"};
    auto without = nlohmann::json::parse(exec_info_json(plugin, cluster), nullptr, false);
    ASSERT_FALSE(without.is_discarded());
    EXPECT_EQ(without["kind"], "ExecCredential");
    EXPECT_EQ(without["apiVersion"], kV1);
    EXPECT_EQ(without["spec"]["interactive"], false);
    EXPECT_FALSE(without["spec"].contains("cluster"));

    plugin.provide_cluster_info = true;
    auto with = nlohmann::json::parse(exec_info_json(plugin, cluster), nullptr, false);
    ASSERT_FALSE(with.is_discarded());
    EXPECT_EQ(with["spec"]["cluster"]["server"], "https://10.0.0.1:6443");
    EXPECT_EQ(with["spec"]["cluster"]["tls-server-name"], "api.internal");
    EXPECT_EQ(with["spec"]["cluster"]["certificate-authority-data"], "UEVN");  // base64("PEM")
}

// --- running plugins --------------------------------------------------------------------------

class ExecPluginTest : public ::testing::Test {
  protected:
    ExecCredentialPlugin plugin(const std::string& script_body) {
        ExecCredentialPlugin p;
        p.api_version = kV1;
        p.command = write_script(dir_, "plugin.sh", script_body).string();
        return p;
    }

    TempDir dir_{"piw-exec"};
};

TEST_F(ExecPluginTest, PassesArgumentsEnvironmentAndExecInfo) {
    ExecCredentialPlugin p = plugin(
        // Echo what the plugin received back as the token (not a real secret).
        "info=$(printf '%s' \"$KUBERNETES_EXEC_INFO\" | tr -d '\"{}' )\n"
        "cat > /dev/null\n"  // stdin is /dev/null: this returns at once
        "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" +
        std::string(kV1) +
        "\",\"status\":{\"token\":\"%s|%s|%s|%s\"}}' \"$1\" \"$2\" "
        "\"$PLUGIN_SETTING\" \"$info\"\n");
    p.args = {"first", "second arg"};
    p.env = {{"PLUGIN_SETTING", "on"}};
    auto credential = run_exec_plugin(p, std::nullopt);
    ASSERT_TRUE(credential.ok()) << credential.error();
    EXPECT_EQ(credential->token, "first|second arg|on|kind:ExecCredential,apiVersion:" +
                                     std::string(kV1) + ",spec:interactive:false");
}

TEST_F(ExecPluginTest, FailureReportsExitStatusAndFirstStderrLine) {
    ExecCredentialPlugin p = plugin("echo 'error: no SSO session' >&2\necho 'more' >&2\nexit 3\n");
    auto credential = run_exec_plugin(p, std::nullopt);
    ASSERT_FALSE(credential.ok());
    EXPECT_EQ(credential.error(),
              "exec plugin \"" + p.command + "\" failed: exit status 3: error: no SSO session");
}

TEST_F(ExecPluginTest, MissingCommandShowsTheInstallHint) {
    ExecCredentialPlugin p;
    p.api_version = kV1;
    p.command = "piw-no-such-credential-plugin";
    p.install_hint = "install it with: apt install piw-plugin";
    auto credential = run_exec_plugin(p, std::nullopt);
    ASSERT_FALSE(credential.ok());
    EXPECT_THAT(credential.error(), StartsWith("exec plugin \"piw-no-such-credential-plugin\""));
    EXPECT_THAT(credential.error(), HasSubstr("not found"));
    EXPECT_THAT(credential.error(), HasSubstr("install it with: apt install piw-plugin"));
}

TEST_F(ExecPluginTest, SlowPluginIsKilledAtTheDeadline) {
    ExecCredentialPlugin p = plugin("exec sleep 30\n");
    ExecLimits limits;
    limits.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    auto credential = run_exec_plugin(p, std::nullopt, limits);
    ASSERT_FALSE(credential.ok());
    EXPECT_THAT(credential.error(), HasSubstr("no answer within 300ms"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ExecPluginTest, OversizedOutputIsRefused) {
    ExecCredentialPlugin p = plugin("head -c 100000 /dev/zero | tr '\\0' 'x'\n");
    ExecLimits limits;
    limits.max_output_bytes = 1000;
    auto credential = run_exec_plugin(p, std::nullopt, limits);
    ASSERT_FALSE(credential.ok());
    EXPECT_THAT(credential.error(), HasSubstr("output larger than 1000 bytes"));
}

TEST_F(ExecPluginTest, GarbageOutputIsAnError) {
    ExecCredentialPlugin p = plugin("echo hello\n");
    auto credential = run_exec_plugin(p, std::nullopt);
    ASSERT_FALSE(credential.ok());
    EXPECT_THAT(credential.error(), HasSubstr("not an ExecCredential"));
}

// --- CredentialSource -------------------------------------------------------------------------

TEST(CredentialSourceTest, StaticTokenAndCertificate) {
    ClientConfig config;
    config.bearer_token = "static";
    config.client_certificate_pem = "CERT";
    config.client_key_pem = "KEY";
    CredentialSource source(config);
    auto credentials = source.current();
    ASSERT_TRUE(credentials.ok()) << credentials.error();
    EXPECT_EQ(credentials->bearer_token, "static");
    EXPECT_EQ(credentials->client_certificate_pem, "CERT");
    EXPECT_EQ(credentials->client_key_pem, "KEY");
}

TEST(CredentialSourceTest, TokenFileRewriteIsPickedUp) {
    TempDir dir("piw-token");
    const auto file = dir.write_file("token", "first-token\n");
    ClientConfig config;
    config.bearer_token_file = file.string();
    CredentialSource source(config);
    EXPECT_EQ(source.current()->bearer_token, "first-token");
    testing::write_file(file, "second-token-longer\n");
    EXPECT_EQ(source.current()->bearer_token, "second-token-longer");
}

TEST(CredentialSourceTest, KubeletSymlinkSwapIsPickedUp) {
    TempDir dir("piw-token");
    testing::KubeletSecretDir projected(dir / "serviceaccount");
    projected.write({{"token", "token-a"}});
    ClientConfig config;
    config.bearer_token_file = projected.path_of("token").string();
    CredentialSource source(config);
    EXPECT_EQ(source.current()->bearer_token, "token-a");
    projected.write({{"token", "token-b"}});  // same size: only the inode changes
    EXPECT_EQ(source.current()->bearer_token, "token-b");
}

TEST(CredentialSourceTest, RejectionRereadsAnUnchangedLookingFile) {
    TempDir dir("piw-token");
    const auto file = dir.write_file("token", "old1");
    ClientConfig config;
    config.bearer_token_file = file.string();
    CredentialSource source(config);
    auto first = source.current();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->bearer_token, "old1");
    // Same size, same inode, same mtime: a stat cannot see this change...
    const auto mtime = std::filesystem::last_write_time(file);
    testing::write_file(file, "new1");
    std::filesystem::last_write_time(file, mtime);
    EXPECT_EQ(source.current()->bearer_token, "old1");
    // ...but a 401 makes the source read the file again.
    source.reject(*first);
    EXPECT_EQ(source.current()->bearer_token, "new1");
}

TEST(CredentialSourceTest, VanishedTokenFileKeepsTheLastToken) {
    TempDir dir("piw-token");
    const auto file = dir.write_file("token", "kept");
    ClientConfig config;
    config.bearer_token_file = file.string();
    CredentialSource source(config);
    EXPECT_EQ(source.current()->bearer_token, "kept");
    std::filesystem::remove(file);
    auto credentials = source.current();
    ASSERT_TRUE(credentials.ok()) << credentials.error();
    EXPECT_EQ(credentials->bearer_token, "kept");
}

TEST(CredentialSourceTest, MissingTokenFileWithoutFallbackIsAnError) {
    ClientConfig config;
    config.bearer_token_file = "/nonexistent/token";
    CredentialSource source(config);
    auto credentials = source.current();
    ASSERT_FALSE(credentials.ok());
    EXPECT_THAT(credentials.error(), HasSubstr("/nonexistent/token"));
}

class ExecSourceTest : public ::testing::Test {
  protected:
    // A plugin that appends a line to a count file per run and answers "tok-<run number>"
    // expiring at `expiry`.
    ClientConfig config(const std::string& expiry) {
        ClientConfig c;
        c.server = "https://10.0.0.1:6443";
        ExecCredentialPlugin plugin;
        plugin.api_version = kV1;
        plugin.command = write_script(dir_, "plugin.sh",
                                      "echo run >> \"$COUNT_FILE\"\n"
                                      "n=$(wc -l < \"$COUNT_FILE\" | tr -d ' ')\n"
                                      "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" +
                                          std::string(kV1) +
                                          "\",\"status\":{\"token\":\"tok-%s\"%s}}' \"$n\" "
                                          "\"$EXPIRY\"\n")
                             .string();
        const std::string expiry_field =
            expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"";
        plugin.env = {{"COUNT_FILE", count_file().string()}, {"EXPIRY", expiry_field}};
        c.exec = plugin;
        return c;
    }
    std::filesystem::path count_file() const { return dir_ / "count"; }

    TempDir dir_{"piw-exec-source"};
};

TEST_F(ExecSourceTest, CredentialIsCachedUntilItExpires) {
    CredentialSource source(config(rfc3339(std::chrono::system_clock::now() + 1h)));
    for (int i = 0; i < 3; ++i) {
        auto credentials = source.current();
        ASSERT_TRUE(credentials.ok()) << credentials.error();
        EXPECT_EQ(credentials->bearer_token, "tok-1");
    }
    EXPECT_EQ(line_count(count_file()), 1);
}

TEST_F(ExecSourceTest, CredentialWithoutExpirationIsCachedUntilRejected) {
    CredentialSource source(config(""));
    auto first = source.current();
    ASSERT_TRUE(first.ok()) << first.error();
    EXPECT_EQ(source.current()->bearer_token, "tok-1");
    source.reject(*first);
    EXPECT_EQ(source.current()->bearer_token, "tok-2");
    // A second rejection of the old credential does not throw away the new one.
    source.reject(*first);
    EXPECT_EQ(source.current()->bearer_token, "tok-2");
    EXPECT_EQ(line_count(count_file()), 2);
}

TEST_F(ExecSourceTest, CredentialAboutToExpireIsRenewed) {
    // Within the refresh margin (30 s): every request runs the plugin again.
    CredentialSource source(config(rfc3339(std::chrono::system_clock::now() + 5s)));
    EXPECT_EQ(source.current()->bearer_token, "tok-1");
    EXPECT_EQ(source.current()->bearer_token, "tok-2");
    EXPECT_EQ(line_count(count_file()), 2);
}

TEST_F(ExecSourceTest, FailureIsNotCached) {
    ClientConfig c;
    ExecCredentialPlugin plugin;
    plugin.api_version = kV1;
    // Fails on its first run, answers on the second.
    plugin.command = write_script(dir_, "flaky.sh",
                                  "echo run >> \"$COUNT_FILE\"\n"
                                  "if [ \"$(wc -l < \"$COUNT_FILE\")\" -lt 2 ]; then\n"
                                  "  echo 'not logged in' >&2; exit 1\n"
                                  "fi\n"
                                  "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" +
                                      std::string(kV1) + "\",\"status\":{\"token\":\"ok\"}}'\n")
                         .string();
    plugin.env = {{"COUNT_FILE", count_file().string()}};
    c.exec = plugin;
    CredentialSource source(c);
    auto failed = source.current();
    ASSERT_FALSE(failed.ok());
    EXPECT_THAT(failed.error(), HasSubstr("exit status 1: not logged in"));
    auto recovered = source.current();
    ASSERT_TRUE(recovered.ok()) << recovered.error();
    EXPECT_EQ(recovered->bearer_token, "ok");
}

}  // namespace
}  // namespace piw::kube
