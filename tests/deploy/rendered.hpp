#pragma once
// Renders the Helm chart (helm template) and the plain manifests (kubectl kustomize) with the
// tools scripts/install-helm.sh puts in build/tools, and gives the tests the objects a cluster
// would receive, parsed with yaml-cpp.

#include <yaml-cpp/yaml.h>

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace piw::deploy {

struct ToolResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `program` with `arguments` (no shell), capturing stdout and stderr.
ToolResult run_tool(const std::string& program, const std::vector<std::string>& arguments);

// Paths of the tools (CMake cache variables PIW_HELM / PIW_KUBECTL).
std::string helm_path();
std::string kubectl_path();
// Empty when the tool is there; otherwise the message telling how to install it.
std::string missing_tool_message(const std::string& path);

std::string source_path(const std::string& relative);  // from the repository root
std::string chart_path();
std::string values_path(const std::string& file);  // tests/deploy/values/<file>

// Every non-empty document of a multi-document YAML stream.
class Rendered {
  public:
    Rendered() = default;
    explicit Rendered(const std::string& yaml);

    [[nodiscard]] const std::vector<YAML::Node>& objects() const { return objects_; }
    [[nodiscard]] std::vector<YAML::Node> of_kind(const std::string& kind) const;
    // The object of this kind and name; an undefined node when absent.
    [[nodiscard]] YAML::Node find(const std::string& kind, const std::string& name) const;
    // The only object of this kind; records a test failure and returns an undefined node when
    // there is not exactly one.
    [[nodiscard]] YAML::Node only(const std::string& kind) const;

  private:
    std::vector<YAML::Node> objects_;
};

struct Render {
    ToolResult result;
    Rendered objects;
};

// helm template <release> <chart> --namespace <namespace> [-f values] [extra...]
Render helm_template(const std::string& release, const std::string& namespace_,
                     const std::vector<std::string>& values_files,
                     const std::vector<std::string>& extra_arguments = {});
// kubectl kustomize deploy/
Render kustomize_deploy();

// Path lookup that never throws and never inserts: at(object, "spec", "rules", 0, "verbs") is
// an undefined node when any step is missing. (yaml-cpp throws when indexing a missing key's
// result again, and non-const indexing would add keys to the document.)
YAML::Node at_step(const YAML::Node& node, const std::string& key);
template <std::integral Index>
YAML::Node at_step(const YAML::Node& node, Index index) {
    if (!node.IsDefined() || !node.IsSequence() || static_cast<std::size_t>(index) >= node.size()) {
        return YAML::Node(YAML::NodeType::Undefined);
    }
    return node[static_cast<std::size_t>(index)];
}
template <typename... Path>
YAML::Node at(const YAML::Node& node, const Path&... path) {
    YAML::Node current(node);
    ((current.reset(at_step(current, path))), ...);  // reset rebinds; = would write through
    return current;
}

// Small accessors that never insert into the node.
std::string text(const YAML::Node& node);
std::vector<std::string> strings(const YAML::Node& sequence);
std::map<std::string, std::string> string_map(const YAML::Node& mapping);
// Every pair of `subset` is in `labels`.
bool labels_contain(const std::map<std::string, std::string>& labels,
                    const std::map<std::string, std::string>& subset);

// The container's "--flag=value" arguments as flag -> value (a bare "--flag" maps to ""). Records
// a failure for a flag given twice: the binary would take the last one and hide the first.
std::map<std::string, std::string> flags_of(const YAML::Node& container);
// A Go duration such as "10s", "2500ms", "1m30s" in milliseconds; nullopt if unparsable.
std::optional<long long> duration_ms(const std::string& text);
std::string base64_decode(const std::string& encoded);

}  // namespace piw::deploy
