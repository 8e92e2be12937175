#!/usr/bin/env bash
# The libFuzzer targets of the oidc room (fuzz/, docs/fuzzing.md): builds them with clang,
# ASan and UBSan in build/fuzz, then runs each for SECONDS over its checked-in seeds plus what
# earlier runs found (build/fuzz/corpus/TARGET). Fails if any target crashes, leaks, times out
# or breaks an invariant; the input is saved as build/fuzz/artifacts/TARGET-*.
#
#   ./scripts/fuzz.sh            # 30 s per target
#   ./scripts/fuzz.sh 600        # 10 minutes per target
#   PIW_FUZZ_TARGETS="jws pem" ./scripts/fuzz.sh 60
#   build/fuzz/fuzz/fuzz_jws build/fuzz/artifacts/jws-crash-…   # replay one input
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
targets=${PIW_FUZZ_TARGETS:-jws documents pem trust_policy}
jobs=${PIW_BUILD_JOBS:-$(nproc)}
build=build/fuzz

./scripts/install-deps.sh clang libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes
echo "== build (clang, libFuzzer + ASan + UBSan) =="
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER="${PIW_FUZZ_CXX:-clang++}" -DPIW_FUZZ=ON \
      -DPIW_BUILD_TESTS=OFF -DPIW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target piw_fuzz

# Inputs up to a little past each parser's size cap, so the caps themselves get exercised.
max_len() {
  case "$1" in
    jws) echo 20500 ;;   # kMaxTokenLength 20000
    *) echo 66000 ;;     # kMaxDocumentBytes, kMaxKeyFileBytes, the policy cap: 64 KiB
  esac
}

mkdir -p "$build/artifacts"
failed=()
summary=()
for target in $targets; do
  echo "== fuzz_$target for ${seconds}s =="
  corpus="$build/corpus/$target"   # new inputs land in the first directory
  mkdir -p "$corpus"
  dict=()
  case "$target" in documents|trust_policy) dict=(-dict=fuzz/json.dict) ;; esac
  log="$build/fuzz_$target.log"
  status=0
  # A small stack makes recursion that grows with the input's nesting crash on modest inputs
  # (the deep-nesting seeds) instead of hiding behind 8 MiB.
  (
    ulimit -s "${PIW_FUZZ_STACK_KB:-512}"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      exec "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$target")" -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$build/artifacts/$target-" "$corpus" "fuzz/corpus/$target"
  ) >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    failed+=("$target")
    summary+=("fuzz_$target: FAILED (exit $status), see $log")
  else
    summary+=("fuzz_$target: ${runs:-?} runs in ${seconds}s, ${coverage:-cov: ?}, clean")
  fi
done

echo "== summary =="
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
