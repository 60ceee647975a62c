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
  holes, nothing left untranslated), every key used exists, and an English
  browser gets English.
- assets: every /web/ file is served byte for byte as in assets/web/ (and the
  worksheet templates of assets/worksheets/), and its
  SHA-384 is the integrity the page names; unknown names are 404.

Run one scenario: test_web.py NAME; all: test_web.py.
"""
import base64
import hashlib
import os
import re
import ssl
import urllib.request

from axe import axe_run, describe
from harness import Device, RawWs, TestFailure, check, link_token, raw_enrol, run_tests
from test_rooms import Scene
from web_scene import WebScene, room_url

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
    code to read aloud (Oui / Non), and at the largest text. First a control:
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


def t_i18n():
    """French first, English when the browser asks: both catalogues of
    i18n.js have the same sentences with the same {holes}; every key the
    page's modules use exists; the page opened with an English browser
    speaks English, with a French one French."""
    s = WebScene("web-i18n", browser_args=("--lang=en-US", "--accept-lang=en-US,en"))
    ok = False
    try:
        page = s.open_room()
        page.wait("document.documentElement.dataset.ready === '1'", what="the page's script ran")
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
                    used |= set(re.findall(r"\bt\('([A-Za-z0-9_]+)'", f.read()))
        check(used and not (used - set(fr)), f"every key the modules use exists ({sorted(used - set(fr))[:8]})")
        check(page.eval("document.documentElement.lang") == "en" or page.eval("import('/web/i18n.js').then(m => m.lang)") == "en",
              "an English browser gets the English page")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"page": t_page, "assets": t_assets, "browser_flag": t_browser_flag, "a11y": t_a11y,
               "i18n": t_i18n})
