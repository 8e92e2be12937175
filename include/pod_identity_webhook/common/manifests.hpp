#pragma once
// Kubernetes manifests as JSON: YAML (multi-document, `---`) or JSON in, ordered JSON values out,
// and back to YAML. Scalars follow what kubectl's YAML decoder (sigs.k8s.io/yaml, go-yaml v2)
// does: plain null/~/empty, true/false/yes/no/on/off/y/n (in go-yaml's case variants), integers
// (decimal, 0x, 0o, 0b, leading-0 octal, '_' separators) and floats (incl. .inf/.nan) are typed;
// quoted and block scalars are strings. Anchors, aliases and `<<` merge keys are resolved; mapping
// keys that are not strings become strings (1 → "1", true → "true").

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::manifests {

using Json = nlohmann::ordered_json;

struct Document {
    Json value;          // null for a document that is just null (`~`, `null`, `--- ~`)
    std::string source;  // the document's original text (for pass-through output)
};

inline constexpr std::size_t kMaxManifestBytes = 64U * 1024U * 1024U;
// Deeper nesting (or a recursive alias such as `&a [*a]`) is an error.
inline constexpr int kMaxManifestDepth = 256;

// Splits and parses a YAML stream or a JSON document (detected by a leading '{' or '[' after
// whitespace and an optional BOM; if that is not valid JSON it is read as YAML, whose flow style
// it may be). Documents separated by lines that are exactly `---` (or start with `--- `), or ended
// by `...`. Empty documents (nothing but blank lines and comments) are not returned; their text
// is kept at the start of the next document's source. An error names the document number and
// the line and column when known; nothing is thrown.
Result<std::vector<Document>> parse_documents(std::string_view text);

// Reads a file (size-capped at kMaxManifestBytes) and parses it; errors start with "<path>: ".
Result<std::vector<Document>> load_file(const std::string& path);

// One JSON value (RFC 8259, nothing after it), keys in document order, duplicate keys: last
// wins. Depth-capped. Errors carry the line and column.
Result<Json> parse_json(std::string_view text);

// Block-style YAML (kubectl's layout: sequences under a key are not indented), key order kept,
// ending with a newline. Strings that would read back as another type, or are empty, or have
// leading/trailing spaces or YAML indicators, are double-quoted; multi-line strings become literal
// blocks (`|`, `|-`, `|+`) when that is safe, else double-quoted. parse_documents(to_yaml(v))
// gives back v (NaN aside).
std::string to_yaml(const Json& value);

// Flattens `kind: List` (any apiVersion) into its items; other documents are returned as is,
// except empty (null) documents, which are dropped.
std::vector<Json> flatten_lists(const std::vector<Document>& documents);

}  // namespace piw::manifests
