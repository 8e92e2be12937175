// The HTTPS host the `oidc` tests fetch discovery documents from, driven through our own
// KubeClient (kubeconfig → TLS with the host's CA → bearer token): if the fake does not answer as
// kube-apiserver and a public issuer host do, the CLI tests built on it would prove nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/kube/client_config.hpp"
#include "support/fake_https_host.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kDiscoveryPath = "/.well-known/openid-configuration";
constexpr const char* kJwksPath = "/openid/v1/jwks";
constexpr const char* kDiscovery = R"({"issuer":"https://example.com","jwks_uri":"x"})";
constexpr const char* kJwks = R"({"keys":[]})";

class FakeHttpsHostTest : public ::testing::Test {
  protected:
    void SetUp() override { host_.serve_discovery_documents(kDiscovery, kJwks); }

    // Our client, configured from a kubeconfig the host wrote (`token` "" = no credentials).
    std::unique_ptr<kube::KubeClient> client(const std::string& token) const {
        const auto file = dir_ / ("kubeconfig-" + std::to_string(++kubeconfigs_));
        host_.write_kubeconfig(file, token);
        auto config = kube::load_kubeconfig(file.string());
        if (!config) throw std::runtime_error(config.error());
        auto created = kube::KubeClient::create(std::move(config).value());
        if (!created) throw std::runtime_error(created.error());
        return std::move(created).value();
    }

    TempDir dir_{"piw-fake-https-host-test"};
    FakeHttpsHost host_;
    mutable int kubeconfigs_ = 0;
};

TEST_F(FakeHttpsHostTest, ServesTheDocumentsToTheKubeClientOverVerifiedTls) {
    host_.require_bearer_token("good-token");
    const auto api = client("good-token");

    const kube::ApiResponse discovery = api->get(kDiscoveryPath);
    EXPECT_EQ(discovery.status, 200) << discovery.error;
    EXPECT_EQ(discovery.body, kDiscovery);
    EXPECT_EQ(api->get(kJwksPath).body, kJwks);

    const auto seen = host_.requests();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].method, "GET");
    EXPECT_EQ(seen[0].path, kDiscoveryPath);
    EXPECT_EQ(seen[0].authorization, "Bearer good-token");
    EXPECT_EQ(seen[1].path, kJwksPath);
}

// The headers `oidc` may report on (content type, caching) are kube-apiserver's.
TEST_F(FakeHttpsHostTest, DocumentsCarryKubeApiserversHeaders) {
    host_.write_ca(dir_ / "ca.crt");
    httplib::SSLClient raw("127.0.0.1", host_.port());
    raw.set_ca_cert_path((dir_ / "ca.crt").c_str());
    raw.enable_server_certificate_verification(true);

    const auto jwks = raw.Get(kJwksPath);
    ASSERT_TRUE(jwks) << httplib::to_string(jwks.error());
    EXPECT_EQ(jwks->get_header_value("Content-Type"), "application/jwk-set+json");
    EXPECT_EQ(jwks->get_header_value("Cache-Control"), "public, max-age=3600");
    const auto discovery = raw.Get(kDiscoveryPath);
    ASSERT_TRUE(discovery);
    EXPECT_EQ(discovery->get_header_value("Content-Type"), "application/json");
}

TEST_F(FakeHttpsHostTest, WithoutATokenAnswers401WithKubesStatus) {
    host_.require_bearer_token("good-token");
    const kube::ApiResponse response = client("")->get(kDiscoveryPath);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.body, kube_unauthorized_status_json());
    const json status = json::parse(response.body);
    EXPECT_EQ(status["reason"], "Unauthorized");
    EXPECT_EQ(host_.requests().front().authorization, "");
}

TEST_F(FakeHttpsHostTest, WithAnotherTokenAnswers403NamingTheUser) {
    host_.require_bearer_token("good-token");
    const kube::ApiResponse response = client("other-token")->get(kDiscoveryPath);
    EXPECT_EQ(response.status, 403);
    const json status = json::parse(response.body);
    EXPECT_EQ(status["reason"], "Forbidden");
    EXPECT_EQ(status["code"], 403);
    EXPECT_EQ(status["message"],
              "forbidden: User \"system:serviceaccount:default:nobody\" cannot get path "
              "\"/.well-known/openid-configuration\"");
}

// A redirect is a route like any other; the kube client does not follow it, so the status is
// what the caller sees (and the target is never fetched).
TEST_F(FakeHttpsHostTest, RedirectsAreAnsweredNotFollowed) {
    host_.set_redirect("/moved", 307, host_.base_url() + kDiscoveryPath);
    const kube::ApiResponse response = client("")->get("/moved");
    EXPECT_EQ(response.status, 307);
    EXPECT_EQ(host_.count_requests("/moved"), 1U);
    EXPECT_EQ(host_.count_requests(kDiscoveryPath), 0U);
}

TEST_F(FakeHttpsHostTest, UnknownPathIs404AndRoutesCanBeReplaced) {
    const auto api = client("");
    const kube::ApiResponse missing = api->get("/nothing-here");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, "404 page not found\n");

    host_.set_route(kJwksPath, {500, {{"Content-Type", "text/plain"}}, "boom"});
    const kube::ApiResponse replaced = api->get(kJwksPath);
    EXPECT_EQ(replaced.status, 500);
    EXPECT_EQ(replaced.body, "boom");
}

// A huge document arrives whole, and a client's size cap stops it without upsetting the host.
TEST_F(FakeHttpsHostTest, LargeBodiesAreServedAndCanBeCutByTheClient) {
    const std::string big(1024 * 1024, 'x');
    host_.set_route("/big", {200, {{"Content-Type", "application/json"}}, big});
    const auto api = client("");

    kube::RequestOptions capped;
    capped.max_body_bytes = 64 * 1024;
    const kube::ApiResponse cut = api->get("/big", capped);
    EXPECT_EQ(cut.status, 0);
    EXPECT_THAT(cut.error, HasSubstr("too large"));

    const kube::ApiResponse whole = api->get("/big");
    EXPECT_EQ(whole.status, 200) << whole.error;
    EXPECT_EQ(whole.body.size(), big.size());
}

}  // namespace
}  // namespace piw::testing
