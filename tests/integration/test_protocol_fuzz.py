#!/usr/bin/env python3
"""test_protocol_fuzz.py: authenticated protocol fuzzing of bilan-server.

Three enrolled raw devices of one bilan connect, authenticate and join, then
send a seeded stream of random control messages of every type (with fields of
the wrong type, out of range, truncated JSON), random binary frames (bad
kinds, flags, slots, sizes), raw WebSocket frames of every opcode, and drop
their connections abruptly or cleanly. The server must stay up, exit 0 on
SIGTERM, report nothing under ASan/UBSan, and still serve a normal end-to-end
exchange afterwards. Bounded by a message count (seeded), not by time.

Usage: test_protocol_fuzz.py [SEED] [MESSAGES]
"""
import json
import os
import random
import re
import shutil
import socket
import sys

from harness import (Client, Device, RawWs, Server, TestFailure, b64u, check, frame, link_token,
                     raw_auth, raw_enrol, tmpdir)

TYPES = ["hello", "enrol", "auth", "bilan_create", "invite_create", "bilan_list", "join", "leave", "stats",
         "e2e", "session_open", "session_close", "hours", "personal_declare", "receipt", "teleport",
         "sheet_push", "sheet_pull", "sheet_key_put", "sheet_key_get", "sheet_consent", "bilan_close"]
FIELDS = ["v", "token", "sign_pub", "dh_pub", "sig", "device", "label", "budget_s", "bilan", "to", "body",
          "phase", "seconds", "note", "session", "received_audio_ms", "sas_verified", "ref", "invite_ttl_s",
          "op", "sheet", "sealed", "after", "kid", "wrap", "statement"]


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    rnd = random.Random(seed)
    tmp = tmpdir("protofuzz")
    server = Server(tmp, ["--auth-failures", "1000000"])
    ok = False
    try:
        cons = Client(tmp, "consultant")
        cons.enrol(server.enrol_link)
        link = cons.create_bilan("fuzz")
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]+)", cons.ok("bilan", "list").stdout)[-1]
        devs = []
        for i in range(3):  # each invite printed once the one before is used (a reprint revokes)
            lk = link if i == 0 else re.search(r"^(https://\S+/j/\S+)$", cons.ok("bilan", "invite", bilan).stdout,
                                               re.M).group(1)
            d = Device()
            ws = RawWs(server.host, server.port, server.pin)
            check(raw_enrol(ws, d, link_token(lk)).get("type") == "welcome", "raw device enrolled")
            ws.close()
            devs.append(d)

        def value():
            return rnd.choice([None, True, 0, 1, -1, 2 ** 62, 1.5, "", "x" * rnd.randrange(0, 300), bilan,
                               [1, {"a": []}], {"t": "commit"}, b64u(rnd.randbytes(32)), b64u(rnd.randbytes(64)),
                               "investigation", "\u00e9\u00e8"])

        def message():
            m = {"type": rnd.choice(TYPES)}
            for k in rnd.sample(FIELDS, rnd.randrange(0, 6)):
                m[k] = value()
            if m["type"] == "join" and rnd.random() < 0.7:
                m["bilan"] = bilan
            if m["type"] == "e2e" and rnd.random() < 0.7:
                m["body"] = {"t": rnd.choice(["commit", "reveal", "key", "abort", "sas", "confirm"]),
                             "c": b64u(rnd.randbytes(32)), "reason": "x"}
            if m["type"] == "session_open" and rnd.random() < 0.5:
                m["phase"] = rnd.choice(["investigation", "suivi", "autre"])
            return m

        sent = conns = 0
        while sent < budget:
            socks = []
            for d in rnd.sample(devs, rnd.randrange(1, 4)):
                ws = RawWs(server.host, server.port, server.pin)
                if raw_auth(ws, d).get("type") != "welcome":
                    ws.close()
                    continue
                ws.send_json({"type": "join", "bilan": bilan})
                socks.append(ws)
                conns += 1
            for _ in range(rnd.randrange(10, 80)):
                if not socks:
                    break
                ws = rnd.choice(socks)
                try:
                    r = rnd.random()
                    if r < 0.6:
                        ws.send_json(message())
                    elif r < 0.8:
                        ws.send_bin(frame(rnd.choice([0, 1, 2, 3, 4]), rnd.randrange(2 ** 32),
                                          rnd.randbytes(rnd.randrange(0, 3000)), flags=rnd.choice([0, 0, 1, 2]),
                                          slot=rnd.randrange(256)))
                    elif r < 0.9:
                        ws.send_frame(rnd.choice([0, 1, 2, 8, 9, 10]), rnd.randbytes(rnd.randrange(0, 200)),
                                      fin=rnd.random() < 0.9)
                    else:
                        ws.send_text(json.dumps(message())[:rnd.randrange(1, 60)])
                    sent += 1
                    # Drain what is ready, so that the server's queues stay in play.
                    try:
                        while True:
                            ws.recv_frame(0.001)
                    except (socket.timeout, OSError, Exception):  # noqa: BLE001 - closed or nothing ready
                        pass
                except OSError:
                    socks.remove(ws)
            for ws in socks:
                try:
                    if rnd.random() < 0.5:
                        ws.sock.shutdown(socket.SHUT_RDWR)
                    ws.sock.close()
                except OSError:
                    pass
            if not server.alive():
                raise TestFailure("the server died\n" + server.proc.dump())
        check(server.alive(), f"the server survived {sent} random messages on {conns} connections")

        # A normal meeting still works afterwards.
        ben = Client(tmp, "late")
        link2 = re.search(r"^(https://\S+/j/\S+)$", cons.ok("bilan", "invite", bilan).stdout, re.M).group(1)
        pa = cons.spawn("join", bilan, "--headless", "--say", "encore là", "--expect-chat", "1", "--timeout", "60")
        pa.wait_line(r"^\[room\] joined")
        pb = ben.spawn("join", link2, "--headless", "--say", "oui", "--expect-chat", "1", "--timeout", "60")
        check(pa.wait_exit() == 0 and pb.wait_exit() == 0, "a consultant and a new beneficiary still meet")
        check(pb.count(r"^\[chat\] slot=\d: encore là$") == 1, "and their chat gets through")
        check(server.stop() == 0, "the server exits 0")
        errs = "\n".join(server.proc.err_lines)
        check("AddressSanitizer" not in errs and "runtime error" not in errs and "LeakSanitizer" not in errs,
              "no sanitizer report from the server")
        ok = True
    finally:
        if not ok:
            server.stop()
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
        print("1 passed, 0 failed")
    except Exception as e:  # noqa: BLE001 - report any failure
        import traceback
        traceback.print_exc()
        print(f"FAILED: {e}")
        print("0 passed, 1 failed")
        sys.exit(1)
