#!/usr/bin/env python3
"""test_window.py: the room's window (issue 10, part 1) with the real
bilan-server and two real bilan clients, each drawing its window on its own
Xvfb display, judged from screenshots (ffmpeg's x11grab) and the clients'
own output and --stats figures.

Scenario (one ctest entry):
  two_windows  the consultant (18 pt) and the beneficiary (--text-size 32
               --high-contrast) meet with test patterns and tones:
               - both windows show the spoken code; the key O in each window
                 confirms it (each side prints "[e2e] slot=N verified");
               - the other's region of each screenshot shows the sent test
                 pattern: its colour bars, in their order (white, yellow,
                 cyan, green, magenta, red, blue, black, left to right), and
                 our own small picture shows ours mirrored (right to left);
               - the key M in the beneficiary's window mutes its microphone:
                 the consultant's --stats timeline shows its audio stop (no
                 block played in the seconds after), having played before;
               - Tab, Tab, Entrée mutes the consultant's camera (its own
                 picture gives way), C brings it back; S then a click on
                 "Préliminaire" opens a session, S closes it;
               - F2 and Ctrl+plus in the consultant's window switch to high
                 contrast and 20 pt; Échap then O leaves (exit 0) on both;
               - without a display (none, or one that does not answer) the
                 client says so in French and the room goes on in text.
Screenshots are kept (their paths are printed) in BILAN_ARTEFACTS (the
build's Testing/window folder under ctest).

Skipped (77) when Xvfb, xdotool, xwininfo, xprop or ffmpeg are missing. Waits poll the
clients' output or the screen against a deadline; the only timed phase is
the few seconds of muted microphone the statistics are judged on.
"""
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

from harness import DEADLINE, Client, Proc, Server, TestFailure, TestSkipped, check, run_tests, tmpdir

W, H = 1280, 720
# The pattern's colour bars (client/media/vsrc_pattern.c: 75 % bars in
# video-range BT.601 Y, U, V), as RGB the way SDL converts them.
BARS_YUV = [(180, 128, 128), (162, 44, 142), (131, 156, 44), (112, 72, 58),
            (84, 184, 198), (65, 100, 212), (35, 212, 114), (16, 128, 128)]


def yuv_rgb(y, u, v):
    c, d, e = 1.164 * (y - 16), u - 128, v - 128
    clamp = lambda x: max(0, min(255, int(round(x))))
    return (clamp(c + 1.596 * e), clamp(c - 0.813 * e - 0.391 * d), clamp(c + 2.018 * d))


BARS = [yuv_rgb(*b) for b in BARS_YUV]


class Display:
    """An Xvfb server on a free display number."""

    def __init__(self):
        # -displayfd: Xvfb takes the first free display number itself and
        # writes it when ready (no race with another test picking numbers).
        r, w = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{W}x{H}x24",
                                      "-nolisten", "tcp"], pass_fds=(w,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        got = b""
        end = time.monotonic() + 20
        while not got.endswith(b"\n"):
            left = end - time.monotonic()
            ready, _, _ = select.select([r], [], [], max(0, left))
            chunk = os.read(r, 16) if ready else b""
            if not chunk:
                os.close(r)
                self.close()
                raise TestSkipped("Xvfb did not start")
            got += chunk
        os.close(r)
        self.n = int(got.strip())
        self.name = f":{self.n}"

    def env(self):
        e = dict(os.environ)
        e.pop("WAYLAND_DISPLAY", None)
        e["DISPLAY"] = self.name
        e["BILAN_WINDOW_TRACE"] = "1"
        e.setdefault("SDL_RENDER_DRIVER", "software")
        e["SDL_AUDIODRIVER"] = "dummy"
        e["SDL_VIDEO_ALLOW_SCREENSAVER"] = "1"
        e["SDL_IM_MODULE"] = "none"
        # Under AddressSanitizer: no leak check for the windows' clients.
        # SDL's X11 driver loads libdbus and other libraries with dlopen and
        # closes them at SDL_Quit; libdbus keeps blocks it frees only in
        # dbus_shutdown(), which SDL never calls, and once unloaded they
        # cannot be named in a suppression. Memory errors are still caught;
        # the client's leaks are checked by every other test (no SDL video).
        if "ASAN_OPTIONS" in e:
            e["ASAN_OPTIONS"] += ":detect_leaks=0"
        return e

    def xdotool(self, *args):
        r = subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise TestFailure(f"xdotool {' '.join(args)} on {self.name}: {r.stderr}")
        return r.stdout

    def window_id(self):
        """The client's window: the top-level window of the display that has a title."""
        r = subprocess.run(["xwininfo", "-root", "-children"], env=self.env(), capture_output=True, text=True,
                           timeout=30)
        ids = re.findall(r"^\s+(0x[0-9a-f]+) \"Bilan", r.stdout, re.M)
        if not ids:
            raise TestFailure(f"no window titled Bilan on {self.name}:\n{r.stdout}")
        return ids[0]

    def keys(self, *keys):
        """Focuses the client's window and types keys into it."""
        wid = self.window_id()
        self.xdotool("windowfocus", "--sync", wid)
        self.xdotool("key", "--delay", "60", *keys)

    def shot(self, path):
        """A PNG of the whole screen at path; returns its pixels (rgb24 bytes)."""
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", f"{W}x{H}",
                        "-i", self.name + "+0,0", "-frames:v", "1", path], check=True, timeout=60,
                       env=self.env())
        r = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24",
                            "-"], check=True, capture_output=True, timeout=60)
        check(len(r.stdout) == W * H * 3, f"the screenshot {path} is {W}x{H}")
        return r.stdout

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def artefacts():
    d = os.environ.get("BILAN_ARTEFACTS") or os.path.join(tempfile.gettempdir(), "bilan-window-artefacts")
    os.makedirs(d, exist_ok=True)
    return d


def trace(proc, start=0):
    """The last layout line the window printed: its rectangles, text size, contrast and panel."""
    with proc._cond:
        lines = [l for l in proc.err_lines[start:] if l.startswith("[window] ")]
    if not lines:
        return None
    m = re.search(r"remote=(-?\d+),(-?\d+),(\d+),(\d+) self=(-?\d+),(-?\d+),(\d+),(\d+) pt=(\d+) hc=(\d) "
                  r"panel=(\d) focus=(-?\d+) mic=(\d) cam=(\d) session=(\d) button0=(-?\d+),(-?\d+),(\d+),(\d+)",
                  lines[-1])
    v = [int(x) for x in m.groups()]
    conn = re.search(r" conn=(\d)", lines[-1])
    return {"remote": v[0:4], "self": v[4:8], "pt": v[8], "hc": v[9], "panel": v[10], "focus": v[11],
            "mic": v[12], "cam": v[13], "session": v[14], "button0": v[15:19],
            "conn": int(conn.group(1)) if conn else -1}


def wait_trace(proc, what, cond, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = trace(proc)
        if t and cond(t):
            return t
        if proc.p.poll() is not None:
            break
        time.sleep(0.1)  # polling the window's output
    raise TestFailure(f"{proc.name}: the window never showed {what} (last: {trace(proc)})\n" + proc.dump())


def nearest_bar(px):
    best, bi = None, None
    for i, c in enumerate(BARS):
        d = math.dist(px, c)
        if best is None or d < best:
            best, bi = d, i
    return bi if best < 60 else None


def bar_order(rgb, rect):
    """Along a row at 45 % of rect's height: the share of pixels that are one
    of the bars' colours, the distinct bars seen, and the steps between
    neighbouring bars (+1: left to right in the sent order; -1: mirrored)."""
    x0, y0, w, h = rect
    if w < 40 or h < 20:
        return 0.0, set(), []
    y = y0 + h * 45 // 100
    runs = []
    matched = 0
    for x in range(x0 + 2, x0 + w - 2):
        o = (y * W + x) * 3
        b = nearest_bar(tuple(rgb[o:o + 3]))
        if b is not None:
            matched += 1
            if runs and runs[-1][0] == b:
                runs[-1][1] += 1
            else:
                runs.append([b, 1])
    solid = [b for b, n in runs if n >= max(3, w // 40)]
    steps = []
    for a, b in zip(solid, solid[1:]):
        if a != b:
            steps.append((b - a) % 8)
    return matched / max(1, w - 4), set(solid), steps


def pattern_ok(rgb, rect, mirrored):
    share, seen, steps = bar_order(rgb, rect)
    want = 7 if mirrored else 1
    good = sum(1 for s in steps if s == want)
    return share >= 0.7 and len(seen) >= 6 and len(steps) >= 4 and good >= 0.8 * len(steps), \
        f"share {share:.2f}, bars {sorted(seen)}, steps {steps}"


def t_two_windows():
    for tool in ("Xvfb", "xdotool", "xwininfo", "xprop", "ffmpeg"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is not installed")
    out = artefacts()
    tmp = tmpdir("window")
    server = Server(tmp)
    da = db = None
    procs = []
    ok = False
    try:
        da, db = Display(), Display()
        consultant = Client(tmp, "consultant")
        consultant.enrol(server.enrol_link)
        link = consultant.create_bilan("Bilan fenêtre")
        r = consultant.ok("bilan", "list")
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)[-1]
        beneficiary = Client(tmp, "beneficiary")
        media = ["--video", "pattern", "--audio", "tone", "--timeout", "120", "--window"]
        pa = Proc(consultant.argv("join", bilan, *media, "--stats", os.path.join(tmp, "stats-a.json")),
                  env=da.env(), name="bilan[consultant]")
        procs.append(pa)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0")
        pb = Proc(beneficiary.argv("join", link, *media, "--text-size", "32", "--high-contrast",
                                   "--stats", os.path.join(tmp, "stats-b.json")),
                  env=db.env(), name="bilan[beneficiary]")
        procs.append(pb)

        # The spoken code, in both windows; O confirms it in each.
        wait_trace(pa, "the code panel", lambda t: t["panel"] == 1)
        wait_trace(pb, "the code panel", lambda t: t["panel"] == 1)
        r = subprocess.run(["xprop", "-id", da.window_id(), "_NET_WM_NAME"], env=da.env(), capture_output=True,
                           timeout=30)
        title = r.stdout.decode("utf-8", "replace")
        check("Bilan — Bilan fenêtre" in title, f"the consultant's window is titled with the bilan's name ({title!r})")
        tb = trace(pb)
        check(tb["pt"] == 32 and tb["hc"] == 1, f"--text-size 32 --high-contrast are taken ({tb})")
        for d, tag in ((da, "consultant"), (db, "beneficiary")):
            p = os.path.join(out, f"window-code-{tag}.png")
            d.shot(p)
            print(f"  artefact: {p}", flush=True)
        da.keys("o")
        db.keys("o")
        pa.wait_line(r"^\[e2e\] slot=1 verified")
        pb.wait_line(r"^\[e2e\] slot=0 verified")
        wait_trace(pa, "no panel once the code is answered", lambda t: t["panel"] == 0)
        r = subprocess.run(["xprop", "-id", db.window_id(), "_NET_WM_NAME"], env=db.env(), capture_output=True,
                           timeout=30)
        title = r.stdout.decode("utf-8", "replace")
        check("Bilan — Bilan fenêtre" in title,
              f"the beneficiary's window (joined by the link) is titled with the bilan once known ({title!r})")
        wait_trace(pb, "no panel once the code is answered", lambda t: t["panel"] == 0)

        # The other's test pattern, large; ours, small and mirrored.
        for d, p, tag in ((da, pa, "consultant"), (db, pb, "beneficiary")):
            path = os.path.join(out, f"window-{tag}.png")
            end = time.monotonic() + DEADLINE
            while True:
                t = trace(p)
                rgb = d.shot(path)
                rok, rwhy = pattern_ok(rgb, t["remote"], mirrored=False)
                sok, swhy = pattern_ok(rgb, t["self"], mirrored=True)
                if rok and sok:
                    break
                if time.monotonic() > end:
                    raise TestFailure(f"{tag}: the remote region {t['remote']} ({rwhy}) or the own picture "
                                      f"{t['self']} mirrored ({swhy}) does not show the test pattern; see {path}")
            print(f"  artefact: {path} (remote {rwhy}; own {swhy})", flush=True)

        # M mutes the beneficiary's microphone: its audio stops at the consultant.
        db.keys("m")
        wait_trace(pb, "the microphone muted", lambda t: t["mic"] == 1)
        t_mute = time.time()
        time.sleep(4)  # the muted stretch the statistics are judged on (a timed phase, on purpose)
        t_after = time.time()
        path = os.path.join(out, "window-beneficiary-muted.png")
        db.shot(path)
        print(f"  artefact: {path}", flush=True)


        # Keyboard only: Tab twice reaches the camera's button, Entrée mutes
        # it (our picture gives way to "Caméra coupée"), C unmutes it.
        da.keys("Tab", "Tab")
        wait_trace(pa, "the focus on the camera's button", lambda t: t["focus"] == 1)
        da.keys("Return")
        wait_trace(pa, "the camera muted", lambda t: t["cam"] == 1)
        path = os.path.join(out, "window-consultant-camera-muted.png")
        t = trace(pa)
        rgb = da.shot(path)
        print(f"  artefact: {path}", flush=True)
        sok, swhy = pattern_ok(rgb, t["self"], mirrored=True)
        check(not sok, f"no picture of ours while the camera is muted ({swhy})")
        da.keys("c")
        wait_trace(pa, "the camera back", lambda t: t["cam"] == 0)

        # The consultant opens a session: S shows the phases, a click on the
        # first ("Préliminaire") opens it; S again closes it.
        da.keys("s")
        t = wait_trace(pa, "the phase chooser", lambda t: t["panel"] == 3)
        x, y, w, h = t["button0"]
        da.xdotool("mousemove", "--sync", str(x + w // 2), str(y + h // 2), "click", "1")
        pa.wait_line(r"^\[hours\] session=\S+ opened phase=preliminaire")
        wait_trace(pa, "the session open", lambda t: t["session"] == 1 and t["panel"] == 0)
        path = os.path.join(out, "window-consultant-session.png")
        da.shot(path)
        print(f"  artefact: {path}", flush=True)
        da.keys("s")
        pa.wait_line(r"^\[hours\] session=\S+ closed")

        # F2 and Ctrl+plus in the consultant's window.
        da.keys("F2", "ctrl+plus")
        wait_trace(pa, "high contrast at 20 pt", lambda t: t["hc"] == 1 and t["pt"] == 20)
        path = os.path.join(out, "window-consultant-contrast.png")
        da.shot(path)
        print(f"  artefact: {path}", flush=True)

        # Échap asks, O leaves.
        for d, p in ((da, pa), (db, pb)):
            d.keys("Escape")
            wait_trace(p, "the leave question", lambda t: t["panel"] == 2)
            d.keys("o")
        rca, rcb = pa.wait_exit(60), pb.wait_exit(60)
        if (rca, rcb) != (0, 0):
            raise TestFailure(f"exits {rca}, {rcb} (0, 0 expected)\n" + pa.dump() + pb.dump())
        check(True, "Échap then O leaves, on both sides (exit 0)")

        # Without a display: said in French, and the room goes on in text.
        for display in (None, ":1999"):
            env = dict(os.environ)
            env.pop("DISPLAY", None)
            env.pop("WAYLAND_DISPLAY", None)
            if display:
                env["DISPLAY"] = display
                if "ASAN_OPTIONS" in env:  # SDL tried its X11 driver: see Display.env()
                    env["ASAN_OPTIONS"] += ":detect_leaks=0"
            r = subprocess.run(consultant.argv("join", bilan, "--duration", "1", "--timeout", "60"), env=env,
                               capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
            check(r.returncode == 0 and "Pas d'écran disponible : la salle continue en mode texte." in r.stderr
                  and re.search(r"^\[room\] joined", r.stdout, re.M),
                  f"DISPLAY={display}: no window, said in French, the room in text (rc {r.returncode}, "
                  f"stderr {r.stderr[-300:]!r})")

        with open(os.path.join(tmp, "stats-a.json")) as f:
            sa = json.load(f)
        slot = [s for s in sa["media"]["receive"]["slots"] if s.get("slot") == 1]
        check(slot, "the consultant received the beneficiary's media")
        tl = slot[0].get("timeline", [])
        before = [p["audio"]["played"] for p in tl if p["t"] < t_mute - 1]
        after = [p["audio"]["played"] for p in tl if math.ceil(t_mute) + 1 <= p["t"] <= t_after - 1]
        print(f"  figure: audio blocks played per second before the mute {before[-5:]}, after {after}",
              flush=True)
        check(before and max(before) >= 40, "the beneficiary's audio played before the mute")
        check(len(after) >= 2 and max(after) == 0, "no audio of the beneficiary played after the mute")
        ok = True
    finally:
        for p in procs:
            p.kill()
        for d in (da, db):
            if d:
                d.close()
        server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)


# room_model.h's enum room_conn, as the trace line gives it.
CONN_IN, CONN_RECONNECTING = 1, 2


def t_reconnecting():
    """The server is killed (kill -9) under a window: the window says
    « Reconnexion… » (its status, and a screenshot kept), then, the server
    back on the same port and data, the room again; Échap then O leaves."""
    for tool in ("Xvfb", "xdotool", "xwininfo", "ffmpeg"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is not installed")
    out = artefacts()
    tmp = tmpdir("window-reconnect")
    server = Server(tmp)
    da = None
    procs = []
    ok = False
    try:
        da = Display()
        consultant = Client(tmp, "consultant")
        consultant.enrol(server.enrol_link)
        link = consultant.create_bilan("Bilan reconnexion")
        r = consultant.ok("bilan", "list")
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)[-1]
        beneficiary = Client(tmp, "beneficiary")
        pa = Proc(consultant.argv("join", bilan, "--timeout", "120", "--window"), env=da.env(),
                  name="bilan[consultant]")
        procs.append(pa)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0")
        pb = Proc(beneficiary.argv("join", link, "--headless", "--timeout", "120"), name="bilan[beneficiary]")
        procs.append(pb)
        pb.wait_line(r"^\[room\] joined bilan=\S+ slot=1")
        wait_trace(pa, "the room", lambda t: t["conn"] == CONN_IN)

        port = server.port
        server.stop(signal.SIGKILL)
        t = wait_trace(pa, "« Reconnexion… »", lambda t: t["conn"] == CONN_RECONNECTING)
        path = os.path.join(out, "window-reconnecting.png")
        da.shot(path)
        print(f"  artefact: {path}", flush=True)
        check(pa.p.poll() is None, "the window stays open while the server is away")
        server.start(port=port)
        check(server.port == port, "the server is back on the same port and data")
        wait_trace(pa, "the room again", lambda t: t["conn"] == CONN_IN)
        pa.wait_line(r"^\[room\] reconnected$")
        check(True, "the window shows the room again once the server is back")

        da.keys("Escape")
        wait_trace(pa, "the leave question", lambda t: t["panel"] == 2)
        da.keys("o")
        check(pa.wait_exit(60) == 0, "Échap then O leaves after the reconnection (exit 0)")
        ok = True
    finally:
        for p in procs:
            p.kill()
        if da:
            da.close()
        server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests({"two_windows": t_two_windows, "reconnecting": t_reconnecting})
