#pragma once
// Test keys made with the openssl command-line tool, and the values kube-apiserver would publish
// for them computed independently of our code: only the openssl CLI and coreutils, following
// spec/oidc.md §1.3.

#include <string>
#include <string_view>

namespace piw::oidc::testing {

// Runs `command` with /bin/sh; returns its stdout (trailing newline removed). A non-zero exit
// is a test failure (reported with the command).
std::string run_shell(const std::string& command);

std::string read_file(const std::string& path);

// A temporary directory, removed with its contents at destruction.
class TempDir {
  public:
    TempDir();
    explicit TempDir(const std::string& pattern_prefix);  // mkdtemp(pattern_prefix + "XXXXXX")
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::string file(std::string_view name) const;

  private:
    std::string path_;
};

// Quoted for /bin/sh.
std::string shell_quote(std::string_view text);

// base64url(SHA-256(DER SubjectPublicKeyInfo)) of the key in `pem_path` (public or private).
std::string cli_kid(const std::string& pem_path);
// The RSA modulus, minimal big-endian, base64url.
std::string cli_rsa_n(const std::string& pem_path);
// The EC point's x and y, each `coordinate_bytes` long, base64url (the SPKI ends with the
// uncompressed point 04||x||y).
std::string cli_ec_x(const std::string& pem_path, int coordinate_bytes);
std::string cli_ec_y(const std::string& pem_path, int coordinate_bytes);

}  // namespace piw::oidc::testing

namespace piw::oidc::testing {

// One set of keys (RSA generation is slow), made on first use and kept in the build tree
// (PIW_OIDC_TEST_KEYS) for later runs: ctest starts one process per test. File names:
// "<name>.key" private (as generated), "<name>.pub" PUBLIC KEY.
class TestKeys {
  public:
    static const TestKeys& get();
    [[nodiscard]] std::string path(std::string_view file) const {
        return dir_ + "/" + std::string(file);
    }
    [[nodiscard]] std::string pem(std::string_view file) const { return read_file(path(file)); }

  private:
    TestKeys();
    std::string dir_;
};

}  // namespace piw::oidc::testing
