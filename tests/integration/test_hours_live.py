#!/usr/bin/env python3
"""test_hours_live.py: face-to-face hours measured live by bilan-server
(PROTOCOL.md §9), with raw Python peers for the consultant and the beneficiary.

  session_disconnect_receipts: a session with a forced disconnect and a rejoin;
      `hours BILAN` matches the presence the test measured (within 1 s); both
      peers co-sign the session record, the receipt file verifies (and fails
      with one changed byte); a forged signature is refused; journal export +
      `hours --replay` equals `hours BILAN`.
  kill9_mid_session: kill -9 of the server after an alive checkpoint; after a
      restart the session waits for its members (--session-grace 2), nobody
      comes back, and it ends at the last checkpoint (never after the kill):
      closed there (server_restart), nothing is invented, the database is
      intact. (A return within the grace: test_reconnect.py.)

Waiting is by polling messages and the database, with deadlines."""
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

from harness import (SERVER_BIN, Device, RawWs, Server, TestFailure, b64u, check, link_token,
                     raw_auth, raw_enrol, run_tests, tmpdir, unb64u)


class Peer:
    """A raw device with a mailbox of the messages it received."""

    def __init__(self, server, dev=None):
        self.server = server
        self.dev = dev or Device()
        self.box = []
        self.ws = None

    def connect(self):
        self.ws = RawWs(self.server.host, self.server.port, self.server.pin)

    def pump(self, seconds=0.05):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                op, p = self.ws.recv_frame(timeout=left)
            except Exception as e:  # noqa: BLE001 - socket.timeout ends the pump
                if e.__class__.__name__ in ("timeout", "TimeoutError"):
                    return
                raise
            if op == 0x1:
                self.box.append(json.loads(p))

    def wait(self, mtype, timeout=20, pred=lambda m: True):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i, m in enumerate(self.box):
                if m.get("type") == mtype and pred(m):
                    return self.box.pop(i)
            self.pump(0.1)
        raise TestFailure(f"no '{mtype}' within {timeout} s; got {[m.get('type') for m in self.box]}")

    def send(self, obj):
        self.ws.send_json(obj)


def idle(peers, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for p in peers:
            p.pump(0.05)


def setup(server):
    """A raw consultant (dev enrolment link), a bilan, a raw beneficiary (its invite)."""
    cons = Peer(server)
    cons.connect()
    m = raw_enrol(cons.ws, cons.dev, link_token(server.enrol_link))
    check(m.get("type") == "welcome" and m.get("role") == "consultant", "raw consultant enrolled")
    cons.send({"type": "bilan_create", "label": "live hours", "budget_s": 3600})
    m = cons.ws.recv_json()
    check(m.get("type") == "bilan_created", f"bilan created ({m})")
    bilan, invite = m["bilan"], unb64u(m["invite_token"])
    ben = Peer(server)
    ben.connect()
    m = raw_enrol(ben.ws, ben.dev, invite)
    check(m.get("type") == "welcome" and m.get("role") == "beneficiary", "raw beneficiary enrolled")
    for p in (cons, ben):
        p.send({"type": "join", "bilan": bilan})
        p.wait("joined")
    return cons, ben, bilan


def admin_json(server, *args):
    r = server.admin(*args)
    return json.loads(r.stdout)


# ---- PROTOCOL.md §9.4, re-implemented ----

def record_text(r):
    lines = ["bilan-session-record-v1", f"bilan={r['bilan']}", f"session={r['session']}",
             f"phase={r['phase']}", f"start_ms={r['start_ms']}", f"end_ms={r['end_ms']}",
             f"face_to_face_ms={r['face_to_face_ms']}"]
    lines += [f"participant={p}" for p in r["participants"]]
    lines.append(f"journal_sha256={r['journal_sha256']}")
    return "".join(l + "\n" for l in lines).encode()


def attest_text(signer, audio_ms, sas):
    return f"signer={signer}\nreceived_audio_ms={audio_ms}\nsas_verified={1 if sas else 0}\n".encode()


def sign_record(dev, r, audio_ms=0, sas=True):
    msg = b"bilan-receipt-v1\0" + record_text(r) + attest_text(b64u(dev.fp), audio_ms, sas)
    return dev.sk.sign(msg)


def verify_receipt(rc):
    """Returns the participants without a valid signature; raises on a bad one."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    r = rc["record"]
    check(rc.get("receipt") == 1, "receipt version")
    signed = set()
    for s in rc["signatures"]:
        sp, dh = unb64u(s["sign_pub"]), unb64u(s["dh_pub"])
        fp = b64u(hashlib.sha256(b"bilan-device-v1" + sp + dh).digest())
        if fp != s["signer"] or fp not in r["participants"]:
            raise TestFailure("signer is not the keys' fingerprint or not a participant")
        msg = b"bilan-receipt-v1\0" + record_text(r) + attest_text(fp, s["received_audio_ms"], s["sas_verified"])
        ed25519.Ed25519PublicKey.from_public_bytes(sp).verify(unb64u(s["sig"]), msg)
        signed.add(fp)
    return [p for p in r["participants"] if p not in signed]


def t_session_disconnect_receipts():
    tmp = tmpdir("hours-live")
    server = Server(tmp)
    ok = False
    try:
        cons, ben, bilan = setup(server)
        t_open0 = time.time()
        cons.send({"type": "session_open", "phase": "investigation", "ref": "o1"})
        opened = cons.wait("session_opened")
        t_open = time.time()
        check(opened.get("ref") == "o1" and opened["bilan"] == bilan, "session_opened answers the consultant")
        check(t_open0 * 1000 - 5 <= opened["start_ms"] <= t_open * 1000 + 5, "start_ms is the server's clock")
        ben.wait("session_opened")
        upd = cons.wait("hours_update")
        check(upd.get("session") == opened["session"] and upd["budget_s"] == 3600, f"hours_update ({upd})")
        # A second open is refused; the beneficiary cannot open or close.
        cons.send({"type": "session_open", "phase": "suivi"})
        check(cons.wait("error")["code"] == "wrong_state", "one open session per room")
        ben.send({"type": "session_close"})
        check(ben.wait("error")["code"] == "forbidden", "only consultants close")
        idle([cons, ben], 3)

        # Forced disconnect: the beneficiary's socket vanishes without a close frame.
        t_drop0 = time.time()
        ben.ws.sock.close()
        t_drop = time.time()
        idle([cons], 2)
        ben = Peer(server, ben.dev)
        ben.connect()
        check(raw_auth(ben.ws, ben.dev).get("type") == "welcome", "beneficiary reconnects")
        t_rejoin0 = time.time()
        ben.send({"type": "join", "bilan": bilan})
        ben.wait("joined")
        t_rejoin = time.time()
        idle([cons, ben], 3)
        t_close0 = time.time()
        cons.send({"type": "session_close", "ref": "c1"})
        closed = cons.wait("session_closed")
        t_close = time.time()
        check(closed["reason"] == "closed" and closed.get("ref") == "c1", f"session_closed ({closed})")

        # Presence measured here: [open, drop) + [rejoin, close).
        lo = (t_drop0 - t_open) + (t_close0 - t_rejoin)
        hi = (t_drop - t_open0) + (t_close - t_rejoin0)
        rep = admin_json(server, "hours", bilan, "--format", "json")
        s = rep["sessions"][0]
        check(len(rep["sessions"]) == 1 and s["id"] == opened["session"] and s["closed"], "one closed session")
        ftf = s["face_to_face_s"]
        check(lo - 1 <= ftf <= hi + 1, f"face-to-face {ftf} s matches the measured {lo:.3f}..{hi:.3f} s")
        check(s["interruptions"] == 1, "the disconnect is one interruption")
        check(abs(closed["face_to_face_ms"] / 1000 - ftf) < 0.002, "session_closed says the same")

        # (d) export + replay gives the same report.
        jl = os.path.join(tmp, "journal.jsonl")
        server.admin("journal", "export", bilan, "--out", jl)
        rr = subprocess.run([SERVER_BIN, "hours", "--replay", jl, "--format", "json"], capture_output=True,
                            text=True, timeout=30)
        check(rr.returncode == 0 and json.loads(rr.stdout) == rep, "journal export + replay = hours BILAN")
        lines = open(jl, "rb").read().split(b"\n")[1:-1]
        sess_lines = b"".join(l + b"\n" for l in lines if json.loads(l).get("session") == s["id"])

        # (c) receipts: both sign the record they received.
        rec_c = cons.wait("session_record")["record"]
        rec_b = ben.wait("session_record")["record"]
        check(rec_c == rec_b, "both participants got the same record")
        check(sorted(rec_c["participants"], key=unb64u) == rec_c["participants"] and
              set(rec_c["participants"]) == {b64u(cons.dev.fp), b64u(ben.dev.fp)}, "participants")
        check(rec_c["journal_sha256"] == b64u(hashlib.sha256(sess_lines).digest()),
              "journal_sha256 is over the exported lines of the session")
        forged = bytearray(sign_record(ben.dev, rec_b))
        forged[0] ^= 1
        ben.send({"type": "receipt", "session": s["id"], "received_audio_ms": 0, "sas_verified": True,
                  "sig": b64u(bytes(forged))})
        check(ben.wait("error")["code"] == "bad_signature", "a forged signature is refused")
        for p, rec in ((cons, rec_c), (ben, rec_b)):
            p.send({"type": "receipt", "session": s["id"], "received_audio_ms": 0, "sas_verified": True,
                    "sig": b64u(sign_record(p.dev, rec)), "ref": "r"})
            check(p.wait("receipt_ok")["session"] == s["id"], "receipt_ok")
        out = os.path.join(tmp, "receipts")
        server.admin("receipts", bilan, "--out", out)
        path = os.path.join(out, s["id"] + ".json")
        rc = json.load(open(path))
        check(verify_receipt(rc) == [], "the receipt file verifies, nobody missing")
        raw = bytearray(open(path, "rb").read())
        i = raw.index(b'"face_to_face_ms":') + len(b'"face_to_face_ms":')
        while raw[i] in b" ":
            i += 1
        raw[i] = ord("1") if raw[i] != ord("1") else ord("2")
        try:
            verify_receipt(json.loads(bytes(raw)))
            raise TestFailure("a changed byte still verifies")
        except TestFailure:
            raise
        except Exception:  # noqa: BLE001 - InvalidSignature
            pass
        # hours over the wire is the CLI's JSON.
        cons.send({"type": "hours", "bilan": bilan})
        check(cons.wait("hours_report")["report"] == rep, "hours_report = bilan-server hours --format json")
        ben.send({"type": "personal_declare", "bilan": bilan, "seconds": 3600, "note": "lecture"})
        check(ben.wait("personal_declared")["seconds"] == 3600, "personal work declared")
        cons.send({"type": "personal_declare", "bilan": bilan, "seconds": 3600})
        check(cons.wait("error")["code"] == "forbidden", "consultants do not declare personal work")
        rep2 = admin_json(server, "hours", bilan, "--format", "json")
        check(rep2["personal_s"] == 3600, "personal work in the report")
        # The consultant's monthly report: this month holds the session, the next one nothing.
        month = time.strftime("%Y-%m", time.gmtime(opened["start_ms"] / 1000))
        mon = admin_json(server, "hours", "--consultant", "dev", "--month", month, "--format", "json")
        check(mon["consultant"] == "dev" and mon["month"] == month and len(mon["bilans"]) == 1 and
              mon["bilans"][0]["bilan"] == bilan and abs(mon["face_to_face_s"] - ftf) < 0.002,
              "the monthly report of the consultant holds this bilan's session")
        y, mth = map(int, month.split("-"))
        nxt = f"{y + (mth == 12)}-{mth % 12 + 1:02d}"
        mon2 = admin_json(server, "hours", "--consultant", "dev", "--month", nxt, "--format", "json")
        check(mon2["face_to_face_s"] == 0, "the next month is empty")
        # The same month as CSV and as a table: the same numbers as the JSON.
        sid = mon["bilans"][0]["sessions"][0]["id"]
        csv = server.admin("hours", "--consultant", "dev", "--month", month, "--format", "csv").stdout
        rows = csv.split("\n")  # text mode: the CSV's CRLF reads as \n
        secs = str(mon["face_to_face_s"])
        check(rows[0] == "bilan,session,phase,start_utc,end_utc,seconds,interruptions" and len(rows) == 5 and
              rows[1].startswith(f"{bilan},{sid},") and rows[2] == f"{bilan},total,,,,{secs}," and
              rows[3] == f"total,total,,,,{secs}," and rows[4] == "",
              f"the monthly report as CSV: a session row, the bilan's total, the total ({rows})")
        table = server.admin("hours", "--consultant", "dev", "--month", month).stdout
        check(table.startswith(f"Heures de dev, {month} (UTC)\n\nBilan {bilan} (") and f" {sid} " in table and
              "\nTotal : 1 séance(s), face-à-face " in table, f"the monthly report as a table ({table!r})")
        r = server.admin("hours", "--consultant", "nobody", "--month", month, check_rc=False)
        check(r.returncode != 0 and "nobody" in r.stderr, "an unknown consultant is a clear error")
        # receipts without --out: a JSON array of receipt files.
        arr = admin_json(server, "receipts", bilan)
        check(isinstance(arr, list) and len(arr) == 1 and verify_receipt(arr[0]) == [],
              "receipts on stdout: one receipt that verifies")
        cons.ws.close()
        ben.ws.close()
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def t_kill9_mid_session():
    tmp = tmpdir("hours-kill9")
    server = Server(tmp)
    ok = False
    try:
        cons, ben, bilan = setup(server)
        cons.send({"type": "session_open", "phase": "preliminaire"})
        opened = cons.wait("session_opened")
        db = "file:" + server.db() + "?mode=ro"
        deadline = time.monotonic() + 30
        n = 0
        while time.monotonic() < deadline:
            idle([cons, ben], 0.3)
            with sqlite3.connect(db, uri=True) as c:
                n = c.execute("SELECT count(*) FROM journal WHERE event = 'alive' AND session = ?",
                              (opened["session"],)).fetchone()[0]
            if n >= 2:
                break
        check(n >= 2, "alive checkpoints were journaled")
        t_kill = time.time()
        server.proc.signal(signal.SIGKILL)
        server.proc.wait_exit()
        port = server.port
        server.extra += ["--session-grace", "2"]
        server.start(port=port)
        check(server.port == port, "restarted on the same port")
        sid = opened["session"]
        server.proc.wait_line(rf"session {sid} of bilan \S+ ended \(server_restart\)", stderr=True)
        with sqlite3.connect(db, uri=True) as c:
            reason = c.execute("SELECT close_reason FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
        check(reason == "server_restart", "nobody came back within the grace: session ended (server_restart)")
        rep = admin_json(server, "hours", bilan, "--format", "json")
        s = rep["sessions"][0]
        check(s["closed"], "the report shows the session closed")
        check(t_kill - 11 <= s["end"] <= t_kill + 0.001, f"ends at the last checkpoint ({s['end']} vs kill {t_kill})")
        check(abs(s["face_to_face_s"] - (s["end"] - s["start"])) < 0.002, "nothing invented")
        check(s["interruptions"] == 0, "no interruption")
        with sqlite3.connect(db, uri=True) as c:
            check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check ok")
            t_close = c.execute("SELECT t_ms FROM journal WHERE event = 'session_close' AND session = ?",
                                (sid,)).fetchone()
            t_alive = c.execute("SELECT max(t_ms) FROM journal WHERE event = 'alive' AND session = ?",
                                (sid,)).fetchone()[0]
            check(t_close is not None and t_close[0] == t_alive, "the session_close is at the last checkpoint")
            check(c.execute("SELECT count(*) FROM journal WHERE event = 'lost' AND session = ?",
                            (sid,)).fetchone()[0] == 2, "each member's presence ended by a lost line")
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = {"session_disconnect_receipts": t_session_disconnect_receipts, "kill9_mid_session": t_kill9_mid_session}

if __name__ == "__main__":
    run_tests(TESTS)
