#!/usr/bin/env bash
# ws_merge.sh: the worksheet merge benchmark (bench_ws_merge).
#
# Builds bench_ws_merge in Release (in build-bench/ unless BUILD_DIR says
# otherwise) and runs it, passing its options through; its last line is
# 'BENCH_JSON {...}' for scripts.
#
# Usage: tests/bench/ws_merge.sh [--rounds N]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
BENCH=$B/tests/bench/bench_ws_merge

say() { printf 'ws_merge.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [ ! -f "$B/CMakeCache.txt" ]; then
    say "configuring $B (Release)"
    cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$B" -j2 --target bench_ws_merge >/dev/null ||
    die "build failed (run: cmake --build $B --target bench_ws_merge)"
[ -x "$BENCH" ] || die "$BENCH missing after the build"
"$BENCH" "$@"
