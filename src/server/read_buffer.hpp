#pragma once
// The bytes received on one connection and not yet parsed. Grows on demand up to a fixed cap
// (enough for the largest allowed header plus one read) and never throws on overflow: a full
// buffer simply offers no space, and the parser's header limit fires before that can happen.

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

namespace piw::server::detail {

class ReadBuffer {
  public:
    static constexpr std::size_t kMinUsefulRead = 4096;

    ReadBuffer(std::size_t initial_capacity, std::size_t max_capacity)
        : initial_capacity_(initial_capacity), max_capacity_(max_capacity) {}

    [[nodiscard]] const char* data() const { return storage_.get() + begin_; }
    [[nodiscard]] std::size_t size() const { return end_ - begin_; }
    [[nodiscard]] bool empty() const { return begin_ == end_; }

    void consume(std::size_t count) {
        begin_ += std::min(count, size());
        if (begin_ == end_) begin_ = end_ = 0;
    }

    // Writable space for at most `wanted` bytes: whatever is free if that is a useful amount,
    // else after moving the unparsed bytes to the front, else after growing (up to the cap). Empty
    // only when the buffer is full at its cap.
    boost::asio::mutable_buffer prepare(std::size_t wanted) {
        const std::size_t useful = std::min(wanted, kMinUsefulRead);
        if (!storage_) grow(initial_capacity_);
        if (capacity_ - end_ < useful && begin_ > 0) compact();
        if (capacity_ - end_ < useful && capacity_ < max_capacity_) {
            grow(std::min(max_capacity_, capacity_ * 2));
        }
        return {storage_.get() + end_, std::min(wanted, capacity_ - end_)};
    }
    void commit(std::size_t count) { end_ += std::min(count, capacity_ - end_); }

    // Between requests: give back memory a large request needed.
    void shrink_if_empty() {
        if (empty() && capacity_ > initial_capacity_) {
            storage_.reset();
            capacity_ = 0;
        }
    }

  private:
    void compact() {
        std::memmove(storage_.get(), storage_.get() + begin_, size());
        end_ -= begin_;
        begin_ = 0;
    }
    void grow(std::size_t new_capacity) {
        new_capacity = std::max(new_capacity, initial_capacity_);
        auto bigger = std::make_unique_for_overwrite<char[]>(new_capacity);
        if (size() > 0) std::memcpy(bigger.get(), storage_.get() + begin_, size());
        end_ -= begin_;
        begin_ = 0;
        storage_ = std::move(bigger);
        capacity_ = new_capacity;
    }

    std::size_t initial_capacity_;
    std::size_t max_capacity_;
    std::unique_ptr<char[]> storage_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace piw::server::detail
