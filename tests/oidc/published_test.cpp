// Documents rendered from CLI-made keys are read back and checked; each rule of `--check` is
// then broken once by editing the JSON.

#include "pod_identity_webhook/oidc/published.hpp"

#include "openssl_cli.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

namespace piw::oidc {
namespace {

using testing::TestKeys;

constexpr std::string_view kIssuer = "https://bucket.s3.eu-west-1.amazonaws.com/cluster";

std::vector<PublicKey> keys_of(std::initializer_list<std::string> files) {
    std::vector<PublicKey> keys;
    for (const std::string& file : files) {
        auto loaded = load_pem_keys(TestKeys::get().pem(file));
        EXPECT_TRUE(loaded.ok()) << loaded.error();
        if (loaded.ok()) keys.insert(keys.end(), loaded->keys.begin(), loaded->keys.end());
    }
    return keys;
}

struct Documents {
    DiscoveryDocument discovery;
    std::vector<PublishedJwk> jwks;
};

Documents read_back(const std::string& discovery_text, const std::string& jwks_text) {
    auto discovery = parse_openid_configuration(discovery_text);
    auto jwks = parse_jwks(jwks_text);
    EXPECT_TRUE(discovery.ok()) << discovery.error();
    EXPECT_TRUE(jwks.ok()) << jwks.error();
    if (!discovery.ok() || !jwks.ok()) return {};
    return {*discovery, *jwks};
}

Documents rendered(const std::vector<PublicKey>& keys) {
    const std::string issuer(kIssuer);
    return read_back(render_openid_configuration(issuer, default_jwks_uri(issuer), keys),
                     render_jwks(keys));
}

std::vector<std::string> codes(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const Finding& finding : findings) out.push_back(finding.code);
    return out;
}

std::vector<std::string> check(const Documents& docs, std::string_view issuer = kIssuer) {
    return codes(check_documents(docs.discovery, docs.jwks, issuer));
}

// The rendered JWKS with one edit applied to its JSON.
Documents edited(const std::vector<PublicKey>& keys,
                 const std::function<void(nlohmann::json&, nlohmann::json&)>& edit) {
    const std::string issuer(kIssuer);
    auto discovery =
        nlohmann::json::parse(render_openid_configuration(issuer, default_jwks_uri(issuer), keys));
    auto jwks = nlohmann::json::parse(render_jwks(keys));
    edit(discovery, jwks);
    return read_back(discovery.dump(), jwks.dump());
}

TEST(PublishedDocuments, WhatWeRenderPassesEveryCheck) {
    const auto keys =
        keys_of({"rsa2048.pub", "rsa3072.key", "ec256.pub", "ec384.pub", "ec521.key"});
    const Documents docs = rendered(keys);
    EXPECT_TRUE(check(docs).empty()) << ::testing::PrintToString(check(docs));
    ASSERT_EQ(docs.jwks.size(), keys.size());
    const auto verification = verification_keys(docs.jwks);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(render_jwk(verification[i]), render_jwk(keys[i]));
    }
}

TEST(PublishedDocuments, IssuerMismatchAndTrailingSlash) {
    const Documents docs = rendered(keys_of({"ec256.pub"}));
    EXPECT_EQ(check(docs, std::string(kIssuer) + "/"),
              std::vector<std::string>{"discovery-issuer-trailing-slash"});
    EXPECT_EQ(check(docs, "https://other.example.com"),
              std::vector<std::string>{"discovery-issuer-mismatch"});
}

TEST(PublishedDocuments, JwksUriRules) {
    const auto keys = keys_of({"ec256.pub"});
    EXPECT_EQ(
        check(edited(keys, [](auto& d, auto&) { d["jwks_uri"] = "https://cdn.example.com/k"; })),
        std::vector<std::string>{"jwks-uri-other-host"});
    EXPECT_EQ(check(edited(keys, [](auto& d, auto&) { d["jwks_uri"] = "http://x.example.com/k"; })),
              std::vector<std::string>{"jwks-uri-not-https"});
}

TEST(PublishedDocuments, KeyRulesEachBrokenOnce) {
    const auto keys = keys_of({"rsa2048.pub", "ec256.pub"});
    EXPECT_EQ(check(edited(keys, [](auto&, auto& j) { j["keys"][0]["d"] = "AAAA"; })),
              std::vector<std::string>{"jwk-private-member"});
    EXPECT_EQ(check(edited(keys, [](auto&, auto& j) { j["keys"][1]["use"] = "enc"; })),
              std::vector<std::string>{"jwk-use"});
    EXPECT_EQ(check(edited(keys, [](auto&, auto& j) { j["keys"][1]["kid"] = "edited"; })),
              std::vector<std::string>{"jwk-kid-not-kube"});
    EXPECT_EQ(check(edited(keys,
                           [](auto& d, auto& j) {
                               j["keys"][1]["alg"] = "ES384";
                               d["id_token_signing_alg_values_supported"] = {"ES384", "RS256"};
                           })),
              std::vector<std::string>{"jwk-alg-mismatch"});
    EXPECT_EQ(check(edited(keys,
                           [](auto& d, auto& j) {
                               j["keys"][1]["alg"] = "ML-DSA-44";
                               d["id_token_signing_alg_values_supported"] = {"ML-DSA-44", "RS256"};
                           })),
              std::vector<std::string>{"jwk-alg-unsupported"});
    EXPECT_EQ(check(edited(keys, [](auto&, auto& j) { j["keys"][1]["y"] = j["keys"][1]["x"]; })),
              std::vector<std::string>{"jwk-invalid-key"});
    EXPECT_EQ(
        check(edited(
            keys, [](auto& d, auto&) { d["id_token_signing_alg_values_supported"] = {"RS256"}; })),
        std::vector<std::string>{"discovery-algs-mismatch"});
}

TEST(PublishedDocuments, KeySetRules) {
    EXPECT_EQ(check(rendered({})), (std::vector<std::string>{"jwks-empty"}));
    const auto ec = keys_of({"ec256.pub"});
    const auto duplicated = check(rendered({ec[0], ec[0]}));
    EXPECT_EQ(duplicated, std::vector<std::string>{"jwks-duplicate-kid"});
    const auto many = check(rendered(std::vector<PublicKey>(kMaxJwksKeys + 1, ec[0])));
    EXPECT_NE(std::find(many.begin(), many.end(), "jwks-too-many-keys"), many.end());
}

TEST(PublishedDocuments, SmallRsaKeyIsAWarning) {
    const testing::TempDir dir;
    testing::run_shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " +
                       testing::shell_quote(dir.file("small.key")) + " 2>/dev/null");
    auto loaded = load_pem_keys(testing::read_file(dir.file("small.key")));
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    const auto findings =
        check_documents(rendered(loaded->keys).discovery, rendered(loaded->keys).jwks, kIssuer);
    EXPECT_EQ(codes(findings), std::vector<std::string>{"jwk-rsa-too-small"});
    EXPECT_FALSE(has_errors(findings));
}

TEST(PublishedDocuments, StaleCopyAfterRotation) {
    const Documents published = rendered(keys_of({"rsa2048.pub"}));
    const Documents apiserver = rendered(keys_of({"rsa2048.pub", "ec256.pub"}));
    EXPECT_EQ(codes(compare_with_apiserver(published.jwks, apiserver.jwks)),
              std::vector<std::string>{"jwks-stale"});
    EXPECT_TRUE(compare_with_apiserver(apiserver.jwks, published.jwks).empty());
}

TEST(PublishedDocuments, UnparsableDocuments) {
    EXPECT_FALSE(parse_jwks("[]").ok());
    EXPECT_FALSE(parse_jwks("{\"keys\":{}}").ok());
    EXPECT_FALSE(parse_jwks("{\"keys\":[1]}").ok());
    EXPECT_FALSE(parse_jwks("{\"keys\":[").ok());
    EXPECT_FALSE(parse_jwks(std::string(kMaxDocumentBytes + 1, ' ')).ok());
    EXPECT_FALSE(parse_openid_configuration("{\"issuer\":\"https://x\"}").ok());
    EXPECT_FALSE(parse_openid_configuration("{\"issuer\":1,\"jwks_uri\":\"https://x\"}").ok());
    EXPECT_FALSE(parse_openid_configuration("nope").ok());
}

}  // namespace
}  // namespace piw::oidc
