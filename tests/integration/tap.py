"""tap.py: a TLS-terminating WebSocket proxy for the end-to-end tests: it sits
between the bilan clients and the real bilan-server, sees every message in
clear (as a curious or hostile server would), records them, and may rewrite,
duplicate or drop them.

The tap has its own self-signed certificate, made at start with the `openssl`
CLI; its pin is given to the clients (through the links they use) instead of
the server's. Towards the server it is an ordinary client (TLS, pin checked).

Each client connection is relayed by one thread with select(): client frames
are unmasked, reassembled into whole messages, passed to the hook, then
re-masked; server frames likewise without masks. Hooks get (conn, direction,
opcode, payload) and return the list of (opcode, payload) to send on
(empty: drop). Control frames (ping, pong, close) pass through unchanged.

For flow-control tests the tap can also be a slow link: s2c_bps reads what
the server sends at most that fast (the server then sees a receiver on a slow
link), and mss clamps the TCP segment size of its connections to the server
(loopback's 64 KiB segments let the kernel buffer megabytes; 1400 behaves
like Ethernet).
"""
import base64
import hashlib
import json
import os
import select
import socket
import ssl
import struct
import subprocess
import threading
import time

C2S, S2C = "c2s", "s2c"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TapConn:
    """One proxied client connection; role/slot/device are learnt from what the server says."""

    def __init__(self, tap, idx):
        self.tap = tap
        self.idx = idx
        self.role = None
        self.slot = None
        self.device = None
        self.bilan = None
        self.log = []  # (direction, opcode, payload)

    def note(self, direction, op, payload):
        if op == 0x1 and direction == S2C:
            try:
                m = json.loads(payload)
            except ValueError:
                return
            if m.get("type") == "welcome":
                self.role, self.device = m.get("role"), m.get("device")
            elif m.get("type") == "joined":
                self.slot, self.bilan = m.get("slot"), m.get("bilan")


class Tap:
    def __init__(self, tmp, server_host, server_port, server_pin, hook=None, s2c_bps=None, mss=None):
        self.s2c_bps = s2c_bps
        self.mss = mss
        self.server = (server_host, server_port)
        self.server_pin = server_pin
        self.hook = hook
        self.lock = threading.Lock()
        self.conns = []
        self.records = []  # (conn idx, direction, opcode, payload), in order
        self.errors = []
        key, crt = os.path.join(tmp, "tap.key"), os.path.join(tmp, "tap.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=bilan test tap"],
                       check=True, capture_output=True)
        with open(crt) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.pin = b64u(hashlib.sha256(der).digest())
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, key)
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def rewrite_link(self, link):
        """The same link, pointing at the tap (host:port and #pin)."""
        import re
        link = re.sub(r"^https://[^/]+/", f"https://127.0.0.1:{self.port}/", link)
        if "/e/" in link:
            return link.split("#", 1)[0] + "#" + self.pin
        head, frag = link.split("#", 1)
        return head + "#" + frag.split(".", 1)[0] + "." + self.pin

    def close(self):
        self.stopping = True
        try:
            self.lsock.close()
        except OSError:
            pass

    def payloads(self, direction=None, opcode=None):
        with self.lock:
            return [p for (_, d, op, p) in self.records
                    if (direction is None or d == direction) and (opcode is None or op == opcode)]

    # ------------------------------------------------------------ relay

    def _accept(self):
        while not self.stopping:
            try:
                raw, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                conn = TapConn(self, len(self.conns))
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(raw, conn), daemon=True).start()

    def _serve(self, raw, conn):
        cs = ss = None
        try:
            cs = self.ctx.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                d = cs.recv(4096)
                if not d:
                    return
                head += d
            req, rest = head.split(b"\r\n\r\n", 1)
            # No extension (permessage-deflate would hide the payloads from us).
            lines = [l for l in req.split(b"\r\n") if not l.lower().startswith(b"sec-websocket-extensions")]
            cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cctx.check_hostname = False
            cctx.verify_mode = ssl.CERT_NONE
            if self.mss:
                raw_ss = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                raw_ss.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, self.mss)
                raw_ss.settimeout(60)
                raw_ss.connect(self.server)
            else:
                raw_ss = socket.create_connection(self.server, timeout=60)
            ss = cctx.wrap_socket(raw_ss, server_hostname=self.server[0])
            if b64u(hashlib.sha256(ss.getpeercert(binary_form=True)).digest()) != self.server_pin:
                raise RuntimeError("tap: the real server's certificate does not match its pin")
            ss.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
            shead = b""
            while b"\r\n\r\n" not in shead:
                d = ss.recv(4096)
                if not d:
                    return
                shead += d
            resp, srest = shead.split(b"\r\n\r\n", 1)
            cs.sendall(resp + b"\r\n\r\n")
            self._pump(conn, cs, ss, rest, srest)
        except Exception as e:  # noqa: BLE001 - the test reads self.errors
            if not self.stopping:
                self.errors.append(f"conn {conn.idx}: {e!r}")
        finally:
            for s in (cs, ss):
                try:
                    if s:
                        s.close()
                except OSError:
                    pass

    def _pump(self, conn, cs, ss, cbuf, sbuf):
        state = {C2S: [cbuf, None, b""], S2C: [sbuf, None, b""]}  # buffer, msg opcode, msg data
        socks = {cs: C2S, ss: S2C}
        out = {C2S: ss, S2C: cs}
        for d in (C2S, S2C):
            if not self._drain(conn, d, state[d], out[d]):
                return
        # A token bucket for the server's side when s2c_bps is set: bytes we
        # may read now, refilled at the rate, at most 16 KiB ahead.
        rate = self.s2c_bps / 8 if self.s2c_bps else None
        tokens, last = 0.0, time.monotonic()
        while True:
            wait = 1.0
            can = list(socks)
            if rate:
                now = time.monotonic()
                tokens, last = min(tokens + (now - last) * rate, 16384.0), now
                if tokens < 1:
                    can.remove(ss)
                    wait = (1 - tokens) / rate
            ready = [s for s in can if s.pending()]
            if not ready:
                ready, _, _ = select.select(can, [], [], wait)
            for s in ready:
                d = socks[s]
                try:
                    data = s.recv(int(tokens) if rate and s is ss else 1 << 18)
                except ssl.SSLWantReadError:
                    continue
                if not data:
                    return
                if rate and s is ss:
                    tokens -= len(data)
                state[d][0] += data
                if not self._drain(conn, d, state[d], out[d]):
                    return

    def _drain(self, conn, direction, st, dst):
        """Parses whole frames from st[0]; returns False once a close was relayed."""
        while True:
            buf = st[0]
            if len(buf) < 2:
                return True
            b0, b1 = buf[0], buf[1]
            if b0 & 0x70:
                raise RuntimeError("tap: RSV bits set (an extension was negotiated)")
            n, off = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return True
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    return True
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            masked = b1 & 0x80
            mk = b""
            if masked:
                if len(buf) < off + 4:
                    return True
                mk, off = buf[off:off + 4], off + 4
            if len(buf) < off + n:
                return True
            payload = buf[off:off + n]
            st[0] = buf[off + n:]
            if masked:
                payload = _xor(payload, mk)
            op, fin = b0 & 0x0F, b0 & 0x80
            if op >= 0x8:  # control: as is
                self._send(dst, op, payload, direction == C2S)
                if op == 0x8:
                    return False
                continue
            if op != 0:
                st[1], st[2] = op, payload
            else:
                st[2] += payload
            if not fin:
                continue
            op, msg = st[1], st[2]
            st[1], st[2] = None, b""
            conn.note(direction, op, msg)
            with self.lock:
                self.records.append((conn.idx, direction, op, msg))
            outs = [(op, msg)]
            if self.hook:
                outs = self.hook(conn, direction, op, msg)
            for o, p in outs:
                self._send(dst, o, p, direction == C2S)

    @staticmethod
    def _send(sock, op, payload, mask):
        n = len(payload)
        b1 = 0x80 if mask else 0
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | op, b1 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | op, b1 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | op, b1 | 127, n)
        if mask:
            mk = os.urandom(4)
            hdr += mk
            payload = _xor(payload, mk)
        sock.sendall(hdr + payload)


def _xor(payload, mk):
    n = len(payload)
    if n == 0:
        return b""
    m = (mk * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")
