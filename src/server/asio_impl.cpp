// The one translation unit that compiles Asio, Asio's SSL support and Beast
// (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are defined project-wide,
// so every other file only sees declarations).
//
// Boost 1.74 with g++ 12 in C++20: <utility> and <optional> must come before Asio.
#include <optional>
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
