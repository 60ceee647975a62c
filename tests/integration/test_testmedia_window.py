#!/usr/bin/env python3
"""test_testmedia_window.py: the window of `bilan test-media` (issue 10,
part 4), the real client on its own Xvfb display, judged from screenshots
(ffmpeg's x11grab), its layout lines (BILAN_WINDOW_TRACE) and what it
writes: the test pattern stands for the camera, a tone or a silent .wav for
the microphone, a .wav file for the speaker.

Scenario (one ctest entry):
  testmedia  - pattern + tone: "Votre image" shows the pattern's colour bars
               mirrored (right to left, as in the room), the meter is lit
               (the good colour along its middle row), the verdict comes;
               the speaker's file does not exist until the key J, then holds
               the chime (660 Hz then 880 Hz); O answers "heard"; Échap
               closes: exit 0, the report on stdout says everything is ready
               and the speaker was heard, and the window's last verdict
               (BILAN_WINDOW_TRACE) is that report line for line; a click
               on « Rejouer le son (J) » plays it again;
             - a silent .wav at --text-size 32 --high-contrast: the meter is
               not lit, "not heard" in the verdict; F2 and Ctrl+minus give
               normal contrast at 30 pt; Tab then Entrée on « Fermer »
               closes: exit 1;
             - Ctrl-C closes the window at once: "Essai interrompu.", exit 1;
             - without a display: one line says the test goes on in the
               terminal, and it does (exit 0); --headless says nothing.
At 18, 32 and 30 pt the window's regions (picture, meter, words, verdict,
buttons) are checked not to overlap nor leave the screen. The screenshots
are kept (their paths are printed) in BILAN_ARTEFACTS.

Skipped (77) when Xvfb, xdotool, xwininfo or ffmpeg are missing. Waits poll
the window's output, the file or the screen against a deadline.
"""
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import time
import wave

from harness import CLIENT_BIN, DEADLINE, Proc, TestFailure, TestSkipped, check, run_tests, tmpdir
from test_window import W, Display, artefacts, pattern_ok

GOOD = (70, 200, 100)  # window_draw.c's "good" colour (normal theme): the lit meter
GOOD_HC = (0, 255, 0)  # in high contrast


def french(d):
    e = d.env() if d else dict(os.environ)
    e.update(LANGUAGE="fr", LC_ALL="C.UTF-8", LANG="fr_FR.UTF-8")
    return e


def wtrace(proc):
    with proc._cond:
        lines = [l for l in proc.err_lines if l.startswith("[testwin] picture=")]
    if not lines:
        return None
    m = re.search(r"picture=(-?\d+),(-?\d+),(\d+),(\d+) meter=(-?\d+),(-?\d+),(\d+),(\d+) lit=(\d+) "
                  r"heard=(\d) sound=(\d) verdict=(\d+) pt=(\d+) hc=(\d) focus=(-?\d+)", lines[-1])
    v = [int(x) for x in m.groups()]
    rects = {k: [int(x) for x in r.split(",")] for k, r in
             re.findall(r" (words|sound_words|verdict_area|bar)=(-?\d+,-?\d+,\d+,\d+)", lines[-1])}
    return {"picture": v[0:4], "meter": v[4:8], "lit": v[8], "heard": v[9], "sound": v[10],
            "verdict": v[11], "pt": v[12], "hc": v[13], "focus": v[14], **rects}


def check_regions(t):
    """No two regions of the window share a pixel, none leaves the screen,
    the verdict ends above the buttons."""
    names = ["picture", "meter", "words", "sound_words", "verdict_area", "bar"]
    rs = {n: t[n] for n in names if t[n][2] > 0 and t[n][3] > 0}
    for n, (x, y, w, h) in rs.items():
        check(x >= 0 and y >= 0 and x + w <= W and y + h <= 720, f"{n} {t[n]} inside the window")
    items = list(rs.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            check(ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay,
                  f"{a} {t[a]} and {b} {t[b]} do not overlap (at {t['pt']} pt)")


def wait_wtrace(proc, what, cond):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        t = wtrace(proc)
        if t and cond(t):
            return t
        if proc.p.poll() is not None:
            break
        time.sleep(0.1)  # polling the window's output
    raise TestFailure(f"the window never showed {what} (last: {wtrace(proc)})\n" + proc.dump())


def verdict_shown(proc):
    """The last verdict the window showed ("[testwin] verdict KIND TEXT"
    lines, each verdict whole, its conclusion (kind 4 or 5) last)."""
    with proc._cond:
        out = [(int(m.group(1)), m.group(2).strip()) for m in
               (re.match(r"\[testwin\] verdict (\d+) (.*)$", l) for l in proc.err_lines) if m]
    ends = [i for i, (k, _) in enumerate(out) if k in (4, 5)]
    if not ends:
        return []
    begin = ends[-2] + 1 if len(ends) >= 2 else 0
    return [t for _, t in out[begin:ends[-1] + 1]]


def meter_lit(rgb, rect, colour):
    """The share of the meter's middle row that is the lit colour."""
    x0, y0, w, h = rect
    y = y0 + h // 2
    n = sum(1 for x in range(x0 + 4, x0 + w - 4)
            if math.dist(tuple(rgb[(y * W + x) * 3:(y * W + x) * 3 + 3]), colour) < 40)
    return n / max(1, w - 8)


def write_wav(path, samples):
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(48000)
        f.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def crossings_hz(s):
    n = sum(1 for a, b in zip(s, s[1:]) if a < 0 <= b)
    return n * 48000 / max(1, len(s))


def t_testmedia():
    for tool in ("Xvfb", "xdotool", "xwininfo", "ffmpeg"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is not installed")
    out = artefacts()
    tmp = tmpdir("testmedia-window")
    chime = os.path.join(tmp, "chime.wav")
    quiet = os.path.join(tmp, "quiet.wav")
    write_wav(quiet, [0] * 48000)
    d = None
    p = None
    try:
        d = Display()
        # 1. pattern + tone, the speaker a file.
        p = Proc([CLIENT_BIN, "test-media", "--window", "--video", "pattern", "--audio", "tone",
                  "--audio-out", chime, "--duration", "1"], env=french(d), name="bilan test-media")
        t = wait_wtrace(p, "the verdict and a lit meter", lambda t: t["verdict"] > 0 and t["lit"] > 0)
        check(t["heard"] == 1 and t["sound"] == 0, f"the tone is heard, the sound not played yet ({t})")
        check_regions(t)
        path = os.path.join(out, "testmedia.png")
        end = time.monotonic() + DEADLINE
        while True:
            rgb = d.shot(path)
            ok, why = pattern_ok(rgb, t["picture"], mirrored=True)
            lit = meter_lit(rgb, t["meter"], GOOD)
            if ok and lit >= 0.5:
                break
            if time.monotonic() > end:
                raise TestFailure(f"'Votre image' {t['picture']} does not show the pattern mirrored ({why}) "
                                  f"or the meter {t['meter']} is not lit ({lit:.2f}); see {path}")
        print(f"  artefact: {path} (picture {why}; meter lit {lit:.2f})", flush=True)
        check(True, "'Votre image' shows the test pattern mirrored; the meter is lit for a tone")
        ok, why = pattern_ok(rgb, t["picture"], mirrored=False)
        check(not ok, f"the picture is not shown unmirrored ({why})")
        check(not os.path.exists(chime), "no test sound before the key")
        d.keys("j")
        p.wait_line(r"^\[test-media\] sound=played$")
        with wave.open(chime) as f:
            data = f.readframes(f.getnframes())
        s = list(struct.unpack(f"<{len(data) // 2}h", data))
        half = len(s) // 2
        lo, hi = crossings_hz(s[:half]), crossings_hz(s[half:])
        check(abs(len(s) - 72000) <= 960 and abs(lo - 660) < 15 and abs(hi - 880) < 15,
              f"J plays the chime on the chosen speaker ({len(s)} samples, {lo:.0f} Hz then {hi:.0f} Hz)")
        wait_wtrace(p, "the question after the sound", lambda t: t["sound"] == 2)
        d.keys("o")
        wait_wtrace(p, "the sound heard", lambda t: t["sound"] == 3)
        path = os.path.join(out, "testmedia-heard.png")
        d.shot(path)  # README's picture (docs/img/testmedia.png)
        print(f"  artefact: {path}", flush=True)
        # A click on the first button (« Rejouer le son (J) ») plays it again.
        x, y, w, h = wtrace(p)["bar"]
        d.xdotool("mousemove", "--sync", str(x + w // 2), str(y + h // 2), "click", "1")
        end = time.monotonic() + DEADLINE
        while p.count(r"^\[test-media\] sound=played$") < 2:
            if time.monotonic() > end:
                raise TestFailure("a click on « Rejouer le son » did not play it again\n" + p.dump())
            time.sleep(0.1)  # polling the command's output
        wait_wtrace(p, "the question again", lambda t: t["sound"] == 2)
        check(True, "a click on « Rejouer le son (J) » plays the sound again and asks again")
        d.keys("o")
        wait_wtrace(p, "the sound heard", lambda t: t["sound"] == 3)
        d.keys("Escape")
        rc = p.wait_exit()
        text = "\n".join(p.lines)
        check(rc == 0 and "Tout est prêt pour la séance." in text and
              re.search(r"Haut-parleur \S+ : son entendu\.", text) and "Caméra pattern : 640x480" in text,
              f"Échap closes: exit 0, the report says ready and heard (rc {rc})\n{text}")
        # The same sentences; the measures (pictures per second) may have
        # moved between the window's last refresh and the end.
        measure = lambda l: re.sub(r"\d+\.\d+", "N", l)
        shown = [measure(l) for l in verdict_shown(p)]
        printed = [measure(l.strip()) for l in p.lines if l.startswith("  ") or l.startswith("Tout est")]
        check(shown == printed, f"the window's last verdict is the terminal's report, line for line\n"
                                f"{shown}\n{printed}")

        # 2. a silent microphone, large text, high contrast.
        p = Proc([CLIENT_BIN, "test-media", "--window", "--video", "pattern", "--audio", quiet,
                  "--audio-out", "none", "--duration", "1", "--text-size", "32", "--high-contrast"],
                 env=french(d), name="bilan test-media")
        t = wait_wtrace(p, "the verdict", lambda t: t["verdict"] > 0)
        check(t["pt"] == 32 and t["hc"] == 1, f"--text-size 32 --high-contrast are taken ({t})")
        check_regions(t)
        check(t["lit"] == 0 and t["heard"] == 0, f"silence: nothing lit, not heard ({t})")
        path = os.path.join(out, "testmedia-silent-32pt-contrast.png")
        rgb = d.shot(path)
        print(f"  artefact: {path}", flush=True)
        lit = max(meter_lit(rgb, t["meter"], GOOD_HC), meter_lit(rgb, t["meter"], GOOD))
        check(lit < 0.05, f"the meter is not lit for silence ({lit:.2f})")
        d.keys("F2", "ctrl+minus")
        check_regions(wait_wtrace(p, "normal contrast at 30 pt", lambda t: t["hc"] == 0 and t["pt"] == 30))
        # Keyboard only: Tab reaches the first button ("Fermer": no speaker
        # here, so no sound button), Entrée presses it.
        d.keys("Tab")
        wait_wtrace(p, "the focus on the first button", lambda t: t["focus"] == 0)
        d.keys("Return")
        rc = p.wait_exit()
        text = "\n".join(p.lines)
        check(rc == 1 and "aucun son entendu" in text,
              f"Tab, Entrée on « Fermer » closes; silence: exit 1, said (rc {rc})\n{text}")

        # 3. Ctrl-C while the window is open: it closes, "interrupted", exit 1.
        p = Proc([CLIENT_BIN, "test-media", "--window", "--video", "pattern", "--audio", "tone",
                  "--audio-out", "none", "--duration", "1"], env=french(d), name="bilan test-media")
        wait_wtrace(p, "the verdict", lambda t: t["verdict"] > 0)
        t0 = time.monotonic()
        p.p.send_signal(signal.SIGINT)
        rc = p.wait_exit()
        text = "\n".join(p.lines)
        check(rc == 1 and "Essai interrompu." in text and time.monotonic() - t0 < 10,
              f"Ctrl-C closes the window at once: interrupted, exit 1 (rc {rc})\n{text}")

        # 4. no display: one line, the test in the terminal.
        e = french(None)
        e.pop("DISPLAY", None)
        e.pop("WAYLAND_DISPLAY", None)
        args = [CLIENT_BIN, "test-media", "--video", "pattern", "--audio", "tone", "--audio-out", "none",
                "--duration", "1"]
        r = subprocess.run(args, env=e, capture_output=True, text=True, timeout=DEADLINE,
                           stdin=subprocess.DEVNULL)
        check(r.returncode == 0 and r.stderr.count("\n") == 1 and
              "Pas d'écran disponible : l'essai se fait dans le terminal." in r.stderr and
              "Tout est prêt pour la séance." in r.stdout,
              f"no display: said in one line, the test in the terminal (rc {r.returncode}, {r.stderr!r})")
        r = subprocess.run(args + ["--headless"], env=french(d), capture_output=True, text=True,
                           timeout=DEADLINE, stdin=subprocess.DEVNULL)
        check(r.returncode == 0 and "[testwin]" not in r.stderr and "Pas d'écran" not in r.stderr,
              f"--headless: no window even with a display, nothing said ({r.stderr!r})")
    finally:
        if p:
            p.kill()
        if d:
            d.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests({"testmedia": t_testmedia})
