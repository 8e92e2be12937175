// The documents are compared with text written by hand from the exact shapes of spec/oidc.md
// §1.1/§1.2 (kube-apiserver's golden strings); the key members in them come from the openssl CLI.

#include "pod_identity_webhook/oidc/discovery.hpp"

#include "openssl_cli.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace piw::oidc {
namespace {

using testing::TestKeys;

std::vector<PublicKey> load(std::initializer_list<std::string> files) {
    std::vector<PublicKey> keys;
    for (const std::string& file : files) {
        auto loaded = load_pem_keys(TestKeys::get().pem(file));
        EXPECT_TRUE(loaded.ok()) << file << ": " << loaded.error();
        if (loaded.ok()) keys.insert(keys.end(), loaded->keys.begin(), loaded->keys.end());
    }
    return keys;
}

std::vector<std::string> codes(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const Finding& finding : findings) out.push_back(finding.code);
    return out;
}

TEST(OpenIdConfiguration, KubeApiserversGoldenDocument) {
    const std::string issuer = "https://issuer.example.com";
    const auto keys = load({"rsa2048.pub", "ec256.pub"});
    EXPECT_EQ(
        render_openid_configuration(issuer, default_jwks_uri(issuer), keys),
        R"({"issuer":"https://issuer.example.com","jwks_uri":"https://issuer.example.com/openid/v1/jwks",)"
        R"("response_types_supported":["id_token"],"subject_types_supported":["public"],)"
        R"("id_token_signing_alg_values_supported":["ES256","RS256"]})");
}

TEST(OpenIdConfiguration, TheSeedsCharmedDocument) {
    const std::string issuer = "https://charmed-k8s-oidc.s3.amazonaws.com/o7k";
    EXPECT_EQ(render_openid_configuration(issuer, default_jwks_uri(issuer), load({"rsa2048.key"})),
              R"({"issuer":"https://charmed-k8s-oidc.s3.amazonaws.com/o7k",)"
              R"("jwks_uri":"https://charmed-k8s-oidc.s3.amazonaws.com/o7k/openid/v1/jwks",)"
              R"("response_types_supported":["id_token"],"subject_types_supported":["public"],)"
              R"("id_token_signing_alg_values_supported":["RS256"]})");
}

TEST(OpenIdConfiguration, AlgorithmsAreSortedAndDeduplicated) {
    const auto keys = load({"ec521.pub", "rsa2048.pub", "ec256.key", "rsa3072.pub", "ec256.pub"});
    EXPECT_EQ(signing_algorithms(keys), (std::vector<std::string>{"ES256", "ES512", "RS256"}));
    EXPECT_TRUE(signing_algorithms({}).empty());
}

TEST(OpenIdConfiguration, JwksUriOverrideIsWrittenAsGivenWithGoEscaping) {
    const std::string doc =
        render_openid_configuration("https://issuer.example.com",
                                    "https://keys.example.com/jwks?a=1&b=<2>", load({"ec384.pub"}));
    EXPECT_NE(doc.find(R"("jwks_uri":"https://keys.example.com/jwks?a=1\u0026b=\u003c2\u003e")"),
              std::string::npos)
        << doc;
    EXPECT_NE(doc.find(R"("id_token_signing_alg_values_supported":["ES384"]})"), std::string::npos);
}

TEST(Jwks, EveryKeyInOrderWithKubeApiserversMemberOrder) {
    const TestKeys& files = TestKeys::get();
    const std::string rsa = files.path("rsa2048.pub");
    const std::string ec = files.path("ec256.pub");
    // Private files on purpose: only public members may come out.
    const auto keys = load({"rsa2048.pkcs1.key", "ec256.key"});
    const std::string expected =
        R"({"keys":[{"use":"sig","kty":"RSA","kid":")" + testing::cli_kid(rsa) +
        R"(","alg":"RS256","n":")" + testing::cli_rsa_n(rsa) +
        R"(","e":"AQAB"},{"use":"sig","kty":"EC","kid":")" + testing::cli_kid(ec) +
        R"(","crv":"P-256","alg":"ES256","x":")" + testing::cli_ec_x(ec, 32) + R"(","y":")" +
        testing::cli_ec_y(ec, 32) + R"("}]})";
    EXPECT_EQ(render_jwks(keys), expected);
}

TEST(Jwks, NoKeys) {
    EXPECT_EQ(render_jwks({}), R"({"keys":[]})");
}

// ---------------------------------------------------------------------------------------------
// Issuer and jwks_uri checks

TEST(ValidateIssuer, GoodIssuersHaveNoFindings) {
    for (const std::string issuer :
         {"https://issuer.example.com", "https://bucket.s3.eu-west-1.amazonaws.com/prefix",
          "https://s3.eu-west-1.amazonaws.com/bucket/a/b", "https://[2001:db8::1]/p"}) {
        EXPECT_TRUE(validate_issuer(issuer).empty()) << issuer;
    }
    EXPECT_TRUE(
        validate_issuer("https://e.com/" + std::string(kMaxIssuerLength - 14, 'a')).empty());
}

struct IssuerCase {
    std::string issuer;
    std::vector<std::string> codes;
};

class ValidateIssuerErrors : public ::testing::TestWithParam<IssuerCase> {};

TEST_P(ValidateIssuerErrors, EveryProblemIsReported) {
    const auto findings = validate_issuer(GetParam().issuer);
    EXPECT_EQ(codes(findings), GetParam().codes) << GetParam().issuer;
    EXPECT_TRUE(has_errors(findings));
    for (const Finding& finding : findings) {
        EXPECT_FALSE(finding.message.empty());
        EXPECT_FALSE(finding.hint.empty());
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateIssuerErrors,
    ::testing::Values(
        IssuerCase{"", {"issuer-empty"}},
        IssuerCase{"https://issuer.example.com/", {"issuer-trailing-slash"}},
        IssuerCase{"https://bucket.s3.amazonaws.com/prefix/", {"issuer-trailing-slash"}},
        IssuerCase{"http://issuer.example.com", {"issuer-not-https"}},
        IssuerCase{"HTTPS://issuer.example.com", {"issuer-not-https"}},
        IssuerCase{"issuer.example.com", {"issuer-not-https"}},
        IssuerCase{"https://issuer.example.com:443/p", {"issuer-has-port"}},
        IssuerCase{"https://issuer.example.com/p?x=1", {"issuer-has-query"}},
        IssuerCase{"https://issuer.example.com/p#f", {"issuer-has-fragment"}},
        IssuerCase{"https://user@issuer.example.com", {"issuer-has-userinfo"}},
        IssuerCase{"https:///p", {"issuer-no-host"}},
        IssuerCase{" https://issuer.example.com", {"issuer-invalid-character", "issuer-not-https"}},
        IssuerCase{"https://issuer.example.com/a b", {"issuer-invalid-character"}},
        IssuerCase{"https://e.com/" + std::string(kMaxIssuerLength - 13, 'a'), {"issuer-too-long"}},
        IssuerCase{"https://h:8443/p?q#f/",
                   {"issuer-has-port", "issuer-has-query", "issuer-has-fragment",
                    "issuer-trailing-slash"}}));

TEST(ValidateJwksUri, UnderTheIssuerIsFine) {
    EXPECT_TRUE(validate_jwks_uri("https://b.s3.amazonaws.com/p",
                                  default_jwks_uri("https://b.s3.amazonaws.com/p"))
                    .empty());
}

TEST(ValidateJwksUri, Problems) {
    const std::string issuer = "https://b.s3.amazonaws.com/p";
    EXPECT_EQ(codes(validate_jwks_uri(issuer, "http://b.s3.amazonaws.com/p/openid/v1/jwks")),
              std::vector<std::string>{"jwks-uri-not-https"});
    EXPECT_EQ(codes(validate_jwks_uri(issuer, "https://b.s3.amazonaws.com/other/jwks")),
              std::vector<std::string>{"jwks-uri-outside-issuer"});
    EXPECT_EQ(codes(validate_jwks_uri(issuer, "https://b.s3.amazonaws.com/px/jwks")),
              std::vector<std::string>{"jwks-uri-outside-issuer"});
    const auto other_host = validate_jwks_uri(issuer, "https://cdn.example.com/jwks");
    EXPECT_EQ(codes(other_host), std::vector<std::string>{"jwks-uri-other-host"});
    EXPECT_FALSE(has_errors(other_host));
}

TEST(Findings, SeverityNames) {
    EXPECT_EQ(to_string(Severity::error), "error");
    EXPECT_EQ(to_string(Severity::warning), "warning");
    EXPECT_EQ(to_string(Severity::info), "info");
    EXPECT_FALSE(has_errors({}));
}

}  // namespace
}  // namespace piw::oidc
