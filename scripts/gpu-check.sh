#!/bin/sh
# gpu-check.sh — prove the NVML collector on a machine with a real NVIDIA GPU,
# end to end: `heron server` scrapes its own /metrics (which carry the host
# collectors, nvml among them) every second, a load runs on the GPU, and the
# script prints what PromQL answers beside what nvidia-smi reads at the same
# moment. It also runs `heron agent` once and lists its GPU families.
#
# usage: scripts/gpu-check.sh BINARY_DIR [SECONDS]
#   BINARY_DIR holds heron and heron-agent; SECONDS is how long the load runs
#   (default 20). The load is a PyTorch matrix-product loop holding about
#   8 GiB; without PyTorch the script checks an idle GPU only.
# Needs python3 (for HTTP) and nvidia-smi. Listens on 127.0.0.1 only.
set -u
bin=$1
secs=${2:-20}
port=19797
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT

get() { # get PATH: print the body of http://127.0.0.1:$port/PATH
    python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1],timeout=10).read().decode())' \
        "http://127.0.0.1:$port/$1"
}
query() { # query PROMQL: print "labels value" per series of an instant query
    python3 - "$port" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
body = json.load(urllib.request.urlopen(url, timeout=10))
if body["status"] != "success":
    print("  ERROR", body); sys.exit(1)
for r in body["data"]["result"]:
    m = {k: v for k, v in r["metric"].items() if k not in ("uuid", "name", "instance", "job")}
    print("  %-60s %s" % (sys.argv[2] + str(m), r["value"][1]))
if not body["data"]["result"]:
    print("  %-60s (empty)" % sys.argv[2])
EOF
}
smi() { nvidia-smi --format=csv,noheader,nounits "$@"; }

echo "== nvidia-smi"
nvidia-smi -L
smi --query-gpu=index,name,driver_version,memory.total,memory.used,power.limit,temperature.gpu,clocks.sm

echo "== heron agent (one scrape)"
"$bin/heron" agent --web.listen-address=127.0.0.1:$port 2>"$tmp/agent.log" &
server=$!
sleep 2
grep -E 'NVML (loaded|not available)' "$tmp/agent.log"
get metrics | grep -E '^(nvidia_|gpu_|node_scrape_collector_(success|duration_seconds)\{collector="nvml")' |
    sed 's/uuid="[^"]*",//'
python3 - "$port" <<'EOF'
import sys, time, urllib.request
t = time.perf_counter()
for _ in range(20):
    urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read()
print("agent_scrape_wall_ms %.2f ms (mean of 20, all collectors)" % ((time.perf_counter() - t) * 50))
EOF
kill $server; wait $server 2>/dev/null

cat >"$tmp/heron.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: heron
    static_configs: [{targets: ['127.0.0.1:$port']}]
EOF
echo "== heron server, scraping itself every second"
"$bin/heron" server --config.file="$tmp/heron.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address=127.0.0.1:$port 2>"$tmp/server.log" &
server=$!
sleep 3
grep -E 'NVML (loaded|not available)' "$tmp/server.log"

if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== load: 8 GiB held, bf16 matrix products for ${secs}s"
    python3 - "$secs" <<'EOF' &
import sys, time, torch
hold = torch.empty(8 << 30, dtype=torch.uint8, device="cuda")
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    for _ in range(20):
        a = (a @ a).clamp_(-1, 1)
    torch.cuda.synchronize()
EOF
    load=$!
    sleep $((secs / 2))
    echo "-- nvidia-smi during the load"
    smi --query-gpu=utilization.gpu,memory.used,power.draw,clocks.sm,temperature.gpu
    smi --query-compute-apps=pid,used_memory
    echo "-- heron (PromQL, latest scrape) during the load, load pid $load"
    for q in nvidia_gpu_utilization_gpu 'nvidia_gpu_memory_used_bytes / 2^20' \
             nvidia_gpu_power_usage_watts 'nvidia_gpu_sm_clock_hertz / 1e6' \
             nvidia_gpu_temperature_celsius 'nvidia_gpu_process_memory_used_bytes / 2^20'; do
        query "$q"
    done
    wait $load
fi
sleep 2
echo "== heron (PromQL over the run)"
for q in 'max_over_time(nvidia_gpu_utilization_gpu[2m])' \
         'max_over_time(nvidia_gpu_memory_used_bytes[2m]) / 2^20' \
         'rate(nvidia_gpu_energy_joules_total[10s])' \
         'max_over_time(nvidia_gpu_power_usage_watts[2m])' \
         'nvidia_gpu_memory_total_bytes / 2^20' nvidia_gpu_power_limit_watts \
         'count_over_time(nvidia_gpu_utilization_gpu[2m])' \
         'nvidia_gpu_memory_reserved_bytes / 2^20' \
         'nvidia_gpu_info' 'nvidia_gpu_clocks_throttled == 1' \
         'nvidia_gpu_ecc_errors_total' 'gpu_memory_used_bytes / 2^20'; do
    query "$q"
done
smi --query-gpu=memory.used,power.draw
