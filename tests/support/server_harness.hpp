#pragma once
// An in-process HttpServer for tests: TLS on 127.0.0.1 with an ephemeral port, a certificate made
// at test time (kept in a kubelet-style secret directory so tests can swap it), its own metrics
// registry, and an io_context running on a few threads. Routes are added before start().
//
//   HarnessOptions options;
//   options.limits.request_timeout = 300ms;
//   ServerHarness harness(options);
//   harness.add_route("/echo", handler, true);
//   harness.start();
//   auto connection = harness.connect();   // TLS handshake done, CA verified
//
// The destructor force-closes the server, stops the io_context and joins its threads before the
// server, handlers declared earlier in the test, and the certificate files go away.

#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pod_identity_webhook/metrics/registry.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/server/certificate_reloader.hpp"
#include "pod_identity_webhook/server/http_server.hpp"
#include "support/certificates.hpp"
#include "support/kubelet_secret_dir.hpp"
#include "support/temp_dir.hpp"
#include "support/test_client.hpp"

namespace piw::testing {

struct HarnessOptions {
    server::ServerLimits limits;
    bool tls = true;
    std::string certificate_cn = "server-a";  // CN of the first serving certificate
    int tls_min_version = TLS1_2_VERSION;
    std::string cipher_list;  // OpenSSL names; empty = the default policy
    int threads = 2;
};

class ServerHarness {
  public:
    explicit ServerHarness(HarnessOptions options = {});
    ~ServerHarness();
    ServerHarness(const ServerHarness&) = delete;
    ServerHarness& operator=(const ServerHarness&) = delete;

    void add_route(std::string path, server::RequestHandler& handler, bool instrumented = true);
    // Starts listening and the io threads; fails the calling test (ASSERT) on error.
    void start();
    // Force-closes the server and joins the io threads (also done by the destructor).
    void stop();

    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] server::HttpServer& server() { return *server_; }
    [[nodiscard]] server::CertificateReloader* reloader() { return reloader_.get(); }
    [[nodiscard]] metrics::Registry& registry() { return registry_; }
    [[nodiscard]] metrics::WebhookMetrics& metrics() { return metrics_; }
    [[nodiscard]] const TempDir& dir() const { return dir_; }
    [[nodiscard]] const TestCertificateAuthority& ca() const { return *ca_; }
    [[nodiscard]] KubeletSecretDir& secret_dir() { return secret_dir_; }
    [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.crt").string(); }

    // Client options that verify the server against the test CA.
    [[nodiscard]] ClientTlsOptions client_tls() const;
    // A connection with the TLS handshake done (plain TCP when the harness is not TLS).
    Result<TestConnection> connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Projects a new certificate (signed by the test CA) into the secret directory.
    void write_certificate(const std::string& common_name);

  private:
    HarnessOptions options_;
    TempDir dir_;
    std::unique_ptr<TestCertificateAuthority> ca_;
    KubeletSecretDir secret_dir_;
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_;
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::unique_ptr<server::CertificateReloader> reloader_;
    std::unique_ptr<server::HttpServer> server_;
    std::vector<std::thread> threads_;
    unsigned short port_ = 0;
};

}  // namespace piw::testing
