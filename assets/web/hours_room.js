// hours_room.js: the hours in the room page. Wires sessions.js (the
// session's observation, the record signed or refused, PROTOCOL.md §9) to
// the connection, the store and the end-to-end layer, and shows the person
// in plain words (French first, English when the browser asks): the hours used and left (h:mm), the session open now,
// its phase and its timer, budget warnings, and what became of the record.
//
//   const hours = new HoursRoom({identity, conn: () => room.conn,
//                                e2e: () => room.e2e});
//   hours.mount(beforeEl);
//   await hours.joined(bilan, mySlot, members); hours.roster(members, lost);
//   await hours.onControl(msg) -> bool; hours.audio(ms); hours.tick();
//   hours.left(); hours.stats();
import { Sessions, fmtHMS } from './sessions.js';
import { get, put } from './store.js';
import { t } from './i18n.js';
import { PersonalWork } from './personal.js';

// What the person reads: i18n.js's hours_* and phase_* sentences.
const PHASES = new Set(['preliminaire', 'investigation', 'conclusion', 'suivi']);

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

/** The observations of sessions, kept in the store per bilan and session. */
export const obsStore = {
  getObs: (bilan, session) => get('observations', `${bilan}/${session}`),
  putObs: (bilan, session, json) => put('observations', `${bilan}/${session}`, json),
};

export class HoursRoom {
  constructor({ identity, conn, e2e }) {
    this.identity = identity;
    this.conn = conn;
    this.e2e = e2e;
    this.sessions = null;
    this.bilan = null;
    this.met = new Map();          // fp (b64u) -> code confirmed (kept for the whole visit)
    this.last = { hours: null, session: null, warning: null, receipts: [] };
    this.timer = null;             // {phase, elapsedMs, at}: the open session's clock
    this.ui = null;
    this.queue = Promise.resolve();
  }

  mount(before) {
    const sec = el('section', { id: 'heures', 'aria-labelledby': 'heures-titre' });
    sec.appendChild(el('h2', { id: 'heures-titre' }, t('hours_title')));
    const total = el('p', { id: 'heures-total' }, t('hours_none'));
    const session = el('p', { id: 'heures-seance' }, t('hours_noSession'));
    const warning = el('p', { id: 'heures-alerte', role: 'alert' });
    const receipt = el('p', { id: 'heures-releve', role: 'status', 'aria-live': 'polite' });
    warning.hidden = true;
    receipt.hidden = true;
    sec.append(total, session, warning, receipt);
    // The beneficiary declares personal work here (shown once we know our role).
    this.personal = new PersonalWork({ send: (msg) => {
      const c = this.conn();
      return !!c && c.phase === 'in_room' && !!this.bilan && c.sendJson({ ...msg, bilan: this.bilan });
    } });
    this.personal.form.hidden = true;
    sec.append(this.personal.form);
    before.parentNode.insertBefore(sec, before);
    this.ui = { total, session, warning, receipt };
  }

  show(key, text) {
    const e = this.ui && this.ui[key];
    if (!e) return;
    if (e.textContent !== text) e.textContent = text;
    e.hidden = !text;
  }

  /** Who we met in this visit and whether their code was confirmed (now or
   * on an earlier visit: e2e.js's `verified`). Kept after they leave, as a
   * record may come after. */
  updateMet() {
    const e2e = this.e2e();
    if (!e2e) return this.met;
    for (const p of e2e.peers()) {
      if (p.authenticated) this.met.set(p.fp, !!p.verified || !!this.met.get(p.fp));
    }
    return this.met;
  }

  /** We joined a room: a Sessions for its bilan (one per bilan, kept over reconnections). */
  async joined(bilan, mySlot, members) {
    if (!this.sessions || this.bilan !== bilan) {
      this.bilan = bilan;
      this.met = new Map();
      this.sessions = new Sessions({
        identity: this.identity, bilan, store: obsStore,
        send: (msg) => { const c = this.conn(); if (c) c.sendJson(msg); },
        met: () => this.updateMet(),
        events: {
          hours: (h) => this.onHours(h),
          session: (s) => this.onSession(s),
          budget: (w) => this.onBudget(w),
          receipt: (r) => this.onReceipt(r),
        },
      });
    }
    const c = this.conn();
    const rt = c && c.clockRoundTrip();
    if (rt) this.sessions.rtt(rt);
    const me = members.find((m) => m && m.slot === mySlot);
    if (this.personal) this.personal.form.hidden = !me || me.role !== 'beneficiary';
    await this.roster(members, false);
  }

  /** members: the room's roster (objects of joined / member_joined, us included). */
  async roster(members, lost) {
    if (!this.sessions) return;
    const list = members.filter((m) => typeof m.device === 'string').map((m) => ({ device: m.device, role: m.role }));
    await this.sessions.rosterChanged(list, true, !!lost);
  }

  /** Left the room (for now): we are not in the session's room any more. */
  async left() {
    this.timer = null;
    if (this.sessions) await this.sessions.rosterChanged([], false, false);
    this.showTimer();
  }

  /** The server's §9 messages, one after the other (an observation is
   * saved before the next message is looked at). */
  onControl(msg) {
    if (msg.type === 'personal_declared') {
      if (this.personal) this.personal.onReply(msg);
      return Promise.resolve(true);
    }
    if (!this.sessions) return Promise.resolve(false);
    if (msg.bilan !== undefined && msg.bilan !== this.bilan) return Promise.resolve(false);
    const s = this.sessions;
    const done = this.queue.then(() => s.onMessage(msg));
    this.queue = done.catch(() => {});
    return done;
  }

  /** An error answering one of our requests (the personal work's). */
  onError(code, ref) { return !!this.personal && this.personal.onError(code, ref); }

  /** ms of others' audio decoded (the receipt's received_audio_ms). */
  audio(ms) { if (this.sessions) this.sessions.audio(ms); }

  tick() {
    if (!this.sessions) return;
    const c = this.conn();
    const rt = c && c.clockRoundTrip();
    if (rt) this.sessions.rtt(rt);
    this.updateMet();
    this.showTimer();
    this.sessions.tick().catch(() => {});
  }

  // ---- what the person reads

  onHours(h) {
    this.last.hours = h;
    this.show('total', t('hours_total', { used: h.used, budget: h.budget, left: h.left }));
    if (h.session) {
      this.timer = { phase: h.phase, elapsedMs: h.elapsedMs, at: performance.now() };
    } else {
      this.timer = null;
    }
    this.showTimer();
  }

  onSession(s) {
    this.last.session = s;
    if (s.open) {
      this.timer = { phase: s.phase, elapsedMs: 0, at: performance.now() };
      this.show('receipt', '');
    } else {
      this.timer = null;
      this.show('session', t('hours_closed', { hms: fmtHMS(s.faceToFaceMs) }));
      return;
    }
    this.showTimer();
  }

  showTimer() {
    if (!this.ui) return;
    if (!this.timer) {
      if (!this.last.session || this.last.session.open) this.show('session', t('hours_noSession'));
      return;
    }
    const tm = this.timer;
    const phase = t(PHASES.has(tm.phase) ? `phase_${tm.phase}` : 'phase_unknown');
    this.show('session', t('hours_session', { phase, hms: fmtHMS(tm.elapsedMs + performance.now() - tm.at) }));
  }

  onBudget(w) {
    this.last.warning = w;
    this.show('warning', t(w.level >= 100 ? 'hours_warn100' : 'hours_warn80', { used: w.used, budget: w.budget }));
  }

  onReceipt(r) {
    this.last.receipts.push({ session: r.session, signed: r.signed, reason: r.reason });
    // r.reason is the signed reason, in French as the native client's;
    // r.shown says it in the page's language.
    this.show('receipt', r.signed ? t('hours_signed') : t('hours_refused', { reason: r.shown || r.reason }));
  }

  /** What tests read: what was shown, no key, no signature. */
  stats() {
    const s = this.sessions;
    // The open session's observation, else the last one seen in this visit.
    const o = s ? (s.open ? s.obs.get(s.open) : [...s.obs.values()].pop()) : null;
    return {
      bilan: this.bilan, open: s ? s.open : '', hours: this.last.hours, session: this.last.session,
      warning: this.last.warning, receipts: this.last.receipts.slice(),
      audioMs: o ? o.audio_ms : null, met: [...this.met.values()],
      text: this.ui ? { total: this.ui.total.textContent, session: this.ui.session.textContent,
        warning: this.ui.warning.textContent, receipt: this.ui.receipt.textContent } : null,
    };
  }
}
