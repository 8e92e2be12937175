#include "pod_identity_webhook/identity/service_account_file_source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
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

constexpr const char* kRoleArn = "arn:aws:iam::111122223333:role/s3-reader";

constexpr const char* kTwoServiceAccounts = R"(# ServiceAccounts for a local run
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: payments
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/s3-reader
    eks.amazonaws.com/sts-regional-endpoints: "true"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-service-account
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
)";

// ------------------------------------------------------------------------------------------
// parse_service_accounts

TEST(ParseServiceAccountsTest, ReadsServiceAccountsAndSkipsOtherKinds) {
    const auto entries = parse_service_accounts(kTwoServiceAccounts, {});
    ASSERT_TRUE(entries.ok()) << entries.error();
    ASSERT_EQ(entries->size(), 2U);
    EXPECT_EQ((*entries)[0].namespace_, "payments");
    EXPECT_EQ((*entries)[0].name, "api");
    EXPECT_EQ((*entries)[0].role_arn, kRoleArn);
    EXPECT_EQ((*entries)[0].regional_sts, true);
    EXPECT_EQ((*entries)[1].namespace_, "default");  // no namespace: "default"
    EXPECT_EQ((*entries)[1].name, "builder");
    EXPECT_EQ((*entries)[1].role_arn, "");
}

TEST(ParseServiceAccountsTest, ReadsJsonListsAsKubectlPrintsThem) {
    const auto entries = parse_service_accounts(R"({
      "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
      "items": [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "api", "namespace": "payments", "resourceVersion": "812",
                      "annotations": {"eks.amazonaws.com/token-expiration": "3600"}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web",
         "namespace": "shop", "annotations": null}}
      ]})",
                                                {});
    ASSERT_TRUE(entries.ok()) << entries.error();
    ASSERT_EQ(entries->size(), 2U);
    EXPECT_EQ((*entries)[0].resource_version, "812");
    EXPECT_EQ((*entries)[0].token_expiration, 3600);
    EXPECT_EQ((*entries)[1].namespace_, "shop");
}

TEST(ParseServiceAccountsTest, ReadsServiceAccountListAndEmptyDocuments) {
    const auto entries = parse_service_accounts(
        "---\n---\napiVersion: v1\nkind: ServiceAccountList\nitems:\n"
        "- metadata: {name: a, namespace: x}\n  kind: ServiceAccount\n",
        {});
    ASSERT_TRUE(entries.ok()) << entries.error();
    ASSERT_EQ(entries->size(), 1U);
    EXPECT_EQ((*entries)[0].name, "a");
}

TEST(ParseServiceAccountsTest, DuplicateServiceAccountLastWins) {
    const auto entries = parse_service_accounts(
        "kind: ServiceAccount\nmetadata: {name: api, namespace: payments}\n---\n"
        "kind: ServiceAccount\nmetadata: {name: other}\n---\n"
        "kind: ServiceAccount\nmetadata:\n  name: api\n  namespace: payments\n  annotations:\n"
        "    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/s3-reader\n",
        {});
    ASSERT_TRUE(entries.ok()) << entries.error();
    ASSERT_EQ(entries->size(), 2U);
    EXPECT_EQ((*entries)[0].name, "api");
    EXPECT_EQ((*entries)[0].role_arn, kRoleArn);
}

TEST(ParseServiceAccountsTest, ComposesRoleArnsWhenConfigured) {
    AnnotationSettings settings;
    settings.compose_role_arn = RoleArnComposition{"aws", "111122223333"};
    const auto entries = parse_service_accounts(
        "kind: ServiceAccount\nmetadata:\n  name: reader\n  annotations:\n"
        "    eks.amazonaws.com/role-arn: s3-reader\n",
        settings);
    ASSERT_TRUE(entries.ok()) << entries.error();
    EXPECT_EQ(entries->front().role_arn, kRoleArn);
}

struct InvalidFileCase {
    std::string name;
    std::string text;
    std::string message;
};

class InvalidServiceAccountsTest : public ::testing::TestWithParam<InvalidFileCase> {};

TEST_P(InvalidServiceAccountsTest, ErrorSaysWhatAndWhere) {
    const auto entries = parse_service_accounts(GetParam().text, {});
    ASSERT_FALSE(entries.ok());
    EXPECT_THAT(entries.error(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    ParseServiceAccounts, InvalidServiceAccountsTest,
    ::testing::Values(
        InvalidFileCase{"MissingName",
                        "kind: ServiceAccount\nmetadata: {name: a}\n---\nkind: ServiceAccount\n"
                        "metadata:\n  namespace: x\n",
                        "document 2: ServiceAccount without metadata.name"},
        InvalidFileCase{"EmptyName", "kind: ServiceAccount\nmetadata: {name: ''}\n",
                        "document 1: ServiceAccount without metadata.name"},
        InvalidFileCase{"UnquotedBoolAnnotation",
                        "kind: ServiceAccount\nmetadata:\n  name: api\n  annotations:\n"
                        "    eks.amazonaws.com/sts-regional-endpoints: true\n",
                        "ServiceAccount default/api: annotation "
                        "\"eks.amazonaws.com/sts-regional-endpoints\" must be a string, found a "
                        "boolean (quote the value)"},
        InvalidFileCase{"NumberAnnotation",
                        "kind: ServiceAccount\nmetadata:\n  name: api\n  namespace: p\n"
                        "  annotations:\n    eks.amazonaws.com/token-expiration: 3600\n",
                        "ServiceAccount p/api: annotation \"eks.amazonaws.com/token-expiration\" "
                        "must be a string, found a number"},
        InvalidFileCase{"AnnotationsNotAMapping",
                        "kind: ServiceAccount\nmetadata:\n  name: api\n  annotations: [a]\n",
                        "metadata.annotations must be a mapping of strings, found a list"},
        InvalidFileCase{"NamespaceNotAString",
                        "kind: ServiceAccount\nmetadata: {name: api, namespace: [x]}\n",
                        "metadata.namespace must be a string"},
        InvalidFileCase{"ListItemNamed",
                        "kind: List\nitems:\n- kind: ServiceAccount\n  metadata: {name: a}\n"
                        "- kind: ServiceAccount\n  metadata: {}\n",
                        "document 1, item 2: ServiceAccount without metadata.name"},
        InvalidFileCase{"ScalarDocument", "just some text\n",
                        "document 1: expected a Kubernetes object, found a string"},
        InvalidFileCase{"YamlSyntax", "kind: ServiceAccount\nmetadata: {name: [\n",
                        "document 1, line"}),
    [](const auto& case_info) { return case_info.param.name; });

// ------------------------------------------------------------------------------------------
// ServiceAccountFileSource

class ServiceAccountFileSourceTest : public ::testing::Test {
  protected:
    std::string text() const { return registry_.render(); }
    std::optional<double> reloads(std::string_view result) const {
        return metric_value(text(), "pod_identity_webhook_config_reloads_total",
                            {"source=\"service_accounts_file\"",
                             result == "success" ? "result=\"success\"" : "result=\"failure\""});
    }

    test::TempDir dir_{"piw-sa-file"};
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_{registry_};
};

TEST_F(ServiceAccountFileSourceTest, OpenLoadsTheFileAndAnswersAuthoritatively) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    ServiceAccountFileSource& file = **source;
    EXPECT_TRUE(file.synced());
    EXPECT_EQ(file.size(), 2U);
    EXPECT_EQ(file.describe(), "service accounts file " + path.string());

    const ServiceAccountLookup found = file.find("payments", "api");
    EXPECT_EQ(found.status, LookupStatus::found);
    ASSERT_NE(found.entry, nullptr);
    EXPECT_EQ(found.entry->role_arn, kRoleArn);
    const ServiceAccountLookup absent = file.find("payments", "nobody");
    EXPECT_EQ(absent.status, LookupStatus::absent);  // never "unknown": the file is authoritative
    EXPECT_EQ(absent.entry, nullptr);

    EXPECT_EQ(metric_value(text(), "pod_identity_webhook_service_accounts"), 2.0);
    EXPECT_EQ(metric_value(text(), "pod_identity_webhook_used"), 1.0);
}

TEST_F(ServiceAccountFileSourceTest, FetchAnswersAtOnce) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, nullptr);
    ASSERT_TRUE(source.ok()) << source.error();
    std::vector<LookupStatus> answers;
    (*source)->fetch(
        "payments", "nobody", ServiceAccountSource::Clock::now() + 1s,
        [&answers](const ServiceAccountLookup& lookup) { answers.push_back(lookup.status); });
    (*source)->fetch(
        "default", "builder", ServiceAccountSource::Clock::now() + 1s,
        [&answers](const ServiceAccountLookup& lookup) { answers.push_back(lookup.status); });
    EXPECT_THAT(answers, ::testing::ElementsAre(LookupStatus::absent, LookupStatus::found));
}

TEST_F(ServiceAccountFileSourceTest, EntriesAreSortedAndClearEmpties) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, nullptr);
    ASSERT_TRUE(source.ok()) << source.error();
    const auto entries = (*source)->entries();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0]->namespace_, "default");
    EXPECT_EQ(entries[1]->namespace_, "payments");
    (*source)->clear();
    EXPECT_EQ((*source)->size(), 0U);
    EXPECT_EQ((*source)->find("payments", "api").status, LookupStatus::absent);
}

TEST_F(ServiceAccountFileSourceTest, MissingFileIsAnErrorNamingIt) {
    const std::string path = (dir_ / "missing.yaml").string();
    const auto source = ServiceAccountFileSource::open(path, {}, &metrics_);
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error(), "service accounts file " + path + ": No such file or directory");
}

TEST_F(ServiceAccountFileSourceTest, InvalidFileIsAnErrorNamingItAndTheProblem) {
    const auto syntax = dir_.write_file("syntax.yaml", "kind: ServiceAccount\n  bad: indent\n");
    const auto syntax_error = ServiceAccountFileSource::open(syntax.string(), {}, &metrics_);
    ASSERT_FALSE(syntax_error.ok());
    EXPECT_THAT(syntax_error.error(),
                StartsWith("service accounts file " + syntax.string() + ": document 1, line 2"));

    const auto unnamed = dir_.write_file("unnamed.yaml", "kind: ServiceAccount\nmetadata: {}\n");
    const auto unnamed_error = ServiceAccountFileSource::open(unnamed.string(), {}, &metrics_);
    ASSERT_FALSE(unnamed_error.ok());
    EXPECT_EQ(unnamed_error.error(), "service accounts file " + unnamed.string() +
                                         ": document 1: ServiceAccount without metadata.name");
}

TEST_F(ServiceAccountFileSourceTest, ReloadReplacesContentAndRemovedAnnotationsClearTheRole) {
    // Upstream TestSAAnnotationRemoval: an update without the role-arn annotation clears the role.
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    test::write_file(path, "kind: ServiceAccount\nmetadata: {name: api, namespace: payments}\n");
    ASSERT_TRUE((*source)->reload().ok());
    const ServiceAccountLookup lookup = (*source)->find("payments", "api");
    ASSERT_EQ(lookup.status, LookupStatus::found);
    EXPECT_EQ(lookup.entry->role_arn, "");
    EXPECT_EQ((*source)->find("default", "builder").status, LookupStatus::absent);
    EXPECT_EQ(reloads("success"), 1.0);
    EXPECT_EQ(metric_value(text(), "pod_identity_webhook_service_accounts"), 1.0);
}

TEST_F(ServiceAccountFileSourceTest, InvalidReloadKeepsPreviousContentAndIsCounted) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    test::write_file(path,
                     "kind: ServiceAccount\nmetadata:\n  name: api\n  annotations:\n"
                     "    eks.amazonaws.com/token-expiration: 3600\n");
    const Status reloaded = (*source)->reload();
    ASSERT_FALSE(reloaded.ok());
    EXPECT_THAT(reloaded.error(), HasSubstr("must be a string"));
    EXPECT_EQ((*source)->find("payments", "api").entry->role_arn, kRoleArn);
    EXPECT_EQ((*source)->size(), 2U);
    EXPECT_EQ(reloads("failure"), 1.0);

    std::filesystem::remove(path);
    EXPECT_FALSE((*source)->reload().ok());
    EXPECT_EQ((*source)->size(), 2U);
    EXPECT_EQ(reloads("failure"), 2.0);
}

TEST_F(ServiceAccountFileSourceTest, WatcherPicksUpAWrittenFile) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    (*source)->start_watching(200ms);
    test::write_file(path, std::string(kTwoServiceAccounts) +
                               "---\nkind: ServiceAccount\nmetadata: {name: late, namespace: "
                               "payments}\n");
    ServiceAccountFileSource& file = **source;
    EXPECT_TRUE(eventually(
        [&file] { return file.find("payments", "late").status == LookupStatus::found; }));
    EXPECT_EQ(file.size(), 3U);
}

TEST_F(ServiceAccountFileSourceTest, WatcherKeepsPreviousContentOnABadWriteAndRecovers) {
    const auto path = dir_.write_file("sa.yaml", kTwoServiceAccounts);
    auto source = ServiceAccountFileSource::open(path.string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    ServiceAccountFileSource& file = **source;
    file.start_watching(200ms);
    test::write_file(path, "kind: ServiceAccount\nmetadata: [\n");
    EXPECT_TRUE(eventually([this] { return reloads("failure").value_or(0) >= 1.0; }));
    EXPECT_EQ(file.find("payments", "api").status, LookupStatus::found);
    test::write_file(path, "kind: ServiceAccount\nmetadata: {name: fixed}\n");
    EXPECT_TRUE(eventually(
        [&file] { return file.find("default", "fixed").status == LookupStatus::found; }));
    EXPECT_EQ(file.find("payments", "api").status, LookupStatus::absent);
}

TEST_F(ServiceAccountFileSourceTest, WatcherFollowsAKubeletConfigMapSwap) {
    test::KubeletVolume volume(dir_ / "volume");
    volume.write({{"sa.yaml", kTwoServiceAccounts}});
    auto source = ServiceAccountFileSource::open(volume.path_of("sa.yaml").string(), {}, &metrics_);
    ASSERT_TRUE(source.ok()) << source.error();
    ServiceAccountFileSource& file = **source;
    file.start_watching(200ms);
    volume.write({{"sa.yaml",
                   "kind: ServiceAccount\nmetadata:\n  name: api\n  namespace: "
                   "payments\n  annotations:\n    eks.amazonaws.com/role-arn: "
                   "arn:aws:iam::111122223333:role/swapped\n"}});
    EXPECT_TRUE(eventually([&file] {
        const ServiceAccountLookup lookup = file.find("payments", "api");
        return lookup.entry && lookup.entry->role_arn == "arn:aws:iam::111122223333:role/swapped";
    }));
    EXPECT_EQ(file.size(), 1U);
}

TEST(ExampleServiceAccountsTest, TheReadmesExampleFileLoads) {
    const std::string path = std::string(PIW_SOURCE_DIR) + "/examples/service-accounts.yaml";
    auto source = ServiceAccountFileSource::open(path, {}, nullptr);
    ASSERT_TRUE(source.ok()) << source.error();
    ServiceAccountFileSource& file = **source;
    EXPECT_EQ(file.size(), 5U);

    const auto s3_reader = file.find("payments", "s3-reader").entry;
    ASSERT_NE(s3_reader, nullptr);
    EXPECT_EQ(s3_reader->role_arn, "arn:aws:iam::111122223333:role/s3-reader");
    EXPECT_EQ(s3_reader->regional_sts, true);

    const auto ledger = file.find("payments", "ledger").entry;
    ASSERT_NE(ledger, nullptr);
    EXPECT_EQ(ledger->audience, "sts.amazonaws.com");
    EXPECT_EQ(ledger->token_expiration, 3600);

    const auto plain = file.find("shop", "default").entry;
    ASSERT_NE(plain, nullptr);
    EXPECT_EQ(plain->role_arn, "");

    const auto typo = file.find("shop", "catalog").entry;
    ASSERT_NE(typo, nullptr);
    EXPECT_EQ(typo->role_arn, "");
    EXPECT_THAT(typo->findings.near_miss_keys, ::testing::ElementsAre("eks.amazon.com/role-arn"));

    const auto batch = file.find("default", "batch").entry;
    ASSERT_NE(batch, nullptr);
    EXPECT_EQ(batch->regional_sts, false);
    for (const auto& entry : file.entries()) {
        EXPECT_FALSE(entry->findings.role_arn_invalid) << entry->name;
    }
}

}  // namespace
}  // namespace piw::identity
