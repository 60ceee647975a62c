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
