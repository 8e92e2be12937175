// The Go standard-library behaviours upstream relies on, reproduced exactly.

#include "pod_identity_webhook/common/go_compat.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::go {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST(GoParseBool, AcceptsExactlyGoSpellings) {
    for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"})
        EXPECT_EQ(parse_bool(yes), true) << yes;
    for (const char* no : {"0", "f", "F", "FALSE", "false", "False"})
        EXPECT_EQ(parse_bool(no), false) << no;
    for (const char* bad : {"", "yes", "tRUE", " true", "2", "on"})
        EXPECT_EQ(parse_bool(bad), std::nullopt) << bad;
}

TEST(GoParseInt, DecimalIsStrict) {
    EXPECT_EQ(parse_int_decimal("3600"), 3600);
    EXPECT_EQ(parse_int_decimal("-5"), -5);
    EXPECT_EQ(parse_int_decimal("+7"), 7);
    EXPECT_EQ(parse_int_decimal("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(parse_int_decimal("-9223372036854775808"), INT64_MIN);
    for (const char* bad :
         {"", " 1", "1 ", "0x10", "1_000", "9223372036854775808", "1e3", "+", "12a"}) {
        EXPECT_EQ(parse_int_decimal(bad), std::nullopt) << bad;
    }
}

TEST(GoParseInt, BaseZeroTakesPrefixesAndUnderscores) {
    EXPECT_EQ(parse_int_any_base("0x1BB"), 443);
    EXPECT_EQ(parse_int_any_base("0X1bb"), 443);
    EXPECT_EQ(parse_int_any_base("0o17"), 15);
    EXPECT_EQ(parse_int_any_base("017"), 15);
    EXPECT_EQ(parse_int_any_base("0b101"), 5);
    EXPECT_EQ(parse_int_any_base("1_000"), 1000);
    EXPECT_EQ(parse_int_any_base("0x_1F"), 31);
    EXPECT_EQ(parse_int_any_base("-0x10"), -16);
    EXPECT_EQ(parse_int_any_base("0"), 0);
    for (const char* bad : {"_1", "1_", "1__0", "0x", "08", "0b2", "abc", ""}) {
        EXPECT_EQ(parse_int_any_base(bad), std::nullopt) << bad;
    }
}

TEST(GoParseInt, ErrorsAreStrconvsWordForWord) {
    EXPECT_EQ(parse_int("abc", 0).error(), "strconv.ParseInt: parsing \"abc\": invalid syntax");
    EXPECT_EQ(parse_int("", 10).error(), "strconv.ParseInt: parsing \"\": invalid syntax");
    EXPECT_EQ(parse_int("+", 10).error(), "strconv.ParseInt: parsing \"+\": invalid syntax");
    EXPECT_EQ(parse_int("1__0", 0).error(), "strconv.ParseInt: parsing \"1__0\": invalid syntax");
    EXPECT_EQ(parse_int("9223372036854775808", 0).error(),
              "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
    EXPECT_EQ(parse_int("\x01\n", 0).error(),
              "strconv.ParseInt: parsing \"\\x01\\n\": invalid syntax");
    EXPECT_EQ(parse_int("1", 1).error(), "strconv.ParseInt: parsing \"1\": invalid base 1");
    EXPECT_EQ(parse_int("1", 10, 65).error(),
              "strconv.ParseInt: parsing \"1\": invalid bit size 65");
}

TEST(GoParseInt, ThirtyTwoBitsAsKlogParsesLevels) {
    EXPECT_EQ(*parse_int("2147483647", 10, 32), INT32_MAX);
    EXPECT_EQ(*parse_int("-2147483648", 10, 32), INT32_MIN);
    EXPECT_EQ(parse_int("2147483648", 10, 32).error(),
              "strconv.ParseInt: parsing \"2147483648\": value out of range");
    EXPECT_EQ(parse_int("-2147483649", 10, 32).error(),
              "strconv.ParseInt: parsing \"-2147483649\": value out of range");
}

TEST(GoParseInt, FirstOverflowWinsOverLaterBadCharacters) {
    // Go stops at the digit that overflows, before it sees the rest of the text.
    EXPECT_EQ(parse_int("4294967296x", 10, 32).error(),
              "strconv.ParseInt: parsing \"4294967296x\": value out of range");
    EXPECT_EQ(parse_int("99999999999999999999x", 10).error(),
              "strconv.ParseInt: parsing \"99999999999999999999x\": value out of range");
    EXPECT_EQ(parse_int("99999999999999999999_", 0).error(),
              "strconv.ParseInt: parsing \"99999999999999999999_\": value out of range");
}

TEST(GoParseUint, TakesNoSignAndNamesParseUint) {
    EXPECT_EQ(*parse_uint("18446744073709551615", 0), UINT64_MAX);
    EXPECT_EQ(*parse_uint("0x_FF", 0), 255U);
    EXPECT_EQ(parse_uint("-1", 0).error(), "strconv.ParseUint: parsing \"-1\": invalid syntax");
    EXPECT_EQ(parse_uint("+1", 0).error(), "strconv.ParseUint: parsing \"+1\": invalid syntax");
    EXPECT_EQ(parse_uint("18446744073709551616", 0).error(),
              "strconv.ParseUint: parsing \"18446744073709551616\": value out of range");
    EXPECT_TRUE(parse_uint("18446744073709551616", 0).error().ends_with(kErrRange));
    EXPECT_TRUE(parse_uint("1__0", 0).error().ends_with(kErrSyntax));
}

TEST(GoParseBool, CheckedFormGivesStrconvsError) {
    EXPECT_EQ(*parse_bool_checked("True"), true);
    EXPECT_EQ(parse_bool_checked("yes").error(),
              "strconv.ParseBool: parsing \"yes\": invalid syntax");
}

TEST(GoDuration, ParsesLikeTimeParseDuration) {
    EXPECT_EQ(parse_duration("0"), 0ns);
    EXPECT_EQ(parse_duration("100ms"), 100ms);
    EXPECT_EQ(parse_duration("1m30s"), 90s);
    EXPECT_EQ(parse_duration("1.5h"), 90min);
    EXPECT_EQ(parse_duration("-2s"), -2s);
    EXPECT_EQ(parse_duration("2h45m"), 165min);
    EXPECT_EQ(parse_duration("1us"), 1us);
    EXPECT_EQ(parse_duration("1\xC2\xB5s"), 1us);
    EXPECT_EQ(parse_duration(".5s"), 500ms);
    EXPECT_EQ(parse_duration("1.s"), 1s);
    for (const char* bad : {"", "1", "s", "1x", "-", ".s", "1.2.3s", "10000000000h", " 1s"}) {
        EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
    }
}

TEST(GoDuration, ErrorsAreTimePackagesWordForWord) {
    EXPECT_EQ(parse_duration_checked("abc").error(), "time: invalid duration \"abc\"");
    EXPECT_EQ(parse_duration_checked("").error(), "time: invalid duration \"\"");
    EXPECT_EQ(parse_duration_checked("-").error(), "time: invalid duration \"-\"");
    EXPECT_EQ(parse_duration_checked("10").error(), "time: missing unit in duration \"10\"");
    EXPECT_EQ(parse_duration_checked("1d").error(), "time: unknown unit \"d\" in duration \"1d\"");
    EXPECT_EQ(parse_duration_checked("1s2d3x").error(),
              "time: unknown unit \"d\" in duration \"1s2d3x\"");
    EXPECT_EQ(parse_duration_checked("9999999999h").error(),
              "time: invalid duration \"9999999999h\"");
    // An overflowing number is invalid before its unit is looked at.
    EXPECT_EQ(parse_duration_checked("18446744073709551616x").error(),
              "time: invalid duration \"18446744073709551616x\"");
}

TEST(GoDuration, ErrorsQuoteTheWayPackageTimeDoes) {
    // Every byte outside printable ASCII is \xNN, even in valid UTF-8 (unlike strconv.Quote).
    EXPECT_EQ(parse_duration_checked("1caf\xc3\xa9").error(),
              "time: unknown unit \"caf\\xc3\\xa9\" in duration \"1caf\\xc3\\xa9\"");
    EXPECT_EQ(parse_duration_checked("1\"s\\").error(),
              "time: unknown unit \"\\\"s\\\\\" in duration \"1\\\"s\\\\\"");
    EXPECT_EQ(parse_duration_checked("\t").error(), "time: invalid duration \"\\x09\"");
}

TEST(GoDuration, CheckedFormCoversTheFullRange) {
    EXPECT_EQ(*parse_duration_checked("1m30s"), 90s);
    EXPECT_EQ(*parse_duration_checked("-9223372036854775808ns"), std::chrono::nanoseconds::min());
    EXPECT_EQ(*parse_duration_checked("9223372036854775807ns"), std::chrono::nanoseconds::max());
    EXPECT_EQ(parse_duration_checked("9223372036854775808ns").error(),
              "time: invalid duration \"9223372036854775808ns\"");
}

TEST(GoDuration, FormatsLikeDurationString) {
    EXPECT_EQ(format_duration(0ns), "0s");
    EXPECT_EQ(format_duration(100ms), "100ms");
    EXPECT_EQ(format_duration(1s), "1s");
    EXPECT_EQ(format_duration(90s), "1m30s");
    EXPECT_EQ(format_duration(3600s), "1h0m0s");
    EXPECT_EQ(format_duration(1500ms), "1.5s");
    EXPECT_EQ(format_duration(1500us), "1.5ms");
    EXPECT_EQ(format_duration(1us), "1\xC2\xB5s");
    EXPECT_EQ(format_duration(-2s), "-2s");
    EXPECT_EQ(format_duration(42ns), "42ns");
}

TEST(GoPath, CleanAndJoinMatchGo) {
    EXPECT_EQ(clean_path(""), ".");
    EXPECT_EQ(clean_path("/"), "/");
    EXPECT_EQ(clean_path("a//b/./c/"), "a/b/c");
    EXPECT_EQ(clean_path("/a/b/../../.."), "/");
    EXPECT_EQ(clean_path("a/../.."), "..");
    EXPECT_EQ(clean_path("../../a"), "../../a");
    EXPECT_EQ(clean_path("/abc/def/../ghi"), "/abc/ghi");
    EXPECT_EQ(join_path("/var/run/", "token"), "/var/run/token");
    EXPECT_EQ(join_path("", "token"), "token");
    EXPECT_EQ(join_path("/a", ""), "/a");
    EXPECT_EQ(join_path("", ""), "");
    EXPECT_EQ(join_path("/a/b", "../c"), "/a/c");
}

TEST(GoCsv, FirstRecordWithQuotesAndNoTrimming) {
    EXPECT_THAT(*parse_csv_first_record("a,b"), ElementsAre("a", "b"));
    EXPECT_THAT(*parse_csv_first_record("\"a,b\",c"), ElementsAre("a,b", "c"));
    EXPECT_THAT(*parse_csv_first_record("a, b"), ElementsAre("a", " b"));
    EXPECT_THAT(*parse_csv_first_record("\"a\"\"b\""), ElementsAre("a\"b"));
    EXPECT_THAT(*parse_csv_first_record("a,\n b"), ElementsAre("a", ""));
    EXPECT_THAT(*parse_csv_first_record("\n\nx,y\nz"), ElementsAre("x", "y"));
    EXPECT_THAT(*parse_csv_first_record("\"multi\nline\",z"), ElementsAre("multi\nline", "z"));
    EXPECT_THAT(*parse_csv_first_record("a\r\n"), ElementsAre("a"));
    EXPECT_THAT(*parse_csv_first_record("a,"), ElementsAre("a", ""));
    EXPECT_EQ(parse_csv_first_record("").error(), "EOF");
    EXPECT_EQ(parse_csv_first_record("\n").error(), "EOF");
    EXPECT_EQ(parse_csv_first_record("a\"b").error(),
              "parse error on line 1, column 2: bare \" in non-quoted-field");
    EXPECT_FALSE(parse_csv_first_record("\"abc").ok());
    EXPECT_FALSE(parse_csv_first_record("\"a\"b").ok());
}

TEST(GoQuote, EscapesLikeStrconvQuote) {
    EXPECT_EQ(quote(""), "\"\"");
    EXPECT_EQ(quote("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
    EXPECT_EQ(quote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
    EXPECT_EQ(quote(std::string_view("\0\x1b\x7f", 3)), "\"\\x00\\x1b\\x7f\"");
    EXPECT_EQ(quote("caf\xc3\xa9 \xe2\x82\xac"),
              "\"caf\xc3\xa9 \xe2\x82\xac\"");    // printable stays
    EXPECT_EQ(quote("\xc2\x85"), "\"\\u0085\"");  // C1 control
    EXPECT_EQ(quote("\xe2\x80\xa8\xe2\x80\xa9"),
              "\"\\u2028\\u2029\"");                        // line/paragraph separators
    EXPECT_EQ(quote("rtl\xe2\x80\xae"), "\"rtl\\u202e\"");  // bidirectional override
    EXPECT_EQ(quote("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");   // a real U+FFFD is printable
}

TEST(GoQuote, InvalidUtf8BecomesHexBytes) {
    EXPECT_EQ(quote("a\xff"
                    "b"),
              "\"a\\xffb\"");
    EXPECT_EQ(quote("\xc3"), "\"\\xc3\"");                             // truncated sequence
    EXPECT_EQ(quote("\xc0\xaf"), "\"\\xc0\\xaf\"");                    // overlong
    EXPECT_EQ(quote("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");           // surrogate
    EXPECT_EQ(quote("\xf4\x90\x80\x80"), "\"\\xf4\\x90\\x80\\x80\"");  // above U+10FFFF
}

TEST(GoQuote, EscapedWithoutQuotesKeepsQuoteAndBackslashWhenAsked) {
    std::string out;
    append_escaped(out, "a\"b\\c\nd", false);
    EXPECT_EQ(out, "a\"b\\c\\nd");
    out.clear();
    append_escaped(out, "a\"b\\c\nd", true);
    EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
}

TEST(GoRunes, DecodeFollowsGoRules) {
    EXPECT_EQ(decode_rune("\xe2\x82\xac", 0).rune, U'\u20AC');
    EXPECT_EQ(decode_rune("\xe2\x82\xac", 0).length, 3U);
    EXPECT_EQ(decode_rune("\xf0\x9f\x98\x80", 0).rune, U'\U0001F600');
    EXPECT_EQ(decode_rune("a\xed\xa0\x80", 1).rune, kInvalidRune);
    EXPECT_EQ(decode_rune("a\xed\xa0\x80", 1).length, 1U);
    EXPECT_EQ(decode_rune("\xe2\x82", 0).rune, kInvalidRune);
}

TEST(GoRunes, IsPrintRejectsControlsAndInvisibleCharacters) {
    for (char32_t yes : {U' ', U'a', U'~', U'\u00E9', U'\u20AC', U'\U0001F600', U'\uFFFD'}) {
        EXPECT_TRUE(is_print(yes)) << static_cast<std::uint32_t>(yes);
    }
    for (char32_t no : {U'\0', U'\n', U'\x7f', U'\u0085', U'\u00AD', U'\u200B', U'\u2028',
                        U'\u202E', U'\u2066', U'\uFEFF', U'\uE000', kInvalidRune}) {
        EXPECT_FALSE(is_print(no)) << static_cast<std::uint32_t>(no);
    }
}

}  // namespace
}  // namespace piw::go
