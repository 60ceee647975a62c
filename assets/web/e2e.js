// e2e.js: the end-to-end encryption of one room visit (PROTOCOL.md §8), as
// the native client's client/e2e_room.c, e2e_pair.c, e2e_frames.c and
// e2e_core.c do it: our ephemeral key and bundle per join, one pairwise
// handshake per peer (commit -> reveal -> checks -> transcript -> confirm
// with invite proofs -> the spoken code -> the trust decision of §8.2 step
// 8, with the changed-key warning), abort bodies, our sender key per
// generation (rekeyed on our join and whenever a member joins or leaves),
// the peers' keys per generation with a replay window per KID, frames held
// for an unknown KID (2 s, 256 per sender), older generations erased 5 s
// after a newer one is used.
//
// Events (what the page tells the person; never a key):
//   onCode(slot, '482913')   the 6 digits to read aloud (sasDisplay of pair.js
//                            writes "482 913"); answer with answerCode(slot, yes)
//   onPeer(slot, state, detail) with state one of: 'invite' (authenticated by
//     its invite proof), 'known' (a device confirmed before), 'verified' (code
//     confirmed), 'blocked' (nothing sent until the code is confirmed),
//     'other_invite' (came with another invite of the bilan: compare the
//     code, no alarm), 'changed_key' (not the device remembered for its role:
//     loud warning), 'rejected_by_us', 'rejected_by_peer', 'failed' (detail:
//     the French reason, REASONS), 'ended_by_peer' (detail: its reason when it
//     is one of REASONS, else null)
//   onFrame(slot, kind, header16, plaintext) for frames released after holding.
//
// Every public method runs in one queue, in call order (WebCrypto is
// asynchronous; the handshake's order matters as in the C code), and never
// throws: a wrong or hostile body or frame is refused and counted.
// Must never: log or hand out a key, a secret or plaintext other than through
// open()/events.onFrame; send a key to a pair that is not authenticated.
import { b64u, equal, compare, random, unb64u } from './bytes.js';
import { x25519Generate } from './wcrypto.js';
import * as P from './pair.js';
import * as S from './sframe.js';
import { fr } from './i18n.js';

const HOLD_MS = 2000;
const HOLD_MAX = 256;
const ERASE_MS = 5000;
const GENS = 4;
const MEMBERS = 4;
const SECRETS_MAX = P.PROOFS_MAX;

// The pair states of client/e2e_state.h.
const NONE = 'none', COMMITTED = 'committed', REVEALED = 'revealed', CONFIRMING = 'confirming';
const BLOCKED = 'blocked', AUTH = 'authenticated', REFUSED = 'refused';
const ORDER = [NONE, COMMITTED, REVEALED, CONFIRMING, BLOCKED, AUTH, REFUSED];
const atLeast = (st, ref) => ORDER.indexOf(st) >= ORDER.indexOf(ref);

// The reasons the native client gives in an abort, word for word: the
// French of i18n.js's e2e_* sentences, whatever the page's language (a
// peer's reason is shown to the person only when it is one of these, in
// the page's language: fromFrench(reason, 'e2e_')).
export const REASONS = Object.freeze(Object.fromEntries(['secondCommit', 'revealEarly', 'commitMismatch',
  'badSignature', 'wrongDevice', 'crypto', 'rejectedHere', 'unexpectedConfirm', 'confirmEarly', 'badProof',
  'unreadable'].map((k) => [k, fr(`e2e_${k}`)])));
const KNOWN_REASONS = new Set(Object.values(REASONS));
const REJECTED_BY_PEER = fr('e2e_rejectedByPeer');

function newPeer(slot, fp, role) {
  return {
    slot, fp, fpB64: b64u(fp), role, st: NONE, r: null, theirC: null, theirB: null, theirR: null, t: null,
    pairKey: null, sas: null, macOk: false, gotConfirm: false, sasLocal: 0, changedKey: false,
    known: false, roleOther: false, awaitPeer: false, peerConfirmed: false, stash: null, sentGen: 0,
    gens: [], held: [], by: null, verified: false,
  };
}

/** The peer's generation record: {gen, base, keys: Map stream -> key, windows, eraseAt}. */
function findGen(p, gen) { return p.gens.find((g) => g.gen === gen) || null; }

export class RoomE2E {
  /** See CONTEXT: identity {signPub, dhPub, fp, sign(msg), dhPriv}, bilan (id),
   * secrets [Uint8Array(32)], trust {isVerified, setVerified, rememberedForRole},
   * send(toSlotOrNull, body), events {onCode, onPeer, onFrame}. opts.now: a
   * clock in ms (tests). */
  constructor({ identity, bilan, secrets = [], trust = null, send, events = {}, now = null }) {
    this.id = identity;
    this.bilan = bilan;
    this.secrets = [];
    for (const s of secrets || []) this.addSecret(s);
    this.trust = trust;
    this.sendFn = send;
    this.events = events;
    this.now = now || (() => Date.now());
    this.queue = Promise.resolve();
    this.epoch = 0;
    this.inRoom = false;
    this.failed = false;
    this.slot = -1;
    this.peersBySlot = new Map();
    this.gen = 0;
    this.own = null;      // {base, keys: Map stream -> key, ctr: Map stream -> BigInt}
    this.eph = null;
    this.bundle = null;
    this.timer = null;
    this.stats = { framesSealed: 0, framesOpened: 0, droppedReplay: 0, droppedAuth: 0, droppedUnknownKid: 0,
      held: 0, refusedBodies: 0 };
  }

  /** One more invite secret of this bilan (at most 8, newest first, no repeat). */
  addSecret(s) {
    if (!(s instanceof Uint8Array) || s.length !== P.SECRET_LEN) return;
    if (this.secrets.some((x) => equal(x, s)) || this.secrets.length >= SECRETS_MAX) return;
    this.secrets.push(s.slice());
  }

  // ---- the queue: one task at a time, none after leave() of its epoch ----

  run(task, fallback = undefined) {
    const epoch = this.epoch;
    const p = this.queue.then(async () => {
      if (epoch !== this.epoch) return fallback;
      try {
        return await task();
      } catch (e) {
        // A bug of ours, not input: never thrown at the caller, never with secrets.
        this.failed = true;
        console.warn('[e2e] internal error:', e && e.name);
        return fallback;
      }
    });
    this.queue = p.then(() => undefined, () => undefined);
    return p;
  }

  emit(name, ...args) {
    try {
      const f = this.events[name];
      if (f) f(...args);
    } catch (e) {
      console.warn('[e2e] event handler failed:', name, e && e.name);
    }
  }

  send(slot, m) {
    const body = P.buildBody(m);
    if (!body) return;
    try { this.sendFn(slot, body); } catch (e) { console.warn('[e2e] send failed', e && e.name); }
  }

  // ---- room life ----

  /** We joined: fresh ephemeral key and bundle, generation 1, a handshake with
   * every member of the roster (members: [{slot, device, role}], me included). */
  joined(mySlot, members) {
    this.leave();
    return this.run(async () => {
      if (!Number.isInteger(mySlot) || mySlot < 0 || mySlot >= MEMBERS) return false;
      this.slot = mySlot;
      this.inRoom = true;
      this.gen = 0;
      this.eph = await x25519Generate();
      this.bundle = await P.makeBundle(this.id, this.bilan, this.eph.pub);
      if (!this.bundle) { this.failed = true; return false; }
      await this.rekey();
      this.timer = setInterval(() => this.run(async () => this.tick()), 250);
      for (const m of Array.isArray(members) ? members : []) await this.addMember(m, false);
      return true;
    }, false);
  }

  /** member_joined: a new pair, and a new generation for us. */
  memberJoined(member) { return this.run(() => this.addMember(member, true)); }

  memberLeft(slot) {
    return this.run(async () => {
      const p = this.peersBySlot.get(slot);
      if (!this.inRoom || !p) return;
      this.stats.droppedUnknownKid += p.held.length;
      this.wipePeer(p);
      this.peersBySlot.delete(slot);
      await this.rekey(); // who left must not read what follows
    });
  }

  /** We left: ephemeral, pair and sender keys erased; queued work dropped. */
  leave() {
    this.epoch++;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const p of this.peersBySlot.values()) {
      this.stats.droppedUnknownKid += p.held.length;
      this.wipePeer(p);
    }
    this.peersBySlot.clear();
    this.wipeOwn();
    this.eph = null;
    this.bundle = null;
    this.inRoom = false;
    this.gen = 0;
    this.slot = -1;
  }

  async addMember(m, rekeyAfter) {
    if (!this.inRoom || this.failed || !m || typeof m !== 'object') return;
    const slot = m.slot;
    const fp = typeof m.device === 'string' ? unb64u(m.device, P.FP_LEN) : null;
    if (!Number.isInteger(slot) || slot < 0 || slot >= MEMBERS || slot === this.slot || !fp) return;
    const old = this.peersBySlot.get(slot);
    if (old) this.wipePeer(old); // replaced: a new device or connection, a new pair
    const p = newPeer(slot, fp, m.role);
    this.peersBySlot.set(slot, p);
    if (this.trust) {
      try {
        p.known = !!(await this.trust.isVerified(p.fpB64));
        const remembered = await this.trust.rememberedForRole(p.role);
        p.roleOther = typeof remembered === 'string' && remembered !== p.fpB64;
      } catch { p.known = false; p.roleOther = false; }
    }
    if (rekeyAfter) await this.rekey();
    if (this.failed) return;
    p.r = random(32);
    const c = await P.commit(this.bundle, p.r);
    p.st = COMMITTED;
    this.send(slot, { t: 'commit', c });
  }

  // ---- our sender key ----

  wipeOwn() {
    if (this.own) this.own.base.fill(0);
    this.own = null;
  }

  async rekey() {
    this.wipeOwn();
    this.own = { base: random(P.BASE_KEY_LEN), keys: new Map(), ctr: new Map() };
    this.gen++;
    for (const p of this.peersBySlot.values()) await this.sendKey(p);
  }

  async sendKey(p) {
    if (!this.gen || p.st !== AUTH || p.awaitPeer || !p.pairKey || p.sentGen === this.gen) return;
    const sealed = await P.sealSenderKey(p.pairKey, this.bilan, this.id.fp, p.fp, this.gen, this.own.base);
    if (!sealed) { this.failed = true; return; }
    this.send(p.slot, { t: 'key', gen: this.gen, sealed });
    p.sentGen = this.gen;
  }

  // ---- ending a pair ----

  wipePeer(p) {
    p.held = [];
    for (const g of p.gens) g.base.fill(0);
    p.gens = [];
    if (p.pairKey) p.pairKey.fill(0);
    p.pairKey = null;
    p.stash = null;
  }

  async refuse(p, why, notify = true) {
    if (p.st === REFUSED) return;
    const hadKey = p.sentGen !== 0;
    p.st = REFUSED;
    console.info(`[e2e] slot=${p.slot} refused: ${why}`);
    if (notify && p.sasLocal >= 0) this.emit('onPeer', p.slot, 'failed', why);
    if (notify) this.send(p.slot, { t: 'abort', reason: why });
    this.stats.droppedUnknownKid += p.held.length;
    this.wipePeer(p);
    if (hadKey) await this.rekey(); // it must not read what follows
  }

  // ---- the handshake ----

  /** A relayed e2e body from slot `from`, whose device the server says is deviceB64. */
  onE2e(from, deviceB64, body) {
    return this.run(async () => {
      if (!this.inRoom || this.failed || from === this.slot) return;
      const p = this.peersBySlot.get(from);
      const fp = typeof deviceB64 === 'string' ? unb64u(deviceB64, P.FP_LEN) : null;
      // Only from the device the server announced for that slot.
      if (!p || !fp || !equal(fp, p.fp) || p.st === REFUSED) { this.stats.refusedBodies++; return; }
      const m = P.parseBody(body);
      if (!m) { this.stats.refusedBodies++; await this.refuse(p, REASONS.unreadable); return; }
      switch (m.t) {
        case 'commit': return this.onCommit(p, m);
        case 'reveal': return this.onReveal(p, m);
        case 'confirm': return this.onConfirm(p, m);
        case 'sas': return this.onSas(p, m);
        case 'key': return this.onKey(p, m);
        case 'abort':
          await this.refuse(p, fr('e2e_endedByPeer', { reason: m.reason }), false);
          // Whoever relays the body must not put its own words on screen.
          this.emit('onPeer', p.slot, 'ended_by_peer', KNOWN_REASONS.has(m.reason) ? m.reason : null);
          return undefined;
        default: return undefined;
      }
    });
  }

  async onCommit(p, m) {
    if (p.theirC || p.st !== COMMITTED) return this.refuse(p, REASONS.secondCommit);
    p.theirC = m.c;
    // Both commitments exchanged: now, and only now, we reveal.
    p.st = REVEALED;
    this.send(p.slot, { t: 'reveal', bundle: this.bundle, r: p.r });
    return undefined;
  }

  async onReveal(p, m) {
    if (p.st !== REVEALED) return this.refuse(p, REASONS.revealEarly);
    if (!equal(await P.commit(m.bundle, m.r), p.theirC)) return this.refuse(p, REASONS.commitMismatch);
    if (!(await P.verifyBundle(m.bundle, this.bilan))) return this.refuse(p, REASONS.badSignature);
    const fp = await P.bundleFp(m.bundle);
    // The announced device, and never our own (a relay bouncing our messages).
    if (!equal(fp, p.fp) || equal(fp, this.id.fp)) return this.refuse(p, REASONS.wrongDevice);
    p.theirB = m.bundle;
    p.theirR = m.r;
    const mineFirst = compare(this.id.fp, p.fp) < 0;
    p.t = mineFirst ? await P.transcript(this.bilan, this.bundle, p.r, p.theirB, p.theirR)
      : await P.transcript(this.bilan, p.theirB, p.theirR, this.bundle, p.r);
    p.sas = p.t && await P.sas(p.t);
    p.pairKey = p.t && await P.pairKey(this.eph.priv, p.theirB.eph, p.t);
    if (!p.t || !p.pairKey) return this.refuse(p, REASONS.crypto);
    // One proof per secret we know: the peer checks the one whose id it knows.
    const proofs = [];
    for (const s of this.secrets) {
      const sid = await P.secretId(s, this.bilan), mac = await P.inviteMac(s, this.bilan, p.t, this.id.fp);
      if (!sid || !mac) return this.refuse(p, REASONS.crypto);
      proofs.push({ sid, mac });
    }
    p.st = CONFIRMING;
    this.send(p.slot, { t: 'confirm', proofs });
    console.info(`[e2e] slot=${p.slot} code shown`);
    this.emit('onCode', p.slot, p.sas);
    if (p.gotConfirm) await this.decideTrust(p);
    return undefined;
  }

  async onConfirm(p, m) {
    if (p.gotConfirm || (p.st !== CONFIRMING && p.st !== REVEALED)) return this.refuse(p, REASONS.unexpectedConfirm);
    // Their reveal has not come: a confirm cannot precede it on one relay.
    if (p.st === REVEALED) return this.refuse(p, REASONS.confirmEarly);
    p.gotConfirm = true;
    // Every proof under a secret we know must verify; proofs under secrets we
    // do not know (another invite of this bilan) prove nothing and accuse no one.
    let checked = false;
    for (const s of this.secrets) {
      const sid = await P.secretId(s, this.bilan);
      if (!sid) return this.refuse(p, REASONS.crypto);
      for (const pr of m.proofs) {
        if (!equal(sid, pr.sid)) continue;
        const want = await P.inviteMac(s, this.bilan, p.t, p.fp);
        if (!want) return this.refuse(p, REASONS.crypto);
        if (!equal(want, pr.mac)) return this.refuse(p, REASONS.badProof);
        checked = true;
      }
    }
    p.macOk = checked;
    if (!checked && m.proofs.length && !p.known) this.emit('onPeer', p.slot, 'other_invite', null);
    if (!p.macOk && !p.known && p.roleOther) {
      p.changedKey = true;
      console.warn(`[e2e] WARNING slot=${p.slot}: changed key: not the device remembered for its role`);
      this.emit('onPeer', p.slot, 'changed_key', null);
    }
    return this.decideTrust(p);
  }

  /** The trust decision of §8.2 step 8, once their confirm came. */
  async decideTrust(p) {
    if (p.st !== CONFIRMING && p.st !== BLOCKED) return undefined;
    if (p.sasLocal < 0) return this.refuse(p, REASONS.rejectedHere);
    const byMac = p.macOk && !p.changedKey;
    const known = p.known;
    if (!byMac && !known && p.sasLocal <= 0) {
      if (p.st !== BLOCKED) {
        p.st = BLOCKED;
        this.emit('onPeer', p.slot, 'blocked', null);
      }
      return undefined;
    }
    p.st = AUTH;
    p.awaitPeer = !byMac && !known && !p.peerConfirmed && !p.stash;
    p.by = p.sasLocal > 0 && !byMac && !known ? 'sas' : byMac ? 'invite' : 'known';
    p.verified = p.sasLocal > 0 || known;
    this.emit('onPeer', p.slot, p.sasLocal > 0 ? 'verified' : known ? 'known' : 'invite', null);
    if (p.verified) await this.remember(p);
    await this.sendKey(p);
    if (p.stash) {
      const k = p.stash;
      p.stash = null;
      await this.onKey(p, k);
    }
    return undefined;
  }

  async remember(p) {
    if (!this.trust) return;
    try { await this.trust.setVerified(p.fpB64, p.role); } catch { /* the store failed: not fatal here */ }
  }

  async onSas(p, m) {
    if (m.confirmed) {
      // It trusts us now: a key withheld for that can go.
      p.peerConfirmed = true;
      if (p.st === AUTH && p.awaitPeer) { p.awaitPeer = false; await this.sendKey(p); }
      return undefined;
    }
    if (p.st === REFUSED) return undefined;
    this.emit('onPeer', p.slot, 'rejected_by_peer', null);
    return this.refuse(p, REJECTED_BY_PEER, false);
  }

  async onKey(p, m) {
    if (p.st === BLOCKED && p.pairKey) {
      // Our user has not decided yet: keep the newest one, sealed.
      if (!p.stash || m.gen > p.stash.gen) p.stash = m;
      return;
    }
    if (p.st !== AUTH || !p.pairKey) return; // keys only from authenticated pairs
    if (p.awaitPeer) { p.awaitPeer = false; await this.sendKey(p); } // only a peer that trusts us sends keys
    if (findGen(p, m.gen)) return;
    const base = await P.openSenderKey(p.pairKey, this.bilan, p.fp, this.id.fp, m.gen, m.sealed);
    if (!base) { console.info(`[e2e] slot=${p.slot} sent a key that does not authenticate (ignored)`); return; }
    if (p.gens.length >= GENS) { // evict the oldest
      p.gens.sort((a, b) => a.gen - b.gen);
      p.gens.shift().base.fill(0);
    }
    p.gens.push({ gen: m.gen, base, keys: new Map(), windows: new Map(), eraseAt: 0 });
    console.info(`[e2e] slot=${p.slot} keys gen=${m.gen}`);
    await this.releaseHeld(p);
  }

  /** The person's answer to slot's code (Oui: true). */
  answerCode(slot, confirmed) {
    return this.run(async () => {
      const p = this.peersBySlot.get(slot);
      if (!p || p.st === REFUSED || !atLeast(p.st, CONFIRMING) || p.sasLocal) return;
      p.sasLocal = confirmed ? 1 : -1;
      this.send(slot, { t: 'sas', confirmed: !!confirmed });
      if (!confirmed) {
        this.emit('onPeer', slot, 'rejected_by_us', null);
        await this.refuse(p, REASONS.rejectedHere, false); // the sas body said so
        return;
      }
      if (p.st === AUTH) { // already authenticated (invite, known): now verified too
        p.verified = true;
        this.emit('onPeer', slot, 'verified', null);
        await this.remember(p);
        return;
      }
      if (p.gotConfirm) await this.decideTrust(p);
    });
  }

  // ---- frames ----

  /** header16 || SFrame of plaintext under our current key for the header's
   * kind; null when we cannot seal (no room, no key, a bad header). */
  seal(header16, plaintext) {
    return this.run(async () => {
      if (!this.inRoom || this.failed || !this.gen || !(header16 instanceof Uint8Array) || header16.length !== S.HDR_LEN)
        return null;
      const stream = S.STREAM_OF_KIND[header16[1]];
      if (stream === undefined) return null;
      const own = this.own;
      let k = own.keys.get(stream);
      if (!k) { k = await S.deriveKey(own.base, S.kid(this.gen, stream)); own.keys.set(stream, k); }
      const ctr = own.ctr.get(stream) || 0n;
      const frame = await S.sealFrame(k, ctr, header16, plaintext);
      if (!frame) return null;
      own.ctr.set(stream, ctr + 1n);
      this.stats.framesSealed++;
      if (ctr + 1n > S.CTR_MAX - 1024n) await this.rekey(); // long before the counter could run out
      return frame;
    }, null);
  }

  /** {slot, kind, header, plaintext}, or null: refused, or held until its key
   * comes (then given to events.onFrame). */
  open(frame) {
    return this.run(async () => {
      if (!this.inRoom || !(frame instanceof Uint8Array) || frame.length < S.HDR_LEN) return null;
      this.tick();
      const slot = frame[3];
      const p = this.peersBySlot.get(slot);
      if (slot === this.slot || !p || p.st === REFUSED) { this.stats.droppedUnknownKid++; return null; }
      const copy = frame.slice();
      if (p.held.length) {
        // Keep order: behind the frames already waiting.
        this.hold(p, copy);
        await this.releaseHeld(p);
        if (p.held.length && p.held[p.held.length - 1].frame === copy) this.stats.held++;
        return null;
      }
      const r = await this.tryOpen(p, copy);
      if (r === 'hold') { this.hold(p, copy); this.stats.held++; return null; }
      return r;
    }, null);
  }

  hold(p, frame) {
    if (p.held.length >= HOLD_MAX) { p.held.shift(); this.stats.droppedUnknownKid++; } // full: the oldest goes
    p.held.push({ frame, at: this.now() });
  }

  async releaseHeld(p) {
    const keep = [];
    for (const h of p.held) {
      const r = await this.tryOpen(p, h.frame);
      if (r === 'hold') keep.push(h);
      else if (r) this.emit('onFrame', r.slot, r.kind, r.header, r.plaintext);
    }
    p.held = keep;
  }

  /** The frame opened, null (dropped) or 'hold' (no key for its KID yet). */
  async tryOpen(p, frame) {
    const h = S.frameKid(frame); // malformed, or the KID's stream is not the kind's
    if (!h) { this.stats.droppedAuth++; return null; }
    if (p.st !== AUTH) return 'hold';
    const g = findGen(p, Number(S.kidGen(h.kid)));
    if (!g) return 'hold';
    const stream = S.kidStream(h.kid);
    let k = g.keys.get(stream);
    if (!k) { k = await S.deriveKey(g.base, h.kid); g.keys.set(stream, k); g.windows.set(stream, new S.ReplayWindow()); }
    const w = g.windows.get(stream);
    if (!w.check(h.ctr)) { this.stats.droppedReplay++; return null; }
    const r = await S.openFrame(k, w, frame);
    if (!r) { this.stats.droppedAuth++; return null; }
    this.stats.framesOpened++;
    // A newer generation in use: older ones go in 5 s.
    for (const o of p.gens) if (o.gen < g.gen && !o.eraseAt) o.eraseAt = this.now() + ERASE_MS;
    return { slot: p.slot, kind: frame[1], header: frame.slice(0, S.HDR_LEN), plaintext: r.pt };
  }

  tick() {
    const now = this.now();
    for (const p of this.peersBySlot.values()) {
      const before = p.held.length;
      p.held = p.held.filter((h) => now - h.at < HOLD_MS);
      this.stats.droppedUnknownKid += before - p.held.length;
      for (const g of p.gens.filter((x) => x.eraseAt && now >= x.eraseAt)) g.base.fill(0);
      p.gens = p.gens.filter((x) => !(x.eraseAt && now >= x.eraseAt));
    }
  }

  // ---- what the page shows ----

  /** At least one peer authenticated holding our current key, and every peer
   * settled (authenticated, refused, or waiting for its person). */
  canSend() {
    if (!this.inRoom || this.failed) return false;
    let any = false;
    for (const p of this.peersBySlot.values()) {
      if (p.st === AUTH && p.awaitPeer) continue;
      if (p.st === AUTH) { if (p.sentGen !== this.gen) return false; any = true; }
      else if (p.st !== REFUSED && p.st !== BLOCKED) return false;
    }
    return any;
  }

  /** [{slot, role, fp (base64url), state, authenticated, verified, by, code}] */
  peers() {
    return [...this.peersBySlot.values()].sort((a, b) => a.slot - b.slot).map((p) => ({
      slot: p.slot, role: p.role, fp: p.fpB64, state: p.st, authenticated: p.st === AUTH,
      verified: p.st === AUTH && p.verified, by: p.st === AUTH ? p.by : null, code: p.sas,
      pendingCode: p.st !== REFUSED && atLeast(p.st, CONFIRMING) && !p.sasLocal,
    }));
  }

  /** The X25519 dh_pub of an authenticated peer, from the bundle it signed
   * and we checked (sheets_room.js wraps the worksheets' key to it); null
   * for any other peer. */
  peerDhPub(slot) {
    const p = this.peersBySlot.get(slot);
    return p && p.st === AUTH && p.theirB ? p.theirB.dhPub.slice() : null;
  }

  counters() { return { ...this.stats }; }

  /** Resolves once every call made so far has been handled (tests, shutdown). */
  idle() { return this.run(async () => true, true); }
}
