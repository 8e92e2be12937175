#include <ostream>

#include "pod_identity_webhook/cli/commands.hpp"

namespace piw::cli {

int run(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    // The toolkit has its own flags (no upstream to mimic), so it skips the pflag parser.
    if (!args.empty() && args.front() == "oidc") {
        return run_oidc({args.begin() + 1, args.end()}, in, out, err);
    }
    auto command_line = parse_command_line(args);
    if (!command_line.ok()) {
        // Like pflag: the error, then the usage, exit code 2.
        const bool mutate = !args.empty() && args.front() == "mutate";
        err << "Error: " << command_line.error() << "\n"
            << usage(mutate ? Command::mutate : Command::serve);
        return 2;
    }
    const Options& options = command_line->options;
    if (options.help) {
        out << usage(command_line->command);
        return 0;
    }
    if (options.version) {
        out << "v" PIW_VERSION "\n";
        return 0;
    }
    if (command_line->command == Command::mutate) return run_mutate(*command_line, in, out, err);
    return run_serve(options);
}

}  // namespace piw::cli
