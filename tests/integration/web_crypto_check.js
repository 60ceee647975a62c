// web_crypto_check.js: the browser side of test_web_crypto.py, loaded in
// Chromium next to the client's modules (/web/*.js): calls pair.js,
// sframe.js and e2e.js and hands their bytes back as base64url, so the test
// compares them with what web_vectors (libbilanproto) computes. Test code
// only: it is never served by bilan-server.
import { b64u, unb64u, fromHex, hex, equal, random, utf8 } from '/web/bytes.js';
import { ed25519Generate, ed25519Sign, x25519Generate } from '/web/wcrypto.js';
import * as P from '/web/pair.js';
import * as S from '/web/sframe.js';

const state = {};

export const bundleToJson = (b) => ({ sign_pub: b64u(b.signPub), dh_pub: b64u(b.dhPub), eph: b64u(b.eph), sig: b64u(b.sig) });
export const bundleFromJson = (j) => ({ signPub: unb64u(j.sign_pub), dhPub: unb64u(j.dh_pub), eph: unb64u(j.eph), sig: unb64u(j.sig) });

/** A fresh device identity as e2e.js wants it (keys made by WebCrypto, not extractable). */
export async function makeIdentity() {
  const s = await ed25519Generate(), d = await x25519Generate();
  return {
    signPub: s.pub, dhPub: d.pub, dhPriv: d.priv, fp: await P.fingerprint(s.pub, d.pub),
    sign: (m) => ed25519Sign(s.priv, m),
  };
}

/** RFC 9605 Appendix C: header codec (C.1) and the 0x0004 encryption case (C.3). */
export async function vectors(v) {
  const bad = [];
  for (const h of v.header) {
    const kid = BigInt(h.kid), ctr = BigInt(h.ctr);
    if (hex(S.encodeHeader(kid, ctr)) !== h.header) bad.push(`encode ${h.kid} ${h.ctr}`);
    const d = S.decodeHeader(fromHex(h.header));
    if (!d || d.kid !== kid || d.ctr !== ctr || d.len !== h.header.length / 2) bad.push(`decode ${h.header}`);
  }
  const out = { headers: v.header.length, bad, cases: [] };
  for (const e of v.encryption.filter((x) => x.cipher_suite === '0x0004')) {
    const k = await S.deriveKey(fromHex(e.base_key), BigInt(e.kid), true);
    const ct = await S.seal(k, BigInt(e.ctr), fromHex(e.metadata), fromHex(e.pt));
    const opened = await S.open(k, fromHex(e.metadata), fromHex(e.ct));
    const flipped = fromHex(e.ct); flipped[flipped.length - 1] ^= 1;
    const otherMeta = fromHex(e.metadata); otherMeta[0] ^= 1;
    out.cases.push({
      key: hex(k.raw) === e.sframe_key, salt: hex(k.salt) === e.sframe_salt,
      ct: hex(ct) === e.ct, pt: !!opened && hex(opened.pt) === e.pt,
      flippedRefused: (await S.open(k, fromHex(e.metadata), flipped)) === null,
      metaRefused: (await S.open(k, otherMeta, fromHex(e.ct))) === null,
    });
  }
  return out;
}

/** Device B of the pairing test, in the browser: its bundle and r, and every
 * value it computes from A's public bundle and r (given by the C side). */
export async function pairStart({ bilan, secret, aBundle, rA }) {
  const id = await makeIdentity();
  const eph = await x25519Generate();
  const bB = await P.makeBundle(id, bilan, eph.pub);
  const rB = random(32);
  const bA = bundleFromJson(aBundle), ra = unb64u(rA), sec = unb64u(secret);
  const fpA = await P.bundleFp(bA), fpB = id.fp;
  const t = await P.transcript(bilan, bA, ra, bB, rB);
  const tSwapped = await P.transcript(bilan, bB, rB, bA, ra);
  const key = await P.pairKey(eph.priv, bA.eph, t);
  const baseB = random(16);
  const sealedB = await P.sealSenderKey(key, bilan, fpB, fpA, 1, baseB);
  const badSig = { ...bA, sig: bA.sig.slice() }; badSig.sig[5] ^= 1;
  const badEph = { ...bA, eph: bB.eph };
  state.pair = { bilan, key, fpA, fpB, t };
  const proofs = [{ sid: await P.secretId(sec, bilan), mac: await P.inviteMac(sec, bilan, t, fpB) }];
  return {
    bundle: bundleToJson(bB), rB: b64u(rB), cB: b64u(await P.commit(bB, rB)), cA: b64u(await P.commit(bA, ra)),
    fpA: b64u(fpA), fpB: b64u(fpB), t: b64u(t), tOrderFree: equal(t, tSwapped),
    sas: await P.sas(t), sid: b64u(await P.secretId(sec, bilan)),
    macA: b64u(await P.inviteMac(sec, bilan, t, fpA)), macB: b64u(await P.inviteMac(sec, bilan, t, fpB)),
    pairKey: b64u(key), baseB: b64u(baseB), sealedB: b64u(sealedB),
    aVerifies: await P.verifyBundle(bA, bilan),
    aBadSigRefused: !(await P.verifyBundle(badSig, bilan)),
    aOtherEphRefused: !(await P.verifyBundle(badEph, bilan)),
    aOtherBilanRefused: !(await P.verifyBundle(bA, bilan + 'x')),
    bodies: [
      P.buildBody({ t: 'commit', c: await P.commit(bB, rB) }),
      P.buildBody({ t: 'reveal', bundle: bB, r: rB }),
      P.buildBody({ t: 'confirm', proofs }),
      P.buildBody({ t: 'confirm', proofs: [] }),
      P.buildBody({ t: 'sas', confirmed: true }),
      P.buildBody({ t: 'key', gen: 1, sealed: sealedB }),
      P.buildBody({ t: 'abort', reason: 'la signature de ses clés est fausse (interception possible)' }),
    ],
  };
}

/** B opens A's sealed key (C-sealed), and refuses it under any other context. */
export async function pairFinish({ sealedA, gen }) {
  const { bilan, key, fpA, fpB } = state.pair;
  const sealed = unb64u(sealedA);
  const flipped = sealed.slice(); flipped[20] ^= 1;
  const open = (s, g, from, to, b = bilan) => P.openSenderKey(key, b, from, to, g, s);
  const base = await open(sealed, gen, fpA, fpB);
  return {
    base: base && b64u(base),
    wrongGen: (await open(sealed, gen + 1, fpA, fpB)) === null,
    wrongDirection: (await open(sealed, gen, fpB, fpA)) === null,
    wrongBilan: (await open(sealed, gen, fpA, fpB, bilan + 'x')) === null,
    flipped: (await open(flipped, gen, fpA, fpB)) === null,
  };
}

/** Opens whole frames with one base key, as web_vectors' sframe_open does:
 * one replay window per KID over the list, the KID-stream check. */
export async function sframeOpen({ base, frames }) {
  const keys = new Map();
  const pts = [];
  for (const f of frames) {
    const frame = unb64u(f);
    const h = frame && S.frameKid(frame);
    if (!h) { pts.push(null); continue; }
    let e = keys.get(h.kid);
    if (!e) { e = { k: await S.deriveKey(unb64u(base), h.kid), w: new S.ReplayWindow() }; keys.set(h.kid, e); }
    const r = await S.openFrame(e.k, e.w, frame);
    pts.push(r ? b64u(r.pt) : null);
  }
  return pts;
}

/** Seals items [{header, ctr, pt}] with the KID of gen and the header's kind;
 * `stream` forces another stream (a frame whose KID does not match its kind). */
export async function sframeSeal({ base, gen, items }) {
  const out = [];
  for (const it of items) {
    const header = unb64u(it.header);
    const stream = it.stream ?? S.STREAM_OF_KIND[header[1]];
    const k = await S.deriveKey(unb64u(base), S.kid(gen, stream));
    const f = await S.sealFrame(k, BigInt(it.ctr), header, unb64u(it.pt));
    out.push(f && b64u(f));
  }
  return out;
}

export function utf8b64(s) { return b64u(utf8(s)); }

// ---- RoomE2E instances wired through a fake relay (one page) ----

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond() until true or ms passed; its last value. */
async function until(cond, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v || Date.now() > end) return v;
    await sleep(20);
  }
}

/** A trust store in memory: {fpB64: role} verified; remembered per role. */
export function memTrust(init = {}) {
  const verified = new Map(Object.entries(init));
  return {
    verified,
    isVerified: async (fp) => verified.has(fp),
    setVerified: async (fp, role) => { verified.set(fp, role); },
    rememberedForRole: async (role) => { for (const [f, r] of verified) if (r === role) return f; return null; },
  };
}

/** A relay between RoomE2E instances of one "room view": it delivers each
 * body to the addressed member, from the sender's slot and the device the
 * relay announces for it; `tamper(from, to, body)` may change, hold back
 * (return a promise) or drop (return null) a body. Frames get the sender's
 * slot byte as the server writes it. */
export class FakeRelay {
  constructor(tamper = null) { this.members = new Map(); this.tamper = tamper; this.log = []; }

  add(slot, e2e, device) { this.members.set(slot, { e2e, device }); }

  sender(from) {
    return (to, body) => {
      this.log.push({ from, to, t: body.t });
      const deliver = async () => {
        let b = JSON.parse(JSON.stringify(body));
        if (this.tamper) b = await this.tamper(from, to, b);
        const m = this.members.get(to), me = this.members.get(from);
        if (b && m && me) await m.e2e.onE2e(from, me.device, b);
      };
      setTimeout(deliver, 0);
    };
  }

  frame(from, bytes) { const f = bytes.slice(); f[3] = from; return f; }
}

/** A device: identity, its RoomE2E, what it was told. */
export async function device(RoomE2E, { bilan, secrets = [], trust = memTrust(), role, relay, slot, deviceFor = null, identity = null }) {
  const id = identity || await makeIdentity();
  const d = { id, role, slot, codes: {}, news: [], frames: [], trust };
  d.e2e = new RoomE2E({
    identity: id, bilan, secrets, trust, send: relay.sender(slot),
    events: {
      onCode: (s, c) => { d.codes[s] = c; },
      onPeer: (s, st, detail) => { d.news.push([s, st, detail]); },
      onFrame: (s, kind, header, pt) => { d.frames.push({ s, kind, pt: b64u(pt) }); },
    },
  });
  d.member = { slot, device: b64u(id.fp), role };
  relay.add(slot, d.e2e, deviceFor || d.member.device);
  return d;
}

function hdr(kind, seq, flags = 0) {
  const h = new Uint8Array(16);
  h[0] = 1; h[1] = kind; h[2] = flags;
  new DataView(h.buffer).setUint32(4, seq);
  return h;
}

/** Joins a (slot 0) then b (slot 1) as the server tells them. */
async function meet(a, b) {
  await a.e2e.joined(a.slot, [a.member]);
  b.e2e.joined(b.slot, [a.member, b.member]);
  a.e2e.memberJoined(b.member);
}

const peerOf = (d, slot) => d.e2e.peers().find((p) => p.slot === slot) || null;

/** What d gets of frame f: opened at once, or held and released once the
 * sender's key (still on its way through the relay) comes; null if neither. */
async function recv(d, f) {
  const n = d.frames.length;
  const r = await d.e2e.open(f);
  if (r) return r;
  await until(() => d.frames.length > n, 3000);
  const g = d.frames[n];
  return g ? { slot: g.s, kind: g.kind, plaintext: unb64u(g.pt) } : null;
}

/** Two devices with the invite secret; then the spoken-code path; held frames;
 * rekey on join and leave; hostile input. */
export async function room() {
  const { RoomE2E } = await import('/web/e2e.js');
  const bilan = 'b_room-01';
  const secret = random(32);
  const out = {};
  // 1. Both know the invite secret: authenticated by the invite.
  {
    let holdKeys = null;
    const relay = new FakeRelay(async (from, to, body) => {
      if (body.t === 'key' && from === 0 && holdKeys) await holdKeys;
      return body;
    });
    let release;
    holdKeys = new Promise((r) => { release = r; });
    const a = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay, slot: 0 });
    const b = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay, slot: 1 });
    await meet(a, b);
    out.inviteAuth = !!(await until(() => peerOf(a, 1)?.authenticated && peerOf(b, 0)?.authenticated));
    out.codeA = a.codes[1]; out.codeB = b.codes[0];
    out.byInvite = peerOf(a, 1)?.by === 'invite' && peerOf(b, 0)?.by === 'invite';
    // A's key to B is held back by the relay: A's first frames wait at B.
    const pt1 = random(50);
    const f1 = relay.frame(0, await a.e2e.seal(hdr(1, 1), pt1));
    out.heldBeforeKey = (await b.e2e.open(f1)) === null && b.e2e.counters().held === 1;
    release();
    out.heldReleased = !!(await until(() => b.frames.length === 1)) && b.frames[0].pt === b64u(pt1);
    out.aCanSend = !!(await until(() => a.e2e.canSend()));
    const pt2 = random(1200);
    const f2 = relay.frame(0, await a.e2e.seal(hdr(2, 2, 1), pt2));
    const r2 = await recv(b, f2);
    out.aToB = !!r2 && r2.slot === 0 && r2.kind === 2 && equal(r2.plaintext, pt2);
    const pt3 = random(30);
    await until(() => b.e2e.canSend());
    const r3 = await recv(a, relay.frame(1, await b.e2e.seal(hdr(3, 1), pt3)));
    out.bToA = !!r3 && r3.slot === 1 && equal(r3.plaintext, pt3);
    out.replayRefused = (await b.e2e.open(f2)) === null && b.e2e.counters().droppedReplay === 1;
    // Fresh frames (not replays), each with one changed byte.
    const bad = relay.frame(0, await a.e2e.seal(hdr(2, 3), pt2)); bad[bad.length - 3] ^= 1;
    const badHdr = relay.frame(0, await a.e2e.seal(hdr(2, 4), pt2)); badHdr[7] ^= 1;
    const authBefore = b.e2e.counters().droppedAuth;
    out.tamperRefused = (await b.e2e.open(bad)) === null && (await b.e2e.open(badHdr)) === null
      && b.e2e.counters().droppedAuth === authBefore + 2;
    // 2. A third device joins (with the secret): everyone rekeys; then it leaves.
    const c = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay, slot: 2 });
    c.e2e.joined(2, [a.member, b.member, c.member]);
    a.e2e.memberJoined(c.member); b.e2e.memberJoined(c.member);
    out.threeAuth = !!(await until(() => peerOf(c, 0)?.authenticated && peerOf(c, 1)?.authenticated
      && a.e2e.canSend() && b.e2e.canSend()));
    const pt4 = random(20);
    const f4 = await a.e2e.seal(hdr(1, 10), pt4);
    out.rekeyedOnJoin = f4[16] !== f1[16] || f4[17] !== f1[17]; // another KID
    const r4b = await recv(b, relay.frame(0, f4)), r4c = await recv(c, relay.frame(0, f4));
    out.newGenOpens = !!r4b && !!r4c && equal(r4b.plaintext, pt4) && equal(r4c.plaintext, pt4);
    await a.e2e.memberLeft(2); await b.e2e.memberLeft(2);
    await until(() => a.e2e.canSend());
    const pt5 = random(20);
    const f5 = relay.frame(0, await a.e2e.seal(hdr(1, 11), pt5));
    const nC = c.frames.length;
    const r5b = await recv(b, f5);
    const r5c = await c.e2e.open(f5);
    await sleep(100);
    out.leaverCannotRead = r5c === null && c.frames.length === nC && !!r5b && equal(r5b.plaintext, pt5);
    // 3. Hostile input never throws and is refused.
    const hostile = [new Uint8Array(0), new Uint8Array(15), random(16), random(400), 'x', null, f1.subarray(0, 20)];
    let threw = false;
    for (const h of hostile) {
      try { if ((await b.e2e.open(h)) !== null) threw = true; } catch { threw = true; }
    }
    for (const body of [null, 5, [], { t: 'nope' }, { t: 'key', gen: 0, sealed: 'x' }, { t: 'commit', c: 'AAAA' }]) {
      try { await c.e2e.onE2e(0, a.member.device, body); await b.e2e.onE2e(7, 'zz', body); } catch { threw = true; }
    }
    out.hostileRefused = !threw;
    // A body for slot 0 from a device the server did not announce there: ignored, the pair goes on.
    const refusedBefore = b.e2e.counters().refusedBodies;
    await b.e2e.onE2e(0, b64u(random(32)), { t: 'commit', c: b64u(random(32)) });
    out.otherDeviceIgnored = peerOf(b, 0)?.state === 'authenticated' && b.e2e.counters().refusedBodies === refusedBefore + 1;
    out.stats = b.e2e.counters();
    a.e2e.leave(); b.e2e.leave(); c.e2e.leave();
  }
  // 4. Nobody knows a secret: the spoken code decides; nothing flows before.
  {
    const relay = new FakeRelay();
    const a = await device(RoomE2E, { bilan, role: 'consultant', relay, slot: 0 });
    const b = await device(RoomE2E, { bilan, role: 'beneficiary', relay, slot: 1 });
    await meet(a, b);
    out.sasBlocked = !!(await until(() => peerOf(a, 1)?.state === 'blocked' && peerOf(b, 0)?.state === 'blocked'));
    out.sasCodesEqual = !!a.codes[1] && a.codes[1] === b.codes[0] && /^[0-9]{6}$/.test(a.codes[1]);
    out.sasNoSendBefore = !a.e2e.canSend() && !b.e2e.canSend();
    await a.e2e.answerCode(1, true);
    await b.e2e.answerCode(0, true);
    out.sasAuth = !!(await until(() => a.e2e.canSend() && b.e2e.canSend()));
    out.sasVerified = peerOf(a, 1)?.verified && peerOf(b, 0)?.verified && a.trust.verified.has(b.member.device)
      && b.trust.verified.has(a.member.device);
    const pt = random(64);
    const r = await recv(b, relay.frame(0, await a.e2e.seal(hdr(1, 1), pt)));
    out.sasFrame = !!r && equal(r.plaintext, pt);
    a.e2e.leave(); b.e2e.leave();
    // 5. The same consultant device meets another beneficiary device (no invite):
    // a changed key, and nothing flows until its code is confirmed.
    const relay2 = new FakeRelay();
    const a2 = await device(RoomE2E, { bilan, role: 'consultant', relay: relay2, slot: 0, trust: a.trust, identity: a.id });
    const b2 = await device(RoomE2E, { bilan, role: 'beneficiary', relay: relay2, slot: 1 });
    await meet(a2, b2);
    out.changedKey = !!(await until(() => a2.news.some(([s, st]) => s === 1 && st === 'changed_key')))
      && peerOf(a2, 1)?.state === 'blocked';
    // 6. A known device (verified earlier) is trusted without a new code.
    const relay3 = new FakeRelay();
    const a3 = new RoomE2E({ identity: a.id, bilan, trust: a.trust, send: relay3.sender(0), events: {} });
    relay3.add(0, a3, a.member.device);
    const b3 = new RoomE2E({ identity: b.id, bilan, trust: b.trust, send: relay3.sender(1), events: {} });
    relay3.add(1, b3, b.member.device);
    await a3.joined(0, [a.member]);
    b3.joined(1, [a.member, b.member]);
    a3.memberJoined(b.member);
    out.knownAgain = !!(await until(() => a3.canSend() && b3.canSend()))
      && a3.peers()[0].by === 'known' && b3.peers()[0].by === 'known';
    a2.e2e.leave(); b2.e2e.leave(); a3.leave(); b3.leave();
  }
  return out;
}

/** A relay (the server) in the middle: A meets M1 (announced as slot 1's
 * device), B meets M2; the relay forwards what it likes between the pairs. */
export async function relaySwap() {
  const { RoomE2E } = await import('/web/e2e.js');
  const bilan = 'b_swap-01';
  const secret = random(32);
  const out = {};
  // 1. Two pairs, the relay's devices know no secret: the codes differ and
  //    nothing is sent until someone confirms a code that differs.
  let bConfirm = null, gotB;
  const bConfirmSeen = new Promise((r) => { gotB = r; });
  let forwardProofs = false;
  const relayA = new FakeRelay(async (from, to, body) => {
    if (forwardProofs && from === 1 && body.t === 'confirm') { await bConfirmSeen; return bConfirm; }
    return body;
  });
  const relayB = new FakeRelay(async (from, to, body) => {
    if (from === 1 && body.t === 'confirm') { bConfirm = body; gotB(); }
    return body;
  });
  const a = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relayA, slot: 0 });
  const m1 = await device(RoomE2E, { bilan, role: 'beneficiary', relay: relayA, slot: 1 });
  const m2 = await device(RoomE2E, { bilan, role: 'consultant', relay: relayB, slot: 0 });
  const b = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay: relayB, slot: 1 });
  await meet(a, m1);
  await meet(m2, b);
  out.bothBlocked = !!(await until(() => peerOf(a, 1)?.state === 'blocked' && peerOf(b, 0)?.state === 'blocked'));
  out.codeA = a.codes[1]; out.codeB = b.codes[0];
  // A member comes: A rekeys, and still sends nothing to the blocked pair.
  await a.e2e.memberJoined({ slot: 2, device: b64u(random(32)), role: 'consultant' });
  await sleep(50);
  out.noKeys = !a.e2e.canSend() && !b.e2e.canSend() && !relayA.log.some((x) => x.from === 0 && x.t === 'key')
    && !relayB.log.some((x) => x.from === 1 && x.t === 'key');
  const f = relayA.frame(0, await a.e2e.seal(hdr(1, 1), random(10)));
  out.m1CannotRead = (await m1.e2e.open(f)) === null;
  await a.e2e.answerCode(1, false);
  out.rejectedEnds = !!(await until(() => peerOf(a, 1)?.state === 'refused' && peerOf(m1, 0)?.state === 'refused'));
  for (const d of [a, m1, m2, b]) d.e2e.leave();
  // 2. The relay copies B's invite proof into M1's confirm: A's check fails.
  forwardProofs = true;
  const a2 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relayA, slot: 0 });
  const m12 = await device(RoomE2E, { bilan, role: 'beneficiary', relay: relayA, slot: 1 });
  const m22 = await device(RoomE2E, { bilan, role: 'consultant', relay: relayB, slot: 0 });
  const b2 = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay: relayB, slot: 1 });
  await meet(m22, b2);
  await meet(a2, m12);
  out.macFails = !!(await until(() => a2.news.some(([s, st, d]) => s === 1 && st === 'failed' && /preuve/.test(d || ''))))
    && peerOf(a2, 1)?.state === 'refused';
  out.abortTold = !!(await until(() => m12.news.some(([s, st, d]) => s === 0 && st === 'ended_by_peer' && /preuve/.test(d || ''))));
  for (const d of [a2, m12, m22, b2]) d.e2e.leave();
  // 3. One pair; the relay swaps the revealed bundle for another device's
  //    (signed, but not the committed one): refused as an interception.
  const other = await makeIdentity();
  const otherEph = await x25519Generate();
  const otherBundle = await P.makeBundle(other, bilan, otherEph.pub);
  const relay3 = new FakeRelay(async (from, to, body) => {
    if (from === 1 && body.t === 'reveal') body.bundle = bundleToJson(otherBundle);
    return body;
  });
  const a3 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relay3, slot: 0 });
  const b3 = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay: relay3, slot: 1 });
  await meet(a3, b3);
  out.swapRefused = !!(await until(() => a3.news.some(([s, st, d]) => s === 1 && st === 'failed' && /engagement/.test(d || ''))));
  for (const d of [a3, b3]) d.e2e.leave();
  // 4. The relay announces another device for slot 1 than the one that signs.
  const relay4 = new FakeRelay();
  const a4 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relay4, slot: 0 });
  const b4 = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay: relay4, slot: 1,
    deviceFor: b64u(other.fp) });
  await a4.e2e.joined(0, [a4.member]);
  b4.e2e.joined(1, [a4.member, b4.member]);
  a4.e2e.memberJoined({ ...b4.member, device: b64u(other.fp) });
  out.wrongDeviceRefused = !!(await until(() => a4.news.some(([s, st, d]) => s === 1 && st === 'failed' && /annoncé/.test(d || ''))));
  for (const d of [a4, b4]) d.e2e.leave();
  // 5. A peer whose bundle signature is wrong (it claims keys it cannot sign with).
  const relay5 = new FakeRelay();
  const forger = await makeIdentity();
  forger.sign = async () => random(64);
  const a5 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relay5, slot: 0 });
  const b5 = await device(RoomE2E, { bilan, secrets: [secret], role: 'beneficiary', relay: relay5, slot: 1, identity: forger });
  await meet(a5, b5);
  out.badSignatureRefused = !!(await until(() => a5.news.some(([s, st, d]) => s === 1 && st === 'failed' && /signature/.test(d || ''))));
  for (const d of [a5, b5]) d.e2e.leave();
  // 6. The relay bounces A's own messages back to it as another member's.
  const relay6 = new FakeRelay();
  const a6 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relay6, slot: 0 });
  relay6.add(1, a6.e2e, a6.member.device);
  relay6.sender = (from) => (to, body) => {
    setTimeout(() => a6.e2e.onE2e(1, a6.member.device, JSON.parse(JSON.stringify(body))), 0);
  };
  a6.e2e.sendFn = relay6.sender(0);
  await a6.e2e.joined(0, [a6.member]);
  a6.e2e.memberJoined({ slot: 1, device: a6.member.device, role: 'beneficiary' });
  out.bounceRefused = !!(await until(() => a6.news.some(([s, st, d]) => s === 1 && st === 'failed' && /annoncé/.test(d || ''))));
  a6.e2e.leave();
  // 7. Out of order: a reveal before any commit, then a second commit, each ends the pair.
  for (const [name, bodies, word] of [['revealFirst', ['reveal'], /avant l'engagement/],
    ['secondCommit', ['commit', 'commit'], /second engagement/]]) {
    const relay7 = new FakeRelay();
    const a7 = await device(RoomE2E, { bilan, secrets: [secret], role: 'consultant', relay: relay7, slot: 0 });
    const b7 = await makeIdentity();
    const eph7 = await x25519Generate();
    const bundle7 = await P.makeBundle(b7, bilan, eph7.pub);
    await a7.e2e.joined(0, [a7.member]);
    await a7.e2e.memberJoined({ slot: 1, device: b64u(b7.fp), role: 'beneficiary' });
    for (const t of bodies) {
      const body = t === 'reveal' ? P.buildBody({ t, bundle: bundle7, r: random(32) }) : P.buildBody({ t, c: random(32) });
      await a7.e2e.onE2e(1, b64u(b7.fp), body);
    }
    out[name] = a7.news.some(([s, st, d]) => s === 1 && st === 'failed' && word.test(d || ''))
      && relay7.log.some((x) => x.from === 0 && x.t === 'abort');
    a7.e2e.leave();
  }
  return out;
}

// ---- one RoomE2E paired with the native state machine (web_e2e_peer) ----
// The test's Python relays: it drains webOutbox() to the native peer and
// hands the native peer's bodies and frames to webCmd().

export async function webPeer({ bilan, secrets = [], role, slot }) {
  const { RoomE2E } = await import('/web/e2e.js');
  const id = await makeIdentity();
  const w = { id, outbox: [], codes: {}, news: [], frames: [] };
  w.e2e = new RoomE2E({
    identity: id, bilan, secrets: secrets.map((s) => unb64u(s)), trust: memTrust(),
    send: (to, body) => { w.outbox.push({ to, body: JSON.parse(JSON.stringify(body)) }); },
    events: {
      onCode: (s, c) => { w.codes[s] = c; },
      onPeer: (s, st, d) => { w.news.push([s, st, d]); },
      onFrame: (s, kind, header, pt) => { w.frames.push({ s, kind, pt: b64u(pt) }); },
    },
  });
  w.member = { slot, device: b64u(id.fp), role };
  state.web = w;
  return w.member;
}

export function webOutbox() { const o = state.web.outbox; state.web.outbox = []; return o; }

/** One command to the browser's RoomE2E; its result as JSON. */
export async function webCmd(c) {
  const w = state.web;
  switch (c.cmd) {
    case 'joined': return w.e2e.joined(c.slot, c.members);
    case 'member_joined': return w.e2e.memberJoined(c.member);
    case 'member_left': return w.e2e.memberLeft(c.slot);
    case 'body': await w.e2e.onE2e(c.from, c.device, c.body); return true;
    case 'answer': await w.e2e.answerCode(c.slot, c.confirmed); return true;
    case 'seal': {
      const f = await w.e2e.seal(unb64u(c.header), unb64u(c.pt));
      return f && b64u(f);
    }
    case 'open': {
      const f = unb64u(c.frame);
      if (c.slot !== undefined) f[3] = c.slot;
      const r = await w.e2e.open(f);
      return r && { slot: r.slot, kind: r.kind, header: b64u(r.header), pt: b64u(r.plaintext) };
    }
    case 'state':
      await w.e2e.idle();
      return { canSend: w.e2e.canSend(), peers: w.e2e.peers(), codes: w.codes, news: w.news, frames: w.frames,
        stats: w.e2e.counters() };
    case 'leave': w.e2e.leave(); return true;
    default: return null;
  }
}

// ---- receipts (§9.3-9.4) ----

/** A browser device for the receipts test: its fingerprint, kept in state. */
export async function receiptDevice() {
  state.rdev = await makeIdentity();
  return b64u(state.rdev.fp);
}

/** What the browser makes and checks of a record: its text, its receipt and
 * refusal, and its verdict on C's. */
export async function receipts({ record, cReceipt, cRefusal, reason, other }) {
  const R = await import('/web/receipts.js');
  const r = R.parseRecord(record);
  const out = { parsed: !!r };
  if (!r) return out;
  out.text = R.recordText(r);
  out.receipt = await R.signReceipt(state.rdev, r, { receivedAudioMs: 61000, sasVerified: true });
  out.refusal = await R.signRefusal(state.rdev, r, reason);
  out.cReceipt = cReceipt ? await R.verifyReceipt(record, cReceipt) : 'none';
  out.cRefusal = cRefusal ? await R.verifyRefusal(record, cRefusal) : 'none';
  if (cReceipt) {
    const ftf = { ...record, face_to_face_ms: record.face_to_face_ms + 1 };
    out.cReceiptOtherRecord = await R.verifyReceipt(ftf, cReceipt);
    out.cReceiptOtherSas = await R.verifyReceipt(record, { ...cReceipt, sas_verified: !cReceipt.sas_verified });
    out.cReceiptOtherKey = await R.verifyReceipt(record, { ...cReceipt, dh_pub: other });
    out.cRefusalOtherReason = await R.verifyRefusal(record, { ...cRefusal, reason: cRefusal.reason + '.' });
  }
  const unsorted = { ...record, participants: [...record.participants].reverse() };
  out.unsortedRefused = record.participants.length > 1 && R.parseRecord(unsorted) === null;
  const notMe = { ...record, participants: record.participants.filter((p) => p !== b64u(state.rdev.fp)) };
  out.notNamedRefused = (await R.signReceipt(state.rdev, R.parseRecord(notMe))) === null;
  // A well-signed receipt of a record that does not name its signer: refused all the same.
  const forged = { signer: b64u(state.rdev.fp), sign_pub: b64u(state.rdev.signPub), dh_pub: b64u(state.rdev.dhPub),
    received_audio_ms: 0, sas_verified: false,
    sig: b64u(await state.rdev.sign(R.receiptMessage(R.parseRecord(notMe), state.rdev.fp, 0, false))) };
  out.notParticipantRefused = /participant/.test((await R.verifyReceipt(notMe, forged)) || '');
  out.badReasonRefused = (await R.signRefusal(state.rdev, r, 'deux\nlignes')) === null;
  return out;
}
