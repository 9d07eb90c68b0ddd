#!/usr/bin/env bash
# Installs the Debian packages heron builds, tests and benchmarks with.
# Idempotent and non-interactive: packages already present are left alone,
# so a second run costs one dpkg query.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config
  # libraries (see docs/ARCHITECTURE.md, "Dependencies")
  libmicrohttpd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libyaml-dev libjansson-dev
  libpcre2-dev libzstd-dev libxxhash-dev libsqlite3-dev libsnappy-dev
  libprotobuf-c-dev protobuf-c-compiler
  # tests: unit framework and the real peers that golden tests compare against
  libcmocka-dev python3 python3-prometheus-client prometheus
  prometheus-node-exporter curl victoria-metrics
  # fuzzing (libFuzzer with ASan for the PromQL parser)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
