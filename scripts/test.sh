#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine: installs the build dependencies,
# builds, runs every test; then builds again with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs every test once more.
#
#   ./scripts/test.sh            # both passes
#   PIW_SKIP_SANITIZERS=1 ./scripts/test.sh   # the plain pass only
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)

echo "== build (RelWithDebInfo) =="
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/test -j "$jobs"
echo "== tests =="
ctest --test-dir build/test --output-on-failure -j "$jobs"

if [ "${PIW_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== build (Debug, -fsanitize=address,undefined) =="
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPIW_SANITIZERS=ON \
        -DPIW_BUILD_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  echo "== tests under sanitizers =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
fi
echo "all tests passed"
