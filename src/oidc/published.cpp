#include "pod_identity_webhook/oidc/published.hpp"

#include "pod_identity_webhook/oidc/discovery.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace piw::oidc {
namespace {

using nlohmann::json;

Finding error(std::string code, std::string message, std::string hint = {}) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

Finding warning(std::string code, std::string message, std::string hint = {}) {
    return {Severity::warning, std::move(code), std::move(message), std::move(hint)};
}

std::string string_member(const json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

Result<json> parse_object(std::string_view text, std::string_view what) {
    if (text.size() > kMaxDocumentBytes) {
        return Error{std::string(what) + " is " + std::to_string(text.size()) +
                     " bytes, more than " + std::to_string(kMaxDocumentBytes)};
    }
    auto value = json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_object()) {
        return Error{std::string(what) + " is not a JSON object"};
    }
    return value;
}

// Members that only private or symmetric JWKs have.
constexpr std::array<const char*, 7> kPrivateMembers = {"d", "p", "q", "dp", "dq", "qi", "k"};

PublishedJwk read_jwk(const json& object) {
    PublishedJwk jwk;
    jwk.kid = string_member(object, "kid");
    jwk.kty = string_member(object, "kty");
    jwk.alg = string_member(object, "alg");
    jwk.use = string_member(object, "use");
    jwk.crv = string_member(object, "crv");
    for (const char* member : kPrivateMembers) {
        if (object.contains(member)) jwk.private_members.emplace_back(member);
    }
    Result<PublicKey> key = Error{"unsupported kty \"" + jwk.kty + "\""};
    if (jwk.kty == "RSA") {
        key = public_key_from_rsa_members(string_member(object, "n"), string_member(object, "e"));
    } else if (jwk.kty == "EC") {
        key = public_key_from_ec_members(jwk.crv, string_member(object, "x"),
                                         string_member(object, "y"));
    }
    if (key.ok()) {
        jwk.key = std::move(key).value();
    } else {
        jwk.key_error = key.error();
    }
    return jwk;
}

std::string expected_alg(const PublishedJwk& jwk) {
    if (jwk.kty == "RSA") return jwk.alg.substr(0, 2) == "RS" ? jwk.alg : "RS256";
    if (jwk.crv == "P-256") return "ES256";
    if (jwk.crv == "P-384") return "ES384";
    if (jwk.crv == "P-521") return "ES512";
    return {};
}

bool is_sts_alg(std::string_view alg) {
    for (const std::string_view allowed : {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}) {
        if (alg == allowed) return true;
    }
    return false;
}

void check_issuer_match(const DiscoveryDocument& discovery, std::string_view expected,
                        std::vector<Finding>& findings) {
    if (expected.empty() || discovery.issuer == expected) return;
    const bool slash = discovery.issuer == std::string(expected) + "/" ||
                       std::string(discovery.issuer) + "/" == expected;
    findings.push_back(error(
        slash ? "discovery-issuer-trailing-slash" : "discovery-issuer-mismatch",
        "the document's issuer \"" + discovery.issuer + "\" is not \"" + std::string(expected) +
            "\"",
        "STS requires the issuer to equal the URL it fetched the document from, byte for byte"));
}

void check_key(std::size_t index, const PublishedJwk& jwk, std::vector<Finding>& findings) {
    const std::string where = "key " + std::to_string(index) + " (kid \"" + jwk.kid + "\")";
    if (!jwk.private_members.empty()) {
        findings.push_back(error("jwk-private-member", where + " publishes private members",
                                 "publish public keys only; rotate this key, it has leaked"));
    }
    if (jwk.use != "sig") {
        findings.push_back(error("jwk-use", where + " has use \"" + jwk.use + "\", not \"sig\""));
    }
    if (!is_sts_alg(jwk.alg)) {
        findings.push_back(error("jwk-alg-unsupported",
                                 where + " has alg \"" + jwk.alg + "\", which STS does not accept",
                                 "STS accepts RS256/384/512 and ES256/384/512"));
    } else if (jwk.alg != expected_alg(jwk)) {
        findings.push_back(error("jwk-alg-mismatch", where + ": alg " + jwk.alg +
                                                         " does not fit kty " + jwk.kty +
                                                         (jwk.crv.empty() ? "" : " " + jwk.crv)));
    }
    if (!jwk.key) {
        findings.push_back(error("jwk-invalid-key", where + ": " + jwk.key_error));
        return;
    }
    if (jwk.key->kid != jwk.kid) {
        findings.push_back(warning("jwk-kid-not-kube",
                                   where + ": kid is not SHA-256 of the key's SPKI",
                                   "kube-apiserver would name this key " + jwk.key->kid +
                                       "; tokens it signs carry that kid"));
    }
    if (jwk.key->type == KeyType::rsa && jwk.key->bits < 2048) {
        findings.push_back(warning(
            "jwk-rsa-too-small", where + " is a " + std::to_string(jwk.key->bits) + "-bit RSA key",
            "use at least 2048 bits"));
    }
}

void check_key_set(const DiscoveryDocument& discovery, const std::vector<PublishedJwk>& jwks,
                   std::vector<Finding>& findings) {
    if (jwks.empty()) {
        findings.push_back(error("jwks-empty", "the JWKS has no keys"));
        return;
    }
    if (jwks.size() > kMaxJwksKeys) {
        findings.push_back(warning("jwks-too-many-keys",
                                   "the JWKS has " + std::to_string(jwks.size()) + " keys",
                                   "STS reportedly reads at most 100"));
    }
    std::set<std::string> kids;
    std::set<std::string> algs;
    for (std::size_t i = 0; i < jwks.size(); ++i) {
        if (!kids.insert(jwks[i].kid).second) {
            findings.push_back(
                error("jwks-duplicate-kid", "kid \"" + jwks[i].kid + "\" appears more than once"));
        }
        algs.insert(jwks[i].alg);
        check_key(i, jwks[i], findings);
    }
    const std::vector<std::string> listed(algs.begin(), algs.end());  // sorted, unique
    if (discovery.algs != listed) {
        findings.push_back(error("discovery-algs-mismatch",
                                 "id_token_signing_alg_values_supported is not the sorted set of "
                                 "the keys' algs",
                                 "render both documents from the same keys"));
    }
}

}  // namespace

Result<DiscoveryDocument> parse_openid_configuration(std::string_view text) {
    auto object = parse_object(text, "the discovery document");
    if (!object) return Error{object.error()};
    DiscoveryDocument doc;
    const auto issuer = object->find("issuer");
    const auto jwks_uri = object->find("jwks_uri");
    if (issuer == object->end() || !issuer->is_string() || jwks_uri == object->end() ||
        !jwks_uri->is_string()) {
        return Error{"the discovery document needs string members issuer and jwks_uri"};
    }
    doc.issuer = issuer->get<std::string>();
    doc.jwks_uri = jwks_uri->get<std::string>();
    const auto algs = object->find("id_token_signing_alg_values_supported");
    if (algs != object->end() && algs->is_array()) {
        for (const auto& alg : *algs) {
            if (alg.is_string()) doc.algs.push_back(alg.get<std::string>());
        }
    }
    return doc;
}

Result<std::vector<PublishedJwk>> parse_jwks(std::string_view text) {
    auto object = parse_object(text, "the JWKS");
    if (!object) return Error{object.error()};
    const auto keys = object->find("keys");
    if (keys == object->end() || !keys->is_array()) return Error{"the JWKS has no keys array"};
    std::vector<PublishedJwk> out;
    for (const auto& entry : *keys) {
        if (!entry.is_object()) return Error{"a JWKS entry is not a JSON object"};
        out.push_back(read_jwk(entry));
    }
    return out;
}

std::vector<Finding> check_discovery_document(const DiscoveryDocument& discovery,
                                              std::string_view expected_issuer) {
    std::vector<Finding> findings = validate_issuer(discovery.issuer);
    check_issuer_match(discovery, expected_issuer, findings);
    for (Finding& finding : validate_jwks_uri(discovery.issuer, discovery.jwks_uri)) {
        findings.push_back(std::move(finding));
    }
    return findings;
}

std::vector<Finding> check_documents(const DiscoveryDocument& discovery,
                                     const std::vector<PublishedJwk>& jwks,
                                     std::string_view expected_issuer) {
    std::vector<Finding> findings = check_discovery_document(discovery, expected_issuer);
    check_key_set(discovery, jwks, findings);
    return findings;
}

std::vector<Finding> compare_with_apiserver(const std::vector<PublishedJwk>& published,
                                            const std::vector<PublishedJwk>& apiserver) {
    std::vector<Finding> findings;
    for (const PublishedJwk& current : apiserver) {
        const bool found = std::any_of(published.begin(), published.end(),
                                       [&](const PublishedJwk& p) { return p.kid == current.kid; });
        if (!found) {
            findings.push_back(warning(
                "jwks-stale",
                "the published JWKS lacks the API server's key \"" + current.kid + "\"",
                "upload the API server's /openid/v1/jwks again; publish new keys at least an "
                "hour before signing with them (STS caches the JWKS)"));
        }
    }
    return findings;
}

std::vector<PublicKey> verification_keys(const std::vector<PublishedJwk>& jwks) {
    std::vector<PublicKey> keys;
    for (const PublishedJwk& jwk : jwks) {
        if (!jwk.key) continue;
        PublicKey key = *jwk.key;
        key.kid = jwk.kid;  // tokens name the key as published
        keys.push_back(std::move(key));
    }
    return keys;
}

}  // namespace piw::oidc
