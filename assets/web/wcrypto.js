// wcrypto.js: the primitives of PROTOCOL.md §8 (SHA-256, HMAC-SHA256,
// HKDF-SHA256, AES-GCM, X25519, Ed25519) over WebCrypto only, never a
// hand-made primitive. Private keys are CryptoKey objects; those made here
// for the device identity are non-extractable.
import { concat } from './bytes.js';

const subtle = globalThis.crypto.subtle;

export async function sha256(...parts) {
  return new Uint8Array(await subtle.digest('SHA-256', concat(...parts)));
}

export async function hmacSha256(key, ...parts) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, concat(...parts)));
}

/** HKDF-Extract (RFC 5869 §2.2): HMAC-SHA256(salt, ikm); an empty salt is 32 zero bytes. */
export async function hkdfExtract(salt, ikm) {
  return hmacSha256(salt.length ? salt : new Uint8Array(32), ikm);
}

/** HKDF-Expand (RFC 5869 §2.3) of prk, len bytes (at most 255 * 32). */
export async function hkdfExpand(prk, info, len) {
  const out = new Uint8Array(len);
  let t = new Uint8Array(0);
  for (let i = 1, o = 0; o < len; i++) {
    t = await hmacSha256(prk, t, info, Uint8Array.of(i));
    out.set(t.subarray(0, Math.min(32, len - o)), o);
    o += 32;
  }
  return out;
}

/** HKDF-SHA256 (extract then expand), len bytes. */
export async function hkdf(salt, ikm, info, len) {
  const k = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, k, len * 8));
}

/** AES-GCM key (16 bytes: AES-128, 32: AES-256) as a CryptoKey for both directions. */
export async function aesKey(raw) {
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** ciphertext || tag (16 bytes). key: a CryptoKey from aesKey. */
export async function aesGcmSeal(key, nonce, aad, plain) {
  return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 },
    key, plain));
}

/** The plaintext, or null when authentication fails. */
export async function aesGcmOpen(key, nonce, aad, sealed) {
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 },
      key, sealed));
  } catch {
    return null;
  }
}

/** A fresh X25519 pair; the private key is not extractable. pub: 32 bytes. */
export async function x25519Generate() {
  const kp = await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
  const pub = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
  return { priv: kp.privateKey, pub };
}

/** X25519(priv, peerPub): 32 bytes; null when the peer's key gives the
 * all-zero secret (a low-order point), which no honest peer sends. */
export async function x25519(priv, peerPub) {
  try {
    const pk = await subtle.importKey('raw', peerPub, { name: 'X25519' }, false, []);
    return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pk }, priv, 256));
  } catch {
    return null;
  }
}

/** A fresh Ed25519 pair; the private key is not extractable. pub: 32 bytes. */
export async function ed25519Generate() {
  const kp = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const pub = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
  return { priv: kp.privateKey, pub };
}

export async function ed25519Sign(priv, msg) {
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, priv, msg));
}

/** false for a bad key, a bad signature or a malformed one. */
export async function ed25519Verify(pub, msg, sig) {
  try {
    const k = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    return await subtle.verify({ name: 'Ed25519' }, k, sig, msg);
  } catch {
    return false;
  }
}
