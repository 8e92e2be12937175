#pragma once
// Shared by the libFuzzer targets: the input as text, and invariant checks that make a violated
// property a crash libFuzzer saves (an exception or a wrong answer would otherwise go unseen).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace piw::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// abort() rather than a test framework: libFuzzer reports it with the input that caused it.
inline void require(bool condition, const char* property) {
    if (condition) return;
    std::fprintf(stderr, "fuzz invariant violated: %s\n", property);
    std::abort();
}

}  // namespace piw::fuzz
