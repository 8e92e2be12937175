// --tls-min-version and --tls-cipher-suites parsing (upstream-behaviour §1, §6.6) and the
// errors make_server_context reports for unusable certificate files.

#include "pod_identity_webhook/server/tls_settings.hpp"

#include <gtest/gtest.h>

#include "pod_identity_webhook/server/certificate_reloader.hpp"
#include "support/certificates.hpp"
#include "support/temp_dir.hpp"

namespace piw::server {
namespace {

struct MinVersionCase {
    const char* text;
    int version;
};

class MinVersionTable : public ::testing::TestWithParam<MinVersionCase> {};

TEST_P(MinVersionTable, AcceptsUpstreamSpellings) {
    const auto result = parse_tls_min_version(GetParam().text);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_EQ(*result, GetParam().version);
}

INSTANTIATE_TEST_SUITE_P(Upstream, MinVersionTable,
                         ::testing::Values(MinVersionCase{"", TLS1_2_VERSION},
                                           MinVersionCase{"1.0", TLS1_VERSION},
                                           MinVersionCase{"1.1", TLS1_1_VERSION},
                                           MinVersionCase{"1.2", TLS1_2_VERSION},
                                           MinVersionCase{"1.3", TLS1_3_VERSION},
                                           MinVersionCase{"VersionTLS10", TLS1_VERSION},
                                           MinVersionCase{"VersionTLS11", TLS1_1_VERSION},
                                           MinVersionCase{"VersionTLS12", TLS1_2_VERSION},
                                           MinVersionCase{"VersionTLS13", TLS1_3_VERSION}));

TEST(MinVersion, RejectsAnythingElseWithUpstreamsMessage) {
    for (const char* text :
         {"1.4", "TLS1.2", "versiontls12", " 1.2", "1", "SSLv3", "VersionTLS14"}) {
        const auto result = parse_tls_min_version(text);
        ASSERT_FALSE(result.ok()) << text;
        EXPECT_EQ(result.error(),
                  std::string("Invalid value for tls-min-version unsupported version ") + text);
    }
}

struct CipherCase {
    const char* text;
    const char* openssl_list;
};

class CipherSuiteTable : public ::testing::TestWithParam<CipherCase> {};

TEST_P(CipherSuiteTable, MapsGoNamesToOpenSslNames) {
    const auto result = parse_tls_cipher_suites(GetParam().text);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_EQ(*result, GetParam().openssl_list);
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, CipherSuiteTable,
    ::testing::Values(
        CipherCase{"", ""}, CipherCase{" , ,", ""},
        CipherCase{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
        CipherCase{
            " TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"},
        CipherCase{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,,",
                   "ECDHE-ECDSA-CHACHA20-POLY1305"},
        // Go's "insecure" list is accepted as upstream does.
        CipherCase{"TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                   "AES128-SHA:ECDHE-RSA-AES128-SHA256"},
        // TLS 1.3 suites are not configurable (as in Go): accepted and ignored.
        CipherCase{"TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
                   "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_256_GCM_SHA384",
                   "ECDHE-RSA-AES256-GCM-SHA384"}));

TEST(CipherSuites, UnknownNameIsRejectedWithUpstreamsMessage) {
    for (const char* name :
         {"TLS_FOO", "ECDHE-RSA-AES128-GCM-SHA256", "tls_ecdhe_rsa_with_aes_128_gcm_sha256",
          "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}) {
        const auto result =
            parse_tls_cipher_suites(std::string("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ") + name);
        ASSERT_FALSE(result.ok()) << name;
        EXPECT_EQ(result.error(),
                  std::string("invalid tls-cipher-suites: unsupported cipher suite: ") + name);
    }
}

TEST(CipherSuites, GoNameThisOpenSslCannotOfferIsAClearError) {
    for (const char* name : {"TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"}) {
        const auto result = parse_tls_cipher_suites(name);
        ASSERT_FALSE(result.ok()) << name;
        EXPECT_NE(result.error().find(name), std::string::npos) << result.error();
        EXPECT_NE(result.error().find("not available"), std::string::npos) << result.error();
    }
}

// ---- make_server_context errors ---------------------------------------------------------------

class ServerContextFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::CertificateRequest request;
        request.common_name = "first";
        first_ = ca_.issue(request);
        request.common_name = "second";
        request.key_type = testing::KeyType::rsa_2048;
        second_ = ca_.issue(request);
    }
    TlsSettings settings_for(const std::string& certificate, const std::string& key) {
        TlsSettings settings;
        settings.certificate_file = dir_.write_file("tls.crt", certificate).string();
        settings.key_file = dir_.write_file("tls.key", key).string();
        return settings;
    }

    testing::TempDir dir_;
    testing::TestCertificateAuthority ca_;
    testing::PemPair first_;
    testing::PemPair second_;
};

TEST_F(ServerContextFiles, AMatchingPairLoads) {
    EXPECT_TRUE(make_server_context(settings_for(first_.certificate, first_.key)).ok());
    EXPECT_TRUE(make_server_context(settings_for(second_.certificate, second_.key)).ok());
}

TEST_F(ServerContextFiles, ACertificateFollowedByItsChainLoads) {
    EXPECT_TRUE(
        make_server_context(settings_for(first_.certificate + ca_.certificate_pem(), first_.key))
            .ok());
}

TEST_F(ServerContextFiles, MissingFileIsNamed) {
    TlsSettings settings = settings_for(first_.certificate, first_.key);
    settings.key_file = (dir_ / "absent.key").string();
    const auto result = make_server_context(settings);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find(settings.key_file), std::string::npos) << result.error();
    EXPECT_NE(result.error().find("No such file"), std::string::npos) << result.error();
}

TEST_F(ServerContextFiles, MismatchedPairNamesBothFilesAndTheReason) {
    const TlsSettings settings = settings_for(first_.certificate, second_.key);
    const auto result = make_server_context(settings);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find(settings.certificate_file), std::string::npos) << result.error();
    EXPECT_NE(result.error().find(settings.key_file), std::string::npos) << result.error();
    EXPECT_NE(result.error().find("mismatch"), std::string::npos) << result.error();
}

TEST_F(ServerContextFiles, GarbageIsRejectedWithTheOpenSslReason) {
    const TlsSettings settings = settings_for("not a certificate", first_.key);
    const auto result = make_server_context(settings);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find(settings.certificate_file), std::string::npos) << result.error();
    EXPECT_NE(result.error().find("no start line"), std::string::npos) << result.error();

    const auto truncated_key =
        make_server_context(settings_for(first_.certificate, first_.key.substr(0, 60)));
    ASSERT_FALSE(truncated_key.ok());
    EXPECT_NE(truncated_key.error().find("tls.key"), std::string::npos) << truncated_key.error();
}

TEST_F(ServerContextFiles, AnUnusableCipherListIsAnError) {
    TlsSettings settings = settings_for(first_.certificate, first_.key);
    settings.cipher_list = "NOT-A-CIPHER";
    const auto result = make_server_context(settings);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("cipher"), std::string::npos) << result.error();
}

}  // namespace
}  // namespace piw::server
