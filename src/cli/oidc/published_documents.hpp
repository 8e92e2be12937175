#pragma once
// The two issuer-discovery documents as the subcommands get them — from a directory laid out as
// in the bucket, from the issuer's URL (as STS fetches them), or as bytes — and the `--check`
// rules run on them (private to the cli room).

#include <optional>
#include <string>
#include <vector>

#include "cli/oidc/report.hpp"
#include "cli/oidc/sources.hpp"
#include "pod_identity_webhook/oidc/published.hpp"

namespace piw::cli::oidc_cli {

struct DocumentBytes {
    std::string discovery;
    std::string jwks;
};

// DIR/.well-known/openid-configuration and DIR/openid/v1/jwks (what `discovery --out-dir`
// writes and `aws s3 cp --recursive` uploads). Error when a file cannot be read.
Result<DocumentBytes> read_document_dir(const std::string& dir, std::istream& in);

// The issuer's discovery document (URL + "/.well-known/openid-configuration", or the URL itself
// when it already ends so), then its jwks_uri: HTTP problems become findings, headers info
// findings. nullopt-members when a document could not be had. Error only for transport failures.
struct FetchedDocuments {
    std::optional<std::string> discovery;
    std::optional<std::string> jwks;
    std::string issuer_url;  // the URL the discovery document was expected under
};
Result<FetchedDocuments> fetch_published_documents(const std::string& url,
                                                   const FetchOptions& options, Report& report);

// The issuer URL a discovery URL belongs to ("…/.well-known/openid-configuration" removed).
std::string issuer_of_url(const std::string& url);

struct ParsedDocuments {
    std::optional<oidc::DiscoveryDocument> discovery;
    std::optional<std::vector<oidc::PublishedJwk>> jwks;
};

// Parses both (a parse failure is an error finding) and, when both parse, runs every --check
// rule against `expected_issuer` ("" → not compared).
ParsedDocuments check_document_bytes(const std::optional<std::string>& discovery,
                                     const std::optional<std::string>& jwks,
                                     const std::string& expected_issuer, Report& report);

}  // namespace piw::cli::oidc_cli
