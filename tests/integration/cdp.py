"""cdp.py: drives headless Chromium through the DevTools protocol over a pipe
(--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), with
no package beyond Python's own library.

    b = Browser(tmp, extra_args)          # a fresh profile in tmp
    page = b.open("https://127.0.0.1:PORT/w/...#...")
    page.eval("1 + 1")                    # -> 2 (awaits promises)
    page.wait("document.title === 'x'")   # polls, bounded by a deadline
    page.screenshot(path)
    page.console                          # every console line, in order
    b.close()

Fake camera and microphone come from Chromium's own flags
(--use-fake-device-for-media-stream: a moving test pattern and a beep), so
getUserMedia works headless. Certificates: the caller passes the server's
SPKI hash (ignore_spki), so only that one certificate is accepted.

Without /usr/bin/chromium (or $BILAN_CHROMIUM) need_chromium() raises
TestSkipped, so a test reports itself skipped, never passed.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from harness import DEADLINE, TestFailure, TestSkipped

CHROMIUM = os.environ.get("BILAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def need_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        raise TestSkipped(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


def spki_hash(cert_pem_path):
    """base64 SHA-256 of a certificate's SubjectPublicKeyInfo, for
    --ignore-certificate-errors-spki-list."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_pem_path, "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    dig = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                         check=True, capture_output=True).stdout
    return base64.b64encode(dig).decode()


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, tmp, ignore_spki=None, extra=(), fake_media=True):
        need_chromium()
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-default-apps", "--mute-audio", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}"]
        if ignore_spki:
            argv.append(f"--ignore-certificate-errors-spki-list={ignore_spki}")
        if fake_media:
            argv += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--autoplay-policy=no-user-gesture-required"]
        argv += list(extra)
        argv.append("about:blank")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds():
            # Moved to 3 and 4 before exec; pass_fds keeps those numbers
            # open through subprocess's closing of the rest.
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.log_path = os.path.join(tmp, f"chromium-{os.getpid()}-{id(self)}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, preexec_fn=fds, pass_fds=(3, 4),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 1
        self._lock = threading.Lock()
        self._replies = {}
        self._events = []
        self._cond = threading.Condition()
        self._dead = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._dead = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self._events.append(msg)
                    self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=DEADLINE):
        with self._lock:
            mid = self._next
            self._next += 1
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        with self._cond:
            while mid not in self._replies:
                left = end - time.monotonic()
                if self._dead:
                    raise TestFailure(f"Chromium exited during {method}:\n{self.log_tail()}")
                if left <= 0:
                    raise TestFailure(f"Chromium did not answer {method} within {timeout:.0f} s")
                self._cond.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def events(self, method=None, session=None):
        with self._cond:
            return [e for e in self._events if (method is None or e.get("method") == method)
                    and (session is None or e.get("sessionId") == session)]

    def open(self, url, init_script=None):
        """A new tab at url; init_script (JavaScript) runs in it before the
        page's own scripts (to take a feature away, as another browser)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        if init_script:
            page.send("Page.addScriptToEvaluateOnNewDocument", {"source": init_script})
        page.navigate(url)
        return page

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (TestFailure, CdpError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()


class Page:
    def __init__(self, browser, target, session):
        self.b = browser
        self.target = target
        self.session = session
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method, params=None, timeout=DEADLINE):
        return self.b.send(method, params, session=self.session, timeout=timeout)

    def navigate(self, url):
        r = self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise TestFailure(f"the page {url.split('#')[0]} did not load: {r['errorText']}")
        self.wait("document.readyState === 'complete'")

    def eval(self, expr, timeout=DEADLINE):
        """The value of a JavaScript expression (a promise is awaited);
        a thrown exception becomes a TestFailure naming it."""
        r = self.send("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True,
                                           "timeout": int(timeout * 1000)}, timeout=timeout + 5)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text")
            raise TestFailure(f"JavaScript failed: {desc}\n  in: {expr[:300]}")
        return r["result"].get("value")

    def wait(self, expr, timeout=DEADLINE, what=None):
        """Polls a JavaScript condition until it is truthy; its value."""
        end = time.monotonic() + timeout
        while True:
            try:
                v = self.eval(expr, timeout=max(1.0, end - time.monotonic()))
            except TestFailure:
                v = None
            if v:
                return v
            if time.monotonic() > end:
                raise TestFailure(f"waited {timeout:.0f} s for {what or expr}\n"
                                  f"console:\n" + "\n".join(self.console()[-30:]))
            with self.b._cond:
                self.b._cond.wait(0.05)

    def console(self):
        out = []
        for e in self.b.events(session=self.session):
            if e.get("method") == "Runtime.consoleAPICalled":
                p = e["params"]
                out.append(p["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                      for a in p.get("args", [])))
            elif e.get("method") == "Runtime.exceptionThrown":
                d = e["params"]["exceptionDetails"]
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif e.get("method") == "Log.entryAdded":
                p = e["params"]["entry"]
                out.append(f"{p['level']}: {p['text']}")
        return out

    def requests(self):
        """Every request the page made: (method, url, headers)."""
        return [(e["params"]["request"]["method"], e["params"]["request"]["url"],
                 e["params"]["request"].get("headers", {}))
                for e in self.b.events("Network.requestWillBeSent", self.session)]

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
