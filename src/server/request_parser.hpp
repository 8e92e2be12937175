#pragma once
// The request parser: Beast's HTTP/1.1 parser with our own callbacks, so that a request goes
// straight into an HttpRequest (no intermediate header container) and the limits of decision S3
// apply while bytes arrive — header bytes, header field count, and the body limit for
// Content-Length and chunked bodies alike.

#include <optional>
#include <utility>

#include <boost/beast/http/basic_parser.hpp>

#include <cstddef>
#include <cstdint>

#include "pod_identity_webhook/server/http.hpp"

namespace piw::server::detail {

class RequestParser final : public boost::beast::http::basic_parser<true> {
  public:
    // Fills `request` (whose strings are cleared first, keeping their capacity).
    RequestParser(HttpRequest& request, std::size_t max_header_bytes, std::size_t max_header_fields,
                  std::size_t max_body_bytes);

    // HTTP minor version as 10 or 11; valid once the request line is parsed.
    [[nodiscard]] int http_version() const { return http_version_; }
    [[nodiscard]] bool expects_continue() const { return expects_continue_; }
    [[nodiscard]] bool too_many_fields() const { return too_many_fields_; }

  private:
    using error_code = boost::beast::error_code;

    void on_request_impl(boost::beast::http::verb method, std::string_view method_text,
                         std::string_view target, int version, error_code& ec) override;
    void on_response_impl(int status, std::string_view reason, int version,
                          error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, std::string_view name_text,
                       std::string_view value, error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           error_code& ec) override;
    std::size_t on_body_impl(std::string_view data, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t size, std::string_view extensions,
                              error_code& ec) override;
    std::size_t on_chunk_body_impl(std::uint64_t remain, std::string_view data,
                                   error_code& ec) override;
    void on_finish_impl(error_code& ec) override;

    void append_body(std::string_view data);

    HttpRequest& request_;
    std::size_t max_header_fields_;
    std::size_t max_body_bytes_;
    std::size_t header_fields_ = 0;
    std::size_t expected_body_bytes_ = 0;  // Content-Length, or 0 when unknown (chunked)
    int http_version_ = 11;
    bool expects_continue_ = false;
    bool too_many_fields_ = false;
    bool content_type_seen_ = false;
};

}  // namespace piw::server::detail
