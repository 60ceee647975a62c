// sheets_op.js: one worksheet operation (docs/WORKSHEETS.md, "Sheets and
// operations"; PROTOCOL.md §10.1): parsed strictly as proto/ws_op.c parses
// it, encoded in the canonical form (what is sealed and compared), sealed
// and opened under the bilan's document key with the associated data that
// binds the bilan, the op id and the author; and the hybrid logical clock
// of proto/ws_hlc.c.
//
// Owns: the operation's fields and bounds, the refusal sentences (English,
// worded as bp/fields.h words them: they go to the console and counters),
// the seal's layout. Must never: look at a template (the merge's rules do),
// accept two spellings of one operation that encode differently, or return
// plaintext that did not authenticate.
import { canonical, parseJson, isObject, isInteger, Real, CanonError, utf8Length } from './sheets_canon.js';
import { unb64u, b64u, utf8, concat, label0, random } from './bytes.js';
import { aesKey, aesGcmSeal, aesGcmOpen } from './wcrypto.js';

export const OPID_LEN = 22;          // op and sheet ids: 16 bytes in base64url
export const DEVICE_LEN = 43;        // a device fingerprint: 32 bytes
export const NAME_MAX = 40;          // template and field ids: [a-z0-9_]{1,40}
export const PARENTS_MAX = 64;
export const OP_MAX = 1 << 20;       // bytes of one operation's JSON that parse
export const PLAIN_MAX = 46000;      // bytes of an operation that can be sealed
export const VALUE_ITEMS = 100;
export const HLC_MS_MAX = 2 ** 53 - 1;
export const HLC_COUNTER_MAX = 65535;
export const SEAL_OVERHEAD = 28;     // nonce 12 + tag 16
const TYPES = ['create', 'set', 'delete'];
const ALLOWED = {
  create: ['v', 'op', 'sheet', 'type', 'hlc', 'device', 'template'],
  set: ['v', 'op', 'sheet', 'type', 'hlc', 'device', 'field', 'value', 'parents'],
  delete: ['v', 'op', 'sheet', 'type', 'hlc', 'device'],
};

export class OpError extends Error {}

const WHERE = 'operation';
const refuse = (name, why) => { throw new OpError(`field '${name}' in ${WHERE} ${why}`); };
const missing = (name) => { throw new OpError(`missing field '${name}' in ${WHERE}`); };

export function nameOk(s) {
  return typeof s === 'string' && /^[a-z0-9_]{1,40}$/.test(s);
}

/** Whether s is canonical base64url of exactly n bytes (bp/fields.h BP_F_B64). */
export function b64Exact(s, n) {
  return typeof s === 'string' && s.length === Math.ceil((n * 4) / 3) && unb64u(s, n) !== null;
}

function checkB64(o, name, n) {
  if (!(name in o)) missing(name);
  if (!b64Exact(o[name], n)) {
    refuse(name, `must be ${n} bytes in base64url without padding (${Math.ceil((n * 4) / 3)} characters)`);
  }
}

function checkInt(v, name, min, max, why) {
  if (v === undefined) missing(name);
  if (!isInteger(v)) refuse(name, why || 'must be an integer');
  if (BigInt(v) < BigInt(min) || BigInt(v) > BigInt(max)) refuse(name, why || 'is out of range');
}

function checkStr(o, name, min, max, why) {
  if (!(name in o)) missing(name);
  const v = o[name];
  if (typeof v !== 'string') refuse(name, why || 'must be a string');
  const len = utf8Length(v);
  if (len < min || len > max) refuse(name, why || 'has a length out of range');
  if (v.includes('\0')) refuse(name, why || 'must not contain NUL');
}

function checkArray(o, name, min, max) {
  if (!(name in o)) missing(name);
  const v = o[name];
  if (!Array.isArray(v) || v.length < min || v.length > max) refuse(name, 'must be an array of bounded size');
}

/** null, a string, an integer, or an array of at most 100 strings. */
function valueShapeOk(v) {
  if (v === null || typeof v === 'string' || isInteger(v)) return true;
  if (!Array.isArray(v) || v.length > VALUE_ITEMS) return false;
  return v.every((x) => typeof x === 'string');
}

/** Checks a parsed JSON object as bp_ws_op_from_json does (same order of
 * checks) and returns the operation: {v, op, sheet, type, hlc: [ms,
 * counter], device, template | field, value, parents}. Throws OpError. */
export function opFromJson(o) {
  if (!isObject(o)) throw new OpError(`${WHERE} must be a JSON object`);
  checkInt(o.v, 'v', 1, 1, 'must be 1');
  checkB64(o, 'op', 16);
  checkB64(o, 'sheet', 16);
  if (!('type' in o)) missing('type');
  if (!TYPES.includes(o.type)) refuse('type', 'must be "create", "set" or "delete"');
  checkArray(o, 'hlc', 2, 2);
  checkB64(o, 'device', 32);
  checkInt(o.hlc[0], 'hlc[0]', 0, HLC_MS_MAX);
  checkInt(o.hlc[1], 'hlc[1]', 0, HLC_COUNTER_MAX);
  for (const k of Object.keys(o)) {
    if (!ALLOWED[o.type].includes(k)) refuse(k, 'is not allowed in this type of operation');
  }
  const op = { v: 1, op: o.op, sheet: o.sheet, type: o.type, hlc: [Number(o.hlc[0]), Number(o.hlc[1])], device: o.device };
  if (o.type === 'create') {
    checkStr(o, 'template', 1, NAME_MAX, 'must be 1 to 40 characters a-z 0-9 _');
    if (!nameOk(o.template)) refuse('template', 'must be 1 to 40 characters a-z 0-9 _');
    op.template = o.template;
  } else if (o.type === 'set') {
    checkStr(o, 'field', 1, NAME_MAX, 'must be 1 to 40 characters a-z 0-9 _');
    checkArray(o, 'parents', 0, PARENTS_MAX);
    if (!nameOk(o.field)) refuse('field', 'must be 1 to 40 characters a-z 0-9 _');
    if (!('value' in o)) missing('value');
    if (!valueShapeOk(o.value)) refuse('value', 'must be null, a string, an integer or an array of strings');
    const parents = [];
    o.parents.forEach((p, i) => {
      if (!b64Exact(p, 16)) {
        throw new OpError(`field 'parents[${i}]' in ${WHERE} must be 16 bytes in base64url without padding (22 characters)`);
      }
      if (p === o.op) refuse('parents', 'must not list the operation itself');
      if (parents.includes(p)) refuse('parents', 'must not repeat an id');
      parents.push(p);
    });
    op.field = o.field;
    op.value = o.value;
    op.parents = parents;
  }
  return op;
}

/** Parses an operation's JSON text (string or UTF-8 bytes) as
 * bp_ws_op_parse: at most 1 MiB, strict JSON, no repeated key. */
export function parseOp(text) {
  const len = typeof text === 'string' ? utf8Length(text) : text.length;
  if (len > OP_MAX) throw new OpError(`operation of ${len} bytes (at most ${OP_MAX})`);
  let o;
  try {
    o = parseJson(text);
  } catch (e) {
    if (e instanceof CanonError) throw new OpError(`operation is not JSON: ${e.message}`);
    throw e;
  }
  return opFromJson(o);
}

/** The operation as the JSON object that is encoded. */
function opObject(op) {
  const o = Object.create(null);
  o.v = 1; o.op = op.op; o.sheet = op.sheet; o.type = op.type; o.hlc = [op.hlc[0], op.hlc[1]]; o.device = op.device;
  if (op.type === 'create') o.template = op.template;
  if (op.type === 'set') { o.field = op.field; o.value = op.value === undefined ? null : op.value; o.parents = op.parents || []; }
  return o;
}

/** The canonical JSON of op (a string); throws OpError when op would not
 * parse back (checked on the way out too, as bp_ws_op_encode does). */
export function encodeOp(op) {
  const o = opObject(op);
  opFromJson(o);
  return canonical(o);
}

// ---- sealing (PROTOCOL.md §10.1, docs/WORKSHEETS.md "Keys") ----

/** "bilan-ws-op-v1" 0x00 || u8 len(bilan) || bilan || op id (16) || author fp (32). */
export function opAad(bilan, opId16, authorFp32) {
  const b = utf8(bilan);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(bilan)) throw new OpError('bilan is not an identifier');
  if (opId16.length !== 16 || authorFp32.length !== 32) throw new OpError('bad id length');
  return concat(label0('bilan-ws-op-v1'), Uint8Array.of(b.length), b, opId16, authorFp32);
}

async function docKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new OpError('the document key is 32 bytes');
  return aesKey(key);
}

/** nonce (12 random) || AES-256-GCM(key, nonce, aad, plain) || tag (16). */
export async function sealOp(key, bilan, opId16, authorFp32, plain) {
  if (plain.length < 1 || plain.length > PLAIN_MAX) throw new OpError('operation too large to seal');
  const nonce = random(12);
  const ct = await aesGcmSeal(await docKey(key), nonce, opAad(bilan, opId16, authorFp32), plain);
  return concat(nonce, ct);
}

/** The plaintext, or null when it does not authenticate (wrong key, bilan,
 * op id or author; altered) or has an impossible length. */
export async function openOp(key, bilan, opId16, authorFp32, sealed) {
  if (!(sealed instanceof Uint8Array) || sealed.length < SEAL_OVERHEAD + 1 || sealed.length > PLAIN_MAX + SEAL_OVERHEAD) {
    return null;
  }
  return aesGcmOpen(await docKey(key), sealed.subarray(0, 12), opAad(bilan, opId16, authorFp32), sealed.subarray(12));
}

// ---- the hybrid logical clock (proto/ws_hlc.c) ----

export function hlcCmp(a, b) {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function hlcSetCounter(c, n) {
  if (n > HLC_COUNTER_MAX) { c[0] += 1; c[1] = 0; } else { c[1] = n; }
}

/** A local edit at nowMs: clock c ([ms, counter], changed) and the stamp. */
export function hlcLocal(c, nowMs) {
  if (nowMs > c[0]) { c[0] = nowMs; c[1] = 0; } else { hlcSetCounter(c, c[1] + 1); }
  return [c[0], c[1]];
}

/** A received operation stamped r, at nowMs: clock c changed. */
export function hlcReceive(c, r, nowMs) {
  let ms = c[0];
  if (r[0] > ms) ms = r[0];
  if (nowMs > ms) ms = nowMs;
  const mine = ms === c[0], theirs = ms === r[0];
  let top;
  if (mine && theirs) top = Math.max(c[1], r[1]);
  else if (mine) top = c[1];
  else if (theirs) top = r[1];
  else { c[0] = ms; c[1] = 0; return; }
  c[0] = ms;
  hlcSetCounter(c, top + 1);
}

/** A new random id: 16 bytes in base64url. */
export function newId() { return b64u(random(16)); }

export { Real };
