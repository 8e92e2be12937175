#pragma once
// The `oidc` subcommands (private to the cli room). Each takes the words after its name and
// returns the exit code (report.hpp).

#include <iosfwd>
#include <string>
#include <vector>

namespace piw::cli::oidc_cli {

struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

using Words = std::vector<std::string>;

int run_plan(const Words& args, Io io);
int run_discovery(const Words& args, Io io);
int run_trust_policy(const Words& args, Io io);
int run_verify_token(const Words& args, Io io);
int run_check(const Words& args, Io io);

// The usage text of each subcommand (and of `oidc` itself for "").
std::string usage(const std::string& subcommand);

}  // namespace piw::cli::oidc_cli
