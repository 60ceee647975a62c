#!/usr/bin/env python3
"""test_rooms.py: end-to-end scenarios of the secure rooms issue, with the real
bilan-server and real bilan clients on loopback over TLS 1.3, temporary data
folders and real SQLite files.

Run one scenario: test_rooms.py NAME; all: test_rooms.py.
"""
import os
import re
import shutil
import signal
import sqlite3
import ssl
import subprocess
import urllib.request

from harness import (Client, RawWs, Server, TestFailure, WsClosed, check, frame, make_file,
                     raw_auth, raw_enrol, run_tests, sha256_file, tmpdir, Device, link_token)


class Scene:
    """A server, an enrolled consultant and a bilan with its invite link."""

    def __init__(self, name, server_args=()):
        self.tmp = tmpdir(name)
        self.server = Server(self.tmp, server_args)
        if not self.server.enrol_link:
            raise TestFailure("dev server printed no consultant enrolment link\n" + self.server.proc.dump())
        self.consultant = Client(self.tmp, "consultant")
        self.consultant.enrol(self.server.enrol_link)
        self.link = self.consultant.create_bilan("Bilan test " + name)
        self.bilan = self.bilan_id(self.consultant)

    def bilan_id(self, client):
        r = client.ok("bilan", "list")
        ids = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", r.stdout)
        if not ids:
            raise TestFailure("bilan list shows no bilan id:\n" + r.stdout)
        return ids[-1]

    def close(self, ok=True):
        rc = self.server.stop()
        if ok and os.environ.get("BILAN_KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


def exchange(scene, beneficiary, tag, size_a=300_000, size_b=2_500_000):
    """Consultant and beneficiary join, each sends a file and a chat line, each
    must receive the other's. Returns the two finished processes."""
    tmp = scene.tmp
    fa = make_file(os.path.join(tmp, f"from-consultant-{tag}.bin"), size_a, seed=tag + "a")
    fb = make_file(os.path.join(tmp, f"from-beneficiary-{tag}.bin"), size_b, seed=tag + "b")
    ra, rb = os.path.join(tmp, f"recv-consultant-{tag}"), os.path.join(tmp, f"recv-beneficiary-{tag}")
    os.makedirs(ra, exist_ok=True)
    os.makedirs(rb, exist_ok=True)
    common = ["--headless", "--expect-files", "1", "--expect-chat", "1", "--timeout", "60"]
    pa = scene.consultant.spawn("join", scene.bilan, "--send-file", fa, "--recv-dir", ra,
                                "--say", f"bonjour {tag} from consultant", *common)
    pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
    pb = beneficiary.spawn("join", scene.link if tag == "first" else scene.bilan, "--send-file", fb,
                           "--recv-dir", rb, "--say", f"bonjour {tag} from beneficiary", *common)
    pb.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary members=2")
    pb.wait_line(r"^\[room\] member slot=\d role=consultant device=[0-9a-f]{16}")
    pa.wait_line(r"^\[room\] \+ slot=\d role=beneficiary device=[0-9a-f]{16}")
    for p in (pa, pb):
        rc = p.wait_exit()
        if rc != 0:
            raise TestFailure(f"{p.name} exited {rc}\n" + p.dump())
    check(pa.count(rf"^\[chat\] slot=\d: bonjour {tag} from beneficiary$") == 1,
          f"consultant got the beneficiary's chat line ({tag})")
    check(pb.count(rf"^\[chat\] slot=\d: bonjour {tag} from consultant$") == 1,
          f"beneficiary got the consultant's chat line ({tag})")
    got_a = os.path.join(ra, os.path.basename(fb))
    got_b = os.path.join(rb, os.path.basename(fa))
    check(os.path.exists(got_a) and sha256_file(got_a) == sha256_file(fb),
          f"consultant received the beneficiary's {size_b}-byte file intact ({tag})")
    check(os.path.exists(got_b) and sha256_file(got_b) == sha256_file(fa),
          f"beneficiary received the consultant's {size_a}-byte file intact ({tag})")
    check(pa.count(r"^\[file\] received name=\S+ bytes=\d+ sha256=ok") == 1, "consultant reported the file")
    return pa, pb


def t_enrol_create_join_exchange():
    s = Scene("exchange")
    try:
        ben = Client(s.tmp, "beneficiary")
        exchange(s, ben, "first")
        # The invite secret is in the fragment; the server must never have seen it.
        secret = s.link.split("#", 1)[1].split(".")[0]
        with open(s.server.db(), "rb") as f:
            db = f.read()
        wal = s.server.db() + "-wal"
        if os.path.exists(wal):
            with open(wal, "rb") as f:
                db += f.read()
        check(secret.encode() not in db, "invite secret (link fragment) is not in the server database")
        token = s.link.split("/j/", 1)[1].split("#")[0]
        check(token.encode() not in db, "invite token is stored only as a hash")
        r = ben.ok("identity", "show")
        check(re.search(r"[0-9a-f]{4}( [0-9a-f]{4}){7}", r.stdout) is not None, "identity show prints a fingerprint")
        mode = os.stat(ben.data).st_mode & 0o777
        check(mode & 0o077 == 0, f"client data folder is private (mode {oct(mode)})")
        check(s.close() == 0, "server exits 0 on SIGTERM")
    except Exception:
        s.close(ok=False)
        raise


def t_reconnect():
    s = Scene("reconnect")
    try:
        ben = Client(s.tmp, "beneficiary")
        exchange(s, ben, "first", size_a=10_000, size_b=10_000)
        # Second meeting: the beneficiary authenticates with its key (the invite is spent).
        exchange(s, ben, "second", size_a=50_000, size_b=50_000)
        # A client killed without a goodbye comes back at once: the new
        # connection replaces the stale one instead of waiting 15 s.
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "60", "--expect-members", "99")
        pa.wait_line(r"^\[room\] joined")
        pb = ben.spawn("join", s.bilan, "--headless", "--timeout", "60", "--expect-members", "99")
        pb.wait_line(r"^\[room\] joined")
        n = pa.wait_line(r"^\[room\] \+ slot=(\d) role=beneficiary")
        pb.p.kill()
        pb.wait_exit()
        pb2 = ben.spawn("join", s.bilan, "--headless", "--timeout", "60", "--say", "je suis revenu",
                        "--expect-members", "99")
        pb2.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary")
        pa.wait_line(r"^\[chat\] slot=\d: je suis revenu$")
        check(True, "a killed client rejoins and talks again without waiting for the liveness timeout")
        for p in (pa, pb2):
            p.signal(signal.SIGINT)
            check(p.wait_exit() == 0, f"{p.name} leaves cleanly on SIGINT")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_server_restart():
    """State survives a restart: same certificate, same devices, same bilan."""
    s = Scene("restart")
    try:
        ben = Client(s.tmp, "beneficiary")
        exchange(s, ben, "first", size_a=1000, size_b=1000)
        port, pin = s.server.port, s.server.pin
        check(s.server.stop() == 0, "server stops cleanly on SIGTERM")
        s.server.start(port=port)
        check(s.server.pin == pin, "the restarted server keeps its certificate")
        check(s.server.enrol_link is None, "no new consultant token is printed on a second start")
        exchange(s, ben, "second", size_a=2000, size_b=2000)
        con = sqlite3.connect(s.server.db())
        jm = con.execute("PRAGMA journal_mode").fetchone()[0]
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        check(jm == "wal" and ok == "ok", "server database is in WAL mode and intact")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_invite_refusals():
    s = Scene("refusals")
    try:
        ben = Client(s.tmp, "beneficiary")
        r = ben.run("join", s.link, "--headless", "--duration", "1")
        check(r.returncode == 0, "the beneficiary redeems the invite")
        third = Client(s.tmp, "intruder")
        r = third.run("join", s.link, "--headless", "--duration", "1")
        check(r.returncode == 2 and "token_used" in (r.stdout + r.stderr),
              "a third device with the same (used) invite is refused with token_used")
        # A device with no invite at all cannot join by bilan id.
        r = third.run("join", s.bilan, "--headless", "--duration", "1")
        check(r.returncode != 0, "a device without an invite cannot join the bilan")
        # An expired invite.
        link2 = s.consultant.ok("bilan", "invite", s.bilan).stdout
        link2 = re.search(r"^(https://\S+/j/\S+)$", link2, re.M).group(1)
        con = sqlite3.connect(s.server.db(), timeout=30)
        with con:
            n = con.execute("UPDATE invites SET expires = 1000 WHERE used_by IS NULL").rowcount
        con.close()
        check(n >= 1, "test made the new invite expire in the server database")
        late = Client(s.tmp, "late")
        r = late.run("join", link2, "--headless", "--duration", "1")
        check(r.returncode == 2 and "token_expired" in (r.stdout + r.stderr),
              "an expired invite is refused with token_expired")
        # A made-up token.
        bogus = re.sub(r"/j/[A-Za-z0-9_-]{43}", "/j/" + "A" * 43, s.link)
        r = late.run("join", bogus, "--headless", "--duration", "1")
        check(r.returncode == 2 and "unknown_token" in (r.stdout + r.stderr),
              "an unknown invite token is refused with unknown_token")
        r = late.run("join", "https://nonsense", "--headless")
        check(r.returncode == 1 and r.stderr.strip() != "", "a malformed link is a usage error with a message")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_room_full():
    s = Scene("full")
    try:
        procs = []
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "90", "--expect-members", "99")
        pa.wait_line(r"^\[room\] joined")
        procs.append(pa)
        for i in range(4):
            link = s.link if i == 0 else re.search(
                r"^(https://\S+/j/\S+)$", s.consultant.ok("bilan", "invite", s.bilan).stdout, re.M).group(1)
            c = Client(s.tmp, f"ben{i}")
            p = c.spawn("join", link, "--headless", "--timeout", "90", "--expect-members", "99")
            if i < 3:
                p.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=beneficiary members=%d" % (i + 2))
                procs.append(p)
            else:
                rc = p.wait_exit()
                out = "\n".join(p.lines + p.err_lines)
                check(rc == 2 and "room_full" in out, "a fifth member is refused with room_full")
        check(pa.count(r"^\[room\] \+ slot=") == 3, "the consultant saw three members arrive")
        procs[1].signal(signal.SIGINT)
        procs[1].wait_exit()
        pa.wait_line(r"^\[room\] - slot=\d role=beneficiary reason=left")
        check(True, "the consultant saw a member leave")
        for p in procs:
            p.signal(signal.SIGINT)
            p.wait_exit()
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_hostile_input():
    """Garbage on one connection leaves the server and other rooms working."""
    s = Scene("hostile")
    try:
        ben = Client(s.tmp, "beneficiary")
        # A second, unrelated room keeps exchanging while the attack runs.
        host, port, pin = s.server.host, s.server.port, s.server.pin

        def attack():
            results = []
            ws = RawWs(host, port, pin)
            ws.send_bin(os.urandom(100))  # binary before hello: fatal (PROTOCOL.md §2.2)
            m = ws.recv_json()
            results.append(m.get("code") == "wrong_state" and m.get("fatal") is True)
            results.append(ws.expect_closed())
            ws.close()
            ws = RawWs(host, port, pin)
            ws.send_text("{not json")
            results.append(ws.recv_json().get("code") == "bad_json")
            ws.send_json({"type": "teleport", "ref": "t1"})
            m = ws.recv_json()
            results.append(m.get("code") == "unknown_type" and m.get("ref") == "t1")
            ws.send_json({"type": "hello"})
            results.append(ws.recv_json().get("code") == "missing_field")
            ws.send_json({"type": "join", "bilan": "b123"})
            results.append(ws.recv_json().get("code") == "wrong_state")
            ws.send_json({"type": "hello", "v": 1, "ref": 12})
            results.append(ws.recv_json().get("code") == "invalid_field")
            ws.send_text("[]")
            results.append(ws.recv_json().get("code") == "bad_json")
            ws.send_frame(0x1, b'{"type":"hello","v":1,"client":"\xff\xfe"}')  # invalid UTF-8
            results.append(ws.expect_closed() or True)
            ws.close()
            ws = RawWs(host, port, pin)
            ws.send_frame_head(0x1, 70000, b'{"type":"hello","v":1,"pad":"' + b"x" * 1000)
            m = ws.recv_json()
            results.append(m.get("code") == "too_large" and m.get("fatal") is True)
            results.append(ws.expect_closed())
            ws.close()
            ws = RawWs(host, port, pin)
            ws.send_json({"type": "hello", "v": 7})
            m = ws.recv_json()
            results.append(m.get("code") == "version_mismatch" and "1" in m.get("message", ""))
            results.append(ws.expect_closed())
            ws.close()
            ws = RawWs(host, port, pin)
            ws.send_frame_head(0x2, 2 * 1024 * 1024, os.urandom(1000))  # before auth: no binary at all
            m = ws.recv_json()
            results.append(m.get("code") == "wrong_state" and m.get("fatal") is True)
            results.append(ws.expect_closed())
            ws.close()
            # Raw bytes that are not WebSocket at all.
            ws = RawWs(host, port, pin)
            try:
                ws.send_raw(os.urandom(4096))
                ws.expect_closed()
            except (WsClosed, OSError):
                pass
            ws.close()
            # Random frames of every opcode.
            import random
            rnd = random.Random(7)
            for i in range(40):
                ws = RawWs(host, port, pin)
                try:
                    for _ in range(5):
                        ws.send_frame(rnd.choice([0, 1, 2, 3, 8, 9, 10, 15]),
                                      rnd.randbytes(rnd.randrange(0, 300)), fin=rnd.random() < 0.8)
                except OSError:
                    pass
                ws.close()
            return results

        res = attack()
        check(all(res), f"each bad input got its error code ({sum(res)}/{len(res)})")
        check(s.server.alive(), "the server survived the hostile inputs")
        exchange(s, ben, "first", size_a=100_000, size_b=100_000)
        check(True, "a room exchanges files and chat after the attack")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        body = urllib.request.urlopen(f"https://{host}:{port}/healthz", context=ctx, timeout=30).read()
        check(body.strip() == b"ok", "healthz answers ok")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_auth_rate_limit_and_tls():
    s = Scene("ratelimit", server_args=["--auth-failures", "5"])
    try:
        host, port, pin = s.server.host, s.server.port, s.server.pin
        # TLS 1.2 is refused.
        try:
            ws = RawWs(host, port, tls_max=ssl.TLSVersion.TLSv1_2)
            ws.close()
            refused = False
        except (ssl.SSLError, OSError, WsClosed):
            refused = True
        check(refused, "a TLS 1.2 client is refused (TLS 1.3 only)")
        # A wrong subprotocol is refused.
        try:
            RawWs(host, port, subprotocol="chat")
            wrong_ok = False
        except (WsClosed, OSError):
            wrong_ok = True
        check(wrong_ok, "a connection without the bilan.v1 subprotocol is refused")
        # Bad signature by an enrolled-looking device, then unknown device.
        dev = Device()
        ws = RawWs(host, port, pin)
        from harness import raw_hello, b64u
        nonce = raw_hello(ws)
        ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(b"\0" * 64), "ref": "a1"})
        m = ws.recv_json()
        check(m.get("code") in ("unknown_device", "bad_signature") and m.get("ref") == "a1",
              f"auth of an unknown device is refused ({m.get('code')})")
        codes = []
        for i in range(6):
            nonce = raw_hello(ws)
            ws.send_json({"type": "enrol", "token": b64u(os.urandom(32)), "sign_pub": b64u(dev.sign_pub),
                          "dh_pub": b64u(dev.dh_pub), "sig": b64u(dev.enrol_sig(nonce, b"x" * 32))})
            m = ws.recv_json()
            codes.append(m.get("code"))
            if m.get("code") == "rate_limited":
                break
        check("bad_signature" in codes or "unknown_token" in codes, f"failed enrolments are refused: {codes}")
        check(codes[-1] == "rate_limited", f"after 5 failures the address is rate limited: {codes}")
        check(ws.expect_closed(), "rate_limited closes the connection")
        ws.close()
        ws = RawWs(host, port, pin)
        nonce = raw_hello(ws)
        ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(dev.auth_sig(nonce))})
        check(ws.recv_json().get("code") == "rate_limited", "a new connection from the same address is still limited")
        ws.close()
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_relay_rules():
    """Raw members check the relay: slot rewritten, header kept, bad frames refused,
    stats counted; a slow receiver loses video, never audio."""
    s = Scene("relay", server_args=["--queue-kib", "256"])
    try:
        host, port, pin = s.server.host, s.server.port, s.server.pin
        # Two raw devices redeem two invites of the bilan (each printed once the
        # one before is used: a reprint revokes the unused ones).
        devs, socks = [], []
        for i in range(2):
            link = s.link if i == 0 else re.search(
                r"^(https://\S+/j/\S+)$", s.consultant.ok("bilan", "invite", s.bilan).stdout, re.M).group(1)
            d = Device()
            ws = RawWs(host, port, pin)
            m = raw_enrol(ws, d, link_token(link))
            check(m.get("type") == "welcome" and m.get("role") == "beneficiary" and m.get("bilan") == s.bilan,
                  "raw device enrolled by invite; welcome names the bilan the invite opened")
            ws.send_json({"type": "join", "bilan": s.bilan, "ref": "j"})
            m = ws.recv_json()
            check(m.get("type") == "joined" and m.get("ref") == "j", "raw device joined")
            devs.append(d)
            socks.append((ws, m["slot"]))
        (a, sa), (b, sb) = socks
        payload = os.urandom(1000)
        f = frame(3, 42, payload, slot=3 if sa != 3 else 2, ts=7, cap=9)
        a.send_bin(f)
        while True:
            op, got = b.recv_frame()
            if op == 0x2:
                break
        check(got[3] == sa and got[:3] == f[:3] and got[4:] == f[4:],
              "the relay rewrote only the sender slot byte")
        a.send_bin(b"\x01\x05" + b"\0" * 20)
        m = a.recv_json()
        check(m.get("code") == "bad_frame", "a frame with an unknown kind is refused with bad_frame")
        a.send_bin(frame(1, 1, b"x", flags=1))
        check(a.recv_json().get("code") == "bad_frame", "a keyframe flag on audio is refused")
        a.send_json({"type": "stats", "ref": "s"})
        m = a.recv_json()
        check(m.get("type") == "stats" and m.get("frames_in") == 1, f"stats counts accepted frames: {m}")

        # Slow receiver: b stops reading; a floods video and audio.
        a.sock.settimeout(60)
        video = os.urandom(60_000)
        n_audio = 400
        for i in range(n_audio):
            a.send_bin(frame(2, i, video, flags=1 if i % 50 == 0 else 0))
            a.send_bin(frame(1, i, b"A" * 100))
        a.send_json({"type": "stats", "ref": "s2"})
        kf = 0
        while True:
            # media_report (PROTOCOL.md §4.3) comes too, at once when video
            # is dropped: only the stats reply says every frame was relayed.
            m = a.recv_json(skip=("member_joined", "member_left", "media_report"))
            if m.get("type") == "keyframe_request":
                kf += 1
                continue
            if m.get("type") == "stats" and m.get("ref") == "s2":
                break
            raise TestFailure(f"unexpected message while waiting for the stats reply: {m}")
        check(kf >= 1, f"the sender was asked for a keyframe after drops ({kf})")
        # Now b reads everything that was queued for it.
        audio = video_n = 0
        b.send_json({"type": "stats", "ref": "s3"})
        st = None
        while st is None:
            op, p = b.recv_frame()
            if op == 0x2:
                if p[1] == 1:
                    audio += 1
                elif p[1] == 2:
                    video_n += 1
            else:
                import json as _j
                m = _j.loads(p)
                if m.get("type") == "stats" and m.get("ref") == "s3":
                    st = m
        # Frames after the stats reply may still be in flight: read until all audio arrived.
        while audio < n_audio:
            op, p = b.recv_frame()
            if op == 0x2 and p[1] == 1:
                audio += 1
            elif op == 0x2 and p[1] == 2:
                video_n += 1
        check(audio == n_audio, f"every audio frame reached the slow receiver ({audio}/{n_audio})")
        # Audio overtakes video in the queue (PROTOCOL.md §4): the video that
        # was kept follows. Every video frame was either delivered or dropped
        # (all drops happened before the stats reply s3).
        while video_n + st["dropped_video"] < n_audio:
            op, p = b.recv_frame(timeout=10)
            if op == 0x2 and p[1] == 2:
                video_n += 1
        check(st["dropped_video"] > 0 and video_n + st["dropped_video"] == n_audio,
              f"video was dropped for the slow receiver and counted ({st['dropped_video']} dropped, {video_n} delivered)")
        a.close()
        b.close()
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_landing_and_admin():
    s = Scene("admin")
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        url = f"https://{s.server.host}:{s.server.port}"
        tok = s.link.split("/j/")[1].split("#")[0]
        r = urllib.request.urlopen(f"{url}/j/{tok}", context=ctx, timeout=30)
        page = r.read().decode()
        check(r.status == 200 and "Ouvrir dans l'application Bilan" in page and "bilan open" in page
              and "lang=\"fr\"" in page, "the landing page explains in French how to join")
        check(tok not in page, "the landing page does not echo the token")
        try:
            urllib.request.urlopen(f"{url}/nope", context=ctx, timeout=30)
            nf = False
        except urllib.error.HTTPError as e:
            nf = e.code == 404
        check(nf, "unknown paths are 404")
        r = s.server.admin("consultant", "add", "Claire Martin")
        check(re.search(r"^\s*[A-Za-z0-9_-]{43}\s*$", r.stdout, re.M) is not None, "consultant add prints a token")
        r = s.server.admin("consultant", "add", "Claire Martin", check_rc=False)
        check(r.returncode != 0 and "already" in r.stderr.lower(), "a duplicate consultant name is refused clearly")
        r = s.server.admin("consultant", "list")
        check("Claire Martin" in r.stdout and "dev" in r.stdout, "consultant list shows both consultants")
        r = subprocess.run([os.environ.get("BILAN_SERVER", "bilan-server"), "--help"], capture_output=True, text=True)
        check(r.returncode == 0 and "serve" in r.stdout and "consultant" in r.stdout, "bilan-server --help")
        # Every command the main help lists has its own help.
        for cmd in ("serve", "consultant", "hours", "journal", "receipts"):
            check(f"\n  {cmd} " in r.stdout, f"bilan-server --help lists {cmd}")
            rc = subprocess.run([os.environ.get("BILAN_SERVER", "bilan-server"), cmd, "--help"],
                                capture_output=True, text=True)
            check(rc.returncode == 0 and rc.stdout.startswith(f"Usage: bilan-server {cmd}"),
                  f"bilan-server {cmd} --help")
        r = subprocess.run([os.environ.get("BILAN_SERVER", "bilan-server"), "frobnicate"], capture_output=True,
                           text=True)
        check(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, "an unknown command exits 2")
        r = subprocess.run([os.environ.get("BILAN_CLIENT", "bilan"), "--help"], capture_output=True, text=True)
        check(r.returncode == 0 and "join" in r.stdout and "enrol" in r.stdout, "bilan --help")
        for sub in (["join"], ["enrol"], ["identity", "show"], ["bilan", "create"]):
            r = subprocess.run([os.environ.get("BILAN_CLIENT", "bilan")] + sub + ["--help"],
                               capture_output=True, text=True)
            check(r.returncode == 0 and len(r.stdout) > 40, f"bilan {' '.join(sub)} --help")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_ca_trust_and_pin():
    """A production-style server (certificate from a CA, no --dev): the client
    trusts it through the CA store, refuses it without, and refuses a wrong pin."""
    tmp = tmpdir("ca")
    ok = False
    server = None
    try:
        def ossl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp)
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Bilan Test CA")
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
        with open(os.path.join(tmp, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
        data = os.path.join(tmp, "server-data")
        os.makedirs(data, mode=0o700)
        argv = [os.environ.get("BILAN_SERVER", "bilan-server"), "serve", "--data", data,
                "--listen", "127.0.0.1:0", "--cert", os.path.join(tmp, "srv.pem"),
                "--key", os.path.join(tmp, "srv.key")]
        from harness import Proc
        server = Proc(argv, name="bilan-server")
        m = server.wait_line(Server.READY)
        port = int(m.group(2))
        r = subprocess.run([os.environ.get("BILAN_SERVER", "bilan-server"), "consultant", "add", "Camille",
                            "--data", data], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "consultant add works on a production server's database")
        # The token is printed alone on its line (it may start or end with - or _).
        # It goes after "--" below: one token in 64 starts with '-', which the
        # client would otherwise read as an option.
        token = re.findall(r"^\s*([A-Za-z0-9_-]{43})\s*$", r.stdout, re.M)[0]
        c = Client(tmp, "camille")
        env_no_ca = dict(os.environ, SSL_CERT_FILE="/nonexistent")
        rr = subprocess.run(c.argv("enrol", "--server", f"localhost:{port}", "--", token), capture_output=True,
                            text=True, timeout=60, env=env_no_ca)
        check(rr.returncode == 3, f"without the CA the client refuses the certificate (exit {rr.returncode}: "
              f"{rr.stdout.strip()} {rr.stderr.strip()})")
        wrong_pin = "A" * 43
        rr = c.run("enrol", "--server", f"localhost:{port}", "--pin", wrong_pin, "--", token)
        check(rr.returncode == 3 and "certificat du serveur a changé" in rr.stderr + rr.stdout,
              f"a wrong pin is refused as a possible interception (exit {rr.returncode}: "
              f"{rr.stdout.strip()} {rr.stderr.strip()})")
        env_ca = dict(os.environ, SSL_CERT_FILE=os.path.join(tmp, "ca.pem"))
        rr = subprocess.run(c.argv("enrol", "--server", f"localhost:{port}", "--", token), capture_output=True,
                            text=True, timeout=60, env=env_ca)
        check(rr.returncode == 0 and "consultant" in rr.stdout,
              "with the CA in the trust store the consultant enrols by bare token"
              + ("" if rr.returncode == 0 else f" (exit {rr.returncode}: {rr.stdout} {rr.stderr})"))
        rr = subprocess.run(c.argv("bilan", "create", "--label", "CA test"), capture_output=True, text=True,
                            timeout=60, env=env_ca)
        check(rr.returncode == 0 and re.search(r"^https://localhost:%d/j/[A-Za-z0-9_-]{43}#[A-Za-z0-9_-]{43}$" % port,
                                               rr.stdout, re.M) is not None,
              f"a CA-trusted server gives invite links without a pin (exit {rr.returncode}: "
              f"{rr.stdout.strip()} {rr.stderr.strip()})")
        server.signal(signal.SIGTERM)
        check(server.wait_exit() == 0, "server exits 0")
        ok = True
    finally:
        if server and server.p.poll() is None:
            server.p.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = {
    "exchange": t_enrol_create_join_exchange,
    "reconnect": t_reconnect,
    "server_restart": t_server_restart,
    "invite_refusals": t_invite_refusals,
    "room_full": t_room_full,
    "hostile_input": t_hostile_input,
    "rate_limit_tls": t_auth_rate_limit_and_tls,
    "relay_rules": t_relay_rules,
    "landing_admin": t_landing_and_admin,
    "ca_trust_pin": t_ca_trust_and_pin,
}

if __name__ == "__main__":
    run_tests(TESTS)
