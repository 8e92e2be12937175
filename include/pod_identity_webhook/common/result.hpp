#pragma once
// A value or a human-readable error. Used wherever untrusted input is parsed, so that failures
// travel as values (never as exceptions) up to the place that decides what to tell the user.

#include <optional>
#include <string>
#include <utility>

namespace piw {

struct Error {
    std::string message;
};

template <class T>
class Result {
  public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error error)
        : error_(std::move(error.message)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() & { return *value_; }
    const T& operator*() const& { return *value_; }
    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    std::optional<T> value_;
    std::string error_;
};

// Result<void> equivalent.
class Status {
  public:
    Status() = default;
    Status(Error error) : error_(std::move(error.message)), ok_(false) {}  // NOLINT
    static Status success() { return {}; }
    [[nodiscard]] bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    std::string error_;
    bool ok_ = true;
};

}  // namespace piw
