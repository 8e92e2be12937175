#include "sdk.hpp"

#include <chrono>
#include <sstream>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace piw::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

fs::path script_source() {
    return fs::path(PIW_SOURCE_DIR) / "tests/e2e/sdk/list-buckets.mjs";
}

// The last line of `out` that parses as a JSON object.
Json result_line(const std::string& out) {
    std::istringstream lines(out);
    Json found;
    for (std::string line; std::getline(lines, line);) {
        Json parsed = Json::parse(line, nullptr, false);
        if (parsed.is_object()) found = std::move(parsed);
    }
    return found;
}

}  // namespace

std::string SdkResult::describe() const {
    std::ostringstream text;
    text << "node " << script_source().filename().string() << " ran with:\n";
    for (const auto& [name, value] : environment) text << "  " << name << "=" << value << "\n";
    text << "exit code: " << (exit_code ? std::to_string(*exit_code) : "none (killed)") << "\n"
         << "stdout:\n"
         << out << "stderr:\n"
         << err;
    return text.str();
}

std::string sdk_installation_problem() {
    if (!fs::exists(PIW_NODE)) {
        return std::string("node not found at ") + PIW_NODE +
               ": run ./scripts/install-e2e-deps.sh (or set the CMake cache variable PIW_NODE)";
    }
    for (const char* package : {"@aws-sdk/client-s3", "@aws-sdk/credential-providers"}) {
        if (!fs::exists(fs::path(PIW_E2E_NODE_MODULES) / package / "package.json")) {
            return std::string(package) + " is not installed in " + PIW_E2E_NODE_MODULES +
                   ": run ./scripts/install-e2e-deps.sh (or set the CMake cache variable "
                   "PIW_E2E_NODE_MODULES)";
        }
    }
    return {};
}

SdkResult run_list_buckets(const Environment& container_environment,
                           const std::string& aws_endpoint, const fs::path& scratch) {
    // ES modules resolve packages from the script's own directory (NODE_PATH does not apply),
    // so the script runs from a copy placed next to a node_modules link.
    const fs::path program_dir = scratch / "program";
    const fs::path home = scratch / "home";
    fs::create_directories(program_dir);
    fs::create_directories(home);
    fs::copy_file(script_source(), program_dir / "list-buckets.mjs",
                  fs::copy_options::overwrite_existing);
    if (!fs::exists(program_dir / "node_modules")) {
        fs::create_directory_symlink(PIW_E2E_NODE_MODULES, program_dir / "node_modules");
    }

    SdkResult result;
    result.environment = container_environment;
    result.environment.insert(
        result.environment.end(),
        {{"AWS_ENDPOINT_URL", aws_endpoint},
         {"AWS_EC2_METADATA_DISABLED", "true"},
         {"HOME", home.string()},
         {"AWS_CONFIG_FILE", (home / ".aws/config").string()},
         {"AWS_SHARED_CREDENTIALS_FILE", (home / ".aws/credentials").string()},
         {"PATH", "/usr/bin:/bin"},
         {"NODE_NO_WARNINGS", "1"}});

    testing::ChildProcessOptions options;
    options.executable = PIW_NODE;
    options.arguments = {(program_dir / "list-buckets.mjs").string()};
    options.environment = result.environment;
    options.inherit_environment = false;
    options.working_directory = program_dir;
    options.output_directory = scratch / "output";
    fs::create_directories(options.output_directory);
    testing::ChildProcess node(std::move(options));
    result.exit_code = node.wait_exit(60s);
    result.out = node.stdout_text();
    result.err = node.stderr_text();
    result.line = result_line(result.out);
    return result;
}

}  // namespace piw::e2e
