// Serving certificate hot reload (decision S2): a kubelet-style `..data` symlink swap is noticed
// and the next TLS handshake serves the new certificate; a broken new pair keeps the old one and
// the failed reload is counted.

#include <gtest/gtest.h>

#include <thread>

#include "server/test_handlers.hpp"
#include "support/server_harness.hpp"

namespace piw::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ServerHarness;

class CertificateReloadTest : public ::testing::Test {
  protected:
    void SetUp() override {
        harness_.add_route("/echo", echo_);
        harness_.start();
    }

    std::string served_common_name() {
        auto connection = harness_.connect();
        if (!connection.ok()) return "handshake failed: " + connection.error();
        return connection->peer_common_name();
    }

    bool eventually_serves(const std::string& common_name, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            if (served_common_name() == common_name) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    double reloads(const std::string& result) {
        const std::string exposition = harness_.registry().render();
        const std::string key =
            "\npod_identity_webhook_certificate_reloads_total{result=\"" + result + "\"} ";
        const auto at = exposition.find(key);
        return at == std::string::npos ? 0.0 : std::stod(exposition.substr(at + key.size()));
    }

    test::EchoHandler echo_;
    ServerHarness harness_;
};

TEST_F(CertificateReloadTest, ReloadSwapsTheCertificateForNewHandshakes) {
    ASSERT_EQ(served_common_name(), "server-a");
    auto before = harness_.connect();  // an established connection keeps working
    ASSERT_TRUE(before.ok()) << before.error();

    harness_.write_certificate("server-b");
    const auto status = harness_.reloader()->reload();
    ASSERT_TRUE(status.ok()) << status.error();
    EXPECT_EQ(served_common_name(), "server-b");
    EXPECT_EQ(reloads("success"), 1.0);

    auto response = before->request("GET", "/echo");
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(before->peer_common_name(), "server-a");
}

TEST_F(CertificateReloadTest, AKubeletSymlinkSwapIsPickedUpByTheWatcher) {
    harness_.reloader()->start_watching(200ms);
    ASSERT_EQ(served_common_name(), "server-a");
    harness_.write_certificate("server-b");
    EXPECT_TRUE(eventually_serves("server-b")) << served_common_name();
    harness_.write_certificate("server-c");
    EXPECT_TRUE(eventually_serves("server-c")) << served_common_name();
    EXPECT_GE(reloads("success"), 2.0);
}

TEST_F(CertificateReloadTest, ABrokenNewPairKeepsTheOldCertificate) {
    harness_.reloader()->start_watching(200ms);
    // A certificate whose key belongs to another certificate.
    testing::CertificateRequest request;
    request.common_name = "server-broken";
    const auto broken = harness_.ca().issue(request);
    const auto other = harness_.ca().issue(request);
    harness_.secret_dir().write({{"tls.crt", broken.certificate}, {"tls.key", other.key}});

    const auto deadline = Clock::now() + 5s;
    while (reloads("failure") < 1.0 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    EXPECT_GE(reloads("failure"), 1.0);
    EXPECT_EQ(served_common_name(), "server-a");
    EXPECT_FALSE(harness_.reloader()->reload().ok());
    EXPECT_EQ(served_common_name(), "server-a");

    // Garbage is no better.
    harness_.secret_dir().write({{"tls.crt", "junk"}, {"tls.key", "junk"}});
    EXPECT_FALSE(harness_.reloader()->reload().ok());
    EXPECT_EQ(served_common_name(), "server-a");

    // A good pair afterwards is taken.
    harness_.write_certificate("server-fixed");
    EXPECT_TRUE(eventually_serves("server-fixed")) << served_common_name();
}

TEST(CertificateReloader, CreateFailsOnABadPairAndNamesTheFile) {
    testing::TempDir dir;
    TlsSettings settings;
    settings.certificate_file = dir.write_file("tls.crt", "junk").string();
    settings.key_file = dir.write_file("tls.key", "junk").string();
    const auto reloader = CertificateReloader::create(settings, nullptr);
    ASSERT_FALSE(reloader.ok());
    EXPECT_NE(reloader.error().find(settings.certificate_file), std::string::npos)
        << reloader.error();
}

TEST(CertificateReloader, ExposesTheCertificateExpiry) {
    testing::TempDir dir;
    testing::TestCertificateAuthority ca;
    testing::CertificateRequest request;
    request.valid_for = std::chrono::hours(48);
    ca.issue(request).write(dir / "tls.crt", dir / "tls.key");
    TlsSettings settings;
    settings.certificate_file = (dir / "tls.crt").string();
    settings.key_file = (dir / "tls.key").string();
    metrics::Registry registry;
    metrics::WebhookMetrics metrics(registry);
    const auto reloader = CertificateReloader::create(settings, &metrics);
    ASSERT_TRUE(reloader.ok()) << reloader.error();
    const std::string exposition = registry.render();
    const std::string key = "\npod_identity_webhook_certificate_expiry_timestamp_seconds ";
    const auto at = exposition.find(key);
    ASSERT_NE(at, std::string::npos) << exposition;
    const double expiry = std::stod(exposition.substr(at + key.size()));
    const double expected = static_cast<double>(std::time(nullptr)) + 48.0 * 3600.0;
    EXPECT_NEAR(expiry, expected, 120.0);
}

}  // namespace
}  // namespace piw::server
