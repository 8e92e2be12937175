#include "pod_identity_webhook/oidc/discovery.hpp"

#include "oidc/go_json.hpp"

#include <algorithm>

namespace piw::oidc {
namespace {

using detail::append_go_json_string;

constexpr std::string_view kHttps = "https://";

void append_string_array(std::string& out, const std::vector<std::string>& values) {
    out.push_back('[');
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_go_json_string(out, values[i]);
    }
    out.push_back(']');
}

Finding error(std::string code, std::string message, std::string hint) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

Finding warning(std::string code, std::string message, std::string hint) {
    return {Severity::warning, std::move(code), std::move(message), std::move(hint)};
}

bool is_printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7F;
    });
}

// The parts of an https URL the checks look at; `authority` is everything between "//" and the
// first '/', '?' or '#'.
struct UrlParts {
    bool https = false;
    std::string_view authority;
    std::string_view rest;  // path, query and fragment
};

UrlParts split_url(std::string_view url) {
    UrlParts parts;
    if (url.substr(0, kHttps.size()) != kHttps) return parts;
    parts.https = true;
    const std::string_view after = url.substr(kHttps.size());
    const std::size_t end = after.find_first_of("/?#");
    parts.authority = after.substr(0, end);
    parts.rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
    return parts;
}

// A port is a ':' after the host; an IPv6 literal's colons are inside brackets.
bool has_port(std::string_view authority) {
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    return colon != std::string_view::npos &&
           (bracket == std::string_view::npos || colon > bracket);
}

std::string_view host_of(std::string_view authority) {
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority = authority.substr(at + 1);
    if (has_port(authority)) authority = authority.substr(0, authority.rfind(':'));
    return authority;
}

void check_issuer_authority(std::string_view authority, std::vector<Finding>& findings) {
    if (authority.find('@') != std::string_view::npos) {
        findings.push_back(error("issuer-has-userinfo", "the issuer carries user information",
                                 "remove the \"user@\" part"));
    }
    if (host_of(authority).empty()) {
        findings.push_back(error("issuer-no-host", "the issuer has no host name",
                                 "use https://HOST/PATH, e.g. the S3 bucket's URL"));
    }
    if (has_port(authority)) {
        findings.push_back(error("issuer-has-port", "the issuer has a port",
                                 "IAM OIDC provider URLs cannot carry a port; STS fetches the "
                                 "documents over https on port 443"));
    }
}

void check_issuer_tail(std::string_view issuer, std::string_view rest,
                       std::vector<Finding>& findings) {
    if (rest.find('?') != std::string_view::npos) {
        findings.push_back(error("issuer-has-query", "the issuer has a query ('?')",
                                 "kube-apiserver refuses an issuer with a query; remove it"));
    }
    if (rest.find('#') != std::string_view::npos) {
        findings.push_back(error("issuer-has-fragment", "the issuer has a fragment ('#')",
                                 "kube-apiserver refuses an issuer with a fragment; remove it"));
    }
    if (!issuer.empty() && issuer.back() == '/') {
        findings.push_back(error(
            "issuer-trailing-slash", "the issuer ends with a trailing slash",
            "STS compares the token's iss, the discovery document's issuer and the IAM provider "
            "URL byte for byte; drop the trailing '/' everywhere (the API server flag included)"));
    }
}

}  // namespace

std::string default_jwks_uri(std::string_view issuer) {
    return std::string(issuer) + std::string(kJwksPath);
}

std::vector<std::string> signing_algorithms(const std::vector<PublicKey>& keys) {
    std::vector<std::string> algs;
    algs.reserve(keys.size());
    for (const PublicKey& key : keys) algs.push_back(key.alg);
    std::sort(algs.begin(), algs.end());  // byte order, like Go's sort.Strings
    algs.erase(std::unique(algs.begin(), algs.end()), algs.end());
    return algs;
}

std::string render_openid_configuration(std::string_view issuer, std::string_view jwks_uri,
                                        const std::vector<PublicKey>& keys) {
    std::string out;
    out.append(R"({"issuer":)");
    append_go_json_string(out, issuer);
    out.append(R"(,"jwks_uri":)");
    append_go_json_string(out, jwks_uri);
    out.append(R"(,"response_types_supported":["id_token"],"subject_types_supported":["public"],)"
               R"("id_token_signing_alg_values_supported":)");
    append_string_array(out, signing_algorithms(keys));
    out.push_back('}');
    return out;
}

std::string render_jwks(const std::vector<PublicKey>& keys) {
    std::string out = R"({"keys":[)";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_jwk(out, keys[i]);
    }
    out.append("]}");
    return out;
}

std::vector<Finding> validate_issuer(std::string_view issuer) {
    std::vector<Finding> findings;
    if (issuer.empty()) {
        findings.push_back(error("issuer-empty", "the issuer is empty",
                                 "use the https URL the documents will be published under"));
        return findings;
    }
    if (issuer.size() > kMaxIssuerLength) {
        findings.push_back(error("issuer-too-long",
                                 "the issuer is " + std::to_string(issuer.size()) +
                                     " characters long; IAM allows at most " +
                                     std::to_string(kMaxIssuerLength),
                                 "use a shorter bucket name or prefix"));
    }
    if (!is_printable_ascii(issuer)) {
        findings.push_back(error("issuer-invalid-character",
                                 "the issuer contains spaces, control or non-ASCII characters",
                                 "check for stray whitespace or quotes around the value"));
    }
    const UrlParts parts = split_url(issuer);
    if (!parts.https) {
        findings.push_back(error("issuer-not-https", "the issuer does not start with https://",
                                 "kube-apiserver serves no discovery documents for a non-https "
                                 "issuer, and IAM requires https"));
        return findings;  // without a scheme, host and path cannot be told apart
    }
    check_issuer_authority(parts.authority, findings);
    check_issuer_tail(issuer, parts.rest, findings);
    return findings;
}

std::vector<Finding> validate_jwks_uri(std::string_view issuer, std::string_view jwks_uri) {
    std::vector<Finding> findings;
    const UrlParts jwks = split_url(jwks_uri);
    if (!jwks.https) {
        findings.push_back(error("jwks-uri-not-https", "jwks_uri does not start with https://",
                                 "kube-apiserver refuses a non-https jwks_uri, and STS fetches "
                                 "it over https"));
        return findings;
    }
    const UrlParts iss = split_url(issuer);
    if (iss.https && host_of(iss.authority) != host_of(jwks.authority)) {
        findings.push_back(
            warning("jwks-uri-other-host", "jwks_uri is on another host than the issuer",
                    "STS fetches it as well; if that host's certificate is not from a public CA, "
                    "the IAM provider needs its thumbprint too"));
    } else if (jwks_uri.substr(0, issuer.size() + 1) != std::string(issuer) + "/") {
        findings.push_back(error("jwks-uri-outside-issuer", "jwks_uri is not under the issuer",
                                 "publish the key set at " + default_jwks_uri(issuer)));
    }
    return findings;
}

}  // namespace piw::oidc
