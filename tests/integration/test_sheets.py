#!/usr/bin/env python3
"""test_sheets.py: the worksheets' sealed operations on the real server
(PROTOCOL.md §10), spoken by raw devices over TLS.

- store_and_order: a consultant and the beneficiary of a bilan push sealed
  operations; each gets the bilan's next seq; a repeat (same op id, same
  author and bytes) gets its seq again and is not stored twice; the same op
  id with other bytes is refused; the beneficiary pulls them all, in order,
  with their authors, sheets and roles; a member in the room gets a new operation at once; the
  operations outlive a server restart; pulls come in pages (256 at most,
  or fewer when large) that end with more=false, with no gap and no repeat.
- who_may: a device of another bilan may neither push nor pull there
  (not_member), an unknown bilan is unknown_bilan; malformed op ids and
  sealed bytes, and a sheet id missing or malformed, are refused with the
  field named; nothing of it is stored.

Run one scenario: test_sheets.py NAME; all: test_sheets.py.
"""
import os
import sqlite3

from harness import Server, TestFailure, b64u, check, link_token, run_tests, tmpdir, unb64u
from test_authz import NO_LIMIT, Peer, admin_token


def sealed(n, tag):
    """Bytes the server cannot read (as a real seal is): random, n long."""
    return b64u(tag.to_bytes(2, "big") + os.urandom(n - 2))


SHEET = b"\x05" * 16  # the sheet of the operations these tests push, unless told


def push(peer, bilan, op, data, sheet=SHEET):
    return peer.req({"type": "sheet_push", "bilan": bilan, "op": b64u(op), "sheet": b64u(sheet), "sealed": data})


def pull_all(peer, bilan, after=0, full=False):
    """Every page from after on: [(seq, op, author, sealed)] (with full, the
    entries as sent), and the page sizes."""
    got, pages = [], []
    while True:
        m = peer.ok({"type": "sheet_pull", "bilan": bilan, "after": after}, "sheet_ops")
        pages.append(len(m["ops"]))
        for o in m["ops"]:
            got.append(o if full else (o["seq"], o["op"], o["author"], o["sealed"]))
        if m["ops"]:
            after = m["ops"][-1]["seq"]
        if not m["more"]:
            return got, pages
        if not m["ops"]:
            raise TestFailure("a page said more=true and held nothing")


def setup(name):
    tmp = tmpdir(name)
    server = Server(tmp, NO_LIMIT)
    A = Peer(server, "A")
    A.enrol(link_token(server.enrol_link))
    bx = A.ok({"type": "bilan_create", "label": "X", "budget_s": 3600}, "bilan_created")
    BX = Peer(server, "BX")
    BX.enrol(unb64u(bx["invite_token"]))
    return tmp, server, A, BX, bx["bilan"]


def t_store_and_order():
    tmp, server, A, BX, X = setup("sheets-order")
    try:
        ops = []
        for i in range(5):  # pushed in turn by the consultant and the beneficiary
            op = os.urandom(16)
            data = sealed(60 + i, i)
            who = A if i % 2 == 0 else BX
            m = push(who, X, op, data, sheet=bytes([i % 2]) * 16)
            if m.get("type") != "sheet_pushed" or m["seq"] != i + 1 or m["op"] != b64u(op):
                raise TestFailure(f"push {i + 1} by {who.name}: {m}")
            ops.append((i + 1, b64u(op), who, data))
        check(True, "five pushes, by both, get seq 1 to 5")
        # A repeat: its seq again, nothing stored twice; another operation under that id: refused.
        m = push(A, X, unb64u(ops[2][1]), ops[2][3])
        check(m.get("type") == "sheet_pushed" and m["seq"] == 3, "a repeated push gets its seq again")
        m = push(A, X, unb64u(ops[2][1]), sealed(70, 99))
        check(m.get("type") == "error" and m["code"] == "invalid_field" and "'op'" in m["message"],
              f"the same op id with other bytes is refused ({m.get('message')})")

        got, _ = pull_all(BX, X)
        want = [(s, o, b64u(w.dev.fp), d) for s, o, w, d in ops]
        check(got == want, "the beneficiary pulls every operation in order, with its author and its bytes")
        full, _ = pull_all(BX, X, full=True)
        check([(o["sheet"], o["role"]) for o in full] ==
              [(b64u(bytes([i % 2]) * 16), "consultant" if i % 2 == 0 else "beneficiary") for i in range(5)],
              "each entry names its sheet and its author's role in the bilan (§10.1)")
        got, _ = pull_all(A, X, after=3)
        check([g[0] for g in got] == [4, 5], "a pull after seq 3 gives 4 and 5")

        # Live: a member in the room gets a new operation at once.
        A.ok({"type": "join", "bilan": X}, "joined")
        BX.ok({"type": "join", "bilan": X}, "joined")
        op6 = os.urandom(16)
        d6 = sealed(80, 6)
        check(push(A, X, op6, d6)["seq"] == 6, "push 6 while both are in the room")
        m = BX.wait("sheet_ops")
        check(len(m["ops"]) == 1 and m["ops"][0]["seq"] == 6 and m["ops"][0]["sealed"] == d6
              and m["ops"][0]["author"] == b64u(A.dev.fp) and m["more"] is False
              and m["ops"][0]["sheet"] == b64u(SHEET) and m["ops"][0]["role"] == "consultant",
              "the other member in the room gets it at once")
        A.barrier()
        check(not A.seen("sheet_ops"), "the pusher is not sent its own operation back")

        # Pages: many small ones (256 a page), then large ones (fewer a page).
        for i in range(300):
            push(A, X, os.urandom(16), sealed(29, i))  # the smallest seal
        big = [push(BX, X, os.urandom(16), sealed(30000, i))["seq"] for i in range(4)]
        got, pages = pull_all(BX, X)
        seqs = [g[0] for g in got]
        check(seqs == list(range(1, 6 + 300 + 4 + 1)), f"pages give every seq once, in order ({len(seqs)})")
        check(max(pages) == 256 and pages[-1] < 256, f"a page holds 256 operations at most ({pages})")
        check(len(pages) >= 4, f"large operations make smaller pages ({pages}, large seqs {big})")

        # A restart keeps them.
        port = server.port
        server.stop()
        server.start(port=port)
        BX.connect()
        from harness import raw_auth
        raw_auth(BX.ws, BX.dev)
        got2, _ = pull_all(BX, X)
        check(got2 == got, "after a restart the same operations, in the same order")
        A.close()
        BX.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


def t_who_may():
    tmp, server, A, BX, X = setup("sheets-who")
    try:
        B = Peer(server, "B")
        B.enrol(admin_token(server, "consultant", "add", "Bruno"))
        Y = B.ok({"type": "bilan_create", "label": "Y", "budget_s": 3600}, "bilan_created")["bilan"]
        check(push(A, X, os.urandom(16), sealed(50, 1))["seq"] == 1, "A pushes to its bilan")
        m = push(B, X, os.urandom(16), sealed(50, 2))
        check(m.get("code") == "not_member", f"a consultant of another bilan may not push there ({m})")
        m = B.req({"type": "sheet_pull", "bilan": X, "after": 0})
        check(m.get("code") == "not_member", "nor pull there")
        m = push(BX, Y, os.urandom(16), sealed(50, 3))
        check(m.get("code") == "not_member", "a beneficiary may not push to another bilan")
        m = push(A, "bNoSuchBilan0000", os.urandom(16), sealed(50, 4))
        check(m.get("code") == "unknown_bilan", f"an unknown bilan is said so ({m.get('code')})")
        bad = [
            ({"op": "AAAA"}, "'op'", "an op id that is not 16 bytes"),
            ({"sealed": "A" * 20}, "'sealed'", "sealed bytes shorter than a seal"),
            ({"sealed": "*" * 60}, "'sealed'", "sealed bytes that are not base64url"),
            ({"sealed": "A" * 62000}, "'sealed'", "sealed bytes longer than an operation may be"),
            ({"sheet": "AAAA"}, "'sheet'", "a sheet id that is not 16 bytes"),
            ({"sheet": None}, "'sheet'", "no sheet id (§10.1: required)"),
        ]
        for over, field, what in bad:
            msg = dict({"type": "sheet_push", "bilan": X, "op": b64u(os.urandom(16)), "sheet": b64u(SHEET),
                        "sealed": sealed(50, 5)}, **over)
            msg = {k: v for k, v in msg.items() if v is not None}
            m = A.req(msg)
            check(m.get("type") == "error" and m["code"] in ("invalid_field", "too_large", "missing_field")
                  and field in m["message"],
                  f"{what}: refused, the field named ({m.get('code')}: {m.get('message')})")
        got, _ = pull_all(A, X)
        check([g[0] for g in got] == [1], "nothing refused was stored")
        db = sqlite3.connect(os.path.join(server.data, "server.db"))
        n = db.execute("SELECT count(*) FROM sheet_ops").fetchone()[0]
        db.close()
        check(n == 1, f"the database holds the one operation accepted ({n})")
        for p in (A, BX, B):
            p.close()
        check(server.stop() == 0, "server exits 0")
    except Exception:
        server.stop()
        raise


if __name__ == "__main__":
    run_tests({"store_and_order": t_store_and_order, "who_may": t_who_may})
