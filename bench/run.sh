#!/usr/bin/env bash
# HTTP benchmark: the webhook against two ceilings, in one run, on this machine.
#
#   ./bench/run.sh                 # 10 s per server; DURATION=30 ./bench/run.sh for longer runs
#
# Every server is pinned to CPU 0 (taskset -c 0) and wrk to CPU 1, with 16 keep-alive TLS
# connections POSTing the typical AdmissionReview (tests/data/typical-review.json, 5.6 KB):
#   nginx       answers a fixed 1 KB body over TLS               (ceiling: a tuned C server)
#   bare-beast  a minimal Boost.Beast TLS server, fixed 1 KB body (ceiling: our HTTP stack)
#   webhook     pod-identity-webhook, the real admission, decision log line at info level
#   webhook-warn  the same with --log-level=warn (no per-request log line)
# then the Google Benchmark of the mutation core. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source bench/common.sh
duration=${DURATION:-10}
connections=${CONNECTIONS:-16}

./scripts/install-deps.sh wrk nginx-light
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIW_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target pod-identity-webhook bare_beast_server piw_micro_bench >/dev/null

work=$(mktemp -d /tmp/piw-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

make_tls_cert "$work"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/body-1k"
write_post_lua "$root" "$work/post.lua"

nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_body_buffer_size 64k;
    location / { default_type application/json; return 200 "$(cat "$work/body-1k")"; }
  }
}
NGINX
taskset -c 0 nginx -c "$work/nginx.conf" >/dev/null 2>&1 &
pids+=($!)

beast_port=$(free_port)
taskset -c 0 build/bench/bench/bare_beast_server "$beast_port" "$work/tls.crt" "$work/tls.key" 1 \
  >/dev/null 2>&1 &
pids+=($!)

start_webhook() {  # name port extra-args...
  taskset -c 0 build/bench/pod-identity-webhook --bind-address=127.0.0.1 --port="$2" \
    --metrics-port="$(free_port)" --tls-cert="$work/tls.crt" --tls-key="$work/tls.key" \
    --service-accounts-file="$root/tests/data/typical-sa.yaml" --aws-default-region=eu-west-1 \
    "${@:3}" >/dev/null 2>"$work/$1.log" &
  pids+=($!)
}
webhook_port=$(free_port)
start_webhook webhook "$webhook_port"
webhook_warn_port=$(free_port)
start_webhook webhook-warn "$webhook_warn_port" --log-level=warn

for port in "$nginx_port" "$beast_port" "$webhook_port" "$webhook_warn_port"; do wait_https "$port"; done
# The answer must be a real mutation, not an error page.
curl -sS --cacert "$work/tls.crt" -H 'Content-Type: application/json' \
  --data @tests/data/typical-review.json "https://127.0.0.1:$webhook_port/mutate" \
  | grep -q '"patchType":"JSONPatch"' || { echo "the webhook did not mutate the review" >&2; exit 1; }

run_wrk() {  # name port path
  local out
  taskset -c 1 wrk -t1 -c"$connections" -d2s -s "$work/post.lua" "https://127.0.0.1:$2$3" >/dev/null  # warm-up
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" -s "$work/post.lua" --latency "https://127.0.0.1:$2$3")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${errors:-none}"
  echo "$1 $rps" >> "$work/rates"
}

echo
echo "## HTTP: $connections keep-alive TLS connections, ${duration}s, server on CPU 0, wrk on CPU 1"
echo
echo "| server | req/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
run_wrk nginx "$nginx_port" /
run_wrk bare-beast "$beast_port" /
run_wrk webhook "$webhook_port" /mutate
run_wrk webhook-warn "$webhook_warn_port" /mutate
echo
awk '{rate[$1]=$2} END {
  printf "webhook / nginx = %.0f %%, webhook / bare-beast = %.0f %% (info logs); with --log-level=warn: %.0f %% / %.0f %%\n",
    100*rate["webhook"]/rate["nginx"], 100*rate["webhook"]/rate["bare-beast"],
    100*rate["webhook-warn"]/rate["nginx"], 100*rate["webhook-warn"]/rate["bare-beast"] }' "$work/rates"
echo
echo "## Mutation core (Google Benchmark, CPU 1)"
echo
taskset -c 1 build/bench/bench/piw_micro_bench --benchmark_min_time=1 2>/dev/null | grep -E '^(Benchmark|BuildPatch|Admission|Nlohmann|-)'
