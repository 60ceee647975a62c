// media_worklet.js: the audio playout of one remote member, an
// AudioWorkletProcessor (its own file: the page's CSP allows scripts from
// the server only). The page decodes Opus and posts 20-ms blocks of mono
// samples at 48 kHz with the jitter buffer's target delay; this side plays
// them in order at the audio device's pace.
//
// The buffer, like the native one (client/media/jitter.c) on a TCP link
// where nothing is reordered: playing starts once the target delay is
// held; an empty buffer is an underrun (silence played, counted as
// concealment, and playing waits for the target again: the delay grows at
// once); more than the target plus one block held makes it drop one block,
// at most one every 500 ms (the delay shrinks slowly, counted as skipped),
// or every 100 ms while more than 200 ms above the target: a page's main
// thread can stall for a second where the native client's threads do not,
// and a second behind in a conversation is worse than a few short cuts.
// Never allocates while playing beyond the blocks it is given.

const BLOCK = 960;              // 20 ms at 48 kHz
const SHRINK_EVERY_S = 0.5;
const SHRINK_FAST_S = 0.1;
const FAR_BEHIND = 10 * BLOCK;  // 200 ms above the target

class Playout extends AudioWorkletProcessor {
  constructor() {
    super();
    this.blocks = [];           // Float32Array(960) each
    this.head = 0;              // read position in blocks[0]
    this.held = 0;              // samples held
    this.targetSamples = 2 * BLOCK;
    this.playing = false;
    this.lastShrink = 0;
    this.st = { played: 0, underruns: 0, concealedSamples: 0, skipped: 0, heldMs: 0 };
    this.lastReport = 0;
    this.port.onmessage = (e) => this.take(e.data);
  }

  take(m) {
    if (!m || typeof m !== 'object') return;
    if (m.targetMs > 0) this.targetSamples = Math.round(Math.min(400, Math.max(40, m.targetMs)) * 48);
    if (m.pcm instanceof Float32Array && m.pcm.length > 0 && m.pcm.length <= 4 * BLOCK) {
      this.blocks.push(m.pcm);
      this.held += m.pcm.length;
    }
    if (this.held > 48000 * 2) this.dropOne();  // 2 s behind: the device stopped pulling
  }

  dropOne() {
    const b = this.blocks.shift();
    if (!b) return;
    this.held -= b.length - this.head;
    this.head = 0;
    this.st.skipped++;
  }

  process(inputs, outputs) {
    const out = outputs[0] && outputs[0][0];
    if (!out) return true;
    if (!this.playing && this.held >= this.targetSamples) this.playing = true;
    const every = this.held > this.targetSamples + FAR_BEHIND ? SHRINK_FAST_S : SHRINK_EVERY_S;
    if (this.playing && this.held > this.targetSamples + BLOCK && currentTime - this.lastShrink >= every) {
      this.dropOne();
      this.lastShrink = currentTime;
    }
    let o = 0;
    while (this.playing && o < out.length && this.blocks.length) {
      const b = this.blocks[0];
      const n = Math.min(out.length - o, b.length - this.head);
      out.set(b.subarray(this.head, this.head + n), o);
      o += n;
      this.head += n;
      this.held -= n;
      this.st.played += n;
      if (this.head >= b.length) { this.blocks.shift(); this.head = 0; }
    }
    if (o < out.length) {
      out.fill(0, o);
      if (this.playing) {       // ran dry while playing: an underrun
        this.st.underruns++;
        this.st.concealedSamples += out.length - o;
        this.playing = false;
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    if (currentTime - this.lastReport >= 0.25) {
      this.lastReport = currentTime;
      this.st.heldMs = Math.round(this.held / 48);
      this.port.postMessage(this.st);
    }
    return true;
  }
}

registerProcessor('bilan-playout', Playout);
