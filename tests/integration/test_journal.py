#!/usr/bin/env python3
"""test_journal.py: the journal and the receipts under attack (PROTOCOL.md §9),
with the real bilan-server and raw Python peers over TLS.

  same_millisecond: declarations and join/leave/join sent in one TCP write
      are distinct events (each its own seq); the bilan always has a report,
      the same from `hours BILAN`, the export, and the export shuffled.
  quotas: personal_declare, hours and join past their per-device quota get
      the non-fatal `rate_limited`, and the connection goes on.
  refusal_and_frozen_record: the record is frozen at close (rules 2, never
      rewritten, resent as stored); received_audio_ms cannot exceed the
      session; a forged refusal is refused, a signed one stored, exported and
      reported by `bilan receipt verify` (exit 7); a device that refused is
      not sent the record again.
  migrate_v2: a database of the previous release (schema 2, journal without
      seq, a receipt signed over a record of that time, two declarations in
      one millisecond) opens with this server: it reports, and the old
      signature still verifies against the frozen record (rules 1).

Every wait polls; nothing sleeps."""
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import time

from harness import (CLIENT_BIN, SERVER_BIN, Device, Server, TestFailure, b64u, check, run_tests, tmpdir,
                     unb64u)
from test_hours_live import Peer, admin_json, idle, record_text, setup, sign_record, verify_receipt

HERE = os.path.dirname(os.path.abspath(__file__))


def replay(path):
    r = subprocess.run([SERVER_BIN, "hours", "--replay", path, "--format", "json"], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure(f"hours --replay {path}: {r.returncode} {r.stderr}")
    return json.loads(r.stdout)


def three_reports_agree(server, bilan, tmp):
    """hours BILAN = replay(export) = replay(export shuffled, some lines twice)."""
    rep = admin_json(server, "hours", bilan, "--format", "json")
    jl = os.path.join(tmp, "journal.jsonl")
    server.admin("journal", "export", bilan, "--out", jl)
    check(replay(jl) == rep, "the replay of the export is the server's report")
    lines = open(jl).read().splitlines()
    body = lines[1:]
    rnd = random.Random(7)
    rnd.shuffle(body)
    twice = body[:5]
    sh = os.path.join(tmp, "shuffled.jsonl")
    open(sh, "w").write("\n".join([lines[0]] + body + twice) + "\n")
    r2 = replay(sh)
    check(r2["duplicates_ignored"] == len(twice), "copies of a line (same seq) are one event")
    r2["duplicates_ignored"] = rep["duplicates_ignored"]
    check(r2 == rep, "the replay of the shuffled export is the same report")
    return rep, lines


def t_same_millisecond():
    tmp = tmpdir("journal-ms")
    server = Server(tmp)
    ok = False
    try:
        cons, ben, bilan = setup(server)
        # Two declarations with different seconds, then three equal ones, each in one write.
        ben.ws.send_json_burst([{"type": "personal_declare", "bilan": bilan, "seconds": 3600},
                                {"type": "personal_declare", "bilan": bilan, "seconds": 5400}])
        ben.ws.send_json_burst([{"type": "personal_declare", "bilan": bilan, "seconds": 600}] * 3)
        for _ in range(5):
            ben.wait("personal_declared")
        check(True, "five declarations acknowledged")
        cons.send({"type": "session_open", "phase": "suivi"})
        cons.wait("session_opened")
        idle([cons, ben], 1.0)
        # The open session counts live (no checkpoint yet: the journal alone would say 0).
        ben.send({"type": "hours", "bilan": bilan})
        live = ben.wait("hours_report")["report"]["sessions"][0]
        check(not live["closed"] and live["face_to_face_s"] >= 0.9,
              f"hours during the session counts it up to now ({live['face_to_face_s']} s)")
        # join, leave, join in one write is impossible while in the room (already
        # in it); leave, join, leave, join is what a flapping client sends.
        ben.ws.send_json_burst([{"type": "leave"}, {"type": "join", "bilan": bilan},
                                {"type": "leave"}, {"type": "join", "bilan": bilan}])
        for t in ("left", "joined", "left", "joined"):
            ben.wait(t)
        idle([cons, ben], 1.0)
        cons.send({"type": "session_close"})
        closed = cons.wait("session_closed")
        check(closed["face_to_face_ms"] > 1000, f"face to face counted ({closed['face_to_face_ms']} ms)")
        rep, lines = three_reports_agree(server, bilan, tmp)
        check(rep["personal_s"] == 3600 + 5400 + 3 * 600, f"every declaration counted ({rep['personal_s']})")
        s = rep["sessions"][0]
        check(s["closed"] and abs(s["face_to_face_s"] * 1000 - closed["face_to_face_ms"]) < 2 and
              s["interruptions"] <= 2, f"the session reports as session_closed said ({s})")
        evs = [json.loads(x) for x in lines[1:]]
        check(len({e["seq"] for e in evs}) == len(evs), "every line has its own seq")
        flaps = [e["event"] for e in evs if e.get("device") == b64u(ben.dev.fp) and e["event"] in ("join", "leave")]
        check(flaps[:5] == ["join", "leave", "join", "leave", "join"], f"the flaps are journaled ({flaps})")
        pers = [e for e in evs if e["event"] == "personal"]
        check(len(pers) == 5 and all(e.get("device") == b64u(ben.dev.fp) for e in pers),
              "personal lines carry the declaring device")
        check(json.loads(lines[0]).get("format") == 2, "the export says format 2")
        for p in (cons, ben):
            p.ws.close()
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def expect_quota(peer, msg, n_ok, reply):
    """n_ok requests answered with reply, then rate_limited (not fatal)."""
    for i in range(n_ok):
        peer.send(msg)
        peer.wait(reply)
    peer.send(dict(msg, ref="over"))
    e = peer.wait("error")
    check(e["code"] == "rate_limited" and e.get("fatal") is False and e.get("ref") == "over" and
          "Try again in" in e["message"], f"{msg['type']} past {n_ok}: rate_limited, not fatal ({e})")


def t_quotas():
    tmp = tmpdir("journal-quotas")
    server = Server(tmp)
    ok = False
    try:
        cons, ben, bilan = setup(server)
        expect_quota(ben, {"type": "personal_declare", "bilan": bilan, "seconds": 60}, 20, "personal_declared")
        expect_quota(ben, {"type": "hours", "bilan": bilan}, 20, "hours_report")
        # join: setup() used one; 29 more leave+join, then the 31st join is refused.
        for _ in range(29):
            cons.send({"type": "leave"})
            cons.wait("left")
            cons.send({"type": "join", "bilan": bilan})
            cons.wait("joined")
        cons.send({"type": "leave"})
        cons.wait("left")
        cons.send({"type": "join", "bilan": bilan, "ref": "over"})
        e = cons.wait("error")
        check(e["code"] == "rate_limited" and e.get("fatal") is False, f"join past 30 a minute: rate_limited ({e})")
        cons.send({"type": "bilan_list", "ref": "still"})
        check(cons.wait("bilans").get("ref") == "still", "the connection goes on after rate_limited")
        rep = admin_json(server, "hours", bilan, "--format", "json")
        check(rep["personal_s"] == 20 * 60, "only the 20 accepted declarations are counted")
        ok = True
        check(server.stop() == 0, "server exits 0")
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def refusal_sig(dev, r, reason):
    msg = (b"bilan-refusal-v1\0" + record_text(r) + f"signer={b64u(dev.fp)}\nreason={reason}\n".encode())
    return dev.sk.sign(msg)


def t_refusal_and_frozen_record():
    tmp = tmpdir("journal-refusal")
    server = Server(tmp)
    ok = False
    try:
        cons, ben, bilan = setup(server)
        cons.send({"type": "session_open", "phase": "conclusion"})
        sid = cons.wait("session_opened")["session"]
        ben.send({"type": "receipt", "session": sid, "received_audio_ms": 0, "sas_verified": False,
                  "sig": b64u(b"\0" * 64)})
        check(ben.wait("error")["code"] == "wrong_state", "no receipt for a session still open")
        idle([cons, ben], 1.0)
        cons.send({"type": "session_close"})
        rec = cons.wait("session_record")["record"]
        check(ben.wait("session_record")["record"] == rec, "both got the record")
        db = "file:" + server.db() + "?mode=ro"
        with sqlite3.connect(db, uri=True) as c:
            rules, stored = c.execute("SELECT rules, record FROM sessions WHERE id = ?", (sid,)).fetchone()
        check(rules == 2 and json.loads(stored) == rec, "frozen at close: rules 2, the record as sent")
        with sqlite3.connect(server.db()) as c:
            try:
                c.execute("UPDATE sessions SET record = '{}' WHERE id = ?", (sid,))
                raise TestFailure("a frozen record was rewritten")
            except sqlite3.DatabaseError as e:
                check("never rewritten" in str(e), "the schema refuses to rewrite a record")
        length = rec["end_ms"] - rec["start_ms"]
        ben.send({"type": "receipt", "session": sid, "received_audio_ms": length + 1, "sas_verified": False,
                  "sig": b64u(sign_record(ben.dev, rec, audio_ms=length + 1))})
        e = ben.wait("error")
        check(e["code"] == "invalid_field" and "received_audio_ms" in e["message"],
              "received audio longer than the session is refused")
        reason = "le relevé compte 0:00:01 de face-à-face, cet appareil en a vu 0:00:00"
        bad = bytearray(refusal_sig(ben.dev, rec, reason))
        bad[5] ^= 1
        ben.send({"type": "receipt_refusal", "session": sid, "reason": reason, "sig": b64u(bytes(bad))})
        check(ben.wait("error")["code"] == "bad_signature", "a refusal whose signature is wrong is refused")
        ben.send({"type": "receipt_refusal", "session": sid, "reason": "x\ny", "sig": b64u(bytes(bad))})
        check(ben.wait("error")["code"] == "invalid_field", "a reason on two lines is refused")
        ben.send({"type": "receipt_refusal", "session": sid, "reason": reason,
                  "sig": b64u(refusal_sig(ben.dev, rec, reason)), "ref": "f"})
        check(ben.wait("receipt_refused").get("ref") == "f", "a signed refusal is stored")
        cons.send({"type": "receipt", "session": sid, "received_audio_ms": 0, "sas_verified": True,
                   "sig": b64u(sign_record(cons.dev, rec))})
        cons.wait("receipt_ok")
        # Neither gets the record again when it rejoins.
        for p in (ben, cons):
            p.send({"type": "leave"})
            p.wait("left")
            p.box.clear()
            p.send({"type": "join", "bilan": bilan})
            p.wait("joined")
        idle([cons, ben], 0.5)
        check(not any(m.get("type") == "session_record" for p in (cons, ben) for m in p.box),
              "no record is sent again to a device that signed or refused it")
        out = os.path.join(tmp, "receipts")
        server.admin("receipts", bilan, "--out", out)
        path = os.path.join(out, sid + ".json")
        doc = json.load(open(path))
        check(doc["record"] == rec, "the export is the record as sent, not recomputed")
        check(len(doc.get("refusals", [])) == 1 and doc["refusals"][0]["reason"] == reason and
              doc["refusals"][0]["signer"] == b64u(ben.dev.fp), "the export carries the refusal")
        check(verify_receipt(doc) == [b64u(ben.dev.fp)], "the consultant's signature verifies")
        r = subprocess.run([CLIENT_BIN, "receipt", "verify", path], capture_output=True, text=True, timeout=30)
        check(r.returncode == 7 and f"REFUSÉ par {ben.dev.fp[:8].hex()} : {reason} (signature du refus valide)" in r.stdout,
              f"bilan receipt verify: exit 7, the refusal and why ({r.returncode}: {r.stdout} {r.stderr})")
        tampered = json.loads(json.dumps(doc))
        tampered["refusals"][0]["reason"] = "autre chose"
        tp = os.path.join(tmp, "tampered.json")
        json.dump(tampered, open(tp, "w"))
        r = subprocess.run([CLIENT_BIN, "receipt", "verify", tp], capture_output=True, text=True, timeout=30)
        check(r.returncode == 5 and "signature du refus INVALIDE" in r.stdout, "a changed reason is INVALID (exit 5)")
        for p in (cons, ben):
            p.ws.close()
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ---- a database of the previous release ----

def fmt_t(ms):
    s, f = divmod(ms, 1000)
    return str(s) if not f else f"{s}.{f:03d}".rstrip("0")


def v1_line(e):
    """A journal line as the previous release's export wrote it (no seq)."""
    parts = [f'"t":{fmt_t(e["t_ms"])}', f'"event":"{e["event"]}"']
    if e.get("session"):
        parts.append(f'"session":"{e["session"]}"')
    if e.get("device"):
        parts.append(f'"device":"{e["device"]}"')
    if e.get("role"):
        parts.append(f'"role":"{e["role"]}"')
    if e["event"] == "session_open":
        parts.append(f'"phase":"{e["phase"]}"')
    return "{" + ",".join(parts) + "}\n"


def t_migrate_v2():
    tmp = tmpdir("journal-migrate")
    data = os.path.join(tmp, "server-data")
    os.makedirs(data, mode=0o700)
    cons, ben = Device(), Device()
    fc, fb = b64u(cons.fp), b64u(ben.fp)
    t0 = 1_700_000_000_000
    db = sqlite3.connect(os.path.join(data, "server.db"))
    db.executescript(open(os.path.join(HERE, "data", "server_schema_v2.sql")).read())
    db.execute("INSERT INTO consultants(id, name, created) VALUES (1, 'dev', 1)")
    db.execute("INSERT INTO devices VALUES (?, ?, ?, 'consultant', 1, '', 1)", (fc, cons.sign_pub, cons.dh_pub))
    db.execute("INSERT INTO devices VALUES (?, ?, ?, 'beneficiary', NULL, '', 1)", (fb, ben.sign_pub, ben.dh_pub))
    db.execute("INSERT INTO bilans VALUES ('B1', 'old', 1, 57600, 1)")
    db.execute("INSERT INTO bilan_members VALUES ('B1', ?, 'beneficiary', 1)", (fb,))
    db.execute("INSERT INTO sessions VALUES ('s-old', 'B1', 'investigation', ?, ?, 'closed')", (t0, t0 + 600000))
    db.execute("INSERT INTO sessions VALUES ('s-flap', 'B1', 'suivi', ?, ?, 'empty')", (t0 + 10**6, t0 + 10**6 + 60000))
    old = [dict(t_ms=t0, event="session_open", session="s-old", phase="investigation"),
           dict(t_ms=t0, event="join", session="s-old", device=fc, role="consultant"),
           dict(t_ms=t0, event="join", session="s-old", device=fb, role="beneficiary"),
           dict(t_ms=t0 + 10000, event="alive", session="s-old", device=fc),
           dict(t_ms=t0 + 500000, event="leave", session="s-old", device=fb),
           dict(t_ms=t0 + 600000, event="leave", session="s-old", device=fc),
           dict(t_ms=t0 + 600000, event="session_close", session="s-old")]
    t1 = t0 + 10**6
    flap = [dict(t_ms=t1, event="session_open", session="s-flap", phase="suivi"),
            dict(t_ms=t1, event="join", session="s-flap", device=fc, role="consultant"),
            dict(t_ms=t1, event="join", session="s-flap", device=fb, role="beneficiary"),
            # The bug of the previous release: leave and join again in one millisecond.
            dict(t_ms=t1 + 30000, event="leave", session="s-flap", device=fb),
            dict(t_ms=t1 + 30000, event="join", session="s-flap", device=fb, role="beneficiary"),
            dict(t_ms=t1 + 60000, event="leave", session="s-flap", device=fb),
            dict(t_ms=t1 + 60000, event="leave", session="s-flap", device=fc),
            dict(t_ms=t1 + 60000, event="session_close", session="s-flap")]
    for e in old + flap:
        db.execute("INSERT INTO journal(bilan, t_ms, event, session, device, role, phase) VALUES "
                   "('B1', ?, ?, ?, ?, ?, ?)", (e["t_ms"], e["event"], e["session"], e.get("device"),
                                                 e.get("role"), e.get("phase")))
    # Two declarations in one millisecond with different seconds: unreadable before.
    for secs in (3600, 5400):
        db.execute("INSERT INTO journal(bilan, t_ms, event, seconds) VALUES ('B1', ?, 'personal', ?)",
                   (t0 + 2 * 10**6, secs))
    # The record the previous release sent at s-old's close, signed by the consultant.
    rec = {"v": 1, "bilan": "B1", "session": "s-old", "phase": "investigation", "start_ms": t0,
           "end_ms": t0 + 600000, "face_to_face_ms": 500000,
           "participants": sorted([fc, fb], key=unb64u),
           "journal_sha256": b64u(hashlib.sha256("".join(v1_line(e) for e in old).encode()).digest())}
    db.execute("INSERT INTO receipts VALUES ('s-old', ?, 0, 1, ?, ?)", (fc, sign_record(cons, rec), t0 + 700000))
    db.commit()
    db.close()
    server = Server(tmp, data=data)
    ok = False
    try:
        rep = admin_json(server, "hours", "B1", "--format", "json")
        check(rep["personal_s"] == 9000, "both declarations of one millisecond count (3600 + 5400 s)")
        by = {s["id"]: s for s in rep["sessions"]}
        check(by["s-old"]["face_to_face_s"] == 500 and by["s-flap"]["face_to_face_s"] == 60,
              f"both sessions report, the flap no longer breaks the journal ({rep['sessions']})")
        with sqlite3.connect("file:" + server.db() + "?mode=ro", uri=True) as c:
            check(c.execute("PRAGMA user_version").fetchone()[0] == 5,
                  "migrated to the latest schema (5: worksheet keys, consent, close)")
            rows = dict(c.execute("SELECT id, rules FROM sessions").fetchall())
            check(rows == {"s-old": 1, "s-flap": 1}, "sessions of the previous release keep rules 1")
        out = os.path.join(tmp, "receipts")
        server.admin("receipts", "B1", "--out", out)
        doc = json.load(open(os.path.join(out, "s-old.json")))
        check(doc["record"] == rec, "the frozen record is the one the previous release sent")
        check(verify_receipt(doc) == [fb], "the signature made before the upgrade still verifies")
        r = subprocess.run([CLIENT_BIN, "receipt", "verify", os.path.join(out, "s-old.json")],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 6 and ": VALIDE" in r.stdout, f"bilan receipt verify: VALID, one missing (exit {r.returncode})")
        three_reports_agree(server, "B1", tmp)
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def t_client_refuses_forged_record():
    """A hostile server (here a tap in front of the real one) sends the
    beneficiary a record claiming 8 h for a session of a few seconds: the real
    client does not sign it, says why, and sends a signed refusal (the real
    server, which never made that record, refuses that refusal's signature)."""
    from test_e2e import Scene
    from tap import C2S, S2C
    import re

    start = {}

    def hook(conn, direction, op, payload):
        # A consistent liar: the close it announces says 8 h too.
        if direction == S2C and op == 0x1 and conn.role == "beneficiary":
            m = json.loads(payload)
            if m.get("type") == "session_opened":
                start[m["session"]] = m["start_ms"]
            elif m.get("type") == "session_closed" and m["session"] in start:
                m["end_ms"] = start[m["session"]] + 8 * 3600000
                m["face_to_face_ms"] = 8 * 3600000
                return [(op, json.dumps(m).encode())]
            elif m.get("type") == "session_record":
                r = m["record"]
                r["end_ms"] = r["start_ms"] + 8 * 3600000
                r["face_to_face_ms"] = 8 * 3600000
                return [(op, json.dumps(m).encode())]
        return [(op, payload)]

    s = Scene("forged-record", hook)
    pa = pb = None
    ok = False
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--confirm-sas", "--open-session", "suivi",
                                "--close-session", "--duration", "3", "--timeout", "60")
        pa.wait_line(r"^\[room\] joined ")
        pb = s.beneficiary.spawn("join", s.link, "--headless", "--confirm-sas", "--timeout", "60")
        sid = pa.wait_line(r"^\[hours\] session=([A-Za-z0-9_-]+) opened").group(1)
        m = pb.wait_line(rf"^\[receipt\] session={sid} not signed: (.*) \(refusal sent to the server\)$")
        check("8:00:00" in m.group(1), f"the beneficiary refuses the 8 h record and says why: {m.group(1)}")
        pb.wait_line(rf"^\[receipt\] session={sid} refused: bad_signature$")
        pa.wait_line(rf"^\[receipt\] session={sid} signed$")
        check(pa.wait_exit() == 0, "the consultant signed the true record and left")
        ben = {c.idx for c in s.tap.conns if c.role == "beneficiary"}
        sent = [json.loads(p).get("type") for i, d, op, p in s.tap.records if i in ben and d == C2S and op == 0x1]
        check("receipt" not in sent and "receipt_refusal" in sent,
              "the beneficiary sent no receipt for it, only a refusal")
        pb.signal(2)
        check(pb.wait_exit() == 0, "the beneficiary leaves cleanly")
        ok = True
    finally:
        for p in (pa, pb):
            if p and p.p.poll() is None:
                p.p.kill()
        s.close(ok)


TESTS = {"same_millisecond": t_same_millisecond, "quotas": t_quotas,
         "client_refuses_forged_record": t_client_refuses_forged_record,
         "refusal_and_frozen_record": t_refusal_and_frozen_record, "migrate_v2": t_migrate_v2}

if __name__ == "__main__":
    run_tests(TESTS)
