"""test_web_room.py: the browser room page (issue 12, "conn"): a beneficiary
who opens the invite link in Chromium is in the room with the native
consultant, and stays there across a lost link.

- enrol_join: the page enrols with the invite token and joins; the native
  consultant sees the beneficiary arrive; the page names the consultant and
  "Vous"; the device's private keys, read back from IndexedDB, cannot be
  exported; the invite secret is in no HTTP request, no WebSocket message,
  no console line, and not in the address bar once the page has read it;
  a link with a damaged fragment is refused without connecting.
- code: both sides show the same 6-digit code; Oui on the page and
  --confirm-sas on the native side; one chat line each way (needs e2e.js).
- refuse: Non on the page: blocked, said in words, chat closed; the native
  consultant is told, its later line never reaches the page, the page
  seals nothing more.
- files: a file the native consultant sends is checked and offered as a
  download in the page, byte for byte, and answered `received`; the
  receiver's refusals (damaged, too_large, busy) one by one.
- personal: the beneficiary declares 1h30 of personal work from the page;
  the consultant's `bilan hours` counts it.
- reconnect: the server frozen (SIGSTOP: no FIN, only silence) is noticed by
  the page's liveness within about 4 s ("Reconnexion…"), and it is back in
  the room when the server runs again; then the server killed (kill -9) and
  restarted on the same port and data: "Reconnexion…" again, then back in
  the room, each time by `auth` (never the spent invite).
- second_visit: reloading the page (no fragment any more) and opening the
  whole link again both sign in with the stored identity (`auth`), and the
  native consultant sees the same device each time.

Run one scenario: test_web_room.py NAME; all: test_web_room.py.
"""
import base64
import hashlib
import json
import os
import re
import signal
import time

from harness import TestFailure, check, run_tests
from web_scene import WebScene, room_url

JOINED = r"^\[room\] joined bilan=\S+ slot=\d role=consultant"
BEN_IN = r"^\[room\] \+ slot=(\d) role=beneficiary device=([0-9a-f]{16})"
CODE = r"^\[e2e\] slot=(\d) code=(\d{3} \d{3})"


def scene(name):
    # The page speaks French first; headless Chromium would say en-US.
    return WebScene(name, browser_args=("--lang=fr-FR", "--accept-lang=fr-FR,fr"))


def consultant_in_room(s, *extra):
    pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "240", "--expect-members", "99",
                            *extra)
    pa.wait_line(JOINED)
    return pa


def in_room(page, what="the page is in the room"):
    page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what=what)


def ws_sent(s, page):
    """Every WebSocket message the page sent (text payloads as Chromium saw them)."""
    return [e["params"]["response"].get("payloadData", "")
            for e in s.browser.events("Network.webSocketFrameSent", page.session)]


def state_text(page):
    return page.eval("document.getElementById('etat').textContent")


def members_text(page):
    return page.eval("[...document.querySelectorAll('#membres li')].map(li => li.textContent)")


def line_after(p, pattern, n):
    """The index just after the n-th line of p matching pattern (so that
    wait_line(start=...) finds the next one)."""
    rx = re.compile(pattern)
    seen = 0
    for i, l in enumerate(list(p.lines)):
        if rx.search(l):
            seen += 1
            if seen == n:
                return i + 1
    raise TestFailure(f"{p.name} printed fewer than {n} lines /{pattern}/")


def stop_proc(p):
    if p.p.poll() is None:
        p.signal(signal.SIGINT)
    p.wait_exit()


IDB_KEYS = """(async () => {
  const db = await new Promise((ok, ko) => { const q = indexedDB.open('bilan');
    q.onsuccess = () => ok(q.result); q.onerror = () => ko(q.error); });
  const rec = await new Promise((ok) => { const q = db.transaction('identity').objectStore('identity').get('device');
    q.onsuccess = () => ok(q.result); });
  const out = [];
  for (const k of [rec.signPriv, rec.dhPriv]) {
    out.push(k instanceof CryptoKey ? k.type + '/' + k.extractable : 'not a key');
    try { await crypto.subtle.exportKey('pkcs8', k); out.push('exported'); } catch (e) { out.push(e.name); }
  }
  db.close();
  return out;
})()"""


def t_enrol_join():
    s = scene("web-room-enrol")
    ok = False
    pa = None
    try:
        token = re.search(r"/j/([A-Za-z0-9_-]{43})#", s.link).group(1)
        secret = s.link.split("#", 1)[1].split(".")[0]
        pa = consultant_in_room(s)
        page = s.open_room()
        in_room(page)
        check(page.eval("bilanRoom.welcomes()") == ["enrol"], "the page was welcomed by redeeming the invite (enrol)")
        m = pa.wait_line(BEN_IN)
        check(m is not None, f"the native consultant sees the beneficiary join (slot {m.group(1)})")
        page.wait("[...document.querySelectorAll('#membres li')].some(li => "
                  "li.textContent.startsWith('Votre consultante / votre consultant'))",
                  what="the page names the consultant")
        names = members_text(page)
        check(names[0] == "Vous" and len(names) == 2, f"the page lists the person first as « Vous » ({names})")
        # In the room the line says so, until the code to read aloud replaces
        # it (which may already have happened on a fast pair).
        st = state_text(page)
        check(st == "Vous êtes dans la salle du rendez-vous." or st.startswith("Un code de sécurité s’affiche"),
              f"the state line says so in French ({st})")
        check(page.eval("bilanRoom.members().map(m => m.role).sort().join()") == "beneficiary,consultant",
              "the roster holds the consultant and the beneficiary")
        keys = page.eval(IDB_KEYS)
        check(keys == ["private/false", "InvalidAccessError", "private/false", "InvalidAccessError"],
              f"both private keys stored in IndexedDB are non-extractable CryptoKeys ({keys})")
        check(page.eval("bilanRoom.keysExtractable()") is False, "the page's own identity says the same")
        href = page.eval("location.href")
        check(href == f"{s.base()}/w/{token}", "the address bar no longer holds the fragment")
        hist = [e["url"] for e in page.send("Page.getNavigationHistory")["entries"]]
        check(hist and all(secret not in u and "#" not in u for u in hist),
              f"no entry of the tab's history keeps the fragment ({len(hist)} entries)")
        check(page.eval("bilanRoom.secretsKnown()") == 1, "the invite secret is kept in IndexedDB for the bilan")
        sent = page.requests()
        check(all(secret not in u for _, u, _ in sent) and all(secret not in json.dumps(h) for _, _, h in sent),
              f"none of the {len(sent)} HTTP requests carries the secret (URL or headers)")
        frames = ws_sent(s, page)
        check(any('"type":"enrol"' in f for f in frames), f"the WebSocket messages were captured ({len(frames)})")
        check(all(secret not in f for f in frames), "no WebSocket message carries the secret")
        check(all(secret not in l for l in page.console()), "no console line carries the secret")
        check(page.eval("bilanRoom.clockRoundTrip() !== null"), "the server clock was measured (clock)")
        skew = abs(page.eval("bilanRoom.serverNowMs() - Date.now()"))
        check(skew < 1000, f"the server clock estimate is close to this machine's ({skew:.0f} ms)")
        # A damaged fragment: refused in plain words, nothing sent.
        bad = s.browser.open(room_url(s.link).split("#")[0] + "#" + secret[:20])
        bad.wait("document.documentElement.dataset.conn === 'bad_link'", what="the damaged link is refused")
        check("lien" in state_text(bad) and not ws_sent(s, bad), "a damaged link is explained and nothing is sent")
        stop_proc(pa)
        pa = None
        page.wait("bilanRoom.members().length === 1", what="the page sees the consultant leave")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_code():
    s = scene("web-room-code")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "120", "--confirm-sas",
                                "--say", "bonjour depuis le natif", "--expect-chat", "1")
        pa.wait_line(JOINED)
        page = s.open_room()
        in_room(page)
        shown = page.wait("!document.getElementById('code').hidden && "
                          "document.getElementById('code-chiffres').textContent", what="the page shows a code")
        native = pa.wait_line(CODE).group(2)
        check(re.fullmatch(r"\d{3} \d{3}", shown) is not None and shown == native,
              f"the page and the native client show the same code ({shown} / {native})")
        page.eval("document.getElementById('code-oui').click()")
        pa.wait_line(r"^\[e2e\] slot=\d verified$")
        page.wait("document.getElementById('code').hidden", what="the code panel closes after Oui")
        page.wait("!document.getElementById('message').disabled", what="the chat opens")
        peers = page.eval("bilanRoom.peers()")
        check(len(peers) == 1 and peers[0]["role"] == "consultant" and peers[0]["verified"] and
              peers[0]["by"] == "invite", f"the page authenticated the consultant by the invite and verified it ({peers})")
        page.eval("(() => { const i = document.getElementById('message'); i.value = 'bonjour depuis le navigateur';"
                  " document.getElementById('envoi').requestSubmit(); return 1; })()")
        pa.wait_line(r"^\[chat\] slot=\d: bonjour depuis le navigateur$")
        check(True, "the native consultant got the page's chat line")
        page.wait("[...document.querySelectorAll('#fil li')].some(li => li.textContent.endsWith('bonjour depuis le natif'))",
                  what="the page shows the consultant's chat line")
        check(page.eval("bilanRoom.chatIn()") == 1, "exactly one chat line arrived on the page")
        check(pa.count(r"^\[e2e\] slot=\d authenticated by=invite$") == 1,
              "the native consultant authenticated the page by the invite secret")
        sent = [e["params"]["response"] for e in s.browser.events("Network.webSocketFrameSent", page.session)]
        binary = [base64.b64decode(r["payloadData"]) for r in sent if r.get("opcode") == 2]
        check(binary and all(b"depuis le navigateur" not in b for b in binary) and
              all("depuis le navigateur" not in r.get("payloadData", "") for r in sent),
              f"the chat line left the page sealed ({len(binary)} binary frames, none holds the text)")
        rc = pa.wait_exit()
        check(rc == 0, f"the native consultant got its chat line and left cleanly ({rc})")
        pa = None
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_refuse():
    """Non on the page (the codes differ: someone may be in the middle): the
    page says the conversation is blocked and what to do, closes the chat,
    and the native consultant is told (sas rejected by=peer); a line the
    consultant types afterwards never reaches the page, and the page seals
    nothing more."""
    s = scene("web-room-refuse")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "120", stdin_pipe=True)
        pa.wait_line(JOINED)
        page = s.open_room()
        in_room(page)
        page.wait("!document.getElementById('code').hidden", what="the page shows a code")
        pa.wait_line(CODE)
        page.eval("document.getElementById('code-non').click()")
        pa.wait_line(r"^\[e2e\] slot=\d sas rejected by=peer$")
        check(True, "the native consultant is told the page refused the code")
        page.wait("bilanRoom.peers().length === 1 && bilanRoom.peers()[0].state === 'refused' && !bilanRoom.peers()[0].authenticated",
                  what="the page's pair is refused")
        check("Par prudence, la conversation est bloquée" in state_text(page) and
              "par téléphone" in state_text(page), f"the page says it is blocked and what to do ({state_text(page)})")
        check(page.eval("document.getElementById('message').disabled"), "the chat is closed")
        sealed = page.eval("bilanRoom.call().counts.sealed")
        n_in = len(s.browser.events("Network.webSocketFrameReceived", page.session))
        pa.send_line("après le refus")
        pa.wait_line(r"^\[info\] \(en attente du chiffrement\)$")
        check(True, "the native side keeps the line: nobody authenticated to send it to")
        pa.send_line("/quitter")
        check(pa.wait_exit() == 0, "the consultant leaves")
        pa = None
        page.wait("bilanRoom.members().length === 1", what="the page sees the consultant leave")
        binary_in = [e for e in s.browser.events("Network.webSocketFrameReceived", page.session)[n_in:]
                     if e["params"]["response"].get("opcode") == 2]
        check(not binary_in and page.eval("bilanRoom.chatIn()") == 0,
              f"nothing sealed reached the page after the refusal ({len(binary_in)} frames)")
        check(page.eval("bilanRoom.call().counts.sealed") == sealed,
              "the page sealed nothing after the refusal")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


FILES_JS = r"""
(async () => {
  const { FileReceiver } = await import('/web/files.js');
  const F = await import('/web/frame.js');
  const { sha256 } = await import('/web/wcrypto.js');
  const answers = [], done = [], failed = [];
  const fr = new FileReceiver({ answer: (slot, id, code) => answers.push([slot, id, code]),
    done: (slot, f) => done.push([slot, f.name, f.size]), failed: (slot, f) => failed.push([slot, f.name, f.why]),
    maxBytes: 1000, maxActive: 2 });
  const data = new Uint8Array(600).map((_, i) => i & 255);
  const sha = await sha256(data);
  const begin = (id, size, h, name) => F.decodeData(F.encodeFileBegin(id, size, h, name));
  const chunk = (id, off, b) => F.decodeData(F.encodeFileChunk(id, off, b));
  const end = (id) => F.decodeData(F.encodeFileEnd(id));
  const run = async (slot, msgs) => { for (const m of msgs) await fr.onData(slot, m); };
  await run(1, [begin(1, 600, sha, 'bon.bin'), chunk(1, 0, data.subarray(0, 300)), chunk(1, 300, data.subarray(300)), end(1)]);
  await run(1, [begin(2, 600, sha, 'trou.bin'), chunk(2, 0, data.subarray(0, 100)), chunk(2, 200, data.subarray(200)), end(2)]);
  const bad = new Uint8Array(32);
  await run(1, [begin(3, 600, bad, 'faux.bin'), chunk(3, 0, data), end(3)]);
  await run(1, [begin(4, 600, sha, 'court.bin'), chunk(4, 0, data.subarray(0, 500)), end(4)]);
  await run(1, [begin(5, 2000, sha, 'gros.bin')]);
  // The right bytes under a wrong offset; a short file under its own SHA-256.
  await run(1, [begin(9, 600, sha, 'decale.bin'), chunk(9, 0, data.subarray(0, 300)), chunk(9, 400, data.subarray(300)), end(9)]);
  await run(1, [begin(10, 600, await sha256(data.subarray(0, 500)), 'partiel.bin'), chunk(10, 0, data.subarray(0, 500)), end(10)]);
  await run(2, [begin(6, 600, sha, 'a.bin'), begin(7, 600, sha, 'b.bin'), begin(8, 600, sha, 'c.bin')]);
  await run(3, [chunk(99, 0, data), end(99)]);
  fr.memberLeft(2);
  await run(2, [chunk(6, 0, data), end(6)]);
  return { answers, done, failed, st: fr.stats() };
})()
"""


def t_files():
    """A file the native consultant sends (--send-file) reaches the page in
    pieces, is checked (size, SHA-256) and offered as a download with its
    name; the consultant's client is told it was received. Then FileReceiver
    alone: a chunk out of order, a wrong SHA-256, a short file, the right
    bytes at a wrong offset, a short file under its own SHA-256: damaged; a
    file over the limit: too_large; past the transfers at once: busy;
    chunks never begun: ignored; a member who leaves: its transfers end."""
    s = scene("web-room-files")
    ok = False
    pa = None
    try:
        path = os.path.join(s.tmp, "questionnaire.bin")
        content = os.urandom(3 * 1024 * 1024 + 12345)
        with open(path, "wb") as f:
            f.write(content)
        # It stays until the page's thanks: the answer comes after its send.
        pa = s.consultant.spawn("join", s.bilan, "--headless", "--timeout", "120", "--confirm-sas",
                                "--send-file", path, "--expect-chat", "1")
        pa.wait_line(JOINED)
        page = s.open_room()
        in_room(page)
        page.wait("!!document.querySelector('#fil li.fichier a[download]')", timeout=60, what="the file is offered")
        li = page.eval("(() => { const li = document.querySelector('#fil li.fichier'); const a = li.querySelector('a');"
                       " return { text: li.textContent, name: a.download, label: a.textContent }; })()")
        check(li["name"] == "questionnaire.bin" and li["text"].startswith(
              "Votre consultante / votre consultant, dev vous a envoyé un fichier : « questionnaire.bin » (3,0 Mo).") and
              li["label"] == "Enregistrer le fichier", f"the page offers the file with its name and size ({li})")
        dl = os.path.join(s.tmp, "telechargements")
        os.makedirs(dl)
        s.browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": dl})
        page.eval("(document.querySelector('#fil li.fichier a').click(), 1)")
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(dl, "questionnaire.bin")) and time.monotonic() < deadline:
            time.sleep(0.1)
        with open(os.path.join(dl, "questionnaire.bin"), "rb") as f:
            got = f.read()
        check(hashlib.sha256(got).digest() == hashlib.sha256(content).digest(),
              "the file saved from the page is the one sent, byte for byte")
        pa.wait_line(r"^\[file\] answer name=questionnaire\.bin slot=\d answer=received$")
        check(True, "the consultant's client is told the page received it")
        check(page.eval("bilanRoom.files()")["received"] == 1, "the page counts one file received")
        page.eval("(() => { const i = document.getElementById('message'); i.value = 'merci';"
                  " document.getElementById('envoi').requestSubmit(); return 1; })()")
        check(pa.wait_exit() == 0, "the consultant got the thanks and left")
        pa = None
        r = page.eval(FILES_JS)
        print(f"files: {json.dumps(r)}")
        A = {1: "received", 2: "declined", 3: "too_large", 4: "damaged", 7: "busy"}
        ans = [(slot, i, A.get(c, c)) for slot, i, c in r["answers"]]
        check(ans[:7] == [(1, 1, "received"), (1, 2, "damaged"), (1, 3, "damaged"), (1, 4, "damaged"),
                          (1, 5, "too_large"), (1, 9, "damaged"), (1, 10, "damaged")],
              f"each file_begin answered: received, damaged x3, too_large, damaged x2 ({ans[:7]})")
        check(ans[7:] == [(2, 8, "busy")], f"a third transfer at once: busy ({ans[7:]})")
        check(r["done"] == [[1, "bon.bin", 600]], "only the whole, checked file is offered")
        check(r["st"]["stray"] >= 3 and r["st"]["interrupted"] == 2 and r["st"]["active"] == 0,
              f"chunks never begun are ignored; a member's leave ends its transfers ({r['st']})")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_personal():
    """The beneficiary declares personal work from the page's hours panel:
    a duration the page cannot read is explained and nothing is sent; "1h30"
    with a note is sent as personal_declare, acknowledged in words, and the
    consultant's `bilan hours` report counts 1:30 of personal work. The
    reading of durations (parseDuration) on its own, at its edges."""
    s = scene("web-room-personal")
    ok = False
    pa = None
    try:
        pa = consultant_in_room(s)
        page = s.open_room()
        in_room(page)
        page.wait("!document.getElementById('travail-perso').hidden", what="the beneficiary's page offers the form")
        etat = "document.getElementById('perso-etat').textContent"
        submit = ("(() => { document.getElementById('perso-duree').value = %s; "
                  "document.getElementById('perso-note').value = 'enquête métier'; "
                  "document.getElementById('travail-perso').requestSubmit(); return 1; })()")
        page.eval(submit % "'beaucoup'")
        check(page.eval(etat).startswith("Durée non comprise"), f"a duration the page cannot read is explained ({page.eval(etat)})")
        page.eval(submit % "'1h30'")
        page.wait(f"{etat} === 'C’est noté : vous avez déclaré 1 h 30 de travail personnel.'", what="the declaration is acknowledged")
        sent = [f for f in ws_sent(s, page) if '"personal_declare"' in f]
        check(len(sent) == 1 and json.loads(sent[0])["seconds"] == 5400 and json.loads(sent[0])["note"] == "enquête métier",
              f"one personal_declare of 5400 s with its note was sent ({sent})")
        r = s.consultant.ok("hours", s.bilan, "--format", "json")
        rep = json.loads(r.stdout)
        def find(o, key):
            if isinstance(o, dict):
                return o[key] if key in o else next((v for v in (find(x, key) for x in o.values()) if v is not None), None)
            if isinstance(o, list):
                return next((v for v in (find(x, key) for x in o) if v is not None), None)
            return None
        check(find(rep, "personal_s") == 5400,
              f"the consultant's report counts the 1:30 declared from the page (personal_s {find(rep, 'personal_s')})")
        cases = page.eval("import('/web/personal.js').then((m) => ['1h30', '1:30', '2 h', '45 min', '45', '24h', "
                          "'0h', '24h01', '1h60', '', 'abc', '90mn'].map((x) => m.parseDuration(x)))")
        check(cases == [5400, 5400, 7200, 2700, 2700, 86400, None, None, None, None, None, 5400],
              f"durations read as a person writes them, 1 minute to 24 hours ({cases})")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_reconnect():
    s = scene("web-room-reconnect")
    ok = False
    pa = None
    try:
        pa = consultant_in_room(s)
        page = s.open_room()
        in_room(page)
        pa.wait_line(BEN_IN)
        # Frozen server: the TCP connection stays up, only silence says it is gone.
        s.server.proc.signal(signal.SIGSTOP)
        t0 = time.monotonic()
        try:
            page.wait("document.getElementById('etat').textContent === 'Reconnexion…'", timeout=15,
                      what="the page notices the silence")
            took = time.monotonic() - t0
        finally:
            s.server.proc.signal(signal.SIGCONT)
        # Lost after 4 s without a word (conn.js LOST_MS); the last word may
        # have come up to a ping (1 s) and a tick (0.25 s) before the freeze.
        check(2.5 <= took <= 8.0, f"a silent server is found lost by the page's liveness ({took:.1f} s)")
        in_room(page, "back in the room after the freeze")
        check(page.eval("bilanRoom.welcomes()") == ["enrol", "auth"], "the page came back by auth, not the invite")
        # Killed and restarted on the same port and data.
        port = s.server.port
        s.server.stop(signal.SIGKILL)
        page.wait("document.getElementById('etat').textContent === 'Reconnexion…'", timeout=15,
                  what="the page says it reconnects")
        s.server.start(port=port)
        in_room(page, "back in the room after the restart")
        page.wait("bilanRoom.members().some(m => m.role === 'consultant')", what="the consultant is back too")
        check(page.eval("bilanRoom.welcomes()") == ["enrol", "auth", "auth"], "each return signs in with auth")
        # In the room; the new pairing's code to read aloud may already have
        # replaced that line (each join draws new keys).
        st = state_text(page)
        check(st == "Vous êtes dans la salle du rendez-vous." or st.startswith("Un code de sécurité s’affiche"),
              f"the state line says it is in the room ({st})")
        check(page.eval("bilanRoom.refused()") == 0, "no message was refused on the way")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_second_visit():
    s = scene("web-room-second")
    ok = False
    pa = None
    try:
        pa = consultant_in_room(s)
        page = s.open_room()
        in_room(page)
        dev1 = pa.wait_line(BEN_IN).group(2)
        # Reload: the address has no fragment any more; the secret comes from IndexedDB.
        page.navigate(page.eval("location.href"))
        in_room(page, "in the room again after a reload")
        check(page.eval("bilanRoom.welcomes()") == ["auth"], "the reloaded page signs in with its identity (auth)")
        check(page.eval("bilanRoom.secretsKnown()") == 1, "the invite secret is still known after the reload")
        dev2 = pa.wait_line(BEN_IN, start=line_after(pa, BEN_IN, 1)).group(2)
        # The whole link in the same tab changes only the fragment: no new
        # page, but the fragment must not stay on screen.
        page.send("Page.navigate", {"url": room_url(s.link)})
        page.wait("location.hash === '' && location.pathname.startsWith('/w/')",
                  what="the fragment of a link opened again in the tab is taken off")
        check(page.eval("bilanRoom.connections()") == 1, "still the same connection")
        before = len(pa.lines)
        page.navigate("about:blank")
        pa.wait_line(r"^\[room\] - slot=\d role=beneficiary reason=left$", start=before)
        check(True, "leaving the page says goodbye (the consultant reads reason=left)")
        page.navigate(room_url(s.link))
        in_room(page, "in the room again from the whole link")
        check(page.eval("bilanRoom.welcomes()") == ["auth"], "the whole link again: auth, not a new enrolment")
        dev3 = pa.wait_line(BEN_IN, start=line_after(pa, BEN_IN, 2)).group(2)
        check(dev1 == dev2 == dev3, f"the consultant saw the same device each time ({dev1} {dev2} {dev3})")
        check(page.eval("location.hash") == "", "the fragment is gone again")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_policy():
    """conn.js's rules against a fake server in the page (web_room_policy.js),
    and frame.js against hostile bytes."""
    s = scene("web-room-policy")
    ok = False
    try:
        page = s.browser.open(s.base() + "/web/frame.js")   # a page of the server's origin, under its CSP
        with open(os.path.join(os.path.dirname(__file__), "web_room_policy.js")) as f:
            r = page.eval(f.read(), timeout=120)
        check(r["replaced"] == {"state": "replaced", "retried": False, "hello": "hello"},
              f"close 1000 (another window): no retry ({r['replaced']})")
        check(r["refused"]["state"] == "refused" and r["refused"]["code"] == "token_used" and
              not r["refused"]["retried"] and r["refused"]["sent"] == ["hello", "enrol"],
              f"a refused enrolment: stopped with its code, no retry ({r['refused']})")
        check(r["wrongWelcome"] == {"joinSent": False, "reset": True, "welcomes": 0},
              f"a welcome naming another device is refused: no join, the link reset ({r['wrongWelcome']})")
        check(r["hostile"]["state"] == "in_room" and r["hostile"]["refused"] >= 7 and r["hostile"]["joinSent"],
              f"hostile and early messages are refused and counted, the join goes on ({r['hostile']})")
        check(r["alive"]["state"] == "in_room" and r["alive"]["connections"] == 5 and r["alive"]["answered"] >= 5,
              f"answered clocks keep the connection for 5 s ({r['alive']})")
        check(59000 <= r["alive"]["offset"] <= 61000, f"the server clock offset is estimated ({r['alive']['offset']} ms)")
        sl = r["silence"]
        check(3500 <= sl["lostAfterMs"] <= 5500 and sl["clocksAsked"] >= 2 and "reconnecting" in sl["states"],
              f"silence: clocks asked, the link reset after about 4 s, reconnecting ({sl})")
        bo = r["backoff"]
        check(len(bo["delays"]) >= 4 and all(0.8 * b <= d <= b for d, b in zip(bo["delays"], [500, 1000, 2000, 4000])),
              f"retries after 0.5, 1, 2, 4 s, each up to a fifth shorter ({bo['delays']})")
        check(bo["table"] == [500, 1000, 2000, 4000, 8000], "then every 8 s")
        check(bo["state"] == "gave_up" and not bo["retriedAfter"], "after 2 minutes it gives up, and stays so")
        fr = r["frames"]
        check(fr["header"] == [16, 3, 0xFFFFFFFE, 7, 5, 0], f"the 16-byte header round-trips ({fr['header']})")
        check(all(fr["refusedHeaders"]), f"short, other version, unknown kinds, reserved flags, keyframe "
              f"on audio/data refused; on video accepted ({fr['refusedHeaders']})")
        check(fr["chat"] == {"type": "chat", "text": "bonjour é"}, "a chat line round-trips")
        check(all(x is None for x in fr["refusedChat"]), "empty, too long, bad UTF-8, unknown type: refused")
        check(fr["fileBegin"] == ["file_begin", 9, 1000, "cv.pdf"], "file_begin round-trips")
        check(all(x is None for x in fr["refusedFiles"]), "bad names, truncated, out-of-range answers refused")
        check(fr["answer"] == {"type": "file_answer", "slot": 2, "id": 77, "answer": 1}, "file_answer round-trips")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"enrol_join": t_enrol_join, "code": t_code, "refuse": t_refuse, "files": t_files, "personal": t_personal,
               "reconnect": t_reconnect,
               "second_visit": t_second_visit, "policy": t_policy})
