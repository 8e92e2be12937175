#include "pod_identity_webhook/mutation/annotations.hpp"

#include <gtest/gtest.h>

namespace piw::annotations {
namespace {

TEST(Annotations, NearMissesAreTyposOfOurKeys) {
    const std::string prefix = "eks.amazonaws.com";
    EXPECT_EQ(near_miss_of("eks.amazon.com/role-arn", prefix), "eks.amazonaws.com/role-arn");
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/role_arn", prefix), "eks.amazonaws.com/role-arn");
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/RoleArn", prefix), "eks.amazonaws.com/role-arn");
    EXPECT_EQ(near_miss_of("eks.amazonaws.co/audience", prefix), "eks.amazonaws.com/audience");
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/sts_regional_endpoints", prefix),
              "eks.amazonaws.com/sts-regional-endpoints");
    EXPECT_EQ(near_miss_of("EKS.amazonaws.com/token-expiration", prefix),
              "eks.amazonaws.com/token-expiration");
    // exact keys, unrelated keys and far-away prefixes are not near misses
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/role-arn", prefix), std::nullopt);
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/something", prefix), std::nullopt);
    EXPECT_EQ(near_miss_of("example.org/role-arn", prefix), std::nullopt);
    EXPECT_EQ(near_miss_of("role-arn", prefix), std::nullopt);
    EXPECT_EQ(near_miss_of("iam.amazonaws.com/role", prefix), std::nullopt);
    EXPECT_EQ(near_miss_of("eks.amazonaws.com/rolearns", prefix), std::nullopt);
}

TEST(Annotations, EditDistanceIsCapped) {
    EXPECT_EQ(edit_distance("kitten", "sitting", 5), 3U);
    EXPECT_EQ(edit_distance("", "abc", 5), 3U);
    EXPECT_EQ(edit_distance("abcdefgh", "a", 3), 4U);  // cap + 1
    EXPECT_EQ(edit_distance("same", "same", 3), 0U);
}

TEST(Annotations, RoleArnRegexMatchesUpstream) {
    EXPECT_TRUE(is_valid_role_arn("arn:aws:iam::111122223333:role/s3-reader"));
    EXPECT_TRUE(is_valid_role_arn("arn:aws-cn:iam::111122223333:role/path/to/x_y.z@a+b=c,d"));
    EXPECT_TRUE(is_valid_role_arn("arn:aws-us-gov:iam::111122223333:role/x"));
    EXPECT_FALSE(is_valid_role_arn("arn:aws:iam::11112222333:role/x"));  // 11 digits
    EXPECT_FALSE(is_valid_role_arn("arn:aws:iam::111122223333:user/x"));
    EXPECT_FALSE(is_valid_role_arn("arn:aws:iam::111122223333:role/"));
    EXPECT_FALSE(is_valid_role_arn("arn:aws:iam::111122223333:role/a b"));
    EXPECT_FALSE(is_valid_role_arn("s3-reader"));
    EXPECT_FALSE(is_valid_role_arn("arn:AWS:iam::111122223333:role/x"));
}

}  // namespace
}  // namespace piw::annotations
