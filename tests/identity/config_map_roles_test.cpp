#include "pod_identity_webhook/identity/config_map_roles.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::identity {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(ConfigMapRolesTest, ReadsUpstreamsExampleWithGoFieldNames) {
    auto roles = parse_config_map_roles(
        R"({"default/myserviceaccount":{"RoleARN":"arn:aws-test:iam::123456789012:role/x","Audience":"amazonaws.com","UseRegionalSTS":true,"TokenExpiration":0}})");
    ASSERT_TRUE(roles.ok()) << roles.error();
    ASSERT_EQ(roles->by_key.count("default/myserviceaccount"), 1U);
    const ConfigMapRole& role = roles->by_key.at("default/myserviceaccount");
    EXPECT_EQ(role.role_arn, "arn:aws-test:iam::123456789012:role/x");
    EXPECT_EQ(role.audience, "amazonaws.com");
    EXPECT_EQ(role.regional_sts, true);
    EXPECT_EQ(role.token_expiration, std::nullopt);  // 0: the flag applies (as upstream)
}

TEST(ConfigMapRolesTest, FieldNamesMatchCaseInsensitivelyAndUnknownFieldsAreIgnored) {
    auto roles = parse_config_map_roles(
        R"({"ns/sa":{"rolearn":"arn:r","AUDIENCE":"a","useregionalsts":false,"tokenexpiration":3600,"Extra":[1]}})");
    ASSERT_TRUE(roles.ok()) << roles.error();
    const ConfigMapRole& role = roles->by_key.at("ns/sa");
    EXPECT_EQ(role.role_arn, "arn:r");
    EXPECT_EQ(role.audience, "a");
    EXPECT_EQ(role.regional_sts, false);
    EXPECT_EQ(role.token_expiration, 3600);
}

TEST(ConfigMapRolesTest, MissingOrEmptyFieldsAreLeftToTheFlags) {
    auto roles = parse_config_map_roles(R"({"ns/sa":{"RoleARN":"arn:r","Audience":""}})");
    ASSERT_TRUE(roles.ok()) << roles.error();
    const ConfigMapRole& role = roles->by_key.at("ns/sa");
    EXPECT_EQ(role.audience, std::nullopt);
    EXPECT_EQ(role.regional_sts, std::nullopt);
    EXPECT_EQ(role.token_expiration, std::nullopt);
}

TEST(ConfigMapRolesTest, BadKeysAreSkippedWithAReasonAndTheRestIsKept) {
    // Upstream crashed on a key without '/'.
    auto roles = parse_config_map_roles(
        R"({"noslash":{"RoleARN":"a"},"a/b/c":{"RoleARN":"b"},"/sa":{"RoleARN":"c"},"ns/":{"RoleARN":"d"},"ns/null":null,"ns/ok":{"RoleARN":"e"},"*/any":{"RoleARN":"f"}})");
    ASSERT_TRUE(roles.ok()) << roles.error();
    EXPECT_THAT(roles->by_key, SizeIs(2));
    EXPECT_EQ(roles->by_key.at("ns/ok").role_arn, "e");
    EXPECT_EQ(roles->by_key.at("*/any").role_arn, "f");
    ASSERT_THAT(roles->skipped, SizeIs(5));
    EXPECT_THAT(roles->skipped[0] + roles->skipped[1] + roles->skipped[2] + roles->skipped[3] +
                    roles->skipped[4],
                HasSubstr("\"noslash\" has no '/'"));
}

TEST(ConfigMapRolesTest, WrongTypesRejectTheWholeConfigLikeGo) {
    EXPECT_THAT(parse_config_map_roles(R"({"ns/sa":{"RoleARN":1}})").error(),
                HasSubstr("RoleARN must be a string, got number"));
    EXPECT_THAT(parse_config_map_roles(R"({"ns/sa":{"UseRegionalSTS":"true"}})").error(),
                HasSubstr("UseRegionalSTS must be true or false, got string"));
    EXPECT_THAT(parse_config_map_roles(R"({"ns/sa":{"TokenExpiration":3600.5}})").error(),
                HasSubstr("TokenExpiration must be an integer"));
    EXPECT_THAT(parse_config_map_roles(R"({"ns/sa":"arn:r"})").error(),
                HasSubstr("must be an object, got string"));
    EXPECT_THAT(parse_config_map_roles(R"([])").error(), HasSubstr("must be a JSON object"));
    EXPECT_THAT(parse_config_map_roles(R"({"ns/sa":)").error(), HasSubstr("not valid JSON"));
    EXPECT_THAT(parse_config_map_roles("").error(), HasSubstr("not valid JSON"));
}

TEST(ConfigMapRolesTest, ExpirationBelowTheApiServersMinimumIsRaisedTo600) {
    auto roles = parse_config_map_roles(R"({"ns/sa":{"RoleARN":"r","TokenExpiration":60}})");
    ASSERT_TRUE(roles.ok());
    EXPECT_EQ(roles->by_key.at("ns/sa").token_expiration, 600);
    EXPECT_EQ(roles->by_key.at("ns/sa").clamped_expiration, 60);
}

TEST(RoleTableTest, FindsExactThenWildcardAndClears) {
    RoleTable table;
    auto roles = parse_config_map_roles(R"({"a/sa":{"RoleARN":"exact"},"*/sa":{"RoleARN":"any"}})");
    ASSERT_TRUE(roles.ok());
    table.replace(std::move(roles).value());
    EXPECT_EQ(table.find("a", "sa", true)->role_arn, "exact");
    EXPECT_EQ(table.find("b", "sa", true)->role_arn, "any");
    EXPECT_EQ(table.find("b", "sa", false), std::nullopt);
    EXPECT_EQ(table.find("b", "other", true), std::nullopt);
    table.clear();
    EXPECT_EQ(table.find("a", "sa", true), std::nullopt);
    EXPECT_EQ(table.size(), 0U);
}

}  // namespace
}  // namespace piw::identity
