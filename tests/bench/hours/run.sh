#!/usr/bin/env bash
# run.sh: the hours benchmark (bench_hours), built in Release (in build-bench/
# unless BUILD_DIR says otherwise). Prints, per operation, the median cost
# the previous way and with the ledger, and their ratio, for a full bilan
# (~12,000 journal events) and for ~1,000,000 events.
#
# Usage: tests/bench/hours/run.sh [EVENTS [REPEATS]]   (default 999000 7)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
if [ ! -f "$B/CMakeCache.txt" ]; then
    echo "run.sh: configuring $B (Release)" >&2
    cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$B" -j2 --target bench_hours >/dev/null
exec "$B/tests/bench/hours/bench_hours" "$@"
