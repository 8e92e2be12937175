// piw_fake_apiserver: the test suite's fake Kubernetes API server as a program, for bench/
// scripts and manual runs. It serves generated ServiceAccounts over HTTPS on 127.0.0.1, writes
// DIR/kubeconfig and DIR/ca.crt, prints one line with its port, and runs until SIGTERM/SIGINT.
//
//   piw_fake_apiserver --dir=/tmp/api --service-accounts=100000 [--namespaces=100]
//                      [--annotate-every=10] [--port=0] [--bookmark-interval-ms=0]

#include <pthread.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "support/fake_api_server.hpp"

namespace {

struct Flags {
    std::size_t service_accounts = 0;
    std::size_t namespaces = 100;
    std::size_t annotate_every = 10;
    std::string dir;
    unsigned short port = 0;
    std::int64_t bookmark_interval_ms = 0;
};

std::optional<std::uint64_t> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "piw_fake_apiserver: " << problem << "\n"
              << "usage: piw_fake_apiserver --dir=DIR [--service-accounts=N] [--namespaces=N]\n"
                 "       [--annotate-every=N] [--port=N] [--bookmark-interval-ms=N]\n";
    std::exit(2);
}

Flags parse_flags(int argc, char** argv) {
    Flags flags;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        const std::size_t equals = arg.find('=');
        if (arg.substr(0, 2) != "--" || equals == std::string_view::npos) {
            usage("unexpected argument " + std::string(arg));
        }
        const std::string_view name = arg.substr(2, equals - 2);
        const std::string_view value = arg.substr(equals + 1);
        if (name == "dir") {
            flags.dir = value;
            continue;
        }
        const auto number = parse_number(value);
        if (!number) usage("--" + std::string(name) + " wants a number");
        if (name == "service-accounts") {
            flags.service_accounts = static_cast<std::size_t>(*number);
        } else if (name == "namespaces") {
            flags.namespaces = static_cast<std::size_t>(*number);
        } else if (name == "annotate-every") {
            flags.annotate_every = static_cast<std::size_t>(*number);
        } else if (name == "port") {
            if (*number > 65535) usage("--port out of range");
            flags.port = static_cast<unsigned short>(*number);
        } else if (name == "bookmark-interval-ms") {
            flags.bookmark_interval_ms = static_cast<std::int64_t>(*number);
        } else {
            usage("unknown flag --" + std::string(name));
        }
    }
    if (flags.dir.empty()) usage("--dir is required");
    return flags;
}

}  // namespace

int main(int argc, char** argv) {
    const Flags flags = parse_flags(argc, argv);

    // Blocked before any thread starts, so every server thread inherits the mask and the signal
    // is taken only by sigwait below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        piw::testing::FakeApiServerOptions options;
        options.bookmark_interval = std::chrono::milliseconds(flags.bookmark_interval_ms);
        piw::testing::FakeApiServer api(options);
        if (flags.service_accounts > 0) {
            api.add_generated_service_accounts(flags.service_accounts, flags.namespaces,
                                               flags.annotate_every);
        }
        const unsigned short port = api.start(flags.port);
        const std::filesystem::path dir(flags.dir);
        std::filesystem::create_directories(dir);
        api.write_kubeconfig(dir / "kubeconfig");
        api.write_ca(dir / "ca.crt");
        std::cout << "fake-apiserver listening port=" << port
                  << " service_accounts=" << api.service_account_count() << std::endl;

        int received = 0;
        sigwait(&signals, &received);
        api.stop();
    } catch (const std::exception& error) {
        std::cerr << "piw_fake_apiserver: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
