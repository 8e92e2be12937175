// YAML/JSON manifests. yaml-cpp does the YAML syntax; typing of plain scalars, merge keys and
// key stringification follow go-yaml v2 as used by sigs.k8s.io/yaml (what kubectl does), because
// a manifest must mean the same thing here as it does to `kubectl apply`.

#include "pod_identity_webhook/common/manifests.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace piw::manifests {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";
// Beyond the nodes written in the text, this many more may come from alias expansion (a
// "billion laughs" document is refused instead of exhausting memory).
constexpr std::size_t kAliasExpansionAllowance = 250'000;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string_view strip_bom(std::string_view text) {
    if (text.starts_with(kUtf8Bom)) {
        text.remove_prefix(kUtf8Bom.size());
    }
    return text;
}

// ---------------------------------------------------------------------------------------------
// Plain scalar resolution (go-yaml v2 resolve.go).

enum class Known { yes, no, null, nan, positive_infinity, negative_infinity };

struct Resolution {
    std::string_view text;
    Known value;
};

// go-yaml v2's resolve map (without "<<", which only matters as a mapping key).
constexpr std::array<Resolution, 39> kResolutions = {{
    {"y", Known::yes},
    {"Y", Known::yes},
    {"yes", Known::yes},
    {"Yes", Known::yes},
    {"YES", Known::yes},
    {"true", Known::yes},
    {"True", Known::yes},
    {"TRUE", Known::yes},
    {"on", Known::yes},
    {"On", Known::yes},
    {"ON", Known::yes},
    {"n", Known::no},
    {"N", Known::no},
    {"no", Known::no},
    {"No", Known::no},
    {"NO", Known::no},
    {"false", Known::no},
    {"False", Known::no},
    {"FALSE", Known::no},
    {"off", Known::no},
    {"Off", Known::no},
    {"OFF", Known::no},
    {"~", Known::null},
    {"null", Known::null},
    {"Null", Known::null},
    {"NULL", Known::null},
    {".nan", Known::nan},
    {".NaN", Known::nan},
    {".NAN", Known::nan},
    {".inf", Known::positive_infinity},
    {".Inf", Known::positive_infinity},
    {".INF", Known::positive_infinity},
    {"+.inf", Known::positive_infinity},
    {"+.Inf", Known::positive_infinity},
    {"+.INF", Known::positive_infinity},
    {"-.inf", Known::negative_infinity},
    {"-.Inf", Known::negative_infinity},
    {"-.INF", Known::negative_infinity},
    {"", Known::null},
}};

std::optional<Json> lookup_resolution(std::string_view text) {
    for (const Resolution& entry : kResolutions) {
        if (entry.text != text) {
            continue;
        }
        switch (entry.value) {
            case Known::yes:
                return Json(true);
            case Known::no:
                return Json(false);
            case Known::null:
                return Json(nullptr);
            case Known::nan:
                return Json(std::numeric_limits<double>::quiet_NaN());
            case Known::positive_infinity:
                return Json(std::numeric_limits<double>::infinity());
            case Known::negative_infinity:
                return Json(-std::numeric_limits<double>::infinity());
        }
    }
    return std::nullopt;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

enum class IntError { none, syntax, range };

// strconv.ParseUint(text, 0, 64) for text without '_'.
std::uint64_t parse_go_uint_base0(std::string_view text, IntError& error) {
    error = IntError::none;
    if (text.empty()) {
        error = IntError::syntax;
        return 0;
    }
    unsigned base = 10;
    if (text[0] == '0') {
        if (text.size() >= 3 && lower(text[1]) == 'b') {
            base = 2;
            text.remove_prefix(2);
        } else if (text.size() >= 3 && lower(text[1]) == 'o') {
            base = 8;
            text.remove_prefix(2);
        } else if (text.size() >= 3 && lower(text[1]) == 'x') {
            base = 16;
            text.remove_prefix(2);
        } else {
            base = 8;
            text.remove_prefix(1);
        }
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        const int digit = digit_value(c);
        if (digit < 0 || static_cast<unsigned>(digit) >= base) {
            error = IntError::syntax;
            return 0;
        }
        const auto d = static_cast<std::uint64_t>(digit);
        if (value > (std::numeric_limits<std::uint64_t>::max() - d) / base) {
            error = IntError::range;
            return std::numeric_limits<std::uint64_t>::max();
        }
        value = value * base + d;
    }
    return value;
}

// strconv.ParseInt(text, 0, 64) for text without '_'.
std::optional<std::int64_t> parse_go_int_base0(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    IntError error = IntError::none;
    const std::uint64_t magnitude = parse_go_uint_base0(text, error);
    if (error != IntError::none) {
        return std::nullopt;
    }
    constexpr std::uint64_t kLimit = std::uint64_t{1} << 63U;
    if (!negative && magnitude >= kLimit) {
        return std::nullopt;
    }
    if (negative && magnitude > kLimit) {
        return std::nullopt;
    }
    if (negative) {
        return magnitude == kLimit ? std::numeric_limits<std::int64_t>::min()
                                   : -static_cast<std::int64_t>(magnitude);
    }
    return static_cast<std::int64_t>(magnitude);
}

std::size_t skip_digits(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_digit(text[pos])) {
        ++pos;
    }
    return pos;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$  (go-yaml's yamlStyleFloat)
bool is_yaml_style_float(std::string_view text) {
    std::size_t pos = 0;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t end = skip_digits(text, pos + 1);
        if (end == pos + 1) {
            return false;
        }
        pos = end;
    } else {
        const std::size_t end = skip_digits(text, pos);
        if (end == pos) {
            return false;
        }
        pos = end;
        if (pos < text.size() && text[pos] == '.') {
            pos = skip_digits(text, pos + 1);
        }
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
        if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
            ++pos;
        }
        const std::size_t end = skip_digits(text, pos);
        if (end == pos) {
            return false;
        }
        pos = end;
    }
    return pos == text.size();
}

// strconv.ParseFloat(text, 64) for text already matching is_yaml_style_float: overflow is an
// error (Go returns ErrRange), underflow rounds towards zero.
std::optional<double> parse_decimal_float(std::string_view text) {
    if (!text.empty() && text[0] == '+') {
        text.remove_prefix(1);
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size()) {
        return value;
    }
    if (ec != std::errc::result_out_of_range) {
        return std::nullopt;
    }
    const std::string copy(text);
    const double fallback = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(fallback)) {
        return std::nullopt;
    }
    return fallback;
}

std::string without_underscores(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c != '_') {
            out.push_back(c);
        }
    }
    return out;
}

Json resolve_numeric(std::string_view text) {
    const std::string plain = without_underscores(text);
    if (const auto signed_value = parse_go_int_base0(plain)) {
        return *signed_value;
    }
    IntError error = IntError::none;
    const std::uint64_t unsigned_value = parse_go_uint_base0(plain, error);
    if (error == IntError::none) {
        return unsigned_value;
    }
    if (is_yaml_style_float(plain)) {
        if (const auto value = parse_decimal_float(plain)) {
            return *value;
        }
    }
    return std::string(text);
}

// The value of a plain (unquoted) scalar.
Json resolve_plain(std::string_view text) {
    if (text.empty()) {
        return nullptr;
    }
    const char first = text[0];
    const bool numeric_hint = is_digit(first) || first == '+' || first == '-';
    const bool map_hint = std::string_view("yYnNtTfFoO~").find(first) != std::string_view::npos;
    const bool float_hint = first == '.';
    if (!numeric_hint && !map_hint && !float_hint) {
        return std::string(text);
    }
    if (auto known = lookup_resolution(text)) {
        return std::move(*known);
    }
    if (float_hint) {
        if (is_yaml_style_float(text)) {
            if (const auto value = parse_decimal_float(text)) {
                return *value;
            }
        }
        return std::string(text);
    }
    if (numeric_hint) {
        return resolve_numeric(text);
    }
    return std::string(text);
}

// strconv.FormatFloat(value, 'g', -1, 32), with go-yaml's names for the special values; this is
// how sigs.k8s.io/yaml turns a float mapping key into a JSON object key.
std::string format_float_key(double value) {
    if (std::isnan(value)) {
        return ".nan";
    }
    if (std::isinf(value)) {
        return value < 0 ? "-.inf" : ".inf";
    }
    const auto narrow = static_cast<float>(value);
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), narrow,
                                      std::chars_format::scientific);
    const std::string_view scientific(buffer.data(),
                                      static_cast<std::size_t>(result.ptr - buffer.data()));
    const std::size_t e_pos = scientific.find('e');
    std::string_view mantissa = scientific.substr(0, e_pos);
    int exponent = 0;
    const char* exponent_begin = scientific.data() + e_pos + 1;
    if (*exponent_begin == '+') {
        ++exponent_begin;
    }
    const auto parsed =
        std::from_chars(exponent_begin, scientific.data() + scientific.size(), exponent);
    if (parsed.ec != std::errc{}) {
        return std::string(scientific);
    }
    const bool negative = mantissa.starts_with('-');
    if (negative) {
        mantissa.remove_prefix(1);
    }
    std::string digits;
    for (const char c : mantissa) {
        if (c != '.') {
            digits.push_back(c);
        }
    }
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 6) {
        out += digits[0];
        if (digits.size() > 1) {
            out += '.';
            out += digits.substr(1);
        }
        out += exponent < 0 ? "e-" : "e+";
        const int magnitude = std::abs(exponent);
        if (magnitude < 10) {
            out += '0';
        }
        out += std::to_string(magnitude);
        return out;
    }
    if (exponent < 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-exponent - 1), '0');
        out += digits;
        return out;
    }
    const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
        out += digits;
        out.append(integer_digits - digits.size(), '0');
        return out;
    }
    out += digits.substr(0, integer_digits);
    out += '.';
    out += digits.substr(integer_digits);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Splitting a stream into documents.

struct Chunk {
    std::string_view text;       // what yaml-cpp parses (may start with a `--- x` line)
    std::string_view source;     // what is passed through (without a leading `---`)
    std::size_t first_line = 0;  // 0-based line of `text` in the input
};

std::string_view without_line_end(std::string_view line) {
    if (line.ends_with('\n')) {
        line.remove_suffix(1);
    }
    if (line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    return line;
}

bool is_document_start(std::string_view content) {
    return content == "---" || content.starts_with("--- ");
}

bool is_document_end(std::string_view content) {
    return content == "..." || content.starts_with("... ");
}

std::string_view source_of(std::string_view text) {
    // A chunk that starts with `--- <content>` passes through as `<content>`.
    if (text.starts_with("--- ")) {
        text.remove_prefix(4);
        while (text.starts_with(' ')) {
            text.remove_prefix(1);
        }
    }
    return text;
}

std::vector<Chunk> split_documents(std::string_view text) {
    std::vector<Chunk> chunks;
    std::size_t chunk_start = 0;
    std::size_t chunk_first_line = 0;
    std::size_t line_number = 0;
    std::size_t pos = 0;
    auto close_chunk = [&chunks, &text, &chunk_start, &chunk_first_line](std::size_t end) {
        const std::string_view body = text.substr(chunk_start, end - chunk_start);
        chunks.push_back(Chunk{body, source_of(body), chunk_first_line});
    };
    while (pos < text.size()) {
        const std::size_t newline = text.find('\n', pos);
        const std::size_t line_end = newline == std::string_view::npos ? text.size() : newline + 1;
        const std::string_view content = without_line_end(text.substr(pos, line_end - pos));
        if (is_document_start(content)) {
            close_chunk(pos);
            const bool inline_content = content != "---";
            chunk_start = inline_content ? pos : line_end;
            chunk_first_line = inline_content ? line_number : line_number + 1;
        } else if (is_document_end(content)) {
            close_chunk(pos);
            chunk_start = line_end;
            chunk_first_line = line_number + 1;
        }
        pos = line_end;
        ++line_number;
    }
    close_chunk(text.size());
    return chunks;
}

// ---------------------------------------------------------------------------------------------
// yaml-cpp nodes → JSON.

std::string position_text(std::size_t line, std::size_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

class NodeConverter {
  public:
    NodeConverter(std::size_t first_line, std::size_t node_budget)
        : first_line_(first_line), budget_(node_budget) {}

    bool convert(const YAML::Node& node, Json& out, int depth) {
        if (depth > kMaxManifestDepth) {
            return fail(node, "nesting deeper than " + std::to_string(kMaxManifestDepth) +
                                  " levels (or a recursive alias)");
        }
        if (budget_ == 0) {
            return fail(node, "too many nodes (aliases expand beyond the size limit)");
        }
        --budget_;
        switch (node.Type()) {
            case YAML::NodeType::Scalar:
                return convert_scalar(node, out);
            case YAML::NodeType::Sequence:
                return convert_sequence(node, out, depth);
            case YAML::NodeType::Map:
                return convert_mapping(node, out, depth);
            case YAML::NodeType::Null:
            case YAML::NodeType::Undefined:
                out = nullptr;
                return true;
        }
        out = nullptr;
        return true;
    }

    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] std::size_t remaining_budget() const { return budget_; }

  private:
    bool fail(const YAML::Node& node, const std::string& message) {
        const YAML::Mark mark = node.Mark();
        if (mark.is_null()) {
            error_ = message;
        } else {
            error_ = position_text(first_line_ + static_cast<std::size_t>(mark.line) + 1,
                                   static_cast<std::size_t>(mark.column) + 1) +
                     ": " + message;
        }
        return false;
    }

    bool convert_scalar(const YAML::Node& node, Json& out) {
        const std::string& tag = node.Tag();
        const std::string& text = node.Scalar();
        if (tag == "?") {
            out = resolve_plain(text);
            return true;
        }
        if (!tag.starts_with(kYamlTagPrefix)) {
            out = text;  // quoted, block, or a local tag: a string
            return true;
        }
        const std::string_view name = std::string_view(tag).substr(kYamlTagPrefix.size());
        if (name != "int" && name != "float" && name != "bool" && name != "null") {
            out = text;
            return true;
        }
        Json resolved = resolve_plain(text);
        const bool matches = (name == "int" && resolved.is_number_integer()) ||
                             (name == "float" && resolved.is_number()) ||
                             (name == "bool" && resolved.is_boolean()) ||
                             (name == "null" && resolved.is_null());
        if (!matches) {
            return fail(node, "cannot decode !!" + std::string(name) + " `" + text + "`");
        }
        if (name == "float" && !resolved.is_number_float()) {
            resolved = resolved.get<double>();
        }
        out = std::move(resolved);
        return true;
    }

    bool convert_sequence(const YAML::Node& node, Json& out, int depth) {
        out = Json::array();
        for (const YAML::Node& child : node) {
            Json value;
            if (!convert(child, value, depth + 1)) {
                return false;
            }
            out.push_back(std::move(value));
        }
        return true;
    }

    static bool is_merge_key(const YAML::Node& key) {
        return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
    }

    bool convert_mapping(const YAML::Node& node, Json& out, int depth) {
        out = Json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
            // Copies: yaml-cpp's iterator hands out a temporary pair.
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            if (is_merge_key(key)) {
                if (!merge_into(value, out, depth)) {
                    return false;
                }
                continue;
            }
            std::string key_text;
            if (!key_string(key, key_text)) {
                return false;
            }
            Json converted;
            if (!convert(value, converted, depth + 1)) {
                return false;
            }
            out[key_text] = std::move(converted);
        }
        return true;
    }

    // `<<: *base` or `<<: [*a, *b]`: the merged keys are set in order (go-yaml v2: they override
    // keys written before the merge, keys written after override them; in a list the earlier
    // maps win).
    bool merge_into(const YAML::Node& value, Json& out, int depth) {
        if (value.IsMap()) {
            return merge_mapping(value, out, depth);
        }
        if (!value.IsSequence()) {
            return fail(value, "map merge requires map or sequence of maps as the value");
        }
        std::vector<YAML::Node> maps(value.begin(), value.end());
        for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
            if (!it->IsMap()) {
                return fail(*it, "map merge requires map or sequence of maps as the value");
            }
            if (!merge_mapping(*it, out, depth)) {
                return false;
            }
        }
        return true;
    }

    bool merge_mapping(const YAML::Node& value, Json& out, int depth) {
        Json merged;
        if (!convert(value, merged, depth + 1)) {
            return false;
        }
        for (auto& [key, item] : merged.items()) {
            out[key] = std::move(item);
        }
        return true;
    }

    bool key_string(const YAML::Node& key, std::string& out) {
        if (!key.IsScalar()) {
            return fail(key, key.IsNull() ? "unsupported map key: null"
                                          : "unsupported map key: a sequence or mapping");
        }
        Json value;
        if (!convert_scalar(key, value)) {
            return false;
        }
        if (value.is_string()) {
            out = value.get<std::string>();
        } else if (value.is_boolean()) {
            out = value.get<bool>() ? "true" : "false";
        } else if (value.is_number_integer()) {
            out = value.dump();
        } else if (value.is_number_float()) {
            out = format_float_key(value.get<double>());
        } else {
            return fail(key, "unsupported map key: null");
        }
        return true;
    }

    std::size_t first_line_;
    std::size_t budget_;
    std::string error_;
};

std::string document_error(std::size_t index, const std::string& detail) {
    return "document " + std::to_string(index) + ", " + detail;
}

Result<std::vector<Document>> parse_yaml_stream(std::string_view text) {
    std::vector<Document> documents;
    std::string pending_source;  // text of content-free chunks, kept for the next document
    std::size_t budget = text.size() + kAliasExpansionAllowance;
    for (const Chunk& chunk : split_documents(text)) {
        const std::size_t index = documents.size() + 1;
        std::vector<YAML::Node> nodes;
        try {
            nodes = YAML::LoadAll(std::string(chunk.text));
        } catch (const YAML::Exception& e) {
            const std::size_t line = chunk.first_line + static_cast<std::size_t>(e.mark.line) + 1;
            const auto column = static_cast<std::size_t>(e.mark.column) + 1;
            return Error{document_error(index, position_text(line, column) + ": " + e.msg)};
        } catch (const std::exception& e) {
            return Error{"document " + std::to_string(index) + ": " + e.what()};
        }
        if (nodes.empty()) {
            pending_source.append(chunk.source);
            continue;
        }
        if (nodes.size() > 1) {
            return Error{document_error(index, "line " + std::to_string(chunk.first_line + 1) +
                                                   ": more than one document between separators")};
        }
        NodeConverter converter(chunk.first_line, budget);
        Json value;
        bool converted = false;
        try {
            converted = converter.convert(nodes.front(), value, 0);
        } catch (const std::exception& e) {
            return Error{"document " + std::to_string(index) + ": " + e.what()};
        }
        if (!converted) {
            return Error{document_error(index, converter.error())};
        }
        budget = converter.remaining_budget();  // shared by the whole stream
        std::string source = std::move(pending_source);
        pending_source.clear();
        source.append(chunk.source);
        documents.push_back(Document{std::move(value), std::move(source)});
    }
    if (!pending_source.empty() && !documents.empty()) {
        documents.back().source.append(pending_source);
    }
    return documents;
}

// ---------------------------------------------------------------------------------------------
// JSON.

// nlohmann's DOM builder with a depth cap and the parse error kept as text (the non-throwing
// parse() only says "discarded").
class LimitedJsonSax : public nlohmann::detail::json_sax_dom_parser<Json> {
    using Base = nlohmann::detail::json_sax_dom_parser<Json>;

  public:
    explicit LimitedJsonSax(Json& target) : Base(target, false) {}

    bool start_object(std::size_t size) { return enter() && Base::start_object(size); }
    bool start_array(std::size_t size) { return enter() && Base::start_array(size); }
    bool end_object() {
        --depth_;
        return Base::end_object();
    }
    bool end_array() {
        --depth_;
        return Base::end_array();
    }
    template <class Exception>
    bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                     const Exception& exception) {
        std::string_view message = exception.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
        if (const std::size_t bracket = message.find("] ");
            message.starts_with('[') && bracket != std::string_view::npos) {
            message.remove_prefix(bracket + 2);
        }
        if (message.starts_with("parse error at ")) {
            message.remove_prefix(std::string_view("parse error at ").size());
        }
        error_ = std::string(message);
        return false;
    }
    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    bool enter() {
        if (++depth_ > kMaxManifestDepth) {
            error_ = "nesting deeper than " + std::to_string(kMaxManifestDepth) + " levels";
            return false;
        }
        return true;
    }
    int depth_ = 0;
    std::string error_;
};

bool looks_like_json(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

// ---------------------------------------------------------------------------------------------
// YAML output.

bool is_special_unicode_at(std::string_view text, std::size_t pos) {
    // NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (line breaks to YAML 1.1 readers) and BOM.
    const std::string_view rest = text.substr(pos);
    return rest.starts_with("\xC2\x85") || rest.starts_with("\xE2\x80\xA8") ||
           rest.starts_with("\xE2\x80\xA9") || rest.starts_with(kUtf8Bom);
}

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

bool has_unsafe_characters(std::string_view text, bool allow_line_breaks) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_control(c) && !(allow_line_breaks && (c == '\n' || c == '\t'))) {
            return true;
        }
        if (is_special_unicode_at(text, i)) {
            return true;
        }
    }
    return false;
}

bool can_be_plain(std::string_view text) {
    if (text.empty() || text == "<<" || text.starts_with("---") || text.starts_with("...")) {
        return false;
    }
    const char first = text.front();
    const char last = text.back();
    if (first == ' ' || last == ' ' || last == ':') {
        return false;
    }
    if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) {
        return false;
    }
    if (first == '-' && (text.size() == 1 || text[1] == ' ')) {
        return false;
    }
    if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) {
        return false;
    }
    if (has_unsafe_characters(text, false)) {
        return false;
    }
    return resolve_plain(text).is_string();
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (true) {
        const std::size_t newline = text.find('\n', pos);
        if (newline == std::string_view::npos) {
            lines.push_back(text.substr(pos));
            return lines;
        }
        lines.push_back(text.substr(pos, newline - pos));
        pos = newline + 1;
    }
}

bool can_be_literal_block(std::string_view text) {
    if (text.find('\n') == std::string_view::npos || has_unsafe_characters(text, true)) {
        return false;
    }
    // The indentation of a literal block is taken from its first non-empty line, so that line
    // must not start with white space, and no line before it may hold anything (not even spaces).
    for (const std::string_view line : split_lines(text)) {
        if (line.empty()) {
            continue;
        }
        return line.front() != ' ' && line.front() != '\t';
    }
    return false;  // only line breaks
}

void append_double_quoted(std::string& out, std::string_view text) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (is_control(c)) {
            const auto byte = static_cast<unsigned char>(c);
            out += "\\x";
            out += kHex[byte >> 4U];
            out += kHex[byte & 0x0fU];
        } else if (is_special_unicode_at(text, i)) {
            const std::string_view rest = text.substr(i);
            // \u escapes: yaml-cpp 0.7 decodes \N to a bare 0x85 byte, not UTF-8.
            if (rest.starts_with("\xC2\x85")) {
                out += "\\u0085";
                i += 1;
            } else if (rest.starts_with("\xE2\x80\xA8")) {
                out += "\\u2028";
                i += 2;
            } else if (rest.starts_with("\xE2\x80\xA9")) {
                out += "\\u2029";
                i += 2;
            } else {
                out += "\\uFEFF";
                i += 2;
            }
        } else {
            out += c;
        }
    }
    out += '"';
}

class YamlWriter {
  public:
    std::string take() { return std::move(out_); }

    void document(const Json& value) {
        if (value.is_object() && !value.empty()) {
            mapping(value, 0, false);
        } else if (value.is_array() && !value.empty()) {
            sequence(value, 0, false);
        } else {
            scalar(value, 2, false);
        }
    }

  private:
    void indent(int columns) { out_.append(static_cast<std::size_t>(columns), ' '); }

    void key(const std::string& text) {
        if (can_be_plain(text)) {
            out_ += text;
        } else {
            append_double_quoted(out_, text);
        }
        out_ += ':';
    }

    void mapping(const Json& object, int column, bool first_inline) {
        bool first = true;
        for (const auto& [name, value] : object.items()) {
            if (!(first && first_inline)) {
                indent(column);
            }
            first = false;
            key(name);
            if (value.is_object() && !value.empty()) {
                out_ += '\n';
                mapping(value, column + 2, false);
            } else if (value.is_array() && !value.empty()) {
                out_ += '\n';
                sequence(value, column, false);
            } else {
                scalar(value, column + 2, true);
            }
        }
    }

    void sequence(const Json& array, int column, bool first_inline) {
        bool first = true;
        for (const Json& item : array) {
            if (!(first && first_inline)) {
                indent(column);
            }
            first = false;
            out_ += '-';
            if (item.is_object() && !item.empty()) {
                out_ += ' ';
                mapping(item, column + 2, true);
            } else if (item.is_array() && !item.empty()) {
                out_ += ' ';
                sequence(item, column + 2, true);
            } else {
                scalar(item, column + 2, true);
            }
        }
    }

    // A scalar (or an empty collection) and its line break. `block_column` is where the lines of
    // a literal block go.
    void scalar(const Json& value, int block_column, bool after_indicator) {
        if (after_indicator) {
            out_ += ' ';
        }
        if (value.is_string()) {
            string_scalar(value.get_ref<const std::string&>(), block_column);
            return;
        }
        if (value.is_object()) {
            out_ += "{}";
        } else if (value.is_array()) {
            out_ += "[]";
        } else if (value.is_number_float()) {
            float_scalar(value.get<double>());
        } else {
            out_ += value.dump();  // null, booleans, integers
        }
        out_ += '\n';
    }

    void float_scalar(double value) {
        if (std::isnan(value)) {
            out_ += ".nan";
        } else if (std::isinf(value)) {
            out_ += value < 0 ? "-.inf" : ".inf";
        } else {
            out_ += Json(value).dump();  // always has '.' or 'e', so it reads back as a float
        }
    }

    void string_scalar(const std::string& text, int block_column) {
        if (can_be_plain(text)) {
            out_ += text;
            out_ += '\n';
        } else if (can_be_literal_block(text)) {
            literal_block(text, block_column);
        } else {
            append_double_quoted(out_, text);
            out_ += '\n';
        }
    }

    void literal_block(std::string_view text, int block_column) {
        std::size_t trailing_breaks = 0;
        while (trailing_breaks < text.size() && text[text.size() - 1 - trailing_breaks] == '\n') {
            ++trailing_breaks;
        }
        out_ += trailing_breaks == 0 ? "|-" : (trailing_breaks == 1 ? "|" : "|+");
        out_ += '\n';
        std::string_view body = text;
        if (trailing_breaks > 0) {
            body.remove_suffix(1);  // the last break ends the last line
        }
        for (const std::string_view line : split_lines(body)) {
            if (!line.empty()) {
                indent(block_column);
                out_ += line;
            }
            out_ += '\n';
        }
    }

    std::string out_;
};

}  // namespace

Result<Json> parse_json(std::string_view text) {
    Json root;
    LimitedJsonSax sax(root);
    const bool ok = Json::sax_parse(text.begin(), text.end(), &sax,
                                    nlohmann::detail::input_format_t::json, true);
    if (!ok) {
        return Error{sax.error().empty() ? std::string("invalid JSON") : sax.error()};
    }
    return root;
}

Result<std::vector<Document>> parse_documents(std::string_view text) {
    if (text.size() > kMaxManifestBytes) {
        return Error{"the input is larger than " + std::to_string(kMaxManifestBytes >> 20U) +
                     " MiB"};
    }
    const std::string_view body = strip_bom(text);
    if (looks_like_json(body)) {
        Result<Json> json = parse_json(body);
        if (json.ok()) {
            std::vector<Document> documents;
            documents.push_back(Document{std::move(json).value(), std::string(body)});
            return documents;
        }
        // Flow-style YAML (`{a: 1}`) and JSON documents separated by `---` also start this way.
        Result<std::vector<Document>> yaml = parse_yaml_stream(body);
        if (yaml.ok()) {
            return yaml;
        }
        return Error{"document 1, " + json.error() +
                     " (read as JSON; read as YAML: " + yaml.error() + ")"};
    }
    return parse_yaml_stream(body);
}

Result<std::vector<Document>> load_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Error{path + ": " + std::strerror(errno)};
    }
    std::string content;
    std::array<char, 65536> buffer{};
    std::string read_error;
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
        read_error = "is a directory";
    }
    while (read_error.empty()) {
        const ssize_t count = ::read(fd, buffer.data(), buffer.size());
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            read_error = std::strerror(errno);
            break;
        }
        if (count == 0) {
            break;
        }
        content.append(buffer.data(), static_cast<std::size_t>(count));
        if (content.size() > kMaxManifestBytes) {
            read_error = "larger than " + std::to_string(kMaxManifestBytes >> 20U) + " MiB";
        }
    }
    ::close(fd);
    if (!read_error.empty()) {
        return Error{path + ": " + read_error};
    }
    Result<std::vector<Document>> documents = parse_documents(content);
    if (!documents.ok()) {
        return Error{path + ": " + documents.error()};
    }
    return documents;
}

std::string to_yaml(const Json& value) {
    YamlWriter writer;
    writer.document(value);
    return writer.take();
}

std::vector<Json> flatten_lists(const std::vector<Document>& documents) {
    std::vector<Json> values;
    for (const Document& document : documents) {
        const Json& value = document.value;
        if (value.is_null()) {
            continue;
        }
        const auto kind = value.is_object() ? value.find("kind") : value.end();
        const auto items = value.is_object() ? value.find("items") : value.end();
        const bool is_list = value.is_object() && kind != value.end() && *kind == "List" &&
                             items != value.end() && items->is_array();
        if (!is_list) {
            values.push_back(value);
            continue;
        }
        for (const Json& item : *items) {
            values.push_back(item);
        }
    }
    return values;
}

}  // namespace piw::manifests
