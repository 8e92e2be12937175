#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3 that the end-to-end suite (tests/e2e) runs against the
# environment the webhook injects: tests/e2e/sdk/package.json pins the versions and
# tests/e2e/sdk/package-lock.json the whole tree; `npm ci` installs exactly that, from the npm
# registry, into build/e2e-node/node_modules (nothing lands in the source tree). Installs node and
# npm from Debian's archive if they are missing. Idempotent: does nothing when the installed tree
# already matches the lockfile.
#
#   ./scripts/install-e2e-deps.sh                # -> build/e2e-node/node_modules
#   PIW_E2E_NODE_DIR=/opt/e2e ./scripts/install-e2e-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCE_DIR=tests/e2e/sdk
TARGET_DIR="${PIW_E2E_NODE_DIR:-build/e2e-node}"

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  ./scripts/install-deps.sh "${missing[@]}"
fi

mkdir -p "$TARGET_DIR"
# npm ci writes node_modules/.package-lock.json; a copy of the lockfile we installed from marks
# a finished install of exactly that lockfile.
stamp="$TARGET_DIR/node_modules/.piw-installed-lock.json"
if [ -f "$stamp" ] && cmp -s "$SOURCE_DIR/package-lock.json" "$stamp"; then
  exit 0
fi

cp "$SOURCE_DIR/package.json" "$SOURCE_DIR/package-lock.json" "$TARGET_DIR/"
echo "installing the AWS SDK for JavaScript v3 into $TARGET_DIR (npm ci)" >&2
npm ci --prefix "$TARGET_DIR" --no-audit --no-fund --loglevel=error >&2
cp "$SOURCE_DIR/package-lock.json" "$stamp"
echo "node $(node --version), $(cd "$TARGET_DIR" && node -p 'const r = (p) => require(p + "/package.json"); ["@aws-sdk/client-s3", "@aws-sdk/credential-providers"].map((p) => p + "@" + r(p).version).join(", ")') in $TARGET_DIR" >&2
