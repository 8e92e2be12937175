#!/usr/bin/env bash
# Where a request's time goes: samples the webhook (pinned to CPU 0) with `perf record -e cpu-clock`
# while wrk (CPU 1) POSTs the typical AdmissionReview over 16 keep-alive TLS connections, then
# groups the samples by what they were doing. cpu-clock is a software event, so this works on
# virtual machines without hardware counters.
#
#   ./bench/profile.sh            # needs root for perf; SECONDS_SAMPLED=10 for a longer sample
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source bench/common.sh
./scripts/install-deps.sh wrk linux-perf
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIW_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target pod-identity-webhook >/dev/null

work=$(mktemp -d /tmp/piw-profile-XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
make_tls_cert "$work"
write_post_lua "$root" "$work/post.lua"
port=$(free_port)
taskset -c 0 build/bench/pod-identity-webhook --bind-address=127.0.0.1 --port="$port" --metrics-port=0 \
  --tls-cert="$work/tls.crt" --tls-key="$work/tls.key" --aws-default-region=eu-west-1 \
  --service-accounts-file="$root/tests/data/typical-sa.yaml" >/dev/null 2>"$work/webhook.log" &
server=$!
wait_https "$port"

sampled=${SECONDS_SAMPLED:-5}
taskset -c 1 wrk -t1 -c16 -d"$((sampled + 3))s" -s "$work/post.lua" "https://127.0.0.1:$port/mutate" \
  > "$work/wrk.txt" &
sleep 1
perf record -q -e cpu-clock -F 4000 -p "$server" -o "$work/perf.data" -- sleep "$sampled" 2>/dev/null
wait %2 2>/dev/null || true
echo "wrk: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") req/s while sampled"
echo
perf report -i "$work/perf.data" --no-children --sort dso,symbol -g none 2>/dev/null \
  | awk -f bench/categorise.awk
