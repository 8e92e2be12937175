// The published discovery documents (`oidc check` and `oidc discovery --check` fetch them from
// hosts that may be misconfigured or hostile): parse_openid_configuration, parse_jwks and every
// check on them. One input feeds both parsers, so a single JSON object with issuer, jwks_uri and
// keys reaches check_documents with both halves fuzzed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"
#include "pod_identity_webhook/oidc/published.hpp"

namespace {

using piw::fuzz::require;
using namespace piw::oidc;

constexpr std::string_view kIssuer = "https://oidc.example.com/cluster-a";

const DiscoveryDocument& fixed_discovery() {
    static const DiscoveryDocument document{
        std::string(kIssuer), std::string(kIssuer) + "/openid/v1/jwks", {"ES256", "RS256"}};
    return document;
}

// Rendering what was parsed and parsing it again gives the same members: the Go-style escaping
// of the renderer must stay valid JSON for any issuer a document can carry.
void check_discovery_round_trip(const DiscoveryDocument& discovery,
                                const std::vector<PublicKey>& keys) {
    const auto again = parse_openid_configuration(
        render_openid_configuration(discovery.issuer, discovery.jwks_uri, keys));
    require(again.ok(), "a rendered discovery document parses");
    require(again->issuer == discovery.issuer && again->jwks_uri == discovery.jwks_uri,
            "issuer and jwks_uri survive rendering");
    require(again->algs == signing_algorithms(keys), "the alg list is the keys' algs");
}

// A key rebuilt from a JWK, rendered as kube-apiserver would and read back, is the same key.
void check_jwk_round_trip(const PublicKey& key) {
    const auto again = parse_jwks(render_jwks({key}));
    require(again.ok() && again->size() == 1, "a rendered JWKS parses");
    const PublishedJwk& jwk = again->front();
    require(jwk.key.has_value(), "a rendered JWK rebuilds");
    require(jwk.kid == key.kid && jwk.key->kid == key.kid, "the kid survives rendering");
}

void check_jwks(const std::vector<PublishedJwk>& jwks) {
    (void)check_documents(fixed_discovery(), jwks, kIssuer);
    require(compare_with_apiserver(jwks, jwks).empty(), "a JWKS is never stale against itself");
    const std::vector<PublicKey> keys = verification_keys(jwks);
    for (const PublishedJwk& jwk : jwks) {
        if (jwk.key) check_jwk_round_trip(*jwk.key);
    }
    check_discovery_round_trip(fixed_discovery(), keys);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = piw::fuzz::as_text(data, size);
    const auto discovery = parse_openid_configuration(input);
    const auto jwks = parse_jwks(input);
    if (jwks) check_jwks(*jwks);
    if (discovery) {
        (void)check_documents(*discovery, jwks ? *jwks : std::vector<PublishedJwk>{}, kIssuer);
        (void)check_documents(*discovery, {}, "");
        (void)check_discovery_document(*discovery, kIssuer);
        check_discovery_round_trip(*discovery, {});
    }
    return 0;
}
