#!/usr/bin/env python3
"""call_bench.py: what a two-party call costs and how late it is, on loopback,
with the real bilan-server and two real bilan clients (640x480 test pattern
and a tone both ways, end-to-end encrypted, decoded on the other side).

Prints, for each direction, the capture-to-render latency p50/p95 of video
and audio (encode -> seal -> relay -> open -> decode -> play, on the server's
clock as both clients estimate it), and the CPU of each client process (% of
one core, from /proc over the measured window), next to the server's.

Usage: tests/bench/call_bench.py BUILD_DIR [--seconds 20] [--size 640x480]
Not a test: nothing here passes or fails on a figure. Waits are bounded
reads of the processes' output; the measuring window is a timed read too.
"""
import argparse
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def reader(proc):
    """A thread that hands the process's output over line by line."""
    q = queue.Queue()

    def pump():
        for line in proc.stdout:
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    proc.lines_q = q
    return proc


def wait_line(proc, pattern, timeout, lines):
    end = time.monotonic() + timeout
    rx = re.compile(pattern)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            line = proc.lines_q.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        m = rx.search(line)
        if m:
            return m
    raise SystemExit(f"call_bench: no /{pattern}/ within {timeout} s:\n" + "".join(lines[-20:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--size", default="640x480")
    a = ap.parse_args()
    server = os.path.join(a.build, "server", "bilan-server")
    client = os.path.join(a.build, "client", "bilan")
    tmp = tempfile.mkdtemp(prefix="bilan-callbench-")
    procs = []
    try:
        srv = subprocess.Popen([server, "serve", "--dev", "--data", os.path.join(tmp, "srv"), "--listen",
                                "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        reader(srv)
        procs.append(srv)
        lines = []
        wait_line(srv, r"enrolment link", 30, lines)
        link = next(re.search(r"(https://\S+/e/\S+)", l).group(1) for l in lines if "/e/" in l)
        ca, cb = os.path.join(tmp, "ca"), os.path.join(tmp, "cb")
        subprocess.run([client, "--data", ca, "enrol", link], check=True, capture_output=True, timeout=60)
        out = subprocess.run([client, "--data", ca, "bilan", "create", "--label", "bench"], check=True,
                             capture_output=True, text=True, timeout=60).stdout
        invite = re.search(r"^(https://\S+/j/\S+)$", out, re.M).group(1)
        bil = re.findall(r"bilan=([A-Za-z0-9_-]+)", subprocess.run(
            [client, "--data", ca, "bilan", "list"], check=True, capture_output=True, text=True).stdout)[-1]
        dur = str(a.seconds + 10)
        media = ["--headless", "--machine", "--confirm-sas", "--video", "pattern", "--audio", "tone", "--size", a.size,
                 "--duration", dur]
        pa = subprocess.Popen([client, "--data", ca, "join", bil, *media, "--stats", os.path.join(tmp, "a.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        reader(pa)
        procs.append(pa)
        la, lb = [], []
        wait_line(pa, r"^\[room\] joined", 30, la)
        pb = subprocess.Popen([client, "--data", cb, "join", invite, *media, "--stats", os.path.join(tmp, "b.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        reader(pb)
        procs.append(pb)
        wait_line(pb, r"keys gen=", 30, lb)
        wait_line(pa, r"keys gen=", 30, la)
        # Let the rate settle, then measure CPU over the window.
        select.select([], [], [], 3.0)
        t0 = time.monotonic()
        c0 = {p.pid: cpu_ticks(p.pid) for p in (srv, pa, pb)}
        select.select([], [], [], float(a.seconds))
        c1 = {p.pid: cpu_ticks(p.pid) for p in (srv, pa, pb)}
        wall = time.monotonic() - t0
        pa.wait(timeout=120)
        pb.wait(timeout=120)
        cpu = {p.pid: 100.0 * (c1[p.pid] - c0[p.pid]) / TICK / wall for p in (srv, pa, pb)}
        stats = {}
        for tag in ("a", "b"):
            with open(os.path.join(tmp, f"{tag}.json")) as f:
                stats[tag] = json.load(f)["media"]
        print(f"call_bench: two-party call at {a.size}, 30 frames/s, {a.seconds} s measured, loopback")
        for tag, other, me in (("a", "b", "consultant"), ("b", "a", "beneficiary")):
            r = stats[tag]["receive"]["slots"][0]
            v, au = r["video"]["latency_ms"], r["audio"]["latency_ms"]
            print(f"  {me} receiving: video latency p50 {v['p50']} ms p95 {v['p95']} ms; audio p50 {au['p50']} ms "
                  f"p95 {au['p95']} ms; lip sync |p95| {r['video']['lipsync_ms']['abs_p95']} ms; "
                  f"jitter buffer {r['audio']['delay_ms']} ms")
            s = stats[other]["send"]
            print(f"  {'beneficiary' if me == 'consultant' else 'consultant'} sending: "
                  f"{s['video']['frames_encoded']} frames, final target {s['rate']['target_kbps']} kbit/s")
        print(f"  CPU (% of one core): consultant {cpu[pa.pid]:.1f}, beneficiary {cpu[pb.pid]:.1f}, "
              f"server {cpu[srv.pid]:.1f}")
        print("  (latency is capture to render; it includes the receiver's jitter buffer, 40 ms at least)")
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
