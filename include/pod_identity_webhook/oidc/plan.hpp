#pragma once
// `oidc plan` core (spec/oidc.md §2.1, §2.3, §2.4, §6.2): from bucket, region, prefix, URL style
// and partition to the issuer, the S3 object keys, the public-read bucket policy for exactly the
// two objects and the aws commands; the platform's API server flag snippet (§5).

#include "pod_identity_webhook/oidc/finding.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace piw::oidc {

enum class UrlStyle { regional, path, global };

struct PlanRequest {
    std::string bucket;
    std::string region;
    std::string prefix;  // no leading or trailing '/'; may be empty
    UrlStyle url_style = UrlStyle::regional;
    std::string account;  // optional: the provider ARN needs it
    std::string partition = "aws";
    std::string audience = "sts.amazonaws.com";
};

struct Plan {
    std::string issuer;
    std::string jwks_uri;
    std::string discovery_object_key;   // PREFIX/.well-known/openid-configuration
    std::string jwks_object_key;        // PREFIX/openid/v1/jwks
    std::string provider_arn;           // empty without an account
    std::string condition_key_prefix;   // issuer without https://
    std::string bucket_policy;          // JSON, 2-space indented
    std::vector<std::string> commands;  // the aws CLI lines, in order
    std::vector<Finding> findings;
};

// S3 general-purpose bucket naming rules, plus: no dots with virtual-hosted URLs (the
// *.s3.amazonaws.com wildcard certificate does not cover them).
std::vector<Finding> validate_bucket_name(std::string_view bucket, UrlStyle style);

Plan make_plan(const PlanRequest& request);

enum class Platform { charmed, canonical_k8s, kubeadm, k3s, rke2, microk8s };

struct PlatformSnippet {
    std::vector<std::string> lines;  // what to run or add, in order
    std::vector<Finding> findings;   // what the change does beyond the obvious
};

// The flags that make kube-apiserver sign with `issuer` and advertise `jwks_uri` (§5). For
// Charmed, `current_extra_args` is today's api-extra-args value: `juju config` replaces the whole
// value, so it is merged (issuer and jwks-uri replaced or appended, everything else kept).
PlatformSnippet platform_snippet(Platform platform, std::string_view issuer,
                                 std::string_view jwks_uri, std::string_view current_extra_args);

}  // namespace piw::oidc
