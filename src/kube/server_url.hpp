#pragma once
// The API server URL split into what a connection needs (private to the kube room).

#include <string>
#include <string_view>

#include "pod_identity_webhook/common/result.hpp"

namespace piw::kube {

struct ServerUrl {
    bool tls = true;   // https (false: http)
    std::string host;  // without IPv6 brackets
    int port = 443;    // explicit or the scheme's default
    bool explicit_port = false;
    std::string path_prefix;  // "" or "/prefix" (no trailing '/'), prepended to every request
    bool host_is_ip = false;  // IPv4 or IPv6 literal

    // host[:port] as it goes in a Host header or a message (IPv6 bracketed).
    [[nodiscard]] std::string authority() const;
};

// Accepts http:// and https:// URLs with a host, an optional port (1-65535) and an optional path;
// refuses user info, queries and fragments. The error says what is wrong with `url`.
Result<ServerUrl> parse_server_url(std::string_view url);

// True for an IPv4 or IPv6 literal (no brackets).
bool is_ip_literal(const std::string& host);

}  // namespace piw::kube
