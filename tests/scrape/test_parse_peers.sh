#!/bin/sh
# Golden test of the exposition parser against real peers. Each peer writes
# an exposition during the test; heron's parser (parse_dump) and the Python
# client's own parsers (peer_parse.py, python3-prometheus-client) read the
# same bytes and must extract the same samples, types and help texts.
#   peers: python3-prometheus-client (text and OpenMetrics), libheron
#   (print_exposition, both formats), prometheus-node-exporter and
#   Prometheus 2.42's own /metrics, each fetched with Prometheus' scrape
#   Accept header and read in the format its Content-Type names.
# Usage: test_parse_peers.sh PARSE_DUMP PRINT_EXPOSITION SOURCE_DIR
set -eu
dump=$1 expose=$2 src=$3
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail=0
compare() { # FORMAT FILE LABEL
    "$dump" "$1" "$2" | LC_ALL=C sort > "$tmp/heron.out"
    $py "$src/tests/scrape/peer_parse.py" "$1" "$2" | LC_ALL=C sort > "$tmp/peer.out"
    n=$(grep -c '^S ' "$tmp/heron.out" || true)
    if [ "$n" -lt 1 ]; then
        echo "FAIL $3: no samples parsed"; fail=1; return
    fi
    if diff -u "$tmp/peer.out" "$tmp/heron.out" > "$tmp/diff"; then
        echo "ok   $3 ($1): $n samples agree"
    else
        echo "FAIL $3 ($1): heron and the Python parser differ:"; head -40 "$tmp/diff"; fail=1
    fi
}

free_port() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

fetch() { # PORT LABEL: fetch /metrics, compare in the format served
    i=0
    while ! curl -sf -o /dev/null "http://127.0.0.1:$1/metrics"; do
        i=$((i + 1))
        if [ $i -ge 100 ]; then echo "FAIL $2: did not start"; fail=1; return; fi
        sleep 0.1
    done
    ct=$(curl -sf -H "Accept: $accept" -o "$tmp/$2.body" -w '%{content_type}' "http://127.0.0.1:$1/metrics")
    case "$ct" in
        application/openmetrics-text*) compare openmetrics "$tmp/$2.body" "$2" ;;
        *) compare text "$tmp/$2.body" "$2" ;;
    esac
    curl -sf -H 'Accept: text/plain;version=0.0.4' -o "$tmp/$2.txt" "http://127.0.0.1:$1/metrics"
    compare text "$tmp/$2.txt" "$2"
}

# python3-prometheus-client
$py "$src/tests/scrape/peer_expose.py" "$tmp"
compare text "$tmp/py.txt" python-client
compare openmetrics "$tmp/py.om" python-client

# libheron
"$expose" text > "$tmp/heron.txt"
"$expose" openmetrics > "$tmp/heron.om"
compare text "$tmp/heron.txt" libheron
compare openmetrics "$tmp/heron.om" libheron

# prometheus-node-exporter
port=$(free_port)
/usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
    > "$tmp/ne.log" 2>&1 &
pids="$pids $!"
fetch "$port" node-exporter

# Prometheus' own /metrics
port=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' > "$tmp/prom.yml"
/usr/bin/prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/promdata" \
    --web.listen-address="127.0.0.1:$port" > "$tmp/prom.log" 2>&1 &
pids="$pids $!"
fetch "$port" prometheus

exit $fail
