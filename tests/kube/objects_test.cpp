#include "pod_identity_webhook/kube/objects.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

DecodeOptions eks_annotations() {
    DecodeOptions options;
    options.keep_annotation = [](std::string_view key) {
        return key.starts_with("eks.amazonaws.com/");
    };
    return options;
}

// Shaped like a real ServiceAccountList page, managedFields and all.
constexpr std::string_view kListPage = R"({
  "kind": "ServiceAccountList", "apiVersion": "v1",
  "metadata": {"resourceVersion": "1042", "continue": "eyJydiI6MTA0Mn0"},
  "items": [
    {"metadata": {"name": "api", "namespace": "payments", "uid": "4c1d", "resourceVersion": "1001",
                  "creationTimestamp": "2026-11-30T09:00:00Z",
                  "labels": {"app.kubernetes.io/name": "api"},
                  "annotations": {"meta.helm.sh/release-name": "payments",
                                  "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/api",
                                  "eks.amazonaws.com/audience": "sts.amazonaws.com"},
                  "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1",
                                     "fieldsType": "FieldsV1",
                                     "fieldsV1": {"f:metadata": {"f:annotations": {".": {}}}}}]},
     "secrets": [{"name": "api-token-abcde"}]},
    {"metadata": {"name": "default", "namespace": "kube-system", "resourceVersion": "7",
                  "annotations": null}}
  ]
})";

TEST(DecodeListTest, KeepsOnlyNameNamespaceVersionAndWantedAnnotations) {
    auto page = decode_list(kListPage, eks_annotations());
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->resource_version, "1042");
    EXPECT_EQ(page->continue_token, "eyJydiI6MTA0Mn0");
    ASSERT_EQ(page->items.size(), 2U);
    const KubeObject& api = page->items[0];
    EXPECT_EQ(api.namespace_, "payments");
    EXPECT_EQ(api.name, "api");
    EXPECT_EQ(api.resource_version, "1001");
    EXPECT_THAT(
        api.annotations,
        ElementsAre(Pair("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/api"),
                    Pair("eks.amazonaws.com/audience", "sts.amazonaws.com")));
    EXPECT_TRUE(page->items[1].annotations.empty());
    EXPECT_TRUE(api.data.empty());
}

TEST(DecodeListTest, LastPageHasNoContinueAndEmptyItemsAreFine) {
    auto page = decode_list(R"({"metadata":{"resourceVersion":"5"},"items":[]})", {});
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->continue_token, "");
    EXPECT_TRUE(page->items.empty());
}

TEST(DecodeListTest, RefusesWhatIsNotAList) {
    EXPECT_THAT(decode_list(R"({"metadata":{"resourceVersion":"5"}})", {}).error(),
                HasSubstr("no \"items\""));
    // A list without metadata is accepted (the reflector then watches from "now").
    EXPECT_EQ(decode_list(R"({"items":[]})", {})->resource_version, "");
    EXPECT_THAT(
        decode_list(R"({"items":[{"metadata":{"name":1}}],"metadata":{"resourceVersion":"1"}})", {})
            .error(),
        HasSubstr("invalid JSON"));
    EXPECT_THAT(decode_list("{\"items\":[", {}).error(), HasSubstr("invalid JSON"));
    EXPECT_FALSE(decode_list("", {}).ok());
    EXPECT_FALSE(decode_list("[]", {}).ok());
}

TEST(DecodeWatchEventTest, DecodesEveryEventType) {
    auto added = decode_watch_event(
        R"({"type":"ADDED","object":{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"11","annotations":{"eks.amazonaws.com/role-arn":"r","other":"x"}}}})",
        eks_annotations());
    ASSERT_TRUE(added.ok()) << added.error();
    EXPECT_EQ(added->type, WatchEventType::added);
    EXPECT_EQ(added->object.name, "a");
    EXPECT_EQ(added->object.resource_version, "11");
    EXPECT_THAT(added->object.annotations, ElementsAre(Pair("eks.amazonaws.com/role-arn", "r")));

    EXPECT_EQ(
        decode_watch_event(R"({"type":"MODIFIED","object":{"metadata":{"name":"a"}}})", {})->type,
        WatchEventType::modified);
    EXPECT_EQ(
        decode_watch_event(R"({"type":"DELETED","object":{"metadata":{"name":"a"}}})", {})->type,
        WatchEventType::deleted);
    auto bookmark = decode_watch_event(
        R"({"type":"BOOKMARK","object":{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"resourceVersion":"99"}}})",
        {});
    ASSERT_TRUE(bookmark.ok());
    EXPECT_EQ(bookmark->type, WatchEventType::bookmark);
    EXPECT_EQ(bookmark->object.resource_version, "99");
}

TEST(DecodeWatchEventTest, ErrorEventCarriesTheStatus) {
    auto event = decode_watch_event(
        R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (900)","reason":"Expired","code":410}})json",
        {});
    ASSERT_TRUE(event.ok()) << event.error();
    EXPECT_EQ(event->type, WatchEventType::error);
    EXPECT_EQ(event->status_code, 410);
    EXPECT_EQ(event->status_reason, "Expired");
    EXPECT_EQ(event->status_message, "too old resource version: 5 (900)");
}

TEST(DecodeWatchEventTest, ObjectBeforeTypeStillDecodes) {
    auto event = decode_watch_event(R"({"object":{"metadata":{"name":"a"}},"type":"ADDED"})", {});
    ASSERT_TRUE(event.ok()) << event.error();
    EXPECT_EQ(event->object.name, "a");
}

TEST(DecodeWatchEventTest, RefusesBrokenEvents) {
    EXPECT_THAT(decode_watch_event(R"({"type":"EXPLODED","object":{}})", {}).error(),
                HasSubstr("unknown watch event type \"EXPLODED\""));
    EXPECT_THAT(decode_watch_event(R"({"type":"ADDED"})", {}).error(), HasSubstr("no \"object\""));
    EXPECT_THAT(decode_watch_event(R"({"object":{}})", {}).error(), HasSubstr("no \"type\""));
    EXPECT_FALSE(decode_watch_event(R"({"type":"ADDED","object":{"metadata":)", {}).ok());
}

TEST(DecodeObjectTest, ConfigMapDataKeepsOnlyWantedKeys) {
    DecodeOptions options;
    options.keep_data = [](std::string_view key) { return key == "config"; };
    auto object = decode_object(
        R"({"kind":"ConfigMap","metadata":{"name":"pod-identity-webhook","namespace":"eks"},"data":{"config":"{\"a/b\":{}}","other":"x"}})",
        options);
    ASSERT_TRUE(object.ok()) << object.error();
    EXPECT_THAT(object->data, ElementsAre(Pair("config", R"({"a/b":{}})")));
    EXPECT_THAT(decode_object(R"({"metadata":{}})", {}).error(), HasSubstr("no metadata.name"));
}

TEST(DescribeErrorBodyTest, StatusMessageAndReasonOrAnExcerpt) {
    EXPECT_EQ(
        describe_error_body(
            R"({"kind":"Status","status":"Failure","message":"serviceaccounts is forbidden: User \"x\" cannot list","reason":"Forbidden","code":403})"),
        "serviceaccounts is forbidden: User \"x\" cannot list (Forbidden)");
    EXPECT_EQ(describe_error_body("upstream connect error\nor disconnect"),
              "upstream connect error or disconnect");
    EXPECT_EQ(describe_error_body(std::string(500, 'x')).size(), 200U);
}

TEST(QueryEscapeTest, EscapesEverythingButUnreserved) {
    EXPECT_EQ(query_escape("metadata.name=pod-identity-webhook"),
              "metadata.name%3Dpod-identity-webhook");
    EXPECT_EQ(query_escape("a b/c+~_"), "a%20b%2Fc%2B~_");
}

}  // namespace
}  // namespace piw::kube
