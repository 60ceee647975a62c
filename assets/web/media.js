// media.js: live audio and video of the browser client, the one object the
// app uses (PROTOCOL.md §4.2-4.4). It captures the camera and microphone,
// encodes and cuts them as the native client does (media_send.js), and
// decodes, renders and plays what the other members send (media_recv.js).
// It never touches the WebSocket nor keys: the caller numbers sequences,
// seals and sends what send() gives it, and hands opened frames to
// onFrame().
//
//   const m = new Media({send(kind, flags, ts, captureMs, payload),
//                        serverNowMs(), bufferedAmount(), events});
//   await m.start({camera: true, microphone: true});
//   mediaSupport() -> {send, receive}: what this browser can do
//   m.attach(localVideoEl, remoteCanvasEl);
//   m.onFrame(slot, kind, header, plaintext);    // header: 16 bytes or parsed
//   m.onKeyframeRequest(msg); m.onMediaReport(msg); m.newKeyGeneration();
//   m.joined();              // at each join: frame numbers and audio ts from 0
//   m.setMuted('audio' | 'video', bool); m.memberLeft(slot); m.show(slot);
//   await m.resumeAudio();   // from a click: browsers start sound only then
//   m.stats(); m.stop();
//
// events (all optional): requestKeyframe(slot) -> the caller sends
// keyframe_request {slot}; onVideo(slot, {picture, width, height}) after a
// picture was drawn; onError(what) (a French-free short tag, no secret).
import { MediaSender } from './media_send.js';
import { MediaReceiver } from './media_recv.js';

export const CAPTURE = {
  width: 640, height: 480, fps: 30,
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true,
           channelCount: 1, sampleRate: 48000 },
};

/** What this browser can do of the call (g: the global object, for tests).
 * Sending needs MediaStreamTrackProcessor (Chromium, Chrome and Edge only at
 * the time of writing) and the WebCodecs encoders; receiving needs the
 * decoders and an AudioWorklet. The page says what is missing in words
 * instead of failing as if the camera were absent. */
export function mediaSupport(g = globalThis) {
  const has = (names) => names.every((n) => typeof g[n] === 'function');
  const md = g.navigator && g.navigator.mediaDevices;
  return {
    send: has(['MediaStreamTrackProcessor', 'VideoEncoder', 'AudioEncoder', 'AudioData']) &&
      !!md && typeof md.getUserMedia === 'function',
    receive: has(['VideoDecoder', 'AudioDecoder', 'EncodedVideoChunk', 'EncodedAudioChunk', 'AudioContext',
      'AudioWorkletNode']),
  };
}

export class Media {
  constructor({ send, serverNowMs, bufferedAmount, events = {} } = {}) {
    if (typeof send !== 'function') throw new TypeError('Media needs send()');
    this.events = events;
    this.serverNowMs = typeof serverNowMs === 'function' ? serverNowMs : () => Date.now();
    this.errors = {};
    this.canvas = null;
    this.drawSlot = null;          // the member whose picture the canvas shows
    this.lastDrawn = null;
    this.sender = new MediaSender({
      send, serverNowMs: this.serverNowMs,
      buffered: typeof bufferedAmount === 'function' ? () => bufferedAmount() | 0 : () => 0,
      fps: CAPTURE.fps, onError: (what) => this.error(what),
    });
    this.receiver = new MediaReceiver({
      serverNowMs: this.serverNowMs,
      requestKeyframe: (slot) => this.call('requestKeyframe', slot),
      draw: (slot, frame, meta) => this.draw(slot, frame, meta),
    });
    this.stream = null;
  }

  call(name, ...args) {
    const f = this.events[name];
    if (typeof f !== 'function') return;
    try { f(...args); } catch { this.error('event ' + name); }
  }

  error(what) {
    this.errors[what] = (this.errors[what] || 0) + 1;
    this.call('onError', what);
  }

  /** Opens the camera and microphone and starts sending. Returns what was
   * obtained: {camera, microphone} (false for a device refused or absent). */
  async start({ camera = true, microphone = true, width = CAPTURE.width, height = CAPTURE.height } = {}) {
    const got = { camera: false, microphone: false };
    if (!mediaSupport().send) { camera = microphone = false; }   // never ask for what cannot be sent
    const ask = async (c) => {
      try { return await navigator.mediaDevices.getUserMedia(c); } catch { return null; }
    };
    const video = camera ? { width: { ideal: width }, height: { ideal: height },
                             frameRate: { ideal: CAPTURE.fps } } : false;
    const audio = microphone ? CAPTURE.audio : false;
    let stream = (camera || microphone) ? await ask({ video, audio }) : null;
    if (!stream && camera && microphone) {
      // One refused device must not cost the other: audio first.
      stream = await ask({ audio }) || await ask({ video });
    }
    this.stream = stream;
    this.resumeAudio();
    if (!stream) return got;
    const vt = stream.getVideoTracks()[0], at = stream.getAudioTracks()[0];
    if (at) { await this.sender.startAudio(at); got.microphone = true; }
    if (vt) { await this.sender.startVideo(vt); got.camera = true; }
    if (this.localVideo) this.localVideo.srcObject = new MediaStream(vt ? [vt] : []);
    return got;
  }

  /** Where to show our own camera (a <video>) and the remote picture (a
   * <canvas>); either may be null. */
  attach(localVideoEl, remoteCanvasEl) {
    this.localVideo = localVideoEl || null;
    this.canvas = remoteCanvasEl || null;
    if (this.localVideo && this.stream) {
      this.localVideo.muted = true;
      this.localVideo.srcObject = new MediaStream(this.stream.getVideoTracks());
    }
  }

  draw(slot, frame, meta) {
    if (this.drawSlot === null) this.drawSlot = slot;   // the first member seen
    if (slot !== this.drawSlot) return;
    const c = this.canvas;
    if (c) {
      if (c.width !== frame.displayWidth) c.width = frame.displayWidth;
      if (c.height !== frame.displayHeight) c.height = frame.displayHeight;
      const g = c.getContext('2d');
      if (g) g.drawImage(frame, 0, 0);
    }
    this.lastDrawn = { slot, picture: meta ? meta.picture : -1, frame: meta ? meta.frame : -1,
                       width: frame.displayWidth, height: frame.displayHeight };
    this.call('onVideo', slot, this.lastDrawn);
  }

  /** Starts (or resumes) sound playout: browsers keep an AudioContext
   * suspended until the person did something on the page, so the app calls
   * this from a click or key handler (start() tries it too). */
  async resumeAudio() {
    await this.receiver.prepareAudio();
    const ctx = this.receiver.ctx;
    if (ctx && ctx.state === 'suspended') await ctx.resume().catch(() => {});
    return ctx ? ctx.state : 'none';
  }

  /** Chooses whose picture the canvas shows. */
  show(slot) { this.drawSlot = slot; }

  /** An opened audio or video frame of a member. Never throws. */
  onFrame(slot, kind, header, plaintext) {
    this.receiver.onFrame(slot, kind, header, plaintext);
  }

  /** keyframe_request {slot, reason} from the server. */
  onKeyframeRequest(msg) { this.sender.keyframeRequest(msg); }

  /** Our media key changed (a new generation, §8.3): a keyframe, so that
   * every receiver can start under the new key. */
  newKeyGeneration() { this.sender.keyframeRequest({ reason: 'generation' }); }

  /** media_report {receivers: [...]} (or the array itself). */
  onMediaReport(msg) {
    const list = Array.isArray(msg) ? msg : msg && (msg.receivers || msg.report);
    this.sender.rc.report(performance.now(), list);
  }

  /** We joined (or joined again after a reconnection): our frame numbers
   * and audio timestamps restart from 0 with the caller's sequences, the
   * others' streams restart too. */
  joined() {
    this.sender.restart();
    for (const s of [...this.receiver.slots.keys()]) this.receiver.memberLeft(s);
    this.drawSlot = null;
  }

  setMuted(kind, on) {
    this.sender.setMuted(kind, on);
    if (this.stream) {
      const tracks = kind === 'audio' ? this.stream.getAudioTracks() : this.stream.getVideoTracks();
      // The track keeps running (muting is ours: nothing is encoded), so
      // unmuting is instant; the camera light stays as the person expects.
      for (const t of tracks) t.enabled = !on;
    }
  }

  memberLeft(slot) {
    this.receiver.memberLeft(slot);
    if (this.drawSlot === slot) this.drawSlot = null;
  }

  stats() {
    return { send: this.sender.stats(), recv: this.receiver.stats(),
             errors: Object.assign({}, this.errors), lastDrawn: this.lastDrawn };
  }

  /** Waits until the encoders gave out what they hold (tests, leaving). */
  flush() { return this.sender.flush(); }

  stop() {
    this.sender.stop();
    this.receiver.stop();
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
  }
}
