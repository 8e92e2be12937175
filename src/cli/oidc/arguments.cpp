#include "cli/oidc/arguments.hpp"

#include <algorithm>

namespace piw::cli::oidc_cli {
namespace {

const FlagSpec* find_spec(const std::vector<FlagSpec>& specs, std::string_view name) {
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [name](const FlagSpec& spec) { return spec.name == name; });
    return it == specs.end() ? nullptr : &*it;
}

// "-o" and "-h" are the only short forms.
std::string_view long_name(std::string_view word) {
    if (word == "-o") return "output";
    if (word == "-h") return "help";
    if (word.substr(0, 2) == "--") return word.substr(2);
    return {};
}

bool is_plain_word(const std::string& word) {
    return word.empty() || word.front() != '-';
}

}  // namespace

Result<Arguments> Arguments::parse(const std::vector<std::string>& args,
                                   const std::vector<FlagSpec>& specs) {
    Arguments parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (word == "--") {
            if (i + 1 < args.size()) return Error{"unexpected argument \"" + args[i + 1] + "\""};
            break;
        }
        std::string_view name = long_name(word);
        if (name.empty() || word == "-") return Error{"unexpected argument \"" + word + "\""};
        std::string inline_value;
        bool has_inline_value = false;
        if (const auto equals = name.find('='); equals != std::string_view::npos) {
            inline_value = std::string(name.substr(equals + 1));
            name = name.substr(0, equals);
            has_inline_value = true;
        }
        const FlagSpec* spec = find_spec(specs, name);
        if (spec == nullptr) return Error{"unknown flag --" + std::string(name)};
        auto& values = parsed.values_[std::string(name)];
        if (!values.empty() && !spec->repeatable) {
            return Error{"--" + std::string(name) + " given more than once"};
        }
        if (!spec->takes_value) {
            if (has_inline_value) return Error{"--" + std::string(name) + " takes no value"};
            values.emplace_back("true");
            continue;
        }
        if (!has_inline_value) {
            // "-" is a value (stdin), not a flag.
            if (i + 1 >= args.size() || (!is_plain_word(args[i + 1]) && args[i + 1] != "-")) {
                return Error{"--" + std::string(name) + " needs a value"};
            }
            inline_value = args[++i];
        }
        values.push_back(std::move(inline_value));
        while (spec->greedy && i + 1 < args.size() && is_plain_word(args[i + 1])) {
            values.push_back(args[++i]);
        }
    }
    return parsed;
}

bool Arguments::has(std::string_view name) const {
    return values_.find(name) != values_.end();
}

std::string Arguments::value(std::string_view name, std::string_view fallback) const {
    const auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::string(fallback);
    return it->second.back();
}

std::vector<std::string> Arguments::values(std::string_view name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<FlagSpec> with_common_flags(std::vector<FlagSpec> specs) {
    specs.push_back({"output"});
    specs.push_back({"strict", false});
    specs.push_back({"help", false});
    return specs;
}

}  // namespace piw::cli::oidc_cli
