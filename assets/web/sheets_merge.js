// sheets_merge.js: a worksheet replica in memory and its merge, the same
// rules and the same state as proto/ws_merge.c (docs/WORKSHEETS.md,
// "Merge"): the state is a function of the set of operations held only.
//   - a set is applied when its sheet has a create and the rules accept it;
//   - a parent P of an applied set X (same field) counts as replaced when P
//     is applied and P's hlc is strictly before X's (a forged parent newer
//     than its child replaces nothing; no cycle can hide a value);
//   - a field's heads are its applied sets not replaced; the winner is the
//     head with the largest (hlc, device, op id);
//   - a sheet's template is its create with the smallest (hlc, device, op
//     id); when that changes, the sheet's sets are applied again.
// digest() is bp_ws_replica_digest byte for byte: two replicas, one in C
// and one here, holding the same operations give the same SHA-256.
//
// Owns: every operation it was given (none is ever dropped), the sheets,
// the fields. Must never: read a template itself (rules answer), or let
// the order of arrival change the state.
import { encodeOp, hlcCmp } from './sheets_op.js';
import { compareUtf8 } from './sheets_canon.js';
import { utf8, concat } from './bytes.js';
import { sha256 } from './wcrypto.js';

export const APPLIED = 0, NO_CREATE = 1, UNKNOWN_TEMPLATE = 2, UNKNOWN_FIELD = 3, BAD_VALUE = 4, ROLE = 5;

// Ids are base64url and field names [a-z0-9_]: JS string order is byte order.
const strcmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** The merge's order of operations: (hlc ms, hlc counter, device, op id). */
export function opOrder(a, b) {
  return hlcCmp(a.hlc, b.hlc) || strcmp(a.device, b.device) || strcmp(a.op, b.op);
}

export class Replica {
  /** rules: {deviceRole(device) -> 1 (consultant) | 2 (beneficiary) | 0,
   *  fieldCheck(templateId, field|null, value, authorRole) ->
   *  {skip: 0 | UNKNOWN_TEMPLATE..ROLE, keeps: bool, why: string}}. */
  constructor(rules) {
    this.rules = rules;
    this.nodes = new Map();   // op id -> node (also ids only named as parents)
    this.sheets = new Map();  // sheet id -> sheet
    this.fields = new Map();  // "sheet/field" -> field
    this.held = [];
    this.skipped = 0;
  }

  node(id) {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, held: false, op: null, kids: [], sheet: null, field: null, skip: 0, why: '', nRepl: 0, head: false, canon: null };
      this.nodes.set(id, n);
    }
    return n;
  }

  sheet(id) {
    let s = this.sheets.get(id);
    if (!s) {
      s = { id, create: null, deleted: false, sets: [], fields: [] };
      this.sheets.set(id, s);
    }
    return s;
  }

  field(s, name) {
    const key = `${s.id}/${name}`;
    let f = this.fields.get(key);
    if (!f) {
      f = { key, sheet: s, heads: new Set(), keeps: false };
      this.fields.set(key, f);
      s.fields.push(f);
    }
    return f;
  }

  setSkip(n, skip, why) {
    if ((n.skip !== 0) !== (skip !== 0)) this.skipped += skip ? 1 : -1;
    n.skip = skip;
    n.why = why || '';
  }

  applySet(x) {
    const s = x.sheet;
    if (!s.create) { this.setSkip(x, NO_CREATE, ''); return; }
    const role = this.rules.deviceRole ? this.rules.deviceRole(x.op.device) : 0;
    const r = this.rules.fieldCheck(s.create.op.template, x.op.field, x.op.value, role);
    if (r.skip) { this.setSkip(x, r.skip, r.why); return; }
    const f = this.field(s, x.op.field);
    f.keeps = !!r.keeps;
    this.setSkip(x, APPLIED, '');
    x.field = f;
    x.nRepl = 0;
    for (const k of x.kids) {
      if (k.field === f && hlcCmp(x.op.hlc, k.op.hlc) < 0) x.nRepl++;
    }
    if (!x.nRepl) { f.heads.add(x); x.head = true; }
    for (const pid of x.op.parents) {
      const p = this.nodes.get(pid);
      if (p && p.field === f && hlcCmp(p.op.hlc, x.op.hlc) < 0 && p.nRepl++ === 0) {
        f.heads.delete(p);
        p.head = false;
      }
    }
  }

  rebuild(s) {
    for (const f of s.fields) f.heads.clear();
    for (const x of s.sets) {
      x.field = null; x.nRepl = 0; x.head = false;
      this.setSkip(x, NO_CREATE, '');
    }
    for (const x of s.sets) this.applySet(x);
  }

  addCreate(n) {
    const s = n.sheet;
    const r = this.rules.fieldCheck(n.op.template, null, null, 0);
    this.setSkip(n, r.skip ? UNKNOWN_TEMPLATE : APPLIED, r.why);
    const old = s.create;
    if (old && opOrder(old.op, n.op) <= 0) return;
    s.create = n;
    if (!old || old.op.template !== n.op.template) this.rebuild(s);
  }

  /** Adds op (from parseOp, or one encodeOp accepts): 1 when new, 0 when
   * the same operation was held already; throws when the id is held with
   * other content (the first copy stays). */
  add(op) {
    const canon = encodeOp(op);
    const n = this.node(op.op);
    if (n.held) {
      if (n.canon === canon) return 0;
      throw new Error(`operation ${op.op} already held with other content`);
    }
    const s = this.sheet(op.sheet);
    n.op = { ...op, parents: op.parents ? [...op.parents] : [] };
    n.canon = canon;
    n.held = true;
    n.sheet = s;
    this.held.push(n);
    if (op.type === 'create') { this.addCreate(n); return 1; }
    if (op.type === 'delete') { s.deleted = true; return 1; }
    s.sets.push(n);
    for (const pid of n.op.parents) this.node(pid).kids.push(n);
    n.skip = NO_CREATE;
    this.skipped++;
    this.applySet(n);
    return 1;
  }

  count() { return this.held.length; }

  get(id) { const n = this.nodes.get(id); return n && n.held ? n.op : null; }

  /** -1 when not held, else its skip code; why in statusWhy. */
  status(id) { const n = this.nodes.get(id); return n && n.held ? n.skip : -1; }

  statusWhy(id) { const n = this.nodes.get(id); return n && n.held ? n.why : ''; }

  /** {template ('' when only a delete is held), deleted} or null when unknown. */
  sheetInfo(id) {
    const s = this.sheets.get(id);
    if (!s || (!s.create && !s.deleted)) return null;
    return { template: s.create ? s.create.op.template : '', deleted: s.deleted };
  }

  /** Sheet ids known (a create or a delete held), in id order. */
  sheetIds() {
    return [...this.sheets.values()].filter((s) => s.create || s.deleted).map((s) => s.id).sort(strcmp);
  }

  /** The field's heads, winner first then by (hlc, device, op id)
   * falling, and whether they are a conflict (more than one head, in a
   * field that keeps versions). */
  heads(sheet, field) {
    const f = this.fields.get(`${sheet}/${field}`);
    if (!f) return { heads: [], conflict: false };
    const heads = [...f.heads].sort((a, b) => opOrder(b.op, a.op)).map((n) => n.op);
    return { heads, conflict: f.keeps && heads.length > 1 };
  }

  /** The text bp_ws_replica_digest hashes: one line per known sheet (by
   * id), then per held operation (by id) a line and its canonical bytes. */
  digestParts() {
    const parts = [];
    const sheets = [...this.sheets.values()].sort((a, b) => strcmp(a.id, b.id));
    for (const s of sheets) parts.push(utf8(`S ${s.id} ${s.create ? s.create.id : '-'} ${s.deleted ? 1 : 0}\n`));
    const held = [...this.held].sort((a, b) => strcmp(a.id, b.id));
    for (const x of held) {
      const enc = utf8(x.canon);
      const applied = x.op.type === 'set' && x.field && x.skip === APPLIED;
      const head = applied && x.head;
      let winner = false;
      if (head) winner = this.heads(x.op.sheet, x.op.field).heads[0].op === x.id;
      parts.push(utf8(`O ${enc.length} ${x.skip} ${head ? 1 : 0} ${winner ? 1 : 0}\n`), enc);
    }
    return parts;
  }

  /** SHA-256 of the state, the same bytes as bp_ws_replica_digest. */
  async digest() { return sha256(concat(...this.digestParts())); }
}

export { compareUtf8 };
