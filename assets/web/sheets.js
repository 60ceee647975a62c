// sheets.js: one bilan's worksheets in the browser, the same in effect as
// the native client's (client/sheets.c, client/sheet_sync.c): a replica in
// IndexedDB (sheets_db.js), local edits made into operations stored pending
// before they are applied, the sync with the server (PROTOCOL.md §10.1,
// §10.2, §10.5) through request(msg), live operations in the room, the
// beneficiary's signed consent (§10.3) and the close (§10.4).
//
//   const s = new Sheets({request, identity, bilan, role, templates, trust});
//   await s.open(); await s.sync();        // on each connection to the bilan
//   s.onLive(msg)                          // sheet_ops / sheet_keys / bilan_closed without ref
//   s.peerAuthenticated({fp, dhPub, role}) // a peer authenticated in the room (§8.2 step 8)
//
// Owns: the replica, the pending operations, the document key on this
// device, the sync's order. Must never: apply an operation that is not
// stored first, open a wrap from a device not authenticated here, or say a
// key, a value or a seal in a log (counts and seqs only).
import { b64u, unb64u, utf8 } from './bytes.js';
import { canonical } from './sheets_canon.js';
import { parseOp, encodeOp, sealOp, openOp, hlcLocal, hlcReceive, newId, PLAIN_MAX, b64Exact } from './sheets_op.js';
import { Replica, APPLIED, NO_CREATE } from './sheets_merge.js';
import { Templates } from './sheets_template.js';
import { takeWrap, wrapKey, newDocKey } from './sheets_keys.js';
import { SheetsDb } from './sheets_db.js';
import { t } from './i18n.js';

export const ROLE_NUM = { consultant: 1, beneficiary: 2 };
const SEQ_MAX = 2 ** 50;

/** An edit or a request refused; its message is a sentence for the person,
 * in the page's language (i18n.js's sheetErr_*, rule_*, val_*). */
export class SheetsError extends Error {}

export class Sheets {
  /** request(msg) -> Promise<reply> (rejects with an Error whose .code is
   * the protocol's error code); identity {signPub, dhPub, fp, dhPriv,
   * sign(msg)}; role 'consultant' | 'beneficiary'; templates a Templates
   * (default: loaded from /web/); trust {isVerified(fpB64)} the devices
   * authenticated in this bilan's room; log(line) for counts (no content).
   * store (store.js's) is accepted and not used: the replica keeps its own
   * database, "bilan-sheets" (sheets_db.js). */
  constructor({ store = null, request, identity, bilan, role, templates = null, trust = null, now = () => Date.now(),
    log = () => {}, dbName = undefined }) {
    this.store = store;
    this.request = request;
    this.id = identity;
    this.bilan = bilan;
    this.role = role;
    this.templates = templates;
    this.trust = trust;
    this.now = now;
    this.log = log;
    this.dbName = dbName;
    this.self = b64u(identity.fp);
    this.roles = new Map();       // device -> role name, from its first stored operation
    this.roomRoles = new Map();   // devices authenticated in the room: their role there (wins)
    this.peers = new Map();       // fp -> dhPub, authenticated in this visit
    this.counts = { pushed: 0, received: 0, held: 0, refused: 0, wrapsGiven: 0, wrapsRefused: 0 };
    this.phase = 'idle';
    this.closedInfo = null;
    this.listeners = new Set();
    this.queue = Promise.resolve();
  }

  /** Runs fn after every earlier call has finished: edits, sync, live
   * messages and the close never interleave on the replica. */
  serial(fn) {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  async open() {
    if (!this.templates) {
      this.templates = await Templates.load(async (id) => {
        const r = await fetch(`/web/${id}.json`);
        if (!r.ok) throw new SheetsError(t('sheetErr_templateMissing', { id }));
        return new Uint8Array(await r.arrayBuffer());
      });
    }
    this.db = await SheetsDb.open(this.self, this.bilan, this.dbName);
    this.st = await this.db.state();
    await this.load();
    return this;
  }

  /** The replica from the stored rows, with each author's role from its
   * first stored operation (the rules' answers must not change later). */
  async load() {
    this.roles = new Map();
    this.replica = new Replica(this.templates.rules((d) => ROLE_NUM[d === this.self ? this.role : this.roles.get(d)] || 0));
    for (const row of await this.db.rows()) {
      if (row.author !== this.self && !this.roles.has(row.author)) this.roles.set(row.author, row.role);
      try { this.replica.add(parseOp(row.json)); } catch { /* stored before a newer rule: kept, not shown */ }
    }
  }

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  changed() { for (const fn of this.listeners) { try { fn(); } catch { /* a view's bug is not ours */ } } }

  // ---- reading ----

  list() {
    return this.replica.sheetIds().map((id) => {
      const info = this.replica.sheetInfo(id);
      const tpl = this.templates.find(info.template);
      return { id, template: info.template, title: tpl ? tpl.title : '', deleted: info.deleted };
    }).filter((s) => !s.deleted);
  }

  template(sheetId) {
    const info = this.replica.sheetInfo(sheetId);
    return info && this.templates.find(info.template);
  }

  /** {value, conflict, versions: [values of the other heads]} of one field. */
  field(sheetId, fieldId) {
    const { heads, conflict } = this.replica.heads(sheetId, fieldId);
    return { value: heads.length ? heads[0].value : null, conflict, versions: conflict ? heads.slice(1).map((h) => h.value) : [] };
  }

  mayEdit(f) { return (ROLE_NUM[this.role] & f.editors) !== 0; }

  async pendingCount() { return (await this.db.rows()).filter((r) => !r.seq).length; }

  digest() { return this.replica.digest(); }

  // ---- local edits (client/sheets.c commit_local) ----

  async commit(op) {
    op.v = 1;
    op.op = newId();
    op.device = this.self;
    const clock = [...this.st.hlc];
    op.hlc = hlcLocal(clock, this.now());
    const json = encodeOp(op);
    if (utf8(json).length > PLAIN_MAX) {
      throw new SheetsError(t('sheetErr_tooLong'));
    }
    const st = { ...this.st, hlc: clock };
    await this.db.put({ op: op.op, sheet: op.sheet, seq: 0, author: this.self, role: this.role, json }, st);
    this.st = st;
    this.replica.add(parseOp(json));
    this.changed();
    return op;
  }

  create(templateId) { return this.serial(() => this.createNow(templateId)); }

  async createNow(templateId) {
    if (this.closedInfo) throw new SheetsError(t('sheetErr_closed'));
    if (!this.templates.find(templateId)) throw new SheetsError(t('sheetErr_noTemplate', { id: templateId }));
    let sheet;
    do { sheet = newId(); } while (sheet[0] === '-');
    await this.commit({ type: 'create', sheet, template: templateId });
    return sheet;
  }

  editable(sheetId) {
    if (this.closedInfo) throw new SheetsError(t('sheetErr_closed'));
    const info = this.replica.sheetInfo(sheetId);
    if (!info) throw new SheetsError(t('sheetErr_noSheet', { id: sheetId }));
    if (info.deleted) throw new SheetsError(t('sheetErr_deleted'));
    const tpl = this.templates.find(info.template);
    if (!tpl) throw new SheetsError(t('sheetErr_unknownTemplate'));
    return tpl;
  }

  /** Sets a field (null empties it); parents are all its heads, winner
   * first, at most 64: a set on a field in conflict resolves it. */
  set(sheetId, fieldId, value) { return this.serial(() => this.setNow(sheetId, fieldId, value)); }

  async setNow(sheetId, fieldId, value) {
    const tpl = this.editable(sheetId);
    const f = tpl.byId.get(fieldId);
    if (!f) throw new SheetsError(t('sheetErr_noField', { field: fieldId, title: tpl.title }));
    const r = this.templates.rules(() => ROLE_NUM[this.role]).fieldCheck(tpl.id, fieldId, value, ROLE_NUM[this.role]);
    if (r.skip) throw new SheetsError(r.why);
    const parents = this.replica.heads(sheetId, fieldId).heads.slice(0, 64).map((h) => h.op);
    return this.commit({ type: 'set', sheet: sheetId, field: fieldId, value, parents });
  }

  remove(sheetId) { return this.serial(() => this.removeNow(sheetId)); }

  async removeNow(sheetId) {
    this.editable(sheetId);
    return this.commit({ type: 'delete', sheet: sheetId });
  }

  // ---- the document key (§10.2) ----

  async isAuthenticated(fpB64) {
    if (this.peers.has(fpB64)) return true;
    return !!(this.trust && (await this.trust.isVerified(fpB64)));
  }

  /** sheet_keys: every wrap checked (takeWrap) and the key taken when it
   * is the bilan's. */
  async takeKeys(m) {
    if (!m || m.bilan !== this.bilan || !Array.isArray(m.keys)) return;
    for (const e of m.keys.slice(0, 64)) {
      const r = await takeWrap(this.id, this.bilan, e, m.kid, (fp) => this.isAuthenticated(fp));
      if (r.why) {
        this.counts.wrapsRefused++;
        this.log(`[sheets] key wrap ignored: ${r.why}`);
        continue;
      }
      if (this.st.key && this.st.claimed && this.st.kid !== r.kid) {
        this.log('[sheets] key wrap for another key than ours ignored');
        continue;
      }
      this.st = { ...this.st, key: r.key, kid: r.kid, claimed: true };
      await this.db.putState(this.st);
    }
  }

  async wrapFor(fpB64, dhPub) {
    if (!this.st.key || !this.st.claimed || this.closedInfo || this.st.wrapped.includes(fpB64)) return;
    const fp = unb64u(fpB64, 32);
    const wrap = await wrapKey(this.id, dhPub, fp, this.bilan, this.st.key);
    try {
      await this.request({ type: 'sheet_key_put', bilan: this.bilan, kid: this.st.kid, to: fpB64, wrap: b64u(wrap) });
      this.st = { ...this.st, wrapped: [...this.st.wrapped, fpB64] };
      await this.db.putState(this.st);
      this.counts.wrapsGiven++;
    } catch (e) {
      this.log(`[sheets] key wrap refused: ${e.code || 'error'}`);
    }
  }

  /** A peer authenticated in the room (§8.2 step 8): its role there wins
   * for its operations, and it gets the key if this device has it. */
  peerAuthenticated(peer) { return this.serial(() => this.peerNow(peer)); }

  async peerNow({ fp, dhPub, role }) {
    const fpB64 = typeof fp === 'string' ? fp : b64u(fp);
    this.peers.set(fpB64, dhPub);
    if (role) this.roomRoles.set(fpB64, role);
    if (this.phase === 'live' || this.phase === 'nokey') await this.wrapFor(fpB64, dhPub);
  }

  async keyPhase() {
    const m = await this.request({ type: 'sheet_key_get', bilan: this.bilan });
    await this.takeKeys(m);
    const kid = m.kid;
    if (this.st.key && this.st.claimed && (!kid || kid === this.st.kid)) {
      if (!kid) await this.claim();
      return true;
    }
    if (this.st.key && !this.st.claimed) {
      if (!kid) return this.claim();
      if (kid === this.st.kid) { this.st = { ...this.st, claimed: true }; await this.db.putState(this.st); return true; }
      this.st = { ...this.st, key: null, kid: null };
      await this.db.putState(this.st);
      return false;
    }
    if (this.st.key) throw new SheetsError(t('sheetErr_otherKey'));
    if (!kid && this.role === 'consultant') {
      const { key, kid: k } = await newDocKey();
      this.st = { ...this.st, key, kid: k, claimed: false };
      await this.db.putState(this.st);
      return this.claim();
    }
    return false;
  }

  /** The key's claim: a wrap to itself (the first put fixes the bilan's kid). */
  async claim() {
    const wrap = await wrapKey(this.id, this.id.dhPub, this.id.fp, this.bilan, this.st.key);
    try {
      await this.request({ type: 'sheet_key_put', bilan: this.bilan, kid: this.st.kid, to: this.self, wrap: b64u(wrap) });
    } catch (e) {
      this.st = { ...this.st, key: null, kid: null, claimed: false };
      await this.db.putState(this.st);
      return false;
    }
    this.st = { ...this.st, claimed: true };
    await this.db.putState(this.st);
    return true;
  }

  // ---- the sync (§10.5) ----

  /** The catch-up: key, then pending operations pushed in the order they
   * were made, then pulls until `more` is false. Returns the counts. */
  sync() { return this.serial(() => this.syncNow()); }

  async syncNow() {
    if (this.closedInfo) return this.counts;
    try {
      if (!(await this.keyPhase())) {
        this.phase = 'nokey';
        return this.counts;
      }
      for (const [fp, dh] of this.peers) await this.wrapFor(fp, dh);
      this.phase = 'push';
      for (const row of (await this.db.rows()).filter((r) => !r.seq)) {
        if (!(await this.pushOne(row))) break;
      }
      this.phase = 'pull';
      for (;;) {
        const m = await this.request({ type: 'sheet_pull', bilan: this.bilan, after: this.st.after });
        await this.applyOps(m);
        if (m.more !== true) break;
      }
      this.phase = 'live';
    } catch (e) {
      if (e && e.code === 'bilan_closed') { await this.closedNow({ bilan: this.bilan }); return this.counts; }
      this.phase = 'failed';
      throw e;
    }
    this.changed();
    return this.counts;
  }

  async pushOne(row) {
    const sealed = await sealOp(this.st.key, this.bilan, unb64u(row.op, 16), this.id.fp, utf8(row.json));
    let r;
    try {
      r = await this.request({ type: 'sheet_push', bilan: this.bilan, op: row.op, sheet: row.sheet, sealed: b64u(sealed) });
    } catch (e) {
      if (e && e.code === 'bilan_closed') throw e;
      this.log(`[sheets] push refused: ${e.code || 'error'}; the rest waits for the next sync`);
      return false;
    }
    if (!r || r.op !== row.op || !Number.isInteger(r.seq) || r.seq < 1) return false;
    await this.db.pushed(row.op, r.seq);
    this.counts.pushed++;
    // Ours and next in the bilan's order: the pull need not bring it back.
    if (r.seq === this.st.after + 1) await this.setAfter(r.seq);
    return true;
  }

  async setAfter(seq) {
    if (seq <= this.st.after) return;
    this.st = { ...this.st, after: seq };
    await this.db.putState(this.st);
  }

  async applyOps(m) {
    if (!m || m.bilan !== this.bilan || !Array.isArray(m.ops) || !this.st.key) return;
    for (const e of m.ops) {
      const seq = e && Number.isInteger(e.seq) && e.seq > 0 && e.seq <= SEQ_MAX ? e.seq : 0;
      if (seq && seq <= this.st.after) continue;
      const why = await this.applyOne(e, seq);
      if (why === '') this.counts.received++;
      else if (why.startsWith('held')) { this.counts.received++; this.counts.held++; this.log(`[sheets] seq=${seq} ${why}`); }
      else { this.counts.refused++; this.log(`[sheets] seq=${seq} not applied: ${why}`); }
      if (seq) await this.setAfter(seq);
    }
    this.changed();
  }

  /** One sheet_ops entry opened, checked and applied: '' when applied,
   * 'held: ...' when stored but not applied, else why it was refused. */
  async applyOne(e, seq) {
    if (!seq || !e || typeof e !== 'object') return 'malformed entry';
    const op = unb64u(e.op, 16), author = unb64u(e.author, 32), sealed = unb64u(e.sealed);
    if (!op || !author || !sealed || !b64Exact(e.sheet, 16)) return 'malformed entry';
    const plain = await openOp(this.st.key, this.bilan, op, author, sealed);
    if (!plain) return "does not open under the bilan's document key";
    let o;
    try { o = parseOp(plain); } catch (err) { return `unreadable operation: ${err.message}`; }
    if (o.op !== e.op || o.sheet !== e.sheet || o.device !== e.author) {
      return 'the operation does not match what the server lists (id, sheet or author)';
    }
    const self = e.author === this.self;
    const role = self ? this.role : (this.roomRoles.get(e.author) || e.role);
    if (!ROLE_NUM[role]) return 'an author without a role in this bilan';
    if (!self && this.roles.has(e.author) && this.roles.get(e.author) !== role) return 'a known device with another role';
    const json = encodeOp(o);
    const had = await this.db.get(o.op);
    if (had) {
      if (had.json !== json) return 'the same op id with other content';
      if (!had.seq) await this.db.pushed(o.op, seq);
      return '';
    }
    const clock = [...this.st.hlc];
    hlcReceive(clock, o.hlc, this.now());
    const st = { ...this.st, hlc: clock, after: Math.max(this.st.after, seq) };
    if (!(await this.db.put({ op: o.op, sheet: o.sheet, seq, author: e.author, role, json }, st))) return '';
    this.st = st;
    if (!self && !this.roles.has(e.author)) this.roles.set(e.author, role);
    try { this.replica.add(o); } catch (err) { return `refused by the merge: ${err.message}`; }
    const s = this.replica.status(o.op);
    return s === APPLIED ? '' : `held: ${s === NO_CREATE ? 'no create yet' : this.replica.statusWhy(o.op)}`;
  }

  /** A control message without ref that concerns the worksheets. */
  onLive(msg) { return this.serial(() => this.liveNow(msg)); }

  async liveNow(msg) {
    if (!msg || msg.bilan !== this.bilan) return;
    if (msg.type === 'bilan_closed') return this.closedNow(msg);
    if (this.closedInfo) return;
    if (msg.type === 'sheet_keys') {
      await this.takeKeys(msg);
      if (this.phase === 'nokey' && this.st.key && this.st.claimed) await this.syncNow();
      return;
    }
    if (msg.type === 'sheet_ops' && this.phase === 'live' && Array.isArray(msg.ops) && msg.ops.length) {
      const first = msg.ops[0];
      if (first && Number.isInteger(first.seq) && first.seq > this.st.after + 1) return this.syncNow(); // a gap: pull
      await this.applyOps(msg);
    }
  }

  // ---- consent (§10.3) and close (§10.4) ----

  /** The canonical statement of a consent to keep sheetIds. */
  consentStatement(sheetIds, atSeconds) {
    const sheets = [...new Set(sheetIds)].sort();
    if (sheets.length > 64 || !sheets.every((s) => b64Exact(s, 16))) throw new SheetsError(t('sheetErr_badNames'));
    return canonical({ at: atSeconds, bilan: this.bilan, device: this.self, sheets, type: 'consent', v: 1 });
  }

  /** Signs and sends the consent (the beneficiary's device only). */
  consent(sheetIds) { return this.serial(() => this.consentNow(sheetIds)); }

  async consentNow(sheetIds) {
    const statement = this.consentStatement(sheetIds, Math.floor(this.now() / 1000));
    const sig = await signConsent(this.id, statement);
    return this.request({ type: 'sheet_consent', bilan: this.bilan, statement, sig: b64u(sig) });
  }

  /** bilan_closed (a reply, a live message, or closed bilan object): the
   * replica of every sheet not kept goes, and the pending operations; with
   * nothing kept, the key and every trace. */
  closed(msg) { return this.serial(() => this.closedNow(msg)); }

  /** A bilan object (§3.2, in welcome or bilans): a closed bilan keeps
   * only sheets_kept; a purged one nothing (§10.5). */
  bilanInfo(b) {
    if (!b || b.bilan !== this.bilan || !Number.isInteger(b.closed)) return Promise.resolve();
    const kept = Number.isInteger(b.purged) || !Array.isArray(b.sheets_kept) ? [] : b.sheets_kept;
    if (this.closedInfo && this.closedInfo.kept.length === kept.length) return Promise.resolve(); // already done
    return this.closed({ type: 'bilan_closed', bilan: this.bilan, kept_sheets: kept });
  }

  async closedNow(msg) {
    const keep = Array.isArray(msg.kept_sheets) ? msg.kept_sheets.filter((s) => typeof s === 'string') : [];
    this.closedInfo = { kept: keep };
    this.phase = 'closed';
    await this.db.shred(keep);
    this.st = await this.db.state();
    await this.load();
    this.changed();
  }
}

/** Ed25519(device key, "bilan-consent-v1" 0x00 || statement). */
export async function signConsent(identity, statement) {
  const s = utf8(statement);
  const m = new Uint8Array(17 + s.length);
  m.set(utf8('bilan-consent-v1'), 0);
  m.set(s, 17);
  return identity.sign(m);
}

