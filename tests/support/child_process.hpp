#pragma once
// Runs a program (normally the webhook binary, PIW_BINARY_PATH) as a child process for
// binary-level tests: arguments and environment, stdout and stderr captured to files, waiting
// for a line of output, signals, exit status, resident memory.
//
//   ChildProcessOptions options;
//   options.executable = PIW_BINARY_PATH;
//   options.arguments = {"--port=0", ...};
//   ChildProcess webhook(options);
//   auto line = webhook.wait_for_output(R"(listening.*port=(\d+))", 10s);
//   ASSERT_TRUE(line) << webhook.stderr_text();
//   unsigned short port = std::stoi((*line)[1]);
//   webhook.signal(SIGTERM);
//   EXPECT_EQ(webhook.wait_exit(15s), 0);
//
// The destructor kills (SIGKILL) and reaps a child that is still running. Start failures throw
// std::runtime_error (test code only).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

namespace piw::testing {

struct ChildProcessOptions {
    std::string executable;              // path; not searched in $PATH
    std::vector<std::string> arguments;  // argv[1..]
    // Set (or override) these variables; with inherit_environment=false they are the whole
    // environment.
    std::vector<std::pair<std::string, std::string>> environment;
    bool inherit_environment = true;
    std::filesystem::path working_directory;  // empty: the test's
    // Where stdout.log and stderr.log go; empty: a temporary directory owned by the object.
    std::filesystem::path output_directory;
};

enum class OutputStream { stdout_stream, stderr_stream, either };

class ChildProcess {
  public:
    explicit ChildProcess(ChildProcessOptions options);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }

    // Polls the captured output until `pattern` (ECMAScript regex, searched, not matched whole)
    // is found; returns the match and its groups ([0] = whole match). nullopt on timeout or if
    // the process exits without printing it.
    std::optional<std::vector<std::string>> wait_for_output(
        const std::string& pattern, std::chrono::milliseconds timeout,
        OutputStream stream = OutputStream::either);

    [[nodiscard]] std::string stdout_text() const;
    [[nodiscard]] std::string stderr_text() const;
    [[nodiscard]] const std::filesystem::path& stdout_path() const { return stdout_path_; }
    [[nodiscard]] const std::filesystem::path& stderr_path() const { return stderr_path_; }

    // Sends a signal; false if the process is gone.
    bool signal(int signal_number);
    // Waits for the exit: the exit code, or 128 + signal number if a signal killed it; nullopt
    // on timeout (the process keeps running).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    [[nodiscard]] bool running();
    // VmRSS from /proc/<pid>/status in KiB; nullopt once the process is gone.
    [[nodiscard]] std::optional<long> rss_kib() const;

  private:
    bool reap(bool block);

    ChildProcessOptions options_;
    std::unique_ptr<TempDir> owned_output_;
    std::filesystem::path stdout_path_;
    std::filesystem::path stderr_path_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// RSS of any process (KiB, VmRSS), e.g. getpid() for in-process servers.
std::optional<long> process_rss_kib(pid_t pid);
// Peak RSS (KiB, VmHWM) since the process started or since reset_peak_rss().
std::optional<long> process_peak_rss_kib(pid_t pid);
// Resets the peak to the current RSS (writes 5 to /proc/<pid>/clear_refs); false if not allowed.
bool reset_peak_rss(pid_t pid);

}  // namespace piw::testing
