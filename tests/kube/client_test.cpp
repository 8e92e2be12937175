#include "pod_identity_webhook/kube/client.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/certificates.hpp"
#include "support/kubelet_secret_dir.hpp"
#include "support/temp_dir.hpp"

namespace piw::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

// What the test server saw of one request.
struct SeenRequest {
    std::string path;
    std::string authorization;
    std::string accept;
    std::string user_agent;
    std::string client_common_name;  // of the TLS client certificate, if any
    int remote_port = 0;
};

std::string peer_common_name(const httplib::Request& request) {
    if (request.ssl == nullptr) return {};
    X509* peer = SSL_get0_peer_certificate(request.ssl);
    if (peer == nullptr) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    return name;
}

struct ServerOptions {
    bool tls = true;
    bool self_signed = false;
    bool require_client_certificate = false;  // signed by the same CA
    testing::CertificateRequest certificate;
};

// A small API server on 127.0.0.1 (httplib, TLS by default) with a certificate signed by the
// test CA. Handlers are added before start(); long-running handlers poll stopping().
class TestServer {
  public:
    TestServer(const testing::TestCertificateAuthority& ca, ServerOptions options = {}) {
        if (!options.tls) {
            server_ = std::make_unique<httplib::Server>();
            return;
        }
        const testing::PemPair pair = options.self_signed
                                          ? testing::make_self_signed(options.certificate)
                                          : ca.issue(options.certificate);
        pair.write(dir_ / "tls.crt", dir_ / "tls.key");
        ca.write_certificate(dir_ / "ca.crt");
        const std::string certificate = (dir_ / "tls.crt").string();
        const std::string key = (dir_ / "tls.key").string();
        const std::string client_ca = (dir_ / "ca.crt").string();
        auto ssl = std::make_unique<httplib::SSLServer>(
            certificate.c_str(), key.c_str(),
            options.require_client_certificate ? client_ca.c_str() : nullptr);
        if (options.require_client_certificate) {
            // The test CA only issues serverAuth certificates; accept them as client
            // certificates (the chain is still verified against the CA).
            X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ssl->ssl_context()), X509_PURPOSE_ANY);
        }
        server_ = std::move(ssl);
    }

    ~TestServer() {
        stopping_ = true;
        server_->stop();
        if (thread_.joinable()) thread_.join();
    }

    httplib::Server& routes() { return *server_; }

    void start() {
        const int port = server_->bind_to_any_port("127.0.0.1");
        ASSERT_GT(port, 0);
        port_ = static_cast<unsigned short>(port);
        thread_ = std::thread([this]() { server_->listen_after_bind(); });
        const auto deadline = Clock::now() + 5s;
        while (!server_->is_running() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
        ASSERT_TRUE(server_->is_running());
    }

    // Records the request and answers `status` with `body`.
    void answer(const std::string& path, int status, std::string body) {
        server_->Get(path, [this, status, body](const httplib::Request& request,
                                                httplib::Response& response) {
            record(request);
            response.status = status;
            response.set_content(body, "application/json");
        });
    }

    void record(const httplib::Request& request) {
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.push_back(SeenRequest{request.path, request.get_header_value("Authorization"),
                                    request.get_header_value("Accept"),
                                    request.get_header_value("User-Agent"),
                                    peer_common_name(request), request.remote_port});
    }

    std::vector<SeenRequest> seen() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return seen_;
    }

    // Sleeps in small steps; false once the server is stopping.
    bool pause(std::chrono::milliseconds duration) const {
        const auto until = Clock::now() + duration;
        while (Clock::now() < until) {
            if (stopping_) return false;
            std::this_thread::sleep_for(5ms);
        }
        return !stopping_;
    }

    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] std::string url(const std::string& host = "127.0.0.1") const {
        return (dynamic_cast<httplib::SSLServer*>(server_.get()) != nullptr ? "https://"
                                                                            : "http://") +
               host + ":" + std::to_string(port_);
    }

  private:
    TempDir dir_{"piw-api-server"};
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<SeenRequest> seen_;
};

class KubeClientTest : public ::testing::Test {
  protected:
    ClientConfig config_for(const TestServer& server) const {
        ClientConfig config;
        config.server = server.url();
        config.certificate_authority_pem = ca_.certificate_pem();
        config.description = "test config";
        return config;
    }

    static std::unique_ptr<KubeClient> make_client(ClientConfig config) {
        auto client = KubeClient::create(std::move(config));
        EXPECT_TRUE(client.ok()) << client.error();
        return client.ok() ? std::move(*client) : nullptr;
    }

    // Streams `pieces` as one chunked 200 response, pausing `gap` between them.
    static void stream_pieces(TestServer& server, const std::string& path,
                              std::vector<std::string> pieces, std::chrono::milliseconds gap,
                              std::chrono::milliseconds stall_after = 0ms) {
        server.routes().Get(
            path, [&server, pieces, gap, stall_after](const httplib::Request& request,
                                                      httplib::Response& response) {
                server.record(request);
                response.set_chunked_content_provider(
                    "application/json",
                    [&server, pieces, gap, stall_after](std::size_t, httplib::DataSink& sink) {
                        for (const std::string& piece : pieces) {
                            if (!sink.write(piece.data(), piece.size())) return false;
                            if (!server.pause(gap)) return false;
                        }
                        if (stall_after > 0ms && !server.pause(stall_after)) return false;
                        sink.done();
                        return true;
                    });
            });
    }

    TempDir dir_{"piw-kube-client"};
    testing::TestCertificateAuthority ca_;
};

// --- TLS ---------------------------------------------------------------------------------------

TEST_F(KubeClientTest, GetSendsTokenAcceptAndUserAgentOverVerifiedTls) {
    TestServer server(ca_);
    server.answer("/api/v1/namespaces/default/serviceaccounts/app", 200,
                  R"({"kind":"ServiceAccount"})");
    server.start();
    ClientConfig config = config_for(server);
    config.bearer_token = "sa-token";
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api/v1/namespaces/default/serviceaccounts/app");
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body, R"({"kind":"ServiceAccount"})");
    EXPECT_TRUE(response.error.empty());
    ASSERT_EQ(server.seen().size(), 1U);
    const SeenRequest seen = server.seen()[0];
    EXPECT_EQ(seen.authorization, "Bearer sa-token");
    EXPECT_EQ(seen.accept, "application/json");
    EXPECT_THAT(seen.user_agent, ::testing::StartsWith("pod-identity-webhook/"));
}

TEST_F(KubeClientTest, ServerUrlPathPrefixIsPrepended) {
    TestServer server(ca_);
    server.answer("/proxy/k8s/api/v1/namespaces", 200, "{}");
    server.start();
    ClientConfig config = config_for(server);
    config.server = server.url() + "/proxy/k8s/";
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api/v1/namespaces").status, 200);
}

TEST_F(KubeClientTest, WrongCaFailsVerification) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    testing::TestCertificateAuthority other("some other CA");
    ClientConfig config = config_for(server);
    config.certificate_authority_pem = other.certificate_pem();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 0);
    EXPECT_TRUE(response.transport_failed());
    EXPECT_THAT(response.error, HasSubstr("certificate verify failed"));
    EXPECT_THAT(response.error, HasSubstr("local issuer"));
    EXPECT_TRUE(server.seen().empty());
}

TEST_F(KubeClientTest, CaBundleWithSeveralCertificatesWorks) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    testing::TestCertificateAuthority other("some other CA");
    ClientConfig config = config_for(server);
    config.certificate_authority_pem = other.certificate_pem() + ca_.certificate_pem();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
}

TEST_F(KubeClientTest, HostNameIsVerified) {
    ServerOptions options;
    options.certificate.dns_names = {"api.cluster.internal"};
    options.certificate.ip_addresses = {};
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();
    auto client = make_client(config_for(server));  // connects to 127.0.0.1
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 0);
    EXPECT_THAT(response.error, HasSubstr("certificate verify failed"));
    EXPECT_THAT(response.error, HasSubstr("mismatch"));
}

TEST_F(KubeClientTest, TlsServerNameIsUsedForVerification) {
    ServerOptions options;
    options.certificate.dns_names = {"api.cluster.internal"};
    options.certificate.ip_addresses = {};
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();
    ClientConfig config = config_for(server);
    config.tls_server_name = "api.cluster.internal";
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(KubeClientTest, InsecureSkipTlsVerifyAcceptsAnyCertificate) {
    ServerOptions options;
    options.self_signed = true;
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();
    ClientConfig config = config_for(server);
    config.certificate_authority_pem.clear();
    auto strict = make_client(config);  // the system store does not know this certificate
    ASSERT_NE(strict, nullptr);
    EXPECT_EQ(strict->get("/api").status, 0);
    config.insecure_skip_tls_verify = true;
    auto insecure = make_client(config);
    ASSERT_NE(insecure, nullptr);
    EXPECT_EQ(insecure->get("/api").status, 200);
}

TEST_F(KubeClientTest, PlainHttpWorks) {
    ServerOptions options;
    options.tls = false;
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();
    ClientConfig config;
    config.server = server.url();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
}

TEST_F(KubeClientTest, ClientCertificateAuthentication) {
    ServerOptions options;
    options.require_client_certificate = true;
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();

    auto anonymous = make_client(config_for(server));
    ASSERT_NE(anonymous, nullptr);
    EXPECT_EQ(anonymous->get("/api").status, 0);  // the server refuses the handshake

    testing::CertificateRequest request;
    request.common_name = "system:serviceaccount:kube-system:piw";
    const testing::PemPair pair = ca_.issue(request);
    ClientConfig config = config_for(server);
    config.client_certificate_pem = pair.certificate;
    config.client_key_pem = pair.key;
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
    ASSERT_EQ(server.seen().size(), 1U);
    EXPECT_EQ(server.seen()[0].client_common_name, "system:serviceaccount:kube-system:piw");
}

TEST_F(KubeClientTest, CreateRejectsBrokenConfigs) {
    ClientConfig config;
    config.server = "https://127.0.0.1:1";
    config.description = "kubeconfig /k";
    config.certificate_authority_pem = "not a certificate";
    auto bad_ca = KubeClient::create(config);
    ASSERT_FALSE(bad_ca.ok());
    EXPECT_THAT(bad_ca.error(), HasSubstr("contains no PEM certificate"));

    config.certificate_authority_pem.clear();
    const testing::PemPair one = ca_.issue({});
    const testing::PemPair two = ca_.issue({});
    config.client_certificate_pem = one.certificate;
    config.client_key_pem = two.key;
    auto mismatch = KubeClient::create(config);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_THAT(mismatch.error(), HasSubstr("do not match"));

    ClientConfig bad_url;
    bad_url.server = "localhost:6443";
    EXPECT_FALSE(KubeClient::create(bad_url).ok());
}

TEST_F(KubeClientTest, ConnectionRefusedIsATransportError) {
    std::unique_ptr<KubeClient> client;
    {
        TestServer server(ca_);
        server.start();
        client = make_client(config_for(server));
    }  // the port is closed now
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api", RequestOptions{2s});
    EXPECT_EQ(response.status, 0);
    EXPECT_THAT(response.error, HasSubstr("cannot connect"));
}

// --- credentials -------------------------------------------------------------------------------

TEST_F(KubeClientTest, RotatedTokenFileIsSentOnTheNextRequest) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    const auto token_file = dir_.write_file("token", "token-one");
    ClientConfig config = config_for(server);
    config.bearer_token_file = token_file.string();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
    testing::write_file(token_file, "token-two-rotated");
    EXPECT_EQ(client->get("/api").status, 200);
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].authorization, "Bearer token-one");
    EXPECT_EQ(seen[1].authorization, "Bearer token-two-rotated");
}

TEST_F(KubeClientTest, KubeletTokenSwapIsSentOnTheNextRequest) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    testing::KubeletSecretDir projected(dir_ / "serviceaccount");
    projected.write({{"token", "bound-token-1"}});
    ClientConfig config = config_for(server);
    config.bearer_token_file = projected.path_of("token").string();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
    projected.write({{"token", "bound-token-2"}});
    EXPECT_EQ(client->get("/api").status, 200);
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].authorization, "Bearer bound-token-1");
    EXPECT_EQ(seen[1].authorization, "Bearer bound-token-2");
}

// Answers 401 unless the bearer token is `good`.
void require_token(TestServer& server, const std::string& path, const std::string& good) {
    server.routes().Get(
        path, [&server, good](const httplib::Request& request, httplib::Response& response) {
            server.record(request);
            const bool ok = request.get_header_value("Authorization") == "Bearer " + good;
            response.status = ok ? 200 : 401;
            response.set_content(ok ? "{}" : R"({"kind":"Status","code":401})", "application/json");
        });
}

TEST_F(KubeClientTest, UnauthorizedRereadsTheTokenFileAndRetriesOnce) {
    TestServer server(ca_);
    require_token(server, "/api", "new1");
    server.start();
    const auto token_file = dir_.write_file("token", "old1");
    ClientConfig config = config_for(server);
    config.bearer_token_file = token_file.string();
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 401);  // old1 twice: then the client gives up
    EXPECT_EQ(server.seen().size(), 2U);

    // A change that stat() cannot see (same inode, size and mtime): only the 401 re-reads it.
    const auto mtime = std::filesystem::last_write_time(token_file);
    testing::write_file(token_file, "new1");
    std::filesystem::last_write_time(token_file, mtime);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 4U);
    EXPECT_EQ(seen[2].authorization, "Bearer old1");
    EXPECT_EQ(seen[3].authorization, "Bearer new1");
}

// A plugin that counts its runs in a file and answers the token "tok-<run>", optionally with an
// expiration time.
ExecCredentialPlugin counting_plugin(const TempDir& dir, const std::string& expiration = "") {
    const auto script = dir.write_file(
        "plugin.sh",
        "#!/bin/sh\n"
        "echo run >> \"$COUNT_FILE\"\n"
        "n=$(wc -l < \"$COUNT_FILE\" | tr -d ' ')\n"
        "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" +
            std::string(kV1) + "\",\"status\":{\"token\":\"tok-%s\"" +
            (expiration.empty() ? "" : ",\"expirationTimestamp\":\"" + expiration + "\"") +
            "}}' \"$n\"\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    ExecCredentialPlugin plugin;
    plugin.api_version = kV1;
    plugin.command = script.string();
    plugin.env = {{"COUNT_FILE", (dir / "count").string()}};
    return plugin;
}

int runs(const TempDir& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / "count", ec)) return 0;
    const std::string text = testing::read_file(dir / "count");
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST_F(KubeClientTest, ExecPluginTokenIsCachedUntilExpiration) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    ClientConfig config = config_for(server);
    config.exec = counting_plugin(dir_, "2999-01-01T00:00:00Z");
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client->get("/api").status, 200);
    EXPECT_EQ(runs(dir_), 1);
    for (const SeenRequest& seen : server.seen()) EXPECT_EQ(seen.authorization, "Bearer tok-1");
}

TEST_F(KubeClientTest, ExpiredExecCredentialIsRenewed) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    ClientConfig config = config_for(server);
    config.exec = counting_plugin(dir_, "2000-01-01T00:00:00Z");
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
    EXPECT_EQ(client->get("/api").status, 200);
    EXPECT_EQ(runs(dir_), 2);
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[1].authorization, "Bearer tok-2");
}

TEST_F(KubeClientTest, ExecPluginIsRerunAfterUnauthorized) {
    TestServer server(ca_);
    require_token(server, "/api", "tok-2");
    server.start();
    ClientConfig config = config_for(server);
    config.exec = counting_plugin(dir_);  // no expiration: cached until rejected
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(runs(dir_), 2);
    EXPECT_EQ(client->get("/api").status, 200);  // tok-2 is cached now
    EXPECT_EQ(runs(dir_), 2);
}

TEST_F(KubeClientTest, ExecPluginFailureIsReported) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    const auto script =
        dir_.write_file("aws", "#!/bin/sh\necho 'Unable to locate credentials' >&2\nexit 255\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    ClientConfig config = config_for(server);
    config.exec = ExecCredentialPlugin{kV1, script.string(), {}, {}, "", false, ""};
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 0);
    EXPECT_THAT(response.error, HasSubstr("exec plugin \"" + script.string() + "\" failed"));
    EXPECT_THAT(response.error, HasSubstr("exit status 255: Unable to locate credentials"));
    EXPECT_TRUE(server.seen().empty());
}

TEST_F(KubeClientTest, ExecPluginClientCertificate) {
    ServerOptions options;
    options.require_client_certificate = true;
    TestServer server(ca_, options);
    server.answer("/api", 200, "{}");
    server.start();
    testing::CertificateRequest request;
    request.common_name = "from-plugin";
    const testing::PemPair pair = ca_.issue(request);
    std::string answer = R"({"kind":"ExecCredential","apiVersion":")" + std::string(kV1) +
                         R"(","status":{"clientCertificateData":")";
    auto append_escaped = [](std::string& out, const std::string& pem) {
        for (const char c : pem) {
            if (c == '\n') {
                out += "\\n";
            } else {
                out += c;
            }
        }
    };
    append_escaped(answer, pair.certificate);
    answer += R"(","clientKeyData":")";
    append_escaped(answer, pair.key);
    answer += "\"}}";
    const auto answer_file = dir_.write_file("answer.json", answer);
    const auto script =
        dir_.write_file("plugin.sh", "#!/bin/sh\ncat '" + answer_file.string() + "'\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    ClientConfig config = config_for(server);
    config.exec = ExecCredentialPlugin{kV1, script.string(), {}, {}, "", false, ""};
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    ApiResponse response = client->get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
    ASSERT_EQ(server.seen().size(), 1U);
    EXPECT_EQ(server.seen()[0].client_common_name, "from-plugin");
    EXPECT_TRUE(server.seen()[0].authorization.empty());
}

// --- limits and the connection pool ------------------------------------------------------------

TEST_F(KubeClientTest, BodyLargerThanTheCapIsRefused) {
    TestServer server(ca_);
    server.answer("/big", 200, std::string(10000, 'x'));
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    RequestOptions small;
    small.max_body_bytes = 1000;
    ApiResponse refused = client->get("/big", small);
    EXPECT_EQ(refused.status, 0);
    EXPECT_THAT(refused.error, HasSubstr("too large"));
    EXPECT_TRUE(refused.body.empty());
    RequestOptions enough;
    enough.max_body_bytes = 10000;
    ApiResponse accepted = client->get("/big", enough);
    EXPECT_EQ(accepted.status, 200) << accepted.error;
    EXPECT_EQ(accepted.body.size(), 10000U);
}

TEST_F(KubeClientTest, SlowResponseTimesOut) {
    TestServer server(ca_);
    server.routes().Get("/slow", [&server](const httplib::Request&, httplib::Response& response) {
        server.pause(3s);
        response.set_content("{}", "application/json");
    });
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    const auto start = Clock::now();
    ApiResponse response = client->get("/slow", RequestOptions{300ms});
    EXPECT_EQ(response.status, 0);
    EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(KubeClientTest, ConnectionsAreKeptAliveAndSharedByThreads) {
    TestServer server(ca_);
    server.answer("/api", 200, "{}");
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
    EXPECT_EQ(client->get("/api").status, 200);
    {
        const auto seen = server.seen();
        ASSERT_EQ(seen.size(), 2U);
        EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);  // one connection, reused
    }
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&client, &ok]() {
            for (int i = 0; i < 20; ++i) {
                if (client->get("/api").status == 200) ++ok;
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 80);
}

// A plain-HTTP server that answers the first request of each connection and then closes the
// connection as soon as a second request arrives on it: what a client sees when the server
// closes an idle keep-alive connection just as the client reuses it.
class ClosingServer {
  public:
    ClosingServer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
        EXPECT_EQ(::listen(listener_, 8), 0);
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this]() { serve(); });
    }
    ~ClosingServer() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] int connections() const { return connections_; }

  private:
    static bool read_request(int fd) {
        std::string data;
        char buffer[4096];
        while (data.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return false;
            data.append(buffer, static_cast<std::size_t>(n));
        }
        return true;
    }
    void serve() {
        for (;;) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            ++connections_;
            if (read_request(fd)) {
                const std::string answer =
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2\r\n\r\n{}";
                (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
                read_request(fd);  // the reuse: close without answering
            }
            ::close(fd);
        }
    }

    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<int> connections_{0};
    std::thread thread_;
};

TEST_F(KubeClientTest, ClosedKeepAliveConnectionIsReplacedTransparently) {
    ClosingServer server;
    ClientConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server.port());
    auto client = make_client(config);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);
    ApiResponse second = client->get("/api");
    EXPECT_EQ(second.status, 200) << second.error;
    EXPECT_EQ(server.connections(), 2);
}

// --- watch -------------------------------------------------------------------------------------

TEST_F(KubeClientTest, WatchSplitsLinesAcrossAndWithinChunks) {
    TestServer server(ca_);
    stream_pieces(server, "/watch",
                  {R"({"type":"ADDED","n":1})"
                   "\n"
                   R"({"type":"MOD)",
                   R"(IFIED","n":2})"
                   "\n"
                   R"({"type":"DELETED","n":3})"
                   "\n"
                   R"({"n")",
                   ":", "4}\n\n"},
                  30ms);
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    std::vector<std::string> lines;
    ApiResponse response = client->watch("/watch", [&lines](std::string_view line) {
        lines.emplace_back(line);
        return true;
    });
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.error, "");
    EXPECT_THAT(lines, ElementsAre(R"({"type":"ADDED","n":1})", R"({"type":"MODIFIED","n":2})",
                                   R"({"type":"DELETED","n":3})", R"({"n":4})"));
}

TEST_F(KubeClientTest, WatchStopsWhenTheHandlerSaysSo) {
    TestServer server(ca_);
    stream_pieces(server, "/watch", {"a\nb\nc\n"}, 0ms, 10s);
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    std::vector<std::string> lines;
    const auto start = Clock::now();
    ApiResponse response = client->watch("/watch", [&lines](std::string_view line) {
        lines.emplace_back(line);
        return false;
    });
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.error, "");
    EXPECT_THAT(lines, ElementsAre("a"));
    EXPECT_LT(Clock::now() - start, 5s);
}

TEST_F(KubeClientTest, WatchClosesOnAnOversizedLine) {
    TestServer server(ca_);
    stream_pieces(server, "/watch", {"short\n", std::string(100, 'x'), "\nafter\n"}, 10ms);
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    std::vector<std::string> lines;
    WatchOptions options;
    options.max_line_bytes = 64;
    ApiResponse response = client->watch(
        "/watch",
        [&lines](std::string_view line) {
            lines.emplace_back(line);
            return true;
        },
        options);
    EXPECT_EQ(response.status, 200);
    EXPECT_THAT(response.error, HasSubstr("larger than 64 bytes"));
    EXPECT_THAT(lines, ElementsAre("short"));
}

TEST_F(KubeClientTest, StalledWatchIsClosedAfterTheIdleTimeout) {
    TestServer server(ca_);
    stream_pieces(server, "/watch", {"first\n"}, 0ms, 10s);
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    std::vector<std::string> lines;
    WatchOptions options;
    options.idle_timeout = 400ms;
    const auto start = Clock::now();
    ApiResponse response = client->watch(
        "/watch",
        [&lines](std::string_view line) {
            lines.emplace_back(line);
            return true;
        },
        options);
    const auto elapsed = Clock::now() - start;
    EXPECT_EQ(response.status, 200);
    EXPECT_THAT(response.error, HasSubstr("stalled"));
    EXPECT_THAT(lines, ElementsAre("first"));
    EXPECT_GE(elapsed, 350ms);
    EXPECT_LT(elapsed, 3s);
}

TEST_F(KubeClientTest, WatchErrorAnswerReturnsStatusAndBody) {
    TestServer server(ca_);
    const std::string gone = R"({"kind":"Status","code":410,"reason":"Expired"})";
    server.answer("/watch", 410, gone);
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    int calls = 0;
    ApiResponse response = client->watch("/watch", [&calls](std::string_view) {
        ++calls;
        return true;
    });
    EXPECT_EQ(response.status, 410);
    EXPECT_EQ(response.body, gone);
    EXPECT_EQ(calls, 0);
}

TEST_F(KubeClientTest, ShutdownUnblocksAWatchPromptlyAndFailsLaterCalls) {
    TestServer server(ca_);
    stream_pieces(server, "/watch", {"first\n"}, 0ms, 20s);
    server.answer("/api", 200, "{}");
    server.start();
    auto client = make_client(config_for(server));
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->get("/api").status, 200);  // leaves an idle pooled connection
    std::atomic<bool> got_line{false};
    ApiResponse watch_response;
    Clock::time_point watch_returned;
    std::thread watcher([&client, &got_line, &watch_response, &watch_returned]() {
        WatchOptions options;
        options.idle_timeout = 60s;
        watch_response = client->watch(
            "/watch",
            [&got_line](std::string_view) {
                got_line = true;
                return true;
            },
            options);
        watch_returned = Clock::now();
    });
    const auto deadline = Clock::now() + 5s;
    while (!got_line && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(got_line);
    std::this_thread::sleep_for(100ms);  // the watch is blocked in a read now
    const auto shutdown_at = Clock::now();
    client->shutdown();
    watcher.join();
    EXPECT_LT(watch_returned - shutdown_at, 1s);
    EXPECT_EQ(watch_response.status, 0);
    EXPECT_EQ(watch_response.error, "client shut down");
    ApiResponse later = client->get("/api");
    EXPECT_EQ(later.status, 0);
    EXPECT_EQ(later.error, "client shut down");
    EXPECT_EQ(client->watch("/watch", [](std::string_view) { return true; }).error,
              "client shut down");
}

}  // namespace
}  // namespace piw::kube
