#!/usr/bin/env python3
"""test_hours.py: `bilan-server hours --replay` on a whole sample bilan
(data/bilan_sample.jsonl: preliminaire 2 h, 4 investigations, conclusion in
double regard, suivi, one disconnection, personal work). The expected seconds
are computed by hand in the comments, not by the code under test.
Usage: test_hours.py [sample]; env BILAN_SERVER = path of bilan-server."""
import json
import os
import re
import subprocess
import sys
import tempfile

SERVER = os.environ["BILAN_SERVER"]
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "bilan_sample.jsonl")


def run(*args):
    p = subprocess.run([SERVER, "hours", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what, file=sys.stderr)

    rc, out, err = run("--replay", SAMPLE, "--format", "json")
    check(rc == 0, f"json exit {rc}: {err}")
    r = json.loads(out)
    ftf = {s["id"]: s["face_to_face_s"] for s in r["sessions"]}
    # S03: beneficiary lost at 09:40:00.5 (last sign of life), back 09:43:20.25:
    # 2400.5 + 4599.75 = 7000.25 s, one interruption.
    check(ftf == {"S01-prelim": 7200, "S02-invest": 7200, "S03-invest": 7000.25, "S04-invest": 7200,
                  "S05-invest": 5400, "S06-concl": 7200, "S07-suivi": 3600}, f"sessions {ftf}")
    check([s["interruptions"] for s in r["sessions"]] == [0, 0, 1, 0, 0, 0, 0], "interruptions")
    check([s["phase"] for s in r["sessions"]] == ["preliminaire"] + ["investigation"] * 4 +
          ["conclusion", "suivi"], "phases")
    check(r["sessions"][0]["start"] == 1709542800 and r["sessions"][0]["end"] == 1709550150, "S01 bounds")
    check(r["by_phase"] == {"preliminaire": 7200, "investigation": 26800.25, "conclusion": 7200,
                            "suivi": 3600}, f"by_phase {r['by_phase']}")
    expect = {"bilan": "B-2024-017", "face_to_face_s": 44800.25, "budget_s": 57600, "remaining_s": 12799.75,
              "personal_s": 32400, "total_s": 77200.25, "cap_s": 86400, "over_budget": False,
              "over_cap": False, "duplicates_ignored": 0}
    for k, v in expect.items():
        check(r.get(k) == v and type(r.get(k)) is type(v), f"{k}: {r.get(k)!r} != {v!r}")

    rc, out, err = run("--replay", SAMPLE)
    check(rc == 0 and "12:27" in out and "Phase d'investigation" in out, f"table: {rc} {err}")
    check(rc == 0 and "Face-à-face" in out and "sur un budget de 16:00" in out and
          re.search(r"\b\d\d/\d\d/\d{4} \d\d:\d\d\b", out), f"table in French, dates dd/mm/yyyy: {out[:300]}")
    rc, out, err = run("--replay", SAMPLE, "--format", "tableur")
    check(rc == 0 and out.startswith("\ufeffligne;séance;phase;début (UTC);") and
          "\nface-à-face;;;;;12:27;44800,25;\n" in out, f"tableur: BOM, ';', h:mm, decimal comma: {out[:300]} {err}")
    rc, out, err = run("--replay", SAMPLE, "--format", "csv")
    # (text mode turns the CSV's CRLF into \n)
    check(rc == 0 and out.startswith("row,id,phase,start_utc,end_utc,seconds,interruptions\n")
          and "\nface_to_face,,,,,44800.25,\n" in out, f"csv: {rc} {err}")

    with tempfile.TemporaryDirectory() as d:
        # Shuffled and partly duplicated: same totals, duplicates (same seq) counted.
        lines = open(SAMPLE).read().splitlines()
        body = lines[1:]
        shuffled = [lines[0]] + body[::-1] + body[:10]
        p = os.path.join(d, "shuffled.jsonl")
        open(p, "w").write("\n".join(shuffled) + "\n")
        rc, out, err = run("--replay", p, "--format", "json")
        check(rc == 0, f"shuffled exit {rc}: {err}")
        if rc == 0:
            s = json.loads(out)
            check(s["face_to_face_s"] == 44800.25 and s["duplicates_ignored"] == 10, "shuffled totals")
        # A line with the seq of another event but other content: refused, naming both lines.
        twin = json.loads(body[5])
        twin["t"] += 1
        p = os.path.join(d, "twin.jsonl")
        open(p, "w").write("\n".join(lines + [json.dumps(twin)]) + "\n")
        rc, out, err = run("--replay", p)
        check(rc == 1 and "sequence number 6" in err and "line 7" in err, f"same seq, other event: {rc} {err}")
        # A format 1 file (an export of an older server: no seq): same report;
        # its lines are all distinct events.
        old = [json.dumps({k: v for k, v in json.loads(x).items() if k not in ("seq", "format")},
                          separators=(",", ":")) for x in lines]
        p = os.path.join(d, "format1.jsonl")
        open(p, "w").write("\n".join(old) + "\n")
        rc, out, err = run("--replay", p, "--format", "json")
        check(rc == 0 and json.loads(out)["face_to_face_s"] == 44800.25, f"format 1: {rc} {err}")
        # Format 2 requires the seq on every line.
        p = os.path.join(d, "noseq.jsonl")
        open(p, "w").write("\n".join([lines[0]] + old[1:]) + "\n")
        rc, out, err = run("--replay", p)
        check(rc == 1 and "line 2" in err and "seq" in err, f"format 2 without seq: {rc} {err}")
        # Corrupt: a leave of a device that is not present names its line.
        p = os.path.join(d, "bad.jsonl")
        open(p, "w").write(lines[0] + "\n" + lines[1] + "\n"
                           '{"seq":99,"t":1709542900,"event":"leave","session":"S01-prelim","device":"x"}\n')
        rc, out, err = run("--replay", p)
        check(rc == 1 and "line 3" in err and out == "", f"corrupt: {rc} {err}")
        rc, out, err = run("--replay", os.path.join(d, "missing.jsonl"))
        check(rc == 1 and "cannot open" in err, f"missing file: {rc} {err}")
    rc, out, err = run()
    check(rc == 2 and "give exactly one of BILAN" in err, f"no source: {rc} {err}")
    rc, out, err = run("--replay", SAMPLE, "--format", "xml")
    check(rc == 2 and "expected table, tableur, csv or json" in err, f"bad format: {rc} {err}")
    rc, out, err = run("--help")
    check(rc == 0 and "Usage: bilan-server hours" in out, "help")
    print("ok" if not failures else f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
