#include "server/response_writer.hpp"

#include <boost/beast/core/string.hpp>

#include <array>
#include <charconv>
#include <ctime>

namespace piw::server::detail {
namespace {

bool has_line_break(std::string_view text) {
    return text.find_first_of("\r\n") != std::string_view::npos;
}

bool is_framing_header(std::string_view name) {
    return boost::beast::iequals(name, "content-length") ||
           boost::beast::iequals(name, "transfer-encoding") ||
           boost::beast::iequals(name, "connection");
}

void append_number(std::string& out, std::size_t value) {
    std::array<char, 24> digits{};
    const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), result.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

void append_two_digits(char* out, int value) {
    out[0] = static_cast<char>('0' + value / 10);
    out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Request Entity Too Large";
        case 414:
            return "Request URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

std::string_view http_date_now() {
    struct Cache {
        std::time_t second = -1;
        std::array<char, 29> text{};
    };
    thread_local Cache cache;
    const std::time_t now = std::time(nullptr);
    if (now != cache.second) {
        static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                               "Thu", "Fri", "Sat"};
        static constexpr std::array<std::string_view, 12> kMonths{
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::tm utc{};
        gmtime_r(&now, &utc);
        char* out = cache.text.data();
        const auto day = kDays[static_cast<std::size_t>(utc.tm_wday % 7)];
        const auto month = kMonths[static_cast<std::size_t>(utc.tm_mon % 12)];
        const int year = utc.tm_year + 1900;
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        out[0] = day[0], out[1] = day[1], out[2] = day[2], out[3] = ',', out[4] = ' ';
        append_two_digits(out + 5, utc.tm_mday);
        out[7] = ' ';
        out[8] = month[0], out[9] = month[1], out[10] = month[2], out[11] = ' ';
        append_two_digits(out + 12, (year / 100) % 100);
        append_two_digits(out + 14, year % 100);
        out[16] = ' ';
        append_two_digits(out + 17, utc.tm_hour);
        out[19] = ':';
        append_two_digits(out + 20, utc.tm_min);
        out[22] = ':';
        append_two_digits(out + 23, utc.tm_sec);
        out[25] = ' ', out[26] = 'G', out[27] = 'M', out[28] = 'T';
        cache.second = now;
    }
    return {cache.text.data(), cache.text.size()};
}

void serialize_response(const HttpResponse& response, const ResponseFraming& framing,
                        std::string& out) {
    const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
    const bool body_allowed = status >= 200 && status != 204 && status != 304;
    out.clear();
    out.append("HTTP/1.1 ");
    append_number(out, static_cast<std::size_t>(status));
    out.push_back(' ');
    out.append(reason_phrase(status));
    out.append("\r\n");
    if (!response.content_type.empty() && !has_line_break(response.content_type)) {
        append_header(out, "Content-Type", response.content_type);
    }
    append_header(out, "Date", http_date_now());
    for (const auto& [name, value] : response.headers) {
        if (name.empty() || has_line_break(name) || has_line_break(value) ||
            name.find(':') != std::string::npos || is_framing_header(name)) {
            continue;
        }
        append_header(out, name, value);
    }
    if (body_allowed) {
        out.append("Content-Length: ");
        append_number(out, response.body.size());
        out.append("\r\n");
    }
    if (framing.close) {
        out.append("Connection: close\r\n");
    } else if (framing.keep_alive_10) {
        out.append("Connection: keep-alive\r\n");
    }
    out.append("\r\n");
    if (body_allowed && !framing.head) out.append(response.body);
}

}  // namespace piw::server::detail
