#pragma once
// An HTTPS host on 127.0.0.1 whose answers the test configures path by path: it stands in for
// kube-apiserver's service-account issuer discovery endpoints (what `oidc` fetches with a
// kubeconfig) and for the public issuer host (an S3 bucket behind its HTTPS URL, what STS would
// fetch). Its certificate (SANs 127.0.0.1 and localhost) comes from a test CA made at
// construction; it listens from construction to destruction.
//
//   FakeHttpsHost host;
//   host.serve_discovery_documents(discovery_json, jwks_json);     // kube-apiserver's headers
//   host.require_bearer_token("test-token");                       // 401 / 403 otherwise
//   host.write_kubeconfig(dir / "kubeconfig", "test-token");
//   host.set_redirect("/old", 301, host.base_url() + "/new");
//   ... run the client ...
//   EXPECT_EQ(host.requests().front().path, "/.well-known/openid-configuration");
//
// Each response closes its connection (no keep-alive), so destruction never waits for idle
// clients. Routes answer GET (and HEAD, without the body); other methods get 405. Test code
// only: errors throw std::runtime_error.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace piw::testing {

class FakeHttpsHost {
  public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    // What a route answers. Headers are sent as given (Content-Type, Cache-Control, Location,
    // anything else); without a Content-Type a non-empty body goes out as text/plain.
    struct Response {
        int status = 200;
        Headers headers;
        std::string body;
    };

    // One request as the host saw it, in arrival order.
    struct Request {
        std::string method;
        std::string path;           // without the query
        std::string query;          // raw, without '?'
        std::string authorization;  // the Authorization header ("" when absent)
        int status = 0;             // what the host answered
    };

    // kube-apiserver's user for a bearer token other than the required one.
    static constexpr std::string_view kDefaultForbiddenUser =
        "system:serviceaccount:default:nobody";

    FakeHttpsHost();  // makes the CA and the certificate, then listens on an ephemeral port
    ~FakeHttpsHost();
    FakeHttpsHost(const FakeHttpsHost&) = delete;
    FakeHttpsHost& operator=(const FakeHttpsHost&) = delete;

    [[nodiscard]] unsigned short port() const;
    [[nodiscard]] std::string base_url() const;  // "https://127.0.0.1:<port>"
    [[nodiscard]] const std::string& ca_pem() const;
    void write_ca(const std::filesystem::path& file) const;
    // A kubeconfig for this host: server base_url(), the CA inline, `token` ("" = no user
    // credentials).
    void write_kubeconfig(const std::filesystem::path& file, const std::string& token) const;

    // --- routes (any time, from any thread; a later call for the same path replaces it) ---
    void set_route(const std::string& path, Response response);
    void remove_route(const std::string& path);
    // `status` (301, 302, 307, 308) with Location: `location` and a small body.
    void set_redirect(const std::string& path, int status, const std::string& location);
    // The two discovery documents at `path_prefix` + /.well-known/openid-configuration and
    // `path_prefix` + /openid/v1/jwks, with kube-apiserver's headers: Content-Type
    // application/json and application/jwk-set+json, Cache-Control: public, max-age=3600.
    // `path_prefix` is "" or starts with '/' (an issuer with a path, e.g. "/cluster-a").
    void serve_discovery_documents(const std::string& openid_configuration, const std::string& jwks,
                                   const std::string& path_prefix = "");

    // --- authentication (off until called) ---
    // Every path then needs "Authorization: Bearer <token>". Without a bearer token: 401 with
    // kube-apiserver's Unauthorized Status. With another bearer token: 403 with its Forbidden
    // Status naming `forbidden_user` (kube-apiserver answers so for an authenticated user that
    // RBAC does not allow; an unknown token would get 401 there).
    void require_bearer_token(std::string token,
                              std::string forbidden_user = std::string(kDefaultForbiddenUser));
    void allow_anonymous();  // authentication off again

    // --- observations ---
    [[nodiscard]] std::vector<Request> requests() const;
    [[nodiscard]] std::size_t count_requests(std::string_view path) const;  // exact path
    void clear_requests();

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// The Status bodies FakeHttpsHost answers with (kube-apiserver's, byte for byte), for assertions.
std::string kube_unauthorized_status_json();
std::string kube_forbidden_status_json(std::string_view user, std::string_view verb,
                                       std::string_view path);

}  // namespace piw::testing
