// call_room.js: the call in the room page: Media (media.js) wired to the
// connection and the end-to-end layer, and what the person sees of it: the
// other person's picture (large), their own (small, mirrored, as in a
// mirror), the microphone and camera buttons with their state always
// written out.
//
// It owns the media frames' sequence numbers (one counter per kind, from 0
// at each join, PROTOCOL.md §4) and the sealing: every payload Media gives
// is sealed with e2e.seal(header, payload) before it reaches the socket;
// nothing unsealed is ever sent. Media starts only once the pairs are
// authenticated and every peer holds our key (e2e.canSend()).
//
//   const call = new CallRoom({conn: () => room.conn, e2e: () => room.e2e,
//                              onAudioMs(slot, ms)});
//   call.mount(beforeEl); call.tick() (often); call.joined();
//   call.memberJoined(slot); call.memberLeft(slot); call.left();
//   call.onFrame(slot, kind, header, plaintext); call.onControl(msg) -> bool;
//   call.stats()   // counts only: no key, no secret, no media bytes
import { Media, mediaSupport } from './media.js';
import { KIND, packHeader } from './frame.js';
import { t } from './i18n.js';

// What the person reads: i18n.js's call_* sentences.

const AUDIO_MS_PER_PACKET = 20;   // §4.2: one Opus packet is 20 ms

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

export class CallRoom {
  constructor({ conn, e2e, onAudioMs }) {
    this.conn = conn;                  // () -> RoomConnection | null
    this.e2e = e2e;                    // () -> RoomE2E | null
    this.onAudioMs = onAudioMs || (() => {});
    this.media = null;
    this.starting = false;
    this.got = null;                   // {camera, microphone} once started
    this.seq = { [KIND.audio]: 0, [KIND.video]: 0 };
    this.muted = { audio: false, video: false };
    this.counts = { sealed: 0, sent: 0, notReady: 0, sealFailed: 0, opened: 0, keyframeAsked: 0 };
    this.audioSeen = new Map();        // slot -> audio packets decoded, already counted
    this.ui = null;
    this.ended = false;                // left for good: never restarted
  }

  // ---- the view

  /** Builds the call's section and puts it before `before` (an element of the page). */
  mount(before) {
    const sec = el('section', { id: 'appel', 'aria-labelledby': 'appel-titre' });
    sec.appendChild(el('h2', { id: 'appel-titre' }, t('call_title')));
    const screens = el('div', { class: 'ecrans' });
    const remote = el('canvas', { id: 'video-autre', role: 'img', 'aria-label': t('call_remote'),
      width: '640', height: '480' });
    const self = el('video', { id: 'video-moi', 'aria-label': t('call_self') });
    self.muted = true;                 // our own sound is never played back to us
    self.autoplay = true;
    self.playsInline = true;
    screens.append(remote, self);
    // Styles through the CSSOM (the page's CSP allows it; no stylesheet of
    // our own to name in room.html): the other person large, ourselves
    // small in a corner and mirrored, as people expect to see themselves.
    Object.assign(screens.style, { position: 'relative', maxWidth: '48rem' });
    Object.assign(remote.style, { display: 'block', width: '100%', height: 'auto', background: '#222' });
    Object.assign(self.style, { position: 'absolute', right: '0.5rem', bottom: '0.5rem', width: '25%',
      height: 'auto', transform: 'scaleX(-1)', border: '2px solid #fff', background: '#444' });
    const status = el('p', { id: 'appel-etat', role: 'status', 'aria-live': 'polite' }, t('call_waiting'));
    const picture = el('p', { id: 'appel-image', class: 'discret' }, t('call_noPicture'));
    const buttons = el('div', { class: 'boutons', role: 'group', 'aria-label': t('call_title') });
    const mic = el('button', { type: 'button', id: 'micro', 'aria-pressed': 'false' });
    const cam = el('button', { type: 'button', id: 'camera', 'aria-pressed': 'false' });
    const micState = el('span', { id: 'micro-etat', class: 'etat-appareil' });
    const camState = el('span', { id: 'camera-etat', class: 'etat-appareil' });
    buttons.append(mic, micState, cam, camState);
    Object.assign(buttons.style, { display: 'flex', flexWrap: 'wrap', gap: '0.5rem', alignItems: 'center' });
    for (const e of [micState, camState]) Object.assign(e.style, { fontWeight: 'bold', padding: '0.1rem 0.4rem' });
    sec.append(screens, picture, buttons, status);
    before.parentNode.insertBefore(sec, before);
    this.ui = { remote, self, status, picture, mic, cam, micState, camState };
    mic.addEventListener('click', () => this.toggle('audio'));
    cam.addEventListener('click', () => this.toggle('video'));
    document.addEventListener('keydown', (ev) => {
      const target = ev.target;
      // Letters typed in the chat stay letters.
      if (ev.ctrlKey || ev.metaKey || ev.altKey || (target && (target.tagName === 'INPUT' ||
          target.tagName === 'TEXTAREA' || target.isContentEditable))) return;
      if (ev.key === 'm' || ev.key === 'M') { ev.preventDefault(); this.toggle('audio'); }
      if (ev.key === 'c' || ev.key === 'C') { ev.preventDefault(); this.toggle('video'); }
    });
    // Browsers play sound only after the person did something on the page.
    const resume = () => { if (this.media) this.media.resumeAudio().catch(() => {}); };
    document.addEventListener('click', resume);
    document.addEventListener('keydown', resume);
    this.showDevices();
    // Said from the start, so that a person can change browsers before the
    // meeting rather than in the middle of it.
    const can = mediaSupport();
    if (!can.send) this.setStatus(t(can.receive ? 'callReceiveOnly' : 'callUnsupported'));
  }

  setStatus(text) {
    if (this.ui && this.ui.status.textContent !== text) this.ui.status.textContent = text;
  }

  showDevices() {
    if (!this.ui) return;
    const { mic, cam, micState, camState } = this.ui;
    const micAbsent = this.ended || (this.got && !this.got.microphone);
    const camAbsent = this.ended || (this.got && !this.got.camera);
    mic.textContent = this.muted.audio ? t('call_unmuteMic') : t('call_muteMic');
    cam.textContent = this.muted.video ? t('call_unmuteCam') : t('call_muteCam');
    mic.setAttribute('aria-pressed', String(this.muted.audio));
    cam.setAttribute('aria-pressed', String(this.muted.video));
    mic.disabled = !!micAbsent;
    cam.disabled = !!camAbsent;
    micState.textContent = this.muted.audio || micAbsent ? t('call_micOff') : t('call_micOn');
    camState.textContent = this.muted.video || camAbsent ? t('call_camOff') : t('call_camOn');
    // The state in words and in colour (the words alone say it all).
    for (const [e, on] of [[micState, !(this.muted.audio || micAbsent)], [camState, !(this.muted.video || camAbsent)]]) {
      e.dataset.on = String(on);
      e.style.background = on ? '#dff0d8' : '#f8d7da';
      e.style.color = on ? '#1d4d14' : '#6b1219';
    }
    this.ui.self.hidden = !!(this.muted.video || camAbsent);
  }

  toggle(kind) {
    this.muted[kind] = !this.muted[kind];
    if (this.media) this.media.setMuted(kind, this.muted[kind]);
    this.showDevices();
  }

  // ---- the room's life

  /** Called often (the app's 500-ms timer and after e2e events): starts the
   * media once the keys are ready, and counts the audio heard. */
  tick() {
    const e2e = this.e2e();
    if (!this.media && !this.starting && !this.ended && !this.unsupported && e2e && e2e.canSend()) this.start();
    this.countAudio();
  }

  async start() {
    const can = mediaSupport();
    if (!can.send && !can.receive) {
      // Nothing of the call works here: say so once, and where it does.
      this.unsupported = true;
      this.got = { camera: false, microphone: false };
      this.setStatus(t('callUnsupported'));
      this.showDevices();
      return;
    }
    this.starting = true;
    this.setStatus(t('call_starting'));
    const media = new Media({
      send: (kind, flags, ts, captureMs, payload) => this.send(kind, flags, ts, captureMs, payload),
      serverNowMs: () => { const c = this.conn(); return c ? c.serverNowMs() : Date.now(); },
      bufferedAmount: () => { const c = this.conn(); return c && c.ws ? c.ws.bufferedAmount : 0; },
      events: {
        requestKeyframe: (slot) => {
          const c = this.conn();
          if (c && c.phase === 'in_room' && c.sendJson({ type: 'keyframe_request', slot })) this.counts.keyframeAsked++;
        },
        onVideo: () => { if (this.ui && !this.ui.picture.hidden) this.ui.picture.hidden = true; },
      },
    });
    media.attach(this.ui ? this.ui.self : null, this.ui ? this.ui.remote : null);
    this.media = media;
    for (const k of ['audio', 'video']) if (this.muted[k]) media.setMuted(k, true);
    try {
      this.got = await media.start({ camera: true, microphone: true });
    } catch {
      this.got = { camera: false, microphone: false };
    }
    this.starting = false;
    this.setStatus(!can.send ? t('callReceiveOnly') : !this.got.camera && !this.got.microphone ? t('call_noDevices')
      : !this.got.camera ? t('call_noCamera') : !this.got.microphone ? t('call_noMicrophone') : t('call_running'));
    this.showDevices();
  }

  /** A payload from Media: numbered, sealed, sent. Dropped (not numbered)
   * when we are not in a room: a gap in the numbers would read as a loss on
   * the other side. While a new member's pair settles, frames are sealed
   * under our current key all the same: peers holding it open them, the
   * others hold them until it comes (e2e.js), and a peer that is not
   * authenticated never gets the key. */
  send(kind, flags, ts, captureMs, payload) {
    const c = this.conn(), e2e = this.e2e();
    if (!c || c.phase !== 'in_room' || !e2e) { this.counts.notReady++; return; }
    const header = packHeader({ kind, flags, seq: this.seq[kind]++, ts, captureMs });
    // e2e runs its calls in order: the frames leave in the order Media gave them.
    e2e.seal(header, payload).then((frame) => {
      if (!frame) { this.counts.sealFailed++; return; }
      this.counts.sealed++;
      if (c === this.conn() && c.sendBinary(frame)) this.counts.sent++;
    });
  }

  /** We joined (again): frame numbers and media timestamps restart. */
  joined() {
    this.seq = { [KIND.audio]: 0, [KIND.video]: 0 };
    this.audioSeen.clear();
    if (this.media) this.media.joined();
  }

  /** Someone joined: our key changed (a new generation): a keyframe. */
  memberJoined() { if (this.media) this.media.newKeyGeneration(); }

  memberLeft(slot) {
    this.countAudio();
    this.audioSeen.delete(slot);
    if (this.media) { this.media.memberLeft(slot); this.media.newKeyGeneration(); }
  }

  /** We are out of the room. For good (the person left, another tab took
   * the place, the connection gave up): the camera and microphone close
   * (their lights go off). Connection lost for now: they stay open for a
   * quick return; nothing is sent meanwhile (send() checks). */
  left(forGood) {
    if (forGood && this.media) {
      this.stop();
      this.ended = true;
      this.setStatus(t('call_ended'));
      this.showDevices();
    } else if (this.ui && !this.media && !this.unsupported) {
      this.setStatus(t('call_waiting'));
    }
  }

  /** An opened audio or video frame of a member. */
  onFrame(slot, kind, header, plaintext) {
    if (kind !== KIND.audio && kind !== KIND.video) return false;
    this.counts.opened++;
    if (this.media) this.media.onFrame(slot, kind, header, plaintext);
    return true;
  }

  /** keyframe_request and media_report; false for anything else. */
  onControl(msg) {
    if (msg.type === 'keyframe_request') { if (this.media) this.media.onKeyframeRequest(msg); return true; }
    if (msg.type === 'media_report') { if (this.media) this.media.onMediaReport(msg); return true; }
    return false;
  }

  /** Audio of others decoded since the last call, handed to onAudioMs (the
   * session's received_audio_ms). */
  countAudio() {
    if (!this.media) return;
    const slots = this.media.stats().recv.slots;
    for (const [slot, s] of Object.entries(slots)) {
      const n = s.audio.decoded | 0, before = this.audioSeen.get(+slot) || 0;
      if (n > before) this.onAudioMs(+slot, (n - before) * AUDIO_MS_PER_PACKET);
      this.audioSeen.set(+slot, n);
    }
  }

  stats() {
    const m = this.media ? this.media.stats() : null;
    return { started: !!this.media, got: this.got, muted: { ...this.muted }, counts: { ...this.counts },
      seq: { audio: this.seq[KIND.audio], video: this.seq[KIND.video] }, media: m };
  }

  stop() {
    if (this.media) this.media.stop();
    this.media = null;
  }
}
