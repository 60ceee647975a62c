// media_send.js: the send half of the browser's media (PROTOCOL.md §4.2,
// §4.4): camera and microphone tracks read with MediaStreamTrackProcessor,
// encoded with WebCodecs exactly as the native sender encodes
// (client/call_send.c, client/media/vp8.c, opus_codec.c), cut into the
// payloads of media_wire.js and handed to the caller's send(kind, flags,
// ts, captureMs, payload). It never touches the connection nor keys.
//
// Video: VP8, real time, constant bitrate set by rate control
// (media_ratectl.js, 150..1500 kbit/s), keyframes only when asked or on a
// new key generation (merged: at most one per 500 ms, one per 2 s while
// congested); pictures skipped before encoding when they would be late, and
// when the encoder is still busy with earlier ones (its queue is the page's
// CPU: piling up only makes every picture later).
// Audio: Opus 48 kHz mono, 20-ms packets, CBR 32 kbit/s, VOIP, in-band FEC
// with 10 % expected loss, DTX off: every packet the same size (§8.7).
// Audio is never skipped.
import { packVideo, KIND_AUDIO, KIND_VIDEO, FLAG_KEYFRAME, AUDIO_BLOCK, audioRefusal } from './media_wire.js';
import { RateControl } from './media_ratectl.js';

const KEY_EVERY_MS = 500;
const KEY_EVERY_CONGESTED_MS = 2000;
const ENCODER_BUSY = 2;        // pictures queued in the encoder before we skip
const GAP_MIN_US = 5000;       // a microphone gap below this is timestamp jitter
const GAP_MAX_US = 5000000;    // silence put in for one gap at most
const AUDIO_QUEUE = 100;       // microphone blocks the capture may hold for us (1 s of 10-ms blocks)

export const VIDEO_CONFIG = (width, height, kbps, fps) => ({
  codec: 'vp8', width, height, framerate: fps, bitrate: kbps * 1000,
  bitrateMode: 'constant', latencyMode: 'realtime',
});

export const AUDIO_CONFIG = (sampleRate) => ({
  codec: 'opus', sampleRate, numberOfChannels: 1, bitrate: 32000, bitrateMode: 'constant',
  opus: { format: 'opus', frameDuration: 20000, packetlossperc: 10, useinbandfec: true,
          usedtx: false, application: 'voip' },
});

export class MediaSender {
  /** send(kind, flags, ts, captureMs, payload); serverNowMs(); buffered()
   * = the WebSocket's bufferedAmount (0 when the caller cannot tell). */
  constructor({ send, serverNowMs, buffered, fps = 30, onError }) {
    this.send = send;
    this.serverNowMs = serverNowMs;
    this.buffered = buffered || (() => 0);
    this.onError = onError || (() => {});
    this.fps = fps;
    this.rc = new RateControl(fps);
    this.muted = { audio: false, video: false };
    this.stopped = false;
    this.keyWanted = true;       // a receiver starts from a keyframe
    this.lastKeyMs = -1e9;
    this.congestedAt = -1e9;
    this.picture = 0;            // source pictures seen
    this.frameNo = 0;            // encoded frames sent
    this.epoch = 0;              // joins: frames encoded before the last one are not sent
    this.audioSent = 0;          // audio packets sent (media_ts = n * 960)
    this.videoMeta = new Map();  // encoder timestamp -> {picture, local ms}
    this.audioInAt = null;       // {ts µs, local ms} of the last microphone block
    this.handed = 0;             // bytes handed to send since the last observation
    this.encKbps = 0;
    this.st = {
      pictures: 0, framesEncoded: 0, keyframes: 0, chunksSent: 0, videoBytes: 0,
      skippedRate: 0, skippedBusy: 0, keyframeRequests: 0, encodeErrors: 0,
      width: 0, height: 0, encodeLatencyMs: 0,
      audioBlocks: 0, audioInput: '', audioPackets: 0, audioBytes: 0, audioSizeMin: 0, audioSizeMax: 0, audioRefused: 0,
      audioConfig: null, audioGaps: 0, audioFilledMs: 0,
    };
    this.aNext = null;           // µs: where the next microphone block should start
    this.obsTimer = setInterval(() => this.observe(), 100);
  }

  /** local ms -> the server's clock, mod 2^32 (§4.3). */
  toServer(localMs) {
    return Math.round(localMs + (this.serverNowMs() - performance.now())) >>> 0;
  }

  out(kind, flags, ts, cap, payload) {
    this.handed += payload.length + 68;  // header, SFrame, WebSocket, TLS: as ratectl.c counts
    try {
      this.send(kind, flags, ts >>> 0, cap >>> 0, payload);
    } catch (e) {
      this.onError('send', e);
    }
  }

  observe() {
    const now = performance.now();
    this.rc.observe(now, this.buffered(), this.handed);
    this.handed = 0;
  }

  // ---- video ----

  async startVideo(track) {
    this.vtrack = track;
    // The camera's own rate (Chromium's fake camera gives 20/s): the
    // encoder's rate control and the skip budget count in its frames.
    const fps = track.getSettings ? track.getSettings().frameRate : 0;
    if (fps >= 1 && fps <= 60) { this.fps = Math.round(fps); this.rc.fps = this.fps; }
    const proc = new MediaStreamTrackProcessor({ track });
    this.vreader = proc.readable.getReader();
    this.venc = new VideoEncoder({
      output: (chunk, meta) => this.videoOut(chunk, meta),
      error: (e) => { this.st.encodeErrors++; this.onError('video encoder', e); this.venc = null; },
    });
    (async () => {
      for (;;) {
        let r;
        try { r = await this.vreader.read(); } catch { break; }
        if (r.done || this.stopped) { if (r.value) r.value.close(); break; }
        this.videoIn(r.value);
      }
    })();
  }

  videoIn(frame) {
    const now = performance.now();
    const picture = this.picture++;
    this.st.pictures++;
    try {
      if (this.muted.video || !this.venc) { this.keyWanted = true; return; }
      const w = frame.displayWidth, h = frame.displayHeight;
      if (w !== this.st.width || h !== this.st.height || this.venc.state !== 'configured') {
        this.venc.configure(VIDEO_CONFIG(w, h, this.rc.kbps, this.fps));
        this.encKbps = this.rc.kbps;
        this.st.width = w; this.st.height = h;
        this.keyWanted = true;
      }
      if (!this.rc.admit(this.buffered())) { this.st.skippedRate++; return; }
      if (this.venc.encodeQueueSize >= ENCODER_BUSY) { this.st.skippedBusy++; return; }
      if (this.rc.kbps !== this.encKbps) {
        // Same codec and size: Chromium changes the rate without a keyframe.
        this.venc.configure(VIDEO_CONFIG(w, h, this.rc.kbps, this.fps));
        this.encKbps = this.rc.kbps;
      }
      let key = false;
      const gap = now - this.congestedAt < 5000 ? KEY_EVERY_CONGESTED_MS : KEY_EVERY_MS;
      if (this.keyWanted && (now - this.lastKeyMs >= gap || this.frameNo === 0)) {
        key = true;
        this.keyWanted = false;
        this.lastKeyMs = now;
      }
      this.videoMeta.set(frame.timestamp, { picture, local: now, epoch: this.epoch });
      if (this.videoMeta.size > 64) this.videoMeta.delete(this.videoMeta.keys().next().value);
      this.venc.encode(frame, { keyFrame: key });
    } catch (e) {
      this.st.encodeErrors++;
      this.onError('video encode', e);
    } finally {
      frame.close();
    }
  }

  videoOut(chunk) {
    const meta = this.videoMeta.get(chunk.timestamp);
    if (!meta) return;  // its picture was before a reconfiguration
    this.videoMeta.delete(chunk.timestamp);
    // Encoded before a (re)join: it refers to frames the new room never
    // saw, and frame numbers restart at 0 with a keyframe.
    if (meta.epoch !== this.epoch) return;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const key = chunk.type === 'key';
    const parts = packVideo(this.frameNo, meta.picture, data);
    if (!parts) { this.st.encodeErrors++; return; }
    this.st.encodeLatencyMs = Math.round(performance.now() - meta.local);
    const ts = Math.round(meta.local * 90) >>> 0;  // 90 kHz, the capture time
    const cap = this.toServer(meta.local);
    for (const p of parts) {
      this.out(KIND_VIDEO, key ? FLAG_KEYFRAME : 0, ts, cap, p);
      this.rc.sentVideo(p.length + 68);
      this.st.chunksSent++;
      this.st.videoBytes += p.length;
    }
    this.frameNo++;
    this.st.framesEncoded++;
    if (key) { this.st.keyframes++; this.lastKeyMs = performance.now(); }
  }

  /** keyframe_request {slot, reason}: the next picture is a keyframe
   * (merged with requests close together, §4.4 item 8). */
  keyframeRequest(msg) {
    this.st.keyframeRequests++;
    if (msg && msg.reason === 'congestion') this.congestedAt = performance.now();
    this.keyWanted = true;
  }

  // ---- audio ----

  async startAudio(track) {
    this.atrack = track;
    // A deeper queue than Chromium's default: the main thread's pauses
    // (decoding, drawing, crypto) must not cost microphone blocks.
    const proc = new MediaStreamTrackProcessor({ track, maxBufferSize: AUDIO_QUEUE });
    this.areader = proc.readable.getReader();
    (async () => {
      for (;;) {
        let r;
        try { r = await this.areader.read(); } catch { break; }
        if (r.done || this.stopped) { if (r.value) r.value.close(); break; }
        this.audioIn(r.value);
      }
    })();
  }

  async audioEncoder(sampleRate) {
    const cfg = AUDIO_CONFIG(sampleRate);
    const sup = await AudioEncoder.isConfigSupported(cfg);
    if (!sup.supported) throw new Error('Opus encoder settings not supported');
    this.st.audioConfig = sup.config;
    const enc = new AudioEncoder({
      output: (chunk) => this.audioOut(chunk),
      error: (e) => { this.st.encodeErrors++; this.onError('audio encoder', e); this.aenc = null; },
    });
    enc.configure(cfg);
    return enc;
  }

  audioIn(data) {
    const now = performance.now();
    this.st.audioBlocks++;
    const c = this.cap || (this.cap = { ts0: data.timestamp, local0: now, samples: 0 });
    c.samples += data.numberOfFrames;
    this.st.audioSamplesMs = Math.round(c.samples / data.sampleRate * 1000);
    this.st.audioTsMs = Math.round((data.timestamp - c.ts0) / 1000 + data.numberOfFrames / data.sampleRate * 1000);
    this.st.audioWallMs = Math.round(now - c.local0);
    this.st.audioInput = `${data.sampleRate} Hz x ${data.numberOfChannels} ${data.format}`;
    try {
      if (!this.aenc && !this.aencPending) {
        const rate = data.sampleRate;  // read now: data is closed when the promise settles
        this.aencPending = this.audioEncoder(rate).then(
          (e) => { this.aenc = e; this.aRate = rate; },
          (e) => { this.onError('audio encoder', e); });
      }
      if (!this.aenc || this.muted.audio || data.sampleRate !== this.aRate) { this.aNext = null; return; }
      this.fillGap(data.timestamp, data.sampleRate);
      this.aNext = data.timestamp + Math.round(data.numberOfFrames * 1e6 / data.sampleRate);
      const mono = toMono(data);
      this.audioInAt = { ts: data.timestamp, local: now - (data.numberOfFrames / data.sampleRate) * 1000 };
      this.aenc.encode(mono);
      mono.close();
    } catch (e) {
      this.st.encodeErrors++;
      this.onError('audio encode', e);
    } finally {
      data.close();
    }
  }

  /** Microphone blocks that never reached us (the capture dropped them
   * while the page was busy) come back as silence of the same length, from
   * their timestamps: the receiver plays packets one per 20 ms in order
   * (§4.2), so each missing packet would put the other side 20 ms further
   * behind for good (measured: seconds within half a minute under load).
   * A gap longer than GAP_MAX_US (the page frozen in the background) is
   * filled up to that much only. */
  fillGap(ts, rate) {
    if (this.aNext === null || this.aNext === undefined) return;
    let gap = Math.min(ts - this.aNext, GAP_MAX_US);
    if (gap < GAP_MIN_US) return;
    this.st.audioGaps++;
    let at = this.aNext;
    while (gap > 0) {
      const n = Math.min(Math.round(gap * rate / 1e6), rate / 10);   // at most 100 ms a block
      if (n <= 0) break;
      const z = new AudioData({ format: 'f32-planar', sampleRate: rate, numberOfFrames: n, numberOfChannels: 1,
                                timestamp: at, data: new Float32Array(n) });
      this.aenc.encode(z);
      z.close();
      const us = Math.round(n * 1e6 / rate);
      this.st.audioFilledMs += us / 1000;
      at += us;
      gap -= us;
    }
  }

  audioOut(chunk) {
    const p = new Uint8Array(chunk.byteLength);
    chunk.copyTo(p);
    if (audioRefusal(p) !== null) { this.st.audioRefused++; return; }  // never 20 ms: not sent
    const at = this.audioInAt;
    const local = at ? at.local + (chunk.timestamp - at.ts) / 1000 : performance.now() - 20;
    this.out(KIND_AUDIO, 0, this.audioSent * AUDIO_BLOCK, this.toServer(local), p);
    this.audioSent++;
    const s = this.st;
    s.audioPackets++;
    s.audioBytes += p.length;
    s.audioSizeMin = s.audioSizeMin ? Math.min(s.audioSizeMin, p.length) : p.length;
    s.audioSizeMax = Math.max(s.audioSizeMax, p.length);
  }

  /** A (re)join: frame numbers and audio timestamps start again from 0
   * (§4.2, as the caller's sequences do) and the first frame is a keyframe. */
  restart() {
    this.epoch++;
    this.frameNo = 0;
    this.audioSent = 0;
    this.keyWanted = true;
    this.lastKeyMs = -1e9;
  }

  setMuted(kind, on) {
    if (kind !== 'audio' && kind !== 'video') return;
    this.muted[kind] = !!on;
    if (kind === 'video' && !on) this.keyWanted = true;  // receivers restart from a keyframe
  }

  stats() {
    return Object.assign({}, this.st, { targetKbps: this.rc.kbps, rate: Object.assign({}, this.rc.stats),
      deliveryKbps: Math.round(this.rc.deliveryKbps) });
  }

  async flush() {
    try { if (this.venc && this.venc.state === 'configured') await this.venc.flush(); } catch { /* closed */ }
    try { if (this.aenc && this.aenc.state === 'configured') await this.aenc.flush(); } catch { /* closed */ }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.obsTimer);
    for (const r of [this.vreader, this.areader]) if (r) r.cancel().catch(() => {});
    for (const e of [this.venc, this.aenc]) {
      try { if (e && e.state !== 'closed') e.close(); } catch { /* already closed */ }
    }
    this.venc = this.aenc = null;
  }
}

/** The microphone's block as one mono f32 AudioData (channels averaged):
 * the stream is mono (§4.2) whatever the device gives. */
function toMono(data) {
  const n = data.numberOfFrames, ch = data.numberOfChannels;
  const out = new Float32Array(n);
  const tmp = new Float32Array(n);
  for (let c = 0; c < ch; c++) {
    data.copyTo(tmp, { planeIndex: c, format: 'f32-planar' });
    for (let i = 0; i < n; i++) out[i] += tmp[i] / ch;
  }
  return new AudioData({ format: 'f32-planar', sampleRate: data.sampleRate, numberOfFrames: n,
                         numberOfChannels: 1, timestamp: data.timestamp, data: out });
}
