#pragma once
// Helpers for the binary-level tests of `pod-identity-webhook oidc …`: run the real executable,
// make keys and tokens with the openssl command-line tool (an implementation other than ours), and
// compute what kube-apiserver would publish for them (spec/oidc.md §1.3) with the CLI as well.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace piw::testing {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;

    [[nodiscard]] nlohmann::json json() const;  // stdout as JSON (discarded if it is not)
    // The codes of the findings in a JSON report.
    [[nodiscard]] std::vector<std::string> codes() const;
};

// `pod-identity-webhook oidc ARGS…`; `stdin_path` (optional) becomes its standard input.
CliResult run_oidc(const std::vector<std::string>& args, const std::string& stdin_path = {});

// /bin/sh -c COMMAND; its stdout without the trailing newline. A failure throws.
std::string shell(const std::string& command);
std::string shell_quote(const std::string& text);

// openssl genrsa / ecparam -genkey; returns the path of the private key PEM.
std::string make_rsa_key(const std::filesystem::path& dir, const std::string& name,
                         int bits = 2048);
std::string make_ec_key(const std::filesystem::path& dir, const std::string& name,
                        const std::string& curve = "prime256v1");

// base64url(SHA-256(DER SPKI)) of a key file, with the openssl CLI.
std::string openssl_kid(const std::string& key_path);

std::string base64url(const std::string& bytes);

// A compact JWS signed with the openssl CLI: RS256/384/512 with an RSA key, ES256/384/512 with an
// EC key (DER converted to r||s).
std::string sign_token(const nlohmann::json& header, const nlohmann::json& claims,
                       const std::string& key_path);

// Claims as kube-apiserver puts them in a projected token for payments/api (pod api-0).
nlohmann::json projected_claims(const std::string& issuer, long long now,
                                long long lifetime = 86400);

}  // namespace piw::testing
