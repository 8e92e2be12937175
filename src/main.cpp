#include <iostream>

#include "pod_identity_webhook/cli/commands.hpp"

int main(int argc, char** argv) {
    return piw::cli::run(argc, argv, std::cin, std::cout, std::cerr);
}
