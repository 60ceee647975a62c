#!/usr/bin/env python3
"""test_flow.py: data flow control (PROTOCOL.md §4 "Queues") over real sockets,
with the real bilan-server and raw members (harness.RawWs) or real clients.

- frozen_receiver: three members; one joins and then never reads its socket
  (it stays alive by writing `stats` every 1.5 s). A sender pushes 6 MiB of
  data while sending audio every 20 ms and `stats` every 250 ms. Its control
  replies and its audio (to the third member) keep flowing; its data waits
  alone (flow hold, honoured); the frozen member is cut with too_slow by the
  drain deadline (10 s), the sender gets flow go, and every byte of data then
  reaches the third member intact.
- hold_ignored: the same, but the sender ignores hold: past its allowance it
  gets flow_violation (not fatal), its refused frames reach nobody, its audio
  still flows, the frozen member is still cut on time, and after go its data
  is accepted again.
- slow_receiver_client, slow_receiver_deep_buffers: the real `bilan` clients;
  the beneficiary reads through tap.py throttled to 1 Mbit/s. The consultant's
  client pauses on hold and resumes on go, never past its allowance; the slow
  but moving receiver is never cut (neither by the drain deadline nor by
  liveness, though its pongs wait behind its backlog); the file arrives
  intact.

Raw sockets clamp their TCP segment size to 1400 bytes (RawWs mss), so that
the kernel buffers about as much per connection as on Ethernet rather than the
megabytes loopback's 64 KiB segments allow. Every wait polls a socket against
a deadline; an overall deadline makes a regression fail instead of hang.

Run one scenario: test_flow.py NAME; all: test_flow.py.
"""
import json
import os
import random
import re
import select
import shutil
import socket
import ssl
import struct
import threading
import time

from harness import (Client, Device, RawWs, Server, TestFailure, WsClosed, check, frame, link_token,
                     make_file, raw_enrol, run_tests, sha256_file, tmpdir)

QUEUE_KIB = 1024           # soft budget of the server under test: 1 MiB
ALLOWANCE_MIN = 4 << 20    # server/queue.h QUEUE_ALLOWANCE_MIN
STALL_S = 10               # server/queue.h QUEUE_STALL_MS
DATA_FRAMES = 96           # 96 x 64 KiB = 6 MiB
DATA_CHUNK = 64 * 1024
OVERALL_S = 60             # a regression fails within this, it never hangs
MSS = 1400


class Scene:
    """A server, an enrolled consultant, a bilan, and n raw members in its room."""

    def __init__(self, name, n_raw, server_args=()):
        self.tmp = tmpdir(name)
        self.server = Server(self.tmp, ["--queue-kib", str(QUEUE_KIB)] + list(server_args))
        self.members = []
        try:
            self._setup(name, n_raw)
        except Exception:
            self.close(ok=False)  # no stray server when the setup fails
            raise

    def _setup(self, name, n_raw):
        self.consultant = Client(self.tmp, "consultant")
        self.consultant.enrol(self.server.enrol_link)
        self.link = self.consultant.create_bilan("Bilan flow " + name)
        self.bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})",
                                self.consultant.ok("bilan", "list").stdout)[-1]
        for i in range(n_raw):
            link = self.link if i == 0 else re.search(
                r"^(https://\S+/j/\S+)$", self.consultant.ok("bilan", "invite", self.bilan).stdout, re.M).group(1)
            ws = RawWs(self.server.host, self.server.port, self.server.pin, mss=MSS)
            m = raw_enrol(ws, Device(), link_token(link))
            if m.get("type") != "welcome":
                raise TestFailure(f"raw member {i} not enrolled: {m}")
            ws.send_json({"type": "join", "bilan": self.bilan, "ref": "j"})
            m = ws.recv_json()
            if m.get("type") != "joined":
                raise TestFailure(f"raw member {i} did not join: {m}")
            self.members.append((ws, m["slot"]))

    def close(self, ok=True):
        for ws, _ in self.members:
            ws.close()
        rc = self.server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


def pop_frame(ws):
    """The first whole frame in ws.buf as (opcode, payload), or None. Server
    frames carry no mask; pings are answered here."""
    buf = ws.buf
    if len(buf) < 2:
        return None
    n, off = buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, off = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, off = struct.unpack("!Q", buf[2:10])[0], 10
    if len(buf) < off + n:
        return None
    op, payload = buf[0] & 0x0F, buf[off:off + n]
    ws.buf = buf[off + n:]
    if op == 0x9:
        ws.send_frame(0xA, payload)
    if op == 0x8:
        raise WsClosed(f"close frame {payload[:2].hex()}")
    return op, payload


def frames_ready(ws, wait):
    """Every frame that has arrived on ws (waiting at most `wait` seconds when
    none has), as (opcode, payload) pairs; control frames left out."""
    out = []
    while True:
        while (f := pop_frame(ws)) is not None:
            if f[0] < 0x8:
                out.append(f)
        if out:
            wait = 0
        if not (ws.sock.pending() or select.select([ws.sock], [], [], wait)[0]):
            return out
        ws.sock.settimeout(5)
        d = ws.sock.recv(1 << 18)
        if not d:
            raise WsClosed("connection closed")
        ws.buf += d
        wait = 0


class Reader(threading.Thread):
    """The third member: reads everything, at once, and notes what came when."""

    def __init__(self, ws, sender_slot, frozen_slot, want_last=None):
        super().__init__(daemon=True)
        self.ws, self.sender_slot, self.frozen_slot = ws, sender_slot, frozen_slot
        self.want_last = want_last   # index of the last data frame to wait for (set by the sender)
        self.data = {}               # index -> payload
        self.data_order_ok = True    # indices only ever increase
        self.audio = {}              # seq -> arrival time
        self.left = None             # (time, reason) of the frozen member's member_left
        self.error = None
        self.done = threading.Event()
        self.stop = False

    def run(self):
        end = time.monotonic() + OVERALL_S
        last = -1
        try:
            while not self.stop and time.monotonic() < end:
                try:
                    op, p = self.ws.recv_frame(timeout=0.2)
                except socket.timeout:
                    op = None
                now = time.monotonic()
                if op == 0x2 and p[3] == self.sender_slot:
                    if p[1] == 1:
                        self.audio[struct.unpack("!I", p[4:8])[0]] = now
                    elif p[1] == 3:
                        idx = struct.unpack("!I", p[16:20])[0]
                        self.data_order_ok = self.data_order_ok and idx > last
                        last = idx
                        self.data[idx] = p[16:]
                elif op == 0x1:
                    m = json.loads(p)
                    if m.get("type") == "member_left" and m.get("slot") == self.frozen_slot:
                        self.left = (now, m.get("reason"))
                if self.left and self.want_last is not None and self.want_last in self.data:
                    self.done.set()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)
        self.done.set()


class KeepAlive(threading.Thread):
    """The frozen member: never reads again, but writes stats every 1.5 s so
    that the 15 s liveness rule is not what cuts it."""

    def __init__(self, ws):
        super().__init__(daemon=True)
        self.ws = ws
        self.stop = threading.Event()
        self.sent = 0

    def run(self):
        while not self.stop.wait(1.5):
            try:
                self.ws.sock.settimeout(2)
                self.ws.send_json({"type": "stats"})
                self.sent += 1
            except (OSError, ssl.SSLError):
                return  # the server closed it


def data_payload(i):
    return struct.pack("!I", i) + random.Random(i).randbytes(DATA_CHUNK - 4)


def run_sender(ws, slot, reader, honour_hold, log):
    """Sends data frames, audio every 20 ms and stats every 250 ms, and reads
    what comes back. Honouring hold, it sends DATA_FRAMES as fast as the
    server lets it; ignoring hold, one every 50 ms until 10 went out after
    go. Returns what happened, with monotonic times."""
    ev = {"holds": [], "gos": [], "violations": [], "stats_rtt": [], "audio_sent": {},
          "data_sent_at": [], "data_sent_held": 0, "t_first_data": None, "errors": [],
          "last_before_hold": None}
    held = False
    nxt = 0
    audio_seq = stats_n = 0
    stats_out = {}
    t_audio = t_stats = t_data = time.monotonic()
    end = time.monotonic() + OVERALL_S
    ws.sock.settimeout(5)  # a server that stops reading us makes sendall fail, not hang
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= t_audio:
            ws.send_bin(frame(1, audio_seq, b"A" * 80, slot=slot))
            ev["audio_sent"][audio_seq] = time.monotonic()
            audio_seq += 1
            t_audio = now + 0.02
        if now >= t_stats:
            ref = f"s{stats_n}"
            stats_n += 1
            stats_out[ref] = time.monotonic()
            ws.send_json({"type": "stats", "ref": ref})
            t_stats = now + 0.25
        if honour_hold:
            more = nxt < DATA_FRAMES
            sending = more and not held
        else:
            more = not ev["gos"] or sum(1 for t in ev["data_sent_at"] if t > ev["gos"][0]) < 10
            sending = more and now >= t_data
        if sending:
            if ev["t_first_data"] is None:
                ev["t_first_data"] = time.monotonic()
            ws.send_bin(frame(3, nxt, data_payload(nxt), slot=slot))
            ev["data_sent_at"].append(time.monotonic())
            ev["data_sent_held"] += held
            nxt += 1
            t_data = now + 0.05
        elif not more and reader.want_last is None:
            reader.want_last = nxt - 1
        for op, p in frames_ready(ws, 0 if sending else 0.01):
            if op != 0x1:
                continue
            m = json.loads(p)
            t = m.get("type")
            if t == "flow" and m.get("kind") == "data":
                if m.get("state") == "hold":
                    held = True
                    ev["holds"].append((time.monotonic(), m.get("slot"), m.get("allowance")))
                    if ev["last_before_hold"] is None:
                        ev["last_before_hold"] = nxt - 1
                    log(f"hold slot={m.get('slot')} allowance={m.get('allowance')} after {nxt} data frames")
                elif m.get("state") == "go":
                    held = False
                    ev["gos"].append(time.monotonic())
                    log(f"go after {nxt} data frames")
            elif t == "stats" and m.get("ref") in stats_out:
                ev["stats_rtt"].append(time.monotonic() - stats_out.pop(m["ref"]))
                ev["last_stats"] = m
            elif t == "error":
                if m.get("code") == "flow_violation":
                    ev["violations"].append((time.monotonic(), m.get("fatal"), nxt - 1))
                    log(f"flow_violation after {nxt} data frames")
                else:
                    ev["errors"].append(m)
        if not more and not held and reader.done.is_set():
            break
    ev["stats_pending"] = stats_out
    ev["data_n"] = nxt
    ev["timed_out"] = time.monotonic() >= end
    return ev


def frozen_scene(name, honour_hold):
    s = Scene(name, 3)
    keep = None
    try:
        (S, s_slot), (R, r_slot), (N, n_slot) = s.members
        for ws in (S, R):  # the others' member_joined
            while frames_ready(ws, 0.2):
                pass
        log = lambda msg: print("  ..", msg, flush=True)  # noqa: E731
        reader = Reader(R, s_slot, n_slot, DATA_FRAMES - 1 if honour_hold else None)
        keep = KeepAlive(N)
        reader.start()
        keep.start()
        ev = run_sender(S, s_slot, reader, honour_hold, log)
        keep.stop.set()
        reader.done.wait(10)
        reader.stop = True
        reader.join(5)
        return s, ev, reader, keep, (s_slot, r_slot, n_slot)
    except Exception:
        if keep:
            keep.stop.set()
        s.close(ok=False)  # the sender failed (a server that stopped reading it): no stray server
        raise


def common_checks(s, ev, reader, keep, slots):
    s_slot, r_slot, n_slot = slots
    t0 = ev["t_first_data"]
    check(not ev["timed_out"], f"the sender finished within {OVERALL_S} s")
    check(reader.error is None, f"the third member read without error ({reader.error})")
    check(any(h[1] == n_slot for h in ev["holds"]),
          f"the sender was told to hold, naming the frozen member's slot {n_slot}: "
          f"{[(round(h[0] - t0, 1), h[1]) for h in ev['holds']]}")
    hold0 = min(h[0] for h in ev["holds"] if h[1] == n_slot)
    check(all(h[2] >= ALLOWANCE_MIN for h in ev["holds"]),
          f"hold states the allowance: at least 4 MiB ({[h[2] for h in ev['holds']]})")
    check(reader.left is not None and reader.left[1] == "disconnected",
          f"the frozen member left the room, reason disconnected ({reader.left})")
    t_cut = reader.left[0] - t0
    check(STALL_S - 1 <= t_cut <= STALL_S + 6,
          f"...cut by the drain deadline, {t_cut:.1f} s after the first data frame ({STALL_S} s + sweep + slack)")
    check(keep.sent >= int(t_cut / 1.5) - 1, f"the frozen member kept writing meanwhile ({keep.sent} stats)")
    errs = "\n".join(s.server.proc.err_lines)
    check(re.search(r"took nothing of what it was sent for 10 s", errs) is not None and
          re.search(r"closing with too_slow", errs) is not None,
          "the server logged the cut as too_slow (drain deadline)")
    gos_after = [g for g in ev["gos"] if g >= reader.left[0] - 1.0]
    check(len(gos_after) >= 1 and gos_after[0] - reader.left[0] <= 2.0,
          f"the sender got flow go when the frozen member was cut ({[round(g - t0, 1) for g in ev['gos']]})")
    rtt = ev["stats_rtt"]
    check(len(rtt) >= 4 * (t_cut - 1) and max(rtt) < 1.5,
          f"control replies kept coming: {len(rtt)} stats answered, slowest {max(rtt) * 1000:.0f} ms, "
          f"{len(ev['stats_pending'])} unanswered at the end")
    # Audio: everything sent (but the last second) reached the third member,
    # promptly, the frozen period (hold to cut) included.
    last = max(ev["audio_sent"].values()) - 1.0
    sent = {q: t for q, t in ev["audio_sent"].items() if t <= last}
    got = reader.audio
    missing = [q for q in sent if q not in got]
    lat = [got[q] - sent[q] for q in sent if q in got]
    frozen = [q for q, t in sent.items() if hold0 <= t <= reader.left[0]]
    check(not missing and len(frozen) >= 100,
          f"every audio frame reached the third member ({len(sent)} sent, {len(missing)} missing, "
          f"{len(frozen)} of them while the sender's data was held)")
    check(max(lat) < 1.5, f"...promptly (slowest {max(lat) * 1000:.0f} ms, median "
                           f"{sorted(lat)[len(lat) // 2] * 1000:.0f} ms)")
    return t_cut, hold0


def t_frozen_receiver():
    s, ev, reader, keep, slots = frozen_scene("flow-frozen", honour_hold=True)
    try:
        t_cut, hold0 = common_checks(s, ev, reader, keep, slots)
        check(not ev["violations"] and not ev["errors"], f"no error for the sender ({ev['errors']})")
        check(ev["data_sent_held"] == 0, "the sender sent no data while held")
        intact = all(reader.data.get(i) == data_payload(i) for i in range(DATA_FRAMES))
        check(len(reader.data) == DATA_FRAMES and reader.data_order_ok and intact,
              f"all {DATA_FRAMES} data frames ({DATA_FRAMES * DATA_CHUNK} bytes) reached the third "
              f"member, in order, intact")
        st = ev.get("last_stats", {})
        check(st.get("frames_in", 0) >= DATA_FRAMES, f"the server accepted every data frame ({st})")
        print(f"  measured: hold {hold0 - ev['t_first_data']:.2f} s after the first data frame (after "
              f"{ev['last_before_hold'] + 1} frames), cut {t_cut:.1f} s after it, stats round trip max "
              f"{max(ev['stats_rtt']) * 1000:.0f} ms", flush=True)
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_hold_ignored():
    s, ev, reader, keep, slots = frozen_scene("flow-ignored", honour_hold=False)
    try:
        t_cut, hold0 = common_checks(s, ev, reader, keep, slots)
        v = ev["violations"]
        check(len(v) == 1 and v[0][1] is False and v[0][0] > hold0,
              f"a sender that ignores hold gets flow_violation, once, not fatal, after the hold ({v})")
        n = ev["data_n"]
        missing = [i for i in range(n) if i not in reader.data]
        check(missing and missing == list(range(missing[0], missing[-1] + 1)),
              f"the refused data frames ({missing[0] if missing else '-'} to "
              f"{missing[-1] if missing else '-'}) reached nobody; the others did, in order")
        # The allowance the hold stated: the 64 KiB frames after the one that
        # set off the hold, up to it, were accepted; the next one was refused.
        per = DATA_CHUNK + 16
        allowed = ev["holds"][0][2] // per
        k = ev["last_before_hold"]
        check(missing[0] - k - 1 in (allowed - 1, allowed),
              f"...the first refused came after the allowance: {missing[0] - k - 1} frames accepted "
              f"after the hold was noticed, {allowed} allowed")
        go_t = ev["gos"][0]
        after_go = [i for i, t in enumerate(ev["data_sent_at"]) if t > go_t]
        check(after_go and all(i in reader.data for i in after_go) and missing[-1] < after_go[0],
              f"after go its data is accepted again ({len(after_go)} frames)")
        check(all(reader.data[i] == data_payload(i) for i in reader.data) and reader.data_order_ok,
              "what was relayed is intact")
        print(f"  measured: hold after frame {k} (allowance {ev['holds'][0][2]} bytes), first refusal at "
              f"frame {missing[0]}, cut {t_cut:.1f} s after the first data frame, {len(missing)} data "
              f"frames refused", flush=True)
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def slow_receiver(name, queue_kib, size, mss, expect_holds):
    """The real clients: the consultant sends a file of size bytes to the
    beneficiary, who reads through a tap throttled to 1 Mbit/s (its TCP
    segments clamped to mss, or loopback's when None). Checks that the file
    arrives intact at that rate, that nobody is cut (neither too_slow nor
    lost), that the consultant never goes past its allowance, and that it
    paused on hold and resumed on go (expect_holds) or was never held."""
    from tap import Tap
    tmp = tmpdir(name)
    server = Server(tmp, ["--queue-kib", str(queue_kib)])
    tap = None
    ok = False
    try:
        tap = Tap(tmp, server.host, server.port, server.pin, s2c_bps=1_000_000, mss=mss)
        consultant, beneficiary = Client(tmp, "consultant"), Client(tmp, "beneficiary")
        consultant.enrol(server.enrol_link)
        link = consultant.create_bilan("Bilan " + name)
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", consultant.ok("bilan", "list").stdout)[-1]
        src = make_file(os.path.join(tmp, "dossier.bin"), size, seed=name)
        recv = os.path.join(tmp, "recv")
        os.makedirs(recv)
        stats = os.path.join(tmp, "consultant-stats.json")
        pb = beneficiary.spawn("join", tap.rewrite_link(link), "--headless", "--recv-dir", recv,
                               "--expect-files", "1", "--timeout", "120")
        pb.wait_line(r"^\[room\] joined bilan=")
        pa = consultant.spawn("join", bilan, "--headless", "--send-file", src, "--timeout", "120",
                              "--stats", stats)
        t0 = time.monotonic()
        try:
            pb.wait_line(rf"^\[file\] received name=dossier.bin bytes={size} sha256=ok", timeout=120)
        except TestFailure:
            raise TestFailure("the file did not arrive\n" + pa.dump() + pb.dump() + server.proc.dump())
        took = time.monotonic() - t0
        for p in (pa, pb):
            rc = p.wait_exit(timeout=120)
            if rc != 0:
                raise TestFailure(f"{p.name} exited {rc}\n" + p.dump())
        check(sha256_file(os.path.join(recv, "dossier.bin")) == sha256_file(src),
              f"the {size}-byte file reached the slow receiver intact, in {took:.1f} s")
        check(took >= size / 125_000 * 0.8, "...at about 1 Mbit/s (the throttle was real)")
        paused = [i for i, l in enumerate(pa.lines)
                  if re.match(r"^\[room\] sending paused: slot=\d receives slowly", l)]
        resumed = [i for i, l in enumerate(pa.lines) if l == "[room] sending resumed"]
        if expect_holds:
            # Holds and resumes alternate; the last hold may outlast the
            # sender, which leaves once the server has accepted all its frames.
            check(paused and len(resumed) in (len(paused), len(paused) - 1) and
                  all(p < r for p, r in zip(paused, resumed)) and
                  all(r < p for r, p in zip(resumed, paused[1:])),
                  f"the consultant's client paused on hold and resumed on go ({len(paused)} holds, "
                  f"{len(resumed)} resumes)")
        else:
            check(not paused, "the whole file fitted in the budget: no hold")
        check(not [l for l in pa.lines if l.startswith("[error]")],
              "the consultant's client never went past its allowance (no flow_violation)")
        with open(stats) as f:
            st = json.load(f)
        check(st["relay"]["flow_holds"] == len(paused), f"--stats counts the holds ({st['relay']})")
        errs = "\n".join(server.proc.err_lines)
        check("too_slow" not in errs and "took nothing" not in errs and "silent for" not in errs,
              "the slow but moving receiver was never cut (neither too_slow nor lost)")
        check(not tap.errors, f"tap relayed without error ({tap.errors})")
        if paused:
            sent = next(i for i, l in enumerate(pa.lines) if l.startswith("[file] sent name=dossier.bin"))
            print(f"  measured: {len(paused)} holds; the client had "
                  f"{'not yet' if paused[0] < sent else 'already'} handed the whole file to the network "
                  f"at the first hold", flush=True)
        ok = True
    finally:
        if tap:
            tap.close()
        server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)


def t_slow_receiver_client():
    """Budget 1 MiB and 3 MB to send: holds come. Segments clamped to 1400
    bytes, as on Ethernet."""
    slow_receiver("flow-slow", 1024, 3_000_000, MSS, expect_holds=True)


def t_slow_receiver_deep_buffers():
    """The default budget (4 MiB) takes the whole 2.5 MB file at once, and
    loopback's 64 KiB segments let the kernel buffer all of it on the way:
    20 s of backlog at 1 Mbit/s, so the pongs to both sides' pings come late.
    The receiver must still count as alive: on the server because its TCP
    keeps taking bytes, in the client because any message counts, not only
    pongs (PROTOCOL.md §1)."""
    slow_receiver("flow-deep", 4096, 2_500_000, None, expect_holds=False)


TESTS = {
    "frozen_receiver": t_frozen_receiver,
    "hold_ignored": t_hold_ignored,
    "slow_receiver_client": t_slow_receiver_client,
    "slow_receiver_deep_buffers": t_slow_receiver_deep_buffers,
}

if __name__ == "__main__":
    run_tests(TESTS)
