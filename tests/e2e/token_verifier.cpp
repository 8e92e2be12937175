#include "token_verifier.hpp"

#include <chrono>
#include <sstream>

#include "support/child_process.hpp"

namespace piw::e2e {

namespace {

using namespace std::chrono_literals;

std::filesystem::path verifier_script() {
    return std::filesystem::path(PIW_SOURCE_DIR) / "tests/e2e/sdk/verify-token.mjs";
}

// The script gave no verdict: a failure of the test setup, not of the token.
TokenVerdict verifier_failure(std::string reason) {
    TokenVerdict verdict;
    verdict.failed = "verifier";
    verdict.reason = std::move(reason);
    return verdict;
}

std::string string_field(const Json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The script prints one JSON object line; anything else is the verifier's own failure.
TokenVerdict parse_verdict(const std::string& out, const std::string& err) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const Json parsed = Json::parse(line, nullptr, false);
        if (!parsed.is_object() || !parsed.contains("ok")) continue;
        return TokenVerdict{.ok = parsed.value("ok", false),
                            .failed = string_field(parsed, "failed"),
                            .reason = string_field(parsed, "reason"),
                            .sub = parsed.value("sub", Json()),
                            .aud = parsed.value("aud", Json()),
                            .iss = parsed.value("iss", Json())};
    }
    return verifier_failure("verify-token.mjs printed no verdict: " + err);
}

}  // namespace

TokenVerdict verify_token_with_node(const IssuerDocuments& documents, std::string_view token,
                                    std::string_view issuer, std::string_view audience,
                                    long long now) {
    testing::ChildProcessOptions options;
    options.executable = PIW_NODE;
    options.arguments = {verifier_script().string(), documents.discovery.string(),
                         documents.jwks.string(),    std::string(token),
                         std::string(issuer),        std::string(audience),
                         std::to_string(now)};
    // Only built-in modules: nothing from the environment is needed.
    options.environment = {{"PATH", "/usr/bin:/bin"}, {"NODE_NO_WARNINGS", "1"}};
    options.inherit_environment = false;
    testing::ChildProcess node(std::move(options));
    const std::optional<int> exit_code = node.wait_exit(30s);
    if (!exit_code) return verifier_failure("verify-token.mjs hung");
    return parse_verdict(node.stdout_text(), node.stderr_text());
}

}  // namespace piw::e2e
