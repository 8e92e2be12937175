#pragma once
// What the oidc checks report: every problem found, each with a severity, a stable code (for
// `--output json` and tests), a message saying what is wrong and a hint saying what to do.

#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

enum class Severity { error, warning, info };

struct Finding {
    Severity severity = Severity::error;
    std::string code;     // kebab-case, stable: e.g. "issuer-trailing-slash"
    std::string message;  // what is wrong, naming the offending value
    std::string hint;     // what to do about it (may be empty)
};

std::string_view to_string(Severity severity);

// True if any finding is an error (the CLI's exit code 1).
bool has_errors(const std::vector<Finding>& findings);

}  // namespace piw::oidc
