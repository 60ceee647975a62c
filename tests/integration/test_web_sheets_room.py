"""test_web_sheets_room.py: the worksheets in the real room page (issue 12,
"sheets2"): the browser beneficiary and the native consultant meet in the
room, the pair is authenticated by the invite, the native client wraps the
document key for the browser's device (client/sheet_sync.c), and the page's
worksheet panel opens the consultant's sheet.

- native: the page has no key before the pair is authenticated (and says
  so); after it, the key comes as a wrap from the native consultant and the
  panel lists the sheet; the sheet opened as a form, its controls labelled;
  the server frozen: the page edits through the form while the link is down
  (kept, said pending), the native client edits offline too; both sync: no
  loss, the same conflict on both sides, the same digest as the native
  client.db's operations; the conflict resolved in the browser with
  « Garder cette version » reaches the native client; the synthèse started
  by the consultant gets the beneficiary's words in the page; the one the page
  offers for download (a Blob, fetched by Chromium's download) is the native
  Markdown export byte for byte; a marker typed in the page is in no file of
  the server's data, in no WebSocket message the page sent or received;
  the page's consent keeps the synthèse: the consultant's close says one
  sheet is kept.
  (This replaces the sheets helper's first `native` scenario, which had its
  own WebSocket session and read the key from the consultant's client.db.)

- glue: sheets_room.js alone in the page, with a stand-in connection and
  e2e layer: requests matched by ref (errors too, with their code), the
  link's loss fails what waits, strays counted; no peer is given to the
  worksheets unless e2e.js says its pair is authenticated (every other
  state refused), and then with its checked dh_pub and room role; only
  live worksheet messages without ref reach Sheets.

Run: test_web_sheets_room.py native|glue (through ctest: BILAN_WEB_SHEETS_REF set).
"""
import base64
import os
import re
import signal
import sqlite3
import time

from harness import TestFailure, check, run_tests
from web_scene import WebScene
from test_web_sheets import ref

JOINED = r"^\[room\] joined bilan=\S+ slot=\d role=consultant"
MARK = "MARQUEUR-navigateur-7q2"

# The page's controls, found as a person would: by their label.
BY_LABEL = """((label) => { const l = [...document.querySelectorAll('#fiche label')]
  .find((x) => x.textContent === label); return l && document.getElementById(l.htmlFor); })"""


def type_in(page, label, text):
    """Types text into the control labelled `label` and leaves it (change)."""
    return page.eval(f"""(() => {{ const c = {BY_LABEL}({label!r}); if (!c || c.disabled) return false;
      c.focus(); c.value = {text!r}; c.dispatchEvent(new Event('change', {{bubbles: true}})); c.blur(); return true; }})()""")


def value_of(page, label):
    return page.eval(f"(() => {{ const c = {BY_LABEL}({label!r}); return c ? c.value : null; }})()")


def pending_on_disk(page, bilan):
    """The page's replica read again from IndexedDB by a second Sheets
    (what a reload would find): its pending count and digest."""
    return page.eval("""(async () => {
      const { loadIdentity } = await import('/web/identity.js');
      const { Sheets } = await import('/web/sheets.js');
      const { hex } = await import('/web/bytes.js');
      const s = new Sheets({ request: () => Promise.reject(new Error('no')), identity: await loadIdentity(),
        bilan: %r, role: 'beneficiary' });
      await s.open();
      const out = { pending: await s.pendingCount(), digest: hex(await s.digest()), rows: (await s.db.rows()).length };
      s.db.close();
      return out; })()""" % bilan)


def pending_rows(page, bilan):
    """The operations of the page's replica still unsent, read from
    IndexedDB itself (works with the server frozen: no template fetched)."""
    return page.eval("""(async () => {
      const { SheetsDb } = await import('/web/sheets_db.js');
      const db = await SheetsDb.open(bilanRoom.sheets().self, %r);
      const n = (await db.rows()).filter((r) => !r.seq).length;
      db.close();
      return n; })()""" % bilan)


def ws_sent(s, page):
    return [e["params"]["response"].get("payloadData", "")
            for e in s.browser.events("Network.webSocketFrameSent", page.session)]


def t_native():
    s = WebScene("web-sheets-room", browser_args=("--lang=fr-FR", "--accept-lang=fr-FR,fr"))
    ok = False
    pa = None
    try:
        c = s.consultant

        def bilan_sheet(*args):
            return c.ok("sheet", *args, "--bilan", s.bilan)

        r = bilan_sheet("new", "plan_action", "--offline")
        sid = re.findall(r"^([A-Za-z0-9_-]{22})$", r.stdout, re.M)[0]
        bilan_sheet("set", sid, "projet_vise", "Premier jet du consultant", "--offline")
        bilan_sheet("sync")

        # The page first, alone: no authenticated pair, so no key.
        page = s.open_room()
        page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what="the page is in the room")
        page.wait("bilanRoom.sheets().phase === 'nokey'", what="the page's worksheets wait for the key")
        check(not page.eval("bilanRoom.sheets().hasKey"), "no document key on the page before a pair is authenticated")
        status = page.eval("document.getElementById('fiches-etat').textContent")
        check(status.startswith("Les fiches s’ouvriront quand la connexion"), f"the panel says why ({status})")

        pa = c.spawn("join", s.bilan, "--headless", "--timeout", "240", "--expect-members", "99")
        pa.wait_line(JOINED)
        pa.wait_line(r"^\[e2e\] slot=\d authenticated by=invite$")
        page.wait("bilanRoom.peers().some(p => p.role === 'consultant' && p.authenticated && p.by === 'invite')",
                  what="the page authenticates the consultant by the invite")
        page.wait("bilanRoom.sheets().hasKey && bilanRoom.sheets().phase === 'live'", timeout=60,
                  what="the page gets the document key, wrapped by the native consultant")
        info = page.eval("bilanRoom.sheets()")
        check(info["sheets"]["received"] == 2 and info["sheets"]["refused"] == 0,
              f"the consultant's two operations opened under the wrapped key ({info['sheets']})")
        page.wait(f"!!document.querySelector('#fiches-liste button[data-sheet=\"{sid}\"]')",
                  what="the panel lists the consultant's sheet")
        page.eval(f"(document.querySelector('#fiches-liste button[data-sheet=\"{sid}\"]').click(), 1)")
        page.wait("!!document.querySelector('#fiche form')", what="the sheet opens as a form")
        check(value_of(page, "Le projet retenu") == "Premier jet du consultant",
              "the form shows the consultant's text, opened with the wrapped key")
        unlabelled = page.eval("""[...document.querySelectorAll('#fiche textarea, #fiche input')]
          .filter(c => !(c.labels && c.labels.length) && !c.closest('[aria-labelledby]')).length""")
        check(unlabelled == 0, "every control of the form has a label")
        check(page.eval("document.activeElement && document.activeElement.tagName") == "H2",
              "opening a sheet moves the keyboard focus to its title")
        pa.signal(signal.SIGINT)
        pa.wait_exit()
        pa = None

        # The link down: edits in the page are kept and said pending.
        s.server.proc.signal(signal.SIGSTOP)
        try:
            page.wait("bilanRoom.state() !== 'in_room'", timeout=15, what="the page notices the link is down")
            check(type_in(page, "Le projet retenu", f"Version du navigateur {MARK}"), "typed in the form, offline")
            check(type_in(page, "Dans les trois mois", "appeler le CEP\nécrire la lettre"), "a list typed, offline")
            page.wait("document.getElementById('fiches-etat').textContent.includes('au retour de la connexion')",
                      what="the panel says the edits wait for the connection")
            n = pending_rows(page, s.bilan)
            check(n == 2, f"both offline edits are stored on the device, unsent ({n})")
        finally:
            s.server.proc.signal(signal.SIGCONT)
        bilan_sheet("set", sid, "projet_vise", "Version du client natif", "--offline")
        bilan_sheet("set", sid, "obstacles", "Obstacle noté par le consultant", "--offline")
        page.wait("bilanRoom.state() === 'in_room'", timeout=60, what="the page is back in the room")
        page.wait("document.getElementById('fiches-etat').textContent === 'Fiches à jour.'", timeout=60,
                  what="the page's edits are sent on reconnection")
        check(pending_on_disk(page, s.bilan)["pending"] == 0, "nothing left pending on the page")
        bilan_sheet("sync")          # pushes its edits (live to the page) and pulls the page's
        page.wait("document.querySelectorAll('#fiche button').length > 0 && "
                  "[...document.querySelectorAll('#fiche button')].some(b => b.textContent === 'Garder cette version')",
                  timeout=60, what="the page shows the conflict with « Garder cette version »")
        shown = bilan_sheet("show", sid).stdout
        check("Version du client natif" in shown and f"Version du navigateur {MARK}" in shown and "CONFLIT" in shown,
              "the native client lists both offline versions as a conflict")
        check("appeler le CEP" in shown and "Obstacle noté par le consultant" in shown, "and every other edit")
        versions = page.eval("[...document.querySelectorAll('#fiche li span')].map(x => x.textContent)")
        here = value_of(page, "Le projet retenu")
        check({here, *versions} >= {"Version du client natif", f"Version du navigateur {MARK}"},
              f"the page shows the same two versions ({here!r}, {versions})")
        page.wait("(%s)('Obstacles possibles et comment les lever').value === 'Obstacle noté par le consultant'"
                  % BY_LABEL, what="the page has the native client's other field")
        db = os.path.join(c.data, "client.db")
        with sqlite3.connect(db) as con:
            rows = con.execute("SELECT json, author, role FROM ws_ops WHERE bilan = ? ORDER BY ord", (s.bilan,)).fetchall()
        roles = {base64.urlsafe_b64encode(a).rstrip(b"=").decode(): r for _, a, r in rows}
        native = ref({"cmd": "merge", "roles": roles, "ops": [j for j, _, _ in rows], "orders": [list(range(len(rows)))]})
        disk = pending_on_disk(page, s.bilan)
        check(disk["rows"] == len(rows) and disk["digest"] == native["digests"][0],
              f"the native client.db's {len(rows)} operations give the page's replica digest: identical sheets")

        # Resolved in the page with « Garder cette version » (the first other version).
        kept = page.eval("""(() => { const li = document.querySelector('#fiche li');
          const b = li.querySelector('button'); b.focus(); b.click(); return li.querySelector('span').textContent; })()""")
        page.wait("!document.querySelector('#fiche li button') && "
                  "document.getElementById('fiches-etat').textContent === 'Fiches à jour.'",
                  timeout=30, what="the conflict is resolved on the page and sent")
        where = page.eval("(() => { const c = document.activeElement.closest('.champ');"
                          " return c ? c.querySelector('label, p').textContent : null; })()")
        check(where == "Le projet retenu", f"the keyboard stays on the field after the redraw ({where})")
        check(value_of(page, "Le projet retenu") == kept, f"the page keeps the version chosen ({kept!r})")
        bilan_sheet("sync")
        shown = bilan_sheet("show", sid).stdout
        check("CONFLIT" not in shown and kept in shown, "the resolution made in the page reaches the native client")

        # The synthèse: started by the consultant, the beneficiary's words
        # added in the page, and the page's download is the native export.
        r = bilan_sheet("new", "synthese")
        syn = re.findall(r"^([A-Za-z0-9_-]{22})$", r.stdout, re.M)[0]
        bilan_sheet("set", syn, "contexte", "Reconversion souhaitée après dix ans en logistique")
        page.wait(f"!!document.querySelector('#fiches-liste button[data-sheet=\"{syn}\"]')", timeout=30,
                  what="the consultant's synthèse appears live in the page's list")
        page.eval(f"(document.querySelector('#fiches-liste button[data-sheet=\"{syn}\"]').click(), 1)")
        page.wait("(%s)('Ce qui a amené le bilan') && (%s)('Ce qui a amené le bilan').value.startsWith('Reconversion')"
                  % (BY_LABEL, BY_LABEL), what="the synthèse opens with the consultant's text")
        check(page.eval("(%s)('Ce qui a amené le bilan').disabled" % BY_LABEL),
              "a field only the consultant fills is read-only in the beneficiary's page")
        check(type_in(page, "Vos mots sur votre projet", f"Je veux ouvrir mon atelier {MARK}"),
              "the beneficiary writes their words in the synthèse")
        page.wait("document.getElementById('fiches-etat').textContent === 'Fiches à jour.'", timeout=30,
                  what="the words are sent")
        bilan_sheet("sync")
        check(f"Je veux ouvrir mon atelier {MARK}" in bilan_sheet("show", syn).stdout,
              "the native client has the beneficiary's words in the synthèse")
        dl = os.path.join(s.tmp, "telechargements")
        os.makedirs(dl, exist_ok=True)
        s.browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": dl})
        page.eval("(document.getElementById('fiche-telecharger').click(), 1)")
        deadline = time.monotonic() + 30
        files = []
        while time.monotonic() < deadline:
            files = [f for f in os.listdir(dl) if f.endswith(".md")]
            if files:
                break
            time.sleep(0.1)
        if not files:
            raise TestFailure("the synthèse was not downloaded")
        with open(os.path.join(dl, files[0]), encoding="utf-8") as f:
            md_page = f.read()
        md_native = bilan_sheet("export", syn, "--format", "md").stdout
        check(files[0] == f"synthese-{syn}.md", f"the download is named after the sheet ({files[0]})")
        check(md_page == md_native, "the synthèse downloaded from the page is the native Markdown export, byte for byte"
              + ("" if md_page == md_native else f"\nnative:\n{md_native[:500]}\npage:\n{md_page[:500]}"))

        # The marker typed in the page never left it in clear.
        sent = ws_sent(s, page)
        check(sent and all(MARK not in f for f in sent), f"none of the {len(sent)} WebSocket messages the page sent holds it")
        got = [e["params"]["response"].get("payloadData", "")
               for e in s.browser.events("Network.webSocketFrameReceived", page.session)]
        check(got and all(MARK not in f for f in got), f"nor any of the {len(got)} the server sent the page")
        check(MARK in md_page, "(the marker is in the page's own export: the search can find it)")
        hits = []
        for root, _, names in os.walk(s.server.data):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    if MARK.encode() in f.read():
                        hits.append(n)
        check(not hits, f"no file of the server's data holds the marker ({hits})")
        check(page.eval("bilanRoom.refused()") == 0, "no message was refused on the way")

        # The consent (§10.3): the beneficiary keeps the synthèse for the
        # follow-up, from the page; the consultant's close keeps that one.
        check(not page.eval("document.getElementById('accord').hidden") and
              page.eval(f"!!document.getElementById('accord-{syn}') && !!document.getElementById('accord-{sid}')"),
              "the page offers to keep each sheet for the follow-up")
        page.eval(f"(document.getElementById('accord-{syn}').click(), document.getElementById('accord-envoyer').click(), 1)")
        page.wait("document.getElementById('accord-etat').textContent.startsWith('C’est enregistré : 1 fiche sera gardée')",
                  what="the consent is recorded")
        r = c.ok("bilan", "close", s.bilan, "--yes")
        check("1 fiche(s) gardée(s) un an avec l'accord du bénéficiaire" in r.stdout,
              f"the close keeps the sheet the page consented to keep ({r.stdout.strip()[:200]})")
        page.wait("document.getElementById('accord').hidden", what="once closed, the consent is no longer offered")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


GLUE = """(async () => {
  const { SheetsRoom } = await import('/web/sheets_room.js');
  const out = {};
  // request(): replies matched by ref, errors by ref with their code, the
  // link's loss fails what waits, a stray reply is counted.
  const sent = [];
  const conn = { phase: 'in_room', sendJson: (m) => { sent.push(m); return true; } };
  const r = new SheetsRoom();
  r.conn = conn;
  const a = r.request({ type: 'sheet_pull', bilan: 'b', after: 0 });
  const b = r.request({ type: 'sheet_pull', bilan: 'b', after: 1 });
  out.refs = sent.map((m) => m.ref);
  r.onControl({ type: 'sheet_ops', ref: sent[1].ref, ops: [], more: false, n: 2 });
  out.second = (await b).n;
  out.errorTaken = r.onError('not_member', sent[0].ref);
  out.firstCode = await a.then(() => 'resolved', (e) => e.code);
  out.otherError = r.onError('bad_message', 'join');
  r.onControl({ type: 'sheet_ops', ref: 'sh999', ops: [] });
  out.stray = r.counts.stray;
  const c = r.request({ type: 'sheet_key_get', bilan: 'b' });
  r.onState('reconnecting');
  out.lostCode = await c.then(() => 'resolved', (e) => e.code);
  conn.sendJson = () => false;
  out.offlineCode = await r.request({ type: 'sheet_key_get', bilan: 'b' }).then(() => 'resolved', (e) => e.code);
  // peer(): only a pair e2e.js says is authenticated is given to Sheets.
  const given = [];
  r.sheets = { phase: 'live', peerAuthenticated: async (p) => { given.push(p); }, onLive: async () => {} };
  const dh = new Uint8Array(32).fill(7);
  const e2e = (st, auth) => ({ peers: () => [{ slot: 3, role: 'consultant', fp: 'F'.repeat(43), authenticated: auth }],
    peerDhPub: () => dh });       // the glue's own rule must hold even so
  for (const st of ['failed', 'blocked', 'changed_key', 'other_invite', 'rejected_by_peer', 'rejected_by_us',
                    'ended_by_peer', 'code', undefined]) r.peer(3, st, e2e(st, false));
  r.peer(3, 'invite', e2e('invite', false));       // the state says so, e2e's pair does not
  r.peer(4, 'invite', e2e('invite', true));        // another slot than the authenticated one
  out.beforeAuth = given.length;
  for (const st of ['invite', 'known', 'verified']) r.peer(3, st, e2e(st, true));
  await new Promise((ok) => setTimeout(ok, 0));
  out.afterAuth = given.map((p) => p.role + ':' + p.dhPub.length + ':' + p.fp.length);
  // Still without the key when a pair is authenticated: its wrap may have
  // come (and been refused) before: one more sync asks for it again.
  let syncs = 0;
  r.conn = { phase: 'in_room', sendJson: () => true };
  r.sheets = { phase: 'nokey', peerAuthenticated: async () => {}, sync: async () => { syncs++; },
    pendingCount: async () => 0, list: () => [] };
  r.peer(3, 'invite', e2e('invite', true));
  await new Promise((ok) => setTimeout(ok, 10));
  out.keylessSyncs = syncs;
  // e2e.js's accessor: the dh_pub of a checked bundle, for an authenticated pair only.
  const { RoomE2E } = await import('/web/e2e.js');
  const real = new RoomE2E({ identity: {}, bilan: 'b', send: () => {} });
  for (const st of ['committed', 'revealed', 'confirming', 'refused', 'blocked', 'authenticated']) {
    real.peersBySlot.set(5, { slot: 5, st, theirB: { dhPub: dh } });
    out['dh_' + st] = real.peerDhPub(5) ? real.peerDhPub(5).length : null;
  }
  out.dhCopy = real.peerDhPub(5) !== dh;
  out.dhNone = real.peerDhPub(6);
  // Live messages: only sheet_ops / sheet_keys / bilan_closed without ref.
  const live = [];
  r.sheets.onLive = async (m) => { live.push(m.type); };
  for (const m of [{ type: 'sheet_ops', bilan: 'b', ops: [] }, { type: 'sheet_keys', bilan: 'b', keys: [] },
                   { type: 'bilan_closed', bilan: 'b' }, { type: 'sheet_ops', ref: 'join', ops: [] },
                   { type: 'media_report' }, { type: 'sheet_pushed', bilan: 'b' }]) r.onControl(m);
  out.live = live;
  return out; })()"""


def t_glue():
    s = WebScene("web-sheets-glue")
    ok = False
    try:
        page = s.open_room()
        page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what="the page is in the room")
        r = page.eval(GLUE)
        check(r["refs"] == ["sh1", "sh2"], f"each worksheet request carries its own ref ({r['refs']})")
        check(r["second"] == 2 and r["errorTaken"] and r["firstCode"] == "not_member",
              "replies are matched by ref, out of order; an error with our ref rejects with its code")
        check(r["otherError"] is False, "an error answering the page's join is not taken as a worksheet answer")
        check(r["stray"] == 1, "a reply to no request of ours is counted, not thrown")
        check(r["lostCode"] == "offline" and r["offlineCode"] == "offline",
              "a request waiting when the link goes, or made without a link, fails at once (code offline)")
        check(r["beforeAuth"] == 0, "no peer reaches the worksheets before e2e.js says its pair is authenticated")
        check(r["afterAuth"] == ["consultant:32:43"] * 3,
              f"an authenticated pair is given with its checked dh_pub and its room role ({r['afterAuth']})")
        dh = {k[3:]: v for k, v in r.items() if k.startswith("dh_")}
        check(dh == {"committed": None, "revealed": None, "confirming": None, "refused": None, "blocked": None,
                     "authenticated": 32} and r["dhCopy"] and r["dhNone"] is None,
              f"e2e.js's peerDhPub gives a peer's dh_pub (a copy) only once its pair is authenticated ({dh})")
        check(r["keylessSyncs"] == 1, "a keyless page syncs again when a pair is authenticated (its wrap may be waiting)")
        check(r["live"] == ["sheet_ops", "sheet_keys", "bilan_closed"],
              f"only the live worksheet messages without ref reach Sheets ({r['live']})")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"native": t_native, "glue": t_glue})
