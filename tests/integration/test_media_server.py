#!/usr/bin/env python3
"""test_media_server.py: the server's side of live media (PROTOCOL.md §4.3)
over real sockets, with the real bilan-server and raw members
(harness.RawWs, from test_flow's Scene). Binary frames are any bytes after a
valid 16-byte header: the server never opens a payload.

- clock: `clock` is answered with the request's ref and the server's Unix
  time in ms, within a few seconds of ours (same machine).
- keyframe_forwarding: A's keyframe_request about B's slot reaches B as
  keyframe_request {slot: A, reason: "decode"}; a second one in the same
  instant does not, nor does anything for a request naming an empty slot or
  A's own, and A gets no error. Requests sent every 20 ms for 1.2 s reach B
  at most once per 250 ms.
- frozen_receiver: three members; R stops reading its socket, N reads
  everything, S sends 6 KB video frames at 30 per second. S's media_report
  shows R's wait growing past the video delay (500 ms) and R's video dropped
  while R's queue is still far under the byte budget (the delay rule, not the
  budget), N with nothing dropped and no wait to speak of; S gets
  keyframe_request {slot: R, reason: "congestion"}.

Every wait polls a socket against a deadline. Run one scenario:
test_media_server.py NAME; all: test_media_server.py.
"""
import json
import struct
import time

from harness import TestFailure, WsClosed, check, frame, run_tests
from test_flow import QUEUE_KIB, Scene, frames_ready

VIDEO = 2                  # bp/kinds.h BP_KIND_VIDEO
DELAY_MS = 500             # server/queue.h QUEUE_VIDEO_DELAY_MS_DEFAULT
PACE_MS = 250              # server/handle_media.h MEDIA_KF_FORWARD_MS


def texts(ws, wait):
    """The text messages that have arrived on ws (waiting at most `wait` s
    when none has), as dicts; binary frames left out."""
    return [json.loads(p) for op, p in frames_ready(ws, wait) if op == 0x1]


def read_until(ws, pred, what, timeout=10.0):
    """Every text message up to and including the first for which pred is
    true; fails after timeout seconds."""
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for m in texts(ws, 0.1):
            seen.append(m)
            if pred(m):
                return seen
    raise TestFailure(f"no {what} within {timeout} s (got {[m.get('type') for m in seen]})")


def settle(*wss):
    """Reads what the setup left (the others' member_joined)."""
    for ws in wss:
        while texts(ws, 0.2):
            pass


def t_clock():
    s = Scene("media-clock", 1)
    try:
        (a, _), = s.members
        settle(a)
        before = time.time() * 1000
        a.send_json({"type": "clock", "ref": "c1"})
        m = read_until(a, lambda m: m.get("type") == "clock", "clock reply")[-1]
        after = time.time() * 1000
        check(m.get("ref") == "c1", f"the clock reply carries the request's ref ({m})")
        ms = m.get("server_ms")
        check(isinstance(ms, int) and before - 3000 <= ms <= after + 3000,
              f"server_ms {ms} is the server's Unix time in ms (ours: {before:.0f} to {after:.0f})")
        print(f"  measured: server_ms - local midpoint = {ms - (before + after) / 2:.0f} ms, "
              f"round trip {after - before:.1f} ms", flush=True)
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_keyframe_forwarding():
    s = Scene("media-kf", 2)
    try:
        (a, sa), (b, sb) = s.members
        settle(a, b)
        empty = next(i for i in range(4) if i not in (sa, sb))
        kr = lambda slot: {"type": "keyframe_request", "slot": slot}  # noqa: E731
        # One burst: the server reads it in one go, well within 250 ms. The
        # e2e to B is a barrier: a forwarded request would be queued for B
        # before it (and control messages are written first); the clock
        # reply is A's barrier (an error would come before it).
        a.send_json_burst([kr(sb), kr(sb), kr(empty), kr(sa),
                           {"type": "e2e", "to": sb, "body": {"marker": 1}},
                           {"type": "clock", "ref": "barrier"}])
        got_b = read_until(b, lambda m: m.get("type") == "e2e", "e2e barrier on B")
        kfs = [m for m in got_b if m.get("type") == "keyframe_request"]
        check(len(kfs) == 1, f"B got exactly one keyframe_request from the burst ({kfs})")
        check(kfs and kfs[0].get("slot") == sa and kfs[0].get("reason") == "decode",
              f"...naming A's slot {sa}, reason decode ({kfs})")
        got_a = read_until(a, lambda m: m.get("type") == "clock", "clock barrier on A")
        check(not [m for m in got_a if m.get("type") in ("error", "keyframe_request")],
              f"A got no error and no keyframe_request (an empty slot, its own) ({got_a})")
        # Sent every 20 ms for 1.2 s: at most one per 250 ms reaches B.
        arrivals, t0 = [], time.monotonic()
        nxt = t0
        while time.monotonic() < t0 + 1.2:
            if time.monotonic() >= nxt:
                a.send_json(kr(sb))
                nxt += 0.02
            for m in texts(b, max(0.0, min(0.02, nxt - time.monotonic()))):
                if m.get("type") == "keyframe_request":
                    arrivals.append(time.monotonic())
        a.send_json({"type": "e2e", "to": sb, "body": {"marker": 2}})
        for m in read_until(b, lambda m: m.get("type") == "e2e", "second e2e barrier on B"):
            if m.get("type") == "keyframe_request":
                arrivals.append(time.monotonic())
        span = time.monotonic() - t0
        check(2 <= len(arrivals) <= span * 1000 / PACE_MS + 1,
              f"{len(arrivals)} of 60 requests forwarded in {span:.2f} s: more than one, at most one per "
              f"{PACE_MS} ms")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_frozen_receiver():
    s = Scene("media-frozen", 3)
    try:
        (S, ss), (R, rs), (N, ns) = s.members
        settle(S, R, N)
        # R reads nothing from now on.
        payload = bytes(6000)
        seq, nxt, t0 = 0, time.monotonic(), time.monotonic()
        reports, congestion, first_drop = [], [], None
        S.sock.settimeout(5)
        while time.monotonic() < t0 + 8 and first_drop is None:
            now = time.monotonic()
            if now >= nxt:
                S.send_bin(frame(VIDEO, seq, payload, slot=ss, ts=seq * 3000, cap=seq * 33))
                seq += 1
                nxt += 1 / 30
            for m in texts(S, max(0.0, min(0.03, nxt - time.monotonic()))):
                if m.get("type") == "media_report":
                    rx = {r["slot"]: r for r in m.get("receivers", [])}
                    reports.append((time.monotonic() - t0, rx))
                    if rx.get(rs, {}).get("dropped_video", 0) > 0:
                        first_drop = rx
                elif m.get("type") == "keyframe_request":
                    congestion.append(m)
            frames_ready(N, 0)   # N keeps up
        for t, rx in reports:
            print(f"  report at {t:.1f} s: R {rx.get(rs)}, N {rx.get(ns)}", flush=True)
        check(first_drop is not None, f"within 8 s, a media_report shows R's video dropped ({len(reports)} "
                                      f"reports, {seq} frames sent)")
        r, n = first_drop[rs], first_drop[ns]
        waits = [rx[rs]["queue_ms"] for _, rx in reports if rs in rx]
        check(r["queue_ms"] > DELAY_MS, f"R's queue_ms grew past the video delay ({waits})")
        check(r["queued_bytes"] < QUEUE_KIB * 1024 // 2,
              f"R's video was dropped for its delay, its queue far under the budget ({r['queued_bytes']} "
              f"bytes < {QUEUE_KIB // 2} KiB)")
        check(n["dropped_video"] == 0 and n["queue_ms"] < DELAY_MS,
              f"N, which reads, had nothing dropped and no wait to speak of ({n})")
        check(set(first_drop) == {rs, ns}, f"one entry per other member, none for S itself ({first_drop})")
        check(any(m.get("slot") == rs and m.get("reason") == "congestion" for m in congestion),
              f"S was asked for a keyframe on R's behalf, reason congestion ({congestion})")
        print(f"  measured: first drop reported {reports[-1][0]:.1f} s after the first frame, R's queue "
              f"{r['queued_bytes']} bytes, wait {r['queue_ms']} ms", flush=True)
        s.close()
    except Exception:
        s.close(ok=False)
        raise


TESTS = {
    "clock": t_clock,
    "keyframe_forwarding": t_keyframe_forwarding,
    "frozen_receiver": t_frozen_receiver,
}

if __name__ == "__main__":
    run_tests(TESTS)
