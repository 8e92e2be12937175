// `oidc trust-policy --evaluate` and `verify-token --trust-policy` read a role's trust policy
// (from a file or `aws iam get-role`): evaluate_trust_policy and check_trust_policy_for_issuer on
// arbitrary JSON, and IAM's StringLike matcher they rely on.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "pod_identity_webhook/oidc/trust_policy.hpp"

namespace {

using piw::fuzz::require;
using piw::oidc::check_trust_policy_for_issuer;
using piw::oidc::evaluate_trust_policy;
using piw::oidc::string_like;

constexpr std::string_view kSub = "system:serviceaccount:default:app";
constexpr std::string_view kAud = "sts.amazonaws.com";
constexpr std::string_view kIssuer = "https://oidc.example.com/cluster-a";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = piw::fuzz::as_text(data, size);
    (void)evaluate_trust_policy(input, kSub, kAud);
    (void)evaluate_trust_policy(input, "", "");
    (void)check_trust_policy_for_issuer(input, kIssuer);

    // Every character, '*' and '?' included, matches itself.
    const std::string_view head = input.substr(0, 512);
    require(string_like(head, head), "a pattern matches its own text");
    const std::size_t newline = head.find('\n');
    if (newline != std::string_view::npos) {
        (void)string_like(head.substr(0, newline), head.substr(newline + 1));
    }
    return 0;
}
