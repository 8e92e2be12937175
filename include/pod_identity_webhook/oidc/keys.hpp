#pragma once
// Service-account keys as kube-apiserver publishes them (spec/oidc.md §1.2–§1.4): PEM bytes in
// (public or private; RSA or ECDSA P-256/P-384/P-521), the public half out, with the `kid`, the
// signing `alg` and the JWK members kube-apiserver would serve.

#include "pod_identity_webhook/common/result.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace piw::oidc {

// A key file is a few PEM blocks; anything larger is not a key file.
inline constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

enum class KeyType { rsa, ec };

struct PublicKey {
    KeyType type = KeyType::rsa;
    std::string alg;  // RS256 (RSA keys always sign RS256), ES256 | ES384 | ES512 by curve
    std::string crv;  // EC only: P-256 | P-384 | P-521
    int bits = 0;     // modulus or field size
    std::string kid;  // base64url(SHA-256(DER SubjectPublicKeyInfo)), 43 characters
    std::string spki_der;
    std::string n, e;               // RSA: minimal big-endian, base64url
    std::string x, y;               // EC: padded to the field size (32, 48, 66 bytes), base64url
    bool from_private_key = false;  // the PEM block held a private key (reduced to its public half)
    std::shared_ptr<evp_pkey_st> pkey;  // the public half only, for signature checks
};

struct LoadedKeys {
    std::vector<PublicKey> keys;
    // Labels of PEM blocks that are not keys (kube-apiserver tolerates and skips them too).
    std::vector<std::string> skipped_blocks;
};

// Every key in a PEM file, in file order. Accepted blocks: PUBLIC KEY, RSA PUBLIC KEY,
// RSA PRIVATE KEY, EC PRIVATE KEY, PRIVATE KEY (PKCS#8, unencrypted) and CERTIFICATE (its key, as
// kube-apiserver's keyutil does). A key block that does not parse, an encrypted key, a key type or
// curve kube-apiserver cannot sign with, or a file without any key is an error.
Result<LoadedKeys> load_pem_keys(std::string_view pem);

// A public key from its DER SubjectPublicKeyInfo (the form `kid` is computed from).
Result<PublicKey> public_key_from_spki_der(std::string_view der);

// A public key rebuilt from a published JWK's members (base64url, as in the JWK): for checking a
// JWKS (kid recomputation) and verifying tokens against it. `crv` is P-256, P-384 or P-521; x and
// y must be exactly the curve's size and the point on the curve.
Result<PublicKey> public_key_from_rsa_members(std::string_view n, std::string_view e);
Result<PublicKey> public_key_from_ec_members(std::string_view crv, std::string_view x,
                                             std::string_view y);

// kube-apiserver's keyIDFromPublicKey: base64url(SHA-256(spki_der)).
std::string key_id_from_spki_der(std::string_view spki_der);

// The JWK exactly as kube-apiserver serves it (go-jose member order, compact):
//   {"use":"sig","kty":"RSA","kid":…,"alg":"RS256","n":…,"e":…}
//   {"use":"sig","kty":"EC","kid":…,"crv":"P-256","alg":"ES256","x":…,"y":…}
void append_jwk(std::string& out, const PublicKey& key);
std::string render_jwk(const PublicKey& key);

}  // namespace piw::oidc
