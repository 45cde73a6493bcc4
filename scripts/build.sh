#!/usr/bin/env bash
# Configures and builds skua. Usage: scripts/build.sh [release|asan|fuzz] [ninja targets…]
# Build trees: build/release (optimized), build/asan (ASan+UBSan), build/fuzz (clang + libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
shift || true
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=5G
args=(-G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# The sanitizer and fuzz builds leave the web UI out (SKUA_WEB_DIST empty): they test the C++.
case "$kind" in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=Debug -DSKUA_WITH_SANITIZERS=ON -DSKUA_WITH_BENCHMARKS=OFF
               -DSKUA_WEB_DIST=) ;;
  fuzz) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKUA_WITH_FUZZERS=ON -DSKUA_WITH_BENCHMARKS=OFF
               -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DSKUA_WEB_DIST=) ;;
  *) echo "unknown build kind: $kind" >&2; exit 2 ;;
esac

# The web UI (web/) is built first, so that CMake embeds web/dist in the binary. `npm ci` runs only
# when node_modules is missing or package-lock.json changed, `npm run build` only when a file in
# web/ is newer than the last build. Without Node.js 18+ and npm (or with SKUA_SKIP_WEB=1) skua is
# built without its UI and serves a page saying how to build it; the API works either way.
build_web() {
  [[ -f web/package.json ]] || return 0
  [[ "${SKUA_SKIP_WEB:-0}" != 1 ]] || return 0
  if ! command -v npm >/dev/null 2>&1 ||
     ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null
  then
    echo "build.sh: no Node.js 18+ with npm: building skua without its web UI" >&2
    return 0
  fi
  local stamp=web/node_modules/.skua-package-lock.sha256 sum
  sum=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [[ ! -d web/node_modules || "$(cat "$stamp" 2>/dev/null)" != "$sum" ]]; then
    echo "build.sh: npm ci in web/"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" > "$stamp"
  fi
  if [[ ! -f web/dist/index.html || -n "$(find web -path web/node_modules -prune -o -path web/dist \
        -prune -o -type f -newer web/dist/index.html -print -quit)" ]]; then
    echo "build.sh: npm run build in web/"
    (cd web && npm run build --silent)
  fi
}
[[ "$kind" != release ]] || build_web
cmake -S . -B "build/$kind" "${args[@]}" >/dev/null
ninja -C "build/$kind" "$@"
