#include "pod_identity_webhook/common/json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace piw::json {
namespace {

TEST(JsonText, QuotesAndEscapes) {
    EXPECT_EQ(quote("plain"), "\"plain\"");
    EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    EXPECT_EQ(quote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
    EXPECT_EQ(quote("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
              "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonText, LineSeparatorsAreEscapedLikeGo) {
    EXPECT_EQ(quote("a\xE2\x80\xA8"
                    "b\xE2\x80\xA9"
                    "c"),
              R"("a\u2028b\u2029c")");
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
    for (const std::string& bad :
         {std::string("\xff"), std::string("\xC3"), std::string("\xE2\x82"),
          std::string("\xED\xA0\x80"), std::string("\xC0\xAF"), std::string("\xF5\x80\x80\x80")}) {
        const std::string quoted = quote("x" + bad + "y");
        auto parsed = nlohmann::json::parse(quoted, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << quoted;
        EXPECT_NE(parsed.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
    }
}

TEST(JsonText, Base64WithPadding) {
    std::string out;
    append_base64(out, "");
    EXPECT_EQ(out, "");
    for (auto [in, expected] : std::initializer_list<std::pair<const char*, const char*>>{
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"[{\"op\":\"add\"}]", "W3sib3AiOiJhZGQifV0="}}) {
        out.clear();
        append_base64(out, in);
        EXPECT_EQ(out, expected) << in;
    }
}

TEST(JsonText, PointerTokens) {
    EXPECT_EQ(escape_pointer_token("eks.amazonaws.com/pod-identity"),
              "eks.amazonaws.com~1pod-identity");
    EXPECT_EQ(escape_pointer_token("a~b"), "a~0b");
}

}  // namespace
}  // namespace piw::json
