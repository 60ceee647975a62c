#!/usr/bin/env python3
"""test_console.py: `bilan join` read from standard input (client/console.c):
two people type /oui (or /non) after comparing their codes, chat lines typed
in the room arrive decrypted on the other side, /quit leaves cleanly, and
the end of standard input does not end the session.

Runs through tap.py (see test_e2e.py) so that what the server saw can be
checked. Nothing sleeps: every wait is on a line the client prints.

Run one scenario: test_console.py NAME; all: test_console.py.
"""
import json
import os
import re
import signal

from harness import TestFailure, check, run_tests
from tap import C2S
from test_e2e import CODE, Scene

PROMPT = r"^\[e2e\] slot={0}: if the other person reads the same code, type /oui \(or /oui {0}\); otherwise /non$"


def strip_macs(conn, direction, op, payload):
    """Drops the invite proofs from every confirm body: the pair can then only
    be authenticated by the people comparing the code (as for a device that
    does not know the invite secret)."""
    if direction != C2S or op != 0x1:
        return [(op, payload)]
    m = json.loads(payload)
    body = m.get("body") if m.get("type") == "e2e" else None
    if not isinstance(body, dict) or body.get("t") != "confirm" or "proofs" not in body:
        return [(op, payload)]
    del body["proofs"]
    return [(op, json.dumps(m).encode())]


def join_both(s):
    """Consultant (slot 0) by bilan id, beneficiary (slot 1) by the invite link,
    neither with --confirm-sas, both typing on a pipe. Returns them once each
    showed the other's code and asked for an answer."""
    pa = s.consultant.spawn("join", s.bilan, "--headless", stdin_pipe=True)
    procs = [pa]
    try:
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0 role=consultant")
        pb = s.beneficiary.spawn("join", s.link, "--headless", stdin_pipe=True)
        procs.append(pb)
        ma, mb = pa.wait_line(CODE), pb.wait_line(CODE)
        check(ma.group(1) == "1" and mb.group(1) == "0" and ma.group(2) == mb.group(2),
              f"both show the same code ({ma.group(2)} / {mb.group(2)})")
        pa.wait_line(PROMPT.format(1))
        pb.wait_line(PROMPT.format(0))
        check(True, "each asks for /oui or /non")
        return pa, pb
    except Exception:
        for p in procs:
            p.kill()
        raise


def t_confirm_and_chat():
    s = Scene("console-yes", strip_macs)
    pa = pb = None
    try:
        pa, pb = join_both(s)
        pa.wait_line(r"^\[e2e\] slot=1 not authenticated: .*/oui 1")
        pb.wait_line(r"^\[e2e\] slot=0 not authenticated: .*/oui 0")
        check(True, "without the invite proof, each waits for its person's answer")
        # A line typed before the codes are confirmed waits.
        pa.send_line("écrit avant la confirmation")
        pa.wait_line(r"^\[info\] \(en attente du chiffrement\)$")
        check(True, "a line typed before the confirmation waits for the encryption")
        pa.send_line("/bof")
        pa.wait_line(r"^\[info\] Commande inconnue /bof")
        pa.send_line("/aide")
        pa.wait_line(r"^\[help\] /oui \[N\] +l'autre personne lit le même code")
        check(True, "an unknown command says so; /aide lists the commands")
        pa.send_line("/oui")
        pa.wait_line(r"^\[e2e\] slot=1 verified$")
        pb.send_line("/oui")
        pb.wait_line(r"^\[e2e\] slot=0 verified$")
        check(True, "/oui on both sides: each prints verified")
        pb.wait_line(r"^\[chat\] slot=0: écrit avant la confirmation$")
        check(True, "the waiting line goes out once both confirmed")
        text = "Bonjour, ça va ? Été à Noël — 日本語 ✓ " + os.urandom(4).hex()
        pb.send_line(text)
        pa.wait_line(r"^\[chat\] slot=1: " + re.escape(text) + "$")
        check(True, "a non-ASCII line typed on one side is printed on the other")
        pa.send_line("/qui")
        pa.wait_line(r"^\[room\] member slot=1 role=beneficiary device=\S+$")
        check(True, "/qui lists the other member")
        check(all(text.encode() not in p for p in s.tap.payloads()),
              "the typed line never crossed the server in clear")
        pa.send_line("/quit")
        check(pa.wait_exit() == 0, "/quit: the consultant leaves and exits 0")
        pb.wait_line(r"^\[room\] - slot=0 ")
        pb.send_line("/quitter")
        check(pb.wait_exit() == 0, "/quitter: the beneficiary leaves and exits 0")
        check(pa.count(r"^\[chat\]") == 1 and pb.count(r"^\[chat\]") == 1, "no other chat line")
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb):
            if p:
                p.kill()
        s.close(ok=False)
        raise


def t_reject():
    s = Scene("console-no")
    pa = pb = None
    try:
        pa, pb = join_both(s)
        pa.send_line("/non")
        pa.wait_line(r"^\[e2e\] slot=1 sas rejected by=us$")
        pb.wait_line(r"^\[e2e\] slot=0 sas rejected by=peer$")
        check(True, "/non: both sides report the rejected code")
        pb.send_line("/oui")
        # One answer (room_acts.c), the same in the window: no code waits, and why.
        pb.wait_line(r"^\[info\] Aucun code n'attend de réponse\. La liaison chiffrée avec "
                     r"(votre consultante / votre consultant|\S.*) a été arrêtée.*rejoignez la salle : un nouveau code")
        check(True, "no code is left to confirm on the other side, and it says why")
        pa.send_line("ne doit pas passer")
        pa.wait_line(r"^\[info\] \(en attente du chiffrement\)$")
        pb.send_line("ne doit pas passer non plus")
        pb.wait_line(r"^\[info\] \(en attente du chiffrement\)$")
        check(True, "after the rejection nothing can be sent")
        # The end of standard input does not end the session.
        pb.close_stdin()
        pa.send_line("/quit")
        check(pa.wait_exit() == 0, "/quit: exit 0")
        pb.wait_line(r"^\[room\] - slot=0 ")
        check(pb.p.poll() is None, "the beneficiary, its stdin closed, is still in the room")
        pb.signal(signal.SIGINT)
        check(pb.wait_exit() == 0, "Ctrl-C then leaves with exit 0")
        check(pa.count(r"^\[chat\]") == 0 and pb.count(r"^\[chat\]") == 0, "no chat line got through")
        check(all(b"ne doit pas passer" not in p for p in s.tap.payloads()),
              "the typed lines never reached the server in clear")
        check(len(s.tap.payloads(opcode=0x2)) == 0, "no data frame was sent")
        check(s.close() == 0, "server exits 0")
    except Exception:
        for p in (pa, pb):
            if p:
                p.kill()
        s.close(ok=False)
        raise


TESTS = {
    "confirm_and_chat": t_confirm_and_chat,
    "reject": t_reject,
}

if __name__ == "__main__":
    run_tests(TESTS)
