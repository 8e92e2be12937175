#include "pod_identity_webhook/oidc/jwt.hpp"
#include "pod_identity_webhook/common/openssl_ptr.hpp"

#include "pod_identity_webhook/oidc/base64url.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

namespace piw::oidc {
namespace {

struct Algorithm {
    std::string_view name;
    KeyType key_type;
    std::string_view curve;  // EC only
    int coordinate_bytes;    // EC only: r and s are each this long
    const EVP_MD* (*digest)();
};

// STS's allow-list (spec/oidc.md §2.1).
constexpr std::array<Algorithm, 6> kAlgorithms = {{
    {"RS256", KeyType::rsa, "", 0, EVP_sha256},
    {"RS384", KeyType::rsa, "", 0, EVP_sha384},
    {"RS512", KeyType::rsa, "", 0, EVP_sha512},
    {"ES256", KeyType::ec, "P-256", 32, EVP_sha256},
    {"ES384", KeyType::ec, "P-384", 48, EVP_sha384},
    {"ES512", KeyType::ec, "P-521", 66, EVP_sha512},
}};

std::optional<Algorithm> find_algorithm(std::string_view name) {
    for (const Algorithm& alg : kAlgorithms) {
        if (alg.name == name) return alg;
    }
    return std::nullopt;
}

// The deepest nesting of arrays and objects in JSON text, strings skipped (the text need not be
// valid JSON).
std::size_t nesting_depth(std::string_view text) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

Result<nlohmann::json> decode_object(std::string_view part, std::string_view what) {
    const auto bytes = base64url_decode(part);
    if (!bytes) return Error{"the " + std::string(what) + " is not strict base64url"};
    // The header and claims leave this room as JSON values that callers copy and print: a 20 KB
    // token nested 7,000 deep crashed `oidc verify-token` on a 1 MiB stack.
    if (nesting_depth(*bytes) > kMaxJsonDepth) {
        return Error{"the " + std::string(what) + " nests deeper than " +
                     std::to_string(kMaxJsonDepth) + " levels"};
    }
    auto value = nlohmann::json::parse(*bytes, nullptr, false);
    if (value.is_discarded() || !value.is_object()) {
        return Error{"the " + std::string(what) + " is not a JSON object"};
    }
    return value;
}

// JOSE's raw r||s as the DER ECDSA-Sig-Value OpenSSL verifies.
std::optional<std::string> ecdsa_der(std::string_view raw, int coordinate_bytes) {
    const auto size = static_cast<std::size_t>(coordinate_bytes);
    if (raw.size() != 2 * size) return std::nullopt;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    BIGNUM* r = BN_bin2bn(bytes, coordinate_bytes, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + size, coordinate_bytes, nullptr);
    const openssl::EcdsaSigPtr sig(ECDSA_SIG_new());
    if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int length = i2d_ECDSA_SIG(sig.get(), &der);
    if (length <= 0) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

bool digest_verify(const Algorithm& alg, EVP_PKEY* key, std::string_view signature,
                   std::string_view data) {
    const openssl::MdCtxPtr ctx(EVP_MD_CTX_new());
    // RSA keys default to PKCS#1 v1.5 padding, which is what RS* means.
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, alg.digest(), nullptr, key) != 1) {
        return false;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size()) == 1;
}

// ---------------------------------------------------------------------------------------------
// Findings

Finding error(std::string code, std::string message, std::string hint = {}) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

Finding warning(std::string code, std::string message, std::string hint = {}) {
    return {Severity::warning, std::move(code), std::move(message), std::move(hint)};
}

bool is_refused_algorithm(std::string_view alg) {
    return alg == "none" || alg.substr(0, 2) == "HS";
}

void check_algorithm(const Jws& jws, std::vector<Finding>& findings) {
    if (jws.alg == "none") {
        findings.push_back(error("token-alg-none", "the token is unsigned (alg \"none\")",
                                 "STS accepts only RS256/384/512 and ES256/384/512"));
    } else if (jws.alg.substr(0, 2) == "HS") {
        findings.push_back(error("token-alg-hmac",
                                 "the token claims the symmetric algorithm " + jws.alg,
                                 "HMAC with a public key as the secret is the algorithm-confusion "
                                 "attack; STS accepts only RS* and ES*"));
    } else if (!find_algorithm(jws.alg)) {
        findings.push_back(error("token-alg-unsupported",
                                 "the token's algorithm " + jws.alg + " is not accepted by STS",
                                 "sign with RSA (RS256/384/512) or ECDSA (ES256/384/512) keys"));
    }
}

// The keys to try: the one named by kid, or (no kid) every key.
std::vector<const PublicKey*> candidate_keys(const Jws& jws, const std::vector<PublicKey>& keys,
                                             std::vector<Finding>& findings) {
    std::vector<const PublicKey*> out;
    if (!jws.has_kid) {
        findings.push_back(warning("token-no-kid", "the token header has no kid",
                                   "kube-apiserver has set kid since 1.16; how STS picks a key "
                                   "without one is undocumented"));
        for (const PublicKey& key : keys) out.push_back(&key);
        return out;
    }
    for (const PublicKey& key : keys) {
        if (key.kid == jws.kid) out.push_back(&key);
    }
    if (out.empty()) {
        findings.push_back(error("token-kid-unknown",
                                 "no published key has the token's kid \"" + jws.kid + "\"",
                                 "publish the current JWKS (kubectl get --raw /openid/v1/jwks) "
                                 "after every key rotation"));
    }
    return out;
}

void check_signature(const Jws& jws, const std::vector<PublicKey>& keys, TokenReport& report) {
    if (!find_algorithm(jws.alg)) return;  // already reported
    const auto candidates = candidate_keys(jws, keys, report.findings);
    if (candidates.empty()) return;
    for (const PublicKey* key : candidates) {
        if (verify_signature(jws, *key)) {
            report.verified_kid = key->kid;
            return;
        }
    }
    report.findings.push_back(error("token-signature-invalid",
                                    "the signature does not verify with the published key",
                                    "the token was altered, or signed by a key that is not "
                                    "published under this kid"));
}

// ---------------------------------------------------------------------------------------------
// Claims

void check_issuer(const nlohmann::json& claims, const TokenExpectations& expected,
                  std::vector<Finding>& findings) {
    const auto it = claims.find("iss");
    if (it == claims.end() || !it->is_string()) {
        findings.push_back(error("token-no-issuer", "the token has no iss claim"));
        return;
    }
    const auto& iss = it->get_ref<const std::string&>();
    // Secret-based tokens: that issuer, and flat "kubernetes.io/serviceaccount/…" claims.
    if (iss == "kubernetes/serviceaccount" ||
        claims.contains("kubernetes.io/serviceaccount/namespace")) {
        findings.push_back(error("token-legacy-secret",
                                 "this is a legacy Secret-based ServiceAccount token",
                                 "STS refuses it (no https issuer, no exp); use a projected token "
                                 "(the webhook's volume) or `kubectl create token`"));
        return;
    }
    if (expected.issuer.empty() || iss == expected.issuer) return;
    const bool slash = iss + "/" == expected.issuer || expected.issuer + "/" == iss;
    findings.push_back(
        error(slash ? "token-issuer-trailing-slash" : "token-issuer-mismatch",
              "the token's iss \"" + iss + "\" is not the issuer \"" + expected.issuer + "\"",
              slash ? "they differ only by a trailing slash; STS compares byte for "
                      "byte"
                    : "the API server's --service-account-issuer must be the IAM "
                      "provider URL"));
}

void check_audience(const nlohmann::json& claims, const TokenExpectations& expected,
                    std::vector<Finding>& findings) {
    const auto it = claims.find("aud");
    bool found = false;
    bool well_formed = it != claims.end() && (it->is_string() || it->is_array());
    if (well_formed && it->is_string())
        found = it->get_ref<const std::string&>() == expected.audience;
    if (well_formed && it->is_array()) {
        for (const auto& value : *it) {
            if (!value.is_string()) well_formed = false;
            if (value.is_string() && value.get_ref<const std::string&>() == expected.audience) {
                found = true;
            }
        }
    }
    if (!well_formed) {
        findings.push_back(error("token-audience-invalid",
                                 "the token's aud is missing or not a string or array of strings"));
    } else if (!found) {
        findings.push_back(error("token-audience-mismatch",
                                 "the token's aud does not contain \"" + expected.audience + "\"",
                                 "the projected token's audience must be in the IAM provider's "
                                 "client ID list (the webhook's --token-audience)"));
    }
}

// Beyond this (the year 5138) a timestamp is garbage; bounding it keeps the arithmetic below
// free of overflow.
constexpr std::int64_t kMaxTimestamp = 100'000'000'000;

// A timestamp claim: nullopt if absent; a finding if not an integer (STS requires integers) or
// out of range.
std::optional<std::int64_t> timestamp(const nlohmann::json& claims, const char* name,
                                      std::vector<Finding>& findings) {
    const auto it = claims.find(name);
    if (it == claims.end()) return std::nullopt;
    if (!it->is_number_integer()) {
        findings.push_back(error("token-timestamp-not-integer",
                                 std::string("the token's ") + name + " is not an integer",
                                 "STS requires integer timestamps"));
        return std::nullopt;
    }
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxTimestamp)) {
        return it->get<std::int64_t>();
    }
    findings.push_back(error("token-timestamp-out-of-range",
                             std::string("the token's ") + name + " is not a plausible time"));
    return std::nullopt;
}

void check_times(const nlohmann::json& claims, const TokenExpectations& expected,
                 std::vector<Finding>& findings) {
    const bool has_exp = claims.contains("exp");
    const auto exp = timestamp(claims, "exp", findings);
    const auto nbf = timestamp(claims, "nbf", findings);
    const auto iat = timestamp(claims, "iat", findings);
    if (!has_exp) {
        findings.push_back(error("token-no-exp", "the token has no exp claim",
                                 "STS refuses tokens without an expiry"));
    }
    if (exp && expected.now - expected.skew >= *exp) {
        findings.push_back(error("token-expired",
                                 "the token expired " + std::to_string(expected.now - *exp) +
                                     " s ago, beyond STS's 300 s grace",
                                 "the kubelet rotates projected tokens; read the file again"));
    } else if (exp && expected.now >= *exp) {
        findings.push_back(warning("token-expired-within-skew",
                                   "the token expired " + std::to_string(expected.now - *exp) +
                                       " s ago (still inside STS's clock-skew grace)"));
    }
    if (nbf && *nbf > expected.now + expected.skew) {
        findings.push_back(error("token-not-yet-valid", "the token's nbf is in the future",
                                 "check the clocks of the node and the API server"));
    }
    if (iat && *iat > expected.now + expected.skew) {
        findings.push_back(error("token-issued-in-future", "the token's iat is in the future",
                                 "check the clocks of the node and the API server"));
    }
    if (exp && iat && *exp - *iat < 600) {
        findings.push_back(
            warning("token-short-lifetime", "the token lives " + std::to_string(*exp - *iat) +
                                                " s; Kubernetes requires at least 600"));
    }
}

void check_subject(const nlohmann::json& claims, std::vector<Finding>& findings) {
    constexpr std::string_view kPrefix = "system:serviceaccount:";
    const std::string sub = claim_string(claims, {"sub"});
    const std::string_view rest =
        std::string_view(sub).substr(std::min(sub.size(), kPrefix.size()));
    const std::size_t colon = rest.find(':');
    if (sub.compare(0, kPrefix.size(), kPrefix) != 0 || colon == std::string_view::npos ||
        colon == 0 || colon + 1 == rest.size() ||
        rest.find(':', colon + 1) != std::string_view::npos) {
        findings.push_back(error("token-subject-shape",
                                 "the token's sub is not system:serviceaccount:NAMESPACE:NAME"));
        return;
    }
    const std::string ns = claim_string(claims, {"kubernetes.io", "namespace"});
    const std::string name = claim_string(claims, {"kubernetes.io", "serviceaccount", "name"});
    if ((!ns.empty() && ns != rest.substr(0, colon)) ||
        (!name.empty() && name != rest.substr(colon + 1))) {
        findings.push_back(error("token-subject-disagrees",
                                 "the token's sub disagrees with its kubernetes.io claims"));
    }
}

}  // namespace

Result<Jws> parse_compact_jws(std::string_view token) {
    if (token.size() > kMaxTokenLength) {
        return Error{"the token is " + std::to_string(token.size()) +
                     " characters long; STS accepts at most " + std::to_string(kMaxTokenLength)};
    }
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return Error{"not a compact JWS (three base64url parts separated by dots)"};
    }
    auto header = decode_object(token.substr(0, first), "header");
    if (!header) return Error{header.error()};
    auto claims = decode_object(token.substr(first + 1, second - first - 1), "payload");
    if (!claims) return Error{claims.error()};
    auto signature = base64url_decode(token.substr(second + 1));
    if (!signature) return Error{"the signature is not strict base64url"};
    Jws jws;
    const auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string()) return Error{"the header has no alg"};
    jws.alg = alg->get<std::string>();
    const auto kid = header->find("kid");
    if (kid != header->end()) {
        if (!kid->is_string()) return Error{"the header's kid is not a string"};
        jws.kid = kid->get<std::string>();
        jws.has_kid = true;
    }
    jws.header = std::move(header).value();
    jws.claims = std::move(claims).value();
    jws.signing_input = std::string(token.substr(0, second));
    jws.signature = std::move(*signature);
    return jws;
}

std::string claim_string(const nlohmann::json& object, std::initializer_list<const char*> path) {
    const nlohmann::json* node = &object;
    for (const char* name : path) {
        if (!node->is_object()) return {};
        const auto it = node->find(name);
        if (it == node->end()) return {};
        node = &*it;
    }
    return node->is_string() ? node->get<std::string>() : std::string{};
}

Status verify_signature(const Jws& jws, const PublicKey& key) {
    if (is_refused_algorithm(jws.alg)) return Error{"refused algorithm " + jws.alg};
    const auto alg = find_algorithm(jws.alg);
    if (!alg) return Error{"unsupported algorithm " + jws.alg};
    if (alg->key_type != key.type || (key.type == KeyType::ec && alg->curve != key.crv)) {
        return Error{jws.alg + " does not match the key's type or curve"};
    }
    if (!key.pkey) return Error{"no key material"};
    std::string signature = jws.signature;
    if (alg->key_type == KeyType::ec) {
        auto der = ecdsa_der(jws.signature, alg->coordinate_bytes);
        if (!der) return Error{"the ECDSA signature is not r||s of the curve's size"};
        signature = std::move(*der);
    }
    const bool ok = digest_verify(*alg, key.pkey.get(), signature, jws.signing_input);
    ERR_clear_error();
    if (!ok) return Error{"the signature does not verify"};
    return Status::success();
}

TokenReport verify_token(std::string_view token, const std::vector<PublicKey>& keys,
                         const TokenExpectations& expected) {
    TokenReport report;
    auto jws = parse_compact_jws(token);
    if (!jws) {
        report.findings.push_back(error("token-malformed", jws.error()));
        return report;
    }
    report.parsed = true;
    report.jws = std::move(jws).value();
    check_algorithm(report.jws, report.findings);
    check_signature(report.jws, keys, report);
    check_issuer(report.jws.claims, expected, report.findings);
    check_audience(report.jws.claims, expected, report.findings);
    check_times(report.jws.claims, expected, report.findings);
    check_subject(report.jws.claims, report.findings);
    return report;
}

}  // namespace piw::oidc
