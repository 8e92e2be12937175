// Reading the facts the mutation needs from pod JSON, and refusing malformed pods clearly.

#include "pod_identity_webhook/mutation/pod_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::mutation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<PodFacts> read(std::string_view json) {
    return PodReader(MutationSettings{}).read_json(json);
}

TEST(PodReader, ReadsEverythingTheMutationNeeds) {
    auto facts = read(R"({
      "metadata": {"name": "api-0", "generateName": "api-", "namespace": "payments",
                   "labels": {"eks.amazonaws.com/pod-identity": "enabled", "app": "x"},
                   "annotations": {"eks.amazonaws.com/token-expiration": "3600",
                                   "eks.amazonaws.com/skip-containers": "a,b",
                                   "eks.amazonaws.com/Role-Arn": "nope", "other": "x"}},
      "spec": {"serviceAccountName": "api",
               "volumes": [{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
                           {"name": "eks-pod-identity-token", "secret": {"secretName": "s"}}],
               "containers": [{"name": "c", "env": [{"name": "AWS_REGION"}, {"name": "AWS_ROLE_ARN", "valueFrom": {}}],
                               "volumeMounts": [{"name": "aws-iam-token", "mountPath": "/x"}]}],
               "initContainers": [{"name": "i", "env": null}]}})");
    ASSERT_TRUE(facts.ok()) << facts.error();
    EXPECT_EQ(facts->name, "api-0");
    EXPECT_EQ(facts->display_name(), "api-0");
    EXPECT_EQ(facts->namespace_, "payments");
    EXPECT_EQ(facts->service_account_name, "api");
    EXPECT_TRUE(facts->labels_present);
    EXPECT_EQ(facts->pod_identity_label, "enabled");
    EXPECT_EQ(facts->token_expiration_annotation, "3600");
    EXPECT_EQ(facts->skip_containers_annotation, "a,b");
    EXPECT_THAT(facts->near_miss_annotation_keys, ElementsAre("eks.amazonaws.com/Role-Arn"));
    EXPECT_TRUE(facts->volumes_present);
    EXPECT_TRUE(facts->web_identity_volume.present);
    EXPECT_TRUE(facts->web_identity_volume.projected_token);
    EXPECT_TRUE(facts->container_credentials_volume.present);
    EXPECT_FALSE(facts->container_credentials_volume.projected_token);
    ASSERT_EQ(facts->containers.size(), 1U);
    EXPECT_EQ(facts->containers[0].env_flags, kEnvRegion | kEnvRoleArn);
    EXPECT_TRUE(facts->containers[0].env_present);
    EXPECT_TRUE(facts->containers[0].has_web_identity_mount);
    EXPECT_FALSE(facts->containers[0].has_container_credentials_mount);
    ASSERT_EQ(facts->init_containers.size(), 1U);
    EXPECT_FALSE(facts->init_containers[0].env_present);
}

TEST(PodReader, FieldOrderDoesNotMatterAndTheLastDuplicateWins) {
    auto facts = read(R"({"spec": {"containers": [{"env": [], "name": "late-name"}],
                                    "serviceAccountName": "first", "serviceAccountName": "second"},
                          "metadata": {"name": "p"}})");
    ASSERT_TRUE(facts.ok()) << facts.error();
    EXPECT_EQ(facts->service_account_name, "second");
    EXPECT_EQ(facts->containers[0].name, "late-name");
    EXPECT_EQ(facts->name, "p");
}

TEST(PodReader, EscapedKeysAndValuesAreUnescaped) {
    auto facts =
        read(R"({"metadata": {"na\u006de": "caf\u00e9"}, "spec": {"serviceAccountName": "a\"b"}})");
    ASSERT_TRUE(facts.ok()) << facts.error();
    EXPECT_EQ(facts->name, "caf\xC3\xA9");
    EXPECT_EQ(facts->service_account_name, "a\"b");
}

TEST(PodReader, NullsAreAcceptedWhereGoAcceptsThem) {
    auto facts = read(R"({"metadata": {"name": null, "labels": null, "annotations": null},
                          "spec": {"serviceAccountName": null, "volumes": null, "containers": null,
                                   "nodeSelector": null, "os": null, "affinity": null}})");
    ASSERT_TRUE(facts.ok()) << facts.error();
    EXPECT_FALSE(facts->labels_present);
    EXPECT_FALSE(facts->volumes_present);
    EXPECT_TRUE(facts->containers.empty());
}

TEST(PodReader, WrongTypesAreRefusedWithThePathOfTheField) {
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"([])", "pod is an array, expected an object"},
        {R"({"spec": {"containers": {}}})", "pod.spec.containers is an object, expected an array"},
        {R"({"spec": {"containers": [{"name": 5}]}})",
         "pod.spec.containers[0].name is a number, expected a string"},
        {R"({"spec": {"containers": [{"name": "a"}, {"env": [{"name": true}]}]}})",
         "pod.spec.containers[1].env[0].name is a boolean, expected a string"},
        {R"({"metadata": {"annotations": {"x": 1}}})",
         "pod.metadata.annotations.x is a number, expected a string"},
        {R"({"metadata": "x"})", "pod.metadata is a string, expected an object"},
        {R"({"spec": {"volumes": [3]}})", "pod.spec.volumes[0] is a number, expected an object"},
    };
    for (const auto& c : cases) {
        auto facts = read(c.json);
        ASSERT_FALSE(facts.ok()) << c.json;
        EXPECT_EQ(facts.error(), c.message) << c.json;
    }
}

TEST(PodReader, BrokenJsonIsAnErrorNotACrash) {
    for (const char* json : {R"({"metadata": {"name": "x")", R"({"spec": [}])", "{", "", "nul",
                             "{\"a\":\"\xff\"}", R"({} {})"}) {
        auto facts = read(json);
        EXPECT_FALSE(facts.ok()) << json;
        EXPECT_FALSE(facts.error().empty()) << json;
    }
}

TEST(PodReader, DeepNestingIsRefused) {
    std::string deep = R"({"spec":{"affinity":)";
    for (int i = 0; i < 5000; ++i) deep += "[";
    for (int i = 0; i < 5000; ++i) deep += "]";
    deep += "}}";
    EXPECT_FALSE(read(deep).ok());
}

}  // namespace
}  // namespace piw::mutation
