#!/usr/bin/env bash
# Installs what is needed, builds, and runs the webhook locally on an embedded default:
# a self-signed certificate made on the fly, the example ServiceAccounts file, and a printed
# curl line that sends an example pod and shows the patch. Extra arguments go to the webhook.
#
#   ./scripts/run-local.sh                         # https://localhost:8443, metrics on :9999
#   PORT=9443 ./scripts/run-local.sh --log-format=json
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIW_BUILD_TESTS=OFF \
      -DPIW_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target pod-identity-webhook

dir=build/local
mkdir -p "$dir"
if [ ! -s "$dir/tls.crt" ] || ! openssl x509 -checkend 3600 -noout -in "$dir/tls.crt" >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
fi

port=${PORT:-8443}
metrics_port=${METRICS_PORT:-9999}
cat <<MSG

pod-identity-webhook on https://localhost:${port} (metrics: http://localhost:${metrics_port}/metrics)
ServiceAccounts: examples/service-accounts.yaml (edit it: the webhook reloads it)
In another terminal, send the example pod and show the patch:

  curl -sS --cacert ${dir}/tls.crt -H 'Content-Type: application/json' \\
    --data @examples/admission-review.json https://localhost:${port}/mutate \\
    | jq -r .response.patch | base64 -d | jq .

Or see what it would do to a manifest, offline:

  build/release/pod-identity-webhook mutate -f examples/deployment.yaml \\
    --service-accounts-file examples/service-accounts.yaml --aws-default-region eu-west-1

MSG
exec build/release/pod-identity-webhook \
  --bind-address=127.0.0.1 --port="$port" --metrics-port="$metrics_port" \
  --tls-cert="$dir/tls.crt" --tls-key="$dir/tls.key" \
  --service-accounts-file=examples/service-accounts.yaml \
  --aws-default-region=eu-west-1 --sts-regional-endpoint=true \
  "$@"
