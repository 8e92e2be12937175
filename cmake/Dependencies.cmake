# All dependencies come from Debian bookworm packages (see README "Dependencies").
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)                 # Beast + Asio, header-only
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(simdjson REQUIRED)                   # on-demand parsing of AdmissionReviews
find_package(PkgConfig REQUIRED)
# Debian's cpp-httplib is a shared library; its CPPHTTPLIB_* defines come from pkg-config and are
# mandatory (class layouts must match the .so).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# Asio and Beast are compiled once (src/server/asio_impl.cpp) instead of in every translation unit.
set(PIW_ASIO_DEFINITIONS
    BOOST_ASIO_SEPARATE_COMPILATION
    BOOST_BEAST_SEPARATE_COMPILATION
    BOOST_ASIO_NO_DEPRECATED
    BOOST_BEAST_USE_STD_STRING_VIEW)

add_library(piw_dependencies INTERFACE)
target_link_libraries(piw_dependencies INTERFACE
    Boost::boost OpenSSL::SSL OpenSSL::Crypto nlohmann_json::nlohmann_json yaml-cpp
    spdlog::spdlog fmt::fmt simdjson::simdjson PkgConfig::HTTPLIB Threads::Threads)
