#pragma once
// JSON strings as Go's encoding/json writes them by default, which is how kube-apiserver writes
// the discovery documents: common's writer plus Go's HTML escaping of '<', '>' and '&'.

#include "pod_identity_webhook/common/json_text.hpp"

#include <string>
#include <string_view>

namespace piw::oidc::detail {

inline void append_go_json_string(std::string& out, std::string_view text) {
    std::string quoted;
    json::append_string(quoted, text);
    // json::append_string never emits these bytes as part of an escape, so every occurrence is
    // a literal character that Go would have escaped.
    for (const char c : quoted) {
        switch (c) {
            case '<':
                out.append("\\u003c");
                break;
            case '>':
                out.append("\\u003e");
                break;
            case '&':
                out.append("\\u0026");
                break;
            default:
                out.push_back(c);
        }
    }
}

}  // namespace piw::oidc::detail
