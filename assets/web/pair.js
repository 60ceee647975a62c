// pair.js: the pairwise constructions of PROTOCOL.md §2.1 and §8.2-8.3, byte
// for byte as proto/ident.c and proto/pair.c build them: the device
// fingerprint, signed bundles, commitments, the transcript T, the invite key
// K and secret id sid(S), the confirm MAC, the 6-digit code (SAS), the pair
// key, the sealing of a sender's base key to one peer; and the e2e bodies
// (parse and build) that carry them.
//
// Pure async functions over wcrypto.js (WebCrypto only) and bytes.js. Every
// function that takes bytes from a peer returns null/false on bad input
// instead of throwing, so a hostile body can never break the caller.
// Labels are ASCII without terminator unless label0 (a 0x00 after it) is
// used; len(bilan) is one byte; a bilan is an id of 1..64 [A-Za-z0-9_-].
import { b64u, concat, equal, compare, label0, random, u64be, unb64u, utf8 } from './bytes.js';
import { aesGcmOpen, aesGcmSeal, aesKey, ed25519Verify, hkdf, hmacSha256, sha256, x25519 } from './wcrypto.js';

export const KEY_LEN = 32;
export const SIG_LEN = 64;
export const FP_LEN = 32;
export const BUNDLE_LEN = 160;
export const MAC_LEN = 32;
export const SECRET_LEN = 32;
export const SECRET_ID_LEN = 8;
export const BASE_KEY_LEN = 16;
export const SEALED_KEY_LEN = 12 + BASE_KEY_LEN + 16;
export const PROOFS_MAX = 8;
export const REASON_MAX = 200;
export const GEN_MAX = 2 ** 40;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** u8 len(bilan) || bilan, or null when bilan is not an id (the C side
 * refuses such a bilan before filling any buffer). */
function bilanField(bilan) {
  if (typeof bilan !== 'string' || !ID_RE.test(bilan)) return null;
  const b = utf8(bilan);
  return concat(Uint8Array.of(b.length), b);
}

function isBytes(x, n) { return x instanceof Uint8Array && x.length === n; }

/** §2.1: SHA-256("bilan-device-v1" || sign_pub || dh_pub), no separator. */
export async function fingerprint(signPub, dhPub) {
  return sha256(utf8('bilan-device-v1'), signPub, dhPub);
}

/** What the identity signs: "bilan-bundle-v1" 0x00 || len(bilan) || bilan || sign_pub || dh_pub || eph. */
export function bundleMessage(bilan, signPub, dhPub, eph) {
  const bf = bilanField(bilan);
  if (!bf) return null;
  return concat(label0('bilan-bundle-v1'), bf, signPub, dhPub, eph);
}

/** identity: {signPub, dhPub, sign(msg) -> Promise<Uint8Array(64)>}. */
export async function makeBundle(identity, bilan, ephPub) {
  const msg = bundleMessage(bilan, identity.signPub, identity.dhPub, ephPub);
  if (!msg) return null;
  const sig = await identity.sign(msg);
  return { signPub: identity.signPub, dhPub: identity.dhPub, eph: ephPub, sig };
}

export async function verifyBundle(b, bilan) {
  if (!b || !isBytes(b.signPub, KEY_LEN) || !isBytes(b.dhPub, KEY_LEN) || !isBytes(b.eph, KEY_LEN) ||
      !isBytes(b.sig, SIG_LEN)) return false;
  const msg = bundleMessage(bilan, b.signPub, b.dhPub, b.eph);
  if (!msg) return false;
  return ed25519Verify(b.signPub, msg, b.sig);
}

export function bundleBytes(b) { return concat(b.signPub, b.dhPub, b.eph, b.sig); }

export function bundleFromBytes(x) {
  if (!isBytes(x, BUNDLE_LEN)) return null;
  return { signPub: x.slice(0, 32), dhPub: x.slice(32, 64), eph: x.slice(64, 96), sig: x.slice(96, 160) };
}

export async function bundleFp(b) { return fingerprint(b.signPub, b.dhPub); }

/** c = SHA-256("bilan-commit-v1" 0x00 || bundle || r). */
export async function commit(b, r) {
  return sha256(label0('bilan-commit-v1'), bundleBytes(b), r);
}

/** T = SHA-256("bilan-pair-v1" 0x00 || len(bilan) || bilan || P1 || P2), P = bundle || r,
 * the side with the smaller identity fingerprint first. null for a bad bilan. */
export async function transcript(bilan, a, ra, b, rb) {
  const bf = bilanField(bilan);
  if (!bf) return null;
  const fa = await bundleFp(a), fb = await bundleFp(b);
  const pa = concat(bundleBytes(a), ra), pb = concat(bundleBytes(b), rb);
  const [p1, p2] = compare(fa, fb) < 0 ? [pa, pb] : [pb, pa];
  return sha256(label0('bilan-pair-v1'), bf, p1, p2);
}

/** K = HKDF-SHA256(salt "bilan-invite-v1", ikm S, info bilan), 32 bytes. */
export async function inviteKey(secret, bilan) {
  if (!bilanField(bilan) || !isBytes(secret, SECRET_LEN)) return null;
  return hkdf(utf8('bilan-invite-v1'), secret, utf8(bilan), 32);
}

/** sid(S) = first 8 bytes of HKDF-SHA256(salt "bilan-invite-id-v1", ikm S, info bilan). */
export async function secretId(secret, bilan) {
  if (!bilanField(bilan) || !isBytes(secret, SECRET_LEN)) return null;
  return hkdf(utf8('bilan-invite-id-v1'), secret, utf8(bilan), SECRET_ID_LEN);
}

/** HMAC-SHA256(K, "bilan-confirm-v1" 0x00 || T || fp of the side that sends it). */
export async function inviteMac(secret, bilan, t, fp) {
  const k = await inviteKey(secret, bilan);
  if (!k) return null;
  const mac = await hmacSha256(k, label0('bilan-confirm-v1'), t, fp);
  k.fill(0);
  return mac;
}

/** The 6 digits: first 4 bytes of HKDF-SHA256(salt "", ikm T, info "bilan-sas-v1")
 * big-endian, mod 10^6, as a string of 6 digits ("482913"). */
export async function sas(t) {
  const d = await hkdf(new Uint8Array(0), t, utf8('bilan-sas-v1'), 4);
  const v = (((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0) % 1000000;
  return String(v).padStart(6, '0');
}

/** "482913" -> "482 913", as the native client writes it. */
export function sasDisplay(code) { return `${code.slice(0, 3)} ${code.slice(3)}`; }

/** K_pair = HKDF-SHA256(salt T, ikm X25519(eph, peer_eph), info "bilan-pair-key-v1"),
 * or null when the peer's key is not usable. ephPriv: a CryptoKey (X25519). */
export async function pairKey(ephPriv, peerEph, t) {
  if (!isBytes(peerEph, KEY_LEN)) return null;
  const shared = await x25519(ephPriv, peerEph);
  if (!shared) return null;
  const k = await hkdf(t, shared, utf8('bilan-pair-key-v1'), 32);
  shared.fill(0);
  return k;
}

/** AAD "bilan-senderkey-v1" 0x00 || len(bilan) || bilan || fp_sender || fp_recipient || g (u64 BE). */
export function senderKeyAad(bilan, fromFp, toFp, gen) {
  const bf = bilanField(bilan);
  if (!bf) return null;
  return concat(label0('bilan-senderkey-v1'), bf, fromFp, toFp, u64be(gen));
}

/** nonce12 || AES-256-GCM(K_pair, nonce, base_key) || tag16 (44 bytes). */
export async function sealSenderKey(pairKeyBytes, bilan, fromFp, toFp, gen, baseKey) {
  const aad = senderKeyAad(bilan, fromFp, toFp, gen);
  if (!aad || !isBytes(baseKey, BASE_KEY_LEN)) return null;
  const nonce = random(12);
  const k = await aesKey(pairKeyBytes);
  return concat(nonce, await aesGcmSeal(k, nonce, aad, baseKey));
}

/** The 16-byte base key, or null when it does not authenticate (wrong pair,
 * sender, recipient, bilan or generation). */
export async function openSenderKey(pairKeyBytes, bilan, fromFp, toFp, gen, sealed) {
  if (!isBytes(sealed, SEALED_KEY_LEN)) return null;
  const aad = senderKeyAad(bilan, fromFp, toFp, gen);
  if (!aad) return null;
  const k = await aesKey(pairKeyBytes);
  const pt = await aesGcmOpen(k, sealed.subarray(0, 12), aad, sealed.subarray(12));
  return pt && pt.length === BASE_KEY_LEN ? pt : null;
}

// ---- e2e bodies (§8.2-8.3), as strict as bp_e2e_parse ----

function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

function field(o, name, n) {
  const v = o[name];
  return typeof v === 'string' ? unb64u(v, n) : null;
}

/** A reason: 1..200 UTF-8 bytes, no control character. */
function reasonOk(s) {
  if (typeof s !== 'string') return false;
  const n = utf8(s).length;
  if (n < 1 || n > REASON_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    // Lone surrogates are not UTF-8 (TextEncoder would replace them).
    if (c >= 0xd800 && c <= 0xdfff) {
      const hi = c <= 0xdbff, nx = s.charCodeAt(i + 1);
      if (!hi || !(nx >= 0xdc00 && nx <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/** A relayed body -> {t, ...bytes} or null when it is not a valid body.
 * Unknown fields are ignored, as the C side does (a bare "mac" of old clients). */
export function parseBody(body) {
  if (!isObj(body)) return null;
  switch (body.t) {
    case 'commit': {
      const c = field(body, 'c', 32);
      return c && { t: 'commit', c };
    }
    case 'reveal': {
      const b = body.bundle;
      if (!isObj(b)) return null;
      const signPub = field(b, 'sign_pub', KEY_LEN), dhPub = field(b, 'dh_pub', KEY_LEN);
      const eph = field(b, 'eph', KEY_LEN), sig = field(b, 'sig', SIG_LEN), r = field(body, 'r', 32);
      if (!signPub || !dhPub || !eph || !sig || !r) return null;
      return { t: 'reveal', bundle: { signPub, dhPub, eph, sig }, r };
    }
    case 'confirm': {
      const proofs = [];
      if (body.proofs !== undefined) {
        if (!Array.isArray(body.proofs) || body.proofs.length > PROOFS_MAX) return null;
        for (const p of body.proofs) {
          if (!isObj(p)) return null;
          const sid = field(p, 'sid', SECRET_ID_LEN), mac = field(p, 'mac', MAC_LEN);
          if (!sid || !mac) return null;
          if (proofs.some((q) => equal(q.sid, sid))) return null;
          proofs.push({ sid, mac });
        }
      }
      return { t: 'confirm', proofs };
    }
    case 'sas':
      if (body.result !== 'confirmed' && body.result !== 'rejected') return null;
      return { t: 'sas', confirmed: body.result === 'confirmed' };
    case 'key': {
      const g = body.gen;
      if (!Number.isSafeInteger(g) || g < 1 || g > GEN_MAX) return null;
      const sealed = field(body, 'sealed', SEALED_KEY_LEN);
      return sealed && { t: 'key', gen: g, sealed };
    }
    case 'abort':
      return reasonOk(body.reason) ? { t: 'abort', reason: body.reason } : null;
    default:
      return null;
  }
}

/** The wire body of a message as parseBody returns it. */
export function buildBody(m) {
  switch (m.t) {
    case 'commit': return { t: 'commit', c: b64u(m.c) };
    case 'reveal':
      return {
        t: 'reveal',
        bundle: { sign_pub: b64u(m.bundle.signPub), dh_pub: b64u(m.bundle.dhPub), eph: b64u(m.bundle.eph),
          sig: b64u(m.bundle.sig) },
        r: b64u(m.r),
      };
    case 'confirm':
      return m.proofs && m.proofs.length
        ? { t: 'confirm', proofs: m.proofs.map((p) => ({ sid: b64u(p.sid), mac: b64u(p.mac) })) }
        : { t: 'confirm' };
    case 'sas': return { t: 'sas', result: m.confirmed ? 'confirmed' : 'rejected' };
    case 'key': return { t: 'key', gen: m.gen, sealed: b64u(m.sealed) };
    case 'abort': return { t: 'abort', reason: m.reason };
    default: return null;
  }
}
