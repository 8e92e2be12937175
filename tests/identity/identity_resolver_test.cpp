#include "pod_identity_webhook/identity/identity_resolver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pod_identity_webhook/identity/service_account_store.hpp"

namespace piw::identity {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

constexpr const char* kRoleArn = "arn:aws:iam::111122223333:role/s3-reader";

// A source whose ServiceAccounts are either known, known to be absent, or unknown (the API
// source's cache miss); fetch() requests are held until the test answers them.
class FakeSource final : public ServiceAccountSource {
  public:
    void add(const std::string& namespace_, const std::string& name, const Annotations& annotations,
             const AnnotationSettings& settings = {}) {
        store_.upsert(make_service_account_entry(namespace_, name, "1", annotations, settings));
    }
    void mark_absent(const std::string& namespace_, const std::string& name) {
        absent_.emplace_back(namespace_, name);
    }

    ServiceAccountLookup find(std::string_view namespace_, std::string_view name) const override {
        if (auto entry = store_.find(namespace_, name)) {
            return {LookupStatus::found, std::move(entry)};
        }
        for (const auto& [ns, sa] : absent_) {
            if (ns == namespace_ && sa == name) {
                return {LookupStatus::absent, nullptr};
            }
        }
        return {LookupStatus::unknown, nullptr};
    }
    void fetch(std::string namespace_, std::string name, Clock::time_point /*deadline*/,
               FetchCallback done) override {
        fetches.push_back(namespace_ + "/" + name);
        pending.push_back(std::move(done));
    }
    bool synced() const override { return true; }
    std::vector<std::shared_ptr<const ServiceAccountEntry>> entries() const override {
        return store_.entries();
    }
    std::size_t size() const override { return store_.size(); }
    void clear() override { store_.clear(); }
    std::string describe() const override { return "fake"; }

    std::vector<std::string> fetches;
    std::vector<FetchCallback> pending;

  private:
    ServiceAccountStore store_;
    std::vector<std::pair<std::string, std::string>> absent_;
};

class IdentityResolverTest : public ::testing::Test {
  protected:
    IdentityDefaults defaults_{"sts.amazonaws.com", false, 86400};
    FakeSource source_;
    ContainerCredentialsConfig container_credentials_;
};

TEST_F(IdentityResolverTest, RoleFromServiceAccountWithFlagDefaults) {
    source_.add("payments", "api", {{"eks.amazonaws.com/role-arn", kRoleArn}});
    const IdentityResolver resolver(source_, nullptr, {"sts.example", true, 7200});
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::web_identity);
    EXPECT_TRUE(identity->service_account_found);
    EXPECT_EQ(identity->role_arn, kRoleArn);
    EXPECT_EQ(identity->audience, "sts.example");
    EXPECT_TRUE(identity->regional_sts);
    EXPECT_EQ(identity->token_expiration, 7200);
    EXPECT_EQ(identity->source, "ServiceAccount");
}

TEST_F(IdentityResolverTest, ServiceAccountAnnotationsBeatTheFlags) {
    source_.add("payments", "api",
                {{"eks.amazonaws.com/role-arn", kRoleArn},
                 {"eks.amazonaws.com/audience", ""},
                 {"eks.amazonaws.com/sts-regional-endpoints", "false"},
                 {"eks.amazonaws.com/token-expiration", "3600"}});
    const IdentityResolver resolver(source_, nullptr, {"sts.amazonaws.com", true, 86400});
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->audience, "");  // present but empty is used as is
    EXPECT_FALSE(identity->regional_sts);
    EXPECT_EQ(identity->token_expiration, 3600);
}

// Upstream TestNonRegionalSTS: annotation true/false/empty/absent × flag true/false.
struct RegionalStsRow {
    std::optional<std::string> annotation;
    bool flag;
    bool expected;
};

class NonRegionalStsTest : public ::testing::TestWithParam<RegionalStsRow> {};

TEST_P(NonRegionalStsTest, AnnotationWinsOverTheFlagUnlessEmpty) {
    const RegionalStsRow& row = GetParam();
    FakeSource source;
    Annotations annotations{{"eks.amazonaws.com/role-arn", kRoleArn}};
    if (row.annotation) {
        annotations.emplace_back("eks.amazonaws.com/sts-regional-endpoints", *row.annotation);
    }
    source.add("default", "sa", annotations);
    const IdentityResolver resolver(source, nullptr, {"sts.amazonaws.com", row.flag, 86400});
    const auto identity = resolver.try_resolve("default", "sa");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->regional_sts, row.expected);
}

INSTANTIATE_TEST_SUITE_P(
    IdentityResolver, NonRegionalStsTest,
    ::testing::Values(RegionalStsRow{"true", false, true}, RegionalStsRow{"true", true, true},
                      RegionalStsRow{"false", false, false}, RegionalStsRow{"false", true, false},
                      RegionalStsRow{"", false, false}, RegionalStsRow{"", true, true},
                      RegionalStsRow{std::nullopt, false, false},
                      RegionalStsRow{std::nullopt, true, true}));

TEST_F(IdentityResolverTest, ComposedRoleArnReachesTheIdentity) {
    AnnotationSettings settings;
    settings.compose_role_arn = RoleArnComposition{"aws", "111122223333"};
    source_.add("default", "reader", {{"eks.amazonaws.com/role-arn", "s3-reader"}}, settings);
    const IdentityResolver resolver(source_, nullptr, defaults_);
    EXPECT_EQ(resolver.try_resolve("default", "reader")->role_arn, kRoleArn);
}

TEST_F(IdentityResolverTest, ServiceAccountWithoutRoleIsFoundAndKeepsItsFindings) {
    source_.add("payments", "typo", {{"eks.amazon.com/role-arn", kRoleArn}});
    source_.add("payments", "empty", {{"eks.amazonaws.com/role-arn", ""}});
    const IdentityResolver resolver(source_, nullptr, defaults_);
    const auto typo = resolver.try_resolve("payments", "typo");
    ASSERT_TRUE(typo.has_value());
    EXPECT_EQ(typo->mode, CredentialMode::none);
    EXPECT_TRUE(typo->service_account_found);  // not counted as missing, no waiting
    EXPECT_THAT(typo->findings.near_miss_keys, ElementsAre("eks.amazon.com/role-arn"));
    EXPECT_EQ(typo->role_arn, "");
    EXPECT_EQ(typo->source, "");
    const auto empty = resolver.try_resolve("payments", "empty");
    ASSERT_TRUE(empty.has_value());
    EXPECT_EQ(empty->mode, CredentialMode::none);
    EXPECT_TRUE(empty->service_account_found);
}

TEST_F(IdentityResolverTest, FindingsTravelWithTheRole) {
    source_.add("payments", "api",
                {{"eks.amazonaws.com/role-arn", "arn:aws:iam::123:role/short"},
                 {"eks.amazonaws.com/token-expiration", "60"}});
    const IdentityResolver resolver(source_, nullptr, defaults_);
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::web_identity);
    EXPECT_TRUE(identity->findings.role_arn_invalid);
    EXPECT_EQ(identity->findings.clamped_expiration, 60);
    EXPECT_EQ(identity->token_expiration, 600);
}

TEST_F(IdentityResolverTest, AbsentServiceAccountIsDecidedAsMissing) {
    source_.mark_absent("payments", "ghost");
    const IdentityResolver resolver(source_, nullptr, defaults_);
    const auto identity = resolver.try_resolve("payments", "ghost");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::none);
    EXPECT_FALSE(identity->service_account_found);
}

TEST_F(IdentityResolverTest, UnknownServiceAccountIsNotDecidedAndIsFetched) {
    IdentityResolver resolver(source_, nullptr, defaults_);
    EXPECT_EQ(resolver.try_resolve("payments", "new"), std::nullopt);

    std::vector<Identity> results;
    resolver.resolve_async(
        "payments", "new", IdentityResolver::Clock::now() + 1s,
        [&results](Identity identity) { results.push_back(std::move(identity)); });
    EXPECT_THAT(source_.fetches, ElementsAre("payments/new"));
    EXPECT_TRUE(results.empty());  // waits for the source

    // The API answers: the ServiceAccount was created a moment ago, with a role.
    source_.add("payments", "new", {{"eks.amazonaws.com/role-arn", kRoleArn}});
    ASSERT_EQ(source_.pending.size(), 1U);
    source_.pending.front()(source_.find("payments", "new"));
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].mode, CredentialMode::web_identity);
    EXPECT_EQ(results[0].role_arn, kRoleArn);
    EXPECT_EQ(results[0].audience, "sts.amazonaws.com");
}

TEST_F(IdentityResolverTest, FetchThatFindsNothingIsMissing) {
    IdentityResolver resolver(source_, nullptr, defaults_);
    std::vector<Identity> results;
    resolver.resolve_async(
        "payments", "never", IdentityResolver::Clock::now() + 1s,
        [&results](Identity identity) { results.push_back(std::move(identity)); });
    ASSERT_EQ(source_.pending.size(), 1U);
    source_.pending.front()(ServiceAccountLookup{LookupStatus::unknown, nullptr});  // timed out
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].mode, CredentialMode::none);
    EXPECT_FALSE(results[0].service_account_found);
}

TEST_F(IdentityResolverTest, DecidedLookupCallsBackInlineWithoutFetching) {
    source_.add("payments", "api", {{"eks.amazonaws.com/role-arn", kRoleArn}});
    IdentityResolver resolver(source_, nullptr, defaults_);
    std::vector<Identity> results;
    resolver.resolve_async(
        "payments", "api", IdentityResolver::Clock::now() + 1s,
        [&results](Identity identity) { results.push_back(std::move(identity)); });
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].role_arn, kRoleArn);
    EXPECT_TRUE(source_.fetches.empty());
}

TEST_F(IdentityResolverTest, ContainerCredentialsWinOverTheRoleAndUseTheServiceAccountsValues) {
    ASSERT_TRUE(container_credentials_
                    .load(R"({"identities":[{"namespace":"payments","serviceAccount":"api"}]})")
                    .ok());
    // GetCommonConfigurations "SA" case: the ServiceAccount's own values (true/10000).
    source_.add("payments", "api",
                {{"eks.amazonaws.com/role-arn", kRoleArn},
                 {"eks.amazonaws.com/sts-regional-endpoints", "true"},
                 {"eks.amazonaws.com/token-expiration", "10000"},
                 {"eks.amazonaws.com/role_arn", "x"}});
    const IdentityResolver resolver(source_, &container_credentials_, defaults_);
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::container_credentials);
    EXPECT_TRUE(identity->service_account_found);
    EXPECT_EQ(identity->source, "container-credentials config");
    EXPECT_EQ(identity->role_arn, "");
    EXPECT_EQ(identity->audience, "");  // the mutation uses the container-credentials flag
    EXPECT_TRUE(identity->regional_sts);
    EXPECT_EQ(identity->token_expiration, 10000);
    EXPECT_THAT(identity->findings.near_miss_keys, ElementsAre("eks.amazonaws.com/role_arn"));
}

TEST_F(IdentityResolverTest, ContainerCredentialsForAnUnannotatedServiceAccountUseTheFlags) {
    ASSERT_TRUE(container_credentials_
                    .load(R"({"identities":[{"namespace":"payments","serviceAccount":"plain"}]})")
                    .ok());
    source_.add("payments", "plain", {});
    const IdentityResolver resolver(source_, &container_credentials_,
                                    {"sts.amazonaws.com", true, 7200});
    const auto identity = resolver.try_resolve("payments", "plain");
    ASSERT_TRUE(identity.has_value());
    EXPECT_TRUE(identity->regional_sts);
    EXPECT_EQ(identity->token_expiration, 7200);
}

TEST_F(IdentityResolverTest, ContainerCredentialsForAnUnknownServiceAccountUseFixedDefaults) {
    // GetCommonConfigurations "none" case: (false, 86400), not the flags; and no waiting.
    ASSERT_TRUE(container_credentials_
                    .load(R"({"identities":[{"namespace":"payments","serviceAccount":"new"},
                                             {"namespace":"payments","serviceAccount":"gone"}]})")
                    .ok());
    source_.mark_absent("payments", "gone");
    IdentityResolver resolver(source_, &container_credentials_, {"sts.amazonaws.com", true, 3600});
    for (const char* name : {"new", "gone"}) {
        const auto identity = resolver.try_resolve("payments", name);
        ASSERT_TRUE(identity.has_value()) << name;
        EXPECT_EQ(identity->mode, CredentialMode::container_credentials);
        EXPECT_TRUE(identity->service_account_found);
        EXPECT_FALSE(identity->regional_sts);
        EXPECT_EQ(identity->token_expiration, 86400);
    }
    std::vector<Identity> results;
    resolver.resolve_async(
        "payments", "new", IdentityResolver::Clock::now() + 1s,
        [&results](Identity identity) { results.push_back(std::move(identity)); });
    EXPECT_EQ(results.size(), 1U);
    EXPECT_TRUE(source_.fetches.empty());
}

TEST_F(IdentityResolverTest, ContainerCredentialsOnlyForListedServiceAccounts) {
    ASSERT_TRUE(container_credentials_
                    .load(R"({"identities":[{"namespace":"payments","serviceAccount":"api"}]})")
                    .ok());
    source_.add("shop", "api", {{"eks.amazonaws.com/role-arn", kRoleArn}});
    const IdentityResolver resolver(source_, &container_credentials_, defaults_);
    EXPECT_EQ(resolver.try_resolve("shop", "api")->mode, CredentialMode::web_identity);
}

TEST_F(IdentityResolverTest, PodWithoutServiceAccountNameIsMissing) {
    source_.mark_absent("payments", "");
    const IdentityResolver resolver(source_, nullptr, defaults_);
    const auto identity = resolver.try_resolve("payments", "");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::none);
    EXPECT_FALSE(identity->service_account_found);
}

// ---- the ConfigMap source in the precedence (upstream-behaviour §5.3, decision I3) -------------

class ConfigMapPrecedenceTest : public IdentityResolverTest {
  protected:
    void set_config(std::string_view config) {
        auto roles = parse_config_map_roles(config);
        ASSERT_TRUE(roles.ok()) << roles.error();
        table_.replace(std::move(roles).value());
    }
    RoleTable table_;
};

TEST_F(ConfigMapPrecedenceTest, ServiceAccountAnnotationBeatsTheConfigMap) {
    set_config(R"({"payments/api":{"RoleARN":"arn:aws:iam::111122223333:role/from-cm"}})");
    source_.add("payments", "api", {{"eks.amazonaws.com/role-arn", kRoleArn}});
    const IdentityResolver resolver(source_, nullptr, defaults_, &table_);
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->role_arn, kRoleArn);
    EXPECT_EQ(identity->source, "ServiceAccount");
}

TEST_F(ConfigMapPrecedenceTest,
       ConfigMapRoleForAServiceAccountWithoutOneUsesFlagsForMissingFields) {
    set_config(R"({"payments/api":{"RoleARN":"arn:aws:iam::111122223333:role/from-cm"}})");
    source_.add("payments", "api", {{"eks.amazonaws.com/role-arn", ""}});
    const IdentityResolver resolver(source_, nullptr, {"sts.example", true, 7200}, &table_);
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->mode, CredentialMode::web_identity);
    EXPECT_EQ(identity->role_arn, "arn:aws:iam::111122223333:role/from-cm");
    EXPECT_EQ(identity->audience, "sts.example");  // upstream: "" (a token nobody accepts)
    EXPECT_TRUE(identity->regional_sts);           // upstream: false
    EXPECT_EQ(identity->token_expiration, 7200);
    EXPECT_EQ(identity->source, "ConfigMap");
}

TEST_F(ConfigMapPrecedenceTest, RoleFromTheConfigMapKeepsTheServiceAccountsTypoWarning) {
    set_config(R"({"payments/api":{"RoleARN":"arn:aws:iam::111122223333:role/from-cm",
                                   "TokenExpiration":60}})");
    source_.add("payments", "api", {{"eks.amazon.com/role-arn", kRoleArn}});
    const IdentityResolver resolver(source_, nullptr, defaults_, &table_);
    const auto identity = resolver.try_resolve("payments", "api");
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->role_arn, "arn:aws:iam::111122223333:role/from-cm");
    EXPECT_THAT(identity->findings.near_miss_keys, ElementsAre("eks.amazon.com/role-arn"));
    EXPECT_EQ(identity->findings.clamped_expiration, 60);
    EXPECT_EQ(identity->token_expiration, 600);
}

TEST_F(ConfigMapPrecedenceTest, ExactNamespaceBeatsTheWildcardAndTheWildcardMatchesAnyNamespace) {
    set_config(R"({"*/api":{"RoleARN":"arn:aws:iam::111122223333:role/any",
                               "Audience":"aud-any","UseRegionalSTS":false,"TokenExpiration":3600},
                   "payments/api":{"RoleARN":"arn:aws:iam::111122223333:role/exact"}})");
    source_.mark_absent("shop", "api");
    source_.mark_absent("payments", "api");
    source_.mark_absent("payments", "other");
    const IdentityResolver resolver(source_, nullptr, {"sts.example", true, 7200}, &table_);
    const auto shop = resolver.try_resolve("shop", "api");
    ASSERT_TRUE(shop.has_value());
    EXPECT_EQ(shop->role_arn, "arn:aws:iam::111122223333:role/any");
    EXPECT_EQ(shop->audience, "aud-any");
    EXPECT_FALSE(shop->regional_sts);
    EXPECT_EQ(shop->token_expiration, 3600);
    EXPECT_TRUE(shop->service_account_found);
    EXPECT_EQ(resolver.try_resolve("payments", "api")->role_arn,
              "arn:aws:iam::111122223333:role/exact");
    EXPECT_EQ(resolver.try_resolve("payments", "other")->mode, CredentialMode::none);
}

TEST_F(ConfigMapPrecedenceTest, ConfigMapIsConsultedAfterALiveLookupOfAnUnknownServiceAccount) {
    set_config(R"({"payments/new":{"RoleARN":"arn:aws:iam::111122223333:role/from-cm"}})");
    IdentityResolver resolver(source_, nullptr, defaults_, &table_);
    // The ServiceAccount's own annotation could still win: wait for the lookup first.
    EXPECT_EQ(resolver.try_resolve("payments", "new"), std::nullopt);
    std::vector<Identity> results;
    resolver.resolve_async(
        "payments", "new", IdentityResolver::Clock::now() + 1s,
        [&results](Identity identity) { results.push_back(std::move(identity)); });
    ASSERT_EQ(source_.pending.size(), 1U);
    source_.pending.front()(ServiceAccountLookup{LookupStatus::absent, nullptr});
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].role_arn, "arn:aws:iam::111122223333:role/from-cm");
}

TEST_F(ConfigMapPrecedenceTest, ContainerCredentialsModeUsesOnlyTheExactConfigMapEntry) {
    ASSERT_TRUE(container_credentials_
                    .load(R"({"identities":[{"namespace":"payments","serviceAccount":"api"},
                                            {"namespace":"shop","serviceAccount":"api"}]})")
                    .ok());
    set_config(R"({"payments/api":{"RoleARN":"r","UseRegionalSTS":true,"TokenExpiration":3600},
                   "*/api":{"RoleARN":"r","UseRegionalSTS":true,"TokenExpiration":7200}})");
    source_.mark_absent("payments", "api");
    source_.mark_absent("shop", "api");
    const IdentityResolver resolver(source_, &container_credentials_, defaults_, &table_);
    const auto payments = resolver.try_resolve("payments", "api");
    EXPECT_EQ(payments->mode, CredentialMode::container_credentials);
    EXPECT_TRUE(payments->regional_sts);
    EXPECT_EQ(payments->token_expiration, 3600);
    const auto shop = resolver.try_resolve("shop", "api");  // "*" does not apply here (upstream)
    EXPECT_FALSE(shop->regional_sts);
    EXPECT_EQ(shop->token_expiration, 86400);
}

}  // namespace
}  // namespace piw::identity
