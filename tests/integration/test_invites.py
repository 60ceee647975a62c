#!/usr/bin/env python3
"""test_invites.py: invites and certificates as a new user meets them (issue 7),
with the real bilan-server and real bilan clients on loopback over TLS 1.3.

- reprint_other_device: a consultant reprints the invite from a second device
  (another secret); the device that does not know that secret falls back to
  the spoken code, never "possible interception", and /oui works; the earlier
  unused link is refused as replaced.
- reprint_revokes: every reprint revokes the earlier unused links
  (token_revoked, counted by the rate limiter) and draws a fresh secret; an
  invite merely past its expiry is still token_expired.
- second_device_warning: a second beneficiary device in a bilan is a loud
  warning on the consultant's screen (arrival and roster).
- ca_renewal: a server with a CA certificate: links carry no pin; a renewal
  with a new key keeps every device working, even one that had pinned the old
  certificate; a CA certificate for another host name is refused.
- self_signed_changed: a self-signed server whose certificate changed gives a
  plain message saying what to do, and doing it works.
- wildcard_listen: --listen 0.0.0.0 / [::] without --public never prints an
  https://0.0.0.0 link and says to set --public; --public 0.0.0.0 is refused.
- readme_unit: the systemd unit of README.md, run as written (paths and port
  swapped for test ones), prints enrolment links on the public name, no pin.

Run one scenario: test_invites.py NAME; all: test_invites.py.
"""
import hashlib
import os
import re
import shlex
import shutil
import signal
import sqlite3
import ssl
import subprocess

from harness import (DEADLINE, Client, Proc, Server, TestFailure, b64u, check, link_token, run_tests, tmpdir,
                     unb64u)
from test_e2e import CODE
from test_rooms import Scene

SERVER_BIN = os.environ.get("BILAN_SERVER", "bilan-server")
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
INVITE = r"^(https://\S+/j/\S+)$"


def invite(client, bilan, *extra):
    r = client.ok("bilan", "invite", bilan, *extra)
    m = re.search(INVITE, r.stdout, re.M)
    if not m:
        raise TestFailure("bilan invite printed no link:\n" + r.stdout + r.stderr)
    return m.group(1)


def secret_of(link):
    return link.split("#", 1)[1].split(".")[0]


def out_of(r):
    return r.stdout + r.stderr


def killall(*procs):
    for p in procs:
        if p:
            p.kill()


# ---------------------------------------------------------------- reprint


def t_reprint_other_device():
    s = Scene("reprint")
    pa = pb = pc = None
    try:
        # A second device of the same consultant, enrolled by the administrator.
        r = s.server.admin("consultant", "token", "dev")
        c2 = Client(s.tmp, "consultant2")
        c2.enrol(re.search(r"(https://\S+/e/\S+)", r.stdout).group(1))
        link2 = invite(c2, s.bilan)
        check(secret_of(link2) != secret_of(s.link),
              "the second consultant device cannot know the first one's secret: another secret")

        # The beneficiary joins with the newer link; the first consultant
        # device (which knows only the first secret) is in the room.
        ben = Client(s.tmp, "beneficiary")
        pa = s.consultant.spawn("join", s.bilan, "--headless", stdin_pipe=True)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0 role=consultant")
        pb = ben.spawn("join", link2, "--headless", stdin_pipe=True)
        ma, mb = pa.wait_line(CODE), pb.wait_line(CODE)
        check(ma.group(1) == "1" and mb.group(1) == "0" and ma.group(2) == mb.group(2),
              f"both show the same code ({ma.group(2)} / {mb.group(2)})")
        pa.wait_line(r"^\[e2e\] slot=1 not authenticated: .*/oui 1")
        pb.wait_line(r"^\[e2e\] slot=0 not authenticated: .*/oui 0")
        check(True, "a device that does not know the other's invite secret waits for the spoken code")
        check(pa.count(r"interception|refused") == 0 and pb.count(r"interception|refused") == 0,
              "no 'possible interception', no refused pair, on either side")
        pa.send_line("/oui")
        pa.wait_line(r"^\[e2e\] slot=1 verified$")
        pb.send_line("/oui")
        pb.wait_line(r"^\[e2e\] slot=0 verified$")
        check(True, "/oui confirms the code on both sides")
        pa.send_line("bonjour depuis le premier appareil")
        pb.wait_line(r"^\[chat\] slot=0: bonjour depuis le premier appareil$")
        pb.send_line("bien reçu")
        pa.wait_line(r"^\[chat\] slot=1: bien reçu$")
        check(True, "then chat lines flow both ways, encrypted")

        # The device that made the newer link knows its secret: the invite
        # authenticates it to the beneficiary (and back) at once.
        pc = c2.spawn("join", s.bilan, "--headless", "--confirm-sas", "--duration", "30")
        pc.wait_line(r"^\[e2e\] slot=1 authenticated by=invite$")
        pb.wait_line(r"^\[e2e\] slot=2 authenticated by=invite$")
        check(True, "the consultant device that printed the link and the beneficiary: by=invite")
        pa.wait_line(r"^\[e2e\] slot=2 code=")
        check(pa.count(r"interception|refused") == 0 and pc.count(r"interception|refused") == 0,
              "two consultant devices with different secrets: no alarm either")
        pc.signal(signal.SIGINT)
        pc.wait_exit()
        pa.send_line("/quitter")
        check(pa.wait_exit() == 0, "the consultant leaves with /quitter")
        pb.send_line("/quitter")
        check(pb.wait_exit() == 0, "the beneficiary leaves with /quitter")
        check(all(p.count(r"interception|refused") == 0 for p in (pa, pb, pc)),
              "in the whole visit, no alarm and no refused pair on any device")
        check(pa.count(r"^\[e2e\] slot=1: cet appareil est venu avec une autre invitation") == 1 and
              pb.count(r"^\[e2e\] slot=0: cet appareil est venu avec une autre invitation") == 1,
              "each side says plainly that the other came with another invite")

        # The earlier, never used link was revoked by the reprint.
        stranger = Client(s.tmp, "stranger")
        r = stranger.run("join", s.link, "--headless", "--duration", "1")
        check(r.returncode == 2 and "token_revoked" in out_of(r),
              f"the earlier unused link is refused with token_revoked (exit {r.returncode})")
        check("remplacé" in out_of(r) and "dernier lien" in out_of(r),
              "... saying in French that it was replaced and to ask for the latest link")
        r = c2.ok("bilan", "invite", "--help")
        check("same secret" not in r.stdout, "bilan invite --help no longer promises the same secret")
        check(s.close() == 0, "server exits 0")
    except Exception:
        killall(pa, pb, pc)
        s.close(ok=False)
        raise


def t_reprint_revokes():
    s = Scene("revoke", ("--auth-failures", "4"))
    try:
        link2 = invite(s.consultant, s.bilan)
        link3 = invite(s.consultant, s.bilan)
        ben = Client(s.tmp, "beneficiary")
        r = ben.run("join", link3, "--headless", "--duration", "1")
        check(r.returncode == 0, "the latest link works")
        r = ben.run("join", link3, "--headless", "--duration", "1")
        check(r.returncode == 0, "... and again for the device that redeemed it")
        # An invite past its expiry, with no newer one: still token_expired.
        link4 = invite(s.consultant, s.bilan)
        # The consultant's device keeps every secret it drew: the beneficiary,
        # who joined with the third link, is still authenticated by it after a
        # fourth was printed.
        common = ["--headless", "--expect-chat", "1", "--timeout", "60"]
        pa = s.consultant.spawn("join", s.bilan, "--say", "c", *common)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0 role=consultant")
        pb = ben.spawn("join", s.bilan, "--say", "b", *common)
        check(pa.wait_exit() == 0 and pb.wait_exit() == 0, "consultant and beneficiary meet")
        check(pa.count(r"^\[e2e\] slot=1 authenticated by=invite$") == 1 and
              pb.count(r"^\[e2e\] slot=0 authenticated by=invite$") == 1,
              "an earlier link's secret still authenticates both sides after a reprint")
        con = sqlite3.connect(s.server.db(), timeout=30)
        with con:
            n = con.execute("UPDATE invites SET expires = 1000 WHERE used_by IS NULL AND "
                            "token_hash = ?", (hashlib.sha256(link_token(link4)).digest(),)).rowcount
        con.close()
        check(n == 1, "test made the newest invite expire")
        late = Client(s.tmp, "late")
        r = late.run("join", link4, "--headless", "--duration", "1")
        check(r.returncode == 2 and "token_expired" in out_of(r) and "token_revoked" not in out_of(r),
              "an invite merely past its expiry is token_expired")
        stranger = Client(s.tmp, "stranger")
        for i, old in enumerate((s.link, link2, s.link)):
            r = stranger.run("join", old, "--headless", "--duration", "1")
            check(r.returncode == 2 and "token_revoked" in out_of(r),
                  f"a replaced link is refused with token_revoked ({i + 1})")
        r = stranger.run("join", s.link, "--headless", "--duration", "1")
        check(r.returncode == 2 and "rate_limited" in out_of(r),
              "replaced links count as failed attempts: the fifth is rate_limited")
        check(len({secret_of(s.link), secret_of(link2), secret_of(link3), secret_of(link4)}) == 4,
              "each invite has a fresh secret")
        check(s.close() == 0, "server exits 0")
    except Exception:
        s.close(ok=False)
        raise


# ---------------------------------------------------------------- second device


WARN = r"^\[room\] ATTENTION slot={} beneficiary_devices=\d+ device=\S+: second beneficiary device"


def t_second_device_warning():
    s = Scene("second-device")
    procs = []
    try:
        stay = ["--headless", "--timeout", "90", "--expect-members", "99"]
        pa = s.consultant.spawn("join", s.bilan, *stay)
        procs.append(pa)
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=0 role=consultant")
        b1 = Client(s.tmp, "ben1")
        p1 = b1.spawn("join", s.link, *stay)
        procs.append(p1)
        pa.wait_line(r"^\[room\] \+ slot=1 role=beneficiary")
        link2 = invite(s.consultant, s.bilan)
        b2 = Client(s.tmp, "ben2")
        p2 = b2.spawn("join", link2, *stay)
        procs.append(p2)
        pa.wait_line(r"^\[room\] \+ slot=2 role=beneficiary")
        pa.wait_line(WARN.format(2))
        check(True, "a second beneficiary device arriving is a loud warning for the consultant")
        check(pa.count(WARN.format(1)) == 0, "the first beneficiary device alone raised no warning")
        p1.wait_line(r"^\[room\] ATTENTION slot=2 beneficiary_devices=\d+: another device")
        check(True, "the first beneficiary device is told too")
        # The consultant comes back: the roster flags both devices.
        pa.signal(signal.SIGINT)
        pa.wait_exit()
        pa2 = s.consultant.spawn("join", s.bilan, *stay)
        procs.append(pa2)
        pa2.wait_line(WARN.format(1))
        pa2.wait_line(WARN.format(2))
        check(True, "on joining, the consultant is warned about both beneficiary devices")
        for p in procs:
            p.signal(signal.SIGINT)
            p.wait_exit()
        check(s.close() == 0, "server exits 0")
    except Exception:
        killall(*procs)
        s.close(ok=False)
        raise


# ---------------------------------------------------------------- certificates


class Pki:
    """A test CA made at test time, and server certificates it signs."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Bilan Test CA")
        self.ca = os.path.join(tmp, "ca.pem")
        self.env = dict(os.environ, SSL_CERT_FILE=self.ca, SSL_CERT_DIR="/nonexistent")

    def ossl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.tmp)

    def issue(self, name, cn, san):
        """A new key and a certificate for it; returns (cert path, key path, pin)."""
        self.ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        with open(os.path.join(self.tmp, f"{name}.cnf"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        self.ossl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                  "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.cnf")
        with open(os.path.join(self.tmp, f"{name}.pem")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return (os.path.join(self.tmp, f"{name}.pem"), os.path.join(self.tmp, f"{name}.key"),
                b64u(hashlib.sha256(der).digest()))


def serve(data, cert, key, env, port=0, extra=()):
    argv = [SERVER_BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{port}", "--cert", cert,
            "--key", key, *extra]
    p = Proc(argv, env=env, name="bilan-server")
    m = p.wait_line(Server.READY)
    return p, int(m.group(2))


def admin(data, env, *args):
    r = subprocess.run([SERVER_BIN, *args, "--data", data], capture_output=True, text=True,
                       timeout=DEADLINE, env=env)
    if r.returncode != 0:
        raise TestFailure(f"bilan-server {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def crun(client, env, *args):
    return subprocess.run(client.argv(*args), capture_output=True, text=True, timeout=DEADLINE,
                          env=env, stdin=subprocess.DEVNULL)


def stored_pin(client, value):
    """Writes (or clears) the pin client.db keeps for its server."""
    con = sqlite3.connect(os.path.join(client.data, "client.db"), timeout=30)
    with con:
        con.execute("UPDATE servers SET pin = ?", (value,))
    con.close()


def read_pins(client):
    con = sqlite3.connect(os.path.join(client.data, "client.db"), timeout=30)
    pins = [row[0] for row in con.execute("SELECT pin FROM servers")]
    con.close()
    return pins


def stop(p):
    p.signal(signal.SIGTERM)
    return p.wait_exit()


def t_ca_renewal():
    tmp = tmpdir("ca-renewal")
    server = None
    ok = False
    try:
        pki = Pki(tmp)
        env = pki.env
        cert1, key1, pin1 = pki.issue("srv1", "localhost", "DNS:localhost,IP:127.0.0.1")
        data = os.path.join(tmp, "server-data")
        os.makedirs(data, mode=0o700)
        server, port = serve(data, cert1, key1, env)
        r = admin(data, env, "consultant", "add", "Camille")
        link = re.search(r"(https://\S+/e/\S+)", r.stdout)
        check(link is not None and "#" not in link.group(1),
              f"a CA-trusted server prints enrolment links without a pin ({link and link.group(1)})")
        cons = Client(tmp, "camille")
        r = crun(cons, env, "enrol", link.group(1))
        check(r.returncode == 0, f"the consultant enrols by CA trust (exit {r.returncode}: {out_of(r)})")
        r = crun(cons, env, "bilan", "create", "--label", "CA renewal")
        m = re.search(INVITE, r.stdout, re.M)
        check(r.returncode == 0 and m and "." not in secret_of(m.group(1)) and
              m.group(1).split("#", 1)[1] == secret_of(m.group(1)),
              f"an invite made on a CA-trusted server carries no pin ({m and m.group(1)})")
        ben = Client(tmp, "beneficiary")
        r = crun(ben, env, "join", m.group(1), "--headless", "--duration", "1")
        check(r.returncode == 0, f"the beneficiary joins by CA trust (exit {r.returncode}: {out_of(r)})")
        bilan = re.search(r"bilan=(\S+)", crun(cons, env, "bilan", "list").stdout).group(1)
        # A consultant device enrolled with an explicit pin, and devices whose
        # store still holds a pin (an older link): the CA is what counts.
        r = admin(data, env, "consultant", "token", "Camille")
        tok = re.findall(r"^\s*([A-Za-z0-9_-]{43})\s*$", r.stdout, re.M)[0]
        cons2 = Client(tmp, "camille2")
        r = crun(cons2, env, "enrol", tok, "--server", f"127.0.0.1:{port}", "--pin", pin1)
        check(r.returncode == 0, "enrolment with an explicit pin on a CA-trusted server works")
        check(read_pins(cons2) == [None], "a CA-trusted server is never pinned, even when a pin was given")
        for c in (cons, ben):
            stored_pin(c, unb64u(pin1))

        # Renewal: same CA, same names, a NEW key (certbot's default).
        check(stop(server) == 0, "server exits 0")
        cert2, key2, pin2 = pki.issue("srv2", "localhost", "DNS:localhost,IP:127.0.0.1")
        check(pin2 != pin1, "the renewed certificate has another pin")
        server, port2 = serve(data, cert2, key2, env, port=port)
        r = crun(cons, env, "bilan", "list")
        check(r.returncode == 0, f"after the renewal the consultant still connects (exit {r.returncode}: "
              f"{out_of(r)})")
        r = crun(ben, env, "join", bilan, "--headless", "--duration", "1")
        check(r.returncode == 0 and "[room] joined" in r.stdout,
              f"after the renewal the beneficiary (which had pinned the old one) joins (exit {r.returncode}: "
              f"{out_of(r)})")
        check(read_pins(ben) == [None], "the stale pin was dropped once the CA vouched for the server")
        r = crun(cons2, env, "bilan", "list")
        check(r.returncode == 0, "the device enrolled with an explicit pin connects too")
        stored_pin(cons, unb64u(pin1))  # an old pin, still there when it prints an invite
        r = crun(cons, env, "bilan", "invite", bilan)
        m = re.search(INVITE, r.stdout, re.M)
        check(r.returncode == 0 and m and m.group(1).split("#", 1)[1] == secret_of(m.group(1)),
              "a new invite after the renewal carries no pin, even from a device with an old pin")

        # A certificate from the same CA for another host name: refused, with
        # or without a (stale) pin.
        check(stop(server) == 0, "server exits 0")
        cert3, key3, pin3 = pki.issue("srv3", "other.example", "DNS:other.example")
        server, _ = serve(data, cert3, key3, env, port=port)
        r = admin(data, env, "consultant", "token", "Camille")
        m = re.search(r"(https://\S+/e/\S+)", r.stdout)
        check(m and m.group(1).endswith("#" + pin3),
              "a CA certificate that does not name the links' host: links carry its pin")
        stored_pin(ben, unb64u(pin1))
        for c, what in ((cons, "without a pin"), (ben, "with a stale pin")):
            r = crun(c, env, "bilan", "list")
            check(r.returncode == 3, f"a CA certificate for another host name is refused {what} "
                  f"(exit {r.returncode}: {out_of(r).strip()})")
        check(stop(server) == 0, "server exits 0")
        server = None
        ok = True
    finally:
        if server:
            server.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


def t_self_signed_changed():
    s = Scene("cert-changed")
    try:
        ben = Client(s.tmp, "beneficiary")
        r = ben.run("join", s.link, "--headless", "--duration", "1")
        check(r.returncode == 0, "the beneficiary joins the self-signed (dev) server by its pin")
        old_pin, port = s.server.pin, s.server.port
        check(s.server.stop() == 0, "server exits 0")
        for f in ("cert.pem", "key.pem"):
            os.unlink(os.path.join(s.server.data, f))
        s.server.start(port=port)
        check(s.server.pin != old_pin, "the restarted server made another self-signed certificate")
        r = ben.run("join", s.bilan, "--headless", "--duration", "1")
        out = out_of(r)
        check(r.returncode == 3, f"the changed certificate is refused (exit {r.returncode})")
        check("certificat du serveur a changé" in out and "Rien n'a été envoyé" in out and
              "nouveau lien" in out, "... in plain French, saying nothing was sent and to ask for a new link:\n"
              + out)
        # Doing what it says works: the administrator's new enrolment link for
        # the consultant, the consultant's new invite for the beneficiary.
        r = s.server.admin("consultant", "token", "dev")
        s.consultant.enrol(re.search(r"(https://\S+/e/\S+)", r.stdout).group(1))
        link2 = invite(s.consultant, s.bilan)
        check(link2.endswith("." + s.server.pin), "the new invite carries the new pin")
        r = ben.run("join", link2, "--headless", "--duration", "1")
        check(r.returncode == 0 and "[room] joined" in r.stdout,
              f"with the new link the beneficiary's device joins again (exit {r.returncode}: {out_of(r)})")
        r = ben.run("join", s.bilan, "--headless", "--duration", "1")
        check(r.returncode == 0, "and later by the bilan id alone")
        check(s.close() == 0, "server exits 0")
    except Exception:
        s.close(ok=False)
        raise


# ---------------------------------------------------------------- links and --public


def t_wildcard_listen():
    tmp = tmpdir("wildcard")
    server = None
    ok = False
    try:
        data = os.path.join(tmp, "server-data")
        argv = [SERVER_BIN, "serve", "--dev", "--data", data, "--listen", "0.0.0.0:0"]
        server = Proc(argv, name="bilan-server")
        m = server.wait_line(Server.READY)
        port = int(m.group(2))
        everything = "\n".join(server.lines + server.err_lines)
        check("https://0.0.0.0" not in everything, "the dev server prints no https://0.0.0.0 link")
        check("--public" in "\n".join(server.lines), "it says to set --public")
        check(re.search(r"^\s*[A-Za-z0-9_-]{43}\s*$|token[^\n]*[A-Za-z0-9_-]{43}", "\n".join(server.lines), re.M)
              is not None, "it prints the dev consultant's bare token instead")
        r = subprocess.run([SERVER_BIN, "consultant", "add", "Claire", "--data", data], capture_output=True,
                           text=True, timeout=DEADLINE)
        good = r.returncode == 0 and "https://" not in out_of(r) and "--public" in out_of(r)
        check(good, "consultant add prints no link and says to set --public" + ("" if good else ":\n" + out_of(r)))
        check(re.search(r"^\s*[A-Za-z0-9_-]{43}\s*$", r.stdout, re.M) is not None, "... but the bare token")
        check(stop(server) == 0, "server exits 0")
        # With --public, links name that host; a client can use them.
        server = Proc(argv[:-1] + [f"0.0.0.0:{port}", "--public", "127.0.0.1"], name="bilan-server")
        server.wait_line(Server.READY)
        r = subprocess.run([SERVER_BIN, "consultant", "token", "Claire", "--data", data],
                           capture_output=True, text=True, timeout=DEADLINE)
        m = re.search(r"(https://\S+/e/\S+)", r.stdout)
        check(m is not None and m.group(1).startswith(f"https://127.0.0.1:{port}/e/"),
              f"with --public the enrolment link names the public host ({m and m.group(1)})")
        c = Client(tmp, "claire")
        check(c.run("enrol", m.group(1)).returncode == 0, "and the client enrols with it")
        check(stop(server) == 0, "server exits 0")
        server = None
        for bad in ("0.0.0.0", "[::]:8443", "0.0.0.0:443"):
            r = subprocess.run([SERVER_BIN, "serve", "--dev", "--data", data, "--listen", "127.0.0.1:0",
                                "--public", bad], capture_output=True, text=True, timeout=DEADLINE)
            check(r.returncode == 2 and "--public" in r.stderr, f"--public {bad} is refused (exit {r.returncode})")
        # IPv6 wildcard, no --public: no https://[::] link either.
        data6 = os.path.join(tmp, "server-data6")
        server = Proc([SERVER_BIN, "serve", "--dev", "--data", data6, "--listen", "[::]:0"], name="bilan-server")
        server.wait_line(Server.READY)
        everything = "\n".join(server.lines + server.err_lines)
        check("https://[::]" not in everything and "https://" not in "\n".join(server.lines),
              "listening on [::] without --public prints no link")
        check(stop(server) == 0, "server exits 0")
        server = None
        ok = True
    finally:
        if server:
            server.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


def t_readme_unit():
    """The systemd unit of README.md, as written: only the port (443 needs
    privileges), the data folder and the certificate paths are swapped."""
    with open(README) as f:
        readme = f.read()
    unit = re.search(r"```ini\n(.*?)```", readme, re.S)
    check(unit is not None, "README has a systemd unit")
    text = re.sub(r"\\\n\s*", " ", unit.group(1))
    execstart = re.search(r"^\s*ExecStart=(.*)$", text, re.M).group(1)
    argv = shlex.split(execstart)
    check("--public" in argv, "the unit says which public name links use (--public)")
    tmp = tmpdir("readme")
    server = None
    ok = False
    try:
        pki = Pki(tmp)
        public = argv[argv.index("--public") + 1]
        host = re.match(r"^\[?([^\]]+?)\]?(:\d+)?$", public).group(1)
        cert, key, _ = pki.issue("live", host, f"DNS:{host}")
        data = os.path.join(tmp, "var-lib-bilan")
        os.makedirs(data, mode=0o700)
        swap = {"--data": data, "--cert": cert, "--key": key}
        run = [SERVER_BIN]
        i = 1
        while i < len(argv):
            a = argv[i]
            if a in swap:
                run += [a, swap[a]]
                i += 2
            elif a == "--listen":
                run += [a, re.sub(r":443$", ":0", argv[i + 1])]
                i += 2
            else:
                run.append(a)
                i += 1
        server = Proc(run, env=pki.env, name="bilan-server")
        server.wait_line(Server.READY)
        # README step 5, as written (sudo -u bilan left out).
        step5 = re.search(r"`sudo -u bilan (bilan-server consultant add NAME --data /var/lib/bilan)`", readme)
        check(step5 is not None, "README step 5 gives the consultant add command")
        args = shlex.split(step5.group(1).replace("NAME", "Claire").replace("/var/lib/bilan", data))
        r = subprocess.run([SERVER_BIN] + args[1:], capture_output=True, text=True, timeout=DEADLINE,
                           env=pki.env)
        m = re.search(r"(https://\S+/e/\S+)", r.stdout)
        check(r.returncode == 0 and m is not None,
              "consultant add prints an enrolment link" + ("" if m else ":\n" + out_of(r)))
        check(re.match(rf"^https://{re.escape(host)}:\d+/e/[A-Za-z0-9_-]{{43}}$", m.group(1)) is not None,
              f"the link names the public host and carries no pin ({m.group(1)})")
        check("0.0.0.0" not in out_of(r), "nothing names 0.0.0.0")
        check(stop(server) == 0, "server exits 0")
        server = None
        ok = True
    finally:
        if server:
            server.kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


TESTS = {
    "reprint_other_device": t_reprint_other_device,
    "reprint_revokes": t_reprint_revokes,
    "second_device_warning": t_second_device_warning,
    "ca_renewal": t_ca_renewal,
    "self_signed_changed": t_self_signed_changed,
    "wildcard_listen": t_wildcard_listen,
    "readme_unit": t_readme_unit,
}

if __name__ == "__main__":
    run_tests(TESTS)
