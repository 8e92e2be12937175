#pragma once
// Harness for the binary-level and end-to-end suites: runs the real pod-identity-webhook
// executable (PIW_BINARY_PATH) as a child process, the way an operator would, on ephemeral ports of
// 127.0.0.1, and talks to it over TLS like the API server does.
//
//   WebhookProcess webhook({.arguments = {"--aws-default-region=eu-west-1"}});
//   ASSERT_TRUE(webhook.start()) << webhook.start_error();
//   auto answer = webhook.post_review(typical_review().dump());
//   ASSERT_TRUE(answer.ok()) << answer.error();
//
// Each WebhookProcess owns a temporary directory with a test CA, a serving certificate projected
// the way kubelet projects a Secret (so tests can rotate it), and a ServiceAccounts file. The
// child is killed (SIGKILL) when the object goes away, if it is still running.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"
#include "support/certificates.hpp"
#include "support/child_process.hpp"
#include "support/kubelet_secret_dir.hpp"
#include "support/temp_dir.hpp"
#include "support/test_client.hpp"

namespace piw::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// ---- test data --------------------------------------------------------------------------------

// tests/data/<name>, read whole.
std::string test_data(std::string_view name);
// tests/data/typical-review.json: a v1 AdmissionReview for a pod of payments/payments-api (two
// containers, one init container, three volumes).
Json typical_review();
// The ServiceAccounts the harness serves unless told otherwise: tests/data/typical-sa.yaml
// (payments/payments-api: role-arn + sts-regional-endpoints "true") plus payments/no-role (no
// annotations) and payments/batch (no annotations; reload tests give it a role).
std::string default_service_accounts();

inline constexpr std::string_view kPaymentsRoleArn = "arn:aws:iam::111122223333:role/payments-api";
inline constexpr std::string_view kWebIdentityMountPath =
    "/var/run/secrets/eks.amazonaws.com/serviceaccount";
inline constexpr std::string_view kWebIdentityTokenFile =
    "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

// A v1 AdmissionReview (CREATE of a Pod) around `pod`, in `namespace_`.
Json make_review(const Json& pod, std::string_view namespace_, std::string_view uid,
                 std::string_view api_version = "admission.k8s.io/v1");
// A minimal pod: one container "app" running the given ServiceAccount.
Json simple_pod(std::string_view name, std::string_view service_account);
// typical_review() with its pod's ServiceAccount (and uid) replaced.
Json typical_review_for(std::string_view service_account, std::string_view uid);

// ---- admission answers ------------------------------------------------------------------------

struct AdmissionAnswer {
    Json review;                // the whole AdmissionReview that came back
    Json response;              // review["response"]
    std::optional<Json> patch;  // the decoded JSONPatch, when there is one
};

// Parses an HTTP answer to /mutate: status 200, a JSON AdmissionReview, base64 JSONPatch decoded.
Result<AdmissionAnswer> parse_admission_answer(const HttpResponseMessage& message);
// RFC 4648 base64 (with padding), as Go's encoding/json emits []byte. Error on bad input.
Result<std::string> base64_decode(std::string_view text);
// Applies the answer's patch (if any) to the request's pod, like the API server does.
Result<Json> patched_pod(const Json& request_review, const AdmissionAnswer& answer);

// Env of a container as (name, value) pairs in order; valueFrom entries get value "<valueFrom>".
std::vector<std::pair<std::string, std::string>> env_of(const Json& container);
// The value of one env var, if present.
std::optional<std::string> env_value(const Json& container, std::string_view name);
// The first element of `array` whose "name" is `name`, or null.
Json find_named(const Json& array, std::string_view name);

// ---- metrics ----------------------------------------------------------------------------------

using Labels = std::vector<std::pair<std::string, std::string>>;
// The value of the first sample named exactly `name` whose labels include all of `labels`, in a
// Prometheus text exposition. nullopt if there is none.
std::optional<double> metric_sample(std::string_view exposition, std::string_view name,
                                    const Labels& labels = {});

// ---- the process ------------------------------------------------------------------------------

struct WebhookOptions {
    std::vector<std::string> arguments{};  // extra flags, after the harness's own
    // Content of the --service-accounts-file; nullopt: default_service_accounts().
    std::optional<std::string> service_accounts = std::nullopt;
    std::string certificate_cn = "webhook-a";  // CN of the first serving certificate
    // true: tls.crt/tls.key are a kubelet-projected Secret (symlinks through ..data); false:
    // plain files, rewritten in place by rotate_certificate().
    bool kubelet_certificates = true;
    // false: no --service-accounts-file (tests that point the binary at a Kubernetes API).
    bool service_accounts_file = true;
};

class WebhookProcess {
  public:
    explicit WebhookProcess(WebhookOptions options = {});
    ~WebhookProcess();
    WebhookProcess(const WebhookProcess&) = delete;
    WebhookProcess& operator=(const WebhookProcess&) = delete;

    // Starts the binary and waits (10 s) for its "serving webhook_port=… metrics_port=…" line.
    // False on failure; start_error() then says why, with the child's stderr.
    bool start();
    [[nodiscard]] const std::string& start_error() const { return start_error_; }

    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] unsigned short metrics_port() const { return metrics_port_; }
    [[nodiscard]] ChildProcess& process() { return *process_; }
    [[nodiscard]] const TempDir& dir() const { return dir_; }
    [[nodiscard]] const TestCertificateAuthority& ca() const { return ca_; }
    [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.crt").string(); }
    [[nodiscard]] std::filesystem::path service_accounts_file() const {
        return dir_ / "service-accounts.yaml";
    }
    // The child's stderr so far (its log), for failure messages.
    [[nodiscard]] std::string log() const;

    // Replaces the ServiceAccounts file atomically (write a sibling, rename over).
    void write_service_accounts(std::string_view content) const;
    // A new serving certificate (signed by the test CA): a kubelet-style swap, or the two plain
    // files rewritten in place (certificate first, then key) without kubelet_certificates.
    void rotate_certificate(const std::string& common_name);
    // Arbitrary tls.crt / tls.key contents (e.g. a mismatched or garbage pair), installed the
    // same way.
    void project_certificate_files(const std::string& certificate, const std::string& key);

    // Client TLS options that verify the server against the test CA.
    [[nodiscard]] ClientTlsOptions tls() const;
    // A fresh connection to the webhook port with the TLS handshake done.
    Result<TestConnection> connect(std::chrono::milliseconds timeout = 5s) const;
    // One request on a fresh TLS connection to the webhook port.
    Result<HttpResponseMessage> request(std::string_view method, std::string_view target,
                                        std::string_view body = {}, const Headers& headers = {},
                                        std::chrono::milliseconds timeout = 5s) const;
    // POST /mutate with Content-Type: application/json on a fresh connection.
    Result<HttpResponseMessage> post_review(std::string_view body,
                                            std::chrono::milliseconds timeout = 5s) const;
    // post_review + parse_admission_answer.
    Result<AdmissionAnswer> admit(const Json& review) const;
    // GET on the plain-HTTP metrics port.
    Result<HttpResponseMessage> metrics_get(std::string_view target = "/metrics") const;
    // One metric sample from /metrics (nullopt if absent or /metrics fails).
    std::optional<double> metric(std::string_view name, const Labels& labels = {}) const;
    // Polls /metrics until the sample reaches at least `minimum`.
    bool wait_for_metric_at_least(std::string_view name, const Labels& labels, double minimum,
                                  std::chrono::milliseconds timeout) const;
    // Polls the child's stderr until it contains `needle` (plain substring).
    bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) const;

  private:
    [[nodiscard]] std::filesystem::path certificate_file() const;
    [[nodiscard]] std::filesystem::path key_file() const;

    WebhookOptions options_;
    TempDir dir_;
    TestCertificateAuthority ca_;
    KubeletSecretDir certificates_;
    std::unique_ptr<ChildProcess> process_;
    std::string start_error_;
    unsigned short port_ = 0;
    unsigned short metrics_port_ = 0;
};

// ---- one-shot runs ----------------------------------------------------------------------------

struct RunResult {
    std::optional<int> exit_code;  // nullopt: it did not exit within the timeout (then killed)
    std::string out;
    std::string err;
};

// Runs the binary with `arguments` to completion (a command that is expected to exit).
RunResult run_binary(const std::vector<std::string>& arguments,
                     std::chrono::milliseconds timeout = 10s);
// Runs the binary with stdin redirected from `stdin_file` (through /bin/sh).
RunResult run_binary_with_stdin(const std::vector<std::string>& arguments,
                                const std::filesystem::path& stdin_file,
                                std::chrono::milliseconds timeout = 10s);

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns its last value.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace piw::testing
