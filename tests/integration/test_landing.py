"""test_landing.py: the landing page of invite links, as a browser sees it
(issue 10, part 7), with the real bilan-server.

- browser: headless Chromium opens the invite link through a recording
  TLS proxy (what the server receives, byte for byte, in clear). The page's
  button "Ouvrir dans l'application Bilan" links to bilan: + the whole link,
  fragment included, and the command to copy is `bilan open '<link>'`; yet
  no byte the server received carries the fragment (the secret, the pin).
  A link edited to hold a shell command gets no button and no command.
  The page also offers "Rejoindre dans ce navigateur", a link to the browser
  client's page /w/<token>#<fragment> (invites only).
- download: with no package in DATA/downloads the page says to ask for it;
  with DATA/downloads/bilan_*.deb the page offers the download,
  /downloads/bilan.deb serves the newest one by version with its file name,
  and downloads cut short leave no file open in the server.

Chromium runs with --headless --dump-dom (the DOM after the page's script
ran; --virtual-time-budget lets its one HEAD request finish). Without
/usr/bin/chromium (or $BILAN_CHROMIUM) the scenarios report SKIP (77).

Run one scenario: test_landing.py NAME; all: test_landing.py.
"""
import html
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import CLIENT_BIN, DEADLINE, TestFailure, TestSkipped, check, run_tests
from test_rooms import Scene

CHROMIUM = os.environ.get("BILAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class Recorder:
    """A TLS-terminating TCP proxy in front of the server that keeps every
    byte the browser sends (after TLS), so a test can say what the server
    was told. HTTP/1.1 only (ALPN), so what it keeps is readable."""

    def __init__(self, tmp, host, port):
        self.target = (host, port)
        self.received = []          # bytes from the browser, in order
        self.lock = threading.Lock()
        key, crt = os.path.join(tmp, "rec.key"), os.path.join(tmp, "rec.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, key)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        # The server is dialled only once the browser has said something:
        # Chromium preconnects sockets it may use much later (or never), and
        # a loaded machine can hold a page's request back past the server's
        # 10 s wait for one; dialled early, the server would hang up on such
        # an idle socket and the page would load empty (ERR_EMPTY_RESPONSE).
        try:
            cs = self.ctx.wrap_socket(raw, server_side=True)
            first = cs.recv(65536)
            if not first:
                cs.close()
                return
            with self.lock:
                self.received.append(first)
            cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cctx.check_hostname = False
            cctx.verify_mode = ssl.CERT_NONE
            cctx.set_alpn_protocols(["http/1.1"])
            ss = cctx.wrap_socket(socket.create_connection(self.target, timeout=DEADLINE))
            ss.sendall(first)
        except (OSError, ssl.SSLError):
            raw.close()
            return

        def pump(src, dst, keep):
            try:
                while True:
                    d = src.recv(65536)
                    if not d:
                        break
                    if keep:
                        with self.lock:
                            self.received.append(d)
                    dst.sendall(d)
            except (OSError, ssl.SSLError):
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        t = threading.Thread(target=pump, args=(ss, cs, False), daemon=True)
        t.start()
        pump(cs, ss, True)
        t.join(DEADLINE)
        cs.close()
        ss.close()

    def seen(self):
        with self.lock:
            return b"".join(self.received)

    def close(self):
        self.closed = True
        self.sock.close()


def need_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        raise TestSkipped(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


def dump_dom(tmp, url):
    """The page's DOM once its script ran, from headless Chromium."""
    # A fresh profile for every page: a reused one preconnects to the hosts it
    # learnt, and on a loaded machine such an idle socket can outlive the
    # server's 10 s wait for a request, then the page load fails as empty.
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
            "--no-first-run", "--disable-extensions", "--disable-background-networking",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=DEADLINE * 2, stdin=subprocess.DEVNULL)
    if r.returncode != 0 or "<html" not in r.stdout:
        raise TestFailure(f"chromium --dump-dom failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


def element(dom, id_):
    """The opening tag and text of the element with this id (None if absent)."""
    m = re.search(r'<(\w+)([^>]*\bid="' + re.escape(id_) + r'"[^>]*)>(.*?)</\1>', dom, re.S)
    if not m:
        return None
    return {"attrs": m.group(2), "text": html.unescape(m.group(3)),
            "hidden": re.search(r'\bhidden(=|\s|$)', m.group(2)) is not None,
            "href": html.unescape(re.search(r'href="([^"]*)"', m.group(2)).group(1))
            if 'href="' in m.group(2) else None}


def through(link, port):
    """The same link on the recorder's port."""
    return re.sub(r"^https://127\.0\.0\.1:\d+/", f"https://127.0.0.1:{port}/", link)


# Every browser connection reaches the server from the recorder's address,
# and Chromium opens several at once (and preconnects): past 8 strangers per
# address (the default) the server would refuse some, as behind any proxy
# (README "Deployment").
PROXIED = ("--unauth-per-address", "64")


def t_browser():
    need_chromium()
    s = Scene("landing", PROXIED)
    rec = None
    try:
        rec = Recorder(s.tmp, s.server.host, s.server.port)
        link = through(s.link, rec.port)
        path, frag = link.split("#", 1)
        token = path.rsplit("/", 1)[1]
        secret = frag.split(".")[0]
        dom = dump_dom(s.tmp, link)
        button = element(dom, "ouvrir")
        check(button is not None and "Ouvrir dans l'application Bilan" in button["text"],
              "the page has the button \"Ouvrir dans l'application Bilan\"")
        check(not element(dom, "bloc-ouvrir")["hidden"], "the button is shown")
        check(button["href"] == "bilan:" + link,
              "the button's link is bilan: + the whole link, fragment included")
        cmd = element(dom, "commande")
        check(cmd is not None and cmd["text"] == f"bilan open '{link}'",
              "the command to copy is pre-filled with the whole link")
        check(element(dom, "copier") is not None and not element(dom, "bloc-commande")["hidden"],
              "a copy button is shown with the command")
        web = element(dom, "navigateur")
        check(web is not None and "Rejoindre dans ce navigateur" in web["text"]
              and not element(dom, "bloc-navigateur")["hidden"],
              "the page offers to join in this browser (the browser client)")
        check(web["href"] == f"/w/{token}#{frag}",
              "that link is the browser client's page for the same token, fragment included")
        check(not element(dom, "bloc-sans-paquet")["hidden"] and element(dom, "bloc-telecharger")["hidden"],
              "without a package on the server, the page says to ask for the application")
        seen = rec.seen()
        check(f"GET /j/{token} ".encode() in seen, "the recorder saw the page's request (with the token)")
        check(b"GET /landing.js " in seen, "the recorder saw the script's request")
        check(b"HEAD /downloads/bilan.deb " in seen, "the recorder saw the package check")
        check(secret.encode() not in seen and frag.encode() not in seen,
              f"no byte of the {len(seen)} the server received carries the fragment")

        check(re.search(r'<html lang="fr"', dom) is not None, "the page says it is in French (screen readers)")
        status = element(dom, "copie-etat")
        check(status is not None and 'role="status"' in status["attrs"] and 'aria-live="polite"' in status["attrs"],
              "the copy button's result is announced to screen readers")
        check('type="button"' in element(dom, "copier")["attrs"], "the copy button is a real button (keyboard)")

        # An enrolment link: the button enrols, the pin stays in the browser.
        r = s.server.admin("consultant", "token", "dev")
        enrol = through(re.search(r"(https://\S+/e/\S+)", r.stdout).group(1), rec.port)
        pin = enrol.split("#", 1)[1]
        dom = dump_dom(s.tmp, enrol)
        check(element(dom, "ouvrir")["href"] == "bilan:" + enrol and "inscription" in element(dom, "ouvrir")["text"],
              "an enrolment link's button is bilan: + the whole link, and says it enrols")
        check(element(dom, "bloc-navigateur")["hidden"],
              "an enrolment link is not offered the browser (a consultant enrols with the application)")
        check(pin.encode() not in rec.seen(), "the enrolment link's fragment never reached the server either")

        # The command as copied, pasted into a shell: it joins the room.
        dom = dump_dom(s.tmp, s.link)
        typed = element(dom, "commande")["text"]
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(CLIENT_BIN)) + ":/usr/bin:/bin",
                   BILAN_HOME=os.path.join(s.tmp, "pasted"))
        r = subprocess.run(["sh", "-c", typed + " --headless --duration 1"], env=env, capture_output=True,
                           text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
        check(r.returncode == 0, "the copied command, pasted into a shell, joins the room" +
              ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))

        # A link edited to slip a command into the page: no button, no command.
        bad = path + "#" + secret + "';touch${IFS}/tmp/pwned;'"
        dom = dump_dom(s.tmp, bad)
        check(not element(dom, "lien-abime")["hidden"], "an edited link is said to be damaged")
        check(element(dom, "bloc-ouvrir")["hidden"] and element(dom, "bloc-commande")["hidden"]
              and element(dom, "bloc-navigateur")["hidden"]
              and "touch" not in element(dom, "commande")["text"],
              "an edited link gets no button and no command")
        # An invite link without its fragment: told to open the whole link.
        dom = dump_dom(s.tmp, path)
        check(not element(dom, "sans-secret")["hidden"] and element(dom, "bloc-ouvrir")["hidden"],
              "an invite link without its # part is said to be incomplete")
        rec.close()
        s.close()
    except Exception:
        if rec:
            rec.close()
        s.close(ok=False)
        raise


def t_slow_download():
    """A package read slowly (a beneficiary on a slow link) arrives whole:
    the server renews its HTTP timeout while the body moves, instead of
    cutting the transfer about 30 s in (lws's limit for the exchange)."""
    s = Scene("slow-download")
    ok = False
    try:
        downloads = os.path.join(s.server.data, "downloads")
        os.makedirs(downloads)
        big = os.urandom(1 << 20) * 6
        with open(os.path.join(downloads, "bilan_1.0.0_amd64.deb"), "wb") as f:
            f.write(big)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((s.server.host, s.server.port), timeout=DEADLINE)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock = ctx.wrap_socket(raw)
        sock.sendall(b"GET /downloads/bilan.deb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf, t0 = b"", time.monotonic()
        # A slow reader: the pace is the point of the test (the client's
        # own link), not a wait for something to happen.
        while True:
            d = sock.recv(65536)
            if not d:
                break
            buf += d
            time.sleep(0.02)
        sock.close()
        took = time.monotonic() - t0
        body = buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""
        check(body == big, f"a 6 MiB package read slowly for {took:.0f} s arrives whole ({len(body)} bytes)")
        ok = True
    finally:
        s.close(ok)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def t_download():
    need_chromium()
    s = Scene("download")
    try:
        downloads = os.path.join(s.server.data, "downloads")
        os.makedirs(downloads)
        big = os.urandom(1 << 20) * 8
        with open(os.path.join(downloads, "bilan_0.9.0_amd64.deb"), "wb") as f:
            f.write(b"old")
        with open(os.path.join(downloads, "bilan_0.10.0_amd64.deb"), "wb") as f:
            f.write(big)
        with open(os.path.join(downloads, "bilan-server_0.11.0_amd64.deb"), "wb") as f:
            f.write(b"server")
        dom = dump_dom(s.tmp, s.link)
        dl = element(dom, "telecharger")
        check(not element(dom, "bloc-telecharger")["hidden"] and dl["href"] == "/downloads/bilan.deb",
              "with a package in DATA/downloads the page offers the download")
        check("Téléchargements" in element(dom, "bloc-telecharger")["text"],
              "with installation steps in French")
        check(element(dom, "bloc-sans-paquet")["hidden"], "and no longer says to ask for it")

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def get(n_read=None, method=b"GET"):
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if n_read:
                # A small window: the server cannot push the whole file into
                # the kernel's buffers before we leave (loopback's can hold
                # megabytes), so the transfer is really cut short.
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            raw.settimeout(DEADLINE)
            raw.connect((s.server.host, s.server.port))
            sock = ctx.wrap_socket(raw)
            sock.sendall(method + b" /downloads/bilan.deb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            buf = b""
            while True:
                d = sock.recv(65536)
                if not d:
                    break
                buf += d
                if n_read and len(buf) >= n_read:
                    break
            sock.close()
            return buf

        r = get()
        head, body = r.split(b"\r\n\r\n", 1)
        check(head.startswith(b"HTTP/1.1 200") and body == big,
              "/downloads/bilan.deb serves the newest package by version (0.10.0 over 0.9.0), whole"
              + ("" if head.startswith(b"HTTP/1.1 200") and body == big else
                 f" (got {head[:300]!r}, {len(body)} of {len(big)} bytes)"))
        check(b'content-disposition: attachment; filename="bilan_0.10.0_amd64.deb"' in head.lower(),
              "under its own file name")
        pid = s.server.proc.p.pid
        base = open_fds(pid)
        for _ in range(3):
            check(get(method=b"HEAD").startswith(b"HTTP/1.1 200"), "HEAD /downloads/bilan.deb: 200")
        for _ in range(4):
            get(n_read=20000)
        end = time.monotonic() + DEADLINE
        while open_fds(pid) > base and time.monotonic() < end:
            time.sleep(0.05)   # polling the server's descriptor table; the deadline bounds a failure
        check(open_fds(pid) <= base, "HEAD requests and downloads cut short leave no file open in the server")
        check(s.server.alive() and get().endswith(big), "and the server still serves the package whole")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


if __name__ == "__main__":
    run_tests({"browser": t_browser, "download": t_download, "slow_download": t_slow_download})
