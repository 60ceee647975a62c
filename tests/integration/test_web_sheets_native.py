"""test_web_sheets_native.py: the `native` scenario of test_web_sheets.py:
a browser replica (the Sheets class) and the native client (`bilan sheet
...`) edit the same sheet offline, then sync through the real server, and
end with identical sheets.

The browser speaks to the server through a minimal WebSocket session of the
test page (web_sheets_page.js `session`: hello, enrol with the invite token,
then the sheet messages; the product's connection is conn.js). The document
key reaches the browser from the consultant's client.db (a test scaffold):
in the product it comes as a wrap once the pair is authenticated in the room
(§10.2), which needs the room's end-to-end handshake (e2e.js); the wraps
themselves are tested both ways in the `keys` scenario."""
import os
import re
import sqlite3

BASE = """(async () => {
  const templates = await T.mods.tpl.Templates.load(async (id) =>
      new Uint8Array(await (await fetch(`/web/${id}.json`)).arrayBuffer()));
  const id = await T.identity();
  const sess = await T.session(id, token);
  window.N = {id, sess, templates, logs: []};
  N.make = () => new T.mods.sheets.Sheets({request: sess.request, identity: id, bilan, role: 'beneficiary', templates,
                                            log: (l) => N.logs.push(l)});
  N.S = await N.make().open();
  return sess.welcome.role; })()"""


def native_body(env, ref, check):
    s = env.scene
    c = s.consultant

    def bilan_sheet(*args):
        return c.ok("sheet", *args, "--bilan", s.bilan)

    r = bilan_sheet("new", "plan_action", "--offline")
    sid = re.findall(r"^([A-Za-z0-9_-]{22})$", r.stdout, re.M)[0]
    bilan_sheet("set", sid, "projet_vise", "Premier jet du consultant", "--offline")
    bilan_sheet("sync")
    db = os.path.join(c.data, "client.db")
    with sqlite3.connect(db) as con:
        key, kid = con.execute("SELECT key, kid FROM doc_keys WHERE bilan = ?", (s.bilan,)).fetchone()
    token = re.search(r"/j/([A-Za-z0-9_-]{43})#", s.link).group(1)
    role = env.js(BASE, token=token, bilan=s.bilan)
    check(role == "beneficiary", "the browser enrols with the invite token over its own WebSocket (welcome)")
    env.js("""(async () => {
        N.S.st = {...N.S.st, key: T.mods.bytes.unb64u(k, 32), kid, claimed: true};
        await N.S.db.putState(N.S.st); await N.S.sync(); return true; })()""",
           k=__import__("base64").urlsafe_b64encode(key).rstrip(b"=").decode(), kid=kid)
    check(env.js("N.S.field(sid, 'projet_vise').value", sid=sid) == "Premier jet du consultant",
          "the browser pulls and opens the native consultant's sheet from the real server")
    # offline on both sides
    bilan_sheet("set", sid, "projet_vise", "Version du client natif", "--offline")
    bilan_sheet("set", sid, "obstacles", "Obstacle noté par le consultant", "--offline")
    env.js("""(async () => {
        await N.S.set(sid, 'projet_vise', 'Version du navigateur ✓');
        await N.S.set(sid, 'etapes_court', ['appeler le CEP', 'écrire la lettre']);
        N.M = await N.S.create('motivation');
        await N.S.set(N.M, 'valeur_autonomie', 4);
        N.S.db.close(); N.S = await N.make().open();      // a reload: the pending edits are on disk
        return N.S.pendingCount(); })()""", sid=sid)
    env.js("N.S.sync().then(() => true)")
    bilan_sheet("sync")
    env.js("N.S.sync().then(() => true)")
    check(env.js("N.S.pendingCount()") == 0, "the browser's offline edits are pushed (after a reload)")
    shown = bilan_sheet("show", sid).stdout
    check("Version du client natif" in shown and "Version du navigateur ✓" in shown and "CONFLIT" in shown,
          "the native client shows both offline versions of the field as a conflict")
    check("appeler le CEP" in shown and "Obstacle noté par le consultant" in shown,
          "and the browser's list next to its own text")
    pv = env.js("N.S.field(sid, 'projet_vise')", sid=sid)
    check(pv["conflict"] and {pv["value"], *pv["versions"]} == {"Version du client natif", "Version du navigateur ✓"},
          "the browser shows the same two versions")
    check(env.js("N.S.field(sid, 'obstacles').value", sid=sid) == "Obstacle noté par le consultant",
          "the browser has the native client's other field")
    lst = bilan_sheet("list").stdout
    check(env.js("N.M") in lst, "the sheet the browser created is in the native client's list")
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT json, author, role FROM ws_ops WHERE bilan = ? ORDER BY ord", (s.bilan,)).fetchall()
    import base64
    roles = {base64.urlsafe_b64encode(a).rstrip(b"=").decode(): r for _, a, r in rows}
    native = ref({"cmd": "merge", "roles": roles, "ops": [j for j, _, _ in rows], "orders": [list(range(len(rows)))]})
    browser = env.js("N.S.digest().then(T.mods.bytes.hex)")
    check(len(rows) == env.js("N.S.db.rows().then(r => r.length)") and native["digests"][0] == browser,
          f"the native client.db's {len(rows)} operations give the browser replica's digest: identical sheets")
    # resolved on the native side, seen in the browser
    c.ok("sheet", "resolve", sid, "projet_vise", "--value", "Version commune", "--bilan", s.bilan)
    env.js("N.S.sync().then(() => true)")
    pv = env.js("N.S.field(sid, 'projet_vise')", sid=sid)
    check(not pv["conflict"] and pv["value"] == "Version commune", "a conflict resolved natively is resolved in the browser")
    # the same Markdown export on both sides
    md_c = bilan_sheet("export", sid, "--format", "md").stdout
    first = md_c.split("\n")[2]
    label = first[len("Bilan : "):-2] if first.startswith("Bilan : ") else ""
    md_j = env.js("T.mods.form.sheetMarkdown(N.S, sid, new Date(), {bilanLabel: label})", sid=sid, label=label)
    check(md_j == md_c, "the browser's Markdown export is the native client's, byte for byte"
                        + ("" if md_j == md_c else f"\nC:\n{md_c[:600]}\nJS:\n{md_j[:600]}"))
