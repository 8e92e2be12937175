#pragma once
// The commands of the executable, and how flag values become each room's settings.

#include <iosfwd>
#include <string>
#include <vector>

#include "pod_identity_webhook/cli/options.hpp"
#include "pod_identity_webhook/common/result.hpp"
#include "pod_identity_webhook/identity/identity_resolver.hpp"
#include "pod_identity_webhook/identity/service_account.hpp"
#include "pod_identity_webhook/logging/log.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::cli {

// The whole program: parses argv, runs the command, returns the exit code
// (0 ok, 1 runtime error, 2 bad flags — like upstream's pflag).
int run(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err);

// Serves until SIGTERM/SIGINT (decision S4). Returns the exit code.
int run_serve(const Options& options);

// `pod-identity-webhook mutate` (decision C2). Returns the exit code.
int run_mutate(const CommandLine& command_line, std::istream& in, std::ostream& out,
               std::ostream& err);

// `pod-identity-webhook oidc SUBCOMMAND …` (issue 6): `args` are the words after "oidc". Exit
// codes 0 ok, 1 findings with errors, 2 usage, 3 I/O or network.
int run_oidc(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
             std::ostream& err);

// --- flag values → settings of the rooms ---
mutation::MutationSettings mutation_settings(const Options& options);
identity::IdentityDefaults identity_defaults(const Options& options);
// --compose-role-arn: from --aws-account-id/--aws-partition, else instance metadata (C3).
Result<identity::AnnotationSettings> annotation_settings(const Options& options);
Result<logging::LogSettings> log_settings(const Options& options);
// --token-expiration clamped to >= 600, as upstream does at start-up.
std::int64_t clamped_token_expiration(const Options& options);

}  // namespace piw::cli
