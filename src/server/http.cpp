#include "pod_identity_webhook/server/http.hpp"

namespace piw::server {

std::string_view HttpRequest::path() const {
    const std::string_view whole(target);
    const auto query_start = whole.find('?');
    return query_start == std::string_view::npos ? whole : whole.substr(0, query_start);
}

std::optional<std::string_view> HttpRequest::query(std::string_view name) const {
    const std::string_view whole(target);
    const auto query_start = whole.find('?');
    if (query_start == std::string_view::npos) return std::nullopt;
    std::string_view rest = whole.substr(query_start + 1);
    if (const auto fragment = rest.find('#'); fragment != std::string_view::npos) {
        rest = rest.substr(0, fragment);
    }
    while (!rest.empty()) {
        const auto separator = rest.find('&');
        const std::string_view pair = rest.substr(0, separator);
        rest =
            separator == std::string_view::npos ? std::string_view{} : rest.substr(separator + 1);
        const auto equals = pair.find('=');
        const std::string_view key = pair.substr(0, equals);
        if (key != name) continue;
        if (equals == std::string_view::npos) return std::string_view{};
        return pair.substr(equals + 1);
    }
    return std::nullopt;
}

}  // namespace piw::server
