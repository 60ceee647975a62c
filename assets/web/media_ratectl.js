// media_ratectl.js: the video rate controller of the browser sender
// (PROTOCOL.md §4.4, the native one is client/media/ratectl.c), adapted to
// what a page can see. A page has no TCP_INFO: the backlog it owns is the
// WebSocket's bufferedAmount (bytes handed to send() and not yet written
// to the socket), and the link's delivery rate D is estimated from it:
// while the buffer stays non-empty the link is busy, and what left it in
// an interval (bytes handed in - growth of the buffer) is what the link
// took. The server's media_report adds the worst receiver's queue.
// Pure: every time is passed in (ms of one monotonic clock); no I/O.
//
// Audio is never touched: it is sent whatever happens, and its rate (32
// kbit/s CBR) is subtracted from what the link carries before the video
// target is set. Video pictures are skipped before encoding when the
// backlog would make them late, never dropped once encoded.

export const MIN_KBPS = 150;
export const MAX_KBPS = 1500;
export const START_KBPS = 500;
const AUDIO_KBPS = 32 + 8;       // Opus CBR + framing overhead, as sent
const DELAY_HIGH_MS = 150;       // decrease above
const DELAY_LOW_MS = 50;         // increase below
const MOVE_EVERY_MS = 500;       // the target moves at most this often
const REPORT_KEEP_MS = 2000;     // a receiver's queue_ms counts this long
const RATE_KEEP_MS = 10000;      // a receiver's busy link rate caps probes this long

function clamp(v) { return Math.max(MIN_KBPS, Math.min(MAX_KBPS, Math.round(v))); }

export class RateControl {
  constructor(fps = 30) {
    this.fps = fps;
    this.target = START_KBPS;
    this.ceiling = 0;            // kbit/s believed to fit (0: unknown)
    this.deliveryKbps = 0;       // estimated link rate D (0: not measured)
    this.lastObs = null;         // {now, buffered}
    this.lastMove = -1e9;
    this.lastDecrease = -1e9;
    this.lastDelay = 0;
    this.rxQueueMs = 0; this.rxQueueAt = -1e9;
    this.rxRateKbps = 0; this.rxRateAt = -1e9;
    this.rxDropped = 0;
    this.skippedSince = 0;
    this.videoBytesSince = 0;
    this.videoKbps = 0;          // what the encoder actually produced
    this.stats = { decreases: 0, increases: 0, skipped: 0, delayMs: 0, lastReason: 'start' };
  }

  /** Bytes of video handed to the connection (for the encoder's real rate). */
  sentVideo(bytes) { this.videoBytesSince += bytes; }

  /** A media_report from the server: its worst receiver object. */
  report(now, receivers) {
    if (!Array.isArray(receivers)) return;
    let q = 0, dropped = 0, rate = 0;
    for (const r of receivers) {
      if (!r || typeof r !== 'object') continue;
      const qm = Number.isInteger(r.queue_ms) && r.queue_ms >= 0 ? r.queue_ms : 0;
      const dv = Number.isInteger(r.dropped_video) && r.dropped_video >= 0 ? r.dropped_video : 0;
      const rk = Number.isInteger(r.rate_kbps) && r.rate_kbps > 0 ? r.rate_kbps : 0;
      if (qm >= q) { q = qm; if (rk) rate = rk; }
      dropped += dv;
    }
    this.rxQueueMs = q; this.rxQueueAt = now;
    this.rxDropped += dropped;
    if (rate) { this.rxRateKbps = rate; this.rxRateAt = now; }
  }

  /** Every ~100 ms: the WebSocket's bufferedAmount and the bytes handed to
   * it since the last observation (audio and video together). */
  observe(now, buffered, handedBytes) {
    const prev = this.lastObs;
    this.lastObs = { now, buffered };
    const videoKbps = prev ? (this.videoBytesSince * 8) / Math.max(1, now - prev.now) : 0;
    this.videoBytesSince = 0;
    this.videoKbps = this.videoKbps ? 0.8 * this.videoKbps + 0.2 * videoKbps : videoKbps;
    if (!prev) return;
    const dt = Math.max(1, now - prev.now);
    if (prev.buffered > 0 && buffered > 0) {
      // Busy all along: what left the buffer is what the link took.
      const left = handedBytes - (buffered - prev.buffered);
      const d = Math.max(1, (left * 8) / dt);
      this.deliveryKbps = this.deliveryKbps ? 0.7 * this.deliveryKbps + 0.3 * d : d;
    }
    const link = this.deliveryKbps || this.target + AUDIO_KBPS;
    const rxQ = now - this.rxQueueAt < REPORT_KEEP_MS ? this.rxQueueMs : 0;
    const delay = (buffered * 8) / link + rxQ;
    this.stats.delayMs = Math.round(delay);
    const skipped = this.skippedSince, dropped = this.rxDropped;
    this.skippedSince = 0;
    this.rxDropped = 0;
    const growing = delay > this.lastDelay;
    this.lastDelay = delay;
    if (now - this.lastMove < MOVE_EVERY_MS) return;
    const rxRate = now - this.rxRateAt < RATE_KEEP_MS ? this.rxRateKbps : 0;
    if (delay > DELAY_HIGH_MS || skipped > 0 || dropped > 0) {
      if (now - this.lastDecrease < 1000 && !growing) return;
      let next, reason;
      if ((dropped > 0 || rxQ > delay / 2) && rxRate) {
        next = 0.8 * (rxRate - AUDIO_KBPS) * Math.max(0.6, 1 - rxQ / 1500);
        reason = 'receiver_rate';
      } else if (dropped > 0 || rxQ > delay / 2) {
        next = 0.75 * this.target;
        reason = 'receiver';
      } else {
        next = 0.85 * this.target;
        if (this.deliveryKbps) next = Math.min(next, 0.9 * (this.deliveryKbps - AUDIO_KBPS));
        reason = skipped ? 'skipped' : 'delay';
      }
      if (this.deliveryKbps) this.ceiling = 0.95 * (this.deliveryKbps - AUDIO_KBPS);
      this.move(now, clamp(next), reason);
      this.lastDecrease = now;
      this.stats.decreases++;
      return;
    }
    if (delay < DELAY_LOW_MS && now - this.lastDecrease >= 1000) {
      if (this.videoKbps < this.target / 2) return;  // a still picture: no probe
      let next;
      if (this.ceiling && this.target < this.ceiling) next = Math.min(this.ceiling, this.target * 1.1);
      else if (now - this.lastDecrease >= 4000) next = this.target * 1.2;
      else return;
      if (rxRate) next = Math.min(next, 0.8 * (rxRate - AUDIO_KBPS));
      next = clamp(next);
      if (next <= this.target) return;
      this.move(now, next, 'probe');
      this.stats.increases++;
    }
  }

  move(now, kbps, reason) {
    this.target = kbps;
    this.lastMove = now;
    this.stats.lastReason = reason;
  }

  /** Before encoding a picture: false when it would wait behind more than
   * one frame interval of the link (it would be late: skip it at the
   * source; the next picture is coded against the last one sent). */
  admit(buffered) {
    const link = this.deliveryKbps || this.target + AUDIO_KBPS;
    const interval = (link * 1000 / 8) / this.fps;  // bytes the link takes per frame
    // At least one chunk in flight is normal (it is being written).
    if (buffered > Math.max(interval, 2048)) {
      this.skippedSince++;
      this.stats.skipped++;
      return false;
    }
    return true;
  }

  get kbps() { return this.target; }
}
