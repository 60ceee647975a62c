// bytes.js: byte strings for the wire (PROTOCOL.md §2.1, §3): strict
// base64url without padding, UTF-8, big-endian integers, concatenation,
// constant-shape comparison. Pure; no I/O, no crypto.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INV = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** base64url without padding (RFC 4648 §5). */
export function b64u(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (bytes.length - i === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63];
  } else if (bytes.length - i === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63];
  }
  return out;
}

/** Strict base64url decoding: no padding, no other character, and the
 * unused low bits of the last character must be zero (one encoding per
 * value, as the C side requires). Returns null when s is not valid; when
 * len is given, also when the result does not have that length. */
export function unb64u(s, len) {
  if (typeof s !== 'string' || s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let o = 0, acc = 0, bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INV[c] : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null;
  if (len !== undefined && o !== len) return null;
  return out.subarray(0, o);
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function utf8(s) { return enc.encode(s); }

/** UTF-8 bytes to a string, or null when they are not valid UTF-8. */
export function fromUtf8(b) {
  try { return dec.decode(b); } catch { return null; }
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function u8(v) { return Uint8Array.of(v & 0xff); }

export function u16be(v) { return Uint8Array.of((v >>> 8) & 0xff, v & 0xff); }

export function u32be(v) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

/** A u64 from a Number (exact up to 2^53) or a BigInt. */
export function u64be(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

export function readU32be(b, off) {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off);
}

export function readU64be(b, off) {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off);
}

/** Equal length and bytes; time depends only on the length. */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Negative, zero or positive like memcmp. */
export function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(s) {
  if (typeof s !== 'string' || s.length % 2 || /[^0-9a-fA-F]/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function random(n) {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}

/** ASCII label followed by a 0x00 byte, as the domain separators of §8 are written. */
export function label0(s) { return concat(utf8(s), Uint8Array.of(0)); }
