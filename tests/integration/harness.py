"""harness.py: runs the real bilan-server and bilan client on loopback for the
integration tests, plus a raw WebSocket peer that can say anything on the wire
(hostile input, slow receivers, hand-made frames).

Nothing here sleeps to wait: every wait polls a process's output, a socket or a
file against a deadline, and the deadline only bounds a failure (a loaded
machine makes a test slower, never wrong).

Environment: BILAN_SERVER and BILAN_CLIENT name the binaries (set by ctest).
"""
import base64
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

SERVER_BIN = os.environ.get("BILAN_SERVER", "bilan-server")
CLIENT_BIN = os.environ.get("BILAN_CLIENT", "bilan")
DEADLINE = float(os.environ.get("BILAN_TEST_DEADLINE", "60"))  # seconds, failure bound only
# Clients run without a display unless a test gives them one (test_window.py
# starts its own Xvfb): no window ever opens on a developer's desktop.
for _var in ("DISPLAY", "WAYLAND_DISPLAY"):
    os.environ.pop(_var, None)


class TestFailure(Exception):
    pass


class TestSkipped(Exception):
    """Raised by a scenario that cannot run on this machine (ctest SKIP_RETURN_CODE 77)."""


def check(cond, what):
    if not cond:
        raise TestFailure(what)
    print("  ok:", what, flush=True)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Proc:
    """A child process whose stdout and stderr lines are collected by threads.

    stdin is /dev/null unless stdin_pipe: then send_line() types into it and
    close_stdin() ends it."""

    def __init__(self, argv, env=None, name=None, stdin_pipe=False):
        self.argv = argv
        self.name = name or os.path.basename(argv[0])
        self.lines = []          # stdout lines, in order
        self.err_lines = []
        self._q = queue.Queue()
        self._cond = threading.Condition()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, text=True, errors="replace")
        self._t1 = threading.Thread(target=self._pump, args=(self.p.stdout, self.lines), daemon=True)
        self._t2 = threading.Thread(target=self._pump, args=(self.p.stderr, self.err_lines), daemon=True)
        self._t1.start()
        self._t2.start()

    def _pump(self, stream, sink):
        for line in stream:
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, pattern, timeout=DEADLINE, start=0, stderr=False):
        """Returns the first match of pattern in stdout (or stderr) lines from index start."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        sink = self.err_lines if stderr else self.lines
        with self._cond:
            while True:
                for line in sink[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                if self.p.poll() is not None and not self._t1.is_alive() and not self._t2.is_alive():
                    raise TestFailure(f"{self.name} exited ({self.p.returncode}) before printing /{pattern}/\n"
                                      + self.dump())
                left = end - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{self.name} did not print /{pattern}/ within {timeout}s\n" + self.dump())
                self._cond.wait(min(left, 0.5))

    def send_line(self, text):
        """Types text and Enter (UTF-8) on the process's stdin (stdin_pipe=True)."""
        if self.p.stdin is None:
            raise TestFailure(f"{self.name} was not spawned with stdin_pipe=True")
        self.p.stdin.buffer.write(text.encode("utf-8") + b"\n")
        self.p.stdin.flush()

    def close_stdin(self):
        if self.p.stdin is not None and not self.p.stdin.closed:
            self.p.stdin.close()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def count(self, pattern):
        rx = re.compile(pattern)
        with self._cond:
            return sum(1 for l in self.lines if rx.search(l))

    def wait_exit(self, timeout=DEADLINE):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise TestFailure(f"{self.name} did not exit within {timeout}s\n" + self.dump())
        self._t1.join(5)
        self._t2.join(5)
        return rc

    def wait_ok(self, what, timeout=DEADLINE):
        """wait_exit that must end with 0; a failure shows the child's output."""
        rc = self.wait_exit(timeout)
        if rc != 0:
            raise TestFailure(f"{what} (exit {rc})\n" + self.dump())

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def dump(self):
        with self._cond:
            return (f"--- {self.name} stdout ---\n" + "\n".join(self.lines[-40:]) +
                    f"\n--- {self.name} stderr ---\n" + "\n".join(self.err_lines[-40:]) + "\n")


class PtyProc(Proc):
    """A child process at a terminal: its stdin and stdout are a pseudo-terminal
    (what a person's shell gives), stderr a pipe. type() sends keys as a person
    types them; lines are what the terminal shows, one per '\\n', with carriage
    returns and ANSI control sequences removed; raw() is every byte as written."""

    ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

    def __init__(self, argv, env=None, name=None):
        import pty
        self.argv = argv
        self.name = name or os.path.basename(argv[0])
        self._raw = bytearray()
        self.err_lines = []
        self._cond = threading.Condition()
        master, slave = pty.openpty()
        self.master = master
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env,
                                  close_fds=True, start_new_session=True)
        os.close(slave)
        self._t1 = threading.Thread(target=self._pump_pty, daemon=True)
        self._t2 = threading.Thread(target=self._pump_err, daemon=True)
        self._t1.start()
        self._t2.start()

    def _pump_pty(self):
        while True:
            try:
                b = os.read(self.master, 65536)
            except OSError:
                b = b""
            with self._cond:
                if b:
                    self._raw += b
                self._cond.notify_all()
            if not b:
                return

    def _pump_err(self):
        for line in self.p.stderr:
            with self._cond:
                self.err_lines.append(line.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()

    def raw(self):
        with self._cond:
            return bytes(self._raw)

    @property
    def lines(self):
        # As a terminal shows it: a carriage return goes back to the start of
        # the line (what follows overwrites it; ours always clear it first).
        text = self.raw().decode("utf-8", "replace")
        return [self.ANSI.sub("", l.rstrip("\r").rsplit("\r", 1)[-1]) for l in text.split("\n")]

    def wait_line(self, pattern, timeout=DEADLINE, start=0, stderr=False):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                sink = self.err_lines if stderr else self.lines
                for line in sink[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                if self.p.poll() is not None and not self._t1.is_alive():
                    raise TestFailure(f"{self.name} exited ({self.p.returncode}) before printing /{pattern}/\n"
                                      + self.dump())
                left = end - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{self.name} did not print /{pattern}/ within {timeout}s\n" + self.dump())
                self._cond.wait(min(left, 0.5))

    def wait_raw(self, pattern, timeout=DEADLINE):
        """The first match of pattern in every byte written so far (decoded),
        waiting for more bytes until timeout: what follows a line (a redraw)
        may still be on its way when the line itself has been seen."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(bytes(self._raw).decode("utf-8", "replace"))
                if m:
                    return m
                left = end - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    return None
                self._cond.wait(min(left, 0.5))

    def type(self, keys):
        os.write(self.master, keys.encode("utf-8") if isinstance(keys, str) else keys)

    def dump(self):
        return (f"--- {self.name} terminal ---\n" + "\n".join(self.lines[-60:]) +
                f"\n--- {self.name} stderr ---\n" + "\n".join(self.err_lines[-40:]) + "\n")


class Server:
    """bilan-server serve --dev in a temporary data folder on an ephemeral port."""

    READY = r"bilan-server: listening on wss://([^:/\s]+|\[[^\]]+\]):(\d+)/ws \(pin ([A-Za-z0-9_-]{43})\)"

    def __init__(self, tmp, extra=(), data=None, prefix=()):
        self.data = data or os.path.join(tmp, "server-data")
        self.extra = list(extra)
        self.prefix = list(prefix)   # e.g. prlimit --nofile=N --, run before the binary
        self.proc = None
        self.enrol_link = None
        self.start()

    def start(self, port=0):
        self.enrol_link = None
        argv = self.prefix + [SERVER_BIN, "serve", "--dev", "--data", self.data, "--listen",
                              f"127.0.0.1:{port}"] + self.extra
        self.proc = Proc(argv, name="bilan-server")
        m = self.proc.wait_line(self.READY)
        self.host, self.port, self.pin = m.group(1), int(m.group(2)), m.group(3)
        link = [l for l in self.proc.lines if re.search(r"https://\S+/e/\S+", l)]
        if link:
            self.enrol_link = re.search(r"(https://\S+/e/\S+)", link[-1]).group(1)

    def admin(self, *args, check_rc=True):
        r = subprocess.run([SERVER_BIN] + list(args) + ["--data", self.data], capture_output=True,
                           text=True, timeout=DEADLINE)
        if check_rc and r.returncode != 0:
            raise TestFailure(f"bilan-server {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.p.poll() is None:
            self.proc.signal(sig)
        rc = self.proc.wait_exit() if self.proc else 0
        return rc

    def alive(self):
        return self.proc.p.poll() is None

    def db(self):
        return os.path.join(self.data, "server.db")


class Client:
    """One bilan client device: its own data folder."""

    def __init__(self, tmp, name):
        self.name = name
        self.data = os.path.join(tmp, "client-" + name)

    def argv(self, *args):
        args = list(args)
        # The tests read the machine lines ("[room] slot=1 ..."), not the
        # sentences a person reads: `bilan join --machine`.
        if args and args[0] == "join" and "--words" not in args:
            args.insert(1, "--machine")
        args = [a for a in args if a != "--words"]
        return [CLIENT_BIN, "--data", self.data] + args

    def run(self, *args, timeout=DEADLINE):
        r = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return r

    def ok(self, *args):
        r = self.run(*args)
        if r.returncode != 0:
            raise TestFailure(f"bilan {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def spawn(self, *args, stdin_pipe=False):
        return Proc(self.argv(*args), name=f"bilan[{self.name}]", stdin_pipe=stdin_pipe)

    def enrol(self, link):
        return self.ok("enrol", link)

    def create_bilan(self, label, *extra):
        r = self.ok("bilan", "create", "--label", label, *extra)
        links = re.findall(r"^(https://\S+/j/\S+)$", r.stdout, re.M)
        if len(links) != 1:
            raise TestFailure("bilan create printed no single invite link:\n" + r.stdout)
        return links[0]


def make_file(path, size, seed):
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 16)
            f.write(rnd.randbytes(n))
            left -= n
    return path


def tmpdir(name):
    base = os.environ.get("BILAN_TEST_TMP") or tempfile.gettempdir()
    d = tempfile.mkdtemp(prefix=f"bilan-{name}-", dir=base)
    return d


# ---------------------------------------------------------------- raw peer


class WsClosed(Exception):
    pass


class RawWs:
    """A minimal RFC 6455 client over TLS, for saying things our client never would."""

    def __init__(self, host, port, pin=None, tls_max=None, subprotocol="bilan.v1", path="/ws", source=None,
                 mss=None):
        """source: the local address to connect from (loopback has all of
        127.0.0.0/8). mss: clamp the TCP segment size (set before connecting,
        so the server uses it too). Loopback's 64 KiB segments let the kernel
        buffer megabytes per connection; 1400 behaves like Ethernet."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if tls_max:
            ctx.maximum_version = tls_max
        if mss:
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
            raw.settimeout(DEADLINE)
            if source:
                raw.bind((source, 0))
            raw.connect((host, port))
        else:
            raw = socket.create_connection((host, port), timeout=DEADLINE,
                                           source_address=(source, 0) if source else None)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        if pin is not None:
            der = self.sock.getpeercert(binary_form=True)
            if b64u(hashlib.sha256(der).digest()) != pin:
                raise TestFailure("server certificate does not match the pin")
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if subprotocol:
            req += f"Sec-WebSocket-Protocol: {subprotocol}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                raise WsClosed("closed during handshake")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ")[1])
        if self.status != 101:
            raise WsClosed(f"upgrade refused: {head[:200]!r}")

    def send_frame(self, opcode, payload, fin=True, mask=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            mk = os.urandom(4)
            payload = bytes(b ^ mk[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask(payload, mk)
            hdr += mk
        self.sock.sendall(hdr + payload)

    def send_frame_head(self, opcode, declared_len, first):
        """Sends a frame header declaring declared_len bytes, then only `first`
        of the payload: the server must refuse on the declared size alone."""
        mk = os.urandom(4)
        hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, declared_len) + mk
        self.sock.sendall(hdr + bytes(b ^ mk[i % 4] for i, b in enumerate(first)))

    def send_text(self, s):
        self.send_frame(0x1, s.encode() if isinstance(s, str) else s)

    def send_json_burst(self, objs):
        """Several text messages in one TCP write (they reach the server in
        the same instant, often the same millisecond)."""
        out = b""
        for o in objs:
            p = json.dumps(o).encode()
            mk = os.urandom(4)
            n = len(p)
            hdr = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
            out += hdr + mk + bytes(b ^ mk[i % 4] for i, b in enumerate(p))
        self.sock.sendall(out)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_bin(self, b):
        self.send_frame(0x2, b)

    def send_raw(self, b):
        self.sock.sendall(b)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise WsClosed("connection closed")
            self.buf += d

    def recv_frame(self, timeout=DEADLINE):
        """Returns (opcode, payload) of the next data frame; answers pings."""
        self.sock.settimeout(timeout)
        while True:
            try:
                self._need(2)
                b0, b1 = self.buf[0], self.buf[1]
                n = b1 & 0x7F
                off = 2
                if n == 126:
                    self._need(4)
                    n = struct.unpack("!H", self.buf[2:4])[0]
                    off = 4
                elif n == 127:
                    self._need(10)
                    n = struct.unpack("!Q", self.buf[2:10])[0]
                    off = 10
                self._need(off + n)
            except (socket.timeout, ssl.SSLError, OSError) as e:
                if isinstance(e, socket.timeout):
                    raise
                raise WsClosed(str(e))
            payload = self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            op = b0 & 0x0F
            if op == 0x9:
                self.send_frame(0xA, payload)
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                raise WsClosed(f"close frame {payload[:2].hex()} {payload[2:]!r}")
            return op, payload

    def recv_json(self, timeout=DEADLINE, skip=("member_joined", "member_left", "keyframe_request")):
        """Next text message as a dict, skipping binary frames and the listed event types."""
        while True:
            op, p = self.recv_frame(timeout)
            if op != 0x1:
                continue
            m = json.loads(p)
            if m.get("type") in skip:
                continue
            return m

    def expect_closed(self, timeout=DEADLINE):
        """True when the server closes the connection (close frame or EOF)."""
        try:
            while True:
                self.recv_frame(timeout)
        except WsClosed:
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _mask(payload, mk):
    # Fast XOR of a large payload with a 4-byte mask.
    n = len(payload)
    m = (mk * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")


class Device:
    """Ed25519 + X25519 identity for a raw peer (python3-cryptography)."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
        from cryptography.hazmat.primitives import serialization as ser
        self.sk = ed25519.Ed25519PrivateKey.generate()
        raw = ser.Encoding.Raw
        self.sign_pub = self.sk.public_key().public_bytes(raw, ser.PublicFormat.Raw)
        self.dh_pub = x25519.X25519PrivateKey.generate().public_key().public_bytes(raw, ser.PublicFormat.Raw)
        self.fp = hashlib.sha256(b"bilan-device-v1" + self.sign_pub + self.dh_pub).digest()

    def auth_sig(self, nonce):
        return self.sk.sign(b"bilan-auth-v1\0" + nonce + self.sign_pub + self.dh_pub)

    def enrol_sig(self, nonce, token):
        return self.sk.sign(b"bilan-enrol-v1\0" + nonce + self.sign_pub + self.dh_pub +
                            hashlib.sha256(token).digest())


def raw_hello(ws, v=1, client="harness"):
    ws.send_json({"type": "hello", "v": v, "client": client})
    m = ws.recv_json()
    if m.get("type") != "challenge":
        raise TestFailure(f"expected challenge, got {m}")
    return unb64u(m["nonce"])


def raw_enrol(ws, dev, token, client="harness"):
    nonce = raw_hello(ws, client=client)
    ws.send_json({"type": "enrol", "token": b64u(token), "sign_pub": b64u(dev.sign_pub),
                  "dh_pub": b64u(dev.dh_pub), "sig": b64u(dev.enrol_sig(nonce, token))})
    return ws.recv_json()


def raw_auth(ws, dev):
    nonce = raw_hello(ws)
    ws.send_json({"type": "auth", "device": b64u(dev.fp), "sig": b64u(dev.auth_sig(nonce))})
    return ws.recv_json()


def link_token(link):
    m = re.search(r"/[je]/([A-Za-z0-9_-]{43})", link)
    return unb64u(m.group(1))


def frame(kind, seq, payload, flags=0, slot=0, ts=0, cap=0):
    return struct.pack("!BBBBIII", 1, kind, flags, slot, seq, ts, cap) + payload


def run_tests(tests):
    """Runs the named test (argv[1]) or all; prints the closing tally."""
    names = sys.argv[1:] or list(tests)
    passed = failed = skipped = 0
    for n in names:
        print(f"== {n}", flush=True)
        t0 = time.monotonic()
        try:
            tests[n]()
            passed += 1
            print(f"== {n}: passed ({time.monotonic() - t0:.1f}s)", flush=True)
        except TestSkipped as e:
            skipped += 1
            print(f"== {n}: SKIPPED: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - report any failure, including harness errors
            failed += 1
            print(f"== {n}: FAILED: {e}", flush=True)
            import traceback
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 77 if skipped and not passed else 0)
