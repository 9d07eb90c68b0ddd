#!/usr/bin/env bash
# Installs the Debian packages heron needs.
#   scripts/deps.sh build   what `make run` needs: toolchain and libraries
#   scripts/deps.sh         everything `make test` needs: also the real peers
#                           that golden tests and benchmarks compare against
# Idempotent and non-interactive: packages already present are left alone,
# so a second run costs one dpkg query. Peers such as prometheus are
# installed without starting their system services (policy-rc.d), so
# installing them never opens ports on the machine.
set -euo pipefail

build_packages=(
  # toolchain
  build-essential cmake pkg-config
  # libraries (see docs/ARCHITECTURE.md, "Dependencies")
  libmicrohttpd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libyaml-dev libjansson-dev
  libpcre2-dev libzstd-dev libxxhash-dev libsqlite3-dev libsnappy-dev
  libprotobuf-c-dev protobuf-c-compiler
  # the unit-test framework (the build compiles the tests too)
  libcmocka-dev
)
test_packages=(
  # the real peers that golden tests and benchmarks compare against
  python3 python3-prometheus-client prometheus prometheus-node-exporter
  victoria-metrics curl
  # fuzzing (libFuzzer with ASan)
  clang libclang-rt-14-dev
)

packages=("${build_packages[@]}")
[ "${1:-all}" = build ] || packages+=("${test_packages[@]}")

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
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
