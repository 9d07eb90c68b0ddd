#!/bin/sh
# End to end: heron and a real Prometheus 2.42 scrape the same local
# targets with the same config — prometheus-node-exporter, a
# python3-prometheus-client app (job/instance labels in its exposition, so
# exported_* renaming; a histogram, a summary, escapes) and a target that
# hangs past scrape_timeout, node_exporter again as a file_sd "pod" with
# kubernetes-style meta labels (keep, labelmap, hashmod, metric keep,
# uppercase), two that demand a bearer token (from a file)
# and basic auth (password from a file) — and after a few intervals the sets of series
# (names and labels) both hold are identical. Both are read through their
# own /api/v1/series (heron's query API), and /api/v1/targets and
# /api/v1/targets/metadata answer the same. Then, on heron:
#   - the hanging target is down with a timeout error, up 0 in both;
#   - the app disappears: its series go stale (instant queries return
#     nothing) in both, up 0;
#   - a good config is applied on SIGHUP: the removed job's series go stale,
#     heron_config_last_reload_successful is 1, the unchanged node target
#     keeps its loop (scrape_series_added stays 0, a new loop would count
#     every series again);
#   - a bad config on SIGHUP and on POST /-/reload is refused: 500 naming
#     file:line, the old targets keep running, the metric drops to 0.
# Usage: test_scrape_e2e.sh HERON SOURCE_DIR
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
check() { # DESCRIPTION COMMAND...
    d=$1; shift
    if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
free_port() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() { # PORT PATH
    i=0
    while ! curl -sf -o /dev/null "http://127.0.0.1:$1$2"; do
        i=$((i + 1)); [ $i -ge 150 ] && return 1; sleep 0.1
    done
}
get() { curl -sf "http://127.0.0.1:$1$2"; }

ne=$(free_port); app=$(free_port); hang=$(free_port); hp=$(free_port); pp=$(free_port)
bearer=$(free_port); basic=$(free_port)
printf 's3cr3t-token\n' > "$tmp/token"
printf 'hunter2\n' > "$tmp/password"
$py "$src/tests/scrape/peer_target.py" auth "$bearer" 'Bearer s3cr3t-token' > /dev/null 2>&1 &
pids="$pids $!"
# base64("trainer:hunter2")
$py "$src/tests/scrape/peer_target.py" auth "$basic" 'Basic dHJhaW5lcjpodW50ZXIy' > /dev/null 2>&1 &
pids="$pids $!"
/usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:$ne" > "$tmp/ne.log" 2>&1 &
pids="$pids $!"
$py "$src/tests/scrape/peer_target.py" app "$app" > "$tmp/app.log" 2>&1 &
app_pid=$!; pids="$pids $app_pid"
$py "$src/tests/scrape/peer_target.py" hang "$hang" > "$tmp/hang.log" 2>&1 &
pids="$pids $!"
wait_http "$ne" /metrics && wait_http "$app" /metrics || { echo "FAIL targets did not start"; exit 1; }

write_config() { # WITH_HANG
    cat > "$tmp/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne']
        labels: {pool: gpu}
    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'go_.*|promhttp_.*|node_scrape_collector_.*', action: drop}
  - job_name: app
    static_configs: [{targets: ['127.0.0.1:$app', 'dropped.invalid:1'], labels: {__meta_x: y}}]
    relabel_configs:
      - {source_labels: [__address__], regex: 'dropped.*', action: drop}
      - {source_labels: [__address__], regex: '([^:]+):.*', target_label: host}
  - job_name: k8s
    file_sd_configs: [{files: ['$tmp/pods.json']}]
    relabel_configs:
      - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape], regex: 'true', action: keep}
      - {action: labelmap, regex: '__meta_kubernetes_pod_label_(.+)'}
      - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
      - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
      - {source_labels: [__address__], modulus: 8, target_label: __tmp_shard, action: hashmod}
      - {source_labels: [__tmp_shard], regex: '[0-7]', action: keep}
    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'node_(load1|load5|memory_MemTotal_bytes|cpu_seconds_total)', action: keep}
      - {source_labels: [app], target_label: APP, action: uppercase}
  - job_name: bearer
    bearer_token_file: $tmp/token
    static_configs: [{targets: ['127.0.0.1:$bearer']}]
  - job_name: basic
    basic_auth: {username: trainer, password_file: $tmp/password}
    static_configs: [{targets: ['127.0.0.1:$basic']}]
YML
    if [ "$1" = 1 ]; then
        printf "  - job_name: hang\n    static_configs: [{targets: ['127.0.0.1:%s']}]\n" "$hang" >> "$tmp/prom.yml"
    fi
}
cat > "$tmp/pods.json" <<JSON
[{"targets": ["127.0.0.1:$ne"],
  "labels": {"__meta_kubernetes_namespace": "llm", "__meta_kubernetes_pod_name": "trainer-0",
             "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
             "__meta_kubernetes_pod_label_app": "llama", "__meta_kubernetes_pod_label_rank": "0"}},
 {"targets": ["10.0.0.9:9100"],
  "labels": {"__meta_kubernetes_pod_annotation_prometheus_io_scrape": "false"}}]
JSON
write_config 1
cp "$tmp/prom.yml" "$tmp/prom_peer.yml"

"$heron" server --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/heron" \
    --web.listen-address="127.0.0.1:$hp" --web.enable-lifecycle > "$tmp/heron.log" 2>&1 &
heron_pid=$!; pids="$pids $heron_pid"
/usr/bin/prometheus --config.file="$tmp/prom_peer.yml" --storage.tsdb.path="$tmp/prom" \
    --web.listen-address="127.0.0.1:$pp" > "$tmp/prom.log" 2>&1 &
pids="$pids $!"
wait_http "$hp" /-/ready && wait_http "$pp" /-/ready || { echo "FAIL servers did not start"; cat "$tmp/heron.log"; exit 1; }

# Until every target of both has been scraped, then three more intervals.
all_scraped() {
    get "$1" /api/v1/targets | $py -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(t) == 6 and all(x["health"] != "unknown" for x in t) else 1)'
}
i=0
until all_scraped "$hp" && all_scraped "$pp"; do
    i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1
done
sleep 3.2

series() { get "$1" '/api/v1/series?match%5B%5D=%7Bjob%3D~%22.%2B%22%7D' > "$2"; }
series "$hp" "$tmp/heron_series.json"
series "$pp" "$tmp/prom_series.json"
compare_series() {
    $py - "$tmp/heron_series.json" "$tmp/prom_series.json" <<'PY'
import json, sys
def load(p):
    return {tuple(sorted(s.items())) for s in json.load(open(p))["data"]}
h, p = load(sys.argv[1]), load(sys.argv[2])
print("     heron %d series, prometheus %d series" % (len(h), len(p)))
for s in sorted(h - p)[:10]: print("     only in heron:", dict(s))
for s in sorted(p - h)[:10]: print("     only in prometheus:", dict(s))
sys.exit(0 if h == p and len(h) > 100 else 1)
PY
}
check "heron and Prometheus hold the same series" compare_series

instant() { # PORT QUERY -> values, one per line
    get "$1" "/api/v1/query?query=$2" | $py -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]: print(r["value"][1])'
}
hang_down() {
    get "$hp" /api/v1/targets | $py -c '
import json, sys
t = [x for x in json.load(sys.stdin)["data"]["activeTargets"] if x["scrapePool"] == "hang"]
sys.exit(0 if t and t[0]["health"] == "down" and "timed out" in t[0]["lastError"] else 1)'
}
check "a target hanging past scrape_timeout is down with a timeout error" hang_down
global_url() {
    get "$1" /api/v1/targets | $py -c '
import json, sys
print([x["globalUrl"] for x in json.load(sys.stdin)["data"]["activeTargets"] if x["scrapePool"] == "node"][0])'
}
same_targets() {
    get "$hp" /api/v1/targets > "$tmp/ht.json"
    get "$pp" /api/v1/targets > "$tmp/pt.json"
    $py - "$tmp/ht.json" "$tmp/pt.json" <<'PY'
import json, sys
keys = ("discoveredLabels", "labels", "scrapePool", "scrapeUrl", "scrapeInterval",
        "scrapeTimeout", "health")
# Prometheus 2.42 shows discoveredLabels already changed by a labelmap rule
# (its relabeling writes into the discovered set's memory: "app" appears,
# "job" is lost), so the k8s job's discoveredLabels are not compared.
def load(p):
    return {(t["scrapePool"], t["scrapeUrl"]):
            {k: t[k] for k in keys if not (k == "discoveredLabels" and t["scrapePool"] == "k8s")}
            for t in json.load(open(p))["data"]["activeTargets"]}
h, p = load(sys.argv[1]), load(sys.argv[2])
for u in sorted(set(h) | set(p)):
    if h.get(u) != p.get(u):
        print("     heron:     ", h.get(u)); print("     prometheus:", p.get(u))
def dropped(path):
    return sorted(json.dumps(t["discoveredLabels"], sort_keys=True)
                  for t in json.load(open(path))["data"]["droppedTargets"])
hd, pd = dropped(sys.argv[1]), dropped(sys.argv[2])
if hd != pd: print("     dropped: heron", hd, "prometheus", pd)
sys.exit(0 if h == p and len(h) == 6 and hd == pd and len(hd) == 2 else 1)
PY
}
check "/api/v1/targets agrees with Prometheus (labels, discoveredLabels, URLs, health, interval, timeout, dropped)" same_targets
same_metadata() { # JOB
    q="/api/v1/targets/metadata?match_target=%7Bjob%3D%22$1%22%7D"
    get "$hp" "$q" > "$tmp/hm.json"
    get "$pp" "$q" > "$tmp/pm.json"
    $py - "$tmp/hm.json" "$tmp/pm.json" <<'PY'
import json, sys
def load(p):
    return {(m["target"]["job"], m["metric"], m["type"], m["help"], m["unit"])
            for m in json.load(open(p))["data"]}
h, p = load(sys.argv[1]), load(sys.argv[2])
for x in sorted(h - p): print("     only heron:", x)
for x in sorted(p - h): print("     only prometheus:", x)
sys.exit(0 if h == p and len(h) > 3 else 1)
PY
}
same_metric_metadata() { # /api/v1/metadata, grouped by metric across targets
    get "$hp" "/api/v1/metadata" > "$tmp/hmm.json"
    get "$pp" "/api/v1/metadata" > "$tmp/pmm.json"
    $py - "$tmp/hmm.json" "$tmp/pmm.json" <<'PY'
import json, sys
def load(p):
    return {name: sorted((e["type"], e["help"], e["unit"]) for e in entries)
            for name, entries in json.load(open(p))["data"].items()}
h, p = load(sys.argv[1]), load(sys.argv[2])
for k in sorted(set(h) | set(p)):
    if h.get(k) != p.get(k): print("     differs:", k, h.get(k), p.get(k))
sys.exit(0 if h == p and len(h) > 10 else 1)
PY
}
check "/api/v1/metadata agrees with Prometheus (all targets, grouped by metric)" same_metric_metadata
check "/api/v1/targets/metadata agrees with Prometheus (OpenMetrics app)" same_metadata app
check "/api/v1/targets/metadata agrees with Prometheus (text, node_exporter)" same_metadata node
check "globalUrl as Prometheus makes it ($(global_url "$pp"))" test "$(global_url "$hp")" = "$(global_url "$pp")"
check "up of the hanging target is 0 in heron" test "$(instant "$hp" 'up%7Bjob%3D%22hang%22%7D')" = 0
check "up of the hanging target is 0 in Prometheus" test "$(instant "$pp" 'up%7Bjob%3D%22hang%22%7D')" = 0

check "bearer_token_file is sent (up 1)" test "$(instant "$hp" 'auth_ok%7Bjob%3D%22bearer%22%7D')" = 1
check "basic_auth with password_file is sent (up 1)" test "$(instant "$hp" 'auth_ok%7Bjob%3D%22basic%22%7D')" = 1

# The app goes away: its series become stale in both.
kill "$app_pid"; wait "$app_pid" 2>/dev/null
sleep 2.5
check "a vanished target's series are stale in heron" test -z "$(instant "$hp" 'train_steps_total')"
check "... and in Prometheus" test -z "$(instant "$pp" 'train_steps_total')"
check "up of the vanished target is 0 in heron" test "$(instant "$hp" 'up%7Bjob%3D%22app%22%7D')" = 0

# A good config without the hang job, on SIGHUP.
write_config 0
kill -HUP "$heron_pid"
sleep 2.5
reload_ok() { get "$hp" /metrics | grep -q "^heron_config_last_reload_successful $1"; }
active_count() {
    get "$hp" /api/v1/targets | $py -c '
import json, sys; print(len(json.load(sys.stdin)["data"]["activeTargets"]))'
}
check "good config on SIGHUP: heron_config_last_reload_successful 1" reload_ok 1
check "good config on SIGHUP: five targets left" test "$(active_count)" = 5
check "removed job's series are stale" test -z "$(instant "$hp" 'up%7Bjob%3D%22hang%22%7D')"
check "unchanged target kept its loop (no series added since the reload)" \
    test "$(instant "$hp" 'max_over_time(scrape_series_added%7Bjob%3D%22node%22%7D%5B3s%5D)')" = 0

# Bad configs are refused; the running one stays.
printf 'scrape_configs:\n  - job_name: node\n    scrape_intervall: 1s\n' > "$tmp/prom.yml"
kill -HUP "$heron_pid"
sleep 0.5
check "bad config on SIGHUP: heron_config_last_reload_successful 0" reload_ok 0
check "bad config on SIGHUP: the old targets keep running" test "$(active_count)" = 5
check "bad config is logged with file:line" grep -q "prom.yml:3: field scrape_intervall not found" "$tmp/heron.log"
code=$(curl -s -o "$tmp/reload.out" -w '%{http_code}' -X POST "http://127.0.0.1:$hp/-/reload")
check "POST /-/reload with a bad config answers 500" test "$code" = 500
check "... naming file:line and field" grep -q "prom.yml:3: field scrape_intervall" "$tmp/reload.out"
write_config 0
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$hp/-/reload")
check "POST /-/reload with a good config answers 200" test "$code" = 200
check "... and heron_config_last_reload_successful is 1 again" reload_ok 1
check "/api/v1/status/config serves the YAML" sh -c "curl -sf http://127.0.0.1:$hp/api/v1/status/config | grep -q job_name"
check "/api/v1/targets/metadata lists node_exporter's metadata" sh -c \
    "curl -sf 'http://127.0.0.1:$hp/api/v1/targets/metadata?metric=node_load1' | grep -q '\"type\":\"gauge\"'"
# A clean shutdown (under ASan this also means no leak and no error).
kill "$heron_pid"
wait "$heron_pid"
check "heron exits cleanly on SIGTERM" test $? -eq 0
[ $fail -ne 0 ] && tail -40 "$tmp/heron.log"
exit $fail
