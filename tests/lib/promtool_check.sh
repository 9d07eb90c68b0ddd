#!/bin/sh
# heron's text exposition must parse and lint clean with Prometheus' own
# parser: `promtool check metrics` (Debian's prometheus 2.42) exits 0 only
# when the input parses and has no lint problems.
set -eu
"$1" text > "${TMPDIR:-/tmp}/heron_promtool_$$.txt"
trap 'rm -f "${TMPDIR:-/tmp}/heron_promtool_$$.txt"' EXIT
promtool check metrics < "${TMPDIR:-/tmp}/heron_promtool_$$.txt"
