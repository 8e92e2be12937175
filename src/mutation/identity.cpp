#include "pod_identity_webhook/mutation/identity.hpp"

namespace piw {

std::string_view to_string(CredentialMode mode) {
    switch (mode) {
        case CredentialMode::none:
            return "none";
        case CredentialMode::web_identity:
            return "web_identity";
        case CredentialMode::container_credentials:
            return "container_credentials";
    }
    return "unknown";
}

}  // namespace piw
