#!/usr/bin/env bash
# Scale benchmark for the Kubernetes API source (issue 3): the fake API server (tests/tools)
# holds N realistic ServiceAccounts (labels, secrets, managedFields; every 10th annotated with
# a role); the webhook starts with --kubeconfig and we measure
#   - time from exec to the first /readyz 200 (the initial paginated LIST, 500 per page), and
#   - RSS (and peak RSS) once synced.
# Usage: bench/kube_sync.sh [N...]      (default: 10000 100000 300000)
# Builds Release (-O2) into build/bench-kube (PIW_BENCH_BUILD=DIR uses an existing build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(10000 100000 300000)
. "$ROOT/bench/common.sh"

BUILD=${PIW_BENCH_BUILD:-}
if [ -z "$BUILD" ]; then
  ./scripts/install-deps.sh curl
  BUILD=$ROOT/build/bench-kube
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIW_BUILD_BENCH=OFF >/dev/null
  cmake --build "$BUILD" --target pod-identity-webhook piw_fake_apiserver >/dev/null
fi
WEBHOOK=$BUILD/pod-identity-webhook
FAKE=$BUILD/tests/piw_fake_apiserver
for binary in "$WEBHOOK" "$FAKE"; do
  [ -x "$binary" ] || { echo "missing $binary" >&2; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
make_tls_cert "$WORK"

kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$2/status"; }
now_ms() { date +%s%3N; }

printf '%-10s %-14s %-14s %-14s %s\n' "SAs" "ready (ms)" "RSS (MiB)" "peak (MiB)" "webhook log: LIST"
for count in "${COUNTS[@]}"; do
  dir=$WORK/api-$count; mkdir -p "$dir"
  "$FAKE" --service-accounts="$count" --dir="$dir" > "$dir/out" 2> "$dir/err" &
  fake_pid=$!; PIDS+=("$fake_pid")
  for _ in $(seq 600); do grep -q "listening port=" "$dir/out" 2>/dev/null && break; sleep 0.05; done
  grep -q "listening port=" "$dir/out" || { echo "fake API server did not start" >&2; cat "$dir/err" >&2; exit 1; }

  port=$(free_port); metrics=$(free_port)
  start=$(now_ms)
  "$WEBHOOK" --kubeconfig="$dir/kubeconfig" --port="$port" --metrics-port="$metrics" \
    --bind-address=127.0.0.1 --tls-cert="$WORK/tls.crt" --tls-key="$WORK/tls.key" \
    --in-cluster=false 2> "$dir/webhook.log" &
  webhook_pid=$!; PIDS+=("$webhook_pid")
  ready=""
  for _ in $(seq 6000); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/readyz" || true)
    if [ "$code" = "200" ]; then ready=$(( $(now_ms) - start )); break; fi
    sleep 0.005
  done
  [ -n "$ready" ] || { echo "webhook not ready after 30 s" >&2; tail "$dir/webhook.log" >&2; exit 1; }
  sleep 0.5  # let the allocator settle; RSS is what stays
  rss=$(kib VmRSS "$webhook_pid"); peak=$(kib VmHWM "$webhook_pid")
  listed=$(grep -o 'listed serviceaccounts.*' "$dir/webhook.log" | head -1 || true)
  printf '%-10s %-14s %-14s %-14s %s\n' "$count" "$ready" \
    "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" \
    "$(awk -v k="$peak" 'BEGIN{printf "%.1f", k/1024}')" "$listed"
  kill "$webhook_pid" "$fake_pid"; wait "$webhook_pid" "$fake_pid" 2>/dev/null || true
  PIDS=()
done
