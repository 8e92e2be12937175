#pragma once
// What an `oidc` subcommand tells the user, and its exit code (spec/oidc.md §6.1):
//   0 ok (warnings allowed unless --strict), 1 findings with errors, 2 usage, 3 I/O or network.
// Text mode: the command's output on stdout, findings on stderr (so `> policy.json` keeps only
// the document). JSON mode: one object on stdout with the output and the findings.

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/oidc/arguments.hpp"
#include "pod_identity_webhook/oidc/finding.hpp"

namespace piw::cli::oidc_cli {

enum ExitCode : int { kExitOk = 0, kExitFindings = 1, kExitUsage = 2, kExitIo = 3 };

struct OutputOptions {
    bool json = false;
    bool strict = false;  // warnings count as errors
};

// --output text|json and --strict; an error for any other output format.
Result<OutputOptions> output_options(const Arguments& arguments);

struct Report {
    std::string text;                                                // text mode's stdout
    nlohmann::ordered_json data = nlohmann::ordered_json::object();  // JSON mode's object
    std::vector<oidc::Finding> findings;

    void add(const std::vector<oidc::Finding>& more);
    void add(oidc::Finding finding);
};

// Prints the report and returns 0 or 1.
int finish(Report report, const OutputOptions& options, std::ostream& out, std::ostream& err);

// An I/O or network failure (exit 3): the message on stderr (and as JSON on stdout in JSON mode).
int fail_io(const std::string& message, const OutputOptions& options, std::ostream& out,
            std::ostream& err);

// A usage error (exit 2): the message and where to find the usage.
int fail_usage(const std::string& message, const std::string& command, std::ostream& err);

}  // namespace piw::cli::oidc_cli
