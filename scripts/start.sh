#!/usr/bin/env bash
# Installs build dependencies, builds skua (optimized) and starts the all-in-one in the foreground.
# Extra arguments are passed to skua (see `skua help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release skua
port="${QUERY_HTTP_SERVER_HOST_PORT:-:16686}"
echo "skua: Jaeger query API on http://localhost:${port##*:}/api/services (the web UI is not built yet; Ctrl-C to stop)"
exec build/release/src/cli/skua "$@"
