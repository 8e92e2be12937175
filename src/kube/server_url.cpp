#include "kube/server_url.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <string>
#include <string_view>

namespace piw::kube {
namespace {

Error url_error(std::string_view url, std::string_view why) {
    std::string message = "server \"";
    message.append(url);
    message += "\" is not a valid API server URL: ";
    message.append(why);
    return Error{message};
}

bool parse_port(std::string_view text, int& out) {
    if (text.empty()) return false;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    if (value < 1 || value > 65535) return false;
    out = value;
    return true;
}

}  // namespace

bool is_ip_literal(const std::string& host) {
    unsigned char buffer[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string ServerUrl::authority() const {
    std::string out;
    const bool ipv6 = host.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += host;
    if (ipv6) out += ']';
    if (explicit_port) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

Result<ServerUrl> parse_server_url(std::string_view url) {
    ServerUrl parsed;
    std::string_view rest;
    if (url.starts_with("https://")) {
        rest = url.substr(8);
    } else if (url.starts_with("http://")) {
        parsed.tls = false;
        parsed.port = 80;
        rest = url.substr(7);
    } else if (url.find("://") != std::string_view::npos) {
        return url_error(url, "unsupported scheme (want https:// or http://)");
    } else {
        return url_error(url, "not a URL (want https://host[:port])");
    }
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return url_error(url, "a query or fragment is not allowed");
    }
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return url_error(url, "user information is not allowed");
    }
    std::string_view port_text;
    bool has_port = false;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return url_error(url, "unterminated IPv6 address");
        parsed.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return url_error(url, "unexpected text after the IPv6 address");
            port_text = after.substr(1);
            has_port = true;
        }
        if (!is_ip_literal(parsed.host) || parsed.host.find(':') == std::string::npos) {
            return url_error(url, "invalid IPv6 address");
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
            authority = authority.substr(0, colon);
        }
        if (authority.find(':') != std::string_view::npos) {
            return url_error(url, "IPv6 addresses must be in brackets");
        }
        parsed.host = std::string(authority);
    }
    if (parsed.host.empty()) return url_error(url, "no host");
    if (parsed.host.find_first_of(" \t\r\n[]") != std::string::npos) {
        return url_error(url, "invalid host");
    }
    if (has_port) {
        if (!parse_port(port_text, parsed.port)) return url_error(url, "invalid port");
        parsed.explicit_port = true;
    }
    while (path.ends_with('/')) path.remove_suffix(1);
    parsed.path_prefix = std::string(path);
    parsed.host_is_ip = is_ip_literal(parsed.host);
    return parsed;
}

}  // namespace piw::kube
