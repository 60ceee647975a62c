// files.js: the files other members send to this page (PROTOCOL.md §4.1,
// client/datarx.c): file_begin, file_chunk and file_end put together in
// memory, size and SHA-256 checked, then offered to the person as a
// download. Every file_begin gets one file_answer (received, too_large,
// busy, damaged); a transfer whose sender leaves is dropped (nobody to
// answer). The page does not send files (README: the browser client).
//
//   const fr = new FileReceiver({ answer(slot, id, code), done(slot, {name, size, blob, from}),
//                                 failed(slot, {name, size, why, from}) });
//   await fr.onData(slot, msg, from);   // a decoded file_* message (frame.js decodeData);
//                                       // from: the sender's words at file_begin, given back
//   fr.memberLeft(slot);
//   fr.stats();
//
// Owns: the transfers in progress, each at most maxBytes in memory, at most
// maxActive at once. Must never: keep a transfer past its member's leave,
// offer a file whose size or SHA-256 is not the announced one, or put the
// file's name anywhere but textContent and the download attribute.
import { FILE_ANSWER } from './frame.js';
import { equal } from './bytes.js';
import { sha256 } from './wcrypto.js';

export const FILE_MAX_BYTES = 64 * 1024 * 1024;   // held in the page's memory
const MAX_ACTIVE = 4;

export class FileReceiver {
  constructor({ answer, done, failed = () => {}, maxBytes = FILE_MAX_BYTES, maxActive = MAX_ACTIVE }) {
    this.answer = answer;
    this.done = done;
    this.failed = failed;
    this.maxBytes = maxBytes;
    this.maxActive = maxActive;
    this.t = new Map();             // "slot/id" -> {slot, id, name, size, sha, parts, got}
    this.st = { offered: 0, received: 0, tooLarge: 0, busy: 0, damaged: 0, interrupted: 0, stray: 0 };
  }

  say(slot, id, code) {
    try { this.answer(slot, id, code); } catch { /* the link is down: the sender's side times out */ }
  }

  drop(x, code, why) {
    this.t.delete(`${x.slot}/${x.id}`);
    this.st.damaged += code === FILE_ANSWER.damaged ? 1 : 0;
    this.say(x.slot, x.id, code);
    this.failed(x.slot, { name: x.name, size: x.size, why, from: x.from });
  }

  async onData(slot, m, from = null) {
    const k = `${slot}/${m.id}`;
    const x = this.t.get(k);
    if (m.type === 'file_begin') {
      if (x) this.drop(x, FILE_ANSWER.damaged, 'damaged');   // an id reused in flight: the old one is broken
      this.st.offered++;
      if (m.size > this.maxBytes) {
        this.st.tooLarge++;
        this.say(slot, m.id, FILE_ANSWER.too_large);
        this.failed(slot, { name: m.name, size: m.size, why: 'too_large', from });
        return;
      }
      if (this.t.size >= this.maxActive) { this.st.busy++; this.say(slot, m.id, FILE_ANSWER.busy); return; }
      // The sender's words now: it may have left by the time the file is checked.
      this.t.set(k, { slot, id: m.id, name: m.name, size: m.size, sha: m.sha256, parts: [], got: 0, from });
      return;
    }
    if (!x) { this.st.stray++; return; }          // never begun, or already refused
    if (m.type === 'file_chunk') {
      // In order on the one connection (§4.1): anything else is damage.
      if (m.offset !== x.got || x.got + m.bytes.length > x.size) { this.drop(x, FILE_ANSWER.damaged, 'damaged'); return; }
      x.parts.push(m.bytes.slice());
      x.got += m.bytes.length;
      return;
    }
    if (m.type === 'file_end') {
      if (x.got !== x.size) { this.drop(x, FILE_ANSWER.damaged, 'damaged'); return; }
      this.t.delete(k);
      const blob = new Blob(x.parts, { type: 'application/octet-stream' });
      x.parts = null;
      const digest = await sha256(new Uint8Array(await blob.arrayBuffer()));
      if (!equal(digest, x.sha)) {
        this.st.damaged++;
        this.say(slot, x.id, FILE_ANSWER.damaged);
        this.failed(slot, { name: x.name, size: x.size, why: 'damaged', from: x.from });
        return;
      }
      this.st.received++;
      this.say(slot, x.id, FILE_ANSWER.received);
      this.done(slot, { name: x.name, size: x.size, blob, from: x.from });
    }
  }

  /** The member left: its unfinished transfers end here (no answer: it is gone). */
  memberLeft(slot) {
    for (const [k, x] of [...this.t]) {
      if (x.slot !== slot) continue;
      this.t.delete(k);
      this.st.interrupted++;
    }
  }

  stats() { return { ...this.st, active: this.t.size }; }
}
