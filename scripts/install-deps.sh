#!/usr/bin/env bash
# Installs what building and testing need, from Debian bookworm's archive only.
# Skips apt entirely when everything is already there.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config make
  libboost1.74-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libsimdjson-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl ca-certificates curl jq
)
# Extra packages for a caller that needs them (e.g. the benchmark: wrk nginx-light).
PACKAGES+=("$@")

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
