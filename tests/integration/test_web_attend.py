"""test_web_attend.py: attendance receipts made by the browser client
(assets/web/attend.js, PROTOCOL.md §9.3-9.4), checked by the native tools.

- sign: a record signed in the browser (receipt and refusal) is checked by
  `bilan receipt verify` as a native receipt is: complete (0), refused (7);
  one changed figure makes it invalid (5); a record that does not name the
  browser device is not signed at all.
- parse: the browser's record parser refuses what the C parser refuses
  (participants out of order or repeated, face to face longer than the
  session, an unknown phase, a negative time, a bad hash).
- check: the browser signs only what it saw: a record that matches its own
  observation passes; the review's attack (8 h claimed 3 s after the
  session opened), another session, a forgotten or invented device are
  refused with their French reason.

- flow: sessions.js as the room drives it (hours, observation kept in the
  store, receipt on the spot and on a later visit, forged record refused).

Run one scenario: test_web_attend.py NAME; all: test_web_attend.py.
"""
import json
import os
import subprocess

from harness import CLIENT_BIN, DEADLINE, check, run_tests
from web_scene import WebScene

# An ad hoc device identity inside the page (the product's is identity.js).
IDENTITY_JS = """
const W = await import('/web/wcrypto.js'); const B = await import('/web/bytes.js');
const A = await import('/web/attend.js');
const ed = await W.ed25519Generate(); const x = await W.x25519Generate();
const fp = await W.sha256(B.utf8('bilan-device-v1'), ed.pub, x.pub);
const id = {fp, signPub: ed.pub, dhPub: x.pub, sign: (m) => W.ed25519Sign(ed.priv, m)};
"""


def in_page(page, body):
    return page.eval("(async () => {" + IDENTITY_JS + body + "})()")


def verify(tmp, name, receipt):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(receipt, f)
    r = subprocess.run([CLIENT_BIN, "receipt", "verify", path], capture_output=True, text=True,
                       timeout=DEADLINE, env=dict(os.environ, BILAN_HOME=os.path.join(tmp, "verifier")))
    return r.returncode, r.stdout + r.stderr


MAKE = """
const other = B.b64u(new Uint8Array(32).fill(7));
const me = B.b64u(id.fp);
const parts = [me, other].sort((a, b) => B.compare(B.unb64u(a), B.unb64u(b)));
const rec = {v: 1, bilan: 'b1', session: 's1', phase: 'investigation', start_ms: 1700000000000,
  end_ms: 1700003600000, face_to_face_ms: 3500000, participants: parts,
  journal_sha256: B.b64u(new Uint8Array(32).fill(9))};
const r = A.parseRecord(rec);
"""


def t_sign():
    s = WebScene("web-attend-sign")
    ok = False
    try:
        page = s.open_room()
        out = in_page(page, MAKE + """
            const rc = await A.signReceipt(id, r, 3400000, true);
            const rf = await A.signRefusal(id, r, 'le relevé compte 0:58:20 de face-à-face, cet appareil en a vu 0:30:00');
            let strangerSigned = true;
            const r2 = A.parseRecord({...rec, participants: [other]});
            try { await A.signReceipt(id, r2, 0, false); } catch { strangerSigned = false; }
            return {rec, rc, rf, me: B.b64u(id.fp), sign_pub: B.b64u(id.signPub), dh_pub: B.b64u(id.dhPub),
                    strangerSigned};""")
        who = {"signer": out["me"], "sign_pub": out["sign_pub"], "dh_pub": out["dh_pub"]}
        sig = dict(who, received_audio_ms=out["rc"]["received_audio_ms"], sas_verified=out["rc"]["sas_verified"],
                   sig=out["rc"]["sig"])
        rc, text = verify(s.tmp, "one.json", {"receipt": 1, "record": out["rec"], "signatures": [sig]})
        check(rc == 6, f"a receipt signed in the browser verifies, one participant missing (6): {rc}\n{text}")
        check(out["me"][:8] not in text or "signed" in text.lower() or "sign" in text.lower(),
              "the verifier names the browser's signature")
        bad = dict(out["rec"], face_to_face_ms=out["rec"]["face_to_face_ms"] + 1)
        rc, text = verify(s.tmp, "changed.json", {"receipt": 1, "record": bad, "signatures": [sig]})
        check(rc == 5, f"one changed figure makes it invalid (5): {rc}")
        refusal = dict(who, reason=out["rf"]["reason"], sig=out["rf"]["sig"])
        rc, text = verify(s.tmp, "refused.json", {"receipt": 1, "record": out["rec"], "signatures": [],
                                                  "refusals": [refusal]})
        check(rc == 7, f"a refusal signed in the browser is reported as a refusal (7): {rc}\n{text}")
        check(not out["strangerSigned"], "a record that does not name the browser device is not signed")
        ok = True
    finally:
        s.close(ok)


def t_parse():
    s = WebScene("web-attend-parse")
    ok = False
    try:
        page = s.open_room()
        out = in_page(page, MAKE + """
            const cases = {
              good: rec,
              unsorted: {...rec, participants: rec.participants.slice().reverse()},
              repeated: {...rec, participants: [me, me]},
              ftf_too_long: {...rec, face_to_face_ms: 3600001},
              phase: {...rec, phase: 'pause'},
              negative: {...rec, start_ms: -1},
              ends_before: {...rec, end_ms: rec.start_ms - 1},
              hash: {...rec, journal_sha256: 'AAAA'},
              version: {...rec, v: 2},
              bad_id: {...rec, bilan: 'a/b'},
              float: {...rec, end_ms: 1700003600000.5},
            };
            const res = {};
            for (const [k, v] of Object.entries(cases)) res[k] = A.parseRecord(v) !== null;
            return res;""")
        check(out.pop("good"), "a valid record parses")
        for k, v in out.items():
            check(not v, f"a record with {k.replace('_', ' ')} is refused")
        ok = True
    finally:
        s.close(ok)


def t_check():
    s = WebScene("web-attend-check")
    ok = False
    try:
        page = s.open_room()
        out = in_page(page, MAKE + """
            const t0 = 5000000;
            const roster = [{device: me, consultant: false}, {device: other, consultant: true}];
            const o = new A.Observation('s1', true, rec.start_ms, 0, t0);
            o.roster(roster, true, false, t0);
            o.rtt(40);
            o.roster([roster[0]], true, true, t0 + 3500000);   // the consultant left 100 s before the close
            o.close(rec.end_ms, rec.face_to_face_ms, t0 + 3600000);
            const res = {};
            res.matches = o.check(r, 'b1', me, t0 + 3600000);
            res.other_bilan = o.check(r, 'b2', me, t0 + 3600000);
            // The review's attack: 8 h claimed, 3 s after the session opened.
            const early = new A.Observation('s1', true, rec.start_ms, 0, t0);
            early.roster(roster, true, false, t0);
            const r8 = A.parseRecord({...rec, end_ms: rec.start_ms + 8 * 3600000, face_to_face_ms: 8 * 3600000});
            res.eight_hours = early.check(r8, 'b1', me, t0 + 3000);
            // A device we saw is forgotten; a device we never saw is named.
            const third = B.b64u(new Uint8Array(32).fill(200));
            const o2 = new A.Observation('s1', true, rec.start_ms, 0, t0);
            o2.roster([...roster, {device: third, consultant: true}], true, false, t0);
            o2.roster([roster[0]], true, true, t0 + 3500000);
            o2.close(rec.end_ms, rec.face_to_face_ms, t0 + 3600000);
            res.forgotten = o2.check(r, 'b1', me, t0 + 3600000);
            const o3 = new A.Observation('s1', true, rec.start_ms, 0, t0);
            o3.roster(roster, true, false, t0);
            o3.roster([roster[0]], true, true, t0 + 3500000);
            o3.close(rec.end_ms, rec.face_to_face_ms, t0 + 3600000);
            const r3 = A.parseRecord({...rec, participants: [...rec.participants, third].sort(
              (a, b) => B.compare(B.unb64u(a), B.unb64u(b)))});
            res.invented = o3.check(r3, 'b1', me, t0 + 3600000);
            // Kept and restored: the same verdict on a later visit.
            const back = A.Observation.fromJSON(JSON.parse(JSON.stringify(o)));
            res.restored = back && back.check(r, 'b1', me, t0 + 3600000);
            res.restored_bad = A.Observation.fromJSON({...JSON.parse(JSON.stringify(o)), last_ms: -1});
            return res;""")
        check(out["matches"] is None, f"{out['matches']}: a record that matches what the browser saw is signed")
        check(out["other_bilan"] and "autre bilan" in out["other_bilan"], "a record of another bilan is refused")
        check(out["eight_hours"] and "8:00:00" in out["eight_hours"],
              f"8 h claimed 3 s after the opening is refused: {out['eight_hours']}")
        check(out["forgotten"] and "oublie un appareil" in out["forgotten"], "a forgotten device is refused")
        check(out["invented"] and "jamais vu" in out["invented"], f"a device never seen is refused: {out['invented']}")
        check(out["restored"] is None and out["restored_bad"] is None,
              "an observation kept in the store gives the same verdict; a damaged one is not used")
        ok = True
    finally:
        s.close(ok)


FLOW = MAKE + """
const S = await import('/web/sessions.js');
let clock = 5000000;
const kept = new Map();
const store = {getObs: async (b, s) => kept.get(b + '/' + s), putObs: async (b, s, j) => { kept.set(b + '/' + s, j); }};
const sent = [], seen = [];
const mk = () => new S.Sessions({identity: id, bilan: 'b1', store, send: (m) => sent.push(m),
  met: () => new Map([[other, true]]), now: () => clock,
  events: {hours: (h) => seen.push(['hours', h]), session: (x) => seen.push(['session', x]),
           receipt: (x) => seen.push(['receipt', x]), budget: (x) => seen.push(['budget', x])}});
let ss = mk();
await ss.rosterChanged([{device: me, role: 'beneficiary'}, {device: other, role: 'consultant'}], true, false);
await ss.onMessage({type: 'hours_update', bilan: 'b1', face_to_face_ms: 600000, budget_s: 57600, remaining_ms: 57000000});
await ss.onMessage({type: 'session_opened', bilan: 'b1', session: 's1', phase: 'investigation', start_ms: rec.start_ms});
clock += 3500000;
await ss.rosterChanged([{device: me, role: 'beneficiary'}], true, false);
clock += 100000;
await ss.onMessage({type: 'session_closed', bilan: 'b1', session: 's1', end_ms: rec.end_ms,
                    face_to_face_ms: rec.face_to_face_ms, reason: 'closed'});
"""


def t_flow():
    """sessions.js as the room drives it: the hours in h:mm, the session's
    observation kept in the store, the record signed (verified by the
    native tool) and, on a later visit, a record checked from the store; a
    forged record refused with its reason, signed."""
    s = WebScene("web-attend-flow")
    ok = False
    try:
        page = s.open_room()
        out = in_page(page, FLOW + """
            await ss.onMessage({type: 'session_record', record: rec});
            const first = sent.slice();
            // A later visit: a new page state, the observation from the store only.
            ss = mk();
            await ss.onMessage({type: 'session_record', record: rec});
            const later = sent.slice(first.length);
            // A forged record: 8 hours claimed.
            ss = mk();
            const r8 = {...rec, end_ms: rec.start_ms + 8 * 3600000, face_to_face_ms: 8 * 3600000};
            await ss.onMessage({type: 'session_record', record: r8});
            const forged = sent.slice(first.length + later.length);
            return {rec, first, later, forged, seen, me: B.b64u(id.fp), sign_pub: B.b64u(id.signPub),
                    dh_pub: B.b64u(id.dhPub)};""")
        hours = [x[1] for x in out["seen"] if x[0] == "hours"]
        check(hours and hours[0]["used"] == "0:10" and hours[0]["budget"] == "16:00" and hours[0]["left"] == "15:50",
              f"the hours are shown as h:mm: {hours[:1]}")
        check(len(out["first"]) == 1 and out["first"][0]["type"] == "receipt"
              and out["first"][0]["sas_verified"] is True, f"the record is signed: {out['first']}")
        for name, msg in (("live", out["first"][0]), ("later", out["later"][0] if out["later"] else None)):
            check(msg is not None and msg["type"] == "receipt", f"a receipt is sent ({name})")
            sig = {"signer": out["me"], "sign_pub": out["sign_pub"], "dh_pub": out["dh_pub"],
                   "received_audio_ms": msg["received_audio_ms"], "sas_verified": msg["sas_verified"],
                   "sig": msg["sig"]}
            rc, text = verify(s.tmp, f"{name}.json", {"receipt": 1, "record": out["rec"], "signatures": [sig]})
            check(rc == 6, f"its signature verifies with bilan receipt verify ({name}): {rc}\n{text}")
        f = out["forged"]
        check(len(f) == 1 and f[0]["type"] == "receipt_refusal" and "fin de séance annoncée" in f[0]["reason"],
              f"a forged record is refused, with its reason: {f}")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"sign": t_sign, "parse": t_parse, "check": t_check, "flow": t_flow})
