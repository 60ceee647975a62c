"""test_web.py: the browser client as the server hands it out (issue 12).

- page: /w/<token> serves the room page with a strict content security
  policy (scripts from the server only, none inline, Trusted Types), every
  module preloaded under subresource integrity, and it runs in Chromium
  without a console error; no request carries the link's fragment.
- browser_flag: a device whose hello says bilan-web/ is a member with
  browser: true, and the native consultant prints `[room] browser slot=N`
  (and tells its person); a native member is not flagged.
- a11y: axe-core's WCAG 2.1 A/AA rules find nothing on the page as it
  loads, in the room with the code shown, and at the largest text (skipped
  when axe-core can be neither fetched nor found in the cache).
- i18n: the page's two catalogues say the same things (same keys, same
  holes, nothing left untranslated), every key used exists, no module but
  i18n.js holds a French sentence (web_french.py), and an English browser
  gets English in the room (call, hours, worksheets panels) while what
  leaves the page as data stays the native client's French.
- assets: every /web/ file is served byte for byte as in assets/web/ (and the
  worksheet templates of assets/worksheets/), and its
  SHA-384 is the integrity the page names; unknown names are 404.

Run one scenario: test_web.py NAME; all: test_web.py.
"""
import base64
import hashlib
import json
import os
import re
import ssl
import urllib.request

from axe import axe_run, describe
from harness import Device, RawWs, TestFailure, check, link_token, raw_enrol, run_tests
from test_rooms import Scene
from test_web_call import WORDS_JS, meet
from test_web_media import page_errors
from web_scene import WebScene, room_url
import web_french

WEB_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "web")


def fetch(scene, path):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(scene.base() + path, context=ctx, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def t_page():
    s = WebScene("web-page")
    ok = False
    try:
        token = re.search(r"/j/([A-Za-z0-9_-]{43})#", s.link).group(1)
        frag = s.link.split("#", 1)[1]
        status, headers, body = fetch(s, f"/w/{token}")
        check(status == 200, "/w/<token> answers 200")
        csp = headers.get("content-security-policy", "")
        check("script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp,
              "the page's CSP allows scripts from the server only, never inline or eval")
        check("connect-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp,
              "connections to the server only, nothing else by default, no framing")
        check("require-trusted-types-for 'script'" in csp, "DOM sinks behind Trusted Types")
        html = body.decode()
        check(not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script in the page")
        modules = sorted(f for f in os.listdir(WEB_DIR) if f.endswith(".js"))
        for m in modules:
            check(re.search(r'<link rel="modulepreload" href="/web/' + re.escape(m) + r'" integrity="sha384-', html),
                  f"{m} is preloaded under integrity")
        page = s.open_room()
        page.wait("document.documentElement.dataset.ready === '1'", what="the page's script ran")
        errors = [l for l in page.console() if l.startswith(("error", "exception"))]
        check(not errors, f"no console error ({errors[:3]})")
        sent = page.requests()
        check(any(u.endswith(f"/w/{token}") for _, u, _ in sent), "the browser asked for the page")
        check(all(frag not in u and frag.split(".")[0] not in u for _, u, _ in sent),
              f"none of the {len(sent)} requests carries the fragment")
        ok = True
    finally:
        s.close(ok)


def t_assets():
    s = WebScene("web-assets")
    ok = False
    try:
        token = re.search(r"/j/([A-Za-z0-9_-]{43})#", s.link).group(1)
        html = fetch(s, f"/w/{token}")[2].decode()
        tdir = os.path.join(WEB_DIR, "..", "worksheets")
        files = [os.path.join(WEB_DIR, n) for n in os.listdir(WEB_DIR) if n != "room.html"]
        files += [os.path.join(tdir, n) for n in os.listdir(tdir)]
        for path in sorted(files):
            n = os.path.basename(path)
            status, headers, body = fetch(s, f"/web/{n}")
            with open(path, "rb") as f:
                want = f.read()
            check(status == 200 and body == want, f"/web/{n} is served byte for byte")
            if n.endswith((".js", ".css")):
                sri = "sha384-" + base64.b64encode(hashlib.sha384(want).digest()).decode()
                check(f'integrity="{sri}"' in html, f"the page names {n}'s true SHA-384")
            check("script-src 'self'" in headers.get("content-security-policy", ""), f"{n} carries the CSP")
        for bad in ("/web/", "/web/nope.js", "/web/../server.db", "/w/", "/w/a/b"):
            check(fetch(s, bad)[0] == 404, f"{bad} is 404")
        ok = True
    finally:
        s.close(ok)


def t_browser_flag():
    """A device whose hello says bilan-web/ is shown to the others as on
    the browser (member object's browser, PROTOCOL.md §3.2), and the native
    consultant says so; a device that says anything else is not."""
    s = Scene("web-flag")
    ok = False
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "60")
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        dev = Device()
        ws = RawWs(s.server.host, s.server.port, s.server.pin)
        m = raw_enrol(ws, dev, link_token(s.link), client="bilan-web/0.1 test")
        check(m.get("type") == "welcome", "a device saying bilan-web/ enrols with the invite")
        ws.send_json({"type": "join", "bilan": s.bilan})
        m = ws.recv_json()
        while m.get("type") != "joined":
            m = ws.recv_json()
        me = [x for x in m["members"] if x["slot"] == m["slot"]][0]
        other = [x for x in m["members"] if x["slot"] != m["slot"]][0]
        check(me.get("browser") is True, "its own member object says browser")
        check("browser" not in other, "the native consultant's does not")
        pa.wait_line(rf"^\[room\] \+ slot={m['slot']} role=beneficiary")
        pa.wait_line(rf"^\[room\] browser slot={m['slot']}$")
        check(pa.count(r"^\[room\] browser slot=") == 1, "only the browser member is flagged")
        pa.kill()
        # Joining a room where the browser member already is: the roster says so.
        pb = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "60")
        pb.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        pb.wait_line(rf"^\[room\] browser slot={m['slot']}$")
        pb.kill()
        ws.close()
        ok = True
    finally:
        s.close(ok)


def t_a11y():
    """WCAG 2.1 A and AA rules (axe-core, tests/integration/axe.py) on the
    room page in the states a person meets: as it loads, in the room with the
    code to read aloud (Oui / Non), with the call, the hours, a worksheet
    open as a form and the consent, and at the largest text. First a control:
    an unlabelled field added to the page must be reported, so a silent axe
    cannot pass the test."""
    s = WebScene("web-a11y", browser_args=("--lang=fr-FR", "--accept-lang=fr-FR,fr"))
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "120")
        pa.wait_line(r"^\[room\] joined bilan=\S+ slot=\d role=consultant")
        page = s.open_room()
        page.wait("document.documentElement.dataset.ready === '1'", what="the page's script ran")
        v = axe_run(page)
        check(not v, "no WCAG 2.1 AA violation on the page as it loads" + ("\n" + describe(v) if v else ""))
        page.wait("!document.getElementById('code').hidden && document.getElementById('code-chiffres').textContent",
                  what="the page shows the code to read aloud")
        v = axe_run(page)
        check(not v, "none in the room with the code and Oui / Non shown" + ("\n" + describe(v) if v else ""))
        # The whole room: the call, the hours, a worksheet open as a form and
        # the consent to keep sheets.
        page.eval("document.getElementById('code-oui').click()")
        r = s.consultant.ok("sheet", "new", "plan_action", "--bilan", s.bilan)
        sid = re.findall(r"^([A-Za-z0-9_-]{22})$", r.stdout, re.M)[0]
        page.wait(f"!!document.querySelector('#fiches-liste button[data-sheet=\"{sid}\"]')", timeout=60,
                  what="the consultant's sheet appears in the page")
        page.eval(f"(document.querySelector('#fiches-liste button[data-sheet=\"{sid}\"]').click(), 1)")
        page.wait("!!document.querySelector('#fiche .champ') && !document.getElementById('accord').hidden && "
                  "bilanRoom.call() && bilanRoom.call().started", what="the sheet as a form, the consent, the call")
        v = axe_run(page)
        check(not v, "none with the call, the hours, a sheet open as a form and the consent"
              + ("\n" + describe(v) if v else ""))
        page.eval("(() => { for (let i = 0; i < 10; i++) document.getElementById('texte-plus').click();"
                  " return true; })()")
        big = page.eval("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        check(big >= 32, f"the text-size button reaches at least 32 px ({big})")
        v = axe_run(page)
        check(not v, "none at the largest text" + ("\n" + describe(v) if v else ""))
        page.eval("(() => { const i = document.createElement('input'); i.id = 'controle-axe';"
                  " document.body.appendChild(i); return true; })()")
        v = axe_run(page)
        check(any(x["id"] == "label" for x in v), "control: axe reports a field without a label")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def call_args(src, i):
    """The text of a call's arguments, from just after its "(" to the matching ")"."""
    depth, j = 1, i
    while j < len(src) and depth:
        depth += {"(": 1, ")": -1}.get(src[j], 0)
        j += 1
    return src[i:j - 1]


# The English page in the room: the call and hours panels' words (i18n.js).
EN_ROOM = {
    "appel-titre": "Video call",
    "micro": "Mute the microphone (M key)",
    "camera": "Turn the camera off (C key)",
    "micro-etat": "Microphone on",
    "camera-etat": "Camera on",
    "heures-titre": "Assessment hours",
}

TEXT_OF = "(() => { const o = {}; for (const id of ids) { const e = document.getElementById(id); " \
          "o[id] = e ? e.textContent : null; } return o; })()"


def t_i18n():
    """French first, English when the browser asks: both catalogues of
    i18n.js have the same sentences with the same {holes}; every key the
    page's modules use exists; no module but i18n.js holds a French
    sentence (web_french.py, with its allowlist); the page opened with an
    English browser speaks English in the room: the call panel (title,
    buttons, states, status), the hours panel with a session the native
    consultant opened (phase and timer, hours used), the worksheets panel,
    the hours' other sentences (hours_room.js fed the server's messages);
    what leaves the page as data stays French (a refusal's signed reason,
    the e2e abort reasons) while the person reads it in English."""
    found, stale = web_french.scan(WEB_DIR)
    check(not found, f"no module but i18n.js holds a French sentence for a person ({len(found)}: "
                     + "; ".join(f"{m}:{l} {t[:60]}" for m, l, t in found[:6]) + ")")
    check(not stale, f"every allowance of web_french.py still matches something ({stale})")
    s = WebScene("web-i18n", browser_args=("--lang=en-US", "--accept-lang=en-US,en"))
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--confirm-sas", "--timeout", "90",
                                "--open-session", "investigation")
        page = meet(s, pa)
        cat = page.eval("import('/web/i18n.js').then(m => m.CATALOGUES)")
        fr, en = cat["fr"], cat["en"]
        check(set(fr) == set(en), f"the two catalogues have the same keys (only French: {sorted(set(fr) - set(en))[:8]},"
              f" only English: {sorted(set(en) - set(fr))[:8]})")
        holes = [k for k in fr if set(re.findall(r"\{(\w+)\}", fr[k])) != set(re.findall(r"\{(\w+)\}", en.get(k, "")))]
        check(not holes, f"each sentence has the same holes in both ({holes[:8]})")
        same = [k for k in fr if fr[k] == en.get(k) and len(fr[k].split()) > 2]
        check(not same, f"no sentence is left untranslated ({same[:8]})")
        used = set()
        for n in os.listdir(WEB_DIR):
            if n.endswith(".js"):
                with open(os.path.join(WEB_DIR, n), encoding="utf-8") as f:
                    src = f.read()
                used |= set(re.findall(r"\b(?:t|fr)\('([A-Za-z0-9_]+)'", src))
                # Keys chosen in the call, t(on ? 'a_b' : 'a_c'): the snake-case literals inside t(...).
                for m in re.finditer(r"\b(?:t|fr)\(", src):
                    used |= set(re.findall(r"'([a-zA-Z0-9]+_[A-Za-z0-9]+)'", call_args(src, m.end())))
        check(len(used) > 80 and not (used - set(fr)),
              f"every key the modules use exists ({len(used)} used; missing: {sorted(used - set(fr))[:8]})")
        check(page.eval("document.documentElement.lang") == "en" or page.eval("import('/web/i18n.js').then(m => m.lang)") == "en",
              "an English browser gets the English page")
        got = page.eval("(() => { const ids = %s; return %s; })()" % (json.dumps(list(EN_ROOM)), TEXT_OF))
        check(got == EN_ROOM, f"the call and hours panels speak English ({got})")
        st = page.wait("(() => { const t = document.getElementById('appel-etat').textContent; "
                       "return t === 'Call in progress, encrypted end to end.' && t; })()", timeout=60,
                       what="the call's status in English")
        check(True, f"the call's status: « {st} »")
        text = page.wait("(() => { const t = document.getElementById('heures-seance').textContent; "
                         "return /^Session in progress \\(investigation phase\\) for 0:0\\d:\\d\\d\\.$/.test(t) && t; })()",
                         timeout=60, what="the session's phase and timer in English")
        check(True, f"the hours panel: « {text} »")
        total = page.wait("(() => { const t = document.getElementById('heures-total').textContent; "
                          "return /^Hours used: 0:0\\d of 16:00\\. 1[56]:\\d\\d left\\.$/.test(t) && t; })()",
                          what="the hours used and left in English")
        check(True, f"the hours panel: « {total} »")
        sheets = page.wait("(() => { const h = document.getElementById('fiches-titre'), "
                           "e = document.getElementById('fiches-etat'); return h && e && e.textContent && "
                           "[h.textContent, e.textContent]; })()", timeout=60, what="the worksheets panel")
        check(sheets[0] == "Worksheets" and sheets[1] in (
            "Worksheets up to date.", "Worksheets saved on this device.",
            "The worksheets will open once the connection with your consultant is protected."),
            f"the worksheets panel speaks English ({sheets})")
        out = page.eval(WORDS_JS)
        check(out["w80"]["warning"] == "Warning: 80% of the assessment’s hours are used (12:48 of 16:00).",
              f"the 80 % warning in English ({out['w80']['warning']})")
        check(out["closed"]["session"] == "Session ended: 1:02:03 face to face.",
              f"the session ended, in English ({out['closed']['session']})")
        check(out["record"]["receipt"] == "Session record refused by this device: the server sent an unreadable record.",
              f"a refused record, in English ({out['record']['receipt']})")
        data = page.eval("""(async () => {
          const S = await import('/web/sessions.js'), E = await import('/web/e2e.js'), I = await import('/web/i18n.js');
          const got = [];
          const ss = new S.Sessions({ identity: { fp: new Uint8Array(32), sign: async () => new Uint8Array(64) },
            bilan: 'b1', store: { getObs: async () => undefined, putObs: async () => {} }, send: () => {},
            events: { receipt: (r) => got.push(r) } });
          await ss.onMessage({ type: 'session_record', record: 'nope' });
          return { receipt: got[0], abort: E.REASONS.badProof, shown: I.fromFrench(E.REASONS.badProof, 'e2e_'),
                   stranger: I.fromFrench("n'importe quoi", 'e2e_') };
        })()""")
        check(data["receipt"] == {"session": "", "signed": False, "reason": "le serveur a envoyé un relevé illisible",
                                  "shown": "the server sent an unreadable record"},
              f"a refusal's reason stays French (it is signed, as the native client's) and is shown in English "
              f"({data['receipt']})")
        check(data["abort"].startswith("sa preuve d'invitation est fausse") and
              data["shown"].startswith("its invite proof does not verify") and data["stranger"] is None,
              f"an e2e abort reason stays the native client's French, the person reads po/en.po's English, "
              f"a peer's other words are never shown ({data['shown']})")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


if __name__ == "__main__":
    run_tests({"page": t_page, "assets": t_assets, "browser_flag": t_browser_flag, "a11y": t_a11y,
               "i18n": t_i18n})
