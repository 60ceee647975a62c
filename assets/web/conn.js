// conn.js: the room's WebSocket (PROTOCOL §1, §2.2, §3): wss://<this host>/ws
// with subprotocol bilan.v1; hello -> challenge -> enrol (the invite token,
// first visit) or auth (the stored device) -> welcome -> join; the room's
// control messages handed to the page; liveness (a page cannot send
// WebSocket pings, so it sends `clock` after 1 s of silence and counts 4 s
// of silence as a lost connection); reconnection with backoff; the server
// clock offset (§4.3). It knows no secret but the device's signing key,
// used through identity.js; it never logs message contents.

import { b64u, unb64u } from './bytes.js';
import { authSignature, enrolSignature } from './identity.js';

export const HEARD_PING_MS = 1000;      // silence after which we ask (`clock`)
export const LOST_MS = 4000;            // silence after which the link is dead (§1)
export const HANDSHAKE_MS = 12000;      // the server's own deadline is 10 s (§2.2)
export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
export const GIVE_UP_MS = 120000;       // as `bilan join --reconnect-for` (§1)
const TICK_MS = 250;
const CLOCK_SAMPLES = 8;
const CLOCK_BURST = 5, CLOCK_BURST_MS = 200, CLOCK_EVERY_MS = 5000;

// Fatal errors after which a new connection may work (§1 "Reconnection").
const RETRY_FATAL = new Set(['shutting_down', 'too_slow', 'too_many_connections', 'auth_timeout']);
// Refusals during the handshake or the join: retrying cannot help.
const REFUSALS = new Set(['bad_signature', 'unknown_token', 'token_used', 'token_expired', 'token_revoked',
  'unknown_device', 'forbidden', 'not_member', 'unknown_bilan', 'room_full', 'bilan_closed',
  'version_mismatch', 'rate_limited']);

const isSlot = (v) => Number.isInteger(v) && v >= 0 && v <= 3;
const isKey = (s) => typeof s === 'string' && s.length === 43 && unb64u(s, 32) !== null;
const isId = (s) => typeof s === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(s);
const isRole = (s) => s === 'consultant' || s === 'beneficiary';
const isObj = (o) => o !== null && typeof o === 'object' && !Array.isArray(o);

function validMember(m) {
  return isObj(m) && isSlot(m.slot) && isKey(m.device) && isRole(m.role) &&
    (m.name === undefined || typeof m.name === 'string');
}

/**
 * new RoomConnection({url, identity, token, tokenBytes, bilan, enrol, events})
 *   url: wss://host/ws; identity: identity.js's; token/tokenBytes: the
 *   invite's (b64u and raw); bilan: the bilan to join when known; enrol:
 *   true to redeem the token (first visit), false to `auth`.
 *   events: {onState(state, info), onWelcome(msg), onJoined(msg),
 *   onMemberJoined(msg), onMemberLeft(msg), onE2e(msg), onBinary(bytes),
 *   onControl(msg), onError(code, fatal)}; any may be absent.
 * States: connecting, signing_in, joining, in_room, reconnecting, and the
 * final ones: left, replaced, refused (info.code), gave_up.
 */
export class RoomConnection {
  constructor({ url, identity, token, tokenBytes, bilan = null, enrol = true, events = {}, deviceName = 'Navigateur' }) {
    this.url = url;
    this.identity = identity;
    this.token = token;
    this.tokenBytes = tokenBytes;
    this.bilan = bilan;
    this.mode = enrol && tokenBytes ? 'enrol' : 'auth';
    this.triedEnrol = this.mode === 'enrol';
    this.events = events;
    this.deviceName = deviceName;
    this.state = 'idle';
    this.ws = null;
    this.final = false;
    this.attempt = 0;
    this.lostSince = null;
    this.retryTimer = null;
    this.refused = 0;          // malformed or unexpected messages dropped
    this.connections = 0;      // WebSockets opened (tests read it)
    this.welcomes = [];        // how each welcome was earned: 'enrol' | 'auth'
    this.clockSamples = [];
    this.clockPending = new Map();
    this.clockN = 0;
    this.tickTimer = null;
  }

  start() {
    if (!this.tickTimer) this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.connect();
  }

  emit(name, ...args) {
    const f = this.events[name];
    if (!f) return;
    try {
      const r = f(...args);
      if (r && typeof r.catch === 'function') r.catch((e) => this.handlerFailed(name, e));
    } catch (e) {
      this.handlerFailed(name, e);
    }
  }

  handlerFailed(name, e) {
    this.refused++;
    console.warn(`bilan: ${name} a échoué: ${e && e.name}`);
  }

  setState(state, info = {}) {
    this.state = state;
    this.emit('onState', state, info);
  }

  connect() {
    this.retryTimer = null;
    if (this.final) return;
    this.setState(this.attempt ? 'reconnecting' : 'connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url, 'bilan.v1');
    } catch {
      this.lost();
      return;
    }
    this.connections++;
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.phase = 'opening';
    this.openedAt = performance.now();
    this.heardAt = this.openedAt;
    this.lastClockAt = 0;
    this.clockPending.clear();
    this.clockSamples = [];     // the server clock is measured again (§1)
    this.clockBurst = 0;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      if (ws.protocol !== 'bilan.v1') { this.lost(); return; }
      this.phase = 'hello';
      this.setState('signing_in');
      this.sendJson({ type: 'hello', v: 1, client: 'bilan-web/1' });
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.heardAt = performance.now();
      if (typeof ev.data === 'string') this.onText(ev.data);
      else if (this.phase === 'in_room') this.emit('onBinary', new Uint8Array(ev.data));
      else this.drop('binaire hors salle');
    };
    ws.onclose = (ev) => { if (ws === this.ws) this.onClose(ev.code); };
    ws.onerror = () => { /* a close event follows */ };
  }

  drop(what) {
    this.refused++;
    console.warn(`bilan: message refusé (${what})`);
  }

  /** Drops the socket without waiting for a closing handshake (a dead path
   * would deliver it late) and tries again. */
  lost() {
    this.detach();
    this.scheduleRetry();
  }

  detach() {
    const ws = this.ws;
    this.ws = null;
    this.phase = 'closed';
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch { /* already closing */ }
    }
  }

  onClose(code) {
    this.ws = null;
    this.phase = 'closed';
    if (this.final) return;
    if (code === 1000) { this.finish('replaced'); return; }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.final || this.retryTimer) return;
    const now = performance.now();
    if (this.lostSince === null) this.lostSince = now;
    if (now - this.lostSince >= GIVE_UP_MS) { this.finish('gave_up'); return; }
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (1 - Math.random() * 0.2));   // up to a fifth shorter
    this.attempt++;
    this.setState('reconnecting', { attempt: this.attempt, inMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  finish(state, info = {}) {
    this.final = true;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    if (this.tickTimer) { clearInterval(this.tickTimer); this.tickTimer = null; }
    this.detach();
    this.setState(state, info);
  }

  tick() {
    if (!this.ws) return;
    const now = performance.now();
    if (this.phase === 'opening' || this.phase === 'hello' || this.phase === 'challenged') {
      if (now - this.openedAt > HANDSHAKE_MS) this.lost();
      return;
    }
    const silent = now - this.heardAt;
    if (silent >= LOST_MS) { this.lost(); return; }
    if (silent >= HEARD_PING_MS && now - this.lastClockAt >= HEARD_PING_MS) { this.sendClock(); return; }
    if (this.phase === 'in_room') {
      const wait = this.clockBurst < CLOCK_BURST ? CLOCK_BURST_MS : CLOCK_EVERY_MS;
      if (now - this.lastClockAt >= wait) { this.clockBurst++; this.sendClock(); }
    }
  }

  sendJson(obj) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  /** A binary frame to the room; false when not in a room now. */
  sendBinary(bytes) {
    if (this.phase !== 'in_room') return false;
    this.ws.send(bytes);
    return true;
  }

  sendClock() {
    const ref = 'clk' + (++this.clockN);
    const t = performance.now();
    if (!this.sendJson({ type: 'clock', ref })) return;
    this.lastClockAt = t;
    this.clockPending.set(ref, t);
    if (this.clockPending.size > 16) this.clockPending.delete(this.clockPending.keys().next().value);
  }

  /** The server's Unix time in ms now, as best estimated (§4.3). */
  serverNowMs() {
    if (!this.clockSamples.length) return Date.now();
    const best = this.clockSamples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    return performance.now() + best.offset;
  }

  clockRoundTrip() {
    return this.clockSamples.length ? Math.min(...this.clockSamples.map((s) => s.rtt)) : null;
  }

  leave() {
    if (this.final) return;
    if (this.phase === 'in_room') this.sendJson({ type: 'leave' });
    const ws = this.ws;
    this.ws = null;
    this.final = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.retryTimer = this.tickTimer = null;
    if (ws) {
      ws.onmessage = ws.onerror = ws.onclose = null;
      // Closing after the leave lets the server read it first.
      setTimeout(() => { try { ws.close(1000); } catch { /* closed */ } }, 200);
    }
    this.setState('left');
  }

  onText(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { msg = null; }
    if (!isObj(msg) || typeof msg.type !== 'string') { this.drop('JSON'); return; }
    const h = this['on_' + msg.type];
    if (typeof h === 'function' && Object.prototype.hasOwnProperty.call(RoomConnection.prototype, 'on_' + msg.type)) {
      h.call(this, msg);
    } else if (this.phase === 'in_room' || this.phase === 'welcomed') {
      this.emit('onControl', msg);       // keyframe_request, media_report, flow, stats...
    } else {
      this.drop(msg.type.slice(0, 24));
    }
  }

  async on_challenge(msg) {
    const nonce = unb64u(msg.nonce, 32);
    if (this.phase !== 'hello' || msg.v !== 1 || !nonce) { this.drop('challenge'); return; }
    this.phase = 'challenged';
    const ws = this.ws;
    const id = this.identity;
    if (this.mode === 'enrol') {
      const sig = await enrolSignature(id, nonce, this.tokenBytes);
      if (ws !== this.ws) return;
      this.sendJson({ type: 'enrol', token: this.token, sign_pub: b64u(id.signPub), dh_pub: b64u(id.dhPub),
        sig: b64u(sig), device_name: this.deviceName });
    } else {
      const sig = await authSignature(id, nonce);
      if (ws !== this.ws) return;
      this.sendJson({ type: 'auth', device: id.fpB64, sig: b64u(sig) });
    }
  }

  on_welcome(msg) {
    if (this.phase !== 'challenged' || !isRole(msg.role) || msg.device !== this.identity.fpB64 ||
        !Array.isArray(msg.bilans) || (msg.bilan !== undefined && !isId(msg.bilan))) {
      this.drop('welcome');
      this.lost();
      return;
    }
    this.phase = 'welcomed';
    this.welcomes.push(this.mode);
    this.mode = 'auth';                 // never the spent invite again (§1)
    if (msg.bilan) this.bilan = msg.bilan;
    if (!this.bilan) {
      // No invite told us which: the one bilan this device belongs to.
      const mine = msg.bilans.filter((b) => isObj(b) && isId(b.bilan));
      if (mine.length === 1) this.bilan = mine[0].bilan;
    }
    this.emit('onWelcome', msg);
    if (!this.bilan) { this.finish('refused', { code: 'bad_bilan' }); return; }
    this.setState('joining');
    this.sendJson({ type: 'join', bilan: this.bilan, ref: 'join' });
  }

  on_joined(msg) {
    if (this.phase !== 'welcomed' || msg.bilan !== this.bilan || !isSlot(msg.slot) || !isRole(msg.role) ||
        !Array.isArray(msg.members) || !msg.members.every(validMember) ||
        !msg.members.some((m) => m.slot === msg.slot)) {
      this.drop('joined');
      return;
    }
    this.phase = 'in_room';
    this.slot = msg.slot;
    this.attempt = 0;
    this.lostSince = null;
    this.clockBurst = 0;
    this.sendClock();
    this.setState('in_room', { slot: msg.slot });
    this.emit('onJoined', msg);
  }

  on_member_joined(msg) {
    if (this.phase !== 'in_room' || !validMember(msg)) { this.drop('member_joined'); return; }
    this.emit('onMemberJoined', msg);
  }

  on_member_left(msg) {
    if (this.phase !== 'in_room' || !isSlot(msg.slot)) { this.drop('member_left'); return; }
    this.emit('onMemberLeft', msg);
  }

  on_e2e(msg) {
    if (this.phase !== 'in_room' || !isSlot(msg.from) || !isKey(msg.device) || !isObj(msg.body)) {
      this.drop('e2e');
      return;
    }
    this.emit('onE2e', msg);
  }

  on_clock(msg) {
    const t0 = this.clockPending.get(msg.ref);
    if (t0 === undefined || !Number.isSafeInteger(msg.server_ms)) { this.drop('clock'); return; }
    this.clockPending.delete(msg.ref);
    const t1 = performance.now();
    this.clockSamples.push({ rtt: t1 - t0, offset: msg.server_ms - (t0 + t1) / 2 });
    if (this.clockSamples.length > CLOCK_SAMPLES) this.clockSamples.shift();
  }

  on_left() { /* our own leave: nothing more to do */ }

  on_error(msg) {
    const code = typeof msg.code === 'string' ? msg.code.slice(0, 32) : 'internal';
    const fatal = msg.fatal === true;
    this.emit('onError', code, fatal, msg.ref);
    if (this.phase === 'challenged' && code === 'unknown_device' && !this.triedEnrol && this.tokenBytes) {
      // The server forgot this browser (its data was reset, or this device
      // was enrolled on another server): redeem the invite again (§2.2).
      this.mode = 'enrol';
      this.triedEnrol = true;
      this.phase = 'hello';
      this.sendJson({ type: 'hello', v: 1, client: 'bilan-web/1' });
      return;
    }
    if (fatal && RETRY_FATAL.has(code)) return;         // the close follows; then we retry
    const handshake = this.phase === 'challenged' || this.phase === 'hello';
    const joining = this.phase === 'welcomed' && msg.ref === 'join';
    if (fatal || REFUSALS.has(code) && (handshake || joining)) this.finish('refused', { code });
  }
}

/** The room's WebSocket address: this page's host, path /ws (§1). */
export function roomUrl(loc = window.location) {
  return `wss://${loc.host}/ws`;
}
