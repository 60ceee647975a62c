// media_wire.js: the payloads of audio (kind 1) and video (kind 2) frames
// once opened (PROTOCOL.md §4.2, the C side is proto/media.c), and the
// reassembly of a video frame from its chunks. Pure: no codec, no clock, no
// I/O. Every parser gives null (or a refusal reason) on bad input and never
// throws: a peer's bytes are not trusted.
//
// Video chunk payload (big-endian):
//   0 u32 frame    the sender's encoded frames, consecutive from 0
//   4 u32 picture  the source's picture number (skips leave gaps here)
//   8 u16 index    0 .. count-1
//  10 u16 count    1 .. 1024
//  12 ...          VP8 bytes, 1 .. 1200
// Audio payload: one Opus packet of 20 ms, 1 .. 1275 bytes.

export const AUDIO_HZ = 48000;          // media_ts clock of audio
export const AUDIO_BLOCK = 960;         // samples in one 20-ms packet
export const AUDIO_PACKET_MAX = 1275;   // largest Opus packet (RFC 6716 §3.4)
export const VIDEO_HZ = 90000;          // media_ts clock of video
export const VCHUNK_HDR = 12;
export const VCHUNK_DATA_MAX = 1200;
export const VCHUNK_COUNT_MAX = 1024;
export const KIND_AUDIO = 1;
export const KIND_VIDEO = 2;
export const FLAG_KEYFRAME = 1;

function isBytes(b) { return b instanceof Uint8Array; }

/** Chunks needed for a VP8 frame of len bytes; 0 when empty or too large. */
export function chunkCount(len) {
  if (!Number.isInteger(len) || len <= 0 || len > VCHUNK_DATA_MAX * VCHUNK_COUNT_MAX) return 0;
  return Math.ceil(len / VCHUNK_DATA_MAX);
}

/** One encoded VP8 frame cut into chunk payloads (each a fresh Uint8Array),
 * as the native sender cuts it (client/call_send.c push_frame); null when
 * the frame is empty or over 1024 chunks. */
export function packVideo(frame, picture, vp8) {
  if (!isBytes(vp8)) return null;
  const n = chunkCount(vp8.length);
  if (!n) return null;
  const out = [];
  for (let i = 0; i < n; i++) {
    const off = i * VCHUNK_DATA_MAX;
    const len = Math.min(VCHUNK_DATA_MAX, vp8.length - off);
    const p = new Uint8Array(VCHUNK_HDR + len);
    const v = new DataView(p.buffer);
    v.setUint32(0, frame >>> 0);
    v.setUint32(4, picture >>> 0);
    v.setUint16(8, i);
    v.setUint16(10, n);
    p.set(vp8.subarray(off, off + len), VCHUNK_HDR);
    out.push(p);
  }
  return out;
}

/** Why a video payload is refused, or null when it is well formed. */
export function videoRefusal(p) {
  if (!isBytes(p)) return 'not bytes';
  if (p.length < VCHUNK_HDR) return 'shorter than the chunk header';
  if (p.length === VCHUNK_HDR) return 'chunk without data';
  if (p.length - VCHUNK_HDR > VCHUNK_DATA_MAX) return 'chunk data over 1200 bytes';
  const count = (p[10] << 8) | p[11];
  const index = (p[8] << 8) | p[9];
  if (count === 0 || count > VCHUNK_COUNT_MAX) return 'count out of 1..1024';
  if (index >= count) return 'index not below count';
  return null;
}

/** {frame, picture, index, count, data} (data views p), or null. */
export function parseVideo(p) {
  if (videoRefusal(p) !== null) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    frame: v.getUint32(0), picture: v.getUint32(4),
    index: v.getUint16(8), count: v.getUint16(10),
    data: p.subarray(VCHUNK_HDR),
  };
}

/** Why an audio payload is refused, or null. Whether it holds 20 ms is
 * read from the Opus TOC byte (RFC 6716 §3.1), as the native decoder
 * checks it before decoding (client/media/opus_codec.c). */
export function audioRefusal(p) {
  if (!isBytes(p)) return 'not bytes';
  if (p.length === 0) return 'empty';
  if (p.length > AUDIO_PACKET_MAX) return 'over 1275 bytes';
  if (opusSamples48k(p) !== AUDIO_BLOCK) return 'not 20 ms of Opus';
  return null;
}

/** Samples at 48 kHz an Opus packet claims (RFC 6716 §3.1-3.2), or -1
 * when its framing is malformed. */
export function opusSamples48k(p) {
  if (!isBytes(p) || p.length < 1) return -1;
  const toc = p[0];
  const config = toc >> 3;
  let per;  // samples per frame at 48 kHz
  if (config < 12) per = [480, 960, 1920, 2880][config & 3];        // SILK
  else if (config < 16) per = [480, 960][config & 1];                // hybrid
  else per = [120, 240, 480, 960][config & 3];                       // CELT
  const code = toc & 3;
  let frames;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else {
    if (p.length < 2) return -1;
    frames = p[1] & 0x3f;
    if (frames === 0) return -1;
  }
  const n = frames * per;
  return n > 5760 ? -1 : n;  // at most 120 ms in one packet
}

/** Reassembles video frames of one sender from chunks (they never
 * interleave with another frame of the same sender, §4.2). push() gives
 * {frame, picture, keyframe, ts, captureMs, data} when a frame is whole,
 * or null; a chunk that contradicts the frame being built (another count,
 * picture, a repeated or skipped index) drops what was built and is
 * counted. Holds at most one frame's bytes. */
export class VideoAssembler {
  constructor() { this.reset(); this.broken = 0; }

  reset() { this.cur = null; }

  push(chunk, keyframe, ts, captureMs) {
    const c = chunk;
    if (c.index === 0) {
      if (this.cur) this.broken++;  // the previous frame never completed
      this.cur = { frame: c.frame, picture: c.picture, count: c.count, next: 0,
                   keyframe, ts, captureMs, parts: [], bytes: 0 };
    }
    const f = this.cur;
    if (!f || f.frame !== c.frame || f.picture !== c.picture || f.count !== c.count ||
        f.next !== c.index || f.keyframe !== keyframe || f.ts !== ts || f.captureMs !== captureMs) {
      if (f) this.broken++;
      this.cur = null;
      return null;
    }
    f.parts.push(c.data);
    f.bytes += c.data.length;
    f.next++;
    if (f.next < f.count) return null;
    this.cur = null;
    const data = new Uint8Array(f.bytes);
    let o = 0;
    for (const part of f.parts) { data.set(part, o); o += part.length; }
    return { frame: f.frame, picture: f.picture, keyframe: f.keyframe, ts: f.ts,
             captureMs: f.captureMs, data };
  }
}

/** The fields media needs from a frame header, given either the 16 bytes
 * (§4) or an object from frame.js parseHeader ({flags, seq, ts, captureMs});
 * null when neither. */
export function headerFields(h) {
  if (isBytes(h)) {
    if (h.length < 16) return null;
    const v = new DataView(h.buffer, h.byteOffset, 16);
    return { flags: h[2], seq: v.getUint32(4), ts: v.getUint32(8), captureMs: v.getUint32(12) };
  }
  if (h && typeof h === 'object') {
    const u32 = (x) => (Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : null);
    const flags = Number.isInteger(h.flags) && h.flags >= 0 && h.flags <= 255 ? h.flags : null;
    const seq = u32(h.seq), ts = u32(h.ts), cap = u32(h.captureMs);
    if (flags === null || seq === null || ts === null || cap === null) return null;
    return { flags, seq, ts, captureMs: cap };
  }
  return null;
}
