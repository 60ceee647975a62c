// ui.js: what the person sees and does on the room page: the connection
// state (a role=status live region, so a screen reader hears changes), who
// is in the room in plain words, the 6-digit code with Oui / Non, the chat
// and the text size. DOM built with createElement/textContent only (the
// page's CSP enforces Trusted Types: no HTML string is ever parsed). It
// knows nothing of the network or of keys: app.js drives it.

import { t, lang } from './i18n.js';
import { get, put } from './store.js';

export const TEXT_SIZES = [20, 24, 28, 32, 36, 40];

const $ = (id) => document.getElementById(id);

function setText(id, key, params) {
  const el = $(id);
  if (el) el.textContent = t(key, params);
}

export class RoomView {
  constructor() {
    this.sizeIndex = 0;
    this.codes = new Map();        // slot -> {code, who, answered}
    this.onAnswer = null;          // (slot, yes) -> void
    this.onSend = null;            // (text) -> Promise<bool>
    this.onLeave = null;
  }

  async init() {
    document.documentElement.lang = lang;
    document.title = t('title');
    setText('titre', 'title');
    setText('texte-plus', 'textBigger');
    setText('texte-moins', 'textSmaller');
    setText('code-titre', 'codeTitle');
    setText('code-aide', 'codeHelp');
    setText('code-question', 'codeQuestion');
    setText('code-oui', 'yes');
    setText('code-non', 'no');
    setText('salle-titre', 'members');
    setText('messages-titre', 'chat');
    setText('message-nom', 'chatLabel');
    setText('envoyer', 'send');
    setText('message-aide', 'chatNotReady');
    setText('quitter', 'leave');
    $('texte-plus').addEventListener('click', () => this.setTextSize(this.sizeIndex + 1));
    $('texte-moins').addEventListener('click', () => this.setTextSize(this.sizeIndex - 1));
    $('code-oui').addEventListener('click', () => this.answer(true));
    $('code-non').addEventListener('click', () => this.answer(false));
    $('envoi').addEventListener('submit', (ev) => { ev.preventDefault(); this.submitChat(); });
    $('quitter').addEventListener('click', () => { if (this.onLeave) this.onLeave(); });
    let saved = null;
    try { saved = await get('settings', 'textSize'); } catch { /* private mode: default size */ }
    this.setTextSize(Math.max(0, TEXT_SIZES.indexOf(saved)), false);
  }

  setTextSize(i, save = true) {
    this.sizeIndex = Math.min(TEXT_SIZES.length - 1, Math.max(0, i));
    const px = TEXT_SIZES[this.sizeIndex];
    document.documentElement.style.fontSize = px + 'px';   // CSSOM: allowed by the CSP
    setText('taille-nom', 'textSize', { size: px });
    $('texte-plus').disabled = this.sizeIndex === TEXT_SIZES.length - 1;
    $('texte-moins').disabled = this.sizeIndex === 0;
    if (save) put('settings', 'textSize', px).catch(() => {});
  }

  /** The connection's state in one sentence; kind: ok | wait | error. */
  setState(text, kind = 'wait', state = '') {
    const el = $('etat');
    if (el.textContent !== text) el.textContent = text;
    el.dataset.kind = kind;
    document.documentElement.dataset.conn = state;
  }

  /** members: [{slot, text, me}] in the order to show. */
  setMembers(members, aloneText) {
    const ul = $('membres');
    const items = members.map((m) => {
      const li = document.createElement('li');
      li.dataset.slot = String(m.slot);
      if (m.me) li.dataset.me = '1';
      li.textContent = m.text;
      return li;
    });
    if (aloneText) {
      const li = document.createElement('li');
      li.className = 'discret';
      li.textContent = aloneText;
      items.push(li);
    }
    ul.replaceChildren(...items);
  }

  /** A line in the message log: from a person, or an event (info). */
  addLine(text, kind = 'info') {
    const li = document.createElement('li');
    li.className = kind;
    li.textContent = text;
    const log = $('fil');
    log.append(li);
    while (log.children.length > 500) log.firstElementChild.remove();
    const journal = $('fil-journal');
    journal.scrollTop = journal.scrollHeight;
  }

  /** A line offering a received file: the link saves it under its name
   * (a Blob URL: the file never left this page's memory in clear). */
  addFile(text, name, blob, label) {
    const li = document.createElement('li');
    li.className = 'pair fichier';
    const words = document.createElement('span');
    words.textContent = text + ' ';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.textContent = label;
    li.append(words, a);
    const log = $('fil');
    log.append(li);
    while (log.children.length > 500) log.firstElementChild.remove();
    const journal = $('fil-journal');
    journal.scrollTop = journal.scrollHeight;
  }

  setChatEnabled(on) {
    $('message').disabled = !on;
    $('envoyer').disabled = !on;
    $('message-aide').hidden = on;
  }

  async submitChat() {
    const input = $('message');
    const text = input.value.trim();
    if (!text || !this.onSend) return;
    if (await this.onSend(text)) input.value = '';
    input.focus();
  }

  /** Shows the code the person reads aloud, with Oui / Non. One code at a
   * time on screen (the oldest unanswered); the others wait their turn. */
  showCode(slot, code, who) {
    this.codes.set(slot, { code, who });
    this.renderCode();
  }

  dropCode(slot) {
    this.codes.delete(slot);
    this.renderCode();
  }

  renderCode() {
    const section = $('code');
    const first = this.codes.entries().next();
    if (first.done) { section.hidden = true; return; }
    const [slot, { code }] = first.value;
    const digits = String(code).replace(/\D/g, '');
    const shown = $('code-chiffres');
    shown.textContent = digits.slice(0, 3) + ' ' + digits.slice(3);
    // Read digit by digit by a screen reader, not as "cent vingt-trois".
    shown.setAttribute('aria-label', digits.split('').join(' '));
    section.dataset.slot = String(slot);
    const wasHidden = section.hidden;
    section.hidden = false;
    if (wasHidden) $('code-oui').focus();
  }

  answer(yes) {
    const section = $('code');
    const slot = Number(section.dataset.slot);
    if (!this.codes.has(slot)) return;
    this.codes.delete(slot);
    this.renderCode();
    if (this.onAnswer) this.onAnswer(slot, yes);
  }
}
