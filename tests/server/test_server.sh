#!/usr/bin/env bash
# heron server as a user meets it: flags, endpoints over HTTP on 127.0.0.1,
# structured logs, clean shutdown on SIGTERM and on POST /-/quit.
#   test_server.sh PATH/TO/heron
set -eu
heron=$1
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && cat "$tmp/log"; exit 1; }

# Starts the server on a free port; sets pid and base.
start() {
  : > "$tmp/log" # exists before the background server opens it
  "$heron" server --web.listen-address=127.0.0.1:0 --storage.tsdb.path="$tmp/data" "$@" 2> "$tmp/log" &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n -e 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' \
                  -e 's/.*"msg":"listening".*"port":"\([0-9]*\)".*/\1/p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "server did not report its port"
  base="http://127.0.0.1:$port"
}

"$heron" --version | grep -q '^heron, version ' || fail "--version"
set +e
"$heron" server --no-such-flag 2> "$tmp/usage"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown flag exit status $rc, want 2"
grep -q 'unknown flag: --no-such-flag' "$tmp/usage" || fail "usage names the flag"
grep -q -- '--web.listen-address' "$tmp/usage" || fail "usage lists flags"
set +e
"$heron" server --query.timeout=soon 2> "$tmp/usage"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'query.timeout' "$tmp/usage" || fail "bad duration"

start --log.format=logfmt
curl -sf "$base/-/healthy" | grep -q Healthy || fail "/-/healthy"
curl -sf "$base/-/ready" | grep -q Ready || fail "/-/ready"
curl -sf "$base/metrics" > "$tmp/metrics" || fail "/metrics"
grep -q '^heron_build_info{version="' "$tmp/metrics" || fail "build info"
grep -q '^process_resident_memory_bytes ' "$tmp/metrics" || fail "process metrics"
# promtool parses and lints; the only complaint allowed is node_exporter's
# own camelCase meminfo names, which the host collector keeps for
# compatibility.
promtool check metrics < "$tmp/metrics" > "$tmp/lint" 2>&1 || true
if grep -v '^node_memory_.*camelCase' "$tmp/lint" | grep -q .; then
  cat "$tmp/lint"; fail "promtool rejects /metrics"
fi
curl -sf "$base/metrics" > "$tmp/metrics2"
grep -q 'heron_http_requests_total{code="200",handler="/metrics"}' "$tmp/metrics2" \
  || fail "request counter"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/-/quit")" = 403 ] \
  || fail "/-/quit without --web.enable-lifecycle"
grep -q 'level=info component=server msg="starting heron"' "$tmp/log" || fail "logfmt start line"
kill -TERM "$pid"
wait "$pid" || fail "exit status after SIGTERM"
pid=
grep -q 'msg="received signal, exiting gracefully"' "$tmp/log" || fail "shutdown log"

start --web.enable-lifecycle --log.format=json
grep -q '"level":"info","component":"server","msg":"starting heron"' "$tmp/log" || fail "json log"
curl -sf -X POST "$base/-/quit" | grep -q Goodbye || fail "/-/quit"
wait "$pid" || fail "exit status after /-/quit"
pid=
echo "server tests passed"
