#include "logging/batching_sink.hpp"

#include "logging/format.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace piw::logging {

BatchingSink::BatchingSink(int fd, LogFormat format)
    : fd_(fd), format_(format), writer_([this] { run(); }) {}

BatchingSink::~BatchingSink() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    pending_changed_.notify_all();
    writer_.join();
}

void BatchingSink::log(const spdlog::details::log_msg& message) {
    const auto& payload = message.payload;
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (pending_.size() + payload.size() + 1 > kMaxPendingBytes) drop_oldest_half();
        // The first record of a batch starts the writer's kWriteInterval; the records that follow
        // ride along without waking it (one wake-up per batch, not two context switches per
        // request on a busy core). Only a large backlog calls it early.
        wake = pending_.empty();
        pending_.append(payload.data(), payload.size());
        pending_.push_back('\n');
        ++appended_;
        wake = wake || pending_.size() >= kEagerWriteBytes;
    }
    if (wake) pending_changed_.notify_all();
}

void BatchingSink::drop_oldest_half() {
    // The newest records are the useful ones when the reader is behind: cut whole records from
    // the front.
    const std::size_t cut = pending_.find('\n', pending_.size() / 2);
    const std::size_t end = cut == std::string::npos ? pending_.size() : cut + 1;
    const auto records = static_cast<std::size_t>(
        std::count(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    pending_.erase(0, end);
    dropped_ += records;
    dropped_total_ += records;
}

void BatchingSink::flush() {
    std::unique_lock lock(mutex_);
    const std::size_t target = appended_;
    flush_requested_ = true;
    pending_changed_.notify_all();
    pending_changed_.wait_for(lock, std::chrono::seconds(1),
                              [this, target] { return written_ >= target; });
}

std::size_t BatchingSink::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_total_;
}

void BatchingSink::write_all(const std::string& bytes) const {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + offset, bytes.size() - offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to write to: the records are lost, the server goes on
        offset += static_cast<std::size_t>(n);
    }
}

void BatchingSink::run() {
    std::string batch;
    std::unique_lock lock(mutex_);
    while (true) {
        // Idle: sleep until a record arrives (an idle webhook does not wake 50 times a second).
        pending_changed_.wait(
            lock, [this] { return stopping_ || flush_requested_ || !pending_.empty(); });
        // Then give the batch up to kWriteInterval to fill.
        pending_changed_.wait_for(lock, kWriteInterval, [this] {
            return stopping_ || flush_requested_ || pending_.size() >= kEagerWriteBytes;
        });
        flush_requested_ = false;
        if (pending_.empty()) {
            if (stopping_) return;
            continue;
        }
        batch.clear();
        batch.swap(pending_);
        const std::size_t records = appended_;
        const std::size_t dropped = dropped_;
        dropped_ = 0;
        lock.unlock();
        if (dropped > 0) {
            const std::string count = std::to_string(dropped);
            const Field field{"count", count};
            format_record_to(batch, format_, spdlog::level::warn, Clock::now(),
                             "log records dropped: the log reader is too slow",
                             std::span<const Field>(&field, 1));
            batch.push_back('\n');
        }
        write_all(batch);
        lock.lock();
        written_ = records;
        pending_changed_.notify_all();
    }
}

}  // namespace piw::logging
