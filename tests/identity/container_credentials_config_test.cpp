#include "pod_identity_webhook/identity/container_credentials_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "identity_test_helpers.hpp"
#include "pod_identity_webhook/metrics/registry.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"

namespace piw::identity {
namespace {

using test::eventually;
using test::metric_value;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kUnmarshalError = "error Unmarshalling container credentials config file: ";
constexpr const char* kConfig =
    R"({"identities":[{"namespace":"payments","serviceAccount":"api"},
                      {"namespace":"shop","serviceAccount":"web"}]})";

TEST(ContainerCredentialsConfigTest, MatchesExactNamespaceAndServiceAccount) {
    ContainerCredentialsConfig config;
    ASSERT_TRUE(config.load(kConfig).ok());
    EXPECT_EQ(config.size(), 2U);
    EXPECT_TRUE(config.contains("payments", "api"));
    EXPECT_TRUE(config.contains("shop", "web"));
    EXPECT_FALSE(config.contains("payments", "web"));
    EXPECT_FALSE(config.contains("Payments", "api"));
    EXPECT_FALSE(config.contains("payments", "api "));
    EXPECT_FALSE(config.contains("", ""));
}

TEST(ContainerCredentialsConfigTest, NoWildcards) {
    ContainerCredentialsConfig config;
    ASSERT_TRUE(config.load(R"({"identities":[{"namespace":"*","serviceAccount":"api"}]})").ok());
    EXPECT_FALSE(config.contains("payments", "api"));
    EXPECT_TRUE(config.contains("*", "api"));
}

struct DecodeCase {
    std::string name;
    std::string content;
    std::vector<std::pair<std::string, std::string>> expected;
};

class GoJsonDecodingTest : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(GoJsonDecodingTest, FollowsEncodingJson) {
    ContainerCredentialsConfig config;
    const Status loaded = config.load(GetParam().content);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(config.size(), GetParam().expected.size());
    for (const auto& [ns, sa] : GetParam().expected) {
        EXPECT_TRUE(config.contains(ns, sa)) << ns << "/" << sa;
    }
}

INSTANTIATE_TEST_SUITE_P(
    ContainerCredentialsConfig, GoJsonDecodingTest,
    ::testing::Values(DecodeCase{"CaseInsensitiveKeys",
                                 R"({"Identities":[{"NameSpace":"a","SERVICEACCOUNT":"b"},
                                     {"namespace":"c","serviceaccount":"d"}]})",
                                 {{"a", "b"}, {"c", "d"}}},
                      DecodeCase{"UnicodeFoldingOfLongS",
                                 "{\"identitie\xC5\xBF\":[{\"namespace\":\"a\",\"\xC5\xBF"
                                 "erviceAccount\":\"b\"}]}",
                                 {{"a", "b"}}},
                      DecodeCase{
                          "UnknownKeysIgnored",
                          R"({"version":2,"identities":[{"namespace":"a","serviceAccount":"b",
                       "roleArn":"x","extra":{"deep":[1,2]}}],"other":null})",
                          {{"a", "b"}}},
                      DecodeCase{"NullIdentities", R"({"identities":null})", {}},
                      DecodeCase{"NoIdentitiesKey", R"({})", {}},
                      DecodeCase{"NullDocument", "null", {}},
                      DecodeCase{"NullFieldsAndNullElement",
                                 R"({"identities":[{"namespace":null,"serviceAccount":"b"},null]})",
                                 {{"", "b"}, {"", ""}}},
                      DecodeCase{"LastDuplicateKeyWins",
                                 R"({"identities":[{"namespace":"a","serviceAccount":"b"}],
                       "Identities":[{"namespace":"c","serviceAccount":"d"}]})",
                                 {{"c", "d"}}},
                      DecodeCase{"SurroundingWhitespace", " \n{\"identities\":[]}\n", {}}),
    [](const auto& case_info) { return case_info.param.name; });

struct InvalidCase {
    std::string name;
    std::string content;
    std::string detail;
};

class InvalidContainerCredentialsTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidContainerCredentialsTest, IsAnErrorAndKeepsThePreviousIdentities) {
    ContainerCredentialsConfig config;
    ASSERT_TRUE(config.load(kConfig).ok());
    const Status loaded = config.load(GetParam().content);
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(loaded.error(), StartsWith(kUnmarshalError));
    EXPECT_THAT(loaded.error(), HasSubstr(GetParam().detail));
    EXPECT_EQ(config.size(), 2U);
    EXPECT_TRUE(config.contains("payments", "api"));
}

INSTANTIATE_TEST_SUITE_P(
    ContainerCredentialsConfig, InvalidContainerCredentialsTest,
    ::testing::Values(
        InvalidCase{"Truncated", R"({"identities":[{"namespace":"a")", "line 1"},
        InvalidCase{"OnlyWhitespace", "  \n", "unexpected end of input"},
        InvalidCase{"Yaml", "identities: []\n", "syntax error"},
        InvalidCase{"TrailingGarbage", R"({"identities":[]} x)", "syntax error"},
        InvalidCase{"IdentitiesNotAList", R"({"identities":{"namespace":"a"}})",
                    "cannot unmarshal object into Go struct field .identities"},
        InvalidCase{"NamespaceNotAString",
                    R"({"identities":[{"namespace":1,"serviceAccount":"b"}]})",
                    "cannot unmarshal number into Go struct field .identities.namespace of type "
                    "string"},
        InvalidCase{"ElementNotAnObject", R"({"identities":["a/b"]})",
                    "cannot unmarshal string into Go struct field .identities"},
        InvalidCase{"RootIsAList", R"([{"namespace":"a","serviceAccount":"b"}])",
                    "cannot unmarshal array into Go value"}),
    [](const auto& case_info) { return case_info.param.name; });

TEST(ContainerCredentialsConfigTest, EmptyContentClears) {
    ContainerCredentialsConfig config;
    ASSERT_TRUE(config.load(kConfig).ok());
    EXPECT_TRUE(config.load("").ok());
    EXPECT_EQ(config.size(), 0U);
    EXPECT_FALSE(config.contains("payments", "api"));
}

TEST(ContainerCredentialsConfigTest, OversizedContentIsRefused) {
    ContainerCredentialsConfig config;
    ASSERT_TRUE(config.load(kConfig).ok());
    std::string huge = R"({"identities":[],"padding":")";
    huge.append(17U * 1024U * 1024U, 'x');
    huge += "\"}";
    const Status loaded = config.load(huge);
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(loaded.error(), HasSubstr("larger than 16 MiB"));
    EXPECT_EQ(config.size(), 2U);
}

// ------------------------------------------------------------------------------------------

class ContainerCredentialsConfigFileTest : public ::testing::Test {
  protected:
    std::optional<double> reloads(bool success) const {
        return metric_value(registry_.render(), "pod_identity_webhook_config_reloads_total",
                            {"source=\"container_credentials_config\"",
                             success ? "result=\"success\"" : "result=\"failure\""});
    }

    test::TempDir dir_{"piw-cc-file"};
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_{registry_};
};

TEST_F(ContainerCredentialsConfigFileTest, MissingFileIsEmptyNotAnError) {
    ContainerCredentialsConfigFile file((dir_ / "absent.json").string(), &metrics_);
    EXPECT_TRUE(file.reload().ok());
    EXPECT_EQ(file.config().size(), 0U);
    EXPECT_EQ(reloads(true), 1.0);
}

TEST_F(ContainerCredentialsConfigFileTest, ReloadLoadsKeepsOnErrorAndClearsWhenEmptied) {
    const auto path = dir_.write_file("config.json", kConfig);
    ContainerCredentialsConfigFile file(path.string(), &metrics_);
    EXPECT_EQ(file.path(), path.string());
    ASSERT_TRUE(file.reload().ok());
    EXPECT_TRUE(file.config().contains("shop", "web"));

    test::write_file(path, "{\"identities\": [");
    const Status invalid = file.reload();
    ASSERT_FALSE(invalid.ok());
    EXPECT_THAT(invalid.error(), StartsWith(kUnmarshalError));
    EXPECT_TRUE(file.config().contains("shop", "web"));
    EXPECT_EQ(reloads(false), 1.0);

    test::write_file(path, "");
    ASSERT_TRUE(file.reload().ok());
    EXPECT_EQ(file.config().size(), 0U);

    ASSERT_TRUE(file.reload().ok());
    std::filesystem::remove(path);
    ASSERT_TRUE(file.reload().ok());
    EXPECT_EQ(file.config().size(), 0U);
    EXPECT_EQ(reloads(true), 4.0);
}

TEST_F(ContainerCredentialsConfigFileTest, UnreadablePathIsAnErrorAndKeepsPrevious) {
    const auto path = dir_.write_file("config.json", kConfig);
    ContainerCredentialsConfigFile file(path.string(), &metrics_);
    ASSERT_TRUE(file.reload().ok());
    std::filesystem::remove(path);
    std::filesystem::create_directory(path);  // a directory cannot be read as a file
    EXPECT_FALSE(file.reload().ok());
    EXPECT_EQ(file.config().size(), 2U);
}

TEST_F(ContainerCredentialsConfigFileTest, WatcherPicksUpWritesAndRemoval) {
    const auto path = dir_.write_file("config.json", "");
    ContainerCredentialsConfigFile file(path.string(), &metrics_);
    ASSERT_TRUE(file.reload().ok());
    file.start_watching(200ms);
    test::write_file(path, kConfig);
    EXPECT_TRUE(eventually([&file] { return file.config().contains("payments", "api"); }));
    std::filesystem::remove(path);
    EXPECT_TRUE(eventually([&file] { return file.config().size() == 0; }));
}

TEST_F(ContainerCredentialsConfigFileTest, WatcherRetriesAnInvalidFileUntilFixed) {
    const auto path = dir_.write_file("config.json", "");
    ContainerCredentialsConfigFile file(path.string(), &metrics_);
    ASSERT_TRUE(file.reload().ok());
    file.start_watching(200ms);
    test::write_file(path, "{not json");
    EXPECT_TRUE(eventually([this] { return reloads(false).value_or(0) >= 1.0; }));
    test::write_file(path, kConfig);
    EXPECT_TRUE(eventually([&file] { return file.config().size() == 2; }));
}

TEST_F(ContainerCredentialsConfigFileTest, WatcherFollowsAKubeletConfigMapSwap) {
    // Upstream misses these updates (the event is on "..data", not on the file name).
    test::KubeletVolume volume(dir_ / "volume");
    volume.write({{"config.json", R"({"identities":[]})"}});
    ContainerCredentialsConfigFile file(volume.path_of("config.json").string(), &metrics_);
    ASSERT_TRUE(file.reload().ok());
    file.start_watching(200ms);
    volume.write({{"config.json", kConfig}});
    EXPECT_TRUE(eventually([&file] { return file.config().contains("payments", "api"); }));
}

}  // namespace
}  // namespace piw::identity
