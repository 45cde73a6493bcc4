#!/usr/bin/env bash
# Configures and builds skua. Usage: scripts/build.sh [release|asan|fuzz] [ninja targets…]
# Build trees: build/release (optimized), build/asan (ASan+UBSan), build/fuzz (clang + libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
shift || true
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=5G
args=(-G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
case "$kind" in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=Debug -DSKUA_WITH_SANITIZERS=ON -DSKUA_WITH_BENCHMARKS=OFF) ;;
  fuzz) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKUA_WITH_FUZZERS=ON -DSKUA_WITH_BENCHMARKS=OFF
               -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14) ;;
  *) echo "unknown build kind: $kind" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" "${args[@]}" >/dev/null
ninja -C "build/$kind" "$@"
