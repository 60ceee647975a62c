// frame.js: binary frames (PROTOCOL §4): the 16-byte routing header the
// server reads, and the data messages of §4.1 that travel (sealed) in kind-3
// payloads: chat lines and files. Pure: no I/O, no keys.

import { concat, fromUtf8, readU32be, readU64be, u16be, u32be, u64be, u8, utf8 } from './bytes.js';

export const HEADER_LEN = 16;
export const VERSION = 1;
export const KIND = Object.freeze({ audio: 1, video: 2, data: 3 });
const KEYFRAME_ALLOWED = { 1: false, 2: true, 3: false };
export const FLAG_KEYFRAME = 1;
export const MAX_FRAME = 1048576;

/** The header's 16 bytes. The sender-slot byte is 0: the server writes it. */
export function packHeader({ kind, flags = 0, seq = 0, ts = 0, captureMs = 0 }) {
  const h = new Uint8Array(HEADER_LEN);
  const v = new DataView(h.buffer);
  h[0] = VERSION;
  h[1] = kind;
  h[2] = flags;
  h[3] = 0;
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ts >>> 0);
  // ms in the server's clock, modulo 2^32 (§4): Number keeps it exact.
  v.setUint32(12, Number(BigInt(Math.floor(captureMs)) & 0xffffffffn));
  return h;
}

/** The header of a frame, or null when the server would refuse it (short,
 * other version, unknown kind, reserved flag bits, keyframe where not allowed). */
export function parseHeader(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_LEN) return null;
  const kind = bytes[1], flags = bytes[2];
  if (bytes[0] !== VERSION || !(kind in KEYFRAME_ALLOWED)) return null;
  if (flags & ~FLAG_KEYFRAME) return null;
  if ((flags & FLAG_KEYFRAME) && !KEYFRAME_ALLOWED[kind]) return null;
  if (bytes[3] > 3) return null;
  return {
    version: bytes[0], kind, flags, keyframe: !!(flags & FLAG_KEYFRAME), slot: bytes[3],
    seq: readU32be(bytes, 4), ts: readU32be(bytes, 8), captureMs: readU32be(bytes, 12),
  };
}

// ---- data messages (§4.1)

export const DATA = Object.freeze({ chat: 1, file_begin: 2, file_chunk: 3, file_end: 4, file_answer: 5 });
export const FILE_ANSWER = Object.freeze({ received: 1, declined: 2, too_large: 3, damaged: 4,
  not_stored: 5, interrupted: 6, busy: 7 });
export const CHAT_MAX = 4096;
export const CHUNK_MAX = 262144;

/** A chat line, or null when it is empty or over 4096 bytes of UTF-8. */
export function encodeChat(text) {
  const b = utf8(text);
  if (b.length < 1 || b.length > CHAT_MAX) return null;
  return concat(u8(DATA.chat), b);
}

/** A file name §4.1 accepts: 1-255 bytes, no '/', '\\', NUL, not '.' or '..'. */
export function validFileName(name) {
  if (typeof name !== 'string') return false;
  const n = utf8(name).length;
  return n >= 1 && n <= 255 && !/[/\\\0]/.test(name) && name !== '.' && name !== '..';
}

export function encodeFileBegin(id, size, sha256, name) {
  if (!validFileName(name) || sha256.length !== 32) return null;
  const nb = utf8(name);
  return concat(u8(DATA.file_begin), u32be(id), u64be(size), sha256, u16be(nb.length), nb);
}

export function encodeFileChunk(id, offset, bytes) {
  if (bytes.length < 1 || bytes.length > CHUNK_MAX) return null;
  return concat(u8(DATA.file_chunk), u32be(id), u64be(offset), bytes);
}

export function encodeFileEnd(id) { return concat(u8(DATA.file_end), u32be(id)); }

export function encodeFileAnswer(slot, id, answer) {
  return concat(u8(DATA.file_answer), u8(slot), u32be(id), u8(answer));
}

/** One data message, or null when it is malformed (the caller drops and
 * counts it). Sizes are Numbers (files over 2^53 bytes are malformed). */
export function decodeData(p) {
  if (!(p instanceof Uint8Array) || p.length < 1) return null;
  switch (p[0]) {
    case DATA.chat: {
      if (p.length < 2 || p.length > CHAT_MAX + 1) return null;
      const text = fromUtf8(p.subarray(1));
      return text === null ? null : { type: 'chat', text };
    }
    case DATA.file_begin: {
      if (p.length < 1 + 4 + 8 + 32 + 2 + 1) return null;
      const size = readU64be(p, 5);
      const n = (p[45] << 8) | p[46];
      if (size > BigInt(Number.MAX_SAFE_INTEGER) || n < 1 || n > 255 || p.length !== 47 + n) return null;
      const name = fromUtf8(p.subarray(47));
      if (name === null || !validFileName(name)) return null;
      return { type: 'file_begin', id: readU32be(p, 1), size: Number(size), sha256: p.slice(13, 45), name };
    }
    case DATA.file_chunk: {
      if (p.length < 14 || p.length > 13 + CHUNK_MAX) return null;
      const offset = readU64be(p, 5);
      if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      return { type: 'file_chunk', id: readU32be(p, 1), offset: Number(offset), bytes: p.subarray(13) };
    }
    case DATA.file_end:
      return p.length === 5 ? { type: 'file_end', id: readU32be(p, 1) } : null;
    case DATA.file_answer:
      if (p.length !== 7 || p[1] > 3 || p[6] < 1 || p[6] > 7) return null;
      return { type: 'file_answer', slot: p[1], id: readU32be(p, 2), answer: p[6] };
    default:
      return null;
  }
}
