// Decision S2 as a client sees it: Mozilla "intermediate" TLS by default, the upstream flags to
// tighten it, HTTP/1.1 only.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "support/webhook_process.hpp"

namespace piw::testing {
namespace {

// Handshake with `options` (CA verification added); the connection or the handshake error.
Result<TestConnection> handshake(const WebhookProcess& webhook, ClientTlsOptions options) {
    options.ca_file = webhook.ca_file();
    auto connection = TestConnection::connect(webhook.port());
    if (!connection.ok()) return connection;
    if (auto status = connection->start_tls(options, 3s); !status.ok())
        return Error{status.error()};
    return connection;
}

ClientTlsOptions tls12_with(std::string cipher_list) {
    ClientTlsOptions options;
    options.min_version = TLS1_2_VERSION;
    options.max_version = TLS1_2_VERSION;
    options.cipher_list = std::move(cipher_list);
    return options;
}

// A TLS 1.1 client (TLS 1.1 has no AEAD suites: ECDHE with AES-CBC-SHA is what such clients use).
ClientTlsOptions tls11_client() {
    ClientTlsOptions options;
    options.min_version = TLS1_1_VERSION;
    options.max_version = TLS1_1_VERSION;
    options.cipher_list = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0";
    return options;
}

TEST(BinaryTls, DefaultPolicyIsModernAndHttp11Only) {
    WebhookProcess webhook;
    ASSERT_TRUE(webhook.start()) << webhook.start_error();

    ClientTlsOptions offers_h2;
    offers_h2.alpn = {"h2", "http/1.1"};
    auto modern = handshake(webhook, offers_h2);
    ASSERT_TRUE(modern.ok()) << modern.error();
    EXPECT_EQ(modern->tls_version(), "TLSv1.3");
    EXPECT_EQ(modern->alpn(), "http/1.1") << "h2 must not be negotiated";
    auto answer = modern->request("GET", "/healthz");
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->status, 200);

    auto gcm = handshake(webhook, tls12_with("ECDHE-ECDSA-AES128-GCM-SHA256"));
    ASSERT_TRUE(gcm.ok()) << gcm.error();
    EXPECT_EQ(gcm->tls_version(), "TLSv1.2");

    EXPECT_FALSE(handshake(webhook, tls12_with("ECDHE-ECDSA-AES128-SHA")).ok())
        << "CBC suites are outside the intermediate policy";
    EXPECT_FALSE(handshake(webhook, tls11_client()).ok()) << "TLS 1.1 accepted by default";
}

TEST(BinaryTls, MinVersionFlagRefusesOlderClients) {
    WebhookProcess webhook({.arguments = {"--tls-min-version=VersionTLS13"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    EXPECT_FALSE(handshake(webhook, tls12_with("ECDHE-ECDSA-AES128-GCM-SHA256")).ok());
    auto modern = handshake(webhook, {});
    ASSERT_TRUE(modern.ok()) << modern.error();
    EXPECT_EQ(modern->tls_version(), "TLSv1.3");
}

TEST(BinaryTls, MinVersionBelowTls12AdmitsOlderClients) {
    // Upstream: --tls-min-version=1.1 lets TLS 1.1 clients in (Go's default suites include
    // ECDHE-*-AES-CBC-SHA). An operator who asks for it must get it (decision S2: "as upstream").
    WebhookProcess webhook({.arguments = {"--tls-min-version=1.1"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto old = handshake(webhook, tls11_client());
    ASSERT_TRUE(old.ok()) << "TLS 1.1 refused although --tls-min-version=1.1: " << old.error();
    EXPECT_EQ(old->tls_version(), "TLSv1.1");
    auto answer = old->request("GET", "/healthz");
    ASSERT_TRUE(answer.ok()) << answer.error();
    EXPECT_EQ(answer->status, 200);
}

TEST(BinaryTls, CipherSuitesFlagRestrictsTls12Suites) {
    WebhookProcess webhook(
        {.arguments = {"--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}});
    ASSERT_TRUE(webhook.start()) << webhook.start_error();
    auto allowed = handshake(webhook, tls12_with("ECDHE-ECDSA-AES128-GCM-SHA256"));
    ASSERT_TRUE(allowed.ok()) << allowed.error();
    EXPECT_EQ(allowed->cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_FALSE(handshake(webhook, tls12_with("ECDHE-ECDSA-CHACHA20-POLY1305")).ok())
        << "a suite left out of --tls-cipher-suites was negotiated";
}

}  // namespace
}  // namespace piw::testing
