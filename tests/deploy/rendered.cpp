#include "rendered.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "support/child_process.hpp"

namespace piw::deploy {
namespace {

// helm and kubectl finish in seconds; a hung tool fails the test instead of the whole run.
constexpr std::chrono::minutes kToolTimeout{2};

}  // namespace

// The suite's child-process runner does the spawning and the capture.
ToolResult run_tool(const std::string& program, const std::vector<std::string>& arguments) {
    ToolResult result;
    try {
        testing::ChildProcessOptions options;
        options.executable = program;
        options.arguments = arguments;
        testing::ChildProcess child(std::move(options));
        result.exit_code = child.wait_exit(kToolTimeout).value_or(-1);
        result.out = child.stdout_text();
        result.err = child.stderr_text();
    } catch (const std::exception& error) {
        result.err = "cannot run " + program + ": " + error.what();
    }
    return result;
}

std::string helm_path() {
    return PIW_HELM;
}
std::string kubectl_path() {
    return PIW_KUBECTL;
}

std::string missing_tool_message(const std::string& path) {
    if (access(path.c_str(), X_OK) == 0) return "";
    return path +
           " is missing: run scripts/install-helm.sh (it puts helm and kubectl into "
           "build/tools), or configure with -DPIW_HELM=... -DPIW_KUBECTL=...";
}

std::string source_path(const std::string& relative) {
    return (std::filesystem::path(PIW_SOURCE_DIR) / relative).string();
}
std::string chart_path() {
    return source_path("charts/pod-identity-webhook");
}
std::string values_path(const std::string& file) {
    return source_path("tests/deploy/values/" + file);
}

Rendered::Rendered(const std::string& yaml) {
    for (const auto& document : YAML::LoadAll(yaml)) {
        if (document.IsMap()) objects_.push_back(document);
    }
}

std::vector<YAML::Node> Rendered::of_kind(const std::string& kind) const {
    std::vector<YAML::Node> matching;
    for (const auto& object : objects_) {
        if (text(at(object, "kind")) == kind) matching.push_back(object);
    }
    return matching;
}

YAML::Node Rendered::find(const std::string& kind, const std::string& name) const {
    for (const auto& object : objects_) {
        if (text(at(object, "kind")) == kind && text(at(object, "metadata", "name")) == name) {
            return object;
        }
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node Rendered::only(const std::string& kind) const {
    auto matching = of_kind(kind);
    if (matching.size() != 1) {
        ADD_FAILURE() << "expected exactly one " << kind << ", rendered " << matching.size();
        return YAML::Node(YAML::NodeType::Undefined);
    }
    return matching.front();
}

Render helm_template(const std::string& release, const std::string& namespace_,
                     const std::vector<std::string>& values_files,
                     const std::vector<std::string>& extra_arguments) {
    std::vector<std::string> arguments = {"template", release, chart_path(), "--namespace",
                                          namespace_};
    for (const auto& file : values_files) {
        arguments.push_back("--values");
        arguments.push_back(file);
    }
    arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
    Render render;
    render.result = run_tool(helm_path(), arguments);
    if (render.result.exit_code == 0) render.objects = Rendered(render.result.out);
    return render;
}

Render kustomize_deploy() {
    Render render;
    render.result = run_tool(kubectl_path(), {"kustomize", source_path("deploy")});
    if (render.result.exit_code == 0) render.objects = Rendered(render.result.out);
    return render;
}

YAML::Node at_step(const YAML::Node& node, const std::string& key) {
    if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node value = node[key];
    if (!value.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    return value;
}

std::string text(const YAML::Node& node) {
    if (!node.IsDefined() || !node.IsScalar()) return "";
    return node.Scalar();
}

std::vector<std::string> strings(const YAML::Node& sequence) {
    std::vector<std::string> values;
    if (!sequence.IsDefined() || !sequence.IsSequence()) return values;
    for (const auto& item : sequence) values.push_back(text(item));
    return values;
}

std::map<std::string, std::string> string_map(const YAML::Node& mapping) {
    std::map<std::string, std::string> values;
    if (!mapping.IsDefined() || !mapping.IsMap()) return values;
    for (const auto& item : mapping) values[text(item.first)] = text(item.second);
    return values;
}

bool labels_contain(const std::map<std::string, std::string>& labels,
                    const std::map<std::string, std::string>& subset) {
    for (const auto& [key, value] : subset) {
        auto found = labels.find(key);
        if (found == labels.end() || found->second != value) return false;
    }
    return true;
}

std::map<std::string, std::string> flags_of(const YAML::Node& container) {
    std::map<std::string, std::string> flags;
    std::vector<std::string> arguments = strings(at(container, "command"));
    for (const auto& argument : strings(at(container, "args"))) arguments.push_back(argument);
    for (const auto& argument : arguments) {
        if (argument.rfind("--", 0) != 0) continue;
        const auto equals = argument.find('=');
        const std::string name =
            argument.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
        const std::string value =
            equals == std::string::npos ? std::string() : argument.substr(equals + 1);
        EXPECT_EQ(flags.count(name), 0U) << "--" << name << " is passed twice";
        flags[name] = value;
    }
    return flags;
}

std::optional<long long> duration_ms(const std::string& value) {
    if (value == "0") return 0;
    long long total = 0;
    std::size_t position = 0;
    if (value.empty()) return std::nullopt;
    while (position < value.size()) {
        std::size_t digits_end = position;
        while (digits_end < value.size() &&
               std::isdigit(static_cast<unsigned char>(value[digits_end])) != 0) {
            ++digits_end;
        }
        if (digits_end == position) return std::nullopt;
        const long long amount = std::stoll(value.substr(position, digits_end - position));
        std::size_t unit_end = digits_end;
        while (unit_end < value.size() &&
               std::isalpha(static_cast<unsigned char>(value[unit_end])) != 0) {
            ++unit_end;
        }
        const std::string unit = value.substr(digits_end, unit_end - digits_end);
        if (unit == "ms") {
            total += amount;
        } else if (unit == "s") {
            total += amount * 1000;
        } else if (unit == "m") {
            total += amount * 60'000;
        } else if (unit == "h") {
            total += amount * 3'600'000;
        } else {
            return std::nullopt;
        }
        position = unit_end;
    }
    return total;
}

std::string base64_decode(const std::string& encoded) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string decoded;
    unsigned int buffer = 0;
    int bits = 0;
    for (const char character : encoded) {
        if (character == '=' || std::isspace(static_cast<unsigned char>(character)) != 0) continue;
        const auto index = alphabet.find(character);
        if (index == std::string::npos) return "";
        buffer = (buffer << 6U) | static_cast<unsigned int>(index);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded.push_back(
                static_cast<char>((buffer >> static_cast<unsigned int>(bits)) & 0xFFU));
        }
    }
    return decoded;
}

}  // namespace piw::deploy
