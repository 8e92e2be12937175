// Tokens are signed at test time by the openssl CLI (`openssl dgst -sign`), not by our code; the
// ECDSA DER signature the CLI writes is turned into JOSE's r||s here.

#include "pod_identity_webhook/oidc/jwt.hpp"

#include "openssl_cli.hpp"
#include "pod_identity_webhook/oidc/base64url.hpp"

#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <fstream>
#include <limits>

namespace piw::oidc {
namespace {

using testing::shell_quote;
using testing::TestKeys;

constexpr std::int64_t kNow = 1'750'000'000;
constexpr std::string_view kIssuer = "https://bucket.s3.eu-west-1.amazonaws.com/cluster";

PublicKey key_of(const std::string& file) {
    auto loaded = load_pem_keys(TestKeys::get().pem(file));
    EXPECT_TRUE(loaded.ok()) << loaded.error();
    return loaded.ok() ? loaded->keys.front() : PublicKey{};
}

nlohmann::json good_claims() {
    return {{"iss", kIssuer},
            {"sub", "system:serviceaccount:team-a:reader"},
            {"aud", {"sts.amazonaws.com"}},
            {"iat", kNow - 60},
            {"nbf", kNow - 60},
            {"exp", kNow + 86400 - 60},
            {"kubernetes.io",
             {{"namespace", "team-a"},
              {"serviceaccount", {{"name", "reader"}, {"uid", "u1"}}},
              {"pod", {{"name", "p"}, {"uid", "u2"}}}}}};
}

// JOSE r||s from the DER ECDSA-Sig-Value the openssl CLI writes.
std::string raw_ecdsa(const std::string& der, int size) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
    if (sig == nullptr) return {};
    std::string out(2 * static_cast<std::size_t>(size), '\0');
    auto* target = reinterpret_cast<unsigned char*>(out.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), target, size);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), target + size, size);
    ECDSA_SIG_free(sig);
    return out;
}

int ec_size(const std::string& alg) {
    return alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66;
}

// header.payload signed by the CLI with `key_file` for `alg`.
std::string sign(const nlohmann::json& header, const nlohmann::json& claims,
                 const std::string& key_file, const std::string& alg) {
    const std::string input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    const testing::TempDir dir;
    std::ofstream(dir.file("input"), std::ios::binary) << input;
    testing::run_shell("openssl dgst -sha" + alg.substr(2) + " -sign " +
                       shell_quote(TestKeys::get().path(key_file)) + " -out " +
                       shell_quote(dir.file("sig")) + " " + shell_quote(dir.file("input")));
    std::string signature = testing::read_file(dir.file("sig"));
    if (alg[0] == 'E') signature = raw_ecdsa(signature, ec_size(alg));
    return input + "." + base64url_encode(signature);
}

std::string sign(const nlohmann::json& claims, const std::string& key_file,
                 const std::string& alg) {
    const PublicKey key = key_of(key_file);
    return sign({{"alg", alg}, {"kid", key.kid}}, claims, key_file, alg);
}

TokenExpectations expect() {
    TokenExpectations expected;
    expected.issuer = std::string(kIssuer);
    expected.now = kNow;
    return expected;
}

std::vector<std::string> codes(const TokenReport& report) {
    std::vector<std::string> out;
    for (const Finding& finding : report.findings) out.push_back(finding.code);
    return out;
}

std::vector<PublicKey> published() {
    return {key_of("rsa2048.pub"), key_of("rsa3072.pub"), key_of("ec256.pub"), key_of("ec384.pub"),
            key_of("ec521.pub")};
}

struct SignCase {
    std::string key_file;
    std::string alg;
};

class ValidTokens : public ::testing::TestWithParam<SignCase> {};

TEST_P(ValidTokens, VerifyWithoutFindings) {
    const auto& [key_file, alg] = GetParam();
    const TokenReport report =
        verify_token(sign(good_claims(), key_file, alg), published(), expect());
    EXPECT_TRUE(report.findings.empty()) << ::testing::PrintToString(codes(report));
    EXPECT_EQ(report.verified_kid, key_of(key_file).kid);
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, ValidTokens,
    ::testing::Values(SignCase{"rsa2048.key", "RS256"}, SignCase{"rsa3072.key", "RS384"},
                      SignCase{"rsa2048.key", "RS512"}, SignCase{"ec256.key", "ES256"},
                      SignCase{"ec384.key", "ES384"}, SignCase{"ec521.key", "ES512"}),
    [](const auto& test) { return test.param.alg + "_" + std::to_string(test.index); });

TEST(Tokens, TamperedPayloadFailsTheSignature) {
    std::string token = sign(good_claims(), "rsa2048.key", "RS256");
    nlohmann::json claims = good_claims();
    claims["sub"] = "system:serviceaccount:team-a:admin";
    claims["kubernetes.io"]["serviceaccount"]["name"] = "admin";
    const std::size_t first = token.find('.');
    const std::size_t second = token.find('.', first + 1);
    token = token.substr(0, first + 1) + base64url_encode(claims.dump()) + token.substr(second);
    EXPECT_EQ(codes(verify_token(token, published(), expect())),
              std::vector<std::string>{"token-signature-invalid"});
}

TEST(Tokens, KidUnknownMissingOrOfAnotherKey) {
    const nlohmann::json claims = good_claims();
    EXPECT_EQ(
        codes(verify_token(sign({{"alg", "ES256"}, {"kid", "nope"}}, claims, "ec256.key", "ES256"),
                           published(), expect())),
        std::vector<std::string>{"token-kid-unknown"});
    const TokenReport no_kid =
        verify_token(sign({{"alg", "ES256"}}, claims, "ec256.key", "ES256"), published(), expect());
    EXPECT_EQ(codes(no_kid), std::vector<std::string>{"token-no-kid"});
    EXPECT_EQ(no_kid.verified_kid, key_of("ec256.pub").kid);
    const std::string other_kid = key_of("rsa3072.pub").kid;
    EXPECT_EQ(codes(verify_token(
                  sign({{"alg", "RS256"}, {"kid", other_kid}}, claims, "rsa2048.key", "RS256"),
                  published(), expect())),
              std::vector<std::string>{"token-signature-invalid"});
}

TEST(Tokens, ExpiryWithSkew) {
    nlohmann::json claims = good_claims();
    claims["iat"] = kNow - 3600;
    claims["nbf"] = kNow - 3600;
    claims["exp"] = kNow - 299;
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-expired-within-skew"});
    claims["exp"] = kNow - 300;
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-expired"});
}

TEST(Tokens, NotYetValid) {
    nlohmann::json claims = good_claims();
    claims["nbf"] = kNow + 301;
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-not-yet-valid"});
}

TEST(Tokens, AudienceStringOrArray) {
    nlohmann::json claims = good_claims();
    claims["aud"] = "sts.amazonaws.com";
    EXPECT_TRUE(
        verify_token(sign(claims, "ec256.key", "ES256"), published(), expect()).findings.empty());
    claims["aud"] = {"other", "sts.amazonaws.com"};
    EXPECT_TRUE(
        verify_token(sign(claims, "ec256.key", "ES256"), published(), expect()).findings.empty());
    claims["aud"] = {"https://kubernetes.default.svc"};
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-audience-mismatch"});
    claims["aud"] = 7;
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-audience-invalid"});
}

TEST(Tokens, TrailingSlashIssuerIsNamed) {
    nlohmann::json claims = good_claims();
    claims["iss"] = std::string(kIssuer) + "/";
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-issuer-trailing-slash"});
    claims["iss"] = "https://kubernetes.default.svc";
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-issuer-mismatch"});
}

TEST(Tokens, UnsignedAndHmacTokensAreRefused) {
    const std::string payload = base64url_encode(good_claims().dump());
    const std::string none = base64url_encode(R"({"alg":"none"})") + "." + payload + ".";
    const TokenReport unsigned_report = verify_token(none, published(), expect());
    EXPECT_EQ(codes(unsigned_report), std::vector<std::string>{"token-alg-none"});
    EXPECT_TRUE(unsigned_report.verified_kid.empty());

    // HS256 "signed" with the RSA public key's PEM as the HMAC secret: the confusion attack.
    const TestKeys& keys = TestKeys::get();
    const std::string input =
        base64url_encode(R"({"alg":"HS256","kid":")" + key_of("rsa2048.pub").kid + R"("})") + "." +
        payload;
    const testing::TempDir dir;
    std::ofstream(dir.file("input"), std::ios::binary) << input;
    const std::string mac = testing::run_shell(
        "openssl dgst -sha256 -mac HMAC -macopt hexkey:$(basenc --base16 -w0 " +
        shell_quote(keys.path("rsa2048.pub")) + " | tr -d '\\n') -binary " +
        shell_quote(dir.file("input")) + " | basenc --base64url -w0 | tr -d '='");
    const TokenReport hmac = verify_token(input + "." + mac, published(), expect());
    EXPECT_EQ(codes(hmac), std::vector<std::string>{"token-alg-hmac"});
    EXPECT_TRUE(hmac.verified_kid.empty());
}

TEST(Tokens, FloatTimestampsAreRefused) {
    nlohmann::json claims = good_claims();
    claims["exp"] = static_cast<double>(kNow + 3600) + 0.5;
    claims["iat"] = static_cast<double>(kNow - 60);
    EXPECT_EQ(
        codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
        (std::vector<std::string>{"token-timestamp-not-integer", "token-timestamp-not-integer"}));
}

TEST(Tokens, ImplausibleTimestampsAreRefusedWithoutOverflow) {
    nlohmann::json claims = good_claims();
    claims["exp"] = std::numeric_limits<std::int64_t>::max();
    claims["iat"] = -5;
    EXPECT_EQ(
        codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
        (std::vector<std::string>{"token-timestamp-out-of-range", "token-timestamp-out-of-range"}));
}

TEST(Tokens, MalformedTokens) {
    const std::string good = sign(good_claims(), "ec256.key", "ES256");
    std::string oversize = good;
    oversize.resize(kMaxTokenLength + 1, 'A');
    for (const std::string& bad :
         {oversize, std::string("a.b"), good + ".x", "!!!." + good.substr(good.find('.') + 1),
          good.substr(0, good.size() - 1) + "=", base64url_encode("[1]") + ".e30.AA"}) {
        const TokenReport report = verify_token(bad, published(), expect());
        EXPECT_EQ(codes(report), std::vector<std::string>{"token-malformed"});
        EXPECT_FALSE(report.parsed);
    }
}

// A header or payload nested thousands deep used to parse, and `oidc verify-token` copies and
// prints both, recursing once per level (a crafted 20 KB token crashed it on a 1 MiB stack).
TEST(Tokens, DeeplyNestedHeaderOrClaimsAreMalformed) {
    const std::string deep = std::string(5000, '[') + std::string(5000, ']');
    const std::string header = base64url_encode(R"({"alg":"ES256"})");
    for (const std::string& token :
         {base64url_encode(R"({"alg":"ES256","x":)" + deep + "}") + ".e30.AA",
          header + "." + base64url_encode(R"({"x":)" + deep + "}") + ".AA"}) {
        const TokenReport report = verify_token(token, published(), expect());
        EXPECT_EQ(codes(report), std::vector<std::string>{"token-malformed"});
        ASSERT_FALSE(report.findings.empty());
        EXPECT_NE(report.findings[0].message.find("nests deeper than 32 levels"), std::string::npos)
            << report.findings[0].message;
    }
    // At the limit it parses; brackets inside strings (escaped quotes included) do not count.
    const std::string at_limit = R"({"s":"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[","x":)" +
                                 std::string(31, '[') + std::string(31, ']') + "}";
    EXPECT_TRUE(parse_compact_jws(header + "." + base64url_encode(at_limit) + ".AA").ok());
}

TEST(Tokens, EcdsaSignatureOfTheWrongSize) {
    std::string token = sign(good_claims(), "ec256.key", "ES256");
    auto jws = parse_compact_jws(token);
    ASSERT_TRUE(jws.ok()) << jws.error();
    EXPECT_TRUE(verify_signature(*jws, key_of("ec256.pub")));
    jws->signature.pop_back();
    EXPECT_FALSE(verify_signature(*jws, key_of("ec256.pub")));
    EXPECT_FALSE(verify_signature(*jws, key_of("ec384.pub")));  // curve mismatch
}

TEST(Tokens, LegacySecretToken) {
    const nlohmann::json claims = {{"iss", "kubernetes/serviceaccount"},
                                   {"sub", "system:serviceaccount:default:old"},
                                   {"kubernetes.io/serviceaccount/namespace", "default"},
                                   {"kubernetes.io/serviceaccount/secret.name", "old-token-abcde"}};
    const TokenReport report =
        verify_token(sign(claims, "rsa2048.key", "RS256"), published(), expect());
    EXPECT_EQ(codes(report), (std::vector<std::string>{"token-legacy-secret",
                                                       "token-audience-invalid", "token-no-exp"}));
}

TEST(Tokens, LegacyTokenIsRecognisedByItsFlatClaimsToo) {
    nlohmann::json claims = good_claims();
    claims["kubernetes.io/serviceaccount/namespace"] = "team-a";
    const auto found =
        codes(verify_token(sign(claims, "rsa2048.key", "RS256"), published(), expect()));
    EXPECT_NE(std::find(found.begin(), found.end(), "token-legacy-secret"), found.end());
}

TEST(Tokens, SubjectShapeAndAgreement) {
    nlohmann::json claims = good_claims();
    claims["kubernetes.io"]["namespace"] = "team-b";
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-subject-disagrees"});
    claims = good_claims();
    claims["sub"] = "system:serviceaccount:team-a";
    EXPECT_EQ(codes(verify_token(sign(claims, "ec256.key", "ES256"), published(), expect())),
              std::vector<std::string>{"token-subject-shape"});
}

TEST(Tokens, EveryProblemIsReported) {
    nlohmann::json claims = good_claims();
    claims["iss"] = "https://elsewhere.example.com";
    claims["aud"] = "kubernetes";
    claims["exp"] = kNow - 1000;
    claims["iat"] = kNow - 2000;
    claims["nbf"] = kNow - 2000;
    EXPECT_EQ(codes(verify_token(sign(claims, "rsa2048.key", "RS256"), published(), expect())),
              (std::vector<std::string>{"token-issuer-mismatch", "token-audience-mismatch",
                                        "token-expired"}));
}

}  // namespace
}  // namespace piw::oidc
