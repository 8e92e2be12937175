#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <stdexcept>
#include <thread>

#include "support/temp_dir.hpp"

extern char** environ;

namespace piw::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> build_environment(const ChildProcessOptions& options) {
    std::map<std::string, std::string> variables;
    if (options.inherit_environment) {
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            const std::string text(*entry);
            const auto equals = text.find('=');
            if (equals == std::string::npos) continue;
            variables[text.substr(0, equals)] = text.substr(equals + 1);
        }
    }
    for (const auto& [name, value] : options.environment) variables[name] = value;
    std::vector<std::string> result;
    result.reserve(variables.size());
    for (const auto& [name, value] : variables) result.push_back(name + "=" + value);
    return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& text : strings) result.push_back(text.data());
    result.push_back(nullptr);
    return result;
}

std::string read_or_empty(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

namespace {

std::optional<long> status_field_kib(pid_t pid, std::string_view field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
            try {
                return std::stol(line.substr(field.size() + 1));
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<long> process_rss_kib(pid_t pid) {
    return status_field_kib(pid, "VmRSS");
}

std::optional<long> process_peak_rss_kib(pid_t pid) {
    return status_field_kib(pid, "VmHWM");
}

bool reset_peak_rss(pid_t pid) {
    std::ofstream clear_refs("/proc/" + std::to_string(pid) + "/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    return static_cast<bool>(clear_refs);
}

ChildProcess::ChildProcess(ChildProcessOptions options) : options_(std::move(options)) {
    std::filesystem::path output = options_.output_directory;
    if (output.empty()) {
        owned_output_ = std::make_unique<TempDir>("piw-child");
        output = owned_output_->path();
    }
    stdout_path_ = output / "stdout.log";
    stderr_path_ = output / "stderr.log";

    std::vector<std::string> argv_strings{options_.executable};
    argv_strings.insert(argv_strings.end(), options_.arguments.begin(), options_.arguments.end());
    std::vector<std::string> env_strings = build_environment(options_);
    auto argv = pointers(argv_strings);
    auto envp = pointers(env_strings);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // No descriptor of the test process (listening sockets...) leaks into the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!options_.working_directory.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, options_.working_directory.c_str());
    }
    // The child starts with default signal dispositions and an empty mask, whatever the test
    // runner did.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigfillset(&defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    const int result = posix_spawn(&pid_, options_.executable.c_str(), &actions, &attributes,
                                   argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (result != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + options_.executable + ": " +
                                 std::strerror(result));
    }
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
}

bool ChildProcess::reap(bool block) {
    if (exit_code_) return true;
    int status = 0;
    pid_t result;
    do {
        result = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result != pid_) return false;
    if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        exit_code_ = 128 + WTERMSIG(status);
    } else {
        exit_code_ = -1;
    }
    return true;
}

bool ChildProcess::running() {
    return pid_ > 0 && !reap(false);
}

std::optional<std::vector<std::string>> ChildProcess::wait_for_output(
    const std::string& pattern, std::chrono::milliseconds timeout, OutputStream stream) {
    const std::regex expression(pattern);
    const auto deadline = Clock::now() + timeout;
    while (true) {
        // Decide whether the process is gone before reading, so that its last words count.
        const bool exited = !running();
        std::string text;
        if (stream != OutputStream::stderr_stream) text += stdout_text();
        if (stream != OutputStream::stdout_stream) text += stderr_text();
        std::smatch match;
        if (std::regex_search(text, match, expression)) {
            std::vector<std::string> groups;
            for (const auto& group : match) groups.push_back(group.str());
            return groups;
        }
        if (exited || Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string ChildProcess::stdout_text() const {
    return read_or_empty(stdout_path_);
}
std::string ChildProcess::stderr_text() const {
    return read_or_empty(stderr_path_);
}

bool ChildProcess::signal(int signal_number) {
    if (pid_ <= 0 || exit_code_) return false;
    return ::kill(pid_, signal_number) == 0;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (reap(false)) return exit_code_;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::optional<long> ChildProcess::rss_kib() const {
    if (pid_ <= 0 || exit_code_) return std::nullopt;
    return process_rss_kib(pid_);
}

}  // namespace piw::testing
