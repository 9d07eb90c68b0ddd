#!/bin/sh
# Starts the example on a free loopback port, reads /metrics once and checks
# that the seed metrics are there and parse with promtool.
set -eu
bin=$1
out=$(mktemp)
"$bin" --port 0 --steps 100000 > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" "$out.metrics"' EXIT
i=0
until grep -q 'serving metrics' "$out"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "example did not start"; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/serving metrics on //p' "$out")
curl -sf "$url" > "$out.metrics"
for m in training_loss training_accuracy tasks_learned_total \
         inference_duration_seconds_bucket memory_usage_bytes process_cpu_seconds_total; do
  grep -q "^$m" "$out.metrics" || { echo "missing $m"; exit 1; }
done
promtool check metrics < "$out.metrics"
