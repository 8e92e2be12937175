#include "pod_identity_webhook/common/file_watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace piw {
namespace {

// What a path resolves to right now. stat() follows symlinks, so kubelet's `..data` swap shows
// up as a new inode even though the path string never changes.
struct FileIdentity {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;

    bool operator==(const FileIdentity&) const = default;
};

FileIdentity identify(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return {};
    return FileIdentity{true,
                        info.st_dev,
                        info.st_ino,
                        info.st_size,
                        info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
                        info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
}

std::string parent_directory(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

constexpr std::uint32_t kDirectoryEvents = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                           IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
                                           IN_MOVE_SELF;
// Editors and kubelet write in bursts; wait for this much quiet before looking.
constexpr std::chrono::milliseconds kSettleTime{50};
constexpr std::chrono::milliseconds kFirstRetry{100};
using Clock = std::chrono::steady_clock;

}  // namespace

struct FileWatcher::Impl {
    std::vector<std::string> paths;
    std::vector<std::string> directories;
    std::chrono::milliseconds poll_interval;
    Callback on_change;

    int inotify_fd = -1;
    int wake_fd = -1;
    std::set<int> watch_descriptors;
    std::vector<FileIdentity> accepted;  // identities when the callback last succeeded
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::mutex lifecycle;
    bool started = false;

    std::vector<FileIdentity> identify_all() const {
        std::vector<FileIdentity> out;
        out.reserve(paths.size());
        for (const auto& path : paths) out.push_back(identify(path));
        return out;
    }

    // Adds inotify watches for directories not watched yet (they may appear later).
    void ensure_directory_watches() {
        if (inotify_fd < 0) return;
        if (watch_descriptors.size() == directories.size()) return;
        watch_descriptors.clear();
        for (const auto& directory : directories) {
            int wd = ::inotify_add_watch(inotify_fd, directory.c_str(), kDirectoryEvents);
            if (wd >= 0) watch_descriptors.insert(wd);
        }
    }

    // Drains pending inotify events. Returns true if there were any.
    bool drain_events() {
        bool any = false;
        alignas(inotify_event) std::array<char, 8192> buffer{};
        while (true) {
            ssize_t n = ::read(inotify_fd, buffer.data(), buffer.size());
            if (n <= 0) break;
            any = true;
            for (ssize_t offset = 0; offset < n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
                if ((event->mask & IN_IGNORED) != 0U) watch_descriptors.erase(event->wd);
                offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
        return any;
    }

    // Waits up to `timeout`; returns true when inotify reported something.
    bool wait(std::chrono::milliseconds timeout) {
        std::array<pollfd, 2> fds{{{wake_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}}};
        const nfds_t count = inotify_fd >= 0 ? 2 : 1;
        int ready = ::poll(fds.data(), count, static_cast<int>(timeout.count()));
        if (ready <= 0) return false;
        if ((fds[0].revents & POLLIN) != 0) return false;  // stop requested
        return count == 2 && (fds[1].revents & POLLIN) != 0 && drain_events();
    }

    void settle() {
        while (!stopping.load() && wait(kSettleTime)) {
        }
    }

    // A failed load is retried with backoff. While a retry is pending, only a change of the
    // watched files themselves brings it forward: events on other files of the directory (a log
    // file written by the failure's own warning, say) must not turn the backoff into a loop.
    void run() {
        std::vector<FileIdentity> attempted;  // identities when the last load failed
        bool retry_pending = false;
        std::chrono::milliseconds retry_delay = kFirstRetry;
        Clock::time_point retry_at{};
        while (!stopping.load()) {
            const auto timeout =
                retry_pending ? std::max(std::chrono::milliseconds(0),
                                         std::chrono::duration_cast<std::chrono::milliseconds>(
                                             retry_at - Clock::now()))
                              : poll_interval;
            if (wait(timeout)) settle();
            if (stopping.load()) break;
            ensure_directory_watches();
            std::vector<FileIdentity> now = identify_all();
            if (!retry_pending && now == accepted) continue;
            if (retry_pending && now == attempted && Clock::now() < retry_at) continue;
            if (on_change()) {
                accepted = std::move(now);
                retry_pending = false;
                retry_delay = kFirstRetry;
            } else {
                attempted = std::move(now);
                retry_pending = true;
                retry_at = Clock::now() + retry_delay;
                retry_delay = std::min(retry_delay * 2, poll_interval);
            }
        }
    }
};

FileWatcher::FileWatcher(std::vector<std::string> paths, std::chrono::milliseconds poll_interval,
                         Callback on_change)
    : impl_(std::make_unique<Impl>()) {
    impl_->paths = std::move(paths);
    impl_->poll_interval = std::max(poll_interval, std::chrono::milliseconds(10));
    impl_->on_change = std::move(on_change);
    for (const auto& path : impl_->paths) {
        std::string directory = parent_directory(path);
        if (std::find(impl_->directories.begin(), impl_->directories.end(), directory) ==
            impl_->directories.end()) {
            impl_->directories.push_back(std::move(directory));
        }
    }
}

FileWatcher::~FileWatcher() {
    stop();
}

void FileWatcher::start() {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->started) return;
    impl_->started = true;
    impl_->stopping.store(false);
    impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    // Without inotify (fd limits) the periodic check still works.
    impl_->inotify_fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    impl_->ensure_directory_watches();
    impl_->accepted = impl_->identify_all();
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void FileWatcher::stop() {
    std::lock_guard lock(impl_->lifecycle);
    if (!impl_->started) return;
    impl_->started = false;
    impl_->stopping.store(true);
    if (impl_->wake_fd >= 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t written = ::write(impl_->wake_fd, &one, sizeof(one));
    }
    if (impl_->thread.joinable()) impl_->thread.join();
    if (impl_->inotify_fd >= 0) ::close(impl_->inotify_fd);
    if (impl_->wake_fd >= 0) ::close(impl_->wake_fd);
    impl_->inotify_fd = -1;
    impl_->wake_fd = -1;
    impl_->watch_descriptors.clear();
}

}  // namespace piw
