#include "pod_identity_webhook/kube/client.hpp"

#include <exception>
#include <string>
#include <utility>

#include "kube/httplib_client.hpp"

namespace piw::kube {

Result<std::unique_ptr<KubeClient>> KubeClient::create(ClientConfig config) {
    try {
        return create_httplib_client(std::move(config));
    } catch (const std::exception& error) {
        return Error{std::string("cannot create the Kubernetes API client: ") + error.what()};
    }
}

}  // namespace piw::kube
