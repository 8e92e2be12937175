#pragma once
// Certificates made at test time with OpenSSL's C API: a throwaway certificate authority and
// serving certificates signed by it (or self-signed), as PEM text or files. Nothing is checked
// into the repository and nothing expires between runs.
//
//   TestCertificateAuthority ca;
//   ca.write_certificate(dir / "ca.crt");
//   CertificateRequest request;
//   request.common_name = "cert-a";
//   ca.issue(request).write(dir / "tls.crt", dir / "tls.key");
//
// Errors throw std::runtime_error (test code only).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace piw::testing {

enum class KeyType { ec_p256, rsa_2048 };

struct CertificateRequest {
    std::string common_name = "localhost";  // tests tell certificates apart by their CN
    std::vector<std::string> dns_names{"localhost"};
    std::vector<std::string> ip_addresses{"127.0.0.1"};
    KeyType key_type = KeyType::ec_p256;
    std::chrono::seconds valid_for = std::chrono::hours(24);
    // notBefore is this far in the past, so clock skew cannot make a fresh certificate invalid.
    std::chrono::seconds backdate = std::chrono::hours(1);
};

struct PemPair {
    std::string certificate;  // the leaf (followed by the chain, if any)
    std::string key;          // PKCS#8 private key

    // Writes both files (parent directories must exist).
    void write(const std::filesystem::path& certificate_file,
               const std::filesystem::path& key_file) const;
};

class TestCertificateAuthority {
  public:
    explicit TestCertificateAuthority(std::string common_name = "piw test CA",
                                      KeyType key_type = KeyType::ec_p256);
    ~TestCertificateAuthority();
    TestCertificateAuthority(const TestCertificateAuthority&) = delete;
    TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

    [[nodiscard]] const std::string& certificate_pem() const { return certificate_pem_; }
    void write_certificate(const std::filesystem::path& file) const;

    // A serving certificate (serverAuth, with the requested SANs) signed by this CA.
    [[nodiscard]] PemPair issue(const CertificateRequest& request) const;

  private:
    struct State;
    std::unique_ptr<State> state_;
    std::string certificate_pem_;
};

// A self-signed serving certificate (its own issuer; not a CA).
PemPair make_self_signed(const CertificateRequest& request);

}  // namespace piw::testing
