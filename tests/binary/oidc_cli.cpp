#include "oidc_cli.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {

nlohmann::json CliResult::json() const {
    return nlohmann::json::parse(out, nullptr, false);
}

std::vector<std::string> CliResult::codes() const {
    std::vector<std::string> found;
    const auto report = json();
    if (!report.is_object() || !report.contains("findings")) return found;
    for (const auto& finding : report["findings"]) found.push_back(finding.value("code", ""));
    return found;
}

CliResult run_oidc(const std::vector<std::string>& args, const std::string& stdin_path) {
    ChildProcessOptions options;
    if (stdin_path.empty()) {
        options.executable = PIW_BINARY_PATH;
        options.arguments = {"oidc"};
        options.arguments.insert(options.arguments.end(), args.begin(), args.end());
    } else {
        std::string command = shell_quote(PIW_BINARY_PATH) + " oidc";
        for (const auto& arg : args) command += " " + shell_quote(arg);
        options.executable = "/bin/sh";
        options.arguments = {"-c", command + " < " + shell_quote(stdin_path)};
    }
    ChildProcess process(options);
    CliResult result;
    result.exit_code = process.wait_exit(std::chrono::seconds(60)).value_or(-1);
    result.out = process.stdout_text();
    result.err = process.stderr_text();
    return result;
}

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted.push_back(c);
        }
    }
    return quoted + "'";
}

std::string shell(const std::string& command) {
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
    if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string make_rsa_key(const std::filesystem::path& dir, const std::string& name, int bits) {
    const std::string path = (dir / (name + ".key")).string();
    shell("openssl genrsa -out " + shell_quote(path) + " " + std::to_string(bits) + " 2>/dev/null");
    return path;
}

std::string make_ec_key(const std::filesystem::path& dir, const std::string& name,
                        const std::string& curve) {
    const std::string path = (dir / (name + ".key")).string();
    shell("openssl ecparam -name " + curve + " -genkey -noout -out " + shell_quote(path));
    return path;
}

std::string openssl_kid(const std::string& key_path) {
    return shell("openssl pkey -in " + shell_quote(key_path) +
                 " -pubout -outform DER | openssl dgst -sha256 -binary | basenc --base64url -w0 "
                 "| tr -d '='");
}

std::string base64url(const std::string& bytes) {
    TempDir dir("piw-b64");
    const auto file = dir.write_file("in", bytes);
    return shell("basenc --base64url -w0 " + shell_quote(file.string()) + " | tr -d '='");
}

namespace {

std::string raw_ecdsa(const std::string& der, int size) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
    if (sig == nullptr) throw std::runtime_error("not an ECDSA signature");
    std::string out(2 * static_cast<std::size_t>(size), '\0');
    auto* target = reinterpret_cast<unsigned char*>(out.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), target, size);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), target + size, size);
    ECDSA_SIG_free(sig);
    return out;
}

}  // namespace

std::string sign_token(const nlohmann::json& header, const nlohmann::json& claims,
                       const std::string& key_path) {
    const std::string alg = header.value("alg", "RS256");
    const std::string bits = alg.substr(2);
    const std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
    TempDir dir("piw-sign");
    const auto file = dir.write_file("input", input);
    const auto signature_file = dir / "signature";
    shell("openssl dgst -sha" + bits + " -sign " + shell_quote(key_path) + " -out " +
          shell_quote(signature_file.string()) + " " + shell_quote(file.string()));
    std::string signature = read_file(signature_file);
    if (alg.rfind("ES", 0) == 0) {
        signature = raw_ecdsa(signature, bits == "256" ? 32 : bits == "384" ? 48 : 66);
    }
    return input + "." + base64url(signature);
}

nlohmann::json projected_claims(const std::string& issuer, long long now, long long lifetime) {
    return {{"aud", {"sts.amazonaws.com"}},
            {"exp", now + lifetime},
            {"iat", now},
            {"iss", issuer},
            {"kubernetes.io",
             {{"namespace", "payments"},
              {"node", {{"name", "worker-1"}, {"uid", "n-1"}}},
              {"pod", {{"name", "api-0"}, {"uid", "p-1"}}},
              {"serviceaccount", {{"name", "api"}, {"uid", "s-1"}}}}},
            {"nbf", now},
            {"sub", "system:serviceaccount:payments:api"}};
}

}  // namespace piw::testing
