#pragma once
// Where the credentials of each request come from (private to the kube room): a static token, a
// token file re-read when it changes (bound ServiceAccount tokens rotate; kubelet swaps the
// `..data` symlink), or an exec credential plugin whose answer is cached until it expires or the
// server rejects it. Never logs or puts tokens and keys in error messages.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/kube/client_config.hpp"

namespace piw::kube {

// What one request authenticates with.
struct Credentials {
    std::string bearer_token;  // "" → no Authorization header
    // Client certificate (with any chain) and key, PEM; "" → none. From the config or the plugin.
    std::string client_certificate_pem;
    std::string client_key_pem;
    // Changes whenever the client certificate changes: TLS connections made with an older one
    // must not be reused.
    std::uint64_t certificate_generation = 0;
};

// status of an ExecCredential.
struct ExecCredential {
    std::string token;
    std::string client_certificate_pem;
    std::string client_key_pem;
    std::optional<std::chrono::system_clock::time_point> expiration;
};

// spec.cluster of KUBERNETES_EXEC_INFO (provideClusterInfo: true).
struct ExecClusterInfo {
    std::string server;
    std::string tls_server_name;
    bool insecure_skip_tls_verify = false;
    std::string certificate_authority_pem;
};

// RFC 3339 ("2024-05-01T10:00:00Z", fractional seconds and numeric offsets allowed).
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// Parses the plugin's stdout; its apiVersion must equal `expected_api_version`. Errors name what
// is wrong, never the token.
Result<ExecCredential> parse_exec_credential(std::string_view text,
                                             std::string_view expected_api_version);

// The KUBERNETES_EXEC_INFO value: {"kind":"ExecCredential","apiVersion":...,"spec":{...}}.
std::string exec_info_json(const ExecCredentialPlugin& plugin,
                           const std::optional<ExecClusterInfo>& cluster);

struct ExecLimits {
    std::chrono::milliseconds timeout{30000};  // then the plugin is killed
    std::size_t max_output_bytes = 1024U * 1024U;
    std::size_t max_stderr_bytes = 64U * 1024U;
};

// Runs the plugin (stdin /dev/null, the process environment plus the plugin's and
// KUBERNETES_EXEC_INFO) and parses its answer. Errors: `exec plugin "aws" failed: exit status 1:
// <first line of stderr>`, a missing command mentions the install hint.
Result<ExecCredential> run_exec_plugin(const ExecCredentialPlugin& plugin,
                                       const std::optional<ExecClusterInfo>& cluster,
                                       const ExecLimits& limits = {});

// Reads a token file (size-capped, surrounding whitespace trimmed, must not be empty).
Result<std::string> read_token_file(const std::string& path);

struct CredentialSourceOptions {
    ExecLimits exec_limits;
    // An exec credential is renewed this long before its expirationTimestamp.
    std::chrono::seconds refresh_before_expiry{30};
};

// Thread-safe. current() may block while an exec plugin runs (other callers wait for its answer
// rather than starting their own).
class CredentialSource {
  public:
    explicit CredentialSource(const ClientConfig& config, CredentialSourceOptions options = {});

    // The credentials to send now: the static ones, the token file's current content (stat per
    // call, re-read when its identity/size/mtime changed), or the cached exec credential (the
    // plugin is run when there is none or it is about to expire).
    Result<Credentials> current();

    // The server answered 401 to a request made with `rejected`: the next current() re-reads the
    // token file and re-runs the exec plugin (unless the credentials already changed meanwhile).
    void reject(const Credentials& rejected);

    [[nodiscard]] bool has_exec_plugin() const { return exec_.has_value(); }

  private:
    struct FileIdentity {
        dev_t device = 0;
        ino_t inode = 0;
        off_t size = 0;
        std::int64_t mtime_ns = 0;
        bool operator==(const FileIdentity&) const = default;
    };

    Result<Credentials> token_file_credentials();
    Result<Credentials> exec_credentials();
    void adopt_certificate(const std::string& certificate_pem, const std::string& key_pem);

    CredentialSourceOptions options_;
    std::string static_token_;
    std::string static_certificate_pem_;
    std::string static_key_pem_;
    std::string token_file_;
    std::optional<ExecCredentialPlugin> exec_;
    std::optional<ExecClusterInfo> exec_cluster_;

    std::mutex mutex_;
    // Token file state.
    std::optional<FileIdentity> file_identity_;
    std::string file_token_;
    // Exec state.
    std::optional<ExecCredential> exec_cached_;
    // Certificate currently handed out, and its generation.
    std::string current_certificate_pem_;
    std::string current_key_pem_;
    std::uint64_t certificate_generation_ = 0;
};

}  // namespace piw::kube
