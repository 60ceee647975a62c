"""test_web_sheets.py: the browser's worksheets (assets/web/sheets*.js) give
the same bytes and the same state as the native client's C code
(bilanproto, through web_sheets_ref), in headless Chromium on the real
server's page.

- canon: a few hundred JSON texts (random unicode written raw or escaped,
  control characters, integers up to int64, reals, nesting, whitespace,
  key orders) and texts jansson refuses: the browser's canonical bytes are
  jansson's, byte for byte, and it refuses the same texts; values made in JS
  come back from C unchanged.
- seal: operations sealed in the browser open and parse in C with the same
  canonical form, and the reverse; a changed byte, another bilan, another
  author or another op id is refused on both sides; hand-written
  plaintexts (reals, repeated keys, bad fields, other spellings) get the
  same verdict and canonical form on both sides; the hybrid clock gives the
  same stamps.
- merge: one set of operations (concurrent edits of one field from two
  devices, sequential edits, a resolved conflict, a forged parent, wrong
  roles, bad values, unknown fields and templates, two creates of one
  sheet, a set before its create, deletes, repeats) added in many orders:
  every order gives one digest (bp_ws_replica_digest) in JS and in C, the
  same; per-operation status equal. Templates: the shipped ones load, and
  about forty broken copies are refused by both, mostly in the same words.
- keys: a document key wrapped in C opens in the browser and the reverse,
  with the same kid; takeWrap refuses a wrap from a device not
  authenticated, a wrong kid, keys that do not give `from`, another bilan.
- consent: a consent statement signed in the browser is canonical and
  verifies with C's bp_ws_consent_verify; a changed statement does not.
- replica: two browser devices (a consultant and a beneficiary) with the
  Sheets class on IndexedDB and a stand-in for the server's ordered store:
  key made and given only after authentication, offline edits kept across a
  reload, synced both ways with nothing lost (a conflict keeps both texts),
  the same digest in both browsers and in C; the close keeps only the
  consented sheet, then nothing.
- native: in the real room page, with the native consultant; see
  test_web_sheets_room.py (integration.web_sheets.native).

Run one scenario: test_web_sheets.py NAME; all: test_web_sheets.py.
"""
import base64
import json
import os
import random
import struct
import subprocess

from harness import TestFailure, TestSkipped, check, run_tests
from web_scene import WebScene

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "..", "assets", "worksheets")
PAGE_JS = os.path.join(HERE, "web_sheets_page.js")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def ref(req):
    tool = os.environ.get("BILAN_WEB_SHEETS_REF")
    if not tool:
        raise TestSkipped("BILAN_WEB_SHEETS_REF is not set (run through ctest)")
    r = subprocess.run([tool, TEMPLATES], input=json.dumps(req).encode(), capture_output=True, timeout=120)
    if r.returncode != 0:
        raise TestFailure(f"web_sheets_ref failed: {r.stderr.decode()[:500]}")
    return json.loads(r.stdout)


class Env:
    """The real server's room page with the sheets modules loaded (window.T)."""

    def __init__(self, name):
        self.scene = WebScene(name)
        self.page = self.scene.open_room()
        with open(PAGE_JS, encoding="utf-8") as f:
            check(self.page.eval(f.read()) is True, "the sheets modules load in the page from /web/")

    def js(self, expr, **args):
        """Evaluates expr with args bound as JSON values."""
        bind = "".join(f"const {k} = {json.dumps(v)};" for k, v in args.items())
        return self.page.eval(f"(async () => {{ {bind} return ({expr}); }})()")

    def close(self, ok):
        errors = [l for l in self.page.console() if l.startswith("exception")]
        self.scene.close(ok and not errors)
        if ok and errors:
            raise TestFailure(f"exceptions in the page: {errors[:3]}")


def scenario(name, body):
    env = Env(f"web-sheets-{name}")
    ok = False
    try:
        body(env)
        ok = True
    finally:
        env.close(ok)


# ---------------------------------------------------------------- canon

CHAR_POOLS = [(0x20, 0x7E), (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0x2FF), (0x2000, 0x206F), (0xD7F0, 0xD7FF),
              (0xE000, 0xFFFF), (0x1F300, 0x1F6FF), (0x10000, 0x10FFFF)]
SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "/": "\\/"}


def gen_char(rng):
    lo, hi = rng.choice(CHAR_POOLS)
    c = chr(rng.randint(lo, hi))
    o = ord(c)
    if c in SHORT and (o < 0x20 or c in '"\\' or rng.random() < 0.5):
        return SHORT[c]
    if o < 0x20 or rng.random() < 0.25:
        if o == 0:
            return "\\u0001"
        if o >= 0x10000:
            v = o - 0x10000
            hi_s, lo_s = 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)
            f = rng.choice(["\\u%04x\\u%04x", "\\u%04X\\u%04X", "\\u%04X\\u%04x"])
            return f % (hi_s, lo_s)
        return rng.choice(["\\u%04x", "\\u%04X"]) % o
    return c


def gen_string(rng):
    return '"' + "".join(gen_char(rng) for _ in range(rng.randint(0, 10))) + '"'


def gen_number(rng):
    k = rng.randint(0, 9)
    if k == 0:
        return str(rng.randint(-1000, 1000))
    if k == 1:
        return str(rng.choice([2 ** 63 - 1, -(2 ** 63), 2 ** 53, 2 ** 53 + 1, -(2 ** 53) - 1, 0]))
    if k == 2:
        return rng.choice(["-0", "0", "-1", "1e2", "1E+2", "-1.5e-3", "0.0", "-0.0", "1e-400", "2.5E0"])
    if k == 3:
        return repr(rng.uniform(-1e6, 1e6))
    if k == 4:
        return "%.17g" % (rng.random() * 10 ** rng.randint(-30, 30))
    if k == 5:
        return repr(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(62)))[0]).replace("inf", "1")
    if k == 6:
        return repr(2.0 ** rng.randint(-1074, 1023))
    if k == 7:
        return "%de%d" % (rng.randint(1, 999), rng.randint(-320, 300))
    if k == 8:
        return str(rng.getrandbits(62) * rng.choice([1, -1]))
    return "%d.%de%+d" % (rng.randint(0, 99), rng.randint(0, 99999), rng.randint(-20, 20))


def ws(rng):
    return rng.choice(["", "", " ", "\n", "\t ", "\r\n  "])


def gen_value(rng, depth):
    k = rng.randint(0, 9 if depth < 4 else 5)
    if k == 0:
        return rng.choice(["null", "true", "false"])
    if k in (1, 2):
        return gen_number(rng)
    if k in (3, 4, 5):
        return gen_string(rng)
    if k in (6, 7):
        return "[" + ",".join(ws(rng) + gen_value(rng, depth + 1) + ws(rng) for _ in range(rng.randint(0, 4))) + "]"
    keys, parts = set(), []
    for _ in range(rng.randint(0, 5)):
        key = gen_string(rng)
        if key in keys:
            continue
        keys.add(key)
        parts.append(ws(rng) + key + ws(rng) + ":" + ws(rng) + gen_value(rng, depth + 1) + ws(rng))
    return "{" + ",".join(parts) + "}"


# Texts jansson refuses (and a few near misses it accepts).
EDGE = [b'{"a":1,"a":2}', b'["\\u0000"]', b'["\\ud800"]', b'["\\udc00\\ud800"]', b'["\\ud800x"]', b"[01]", b"[1.]",
        b"[.5]", b"[-]", b"[+1]", b"[1e]", b"[1e+]", b"[9223372036854775808]", b"[-9223372036854775809]",
        b"[-9223372036854775808]", b"[1e400]", b"[-1e400]", b"[1e-400]", b"\xef\xbb\xbf[1]", b"[1]\x0c", b"[1] x",
        b"1", b'"a"', b"", b"   ", b'["a\x01"]', b'["\xff"]', b'["\xc0\xaf"]', b'["\xed\xa0\x80"]', b"[NaN]",
        b"[Infinity]", b"[true,]", b"[,]", b'{"a":1,}', b"{'a':1}", b'["\\x41"]', b'["\\U0041"]', b'["\\u00e"]',
        b"[1 2]", b'{"a" 1}', b'{"\xc3\xa9":1,"e":2,"\xf0\x9f\x98\x80":3,"\xee\x80\x80":4}', b"[\x00]",
        b"[" * 2048 + b"]" * 2048, b"[" * 2049 + b"]" * 2049, b"[1]\n\t \r", b'["\x7f/\\/"]', b"[tru]", b"[nul]",
        b"[-0.0e0]", b"[0e0]", b"[1E-7]", b"[123456789012345678901234567890]", b"[0.1e1000000]"]


def t_canon():
    def body(env):
        rng = random.Random(12)
        texts = [(ws(rng) + gen_value(rng, 0) + ws(rng)).encode() for _ in range(400)]
        texts = [t if t.strip()[:1] in (b"[", b"{") else b"[" + t + b"]" for t in texts]
        texts += EDGE
        enc = [b64u(t) for t in texts]
        c = ref({"cmd": "canon", "texts": enc})["out"]
        j = env.js("T.canonTexts(texts)", texts=enc)
        check(len(c) == len(j) == len(texts), f"{len(texts)} texts judged on both sides")
        refused = sum(1 for x in c if x is None)
        check(20 <= refused < 120, f"jansson refuses {refused} of them (the edge cases), accepts the rest")
        bad = [(texts[i][:80], c[i] and unb64u(c[i])[:80], j[i] and unb64u(j[i])[:80])
               for i in range(len(texts)) if c[i] != j[i]]
        check(not bad, f"the browser's canonical bytes and refusals are jansson's for all {len(texts)} texts "
                       f"(first differences: {bad[:3]})")
        nonascii = sum(1 for x in c if x and any(b >= 0x80 for b in unb64u(x)))
        escaped = sum(1 for x in c if x and b"\\u00" in unb64u(x))
        check(nonascii > 100 and escaped > 30, f"{nonascii} outputs carry raw UTF-8, {escaped} \\u00XX escapes")
        made = env.js("T.canonRandom(7, 300)")
        back = ref({"cmd": "canon", "texts": made})["out"]
        diff = [(unb64u(made[i])[:80], back[i] and unb64u(back[i])[:80]) for i in range(len(made)) if made[i] != back[i]]
        check(not diff, f"300 values made in JS: jansson parses their canonical bytes and writes the same ({diff[:3]})")
    scenario("canon", body)


# ---------------------------------------------------------------- seal

def flip(b64, at=-1):
    b = bytearray(unb64u(b64))
    b[at] ^= 0x01
    return b64u(bytes(b))


BAD_PLAINS = [
    ("real value", '{"device":"%(d)s","field":"obstacles","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":1.0}'),
    ("repeated key", '{"v":1,"v":1,"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","type":"delete"}'),
    ("unknown key", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1,"x":1}'),
    ("field in create", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","template":"recit","type":"create","v":1}'),
    ("missing value", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1}'),
    ("own parent", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":["%(o)s"],"sheet":"%(s)s","type":"set","v":1,"value":null}'),
    ("repeated parent", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":["%(s)s","%(s)s"],"sheet":"%(s)s","type":"set","v":1,"value":null}'),
    ("counter 65536", '{"device":"%(d)s","hlc":[1,65536],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1}'),
    ("ms 2^53", '{"device":"%(d)s","hlc":[9007199254740992,0],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1}'),
    ("v 2", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":2}'),
    ("v 1.0", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1.0}'),
    ("bad type", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","type":"move","v":1}'),
    ("template case", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s","sheet":"%(s)s","template":"Recit","type":"create","v":1}'),
    ("long field", '{"device":"%(d)s","field":"' + "a" * 41 + '","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":null}'),
    ("object value", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":{}}'),
    ("101 items", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":[' + ",".join(['"x"'] * 101) + ']}'),
    ("int in array", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":["x",1]}'),
    ("padded id", '{"device":"%(d)s","hlc":[1,0],"op":"%(o)s==","sheet":"%(s)s","type":"delete","v":1}'),
    ("hlc of 3", '{"device":"%(d)s","hlc":[1,0,0],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1}'),
    ("spaces and order", ' { "v" : 1 , "type":"set", "value": "\\u00e9\\/", "sheet":"%(s)s","parents":[ ],"op":"%(o)s","hlc":[ -0 , 7],"field":"a","device":"%(d)s" } '),
    ("huge integer value", '{"device":"%(d)s","field":"a","hlc":[1,0],"op":"%(o)s","parents":[],"sheet":"%(s)s","type":"set","v":1,"value":-9223372036854775808}'),
    ("negative counter", '{"device":"%(d)s","hlc":[1,-1],"op":"%(o)s","sheet":"%(s)s","type":"delete","v":1}'),
]


def t_seal():
    def body(env):
        key, bilan, other_bilan = os.urandom(32), env.scene.bilan, env.scene.bilan + "x"
        author, other = b64u(os.urandom(32)), b64u(os.urandom(32))
        ops = env.js("T.makeOps(author)", author=author)
        items = [{"op": o["op"], "author": author, "plain": o["plain"]} for o in ops]
        # browser -> C
        sealed = env.js("T.seal(k, bilan, items)", k=b64u(key), bilan=bilan, items=items)
        got = ref({"cmd": "open", "key": b64u(key), "bilan": bilan,
                   "items": [dict(op=i["op"], author=author, sealed=s) for i, s in zip(items, sealed)]})["out"]
        check(all(g["plain"] == i["plain"] and g["canon"] == i["plain"] and not g["error"] for g, i in zip(got, items)),
              f"{len(items)} operations sealed in the browser open in C and parse to the same canonical bytes")
        for what, req in [("a changed last byte", dict(bilan=bilan, author=author, f=lambda s: flip(s))),
                          ("a changed nonce byte", dict(bilan=bilan, author=author, f=lambda s: flip(s, 0))),
                          ("another bilan", dict(bilan=other_bilan, author=author, f=lambda s: s)),
                          ("another author", dict(bilan=bilan, author=other, f=lambda s: s))]:
            got = ref({"cmd": "open", "key": b64u(key), "bilan": req["bilan"],
                       "items": [dict(op=i["op"], author=req["author"], sealed=req["f"](s)) for i, s in zip(items, sealed)]})
            check(all(g["plain"] is None for g in got["out"]), f"C refuses every browser-sealed operation with {what}")
        swapped = ref({"cmd": "open", "key": b64u(key), "bilan": bilan,
                       "items": [dict(op=items[1]["op"], author=author, sealed=sealed[0])]})["out"]
        check(swapped[0]["plain"] is None, "C refuses a sealed operation given another op id")
        # C -> browser
        csealed = ref({"cmd": "seal", "key": b64u(key), "bilan": bilan, "items": items})["sealed"]
        opened = env.js("T.open(k, bilan, items)", k=b64u(key), bilan=bilan,
                        items=[dict(op=i["op"], author=author, sealed=s) for i, s in zip(items, csealed)])
        check(all(o["canon"] == i["plain"] for o, i in zip(opened, items)),
              "operations sealed in C open and parse in the browser to the same canonical bytes")
        for what, b, a, f in [("a changed byte", bilan, author, lambda s: flip(s, 20)), ("another bilan", other_bilan, author, lambda s: s),
                              ("another author", bilan, other, lambda s: s)]:
            o = env.js("T.open(k, bilan, items)", k=b64u(key), bilan=b,
                       items=[dict(op=i["op"], author=a, sealed=f(s)) for i, s in zip(items, csealed)])
            check(all(x["plain"] is None for x in o), f"the browser refuses every C-sealed operation with {what}")
        o = env.js("T.open(k, bilan, items)", k=b64u(os.urandom(32)), bilan=bilan,
                   items=[dict(op=items[0]["op"], author=author, sealed=csealed[0])])
        check(o[0]["plain"] is None, "the browser refuses an operation under another key")
        o = env.js("T.open(k, bilan, items)", k=b64u(key), bilan=bilan,
                   items=[dict(op=items[1]["op"], author=author, sealed=csealed[0])])
        check(o[0]["plain"] is None, "the browser refuses a C-sealed operation given another op id")
        # the same verdict on hand-written plaintexts
        ids = {"d": author, "o": b64u(os.urandom(16)), "s": b64u(os.urandom(16))}
        plains = [(name, (text % ids).encode()) for name, text in BAD_PLAINS]
        pitems = [{"op": ids["o"], "author": author, "plain": b64u(p)} for _, p in plains]
        cs = ref({"cmd": "seal", "key": b64u(key), "bilan": bilan, "items": pitems})["sealed"]
        titems = [dict(op=ids["o"], author=author, sealed=s) for s in cs]
        cj = ref({"cmd": "open", "key": b64u(key), "bilan": bilan, "items": titems})["out"]
        jj = env.js("T.open(k, bilan, items)", k=b64u(key), bilan=bilan, items=titems)
        for (name, _), c, j in zip(plains, cj, jj):
            check((c["error"] is None) == (j["error"] is None) and c["canon"] == j["canon"],
                  f"{name}: {'accepted' if c['error'] is None else 'refused'} by both, same canonical form"
                  f" (C: {c['error']}; JS: {j['error']})")
        check(sum(1 for c in cj if c["error"] is None) == 2, "only the other spelling and the int64 value parse")
        # the clock
        rng = random.Random(5)
        steps, now = [], 1_700_000_000_000
        for _ in range(400):
            now += rng.choice([-5, 0, 0, 1, 3])
            if rng.random() < 0.5:
                steps.append(["local", now])
            else:
                steps.append(["recv", now + rng.randint(-3, 3), rng.choice([0, 1, 65534, 65535, rng.randint(0, 65535)]), now])
        check(env.js("T.hlc(steps)", steps=steps) == ref({"cmd": "hlc", "steps": steps})["stamps"],
              f"the hybrid clock gives the same {len(steps)} stamps in JS and C (counter overflow included)")
    scenario("seal", body)


# ---------------------------------------------------------------- merge

def op_text(**o):
    o.setdefault("v", 1)
    return json.dumps(o, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def merge_ops():
    """The operations of the merge scenario: (texts, roles, names)."""
    rid = lambda: b64u(os.urandom(16))  # noqa: E731
    C, B1, B2, X = (b64u(os.urandom(32)) for _ in range(4))
    roles = {C: "consultant", B1: "beneficiary", B2: "beneficiary"}
    P, M, D, Q, H, U = (rid() for _ in range(6))
    n = {}

    def add(name, **o):
        o["op"] = rid()
        n[name] = o
        return o

    add("p_create", sheet=P, type="create", template="plan_action", hlc=[1000, 0], device=C)
    add("pv_c", sheet=P, type="set", field="projet_vise", value="Projet du consultant", parents=[], hlc=[1001, 0], device=C)
    add("pv_b1", sheet=P, type="set", field="projet_vise", value="Mon projet à moi 😀", parents=[], hlc=[1001, 0], device=B1)
    add("pv_b2", sheet=P, type="set", field="projet_vise", value="Depuis mon téléphone", parents=[n["pv_c"]["op"]], hlc=[1002, 0], device=B2)
    add("ob_c", sheet=P, type="set", field="obstacles", value="x", parents=[], hlc=[1001, 1], device=C)
    add("ob_b1", sheet=P, type="set", field="obstacles", value="y", parents=[], hlc=[1001, 1], device=B1)
    add("ob_fix", sheet=P, type="set", field="obstacles", value="x puis y", parents=[n["ob_b1"]["op"], n["ob_c"]["op"]], hlc=[1005, 0], device=C)
    add("ech_c", sheet=P, type="set", field="echeance", value="2027-01-01", parents=[], hlc=[1003, 0], device=C)
    add("ech_b1", sheet=P, type="set", field="echeance", value="2027-02-02", parents=[], hlc=[1003, 0], device=B1)
    add("fin_ok", sheet=P, type="set", field="financement", value=["cpf", "employeur"], parents=[], hlc=[1004, 0], device=B1)
    add("fin_bad", sheet=P, type="set", field="financement", value=["cpf", "cpf"], parents=[n["fin_ok"]["op"]], hlc=[1006, 0], device=C)
    add("acc_role", sheet=P, type="set", field="accompagnement_cep", value="propose", parents=[], hlc=[1004, 1], device=B1)
    add("unknown_field", sheet=P, type="set", field="nulle_part", value="?", parents=[], hlc=[1004, 2], device=C)
    add("no_role", sheet=P, type="set", field="obstacles", value="intrus", parents=[], hlc=[1009, 0], device=X)
    add("ec_b1", sheet=P, type="set", field="etapes_court", value=["appeler", "écrire"], parents=[], hlc=[1010, 0], device=B1)
    add("ec_forged", sheet=P, type="set", field="etapes_court", value=["forgé"], parents=[n["ec_b1"]["op"]], hlc=[1009, 5], device=C)
    add("m_create", sheet=M, type="create", template="motivation", hlc=[1100, 0], device=B1)
    add("va_b1", sheet=M, type="set", field="valeur_autonomie", value=4, parents=[], hlc=[1101, 0], device=B1)
    add("va_c", sheet=M, type="set", field="valeur_autonomie", value=3, parents=[], hlc=[1102, 0], device=C)
    add("va_big", sheet=M, type="set", field="valeur_securite", value=2 ** 60, parents=[], hlc=[1103, 0], device=B1)
    add("d_create", sheet=D, type="create", template="synthese", hlc=[1200, 0], device=C)
    add("d_set", sheet=D, type="set", field="contexte", value="ligne\nsuivante\t\u0085", parents=[], hlc=[1201, 0], device=C)
    add("d_set2", sheet=D, type="set", field="contexte", value="ligne\nsuivante", parents=[], hlc=[1201, 0], device=C)
    add("d_delete", sheet=D, type="delete", hlc=[1202, 0], device=C)
    add("q_orphan", sheet=Q, type="set", field="projet_vise", value="sans fiche", parents=[], hlc=[1300, 0], device=C)
    add("h_create1", sheet=H, type="create", template="plan_action", hlc=[2000, 0], device=C)
    add("h_create2", sheet=H, type="create", template="motivation", hlc=[1999, 0], device=X)
    add("h_set", sheet=H, type="set", field="projet_vise", value="rebâti", parents=[], hlc=[2001, 0], device=C)
    add("h_set2", sheet=H, type="set", field="valeur_autonomie", value=5, parents=[], hlc=[2002, 0], device=B2)
    add("u_create", sheet=U, type="create", template="inconnu", hlc=[2100, 0], device=C)
    add("u_set", sheet=U, type="set", field="projet_vise", value="?", parents=[], hlc=[2101, 0], device=C)
    texts = [op_text(**o) for o in n.values()]
    return texts, roles, {k: v["op"] for k, v in n.items()}


def t_merge():
    def body(env):
        texts, roles, names = merge_ops()
        rng = random.Random(3)
        orders = [list(range(len(texts))), list(reversed(range(len(texts))))]
        for _ in range(10):
            o = list(range(len(texts)))
            rng.shuffle(o)
            orders.append(o)
        rep = list(range(len(texts))) + [rng.randrange(len(texts)) for _ in range(15)]
        rng.shuffle(rep)
        orders.append(rep)
        c = ref({"cmd": "merge", "roles": roles, "ops": texts, "orders": orders})
        j = env.js("T.merge(null, roles, ops, orders)", roles=roles, ops=texts, orders=orders)
        check(len(set(c["digests"])) == 1, f"C: {len(orders)} orders (one with repeats) give one state")
        check(len(set(j["digests"])) == 1, f"browser: the same {len(orders)} orders give one state")
        check(c["digests"][0] == j["digests"][0], f"the browser's digest is C's ({j['digests'][0][:16]}...)")
        diff = {k: (c["status"][v], j["status"][v]) for k, v in names.items() if c["status"][v] != j["status"][v]}
        check(not diff, f"every operation has the same status (applied or why not) in C and JS ({diff})")
        st = {k: c["status"][v] for k, v in names.items()}
        check(set(st.values()) == {0, 1, 2, 3, 4, 5}, "the scenario reaches every status: applied, no create, "
                                                       "unknown template, unknown field, bad value, role")
        check(st["acc_role"] == 5 and st["no_role"] == 5 and st["va_c"] == 5, "a field of the other role is held")
        check(st["fin_bad"] == 4 and st["va_big"] == 4 and st["d_set"] == 4, "values that do not fit are held")
        check(st["h_set"] == 3 and st["h_set2"] == 0, "two creates: the smallest gives the template, the sheet rebuilt")
        P = texts[0].split('"sheet":"')[1][:22]
        f = j["fields"]
        check(f[P + "/projet_vise"]["n"] == 2 and f[P + "/projet_vise"]["conflict"],
              "concurrent edits of one text from two devices: both kept as a conflict")
        check(f[P + "/obstacles"]["n"] == 1 and f[P + "/obstacles"]["winner"] == names["ob_fix"],
              "a resolving set replaces both heads")
        check(f[P + "/echeance"]["n"] == 2 and not f[P + "/echeance"]["conflict"], "a date set twice: a winner, no conflict")
        check(f[P + "/etapes_court"]["n"] == 2, "a forged parent newer than its child replaces nothing")
        fewer = ref({"cmd": "merge", "roles": roles, "ops": texts, "orders": [list(range(len(texts) - 1))]})
        check(fewer["digests"][0] != c["digests"][0], "one operation less gives another digest")
        check_templates(env)
    scenario("merge", body)



# ---------------------------------------------------------------- templates

def template_cases():
    """The shipped templates and broken copies of synthese.json: (name, bytes, expected id)."""
    out = []
    for n in sorted(os.listdir(TEMPLATES)):
        with open(os.path.join(TEMPLATES, n), "rb") as f:
            out.append((n, f.read(), n[:-5]))
    with open(os.path.join(TEMPLATES, "synthese.json"), encoding="utf-8") as f:
        base = json.load(f)

    def mut(name, fn, expect="synthese"):
        t = json.loads(json.dumps(base))
        fn(t)
        out.append((name, json.dumps(t, ensure_ascii=False).encode(), expect))

    f0 = lambda t: t["sections"][0]["fields"][0]  # noqa: E731 - a text field
    mut("unknown top key", lambda t: t.update(auteur="x"))
    mut("misspelt help", lambda t: f0(t).update(hepl="aide"))
    mut("min on a text", lambda t: f0(t).update(min=1))
    mut("options on a text", lambda t: f0(t).update(options=[{"id": "a", "label": "A"}]))
    mut("unknown kind", lambda t: f0(t).update(kind="liste"))
    mut("kind not a string", lambda t: f0(t).update(kind=3))
    mut("editors", lambda t: f0(t).update(editors="tous"))
    mut("label on two lines", lambda t: f0(t).update(label="a\nb"))
    mut("C1 control in a label", lambda t: f0(t).update(label="a\u0085b"))
    mut("DEL in a title", lambda t: t.update(title="a\u007fb"))
    mut("label of 202 bytes", lambda t: f0(t).update(label="é" * 101))
    mut("label of 200 bytes", lambda t: f0(t).update(label="é" * 100))
    mut("empty label", lambda t: f0(t).update(label=""))
    mut("missing label", lambda t: f0(t).pop("label"))
    mut("help of 1001 bytes", lambda t: f0(t).update(help="h" * 1001))
    mut("field id twice", lambda t: t["sections"][1]["fields"].append(dict(f0(t))))
    mut("section id twice", lambda t: t["sections"].append(dict(t["sections"][0])))
    mut("format 2", lambda t: t.update(format=2))
    mut("format 1.0", lambda t: t.update(format=1.0))
    mut("id not the file's", lambda t: None, expect="autre")
    mut("id upper case", lambda t: t.update(id="Synthese"), expect=None)
    mut("phase", lambda t: t.update(phase="fin"))
    mut("no sections", lambda t: t.update(sections=[]))
    mut("no fields", lambda t: t["sections"][0].update(fields=[]))
    mut("field not an object", lambda t: t["sections"][0]["fields"].insert(1, "champ"))
    mut("scale min = max", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "scale", "editors": "both", "min": 3, "max": 3}))
    mut("scale max 101", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "scale", "editors": "both", "min": 0, "max": 101}))
    mut("scale without min", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "scale", "editors": "both", "max": 5}))
    mut("scale labels", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "scale", "editors": "both", "min": 1, "max": 5, "min_label": "peu"}))
    mut("choice without options", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "choice", "editors": "both"}))
    mut("option id twice", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "multi", "editors": "both", "options": [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]}))
    mut("51 options", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "choice", "editors": "both", "options": [{"id": f"o{i}", "label": "O"} for i in range(51)]}))
    mut("option with a key more", lambda t: t["sections"][0]["fields"].append(
        {"id": "z", "label": "Z", "kind": "choice", "editors": "both", "options": [{"id": "a", "label": "A", "aide": "x"}]}))
    text = json.dumps(base, ensure_ascii=False).encode()
    out.append(("repeated key", text.replace(b'"format": 1,', b'"format": 1, "format": 1,', 1), "synthese"))
    out.append(("BOM", b"\xef\xbb\xbf" + text, "synthese"))
    out.append(("not UTF-8", text.replace("é".encode(), b"\xe9", 1), "synthese"))
    out.append(("cut short", text[:-2], "synthese"))
    return out


def check_templates(env):
    cases = template_cases()
    items = [{"text": b64u(t), "id": i} for _, t, i in cases]
    c = ref({"cmd": "template", "items": items})["out"]
    j = env.js("T.templates(items)", items=items)
    for (name, _, _), cv, jv in zip(cases, c, j):
        check((cv == "ok") == (jv == "ok"), f"template {name}: {'accepted' if cv == 'ok' else 'refused'} by both"
                                            f" (C: {cv[:90]}; JS: {jv[:90]})")
    check(sum(1 for x in c if x == "ok") == 12, "the 10 shipped templates (and the two near misses) load; every broken copy is refused")
    same = sum(1 for cv, jv in zip(c, j) if cv == jv)
    check(same >= len(c) - 4, f"{same} of {len(c)} verdicts are the same French sentence in C and JS")


# ---------------------------------------------------------------- keys

def t_keys():
    def body(env):
        bilan = env.scene.bilan
        cid = ref({"cmd": "keygen"})
        key = os.urandom(32)
        env.js("(async () => { window.ID = await T.identity(); return true; })()")
        me = env.js("T.pub(ID)")
        # C -> browser
        w = ref({"cmd": "wrap", "dh_priv": cid["dh_priv"], "fp": cid["fp"], "to_dh_pub": me["dh_pub"], "to_fp": me["fp"],
                 "bilan": bilan, "key": b64u(key)})
        entry = {"from": cid["fp"], "sign_pub": cid["sign_pub"], "dh_pub": cid["dh_pub"], "wrap": w["wrap"]}
        take = """(async () => {
            const r = await T.mods.keys.takeWrap(ID, bilan, entry, kid, async (fp) => trusted.includes(fp));
            return r.why ? {why: r.why} : {key: T.mods.bytes.b64u(r.key), kid: r.kid}; })()"""
        r = env.js(take, bilan=bilan, entry=entry, kid=w["kid"], trusted=[cid["fp"]])
        check(r.get("key") == b64u(key) and r.get("kid") == w["kid"],
              "a key wrapped in C opens in the browser, from an authenticated device, with the bilan's kid")
        kid_js = env.js("T.mods.keys.kidOf(T.mods.bytes.unb64u(k)).then(x => x)", k=b64u(key))
        check(kid_js == w["kid"], "the browser's kid is C's")
        r = env.js(take, bilan=bilan, entry=entry, kid=w["kid"], trusted=[])
        check(r.get("why", "").startswith("from a device this one never authenticated"),
              "a wrap from a device not authenticated in the room is refused")
        r = env.js(take, bilan=bilan, entry=entry, kid=b64u(os.urandom(16)), trusted=[cid["fp"]])
        check(r.get("why") == "the key is not the bilan's", "a wrap whose key has another kid is refused")
        other = ref({"cmd": "keygen"})
        r = env.js(take, bilan=bilan, entry=dict(entry, sign_pub=other["sign_pub"]), kid=w["kid"], trusted=[cid["fp"]])
        check(r.get("why") == "its keys do not match its fingerprint", "keys that do not give `from` are refused")
        r = env.js(take, bilan=bilan + "x", entry=entry, kid=w["kid"], trusted=[cid["fp"]])
        check(r.get("why") == "does not open", "a wrap made for another bilan does not open")
        r = env.js(take, bilan=bilan, entry=dict(entry, wrap=flip(entry["wrap"], 30)), kid=w["kid"], trusted=[cid["fp"]])
        check(r.get("why") == "does not open", "a changed wrap does not open")
        # browser -> C
        wj = env.js("""(async () => T.mods.bytes.b64u(await T.mods.keys.wrapKey(ID, T.mods.bytes.unb64u(dh), T.mods.bytes.unb64u(fp),
                        bilan, T.mods.bytes.unb64u(k))))()""", dh=cid["dh_pub"], fp=cid["fp"], bilan=bilan, k=b64u(key))
        u = ref({"cmd": "unwrap", "dh_priv": cid["dh_priv"], "fp": cid["fp"], "from_dh_pub": me["dh_pub"],
                 "from_fp": me["fp"], "bilan": bilan, "wrap": wj})
        check(u["key"] == b64u(key) and u["kid"] == w["kid"], "a key wrapped in the browser opens in C with the same kid")
        u = ref({"cmd": "unwrap", "dh_priv": cid["dh_priv"], "fp": cid["fp"], "from_dh_pub": me["dh_pub"],
                 "from_fp": cid["fp"], "bilan": bilan, "wrap": wj})
        check(u["key"] is None, "C refuses the browser's wrap said to come from another device")
        # a wrap to itself (the claim) is taken without authentication
        self_wrap = env.js("""(async () => T.mods.bytes.b64u(await T.mods.keys.wrapKey(ID, ID.dhPub, ID.fp, bilan,
                              T.mods.bytes.unb64u(k))))()""", bilan=bilan, k=b64u(key))
        mine = dict(me, **{"from": me["fp"], "wrap": self_wrap})
        mine.pop("fp")
        r = env.js(take, bilan=bilan, entry=mine, kid=w["kid"], trusted=[])
        check(r.get("key") == b64u(key), "this device's own wrap (its claim) opens without a peer")
    scenario("keys", body)


# ---------------------------------------------------------------- consent

def t_consent():
    def body(env):
        bilan = env.scene.bilan
        env.js("(async () => { window.ID = await T.identity(); return true; })()")
        me = env.js("T.pub(ID)")
        sheets = [b64u(os.urandom(16)) for _ in range(5)]
        r = env.js("""(async () => {
            const st = T.mods.sheets.Sheets.prototype.consentStatement.call({bilan, self: T.mods.bytes.b64u(ID.fp)},
                                                                          [...sheets, sheets[0]], 1764547200);
            const sig = await T.mods.sheets.signConsent(ID, st);
            return {st: T.mods.bytes.b64u(T.mods.bytes.utf8(st)), sig: T.mods.bytes.b64u(sig)}; })()""",
                   bilan=bilan, sheets=sheets)
        c = ref({"cmd": "consent", "sign_pub": me["sign_pub"], "statement": r["st"], "sig": r["sig"]})
        check(c["parse"] == "ok" and c["n_sheets"] == 5 and c["device"] == me["fp"],
              "the browser's consent statement is canonical for C (sorted, distinct sheets, this device)")
        check(c["verify"], "its Ed25519 signature verifies with C's bp_ws_consent_verify")
        st = unb64u(r["st"]).replace(b'"at":1764547200', b'"at":1764547201')
        c = ref({"cmd": "consent", "sign_pub": me["sign_pub"], "statement": b64u(st), "sig": r["sig"]})
        check(c["parse"] == "ok" and not c["verify"], "a statement changed after signing does not verify")
        other = ref({"cmd": "keygen"})
        c = ref({"cmd": "consent", "sign_pub": other["sign_pub"], "statement": r["st"], "sig": r["sig"]})
        check(not c["verify"], "nor under another device's key")
    scenario("consent", body)


def t_replica():
    from test_web_sheets_replica import replica_body
    scenario("replica", lambda env: replica_body(env, ref, check))


if __name__ == "__main__":
    run_tests({"canon": t_canon, "seal": t_seal, "merge": t_merge, "keys": t_keys, "consent": t_consent,
               "replica": t_replica})
