#include "cli/oidc/published_documents.hpp"

#include "pod_identity_webhook/oidc/discovery.hpp"

namespace piw::cli::oidc_cli {
namespace {

using oidc::Finding;
using oidc::Severity;

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Content-Type and Cache-Control as info: STS's needs are undocumented, kube's are known.
void report_headers(const Fetched& fetched, Report& report) {
    report.add({Severity::info, "http-headers",
                fetched.url + ": Content-Type \"" + fetched.content_type + "\", Cache-Control \"" +
                    fetched.cache_control + "\"",
                ""});
}

std::optional<std::string> fetch_one(const std::string& url, const FetchOptions& options,
                                     const std::string& what, Report& report, Status& transport) {
    auto fetched = fetch_url(url, options, oidc::kMaxDocumentBytes);
    if (!fetched) {
        transport = Error{fetched.error()};
        return std::nullopt;
    }
    auto problems = public_fetch_findings(*fetched, what);
    if (!problems.empty()) {
        report.add(problems);
        return std::nullopt;
    }
    report_headers(*fetched, report);
    return std::move(fetched->body);
}

}  // namespace

Result<DocumentBytes> read_document_dir(const std::string& dir, std::istream& in) {
    DocumentBytes bytes;
    auto discovery =
        read_capped(dir + std::string(oidc::kDiscoveryPath), oidc::kMaxDocumentBytes, in);
    if (!discovery) return Error{discovery.error()};
    auto jwks = read_capped(dir + std::string(oidc::kJwksPath), oidc::kMaxDocumentBytes, in);
    if (!jwks) return Error{jwks.error()};
    bytes.discovery = std::move(*discovery);
    bytes.jwks = std::move(*jwks);
    return bytes;
}

std::string issuer_of_url(const std::string& url) {
    if (ends_with(url, oidc::kDiscoveryPath)) {
        return url.substr(0, url.size() - oidc::kDiscoveryPath.size());
    }
    return url;
}

Result<FetchedDocuments> fetch_published_documents(const std::string& url,
                                                   const FetchOptions& options, Report& report) {
    FetchedDocuments documents;
    documents.issuer_url = issuer_of_url(url);
    Status transport;
    documents.discovery = fetch_one(documents.issuer_url + std::string(oidc::kDiscoveryPath),
                                    options, "the discovery document", report, transport);
    if (!transport) return Error{transport.error()};
    if (!documents.discovery) return documents;
    auto parsed = oidc::parse_openid_configuration(*documents.discovery);
    if (!parsed) return documents;  // reported by check_document_bytes
    const auto jwks_uri_problems = oidc::validate_jwks_uri(parsed->issuer, parsed->jwks_uri);
    if (oidc::has_errors(jwks_uri_problems)) return documents;  // reported by the checks too
    documents.jwks = fetch_one(parsed->jwks_uri, options, "the JWKS", report, transport);
    if (!transport) return Error{transport.error()};
    return documents;
}

ParsedDocuments check_document_bytes(const std::optional<std::string>& discovery,
                                     const std::optional<std::string>& jwks,
                                     const std::string& expected_issuer, Report& report) {
    ParsedDocuments parsed;
    if (discovery) {
        auto document = oidc::parse_openid_configuration(*discovery);
        if (document) {
            parsed.discovery = std::move(*document);
        } else {
            report.add({Severity::error, "discovery-invalid",
                        "the discovery document: " + document.error(), ""});
        }
    }
    if (jwks) {
        auto keys = oidc::parse_jwks(*jwks);
        if (keys) {
            parsed.jwks = std::move(*keys);
        } else {
            report.add({Severity::error, "jwks-invalid", "the JWKS: " + keys.error(), ""});
        }
    }
    if (parsed.discovery && parsed.jwks) {
        report.add(oidc::check_documents(*parsed.discovery, *parsed.jwks, expected_issuer));
    } else if (parsed.discovery) {
        report.add(oidc::check_discovery_document(*parsed.discovery, expected_issuer));
    }
    return parsed;
}

}  // namespace piw::cli::oidc_cli
