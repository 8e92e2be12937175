// The shared test helpers (tests/support) that the binary-level suites rely on: child processes,
// kubelet-style secret directories, temporary directories.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "support/child_process.hpp"
#include "support/kubelet_secret_dir.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(ChildProcess, CapturesOutputWaitsForALineAndReportsTheExit) {
    ChildProcessOptions options;
    options.executable = "/bin/sh";
    options.arguments = {"-c", "echo \"listening port=$PORT\"; echo oops >&2; sleep 30"};
    options.environment = {{"PORT", "4242"}};
    ChildProcess child(options);
    const auto line = child.wait_for_output(R"(listening port=(\d+))", 5s);
    ASSERT_TRUE(line.has_value()) << child.stdout_text();
    EXPECT_EQ((*line)[1], "4242");
    EXPECT_TRUE(child.wait_for_output("oops", 5s, OutputStream::stderr_stream).has_value());
    EXPECT_FALSE(child.wait_for_output("oops", 50ms, OutputStream::stdout_stream).has_value());
    EXPECT_TRUE(child.running());
    EXPECT_GT(child.rss_kib().value_or(0), 0);
    EXPECT_FALSE(child.wait_exit(50ms).has_value());
    ASSERT_TRUE(child.signal(SIGTERM));
    EXPECT_EQ(child.wait_exit(5s), 128 + SIGTERM);
    EXPECT_FALSE(child.running());
}

TEST(ChildProcess, ReportsTheExitCodeAndGivesUpWaitingWhenTheProcessEnds) {
    ChildProcessOptions options;
    options.executable = "/bin/sh";
    options.arguments = {"-c", "echo bye; exit 3"};
    ChildProcess child(options);
    EXPECT_EQ(child.wait_exit(5s), 3);
    EXPECT_EQ(child.stdout_text(), "bye\n");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(child.wait_for_output("never printed", 10s).has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ChildProcess, AMissingExecutableThrows) {
    ChildProcessOptions options;
    options.executable = "/nonexistent/binary";
    EXPECT_THROW(ChildProcess{options}, std::runtime_error);
}

TEST(KubeletSecretDir, LaysOutAndAtomicallySwapsLikeKubelet) {
    TempDir dir;
    KubeletSecretDir secret(dir / "secret");
    secret.write({{"tls.crt", "one"}, {"tls.key", "key-one"}});
    EXPECT_TRUE(fs::is_symlink(secret.path_of("tls.crt")));
    EXPECT_EQ(fs::read_symlink(secret.path_of("tls.crt")), fs::path("..data/tls.crt"));
    EXPECT_TRUE(fs::is_symlink(secret.dir() / "..data"));
    EXPECT_EQ(read_file(secret.path_of("tls.crt")), "one");
    const fs::path first_target = fs::canonical(secret.path_of("tls.crt"));

    secret.write({{"tls.crt", "two"}, {"ca.crt", "ca"}});
    EXPECT_EQ(read_file(secret.path_of("tls.crt")), "two");
    EXPECT_EQ(read_file(secret.path_of("ca.crt")), "ca");
    EXPECT_FALSE(fs::exists(fs::symlink_status(secret.path_of("tls.key"))));
    EXPECT_FALSE(fs::exists(first_target)) << "the old timestamped directory is removed";
    EXPECT_FALSE(fs::exists(fs::symlink_status(secret.dir() / "..data_tmp")));
}

TEST(TempDir, IsRemovedWithItsContent) {
    fs::path kept;
    {
        TempDir dir("piw-tempdir");
        kept = dir.path();
        dir.write_file("a/b/c.txt", "content");
        EXPECT_EQ(read_file(dir / "a/b/c.txt"), "content");
    }
    EXPECT_FALSE(fs::exists(kept));
}

TEST(PeakRss, CanBeResetAndRead) {
    ASSERT_TRUE(reset_peak_rss(getpid()));
    EXPECT_GT(process_peak_rss_kib(getpid()).value_or(0), 0);
    EXPECT_GE(process_peak_rss_kib(getpid()).value_or(0),
              process_rss_kib(getpid()).value_or(0) - 1024);
}

}  // namespace
}  // namespace piw::testing
