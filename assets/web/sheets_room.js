// sheets_room.js: the worksheets in the room page. The glue between the
// connection (conn.js), the end-to-end layer (e2e.js) and one bilan's
// worksheets (sheets.js), and the worksheet panel of the page.
//
//   const sr = new SheetsRoom();
//   sr.welcome(msg, conn, identity)    // each welcome: Sheets made once, then a sync
//   sr.onControl(msg)                  // control messages conn.js does not handle
//   sr.onError(code, ref) -> bool      // true: the error answered one of our requests
//   sr.onState(state)                  // the connection's state
//   sr.peer(slot, state, e2e)          // e2e.js's onPeer
//
// Owns: the requests' refs ("sh" + n) and their pending replies, when a
// sync runs, the panel (list of sheets, one form, the synthèse download,
// the consent: sheets_consent.js).
// Must never: give the key to a device before e2e.js says the pair is
// authenticated (peerAuthenticated is called only for invite / known /
// verified), say a value or a key in a log, or build DOM from HTML strings.

import { Sheets } from './sheets.js';
import { renderSheet, downloadLink } from './sheets_form.js';
import { ConsentPanel } from './sheets_consent.js';
import { trustStore } from './store.js';
import { t } from './i18n.js';

const REPLY_MS = 15000;
const AUTHENTICATED = new Set(['invite', 'known', 'verified']);
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}

function coded(code) {
  const e = new Error(t('sheets_requestFailed', { code }));
  e.code = code;
  return e;
}

export class SheetsRoom {
  constructor({ container = null } = {}) {
    this.conn = null;
    this.sheets = null;
    this.bilan = null;
    this.label = '';
    this.refN = 0;
    this.pending = new Map();      // ref -> {resolve, reject, timer}
    this.inRoom = false;
    this.syncing = null;           // the sync running now (one at a time)
    this.again = false;            // a sync was asked while one ran
    this.openId = null;            // the sheet shown as a form
    this.url = null;               // the synthèse's Blob URL shown now
    this.counts = { syncs: 0, failed: 0, stray: 0 };
    this.container = container;
    this.panel = null;
  }

  // ---- requests over the room's WebSocket (PROTOCOL §10: replies carry our ref)

  request(msg) {
    return new Promise((resolve, reject) => {
      const ref = 'sh' + (++this.refN);
      if (!this.conn || !this.conn.sendJson({ ...msg, ref })) { reject(coded('offline')); return; }
      const timer = setTimeout(() => { this.pending.delete(ref); reject(coded('timeout')); }, REPLY_MS);
      this.pending.set(ref, { resolve, reject, timer });
    });
  }

  settle(ref, fn) {
    const p = this.pending.get(ref);
    if (!p) return false;
    this.pending.delete(ref);
    clearTimeout(p.timer);
    fn(p);
    return true;
  }

  /** A reply to one of our requests, or a live worksheet message. */
  onControl(msg) {
    if (!msg || typeof msg.type !== 'string') return;
    if (typeof msg.ref === 'string' && msg.ref.startsWith('sh')) {
      if (!this.settle(msg.ref, (p) => p.resolve(msg))) this.counts.stray++;
      return;
    }
    if (msg.ref === undefined && this.sheets &&
        (msg.type === 'sheet_ops' || msg.type === 'sheet_keys' || msg.type === 'bilan_closed')) {
      this.sheets.onLive(msg).then(() => this.afterSync(), () => { this.counts.failed++; });
    }
  }

  onError(code, ref) {
    return typeof ref === 'string' && ref.startsWith('sh') && this.settle(ref, (p) => p.reject(coded(code)));
  }

  /** The link went down: every request waiting fails now (the edits stay
   * pending on this device and go at the next welcome). */
  onState(state) {
    const was = this.inRoom;
    this.inRoom = state === 'in_room';
    if (state !== 'in_room' && state !== 'joining') {
      for (const ref of [...this.pending.keys()]) this.settle(ref, (p) => p.reject(coded('offline')));
    }
    if (was !== this.inRoom) this.showStatus();
  }

  // ---- the bilan's worksheets

  async welcome(msg, conn, identity) {
    this.conn = conn;
    const bilan = conn.bilan;
    if (!bilan || !ID.test(bilan)) return;
    const mine = (msg.bilans || []).find((b) => b && b.bilan === bilan);
    if (mine && typeof mine.label === 'string') this.label = mine.label.slice(0, 200);
    if (!this.opening) {
      // Once per page: a welcome that comes again while IndexedDB opens waits for it.
      this.bilan = bilan;
      this.opening = (async () => {
        const s = new Sheets({ request: (m) => this.request(m), identity, bilan, role: msg.role,
          trust: trustStore(bilan), log: (l) => console.info(l) });
        await s.open();
        this.sheets = s;
        s.onChange(() => this.changed());
        this.mount();
      })();
    }
    await this.opening;
    if (this.sheets.bilan !== bilan) return;
    if (mine) await this.sheets.bilanInfo(mine);
    this.sync();
  }

  /** One sync at a time; one more after it when asked meanwhile. */
  sync() {
    if (!this.sheets) return Promise.resolve();
    if (this.syncing) { this.again = true; return this.syncing; }
    this.syncing = (async () => {
      do {
        this.again = false;
        try { await this.sheets.sync(); this.counts.syncs++; } catch (e) { this.counts.failed++; }
      } while (this.again && this.connected());
      this.syncing = null;
      this.afterSync();
    })();
    return this.syncing;
  }

  connected() { return !!this.conn && (this.conn.phase === 'in_room' || this.conn.phase === 'welcomed'); }

  afterSync() { this.showStatus(); }

  /** e2e.js's onPeer: a pair authenticated (the invite, a known device, or
   * the code) is given the key and its room role; nothing else is. */
  peer(slot, state, e2e) {
    if (!this.sheets || !e2e || !AUTHENTICATED.has(state)) return;
    const p = e2e.peers().find((x) => x.slot === slot);
    const dhPub = e2e.peerDhPub ? e2e.peerDhPub(slot) : null;
    if (!p || !p.authenticated || !dhPub) return;
    this.sheets.peerAuthenticated({ fp: p.fp, dhPub, role: p.role }).then(() => {
      // Without the key yet: its wrap may have come before this pair was
      // authenticated here (and been refused): ask again.
      if (this.sheets.phase === 'nokey' || this.sheets.phase === 'failed') this.sync();
    }, () => { this.counts.failed++; });
  }

  /** The replica changed: local edits are sent at once when connected
   * (offline they stay pending), and the panel is redrawn. */
  changed() {
    this.sheets.pendingCount().then((n) => {
      if (n && this.connected() && (this.sheets.phase === 'live' || this.sheets.phase === 'failed')) this.sync();
      this.showStatus(n);
    }, () => {});
    this.showList();
    this.redrawForm();
  }

  // ---- the panel

  mount() {
    if (this.panel || typeof document === 'undefined') return;
    const host = this.container || document.getElementById('principal') || document.body;
    this.status = el('p', { id: 'fiches-etat', role: 'status', 'aria-live': 'polite' });
    this.list = el('ul', { id: 'fiches-liste', 'aria-labelledby': 'fiches-titre' });
    this.form = el('div', { id: 'fiche' });
    // The beneficiary's consent to keep sheets for the follow-up (§10.3).
    this.consent = new ConsentPanel({ send: (ids) => this.sheets.consent(ids), el });
    this.panel = el('section', { id: 'fiches', 'aria-labelledby': 'fiches-titre' },
      el('h2', { id: 'fiches-titre', text: t('sheets_title') }), this.status, this.list, this.form,
      this.consent.section);
    const leave = document.getElementById('quitter');
    const before = leave && leave.parentElement && leave.parentElement.parentElement === host ? leave.parentElement : null;
    host.insertBefore(this.panel, before);
    this.form.addEventListener('focusout', () => setTimeout(() => { if (this.stale) this.redrawForm(); }, 0));
    this.showList();
    this.showStatus();
  }

  async showStatus(n) {
    if (!this.status || !this.sheets) return;
    if (n === undefined) n = await this.sheets.pendingCount().catch(() => 0);
    const ph = this.sheets.phase;
    let text;
    if (ph === 'closed') text = t('sheets_closed');
    else if (ph === 'nokey') text = t('sheets_noKey');
    else if (n) {
      // One and many are two sentences (both languages say them differently).
      const on = this.connected();
      text = n === 1 ? t(on ? 'sheets_pendingOneSending' : 'sheets_pendingOneOffline')
        : t(on ? 'sheets_pendingManySending' : 'sheets_pendingManyOffline', { n });
    } else text = ph === 'live' ? t('sheets_upToDate') : t('sheets_savedHere');
    if (this.status.textContent !== text) this.status.textContent = text;
    this.consent.show(this.sheets.list(), ph, this.sheets.role);   // the phase may have changed
  }

  showList() {
    if (!this.list) return;
    const items = this.sheets.list();
    this.consent.show(items, this.sheets.phase, this.sheets.role);
    this.list.replaceChildren();
    if (!items.length) this.list.append(el('li', { text: t('sheets_none') }));
    for (const it of items) {
      const b = el('button', { type: 'button', 'data-sheet': it.id, text: t('sheets_open', { title: it.title || it.template }) });
      if (it.id === this.openId) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => this.openSheet(it.id));
      this.list.append(el('li', {}, b));
    }
  }

  openSheet(sheetId) {
    this.openId = sheetId;
    this.stale = true;
    this.redrawForm(true);
    this.showList();
    const h = this.form.querySelector('h2');
    if (h) { h.setAttribute('tabindex', '-1'); h.focus(); }
  }

  /** Redraws the open sheet, not while the person is typing in it (the
   * form is redrawn when the focus leaves it). */
  redrawForm(force = false) {
    if (!this.form || !this.openId) return;
    this.stale = true;
    const a = document.activeElement;
    const typing = a && this.form.contains(a) && (a.tagName === 'TEXTAREA' ||
      (a.tagName === 'INPUT' && a.type !== 'radio' && a.type !== 'checkbox'));
    if (!force && typing) return;
    this.stale = false;
    // The keyboard's place (which field) survives the redraw.
    const at = a && this.form.contains(a) ? [...this.form.querySelectorAll('.champ')].findIndex((c) => c.contains(a)) : -1;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    if (!this.sheets.list().some((s) => s.id === this.openId)) { this.form.replaceChildren(); this.openId = null; return; }
    const errors = el('p', { role: 'alert', class: 'erreur' });
    renderSheet(this.form, this.sheets, this.openId, { onError: (text) => { errors.textContent = text; } });
    // The synthèse names the bilan as the native export does (its label).
    const old = this.form.querySelector('a[download]');
    if (old) {
      URL.revokeObjectURL(old.href);
      const link = downloadLink(this.sheets, this.openId, { bilanLabel: this.label });
      link.id = 'fiche-telecharger';
      this.url = link.href;
      old.replaceWith(link);
    }
    this.form.prepend(errors);
    const row = at >= 0 ? this.form.querySelectorAll('.champ')[at] : null;
    const again = row && row.querySelector('textarea:not([disabled]), input:not([disabled]), button');
    if (again) again.focus();
  }

  /** What tests may read: counts and states, never a value or a key. */
  info() {
    return { phase: this.sheets ? this.sheets.phase : null, pending: this.pending.size, ...this.counts,
      sheets: this.sheets ? { ...this.sheets.counts } : null,
      self: this.sheets ? this.sheets.self : null, hasKey: !!(this.sheets && this.sheets.st && this.sheets.st.key) };
  }
}
