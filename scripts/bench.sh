#!/usr/bin/env bash
# Runs every benchmark program built under BUILD/bench (default build/) and
# prints their `name value unit` lines.
set -euo pipefail
build=${1:-build}
for b in $(find "$build/bench" -maxdepth 2 -type f -executable -name 'bench_*' | sort); do
  echo "== $b"
  "$b"
done
