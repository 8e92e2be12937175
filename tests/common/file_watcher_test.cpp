// The watcher must notice plain writes, atomic renames and kubelet's `..data` symlink swap, and
// retry a callback that could not take the new content.

#include "pod_identity_webhook/common/file_watcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace piw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct TempDirectory {
    fs::path path;
    TempDirectory() {
        std::string pattern = (fs::temp_directory_path() / "piw-watch-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDirectory() { fs::remove_all(path); }
};

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::trunc) << content;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

TEST(FileWatcher, NoticesAWriteThroughInotifyQuickly) {
    TempDirectory dir;
    const fs::path file = dir.path / "config.json";
    write_file(file, "one");
    std::atomic<int> calls{0};
    // A long poll interval: only inotify can make this fast.
    FileWatcher watcher({file.string()}, 60s, [&calls] {
        ++calls;
        return true;
    });
    watcher.start();
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(calls.load(), 0);  // the initial content counts as seen
    write_file(file, "two, longer");
    EXPECT_TRUE(wait_until([&calls] { return calls.load() >= 1; }, 2s));
}

TEST(FileWatcher, NoticesKubeletDataSymlinkSwap) {
    TempDirectory dir;
    fs::create_directory(dir.path / "..2026_01_01_00_00_00.1");
    write_file(dir.path / "..2026_01_01_00_00_00.1" / "tls.crt", "first");
    fs::create_directory_symlink("..2026_01_01_00_00_00.1", dir.path / "..data");
    fs::create_symlink("..data/tls.crt", dir.path / "tls.crt");

    std::atomic<int> calls{0};
    FileWatcher watcher({(dir.path / "tls.crt").string()}, 60s, [&calls] {
        ++calls;
        return true;
    });
    watcher.start();
    fs::create_directory(dir.path / "..2026_01_01_00_01_00.2");
    write_file(dir.path / "..2026_01_01_00_01_00.2" / "tls.crt", "second");
    fs::create_directory_symlink("..2026_01_01_00_01_00.2", dir.path / "..data_tmp");
    fs::rename(dir.path / "..data_tmp", dir.path / "..data");
    fs::remove_all(dir.path / "..2026_01_01_00_00_00.1");
    EXPECT_TRUE(wait_until([&calls] { return calls.load() >= 1; }, 2s));
}

TEST(FileWatcher, PeriodicCheckFindsChangesWhenTheDirectoryAppearsLater) {
    TempDirectory dir;
    const fs::path file = dir.path / "later" / "file";
    std::atomic<int> calls{0};
    FileWatcher watcher({file.string()}, 50ms, [&calls] {
        ++calls;
        return true;
    });
    watcher.start();
    fs::create_directory(dir.path / "later");
    write_file(file, "now");
    EXPECT_TRUE(wait_until([&calls] { return calls.load() >= 1; }, 2s));
}

TEST(FileWatcher, RetriesUntilTheCallbackAccepts) {
    TempDirectory dir;
    const fs::path file = dir.path / "f";
    write_file(file, "a");
    std::atomic<int> calls{0};
    FileWatcher watcher({file.string()}, 60s, [&calls] { return ++calls >= 3; });
    watcher.start();
    write_file(file, "bb");
    EXPECT_TRUE(wait_until([&calls] { return calls.load() >= 3; }, 3s));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(calls.load(), 3);  // accepted: no more calls without a change
}

TEST(FileWatcher, StopsPromptly) {
    TempDirectory dir;
    auto watcher = std::make_unique<FileWatcher>(
        std::vector<std::string>{(dir.path / "x").string()}, 60s, [] { return true; });
    watcher->start();
    const auto before = std::chrono::steady_clock::now();
    watcher.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
}

}  // namespace
}  // namespace piw
