#!/usr/bin/env bash
# Builds the addon, starts a local milvus-lite 3.2.2 on a free 127.0.0.1 port, runs
# examples/quickstart.mjs against it, and stops the server on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SERVER=scripts/milvus-server.sh
STATE=$(mktemp -d "${TMPDIR:-/tmp}/milvus-native-quickstart.XXXXXX")
trap '"$SERVER" stop "$STATE/lite3" || true; rm -rf "$STATE"' EXIT

[[ -d node_modules/@napi-rs/cli ]] || npm ci --no-audit --no-fund
[[ -n $(ls ./*.node 2>/dev/null) ]] || npm run --silent build
MILVUS_ADDRESS=$("$SERVER" start lite3 "$("$SERVER" free-port)" "$STATE/lite3")
export MILVUS_ADDRESS
echo "started milvus-lite 3.2.2 on $MILVUS_ADDRESS"
node examples/quickstart.mjs
