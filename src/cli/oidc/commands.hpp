#pragma once
// The `oidc` subcommands (private to the cli room). Each takes the words after its name and
// returns the exit code (report.hpp).

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/oidc/arguments.hpp"
#include "cli/oidc/report.hpp"

namespace piw::cli::oidc_cli {

struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

using Words = std::vector<std::string>;

// What every subcommand starts with: its flags parsed, --help answered, --output/--strict read.
struct Invocation {
    Arguments arguments;
    OutputOptions output;
};
// nullopt when the command is already over (help printed, or a usage error): `exit_code` says how.
std::optional<Invocation> start(const Words& args, const std::vector<FlagSpec>& flags,
                                const std::string& subcommand, Io io, int& exit_code);

int run_plan(const Words& args, Io io);
int run_discovery(const Words& args, Io io);
int run_trust_policy(const Words& args, Io io);
int run_verify_token(const Words& args, Io io);
int run_check(const Words& args, Io io);

// The usage text of each subcommand (and of `oidc` itself for "").
std::string usage(const std::string& subcommand);

}  // namespace piw::cli::oidc_cli
