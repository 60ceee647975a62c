#!/usr/bin/env python3
"""test_hours_client.py: the client side of face-to-face hours (PROTOCOL.md §9)
with the real bilan-server and real bilan clients: a consultant opens a session
as soon as the beneficiary is in the room and closes it before leaving, both
devices sign the session's record (attendance receipt), `bilan hours` reports
it, `bilan hours declare` adds personal work, and `bilan receipt verify` checks
the receipts exported by `bilan-server receipts` (valid, tampered, incomplete).
A beneficiary killed (SIGKILL) during a session misses its close; on its next
`bilan join` the server sends it the record it missed and it signs it.

Nothing sleeps: every wait is on a line a process prints or on its exit.

Run one scenario: test_hours_client.py NAME; all: test_hours_client.py.
"""
import json
import os
import re
import signal

from harness import Client, TestFailure, check, run_tests
from test_rooms import Scene

SID = r"([A-Za-z0-9_-]{1,64})"
HMS = r"\d+:\d\d:\d\d"


def verify(client, path):
    r = client.run("receipt", "verify", path)
    return r.returncode, r.stdout, r.stderr


def t_session_receipts_report():
    s = Scene("hours-client")
    pa = pb = None
    try:
        beneficiary = Client(s.tmp, "beneficiary")
        common = ["--headless", "--confirm-sas", "--expect-chat", "1", "--timeout", "60"]
        pa = s.consultant.spawn("join", s.bilan, "--open-session", "investigation", "--close-session",
                                "--say", "bonjour de la consultante", *common)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        pb = beneficiary.spawn("join", s.link, "--say", "bonjour du bénéficiaire", *common)
        sa = pa.wait_line(rf"^\[hours\] session={SID} opened phase=investigation$").group(1)
        sb = pb.wait_line(rf"^\[hours\] session={SID} opened phase=investigation$").group(1)
        check(sa == sb, f"both print the session opened (session={sa})")
        pa.wait_line(rf"^\[hours\] used=\d+:\d\d budget=16:00 left=\d+:\d\d session={sa} "
                     rf"elapsed={HMS} face_to_face={HMS}$")
        check(True, "the consultant prints the live hours of the session")
        for p in (pa, pb):
            p.wait_line(rf"^\[hours\] session={sa} closed face_to_face={HMS} reason=closed$")
        check(True, "both print the session closed by the consultant")
        for p in (pa, pb):
            p.wait_line(rf"^\[receipt\] session={sa} signed$")
        check(True, "both signed the session's record and the server acknowledged it")
        for p in (pa, pb):
            rc = p.wait_exit()
            if rc != 0:
                raise TestFailure(f"{p.name} exited {rc}\n" + p.dump())
        check(pa.count(r"^\[chat\] slot=\d: bonjour du bénéficiaire$") == 1 and
              pb.count(r"^\[chat\] slot=\d: bonjour de la consultante$") == 1,
              "the chat lines crossed; both exit 0")

        # The report, from the beneficiary's device.
        r = beneficiary.ok("hours", "--format", "json")
        rep = json.loads(r.stdout)
        check(len(rep["sessions"]) == 1 and rep["sessions"][0]["id"] == sa and
              rep["sessions"][0]["phase"] == "investigation",
              "bilan hours --format json shows the one session")
        r = beneficiary.ok("hours")
        check(sa in r.stdout and "budget de 16:00" in r.stdout, "bilan hours prints the table (French)")
        r = beneficiary.ok("hours", "--format", "tableur")
        check(r.stdout.startswith("\ufeffligne;séance;phase;début;fin;") and
              re.search(rf"^séance;{re.escape(sa)};investigation;\d\d/\d\d/\d{{4}} \d\d:\d\d;", r.stdout, re.M),
              "bilan hours --format tableur: BOM, ';', dd/mm/yyyy")
        r = beneficiary.ok("hours", "--format", "csv")
        check(r.stdout.startswith("row,id,phase,") and f"session,{sa},investigation," in r.stdout,
              "bilan hours --format csv")

        # Personal work.
        r = beneficiary.ok("hours", "declare", "1h30", "--note", "lecture des fiches métier")
        check(re.search(rf"^Travail personnel déclaré : 1:30 pour bilan={re.escape(s.bilan)}$",
                        r.stdout, re.M) is not None, "hours declare 1h30 is acknowledged")
        rep = json.loads(beneficiary.ok("hours", "--format", "json").stdout)
        check(rep["personal_s"] == 5400, "the report counts 5400 s of personal work")
        r = s.consultant.run("hours", "declare", "1h")
        check(r.returncode == 2, "a consultant cannot declare personal work (exit 2)")
        r = beneficiary.run("hours", "declare", "30s")
        check(r.returncode == 1 and "de 1m à 24h" in r.stderr, "30s is refused locally (exit 1)")

        # The receipts, exported by the server and checked offline.
        out = os.path.join(s.tmp, "receipts")
        os.makedirs(out, exist_ok=True)
        s.server.admin("receipts", s.bilan, "--out", out)
        path = os.path.join(out, f"{sa}.json")
        check(os.path.exists(path), f"bilan-server receipts wrote {sa}.json")
        rc, so, se = verify(beneficiary, path)
        signers = re.findall(r"^  signé par ([0-9a-f]{16}) \(audio reçu 0:00:00, code vérifié : oui\) : VALIDE$",
                             so, re.M)
        if rc != 0 or len(set(signers)) != 2:
            raise TestFailure(f"receipt verify: rc={rc}\n{so}\n{se}")
        check(True, "receipt verify: exit 0, both signers VALID with the code verified")
        check(re.search(rf"^receipt bilan={re.escape(s.bilan)} session={sa} phase=investigation ",
                        so, re.M) is not None, "receipt verify prints the record")
        with open(path) as f:
            doc = json.load(f)
        for delta in (1, -1):
            tampered = json.loads(json.dumps(doc))
            ftf = tampered["record"]["face_to_face_ms"]
            if ftf + delta < 0:
                continue
            tampered["record"]["face_to_face_ms"] = ftf + delta
            tp = os.path.join(s.tmp, f"tampered{delta}.json")
            with open(tp, "w") as f:
                json.dump(tampered, f)
            rc, so, se = verify(beneficiary, tp)
            check(rc == 5 and "INVALIDE" in so and "VALIDE\n" not in so.replace("INVALIDE", ""),
                  f"face_to_face_ms {delta:+d}: exit 5, INVALID")
        tampered = json.loads(json.dumps(doc))
        tampered["signatures"][0]["sas_verified"] = not tampered["signatures"][0]["sas_verified"]
        tp = os.path.join(s.tmp, "tampered-sas.json")
        with open(tp, "w") as f:
            json.dump(tampered, f)
        rc, so, se = verify(beneficiary, tp)
        check(rc == 5 and so.count(": VALIDE") == 1 and so.count("INVALIDE (") == 1,
              "one signer's attestation changed: exit 5, that signature INVALID")
        incomplete = json.loads(json.dumps(doc))
        gone = incomplete["signatures"].pop()
        ip = os.path.join(s.tmp, "incomplete.json")
        with open(ip, "w") as f:
            json.dump(incomplete, f)
        rc, so, se = verify(beneficiary, ip)
        check(rc == 6 and re.search(r"^  signature manquante : [0-9a-f]{16}$", so, re.M),
              "one signature removed: exit 6, signature manquante : ...")
        bp = os.path.join(s.tmp, "broken.json")
        with open(bp, "w") as f:
            f.write('{"receipt": 1, "record": ')
        rc, so, se = verify(beneficiary, bp)
        check(rc == 1 and "ligne 1" in se, "an unreadable file: exit 1 with the JSON error position")
        del gone
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb):
            if p:
                p.kill()
        s.close(ok=False)
        raise


def t_missed_close_signed_later():
    s = Scene("hours-missed")
    pa = pb = pc = None
    try:
        beneficiary = Client(s.tmp, "beneficiary")
        common = ["--headless", "--confirm-sas", "--timeout", "60"]
        pa = s.consultant.spawn("join", s.bilan, "--open-session", "investigation", "--close-session", *common)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        pb = beneficiary.spawn("join", s.link, *common)
        sid = pa.wait_line(rf"^\[hours\] session={SID} opened phase=investigation$").group(1)
        pb.wait_line(rf"^\[hours\] used=\S+ budget=\S+ left=\S+ session={sid} ")
        check(True, f"the beneficiary is in session {sid}")

        # The beneficiary's device dies; the consultant sees it go.
        pb.kill()
        pa.wait_line(r"^\[room\] - slot=\d role=beneficiary reason=(?:disconnected|lost)$")
        check(True, "the consultant sees the beneficiary disconnected (SIGKILL)")
        pa.signal(signal.SIGINT)
        pa.wait_line(rf"^\[hours\] session={sid} closed face_to_face={HMS} reason=closed$")
        pa.wait_line(rf"^\[receipt\] session={sid} signed$")
        rc = pa.wait_exit()
        if rc != 0:
            raise TestFailure(f"consultant exited {rc}\n" + pa.dump())
        check(True, "the consultant closes the session on SIGINT, signs it and exits 0")

        out = os.path.join(s.tmp, "receipts-1")
        os.makedirs(out, exist_ok=True)
        s.server.admin("receipts", s.bilan, "--out", out)
        path = os.path.join(out, f"{sid}.json")
        rc, so, se = verify(beneficiary, path)
        signed = re.findall(r"^  signé par ([0-9a-f]{16}) .*: VALIDE$", so, re.M)
        missing = re.findall(r"^  signature manquante : ([0-9a-f]{16})$", so, re.M)
        if rc != 6 or len(signed) != 1 or len(missing) != 1 or signed == missing:
            raise TestFailure(f"receipt verify (before): rc={rc}\n{so}\n{se}")
        check(True, "receipt verify: exit 6, the beneficiary's signature is missing")

        # The beneficiary comes back: the server sends the record it missed.
        pc = beneficiary.spawn("join", s.bilan, "--headless", "--duration", "30", "--timeout", "60")
        pc.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary")
        pc.wait_line(rf"^\[receipt\] session={sid} signed$")
        check(pc.count(r"not signed") == 0, "the beneficiary signs the record of the close it missed")
        pc.signal(signal.SIGINT)
        rc = pc.wait_exit()
        if rc != 0:
            raise TestFailure(f"beneficiary exited {rc}\n" + pc.dump())

        out = os.path.join(s.tmp, "receipts-2")
        os.makedirs(out, exist_ok=True)
        s.server.admin("receipts", s.bilan, "--out", out)
        rc, so, se = verify(beneficiary, os.path.join(out, f"{sid}.json"))
        signers = re.findall(r"^  signé par ([0-9a-f]{16}) .*: VALIDE$", so, re.M)
        if rc != 0 or sorted(signers) != sorted(signed + missing):
            raise TestFailure(f"receipt verify (after): rc={rc}\n{so}\n{se}")
        check(True, "receipt verify: exit 0, both signatures VALID")

        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb, pc):
            if p:
                p.kill()
        s.close(ok=False)
        raise


def t_options():
    s = Scene("hours-options")
    try:
        r = s.consultant.run("join", s.bilan, "--open-session", "bilan")
        check(r.returncode == 1 and "preliminaire" in r.stderr, "--open-session with a bad phase: exit 1")
        r = s.consultant.run("hours", "declare", "--help")
        check(r.returncode == 0 and "declare" in r.stdout, "hours declare --help")
        r = s.consultant.run("receipt", "verify", os.path.join(s.tmp, "nope.json"))
        check(r.returncode == 1, "receipt verify of a missing file: exit 1")
        check(s.close() == 0, "server exits 0")
    except Exception:
        s.close(ok=False)
        raise


TESTS = {
    "session_receipts_report": t_session_receipts_report,
    "options": t_options,
    "missed_close_signed_later": t_missed_close_signed_later,
}

if __name__ == "__main__":
    run_tests(TESTS)
