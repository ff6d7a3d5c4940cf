#!/usr/bin/env bash
# Installs and runs the local Milvus servers the tests and the quick-start use.
#
#   milvus-server.sh install KIND              create the venv for KIND under $MILVUS_CACHE
#   milvus-server.sh start   KIND PORT STATE   install if needed, start on 127.0.0.1:PORT, wait until ready
#   milvus-server.sh stop    STATE             stop the server recorded in STATE/server.pid
#   milvus-server.sh free-port                 print a TCP port nothing listens on
#
# KIND is lite3 (milvus-lite 3.2.2, with pymilvus 3.0.2 which it imports but does not declare)
# or lite25 (milvus-lite 2.5.1, the C++ core run directly as a binary).
# Env: MILVUS_CACHE (venvs, default <repo>/.cache), PYTHON (default python3), READY_TIMEOUT (s).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MILVUS_CACHE:-$ROOT/.cache}

packages() {
  case $1 in
    lite3) echo "milvus-lite==3.2.2 pymilvus==3.0.2" ;;
    lite25) echo "milvus-lite==2.5.1" ;;
    *) echo "unknown server kind '$1' (expected lite3 or lite25)" >&2; exit 2 ;;
  esac
}

install() {
  local kind=$1 venv=$CACHE/$1 want stamp
  want=$(packages "$kind"); stamp=$venv/.installed
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return 0
  mkdir -p "$CACHE"
  [[ -x $venv/bin/python ]] || "${PYTHON:-python3}" -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $want >&2
  echo "$want" >"$stamp"
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 30000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  echo "no free port found" >&2; return 1
}

# A unary ShowCollections over h2c answers with grpc-status 0 once the server is serving.
ready() {
  local hdr
  hdr=$(printf '\x00\x00\x00\x00\x00' | curl -s --max-time 2 --http2-prior-knowledge \
    -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- -o /dev/null -D - \
    "http://$1/milvus.proto.milvus.MilvusService/ShowCollections" 2>/dev/null | tr -d '\r')
  grep -qi '^grpc-status: 0$' <<<"$hdr"
}

start() {
  local kind=$1 port=$2 state=$3 venv=$CACHE/$1 pid lib t0
  install "$kind"
  port_free "$port" || { echo "port $port is already in use" >&2; exit 1; }
  rm -rf "$state"; mkdir -p "$state/data"; state=$(cd "$state" && pwd)
  case $kind in
    lite3)
      setsid env --default-signal=INT "$venv/bin/milvus-lite" server --data-dir "$state/data" \
        --host 127.0.0.1 --port "$port" >"$state/server.log" 2>&1 </dev/null &
      pid=$! ;;
    lite25)
      lib=$(ls -d "$venv"/lib/python3*/site-packages/milvus_lite/lib | head -1)
      (cd "$state/data" && LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        exec setsid "$lib/milvus" "$state/data/milvus.db" "127.0.0.1:$port" ERROR \
        >"$state/server.log" 2>&1 </dev/null) &
      pid=$! ;;
  esac
  echo "$pid" >"$state/server.pid"; echo "$kind" >"$state/kind"
  t0=$SECONDS
  until ready "127.0.0.1:$port"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - t0 > ${READY_TIMEOUT:-60})); then
      echo "$kind did not become ready on port $port" >&2; tail -20 "$state/server.log" >&2
      stop "$state"; exit 1
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port"
}

stop() {
  local state=$1 pid sig=TERM
  [[ -f $state/server.pid ]] || return 0
  pid=$(cat "$state/server.pid"); rm -f "$state/server.pid"
  # milvus-lite 3.x shuts down cleanly on SIGINT; the 2.5.1 binary on SIGTERM.
  [[ $(cat "$state/kind" 2>/dev/null) == lite3 ]] && sig=INT
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd=${1:-}; shift || true
case $cmd in
  install) install "$@" ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  free-port) free_port ;;
  *) sed -n 2,12p "$0"; exit 2 ;;
esac
