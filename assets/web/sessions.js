// sessions.js: sessions, hours and attendance receipts in the browser room
// (PROTOCOL.md §9), as the native client's dialog_hours.c does them: the
// hours shown to the person, this device's own observation of every session
// it takes part in (kept in the browser's storage so a record that comes on
// a later visit can be checked), and the signed receipt or signed refusal
// when the server's record arrives.
//
// No socket here: the app hands in the server's messages (onMessage) and
// the roster's changes, and sends what this module returns through send().
import { b64u, unb64u } from './bytes.js';
import { Observation, parseRecord, signReceipt, signRefusal } from './attend.js';
import { fr, t } from './i18n.js';

const SAVE_EVERY_MS = 30000;   // the open session's observation is kept this often (a crash loses little)

/** Durations for people: h:mm, rounded to the nearest minute (as the server's table). */
export function fmtHM(ms) {
  const m = Math.round(Math.max(0, ms) / 60000);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

/** h:mm:ss, truncated to the second (a session's timer). */
export function fmtHMS(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function int(v) { return Number.isSafeInteger(v) ? v : 0; }

export class Sessions {
  /**
   * identity: {fp, sign(msg)}; bilan: id; store: {getObs(bilan, session) ->
   * Promise<json|undefined>, putObs(bilan, session, json) -> Promise};
   * send(msg): a control message to the server; met(): a Map of the
   * devices met in the room (base64url fingerprint -> whether their code
   * was confirmed, now or on an earlier visit);
   * events: {hours({used, budget, left, session, phase, elapsedMs, faceToFaceMs}),
   * session({open, phase, faceToFaceMs}), budget({level, used, budget}),
   * receipt({session, signed, reason (French, as signed), shown (the page's
   * language)})}; now(): this device's clock (ms).
   */
  constructor({ identity, bilan, store, send, met, events, now }) {
    this.identity = identity;
    this.bilan = bilan;
    this.store = store;
    this.send = send;
    this.met = met || (() => new Map());
    this.events = events || {};
    this.now = now || (() => Date.now());
    this.me = b64u(identity.fp);
    this.obs = new Map();     // session id -> Observation
    this.open = '';           // the session open in the room, as this device knows it
    this.roster = [];         // [{device, consultant}] present, us included
    this.here = false;
    this.rttMs = 0;
    this.savedAt = 0;
  }

  /** A round trip measured on this connection (hello->challenge, join->joined). */
  rtt(ms) { this.rttMs = Math.max(this.rttMs, ms); }

  async save(o) {
    o.tick(this.now());
    o.rtt(this.rttMs);
    this.savedAt = this.now();
    try { await this.store.putObs(this.bilan, o.session, o.toJSON()); } catch { /* kept in memory */ }
  }

  /** First sight of a session (opened in front of us, or already open when we joined). */
  async seen(id, haveStart, startMs, elapsedMs) {
    let o = this.obs.get(id);
    if (o) return o;
    o = new Observation(id, haveStart, startMs, elapsedMs, this.now());
    o.roster(this.roster, this.here, false, this.now());
    this.obs.set(id, o);
    await this.save(o);
    return o;
  }

  /** The room's roster changed: members [{device (b64), role}] present, us
   * included when here. lost: a member was declared lost. */
  async rosterChanged(members, here, lost) {
    this.roster = members.map((m) => ({ device: m.device, consultant: m.role === 'consultant' }));
    this.here = !!here;
    const o = this.open && this.obs.get(this.open);
    if (!o) return;
    o.roster(this.here ? this.roster : [], this.here, true, this.now());
    if (lost) o.lost();
    await this.save(o);
  }

  /** Others' audio decoded while a session is open (the attestation's received_audio_ms). */
  audio(ms) {
    const o = this.open && this.obs.get(this.open);
    if (o && !o.closed && ms > 0 && this.here) o.audio_ms += ms;
  }

  async tick() {
    const o = this.open && this.obs.get(this.open);
    if (o && this.now() - this.savedAt >= SAVE_EVERY_MS) await this.save(o);
  }

  /** The server's §9 messages; anything else is ignored (returns false). */
  async onMessage(m) {
    switch (m.type) {
      case 'session_opened': {
        if (typeof m.session !== 'string') return true;
        this.open = m.session;
        await this.seen(m.session, true, int(m.start_ms), 0);
        this.events.session?.({ open: true, phase: String(m.phase || ''), faceToFaceMs: 0 });
        return true;
      }
      case 'session_closed': {
        const o = this.obs.get(m.session);
        if (o) {
          o.close(int(m.end_ms), int(m.face_to_face_ms), this.now());
          await this.save(o);
        }
        if (this.open === m.session) this.open = '';
        this.events.session?.({ open: false, faceToFaceMs: int(m.face_to_face_ms) });
        return true;
      }
      case 'hours_update': {
        const sid = typeof m.session === 'string' ? m.session : '';
        if (sid) {
          await this.seen(sid, false, 0, int(m.session_elapsed_ms));
          if (!this.open) this.open = sid;
        }
        this.events.hours?.({ used: fmtHM(int(m.face_to_face_ms)), budget: fmtHM(int(m.budget_s) * 1000),
          left: fmtHM(int(m.remaining_ms)), session: sid, phase: String(m.phase || ''),
          elapsedMs: int(m.session_elapsed_ms), faceToFaceMs: int(m.session_face_to_face_ms) });
        return true;
      }
      case 'budget_warning':
        this.events.budget?.({ level: int(m.level), used: fmtHM(int(m.face_to_face_ms)),
          budget: fmtHM(int(m.budget_s) * 1000) });
        return true;
      case 'session_record':
        await this.record(m.record);
        return true;
      case 'receipt_ok':
      case 'receipt_refused':
        return true;
      default:
        return false;
    }
  }

  /** The server's record of a closed session: signed if it agrees with what
   * this device saw, else refused with the reason (signed too). */
  async record(json) {
    const r = parseRecord(json);
    // The reason is signed in French (the native client's words); the
    // person reads it in the page's language (shown).
    const refused = (session, key, params = {}) => ({ session, signed: false, reason: fr(key, params),
      shown: t(key, params) });
    if (!r) {
      this.events.receipt?.(refused('', 'rec_unreadable'));
      return;
    }
    if (r.bilan !== this.bilan || !r.participants.includes(this.me)) {
      // Nothing of ours to sign or refuse: a record of another bilan, or not naming us.
      this.events.receipt?.(refused(r.session, 'rec_notOurs'));
      return;
    }
    let o = this.obs.get(r.session);
    if (!o) {
      const kept = await this.store.getObs(this.bilan, r.session).catch(() => undefined);
      o = kept ? Observation.fromJSON(kept) : null;
    }
    let why = o ? null : { key: 'rec_noTrace', params: {} };
    if (o) {
      o.tick(this.now());
      o.rtt(this.rttMs);
      why = o.checkWhy(r, this.bilan, this.me, this.now());
    }
    if (why) {
      const said = refused(r.session, why.key, why.params);
      this.send(await signRefusal(this.identity, r, said.reason));
      this.events.receipt?.(said);
      return;
    }
    // sas_verified (as hours_sas_verified): at least one other participant
    // met in the room, and the code of every one met was confirmed.
    const met = this.met();
    const others = r.participants.filter((p) => p !== this.me && met.has(p));
    const sas = others.length > 0 && others.every((p) => met.get(p));
    this.send(await signReceipt(this.identity, r, o.audio_ms, sas));
    this.events.receipt?.({ session: r.session, signed: true, reason: null });
  }
}

/** For tests and the app: a fingerprint string is one (32 bytes of base64url). */
export function isFp(s) { return unb64u(s, 32) !== null; }
