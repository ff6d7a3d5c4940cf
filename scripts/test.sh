#!/usr/bin/env bash
# The test command: installs what the tests need (npm packages, the addon build, two
# milvus-lite servers in Python venvs under .cache/), starts the servers on free 127.0.0.1
# ports, runs the Rust unit tests and the node:test suite against both servers, and stops
# the servers on exit, also on failure or Ctrl-C.
#
# Extra arguments go to `node --test` (e.g. a single file: scripts/test.sh __test__/search.test.mjs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SERVER=scripts/milvus-server.sh
STATE=$(mktemp -d "${TMPDIR:-/tmp}/milvus-native-test.XXXXXX")

cleanup() {
  local rc=$?
  for s in "$STATE"/*/; do [[ -d $s ]] && "$SERVER" stop "$s" || true; done
  rm -rf "$STATE"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

# Installs and builds in the background while the servers' venvs install.
step "installing npm packages and building the addon"
if [[ ! -d node_modules/@napi-rs/cli ]]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi &
build_pid=$!
for kind in lite3 lite25; do "$SERVER" install "$kind"; done
wait "$build_pid"

step "starting milvus-lite 3.2.2 and 2.5.1"
servers=()
for kind in lite3 lite25; do
  port=$("$SERVER" free-port)
  addr=$("$SERVER" start "$kind" "$port" "$STATE/$kind")
  echo "$kind listening on $addr"
  servers+=("{\"name\":\"$kind\",\"address\":\"$addr\"}")
done
MILVUS_TEST_SERVERS="[$(IFS=,; echo "${servers[*]}")]"
export MILVUS_TEST_SERVERS
# pymilvus (beside milvus-lite 3.2.2) for the interoperability tests.
export MILVUS_PYTHON="${MILVUS_CACHE:-$ROOT/.cache}/lite3/bin/python"

step "Rust unit tests"
cargo test --profile helper --lib --quiet

step "node:test against the real servers"
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(__test__/*.test.mjs)
node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"
