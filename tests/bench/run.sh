#!/usr/bin/env bash
# run.sh: the relay benchmark end to end, on loopback.
#
# Builds (Release, in build-bench/) if needed, starts bilan-server --dev in a
# temporary folder, enrols a consultant with the bilan client, creates a bilan
# and two enrolment tokens of its consultant, runs bench_relay with the
# server's pid, the invite link and the two tokens, then stops the server
# (SIGTERM) and removes the folder.
#
# Usage: tests/bench/run.sh [bench_relay options...]
#   e.g. tests/bench/run.sh --bulk-mib 16 --latency-frames 500 --idle 200
# Environment: BUILD_DIR (default build-bench), BENCH_READY_TIMEOUT (seconds
# to wait for the server's ready line, default 30), BENCH_NO_BUILD=1 (use the
# binaries already in BUILD_DIR, e.g. while the rest of the tree does not
# configure).
#
# Waits are bounded reads (read -t) on the server's output, never sleeps.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build-bench}
case $BUILD_DIR in /*) B=$BUILD_DIR ;; *) B=$ROOT/$BUILD_DIR ;; esac
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30}
SERVER=$B/server/bilan-server
CLIENT=$B/client/bilan
BENCH=$B/tests/bench/bench_relay

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- build ----
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    say "BENCH_NO_BUILD=1: using the binaries in $B as they are"
else
    if [ ! -f "$B/CMakeCache.txt" ]; then
        say "configuring $B (Release)"
        cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    say "building bilan-server, bilan and bench_relay"
    cmake --build "$B" -j2 --target bilan-server bilan bench_relay >/dev/null ||
        die "build failed (run: cmake --build $B --target bilan-server bilan bench_relay)"
fi
for f in "$SERVER" "$CLIENT" "$BENCH"; do
    [ -x "$f" ] || die "$f missing after the build"
done

# ---- temporary folder and cleanup ----
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bilan-bench.XXXXXX")
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

# ---- server ----
# Its output goes through a FIFO so the ready line can be awaited with a
# bounded read; afterwards a background cat keeps draining it into a file.
mkfifo "$TMP/server.fifo"
# All bench connections come from 127.0.0.1, up to 64 of them signing in at
# once (IDLE_CONCURRENCY): lift the per-address cap of strangers (default 8).
"$SERVER" serve --dev --data "$TMP/server" --listen 127.0.0.1:0 --unauth-per-address 128 \
    >"$TMP/server.fifo" 2>&1 &
SPID=$!
exec 3<"$TMP/server.fifo"
: >"$TMP/server.log"

READY_RE='bilan-server: listening on wss://([^ /]+|\[[^]]+\]):([0-9]+)/ws \(pin ([A-Za-z0-9_-]{43})\)'
ENROL_RE='https://[^[:space:]]+/e/[A-Za-z0-9_-]{43}[^[:space:]]*'
HOSTPORT=''
ENROL_LINK=''
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
    left=$((deadline - SECONDS))
    [ $left -gt 0 ] || break
    # After the ready line, give a late enrolment link a few more seconds.
    if [ -n "$HOSTPORT" ] && [ $left -gt 5 ]; then deadline=$((SECONDS + 5)); left=5; fi
    IFS= read -r -t "$left" line <&3 || break
    printf '%s\n' "$line" >>"$TMP/server.log"
    if [[ $line =~ $READY_RE ]]; then
        HOSTPORT="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
    fi
    if [ -z "$ENROL_LINK" ] && [[ $line =~ $ENROL_RE ]]; then
        ENROL_LINK=${BASH_REMATCH[0]}
    fi
    [ -n "$HOSTPORT" ] && [ -n "$ENROL_LINK" ] && break
done
cat <&3 >>"$TMP/server.log" &
DRAIN=$!
kill -0 "$SPID" 2>/dev/null || die "bilan-server exited before it was ready"
[ -n "$HOSTPORT" ] || die "bilan-server printed no ready line within ${READY_TIMEOUT}s"
[ -n "$ENROL_LINK" ] || die "bilan-server --dev printed no consultant enrolment link (https://.../e/...)"
say "bilan-server pid $SPID listening on $HOSTPORT"

# ---- consultant, bilan, invites ----
C="$TMP/consultant"
bilan() { "$CLIENT" --data "$C" "$@"; }
out=$(bilan enrol "$ENROL_LINK" 2>&1) || die "bilan enrol failed: $out"
say "consultant enrolled"

JOIN_RE='https://[^[:space:]]+/j/[A-Za-z0-9_-]{43}[^[:space:]]*'
# A bilan id is 'b' and 16 base64url characters; whole words only.
ID_RE='(^|[^A-Za-z0-9_-])(b[A-Za-z0-9_-]{16})([^A-Za-z0-9_-]|$)'
invite_from() { grep -oE "$JOIN_RE" <<<"$1" | head -n 1 || true; }

out=$(bilan bilan create --label bench 2>&1) || die "bilan bilan create failed: $out"
INV1=$(invite_from "$out")
[ -n "$INV1" ] || die "bilan bilan create printed no invite link (https://.../j/...): $out"
BILAN_ID=
list=$(bilan bilan list 2>&1) || die "bilan bilan list failed: $list"
for text in "$list" "$out"; do
    while IFS= read -r l; do
        if [[ $l =~ $ID_RE ]]; then BILAN_ID=${BASH_REMATCH[2]}; break; fi
    done <<<"$text"
    [ -n "$BILAN_ID" ] && break
done
[ -n "$BILAN_ID" ] || die "no bilan id (b + 16 characters) in 'bilan bilan list': $list"
say "bilan $BILAN_ID created"

# The two other bench devices enrol as devices of the consultant (who owns the
# bilan, so they may join it): a further invite would replace INV1 before the
# bench redeems it (a reprint revokes the unused links).
consultant_token() {
    local o
    o=$("$SERVER" consultant token dev --data "$TMP/server" 2>&1) || die "bilan-server consultant token failed: $o"
    grep -oE '/e/[A-Za-z0-9_-]{43}' <<<"$o" | head -n 1 | cut -c4- || true
}
INV2=$(consultant_token)
INV3=$(consultant_token)
{ [ -n "$INV2" ] && [ -n "$INV3" ]; } || die "bilan-server consultant token printed no enrolment token"

# ---- bench ----
say "running bench_relay $*"
rc=0
"$BENCH" --server "$HOSTPORT" --pid "$SPID" --invite "$INV1" --invite "$INV2" --invite "$INV3" "$@" ||
    rc=$?
kill -0 "$SPID" 2>/dev/null || { say "bilan-server died during the bench"; SPID=; rc=1; }
[ $rc -eq 0 ] || die "bench_relay failed (exit $rc)"

# ---- stop the server ----
kill -TERM "$SPID"
src=0
wait "$SPID" || src=$?
SPID=
[ $src -eq 0 ] || say "warning: bilan-server exited with status $src after SIGTERM"
say "done"
