#include "pod_identity_webhook/logging/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include "logging/format.hpp"

namespace piw::logging {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// 2026-11-30T06:47:03.123Z
const Clock::time_point kWhen = Clock::time_point(1796021223123ms);

std::string text_record(spdlog::level::level_enum level, std::string_view message,
                        std::initializer_list<Field> fields = {}) {
    std::string out;
    format_record_to(out, LogFormat::text, level, kWhen, message,
                     std::span<const Field>(fields.begin(), fields.size()));
    return out;
}

std::string json_record(spdlog::level::level_enum level, std::string_view message,
                        std::initializer_list<Field> fields = {}) {
    std::string out;
    format_record_to(out, LogFormat::json, level, kWhen, message,
                     std::span<const Field>(fields.begin(), fields.size()));
    return out;
}

TEST(Timestamp, IsRfc3339UtcWithMilliseconds) {
    std::string out;
    append_timestamp(out, kWhen);
    EXPECT_EQ(out, "2026-11-30T06:47:03.123Z");
    out.clear();
    append_timestamp(out, Clock::time_point(5ms));
    EXPECT_EQ(out, "1970-01-01T00:00:00.005Z");
}

TEST(TextFormat, LevelPaddedMessageAndFields) {
    EXPECT_EQ(text_record(spdlog::level::info, "pod mutated",
                          {{"namespace", "payments"}, {"pod", "api-7d9"}, {"sa", "my sa"}}),
              "2026-11-30T06:47:03.123Z info  pod mutated namespace=payments pod=api-7d9 "
              "sa=\"my sa\"");
    EXPECT_EQ(text_record(spdlog::level::warn, "w"), "2026-11-30T06:47:03.123Z warn  w");
    EXPECT_EQ(text_record(spdlog::level::err, "e"), "2026-11-30T06:47:03.123Z error e");
    EXPECT_EQ(text_record(spdlog::level::debug, "d"), "2026-11-30T06:47:03.123Z debug d");
    EXPECT_EQ(text_record(spdlog::level::trace, "t"), "2026-11-30T06:47:03.123Z trace t");
}

TEST(TextFormat, ValuesAreQuotedLikeGoWhenNeeded) {
    auto value_of = [](std::string_view value) {
        std::string record = text_record(spdlog::level::info, "m", {{"k", value}});
        return record.substr(record.find(" k=") + 3);
    };
    EXPECT_EQ(value_of("plain-value_1.2/3:4"), "plain-value_1.2/3:4");
    EXPECT_EQ(value_of(""), "\"\"");
    EXPECT_EQ(value_of("a b"), "\"a b\"");
    EXPECT_EQ(value_of("a=b"), "\"a=b\"");
    EXPECT_EQ(value_of("say \"hi\""), "\"say \\\"hi\\\"\"");
    EXPECT_EQ(value_of("back\\slash"), "back\\slash");  // unambiguous without quotes
    EXPECT_EQ(value_of("tab\there"), "\"tab\\there\"");
    EXPECT_EQ(value_of("line\nbreak\r"), "\"line\\nbreak\\r\"");
    EXPECT_EQ(value_of(std::string_view("nul\0x", 5)), "\"nul\\x00x\"");
    EXPECT_EQ(value_of("esc\x1b[31m"), "\"esc\\x1b[31m\"");
    EXPECT_EQ(value_of("del\x7f"), "\"del\\x7f\"");
    EXPECT_EQ(value_of("bad\xff utf8"), "\"bad\\xff utf8\"");
    EXPECT_EQ(value_of("caf\xc3\xa9"), "caf\xc3\xa9");  // printable UTF-8 stays as it is
    EXPECT_EQ(value_of("rtl\xe2\x80\xaeoverride"), "\"rtl\\u202eoverride\"");
    EXPECT_EQ(value_of("a\\b c"), "\"a\\\\b c\"");
}

TEST(TextFormat, NewlinesInMessagesCannotForgeRecords) {
    EXPECT_EQ(text_record(spdlog::level::info, "first\n2026-01-01T00:00:00.000Z error forged"),
              "2026-11-30T06:47:03.123Z info  first\\n2026-01-01T00:00:00.000Z error forged");
    EXPECT_EQ(text_record(spdlog::level::info, "quotes \"stay\" as is"),
              "2026-11-30T06:47:03.123Z info  quotes \"stay\" as is");
}

TEST(JsonFormat, OneObjectWithTsLevelMsgThenFields) {
    EXPECT_EQ(json_record(spdlog::level::info, "pod mutated",
                          {{"namespace", "payments"}, {"sa", "my sa"}}),
              "{\"ts\":\"2026-11-30T06:47:03.123Z\",\"level\":\"info\",\"msg\":\"pod mutated\","
              "\"namespace\":\"payments\",\"sa\":\"my sa\"}");
    EXPECT_EQ(json_record(spdlog::level::err, ""),
              "{\"ts\":\"2026-11-30T06:47:03.123Z\",\"level\":\"error\",\"msg\":\"\"}");
}

TEST(JsonFormat, EscapesControlCharactersAndReplacesInvalidUtf8) {
    std::string record = json_record(spdlog::level::warn, "a\"b\\c\nd\te\x01",
                                     {{"bytes", std::string_view("\xff\xc3(\xed\xa0\x80ok\0", 9)},
                                      {"sep", "\xe2\x80\xa8"},
                                      {"utf8", "\xe2\x82\xac \xf0\x9f\x98\x80"}});
    EXPECT_EQ(record,
              "{\"ts\":\"2026-11-30T06:47:03.123Z\",\"level\":\"warn\","
              "\"msg\":\"a\\\"b\\\\c\\nd\\te\\u0001\","
              "\"bytes\":\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffdok\\u0000\","
              "\"sep\":\"\\u2028\","
              "\"utf8\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}");
}

TEST(FormatRecord, UsesTheCurrentTime) {
    std::string text = format_record(LogFormat::text, spdlog::level::info, "hello", {{"k", "v"}});
    EXPECT_TRUE(std::regex_match(
        text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  hello k=v)")))
        << text;
    std::string json = format_record(LogFormat::json, spdlog::level::debug, "hello", {});
    EXPECT_TRUE(std::regex_match(
        json, std::regex(R"(\{"ts":"[0-9T:.-]{23}Z","level":"debug","msg":"hello"\})")))
        << json;
}

TEST(ParseSettings, FormatsAndLevels) {
    LogFormat format = LogFormat::text;
    EXPECT_TRUE(parse_log_format("json", format));
    EXPECT_EQ(format, LogFormat::json);
    EXPECT_TRUE(parse_log_format("text", format));
    EXPECT_EQ(format, LogFormat::text);
    EXPECT_FALSE(parse_log_format("JSON", format));
    EXPECT_FALSE(parse_log_format("", format));

    spdlog::level::level_enum level = spdlog::level::off;
    EXPECT_TRUE(parse_log_level("trace", level));
    EXPECT_EQ(level, spdlog::level::trace);
    EXPECT_TRUE(parse_log_level("debug", level));
    EXPECT_EQ(level, spdlog::level::debug);
    EXPECT_TRUE(parse_log_level("info", level));
    EXPECT_EQ(level, spdlog::level::info);
    EXPECT_TRUE(parse_log_level("warn", level));
    EXPECT_EQ(level, spdlog::level::warn);
    EXPECT_TRUE(parse_log_level("error", level));
    EXPECT_EQ(level, spdlog::level::err);
    EXPECT_FALSE(parse_log_level("warning", level));
    EXPECT_FALSE(parse_log_level("", level));
}

// Points file descriptor 2 somewhere else for the lifetime of the object.
class StderrRedirect {
  public:
    explicit StderrRedirect(int target) : saved_(::dup(STDERR_FILENO)) {
        std::fflush(stderr);
        ::dup2(target, STDERR_FILENO);
    }
    ~StderrRedirect() {
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    StderrRedirect(const StderrRedirect&) = delete;
    StderrRedirect& operator=(const StderrRedirect&) = delete;

  private:
    int saved_;
};

// Runs `body` with the process logger writing to a temporary file; returns what was written.
template <class Body>
std::string captured_logs(const LogSettings& settings, Body body) {
    std::FILE* file = std::tmpfile();
    EXPECT_NE(file, nullptr);
    {
        StderrRedirect redirect(::fileno(file));
        init_logging(settings);
        body();
        shutdown_logging();
    }
    std::string out;
    std::rewind(file);
    std::array<char, 4096> buffer{};
    while (std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file)) {
        out.append(buffer.data(), got);
    }
    std::fclose(file);
    return out;
}

void log_every_level() {
    log(spdlog::level::trace, "at trace");
    debug("at debug");
    info("at info", {{"k", "v"}});
    warn("at warn");
    error("at error");
}

TEST(Logger, VerbosityZeroShowsInfoAndAbove) {
    std::string out = captured_logs({LogFormat::text, 0, ""}, log_every_level);
    EXPECT_THAT(out, Not(HasSubstr("at trace")));
    EXPECT_THAT(out, Not(HasSubstr("at debug")));
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(Z info  at info k=v\n)"))) << out;
    EXPECT_THAT(out, HasSubstr(" warn  at warn\n"));
    EXPECT_THAT(out, HasSubstr(" error at error\n"));
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(Logger, VerbosityFourIsDebugAndFiveIsTrace) {
    std::string debug_out = captured_logs({LogFormat::text, 4, ""}, log_every_level);
    EXPECT_THAT(debug_out, HasSubstr(" debug at debug\n"));
    EXPECT_THAT(debug_out, Not(HasSubstr("at trace")));
    std::string three = captured_logs({LogFormat::text, 3, ""}, log_every_level);
    EXPECT_THAT(three, Not(HasSubstr("at debug")));
    std::string trace_out = captured_logs({LogFormat::text, 7, ""}, log_every_level);
    EXPECT_THAT(trace_out, HasSubstr(" trace at trace\n"));
}

TEST(Logger, LogLevelOverridesVerbosity) {
    std::string out = captured_logs({LogFormat::text, 9, "warn"}, log_every_level);
    EXPECT_THAT(out, Not(HasSubstr("at info")));
    EXPECT_THAT(out, HasSubstr(" warn  at warn\n"));
    EXPECT_THAT(out, HasSubstr(" error at error\n"));
}

TEST(Logger, DisabledLevelsProduceNothingAndReportDisabled) {
    bool debug_enabled = true;
    std::string out = captured_logs({LogFormat::json, 0, "error"}, [&debug_enabled] {
        debug_enabled = enabled(spdlog::level::debug);
        info("hidden");
        warn("hidden");
    });
    EXPECT_FALSE(debug_enabled);
    EXPECT_EQ(out, "");
}

TEST(Logger, JsonLinesOnePerRecord) {
    std::string out = captured_logs({LogFormat::json, 0, ""}, [] {
        info("first {} not a format string", {{"a", "1"}});
        error("second");
    });
    EXPECT_TRUE(std::regex_match(
        out,
        std::regex(R"(\{"ts":"[^"]+","level":"info","msg":"first \{\} not a format string","a":"1"\}
\{"ts":"[^"]+","level":"error","msg":"second"\}
)"))) << out;
}

TEST(Logger, LoggingAfterShutdownStillWorks) {
    std::string out = captured_logs({LogFormat::text, 0, ""}, [] {});
    EXPECT_EQ(out, "");
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    {
        StderrRedirect redirect(::fileno(file));
        info("late record");
    }
    std::rewind(file);
    std::array<char, 256> buffer{};
    std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file);
    std::fclose(file);
    EXPECT_THAT(std::string(buffer.data(), got), HasSubstr(" info  late record\n"));
}

// A reader that stops reading stderr must not stall the threads that log: records beyond the
// queue are dropped (oldest first) and the newest ones still come out once stderr drains.
TEST(Logger, ASlowStderrNeverBlocksTheCaller) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    std::string drained;
    std::chrono::steady_clock::duration logging_took{};
    std::thread reader;
    {
        StderrRedirect redirect(pipe_fds[1]);
        init_logging({LogFormat::text, 0, ""});
        const std::string padding(200, 'x');
        auto start = std::chrono::steady_clock::now();
        // Far more than the pipe (64 KiB) and the queue (8192 records) can hold, with nobody
        // reading yet.
        for (int i = 0; i < 50000; ++i) info("record", {{"padding", padding}});
        info("the last record");
        logging_took = std::chrono::steady_clock::now() - start;

        reader = std::thread([&drained, fd = pipe_fds[0]] {
            std::array<char, 65536> buffer{};
            ssize_t got = 0;
            while ((got = ::read(fd, buffer.data(), buffer.size())) > 0) {
                drained.append(buffer.data(), static_cast<std::size_t>(got));
            }
        });
        shutdown_logging();  // writes what is queued, which the reader now drains
    }
    ::close(pipe_fds[1]);  // fd 2 is restored too: the reader sees end of file
    reader.join();
    ::close(pipe_fds[0]);

    EXPECT_LT(logging_took, 5s);
    EXPECT_THAT(drained, HasSubstr(" info  the last record\n"));
    EXPECT_LT(std::count(drained.begin(), drained.end(), '\n'), 50001);
}

}  // namespace
}  // namespace piw::logging
