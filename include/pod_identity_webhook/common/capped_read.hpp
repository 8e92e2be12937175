#pragma once
// Reading a whole stream (a file, stdin) without trusting its size: the one loop every reader of
// untrusted files uses; each caller words its own errors.

#include <cstddef>
#include <istream>
#include <string>

namespace piw {

enum class CappedRead { ok, too_large, failed };

// Appends what is left in `in` to `out`; stops with too_large as soon as `out` would pass `cap`
// bytes, with failed on a read error.
CappedRead read_capped(std::istream& in, std::size_t cap, std::string& out);

}  // namespace piw
