"""test_web_sheets_replica.py: the `replica` scenario of test_web_sheets.py
(kept apart for its length): two browser devices, a consultant and a
beneficiary, each with the Sheets class on IndexedDB, meet through a
stand-in for the server's ordered store (web_sheets_page.js FakeServer)."""

SETUP = """(async () => {
  const S = T.mods.sheets.Sheets;
  const templates = await T.mods.tpl.Templates.load(async (id) =>
      new Uint8Array(await (await fetch(`/web/${id}.json`)).arrayBuffer()));
  const IC = await T.identity(), IB = await T.identity(), IZ = await T.identity();
  const srv = new T.FakeServer(bilan);
  srv.device(IC, 'consultant'); srv.device(IB, 'beneficiary'); srv.device(IZ, 'beneficiary');
  const logs = [];
  const make = (id, role) => new S({request: srv.client(id), identity: id, bilan, role, templates,
                                    log: (l) => logs.push(l)});
  window.R = {S, templates, IC, IB, IZ, srv, logs, make, b64u: T.mods.bytes.b64u};
  R.C = await make(IC, 'consultant').open();
  R.B = await make(IB, 'beneficiary').open();
  return true; })()"""


def replica_body(env, ref, check):
    bilan = env.scene.bilan
    check(env.js(SETUP, bilan=bilan), "two devices open their replicas (IndexedDB 'bilan-sheets')")
    race = env.js("""(async () => {
        // two consultant devices race to make the key: the first put wins, the loser drops its own
        const A = await T.identity(), B2 = await T.identity(), srv = new T.FakeServer(bilan);
        srv.device(A, 'consultant'); srv.device(B2, 'consultant');
        const mk = (id) => new R.S({request: srv.client(id), identity: id, bilan, role: 'consultant',
                                    templates: R.templates}).open();
        const a = await mk(A), b = await mk(B2);
        await Promise.all([a.sync(), b.sync()]);
        const lost = [a, b].filter((x) => x.phase === 'nokey' && x.st.key === null).length;
        const [w, l] = a.phase === 'live' ? [a, b] : [b, a];
        await w.peerAuthenticated({fp: l.id.fp, dhPub: l.id.dhPub, role: 'consultant'});
        await l.peerAuthenticated({fp: w.id.fp, dhPub: w.id.dhPub, role: 'consultant'});
        await l.sync();
        const out = [lost, srv.kid === w.st.kid, l.phase, l.st.kid === w.st.kid];
        a.db.close(); b.db.close(); return out; })()""", bilan=bilan + "-course")
    check(race == [1, True, "live", True], "two consultant devices that race: one key wins, the loser drops its own, "
                                          f"then takes a wrap of the winner's once authenticated ({race})")
    env.js("R.C.sync().then(() => true)")
    check(env.js("R.C.phase === 'live' && R.srv.kid !== null && R.srv.wraps.length === 1"),
          "the consultant's device makes the document key and claims it with a wrap to itself")
    env.js("R.B.sync().then(() => true)")
    check(env.js("R.B.phase === 'nokey' && R.B.st.key === null"), "the beneficiary has no key before authentication")
    # a wrap from a device the beneficiary never authenticated: refused
    refused = env.js("""(async () => {
        const k = await T.mods.keys.newDocKey();
        const w = await T.mods.keys.wrapKey(R.IZ, R.IB.dhPub, R.IB.fp, bilan, k.key);
        await R.B.onLive({type: 'sheet_keys', bilan, kid: k.kid, keys: [{from: R.b64u(R.IZ.fp),
            sign_pub: R.b64u(R.IZ.signPub), dh_pub: R.b64u(R.IZ.dhPub), wrap: R.b64u(w)}]});
        return [R.B.counts.wrapsRefused, R.B.st.key === null]; })()""", bilan=bilan)
    check(refused == [1, True], "a wrap from a device not authenticated in the room is refused, no key taken")
    env.js("""(async () => {
        await R.C.peerAuthenticated({fp: R.IB.fp, dhPub: R.IB.dhPub, role: 'beneficiary'});
        await R.B.peerAuthenticated({fp: R.IC.fp, dhPub: R.IC.dhPub, role: 'consultant'});
        await R.B.sync(); return true; })()""")
    check(env.js("R.C.counts.wrapsGiven === 1 && R.B.phase === 'live' && R.B.st.kid === R.srv.kid"),
          "once authenticated, the consultant wraps the key for the beneficiary, who takes it")
    env.js("""(async () => {
        R.srv.live.set(R.b64u(R.IC.fp), R.C);
        R.P = await R.C.create('plan_action');
        await R.C.set(R.P, 'projet_vise', 'Premier jet');
        await R.C.sync(); await R.B.sync(); return true; })()""")
    check(env.js("R.B.field(R.P, 'projet_vise').value") == "Premier jet", "the beneficiary sees the consultant's sheet")
    # a server that moves an operation to another sheet, or lends it to another author
    moved = env.js("""(async () => {
        const before = R.B.counts.refused;
        R.srv.live.clear();                                    // the consultant pulls them later, tampered
        R.Z = await R.make(R.IZ, 'beneficiary').open();      // a third device, given the key by hand
        R.Z.st = {...R.Z.st, key: R.C.st.key, kid: R.C.st.kid, claimed: true};
        await R.Z.db.putState(R.Z.st); await R.Z.sync();
        await R.Z.set(R.P, 'obstacles', 'déplacé'); await R.Z.set(R.P, 'organismes', ['prêté']);
        await R.Z.sync();
        const n = R.srv.ops.length;
        R.srv.ops[n - 2].sheet = R.srv.ops[0].op;          // listed under another sheet id
        R.srv.ops[n - 1].author = R.b64u(R.IC.fp);         // listed as the consultant's
        R.srv.ops[n - 1].role = 'consultant';
        await R.B.sync();
        return [R.B.counts.refused - before, R.B.field(R.P, 'obstacles').value, R.B.field(R.P, 'organismes').value,
                R.B.st.after === n]; })()""")
    check(moved == [2, None, None, True], "an operation the server lists under another sheet or author is refused "
                                          f"and not applied; the pull moves past it ({moved})")
    # garbage from the server: refused and counted, never thrown
    junk = env.js("""(async () => {
        const before = R.B.counts.refused, after = R.B.st.after;
        const n = after + 1;
        const bad = [null, 7, {seq: 'x'}, {seq: 2 ** 51, op: 'a', sheet: 'b', author: 'c', sealed: 'd'},
                     {seq: n, op: '!!', sheet: R.P, author: R.b64u(R.IC.fp), role: 'consultant', sealed: 'AAAA'},
                     {seq: n + 1, op: R.P, sheet: R.P, author: R.b64u(R.IC.fp), role: 'consultant', sealed: 'A'.repeat(80)}];
        await R.B.onLive({type: 'sheet_ops', bilan, ops: bad.slice(3), more: false});
        await R.B.applyOps({type: 'sheet_ops', bilan, ops: bad, more: false});
        await R.B.onLive({type: 'sheet_keys', bilan, kid: 7, keys: [null, {from: 1}, 'x']});
        await R.B.onLive({type: 'sheet_ops', bilan, ops: [null]});
        await R.B.onLive(null); await R.B.onLive({type: 'sheet_ops'});
        const out = [R.B.counts.refused - before, R.B.st.after - after];
        R.B.st = {...R.B.st, after}; await R.B.db.putState(R.B.st);   // the stand-in never gave those seqs
        return out; })()""", bilan=bilan)
    check(junk[0] >= 6 and junk[1] == 2, f"malformed entries and wraps from the server are refused and counted, "
                                         f"never thrown; a seq above 2^50 does not move `after` ({junk})")
    # offline edits on both sides
    env.js("""(async () => {
        R.srv.live.clear();
        await R.C.set(R.P, 'projet_vise', 'Version du consultant');
        await R.C.set(R.P, 'accompagnement_cep', 'propose');
        await R.B.set(R.P, 'projet_vise', 'Version de la bénéficiaire ✓');
        R.M = await R.B.create('motivation');
        await R.B.set(R.M, 'valeur_autonomie', 4);
        await R.B.set(R.M, 'activites_aimees', ['lire', 'écrire']);
        return true; })()""")
    refusals = env.js("""(async () => { const out = [];
        for (const [s, f, v] of [[R.P, 'accompagnement_cep', 'propose'], [R.M, 'valeur_autonomie', 9], [R.P, 'x', 1]]) {
          try { await R.B.set(s, f, v); out.push('accepted'); } catch (e) { out.push(e.message); } }
        return out; })()""")
    check("consultant" in refusals[0] and "1 à 5" in refusals[1] and "n'existe pas" in refusals[2],
          f"edits the rules forbid are refused in French before they become operations ({refusals})")
    check(env.js("R.B.pendingCount()") == 4, "the beneficiary's four offline operations are stored pending")
    env.js("(async () => { R.B.db.close(); R.B = await R.make(R.IB, 'beneficiary').open(); return true; })()")
    check(env.js("R.B.pendingCount()") == 4 and env.js("R.B.field(R.M, 'valeur_autonomie').value") == 4,
          "after a reload (a new replica from IndexedDB) nothing is lost: 4 pending, values shown")
    env.js("""(async () => {
        await R.B.peerAuthenticated({fp: R.IC.fp, dhPub: R.IC.dhPub, role: 'consultant'});
        await R.C.sync(); await R.B.sync(); await R.C.sync(); return true; })()""")
    check(env.js("R.B.pendingCount()") == 0 and env.js("R.C.pendingCount()") == 0, "every pending operation pushed")
    dc, db = env.js("Promise.all([R.C.digest(), R.B.digest()]).then(d => d.map(T.mods.bytes.hex))")
    check(dc == db, f"both browsers hold the same state ({dc[:16]}...)")
    pv = env.js("R.C.field(R.P, 'projet_vise')")
    texts = {pv["value"], *pv["versions"]}
    check(pv["conflict"] and texts == {"Version du consultant", "Version de la bénéficiaire ✓"},
          "the field edited offline on both sides keeps both texts as a conflict: nothing lost")
    check(env.js("R.C.field(R.M, 'activites_aimees').value") == ["lire", "écrire"], "the beneficiary's new sheet reached the consultant")
    form = env.js("""(async () => {
        const box = document.createElement('div'); document.body.append(box);
        T.mods.form.renderSheet(box, R.C, R.P);
        const controls = [...box.querySelectorAll('input, textarea, select')];
        const unlabelled = controls.filter((c) => !box.querySelector(`label[for="${c.id}"]`)
            && !(c.closest('[aria-labelledby]') && c.type !== 'radio' && c.type !== 'checkbox'));
        const keep = [...box.querySelectorAll('button')].filter((b) => b.textContent === 'Garder cette version').length;
        const link = box.querySelector('a[download]');
        const t = R.C.template(R.P);
        const rb = document.createElement('div'); document.body.append(rb);
        T.mods.form.renderSheet(rb, R.B, R.P);
        const ro = rb.querySelector('input[name][value="propose"]');
        const out = {controls: controls.length, unlabelled: unlabelled.length, keep,
            legends: box.querySelectorAll('fieldset > legend').length, sections: t.sections.length,
            blob: !!link && link.href.startsWith('blob:'), readonly: !!ro && ro.disabled,
            fr: box.querySelector('label').textContent};
        box.remove(); rb.remove(); return out; })()""")
    check(form["controls"] > 10 and form["unlabelled"] == 0, f"the form gives every one of its {form['controls']} controls a label")
    check(form["legends"] == form["sections"], "each section is a fieldset with its title as legend")
    check(form["keep"] == 1, "the field in conflict offers its other version with a « Garder cette version » button")
    check(form["blob"], "the sheet downloads as a file (a Blob link)")
    check(form["readonly"], "in the beneficiary's view a consultant's field is read-only")
    # the same operations in C give the same state
    rows = env.js("R.B.db.rows().then(rs => rs.map(r => ({json: r.json, author: r.author, role: r.role})))")
    roles = {r["author"]: r["role"] for r in rows}
    c = ref({"cmd": "merge", "roles": roles, "ops": [r["json"] for r in rows], "orders": [list(range(len(rows)))]})
    check(c["digests"][0] == dc, f"C's merge of the same {len(rows)} stored operations gives the browsers' digest")
    # resolve the conflict from the beneficiary's side
    env.js("""(async () => { R.srv.live.set(R.b64u(R.IC.fp), R.C);
        await R.B.set(R.P, 'projet_vise', 'Version commune'); await R.B.sync(); await R.C.queue; return true; })()""")
    pv = env.js("R.C.field(R.P, 'projet_vise')")
    check(not pv["conflict"] and pv["value"] == "Version commune",
          "a set on a field in conflict resolves it, and reaches the other device live (sheet_ops without ref)")
    # export
    md = env.js("T.mods.form.sheetMarkdown(R.C, R.M)")
    check("# " in md and "4 sur 5" in md and "- lire" in md and "(non renseigné)" in md,
          "the Markdown export shows titles, a scale as « 4 sur 5 », list items and empty fields")
    # consent and close: only the consented sheet stays, then nothing
    r = env.js("R.B.consent([R.M]).then(r => r.sheets)")
    check(r == [env.js("R.M")], "the beneficiary's signed consent is accepted (signature checked by the stand-in)")
    env.js("""(async () => { const m = R.srv.close(); await R.C.onLive(m); await R.B.onLive(m); return true; })()""")
    check(env.js("R.C.list().map(s => s.id)") == [env.js("R.M")] and env.js("R.B.list().map(s => s.id)") == [env.js("R.M")],
          "after the close both replicas hold only the kept sheet")
    check(env.js("R.B.db.rows().then(rs => rs.every(r => r.sheet === R.M))"), "the other sheets' rows are gone from IndexedDB")
    r = env.js("R.B.set(R.M, 'valeur_autonomie', 2).then(() => 'accepted', e => e.message)")
    check("clos" in r, f"an edit after the close is refused ({r})")
    check(env.js("R.B.db.state().then(s => s.key !== null)"), "with a sheet kept the document key stays (the follow-up)")
    env.js("""(async () => { await R.B.bilanInfo({bilan, label: 'x', role: 'beneficiary', budget_s: 1, closed: 5, purged: 6});
                             return true; })()""", bilan=bilan)
    check(env.js("R.B.db.rows().then(rs => rs.length)") == 0 and env.js("R.B.db.state().then(s => s.key === null)"),
          "after the purge (a bilan object with `purged`) every row and the document key are deleted")
