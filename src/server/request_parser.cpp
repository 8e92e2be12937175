#include "server/request_parser.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <limits>

namespace piw::server::detail {
namespace {

// A body buffer starts at most this big, whatever Content-Length announces, and grows as bytes
// actually arrive: a client that announces 8 MiB and sends nothing must not cost 8 MiB.
constexpr std::size_t kInitialBodyReserve = 256U * 1024U;
constexpr std::size_t kUnknownLengthReserve = 16U * 1024U;

}  // namespace

RequestParser::RequestParser(HttpRequest& request, std::size_t max_header_bytes,
                             std::size_t max_header_fields, std::size_t max_body_bytes)
    : request_(request), max_header_fields_(max_header_fields), max_body_bytes_(max_body_bytes) {
    header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    body_limit(static_cast<std::uint64_t>(max_body_bytes));
    eager(true);
    request_.method.clear();
    request_.target.clear();
    request_.content_type.clear();
    request_.body.clear();
}

void RequestParser::on_request_impl(boost::beast::http::verb /*method*/,
                                    std::string_view method_text, std::string_view target,
                                    int version, error_code& /*ec*/) {
    request_.method.assign(method_text);
    request_.target.assign(target);
    http_version_ = version;
}

void RequestParser::on_response_impl(int /*status*/, std::string_view /*reason*/, int /*version*/,
                                     error_code& ec) {
    ec = boost::beast::http::error::bad_method;  // a request parser never sees a status line
}

void RequestParser::on_field_impl(boost::beast::http::field name, std::string_view /*name_text*/,
                                  std::string_view value, error_code& ec) {
    if (++header_fields_ > max_header_fields_) {
        too_many_fields_ = true;
        ec = boost::beast::http::error::header_limit;
        return;
    }
    switch (name) {
        case boost::beast::http::field::content_type:
            // Like Go's Header.Get: the first one counts.
            if (!content_type_seen_) {
                request_.content_type.assign(value);
                content_type_seen_ = true;
            }
            break;
        case boost::beast::http::field::expect:
            expects_continue_ = boost::beast::iequals(value, "100-continue");
            break;
        default:
            break;
    }
}

void RequestParser::on_header_impl(error_code& /*ec*/) {}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& /*ec*/) {
    // The parser has already refused a Content-Length above the limit.
    expected_body_bytes_ =
        content_length
            ? static_cast<std::size_t>(std::min<std::uint64_t>(*content_length, max_body_bytes_))
            : 0;
    const std::size_t initial = content_length ? std::min(expected_body_bytes_, kInitialBodyReserve)
                                               : kUnknownLengthReserve;
    request_.body.reserve(initial + kBodyPadding);
}

void RequestParser::append_body(std::string_view data) {
    std::string& body = request_.body;
    const std::size_t needed = body.size() + data.size() + kBodyPadding;
    if (body.capacity() < needed) {
        // Double, but never beyond what this body can still become: the announced length, or
        // the body limit for a chunked body.
        const std::size_t ceiling =
            (expected_body_bytes_ > 0 ? expected_body_bytes_ : max_body_bytes_) + kBodyPadding;
        body.reserve(std::max(needed, std::min(body.capacity() * 2, ceiling)));
    }
    body.append(data);
}

std::size_t RequestParser::on_body_impl(std::string_view data, error_code& /*ec*/) {
    append_body(data);
    return data.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t /*size*/, std::string_view /*extensions*/,
                                         error_code& /*ec*/) {}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t /*remain*/, std::string_view data,
                                              error_code& /*ec*/) {
    append_body(data);
    return data.size();
}

void RequestParser::on_finish_impl(error_code& /*ec*/) {
    // Guarantee the padding even for an empty body.
    if (request_.body.capacity() < request_.body.size() + kBodyPadding) {
        request_.body.reserve(request_.body.size() + kBodyPadding);
    }
}

}  // namespace piw::server::detail
