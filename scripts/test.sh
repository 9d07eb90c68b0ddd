#!/usr/bin/env bash
# Runs the ctest suite in each build directory given (release first, then
# the sanitizer build) and ends with one line "test: N passed, M failed"
# summing all of them. Exits non-zero if any test failed.
set -uo pipefail

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
jobs=$(nproc)
passed=0
failed=0
for dir in "$@"; do
  echo "== ctest in $dir"
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 900 2>&1 | tee "$log"
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  rm -f "$log"
  if [ -z "$summary" ]; then
    echo "test.sh: no ctest summary in $dir" >&2
    failed=$((failed + 1))
    continue
  fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  bad=$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
done
echo "test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
