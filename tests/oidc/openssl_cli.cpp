#include "openssl_cli.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace piw::oidc::testing {
namespace {

// base64url without padding, with coreutils only.
constexpr std::string_view kBase64Url = " | basenc --base64url -w0 | tr -d '='";

std::string public_der(const std::string& pem_path) {
    // `openssl pkey` reads public and private keys alike; -pubout writes the SPKI.
    return "openssl pkey -in " + shell_quote(pem_path) + " -pubout -outform DER 2>/dev/null || " +
           "openssl pkey -pubin -in " + shell_quote(pem_path) + " -outform DER";
}

}  // namespace

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out.append("'\\''");
        } else {
            out.push_back(c);
        }
    }
    out.push_back('\'');
    return out;
}

std::string run_shell(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "cannot run: " << command;
        return {};
    }
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ADD_FAILURE() << "command failed (" << status << "): " << command;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    return contents.str();
}

TempDir::TempDir()
    : TempDir((std::filesystem::temp_directory_path() / "piw-oidc-test-").string()) {}

TempDir::TempDir(const std::string& pattern_prefix) {
    std::string pattern = pattern_prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::file(std::string_view name) const {
    return path_ + "/" + std::string(name);
}

std::string cli_kid(const std::string& pem_path) {
    return run_shell("(" + public_der(pem_path) + ") | openssl dgst -sha256 -binary" +
                     std::string(kBase64Url));
}

std::string cli_rsa_n(const std::string& pem_path) {
    // -modulus prints "Modulus=HEX" (uppercase, minimal); basenc --base16 decodes uppercase hex.
    return run_shell("(" + public_der(pem_path) +
                     ") | openssl rsa -pubin -inform DER -noout -modulus | cut -d= -f2 | "
                     "tr -d '\\n' | basenc --base16 -d" +
                     std::string(kBase64Url));
}

std::string cli_ec_x(const std::string& pem_path, int coordinate_bytes) {
    return run_shell("(" + public_der(pem_path) + ") | tail -c " +
                     std::to_string(2 * coordinate_bytes) + " | head -c " +
                     std::to_string(coordinate_bytes) + std::string(kBase64Url));
}

std::string cli_ec_y(const std::string& pem_path, int coordinate_bytes) {
    return run_shell("(" + public_der(pem_path) + ") | tail -c " +
                     std::to_string(coordinate_bytes) + std::string(kBase64Url));
}

}  // namespace piw::oidc::testing

namespace piw::oidc::testing {

// rsa2048: PKCS#8 (.key), PKCS#1 private (.pkcs1.key) and public (.pkcs1.pub), a self-signed
// certificate (.crt) and a CSR (.csr, not a key); rsa3072; ec256/ec384/ec521: SEC 1 (.key),
// PKCS#8 (.pkcs8.key), compressed-point SPKI (.compressed.pub); keys kube cannot sign with:
// ed25519, secp256k1; an encrypted PKCS#8 key.
namespace {

void generate_keys(const std::string& dir) {
    std::string script = "set -e; cd " + shell_quote(dir) + "; ";
    script +=
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key "
        "2>/dev/null; "
        "openssl rsa -in rsa2048.key -traditional -out rsa2048.pkcs1.key 2>/dev/null; "
        "openssl rsa -in rsa2048.key -RSAPublicKey_out -out rsa2048.pkcs1.pub 2>/dev/null; "
        "openssl req -x509 -new -key rsa2048.key -subj /CN=piw-oidc-test -days 1 -out rsa2048.crt; "
        "openssl req -new -key rsa2048.key -subj /CN=piw-oidc-test -out rsa2048.csr; "
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa3072.key "
        "2>/dev/null; "
        "for c in 256:prime256v1 384:secp384r1 521:secp521r1; do "
        "  n=${c%%:*}; curve=${c#*:}; "
        "  openssl ecparam -name $curve -genkey -noout -out ec$n.key; "
        "  openssl pkey -in ec$n.key -out ec$n.pkcs8.key; "
        "  openssl ec -in ec$n.key -pubout -conv_form compressed -out ec$n.compressed.pub "
        "2>/dev/null; "
        "done; "
        "openssl genpkey -algorithm ED25519 -out ed25519.key; "
        "openssl ecparam -name secp256k1 -genkey -noout -out secp256k1.key; "
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:test "
        "  -out encrypted.key; "
        "for k in rsa2048 rsa3072 ec256 ec384 ec521 ed25519 secp256k1; do "
        "  openssl pkey -in $k.key -pubout -out $k.pub; "
        "done";
    script += "; touch complete";
    run_shell(script);
}

}  // namespace

// Generated next to the cache and renamed into place, so concurrent test processes never see a
// half-written set: the first rename wins, the others use the winner's keys.
TestKeys::TestKeys() : dir_(PIW_OIDC_TEST_KEYS) {
    if (std::filesystem::exists(dir_ + "/complete")) return;
    const TempDir scratch(dir_ + ".tmp-");
    generate_keys(scratch.file(""));
    std::error_code lost_the_race;
    std::filesystem::rename(scratch.file(""), dir_, lost_the_race);
    if (!std::filesystem::exists(dir_ + "/complete")) ADD_FAILURE() << "no test keys in " << dir_;
}

const TestKeys& TestKeys::get() {
    static const TestKeys keys;
    return keys;
}

}  // namespace piw::oidc::testing
