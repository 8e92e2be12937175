#pragma once
// Where the `oidc` subcommands get their bytes (private to the cli room; the only I/O of the
// toolkit besides writing --out-dir): size-capped files or stdin, HTTPS URLs fetched the way STS
// fetches them (anonymous, TLS verified, redirects reported and never followed), and the API
// server's two issuer-discovery endpoints through the kube client.

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/oidc/arguments.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/oidc/finding.hpp"

namespace piw::cli::oidc_cli {

// The whole file ("-": stdin), at most `cap` bytes; the error names the file.
Result<std::string> read_capped(const std::string& path, std::size_t cap, std::istream& in);

// A token file ("-": stdin) without its trailing newline. The cap is well above STS's 20000
// characters so that an oversize token is reported as such by the checks, not as a read error.
Result<std::string> read_token(const std::string& path, std::istream& in);

// Writes `bytes` exactly, creating parent directories.
Status write_file(const std::string& path, const std::string& bytes);

struct Fetched {
    std::string url;
    int status = 0;
    std::string body;
    bool too_large = false;  // the body exceeded the cap (status is 0)
    std::string content_type;
    std::string cache_control;
    std::string location;
};

// How public URLs are fetched.
struct FetchOptions {
    std::string ca_file;  // PEM bundle; "" → the system store (what STS trusts is public CAs)
    // "HOST:PORT": open the connection there instead of to the URL's host and port 443, still
    // verifying the certificate for the URL's host (like curl's --connect-to; the Host header
    // names HOST:PORT): for a stand-in on a local port, e.g. the tests'.
    std::string connect_to;
};

// --connect-to and the CA flag of the command (`ca_flag`: "ca-file" or "url-ca-file").
FetchOptions fetch_options(const Arguments& arguments, const std::string& ca_flag);

// An anonymous GET of an https:// URL, TLS verified. Error only when no answer came (DNS,
// refused, TLS, timeout): the CLI's exit code 3.
Result<Fetched> fetch_url(const std::string& url, const FetchOptions& options, std::size_t cap);

// What a public document's answer means for STS: redirects, 400/403/404 and other statuses are
// errors with hints; none when it is a 200 with a body within the cap. `what` names the document.
std::vector<oidc::Finding> public_fetch_findings(const Fetched& fetched, const std::string& what);

// The API server to fetch from: --server/--token-file/--ca-file, else --kubeconfig (or
// $KUBECONFIG, or ~/.kube/config when it exists) with --context, else the in-cluster config.
extern const std::vector<FlagSpec> kApiServerFlags;

struct ApiServerDocuments {
    std::string description;  // which API server and how (for messages)
    Fetched discovery;
    Fetched jwks;
};

// GETs /.well-known/openid-configuration and /openid/v1/jwks. Error when no answer came.
Result<ApiServerDocuments> fetch_from_apiserver(const Arguments& arguments, std::size_t cap);

// 401/403 (with the RBAC hint of spec/oidc.md §1.6), 404 (discovery not installed) and others.
std::vector<oidc::Finding> apiserver_fetch_findings(const Fetched& fetched,
                                                    const std::string& description);

}  // namespace piw::cli::oidc_cli
