#!/usr/bin/env bash
# The test command: installs what the tests need (npm packages, the addon build, two
# milvus-lite servers in Python venvs under .cache/), starts the servers on free 127.0.0.1
# ports, runs the Rust unit tests and the node:test suite against both servers, and stops
# the servers on exit, also on failure or Ctrl-C.
#
# As root it also starts three Milvus 2.3.5 servers with authentication (plaintext, one-way
# TLS, mutual TLS) for the auth, TLS and RBAC tests; without root those tests are skipped
# and say why.
#
# Extra arguments go to `node --test` (e.g. a single file: scripts/test.sh __test__/search.test.mjs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SERVER=scripts/milvus-server.sh
M235=scripts/milvus235.sh
STATE=$(mktemp -d "${TMPDIR:-/tmp}/milvus-native-test.XXXXXX")

cleanup() {
  local rc=$?
  # Milvus 2.3.5 takes seconds to shut down: stop all servers at once.
  for s in "$STATE"/*/; do
    [[ -d $s ]] || continue
    if [[ $(basename "$s") == m235-* ]]; then "$M235" stop "$s" || true; else "$SERVER" stop "$s" || true; fi &
  done
  wait
  rm -rf "$STATE"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

# Milvus 2.3.5 runs in network namespaces, which need root (CI has it).
with_m235=0
if [[ $(id -u) == 0 ]]; then
  with_m235=1
else
  export MILVUS_AUTH_SKIP="not running as root: the Milvus 2.3.5 servers for the auth, TLS and RBAC tests need 'ip netns'"
fi

# Installs and builds in the background while the servers' venvs install.
step "installing npm packages and building the addon"
if [[ ! -d node_modules/@napi-rs/cli ]]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi &
build_pid=$!
for kind in lite3 lite25; do "$SERVER" install "$kind"; done
((with_m235)) && "$M235" install
wait "$build_pid"

# The 2.3.5 servers take a few seconds each to come up: start them first, in parallel.
declare -A m235_pids=()
if ((with_m235)); then
  step "starting milvus 2.3.5 with authentication: plaintext, one-way TLS, mutual TLS"
  used=""
  for kind in plain:0 tls:1 mtls:2; do
    name=${kind%%:*}
    until port=$("$SERVER" free-port) && [[ " $used " != *" $port "* ]]; do :; done
    used="$used $port"
    AUTH=1 TLS=${kind##*:} FAST=1 "$M235" start "$port" "$STATE/m235-$name" \
      >"$STATE/m235-$name.out" 2>&1 &
    m235_pids[$name]=$!
  done
fi

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

if ((with_m235)); then
  auth=()
  for name in plain tls mtls; do
    if ! wait "${m235_pids[$name]}"; then
      echo "milvus 2.3.5 ($name) did not start:" >&2; cat "$STATE/m235-$name.out" >&2; exit 1
    fi
    addr=$(tail -1 "$STATE/m235-$name.out")
    echo "milvus 2.3.5 ($name) listening on $addr"
    auth+=("\"$name\":{\"address\":\"$addr\",\"certs\":\"$STATE/m235-$name/tls\"}")
  done
  MILVUS_AUTH_SERVERS="{$(IFS=,; echo "${auth[*]}")}"
  export MILVUS_AUTH_SERVERS
fi

step "Rust unit tests"
cargo test --profile helper --lib --quiet

step "node:test against the real servers"
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(__test__/*.test.mjs)
node --test --test-reporter=spec --test-concurrency=2 "${files[@]}"
