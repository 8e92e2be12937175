// `pod-identity-webhook oidc verify-token`: the real executable, offline, against documents that
// `oidc discovery --from-key` wrote; tokens signed with the openssl CLI. The full matrix of
// spec/oidc.md §6.3 runs against the library in tests/oidc; here each way in and out of the
// command is covered.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "oidc_cli.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kIssuer = "https://acme-oidc.s3.eu-west-1.amazonaws.com/prod";
constexpr long long kNow = 1796040000;  // 2026-11-30T12:00:00Z, passed as --now

class OidcVerifyToken : public ::testing::Test {
  protected:
    void SetUp() override {
        rsa_ = make_rsa_key(dir_.path(), "sa");
        ec_ = make_ec_key(dir_.path(), "ec");
        const auto published = run_oidc({"discovery", "--from-key", rsa_, ec_, "--issuer", kIssuer,
                                         "--out-dir", documents().string()});
        ASSERT_EQ(published.exit_code, 0) << published.err;
    }

    [[nodiscard]] std::filesystem::path documents() const { return dir_ / "published"; }

    std::string token_file(const std::string& token) {
        return dir_.write_file("token-" + std::to_string(++tokens_), token + "\n").string();
    }

    std::string signed_token(const nlohmann::json& claims, const std::string& key,
                             const std::string& alg = "RS256") {
        return sign_token({{"alg", alg}, {"kid", openssl_kid(key)}}, claims, key);
    }

    CliResult verify(const std::string& token, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "verify-token",       "--token", token_file(token),   "--discovery",
            documents().string(), "--now",   std::to_string(kNow)};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_oidc(args);
    }

    TempDir dir_{"piw-oidc"};
    std::string rsa_;
    std::string ec_;
    int tokens_ = 0;
};

TEST_F(OidcVerifyToken, ValidTokensPrintClaimsButNeverTheSignature) {
    for (const auto& [key, alg] : {std::pair{rsa_, "RS256"}, std::pair{ec_, "ES256"}}) {
        const std::string token = signed_token(projected_claims(kIssuer, kNow - 60), key, alg);
        const auto result = verify(token);
        EXPECT_EQ(result.exit_code, 0) << alg << ": " << result.err;
        EXPECT_EQ(result.err, "") << alg;
        EXPECT_THAT(result.out, HasSubstr("\"sub\": \"system:serviceaccount:payments:api\""));
        EXPECT_THAT(result.out, HasSubstr("Bound to:   pod payments/api-0, node worker-1"));
        EXPECT_THAT(result.out, HasSubstr("verified with key " + openssl_kid(key)));
        EXPECT_THAT(result.out, HasSubstr("exp  2026-12-01T11:59:00Z (in 23h 59m)"));
        const std::string signature = token.substr(token.rfind('.') + 1);
        EXPECT_THAT(result.out + result.err, Not(HasSubstr(signature)));
    }
}

TEST_F(OidcVerifyToken, TamperedTokenFailsAndEveryProblemIsListed) {
    auto claims = projected_claims(kIssuer, kNow - 90000, 3600);  // expired a day ago
    claims["aud"] = "wrong-audience";
    std::string token = signed_token(claims, rsa_);
    // Swap the payload for another one: the signature no longer matches.
    auto other = claims;
    other["sub"] = "system:serviceaccount:kube-system:admin";
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    token.replace(first_dot + 1, second_dot - first_dot - 1, base64url(other.dump()));
    const auto result = verify(token, {"-o", "json"});
    EXPECT_EQ(result.exit_code, 1);
    const auto codes = result.codes();
    EXPECT_THAT(codes, Contains("token-signature-invalid"));
    EXPECT_THAT(codes, Contains("token-audience-mismatch"));
    EXPECT_THAT(codes, Contains("token-expired"));
    EXPECT_THAT(codes, Contains("token-subject-disagrees"));
    EXPECT_EQ(result.json()["verified_kid"], "");
}

TEST_F(OidcVerifyToken, ExpiryGraceIsFiveMinutes) {
    const auto inside = verify(signed_token(projected_claims(kIssuer, kNow - 3700, 3600), rsa_));
    EXPECT_EQ(inside.exit_code, 0) << inside.err;
    EXPECT_THAT(inside.err, HasSubstr("[token-expired-within-skew]"));
    const auto beyond = verify(signed_token(projected_claims(kIssuer, kNow - 3901, 3600), rsa_));
    EXPECT_EQ(beyond.exit_code, 1);
    EXPECT_THAT(beyond.err, HasSubstr("[token-expired]"));
}

TEST_F(OidcVerifyToken, UnsignedAndLegacyTokensAreRefusedWithReasons) {
    const std::string unsigned_token = base64url(R"({"alg":"none"})") + "." +
                                       base64url(projected_claims(kIssuer, kNow).dump()) + ".";
    const auto none = verify(unsigned_token);
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_THAT(none.err, HasSubstr("[token-alg-none]"));

    const nlohmann::json legacy = {{"iss", "kubernetes/serviceaccount"},
                                   {"kubernetes.io/serviceaccount/namespace", "payments"},
                                   {"kubernetes.io/serviceaccount/secret.name", "api-token-x"},
                                   {"kubernetes.io/serviceaccount/service-account.name", "api"},
                                   {"sub", "system:serviceaccount:payments:api"}};
    const auto old = verify(signed_token(legacy, rsa_));
    EXPECT_EQ(old.exit_code, 1);
    EXPECT_THAT(old.err, HasSubstr("[token-legacy-secret]"));
}

TEST_F(OidcVerifyToken, TokenFromStdinAndJwksFileWithExplicitIssuer) {
    const std::string token = signed_token(projected_claims(kIssuer, kNow), rsa_);
    const auto file = token_file(token);
    const auto result = run_oidc(
        {"verify-token", "--token", "-", "--jwks", (documents() / "openid/v1/jwks").string(),
         "--issuer", kIssuer, "--now", "2026-11-30T12:00:00Z"},
        file);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto wrong_issuer = run_oidc({"verify-token", "--token", file, "--jwks",
                                        (documents() / "openid/v1/jwks").string(), "--issuer",
                                        std::string(kIssuer) + "/", "--now", std::to_string(kNow)});
    EXPECT_EQ(wrong_issuer.exit_code, 1);
    EXPECT_THAT(wrong_issuer.err, HasSubstr("[token-issuer-trailing-slash]"));
}

TEST_F(OidcVerifyToken, TrustPolicyIsCheckedAgainstTheTokensIssuerAndSubject) {
    const std::string token = signed_token(projected_claims(kIssuer, kNow), rsa_);
    const auto rendered = run_oidc({"trust-policy", "--issuer", kIssuer, "--account",
                                    "111122223333", "--service-account", "payments:api"});
    ASSERT_EQ(rendered.exit_code, 0);
    const auto good = dir_.write_file("good.json", rendered.out);
    EXPECT_EQ(verify(token, {"--trust-policy", good.string()}).exit_code, 0);

    const auto other = run_oidc({"trust-policy", "--issuer", kIssuer, "--account", "111122223333",
                                 "--service-account", "payments:worker"});
    const auto wrong_sub = dir_.write_file("wrong-sub.json", other.out);
    const auto refused = verify(token, {"--trust-policy", wrong_sub.string(), "-o", "json"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.codes(), Contains("trust-policy-denies"));

    const auto elsewhere =
        run_oidc({"trust-policy", "--issuer", "https://oidc.example.com/x", "--account",
                  "111122223333", "--service-account", "payments:api"});
    const auto wrong_provider = dir_.write_file("wrong-provider.json", elsewhere.out);
    const auto mismatch = verify(token, {"--trust-policy", wrong_provider.string(), "-o", "json"});
    EXPECT_EQ(mismatch.exit_code, 1);
    EXPECT_THAT(mismatch.codes(), Contains("trust-policy-provider-mismatch"));
}

TEST_F(OidcVerifyToken, OversizeAndGarbageTokensAreFindingsNotCrashes) {
    const auto big = verify(std::string(20001, 'a'), {"-o", "json"});
    EXPECT_EQ(big.exit_code, 1);
    EXPECT_THAT(big.codes(), Contains("token-malformed"));
    EXPECT_THAT(big.json()["findings"][0]["message"].get<std::string>(), HasSubstr("20000"));
    EXPECT_EQ(verify("not.a.token!").exit_code, 1);
    EXPECT_EQ(verify("").exit_code, 1);
    EXPECT_EQ(run_oidc({"verify-token", "--token", "x"}).exit_code, 2);  // no keys
    EXPECT_EQ(run_oidc({"verify-token", "--token", (dir_ / "missing").string(), "--jwks",
                        (documents() / "openid/v1/jwks").string()})
                  .exit_code,
              3);
    EXPECT_EQ(verify("a.b.c", {"--now", "yesterday"}).exit_code, 2);
}

}  // namespace
}  // namespace piw::testing
