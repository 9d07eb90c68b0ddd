#!/bin/sh
# run_fuzz.sh FUZZER MODE GOLDEN WORKDIR SECONDS
# Seeds a corpus with every query of the golden file (one file each) and
# the conformance test scripts, then runs the fuzzer for SECONDS
# (MODE=libfuzzer) or replays the corpus once (MODE=replay).
set -eu
fuzzer=$1 mode=$2 golden=$3 work=$4 secs=$5
conf=$(dirname "$golden")/../../../../shared/conformance/promql
rm -rf "$work"
mkdir -p "$work/corpus"
i=0
sed -n 's/^Q //p' "$golden" | while IFS= read -r q; do
  i=$((i + 1))
  printf '%s' "$q" > "$work/corpus/q$i"
done
for f in "$conf"/*.test; do
  [ -f "$f" ] && cp "$f" "$work/corpus/"
done
if [ "$mode" = libfuzzer ]; then
  exec "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -dict="$(dirname "$0")/fuzz_promql.dict" \
    "$work/corpus"
fi
exec "$fuzzer" "$work/corpus"
