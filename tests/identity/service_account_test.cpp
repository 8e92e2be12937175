#include "pod_identity_webhook/identity/service_account.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace piw::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kRoleArn = "arn:aws:iam::111122223333:role/s3-reader";

ServiceAccountEntry entry_with(const Annotations& annotations,
                               const AnnotationSettings& settings = {}) {
    return make_service_account_entry("payments", "api", "42", annotations, settings);
}

TEST(ServiceAccountEntryTest, ParsesUpstreamsCacheTestServiceAccount) {
    // cache_test.go: role, default audience, STS true, expiration 3600.
    const ServiceAccountEntry entry =
        entry_with({{"eks.amazonaws.com/role-arn", kRoleArn},
                    {"eks.amazonaws.com/sts-regional-endpoints", "true"},
                    {"eks.amazonaws.com/token-expiration", "3600"}});
    EXPECT_EQ(entry.namespace_, "payments");
    EXPECT_EQ(entry.name, "api");
    EXPECT_EQ(entry.resource_version, "42");
    EXPECT_EQ(entry.role_arn, kRoleArn);
    EXPECT_EQ(entry.audience, std::nullopt);  // the flag applies
    EXPECT_EQ(entry.regional_sts, true);
    EXPECT_EQ(entry.token_expiration, 3600);
    EXPECT_FALSE(entry.findings.role_arn_invalid);
    EXPECT_THAT(entry.findings.near_miss_keys, IsEmpty());
    EXPECT_EQ(entry.findings.clamped_expiration, std::nullopt);
}

TEST(ServiceAccountEntryTest, NoAnnotationsMeansNoRoleAndNothingSet) {
    const ServiceAccountEntry entry = entry_with({{"app.kubernetes.io/name", "api"}});
    EXPECT_EQ(entry.role_arn, "");
    EXPECT_EQ(entry.audience, std::nullopt);
    EXPECT_EQ(entry.regional_sts, std::nullopt);
    EXPECT_EQ(entry.token_expiration, std::nullopt);
}

struct RoleArnCase {
    std::string name;
    std::optional<std::string> annotation;
    std::optional<RoleArnComposition> composition;
    std::string expected_role;
    bool expected_invalid;
};

class RoleArnTest : public ::testing::TestWithParam<RoleArnCase> {};

TEST_P(RoleArnTest, IsComposedAndCheckedLikeUpstream) {
    const RoleArnCase& c = GetParam();
    Annotations annotations;
    if (c.annotation) {
        annotations.emplace_back("eks.amazonaws.com/role-arn", *c.annotation);
    }
    AnnotationSettings settings;
    settings.compose_role_arn = c.composition;
    const ServiceAccountEntry entry = entry_with(annotations, settings);
    EXPECT_EQ(entry.role_arn, c.expected_role);
    EXPECT_EQ(entry.findings.role_arn_invalid, c.expected_invalid);
}

const RoleArnComposition kAccount{"aws", "111122223333"};
const RoleArnComposition kChinaAccount{"aws-cn", "111122223333"};

INSTANTIATE_TEST_SUITE_P(
    ServiceAccountEntry, RoleArnTest,
    ::testing::Values(RoleArnCase{"Absent", std::nullopt, std::nullopt, "", false},
                      RoleArnCase{"EmptyMeansNoRole", "", std::nullopt, "", false},
                      RoleArnCase{"EmptyIsNotComposed", "", kAccount, "", false},
                      RoleArnCase{"Valid", kRoleArn, std::nullopt, kRoleArn, false},
                      RoleArnCase{"ComposedFromRoleName", "s3-reader", kAccount, kRoleArn, false},
                      RoleArnCase{"ComposedWithPath", "team/s3-reader", kChinaAccount,
                                  "arn:aws-cn:iam::111122223333:role/team/s3-reader", false},
                      RoleArnCase{"ContainingArnIsNotComposed", "arn:aws:iam::111122223333:role/x",
                                  kAccount, "arn:aws:iam::111122223333:role/x", false},
                      RoleArnCase{"ArnAnywhereStopsComposition", "my-arn:role", kAccount,
                                  "my-arn:role", true},
                      RoleArnCase{"RoleNameWithoutCompositionIsUsedButInvalid", "s3-reader",
                                  std::nullopt, "s3-reader", true},
                      RoleArnCase{"ShortAccountIsInvalidButUsed", "arn:aws:iam::123:role/x",
                                  std::nullopt, "arn:aws:iam::123:role/x", true},
                      RoleArnCase{"NotTrimmed", " arn:aws:iam::111122223333:role/x", std::nullopt,
                                  " arn:aws:iam::111122223333:role/x", true},
                      RoleArnCase{"GovCloud", "arn:aws-us-gov:iam::111122223333:role/x",
                                  std::nullopt, "arn:aws-us-gov:iam::111122223333:role/x", false}),
    [](const auto& case_info) { return case_info.param.name; });

TEST(ServiceAccountEntryTest, AudienceIsKeptAsWrittenEvenWhenEmpty) {
    EXPECT_EQ(entry_with({{"eks.amazonaws.com/audience", ""}}).audience, "");
    EXPECT_EQ(entry_with({{"eks.amazonaws.com/audience", " sts "}}).audience, " sts ");
}

struct RegionalStsCase {
    std::string value;
    std::optional<bool> expected;
};

class RegionalStsAnnotationTest : public ::testing::TestWithParam<RegionalStsCase> {};

TEST_P(RegionalStsAnnotationTest, UsesGoParseBool) {
    const RegionalStsCase& c = GetParam();
    EXPECT_EQ(entry_with({{"eks.amazonaws.com/sts-regional-endpoints", c.value}}).regional_sts,
              c.expected)
        << '"' << c.value << '"';
}

INSTANTIATE_TEST_SUITE_P(
    ServiceAccountEntry, RegionalStsAnnotationTest,
    ::testing::Values(RegionalStsCase{"true", true}, RegionalStsCase{"True", true},
                      RegionalStsCase{"TRUE", true}, RegionalStsCase{"t", true},
                      RegionalStsCase{"1", true}, RegionalStsCase{"false", false},
                      RegionalStsCase{"F", false}, RegionalStsCase{"0", false},
                      RegionalStsCase{"", std::nullopt}, RegionalStsCase{"yes", std::nullopt},
                      RegionalStsCase{" true", std::nullopt},
                      RegionalStsCase{"tRUE", std::nullopt}));

struct ExpirationCase {
    std::string value;
    std::optional<std::int64_t> expected;
    std::optional<std::int64_t> clamped_from;
};

class TokenExpirationAnnotationTest : public ::testing::TestWithParam<ExpirationCase> {};

TEST_P(TokenExpirationAnnotationTest, ParsesDecimalAndClampsToTenMinutes) {
    const ExpirationCase& c = GetParam();
    const ServiceAccountEntry entry = entry_with({{"eks.amazonaws.com/token-expiration", c.value}});
    EXPECT_EQ(entry.token_expiration, c.expected) << '"' << c.value << '"';
    EXPECT_EQ(entry.findings.clamped_expiration, c.clamped_from) << '"' << c.value << '"';
}

INSTANTIATE_TEST_SUITE_P(
    ServiceAccountEntry, TokenExpirationAnnotationTest,
    ::testing::Values(ExpirationCase{"3600", 3600, std::nullopt},
                      ExpirationCase{"600", 600, std::nullopt}, ExpirationCase{"599", 600, 599},
                      ExpirationCase{"0", 600, 0}, ExpirationCase{"-5", 600, -5},
                      ExpirationCase{"172800", 172800, std::nullopt},  // no upper clamp
                      ExpirationCase{"+3600", 3600, std::nullopt},
                      ExpirationCase{"", std::nullopt, std::nullopt},
                      ExpirationCase{" 3600", std::nullopt, std::nullopt},
                      ExpirationCase{"1h", std::nullopt, std::nullopt},
                      ExpirationCase{"0x100", std::nullopt, std::nullopt},
                      ExpirationCase{"99999999999999999999", std::nullopt, std::nullopt}));

TEST(ServiceAccountEntryTest, RemembersNearMissKeysAsWritten) {
    const ServiceAccountEntry entry =
        entry_with({{"eks.amazon.com/role-arn", kRoleArn},
                    {"eks.amazonaws.com/role_arn", kRoleArn},
                    {"eks.amazonaws.com/Token-Expiration", "3600"},
                    {"eks.amazonaws.com/role-arn", kRoleArn},
                    {"eks.amazonaws.com/skip-containers", "sidecar"},
                    {"example.com/role-arn", "x"},
                    {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                    {"eks.amazon.com/role-arn", kRoleArn}});
    EXPECT_THAT(entry.findings.near_miss_keys,
                ElementsAre("eks.amazon.com/role-arn", "eks.amazonaws.com/role_arn",
                            "eks.amazonaws.com/Token-Expiration"));
    EXPECT_EQ(entry.role_arn, kRoleArn);
    EXPECT_EQ(entry.token_expiration, std::nullopt);  // the typo is not read
}

TEST(ServiceAccountEntryTest, TypoAloneLeavesTheServiceAccountWithoutARole) {
    const ServiceAccountEntry entry = entry_with({{"eks.amazonaws.com/rolearn", kRoleArn}});
    EXPECT_EQ(entry.role_arn, "");
    EXPECT_THAT(entry.findings.near_miss_keys, ElementsAre("eks.amazonaws.com/rolearn"));
}

TEST(ServiceAccountEntryTest, FollowsTheAnnotationPrefix) {
    AnnotationSettings settings;
    settings.prefix = "iam.example.org";
    const ServiceAccountEntry entry =
        entry_with({{"eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/ignored"},
                    {"iam.example.org/role-arn", kRoleArn},
                    {"iam.example.org/audience", "example"}},
                   settings);
    EXPECT_EQ(entry.role_arn, kRoleArn);
    EXPECT_EQ(entry.audience, "example");
    EXPECT_THAT(entry.findings.near_miss_keys, IsEmpty());
}

TEST(ServiceAccountEntryTest, LaterDuplicateAnnotationWins) {
    const ServiceAccountEntry entry = entry_with({{"eks.amazonaws.com/token-expiration", "3600"},
                                                  {"eks.amazonaws.com/token-expiration", "7200"}});
    EXPECT_EQ(entry.token_expiration, 7200);
}

TEST(ServiceAccountEntryTest, KeyIsNamespaceSlashName) {
    EXPECT_EQ(service_account_key("payments", "api"), "payments/api");
    EXPECT_EQ(service_account_key("", ""), "/");
}

}  // namespace
}  // namespace piw::identity
