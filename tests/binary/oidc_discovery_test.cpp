// `pod-identity-webhook oidc discovery --from-key / --check DIR`: the real executable, offline.
// Expected bytes are computed with the openssl CLI, not with our code (spec/oidc.md §1.1–§1.3).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oidc_cli.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kIssuer = "https://acme-oidc.s3.eu-west-1.amazonaws.com/prod";

std::string discovery_path(const std::filesystem::path& dir) {
    return (dir / ".well-known/openid-configuration").string();
}
std::string jwks_path(const std::filesystem::path& dir) {
    return (dir / "openid/v1/jwks").string();
}

TEST(OidcDiscovery, FromKeysWritesKubeApiserversBytes) {
    TempDir dir("piw-oidc");
    const std::string rsa = make_rsa_key(dir.path(), "sa");
    const std::string ec = make_ec_key(dir.path(), "ec", "secp384r1");
    const auto out = dir / "out";
    const auto result = run_oidc(
        {"discovery", "--from-key", rsa, ec, "--issuer", kIssuer, "--out-dir", out.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;

    EXPECT_EQ(read_file(discovery_path(out)),
              std::string("{\"issuer\":\"") + kIssuer + "\",\"jwks_uri\":\"" + kIssuer +
                  "/openid/v1/jwks\",\"response_types_supported\":[\"id_token\"],"
                  "\"subject_types_supported\":[\"public\"],"
                  "\"id_token_signing_alg_values_supported\":[\"ES384\",\"RS256\"]}");
    // n: the modulus (upper-case hex from openssl) as bytes; x, y: the SPKI ends with 04||x||y.
    const std::string n =
        shell("openssl rsa -in " + shell_quote(rsa) +
              " -noout -modulus | cut -d= -f2 | tr -d '\\n' | basenc --base16 -d | "
              "basenc --base64url -w0 | tr -d '='");
    const std::string x = shell("openssl pkey -in " + shell_quote(ec) +
                                " -pubout -outform DER | tail -c 96 | head -c 48 | basenc "
                                "--base64url -w0 | tr -d '='");
    const std::string y = shell("openssl pkey -in " + shell_quote(ec) +
                                " -pubout -outform DER | tail -c 48 | basenc --base64url -w0 | "
                                "tr -d '='");
    EXPECT_EQ(read_file(jwks_path(out)),
              "{\"keys\":[{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"" + openssl_kid(rsa) +
                  "\",\"alg\":\"RS256\",\"n\":\"" + n +
                  "\",\"e\":\"AQAB\"},{\"use\":\"sig\","
                  "\"kty\":\"EC\",\"kid\":\"" +
                  openssl_kid(ec) + "\",\"crv\":\"P-384\",\"alg\":\"ES384\",\"x\":\"" + x +
                  "\",\"y\":\"" + y + "\"}]}");
    EXPECT_THAT(result.out, HasSubstr("aws s3 cp --recursive"));
}

TEST(OidcDiscovery, PrivateKeysArePublishedAsTheirPublicHalfOnly) {
    TempDir dir("piw-oidc");
    const std::string rsa = make_rsa_key(dir.path(), "sa");
    const auto result =
        run_oidc({"discovery", "--from-key", rsa, "--issuer", kIssuer, "-o", "json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto jwks = nlohmann::json::parse(result.json()["jwks"].get<std::string>());
    ASSERT_EQ(jwks["keys"].size(), 1U);
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
        EXPECT_FALSE(jwks["keys"][0].contains(member)) << member;
    }
    EXPECT_EQ(result.json()["keys"][0]["from_private_key"], true);
}

TEST(OidcDiscovery, TrailingSlashIssuerIsAnErrorAndNothingIsWritten) {
    TempDir dir("piw-oidc");
    const std::string rsa = make_rsa_key(dir.path(), "sa");
    const auto out = dir / "out";
    const auto result = run_oidc({"discovery", "--from-key", rsa, "--issuer",
                                  std::string(kIssuer) + "/", "--out-dir", out.string()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.err, HasSubstr("[issuer-trailing-slash]"));
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(OidcDiscovery, CheckReadsBackADirectoryAndFindsEditedKids) {
    TempDir dir("piw-oidc");
    const std::string rsa = make_rsa_key(dir.path(), "sa");
    const auto out = dir / "out";
    ASSERT_EQ(
        run_oidc({"discovery", "--from-key", rsa, "--issuer", kIssuer, "--out-dir", out.string()})
            .exit_code,
        0);
    const auto clean = run_oidc({"discovery", "--check", out.string(), "--issuer", kIssuer});
    EXPECT_EQ(clean.exit_code, 0) << clean.err;
    EXPECT_EQ(clean.err, "");

    const auto mismatch = run_oidc({"discovery", "--check", out.string(), "--issuer",
                                    "https://other.example.com/prod", "-o", "json"});
    EXPECT_EQ(mismatch.exit_code, 1);
    EXPECT_THAT(mismatch.codes(), Contains("discovery-issuer-mismatch"));

    std::string jwks = read_file(jwks_path(out));
    const std::string kid = openssl_kid(rsa);
    jwks.replace(jwks.find(kid), kid.size(), "hand-written-kid");
    write_file(jwks_path(out), jwks);
    const auto edited = run_oidc({"discovery", "--check", out.string(), "-o", "json"});
    EXPECT_EQ(edited.exit_code, 0);  // a warning: STS matches kids as published
    EXPECT_THAT(edited.codes(), Contains("jwk-kid-not-kube"));
    EXPECT_EQ(run_oidc({"discovery", "--check", out.string(), "--strict"}).exit_code, 1);
}

TEST(OidcDiscovery, PrivateMembersInAPublishedJwksAreAnError) {
    TempDir dir("piw-oidc");
    const auto out = dir / "out";
    dir.write_file("out/.well-known/openid-configuration",
                   std::string("{\"issuer\":\"") + kIssuer + "\",\"jwks_uri\":\"" + kIssuer +
                       "/openid/v1/jwks\",\"id_token_signing_alg_values_supported\":[\"RS256\"]}");
    dir.write_file(
        "out/openid/v1/jwks",
        R"({"keys":[{"use":"sig","kty":"RSA","kid":"k","alg":"RS256","n":"AQAB","e":"AQAB","d":"AQAB"}]})");
    const auto result = run_oidc({"discovery", "--check", out.string(), "-o", "json"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.codes(), Contains("jwk-private-member"));
}

TEST(OidcDiscovery, BadInputsAreErrorsNotCrashes) {
    TempDir dir("piw-oidc");
    const auto not_a_key =
        dir.write_file("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    const auto bad = run_oidc({"discovery", "--from-key", not_a_key.string(), "--issuer", kIssuer});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_THAT(bad.err, HasSubstr("[key-invalid]"));
    EXPECT_THAT(bad.err, HasSubstr("bad.pem"));

    const auto missing =
        run_oidc({"discovery", "--from-key", (dir / "nope.pem").string(), "--issuer", kIssuer});
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_THAT(missing.err, HasSubstr("nope.pem"));

    dir.write_file("big/.well-known/openid-configuration", std::string(70 * 1024, ' '));
    dir.write_file("big/openid/v1/jwks", "{}");
    EXPECT_EQ(run_oidc({"discovery", "--check", (dir / "big").string()}).exit_code, 3);

    dir.write_file("garbage/.well-known/openid-configuration", "{\"issuer\":");
    dir.write_file("garbage/openid/v1/jwks", "[1,2");
    const auto garbage =
        run_oidc({"discovery", "--check", (dir / "garbage").string(), "-o", "json"});
    EXPECT_EQ(garbage.exit_code, 1);
    EXPECT_THAT(garbage.codes(), Contains("discovery-invalid"));
    EXPECT_THAT(garbage.codes(), Contains("jwks-invalid"));

    EXPECT_EQ(run_oidc({"discovery", "--from-key", not_a_key.string()}).exit_code, 2);  // no issuer
    EXPECT_EQ(run_oidc({"discovery", "--issuer", kIssuer}).exit_code, 2);               // no mode
}

}  // namespace
}  // namespace piw::testing
