#pragma once
// Flags of the `oidc` subcommands (private to the cli room). These are new commands with no
// upstream to mimic, so the grammar is the usual GNU long-option one rather than pflag's:
// `--name value`, `--name=value`, bare booleans, and `--` ending the flags. A flag declared
// `greedy` also takes the plain words after its value (`--from-key a.pem b.pem`), so shell
// globs work.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::cli::oidc_cli {

struct FlagSpec {
    std::string_view name;  // without the leading "--"
    bool takes_value = true;
    bool repeatable = false;
    bool greedy = false;  // also takes the following words that do not start with '-'
};

class Arguments {
  public:
    // Errors name the flag and say what is wrong ("unknown flag --x", "--bucket needs a value").
    static Result<Arguments> parse(const std::vector<std::string>& args,
                                   const std::vector<FlagSpec>& specs);

    [[nodiscard]] bool has(std::string_view name) const;
    // The value of a single-valued flag, or `fallback` when absent.
    [[nodiscard]] std::string value(std::string_view name, std::string_view fallback = {}) const;
    [[nodiscard]] std::vector<std::string> values(std::string_view name) const;

  private:
    std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// The flags every subcommand has: --output/-o text|json, --strict, --help/-h.
std::vector<FlagSpec> with_common_flags(std::vector<FlagSpec> specs);

}  // namespace piw::cli::oidc_cli
