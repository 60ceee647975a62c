#!/usr/bin/env bash
# run.sh: the SFrame crypto benchmark (bench_sframe).
#
# Builds bench_sframe in Release (in build-bench/ unless BUILD_DIR says
# otherwise) and runs it, passing its options through. With --callgrind, runs
# it once under valgrind's callgrind with a fixed iteration count (so the
# instruction counts are comparable between runs) and prints where the output
# file is.
#
# Usage: tests/bench/crypto/run.sh [--callgrind] [bench_sframe options...]
#   e.g. tests/bench/crypto/run.sh --rounds 11
#        tests/bench/crypto/run.sh --callgrind --iters 2000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
BENCH=$B/tests/bench/crypto/bench_sframe

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

CALLGRIND=0
if [ "${1:-}" = "--callgrind" ]; then CALLGRIND=1; shift; fi

if [ ! -f "$B/CMakeCache.txt" ]; then
    say "configuring $B (Release)"
    cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$B" -j2 --target bench_sframe >/dev/null ||
    die "build failed (run: cmake --build $B --target bench_sframe)"
[ -x "$BENCH" ] || die "$BENCH missing after the build"

if [ $CALLGRIND -eq 1 ]; then
    command -v valgrind >/dev/null || die "valgrind not installed (apt-get install valgrind)"
    args=("$@")
    [[ " ${args[*]-} " == *" --iters "* ]] || args+=(--iters 2000)
    [[ " ${args[*]-} " == *" --rounds "* ]] || args+=(--rounds 1)
    out=$(mktemp "${TMPDIR:-/tmp}/callgrind.sframe.XXXXXX")
    valgrind --tool=callgrind --callgrind-out-file="$out" "$BENCH" "${args[@]}"
    say "callgrind output: $out (callgrind_annotate $out)"
else
    "$BENCH" "$@"
fi
