#!/usr/bin/env bash
# Installs and runs Milvus 2.3.5 standalone (PyPI package "milvus": the real Milvus binary with
# embedded etcd, rocksmq and local storage) for the authentication, TLS and RBAC tests.
#
#   milvus235.sh install                    venv under $MILVUS_CACHE/milvus235, binaries unpacked once
#   milvus235.sh start PORT STATE           fresh state in STATE, gRPC on 127.0.0.1:PORT, waits until ready
#   milvus235.sh stop  STATE                stops the server and its bridge, removes the namespace
#
# Env: AUTH=1  authorization on (user root, password Milvus)
#      TLS=1   one-way TLS, TLS=2 mutual TLS; certificates are made in STATE/tls (ca.pem,
#              server.pem/.key and client.pem/.key, valid for localhost and 127.0.0.1)
#      FAST=1  shorter internal ticks, so loads and Strong reads answer sooner
#      MILVUS_CACHE (default <repo>/.cache), PYTHON (default python3), READY_TIMEOUT (s, default 180)
#
# Needs root: 2.3.5 listens on every interface on fixed ports (etcd 2379/2380, nine gRPC ports)
# and moves a busy port silently, so each instance runs in its own network namespace and
# scripts/lib/nsbridge.py exposes only its proxy port on the host's 127.0.0.1:PORT.
# Stop it with SIGINT: SIGTERM stops the Python wrapper and orphans the server.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MILVUS_CACHE:-$HERE/../.cache}
VENV=$CACHE/milvus235
INNER_PORT=19530

install() {
  mkdir -p "$CACHE"
  if [[ ! -f $VENV/.installed ]]; then
    [[ -x $VENV/bin/python ]] || "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "milvus==2.3.5" >&2
    rm -rf "$VENV/milvus-bin"
    touch "$VENV/.installed"
  fi
  if [[ ! -f $VENV/milvus-bin/.done ]]; then
    # Unpacked once here; the wrapper would otherwise decompress ~250 MB into every data dir.
    rm -rf "$VENV/milvus-bin"
    "$VENV/bin/python" -c 'import sys; from milvus import _initialize_data_files as f; f(sys.argv[1])' \
      "$VENV/milvus-bin" >&2
    touch "$VENV/milvus-bin/.done"
  fi
}

make_certs() {
  mkdir -p "$1"
  (
    cd "$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=milvus-native-test-ca" \
      -keyout ca.key -out ca.pem 2>/dev/null
    for who in server client; do
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout $who.key -out $who.csr 2>/dev/null
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >$who.ext
      openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile $who.ext -out $who.pem 2>/dev/null
    done
  )
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# ShowCollections over curl answers with grpc-status 0 and a successful Milvus status once the
# proxy serves; before that it answers with a failed status.
ready() {
  local port=$1 state=$2 tmp url args st body
  tmp=$(mktemp -d)
  args=(-s --max-time 3 -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @-
        -D "$tmp/h" -o "$tmp/b")
  if [[ ${TLS:-0} != 0 ]]; then
    url="https://localhost:$port"
    args+=(--http2 --cacert "$state/tls/ca.pem" --resolve "localhost:$port:127.0.0.1")
    [[ ${TLS:-0} == 2 ]] && args+=(--cert "$state/tls/client.pem" --key "$state/tls/client.key")
  else
    url="http://127.0.0.1:$port"
    args+=(--http2-prior-knowledge)
  fi
  [[ ${AUTH:-0} == 1 ]] && args+=(-H "authorization: $(printf 'root:Milvus' | base64 -w0)")
  printf '\x00\x00\x00\x00\x00' | curl "${args[@]}" "$url/milvus.proto.milvus.MilvusService/ShowCollections" \
    >/dev/null 2>&1 || true
  st=$(tr -d '\r' <"$tmp/h" 2>/dev/null | awk -F': ' 'tolower($1)=="grpc-status"{print $2}' | tail -1)
  body=$([[ -s $tmp/b ]] && od -An -tx1 -v "$tmp/b" | tr -d ' \n' || true)
  rm -rf "$tmp"
  [[ $st == 0 && -n $body ]] && "$VENV/bin/python" "$HERE/lib/grpc_status_ok.py" "$body"
}

start() {
  local port=$1 state=$2 ns="milvus235-$1" pid t0 args extra kv
  [[ $(id -u) == 0 ]] || { echo "milvus235.sh needs root (ip netns)" >&2; exit 1; }
  install
  port_free "$port" || { echo "port $port is already in use" >&2; exit 1; }
  rm -rf "$state"; mkdir -p "$state/data"; state=$(cd "$state" && pwd)
  cp -al "$VENV/milvus-bin/bin" "$state/data/bin"
  args=(--data "$state/data" --proxy-port "$INNER_PORT" --etcd-log-level warn)
  extra=""
  [[ ${FAST:-0} == 1 ]] &&
    extra="queryCoord.checkInterval=100 queryCoord.distPullInterval=100 proxy.timeTickInterval=50"
  for kv in $extra; do args+=(--extra-config "$kv"); done
  # The wrapper reads any value as true, so the flag is left out to keep auth off.
  [[ ${AUTH:-0} == 1 ]] && args+=(--authorization-enabled true)
  if [[ ${TLS:-0} == 1 || ${TLS:-0} == 2 ]]; then
    make_certs "$state/tls"
    args+=(--tls-mode "$TLS" --server-pem-path "$state/tls/server.pem"
           --server-key-path "$state/tls/server.key" --ca-pem-path "$state/tls/ca.pem")
  fi
  if ip netns list | grep -qw "$ns"; then   # left over from a crashed run
    [[ -z $(ip netns pids "$ns") ]] || { echo "network namespace $ns still has processes" >&2; exit 1; }
    ip netns del "$ns"
  fi
  ip netns add "$ns"; echo "$ns" >"$state/netns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" setsid env --default-signal=INT "$VENV/bin/milvus-server" "${args[@]}" \
    >"$state/server.log" 2>&1 </dev/null &
  pid=$!; echo "$pid" >"$state/server.pid"
  setsid "$VENV/bin/python" "$HERE/lib/nsbridge.py" "$port" "/var/run/netns/$ns" "$INNER_PORT" \
    >"$state/bridge.log" 2>&1 </dev/null &
  echo $! >"$state/bridge.pid"
  t0=$SECONDS
  until ready "$port" "$state"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS - t0 > ${READY_TIMEOUT:-180})); then
      echo "milvus 2.3.5 did not become ready on port $port" >&2; tail -20 "$state/server.log" >&2
      stop "$state"; exit 1
    fi
    sleep 0.3
  done
  echo "127.0.0.1:$port"
}

# Signals PID, waits up to GRACE seconds, then kills it.
stop_pid() {
  local pid=$1 grace=$2 sig=$3
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq $((grace * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local state=$1 ns="" p
  if [[ -f $state/server.pid ]]; then stop_pid "$(cat "$state/server.pid")" 20 INT; rm -f "$state/server.pid"; fi
  [[ -f $state/netns ]] && ns=$(cat "$state/netns")
  if [[ -n $ns ]] && ip netns list | grep -qw "$ns"; then
    # whatever the wrapper left behind in the namespace, by PID
    for p in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$p" 10 TERM; done
    ip netns del "$ns"
  fi
  rm -f "$state/netns"
  if [[ -f $state/bridge.pid ]]; then stop_pid "$(cat "$state/bridge.pid")" 5 TERM; rm -f "$state/bridge.pid"; fi
}

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) sed -n 2,20p "$0"; exit 2 ;;
esac
