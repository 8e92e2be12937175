#pragma once
// The sink behind the process logger. Request threads only append the record to a buffer (a
// mutex held for a memcpy); one writer thread, woken by the first record of a batch, writes
// whatever has accumulated 20 ms later with a single write(2). Compared with a queue that wakes a
// worker and flushes stderr for every record (two context switches and a system call per request on
// a busy core), this keeps the per-request cost of the decision log line to its formatting. A
// stalled reader (a full pipe) never blocks a request thread: beyond kMaxPendingBytes the oldest
// pending records are dropped, counted, and reported once the writer catches up.

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "pod_identity_webhook/logging/log.hpp"

namespace piw::logging {

class BatchingSink final : public spdlog::sinks::sink {
  public:
    static constexpr std::size_t kMaxPendingBytes = 4U * 1024U * 1024U;
    // Records wait at most this long before they are written...
    static constexpr std::chrono::milliseconds kWriteInterval{20};
    // ... or until this much has accumulated.
    static constexpr std::size_t kEagerWriteBytes = 256U * 1024U;

    // `format` is used for the sink's own note about dropped records.
    BatchingSink(int fd, LogFormat format);
    ~BatchingSink() override;  // writes what is pending, then stops the writer
    BatchingSink(const BatchingSink&) = delete;
    BatchingSink& operator=(const BatchingSink&) = delete;

    // Records arrive fully formatted (see format.hpp); the sink adds the line end.
    void log(const spdlog::details::log_msg& message) override;
    // Waits (up to a second) until everything appended so far has been written.
    void flush() override;
    void set_pattern(const std::string& /*pattern*/) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter> /*formatter*/) override {}

    [[nodiscard]] std::size_t dropped() const;

  private:
    void run();
    void drop_oldest_half();  // mutex_ held
    void write_all(const std::string& bytes) const;

    const int fd_;
    const LogFormat format_;
    mutable std::mutex mutex_;
    std::condition_variable pending_changed_;
    std::string pending_;
    std::size_t dropped_ = 0;  // since the last report
    std::size_t dropped_total_ = 0;
    std::size_t appended_ = 0;  // records ever appended
    std::size_t written_ = 0;   // records ever written
    bool stopping_ = false;
    bool flush_requested_ = false;
    std::thread writer_;
};

}  // namespace piw::logging
