// The webhook port's TLS policy (decision S2) as clients meet it: TLS 1.2 minimum by default,
// Mozilla "intermediate" suites only, the configured minimum version and cipher suites, the
// X25519/P-256/P-384 groups, and ALPN that only ever selects http/1.1.

#include <gtest/gtest.h>

#include "pod_identity_webhook/server/tls_settings.hpp"
#include "server/test_handlers.hpp"
#include "support/server_harness.hpp"

namespace piw::server {
namespace {

using testing::ClientTlsOptions;
using testing::ServerHarness;
using testing::TestConnection;

class TlsPolicy : public ::testing::Test {
  protected:
    void start(testing::HarnessOptions options = {}) {
        harness_ = std::make_unique<ServerHarness>(std::move(options));
        harness_->add_route("/echo", echo_);
        harness_->start();
    }

    // Connects with `tls` (CA verification added); the connection on success.
    Result<TestConnection> handshake(ClientTlsOptions tls) {
        tls.ca_file = harness_->ca_file();
        auto connection = TestConnection::connect(harness_->port());
        if (!connection) return connection;
        if (auto status = connection->start_tls(tls); !status) return Error{status.error()};
        return connection;
    }

    test::EchoHandler echo_;
    std::unique_ptr<ServerHarness> harness_;
};

ClientTlsOptions versions(int min, int max) {
    ClientTlsOptions tls;
    tls.min_version = min;
    tls.max_version = max;
    return tls;
}

TEST_F(TlsPolicy, DefaultsToTls13AndServesRequests) {
    start();
    auto connection = handshake({});
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection->tls_version(), "TLSv1.3");
    EXPECT_EQ(connection->peer_common_name(), "server-a");
    auto response = connection->request("GET", "/echo");
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
}

TEST_F(TlsPolicy, Tls12NegotiatesAnEcdheAeadSuite) {
    start();
    auto connection = handshake(versions(TLS1_2_VERSION, TLS1_2_VERSION));
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection->tls_version(), "TLSv1.2");
    const std::string cipher = connection->cipher();
    EXPECT_TRUE(cipher.starts_with("ECDHE-")) << cipher;
    EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
                cipher.find("CHACHA20") != std::string::npos)
        << cipher;
}

TEST_F(TlsPolicy, OldProtocolVersionsAreRefusedByDefault) {
    start();
    EXPECT_FALSE(handshake(versions(TLS1_1_VERSION, TLS1_1_VERSION)).ok());
    EXPECT_FALSE(handshake(versions(TLS1_VERSION, TLS1_VERSION)).ok());
}

TEST_F(TlsPolicy, CbcAndStaticRsaSuitesAreRefused) {
    start();
    for (const char* suites : {"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384",
                               "AES128-GCM-SHA256:AES256-SHA", "DHE-RSA-AES128-GCM-SHA256"}) {
        ClientTlsOptions tls = versions(TLS1_2_VERSION, TLS1_2_VERSION);
        tls.cipher_list = suites;
        EXPECT_FALSE(handshake(tls).ok()) << suites;
    }
}

TEST_F(TlsPolicy, OnlyTheIntermediateGroupsAreOffered) {
    start();
    ClientTlsOptions p521 = {};
    p521.groups = "P-521";
    EXPECT_FALSE(handshake(p521).ok());
    for (const char* group : {"X25519", "P-256", "P-384"}) {
        ClientTlsOptions tls = {};
        tls.groups = group;
        EXPECT_TRUE(handshake(tls).ok()) << group;
    }
}

TEST_F(TlsPolicy, MinimumTls13RefusesTls12Clients) {
    testing::HarnessOptions options;
    options.tls_min_version = *parse_tls_min_version("VersionTLS13");
    start(options);
    EXPECT_FALSE(handshake(versions(TLS1_2_VERSION, TLS1_2_VERSION)).ok());
    auto connection = handshake({});
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection->tls_version(), "TLSv1.3");
}

TEST_F(TlsPolicy, ConfiguredCipherSuitesReplaceTheDefaultForTls12) {
    testing::HarnessOptions options;
    options.cipher_list = *parse_tls_cipher_suites("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
    start(options);
    auto chosen = handshake(versions(TLS1_2_VERSION, TLS1_2_VERSION));
    ASSERT_TRUE(chosen.ok()) << chosen.error();
    EXPECT_EQ(chosen->cipher(), "ECDHE-ECDSA-AES256-GCM-SHA384");

    ClientTlsOptions other = versions(TLS1_2_VERSION, TLS1_2_VERSION);
    other.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256";
    EXPECT_FALSE(handshake(other).ok());
    // TLS 1.3 is unaffected, as in Go.
    EXPECT_TRUE(handshake({}).ok());
}

TEST_F(TlsPolicy, AlpnSelectsHttp11AndNeverH2) {
    start();
    ClientTlsOptions both;
    both.alpn = {"h2", "http/1.1"};
    auto negotiated = handshake(both);
    ASSERT_TRUE(negotiated.ok()) << negotiated.error();
    EXPECT_EQ(negotiated->alpn(), "http/1.1");

    ClientTlsOptions h2_only;
    h2_only.alpn = {"h2"};
    auto connection = handshake(h2_only);
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection->alpn(), "");
    auto response = connection->request("GET", "/echo");  // still HTTP/1.1
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);

    auto none = handshake({});
    ASSERT_TRUE(none.ok()) << none.error();
    EXPECT_EQ(none->alpn(), "");
}

}  // namespace
}  // namespace piw::server
