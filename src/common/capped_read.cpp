#include "pod_identity_webhook/common/capped_read.hpp"

#include <array>

namespace piw {

CappedRead read_capped(std::istream& in, std::size_t cap, std::string& out) {
    std::array<char, 16384> buffer{};
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        out.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        if (out.size() > cap) return CappedRead::too_large;
    }
    return in.bad() ? CappedRead::failed : CappedRead::ok;
}

}  // namespace piw
