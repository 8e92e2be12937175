#include "pod_identity_webhook/oidc/base64url.hpp"

#include <gtest/gtest.h>

namespace piw::oidc {
namespace {

TEST(Base64Url, EncodesWithoutPaddingInTheUrlAlphabet) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
    EXPECT_EQ(base64url_encode(std::string("\x00\x01", 2)), "AAE");
}

TEST(Base64Url, DecodesItsOwnOutput) {
    const std::string bytes("\x00\xff\x10 binary\xfe", 10);
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        const std::string prefix = bytes.substr(0, n);
        EXPECT_EQ(base64url_decode(base64url_encode(prefix)), prefix);
    }
}

TEST(Base64Url, DecodingIsStrict) {
    for (const std::string bad :
         {"Zg==", "Zm8=", "Z", "Zh", "Zm9", "+/", "Zm 9v", "Zm9v\n", "Zm9v."}) {
        EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    }
    EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // trailing bits not zero
    EXPECT_EQ(base64url_decode("Zm8"), "fo");
}

}  // namespace
}  // namespace piw::oidc
