#!/usr/bin/env bash
# media.sh: the issue-9 benchmarks end to end: the client's cost per video
# frame and our VP8 encoder against vpxenc (bench_media), then the server's
# capacity in two-party rooms of live audio and video (bench_load).
#
# Builds (Release, in build-bench/) if needed, runs bench_media, starts
# bilan-server --dev in a temporary folder, makes one consultant enrolment
# token per room of the largest level (`bilan-server consultant token`, into
# a file readable only by us), runs bench_load with the server's pid, stops
# the server (SIGTERM) and removes the folder. Figures go to stdout; each
# program ends with a line 'BENCH_JSON {...}'.
#
# Usage: tests/bench/media.sh
# Environment:
#   BENCH_ROOMS        room counts for bench_load (default 10,50,100,200)
#   BENCH_MEDIA_ARGS   more bench_media options (e.g. "--frames 60 --repeats 1")
#   BENCH_LOAD_ARGS    more bench_load options (e.g. "--duration 3 --workers 1")
#   BENCH_SKIP_MEDIA=1 / BENCH_SKIP_LOAD=1   run only the other one
#   BUILD_DIR (default build-bench), BENCH_NO_BUILD=1 (binaries as they are),
#   BENCH_READY_TIMEOUT (seconds to wait for the server's ready line, default 30)
#
# Waits are bounded reads (read -t) on the server's output, never sleeps.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}
ROOMS=${BENCH_ROOMS:-10,50,100,200}
SERVER=$B/server/bilan-server
MEDIA=$B/tests/bench/bench_media
LOAD=$B/tests/bench/bench_load

say() { printf 'media.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $ROOMS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "BENCH_ROOMS wants counts separated by commas: $ROOMS"
MAX_ROOMS=0
IFS=, read -r -a levels <<<"$ROOMS"
for n in "${levels[@]}"; do [ "$n" -gt "$MAX_ROOMS" ] && MAX_ROOMS=$n; done

# ---- build ----
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    say "BENCH_NO_BUILD=1: using the binaries in $B as they are"
else
    if [ ! -f "$B/CMakeCache.txt" ]; then
        say "configuring $B (Release)"
        cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    say "building bilan-server, bench_media and bench_load"
    cmake --build "$B" -j2 --target bilan-server bilan bench_media bench_load >/dev/null ||
        die "build failed (run: cmake --build $B --target bilan-server bilan bench_media bench_load)"
fi
for f in "$SERVER" "$MEDIA" "$LOAD"; do
    [ -x "$f" ] || die "$f missing after the build"
done

# ---- temporary folder and cleanup ----
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bilan-media-bench.XXXXXX")
SPID=
DRAIN=
cleanup() {
    local rc=$?
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
        kill -TERM "$SPID" 2>/dev/null || true
        wait "$SPID" 2>/dev/null || true
    fi
    if [ -n "$DRAIN" ]; then
        wait "$DRAIN" 2>/dev/null || true
    fi
    exec 3<&- 2>/dev/null || true
    if [ $rc -ne 0 ] && [ -f "$TMP/server.log" ]; then
        say "last lines of the server's output:"
        tail -n 20 "$TMP/server.log" >&2 || true
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. the client's cost per frame, our encoder against vpxenc ----
if [ "${BENCH_SKIP_MEDIA:-0}" != 1 ]; then
    command -v vpxenc >/dev/null || say "warning: no vpxenc on PATH: bench_media will have no reference figures"
    say "running bench_media ${BENCH_MEDIA_ARGS:-}"
    # shellcheck disable=SC2086 # options are words on purpose
    "$MEDIA" --tmpdir "$TMP" ${BENCH_MEDIA_ARGS:-} || die "bench_media failed"
fi
[ "${BENCH_SKIP_LOAD:-0}" = 1 ] && exit 0

# ---- 2. the server ----
# Output through a FIFO so the ready line can be awaited with a bounded read;
# afterwards a background cat keeps draining it into a file.
mkfifo "$TMP/server.fifo"
# Every bench connection comes from 127.0.0.1, up to 2 x 48 signing in at
# once: lift the per-address cap of strangers (default 8).
"$SERVER" serve --dev --data "$TMP/server" --listen 127.0.0.1:0 --unauth-per-address 256 \
    >"$TMP/server.fifo" 2>&1 &
SPID=$!
exec 3<"$TMP/server.fifo"
: >"$TMP/server.log"
READY_RE='bilan-server: listening on wss://([^ /]+|\[[^]]+\]):([0-9]+)/ws'
HOSTPORT=''
deadline=$((SECONDS + READY_TIMEOUT))
while [ -z "$HOSTPORT" ]; do
    left=$((deadline - SECONDS))
    [ $left -gt 0 ] || break
    IFS= read -r -t "$left" line <&3 || break
    printf '%s\n' "$line" >>"$TMP/server.log"
    if [[ $line =~ $READY_RE ]]; then HOSTPORT="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"; fi
done
cat <&3 >>"$TMP/server.log" &
DRAIN=$!
kill -0 "$SPID" 2>/dev/null || die "bilan-server exited before it was ready"
[ -n "$HOSTPORT" ] || die "bilan-server printed no ready line within ${READY_TIMEOUT}s"
say "bilan-server pid $SPID listening on $HOSTPORT"

# ---- consultant enrolment tokens: one device per room's consultant ----
TOKENS="$TMP/tokens"
(umask 077 && : >"$TOKENS")
for ((i = 0; i < MAX_ROOMS; i++)); do
    o=$("$SERVER" consultant token dev --data "$TMP/server" 2>&1) ||
        die "bilan-server consultant token failed"
    t=$(grep -oE '/e/[A-Za-z0-9_-]{43}' <<<"$o" | head -n 1 | cut -c4-) || true
    [ -n "$t" ] || die "bilan-server consultant token printed no enrolment token"
    printf '%s\n' "$t" >>"$TOKENS"
done
say "$MAX_ROOMS consultant enrolment tokens made"

# ---- bench_load ----
say "running bench_load --rooms $ROOMS ${BENCH_LOAD_ARGS:-}"
rc=0
# shellcheck disable=SC2086
"$LOAD" --server "$HOSTPORT" --pid "$SPID" --tokens "$TOKENS" --rooms "$ROOMS" \
    ${BENCH_LOAD_ARGS:-} || rc=$?
kill -0 "$SPID" 2>/dev/null || { say "bilan-server died during the bench"; SPID=; rc=1; }
[ $rc -eq 0 ] || die "bench_load failed (exit $rc)"

kill -TERM "$SPID"
src=0
wait "$SPID" || src=$?
SPID=
[ $src -eq 0 ] || say "warning: bilan-server exited with status $src after SIGTERM"

# ---- a real call: latency end to end and the clients' CPU ----
if [ "${BENCH_NO_CALL:-0}" != 1 ]; then
    say "running call_bench.py (two real clients, 640x480, 20 s)"
    python3 "$ROOT/tests/bench/call_bench.py" "$B" ${BENCH_CALL_ARGS:-} || die "call_bench failed"
fi
say "done"
