#!/usr/bin/env python3
"""ws_sync.py: the worksheet sync between two devices (issue 11), with the
real bilan-server and two real `bilan` clients on loopback over TLS.

For N in 1,000 and 10,000 operations: device A (the consultant's) makes N
edits offline (bench_ws_sync gen), then `bilan sheet sync` pushes them (and
pulls them back); device B (the beneficiary's, which got the key in the
room) then pulls and applies them with `bilan sheet sync`. Prints, for each
N: the wall time of each sync and per operation; the bytes of WebSocket text
each sent and received (TLS adds ~22 bytes per record) against the plaintext
of the operations, as a ratio; and the merge cost per operation: loading the
N operations from B's client.db into a merged replica (bench_ws_sync load),
measured in the same run, against B's sync time (the share of the sync that
is merging).

Usage: tests/bench/ws_sync.py BUILD_DIR [--ops 1000,10000]
Not a test: nothing here passes or fails on a figure. The server runs with
--sheet-push-quota raised so that 10,000 pushes are not rate limited (its
default, 6,000 a minute per device, is for people).
"""
import argparse
import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--ops", default="1000,10000")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ["BILAN_SERVER"] = os.path.join(build, "server", "bilan-server")
    os.environ["BILAN_CLIENT"] = os.path.join(build, "client", "bilan")
    os.environ.setdefault("BILAN_TEST_DEADLINE", "600")
    gen = os.path.join(build, "tests", "bench", "bench_ws_sync")
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    import harness
    from harness import Client, Server, TestFailure, tmpdir

    tmp = tmpdir("bench-ws-sync")
    server = Server(tmp, ["--sheet-push-quota", "1000000"])
    results = []
    try:
        a, b = Client(tmp, "a"), Client(tmp, "b")
        a.enrol(server.enrol_link)
        link = a.create_bilan("Banc d'essai des fiches")
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", a.ok("bilan", "list").stdout)[-1]
        a.ok("sheet", "sync", "--bilan", bilan)  # the key
        pa = a.spawn("join", bilan, "--headless", "--confirm-sas", "--duration", "120")
        pa.wait_line(r"^\[room\] joined")
        pb = b.spawn("join", link, "--headless", "--confirm-sas", "--duration", "120")
        pb.wait_line(r"^\[sheets\] synced")
        for p in (pb, pa):
            p.signal(signal.SIGINT)
            p.wait_exit()
        for n in [int(x) for x in args.ops.split(",")]:
            r = harness.subprocess.run([gen, "gen", "--data", a.data, "--bilan", bilan, "--ops", str(n)],
                                       capture_output=True, text=True, check=True)
            plain = int(re.search(r"plain_bytes=(\d+)", r.stdout).group(1))
            made = int(re.search(r"ops=(\d+)", r.stdout).group(1))
            figs = {}
            for who, c in (("push (A)", a), ("pull (B)", b)):
                t0 = time.perf_counter()
                r = c.run("sheet", "sync", "--bilan", bilan, "--machine", timeout=600)
                dt = time.perf_counter() - t0
                if r.returncode != 0:
                    raise TestFailure(f"sync {who} failed ({r.returncode}): {r.stderr}")
                m = re.search(r"text_out=(\d+) text_in=(\d+)", r.stdout)
                figs[who] = (dt, int(m.group(1)), int(m.group(2)))
            r = harness.subprocess.run([gen, "load", "--data", b.data, "--bilan", bilan, "--rounds", "3"],
                                       capture_output=True, text=True, check=True)
            load_us = int(re.search(r"load_us=(\d+)", r.stdout).group(1))
            held = int(re.search(r"ops=(\d+)", r.stdout).group(1))
            results.append((made, plain, figs, load_us, held))
    finally:
        server.stop()

    print("worksheet sync between two devices (real server, TLS, loopback):")
    for made, plain, figs, load_us, held in results:
        print(f"  {made} operations, {plain} bytes of plaintext ({plain / made:.0f} per operation)")
        for who, (dt, out, inn) in figs.items():
            wire = out + inn
            print(f"    {who}: {dt:.2f} s ({dt / made * 1e6:.0f} us per operation); "
                  f"text sent {out} B, received {inn} B; {wire / plain:.2f} x the plaintext")
        _, _, _ = figs["pull (B)"]
        dtb = figs["pull (B)"][0]
        print(f"    merge: loading B's {held} operations into a merged replica takes {load_us / 1000:.1f} ms, "
              f"{load_us / held:.1f} us per operation; {load_us / 1e6 / dtb:.2f} of B's sync time")
    print("BENCH_JSON " + str([{"ops": m, "plain": p, "push_s": f["push (A)"][0], "pull_s": f["pull (B)"][0],
                                "push_wire": f["push (A)"][1] + f["push (A)"][2],
                                "pull_wire": f["pull (B)"][1] + f["pull (B)"][2],
                                "load_us": l} for m, p, f, l, _ in results]).replace("'", '"'))


if __name__ == "__main__":
    main()
