// sheets_keys.js: the bilan's document key (PROTOCOL.md §10.2,
// docs/WORKSHEETS.md "Keys"): its id, its wrap from one device to another
// (X25519 static-static between the two devices' enrolled keys, HKDF-SHA256,
// AES-256-GCM), and the rules of whose wrap a device opens.
//
//   shared = X25519(A's dh_priv, B's dh_pub)
//   K      = HKDF-SHA256(salt = "bilan-ws-wrap-v1", ikm = shared,
//                        info = u8 len(bilan) || bilan || A fp || B fp)
//   wrap   = nonce (12) || AES-256-GCM(K, nonce, aad, key) || tag (16)   60 bytes
//   aad    = "bilan-ws-wrap-v1" 0x00 || info
//   kid    = base64url(SHA-256("bilan-ws-kid-v1" 0x00 || key)[0..15])
//
// Owns: those layouts, and takeWrap's checks (a wrap is opened only from
// this device itself or from a device authenticated in the bilan's room;
// its keys must give its fingerprint; the key's kid must be the bilan's).
// Must never: log a key, a wrap's plaintext or the shared secret; open a
// wrap from a device the caller did not vouch for.
import { b64u, unb64u, utf8, concat, label0, random, equal } from './bytes.js';
import { sha256, hkdf, aesKey, aesGcmSeal, aesGcmOpen, x25519 } from './wcrypto.js';

export const KEY_LEN = 32, WRAP_LEN = 60;
const WRAP_LABEL = 'bilan-ws-wrap-v1';

export class KeyError extends Error {}

/** The key's id: 22 characters. */
export async function kidOf(key) {
  return b64u((await sha256(label0('bilan-ws-kid-v1'), key)).subarray(0, 16));
}

/** fp = SHA-256("bilan-device-v1" || sign_pub || dh_pub) (PROTOCOL.md §2.1). */
export async function fingerprint(signPub, dhPub) {
  return sha256(utf8('bilan-device-v1'), signPub, dhPub);
}

function info(bilan, fromFp, toFp) {
  if (typeof bilan !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(bilan)) throw new KeyError('bilan is not an identifier');
  if (fromFp.length !== 32 || toFp.length !== 32) throw new KeyError('a fingerprint is 32 bytes');
  const b = utf8(bilan);
  return concat(Uint8Array.of(b.length), b, fromFp, toFp);
}

async function wrapCipher(myDhPriv, peerDhPub, inf) {
  const shared = await x25519(myDhPriv, peerDhPub);
  if (!shared) throw new KeyError('X25519 failed');
  const k = await hkdf(utf8(WRAP_LABEL), shared, inf, 32);
  shared.fill(0);
  const key = await aesKey(k);
  k.fill(0);
  return key;
}

/** A wrap of key from this device (identity: {dhPriv, fp}) to (toDhPub, toFp). */
export async function wrapKey(identity, toDhPub, toFp, bilan, key) {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LEN) throw new KeyError('the document key is 32 bytes');
  const inf = info(bilan, identity.fp, toFp);
  const c = await wrapCipher(identity.dhPriv, toDhPub, inf);
  const nonce = random(12);
  return concat(nonce, await aesGcmSeal(c, nonce, concat(label0(WRAP_LABEL), inf), key));
}

/** Opens a wrap made for this device by (fromDhPub, fromFp): the key, or null. */
export async function unwrapKey(identity, fromDhPub, fromFp, bilan, wrap) {
  if (!(wrap instanceof Uint8Array) || wrap.length !== WRAP_LEN) return null;
  let c, inf;
  try {
    inf = info(bilan, fromFp, identity.fp);
    c = await wrapCipher(identity.dhPriv, fromDhPub, inf);
  } catch {
    return null;
  }
  return aesGcmOpen(c, wrap.subarray(0, 12), concat(label0(WRAP_LABEL), inf), wrap.subarray(12));
}

/** One entry of sheet_keys ({from, sign_pub, dh_pub, wrap}) checked as
 * §10.2 says and opened: {key, kid} or {why} (never the key in why).
 * isAuthenticated(fpB64) -> Promise<bool>: whether this device
 * authenticated that device in this bilan's room (§8.2). */
export async function takeWrap(identity, bilan, entry, kid, isAuthenticated) {
  const from = entry && unb64u(entry.from, 32);
  const signPub = entry && unb64u(entry.sign_pub, 32);
  const dhPub = entry && unb64u(entry.dh_pub, 32);
  const wrap = entry && unb64u(entry.wrap, WRAP_LEN);
  if (!from || !signPub || !dhPub || !wrap || typeof kid !== 'string') return { why: 'malformed' };
  if (!equal(await fingerprint(signPub, dhPub), from)) return { why: 'its keys do not match its fingerprint' };
  const self = equal(from, identity.fp);
  if (!self && !(await isAuthenticated(entry.from))) {
    return { why: 'from a device this one never authenticated in the bilan\'s room' };
  }
  const key = await unwrapKey(identity, dhPub, from, bilan, wrap);
  if (!key) return { why: 'does not open' };
  const k = await kidOf(key);
  if (k !== kid) { key.fill(0); return { why: 'the key is not the bilan\'s' }; }
  return { key, kid: k };
}

/** A fresh document key and its id. */
export async function newDocKey() {
  const key = random(KEY_LEN);
  return { key, kid: await kidOf(key) };
}
