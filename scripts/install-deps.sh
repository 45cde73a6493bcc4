#!/usr/bin/env bash
# Installs what building and testing skua needs, from Debian 12 packages. Idempotent: packages
# already present are not reinstalled. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libsimdjson-dev libcpp-httplib-dev zlib1g-dev libzstd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # Tests also need clang/libFuzzer for the fuzz targets; Node.js (below) runs the real-client
  # tests.
  packages+=(clang-14 libclang-rt-14-dev curl)
  # Debian span senders used by tests/clients (clients.md §2).
  packages+=(ruby-jaeger-client python3-py-zipkin)
  # Debian's Chromium drives the web UI's end-to-end tests (tests/ui, clients.md §4).
  packages+=(chromium)
  packages+=(clickhouse-server clickhouse-client openssl)  # ClickHouse backend tests: a real server (clients.md §5) and a TLS cert
fi
# Node.js and npm build the web UI (web/) and run its tests; a Node.js installed another way
# (e.g. nvm or NodeSource, which bundle npm) is used as it is.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
