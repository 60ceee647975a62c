// receipts.js: attendance receipts of PROTOCOL.md §9.3-9.4 as proto/record.c
// makes them: the strict reading of a session record, its canonical text,
// the device's attestation (signed receipt) and its signed refusal, and
// their verification. What the device observed (whether it may sign) is
// the caller's to decide; this module only writes and checks bytes.
//
// Pure async functions over wcrypto.js and bytes.js; bad input gives null
// or false, never an exception.
import { b64u, compare, concat, label0, unb64u, utf8 } from './bytes.js';
import { ed25519Verify } from './wcrypto.js';
import { fingerprint } from './pair.js';

export const PHASES = Object.freeze(['preliminaire', 'investigation', 'conclusion', 'suivi']);
export const PARTICIPANTS_MAX = 16;
export const REASON_MAX = 200;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const ms = (v) => Number.isSafeInteger(v) && v >= 0;

/** A record object (§9.4) -> {json, bilan, session, phase, startMs, endMs,
 * faceToFaceMs, participants: [Uint8Array], journalSha256}, or null when the
 * C parser would refuse it. */
export function parseRecord(o) {
  if (!isObj(o) || o.v !== 1) return null;
  if (typeof o.bilan !== 'string' || !ID_RE.test(o.bilan)) return null;
  if (typeof o.session !== 'string' || !ID_RE.test(o.session)) return null;
  if (!PHASES.includes(o.phase)) return null;
  if (!ms(o.start_ms) || !ms(o.end_ms) || !ms(o.face_to_face_ms)) return null;
  if (o.end_ms < o.start_ms || o.face_to_face_ms > o.end_ms - o.start_ms) return null;
  if (!Array.isArray(o.participants) || o.participants.length < 1 || o.participants.length > PARTICIPANTS_MAX)
    return null;
  const participants = [];
  for (const p of o.participants) {
    const fp = unb64u(p, 32);
    if (!fp) return null;
    // Sorted ascending by their bytes, unique.
    if (participants.length && compare(participants[participants.length - 1], fp) >= 0) return null;
    participants.push(fp);
  }
  const journalSha256 = unb64u(o.journal_sha256, 32);
  if (!journalSha256) return null;
  return {
    json: o, bilan: o.bilan, session: o.session, phase: o.phase, startMs: o.start_ms, endMs: o.end_ms,
    faceToFaceMs: o.face_to_face_ms, participants, journalSha256,
  };
}

/** The canonical record text: ASCII lines, each ended by "\n". */
export function recordText(r) {
  let t = 'bilan-session-record-v1\n'
    + `bilan=${r.bilan}\nsession=${r.session}\nphase=${r.phase}\n`
    + `start_ms=${r.startMs}\nend_ms=${r.endMs}\nface_to_face_ms=${r.faceToFaceMs}\n`;
  for (const p of r.participants) t += `participant=${b64u(p)}\n`;
  return t + `journal_sha256=${b64u(r.journalSha256)}\n`;
}

function attestationText(signer, receivedAudioMs, sasVerified) {
  return `signer=${b64u(signer)}\nreceived_audio_ms=${receivedAudioMs}\nsas_verified=${sasVerified ? 1 : 0}\n`;
}

/** "bilan-receipt-v1" 0x00 || record text || attestation text. */
export function receiptMessage(r, signer, receivedAudioMs, sasVerified) {
  return concat(label0('bilan-receipt-v1'), utf8(recordText(r)), utf8(attestationText(signer, receivedAudioMs, sasVerified)));
}

/** 1..200 UTF-8 bytes, no control character (one line of the signed text). */
export function reasonOk(s) {
  if (typeof s !== 'string' || s.length === 0) return false;
  if (/[\u0000-\u001f\u007f]/.test(s) || s.isWellFormed && !s.isWellFormed()) return false;
  const n = utf8(s).length;
  return n >= 1 && n <= REASON_MAX;
}

/** "bilan-refusal-v1" 0x00 || record text || "signer=" fp "\n" "reason=" reason "\n". */
export function refusalMessage(r, signer, reason) {
  return concat(label0('bilan-refusal-v1'), utf8(recordText(r)), utf8(`signer=${b64u(signer)}\nreason=${reason}\n`));
}

const isParticipant = (r, fp) => r.participants.some((p) => compare(p, fp) === 0);

/** This device's signed receipt of a record (parsed), as the `receipt`
 * message and the receipt file carry it; null when the record does not name
 * this device or the figures are not valid. identity: {signPub, dhPub, fp, sign}. */
export async function signReceipt(identity, r, { receivedAudioMs = 0, sasVerified = false } = {}) {
  if (!r || !ms(receivedAudioMs) || !isParticipant(r, identity.fp)) return null;
  const msg = receiptMessage(r, identity.fp, receivedAudioMs, !!sasVerified);
  const sig = await identity.sign(msg);
  // The key behind signPub, or the signature is useless.
  if (!(await ed25519Verify(identity.signPub, msg, sig))) return null;
  return {
    signer: b64u(identity.fp), sign_pub: b64u(identity.signPub), dh_pub: b64u(identity.dhPub),
    received_audio_ms: receivedAudioMs, sas_verified: !!sasVerified, sig: b64u(sig),
  };
}

/** This device's signed refusal of a record; null as signReceipt, or for a bad reason. */
export async function signRefusal(identity, r, reason) {
  if (!r || !reasonOk(reason) || !isParticipant(r, identity.fp)) return null;
  const msg = refusalMessage(r, identity.fp, reason);
  const sig = await identity.sign(msg);
  if (!(await ed25519Verify(identity.signPub, msg, sig))) return null;
  return { signer: b64u(identity.fp), sign_pub: b64u(identity.signPub), dh_pub: b64u(identity.dhPub), reason, sig: b64u(sig) };
}

/** The common checks of a signed statement: null when it verifies, else why. */
async function statementCheck(r, s, msgOf) {
  const signer = unb64u(s.signer, 32), signPub = unb64u(s.sign_pub, 32), dhPub = unb64u(s.dh_pub, 32);
  const sig = unb64u(s.sig, 64);
  if (!signer || !signPub || !dhPub || !sig) return 'malformed';
  if (compare(await fingerprint(signPub, dhPub), signer) !== 0) return 'the signer is not the fingerprint of sign_pub and dh_pub';
  if (!isParticipant(r, signer)) return 'the signer is not a participant of the record';
  if (!(await ed25519Verify(signPub, msgOf(signer), sig))) return 'the signature does not verify';
  return null;
}

/** null when attestation a (JSON) verifies for record o (JSON), else why. */
export async function verifyReceipt(o, a) {
  const r = parseRecord(o);
  if (!r) return 'the record is not valid';
  if (!isObj(a) || !ms(a.received_audio_ms) || typeof a.sas_verified !== 'boolean') return 'the attestation is not valid';
  return statementCheck(r, a, (signer) => receiptMessage(r, signer, a.received_audio_ms, a.sas_verified));
}

/** null when refusal f (JSON) verifies for record o (JSON), else why. */
export async function verifyRefusal(o, f) {
  const r = parseRecord(o);
  if (!r) return 'the record is not valid';
  if (!isObj(f) || !reasonOk(f.reason)) return 'the reason is not valid';
  return statementCheck(r, f, (signer) => refusalMessage(r, signer, f.reason));
}
