#pragma once
// The fake AWS's check of a web-identity token, done by tests/e2e/sdk/verify-token.mjs with
// Node's crypto against the issuer documents `pod-identity-webhook oidc discovery` rendered —
// not by our C++. What STS accepts then proves the whole chain: the kubelet's token, the kid and
// key our binary published, and a verifier that shares none of our code.

#include <filesystem>
#include <string>
#include <string_view>

#include "crypto.hpp"

namespace piw::e2e {

// The issuer's published documents, as an OIDC relying party would fetch them.
struct IssuerDocuments {
    std::filesystem::path discovery;  // <issuer>/.well-known/openid-configuration
    std::filesystem::path jwks;       // <issuer>/openid/v1/jwks
};

struct TokenVerdict {
    bool ok = false;
    // The check that refused the token (discovery, malformed, issuer, kid, alg, signature,
    // audience, expired, not-yet-valid); "verifier" if the script itself failed.
    std::string failed;
    std::string reason;
    // The token's claims as written (null when it could not be read), signature checked or not.
    Json sub;
    Json aud;
    Json iss;
};

// Runs the verifier synchronously (node from PIW_NODE). `now` is Unix seconds.
TokenVerdict verify_token_with_node(const IssuerDocuments& documents, std::string_view token,
                                    std::string_view issuer, std::string_view audience,
                                    long long now);

}  // namespace piw::e2e
