#pragma once
// Serialises an HttpResponse into the bytes of one HTTP/1.1 response (status line, headers, body)
// in a reused buffer, so that the response goes out in a single write and, once the buffer has
// grown, without allocating.

#include <string>
#include <string_view>

#include "pod_identity_webhook/server/http.hpp"

namespace piw::server::detail {

struct ResponseFraming {
    bool close = false;          // adds "Connection: close"
    bool keep_alive_10 = false;  // HTTP/1.0 client that asked for keep-alive
    bool head = false;           // HEAD request: Content-Length of the body, but no body
};

// Replaces `out` with the response bytes. Extra headers with CR/LF in them, or that would
// contradict the framing (Content-Length, Transfer-Encoding, Connection), are dropped.
void serialize_response(const HttpResponse& response, const ResponseFraming& framing,
                        std::string& out);

// Go's reason phrases (net/http.StatusText) for the codes we use; "" for unknown codes.
std::string_view reason_phrase(int status);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per thread and
// second.
std::string_view http_date_now();

}  // namespace piw::server::detail
