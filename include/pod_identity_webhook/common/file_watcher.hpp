#pragma once
// Calls back when any of a few files changes, including through kubelet's atomic `..data` symlink
// swap (Secret and ConfigMap volumes): inotify on each file's directory wakes the watcher, and a
// periodic check catches anything inotify cannot see. "Changed" means the identity of the file the
// path resolves to (device, inode, size, mtime) differs from the last successful callback.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace piw {

class FileWatcher {
  public:
    // Returns true when the new content was taken; false keeps the change pending, and the
    // callback is retried with backoff (100 ms doubling up to the poll interval) until it succeeds.
    using Callback = std::function<bool()>;

    FileWatcher(std::vector<std::string> paths, std::chrono::milliseconds poll_interval,
                Callback on_change);
    ~FileWatcher();  // stops and joins
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    // Records the current identity of the files as "seen" (call after the initial load), then
    // starts the watcher thread.
    void start();
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace piw
