#!/usr/bin/env python3
"""test_sheet_close.py: the worksheets' document key, the beneficiary's
consent, the close of a bilan and the purge (PROTOCOL.md §10.2-10.4), on the
real server, spoken by raw devices over TLS (test_authz.Peer).

- keys: the first sheet_key_put of a bilan must come from a consultant device
  and fixes its kid (a beneficiary first: forbidden; a second consultant
  device with another kid: invalid_field); `to` must be a device of the
  bilan; a member may then put wraps under that kid; a put for the same
  (from, to) replaces; a wrap reaches its `to` device at once when it is in
  the room (and no one else); sheet_key_get gives each wrap with its maker's
  enrolled keys; a non-member gets not_member; at most 64 wraps a bilan.
- consent: only a beneficiary device of the bilan (a consultant's device is
  forbidden, an outsider not_member); the statement's bilan, device, at
  (24 h), sorted and distinct sheets and canonical form are checked
  (invalid_field naming what), the signature with the device's enrolled key
  (bad_signature); the accepted one is stored as it came and a newer one
  replaces it.
- close: only the bilan's consultant (the beneficiary and another consultant
  are forbidden), not while a session is open (wrong_state); the database
  file then holds only the consented sheets' operations, with the key wraps
  and the consent; the reply and the bilan_closed of the member in the room
  count what went and stayed; a second close and join, invite_create,
  session_open, sheet_push, sheet_key_put, sheet_consent, personal_declare
  get bilan_closed;
  sheet_pull (the kept sheets), sheet_key_get and hours still answer; the
  bilan object says closed and sheets_kept. A bilan closed without consent
  keeps nothing: its operations, wraps and key id go.
- purge: a bilan closed 366 days ago (server started with
  --test-clock-offset -366 days) and one closed now: `bilan-server purge`
  deletes the first's kept operations, wraps and consent and prints counts
  (with a clock 3 days back it finds nothing due), keeps the second's; a
  server started 366 days later has purged the second before it listens
  (said in its log); bilan objects say purged; hours still answer.
- list_size: welcome's and bilans' list of bilan objects (longer once
  closed) stays under 64 KiB: fewer bilans, not a message too long.

Run one scenario: test_sheet_close.py NAME; all: test_sheet_close.py.
"""
import json
import os
import time

from harness import Server, TestFailure, b64u, check, link_token, run_tests, tmpdir, unb64u
from test_authz import NO_LIMIT, Peer, admin_token, db_one, db_query

DAY = 86400
S1, S2, S3 = (bytes([n]) * 16 for n in (1, 2, 3))


def sealed(n, tag):
    return b64u(tag.to_bytes(2, "big") + os.urandom(n - 2))


def push(peer, bilan, sheet, n=60):
    return peer.req({"type": "sheet_push", "bilan": bilan, "op": b64u(os.urandom(16)), "sheet": b64u(sheet),
                     "sealed": sealed(n, 7)})


def key_put(peer, bilan, kid, to, wrap=None):
    return peer.req({"type": "sheet_key_put", "bilan": bilan, "kid": b64u(kid), "to": b64u(to.dev.fp),
                     "wrap": b64u(wrap or os.urandom(60))})


def statement(dev, bilan, sheets, at, device=None):
    """The canonical statement (PROTOCOL.md §10.3), re-made here on purpose."""
    return json.dumps({"at": at, "bilan": bilan, "device": device or b64u(dev.fp), "sheets": sheets,
                       "type": "consent", "v": 1}, sort_keys=True, separators=(",", ":"))


def consent_msg(dev, bilan, stmt, signer=None):
    sig = (signer or dev).sk.sign(b"bilan-consent-v1\0" + stmt.encode())
    return {"type": "sheet_consent", "bilan": bilan, "statement": stmt, "sig": b64u(sig)}


def refused(m, code, what, field=None):
    ok = m.get("type") == "error" and m.get("code") == code and (field is None or field in m.get("message", ""))
    check(ok, f"{what}: {code}{' naming ' + field if field else ''} ({m.get('code')}: {m.get('message')})")


def new_beneficiary(server, A, bilan, name):
    inv = A.ok({"type": "invite_create", "bilan": bilan}, "invite_created")
    P = Peer(server, name)
    P.enrol(unb64u(inv["invite_token"]))
    return P


def setup(name, extra=()):
    tmp = tmpdir(name)
    server = Server(tmp, NO_LIMIT + list(extra))
    A = Peer(server, "A")
    A.enrol(link_token(server.enrol_link))
    bx = A.ok({"type": "bilan_create", "label": "X", "budget_s": 3600}, "bilan_created")
    BX = Peer(server, "BX")
    BX.enrol(unb64u(bx["invite_token"]))
    return tmp, server, A, BX, bx["bilan"]


def other_consultant(server):
    B = Peer(server, "B")
    B.enrol(admin_token(server, "consultant", "add", "Bruno"))
    Y = B.ok({"type": "bilan_create", "label": "Y", "budget_s": 3600}, "bilan_created")["bilan"]
    return B, Y


def t_keys():
    tmp, server, A, BX, X = setup("sheetclose-keys")
    try:
        B, Y = other_consultant(server)
        A2 = Peer(server, "A2")
        A2.enrol(admin_token(server, "consultant", "token", "dev"))
        K1, K2 = os.urandom(16), os.urandom(16)
        refused(key_put(BX, X, K1, BX), "forbidden", "a beneficiary cannot make the bilan's key")
        check(db_one(server, "SELECT sheet_kid FROM bilans WHERE id = ?", (X,)) is None, "and no kid was fixed")
        m = key_put(A, X, K1, A)
        check(m.get("type") == "sheet_key_stored" and m["bilan"] == X and m["to"] == b64u(A.dev.fp),
              f"a consultant device makes it, its own wrap first ({m})")
        refused(key_put(A2, X, K2, A2), "invalid_field", "another consultant device with another kid", "kid")
        refused(key_put(A, X, K1, B), "invalid_field", "`to` a device of another bilan", "'to'")
        stranger = type("D", (), {})()
        stranger.dev = type("D", (), {"fp": os.urandom(32)})()
        refused(key_put(A, X, K1, stranger), "invalid_field", "`to` no device at all", "'to'")
        refused(key_put(B, X, K1, B), "not_member", "an outsider may not put")
        refused(B.req({"type": "sheet_key_get", "bilan": X}), "not_member", "nor get")
        refused(key_put(A, "bNoSuchBilan0000", K1, A), "unknown_bilan", "an unknown bilan")

        # Live: the wrap reaches its `to` device in the room, and only it.
        BX.ok({"type": "join", "bilan": X}, "joined")
        A2.ok({"type": "join", "bilan": X}, "joined")
        W1 = os.urandom(60)
        check(key_put(A, X, K1, BX, W1).get("type") == "sheet_key_stored", "A wraps for BX")
        m = BX.wait("sheet_keys")
        check("ref" not in m and m["bilan"] == X and m["kid"] == b64u(K1) and m["keys"] == [
            {"from": b64u(A.dev.fp), "sign_pub": b64u(A.dev.sign_pub), "dh_pub": b64u(A.dev.dh_pub),
             "wrap": b64u(W1)}], f"BX in the room gets it at once, with A's keys ({m})")
        A2.barrier()
        check(not A2.seen("sheet_keys"), "another member in the room does not")
        check(key_put(A2, X, K1, A2).get("type") == "sheet_key_stored", "A2, in the room, wraps for itself")
        A2.barrier()
        check(not A2.seen("sheet_keys"), "its own wrap is not sent back to it")
        # Replace, and a second maker (the second consultant device, under the kid).
        W2, W3 = os.urandom(60), os.urandom(60)
        key_put(A, X, K1, BX, W2)
        check(key_put(A2, X, K1, BX, W3).get("type") == "sheet_key_stored", "A2 wraps under the bilan's kid")
        m = BX.ok({"type": "sheet_key_get", "bilan": X}, "sheet_keys")
        got = {k["from"]: k for k in m["keys"]}
        check(m["kid"] == b64u(K1) and len(m["keys"]) == 2, f"BX gets two wraps, one per maker ({len(m['keys'])})")
        BX.barrier()
        check(len(BX.seen("sheet_keys")) == 2, "and got each of them live, in the room")
        check(got[b64u(A.dev.fp)]["wrap"] == b64u(W2), "A's wrap for BX was replaced by the newer one")
        check(got[b64u(A2.dev.fp)] == {"from": b64u(A2.dev.fp), "sign_pub": b64u(A2.dev.sign_pub),
                                       "dh_pub": b64u(A2.dev.dh_pub), "wrap": b64u(W3)},
              "each with the enrolled keys of its maker")
        check(db_one(server, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?", (X,)) == 4,
              "the database holds four wraps (A->A, A2->A2, A->BX, A2->BX)")
        check(key_put(BX, X, K1, A2).get("type") == "sheet_key_stored", "a beneficiary may wrap the kid's key too")
        m = A.ok({"type": "sheet_key_get", "bilan": X}, "sheet_keys")
        check([k["from"] for k in m["keys"]] == [b64u(A.dev.fp)], "A gets only the wraps addressed to it")
        m = B.ok({"type": "sheet_key_get", "bilan": Y}, "sheet_keys")
        check("kid" not in m and m["keys"] == [], "a bilan without a key: no kid, no wraps")

        # At most 64 wraps a bilan: 9 devices make 81 pairs.
        devs = [A, A2, BX] + [new_beneficiary(server, A, X, f"P{i}") for i in range(6)]
        n = db_one(server, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?", (X,))
        pairs = [(f, t) for f in devs for t in devs]
        have = {(A.name, A.name), (A2.name, A2.name), (A.name, BX.name), (A2.name, BX.name), (BX.name, A2.name)}
        for f, t in pairs:
            if n == 64:
                break
            if (f.name, t.name) not in have:
                check(key_put(f, X, K1, t).get("type") == "sheet_key_stored" or False, f"wrap {n + 1}")
                n += 1
        f, t = next((f, t) for f, t in pairs[::-1] if (f.name, t.name) not in have)
        refused(key_put(f, X, K1, t), "too_large", "a 65th wrap")
        check(key_put(A, X, K1, BX).get("type") == "sheet_key_stored", "replacing one of the 64 still works")
        # 600 key requests (put and get) per device per minute.
        got = [A.req({"type": "sheet_key_get", "bilan": X}).get("code") for _ in range(620)]
        check(got[-1] == "rate_limited" and got.count(None) < 600,
              f"a device past its key requests is rate limited ({got.count('rate_limited')} refused)")
        refused(key_put(A, X, K1, BX), "rate_limited", "a wrap past the key requests")
        for p in devs + [B]:
            p.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


def t_consent():
    tmp, server, A, BX, X = setup("sheetclose-consent")
    try:
        B, Y = other_consultant(server)
        BX2 = new_beneficiary(server, A, X, "BX2")
        now = int(time.time())
        sheets = sorted([b64u(S1), b64u(S3)])
        ok_stmt = statement(BX.dev, X, sheets, now)
        refused(A.req(consent_msg(A.dev, X, statement(A.dev, X, sheets, now))), "forbidden",
                "a consultant's device, even naming itself")
        refused(B.req(consent_msg(B.dev, X, statement(B.dev, X, sheets, now))), "not_member", "an outsider")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, Y, sheets, now))), "invalid_field",
                "a statement for another bilan", "'bilan'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, sheets, now, device=b64u(BX2.dev.fp)))),
                "invalid_field", "a statement naming another device", "'device'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, sheets, now - 2 * DAY))), "invalid_field",
                "a statement dated two days ago", "'at'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, sheets, now + 2 * DAY))), "invalid_field",
                "a statement dated in two days", "'at'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, sheets[::-1], now))), "invalid_field",
                "unsorted sheets", "'sheets'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, [sheets[0]] * 2, now))), "invalid_field",
                "a sheet twice", "'sheets'")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, ["AAAA"], now))), "invalid_field",
                "a sheet id that is not 16 bytes", "sheets")
        refused(BX.req(consent_msg(BX.dev, X, ok_stmt.replace(",", ", "))), "invalid_field",
                "a statement with spaces (not canonical)", "canonical")
        refused(BX.req(consent_msg(BX.dev, X, ok_stmt.replace('"v":1', '"v":1,"w":2'))), "invalid_field",
                "a statement with a field more", "statement")
        refused(BX.req(consent_msg(BX.dev, X, ok_stmt, signer=BX2.dev)), "bad_signature",
                "signed by another device's key")
        msg = consent_msg(BX.dev, X, ok_stmt)
        refused(BX.req(dict(msg, sig=b64u(bytes(64)))), "bad_signature", "a zero signature")
        check(db_one(server, "SELECT count(*) FROM sheet_consents") == 0, "nothing refused was stored")
        m = BX.ok(msg, "sheet_consented")
        check(m["bilan"] == X and m["sheets"] == sheets and m["at"] == now, f"the right one is accepted ({m})")
        row = db_query(server, "SELECT device, statement, sig, at FROM sheet_consents WHERE bilan = ?", (X,))
        check(row == [(b64u(BX.dev.fp), ok_stmt, unb64u(msg["sig"]), now)], "kept as it came, with its signature")
        newer = statement(BX2.dev, X, [b64u(S2)], now + 5)
        check(BX2.ok(consent_msg(BX2.dev, X, newer), "sheet_consented")["sheets"] == [b64u(S2)],
              "another beneficiary device of the bilan gives a newer one")
        row = db_query(server, "SELECT device, statement FROM sheet_consents WHERE bilan = ?", (X,))
        check(row == [(b64u(BX2.dev.fp), newer)], "the newest replaces the earlier one")
        # 20 consents per device per 10 minutes, counted before they are checked.
        codes = [BX.req(dict(msg, sig=b64u(bytes(64)))).get("code") for _ in range(10)]
        check(codes[-1] == "rate_limited" and codes.count("rate_limited") >= 1 and
              set(codes) <= {"bad_signature", "rate_limited"}, f"a device past its consents is rate limited ({codes})")
        for p in (A, BX, BX2, B):
            p.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


def ops_by_sheet(server, bilan):
    rows = db_query(server, "SELECT sheet, count(*), sum(length(sealed)) FROM sheet_ops WHERE bilan = ? "
                            "GROUP BY sheet ORDER BY sheet", (bilan,))
    return {r[0]: (r[1], r[2]) for r in rows}


def t_close():
    tmp, server, A, BX, X = setup("sheetclose-close")
    try:
        B, Y = other_consultant(server)
        # Three sheets, from both; a key and its wraps; consent to keep S1 and S3.
        sizes = {S1: [60, 70], S2: [80, 90, 100], S3: [110]}
        for sh, ns in sizes.items():
            for i, n in enumerate(ns):
                push(A if i % 2 == 0 else BX, X, sh, n)
        K = os.urandom(16)
        key_put(A, X, K, A)
        key_put(A, X, K, BX)
        kept = sorted([b64u(S1), b64u(S3)])
        BX.ok(consent_msg(BX.dev, X, statement(BX.dev, X, kept, int(time.time()))), "sheet_consented")

        refused(BX.req({"type": "bilan_close", "bilan": X}), "forbidden", "the beneficiary may not close")
        refused(B.req({"type": "bilan_close", "bilan": X}), "forbidden", "another consultant may not")
        refused(A.req({"type": "bilan_close", "bilan": "bNoSuchBilan0000"}), "unknown_bilan", "an unknown bilan")
        A.ok({"type": "join", "bilan": X}, "joined")
        BX.ok({"type": "join", "bilan": X}, "joined")
        A.ok({"type": "session_open", "phase": "investigation"}, "session_opened")
        refused(A.req({"type": "bilan_close", "bilan": X}), "wrong_state", "not while a session is open",
                "close the session first")
        A.ok({"type": "session_close"}, "session_closed")
        check(len(ops_by_sheet(server, X)) == 3, "nothing was deleted by the refusals")

        m = A.ok({"type": "bilan_close", "bilan": X}, "bilan_closed")
        s2_bytes = sum(len(sealed(n, 0)) for n in sizes[S2])
        want = {"bilan": X, "deleted_ops": 3, "deleted_bytes": sum(sizes[S2]), "kept_sheets": kept, "kept_ops": 3}
        check({k: m[k] for k in want} == want and abs(m["closed"] - time.time()) < 60,
              f"the reply counts what went and what stayed ({m}, S2 b64 {s2_bytes})")
        ev = BX.wait("bilan_closed")
        check("ref" not in ev and {k: ev[k] for k in want} == want and ev["closed"] == m["closed"],
              "the member in the room gets the same bilan_closed")
        check(ops_by_sheet(server, X) == {b64u(S1): (2, 130), b64u(S3): (1, 110)},
              "the database file holds only the consented sheets' operations")
        check(db_one(server, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?", (X,)) == 2
              and db_one(server, "SELECT count(*) FROM sheet_consents WHERE bilan = ?", (X,)) == 1,
              "with sheets kept, the wraps and the consent stay")

        # After the close.
        refused(A.req({"type": "bilan_close", "bilan": X}), "bilan_closed", "a second close")
        refused(A.req({"type": "session_open", "phase": "investigation"}), "bilan_closed", "session_open in its room")
        refused(push(A, X, S1), "bilan_closed", "sheet_push")
        refused(key_put(A, X, K, BX), "bilan_closed", "sheet_key_put")
        refused(BX.req(consent_msg(BX.dev, X, statement(BX.dev, X, kept, int(time.time())))), "bilan_closed",
                "sheet_consent")
        refused(A.req({"type": "invite_create", "bilan": X}), "bilan_closed", "invite_create")
        refused(BX.req({"type": "personal_declare", "bilan": X, "seconds": 3600}), "bilan_closed",
                "personal_declare (the bilan's time is over)")
        A.ok({"type": "leave"}, "left")
        refused(A.req({"type": "join", "bilan": X}), "bilan_closed", "join")
        m = BX.ok({"type": "sheet_pull", "bilan": X, "after": 0}, "sheet_ops")
        check(sorted({o["sheet"] for o in m["ops"]}) == kept and len(m["ops"]) == 3,
              "sheet_pull still answers, the kept sheets")
        check(len(BX.ok({"type": "sheet_key_get", "bilan": X}, "sheet_keys")["keys"]) == 1,
              "sheet_key_get still answers")
        A.ok({"type": "hours", "bilan": X}, "hours_report")
        check(True, "hours still answer")
        b = [o for o in A.ok({"type": "bilan_list"}, "bilans")["bilans"] if o["bilan"] == X][0]
        check(b.get("closed") == ev["closed"] and b.get("sheets_kept") == kept and "purged" not in b,
              f"the bilan object says closed and sheets_kept ({b})")
        BX.connect()
        from harness import raw_auth
        w = raw_auth(BX.ws, BX.dev)
        b = [o for o in w.get("bilans", []) if o["bilan"] == X]
        check(b and b[0].get("closed") == ev["closed"] and b[0].get("sheets_kept") == kept,
              f"so does the one in welcome ({b})")

        # A bilan closed with no consent keeps nothing.
        z = A.ok({"type": "bilan_create", "label": "Z", "budget_s": 3600}, "bilan_created")
        Z = z["bilan"]
        BZ = Peer(server, "BZ")
        BZ.enrol(unb64u(z["invite_token"]))
        push(A, Z, S1, 50)
        push(BZ, Z, S2, 40)
        KZ = os.urandom(16)
        key_put(A, Z, KZ, A)
        key_put(A, Z, KZ, BZ)
        m = A.ok({"type": "bilan_close", "bilan": Z}, "bilan_closed")
        check(m["deleted_ops"] == 2 and m["deleted_bytes"] == 90 and m["kept_ops"] == 0 and m["kept_sheets"] == [],
              f"no consent: everything goes ({m})")
        check(db_one(server, "SELECT count(*) FROM sheet_ops WHERE bilan = ?", (Z,)) == 0
              and db_one(server, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?", (Z,)) == 0
              and db_one(server, "SELECT sheet_kid FROM bilans WHERE id = ?", (Z,)) is None,
              "its operations, key wraps and key id are gone from the database file")
        check(db_one(server, "SELECT count(*) FROM sheet_ops WHERE bilan = ?", (X,)) == 3,
              "the other closed bilan's kept operations are untouched")
        b = [o for o in BZ.ok({"type": "bilan_list"}, "bilans")["bilans"] if o["bilan"] == Z][0]
        check("closed" in b and "sheets_kept" not in b, f"its object: closed, no sheets_kept ({b})")
        for p in (A, BX, B, BZ):
            p.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


def closed_bilan(server, A, label, sheets_kept, n_ops=3):
    """A bilan with a beneficiary, n_ops operations over S1 and S2, a key
    with two wraps, a consent for sheets_kept; closed by A. Returns its id,
    the beneficiary and the close reply."""
    b = A.ok({"type": "bilan_create", "label": label, "budget_s": 3600}, "bilan_created")
    P = Peer(server, "B" + label)
    P.enrol(unb64u(b["invite_token"]))
    for i in range(n_ops):
        push(A, b["bilan"], S1 if i % 2 == 0 else S2, 50 + i)
    K = os.urandom(16)
    key_put(A, b["bilan"], K, A)
    key_put(A, b["bilan"], K, P)
    now = int(time.time()) + int(server.clock_offset)
    P.ok(consent_msg(P.dev, b["bilan"], statement(P.dev, b["bilan"], sheets_kept, now)), "sheet_consented")
    m = A.ok({"type": "bilan_close", "bilan": b["bilan"]}, "bilan_closed")
    return b["bilan"], P, m


def left_of(server, bilan):
    return (db_one(server, "SELECT count(*) FROM sheet_ops WHERE bilan = ?", (bilan,)),
            db_one(server, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?", (bilan,)),
            db_one(server, "SELECT count(*) FROM sheet_consents WHERE bilan = ?", (bilan,)))


def t_purge():
    tmp = tmpdir("sheetclose-purge")
    year = 366 * DAY
    # The server's clock a year and a day back: what it closes now is a year old.
    server = Server(tmp, NO_LIMIT + ["--test-clock-offset", str(-year)])
    try:
        server.clock_offset = -year
        server.proc.wait_line(r"TEST CLOCK", stderr=True)
        check(True, "a server with a test clock says so at start")
        A = Peer(server, "A")
        A.enrol(link_token(server.enrol_link))
        OLD, POLD, mo = closed_bilan(server, A, "OLD", [b64u(S1)], n_ops=3)
        check(abs(mo["closed"] - (time.time() - year)) < 60, "the close is dated on the moved clock")
        check(left_of(server, OLD) == (2, 2, 1), "OLD keeps S1's two operations, its wraps and the consent")
        A.close()
        POLD.close()
        server.stop()
        # Two days back: OLD's year is not over for this server, NEW is closed "now".
        server.extra = NO_LIMIT + ["--test-clock-offset", str(-2 * DAY)]
        server.clock_offset = -2 * DAY
        server.start()
        A.connect()
        from harness import raw_auth
        raw_auth(A.ws, A.dev)
        check(left_of(server, OLD) == (2, 2, 1), "a server whose clock is 364 days after OLD's close keeps it")
        NEW, PNEW, mn = closed_bilan(server, A, "NEW", [b64u(S2)], n_ops=4)
        check(left_of(server, NEW) == (2, 2, 1), "NEW keeps S2's two operations, its wraps and the consent")

        r = server.admin("purge", "--test-clock-offset", str(-3 * DAY))
        check(r.stdout.strip().splitlines()[-1] == "purge: bilans=0 ops=0 bytes=0 wraps=0 consents=0"
              and left_of(server, OLD) == (2, 2, 1), f"`purge` on a clock 3 days back finds nothing due ({r.stdout})")
        r = server.admin("purge")  # the real clock: OLD was closed 366 days ago
        lines = r.stdout.splitlines()
        check(any(l.startswith(f"purged {OLD} closed={mo['closed']} ") and " ops=2 " in l and " wraps=2 " in l
                  and l.endswith("consents=1") for l in lines),
              f"`bilan-server purge` names OLD with its counts ({r.stdout.strip()})")
        check(lines[-1].startswith("purge: bilans=1 ops=2 "), f"and the totals ({lines[-1]})")
        check(left_of(server, OLD) == (0, 0, 0), "nothing of OLD's operations, wraps or consent remains")
        check(left_of(server, NEW) == (2, 2, 1), "NEW, closed less than a year ago, keeps its consented operations")
        check(not any(NEW in l for l in lines), "and is not named")
        check(db_one(server, "SELECT purged FROM bilans WHERE id = ?", (OLD,)) is not None, "OLD is marked purged")
        b = {o["bilan"]: o for o in A.ok({"type": "bilan_list"}, "bilans")["bilans"]}
        check("purged" in b[OLD] and "sheets_kept" not in b[OLD] and "closed" in b[OLD],
              f"OLD's object: closed and purged, no sheets_kept ({b[OLD]})")
        check("purged" not in b[NEW] and b[NEW].get("sheets_kept") == [b64u(S2)], "NEW's object: kept, not purged")
        A.ok({"type": "hours", "bilan": OLD}, "hours_report")
        check(True, "a purged bilan's hours still answer")
        r = server.admin("purge")
        check(r.stdout.strip().splitlines()[-1] == "purge: bilans=0 ops=0 bytes=0 wraps=0 consents=0",
              f"a second purge finds nothing ({r.stdout.strip()})")

        # A year and a day later, the server purges NEW when it starts.
        A.close()
        PNEW.close()
        server.stop()
        server.extra = NO_LIMIT + ["--test-clock-offset", str(year)]
        server.start()
        check(left_of(server, NEW) == (0, 0, 0), "once it listens, NEW's kept operations, wraps and consent are gone")
        server.proc.wait_line(r"TEST CLOCK", stderr=True)
        m = server.proc.wait_line(r"purge: 1 bilan\(s\) purged, 2 operation\(s\) \((\d+) bytes\)", stderr=True)
        check(int(m.group(1)) == 50 + 1 + 50 + 3, f"the start's purge logs its counts ({m.group(0)})")

        r = server.admin("purge", "--help")
        check("purge" in r.stdout and "FOR TESTS ONLY" in r.stdout, "purge --help says the test clock is for tests")
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


def t_list_size():
    """Closed bilans' objects are longer (closed, sheets_kept): the list in
    welcome and bilans stays under 64 KiB: the oldest are left out."""
    tmp, server, A, BX, X = setup("sheetclose-list")
    try:
        ids = [X]
        for i in range(490):
            ids.append(A.ok({"type": "bilan_create", "label": f"{i:03d}" + "L" * 61, "budget_s": 3600},
                            "bilan_created")["bilan"])
        A.ws.send_json({"type": "bilan_list", "ref": "big"})
        while True:
            op, p = A.ws.recv_frame()
            if op == 0x1 and json.loads(p).get("ref") == "big":
                break
        got = [o["bilan"] for o in json.loads(p)["bilans"]]
        check(len(p) < 65536, f"the bilans message stays under 64 KiB ({len(p)} bytes, {len(got)} bilans)")
        check(len(set(got)) == len(got) and set(got) <= set(ids) and 300 < len(got) < len(ids),
              "fewer bilans, each once (the newest by their second of creation)")
        A.close()
        BX.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


if __name__ == "__main__":
    run_tests({"keys": t_keys, "consent": t_consent, "close": t_close, "purge": t_purge, "list_size": t_list_size})
