#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine: installs the build dependencies
# (helm/kubectl for the chart checks, node and the AWS SDK for JavaScript for tests/e2e), builds,
# runs every test; then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# every test once more; then fuzzes the oidc parsers briefly (scripts/fuzz.sh); then builds the
# container image and runs it (scripts/build-image.sh).
#
#   ./scripts/test.sh                          # everything
#   PIW_SKIP_SANITIZERS=1 ./scripts/test.sh    # without the sanitizer pass
#   PIW_SKIP_FUZZ=1 ./scripts/test.sh          # without the short fuzzing pass
#   PIW_SKIP_IMAGE=1 ./scripts/test.sh         # without the container image
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-helm.sh
./scripts/install-e2e-deps.sh   # the AWS SDK for JavaScript v3 (tests/e2e)
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

if [ "${PIW_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzzing the oidc parsers (${PIW_FUZZ_SECONDS:-20} s per target; scripts/fuzz.sh) =="
  ./scripts/fuzz.sh "${PIW_FUZZ_SECONDS:-20}"
fi

if [ "${PIW_SKIP_IMAGE:-0}" != "1" ]; then
  echo "== container image (build, run, /healthz and one mutation over TLS) =="
  ./scripts/build-image.sh
fi
echo "all tests passed"
