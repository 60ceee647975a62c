"""test_web_crypto.py: the browser client's end-to-end crypto (issue 12,
PROTOCOL.md §2.1, §8.2-8.4) against libbilanproto, both directions.

The browser side runs assets/web/pair.js, sframe.js and e2e.js in headless
Chromium (through web_crypto_check.js); the C side is web_vectors, linked
against bilanproto, and web_e2e_peer, the native client's e2e state machine. The modules are served from 127.0.0.1 by a small static
server of this test (a secure context, so WebCrypto works): test_web.assets
checks that bilan-server serves the same bytes.

- vectors: RFC 9605 Appendix C (tests/vectors/sframe.json) in the browser:
  all 289 header encodings both ways, and the 0x0004 case: key, salt,
  ciphertext, decryption; a flipped tag or metadata byte is refused.
- pairing: device A in C (raw keys), device B in the browser (WebCrypto keys,
  private keys never leave it): each checks the other's bundle signature and
  commitment; the fingerprint, T, SAS, sid, both MACs and the pair key are the
  same bytes in both; a sender key sealed in the browser opens in C and one
  sealed in C opens in the browser, and neither opens under another
  generation, direction, bilan or a flipped byte; every body the browser
  builds parses in C.
- sframe: frames sealed by C open in the browser and frames sealed in the
  browser open in C (audio, video keyframe, data); a changed byte (payload,
  tag, routing header, SFrame header) is refused on both sides, the slot byte
  is not authenticated (the server rewrites it); a replayed frame, one 128
  below the highest, and one whose KID stream is not its kind's are refused
  on both sides; the counter cap.
- room: two RoomE2E in one page through a fake relay reach the same code,
  then exchange frames both ways; hostile bodies and frames are refused
  without an exception.
- relay_swap: a relay in the middle: the codes differ and no key is sent
  (even at a rekey); a copied invite proof fails its MAC; a swapped bundle
  fails its commitment; a bundle of another device than the announced one,
  a forged signature, our own bundle bounced back, a reveal before the
  commits and a second commit are refused (abort body sent).
- native: the browser's RoomE2E paired with the native client's own state
  machine (client/e2e_room.h, through web_e2e_peer) over this test's relay:
  both authenticate by the invite proof and show the same code; frames both
  ways; the native side refuses the browser's frame replayed or changed;
  after the browser's rekey its frames still open; a reveal changed by the
  relay is refused by the browser, whose abort body the native side reads as
  one of its own reasons.
- native_sas: the same without a secret: the same code, nothing sent before
  both confirm, then frames both ways; a code rejected natively ends the
  pair in the browser.
- receipts (§9.3-9.4): the canonical record text is C's byte for byte; a
  receipt and a refusal signed in the browser verify in C and with `bilan
  receipt verify` (VALIDE, exit 0; a changed record INVALIDE, exit 5), and
  C's verify in the browser; either side refuses them for another record,
  figure, key or reason; the browser does not sign a record that does not
  name it.

Run one scenario: test_web_crypto.py NAME; all: test_web_crypto.py.
"""
import base64
import http.server
import json
import os
import subprocess
import tempfile
import threading

from cdp import Browser, need_chromium
from harness import DEADLINE, TestFailure, TestSkipped, check, run_tests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
WEB_DIR = os.path.join(ROOT, "assets", "web")
VECTORS = os.path.join(ROOT, "tests", "vectors", "sframe.json")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def flip(frame_b64, i):
    b = bytearray(unb64u(frame_b64))
    b[i] ^= 1
    return b64u(bytes(b))


def c_ops(*ops):
    """Runs web_vectors on ops; its results, one per op."""
    tool = os.environ.get("BILAN_WEB_VECTORS")
    if not tool or not os.access(tool, os.X_OK):
        raise TestSkipped("BILAN_WEB_VECTORS is not set (run through ctest)")
    r = subprocess.run([tool], input=json.dumps({"ops": list(ops)}), capture_output=True, text=True,
                       timeout=DEADLINE)
    if r.returncode != 0:
        raise TestFailure(f"web_vectors failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout)["results"]


class Static(http.server.BaseHTTPRequestHandler):
    """/web/<name>: assets/web; /test/web_crypto_check.js; /: an empty page."""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            body, ctype = b"<!doctype html><title>crypto</title><link rel=icon href=\"data:,\">", "text/html"
        elif path.startswith("/web/") and "/" not in path[5:] and path.endswith(".js"):
            f = os.path.join(WEB_DIR, path[5:])
            if not os.path.isfile(f):
                return self.send_error(404)
            with open(f, "rb") as fh:
                body, ctype = fh.read(), "text/javascript"
        elif path == "/test/web_crypto_check.js":
            with open(os.path.join(HERE, "web_crypto_check.js"), "rb") as fh:
                body, ctype = fh.read(), "text/javascript"
        else:
            return self.send_error(404)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Lab:
    """A static server on 127.0.0.1 and Chromium with the check module loaded."""

    def __init__(self):
        need_chromium()
        self.tmp = tempfile.mkdtemp(prefix="web-crypto-")
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.browser = Browser(self.tmp, fake_media=False)
        self.page = self.browser.open(f"http://127.0.0.1:{self.httpd.server_address[1]}/")
        self.page.eval("import('/test/web_crypto_check.js').then(m => { window.T = m; return true; })")

    def call(self, fn, arg=None):
        """T.fn(arg) in the page, its JSON value."""
        return self.page.eval(f"T.{fn}({json.dumps(arg)})")

    def errors(self):
        return [l for l in self.page.console() if l.startswith(("error", "exception"))]

    def close(self):
        self.browser.close()
        self.httpd.shutdown()


def scenario(fn):
    def run():
        lab = Lab()
        try:
            fn(lab)
            errs = lab.errors()
            check(not errs, f"no console error or uncaught exception ({errs[:3]})")
            bugs = [l for l in lab.page.console() if "internal error" in l or "handler failed" in l]
            check(not bugs, f"no internal error swallowed by RoomE2E ({bugs[:3]})")
        finally:
            lab.close()
    return run


@scenario
def t_vectors(lab):
    with open(VECTORS) as f:
        v = json.load(f)
    r = lab.call("vectors", {"header": v["header"], "encryption": v["encryption"]})
    check(r["headers"] == 289 and not r["bad"], f"RFC 9605 C.1: the {r['headers']} headers encode and decode ({r['bad'][:3]})")
    check(len(r["cases"]) == 1, "RFC 9605 C.3: the 0x0004 case ran")
    c = r["cases"][0]
    check(c["key"] and c["salt"], "sframe_key and sframe_salt are the RFC's")
    check(c["ct"], "the ciphertext is the RFC's byte for byte")
    check(c["pt"], "the RFC's ciphertext opens to its plaintext")
    check(c["flippedRefused"] and c["metaRefused"], "a flipped tag bit or metadata byte is refused")


BILAN = "b_Interop-01"


@scenario
def t_pairing(lab):
    secret = os.urandom(32)
    ra = os.urandom(32)
    a, = c_ops({"op": "keys"})
    a_bundle, = c_ops({"op": "bundle_make", "sign_priv": a["sign_priv"], "dh_priv": a["dh_priv"],
                       "eph_priv": a["eph_priv"], "bilan": BILAN})
    a_bundle = a_bundle["bundle"]
    b = lab.call("pairStart", {"bilan": BILAN, "secret": b64u(secret), "aBundle": a_bundle, "rA": b64u(ra)})
    check(b["aVerifies"], "the browser verifies the bundle C signed")
    check(b["aBadSigRefused"] and b["aOtherEphRefused"] and b["aOtherBilanRefused"],
          "the browser refuses it with a flipped signature byte, another ephemeral key, another bilan")
    bb = b["bundle"]
    bad_sig = dict(bb, sig=flip(bb["sig"], 3))
    res = c_ops(
        {"op": "bundle_verify", "bundle": bb, "bilan": BILAN},
        {"op": "bundle_verify", "bundle": bad_sig, "bilan": BILAN},
        {"op": "fp", "sign_pub": bb["sign_pub"], "dh_pub": bb["dh_pub"]},
        {"op": "commit", "bundle": bb, "r": b["rB"]},
        {"op": "commit", "bundle": a_bundle, "r": b64u(ra)},
        {"op": "transcript", "bilan": BILAN, "a": a_bundle, "ra": b64u(ra), "b": bb, "rb": b["rB"]},
        {"op": "sid", "secret": b64u(secret), "bilan": BILAN},
        {"op": "fp", "sign_pub": a["sign_pub"], "dh_pub": a["dh_pub"]},
    )
    check(res[0]["ok"], "C verifies the bundle the browser signed (WebCrypto Ed25519)")
    check(not res[1]["ok"], "C refuses it with a flipped signature byte")
    check(res[2]["fp"] == b["fpB"], "§2.1: the browser's fingerprint of its keys is C's")
    check(res[7]["fp"] == b["fpA"] == a["fp"], "the browser's fingerprint of C's keys is C's")
    check(res[3]["c"] == b["cB"], "C's commitment over the browser's bundle and r is the browser's")
    check(res[4]["c"] == b["cA"], "the browser's commitment over C's bundle and r is C's")
    t = res[5]["t"]
    check(t == b["t"], "the transcript T is the same bytes in C and in the browser")
    check(b["tOrderFree"], "T does not depend on which side is given first (fingerprint order)")
    check(res[6]["sid"] == b["sid"], "sid(S) is the same in both")
    res = c_ops(
        {"op": "mac", "secret": b64u(secret), "bilan": BILAN, "t": t, "fp": b["fpA"]},
        {"op": "mac", "secret": b64u(secret), "bilan": BILAN, "t": t, "fp": b["fpB"]},
        {"op": "sas", "t": t},
        {"op": "pair_key", "eph_priv": a["eph_priv"], "peer_eph": bb["eph"], "t": t},
        {"op": "sk_open", "key": b["pairKey"], "bilan": BILAN, "from": b["fpB"], "to": b["fpA"], "gen": 1,
         "sealed": b["sealedB"]},
        {"op": "sk_open", "key": b["pairKey"], "bilan": BILAN, "from": b["fpB"], "to": b["fpA"], "gen": 2,
         "sealed": b["sealedB"]},
        {"op": "sk_open", "key": b["pairKey"], "bilan": BILAN, "from": b["fpB"], "to": b["fpA"], "gen": 1,
         "sealed": flip(b["sealedB"], 30)},
        *[{"op": "parse", "body": body} for body in b["bodies"]],
    )
    check(res[0]["mac"] == b["macA"] and res[1]["mac"] == b["macB"], "both confirm MACs are the same in both")
    check(res[2]["code"].replace(" ", "") == b["sas"] and len(b["sas"]) == 6,
          f"the 6-digit code is the same in both ({len(b['sas'])} digits)")
    check(res[3]["key"] == b["pairKey"],
          "the pair key C derives (its eph private, the browser's eph public) is the browser's (its own private)")
    check(res[4]["base"] == b["baseB"], "a sender key sealed in the browser opens in C")
    check(res[5]["base"] is None and res[6]["base"] is None, "C refuses it under another generation or with a flipped byte")
    kinds = [r["t"] for r in res[7:]]
    check(all(r["ok"] for r in res[7:]) and kinds == ["commit", "reveal", "confirm", "confirm", "sas", "key", "abort"],
          f"every e2e body the browser builds parses in C ({kinds})")
    base_a = os.urandom(16)
    sealed_a, = c_ops({"op": "sk_seal", "key": res[3]["key"], "bilan": BILAN, "from": b["fpA"], "to": b["fpB"],
                       "gen": 7, "base": b64u(base_a)})
    f = lab.call("pairFinish", {"sealedA": sealed_a["sealed"], "gen": 7})
    check(f["base"] == b64u(base_a), "a sender key sealed in C opens in the browser")
    check(f["wrongGen"] and f["wrongDirection"] and f["wrongBilan"] and f["flipped"],
          "the browser refuses it under another generation, direction, bilan, or with a flipped byte")


def header(kind, flags=0, slot=0, seq=1, ts=1000, cap=5000):
    return bytes([1, kind, flags, slot]) + seq.to_bytes(4, "big") + ts.to_bytes(4, "big") + cap.to_bytes(4, "big")


@scenario
def t_sframe(lab):
    base = b64u(os.urandom(16))
    gen = 3
    items = [{"header": b64u(header(k, f, seq=i)), "ctr": i, "pt": b64u(os.urandom(n))}
             for k, f, n in ((1, 0, 80), (2, 1, 3000), (3, 0, 0)) for i in range(3)]
    sealed_c = [c_ops({"op": "sframe_seal", "base": base, "gen": gen, **it})[0]["frame"] for it in items]
    pts = lab.call("sframeOpen", {"base": base, "frames": sealed_c})
    check(pts == [it["pt"] for it in items], "9 frames sealed by C (audio, video keyframe, data) open in the browser")
    sealed_js = lab.call("sframeSeal", {"base": base, "gen": gen, "items": items})
    check(sealed_js == sealed_c, "the browser seals the same bytes as C (same key, KID, CTR, AAD)")
    items2 = [dict(it, ctr=it["ctr"] + 10, pt=b64u(os.urandom(40))) for it in items]
    sealed_js2 = lab.call("sframeSeal", {"base": base, "gen": gen, "items": items2})
    pts, = c_ops({"op": "sframe_open", "base": base, "frames": sealed_js2})
    check(pts["pts"] == [it["pt"] for it in items2], "9 frames sealed in the browser open in C")

    f = sealed_js2[0]   # audio, routing header 16 bytes, then the SFrame header
    slot_changed = flip(f, 3)
    tampered = {"payload": flip(f, 16 + 3 + 5), "tag": flip(f, len(unb64u(f)) - 1),
                "routing header (sequence)": flip(f, 6), "routing header (flags)": flip(f, 2),
                "routing header (capture time)": flip(f, 15), "SFrame header (CTR)": flip(f, 18)}
    for what, bad in tampered.items():
        js = lab.call("sframeOpen", {"base": base, "frames": [bad]})
        cc, = c_ops({"op": "sframe_open", "base": base, "frames": [bad]})
        check(js == [None] and cc["pts"] == [None], f"a changed byte in the {what} is refused by the browser and by C")
    js = lab.call("sframeOpen", {"base": base, "frames": [slot_changed]})
    cc, = c_ops({"op": "sframe_open", "base": base, "frames": [slot_changed]})
    check(js == [items2[0]["pt"]] and cc["pts"] == [items2[0]["pt"]],
          "the sender-slot byte (rewritten by the server) is outside the AAD on both sides")

    js = lab.call("sframeOpen", {"base": base, "frames": [f, f]})
    cc, = c_ops({"op": "sframe_open", "base": base, "frames": [f, f]})
    check(js[1] is None and cc["pts"][1] is None and js[0] and cc["pts"][0], "a replayed frame is refused on both sides")

    # The window: 0, 200, then 73 (127 below: fresh), 72 (128 below), 73 again, 199.
    ctrs = [0, 200, 73, 72, 73, 199]
    w_items = [{"header": b64u(header(1, seq=c)), "ctr": c, "pt": b64u(bytes([c % 256]) * 8)} for c in ctrs]
    w_frames = lab.call("sframeSeal", {"base": base, "gen": gen, "items": w_items})
    js = lab.call("sframeOpen", {"base": base, "frames": w_frames})
    cc, = c_ops({"op": "sframe_open", "base": base, "frames": w_frames})
    want = [True, True, True, False, False, True]
    check([p is not None for p in js] == want and [p is not None for p in cc["pts"]] == want,
          f"replay window of 128: {ctrs} -> {want} in the browser and in C")

    # A frame sealed under the audio KID but carried as video: it authenticates
    # (the AAD is the video header), only the KID-stream rule refuses it.
    odd = lab.call("sframeSeal", {"base": base, "gen": gen,
                                  "items": [{"header": b64u(header(2, seq=9)), "ctr": 50, "pt": b64u(b"x" * 10),
                                             "stream": 1}]})
    js = lab.call("sframeOpen", {"base": base, "frames": odd})
    cc, = c_ops({"op": "sframe_open", "base": base, "frames": odd})
    check(js == [None] and cc["pts"] == [None], "a frame whose KID stream is not its kind's is refused on both sides")

    cap = lab.call("sframeSeal", {"base": base, "gen": gen,
                                  "items": [{"header": b64u(header(1)), "ctr": 2 ** 48, "pt": ""},
                                            {"header": b64u(header(1)), "ctr": 2 ** 48 - 1, "pt": ""}]})
    cc = c_ops({"op": "sframe_seal", "base": base, "gen": gen, "header": b64u(header(1)), "ctr": 2 ** 48, "pt": ""})
    check(cap[0] is None and cap[1] and cc[0]["frame"] is None, "neither side seals past CTR 2^48 - 1")
    cc, = c_ops({"op": "sframe_open", "base": base, "frames": [cap[1]]})
    check(cc["pts"] == [""], "the last counter's frame, sealed in the browser, opens in C")


@scenario
def t_room(lab):
    r = lab.call("room")
    check(r["inviteAuth"] and r["byInvite"], "two RoomE2E with the invite secret authenticate each other by the invite")
    check(r["codeA"] and r["codeA"] == r["codeB"], "both show the same 6-digit code")
    check(r["heldBeforeKey"], "a frame that comes before its sender key is held, not dropped")
    check(r["heldReleased"], "once the key comes, the held frame is opened and handed to onFrame")
    check(r["aCanSend"] and r["aToB"] and r["bToA"], "frames sealed by one open at the other, both ways")
    check(r["replayRefused"], "a replayed frame is refused and counted")
    check(r["tamperRefused"], "a frame with a changed payload or routing-header byte is refused and counted")
    check(r["threeAuth"], "a third member joins: every pair authenticated, everyone can send")
    check(r["rekeyedOnJoin"], "a join makes a new generation (another KID)")
    check(r["newGenOpens"], "the new generation's frames open at both other members")
    check(r["leaverCannotRead"], "after a member leaves, the frames that follow do not open at the leaver's device")
    check(r["hostileRefused"], "hostile frames and bodies are refused without an exception")
    check(r["otherDeviceIgnored"], "a body from another device than the one announced for its slot is ignored and counted")
    check(r["sasBlocked"] and r["sasNoSendBefore"], "without a secret the pair waits for the code; nothing can be sent")
    check(r["sasCodesEqual"], "the codes are equal on both sides")
    check(r["sasAuth"] and r["sasVerified"] and r["sasFrame"],
          "once both confirm the code, the pair is verified, remembered, and frames flow")
    check(r["changedKey"], "another device for a remembered role, without an invite proof: changed key, blocked")
    check(r["knownAgain"], "a device verified before is trusted again without a new code (known)")


@scenario
def t_relay_swap(lab):
    r = lab.call("relaySwap")
    check(r["bothBlocked"] and r["noKeys"], "a relay in the middle: neither real device authenticates its pair; no key is sent, even at a rekey")
    check(r["codeA"] and r["codeB"] and r["codeA"] != r["codeB"], "the two codes differ (the people would see it)")
    check(r["m1CannotRead"], "the relay's device cannot open the victim's frames")
    check(r["rejectedEnds"], "a rejected code ends the pair on both sides")
    check(r["macFails"], "a relay that copies the other pair's invite proof: the MAC fails, possible interception")
    check(r["abortTold"], "the peer is told by an abort body with the reason")
    check(r["swapRefused"], "a relay that swaps the revealed bundle: refused (commitment)")
    check(r["wrongDeviceRefused"], "a bundle of another device than the announced one: refused")
    check(r["badSignatureRefused"], "a bundle whose signature is wrong: refused")
    check(r["bounceRefused"], "our own bundle bounced back as another member's: refused")
    check(r["revealFirst"] and r["secondCommit"],
          "a reveal before the commits, or a second commit, ends the pair with an abort body")


class NativePeer:
    """web_e2e_peer: the native client's e2e state machine as one member."""

    def __init__(self):
        tool = os.environ.get("BILAN_WEB_E2E_PEER")
        if not tool or not os.access(tool, os.X_OK):
            raise TestSkipped("BILAN_WEB_E2E_PEER is not set (run through ctest)")
        self.p = subprocess.Popen([tool], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.sends, self.news, self.lines, self.frames = [], [], [], []

    def cmd(self, **c):
        """Runs one command; its own events (sends, news, lines, frames are also kept)."""
        self.p.stdin.write(json.dumps(c) + "\n")
        self.p.stdin.flush()
        evs = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise TestFailure(f"web_e2e_peer exited during {c['cmd']}")
            ev = json.loads(line)
            if ev["ev"] == "done":
                return evs
            evs.append(ev)
            {"send": self.sends, "news": self.news, "line": self.lines, "frame": self.frames}.get(
                ev["ev"], []).append(ev)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def relay(lab, nat, nat_member, web_member, tamper=None):
    """Carries bodies both ways until neither side has anything to say."""
    for _ in range(200):
        moved = 0
        while nat.sends:
            ev = nat.sends.pop(0)
            body = tamper("native", ev["body"]) if tamper else ev["body"]
            if ev["to"] == web_member["slot"] and body is not None:
                lab.call("webCmd", {"cmd": "body", "from": nat_member["slot"], "device": nat_member["device"],
                                    "body": body})
            moved += 1
        lab.call("webCmd", {"cmd": "state"})   # lets the browser's queue run dry
        for m in lab.call("webOutbox"):
            body = tamper("web", m["body"]) if tamper else m["body"]
            if m["to"] == nat_member["slot"] and body is not None:
                nat.cmd(cmd="body", **{"from": web_member["slot"]}, device=web_member["device"], body=body)
            moved += 1
        if not moved:
            return
    raise TestFailure("the two sides never stopped talking")


def meet_native(lab, nat, secret, bilan, tamper=None, web_secret=True):
    """The native consultant in slot 0, the browser beneficiary in slot 1, as the server tells them."""
    dev = nat.cmd(cmd="init", policy="ask", **({"secret": b64u(secret)} if secret else {}))[0]["device"]
    nat_member = {"slot": 0, "device": dev, "role": "consultant"}
    web_member = lab.call("webPeer", {"bilan": bilan, "secrets": [b64u(secret)] if secret and web_secret else [],
                                      "role": "beneficiary", "slot": 1})
    nat.cmd(cmd="joined", bilan=bilan, slot=0, members=[nat_member])
    lab.call("webCmd", {"cmd": "joined", "slot": 1, "members": [nat_member, web_member]})
    nat.cmd(cmd="member_joined", member=web_member)
    relay(lab, nat, nat_member, web_member, tamper)
    return nat_member, web_member


def frames_both_ways(lab, nat, nat_member, web_member):
    pt = os.urandom(120)
    h = header(1, seq=7)
    f = nat.cmd(cmd="seal", header=b64u(h), pt=b64u(pt))[0]["frame"]
    check(f is not None, "the native side seals an audio frame")
    r = lab.call("webCmd", {"cmd": "open", "frame": f, "slot": nat_member["slot"]})
    check(r and r["pt"] == b64u(pt) and r["slot"] == 0 and r["kind"] == 1,
          "a frame sealed by the native state machine opens in the browser's RoomE2E")
    pt2 = os.urandom(2000)
    f2 = lab.call("webCmd", {"cmd": "seal", "header": b64u(header(2, 1, seq=3)), "pt": b64u(pt2)})
    check(f2 is not None, "the browser seals a video keyframe")
    b = bytearray(unb64u(f2))
    b[3] = web_member["slot"]
    nat.cmd(cmd="open", frame=b64u(bytes(b)))
    check(nat.frames and unb64u(nat.frames[-1]["frame"])[16:] == pt2,
          "a frame sealed by the browser's RoomE2E opens in the native state machine")
    return bytes(b)


@scenario
def t_native(lab):
    nat = NativePeer()
    try:
        secret = os.urandom(32)
        nat_member, web_member = meet_native(lab, nat, secret, "b_native-01")
        st = lab.call("webCmd", {"cmd": "state"})
        codes = [n["code"] for n in nat.news if n["code"] and n["what"] in (1, 2)]
        check(codes and st["codes"].get("0") and codes[0].replace(" ", "") == st["codes"]["0"],
              f"the native side and the browser show the same code")
        check(any("slot=1 authenticated by=invite" in l["text"] for l in nat.lines),
              "the native side authenticates the browser by the invite proof")
        check(st["peers"][0]["authenticated"] and st["peers"][0]["by"] == "invite",
              "the browser authenticates the native side by the invite proof")
        check(st["canSend"] and nat.cmd(cmd="state")[0]["can_send"], "both can send")
        frame = frames_both_ways(lab, nat, nat_member, web_member)
        n0 = len(nat.frames)
        nat.cmd(cmd="open", frame=b64u(frame))
        fresh = lab.call("webCmd", {"cmd": "seal", "header": b64u(header(3, seq=4)), "pt": b64u(b"donnees")})
        bad = bytearray(unb64u(fresh))
        bad[3] = web_member["slot"]
        bad[-5] ^= 1
        nat.cmd(cmd="open", frame=b64u(bytes(bad)))
        s = nat.cmd(cmd="state")[0]["stats"]
        check(len(nat.frames) == n0 and s["replay"] == 1 and s["auth"] == 1,
              "the native side refuses the browser's frame replayed, and with a changed byte")
        # The browser rekeys when a member joins: the native side gets the new key.
        lab.call("webCmd", {"cmd": "member_joined", "member": {"slot": 2, "device": b64u(os.urandom(32)),
                                                               "role": "beneficiary"}})
        relay(lab, nat, nat_member, web_member)
        frames_both_ways(lab, nat, nat_member, web_member)
        check(True, "after the browser's rekey (a member joined) its frames still open natively")

        # A new visit where the relay changes the native side's r in its reveal.
        def tamper(side, body):
            if side == "native" and body.get("t") == "reveal":
                body = dict(body, r=b64u(os.urandom(32)))
            return body
        nat.lines.clear()
        nat.news.clear()
        nat_member, web_member = meet_native(lab, nat, secret, "b_native-01", tamper)
        st = lab.call("webCmd", {"cmd": "state"})
        check(st["peers"][0]["state"] == "refused" and any(
            n[1] == "failed" and "engagement" in (n[2] or "") for n in st["news"]),
            "the browser refuses a reveal that does not match the commitment")
        check(any("refused: l'autre appareil a mis fin" in l["text"] and "engagement" in l["text"]
                  for l in nat.lines), "the native side reads the browser's abort body and ends the pair")
        check(any(n["what"] == 12 and n["code"] and "engagement" in n["code"] for n in nat.news),
              "the native side recognises the reason as one of its own (shown to the person)")
    finally:
        nat.close()


@scenario
def t_native_sas(lab):
    nat = NativePeer()
    try:
        nat_member, web_member = meet_native(lab, nat, None, "b_native-02")
        st = lab.call("webCmd", {"cmd": "state"})
        codes = [n["code"] for n in nat.news if n["code"] and n["what"] == 2]
        check(codes and codes[0].replace(" ", "") == st["codes"].get("0"),
              "without a secret, both show the same code to be read aloud")
        check(st["peers"][0]["state"] == "blocked" and not st["canSend"] and not nat.cmd(cmd="state")[0]["can_send"],
              "nothing can be sent before the code is confirmed")
        lab.call("webCmd", {"cmd": "answer", "slot": 0, "confirmed": True})
        relay(lab, nat, nat_member, web_member)
        nat.cmd(cmd="sas", slot=1, confirmed=True)
        relay(lab, nat, nat_member, web_member)
        st = lab.call("webCmd", {"cmd": "state"})
        check(st["peers"][0]["verified"] and st["canSend"], "the browser: confirmed on both sides, verified, can send")
        check(nat.cmd(cmd="state")[0]["can_send"], "the native side too")
        frames_both_ways(lab, nat, nat_member, web_member)
        # A second visit: the native person says the codes differ.
        nat.news.clear()
        nat_member, web_member = meet_native(lab, nat, None, "b_native-02")
        nat.cmd(cmd="sas", slot=1, confirmed=False)
        relay(lab, nat, nat_member, web_member)
        st = lab.call("webCmd", {"cmd": "state"})
        check(st["peers"][0]["state"] == "refused" and any(n[1] == "rejected_by_peer" for n in st["news"]),
              "a code rejected on the native side ends the pair in the browser")
    finally:
        nat.close()


@scenario
def t_receipts(lab):
    a, other = c_ops({"op": "keys"}, {"op": "keys"})
    b_fp = lab.call("receiptDevice")
    parts = sorted([a["fp"], b_fp], key=unb64u)
    record = {"v": 1, "bilan": "b_receipt-01", "session": "s_0042", "phase": "investigation",
              "start_ms": 1764579600000, "end_ms": 1764583200000, "face_to_face_ms": 3500000,
              "participants": parts, "journal_sha256": b64u(os.urandom(32))}
    reason = "la durée ne correspond pas à ce que cet appareil a vu (écart de 12 min)"
    text, c_att, c_ref = c_ops(
        {"op": "record_text", "record": record},
        {"op": "record_sign", "record": record, "sign_priv": a["sign_priv"], "dh_priv": a["dh_priv"],
         "received_audio_ms": 3400000, "sas_verified": True},
        {"op": "refusal_sign", "record": record, "sign_priv": a["sign_priv"], "dh_priv": a["dh_priv"],
         "reason": reason})
    r = lab.call("receipts", {"record": record, "cReceipt": c_att["attestation"], "cRefusal": c_ref["refusal"],
                              "reason": reason, "other": other["dh_pub"]})
    check(r["parsed"] and r["text"] == text["text"], "§9.4: the browser's canonical record text is C's byte for byte")
    check(r["cReceipt"] is None, "a receipt signed in C verifies in the browser")
    check(r["cRefusal"] is None, "a refusal signed in C verifies in the browser")
    check(r["cReceiptOtherRecord"] and r["cReceiptOtherSas"] and r["cReceiptOtherKey"] and r["cRefusalOtherReason"],
          "the browser refuses C's receipt for another face-to-face time, another sas_verified, another key; "
          "and C's refusal with another reason")
    check(r["notParticipantRefused"], "the browser refuses a well-signed receipt whose signer the record does not name")
    check(r["unsortedRefused"] and r["notNamedRefused"] and r["badReasonRefused"],
          "the browser refuses unsorted participants, signing a record that does not name it, a two-line reason")
    att, ref = r["receipt"], r["refusal"]
    check(att and ref, "the browser signs a receipt and a refusal")
    ftf = dict(record, face_to_face_ms=record["face_to_face_ms"] + 1)
    res = c_ops({"op": "record_verify", "record": record, "attestation": att},
                {"op": "refusal_verify", "record": record, "refusal": ref},
                {"op": "record_verify", "record": ftf, "attestation": att},
                {"op": "record_verify", "record": record, "attestation": dict(att, received_audio_ms=61001)},
                {"op": "refusal_verify", "record": record, "refusal": dict(ref, reason=reason + ".")})
    check(res[0]["ok"], "a receipt signed in the browser (WebCrypto Ed25519) verifies in C")
    check(res[1]["ok"], "a refusal signed in the browser verifies in C")
    check(not res[2]["ok"] and not res[3]["ok"] and not res[4]["ok"],
          "C refuses the browser's receipt for another record or figure, and its refusal with another reason")
    client = os.environ.get("BILAN_CLIENT")
    if client and os.access(client, os.X_OK):
        path = os.path.join(lab.tmp, "receipt.json")
        with open(path, "w") as f:
            json.dump({"receipt": 1, "record": record, "signatures": [att, c_att["attestation"]]}, f)
        env = dict(os.environ, HOME=lab.tmp, XDG_DATA_HOME=os.path.join(lab.tmp, "data"),
                   XDG_CONFIG_HOME=os.path.join(lab.tmp, "config"), LANG="fr_FR.UTF-8")
        p = subprocess.run([client, "receipt", "verify", path], capture_output=True, text=True, env=env,
                           timeout=DEADLINE)
        check(p.returncode == 0 and p.stdout.count(": VALIDE") == 2,
              f"`bilan receipt verify`: the browser's and C's signatures are both VALIDE (exit {p.returncode})")
        with open(path, "w") as f:
            json.dump({"receipt": 1, "record": ftf, "signatures": [att]}, f)
        p = subprocess.run([client, "receipt", "verify", path], capture_output=True, text=True, env=env,
                           timeout=DEADLINE)
        check(p.returncode == 5 and "INVALIDE" in p.stdout, "`bilan receipt verify` of a changed record: INVALIDE (exit 5)")
    else:
        print("  note: BILAN_CLIENT is not set: `bilan receipt verify` not run", flush=True)


if __name__ == "__main__":
    run_tests({"vectors": t_vectors, "pairing": t_pairing, "sframe": t_sframe, "room": t_room,
               "relay_swap": t_relay_swap, "native": t_native, "native_sas": t_native_sas,
               "receipts": t_receipts})
