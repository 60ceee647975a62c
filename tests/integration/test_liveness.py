#!/usr/bin/env python3
"""test_liveness.py: a member that goes silent (no messages, no pongs) is
declared lost by the server after 15 s, and the others are told so; a member
that is idle but answers pings stays.

This test necessarily takes about 15 s: it waits (by polling the other
client's output, bounded by a deadline) for the server's liveness rule to fire.
"""
import re
import signal
import time

from harness import (Client, Device, RawWs, Server, TestFailure, check, link_token, raw_enrol,
                     run_tests, tmpdir)
import shutil


def t_silent_member_is_lost():
    tmp = tmpdir("liveness")
    server = Server(tmp)
    ok = False
    try:
        consultant = Client(tmp, "consultant")
        consultant.enrol(server.enrol_link)
        r = consultant.ok("bilan", "create", "--label", "liveness")
        link = re.search(r"^(https://\S+/j/\S+)$", r.stdout, re.M).group(1)
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]+)", consultant.ok("bilan", "list").stdout)[-1]

        # A raw device joins, then stops reading: it answers no ping from now on.
        dev = Device()
        ws = RawWs(server.host, server.port, server.pin)
        m = raw_enrol(ws, dev, link_token(link))
        check(m.get("type") == "welcome", "raw beneficiary enrolled")
        ws.send_json({"type": "join", "bilan": bilan})
        m = ws.recv_json()
        check(m.get("type") == "joined", "raw beneficiary joined")
        silent_since = time.monotonic()

        # The consultant's real client answers pings: it must outlive the silent one.
        p = consultant.spawn("join", bilan, "--headless", "--timeout", "90", "--expect-members", "99")
        p.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant members=2")
        p.wait_line(r"^\[room\] - slot=\d role=beneficiary reason=lost$", timeout=60)
        waited = time.monotonic() - silent_since
        check(waited >= 14, f"the silent member was declared lost only after the 15 s rule ({waited:.1f} s)")
        check(p.p.poll() is None, "the member that answers pings is still in the room")
        p.signal(signal.SIGINT)
        check(p.wait_exit() == 0, "the remaining member leaves cleanly")
        ws.close()
        check(server.stop() == 0, "server exits 0")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = {"silent_member_is_lost": t_silent_member_is_lost}

if __name__ == "__main__":
    run_tests(TESTS)
