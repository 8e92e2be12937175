#pragma once
// Polling with a deadline instead of sleeping: true as soon as `condition` holds, false if it
// still does not after `timeout`.

#include <chrono>
#include <thread>

namespace piw::testing {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(3),
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll);
    }
    return true;
}

}  // namespace piw::testing
