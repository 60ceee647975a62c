#!/usr/bin/env bash
# test.sh: installs dependencies, builds, and runs the whole test suite twice:
# a normal build, then AddressSanitizer + UndefinedBehaviorSanitizer.
# Exits non-zero on any failure. BILAN_TEST_QUICK=1 skips the sanitizer pass.
# The sanitizer pass leaves out the browser tests labelled web_js (pure
# JavaScript judged in Chromium: no C code of ours runs but the page's server)
# and the tests labelled once (lint, packaging, a slow download's timing).
# Each phase says how long it took: the whole must fit in 30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
started=$SECONDS
phase() { echo "=== $* (at $((SECONDS - started)) s)"; }

# run_suite DIR "CTEST ARGS" CMAKE ARGS...
run_suite() {
  local dir=$1 ctest_args=$2; shift 2
  phase "build $dir ($*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  phase "test $dir"
  # shellcheck disable=SC2086 # ctest_args is a list of words
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600 $ctest_args)
}

run_suite build ""
# The deployment build (README) is -O3: its extra warnings must not break it.
phase "build build-release (Release, compile only)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBILAN_BENCH=ON >/dev/null
cmake --build build-release -j"$jobs"
if [ "${BILAN_TEST_QUICK:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan "-LE web_js|once" -DBILAN_SANITIZE=ON -DBILAN_BENCH=OFF
fi
phase "all tests passed"
