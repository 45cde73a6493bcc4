#!/usr/bin/env bash
# Runs skua's benchmark suite and rewrites BENCHMARKS.md: builds the release tree, measures the
# baselines of workload-and-targets §2, the microbenchmarks, and whole-process ingest, freshness
# and query figures for each storage backend. Usage: scripts/bench.sh [--quick|--full] [--help].
# The driver is bench/bench.py (Python 3 standard library); docs/benchmarks.md explains the report.
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3
exec "$python" bench/bench.py "$@"
