// Keys made at test time by the openssl CLI; every expected kid, n, x and y is computed by the
// CLI too (openssl_cli.cpp), never by the code under test.

#include "pod_identity_webhook/oidc/keys.hpp"

#include "openssl_cli.hpp"

#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace piw::oidc {
namespace {

using testing::TestKeys;

PublicKey load_single(const std::string& file) {
    auto loaded = load_pem_keys(TestKeys::get().pem(file));
    EXPECT_TRUE(loaded.ok()) << file << ": " << loaded.error();
    if (!loaded.ok() || loaded->keys.size() != 1) {
        ADD_FAILURE() << file << ": expected exactly one key";
        return {};
    }
    return loaded->keys.front();
}

bool has_private_rsa_exponent(const PublicKey& key) {
    BIGNUM* d = nullptr;
    const bool found = EVP_PKEY_get_bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_D, &d) == 1;
    BN_free(d);
    return found;
}

// ---------------------------------------------------------------------------------------------
// RSA

struct RsaCase {
    std::string name;
    int bits;
};

class RsaKeys : public ::testing::TestWithParam<RsaCase> {};

TEST_P(RsaKeys, KidModulusAndJwkMatchTheOpensslCli) {
    const auto& [name, bits] = GetParam();
    const std::string pub = TestKeys::get().path(name + ".pub");
    const PublicKey key = load_single(name + ".pub");
    const std::string kid = testing::cli_kid(pub);
    const std::string n = testing::cli_rsa_n(pub);
    ASSERT_EQ(kid.size(), 43U);
    EXPECT_EQ(key.kid, kid);
    EXPECT_EQ(key.n, n);
    EXPECT_EQ(key.e, "AQAB");
    EXPECT_EQ(key.type, KeyType::rsa);
    EXPECT_EQ(key.alg, "RS256");
    EXPECT_EQ(key.bits, bits);
    EXPECT_FALSE(key.from_private_key);
    EXPECT_EQ(render_jwk(key), R"({"use":"sig","kty":"RSA","kid":")" + kid +
                                   R"(","alg":"RS256","n":")" + n + R"(","e":"AQAB"})");
}

INSTANTIATE_TEST_SUITE_P(Sizes, RsaKeys,
                         ::testing::Values(RsaCase{"rsa2048", 2048}, RsaCase{"rsa3072", 3072}),
                         [](const auto& test) { return test.param.name; });

TEST(RsaKeyForms, EveryPemFormGivesTheSamePublicKey) {
    const PublicKey reference = load_single("rsa2048.pub");
    for (const std::string file :
         {"rsa2048.key", "rsa2048.pkcs1.key", "rsa2048.pkcs1.pub", "rsa2048.crt"}) {
        SCOPED_TRACE(file);
        const PublicKey key = load_single(file);
        EXPECT_EQ(key.kid, reference.kid);
        EXPECT_EQ(key.n, reference.n);
        EXPECT_EQ(key.spki_der, reference.spki_der);
        EXPECT_EQ(render_jwk(key), render_jwk(reference));
    }
    EXPECT_TRUE(load_single("rsa2048.key").from_private_key);
    EXPECT_TRUE(load_single("rsa2048.pkcs1.key").from_private_key);
    EXPECT_FALSE(load_single("rsa2048.crt").from_private_key);
}

TEST(RsaKeyForms, PrivateKeysAreReducedToTheirPublicHalf) {
    const PublicKey key = load_single("rsa2048.key");
    ASSERT_NE(key.pkey, nullptr);
    EXPECT_FALSE(has_private_rsa_exponent(key));
}

// ---------------------------------------------------------------------------------------------
// EC

struct EcCase {
    std::string name;
    std::string crv;
    std::string alg;
    int coordinate_bytes;
};

class EcKeys : public ::testing::TestWithParam<EcCase> {};

TEST_P(EcKeys, KidCoordinatesAndJwkMatchTheOpensslCli) {
    const auto& [name, crv, alg, size] = GetParam();
    const std::string pub = TestKeys::get().path(name + ".pub");
    const PublicKey key = load_single(name + ".pub");
    const std::string kid = testing::cli_kid(pub);
    const std::string x = testing::cli_ec_x(pub, size);
    const std::string y = testing::cli_ec_y(pub, size);
    ASSERT_EQ(kid.size(), 43U);
    EXPECT_EQ(key.kid, kid);
    EXPECT_EQ(key.x, x);
    EXPECT_EQ(key.y, y);
    // Fixed length: a coordinate with leading zero bytes keeps them.
    EXPECT_EQ(key.x.size(), (static_cast<std::size_t>(size) * 4 + 2) / 3);
    EXPECT_EQ(key.type, KeyType::ec);
    EXPECT_EQ(key.crv, crv);
    EXPECT_EQ(key.alg, alg);
    EXPECT_EQ(render_jwk(key), R"({"use":"sig","kty":"EC","kid":")" + kid + R"(","crv":")" + crv +
                                   R"(","alg":")" + alg + R"(","x":")" + x + R"(","y":")" + y +
                                   R"("})");
}

TEST_P(EcKeys, PrivateAndCompressedFormsGiveTheSameKid) {
    const std::string& name = GetParam().name;
    const PublicKey reference = load_single(name + ".pub");
    for (const std::string suffix : {".key", ".pkcs8.key", ".compressed.pub"}) {
        SCOPED_TRACE(name + suffix);
        const PublicKey key = load_single(name + suffix);
        // Go marshals the point uncompressed whatever form the file used.
        EXPECT_EQ(key.kid, reference.kid);
        EXPECT_EQ(key.spki_der, reference.spki_der);
        EXPECT_EQ(render_jwk(key), render_jwk(reference));
    }
}

INSTANTIATE_TEST_SUITE_P(Curves, EcKeys,
                         ::testing::Values(EcCase{"ec256", "P-256", "ES256", 32},
                                           EcCase{"ec384", "P-384", "ES384", 48},
                                           EcCase{"ec521", "P-521", "ES512", 66}),
                         [](const auto& test) { return test.param.name; });

// ---------------------------------------------------------------------------------------------
// Files with several blocks, and what is refused

TEST(PemFiles, EveryKeyInFileOrderAndNonKeyBlocksSkipped) {
    const TestKeys& keys = TestKeys::get();
    const std::string pem = "comment before the blocks\n" + keys.pem("rsa2048.pub") +
                            keys.pem("rsa2048.csr") + keys.pem("ec384.key") +
                            keys.pem("rsa3072.key");
    auto loaded = load_pem_keys(pem);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(loaded->keys.size(), 3U);
    EXPECT_EQ(loaded->keys[0].kid, testing::cli_kid(keys.path("rsa2048.pub")));
    EXPECT_EQ(loaded->keys[1].kid, testing::cli_kid(keys.path("ec384.pub")));
    EXPECT_EQ(loaded->keys[2].kid, testing::cli_kid(keys.path("rsa3072.pub")));
    EXPECT_EQ(loaded->skipped_blocks, std::vector<std::string>{"CERTIFICATE REQUEST"});
}

void expect_refused(const std::string& pem, const std::string& reason) {
    auto loaded = load_pem_keys(pem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().find(reason), std::string::npos) << loaded.error();
}

TEST(PemFiles, KeysKubeCannotSignWithAreRefused) {
    expect_refused(TestKeys::get().pem("ed25519.pub"), "unsupported key type");
    expect_refused(TestKeys::get().pem("ed25519.key"), "unsupported key type");
    expect_refused(TestKeys::get().pem("secp256k1.pub"), "unsupported elliptic curve");
}

TEST(PemFiles, EncryptedKeysAreRefusedWithAHint) {
    expect_refused(TestKeys::get().pem("encrypted.key"), "openssl pkey");
}

TEST(PemFiles, DataWithoutKeysIsRefused) {
    expect_refused("", "no PEM-encoded");
    expect_refused("not a key at all", "no PEM-encoded");
    expect_refused(TestKeys::get().pem("rsa2048.csr"), "no PEM-encoded");
}

TEST(PemFiles, DamagedBlocksAreRefused) {
    std::string pem = TestKeys::get().pem("rsa2048.pub");
    expect_refused(pem.substr(0, pem.size() / 2), "malformed PEM");
    pem[40] = pem[40] == 'A' ? 'B' : 'A';  // still base64, no longer valid DER
    expect_refused(pem, "not a valid key");
    expect_refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                   "not a valid key");
}

TEST(PemFiles, OversizeDataIsRefusedBeforeParsing) {
    std::string pem = TestKeys::get().pem("rsa2048.pub");
    pem.resize(kMaxKeyFileBytes + 1, '\n');
    expect_refused(pem, "more than the 65536");
}

TEST(Spki, DerRoundTripAndKidOfTheBytes) {
    const PublicKey reference = load_single("ec521.pub");
    auto key = public_key_from_spki_der(reference.spki_der);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->kid, reference.kid);
    EXPECT_EQ(key_id_from_spki_der(reference.spki_der), reference.kid);
    EXPECT_FALSE(public_key_from_spki_der("garbage").ok());
    EXPECT_FALSE(public_key_from_spki_der(reference.spki_der + "x").ok());  // trailing bytes
}

TEST(JwkMembers, RebuiltKeysHaveTheSameKidAndJwk) {
    for (const std::string file : {"rsa2048.pub", "rsa3072.pub"}) {
        const PublicKey reference = load_single(file);
        auto rebuilt = public_key_from_rsa_members(reference.n, reference.e);
        ASSERT_TRUE(rebuilt.ok()) << rebuilt.error();
        EXPECT_EQ(render_jwk(*rebuilt), render_jwk(reference));
    }
    for (const std::string file : {"ec256.pub", "ec384.pub", "ec521.pub"}) {
        const PublicKey reference = load_single(file);
        auto rebuilt = public_key_from_ec_members(reference.crv, reference.x, reference.y);
        ASSERT_TRUE(rebuilt.ok()) << rebuilt.error();
        EXPECT_EQ(render_jwk(*rebuilt), render_jwk(reference));
    }
}

TEST(JwkMembers, BadMembersAreRefused) {
    const PublicKey ec = load_single("ec256.pub");
    std::string y = ec.y;
    y[5] = y[5] == 'A' ? 'B' : 'A';  // almost surely off the curve now
    EXPECT_FALSE(public_key_from_ec_members("P-256", ec.x, y).ok());
    EXPECT_FALSE(public_key_from_ec_members("P-384", ec.x, ec.y).ok());  // wrong size
    EXPECT_FALSE(public_key_from_ec_members("secp256k1", ec.x, ec.y).ok());
    EXPECT_FALSE(public_key_from_ec_members("P-256", ec.x + "=", ec.y).ok());
    EXPECT_FALSE(public_key_from_rsa_members("", "AQAB").ok());
    EXPECT_FALSE(public_key_from_rsa_members("!!", "AQAB").ok());
}

}  // namespace
}  // namespace piw::oidc
