// AdmissionReview in and out: both API versions, TypeMeta echo, uid echo, clear errors.

#include "pod_identity_webhook/admission/review.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace piw::admission {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

DecodedReview decode(std::string_view body) {
    return ReviewDecoder(mutation::MutationSettings{}).decode_copy(body);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

TEST(ReviewDecoder, TypicalV1Review) {
    auto review =
        decode(read_file(std::string(PIW_SOURCE_DIR) + "/tests/data/typical-review.json"));
    ASSERT_TRUE(review.ok()) << review.error;
    EXPECT_EQ(review.type_meta.kind, "AdmissionReview");
    EXPECT_EQ(review.type_meta.api_version, "admission.k8s.io/v1");
    EXPECT_EQ(review.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    EXPECT_EQ(review.namespace_, "payments");
    EXPECT_EQ(review.operation, "CREATE");
    EXPECT_EQ(review.pod.service_account_name, "payments-api");
    EXPECT_EQ(review.pod.display_name(), "payments-api-7d9f8b6c5d-");
    EXPECT_EQ(review.pod.containers.size(), 2U);
}

TEST(ReviewDecoder, V1beta1AndMissingTypeMetaAreAccepted) {
    auto beta = decode(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview",
        "request":{"uid":"u1","namespace":"ns","object":{"metadata":{"name":"p"},"spec":{}}}})");
    ASSERT_TRUE(beta.ok()) << beta.error;
    EXPECT_EQ(beta.type_meta.api_version, "admission.k8s.io/v1beta1");
    // hack/request.json upstream has only "kind"
    auto bare = decode(R"({"kind":"AdmissionReview","request":{"uid":"u2","object":{"spec":{}}}})");
    ASSERT_TRUE(bare.ok()) << bare.error;
    EXPECT_EQ(bare.type_meta.api_version, "");
    EXPECT_EQ(bare.uid, "u2");
}

TEST(ReviewDecoder, RequestNamespaceOverridesTheObjects) {
    auto review =
        decode(R"({"request":{"namespace":"real","object":{"metadata":{"namespace":"fake"}}}})");
    ASSERT_TRUE(review.ok());
    EXPECT_EQ(review.pod.namespace_, "real");
}

TEST(ReviewDecoder, EmptyOrRequestlessBodiesAreBadContent) {
    for (const char* body :
         {"", "   \n", "null", "{}", R"({"request":null})", R"({"kind":"AdmissionReview"})"}) {
        auto review = decode(body);
        EXPECT_FALSE(review.ok()) << body;
        EXPECT_THAT(review.error, HasSubstr("bad content")) << body;
        EXPECT_EQ(review.uid, "");
    }
}

TEST(ReviewDecoder, BadPodKeepsTheUid) {
    auto string_object =
        decode(R"({"request":{"uid":"abc","object":"\"metadata\":{\"name\":\"fake\""}})");
    EXPECT_FALSE(string_object.ok());
    EXPECT_EQ(string_object.uid, "abc");
    EXPECT_EQ(string_object.error,
              "cannot decode the pod: request.object is a string, expected a Pod object");

    auto uid_after_object =
        decode(R"({"request":{"object":{"spec":{"containers":7}},"uid":"later"}})");
    EXPECT_FALSE(uid_after_object.ok());
    EXPECT_EQ(uid_after_object.uid, "later");
    EXPECT_THAT(uid_after_object.error, HasSubstr("pod.spec.containers is a number"));

    auto missing = decode(R"({"request":{"uid":"m"}})");
    EXPECT_EQ(missing.error, "cannot decode the pod: request.object is missing");
    EXPECT_EQ(missing.uid, "m");
}

TEST(ReviewDecoder, InvalidJsonIsAClearError) {
    for (const char* body :
         {R"({"request": {"object": "\"metadata\":{\"name\":\"fake\""})", "{", "[1,2]", "garbage",
          R"({"request":{"uid":"x","object":{}}} trailing)"}) {
        auto review = decode(body);
        EXPECT_FALSE(review.ok()) << body;
        EXPECT_THAT(review.error, HasSubstr("cannot decode the AdmissionReview")) << body;
    }
}

TEST(ReviewDecoder, DecodesInPlaceFromAPaddedBuffer) {
    std::string body = R"({"request":{"uid":"in-place","object":{}}})";
    const std::size_t size = body.size();
    body.reserve(size + 64);
    auto review = ReviewDecoder(mutation::MutationSettings{})
                      .decode(std::string_view(body.data(), size), body.capacity());
    EXPECT_TRUE(review.ok()) << review.error;
    EXPECT_EQ(review.uid, "in-place");
}

TEST(EncodeResponse, MatchesUpstreamShapes) {
    EXPECT_EQ(
        encode_response({}, "", {false, "bad content", {}, {}}),
        R"({"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":"bad content"}}})");
    EXPECT_EQ(
        encode_response({"AdmissionReview", "admission.k8s.io/v1"}, "918ef1dc", {true, "", {}, {}}),
        R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"918ef1dc","allowed":true}})");
    const std::string patch = R"([{"op":"add","path":"/spec/volumes","value":[]}])";
    const std::string encoded = encode_response({"AdmissionReview", "admission.k8s.io/v1beta1"},
                                                "u", {true, "", patch, {"careful", "quote\"d"}});
    auto json = Json::parse(encoded);
    EXPECT_EQ(json["apiVersion"], "admission.k8s.io/v1beta1");
    EXPECT_EQ(json["response"]["patchType"], "JSONPatch");
    EXPECT_EQ(json["response"]["patch"],
              "W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvdm9sdW1lcyIsInZhbHVlIjpbXX1d");
    EXPECT_EQ(json["response"]["warnings"], Json::parse(R"(["careful","quote\"d"])"));
}

}  // namespace
}  // namespace piw::admission
