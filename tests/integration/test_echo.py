#!/usr/bin/env python3
"""test_echo.py: echo cancellation wired in a real call (issue 10, part 5).

The canceller itself is measured by tests/unit/media/test_aec.c on a
synthetic echo path; here the real server and two real clients check the
wiring, through SDL's "disk" audio driver (a raw file stands for each
microphone, another receives each speaker's sound, both in real time):

  wiring   the consultant has a microphone and the speaker: echo
           cancellation is on by default, every microphone block goes
           through it (blocks ~ frames encoded) and the beneficiary's tone
           played on the speaker is its reference (far_blocks, far_active);
           the beneficiary has the same devices but --no-echo-cancel: off,
           off_reason "option"; a client with a tone source and the
           speaker says "not a microphone".

Nothing sleeps to wait for an event: waits poll a process's output or exit.
"""
import json
import math
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Proc, TestFailure, check, run_tests  # noqa: E402
from test_media import Scene  # noqa: E402

RATE = 48000


def write_mic(path, seconds, hz):
    """A raw s16 mono 48 kHz tone, what the disk driver's microphone reads."""
    n = int(seconds * RATE)
    with open(path, "wb") as f:
        f.write(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / RATE)))
                         for i in range(n)))


def spawn_with_devices(client, scene, tag, *args):
    mic, spk = scene.path(f"mic-{tag}.raw"), scene.path(f"spk-{tag}.raw")
    write_mic(mic, 30, 300 if tag == "a" else 500)
    env = dict(os.environ, SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILEIN=mic, SDL_DISKAUDIOFILE=spk)
    argv = client.argv("join", *args, "--headless", "--confirm-sas", "--video", "none",
                       "--stats", scene.path(f"stats-{tag}.json"))
    return Proc(argv, env=env, name=f"bilan[{client.name}]")


def echo_stats(scene, tag):
    with open(scene.path(f"stats-{tag}.json")) as f:
        st = json.load(f)
    return st["media"]["send"]["audio"]


def t_wiring():
    s = Scene("echo")
    ok = False
    try:
        pa = spawn_with_devices(s.consultant, s, "a", s.bilan, "--duration", "8",
                                "--audio", "default", "--audio-out", "default")
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0")
        pb = spawn_with_devices(s.beneficiary, s, "b", s.link, "--duration", "9",
                                "--audio", "default", "--audio-out", "default", "--no-echo-cancel")
        rca, rcb = pa.wait_exit(120), pb.wait_exit(120)
        if (rca, rcb) != (0, 0):
            raise TestFailure(f"exits {rca}, {rcb}\n" + pa.dump() + pb.dump())
        a, b = echo_stats(s, "a"), echo_stats(s, "b")
        ea, eb = a["echo_cancel"], b["echo_cancel"]
        print(f"  figure: consultant echo_cancel {ea}; beneficiary {eb}", flush=True)
        check(ea.get("on") is True, "echo cancellation is on by default with a microphone and the speaker")
        check(ea.get("blocks", 0) >= 200 and ea["blocks"] >= a["encoded"],
              f"every microphone block went through it ({ea.get('blocks')} >= {a['encoded']} encoded)")
        check(ea.get("far_blocks", 0) >= 100 and ea.get("far_active", 0) >= 100,
              f"the other's sound on the speaker is its reference ({ea.get('far_blocks')} blocks, "
              f"{ea.get('far_active')} active)")
        check(ea.get("ref_lost") == 0, "no reference lost")
        check(isinstance(ea.get("erle_db"), float), f"an ERLE estimate ({ea.get('erle_db')})")
        check(eb == {"on": False, "off_reason": "option"}, f"--no-echo-cancel turns it off ({eb})")
        # A tone is not a microphone: nothing to cancel.
        pc = spawn_with_devices(s.beneficiary, s, "c", s.link, "--duration", "1",
                                "--audio", "tone", "--audio-out", "default")
        rcc = pc.wait_exit(120)
        check(rcc == 0, f"a tone client runs ({rcc})\n" + pc.dump())
        ec = echo_stats(s, "c")["echo_cancel"]
        check(ec == {"on": False, "off_reason": "not a microphone"}, f"a tone is not a microphone ({ec})")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"wiring": t_wiring})
