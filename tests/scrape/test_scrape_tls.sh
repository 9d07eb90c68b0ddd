#!/bin/sh
# tls_config against an HTTPS target with a self-signed certificate for
# heron-test.internal (made here with openssl): with ca_file and
# server_name the target is up and sees Host = its address (as with
# Prometheus); with insecure_skip_verify it is up; with ca_file but no
# server_name (the certificate does not name 127.0.0.1) and with no CA at
# all it is down with a certificate error.
# Usage: test_scrape_tls.sh HERON SOURCE_DIR
set -u
heron=$1 src=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() {
    d=$1; shift
    if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
free_port() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 1 -subj /CN=heron-test.internal \
    -addext subjectAltName=DNS:heron-test.internal > /dev/null 2>&1 || { echo "FAIL openssl"; exit 1; }
tp=$(free_port); hp=$(free_port)
$py "$src/tests/scrape/peer_target.py" tls "$tp" "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/tls.log" 2>&1 &
pids="$pids $!"
i=0
until curl -skf -o /dev/null "https://127.0.0.1:$tp/"; do
    i=$((i + 1)); [ $i -ge 100 ] && { echo "FAIL the HTTPS peer did not start"; exit 1; }; sleep 0.1
done
cat > "$tmp/prom.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 900ms}
scrape_configs:
  - job_name: tls-name
    scheme: https
    tls_config: {ca_file: cert.pem, server_name: heron-test.internal}
    static_configs: [{targets: ['127.0.0.1:$tp']}]
  - job_name: tls-insecure
    scheme: https
    tls_config: {insecure_skip_verify: true}
    static_configs: [{targets: ['127.0.0.1:$tp']}]
  - job_name: tls-wrong-name
    scheme: https
    tls_config: {ca_file: cert.pem}
    static_configs: [{targets: ['127.0.0.1:$tp']}]
  - job_name: tls-no-ca
    scheme: https
    static_configs: [{targets: ['127.0.0.1:$tp']}]
YML
"$heron" server --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$hp" > "$tmp/heron.log" 2>&1 &
heron_pid=$!; pids="$pids $heron_pid"
targets() { curl -sf "http://127.0.0.1:$hp/api/v1/targets"; }
i=0
until targets | $py -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(t) == 4 and all(x["health"] != "unknown" for x in t) else 1)' 2>/dev/null; do
    i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1
done
sleep 1.2
targets > "$tmp/targets.json"
health() { # JOB WANT [ERROR_SUBSTRING]
    $py - "$tmp/targets.json" "$@" <<'PY'
import json, sys
path, job, want = sys.argv[1:4]
sub = sys.argv[4] if len(sys.argv) > 4 else ""
t = [x for x in json.load(open(path))["data"]["activeTargets"] if x["scrapePool"] == job][0]
ok = t["health"] == want and sub.lower() in t["lastError"].lower()
if not ok: print("    ", t["health"], t["lastError"])
sys.exit(0 if ok else 1)
PY
}
check "ca_file + server_name: up" health tls-name up
check "insecure_skip_verify: up" health tls-insecure up
check "certificate not for the address: down with a certificate error" health tls-wrong-name down certificate
check "no CA: down with a certificate error" health tls-no-ca down certificate
host=$(curl -sf "http://127.0.0.1:$hp/api/v1/query?query=tls_host%7Bjob%3D%22tls-name%22%7D" |
    $py -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["metric"]["host"] if r else "")')
check "server_name: Host header is still the target address" test "$host" = "127.0.0.1:$tp"
[ $fail -ne 0 ] && tail -20 "$tmp/heron.log"
exit $fail
