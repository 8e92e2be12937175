#pragma once
// The heart of the webhook, and pure: pod facts + resolved identity + settings in,
// JSON Patch + warnings out. No I/O, no clock, no globals; randomness comes in as Jitter.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pod_identity_webhook/mutation/identity.hpp"
#include "pod_identity_webhook/mutation/pod_facts.hpp"
#include "pod_identity_webhook/mutation/settings.hpp"

namespace piw::mutation {

// Source of the container-credentials expiration jitter (decision M7).
class Jitter {
  public:
    virtual ~Jitter() = default;
    // A uniformly distributed integer in [low, high].
    virtual std::int64_t uniform(std::int64_t low, std::int64_t high) = 0;
};

// Thread-safe: each thread draws from its own engine, seeded from std::random_device.
class RandomJitter final : public Jitter {
  public:
    std::int64_t uniform(std::int64_t low, std::int64_t high) override;
};

enum class Outcome {
    mutated,                    // the patch adds credentials
    already_mutated,            // credentials were all present: no patch (decision M3)
    no_role,                    // the ServiceAccount has no role and no container-credentials entry
    service_account_not_found,  // no source knows the ServiceAccount
};
std::string_view to_string(Outcome outcome);

struct MutationResult {
    Outcome outcome = Outcome::no_role;
    CredentialMode mode = CredentialMode::none;
    std::string patch;                  // a JSON Patch array; empty when there is nothing to change
    std::vector<std::string> warnings;  // admission warnings, each at most 120 characters
    std::int64_t token_expiration = 0;  // effective expirationSeconds, when a volume is involved
    std::vector<std::string> skipped_containers;  // named by skip-containers and present in the pod
};

inline constexpr std::size_t kMaxWarningLength = 120;

MutationResult build_patch(const PodFacts& pod, const Identity& identity,
                           const MutationSettings& settings, Jitter& jitter);

// The token file path the containers are told about: Go filepath.Join(mount, file), turned into
// C:\... for Windows pods.
std::string token_file_path(std::string_view mount_path, std::string_view token_path, bool windows);

}  // namespace piw::mutation
