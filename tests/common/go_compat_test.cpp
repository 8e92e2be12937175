// The Go standard-library behaviours upstream relies on, reproduced exactly.

#include "pod_identity_webhook/common/go_compat.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace piw::go {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST(GoParseBool, AcceptsExactlyGoSpellings) {
    for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_EQ(parse_bool(yes), true) << yes;
    for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_EQ(parse_bool(no), false) << no;
    for (const char* bad : {"", "yes", "tRUE", " true", "2", "on"}) EXPECT_EQ(parse_bool(bad), std::nullopt) << bad;
}

TEST(GoParseInt, DecimalIsStrict) {
    EXPECT_EQ(parse_int_decimal("3600"), 3600);
    EXPECT_EQ(parse_int_decimal("-5"), -5);
    EXPECT_EQ(parse_int_decimal("+7"), 7);
    EXPECT_EQ(parse_int_decimal("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(parse_int_decimal("-9223372036854775808"), INT64_MIN);
    for (const char* bad : {"", " 1", "1 ", "0x10", "1_000", "9223372036854775808", "1e3", "+", "12a"}) {
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
    EXPECT_EQ(parse_csv_first_record("a\"b").error(), "parse error on line 1, column 2: bare \" in non-quoted-field");
    EXPECT_FALSE(parse_csv_first_record("\"abc").ok());
    EXPECT_FALSE(parse_csv_first_record("\"a\"b").ok());
}

}  // namespace
}  // namespace piw::go
