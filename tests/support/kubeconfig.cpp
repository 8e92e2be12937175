#include "support/kubeconfig.hpp"

#include "support/fake_api_json.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {

void write_token_kubeconfig(const std::filesystem::path& file, const std::string& server,
                            const std::string& ca_pem, const std::string& token) {
    // Double-quoted YAML scalars use JSON's escapes.
    std::string text = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n";
    text += "    certificate-authority-data: " + fake_api::base64_encode(ca_pem) + "\n";
    text += "    server: " + fake_api::json_string(server) + "\n";
    text += "  name: fake-cluster\n";
    text += "contexts:\n- context:\n    cluster: fake-cluster\n    user: fake-user\n";
    text += "  name: fake\ncurrent-context: fake\npreferences: {}\n";
    text += "users:\n- name: fake-user\n  user:\n";
    text += "    token: " + fake_api::json_string(token) + "\n";  // "" is no credentials
    write_file(file, text);
}

}  // namespace piw::testing
