#!/usr/bin/env python3
"""web_call.py: what a two-party 640x480 call costs in the browser and how
late it is, against the native client, in the same run (issue 12, "call").

Two calls on loopback through the real bilan-server, one after the other:
  1. native consultant <-> browser beneficiary (headless Chromium, its fake
     camera and microphone, the room page: call_room.js, media.js, e2e.js);
  2. native consultant <-> native beneficiary (the same pattern and tone).
Both with the 640x480 test pattern and a tone from the native side, end to
end encrypted, decoded on the other side.

Prints, over the same measuring window length:
  - the browser's CPU: each Chromium process's cpuTime (CDP
    SystemInfo.getProcessInfo: renderer, GPU, utility = capture and audio
    service, browser) and the page's main-thread TaskDuration/ScriptDuration
    (CDP Performance.getMetrics), as % of one core;
  - the native clients' CPU (/proc), for comparison;
  - capture-to-render latency in both directions: native -> browser from the
    page's media stats (sampled through the window), browser -> native from
    the native client's --stats; native <-> native from both --stats. The
    capture times are in the server's clock (PROTOCOL.md §4.3), so both
    directions are comparable;
  - the browser's figures as ratios of the native <-> native ones.

Usage: tests/bench/web_call.py BUILD_DIR [--seconds 30]
Not a test: nothing here passes or fails on a figure. Waits are bounded
polls of the processes and the page; the measuring window is a timed wait.
"""
import argparse
import json
import os
import select
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pct(vals, p):
    if not vals:
        return None
    v = sorted(vals)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def chromium_cpu(browser):
    """cpuTime (s) per Chromium process type, summed."""
    out = {}
    for p in browser.send("SystemInfo.getProcessInfo")["processInfo"]:
        out[p["type"]] = out.get(p["type"], 0.0) + float(p.get("cpuTime", 0.0))
    return out


def page_metrics(page):
    return {m["name"]: m["value"] for m in page.send("Performance.getMetrics")["metrics"]}


def native_latency(stats_path):
    with open(stats_path) as f:
        st = json.load(f)
    r = st["media"]["receive"]["slots"][0]
    return r["video"]["latency_ms"], r["audio"]["latency_ms"], r["video"]["decoded"]


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"web_call: waited {timeout} s for {what}")
        select.select([], [], [], 0.1)


LAT = r"""
(() => { const c = bilanRoom.call(); const r = c && c.media && Object.values(c.media.recv.slots)[0];
  return r ? [r.video.latencyMs ?? null, r.audio.latencyMs ?? null, r.video.decoded, r.audio.decoded,
              c.media.send.framesEncoded, c.media.send.audioPackets] : null; })()
"""


def browser_call(build, seconds):
    from harness import check  # noqa: F401  (imported for its environment set-up)
    from web_scene import WebScene
    s = WebScene("bench-web-call")
    pa = None
    try:
        stats = os.path.join(s.tmp, "native-web.json")
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--confirm-sas", "--video", "pattern",
                                "--audio", "tone", "--duration", str(seconds + 25), "--stats", stats)
        pa.wait_line(r"^\[room\] joined")
        page = s.open_room()
        # The page's network record is for tests; here it would cost CPU.
        page.send("Network.disable")
        page.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.wait("bilanRoom.call() && bilanRoom.call().media && "
                  "Object.values(bilanRoom.call().media.recv.slots).some((r) => r.video.decoded > 30)",
                  timeout=60, what="the call runs")
        select.select([], [], [], 3.0)            # let the rate settle
        c0, m0, n0, t0 = chromium_cpu(s.browser), page_metrics(page), cpu_s(pa.p.pid), time.monotonic()
        lv, la = [], []
        first = page.eval(LAT)
        end = t0 + seconds
        while time.monotonic() < end:
            v = page.eval(LAT)
            if v:
                if v[0] is not None:
                    lv.append(v[0])
                if v[1] is not None:
                    la.append(v[1])
            select.select([], [], [], 0.25)
        c1, m1, n1, t1 = chromium_cpu(s.browser), page_metrics(page), cpu_s(pa.p.pid), time.monotonic()
        last = page.eval(LAT)
        st = page.eval("bilanRoom.call().media.send")
        page.eval("document.getElementById('quitter').click()")
        rc = pa.wait_exit(seconds + 90)
        wall = t1 - t0
        nv, na, ndec = native_latency(stats)
        return {
            "wall": wall,
            "chromium": {k: 100 * (c1.get(k, 0) - c0.get(k, 0)) / wall for k in c1},
            "task": 100 * (m1.get("TaskDuration", 0) - m0.get("TaskDuration", 0)) / wall,
            "script": 100 * (m1.get("ScriptDuration", 0) - m0.get("ScriptDuration", 0)) / wall,
            "native_cpu": 100 * (n1 - n0) / wall,
            "to_browser": {"video_p50": pct(lv, 50), "video_p95": pct(lv, 95), "audio_p50": pct(la, 50),
                           "audio_p95": pct(la, 95), "samples": len(lv)},
            "to_native": {"video": nv, "audio": na, "decoded": ndec},
            "browser_decoded": last[2] if last else None, "browser_sent_frames": st["framesEncoded"],
            "browser_kbps": st.get("targetKbps"), "native_rc": rc,
            # What the page encoded in the window, per second (real time: 50 audio packets).
            "audio_per_s": (last[5] - first[5]) / wall if first and last else None,
            "video_per_s": (last[4] - first[4]) / wall if first and last else None,
            # The microphone since the call began: its samples, its own
            # timestamps and the page's clock, each as milliseconds.
            "mic": {k: st.get(k) for k in ("audioSamplesMs", "audioTsMs", "audioWallMs", "audioFilledMs")},
        }
    finally:
        if pa and pa.p.poll() is None:
            pa.kill()
        s.close(True)


def native_call(build, seconds):
    from harness import Client
    from test_rooms import Scene
    s = Scene("bench-native-call")
    procs = []
    try:
        ben = Client(s.tmp, "beneficiary")
        media = ["--headless", "--confirm-sas", "--video", "pattern", "--audio", "tone",
                 "--duration", str(seconds + 15)]
        sa, sb = os.path.join(s.tmp, "a.json"), os.path.join(s.tmp, "b.json")
        pa = s.consultant.spawn("join", s.bilan, *media, "--stats", sa)
        procs.append(pa)
        pa.wait_line(r"^\[room\] joined")
        pb = ben.spawn("join", s.link, *media, "--stats", sb)
        procs.append(pb)
        pb.wait_line(r"keys gen=")
        pa.wait_line(r"keys gen=")
        select.select([], [], [], 3.0)
        c0, t0 = (cpu_s(pa.p.pid), cpu_s(pb.p.pid)), time.monotonic()
        select.select([], [], [], float(seconds))
        c1, t1 = (cpu_s(pa.p.pid), cpu_s(pb.p.pid)), time.monotonic()
        pa.wait_exit(seconds + 90)
        pb.wait_exit(seconds + 90)
        wall = t1 - t0
        av, aa, _ = native_latency(sa)     # the consultant receiving from the beneficiary
        bv, ba, _ = native_latency(sb)     # the beneficiary receiving from the consultant
        return {"wall": wall, "cpu_a": 100 * (c1[0] - c0[0]) / wall, "cpu_b": 100 * (c1[1] - c0[1]) / wall,
                "to_consultant": {"video": av, "audio": aa}, "to_beneficiary": {"video": bv, "audio": ba}}
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.kill()
        s.close(True)


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ.setdefault("BILAN_SERVER", os.path.join(build, "server", "bilan-server"))
    os.environ.setdefault("BILAN_CLIENT", os.path.join(build, "client", "bilan"))
    os.environ.setdefault("BILAN_TEST_DEADLINE", "120")
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    from harness import TestSkipped
    try:
        w = browser_call(build, a.seconds)
    except TestSkipped as e:
        print(f"web_call: skipped ({e})")
        return 77
    n = native_call(build, a.seconds)
    ch = w["chromium"]
    total = sum(ch.values())
    print(f"web_call: two-party call at 640x480, 30 frames/s from the native side, {a.seconds} s measured, loopback")
    print("  native consultant <-> browser beneficiary (headless Chromium, fake camera 640x480 and microphone):")
    print(f"    Chromium CPU (% of one core, CDP SystemInfo cpuTime): total {total:.1f}; " +
          ", ".join(f"{k} {v:.1f}" for k, v in sorted(ch.items())))
    print(f"    the page's main thread (CDP Performance.getMetrics): TaskDuration {w['task']:.1f} %, "
          f"ScriptDuration {w['script']:.1f} % of one core")
    print(f"    native consultant in this call: {w['native_cpu']:.1f} %")
    tb, tn = w["to_browser"], w["to_native"]
    print(f"    native -> browser: video latency p50 {tb['video_p50']} ms p95 {tb['video_p95']} ms; "
          f"audio p50 {tb['audio_p50']} ms p95 {tb['audio_p95']} ms ({tb['samples']} samples of the page's stats)")
    print(f"    browser -> native: video latency p50 {tn['video']['p50']} ms p95 {tn['video']['p95']} ms; "
          f"audio p50 {tn['audio']['p50']} ms p95 {tn['audio']['p95']} ms ({tn['decoded']} frames decoded)")
    print(f"    browser sent {w['browser_sent_frames']} video frames (target {w['browser_kbps']} kbit/s), "
          f"decoded {w['browser_decoded']}; native exit {w['native_rc']}")
    if w["audio_per_s"] is not None:
        print(f"    the page encoded {w['audio_per_s']:.1f} audio packets/s (50 is real time) and "
              f"{w['video_per_s']:.1f} pictures/s in the window")
    mic = w["mic"]
    if mic.get("audioWallMs"):
        print(f"    the page's microphone over {mic['audioWallMs']} ms of the page's clock: "
              f"{mic['audioSamplesMs']} ms of samples, its timestamps span {mic['audioTsMs']} ms, "
              f"{mic.get('audioFilledMs') or 0} ms filled with silence (samples that never came)")
    print("  native consultant <-> native beneficiary:")
    print(f"    CPU (% of one core): consultant {n['cpu_a']:.1f}, beneficiary {n['cpu_b']:.1f}")
    for who, k in (("consultant -> beneficiary", "to_beneficiary"), ("beneficiary -> consultant", "to_consultant")):
        v, au = n[k]["video"], n[k]["audio"]
        print(f"    {who}: video latency p50 {v['p50']} ms p95 {v['p95']} ms; audio p50 {au['p50']} ms p95 {au['p95']} ms")
    print("  browser against native (ratios):")
    print(f"    CPU of the beneficiary's side: Chromium total {ratio(total, n['cpu_b'])}, "
          f"renderer alone {ratio(ch.get('renderer'), n['cpu_b'])} of the native beneficiary")
    nb, nc = n["to_beneficiary"], n["to_consultant"]
    print(f"    native -> browser video p50 {ratio(tb['video_p50'], nb['video']['p50'])}, "
          f"audio p50 {ratio(tb['audio_p50'], nb['audio']['p50'])} of native -> native")
    print(f"    browser -> native video p50 {ratio(tn['video']['p50'], nc['video']['p50'])}, "
          f"audio p50 {ratio(tn['audio']['p50'], nc['audio']['p50'])} of native -> native")
    print("  (latency is capture to render, jitter buffers included; Chromium's fake camera gives 20-30 pictures/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
