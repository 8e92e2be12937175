// The `oidc` subcommands that fetch: `discovery --from-apiserver` / `--compare-apiserver` against
// a stand-in kube-apiserver, `check`, `discovery --check URL` and `verify-token --discovery URL`
// against a stand-in public issuer host. Both are tests/support's FakeHttpsHost: TLS with a test
// CA on 127.0.0.1, an ephemeral port.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "oidc_cli.hpp"
#include "support/fake_https_host.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr long long kNow = 1796040000;

class OidcNetwork : public ::testing::Test {
  protected:
    void SetUp() override {
        key_ = make_rsa_key(dir_.path(), "sa");
        host_.write_ca(ca_file());
    }

    [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.crt").string(); }
    // The issuer has no port (IAM refuses one): requests go to the stand-in through
    // --connect-to, and its certificate is checked for "localhost".
    [[nodiscard]] static std::string issuer(const std::string& path = "/prod") {
        return "https://localhost" + path;
    }
    [[nodiscard]] std::string connect_to() const {
        return "127.0.0.1:" + std::to_string(host_.port());
    }

    // The documents `oidc discovery --from-key` renders for `issuer`, as strings.
    std::pair<std::string, std::string> render(const std::string& issuer_url) {
        const auto out = dir_ / ("rendered-" + std::to_string(++renders_));
        const auto result = run_oidc(
            {"discovery", "--from-key", key_, "--issuer", issuer_url, "--out-dir", out.string()});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return {read_file(out / ".well-known/openid-configuration"),
                read_file(out / "openid/v1/jwks")};
    }

    void publish(const std::string& prefix = "/prod") {
        const auto [discovery, jwks] = render(issuer(prefix));
        host_.serve_discovery_documents(discovery, jwks, prefix);
    }

    std::string token_file() {
        const std::string token = sign_token({{"alg", "RS256"}, {"kid", openssl_kid(key_)}},
                                             projected_claims(issuer(), kNow), key_);
        return dir_.write_file("token", token).string();
    }

    TempDir dir_{"piw-oidc-net"};
    FakeHttpsHost host_;
    std::string key_;
    int renders_ = 0;
};

// --- discovery --from-apiserver -------------------------------------------------------------

TEST_F(OidcNetwork, FromApiServerWritesTheServedBytesUnchanged) {
    // What kube-apiserver serves once its issuer points at the bucket (a public issuer URL).
    const std::string public_issuer = "https://acme-oidc.s3.eu-west-1.amazonaws.com/prod";
    const auto [discovery, jwks] = render(public_issuer);
    host_.serve_discovery_documents(discovery, jwks);
    host_.require_bearer_token("admin-token");
    const auto kubeconfig = dir_ / "kubeconfig";
    host_.write_kubeconfig(kubeconfig, "admin-token");
    const auto out = dir_ / "out";
    const auto result =
        run_oidc({"discovery", "--from-apiserver", "--kubeconfig", kubeconfig.string(), "--issuer",
                  public_issuer, "--out-dir", out.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(out / ".well-known/openid-configuration"), discovery);
    EXPECT_EQ(read_file(out / "openid/v1/jwks"), jwks);
    EXPECT_EQ(host_.count_requests("/.well-known/openid-configuration"), 1U);
    EXPECT_EQ(host_.requests().front().authorization, "Bearer admin-token");
}

TEST_F(OidcNetwork, FromApiServerWithServerTokenFileAndCaFile) {
    const auto [discovery, jwks] = render("https://acme-oidc.s3.eu-west-1.amazonaws.com/prod");
    host_.serve_discovery_documents(discovery, jwks);
    host_.require_bearer_token("sa-token");
    const auto token = dir_.write_file("sa.token", "sa-token\n");
    const auto result =
        run_oidc({"discovery", "--from-apiserver", "--server", host_.base_url(), "--token-file",
                  token.string(), "--ca-file", ca_file(), "-o", "json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.json()["openid_configuration"], discovery);
    EXPECT_EQ(result.json()["jwks"], jwks);
}

TEST_F(OidcNetwork, FromApiServerExplains401And403) {
    host_.serve_discovery_documents("{}", "{}");
    host_.require_bearer_token("admin-token");
    const auto anonymous = run_oidc(
        {"discovery", "--from-apiserver", "--server", host_.base_url(), "--ca-file", ca_file()});
    EXPECT_EQ(anonymous.exit_code, 1);
    EXPECT_THAT(anonymous.err, HasSubstr("[apiserver-unauthorized]"));
    EXPECT_THAT(anonymous.err, HasSubstr("kubectl create token"));

    const auto kubeconfig = dir_ / "kubeconfig";
    host_.write_kubeconfig(kubeconfig, "someone-else");
    const auto forbidden = run_oidc(
        {"discovery", "--from-apiserver", "--kubeconfig", kubeconfig.string(), "-o", "json"});
    EXPECT_EQ(forbidden.exit_code, 1);
    EXPECT_THAT(forbidden.codes(), Contains("apiserver-forbidden"));
    const std::string message = forbidden.json()["findings"][0]["message"];
    EXPECT_THAT(message, HasSubstr("system:serviceaccount:default:nobody"));  // kube's Status
    const std::string hint = forbidden.json()["findings"][0]["hint"];
    EXPECT_THAT(hint, HasSubstr("system:service-account-issuer-discovery"));
}

TEST_F(OidcNetwork, FromApiServerReports404RedirectOversizeAndInternalIssuer) {
    const auto kubeconfig = dir_ / "kubeconfig";
    host_.write_kubeconfig(kubeconfig, "");
    const std::vector<std::string> fetch = {
        "discovery", "--from-apiserver", "--kubeconfig", kubeconfig.string(), "-o", "json"};
    EXPECT_THAT(run_oidc(fetch).codes(), Contains("apiserver-discovery-not-served"));

    host_.set_redirect("/.well-known/openid-configuration", 302, "https://elsewhere.example/");
    EXPECT_THAT(run_oidc(fetch).codes(), Contains("apiserver-http-status"));

    host_.serve_discovery_documents(std::string(1024 * 1024, ' '), "{}");
    const auto oversize = run_oidc(fetch);
    EXPECT_EQ(oversize.exit_code, 1);
    EXPECT_THAT(oversize.codes(), Contains("document-too-large"));

    // Not yet switched to a public issuer: fetched fine, but STS could never use it.
    const auto [discovery, jwks] = render("https://kubernetes.default.svc");
    host_.serve_discovery_documents(discovery, jwks);
    const auto internal = run_oidc(fetch);
    EXPECT_EQ(internal.exit_code, 0) << internal.err;
    EXPECT_THAT(internal.codes(), Contains("issuer-cluster-internal"));
}

TEST_F(OidcNetwork, UnreachableApiServerIsAnIoError) {
    // A port nobody listens on: bind, read the port, close.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    const auto result = run_oidc({"discovery", "--from-apiserver", "--server",
                                  "https://127.0.0.1:" + std::to_string(ntohs(address.sin_port)),
                                  "--ca-file", ca_file()});
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_THAT(result.err, HasSubstr("error: "));
}

// --- check (what STS fetches) ----------------------------------------------------------------

TEST_F(OidcNetwork, CheckFetchesLikeStsAndVerifiesAToken) {
    publish();
    const auto result = run_oidc({"check", "--issuer", issuer(), "--ca-file", ca_file(),
                                  "--connect-to", connect_to(), "--token", token_file(), "--now",
                                  std::to_string(kNow), "-o", "json"});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_THAT(result.codes(), Contains("http-headers"));  // Content-Type etc. as info
    EXPECT_THAT(result.codes(), Not(Contains("token-signature-invalid")));
    EXPECT_EQ(result.json()["verified_kid"], openssl_kid(key_));
    for (const auto& request : host_.requests()) EXPECT_EQ(request.authorization, "");  // anonymous
    EXPECT_EQ(host_.count_requests("/prod/openid/v1/jwks"), 1U);
}

TEST_F(OidcNetwork, CheckFlagsRedirects403AndBadRequest) {
    host_.set_redirect("/prod/.well-known/openid-configuration", 307,
                       "https://localhost/elsewhere/.well-known/openid-configuration");
    const std::vector<std::string> check = {"check",      "--issuer", issuer(),
                                            "--ca-file",  ca_file(),  "--connect-to",
                                            connect_to(), "-o",       "json"};
    const auto redirected = run_oidc(check);
    EXPECT_EQ(redirected.exit_code, 1);
    EXPECT_THAT(redirected.codes(), Contains("redirect"));
    EXPECT_EQ(host_.count_requests("/elsewhere/.well-known/openid-configuration"), 0U);

    host_.set_route("/prod/.well-known/openid-configuration",
                    {403, {{"Content-Type", "application/xml"}}, "<Error>AccessDenied</Error>"});
    const auto denied = run_oidc(check);
    EXPECT_THAT(denied.codes(), Contains("access-denied"));
    EXPECT_THAT(denied.json()["findings"][0]["hint"].get<std::string>(),
                HasSubstr("bucket policy"));

    host_.set_route("/prod/.well-known/openid-configuration", {400, {}, "bad request"});
    EXPECT_THAT(run_oidc(check).codes(), Contains("bad-request"));
}

TEST_F(OidcNetwork, CheckFindsIssuerMismatchAndAMissingJwks) {
    // Documents rendered for another issuer, served under this one.
    const auto [discovery, jwks] = render(issuer("/staging"));
    host_.serve_discovery_documents(discovery, jwks, "/prod");
    const auto mismatch = run_oidc({"check", "--issuer", issuer(), "--ca-file", ca_file(),
                                    "--connect-to", connect_to(), "-o", "json"});
    EXPECT_EQ(mismatch.exit_code, 1);
    EXPECT_THAT(mismatch.codes(), Contains("discovery-issuer-mismatch"));

    publish();
    host_.remove_route("/prod/openid/v1/jwks");
    const auto missing = run_oidc({"check", "--issuer", issuer(), "--ca-file", ca_file(),
                                   "--connect-to", connect_to(), "-o", "json"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_THAT(missing.codes(), Contains("not-found"));
}

TEST_F(OidcNetwork, UntrustedCertificateIsAnIoError) {
    publish();
    const auto result =
        run_oidc({"check", "--issuer", issuer(), "--connect-to", connect_to()});  // system CAs
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_THAT(result.err, HasSubstr("verif"));
}

// --- discovery --check URL / --compare-apiserver, verify-token --discovery URL ---------------

TEST_F(OidcNetwork, CheckUrlAndStaleJwksAgainstTheApiServer) {
    publish();
    const auto clean = run_oidc({"discovery", "--check", issuer(), "--url-ca-file", ca_file(),
                                 "--connect-to", connect_to()});
    EXPECT_EQ(clean.exit_code, 0) << clean.err;

    // The API server rotated to a new key (and still lists the old one); the bucket was not
    // updated. The stand-in API server is a second host.
    FakeHttpsHost apiserver;
    const std::string new_key = make_rsa_key(dir_.path(), "new");
    const auto out = dir_ / "apiserver";
    ASSERT_EQ(run_oidc({"discovery", "--from-key", new_key, key_, "--issuer", issuer(), "--out-dir",
                        out.string()})
                  .exit_code,
              0);
    apiserver.serve_discovery_documents(read_file(out / ".well-known/openid-configuration"),
                                        read_file(out / "openid/v1/jwks"));
    const auto kubeconfig = dir_ / "kubeconfig";
    apiserver.write_kubeconfig(kubeconfig, "");
    const auto stale = run_oidc({"discovery", "--check", issuer(), "--url-ca-file", ca_file(),
                                 "--connect-to", connect_to(), "--compare-apiserver",
                                 "--kubeconfig", kubeconfig.string(), "-o", "json"});
    EXPECT_EQ(stale.exit_code, 0);  // a warning
    EXPECT_THAT(stale.codes(), Contains("jwks-stale"));
    const auto findings = stale.json()["findings"];
    const bool names_new_kid = std::any_of(findings.begin(), findings.end(), [&](const auto& f) {
        return f["code"] == "jwks-stale" && f["message"].template get<std::string>().find(
                                                openssl_kid(new_key)) != std::string::npos;
    });
    EXPECT_TRUE(names_new_kid) << stale.out;
}

TEST_F(OidcNetwork, VerifyTokenAgainstThePublishedIssuer) {
    publish();
    const auto result =
        run_oidc({"verify-token", "--token", token_file(), "--discovery", issuer(), "--ca-file",
                  ca_file(), "--connect-to", connect_to(), "--now", std::to_string(kNow)});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("Issuer:     compared with " + issuer()));
    EXPECT_THAT(result.out, HasSubstr("STS would accept this token"));
}

}  // namespace
}  // namespace piw::testing
