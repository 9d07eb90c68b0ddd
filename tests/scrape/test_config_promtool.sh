#!/bin/sh
# `heron check config` agrees with Prometheus 2.42's `promtool check config`
# on the fixtures in tests/data/scrape: every good config (ML monitoring
# setups: node and GPU exporters, file_sd training jobs with
# kubernetes-style labels, pushgateway, blackbox, auth, remote_write) passes
# both with exit 0; every file in bad/ fails both with exit 1, and heron's
# message contains the text the file's first line expects ("# expect: ..."),
# which names the file, the line and the field.
# Usage: test_config_promtool.sh HERON SOURCE_DIR
set -u
heron=$1 data=$2/tests/data/scrape
fail=0
for f in "$data"/*.yml; do
    promtool check config "$f" > /dev/null 2>&1; p=$?
    "$heron" check config "$f" > /dev/null 2>&1; h=$?
    if [ $p -ne 0 ] || [ $h -ne 0 ]; then
        echo "FAIL $f: promtool exit $p, heron exit $h (want 0, 0)"
        "$heron" check config "$f"
        fail=1
    else
        echo "ok   $f"
    fi
done
for f in "$data"/bad/*.yml; do
    want=$(head -n 1 "$f" | sed 's/^# expect: //')
    promtool check config "$f" > /dev/null 2>&1; p=$?
    out=$("$heron" check config "$f" 2>&1); h=$?
    case "$out" in
        *"$want"*) msg=1 ;;
        *) msg=0 ;;
    esac
    if [ $p -ne 1 ] || [ $h -ne 1 ] || [ $msg -ne 1 ]; then
        echo "FAIL $f: promtool exit $p, heron exit $h (want 1, 1); heron said:"
        echo "$out"
        echo "  wanted: $want"
        fail=1
    else
        echo "ok   $f"
    fi
done
exit $fail
