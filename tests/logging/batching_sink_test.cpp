// The sink behind the logger: records leave in batches from the writer thread, a blocked reader
// never blocks the caller, and what was dropped is said.

#include "logging/batching_sink.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <thread>

namespace piw::logging {
namespace {

using ::testing::HasSubstr;

spdlog::details::log_msg record(std::string_view text) {
    return spdlog::details::log_msg(spdlog::source_loc{}, "test", spdlog::level::info,
                                    spdlog::string_view_t(text.data(), text.size()));
}

std::string drain(int fd) {
    std::string out;
    std::array<char, 65536> buffer{};
    ssize_t got = 0;
    while ((got = ::read(fd, buffer.data(), buffer.size())) > 0)
        out.append(buffer.data(), static_cast<std::size_t>(got));
    return out;
}

TEST(BatchingSink, WritesEveryRecordInOrderWithLineEnds) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    {
        BatchingSink sink(fds[1], LogFormat::text);
        for (int i = 0; i < 1000; ++i) sink.log(record("record " + std::to_string(i)));
        sink.flush();
        EXPECT_EQ(sink.dropped(), 0U);
    }
    ::close(fds[1]);
    const std::string written = drain(fds[0]);
    ::close(fds[0]);
    EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 1000);
    EXPECT_EQ(written.substr(0, 9), "record 0\n");
    EXPECT_THAT(written, HasSubstr("record 998\nrecord 999\n"));
}

TEST(BatchingSink, ABlockedReaderCostsOldRecordsNotTheCallersTime) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::string written;
    {
        BatchingSink sink(fds[1], LogFormat::text);
        const std::string big(1000, 'x');
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 20000; ++i) sink.log(record(big));  // 20 MB into a 64 KiB pipe
        sink.log(record("newest"));
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
        EXPECT_GT(sink.dropped(), 0U);
        std::thread reader([&written, fd = fds[0]] { written = drain(fd); });
        sink.flush();     // everything still pending reaches the pipe
        ::close(fds[1]);  // the reader sees the end
        reader.join();
    }
    ::close(fds[0]);
    EXPECT_THAT(written, HasSubstr("newest\n"));
    EXPECT_THAT(written, HasSubstr("log records dropped"));
}

}  // namespace
}  // namespace piw::logging
