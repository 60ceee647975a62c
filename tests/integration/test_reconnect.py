#!/usr/bin/env python3
"""test_reconnect.py: `bilan join` reconnects on its own and the server keeps
the session going (PROTOCOL.md §1 "Reconnection", §9.1; docs/JOURNAL.md).

  server_kill9  kill -9 of the server mid-session, restarted on the same port
                and data: both clients say they reconnect, rejoin by
                themselves, chat crosses afterwards; the hours report shows
                the session closed with one interruption, and its
                face-to-face time is the time both were there, less at most
                the checkpoint loss before the crash (<= 10.5 s).
  server_sigterm the same with a graceful stop (SIGTERM: shutting_down): the
                session stays open through the restart, presence ends at the
                stop itself.
  link_cut      the beneficiary in its own network namespace; its link is cut
                for 5 s (veth down): it reconnects by itself, chat crosses
                afterwards; one interruption, and the face-to-face time is the
                session less the break as the journal dates it (from the last
                sign of life before the cut to the rejoin). Skipped (77)
                without root or iproute2.
  call_resumes  a call (test pattern and tone) through a kill -9 and restart:
                after the return each side hears (>= 90 % of audio played
                clean) and sees (>= 10 pictures a second) the other again:
                server clock measured again, keys renewed, keyframes.
  give_up       the server is killed and never comes back: with
                --reconnect-for 3 the client tries for 3 s, then says in
                French that it cannot reach the server and exits 3.

Waiting is by polling output lines, the database and exit codes, with
deadlines; the only measured times are the cut itself and the give-up."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

from harness import Client, Proc, Server, TestFailure, check, run_tests, tmpdir

SID = r"(s-[A-Za-z0-9_-]+)"


class Scene:
    """A server, an enrolled consultant, a bilan and its invite link."""

    def __init__(self, name, server_extra=(), server=None):
        self.tmp = tmpdir("reconnect-" + name)
        self.server = server(self.tmp) if server else Server(self.tmp, extra=list(server_extra))
        self.consultant = Client(self.tmp, "consultant")
        self.consultant.enrol(self.server.enrol_link)
        self.link = self.consultant.create_bilan("Bilan reconnexion " + name)
        r = self.consultant.ok("bilan", "list")
        self.bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)[-1]
        self.beneficiary = Client(self.tmp, "beneficiary")

    def close(self, ok=True):
        rc = self.server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


COMMON = ["--headless", "--confirm-sas", "--timeout", "240"]


def meet(s, ben_prefix=()):
    """The consultant opens a session once the beneficiary is there; both
    see it. Returns (pa, pb, session id)."""
    pa = s.consultant.spawn("join", s.bilan, "--open-session", "investigation", "--close-session", *COMMON,
                            stdin_pipe=True)
    pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
    pb = Proc(list(ben_prefix) + s.beneficiary.argv("join", s.link, *COMMON), name="bilan[beneficiary]",
              stdin_pipe=True)
    sid = pa.wait_line(rf"^\[hours\] session={SID} opened phase=investigation$").group(1)
    pb.wait_line(rf"^\[hours\] used=\S+ budget=\S+ left=\S+ session={sid} ")
    return pa, pb, sid


RECONNECTING = r"^\[room\] reconnecting in_s=[0-9.]+ left_s=\d+$"


def wait_tries(p, n):
    """Waits until p said it is reconnecting n times (n attempts scheduled)."""
    rx = re.compile(RECONNECTING)
    while p.count(RECONNECTING) < n:
        seen = [j for j, l in enumerate(p.lines) if rx.search(l)]
        p.wait_line(RECONNECTING, start=seen[-1] + 1 if seen else 0)


def hold(seconds, procs):
    """Lets the meeting run for `seconds` (a phase of the scenario, measured
    in time on purpose), failing at once if one of procs ends."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for p in procs:
            if p.p.poll() is not None:
                raise TestFailure(f"{p.name} ended during the meeting (exit {p.p.returncode})\n" + p.dump())
        try:
            procs[0].p.wait(timeout=max(0.0, min(0.2, end - time.monotonic())))
        except subprocess.TimeoutExpired:
            pass


def chat_crosses(pa, pb, text):
    pb.send_line(text)
    pa.wait_line(rf"^\[chat\] slot=\d: {re.escape(text)}$")


def close_and_report(s, pa, pb, sid):
    """The consultant closes the session (/fin) with both there; both sign
    its record (each device's own account of the session, kept across the
    reconnection, agrees with the server's); both leave. Returns the
    server's report row of sid and the session's journal lines."""
    pa.send_line("/fin")
    for p in (pa, pb):
        p.wait_line(rf"^\[hours\] session={sid} closed face_to_face=\S+ reason=closed$")
        p.wait_line(rf"^\[receipt\] session={sid} (signed|not signed.*|refused.*)$")
        check(p.count(rf"^\[receipt\] session={sid} signed$") == 1, f"{p.name} signs the session's record")
    for p in (pb, pa):
        p.signal(signal.SIGINT)
        check(p.wait_exit() == 0, f"{p.name} leaves cleanly")
    r = s.server.admin("hours", s.bilan, "--format", "json")
    rep = json.loads(r.stdout)
    row = [x for x in rep["sessions"] if x["id"] == sid][0]
    with sqlite3.connect("file:" + s.server.db() + "?mode=ro", uri=True) as c:
        lines = c.execute("SELECT t_ms, event, device FROM journal WHERE session = ? ORDER BY seq",
                          (sid,)).fetchall()
        n = c.execute("SELECT count(*) FROM receipts WHERE session = ?", (sid,)).fetchone()[0]
    check(n == 2, f"the server holds both receipts ({n})")
    return row, lines


def wait_alive(s, sid, n):
    """Polls the database until the session has n alive checkpoints; between
    two looks, waits on the server process (which ends the wait if it dies)."""
    db = "file:" + s.server.db() + "?mode=ro"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        with sqlite3.connect(db, uri=True) as c:
            got = c.execute("SELECT count(*) FROM journal WHERE event = 'alive' AND session = ?",
                            (sid,)).fetchone()[0]
        if got >= n:
            return
        try:
            s.server.proc.p.wait(timeout=0.3)
            raise TestFailure("the server ended\n" + s.server.proc.dump())
        except subprocess.TimeoutExpired:
            pass
    raise TestFailure(f"fewer than {n} alive checkpoints in session {sid}")


def restart(sig):
    """The server stops mid-session (sig: SIGKILL, a crash; SIGTERM, a
    graceful stop that says shutting_down) and restarts on the same port and
    data while both clients try to come back."""
    crash = sig == signal.SIGKILL
    s = Scene("kill9" if crash else "sigterm")
    pa = pb = None
    ok = False
    try:
        pa, pb, sid = meet(s)
        if crash:
            wait_alive(s, sid, 2)
        else:
            hold(3, [pa, pb])
        t_kill = time.time()
        s.server.proc.signal(sig)
        rc = s.server.proc.wait_exit()
        if not crash:
            check(rc == 0, "the server stops cleanly on SIGTERM")
            for p in (pa, pb):
                p.wait_line(r"^\[error\] code=shutting_down: ")
        # A restart takes a while: both clients try three times (0.5, 1 and
        # 2 s apart) before the server is back, so they come back seconds
        # after it starts, within its grace.
        for p in (pa, pb):
            wait_tries(p, 3)
        check(True, "both clients say they are reconnecting, and try again")
        port = s.server.port
        s.server.start(port=port)
        check(s.server.port == port, "the server restarted on the same port and data")
        pa.wait_line(r"^\[room\] reconnected$")
        pb.wait_line(r"^\[room\] reconnected$")
        check(True, "both clients reconnected by themselves")
        chat_crosses(pa, pb, "après le redémarrage du serveur")
        check(True, "chat crosses after the restart (keys renewed)")
        t_back_seen = time.time()
        hold(3, [pa, pb])
        t_fin = time.time()
        row, lines = close_and_report(s, pa, pb, sid)
        check(row["closed"], "the session is closed by the consultant")
        check(row["interruptions"] == 1, f"one interruption ({row['interruptions']})")
        # Face-to-face: open .. the end of presence before the stop (the last
        # checkpoint after a crash, the stop itself after SIGTERM), then the
        # rejoin of the second member .. the close.
        ended = [t for t, ev, _ in lines if ev == ("lost" if crash else "leave")]
        joins = [t for t, ev, _ in lines if ev == "join"]
        check(len(ended) == 2 and len(joins) == 4,
              f"two presences ended by the stop ({'lost' if crash else 'leave'}), two joins after it")
        t_back = max(joins[2:]) / 1000
        before = row["face_to_face_s"] - (row["end"] - t_back)
        loss = (t_kill - row["start"]) - before
        print(f"  figure: face-to-face {row['face_to_face_s']:.1f} s; before the stop {before:.1f} s, "
              f"{loss:.2f} s lost; back {t_back - t_kill:.1f} s after the stop", flush=True)
        if crash:
            check(0 <= loss <= 10.5, f"the time before the crash is counted up to the last checkpoint ({loss:.1f} s)")
        else:
            check(-0.5 <= loss <= 0.5, f"the time before the stop is counted up to the stop ({loss:.2f} s)")
        check(abs(before - (min(ended) / 1000 - row["start"])) < 0.002, "and ends exactly there")
        after = row["face_to_face_s"] - before
        check(t_fin - t_back_seen - 0.1 <= after <= t_fin - t_kill + 0.5,
              f"the time together after the return is counted ({after:.1f} s)")
        r = s.consultant.ok("hours", s.bilan, "--format", "json")
        crow = [x for x in json.loads(r.stdout)["sessions"] if x["id"] == sid][0]
        check(crow["interruptions"] == 1 and crow["face_to_face_s"] == row["face_to_face_s"],
              "`bilan hours` shows the same session, one interruption")
        check(s.server.stop() == 0, "the restarted server exits 0")
        ok = True
    finally:
        for p in (pa, pb):
            if p and not ok:
                p.kill()
        s.close(ok)


def t_server_kill9():
    restart(signal.SIGKILL)


def t_server_sigterm():
    restart(signal.SIGTERM)


def t_link_cut():
    from test_media import ListenServer, Netns  # root and iproute2, or SKIP
    net = Netns()
    s = None
    pa = pb = None
    ok = False
    try:
        s = Scene("cut", server=lambda tmp: ListenServer(tmp, net.host_ip, []))
        pa, pb, sid = meet(s, ben_prefix=["ip", "netns", "exec", net.ns])
        chat_crosses(pa, pb, "avant la coupure")
        t_met = time.time()
        hold(3, [pa, pb])
        t_cut = time.time()
        r = subprocess.run(["ip", "netns", "exec", net.ns, "ip", "link", "set", net.ns_if, "down"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "the beneficiary's link is cut")
        pb.wait_line(r"^\[room\] reconnecting in_s=[0-9.]+ left_s=\d+$", timeout=10)
        t_seen = time.time()
        check(t_seen - t_cut < 6, f"the client sees the cut within 6 s ({t_seen - t_cut:.1f} s)")
        try:
            pb.p.wait(timeout=max(0.0, t_cut + 5 - time.time()))  # the cut lasts 5 s
            raise TestFailure("the beneficiary ended during the cut\n" + pb.dump())
        except subprocess.TimeoutExpired:
            pass
        for cmd in (["ip", "link", "set", net.ns_if, "up"],
                    ["ip", "addr", "replace", f"{net.ns_ip}/30", "dev", net.ns_if]):
            subprocess.run(["ip", "netns", "exec", net.ns] + cmd, capture_output=True)
        t_up = time.time()
        pb.wait_line(r"^\[room\] reconnected$", timeout=30)
        print(f"  figure: cut for {t_up - t_cut:.1f} s, seen after {t_seen - t_cut:.1f} s, back "
              f"{time.time() - t_up:.1f} s after the link", flush=True)
        chat_crosses(pa, pb, "après la coupure")
        check(True, "the meeting goes on: chat crosses after the cut")
        t_back_seen = time.time()
        hold(3, [pa, pb])
        t_fin = time.time()
        # The old connection goes either way: reset when the path came back
        # (lost: a ping of the server's was unanswered), or replaced by the
        # new one; both end its presence at its last sign of life.
        check(pa.count(r"^\[room\] - slot=\d role=beneficiary reason=(?:lost|replaced)$") == 1,
              "the consultant saw the beneficiary's old connection go once (lost or replaced)")
        row, lines = close_and_report(s, pa, pb, sid)
        check(row["interruptions"] == 1, f"one interruption ({row['interruptions']})")
        ben_lost = [t for t, ev, _ in lines if ev == "lost"]
        ben_join = [t for t, ev, _ in lines if ev == "join"]
        check(len(ben_lost) == 1 and len(ben_join) == 3, "the beneficiary's presence: lost once, joined again")
        gap = (ben_join[-1] - ben_lost[0]) / 1000
        # An idle client (no media) is heard from every 1-2 s (its pings,
        # its pongs to the server's): its last sign of life is that close.
        check(-2.5 <= ben_lost[0] / 1000 - t_cut <= 0.2, f"the break starts at the last sign of life before the cut "
              f"({ben_lost[0] / 1000 - t_cut:+.2f} s)")
        check(5 <= gap <= 5 + 2.5 + 10, f"the break covers the cut ({gap:.1f} s)")
        want = (row["end"] - row["start"]) - gap
        check(abs(row["face_to_face_s"] - want) < 0.002,
              f"face-to-face = the time together less the break ({row['face_to_face_s']:.2f} vs {want:.2f} s)")
        lo = (t_cut - t_met - 2.5) + (t_fin - t_back_seen)
        hi = (t_cut - row["start"]) + (t_fin - t_up) + 0.5
        print(f"  figure: face-to-face {row['face_to_face_s']:.2f} s, break {gap:.2f} s", flush=True)
        check(lo <= row["face_to_face_s"] <= hi,
              f"and matches what the test saw ({lo:.1f} <= {row['face_to_face_s']:.1f} <= {hi:.1f} s)")
        check(s.server.stop() == 0, "the server exits 0")
        ok = True
    finally:
        for p in (pa, pb):
            if p and not ok:
                p.kill()
        if s:
            s.close(ok)
        net.close()


def t_give_up():
    s = Scene("give-up")
    pa = None
    ok = False
    try:
        pa = s.consultant.spawn("join", s.bilan, "--reconnect-for", "3", *COMMON)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        s.server.proc.signal(signal.SIGKILL)
        s.server.proc.wait_exit()
        t_kill = time.time()
        pa.wait_line(r"^\[room\] reconnecting in_s=[0-9.]+ left_s=[0-3]$")
        rc = pa.wait_exit(30)
        took = time.time() - t_kill
        check(rc == 3, f"exit 3 after giving up ({rc})")
        check(pa.count(r"^\[room\] reconnect gave_up after_s=3$") == 1, "the machine line says it gave up")
        err = "\n".join(pa.err_lines)
        check("impossible de joindre le serveur depuis 3 s" in err and "relancez la même commande" in err,
              "a clear French message says what happened and what to do")
        from test_i18n import english_words  # the same word list as the language test
        check(not english_words(err) and "ne répond pas sur ce port" in err,
              f"every line a person reads is French, the last error of the connection too:\n{err}")
        n = pa.count(r"^\[room\] reconnecting ")
        check(3 <= n <= 6, f"it tried with backoff: {n} attempts in 3 s (0.5, 1, 2 s apart)")
        check(3 <= took <= 3 + 6, f"it gave up after the stated time ({took:.1f} s)")
        ok = True
    finally:
        if pa and not ok:
            pa.kill()
        s.close(ok)


def t_call_resumes():
    s = Scene("call")
    pa = pb = None
    ok = False
    try:
        def margs(tag):
            return ["--headless", "--confirm-sas", "--video", "pattern", "--audio", "tone", "--size", "320x240",
                    "--stats", os.path.join(s.tmp, f"stats-{tag}.json")]
        pa = s.consultant.spawn("join", s.bilan, *margs("a"))
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        pb = s.beneficiary.spawn("join", s.link, *margs("b"))
        pb.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary")
        hold(4, [pa, pb])
        s.server.proc.signal(signal.SIGKILL)
        s.server.proc.wait_exit()
        for p in (pa, pb):
            wait_tries(p, 2)
        s.server.start(port=s.server.port)
        for p in (pa, pb):
            p.wait_line(r"^\[room\] reconnected$")
        t_back = time.time()
        hold(8, [pa, pb])
        for p in (pa, pb):
            p.signal(signal.SIGINT)
            check(p.wait_exit() == 0, f"{p.name} leaves cleanly")
        for tag, who in (("a", "consultant"), ("b", "beneficiary")):
            with open(os.path.join(s.tmp, f"stats-{tag}.json")) as f:
                st = json.load(f)
            best = (0.0, 0, 0)
            for r in st["media"]["receive"].get("slots", []):
                pts = [p for p in r.get("timeline", []) if t_back + 2 <= p["t"] < t_back + 8]
                played = sum(p["audio"]["played"] for p in pts)
                bad = sum(p["audio"]["fec"] + p["audio"]["plc"] + p["audio"]["stalls"] for p in pts)
                frames = sum(len(p["video"]["latency_ms"]) for p in pts)
                if played > best[1]:
                    best = (played / (played + bad) if played + bad else 0.0, played, frames)
            print(f"  figure: {who} after the return: audio clean {best[0]:.3f} ({best[1]} played), "
                  f"{best[2]} pictures in 6 s", flush=True)
            check(best[1] >= 200 and best[0] >= 0.9, f"{who} hears the other again after the restart")
            check(best[2] >= 60, f"{who} sees the other again after the restart")
        check(s.server.stop() == 0, "the restarted server exits 0")
        ok = True
    finally:
        for p in (pa, pb):
            if p and not ok:
                p.kill()
        s.close(ok)


TESTS = {"server_kill9": t_server_kill9, "server_sigterm": t_server_sigterm, "link_cut": t_link_cut,
         "give_up": t_give_up,
         "call_resumes": t_call_resumes}

if __name__ == "__main__":
    run_tests(TESTS)
