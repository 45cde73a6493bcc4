#!/usr/bin/env bash
# Installs build dependencies, builds skua (optimized) and starts the all-in-one in the foreground.
# Extra arguments are passed to skua (see `skua help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release skua
port="${QUERY_HTTP_SERVER_HOST_PORT:-:16686}"
# Where the spans are kept: the same settings skua reads (flags win over the environment).
storage="${SPAN_STORAGE_TYPE:-embedded}"
data="${EMBEDDED_DIRECTORY:-}"
base="${QUERY_BASE_PATH:-/}"
prev=""
for arg in "$@"; do
  case "$prev" in
    --span-storage.type) storage="$arg" ;;
    --embedded.directory) data="$arg" ;;
    --query.base-path) base="$arg" ;;
  esac
  case "$arg" in
    --span-storage.type=*) storage="${arg#*=}" ;;
    --embedded.directory=*) data="${arg#*=}" ;;
    --query.base-path=*) base="${arg#*=}" ;;
  esac
  prev="$arg"
done
if [[ -z "$data" && "$storage" == badger ]]; then
  data="${BADGER_DIRECTORY_VALUE:-${BADGER_DIRECTORY_KEY:-}}"
fi
base="${base%/}"
ui="http://localhost:${port##*:}${base}/"
if [[ -f web/dist/index.html || -n "${QUERY_STATIC_FILES:-}" ]]; then
  echo "skua: web UI on $ui (Jaeger query API on ${ui}api/services; Ctrl-C to stop)"
else
  echo "skua: Jaeger query API on ${ui}api/services; the web UI was not built (needs Node.js 18+ and npm); Ctrl-C to stop"
fi
if [[ "$storage" == memory ]]; then
  echo "skua: spans are kept in memory only (SPAN_STORAGE_TYPE=memory) and lost on restart"
elif [[ "$storage" == badger && "${BADGER_EPHEMERAL:-}" == true ]]; then
  echo "skua: spans are kept in a temporary directory removed at exit (BADGER_EPHEMERAL=true)"
else
  echo "skua: spans are kept in $(realpath -m "${data:-./skua-data}") (--embedded.directory or EMBEDDED_DIRECTORY to change)"
fi
exec build/release/src/cli/skua "$@"
