#include "pod_identity_webhook/oidc/base64url.hpp"

#include <array>
#include <cstdint>

namespace piw::oidc {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kInvalid = -1;

constexpr std::array<int, 256> make_decode_table() {
    std::array<int, 256> table{};
    for (auto& entry : table) entry = kInvalid;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    }
    return table;
}
constexpr std::array<int, 256> kDecode = make_decode_table();

char alphabet_at(std::uint32_t index) {
    return kAlphabet[index & 0x3Fu];
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out.push_back(alphabet_at(group >> 18));
        out.push_back(alphabet_at(group >> 12));
        out.push_back(alphabet_at(group >> 6));
        out.push_back(alphabet_at(group));
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                                    << 16;
        out.push_back(alphabet_at(group >> 18));
        out.push_back(alphabet_at(group >> 12));
    } else if (rest == 2) {
        const std::uint32_t group =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8);
        out.push_back(alphabet_at(group >> 18));
        out.push_back(alphabet_at(group >> 12));
        out.push_back(alphabet_at(group >> 6));
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to this length
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = kDecode[static_cast<unsigned char>(c)];
        if (value == kInvalid) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFFu));
        }
    }
    // Leftover bits must be zero: otherwise two encodings would decode to the same bytes.
    if ((buffer & ((1u << bits) - 1u)) != 0) return std::nullopt;
    return out;
}

}  // namespace piw::oidc
