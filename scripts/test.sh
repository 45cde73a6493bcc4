#!/usr/bin/env bash
# Installs everything, builds, and runs every test: unit and integration tests (ctest) in the
# optimized build, again under ASan+UBSan, bounded fuzz runs, the real-client tests (Node.js
# OpenTelemetry SDK exporters against a live skua), and the web UI's unit (vitest) and end-to-end
# (Chromium) tests. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
jobs="${SKUA_TEST_JOBS:-2}"
mkdir -p build/test-logs
log="build/test-logs"

scripts/install-deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
# Reads ctest's "N tests failed out of M" summary from a log and adds it to the totals.
count_ctest() {
  local summary total fail
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  if [[ -z "$summary" ]]; then
    echo "!! $2: no ctest summary (build or run failure), see $1"
    failed=$((failed + 1))
    return
  fi
  fail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
  passed=$((passed + total - fail))
  failed=$((failed + fail))
  echo "== $2: $((total - fail)) passed, $fail failed"
}

run_suite() {  # kind, ctest args…
  local kind="$1"
  shift
  if ! scripts/build.sh "$kind" > "$log/build-$kind.log" 2>&1; then
    echo "!! build $kind failed:"
    grep -E 'FAILED:|error:|undefined reference' "$log/build-$kind.log" | cut -c1-300 | head -30
    failed=$((failed + 1))
    return
  fi
  (cd "build/$kind" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@") > "$log/ctest-$kind.log" 2>&1
  grep -E '\*\*\*(Failed|Timeout|Exception)|Not Run' "$log/ctest-$kind.log" | head -50
  count_ctest "$log/ctest-$kind.log" "ctest ($kind)"
}

# The real client libraries (tests/clients): the node tests below and the multi-process ctest
# tests that send through the OpenTelemetry JS SDK (tests/integration/clickhouse_roles_test.cc).
(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error) > "$log/npm.log" 2>&1 \
  || { echo "!! npm ci failed, see $log/npm.log"; failed=$((failed + 1)); }

# 1. Optimized build: every unit and integration test.
run_suite release

# 2. Real clients: the OpenTelemetry JS SDK exporters against the release skua binary.
if [[ -x build/release/src/cli/skua ]]; then
  SKUA_BIN="$root/build/release/src/cli/skua" node --test --test-concurrency=1 tests/clients/ \
    > "$log/node-tests.log" 2>&1
  n_pass=$(grep -E '^# pass ' "$log/node-tests.log" | awk '{print $3}')
  n_fail=$(grep -E '^# fail ' "$log/node-tests.log" | awk '{print $3}')
  if [[ -z "$n_pass" ]]; then
    echo "!! node tests produced no summary, see $log/node-tests.log"; failed=$((failed + 1))
  else
    [[ "$n_fail" != "0" ]] && grep -E '^not ok|# Subtest|error' "$log/node-tests.log" | head -40
    passed=$((passed + n_pass)); failed=$((failed + n_fail))
    echo "== real clients (node): $n_pass passed, $n_fail failed"
  fi
fi

# Adds a `node --test` run's "# pass N" / "# fail N" summary (TAP) to the totals.
count_node() {  # log, label
  local n_pass n_fail n_cancelled n_top_failed
  n_pass=$(grep -E '^# pass ' "$1" | awk '{print $3}')
  n_fail=$(grep -E '^# fail ' "$1" | awk '{print $3}')
  if [[ -z "$n_pass" ]]; then
    echo "!! $2 produced no summary, see $1"; failed=$((failed + 1))
    return
  fi
  # Tests cancelled because their suite's hook failed did not pass either; a failed suite hook
  # with nothing else counted is one failure.
  n_cancelled=$(grep -E '^# cancelled ' "$1" | awk '{print $3}')
  n_fail=$((n_fail + ${n_cancelled:-0}))
  n_top_failed=$(grep -cE '^not ok ' "$1" || true)
  if [[ "$n_fail" == "0" && "$n_top_failed" != "0" ]]; then n_fail=$n_top_failed; fi
  [[ "$n_fail" != "0" ]] && grep -E '^ *not ok|error:' "$1" | head -40
  passed=$((passed + n_pass)); failed=$((failed + n_fail))
  echo "== $2: $n_pass passed, $n_fail failed"
}

# 3. Web UI: its unit tests (vitest, in web/) and the end-to-end tests (tests/ui: playwright-core
# driving Debian's Chromium against the release skua, which embeds the UI built by build.sh).
if [[ -f web/package.json ]]; then
  rm -f "$log/vitest.json"
  if [[ ! -d web/node_modules ]]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error) > "$log/npm-web.log" 2>&1
  fi
  (cd web && npm test -- --reporter=default --reporter=json --outputFile.json="$root/$log/vitest.json") \
    > "$log/vitest.log" 2>&1
  if [[ -s "$log/vitest.json" ]]; then
    # A test file that fails to load fails no test: count each such file as one failure.
    read -r v_pass v_fail < <(node -e 'const r = require(process.argv[1]);
      const broken = r.testResults.filter((f) => f.status === "failed" &&
        !f.assertionResults.some((a) => a.status === "failed")).length;
      console.log(r.numPassedTests, r.numFailedTests + broken)' "$root/$log/vitest.json")
    [[ "$v_fail" != "0" ]] && grep -E 'FAIL|✗|×|Error' "$log/vitest.log" | head -30
    passed=$((passed + v_pass)); failed=$((failed + v_fail))
    echo "== web UI unit tests (vitest): $v_pass passed, $v_fail failed"
  else
    echo "!! web UI unit tests did not run, see $log/vitest.log"; failed=$((failed + 1))
  fi
fi
if [[ -x build/release/src/cli/skua && -f web/dist/index.html ]]; then
  (cd tests/ui && npm ci --no-audit --no-fund --loglevel=error) > "$log/npm-ui.log" 2>&1 \
    || { echo "!! npm ci in tests/ui failed, see $log/npm-ui.log"; failed=$((failed + 1)); }
  rm -rf "$log/ui-screenshots"
  SKUA_BIN="$root/build/release/src/cli/skua" SKUA_UI_SCREENSHOTS="$root/$log/ui-screenshots" \
    node --test --test-concurrency=1 tests/ui/ > "$log/ui-tests.log" 2>&1
  count_node "$log/ui-tests.log" "web UI end-to-end (chromium)"
elif [[ -f web/package.json ]]; then
  echo "!! web UI end-to-end tests skipped: no release skua or no web/dist (see $log/build-release.log)"
  failed=$((failed + 1))
fi

# 4. Sanitizers: the same ctest suite under ASan+UBSan.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite asan

# 5. Fuzzers: a short bounded run of every decoder's libFuzzer target.
fuzz_targets=$(grep -rhoE 'skua_cc_fuzzer\(NAME [a-z0-9_]+' src | awk '{print "skua_"$2}' | tr '\n' ' ')
if [[ -n "$fuzz_targets" ]]; then
  if scripts/build.sh fuzz $fuzz_targets > "$log/build-fuzz.log" 2>&1; then
    (cd build/fuzz && ctest -R '^fuzz\.' -j "$jobs" --timeout 300) > "$log/ctest-fuzz.log" 2>&1
    count_ctest "$log/ctest-fuzz.log" "fuzz"
  else
    echo "!! fuzz build failed:"; grep -E 'FAILED:|error:|undefined reference' "$log/build-fuzz.log" | cut -c1-300 | head -20
    failed=$((failed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
