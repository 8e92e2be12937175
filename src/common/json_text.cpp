#include "pod_identity_webhook/common/json_text.hpp"

#include "pod_identity_webhook/common/go_compat.hpp"

#include <array>
#include <cstdint>

namespace piw::json {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kReplacementCharacter = "\\ufffd";

// Bytes that leave the plain-ASCII fast path: control characters, '"', '\\' and non-ASCII.
constexpr std::array<bool, 256> make_special_table() {
    std::array<bool, 256> table{};
    for (std::size_t c = 0; c < 256; ++c) table[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
    return table;
}
constexpr std::array<bool, 256> kSpecial = make_special_table();

bool is_special(char c) {
    return kSpecial[static_cast<unsigned char>(c)];
}

// One UTF-8 sequence at text[i] (advancing i): copied when valid; U+2028 and U+2029 escaped
// (valid JSON, but JavaScript reads them as line ends; Go's encoder escapes them too); invalid
// bytes become U+FFFD so that the output is always valid JSON.
void append_non_ascii(std::string& out, std::string_view text, std::size_t& i) {
    const go::DecodedRune decoded = go::decode_rune(text, i);
    if (decoded.rune == go::kInvalidRune) {
        out.append(kReplacementCharacter);
    } else if (decoded.rune == 0x2028) {
        out.append("\\u2028");
    } else if (decoded.rune == 0x2029) {
        out.append("\\u2029");
    } else {
        out.append(text.substr(i, decoded.length));
    }
    i += decoded.length;
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
    out.push_back('"');
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!is_special(text[i])) {
            // Copy the run of plain ASCII at once.
            std::size_t run = i + 1;
            while (run < text.size() && !is_special(text[run])) ++run;
            out.append(text.substr(i, run - i));
            i = run;
            continue;
        }
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            default:
                if (c < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHexDigits[c >> 4U]);
                    out.push_back(kHexDigits[c & 0x0FU]);
                } else {
                    append_non_ascii(out, text, i);
                    continue;
                }
        }
        ++i;
    }
    out.push_back('"');
}

std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    append_string(out, text);
    return out;
}

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Both output characters for every 12-bit group: the admission response carries the whole patch
// in base64, so this loop is on the request path.
constexpr std::array<std::array<char, 2>, 4096> make_base64_pairs() {
    std::array<std::array<char, 2>, 4096> pairs{};
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        pairs[i] = {kBase64Alphabet[i >> 6U], kBase64Alphabet[i & 0x3FU]};
    }
    return pairs;
}
constexpr auto kBase64Pairs = make_base64_pairs();

}  // namespace

void append_base64(std::string& out, std::string_view bytes) {
    const std::size_t start = out.size();
    out.resize(start + (bytes.size() + 2) / 3 * 4);
    char* write = out.data() + start;
    const auto* read = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t whole = bytes.size() / 3 * 3;
    for (std::size_t i = 0; i < whole; i += 3, write += 4) {
        const std::uint32_t triple =
            (std::uint32_t{read[i]} << 16U) | (std::uint32_t{read[i + 1]} << 8U) | read[i + 2];
        const auto& high = kBase64Pairs[triple >> 12U];
        const auto& low = kBase64Pairs[triple & 0xFFFU];
        write[0] = high[0];
        write[1] = high[1];
        write[2] = low[0];
        write[3] = low[1];
    }
    const std::size_t remaining = bytes.size() - whole;
    if (remaining == 0) return;
    std::uint32_t triple = std::uint32_t{read[whole]} << 16U;
    if (remaining == 2) triple |= std::uint32_t{read[whole + 1]} << 8U;
    const auto& high = kBase64Pairs[triple >> 12U];
    write[0] = high[0];
    write[1] = high[1];
    write[2] = remaining == 2 ? kBase64Pairs[triple & 0xFFFU][0] : '=';
    write[3] = '=';
}

std::string escape_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (char c : token) {
        if (c == '~') {
            out.append("~0");
        } else if (c == '/') {
            out.append("~1");
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace piw::json
