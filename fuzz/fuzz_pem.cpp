// Key files (`--key-file`, the API server's --service-account-key-file): load_pem_keys over
// OpenSSL's PEM and DER decoders, and public_key_from_spki_der on the raw bytes. Every key loaded
// must describe itself consistently: its SPKI, its JWK members and its kid agree.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"

namespace {

using piw::fuzz::require;
using namespace piw::oidc;

void check_key(const PublicKey& key) {
    require(key.kid == key_id_from_spki_der(key.spki_der), "kid is SHA-256 of the SPKI");
    const auto from_spki = public_key_from_spki_der(key.spki_der);
    require(from_spki.ok() && from_spki->kid == key.kid, "the SPKI loads again with the same kid");
    const auto from_members = key.type == KeyType::rsa
                                  ? public_key_from_rsa_members(key.n, key.e)
                                  : public_key_from_ec_members(key.crv, key.x, key.y);
    // RSA members are refused only for exponents JWKs never carry (over 8 bytes).
    if (key.type == KeyType::ec) require(from_members.ok(), "EC members rebuild the key");
    if (from_members) require(from_members->kid == key.kid, "the JWK members give the same kid");
    (void)render_jwk(key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = piw::fuzz::as_text(data, size);
    const auto loaded = load_pem_keys(input);
    if (loaded) {
        require(!loaded->keys.empty(), "a loaded key file has a key");
        for (const PublicKey& key : loaded->keys) check_key(key);
    }
    if (const auto key = public_key_from_spki_der(input)) check_key(*key);
    return 0;
}
