// Tokens are the most exposed input of the oidc room (`oidc verify-token` reads whatever file or
// stdin it is given): parse_compact_jws and verify_token against a fixed key set (one RSA, two EC
// keys) at a fixed clock, plus the strict base64url decoder every part goes through.
//
// A custom mutator edits the decoded header, payload or signature and re-encodes it: byte
// mutations of base64url text almost never stay valid JSON, which would leave the claim checks
// unexplored.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "pod_identity_webhook/oidc/base64url.hpp"
#include "pod_identity_webhook/oidc/jwt.hpp"
#include "pod_identity_webhook/oidc/published.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using piw::fuzz::require;
using namespace piw::oidc;

// fuzz/corpus/documents/jwks.json: the public halves of the keys the seed tokens name (the
// RS256 seed is validly signed).
constexpr std::string_view kJwks =
    R"({"keys":[{"use":"sig","kty":"RSA","kid":"8OVHaoFsQQBUnBAtnwp9eIjYCEGohBPuTa3XGmFY6rg",)"
    R"("alg":"RS256","n":"rVuY5E2GU6qubMytqvnHeAMc3aVvBJTJmfQtyWjh1TE_BY9Me-ty4f-wS26APfzpka7Ebol)"
    R"(mN9N6zWV_mhx6mN7RhQCZdCz295vcmslOSn38KIy18rnN7haNgKmnT7Exx97vr4sS3BixHd6kuqhoKZH_wXkXQE2m)"
    R"(NbZPb4ZDn9WV9Tp7HNej2w3IWmGAhgtIkINq0ReKiuXHl5DA4a2pkKNyBng7-AbifEw_4O9Bh1nBg2nUxv0-GBGFY)"
    R"(cKrUed4zjkS4uEz487ii97f1VezZinJP28_9yRTs1diNzZ6uyZi_ZIjEZ4lvdciFICM3CXirrokJh1cAyNSrQ1SXo)"
    R"(UzNQ","e":"AQAB"},{"use":"sig","kty":"EC","kid":"w04APJZz8oWEzZN1ApBEYmIMHl-Yof16SnG95Ug-h)"
    R"(GU","crv":"P-256","alg":"ES256","x":"p_HrbyR8EH3dwHOsm_7L-72CQ_mS3pixoxO8S7JooKw","y":"Oq)"
    R"(xf8wSL_JxU4ok8lsSU4e7iwv6CeV0uinF-cmnVv-o"},{"use":"sig","kty":"EC","kid":"jJRm27WkjmdVDx6)"
    R"(CxvNRWskL4GEQd8Ros0tNJVIyUC4","crv":"P-384","alg":"ES384","x":"C2IO98n_Tu4ikLLS_PmzAOCOet)"
    R"(_crphmeBzqYZzf78qEA-ClR56MYiIMYgBd_KIF","y":"rmxTz1d9WvUpdv79lBQCQh4Z6NeD77K8KUkYSjlUEL1oz)"
    R"(BVE0nxQD-xKnNTH2n8a"}]})";
constexpr std::string_view kIssuer = "https://oidc.example.com/cluster-a";
constexpr std::int64_t kNow = 1700000000;  // inside the seed tokens' lifetime

const std::vector<PublicKey>& keys() {
    static const std::vector<PublicKey> loaded = [] {
        auto jwks = parse_jwks(kJwks);
        require(jwks.ok(), "the fixed JWKS parses");
        std::vector<PublicKey> out = verification_keys(*jwks);
        require(out.size() == 3, "the fixed JWKS has three usable keys");
        return out;
    }();
    return loaded;
}

// Strict decoding admits one encoding per byte string, so decoding and encoding again must give
// the text back (otherwise a token could be re-encoded without breaking its signature).
void check_base64url(std::string_view text) {
    const auto bytes = base64url_decode(text);
    if (bytes) require(base64url_encode(*bytes) == text, "base64url decode/encode round trip");
}

void check_report(const TokenReport& report) {
    if (!report.parsed) {
        require(report.findings.size() == 1 && report.findings[0].code == "token-malformed",
                "an unparsed token has exactly the token-malformed finding");
        return;
    }
    require(report.jws.header.is_object() && report.jws.claims.is_object(),
            "a parsed token has object header and claims");
    // Every path that leaves the signature unverified reports why.
    require(!report.findings.empty() || !report.verified_kid.empty(),
            "a token without findings has a verified signature");
}

std::vector<std::string> split_parts(std::string_view token) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = token.find('.', start);
        parts.emplace_back(token.substr(start, dot - start));
        if (dot == std::string_view::npos) return parts;
        start = dot + 1;
    }
}

// Mutates the decoded bytes of one part of a three-part token; 0 when the input is not one.
std::size_t mutate_decoded_part(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                unsigned int seed) {
    std::vector<std::string> parts = split_parts(piw::fuzz::as_text(data, size));
    if (parts.size() != 3) return 0;
    std::string& part = parts[std::minstd_rand(seed)() % 3];
    const auto decoded = base64url_decode(part);
    if (!decoded) return 0;
    std::string buffer = *decoded;
    buffer.resize(buffer.size() * 2 + 64);
    const std::size_t length = LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(buffer.data()),
                                                decoded->size(), buffer.size());
    part = base64url_encode(std::string_view(buffer).substr(0, length));
    const std::string token = parts[0] + "." + parts[1] + "." + parts[2];
    if (token.size() > max_size) return 0;
    std::memcpy(data, token.data(), token.size());
    return token.size();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
    // One mutation in four stays a plain byte mutation, so the parser's refusals get fuzzed too.
    if (seed % 4 != 0) {
        if (const std::size_t length = mutate_decoded_part(data, size, max_size, seed / 4)) {
            return length;
        }
    }
    return LLVMFuzzerMutate(data, size, max_size);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = piw::fuzz::as_text(data, size);
    check_base64url(input);

    TokenExpectations expected;
    expected.issuer = kIssuer;
    expected.now = kNow;
    const TokenReport report = verify_token(input, keys(), expected);
    check_report(report);
    if (report.parsed) {
        // Every key, not just the kid's: the algorithm/key-type/curve pairings.
        for (const PublicKey& key : keys()) (void)verify_signature(report.jws, key);
        // What `oidc verify-token` does with them: copy and print (both recurse per level).
        const nlohmann::json shown = {{"header", report.jws.header}, {"claims", report.jws.claims}};
        (void)shown.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return 0;
}
