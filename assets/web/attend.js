// attend.js: attendance receipts in the browser (PROTOCOL.md §9.3, §9.4):
// what this device itself observed of each session, the check of the
// server's session record against it, and the signed receipt or signed
// refusal. The same rules, texts and French reasons as the native client
// (client/attend.c; the reasons' words are i18n.js's rec_*); the bytes signed are receipts.js's (proto/record.c's).
// A record is signed only if it agrees with what this device saw.
//
// Times: `now` is this device's clock in Unix ms; durations are differences
// of it, never compared with the server's clock. Server times (start_ms,
// end_ms) are compared only with server times it sent before.
import { b64u, unb64u, utf8 } from './bytes.js';
import * as receipts from './receipts.js';
import { fr } from './i18n.js';

export const TOL_MS = 5000;          // base tolerance of every comparison
export const RTT_CAP_MS = 5000;      // a measured round trip counts for at most this
export const LOST_MS = 15000;        // a lost member is dated up to this before we learn it
export const SEEN_MAX = 16;          // devices remembered per session
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

function isMs(v) { return Number.isSafeInteger(v) && v >= 0; }

/** A session record (§9.4) read strictly (receipts.js, as the C parser),
 * in the record's own field names with the participants as base64url
 * strings, for the checks below; null when it would not parse. */
export function parseRecord(o) {
  const parsed = receipts.parseRecord(o);
  if (!parsed) return null;
  return { v: 1, bilan: parsed.bilan, session: parsed.session, phase: parsed.phase, start_ms: parsed.startMs,
    end_ms: parsed.endMs, face_to_face_ms: parsed.faceToFaceMs, participants: parsed.participants.map(b64u),
    journal_sha256: b64u(parsed.journalSha256), parsed };
}

/** A reason cut to fit receipts.REASON_MAX bytes without splitting a
 * character, controls made spaces (it is one line of signed text). */
function fitReason(s) {
  let out = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  while (utf8(out).length > receipts.REASON_MAX) out = Array.from(out).slice(0, -1).join('');
  return out;
}

/** The `receipt` control message for r (from parseRecord), signed by
 * identity {fp, signPub, dhPub, sign} (§9.3). A device signs only a record
 * that names it: anything else throws. */
export async function signReceipt(identity, r, receivedAudioMs, sasVerified) {
  const a = await receipts.signReceipt(identity, r.parsed, { receivedAudioMs, sasVerified: !!sasVerified });
  if (!a) throw new Error('refusing to sign this record');
  return { type: 'receipt', session: r.session, received_audio_ms: a.received_audio_ms,
    sas_verified: a.sas_verified, sig: a.sig };
}

/** The `receipt_refusal` control message for r, with reason, signed. */
export async function signRefusal(identity, r, reason) {
  const f = await receipts.signRefusal(identity, r.parsed, fitReason(reason));
  if (!f) throw new Error('refusing to sign this refusal');
  return { type: 'receipt_refusal', session: r.session, reason: f.reason, sig: f.sig };
}

function hms(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function shortFp(b64) {
  const b = unb64u(b64, 32);
  return b ? Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join('') : '?';
}

/** What this device observed of one session (client/attend.c's attend_obs). */
export class Observation {
  /** First sight: in session_opened (haveStart, startMs) or in an
   * hours_update of a session already open (elapsedMs). */
  constructor(session, haveStart, startMs, elapsedMs, now) {
    this.session = session;
    this.have_start = !!haveStart;
    this.start_ms = haveStart ? startMs : 0;
    this.elapsed0_ms = haveStart ? 0 : Math.max(0, elapsedMs);
    this.first_ms = this.last_ms = now;
    this.closed = false;
    this.end_ms = 0;
    this.closed_ftf_ms = 0;
    this.present_ms = 0;
    this.ftf_ms = 0;
    this.transitions = 0;
    this.lost_seen = 0;
    this.rtt_ms = 0;
    this.audio_ms = 0;
    this.seen = [];            // base64url fingerprints, us included
    this.seen_overflow = false;
    this.here = false;         // in-room state, not kept across visits
    this.both = false;
  }

  accrue(now) {
    if (this.closed || now <= this.last_ms) {
      if (!this.closed) this.last_ms = Math.max(this.last_ms, now);
      return;
    }
    const d = now - this.last_ms;
    if (this.here) this.present_ms += d;
    if (this.here && this.both) this.ftf_ms += d;
    this.last_ms = now;
  }

  /** The roster changed (or was first given): [{device (b64), consultant}]
   * present, us included when here. change: false for the first roster. */
  roster(members, here, change, now) {
    this.accrue(now);
    if (this.closed) return;
    if (change) this.transitions++;
    let c = false, b = false;
    for (const m of members) {
      c ||= !!m.consultant;
      b ||= !m.consultant;
      if (!here || this.seen.includes(m.device)) continue;
      if (this.seen.length < SEEN_MAX) this.seen.push(m.device);
      else this.seen_overflow = true;
    }
    this.here = !!here;
    this.both = !!here && c && b;
  }

  lost() { if (!this.closed) this.lost_seen++; }

  tick(now) { this.accrue(now); }

  close(endMs, ftfMs, now) {
    this.accrue(now);
    if (this.closed) return;
    this.closed = true;
    this.end_ms = endMs;
    this.closed_ftf_ms = ftfMs;
    this.here = this.both = false;
  }

  rtt(ms) { this.rtt_ms = Math.max(this.rtt_ms, Math.min(ms, RTT_CAP_MS)); }

  tolerance() { return TOL_MS + (this.transitions + 2) * this.rtt_ms; }

  /** null when this device may sign r, else why not: {key, params} of
   * i18n.js's rec_* sentences (reason() gives the French to sign, t() the
   * words for the screen). */
  checkWhy(r, bilan, selfB64, now) {
    const tol = this.tolerance();
    const dur = r.end_ms - r.start_ms, f = r.face_to_face_ms;
    const no = (key, params = {}) => ({ key, params });
    if (r.bilan !== bilan) return no('rec_otherBilan');
    if (r.session !== this.session) return no('rec_otherSession');
    if (!r.participants.includes(selfB64)) return no('rec_notParticipant');
    if (this.have_start && r.start_ms !== this.start_ms) return no('rec_otherStart');
    if (this.closed && (r.end_ms !== this.end_ms || f !== this.closed_ftf_ms)) return no('rec_otherEnd');
    const span = this.last_ms - this.first_ms + this.elapsed0_ms;
    if (this.closed && Math.abs(dur - span) > tol) return no('rec_durClosed', { dur: hms(dur), span: hms(span) });
    if (!this.closed && dur + tol < span) return no('rec_durOpen', { dur: hms(dur), span: hms(span) });
    const since = now - this.first_ms + this.elapsed0_ms;
    if (!this.closed && dur > since + tol) return no('rec_durEarly', { dur: hms(dur), since: hms(since) });
    const away = Math.max(0, dur - this.present_ms);
    if (f > this.ftf_ms + away + tol) return no('rec_ftfMore', { ftf: hms(f), seen: hms(this.ftf_ms), away: hms(away) });
    if (away <= tol && f + tol + this.lost_seen * LOST_MS < this.ftf_ms)
      return no('rec_ftfLess', { ftf: hms(f), seen: hms(this.ftf_ms) });
    for (const d of this.seen)
      if (!r.participants.includes(d)) return no('rec_forgot', { fp: shortFp(d) });
    if (away <= tol && !this.seen_overflow)
      for (const d of r.participants)
        if (!this.seen.includes(d)) return no('rec_invented', { fp: shortFp(d) });
    return null;
  }

  /** null when this device may sign r, else the reason in plain French, as
   * the native client words it (it goes into the signed refusal). */
  check(r, bilan, selfB64, now) {
    const why = this.checkWhy(r, bilan, selfB64, now);
    return why ? fr(why.key, why.params) : null;
  }

  /** For the store (a record may come on a later visit): the in-room state is not kept. */
  toJSON() {
    const o = {};
    for (const k of ['session', 'have_start', 'start_ms', 'elapsed0_ms', 'first_ms', 'last_ms', 'closed', 'end_ms',
      'closed_ftf_ms', 'present_ms', 'ftf_ms', 'transitions', 'lost_seen', 'rtt_ms', 'audio_ms', 'seen_overflow'])
      o[k] = this[k];
    o.seen = this.seen.slice();
    return o;
  }

  /** Strict: null when anything is off. */
  static fromJSON(j) {
    if (!j || typeof j !== 'object' || typeof j.session !== 'string' || !ID_RE.test(j.session) ||
        !Array.isArray(j.seen) || j.seen.length > SEEN_MAX) return null;
    const ints = ['start_ms', 'elapsed0_ms', 'first_ms', 'last_ms', 'end_ms', 'closed_ftf_ms', 'present_ms', 'ftf_ms',
      'transitions', 'lost_seen', 'rtt_ms', 'audio_ms'];
    if (ints.some((k) => !isMs(j[k])) || j.last_ms < j.first_ms) return null;
    if (['have_start', 'closed', 'seen_overflow'].some((k) => typeof j[k] !== 'boolean')) return null;
    if (j.seen.some((d) => !unb64u(d, 32))) return null;
    const o = new Observation(j.session, false, 0, 0, 0);
    for (const k of ints) o[k] = j[k];
    o.have_start = j.have_start;
    o.closed = j.closed;
    o.seen_overflow = j.seen_overflow;
    o.seen = j.seen.slice();
    return o;
  }
}
