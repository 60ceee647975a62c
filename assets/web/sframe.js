// sframe.js: SFrame (RFC 9605, cipher suite AES_128_GCM_SHA256_128 = 0x0004)
// on every binary frame, as PROTOCOL.md §8.4 and proto/sframe.c do it: the
// KID layout (gen * 16 + stream), per-KID key and salt, the header codec,
// nonce = salt XOR CTR, AAD = SFrame header || routing header without its
// sender-slot byte, the counter cap, and the 128-counter replay window.
//
// KIDs and counters are BigInt in the header codec (a KID may be up to
// 2^64 - 1 on the wire); functions also accept Numbers.
// Must never: hand back plaintext that did not authenticate, or throw on a
// frame from the network (malformed input gives null).
import { concat } from './bytes.js';
import { aesGcmOpen, aesGcmSeal, aesKey, hkdfExpand, hkdfExtract } from './wcrypto.js';

export const SUITE = 0x0004;
export const NK = 16;
export const NN = 12;
export const NT = 16;
export const HDR_LEN = 16;          // the routing header (§4)
export const META_LEN = 15;
export const STREAMS = 16;
export const CTR_MAX = (1n << 48n) - 1n;
export const REPLAY_WINDOW = 128n;
const U64_MAX = (1n << 64n) - 1n;

/** §4 table: the SFrame stream of each kind (1 audio, 2 video, 3 data). */
export const STREAM_OF_KIND = Object.freeze({ 1: 1, 2: 2, 3: 3 });

export function kid(gen, stream) { return BigInt(gen) * BigInt(STREAMS) + BigInt(stream); }
export function kidGen(k) { return BigInt(k) / BigInt(STREAMS); }
export function kidStream(k) { return Number(BigInt(k) % BigInt(STREAMS)); }

function be(v, n) {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function minBytes(v) {
  let n = 1;
  while (n < 8 && (v >> BigInt(8 * n)) !== 0n) n++;
  return n;
}

function label(prefix, k) {
  const p = new TextEncoder().encode(prefix);
  return concat(p, be(BigInt(k), 8), Uint8Array.of(SUITE >> 8, SUITE & 0xff));
}

/** Keys of one KID: sframe_secret = HKDF-Extract("", base_key), key and salt
 * by HKDF-Expand with "SFrame 1.0 Secret key " / "... salt " || KID (u64 BE) || 0x0004.
 * Returns {kid, key (CryptoKey), salt}, or null for an empty base key. `raw`
 * (the key bytes) is returned only when withRaw is set, for the vectors test. */
export async function deriveKey(baseKey, k, withRaw = false) {
  if (!(baseKey instanceof Uint8Array) || baseKey.length === 0) return null;
  k = BigInt(k);
  if (k < 0n || k > U64_MAX) return null;
  const secret = await hkdfExtract(new Uint8Array(0), baseKey);
  const raw = await hkdfExpand(secret, label('SFrame 1.0 Secret key ', k), NK);
  const salt = await hkdfExpand(secret, label('SFrame 1.0 Secret salt ', k), NN);
  secret.fill(0);
  const out = { kid: k, key: await aesKey(raw), salt };
  if (withRaw) out.raw = raw; else raw.fill(0);
  return out;
}

/** RFC 9605 §4.3 header, minimal form. */
export function encodeHeader(k, ctr) {
  k = BigInt(k); ctr = BigInt(ctr);
  let cfg = 0;
  const parts = [];
  if (k < 8n) cfg |= Number(k) << 4;
  else { const n = minBytes(k); cfg |= 0x80 | ((n - 1) << 4); parts.push(be(k, n)); }
  if (ctr < 8n) cfg |= Number(ctr);
  else { const n = minBytes(ctr); cfg |= 0x08 | (n - 1); parts.push(be(ctr, n)); }
  return concat(Uint8Array.of(cfg), ...parts);
}

/** {kid, ctr, len} or null when in is too short. Non-minimal forms are read
 * as RFC 9605 decoders do; they cannot authenticate anyway (the header is AAD). */
export function decodeHeader(inp) {
  if (!(inp instanceof Uint8Array) || inp.length < 1) return null;
  const cfg = inp[0];
  const klen = cfg & 0x80 ? ((cfg >> 4) & 7) + 1 : 0;
  const clen = cfg & 0x08 ? (cfg & 7) + 1 : 0;
  if (inp.length - 1 < klen + clen) return null;
  let k = klen ? 0n : BigInt((cfg >> 4) & 7);
  let c = clen ? 0n : BigInt(cfg & 7);
  let pos = 1;
  for (let i = 0; i < klen; i++) k = (k << 8n) | BigInt(inp[pos++]);
  for (let i = 0; i < clen; i++) c = (c << 8n) | BigInt(inp[pos++]);
  return { kid: k, ctr: c, len: pos };
}

function nonce(salt, ctr) {
  const n = salt.slice();
  const c = be(BigInt(ctr), 8);
  for (let i = 0; i < 8; i++) n[NN - 8 + i] ^= c[i];
  return n;
}

/** The AAD metadata of a routing header: bytes 0-2 and 4-15 (the server
 * rewrites byte 3, the sender slot). */
export function meta(routingHeader) {
  return concat(routingHeader.subarray(0, 3), routingHeader.subarray(4, HDR_LEN));
}

/** SFrame header || ciphertext || tag with AAD = header || metadata; null past CTR_MAX. */
export async function seal(k, ctr, metadata, pt) {
  ctr = BigInt(ctr);
  if (ctr < 0n || ctr > CTR_MAX) return null;
  const hdr = encodeHeader(k.kid, ctr);
  const ct = await aesGcmSeal(k.key, nonce(k.salt, ctr), concat(hdr, metadata), pt);
  return concat(hdr, ct);
}

/** {pt, ctr} or null: malformed, a KID not k's, CTR above the cap, or
 * failed authentication. */
export async function open(k, metadata, sframe) {
  const h = decodeHeader(sframe);
  if (!h || h.kid !== k.kid || h.ctr > CTR_MAX || sframe.length - h.len < NT) return null;
  const pt = await aesGcmOpen(k.key, nonce(k.salt, h.ctr), concat(sframe.subarray(0, h.len), metadata),
    sframe.subarray(h.len));
  return pt ? { pt, ctr: h.ctr } : null;
}

/** Accepts each counter once, and none 128 or more below the highest seen. */
export class ReplayWindow {
  constructor() { this.top = -1n; this.bits = 0n; }   // bit i: top - i seen

  /** true when ctr would be fresh. */
  check(ctr) {
    ctr = BigInt(ctr);
    if (this.top < 0n || ctr > this.top) return true;
    const d = this.top - ctr;
    if (d >= REPLAY_WINDOW) return false;
    return ((this.bits >> d) & 1n) === 0n;
  }

  /** Records ctr; call only after the frame authenticated. */
  update(ctr) {
    ctr = BigInt(ctr);
    const mask = (1n << REPLAY_WINDOW) - 1n;
    if (this.top < 0n) { this.top = ctr; this.bits = 1n; return; }
    if (ctr > this.top) {
      const s = ctr - this.top;
      this.bits = s >= REPLAY_WINDOW ? 1n : ((this.bits << s) | 1n) & mask;
      this.top = ctr;
      return;
    }
    const d = this.top - ctr;
    if (d < REPLAY_WINDOW) this.bits |= 1n << d;
  }
}

/** A whole binary frame: routing header || SFrame under k. null past the cap. */
export async function sealFrame(k, ctr, routingHeader, pt) {
  const s = await seal(k, ctr, meta(routingHeader), pt);
  return s && concat(routingHeader.subarray(0, HDR_LEN), s);
}

/** The KID and CTR of a whole binary frame, with the check that the KID's
 * stream is the stream of the frame's kind (§8.4); null otherwise. */
export function frameKid(frame) {
  if (!(frame instanceof Uint8Array) || frame.length < HDR_LEN) return null;
  const h = decodeHeader(frame.subarray(HDR_LEN));
  if (!h) return null;
  const stream = STREAM_OF_KIND[frame[1]];
  if (stream === undefined || kidStream(h.kid) !== stream) return null;
  return h;
}

/** Opens a whole binary frame with k and its replay window w: {pt, ctr} or
 * null (malformed, wrong stream, replayed, failed authentication). */
export async function openFrame(k, w, frame) {
  const h = frameKid(frame);
  if (!h || h.kid !== k.kid) return null;
  if (!w.check(h.ctr)) return null;
  const r = await open(k, meta(frame), frame.subarray(HDR_LEN));
  if (!r || r.ctr !== h.ctr) return null;
  w.update(r.ctr);
  return r;
}
