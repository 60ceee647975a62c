// media_recv.js: the receive half of the browser's media (PROTOCOL.md §4.2,
// §4.3), per remote slot: video chunks -> reassembly (media_wire.js) ->
// continuity check -> VideoDecoder -> the canvas; audio packets -> the
// jitter estimate -> AudioDecoder -> the playout worklet
// (media_worklet.js). What the native receiver does (client/call_recv*.c).
//
// Continuity: a frame is decoded only when every chunk came and the
// previous frame was decoded, or when it is a keyframe; otherwise the
// sender is asked for a keyframe (the caller sends keyframe_request
// {slot}), again at most every 500 ms while frames stay undecodable.
// The keyframe flag of the header must agree with the VP8 bitstream's own
// (RFC 6386 §9.1): a payload that lies about it is refused.
// Bad payloads are dropped and counted by reason, never thrown.
import { parseVideo, videoRefusal, audioRefusal, headerFields, VideoAssembler,
         KIND_AUDIO, KIND_VIDEO, FLAG_KEYFRAME, AUDIO_HZ } from './media_wire.js';

const WANT_REPEAT_MS = 500;
const JITTER_WINDOW = 250;         // arrivals (5 s of audio), as jitter.c
const JITTER_MIN_MS = 40, JITTER_MAX_MS = 400;
const DECODE_QUEUE_MAX = 8;
const BT601 = { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange: false };        // frames waiting in a decoder before we give up on it

/** Whether VP8 bytes start a keyframe (frame tag bit 0 = 0, then the start
 * code 9d 01 2a and a non-zero size), and its size. */
export function vp8Key(d) {
  if (d.length < 10 || (d[0] & 1) !== 0) return null;
  if (d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) return null;
  const w = (d[6] | (d[7] << 8)) & 0x3fff, h = (d[8] | (d[9] << 8)) & 0x3fff;
  return w && h ? { width: w, height: h } : null;
}

function signed32(x) { return (x | 0); }

class SlotVideo {
  constructor(owner, slot) {
    this.o = owner; this.slot = slot;
    this.asm = new VideoAssembler();
    this.dec = null;
    this.lastFrame = -1;           // the last frame handed to the decoder
    this.needKey = true;
    this.wantAt = -1e9;
    this.meta = new Map();         // decoder timestamp -> {frame, picture, captureMs}
    this.st = { chunks: 0, frames: 0, decoded: 0, undecodable: 0, keyframes: 0,
                keyframeRequests: 0, decodeErrors: 0, width: 0, height: 0,
                latencyMs: null, latencySum: 0, latencyN: 0, lastPicture: -1 };
  }

  decoder() {
    if (this.dec && this.dec.state !== 'closed') return this.dec;
    this.dec = new VideoDecoder({
      output: (f) => this.shown(f),
      error: () => { this.st.decodeErrors++; this.dec = null; this.needKey = true; this.want(); },
    });
    // VP8 carries no colour matrix; the native sender's pictures are
    // BT.601 video range (cameras through libyuv, the test pattern) and the
    // native window shows them so (SDL's BT.601). Chromium would assume
    // BT.709 and shift every colour (green 191 -> 161).
    this.dec.configure({ codec: 'vp8', optimizeForLatency: true, colorSpace: BT601 });
    return this.dec;
  }

  want() {
    const now = performance.now();
    if (now - this.wantAt < WANT_REPEAT_MS) return;
    this.wantAt = now;
    this.st.keyframeRequests++;
    this.o.requestKeyframe(this.slot);
  }

  chunk(c, h) {
    this.st.chunks++;
    const key = (h.flags & FLAG_KEYFRAME) !== 0;
    const f = this.asm.push(c, key, h.ts, h.captureMs);
    if (!f) return;
    this.st.frames++;
    // The header's keyframe flag and the bitstream's must agree.
    if (key && !vp8Key(f.data)) { this.o.refuse('video keyframe flag on a VP8 inter frame'); return; }
    if (!key && (f.data[0] & 1) === 0) { this.o.refuse('video VP8 keyframe without the flag'); return; }
    const continuous = this.lastFrame >= 0 && f.frame === ((this.lastFrame + 1) >>> 0);
    if (!key && (this.needKey || !continuous)) {
      this.needKey = true;
      this.st.undecodable++;
      this.want();
      return;
    }
    const dec = this.decoder();
    if (dec.decodeQueueSize > DECODE_QUEUE_MAX && !key) {
      this.needKey = true;         // this page cannot keep up: start again at a keyframe
      this.st.undecodable++;
      this.want();
      return;
    }
    const tsUs = this.o.nextDecodeTs();
    this.meta.set(tsUs, { frame: f.frame, picture: f.picture, captureMs: f.captureMs });
    if (this.meta.size > 64) this.meta.delete(this.meta.keys().next().value);
    try {
      dec.decode(new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: tsUs, data: f.data }));
      this.lastFrame = f.frame;
      this.needKey = false;
      if (key) this.st.keyframes++;
    } catch {
      this.st.decodeErrors++;
      this.needKey = true;
      this.want();
    }
  }

  shown(frame) {
    const m = this.meta.get(frame.timestamp);
    this.meta.delete(frame.timestamp);
    this.st.decoded++;
    this.st.width = frame.displayWidth;
    this.st.height = frame.displayHeight;
    if (m) {
      const lat = signed32((this.o.serverNowMs() - m.captureMs) >>> 0);
      this.st.latencyMs = lat;
      this.st.latencySum += lat;
      this.st.latencyN++;
      this.st.lastPicture = m.picture;
    }
    try { this.o.draw(this.slot, frame, m); } finally { frame.close(); }
  }

  close() {
    try { if (this.dec && this.dec.state !== 'closed') this.dec.close(); } catch { /* closed */ }
    this.dec = null;
  }
}

class SlotAudio {
  constructor(owner, slot) {
    this.o = owner; this.slot = slot;
    this.dec = null;
    this.nextSeq = null;
    this.transits = [];
    this.targetMs = JITTER_MIN_MS;
    this.node = null;
    this.play = null;
    this.st = { packets: 0, decoded: 0, lost: 0, decodeErrors: 0, targetDelayMs: JITTER_MIN_MS,
                latencyMs: null, playout: null };
  }

  decoder() {
    if (this.dec && this.dec.state !== 'closed') return this.dec;
    this.dec = new AudioDecoder({
      output: (d) => this.decoded(d),
      error: () => { this.st.decodeErrors++; this.dec = null; },
    });
    this.dec.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 1 });
    return this.dec;
  }

  packet(p, h) {
    this.st.packets++;
    const now = performance.now();
    // The jitter estimate: spread of transit times over the window (jitter.c).
    this.transits.push(now - h.ts / (AUDIO_HZ / 1000));
    if (this.transits.length > JITTER_WINDOW) this.transits.shift();
    let lo = Infinity, hi = -Infinity;
    for (const t of this.transits) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
    this.targetMs = Math.min(JITTER_MAX_MS, Math.max(JITTER_MIN_MS, hi - lo));
    this.st.targetDelayMs = Math.round(this.targetMs);
    if (this.nextSeq !== null) {
      const gap = (h.seq - this.nextSeq) >>> 0;
      if (gap > 0 && gap < 50) {
        this.st.lost += gap;      // never sent (TCP loses nothing): played as silence
        for (let i = 0; i < Math.min(gap, 5); i++) this.post(new Float32Array(960));
      } else if (gap >= 0x80000000) {
        return;                   // older than what was played: late duplicate
      }
    }
    this.nextSeq = (h.seq + 1) >>> 0;
    this.lastCapture = h.captureMs;
    try {
      this.decoder().decode(new EncodedAudioChunk({ type: 'key', timestamp: h.seq * 20000, data: p }));
    } catch {
      this.st.decodeErrors++;
    }
  }

  decoded(d) {
    try {
      this.st.decoded++;
      const n = d.numberOfFrames;
      const pcm = new Float32Array(n);
      d.copyTo(pcm, { planeIndex: 0, format: 'f32-planar' });
      this.post(pcm);
      if (this.lastCapture !== undefined) {
        const held = this.st.playout ? this.st.playout.heldMs : this.targetMs;
        this.st.latencyMs = signed32((this.o.serverNowMs() - this.lastCapture) >>> 0) + held;
      }
    } finally {
      d.close();
    }
  }

  post(pcm) {
    const node = this.o.playoutNode(this);
    if (node) node.port.postMessage({ pcm, targetMs: this.targetMs }, [pcm.buffer]);
  }

  close() {
    try { if (this.dec && this.dec.state !== 'closed') this.dec.close(); } catch { /* closed */ }
    try { if (this.node) this.node.disconnect(); } catch { /* gone */ }
    this.dec = null; this.node = null;
  }
}

export class MediaReceiver {
  /** requestKeyframe(slot): the caller sends keyframe_request {slot};
   * draw(slot, VideoFrame, meta): renders (the frame is closed after). */
  constructor({ serverNowMs, requestKeyframe, draw, audio = true }) {
    this.serverNowMs = serverNowMs;
    this.requestKeyframe = requestKeyframe || (() => {});
    this.draw = draw || (() => {});
    this.audioOn = audio;
    this.slots = new Map();
    this.decodeTs = 0;
    this.refused = { total: 0, reasons: {} };
    this.ctx = null; this.ctxReady = null;
  }

  nextDecodeTs() { this.decodeTs += 33333; return this.decodeTs; }

  refuse(why) {
    this.refused.total++;
    this.refused.reasons[why] = (this.refused.reasons[why] || 0) + 1;
  }

  slot(s) {
    let e = this.slots.get(s);
    if (!e) {
      e = { v: new SlotVideo(this, s), a: new SlotAudio(this, s) };
      this.slots.set(s, e);
    }
    return e;
  }

  /** A frame opened by the E2E layer. Never throws. */
  onFrame(slot, kind, header, plaintext) {
    try {
      if (!Number.isInteger(slot) || slot < 0 || slot > 3) return this.refuse('bad slot');
      const h = headerFields(header);
      if (!h) return this.refuse('bad header');
      if (kind === KIND_VIDEO) {
        const why = videoRefusal(plaintext);
        if (why) return this.refuse('video ' + why);
        this.slot(slot).v.chunk(parseVideo(plaintext), h);
      } else if (kind === KIND_AUDIO) {
        const why = audioRefusal(plaintext);
        if (why) return this.refuse('audio ' + why);
        if (h.flags !== 0) return this.refuse('audio with flags');
        this.slot(slot).a.packet(plaintext, h);
      } else {
        this.refuse('not a media kind');
      }
    } catch (e) {
      this.refuse('exception ' + (e && e.name));
    }
  }

  /** The AudioContext and its worklet, made once (await before frames
   * arrive so the first blocks are not lost; without it audio is decoded
   * and counted, not played). */
  async prepareAudio() {
    if (!this.audioOn) return false;
    if (!this.ctxReady) {
      this.ctxReady = (async () => {
        const ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
        await ctx.audioWorklet.addModule('/web/media_worklet.js');
        this.ctx = ctx;
        return true;
      })().catch(() => false);
    }
    return this.ctxReady;
  }

  playoutNode(sa) {
    if (sa.node || !this.ctx) return sa.node;
    try {
      sa.node = new AudioWorkletNode(this.ctx, 'bilan-playout', { outputChannelCount: [1] });
      sa.node.port.onmessage = (e) => { sa.st.playout = e.data; };
      sa.node.connect(this.ctx.destination);
    } catch {
      sa.node = null;
    }
    return sa.node;
  }

  memberLeft(slot) {
    const e = this.slots.get(slot);
    if (!e) return;
    e.v.close(); e.a.close();
    this.slots.delete(slot);
  }

  stats() {
    const slots = {};
    for (const [s, e] of this.slots) {
      const v = Object.assign({}, e.v.st, { assemblyBroken: e.v.asm.broken });
      v.latencyAvgMs = v.latencyN ? Math.round(v.latencySum / v.latencyN) : null;
      delete v.latencySum;
      slots[s] = { video: v, audio: Object.assign({}, e.a.st) };
    }
    return { slots, refused: { total: this.refused.total, reasons: Object.assign({}, this.refused.reasons) } };
  }

  stop() {
    for (const s of [...this.slots.keys()]) this.memberLeft(s);
    if (this.ctx) this.ctx.close().catch(() => {});
    this.ctx = null;
  }
}
