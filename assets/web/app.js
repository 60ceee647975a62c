// app.js: the room page's entry point. Reads the invite from the page's own
// address (link.js: the secret stays in the browser), loads or makes this
// browser's device identity (identity.js), connects and joins the room
// (conn.js), and tells the person what happens (ui.js) in plain words:
// who is there, the state of the connection, the spoken code, the chat.

import { errorText, fromFrench, plain, sizeText, t } from './i18n.js';
import { RoomView } from './ui.js';
import { readPageInvite, rememberInviteBilan } from './link.js';
import { loadIdentity } from './identity.js';
import { RoomConnection, roomUrl } from './conn.js';
import { addBilanSecret, bilanSecrets, put, trustStore } from './store.js';
import { RoomE2E } from './e2e.js';
import { KIND, decodeData, encodeChat, encodeFileAnswer, packHeader } from './frame.js';
import { FileReceiver } from './files.js';
import { SheetsRoom } from './sheets_room.js';
import { CallRoom } from './call_room.js';
import { HoursRoom } from './hours_room.js';

const view = new RoomView();
const sheetsRoom = new SheetsRoom();    // the worksheets: sheets_room.js
const room = {
  conn: null,
  identity: null,
  bilan: null,
  slot: null,
  members: new Map(),       // slot -> member object of the roster
  dataSeq: 0,
  e2e: null,                // RoomE2E once the crypto layer is wired
  refused: 0,               // frames or data messages dropped (malformed, unopened)
  chatIn: 0,
  call: null,               // CallRoom (call_room.js): camera, microphone, pictures
  hours: null,              // HoursRoom (hours_room.js): hours, sessions, receipts
};

/** How the person is told who a member is. */
// Why a file did not come (files.js) -> the sentence.
const FILE_WHY = { too_large: 'fileTooLarge', damaged: 'fileDamaged' };

function who(m) {
  if (!m) return '?';
  if (m.slot === room.slot) return t('you');
  if (m.role === 'consultant') {
    const name = plain(m.name);
    return name ? t('consultantNamed', { name }) : t('consultant');
  }
  return t('otherDevice');
}

function showMembers() {
  const list = [...room.members.values()].sort((a, b) =>
    (b.slot === room.slot) - (a.slot === room.slot) || a.slot - b.slot);
  const alone = list.length === 1 && list[0].slot === room.slot;
  view.setMembers(list.map((m) => ({ slot: m.slot, text: who(m), me: m.slot === room.slot })),
    alone ? t('alone') : null);
}

const STATE_VIEW = {
  connecting: ['connecting', 'wait'],
  signing_in: ['signingIn', 'wait'],
  joining: ['joining', 'wait'],
  in_room: ['inRoom', 'ok'],
  reconnecting: ['reconnecting', 'wait'],
  gave_up: ['gaveUp', 'error'],
  replaced: ['replaced', 'error'],
  left: ['left', 'wait'],
};

function onState(state, info) {
  sheetsRoom.onState(state);
  if (state === 'refused') {
    view.setState(errorText(info.code), 'error', state);
  } else if (STATE_VIEW[state]) {
    // A first connection says "Connexion…"; every later try says "Reconnexion…".
    const key = (state === 'connecting' || state === 'signing_in' || state === 'joining') &&
      room.everJoined ? 'reconnecting' : STATE_VIEW[state][0];
    view.setState(t(key), STATE_VIEW[state][1], state);
  }
  if (state !== 'in_room') {
    if (room.slot !== null) {
      room.members.clear();
      showMembers();
      room.slot = null;
      leaveE2e();
      room.call.left(state === 'left' || state === 'replaced' || state === 'gave_up');
      room.hours.left().catch(() => {});
    }
    updateChat();
  }
}

async function onWelcome(msg) {
  if (msg.bilan) {
    await rememberInviteBilan(room.invite.token, msg.bilan);
  }
  const bilan = room.conn.bilan;
  if (bilan && room.invite.secret) await addBilanSecret(bilan, room.invite.secret);
  for (const b of msg.bilans) {
    if (b && typeof b.bilan === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(b.bilan)) {
      await put('bilans', b.bilan, { bilan: b.bilan, label: plain(b.label), role: b.role, budget_s: b.budget_s });
    }
  }
  sheetsRoom.welcome(msg, room.conn, room.identity).catch(() => {});
}

async function onJoined(msg) {
  room.everJoined = true;
  room.bilan = msg.bilan;
  room.slot = msg.slot;
  room.dataSeq = 0;
  room.members = new Map(msg.members.map((m) => [m.slot, m]));
  const ready = startE2e(msg);
  room.call.joined();
  for (let s = 0; s < 4; s++) room.files.memberLeft(s);   // a new join: every transfer starts again
  // Before any await too: the server's hours_update may follow `joined` at once.
  const hoursReady = room.hours.joined(msg.bilan, msg.slot, msg.members);
  showMembers();
  await ready;
  await hoursReady;
  updateChat();
}

async function onMemberJoined(msg) {
  room.members.set(msg.slot, msg);
  showMembers();
  view.addLine(t('joinedMsg', { who: who(msg) }));
  if (room.e2e) await room.e2e.memberJoined(msg);
  room.call.memberJoined(msg.slot);
  await room.hours.roster([...room.members.values()], false);
  updateChat();
}

function onMemberLeft(msg) {
  const m = room.members.get(msg.slot) || msg;
  room.members.delete(msg.slot);
  showMembers();
  view.dropCode(msg.slot);
  // `replaced`: the same device came back at once; its member_joined follows.
  if (msg.reason !== 'replaced') view.addLine(t(msg.reason === 'lost' ? 'lostMsg' : 'leftMsg', { who: who(m) }));
  if (room.e2e) room.e2e.memberLeft(msg.slot);
  room.call.memberLeft(msg.slot);
  room.files.memberLeft(msg.slot);
  room.hours.roster([...room.members.values()], msg.reason === 'lost').catch(() => {});
  updateChat();
}

function onError(code, fatal, ref) {
  if (sheetsRoom.onError(code, ref)) return;   // a worksheet request's answer
  if (room.hours && room.hours.onError(code, ref)) return;   // the personal work's
  // Refusals of the handshake and the join become the state line (onState);
  // others are shown once in the log, in plain words.
  if (!fatal && room.conn && room.conn.phase === 'in_room') view.addLine(errorText(code));
}

// ---- end-to-end layer (e2e.js): the pairwise handshakes, the code, the keys

/** Made at once when the room is joined (before any await), so that the
 * peers' e2e messages that follow `joined` find it. */
function startE2e(msg) {
  leaveE2e();
  room.e2e = new RoomE2E({
    identity: room.identity,
    bilan: msg.bilan,
    secrets: room.secrets,
    trust: trustStore(msg.bilan),
    send: (to, body) => room.conn.sendJson(Number.isInteger(to) ? { type: 'e2e', to, body } : { type: 'e2e', body }),
    events: { onCode, onPeer, onFrame: onPlainFrame },
  });
  return room.e2e.joined(msg.slot, msg.members);
}

function leaveE2e() {
  if (room.e2e) { room.e2e.leave(); room.e2e = null; }
  for (const slot of [...view.codes.keys()]) view.dropCode(slot);
}

function onE2e(msg) {
  if (room.e2e) return room.e2e.onE2e(msg.from, msg.device, msg.body);
  room.refused++;
  return undefined;
}

function onCode(slot, code) {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return;
  view.showCode(slot, code, who(room.members.get(slot)));
  view.setState(t('codeAnnounce', { who: who(room.members.get(slot)) }), 'wait', 'in_room');
}

const PEER_WORDS = {
  invite: ['peerAuthenticated', 'ok'], known: ['peerAuthenticated', 'ok'], verified: ['peerVerified', 'ok'],
  failed: ['peerFailed', 'error'], blocked: ['peerBlocked', 'error'], changed_key: ['peerChangedKey', 'error'],
  other_invite: ['peerOtherInvite', 'wait'], rejected_by_peer: ['peerRejected', 'error'],
  rejected_by_us: ['codeRefused', 'error'], ended_by_peer: ['peerEnded', 'error'],
};

function onPeer(slot, state, detail) {
  sheetsRoom.peer(slot, state, room.e2e);
  const words = PEER_WORDS[state];
  if (!words) return;
  const w = who(room.members.get(slot));
  if (state === 'verified') view.dropCode(slot);
  if (words[1] === 'error') view.dropCode(slot);
  view.addLine(t(words[0], { who: w }));
  // The reason, as the native client says it: only one of the native
  // client's own reasons (e2e_*), in the page's language; a peer's other
  // words are never shown.
  const reason = (state === 'failed' || state === 'ended_by_peer') && detail ? fromFrench(detail, 'e2e_') : null;
  if (reason) {
    view.addLine(t(state === 'failed' ? 'peerReason' : 'peerReasonGiven', { reason }));
    if (detail.includes('interception')) view.addLine(t('peerInterception'));
  }
  if (state === 'verified' || state === 'invite' || state === 'known') {
    view.setState(t('inRoom'), 'ok', 'in_room');
  } else if (words[1] === 'wait') {
    view.setState(t(words[0], { who: w }), 'wait', 'in_room');
  } else {
    view.setState(t(words[0], { who: w }), 'error', 'in_room');
  }
  updateChat();
}

function chatReady() { return !!room.e2e && room.conn && room.conn.phase === 'in_room' && room.e2e.canSend(); }
function updateChat() { view.setChatEnabled(chatReady()); }

async function onBinary(bytes) {
  if (!room.e2e) { room.refused++; return; }
  const got = await room.e2e.open(bytes);
  if (!got) { room.refused++; return; }
  onPlainFrame(got.slot, got.kind, got.header, got.plaintext);
}

function onPlainFrame(slot, kind, header, plaintext) {
  if (room.call.onFrame(slot, kind, header, plaintext)) return;   // audio, video
  if (kind !== KIND.data) return;
  const msg = decodeData(plaintext);
  if (!msg) { room.refused++; return; }
  if (msg.type === 'chat') {
    room.chatIn++;
    view.addLine(t('chatFrom', { who: who(room.members.get(slot)), text: plain(msg.text, 4096) }), 'pair');
  } else if (msg.type === 'file_begin' || msg.type === 'file_chunk' || msg.type === 'file_end') {
    room.files.onData(slot, msg, who(room.members.get(slot))).catch(() => { room.refused++; });
  }
}

/** A data message sealed and sent to the room; false when it could not be. */
async function sendData(payload) {
  if (!chatReady()) return false;
  const header = packHeader({ kind: KIND.data, seq: room.dataSeq++, ts: 0,
    captureMs: room.conn.serverNowMs() });
  const frame = await room.e2e.seal(header, payload);
  return !!frame && room.conn.sendBinary(frame);
}

async function sendChat(text) {
  const payload = encodeChat(text);
  if (!payload) { view.addLine(t('chatTooLong')); return false; }
  if (!await sendData(payload)) return false;
  view.addLine(t('chatFrom', { who: t('you'), text }), 'moi');
  return true;
}

// Control messages of the call (keyframe_request, media_report) and of the
// hours (§9); others (flow, stats...) are not used by the page.
function onControl(msg) {
  sheetsRoom.onControl(msg);          // worksheet replies (by ref) and live sheet messages
  if (room.call.onControl(msg)) return;
  room.hours.onControl(msg).catch(() => { room.refused++; });
}

// ---- start

async function main() {
  await view.init();
  document.documentElement.dataset.ready = '1';
  if (!globalThis.crypto || !crypto.subtle || !globalThis.indexedDB) {
    view.setState(t('noWebCrypto'), 'error', 'unsupported');
    return;
  }
  const invite = await readPageInvite();
  if (invite.error) {
    view.setState(t('badLink'), 'error', 'bad_link');
    return;
  }
  room.invite = invite;
  // The invite secrets this device knows for the bilan, ready before the
  // join (RoomE2E proves itself with each, §2.3).
  room.secrets = invite.bilan ? await bilanSecrets(invite.bilan) : [];
  if (invite.secret && !room.secrets.some((x) => x.every((b, i) => b === invite.secret[i]))) {
    room.secrets.push(invite.secret);
  }
  if (!invite.secret) view.addLine(t('noSecret'));
  room.identity = await loadIdentity();
  room.files = new FileReceiver({
    answer: (slot, id, code) => { sendData(encodeFileAnswer(slot, id, code)).catch(() => {}); },
    done: (slot, f) => view.addFile(t('fileFrom', { who: f.from, name: plain(f.name, 255),
      size: sizeText(f.size) }), f.name, f.blob, t('fileSave')),
    failed: (slot, f) => view.addLine(t(FILE_WHY[f.why] || 'fileDamaged',
      { who: f.from, name: plain(f.name, 255), size: sizeText(f.size) })),
  });
  room.call = new CallRoom({ conn: () => room.conn, e2e: () => room.e2e,
    onAudioMs: (slot, ms) => room.hours.audio(ms) });
  room.hours = new HoursRoom({ identity: room.identity, conn: () => room.conn, e2e: () => room.e2e });
  room.call.mount(document.getElementById('salle'));
  room.hours.mount(document.getElementById('salle'));
  view.onSend = sendChat;
  view.onAnswer = (slot, yes) => { if (room.e2e) room.e2e.answerCode(slot, yes).then(updateChat); };
  view.onLeave = () => room.conn && room.conn.leave();
  room.conn = new RoomConnection({
    url: roomUrl(),
    identity: room.identity,
    token: invite.token,
    tokenBytes: invite.tokenBytes,
    bilan: invite.bilan,
    // A link this browser already redeemed is not redeemed again: the
    // device signs in with its own key (PROTOCOL §2.2, §1 "Reconnection").
    enrol: !invite.bilan,
    events: { onState, onWelcome, onJoined, onMemberJoined, onMemberLeft, onE2e, onBinary, onError,
      onControl },
  });
  room.conn.start();
  // canSend() changes when our key reached every peer, with no event of its own.
  setInterval(() => { updateChat(); room.call.tick(); room.hours.tick(); }, 500);
  // The same link opened again in this tab changes only the fragment (no
  // new page): read it, keep the secret, and take it off the address bar.
  window.addEventListener('hashchange', () => {
    readPageInvite().then(async (again) => {
      if (again.secret && again.token === room.invite.token && room.bilan) {
        await addBilanSecret(room.bilan, again.secret);
      }
    }).catch(() => {});
  });
  // Leaving the page says goodbye, so the others read "a quitté la salle"
  // at once rather than a lost connection seconds later.
  window.addEventListener('pagehide', () => { if (room.conn) room.conn.leave(); });
}

// What the tests (and a curious person's console) may read: states and
// counts, never a key, a token or the invite secret.
globalThis.bilanRoom = Object.freeze({
  state: () => room.conn && room.conn.state,
  phase: () => room.conn && room.conn.phase,
  welcomes: () => room.conn ? [...room.conn.welcomes] : [],
  connections: () => room.conn ? room.conn.connections : 0,
  refused: () => room.refused + (room.conn ? room.conn.refused : 0),
  slot: () => room.slot,
  bilan: () => room.bilan,
  members: () => [...room.members.values()].map((m) => ({ slot: m.slot, role: m.role })),
  chatIn: () => room.chatIn,
  peers: () => room.e2e ? room.e2e.peers().map((p) => ({ slot: p.slot, role: p.role, state: p.state,
    authenticated: p.authenticated, verified: p.verified, by: p.by })) : [],
  clockRoundTrip: () => room.conn && room.conn.clockRoundTrip(),
  serverNowMs: () => room.conn ? room.conn.serverNowMs() : Date.now(),
  keysExtractable: () => room.identity ? room.identity.extractable() : null,
  sheets: () => sheetsRoom.info(),
  secretsKnown: async () => room.bilan ? (await bilanSecrets(room.bilan)).length : 0,
  call: () => room.call ? room.call.stats() : null,
  files: () => room.files ? room.files.stats() : null,
  hours: () => room.hours ? room.hours.stats() : null,
});

main().catch((e) => {
  view.setState(t('noWebCrypto'), 'error', 'failed');
  console.error('bilan: la page n’a pas pu démarrer (' + (e && e.name) + ')');
});
