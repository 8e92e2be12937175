#include "support/server_harness.hpp"

#include <gtest/gtest.h>

namespace piw::testing {

ServerHarness::ServerHarness(HarnessOptions options)
    : options_(std::move(options)),
      dir_("piw-server"),
      ca_(std::make_unique<TestCertificateAuthority>()),
      secret_dir_(dir_ / "certs"),
      metrics_(registry_) {
    ca_->write_certificate(dir_ / "ca.crt");
    write_certificate(options_.certificate_cn);
    if (options_.tls) {
        server::TlsSettings settings;
        settings.certificate_file = secret_dir_.path_of("tls.crt").string();
        settings.key_file = secret_dir_.path_of("tls.key").string();
        settings.min_version = options_.tls_min_version;
        settings.cipher_list = options_.cipher_list;
        auto reloader = server::CertificateReloader::create(settings, &metrics_);
        if (!reloader) throw std::runtime_error("certificate reloader: " + reloader.error());
        reloader_ = std::move(reloader.value());
    }
    server::ServerOptions server_options;
    server_options.name = options_.tls ? "webhook" : "metrics";
    server_options.bind_address = "127.0.0.1";
    server_options.port = 0;
    server_options.limits = options_.limits;
    server_options.tls = reloader_.get();
    server_ = std::make_unique<server::HttpServer>(io_, server_options, &metrics_);
}

ServerHarness::~ServerHarness() {
    stop();
    server_.reset();
}

void ServerHarness::add_route(std::string path, server::RequestHandler& handler,
                              bool instrumented) {
    server_->add_route(std::move(path), handler, instrumented);
}

void ServerHarness::start() {
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error();
    port_ = *port;
    work_.emplace(io_.get_executor());
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this]() { io_.run(); });
}

void ServerHarness::stop() {
    if (threads_.empty()) return;
    server_->force_close();
    work_.reset();
    // Give force_close a moment to run on the strands, then stop whatever is left (connections
    // whose handlers still hold them, lingering timers).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (server_->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
}

ClientTlsOptions ServerHarness::client_tls() const {
    ClientTlsOptions tls;
    tls.ca_file = ca_file();
    return tls;
}

Result<TestConnection> ServerHarness::connect(std::chrono::milliseconds timeout) {
    auto connection = TestConnection::connect(port_, timeout);
    if (!connection) return connection;
    if (options_.tls) {
        if (auto status = connection->start_tls(client_tls(), timeout); !status) {
            return Error{status.error()};
        }
    }
    return connection;
}

void ServerHarness::write_certificate(const std::string& common_name) {
    CertificateRequest request;
    request.common_name = common_name;
    const PemPair pair = ca_->issue(request);
    secret_dir_.write({{"tls.crt", pair.certificate}, {"tls.key", pair.key}});
}

}  // namespace piw::testing
