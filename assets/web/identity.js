// identity.js: this browser's device identity (PROTOCOL §2.1): an Ed25519
// signing key and an X25519 key made by WebCrypto on first use, the private
// halves non-extractable CryptoKeys kept in IndexedDB (structured clone keeps
// a CryptoKey without ever exporting it), the device fingerprint, and the
// two handshake signatures of §2.2 (`auth`, `enrol`).

import { b64u, concat, hex, label0, utf8 } from './bytes.js';
import { ed25519Generate, ed25519Sign, sha256, x25519Generate } from './wcrypto.js';
import { add, get } from './store.js';

const RECORD = 'device';

/** fp = SHA-256("bilan-device-v1" || sign_pub || dh_pub), 32 bytes. */
export async function fingerprint(signPub, dhPub) {
  return sha256(utf8('bilan-device-v1'), signPub, dhPub);
}

/** The first 16 bytes in hex, in groups of four, as people see it (§2.1). */
export function fingerprintText(fp) {
  return hex(fp.subarray(0, 16)).match(/.{4}/g).join(' ');
}

function usable(rec) {
  return rec && rec.signPriv instanceof CryptoKey && rec.dhPriv instanceof CryptoKey &&
    rec.signPub instanceof Uint8Array && rec.signPub.length === 32 &&
    rec.dhPub instanceof Uint8Array && rec.dhPub.length === 32;
}

/** The device identity, made and stored on first use. Two tabs opening at
 * once both make keys; the first stored wins and both use it. */
export async function loadIdentity() {
  let rec = await get('identity', RECORD);
  if (!usable(rec)) {
    const sign = await ed25519Generate();
    const dh = await x25519Generate();
    const made = { signPriv: sign.priv, signPub: sign.pub, dhPriv: dh.priv, dhPub: dh.pub,
      created: Date.now(), enrolled: false };
    await add('identity', RECORD, made);
    rec = await get('identity', RECORD);
    if (!usable(rec)) throw new Error('identity not stored');
  }
  return makeIdentity(rec);
}

async function makeIdentity(rec) {
  const fp = await fingerprint(rec.signPub, rec.dhPub);
  return {
    signPub: rec.signPub,
    dhPub: rec.dhPub,
    dhPriv: rec.dhPriv,
    fp,
    fpB64: b64u(fp),
    sign: (msg) => ed25519Sign(rec.signPriv, msg),
    // For the tests and the page's "about" line: are the private keys sealed?
    extractable: () => rec.signPriv.extractable || rec.dhPriv.extractable,
  };
}

/** `auth.sig`: Ed25519 over "bilan-auth-v1" 0x00 || nonce || sign_pub || dh_pub. */
export function authSignature(id, nonce) {
  return id.sign(concat(label0('bilan-auth-v1'), nonce, id.signPub, id.dhPub));
}

/** `enrol.sig`: Ed25519 over "bilan-enrol-v1" 0x00 || nonce || sign_pub ||
 * dh_pub || SHA-256(token), token as its 32 raw bytes. */
export async function enrolSignature(id, nonce, tokenBytes) {
  const th = await sha256(tokenBytes);
  return id.sign(concat(label0('bilan-enrol-v1'), nonce, id.signPub, id.dhPub, th));
}
