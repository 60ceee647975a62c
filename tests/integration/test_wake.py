#!/usr/bin/env python3
"""test_wake.py: another thread wakes the client's network loop
(client/net.c net_wake, issue #8): wake_probe is `bilan join` with one more
frame source, a bounded queue that a producer thread fills while the client
is in the room with a real bilan-server; every frame it pushes reaches the
other member, sealed end to end, although the loop never polls that queue
(it pulls only when woken). Half the frames are pushed only once the loop
has stopped writing (it found the queue empty): those go out only if the
wake works.

The other member is a real `bilan join` by the invite link, with no sink
for audio: it opens every frame (its --stats count them) and drops them, as
the mux does for a kind without a sink.

Run one scenario: test_wake.py NAME; all: test_wake.py.
"""
import json
import os
import re
import shutil
import signal

from harness import Client, Proc, Server, TestFailure, check, run_tests, tmpdir

PROBE = os.environ.get("BILAN_WAKE_PROBE", "wake_probe")
FRAMES = 60


def t_thread_frames():
    tmp = tmpdir("wake")
    server = Server(tmp)
    procs = []
    try:
        if not server.enrol_link:
            raise TestFailure("dev server printed no consultant enrolment link\n" + server.proc.dump())
        consultant = Client(tmp, "consultant")
        consultant.enrol(server.enrol_link)
        link = consultant.create_bilan("Bilan wake")
        r = consultant.ok("bilan", "list")
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)[-1]
        beneficiary = Client(tmp, "beneficiary")
        stats = os.path.join(tmp, "beneficiary-stats.json")
        pb = beneficiary.spawn("join", link, "--headless", "--stats", stats, "--timeout", "120")
        procs.append(pb)
        pb.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary")
        probe = Proc([PROBE, consultant.data, str(FRAMES), bilan, "--headless", "--machine", "--timeout", "120"],
                     name="wake_probe")
        procs.append(probe)
        probe.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        probe.wait_line(r"^\[e2e\] slot=\d authenticated by=invite$")
        check(True, "the probe is in the room, paired with the beneficiary by the invite")
        rc = probe.wait_exit()
        m = probe.wait_line(r"^wake_probe: pushed=(\d+) pulled=(\d+) sent=(\d+) wakes=(\d+) paced=(\d+)$")
        pushed, pulled, sent, wakes, paced = (int(x) for x in m.groups())
        check(rc == 0, f"the probe exits 0 ({rc})")
        check(pushed == pulled == sent == FRAMES,
              f"all {FRAMES} frames the thread pushed went out (pushed={pushed} pulled={pulled} sent={sent})")
        check(paced > 0 and wakes >= paced,
              f"each of the {paced} frames pushed while the loop was idle came with a wake ({wakes} wakes)")
        pb.wait_line(r"^\[room\] - slot=\d role=consultant reason=")
        pb.signal(signal.SIGINT)
        check(pb.wait_exit() == 0, "the beneficiary leaves cleanly")
        with open(stats) as f:
            e2e = json.load(f)["e2e"]
        check(e2e["frames_opened"] == FRAMES,
              f"the beneficiary opened all {FRAMES} frames, sealed end to end ({e2e['frames_opened']})")
        check(e2e["dropped_auth"] == 0 and e2e["dropped_replay"] == 0, "none refused by SFrame")
    finally:
        for p in procs:
            p.kill()
        server.stop()
    if os.environ.get("BILAN_KEEP_TMP") is None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests({"thread_frames": t_thread_frames})
