#!/usr/bin/env python3
"""test_authz.py: every security check of the server and of the client has a
test that fails when the check is removed (issue 7, item 8). Real
bilan-server and bilan binaries on loopback, real TLS, raw Python peers that
can sign anything.

  auth_bad_signature: an ENROLLED device whose `auth` signature is over
      another nonce, a replay of its own earlier signature, by another key,
      with one bit flipped (first, middle, last byte), or the enrol message
      for this nonce: exactly `bad_signature` (with the ref, not fatal) each
      time, and the same connection then authenticates after a new hello.
  enrol_bad_signature: `enrol` of a valid unused token (invite, consultant
      enrolment token, and a further invite redeemed by an enrolled device)
      with a bad signature: exactly `bad_signature`, and the token is still
      unused, no device or membership was written; the right signature then
      succeeds with that very token.
  matrix: consultants A (owns bilan X) and B (owns Y), X's beneficiary BX,
      Y's beneficiary BY. Every message with a role or ownership rule
      (PROTOCOL.md §2.2, §3.1, §9) is tried by the wrong consultant, a
      beneficiary and another bilan's member: the exact error code, then what
      an auditor sees (database read-only, `bilan-server hours/journal
      export/receipts`) and what the room sees shows that nothing happened.
      One table line per (message, actor, expected code).
  client_tls12_refused: `bilan` against a TLS 1.2-only server, trusted by pin
      and by CA: refuses (exit 3, says TLS) and sends nothing; the same fake
      server allowing TLS 1.3 receives the client's upgrade request (so the
      refusal is the TLS version, not the setup).
  client_wrong_hostname: a real bilan-server with a certificate from a
      trusted test CA for another host name: `bilan enrol` refuses (exit 3)
      and the token stays unused; with a certificate from the same CA for
      the right name the same token enrols.

Run one scenario: test_authz.py NAME; all: test_authz.py."""
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import threading
import time

from harness import (DEADLINE, SERVER_BIN, Client, Device, Proc, RawWs, Server, TestFailure, b64u, check,
                     link_token, raw_enrol, raw_hello, run_tests, tmpdir, unb64u)

# Failed attempts are rate limited per address (10 a minute by default):
# these scenarios fail on purpose many times from 127.0.0.1.
NO_LIMIT = ["--auth-failures", "1000"]


# ------------------------------------------------------------------ helpers

class Peer:
    """A raw device on one connection. Replies are matched by ref; anything
    else (events, messages caused by other members) lands in self.box."""

    def __init__(self, server, name, dev=None):
        self.server = server
        self.name = name
        self.dev = dev or Device()
        self.ws = None
        self.box = []
        self.n = 0

    def connect(self):
        if self.ws:
            self.ws.close()
        self.ws = RawWs(self.server.host, self.server.port, self.server.pin)
        self.box = []
        return self

    def enrol(self, token):
        self.connect()
        m = raw_enrol(self.ws, self.dev, token)
        if m.get("type") != "welcome":
            raise TestFailure(f"{self.name}: enrol failed: {m}")
        return m

    def _recv(self, timeout=DEADLINE):
        op, p = self.ws.recv_frame(timeout)
        return json.loads(p) if op == 0x1 else None

    def req(self, obj):
        """Sends obj with a fresh ref; returns the reply carrying that ref."""
        self.n += 1
        ref = f"{self.name}-{self.n}"
        self.ws.send_json(dict(obj, ref=ref))
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            m = self._recv()
            if m is None:
                continue
            if m.get("ref") == ref:
                return m
            self.box.append(m)
        raise TestFailure(f"{self.name}: no reply to {obj.get('type')} within {DEADLINE} s")

    def ok(self, obj, rtype):
        m = self.req(obj)
        if m.get("type") != rtype:
            raise TestFailure(f"{self.name}: {obj.get('type')} answered {m}, expected {rtype}")
        return m

    def barrier(self):
        """Control messages to this peer are FIFO: once our own reply is in,
        every control message the server queued for us before it is in the box."""
        self.req({"type": "bilan_list"})

    def seen(self, mtype):
        return [m for m in self.box if m.get("type") == mtype]

    def wait(self, mtype, pred=lambda m: True):
        end = time.monotonic() + DEADLINE
        while True:
            for i, m in enumerate(self.box):
                if m.get("type") == mtype and pred(m):
                    return self.box.pop(i)
            if time.monotonic() > end:
                raise TestFailure(f"{self.name}: no '{mtype}'; got {[m.get('type') for m in self.box]}")
            m = self._recv()
            if m is not None:
                self.box.append(m)

    def close(self):
        if self.ws:
            self.ws.close()
            self.ws = None


def event_barrier(sender, receiver, slot, tag):
    """Room events are FIFO among themselves: once receiver has the e2e body
    tag from sender, every room event queued for it before is in its box."""
    sender.ws.send_json({"type": "e2e", "to": slot, "body": {"t": "barrier", "tag": tag}})
    receiver.wait("e2e", lambda m: m.get("body", {}).get("tag") == tag)


def flip(b, bit):
    b = bytearray(b)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def db_query(server, sql, args=()):
    with sqlite3.connect("file:" + server.db() + "?mode=ro", uri=True, timeout=30) as c:
        return c.execute(sql, args).fetchall()


def db_one(server, sql, args=()):
    return db_query(server, sql, args)[0][0]


def admin_json(server, *args):
    return json.loads(server.admin(*args).stdout)


def admin_token(server, *args):
    """A token printed alone on its line by `consultant add/token`."""
    r = server.admin(*args)
    toks = re.findall(r"^\s*([A-Za-z0-9_-]{43})\s*$", r.stdout, re.M)
    if not toks:
        raise TestFailure(f"bilan-server {' '.join(args)} printed no token:\n{r.stdout}")
    return unb64u(toks[-1])


def token_used_by(server, token):
    h = hashlib.sha256(token).digest()
    rows = db_query(server, "SELECT used_by FROM invites WHERE token_hash = ?1 UNION ALL "
                            "SELECT used_by FROM enrol_tokens WHERE token_hash = ?1", (h,))
    if len(rows) != 1:
        raise TestFailure(f"token not found once in the database ({len(rows)} rows)")
    return rows[0][0]


# PROTOCOL.md §9.4, re-implemented here on purpose (independent of the product).
def record_text(r):
    lines = ["bilan-session-record-v1", f"bilan={r['bilan']}", f"session={r['session']}",
             f"phase={r['phase']}", f"start_ms={r['start_ms']}", f"end_ms={r['end_ms']}",
             f"face_to_face_ms={r['face_to_face_ms']}"]
    lines += [f"participant={p}" for p in r["participants"]]
    lines.append(f"journal_sha256={r['journal_sha256']}")
    return "".join(x + "\n" for x in lines).encode()


def sign_record(dev, r):
    att = f"signer={b64u(dev.fp)}\nreceived_audio_ms=0\nsas_verified=1\n".encode()
    return dev.sk.sign(b"bilan-receipt-v1\0" + record_text(r) + att)


def finish(server, tmp, ok):
    server.stop()
    if ok and os.environ.get("BILAN_KEEP_TMP") is None:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------ wrong signatures

def t_auth_bad_signature():
    tmp = tmpdir("authz-auth")
    server = Server(tmp, NO_LIMIT)
    ok = False
    try:
        dev = Device()
        first = Peer(server, "dev", dev)
        first.enrol(link_token(server.enrol_link))
        first.close()
        # A valid signature of an earlier connection, to replay.
        ws = RawWs(server.host, server.port, server.pin)
        old_nonce = raw_hello(ws)
        old_sig = dev.auth_sig(old_nonce)
        ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(old_sig)})
        check(ws.recv_json().get("type") == "welcome", "the enrolled device authenticates")
        ws.close()

        other = Device()
        token = link_token(server.enrol_link)
        cases = [
            ("signed over another nonce", lambda n: dev.auth_sig(os.urandom(32))),
            ("a replay of its signature from an earlier challenge", lambda n: old_sig),
            ("signed by another key", lambda n: other.sk.sign(b"bilan-auth-v1\0" + n + dev.sign_pub + dev.dh_pub)),
            ("one bit flipped (first byte)", lambda n: flip(dev.auth_sig(n), 0)),
            ("one bit flipped (middle)", lambda n: flip(dev.auth_sig(n), 257)),
            ("one bit flipped (last byte)", lambda n: flip(dev.auth_sig(n), 511)),
            ("the enrol message for this nonce", lambda n: dev.enrol_sig(n, token)),
            ("over the right nonce without the context string",
             lambda n: dev.sk.sign(n + dev.sign_pub + dev.dh_pub)),
        ]
        ws = RawWs(server.host, server.port, server.pin)
        for i, (what, make) in enumerate(cases):
            nonce = raw_hello(ws)
            ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(make(nonce)), "ref": f"a{i}"})
            m = ws.recv_json()
            check(m.get("type") == "error" and m.get("code") == "bad_signature" and m.get("ref") == f"a{i}"
                  and m.get("fatal") is False, f"auth {what}: exactly bad_signature, not fatal ({m.get('code')})")
        # The connection is still usable: a new hello draws a new challenge.
        nonce = raw_hello(ws)
        ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(dev.auth_sig(nonce)), "ref": "good"})
        m = ws.recv_json()
        check(m.get("type") == "welcome" and m.get("ref") == "good" and m.get("device") == b64u(dev.fp),
              "after the refusals the same connection authenticates with a new hello")
        # And a signature is good for one challenge only, even on its own connection.
        ws.send_json({"type": "hello", "v": 1})
        check(ws.recv_json().get("code") == "wrong_state", "no second challenge once authenticated")
        ws.close()
        ok = True
    finally:
        finish(server, tmp, ok)


def t_enrol_bad_signature():
    tmp = tmpdir("authz-enrol")
    server = Server(tmp, NO_LIMIT)
    ok = False
    try:
        cons = Peer(server, "A")
        cons.enrol(link_token(server.enrol_link))
        bc = cons.ok({"type": "bilan_create", "label": "X"}, "bilan_created")
        bilan = bc["bilan"]
        invite = unb64u(bc["invite_token"])
        ctok = admin_token(server, "consultant", "add", "Bruno")
        # An enrolled beneficiary redeeming a further invite (PROTOCOL.md §2.2).
        ben = Peer(server, "BX")
        ben.enrol(invite)
        ben.close()
        # Each invite is printed when it is used: a reprint revokes the unused ones.
        def new_invite():
            return unb64u(cons.ok({"type": "invite_create", "bilan": bilan}, "invite_created")["invite_token"])

        def enrol_msg(d, token, sig):
            return {"type": "enrol", "token": b64u(token), "sign_pub": b64u(d.sign_pub), "dh_pub": b64u(d.dh_pub),
                    "sig": b64u(sig)}

        for label, token, d, role in (("an invite", new_invite, Device(), "beneficiary"),
                                      ("a consultant enrolment token", lambda: ctok, Device(), "consultant"),
                                      ("a further invite, by an enrolled device", new_invite, ben.dev,
                                       "beneficiary")):
            token = token()
            other = Device()
            wrong_token = os.urandom(32)
            members_before = db_one(server, "SELECT count(*) FROM bilan_members")
            devices_before = db_one(server, "SELECT count(*) FROM devices")
            cases = [
                ("signed over another nonce", lambda n: d.enrol_sig(os.urandom(32), token)),
                ("signed by another key", lambda n: other.sk.sign(b"bilan-enrol-v1\0" + n + d.sign_pub + d.dh_pub +
                                                                   hashlib.sha256(token).digest())),
                ("one bit flipped", lambda n: flip(d.enrol_sig(n, token), 300)),
                ("signed over another token", lambda n: d.enrol_sig(n, wrong_token)),
                ("the auth message for this nonce", lambda n: d.auth_sig(n)),
            ]
            ws = RawWs(server.host, server.port, server.pin)
            for i, (what, make) in enumerate(cases):
                nonce = raw_hello(ws)
                ws.send_json(dict(enrol_msg(d, token, make(nonce)), ref=f"e{i}"))
                m = ws.recv_json()
                check(m.get("code") == "bad_signature" and m.get("ref") == f"e{i}" and m.get("fatal") is False,
                      f"enrol of {label} {what}: exactly bad_signature ({m.get('code')})")
                check(token_used_by(server, token) is None, f"... and {label} is still unused")
            check(db_one(server, "SELECT count(*) FROM devices") == devices_before and
                  db_one(server, "SELECT count(*) FROM bilan_members") == members_before,
                  f"no device and no membership were written for {label}")
            nonce = raw_hello(ws)
            ws.send_json(enrol_msg(d, token, d.enrol_sig(nonce, token)))
            m = ws.recv_json()
            check(m.get("type") == "welcome" and m.get("role") == role and token_used_by(server, token) == b64u(d.fp),
                  f"the right signature then redeems {label} itself ({m.get('type')} {m.get('code', '')})")
            ws.close()
        check(db_one(server, "SELECT count(*) FROM bilan_members WHERE device = ?", (b64u(ben.dev.fp),)) == 1,
              "the enrolled beneficiary's further invite added no second membership to the same bilan")
        cons.close()
        ok = True
    finally:
        finish(server, tmp, ok)


# ----------------------------------------------------- authorization matrix

def t_matrix():
    tmp = tmpdir("authz-matrix")
    server = Server(tmp, NO_LIMIT)
    ok = False
    peers = []
    try:
        A = Peer(server, "A")
        A.enrol(link_token(server.enrol_link))
        B = Peer(server, "B")
        B.enrol(admin_token(server, "consultant", "add", "Bruno"))
        bx = A.ok({"type": "bilan_create", "label": "X", "budget_s": 3600}, "bilan_created")
        by = B.ok({"type": "bilan_create", "label": "Y", "budget_s": 3600}, "bilan_created")
        X, Y = bx["bilan"], by["bilan"]
        BX = Peer(server, "BX")
        BX.enrol(unb64u(bx["invite_token"]))
        BY = Peer(server, "BY")
        BY.enrol(unb64u(by["invite_token"]))
        peers = [A, B, BX, BY]
        actors = {"A": A, "B": B, "BX": BX, "BY": BY}

        # Who sees which bilan: nobody is told of another's.
        want = {"A": {X}, "B": {Y}, "BX": {X}, "BY": {Y}}
        for n, p in actors.items():
            got = {b["bilan"] for b in p.ok({"type": "bilan_list"}, "bilans")["bilans"]}
            check(got == want[n], f"bilan_list of {n} lists exactly its own bilans ({len(got)})")

        # Rooms: A and BX in X's room; BY enters Y's room (alone) after it
        # tried X's; B is in none.
        slot_a = A.ok({"type": "join", "bilan": X}, "joined")["slot"]
        BX.ok({"type": "join", "bilan": X}, "joined")
        A.wait("member_joined")
        for p in peers:
            p.box.clear()

        def count(sql, *args):
            return lambda: db_one(server, sql, args)

        n_bilans = count("SELECT count(*) FROM bilans")
        n_inv_x = count("SELECT count(*) FROM invites WHERE bilan_id = ?", X)
        n_sess = count("SELECT count(*) FROM sessions")
        n_open = count("SELECT count(*) FROM sessions WHERE closed_ms IS NULL")
        n_journal = count("SELECT count(*) FROM journal")
        n_personal = count("SELECT count(*) FROM journal WHERE event = 'personal'")
        n_members = count("SELECT count(*) FROM bilan_members")
        n_receipts = count("SELECT count(*) FROM receipts")

        def report(b):
            return admin_json(server, "hours", b, "--format", "json")

        def no_room_event_for_A(tag):
            event_barrier(BX, A, slot_a, tag)
            return not A.seen("member_joined") and not A.seen("member_left")

        def no_ctrl_for(peer, *types):
            peer.barrier()
            return not any(peer.seen(t) for t in types)

        session = {}
        record = {}

        def open_x():
            A.ok({"type": "session_open", "phase": "investigation"}, "session_opened")
            session["id"] = BX.wait("session_opened")["session"]
            A.box.clear()

        def close_x():
            A.ok({"type": "session_close"}, "session_closed")
            record["rec"] = A.wait("session_record")["record"]
            BX.wait("session_closed")
            BX.wait("session_record")
            A.box.clear()

        def receipt_msg(p):
            return {"type": "receipt", "session": session["id"], "received_audio_ms": 0, "sas_verified": True,
                    "sig": b64u(sign_record(p.dev, record["rec"]))}

        def probe(*counts, also=lambda: True):
            """Nothing happened: the counts are as before the attempt, and also()."""
            def arm():
                before = [c() for c in counts]
                return lambda: [c() for c in counts] == before and also()
            return arm

        bilan_probe = probe(n_bilans, n_inv_x)
        invite_probe = probe(n_inv_x, n_members)
        join_probe = probe(n_members, also=lambda: no_room_event_for_A(os.urandom(6).hex()))
        hours_probe = probe(n_journal)
        personal_probe = probe(n_personal, also=lambda: report(X)["personal_s"] == 0)
        open_probe = probe(n_sess, n_journal, also=lambda: report(X)["sessions"] == [] and report(Y)["sessions"] == []
                           and no_ctrl_for(A, "session_opened", "hours_update"))
        close_probe = probe(n_sess, n_journal, also=lambda: n_open() == 1 and no_ctrl_for(A, "session_closed"))
        receipt_probe = probe(n_receipts)

        # One line per (message, actor, expected code, request, probe); a line
        # with message None is a step of the scene (the rightful actor).
        MATRIX = [
            # §3.1 bilan_create: consultants only.
            ("bilan_create", "BX", "forbidden", lambda: {"type": "bilan_create", "label": "z"}, bilan_probe),
            ("bilan_create", "BY", "forbidden", lambda: {"type": "bilan_create", "label": "z"}, bilan_probe),
            # §3.1 invite_create: the owning consultant only.
            ("invite_create X", "B", "forbidden", lambda: {"type": "invite_create", "bilan": X}, invite_probe),
            ("invite_create X", "BX", "forbidden", lambda: {"type": "invite_create", "bilan": X}, invite_probe),
            ("invite_create X", "BY", "forbidden", lambda: {"type": "invite_create", "bilan": X}, invite_probe),
            # §3.3 join: the owner's devices and the bilan's members only.
            ("join X", "B", "not_member", lambda: {"type": "join", "bilan": X}, join_probe),
            ("join X", "BY", "not_member", lambda: {"type": "join", "bilan": X}, join_probe),
            (None, "BY", None, lambda: BY.ok({"type": "join", "bilan": Y}, "joined"), None),
            # §9.2 hours: members of the bilan.
            ("hours X", "B", "not_member", lambda: {"type": "hours", "bilan": X}, hours_probe),
            ("hours X", "BY", "not_member", lambda: {"type": "hours", "bilan": X}, hours_probe),
            # §9.2 personal_declare: that bilan's beneficiary only.
            ("personal_declare X", "A", "forbidden",
             lambda: {"type": "personal_declare", "bilan": X, "seconds": 3600}, personal_probe),
            ("personal_declare X", "B", "forbidden",
             lambda: {"type": "personal_declare", "bilan": X, "seconds": 3600}, personal_probe),
            ("personal_declare X", "BY", "forbidden",
             lambda: {"type": "personal_declare", "bilan": X, "seconds": 3600}, personal_probe),
            # §9.1 session_open: consultants in the room. B cannot be in X's
            # room (join is refused), so it has no room to open a session in.
            ("session_open in X's room", "BX", "forbidden",
             lambda: {"type": "session_open", "phase": "suivi"}, open_probe),
            ("session_open (in no room)", "B", "wrong_state",
             lambda: {"type": "session_open", "phase": "suivi"}, open_probe),
            ("session_open in Y's room", "BY", "forbidden",
             lambda: {"type": "session_open", "phase": "suivi"}, open_probe),
            (None, "A", None, open_x, None),
            # §9.1 session_close: consultants in the room.
            ("session_close in X's room", "BX", "forbidden", lambda: {"type": "session_close"}, close_probe),
            ("session_close (in no room)", "B", "wrong_state", lambda: {"type": "session_close"}, close_probe),
            ("session_close in Y's room", "BY", "forbidden", lambda: {"type": "session_close"}, close_probe),
            (None, "A", None, close_x, None),
            # §9.3 receipt: a member of the session's bilan (each signs the
            # record correctly with its own key: only membership refuses it).
            ("receipt for X's session", "B", "not_member", lambda: receipt_msg(B), receipt_probe),
            ("receipt for X's session", "BY", "not_member", lambda: receipt_msg(BY), receipt_probe),
        ]
        for msg, actor, code, make, probe in MATRIX:
            if msg is None:
                make()
                continue
            p = actors[actor]
            after = probe()
            m = p.req(make())
            check(m.get("type") == "error" and m.get("code") == code and m.get("fatal") is False,
                  f"{msg:28} by {actor:2}: {code} (got {m.get('type')} {m.get('code', '')})")
            check(after(), f"{msg:28} by {actor:2}: nothing happened")

        # Positive controls: the rightful actor gets through each rule above
        # (so every refusal is the rule, not a broken request).
        A.ok({"type": "invite_create", "bilan": X}, "invite_created")
        A.ok({"type": "hours", "bilan": X}, "hours_report")
        BX.ok({"type": "hours", "bilan": X}, "hours_report")
        BX.ok({"type": "personal_declare", "bilan": X, "seconds": 3600}, "personal_declared")
        check(report(X)["personal_s"] == 3600, "the beneficiary's own declaration counts (positive control)")
        BX.ok(receipt_msg(BX), "receipt_ok")
        rc = admin_json(server, "receipts", X)
        signers = {s["signer"] for r in rc for s in r["signatures"]}
        check(signers == {b64u(BX.dev.fp)}, "only X's beneficiary's receipt is stored (B's and BY's are not)")
        check(report(Y)["sessions"] == [] and report(Y)["personal_s"] == 0, "nothing at all happened in Y")
        # The journal export of X: one session, opened and closed by A; no
        # line of B's or BY's devices.
        jl = os.path.join(tmp, "x.jsonl")
        server.admin("journal", "export", X, "--out", jl)
        lines = [json.loads(x) for x in open(jl).read().splitlines()[1:]]
        devs = {e.get("device") for e in lines if e.get("device")}
        check(devs == {b64u(A.dev.fp), b64u(BX.dev.fp)}, "X's journal names only A's and BX's devices")
        check(sum(e["event"] == "session_open" for e in lines) == 1 and
              sum(e["event"] == "session_close" for e in lines) == 1 and
              sum(e["event"] == "personal" for e in lines) == 1, "X's journal: one session, one declaration")

        # §2.2 enrolment rules: a device keeps its role.
        ctok = admin_token(server, "consultant", "token", "Bruno")
        inv = unb64u(A.ok({"type": "invite_create", "bilan": X}, "invite_created")["invite_token"])
        for label, p, tok in (("a consultant enrolment token by a beneficiary device", BX, ctok),
                              ("X's invite by consultant B's device", B, inv)):
            dev_before = db_query(server, "SELECT role, consultant_id FROM devices WHERE fingerprint = ?",
                                  (b64u(p.dev.fp),))
            members_before = n_members()
            ws = RawWs(server.host, server.port, server.pin)
            m = raw_enrol(ws, p.dev, tok)
            ws.close()
            check(m.get("code") == "forbidden", f"enrol of {label}: forbidden ({m.get('type')} {m.get('code', '')})")
            check(token_used_by(server, tok) is None and n_members() == members_before and
                  db_query(server, "SELECT role, consultant_id FROM devices WHERE fingerprint = ?",
                           (b64u(p.dev.fp),)) == dev_before,
                  f"... the token is unused and the device's role and memberships are unchanged")
        ok = True
    finally:
        for p in peers:
            p.close()
        finish(server, tmp, ok)


# -------------------------------------------------------- client and TLS

def ossl(tmp, *args):
    r = subprocess.run(["openssl", *args], capture_output=True, cwd=tmp, text=True)
    if r.returncode != 0:
        raise TestFailure(f"openssl {' '.join(args)}: {r.stderr}")


def make_ca(tmp):
    ossl(tmp, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Bilan Authz Test CA")
    return os.path.join(tmp, "ca.pem")


def make_leaf(tmp, name, san):
    """A certificate for san (an openssl subjectAltName value) signed by the test CA."""
    ossl(tmp, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    with open(os.path.join(tmp, f"{name}.cnf"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    ossl(tmp, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.cnf")
    return os.path.join(tmp, f"{name}.pem"), os.path.join(tmp, f"{name}.key")


def cert_pin(pem):
    der = ssl.PEM_cert_to_DER_cert(open(pem).read())
    return b64u(hashlib.sha256(der).digest())


class FakeTlsServer:
    """A TLS listener on 127.0.0.1 that records, per connection, whether the
    handshake succeeded (and its version) and the bytes the client sent."""

    def __init__(self, cert, key, max_version=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        if max_version:
            self.ctx.maximum_version = max_version
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []   # dicts: handshake (version or None), error, data
        self.lock = threading.Lock()
        self.stopping = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            rec = {"handshake": None, "error": None, "data": b""}
            with self.lock:
                self.conns.append(rec)
            c.settimeout(10)
            try:
                t = self.ctx.wrap_socket(c, server_side=True)
                rec["handshake"] = t.version()
                while b"\r\n\r\n" not in rec["data"]:
                    d = t.recv(4096)
                    if not d:
                        break
                    rec["data"] += d
                t.close()
            except (ssl.SSLError, OSError) as e:
                rec["error"] = str(e)
            finally:
                c.close()

    def close(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the thread's accept() (Linux)
        except OSError:
            pass
        self.sock.close()
        self.t.join(15)
        if self.t.is_alive():
            raise TestFailure("the fake TLS server's thread did not stop")


def run_client(argv, env):
    return subprocess.run(argv, capture_output=True, text=True, timeout=DEADLINE, env=env, stdin=subprocess.DEVNULL)


def t_client_tls12_refused():
    tmp = tmpdir("authz-tls12")
    ok = False
    servers = []
    try:
        ca = make_ca(tmp)
        cert, key = make_leaf(tmp, "localhost", "DNS:localhost,IP:127.0.0.1")
        pin = cert_pin(cert)
        # Never reaches a server. A token may start with '-': it goes after
        # "--" so that it is not read as an option (1 in 64 would fail).
        token = b64u(os.urandom(32))
        no_ca = dict(os.environ, SSL_CERT_FILE="/nonexistent", SSL_CERT_DIR="/nonexistent")
        with_ca = dict(os.environ, SSL_CERT_FILE=ca, SSL_CERT_DIR="/nonexistent")
        for mode, host, extra, env in (("pinned", "127.0.0.1", ["--pin", pin], no_ca),
                                       ("CA-trusted", "localhost", [], with_ca)):
            # Control: the same fake server allowing TLS 1.3 gets the client's
            # WebSocket upgrade, so the trust setup of this mode is right.
            good = FakeTlsServer(cert, key)
            servers.append(good)
            c = Client(tmp, f"{mode}-control")
            run_client(c.argv("enrol", "--server", f"{host}:{good.port}", *extra, "--", token), env)
            good.close()
            check(any(r["handshake"] == "TLSv1.3" and r["data"].startswith(b"GET /ws ") for r in good.conns),
                  f"{mode}: the client talks to a TLS 1.3 server with this trust (control)")

            old = FakeTlsServer(cert, key, max_version=ssl.TLSVersion.TLSv1_2)
            servers.append(old)
            c = Client(tmp, f"{mode}-tls12")
            r = run_client(c.argv("enrol", "--server", f"{host}:{old.port}", *extra, "--", token), env)
            old.close()
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 3 and "TLS" in out,
                  f"{mode}: against a TLS 1.2-only server the client exits 3 and says TLS (exit {r.returncode}: {out})")
            check(len(old.conns) >= 1, f"{mode}: the client did try to connect ({len(old.conns)} connection(s))")
            check(all(rec["handshake"] is None and rec["data"] == b"" for rec in old.conns),
                  f"{mode}: no TLS 1.2 session was established and nothing was sent "
                  f"({[(rec['handshake'], rec['data'][:20]) for rec in old.conns]})")
        ok = True
    finally:
        for s in servers:
            if not s.stopping:
                s.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


def t_client_wrong_hostname():
    tmp = tmpdir("authz-host")
    ok = False
    server = None
    try:
        ca = make_ca(tmp)
        other_cert, other_key = make_leaf(tmp, "other", "DNS:other.example")
        good_cert, good_key = make_leaf(tmp, "localhost", "DNS:localhost")
        data = os.path.join(tmp, "server-data")
        os.makedirs(data, mode=0o700)

        def start(cert, key, port=0):
            p = Proc([SERVER_BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{port}", "--cert", cert,
                      "--key", key], name="bilan-server")
            m = p.wait_line(Server.READY)
            return p, int(m.group(2))

        server, port = start(other_cert, other_key)
        r = subprocess.run([SERVER_BIN, "consultant", "add", "Camille", "--data", data], capture_output=True,
                           text=True, timeout=DEADLINE)
        token = re.findall(r"^\s*([A-Za-z0-9_-]{43})\s*$", r.stdout, re.M)[0]
        thash = hashlib.sha256(unb64u(token)).digest()
        # The bare token goes after "--": it may start with '-' (1 in 64).

        def used():
            with sqlite3.connect("file:" + os.path.join(data, "server.db") + "?mode=ro", uri=True) as c:
                return c.execute("SELECT used_by FROM enrol_tokens WHERE token_hash = ?", (thash,)).fetchone()[0]

        env = dict(os.environ, SSL_CERT_FILE=ca, SSL_CERT_DIR="/nonexistent")
        c = Client(tmp, "camille")
        rr = run_client(c.argv("enrol", "--server", f"localhost:{port}", "--", token), env)
        out = (rr.stdout + rr.stderr).strip()
        check(rr.returncode == 3 and "ne garantit le certificat" in out and "un autre nom" in out,
              f"a CA-valid certificate for other.example on localhost is refused (exit {rr.returncode}: {out})")
        check(used() is None, "nothing reached the server: the token is still unused")
        server.signal(signal.SIGTERM)
        server.wait_exit()
        # Control: the same CA, the right name, the same token.
        server, port = start(good_cert, good_key, port)
        rr = run_client(c.argv("enrol", "--server", f"localhost:{port}", "--", token), env)
        check(rr.returncode == 0 and "role=consultant" in rr.stdout,
              f"with a certificate from the same CA for localhost the same token enrols (exit {rr.returncode}: "
              f"{rr.stdout.strip()} {rr.stderr.strip()})")
        check(used() is not None, "the token is now used")
        server.signal(signal.SIGTERM)
        check(server.wait_exit() == 0, "server exits 0")
        ok = True
    finally:
        if server and server.p.poll() is None:
            server.p.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = {
    "auth_bad_signature": t_auth_bad_signature,
    "enrol_bad_signature": t_enrol_bad_signature,
    "matrix": t_matrix,
    "client_tls12_refused": t_client_tls12_refused,
    "client_wrong_hostname": t_client_wrong_hostname,
}

if __name__ == "__main__":
    run_tests(TESTS)
