#pragma once
// A kubeconfig file pointing at a test server: one cluster (server URL + inline CA), one user
// (bearer token), one context, current-context set. What the fake servers hand to the webhook
// binary and to piw::kube::load_kubeconfig.
//
//   write_token_kubeconfig(dir / "kubeconfig", host.base_url(), host.ca_pem(), "test-token");
//
// Test code only: errors throw std::runtime_error.

#include <filesystem>
#include <string>

namespace piw::testing {

// `token` empty: the user has no credentials (requests go out without Authorization).
void write_token_kubeconfig(const std::filesystem::path& file, const std::string& server,
                            const std::string& ca_pem, const std::string& token);

}  // namespace piw::testing
