#!/usr/bin/env python3
"""test_worksheets.py: the shared worksheets end to end (issue 11): real
`bilan` clients and a real server over TLS, through a tap that records every
WebSocket payload the server receives and sends (tap.py), and real SQLite
files.

- two_devices: a consultant and the beneficiary share a sheet (the key goes
  to the beneficiary's device in the room, once authenticated); both edit the
  same and different fields while the server is down, then sync, in both
  orders: identical sheets, nothing typed lost, the conflict listed on both
  and resolved on one; no marker typed into a sheet ever reaches the server
  (its database files, or anything it received or sent over TLS).
- new_device: a device that never met one holding the key reads nothing (no
  key, no sheet); after meeting the beneficiary's first device in the room
  (not the consultant's: any holder re-wraps), it reads the sheets.
- close_and_purge: the beneficiary consents to keep one sheet (the
  consultant's device cannot consent); the consultant closes the bilan: the
  server keeps only the consented sheet's ciphertext, the room is closed,
  every device drops the other sheets; a purge one year later (the test
  clock) leaves nothing of the worksheets on the server, and the devices then
  drop the rest and the key. No marker is left in any client.db.

Run one scenario: test_worksheets.py NAME; all: test_worksheets.py.
"""
import os
import re
import signal
import sqlite3

from harness import Client, TestFailure, check, run_tests
from test_e2e import Scene

YEAR_AND_A_DAY = 366 * 86400


def marker(tag):
    return f"MARQUEUR-{tag}-" + os.urandom(6).hex()


def sheet_new(client, bilan, template):
    r = client.ok("sheet", "new", template, "--bilan", bilan, "--offline")
    ids = re.findall(r"^([A-Za-z0-9_-]{22})$", r.stdout, re.M)
    check(len(ids) == 1, f"`bilan sheet new {template}` printed one sheet id ({r.stdout!r})")
    return ids[0]


def sset(client, bilan, sheet, field, value):
    return client.ok("sheet", "set", sheet, field, value, "--bilan", bilan, "--offline")


def sync(client, bilan, want=0):
    r = client.run("sheet", "sync", "--bilan", bilan)
    if r.returncode != want:
        raise TestFailure(f"`bilan sheet sync` on {client.name}: exit {r.returncode}, wanted {want}\n"
                          f"{r.stdout}\n{r.stderr}")
    return r


def show(client, bilan, sheet):
    return client.ok("sheet", "show", sheet, "--bilan", bilan).stdout


def state(text):
    """What `show` says of the sheet itself, without what depends on the
    reader (which fields it may not edit, which versions it wrote)."""
    text = re.sub(r" \(rempli par [^)]*\)", "", text)
    return text.replace(", cet appareil)", ")")


def meet(s, a_client, a_target, b_client, b_target):
    """Two devices in the room until b's worksheets are caught up with a key."""
    pa = a_client.spawn("join", a_target, "--headless", "--confirm-sas", "--duration", "90")
    pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d")
    pb = b_client.spawn("join", b_target, "--headless", "--confirm-sas", "--duration", "90")
    try:
        pb.wait_line(r"^\[sheets\] synced bilan=\S+ ")
        pa.wait_line(r"^\[sheets\] key given to=")
    finally:
        for p in (pb, pa):
            p.signal(signal.SIGINT)
        rcb, rca = pb.wait_exit(), pa.wait_exit()
    if (rca, rcb) != (0, 0):
        raise TestFailure(f"room exits {rca}, {rcb}\n" + pa.dump() + pb.dump())
    return pa, pb


def files_of(path_db):
    blob = b""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path_db + suffix):
            with open(path_db + suffix, "rb") as f:
                blob += f.read()
    return blob


def client_db(c):
    return os.path.join(c.data, "client.db")


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def no_marker_on_server(s, markers):
    blob = s.server_files()
    wire = b"".join(p for p in s.tap.payloads())
    for m in markers:
        check(m.encode() not in blob, f"the server's database files do not hold {m}")
        check(m.encode() not in wire, f"nothing the server received or sent over TLS holds {m}")
    check(len(wire) > 0, "the tap recorded the traffic")


# ---------------------------------------------------------------- two_devices

def t_two_devices():
    s = Scene("sheets-two")
    ok = False
    try:
        m0, mc, mb, mc2, mb2, mobs, mexp = (marker(t) for t in ("c0", "c1", "b1", "c2", "b2", "obs", "exp"))
        sheet = sheet_new(s.consultant, s.bilan, "recit")
        sset(s.consultant, s.bilan, sheet, "fil_rouge", f"Premier fil {m0}")
        r = sync(s.consultant, s.bilan)
        check("1" in r.stdout or "envoyée" in r.stdout, "the consultant's first sync says what it sent")
        # The beneficiary's device gets the key in the room, once authenticated.
        meet(s, s.consultant, s.bilan, s.beneficiary, s.link)
        out = show(s.beneficiary, s.bilan, sheet[:6])
        check(m0 in out, "after the room, the beneficiary's device reads the consultant's text")

        # Round 1, the server down: both edit the same field and one each.
        port = s.server.port
        s.server.stop()
        sset(s.consultant, s.bilan, sheet, "fil_rouge", f"Version consultant {mc}")
        sset(s.consultant, s.bilan, sheet, "observations_recit", f"Observation {mobs}")
        sset(s.beneficiary, s.bilan, sheet, "fil_rouge", f"Version bénéficiaire {mb}")
        sset(s.beneficiary, s.bilan, sheet, "experiences", f"Expériences {mexp}")
        r = sync(s.beneficiary, s.bilan, want=3)
        check("prochaine synchronisation" in r.stderr, "offline, the sync says the change waits here")
        s.server.start(port=port)
        sync(s.beneficiary, s.bilan)
        sync(s.consultant, s.bilan)
        sync(s.beneficiary, s.bilan)
        oc, ob = show(s.consultant, s.bilan, sheet), show(s.beneficiary, s.bilan, sheet)
        for who, out in (("consultant", oc), ("beneficiary", ob)):
            for m in (mc, mb, mobs, mexp):
                check(m in out, f"{who}'s sheet holds {m} (nothing typed is lost)")
            check("CONFLIT" in out, f"{who}'s sheet marks the same field's two versions as a conflict")
        cc = s.consultant.ok("sheet", "conflicts", "--bilan", s.bilan).stdout
        cb = s.beneficiary.ok("sheet", "conflicts", "--bilan", s.bilan).stdout
        check(mc in cc and mb in cc and mc in cb and mb in cb, "both devices list the conflict with both versions")

        # Round 2, the other order: the consultant syncs first.
        s.server.stop()
        sset(s.consultant, s.bilan, sheet, "observations_recit", f"Observation revue {mc2}")
        sset(s.beneficiary, s.bilan, sheet, "experiences", f"Expériences revues {mb2}")
        s.server.start(port=port)
        sync(s.consultant, s.bilan)
        sync(s.beneficiary, s.bilan)
        sync(s.consultant, s.bilan)
        oc, ob = state(show(s.consultant, s.bilan, sheet)), state(show(s.beneficiary, s.bilan, sheet))
        if oc != ob:
            import difflib
            print("\n".join(difflib.unified_diff(oc.splitlines(), ob.splitlines(), "consultant", "beneficiary",
                                                 lineterm="")))
        check(oc == ob, "after both orders the two devices show the same sheet")
        check(mc2 in oc and mb2 in oc, "round 2's values are on both")

        # Resolved on one device; the other follows.
        s.beneficiary.ok("sheet", "resolve", sheet, "fil_rouge", "--value", f"Fil choisi {mb}", "--bilan", s.bilan,
                         "--offline")
        sync(s.beneficiary, s.bilan)
        sync(s.consultant, s.bilan)
        oc, ob = state(show(s.consultant, s.bilan, sheet)), state(show(s.beneficiary, s.bilan, sheet))
        check("CONFLIT" not in oc and "CONFLIT" not in ob, "the resolution reached both: no conflict left")
        check(f"Fil choisi {mb}" in oc and oc == ob, "both show the chosen text")

        no_marker_on_server(s, (m0, mc, mb, mc2, mb2, mobs, mexp))
        ok = True
    finally:
        s.close(ok)


# ---------------------------------------------------------------- new_device

def t_new_device():
    s = Scene("sheets-newdev")
    ok = False
    try:
        m = marker("nd")
        sheet = sheet_new(s.consultant, s.bilan, "synthese")
        sset(s.consultant, s.bilan, sheet, "contexte", f"Contexte {m}")
        sync(s.consultant, s.bilan)
        meet(s, s.consultant, s.bilan, s.beneficiary, s.link)
        # A second device of the beneficiary, with a new invite link.
        r = s.consultant.ok("bilan", "invite", s.bilan)
        link2 = re.findall(r"^(https://\S+/j/\S+)$", r.stdout, re.M)[-1]
        d = Client(s.tmp, "beneficiary2")
        pd = d.spawn("join", link2, "--headless", "--confirm-sas", "--duration", "60")
        pd.wait_line(r"^\[sheets\] no key bilan=")
        pd.signal(signal.SIGINT)
        check(pd.wait_exit() == 0, "the new device's lone visit ends cleanly")
        r = sync(d, s.bilan, want=2)
        check("pas encore partagées" in r.stderr, "without the key the device is told the sheets are not shared yet")
        lst = d.ok("sheet", "list", "--bilan", s.bilan).stdout
        check(sheet not in lst and m not in lst, "a device without the key lists nothing of the sheets")
        check(not rows(client_db(d), "SELECT 1 FROM doc_keys"), "it holds no document key")
        # The beneficiary's first device (not the consultant's) re-wraps it.
        meet(s, s.beneficiary, s.bilan, d, s.bilan)
        check(m in show(d, s.bilan, sheet[:6]), "after meeting a device that has the key, it reads the sheet")
        no_marker_on_server(s, (m,))
        ok = True
    finally:
        s.close(ok)


# ---------------------------------------------------------------- close_and_purge

def t_close_and_purge():
    s = Scene("sheets-close")
    ok = False
    try:
        mk, mg = marker("kept"), marker("gone")
        kept = sheet_new(s.consultant, s.bilan, "synthese")
        gone = sheet_new(s.consultant, s.bilan, "recit")
        sset(s.consultant, s.bilan, kept, "contexte", f"Contexte {mk}")
        sset(s.consultant, s.bilan, gone, "fil_rouge", f"Fil {mg}")
        sync(s.consultant, s.bilan)
        meet(s, s.consultant, s.bilan, s.beneficiary, s.link)
        # Consent: the beneficiary's device only.
        r = s.consultant.run("sheet", "consent", kept, "--bilan", s.bilan)
        check(r.returncode != 0 and "bénéficiaire" in r.stderr, "the consultant's device cannot consent")
        r = s.beneficiary.ok("sheet", "consent", kept[:8], "--bilan", s.bilan)
        check("1 fiche" in r.stdout, "the beneficiary's consent is recorded for one sheet")
        # Close.
        r = s.consultant.ok("bilan", "close", s.bilan, "--yes")
        check("clos" in r.stdout and "1 fiche(s) gardée(s)" in r.stdout, "the close reports what it kept")
        sheets_left = {x[0] for x in rows(s.server.db(), "SELECT DISTINCT sheet FROM sheet_ops")}
        check(len(sheets_left) == 1, f"the server keeps one sheet's ciphertext ({len(sheets_left)})")
        r = s.consultant.run("join", s.bilan, "--headless", "--duration", "5")
        check(r.returncode == 2 and "bilan_closed" in (r.stdout + r.stderr), "a closed bilan's room is closed")
        for c in (s.consultant, s.beneficiary):
            c.run("sheet", "sync", "--bilan", s.bilan)  # learns of the close
            check(mg.encode() not in files_of(client_db(c)), f"{c.name}: the other sheet is gone from client.db")
            check(mk in show(c, s.bilan, kept[:8]), f"{c.name}: the consented sheet is still readable")
        # One year and a day later.
        r = s.server.admin("purge", "--test-clock-offset", str(YEAR_AND_A_DAY))
        check(re.search(r"\b1\b", r.stdout) is not None, f"the purge reports what it deleted ({r.stdout!r})")
        check(not rows(s.server.db(), "SELECT 1 FROM sheet_ops"), "after the purge the server holds no sheet")
        check(not rows(s.server.db(), "SELECT 1 FROM sheet_wraps"), "...no key wrap")
        check(not rows(s.server.db(), "SELECT 1 FROM sheet_consents"), "...and no consent")
        for c in (s.consultant, s.beneficiary):
            c.run("bilan", "list")  # a welcome: the bilan is purged
            db = client_db(c)
            check(not rows(db, "SELECT 1 FROM doc_keys"), f"{c.name}: the document key is gone")
            check(not rows(db, "SELECT 1 FROM ws_ops"), f"{c.name}: no worksheet operation is left")
            blob = files_of(db)
            check(mk.encode() not in blob and mg.encode() not in blob, f"{c.name}: no marker left in client.db")
        no_marker_on_server(s, (mk, mg))
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"two_devices": t_two_devices, "new_device": t_new_device, "close_and_purge": t_close_and_purge})
