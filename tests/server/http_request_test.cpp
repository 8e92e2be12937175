#include "pod_identity_webhook/server/http.hpp"

#include <gtest/gtest.h>

namespace piw::server {
namespace {

HttpRequest with_target(std::string target) {
    HttpRequest request;
    request.target = std::move(target);
    return request;
}

TEST(HttpRequest, PathIsTheTargetWithoutItsQuery) {
    EXPECT_EQ(with_target("/mutate").path(), "/mutate");
    EXPECT_EQ(with_target("/mutate?timeout=10s").path(), "/mutate");
    EXPECT_EQ(with_target("/mutate?").path(), "/mutate");
    EXPECT_EQ(with_target("").path(), "");
}

TEST(HttpRequest, QueryFindsNamedParametersWithoutDecoding) {
    const HttpRequest request = with_target("/mutate?timeout=10s&dryRun&empty=&x=a%20b#frag");
    EXPECT_EQ(request.query("timeout"), "10s");
    EXPECT_EQ(request.query("dryRun"), "");
    EXPECT_EQ(request.query("empty"), "");
    EXPECT_EQ(request.query("x"), "a%20b");
    EXPECT_FALSE(request.query("missing").has_value());
    EXPECT_FALSE(request.query("time").has_value());
    EXPECT_FALSE(with_target("/mutate").query("timeout").has_value());
}

TEST(HttpRequest, FirstOfRepeatedQueryParametersWins) {
    EXPECT_EQ(with_target("/p?a=1&a=2").query("a"), "1");
}

}  // namespace
}  // namespace piw::server
