#!/usr/bin/env bash
# Builds the container image (Dockerfile) with buildah and runs it for real with podman: TLS
# health and readiness, an AdmissionReview through /mutate, /metrics, name resolution inside
# the image, --version through both entrypoints, a graceful stop. Idempotent; run as root on
# Debian bookworm (CI runs it on a fresh machine). Leaves the image in podman's storage.
#
#   ./scripts/build-image.sh                   # builds and tests localhost/pod-identity-webhook:dev
#   PIW_IMAGE=localhost/piw:x ./scripts/build-image.sh
#
# The base image (debian:bookworm-slim) cannot be pulled here: when podman does not have it,
# it is made with debootstrap from Debian's archive (cached in build/image-base/) and imported.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${PIW_IMAGE:-localhost/pod-identity-webhook:dev}
MAX_MB=${PIW_IMAGE_MAX_MB:-40}
BASE=docker.io/library/debian:bookworm-slim
BASE_TARBALL=build/image-base/debian-bookworm-minbase.tar
MIRROR=http://deb.debian.org/debian

if [ "$(id -u)" -ne 0 ]; then
  echo "build-image.sh: run as root (podman/buildah storage and debootstrap need it)" >&2
  exit 1
fi

# --- bookkeeping: step timings, cleanup, failure reports ------------------------------------
timings=()
step_name=""
step_start=0
step() {
  step_end
  step_name=$1
  step_start=$(date +%s.%N)
  echo "== $step_name =="
}
step_end() {
  if [ -n "$step_name" ]; then
    timings+=("$(awk -v start="$step_start" -v end="$(date +%s.%N)" -v name="$step_name" \
                   'BEGIN { printf "%7.1f s  %s", end - start, name }')")
  fi
  step_name=""
}

work=""
rootfs=""
containers=()
cleanup() {
  local name
  for name in "${containers[@]}"; do podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; done
  if [ -n "$rootfs" ] && [ -d "$rootfs" ]; then
    # debootstrap mounts proc and sys inside the target; never delete through a mount
    findmnt -rn -o TARGET | grep "^$rootfs/" | sort -r | xargs -r umount -l 2>/dev/null || true
    rm -rf --one-file-system "$rootfs"
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  local name
  echo "build-image.sh: FAILED: $*" >&2
  for name in "${containers[@]}"; do
    if podman container exists "$name" 2>/dev/null; then
      echo "--- podman logs $name (state: $(podman inspect --format '{{.State.Status}} exit={{.State.ExitCode}}' "$name" 2>/dev/null)) ---" >&2
      podman logs "$name" >&2 2>&1 || true
    fi
  done
  exit 1
}

free_port() {  # a random loopback port nothing listens on
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

# --- 1. packages ----------------------------------------------------------------------------
step "packages"
./scripts/install-deps.sh buildah podman runc debootstrap

# --- 2. base image --------------------------------------------------------------------------
step "base image ($BASE)"
if podman image exists "$BASE"; then
  echo "$BASE is in podman's storage"
else
  if [ ! -s "$BASE_TARBALL" ]; then
    echo "debootstrap --variant=minbase bookworm (cached afterwards in $BASE_TARBALL)"
    mkdir -p "$(dirname "$BASE_TARBALL")"
    rootfs=$(mktemp -d /var/tmp/piw-debootstrap.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$rootfs.log" 2>&1 \
      || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; fail "debootstrap"; }
    rm -f "$rootfs.log"
    # like the official slim image: updates and security from Debian's archive, no docs
    rm -f "$rootfs/etc/apt/sources.list"
    cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR}-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    printf 'APT::Install-Recommends "false";\n' > "$rootfs/etc/apt/apt.conf.d/99no-recommends"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
           "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
           "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
    tar --numeric-owner --xattrs -C "$rootfs" -cf "$BASE_TARBALL.tmp" .
    mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
    rm -rf --one-file-system "$rootfs"
    rootfs=""
  else
    echo "using the cached $BASE_TARBALL"
  fi
  podman import --quiet \
    --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD=["bash"]' \
    --message "debootstrap --variant=minbase bookworm $MIRROR (scripts/build-image.sh)" \
    "$BASE_TARBALL" "$BASE" >/dev/null || fail "podman import $BASE_TARBALL"
  echo "imported $BASE ($(podman image inspect --format '{{.Size}}' "$BASE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
fi

# --- 3. build -------------------------------------------------------------------------------
step "buildah bud $IMAGE"
version=$(sed -n 's/^project(pod_identity_webhook VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || fail "no project VERSION in CMakeLists.txt"
labels=(--label "org.opencontainers.image.version=$version")
if revision=$(git rev-parse HEAD 2>/dev/null); then
  labels+=(--label "org.opencontainers.image.revision=$revision")
fi
if source_url=$(git config --get remote.origin.url 2>/dev/null) && [[ $source_url == https://* ]]; then
  labels+=(--label "org.opencontainers.image.source=$source_url")
fi
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
buildah bud --pull=never --isolation chroot --layers "${labels[@]}" -t "$IMAGE" . \
  || fail "buildah bud"
current=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true  # the image this build replaced, now untagged
fi

# --- 4. run it ------------------------------------------------------------------------------
step "run the image"
run=(podman run --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
# as a restricted pod would: non-root, no capabilities, no privilege escalation, read-only root
# without even a /tmp
hardened=(--read-only --read-only-tmpfs=false --user 65532:65532 --cap-drop=ALL
          --security-opt=no-new-privileges)

work=$(mktemp -d /tmp/piw-image-test.XXXXXX)
chmod 755 "$work"
got=$("${run[@]}" --rm "${hardened[@]}" "$IMAGE" --version 2>"$work/stderr") \
  || fail "--version: $got $(cat "$work/stderr")"
[ "$got" = "v$version" ] || fail "--version printed '$got', expected 'v$version'"
got=$("${run[@]}" --rm "${hardened[@]}" --entrypoint /webhook "$IMAGE" --version 2>"$work/stderr") \
  || fail "/webhook --version: $got $(cat "$work/stderr")"
[ "$got" = "v$version" ] || fail "/webhook --version printed '$got', expected 'v$version'"
echo "--version (both entrypoints): $got"

[ "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" = "65532:65532" ] \
  || fail "the image's USER is not 65532:65532"

# a throwaway CA and a serving certificate for 127.0.0.1/localhost
mkdir -p "$work/certs" "$work/sa"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=piw image test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
  -keyout "$work/certs/tls.key" -out "$work/tls.csr" 2>/dev/null
printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
  'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' > "$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/ext" -out "$work/certs/tls.crt" 2>/dev/null

# the ServiceAccount the example review uses, annotated with a role
review=examples/admission-review.json
namespace=$(jq -r .request.namespace "$review")
service_account=$(jq -r .request.object.spec.serviceAccountName "$review")
uid=$(jq -r .request.uid "$review")
role="arn:aws:iam::111122223333:role/piw-image-test"
cat > "$work/sa/service-accounts.yaml" <<EOF
apiVersion: v1
kind: ServiceAccount
metadata:
  name: $service_account
  namespace: $namespace
  annotations:
    eks.amazonaws.com/role-arn: $role
EOF
# as the deployment mounts them: a Secret with defaultMode 0440 and fsGroup 65532
chown -R root:65532 "$work/certs" "$work/sa"
chmod 0440 "$work/certs"/* "$work/sa"/*
chmod 0644 "$work/ca.crt"

port=$(free_port)
metrics_port=$(free_port)
while [ "$metrics_port" = "$port" ]; do metrics_port=$(free_port); done
name=piw-image-test-$$
containers+=("$name")
"${run[@]}" -d --name "$name" --network host "${hardened[@]}" \
  -v "$work/certs:/etc/webhook/certs:ro" -v "$work/sa:/etc/webhook/sa:ro" \
  "$IMAGE" --port="$port" --metrics-port="$metrics_port" --bind-address=127.0.0.1 \
  --in-cluster=false --service-accounts-file=/etc/webhook/sa/service-accounts.yaml \
  --aws-default-region=eu-west-1 >/dev/null || fail "podman run"

url=https://127.0.0.1:$port
curl_tls=(curl -sS --max-time 5 --cacert "$work/ca.crt")
for _ in $(seq 1 100); do
  if "${curl_tls[@]}" -f -o /dev/null "$url/healthz" 2>/dev/null; then break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$name")" = "true" ] \
    || fail "the container exited before /healthz answered"
  sleep 0.2
done
got=$("${curl_tls[@]}" -w ' %{http_code}' "$url/healthz" 2>&1) || fail "/healthz: $got"
[ "$got" = "ok 200" ] || fail "/healthz answered '$got'"
got=$("${curl_tls[@]}" -w ' %{http_code}' "$url/readyz" 2>&1) || fail "/readyz: $got"
[ "${got##* }" = "200" ] || fail "/readyz answered '$got'"
echo "/healthz and /readyz: 200 over TLS (verified against the test CA)"

"${curl_tls[@]}" -f -H 'Content-Type: application/json' --data-binary "@$review" \
  -o "$work/response.json" "$url/mutate" || fail "POST /mutate"
jq -e --arg uid "$uid" '.response.uid == $uid and .response.allowed == true
                        and .response.patchType == "JSONPatch"' "$work/response.json" >/dev/null \
  || fail "/mutate did not allow with a JSON patch: $(head -c 2000 "$work/response.json")"
jq -r .response.patch "$work/response.json" | base64 -d > "$work/patch.json" \
  || fail "the patch is not base64"
roles=$(jq -r '[.. | objects | select(.name? == "AWS_ROLE_ARN") | .value] | unique | join(" ")' \
  "$work/patch.json") || fail "the patch is not JSON: $(head -c 2000 "$work/patch.json")"
[ "$roles" = "$role" ] || fail "AWS_ROLE_ARN in the patch is '$roles', expected $role"
operations=$(jq length "$work/patch.json")
echo "/mutate: allowed, JSON patch of $operations operations with AWS_ROLE_ARN=$role"

metrics=$(curl -sS -f --max-time 5 "http://127.0.0.1:$metrics_port/metrics") \
  || fail "/metrics on port $metrics_port"
grep -q '^pod_identity_webhook_pod_count{method="sts_web_identity"} 1$' <<<"$metrics" \
  || fail "/metrics does not count the mutated pod: $(grep pod_count <<<"$metrics")"
echo "/metrics: answers, counts the pod"

# name resolution and outgoing TLS from inside the image: a second webhook reads ServiceAccounts
# from the "Kubernetes API" https://localhost:PORT, which is the first webhook. With the test CA
# mounted over the image's CA bundle, the request must resolve localhost, verify the certificate
# through OpenSSL's default paths (/usr/lib/ssl/cert.pem -> the bundle) and get the first
# webhook's 404.
kube_name=piw-image-test-kube-$$
containers+=("$kube_name")
kube_port=$(free_port)
kube_metrics_port=$(free_port)
"${run[@]}" -d --name "$kube_name" --network host "${hardened[@]}" \
  -v "$work/certs:/etc/webhook/certs:ro" \
  -v "$work/ca.crt:/etc/ssl/certs/ca-certificates.crt:ro" \
  "$IMAGE" --port="$kube_port" --metrics-port="$kube_metrics_port" --bind-address=127.0.0.1 \
  --kube-api="https://localhost:$port" >/dev/null || fail "podman run (Kubernetes API source)"
ready=""
for _ in $(seq 1 100); do
  ready=$("${curl_tls[@]}" "https://127.0.0.1:$kube_port/readyz" 2>/dev/null || true)
  if grep -q 'HTTP 404' <<<"$ready"; then break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$kube_name")" = "true" ] \
    || fail "the Kubernetes API source container exited"
  sleep 0.2
done
grep -q 'HTTP 404' <<<"$ready" \
  || fail "expected the API request to https://localhost:$port to get a 404, /readyz said: $ready"
echo "inside the image, localhost resolves and TLS verifies against the CA bundle: ok"
podman rm -f -t 0 "$kube_name" >/dev/null

podman logs "$name" 2>&1 | grep -q 'pod mutated' || fail "no 'pod mutated' line in the log"
podman stop -t 15 "$name" >/dev/null || fail "podman stop"
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$exit_code" = "0" ] || fail "the webhook exited with $exit_code on SIGTERM"
echo "SIGTERM: drained and exited 0"
podman rm -f -t 0 "$name" >/dev/null

# --- 5. size --------------------------------------------------------------------------------
step "size"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
saved=$(podman save "$IMAGE" 2>/dev/null | wc -c)
size_mb=$(awk -v size="$size" 'BEGIN { printf "%.1f", size / 1e6 }')
echo "$IMAGE: $size_mb MB ($size bytes; podman save: $saved bytes)"
[ "$size" -le $((MAX_MB * 1000000)) ] || fail "the image is larger than $MAX_MB MB"
step_end

echo "== timings =="
printf '%s\n' "${timings[@]}"
echo "image ok: $IMAGE ($size_mb MB)"
