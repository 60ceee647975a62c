// personal.js: the beneficiary's declaration of personal work in the room
// page (PROTOCOL.md §9.2 `personal_declare`; `bilan hours declare`): time
// spent alone on the bilan (research, job interviews...) counts in its
// hours report, next to the face-to-face time.
//
//   const pw = new PersonalWork({ send(msg) -> bool });
//   hoursSection.append(pw.form);
//   pw.onReply(msg)          // personal_declared (our ref)
//   pw.onError(code, ref)    // -> true when it answered our request
//
// Owns: the form, the request in flight (its ref). parseDuration is the
// one reading of what a person types ("1h30", "1:30", "2 h", "45 min").
// Must never: send a duration outside 1 minute .. 24 hours (the server
// refuses it too), or build DOM from HTML strings.
import { errorText, t } from './i18n.js';

const MIN_S = 60, MAX_S = 86400, NOTE_MAX = 200;

/** Seconds for "1h30", "1 h 30", "1:30", "2h", "45 min", "45mn", "45"
 * (minutes); null for anything else or outside 1 minute .. 24 hours. */
export function parseDuration(text) {
  const s = String(text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  let h = 0, m = 0, r;
  if ((r = /^(\d{1,2}) ?(?:h|:) ?(\d{1,2})? ?(?:min|mn|m)?$/.exec(s))) {
    h = +r[1];
    m = r[2] === undefined ? 0 : +r[2];
    if (m > 59) return null;
  } else if ((r = /^(\d{1,4}) ?(?:min|mn|m)?$/.exec(s))) {
    m = +r[1];
  } else return null;
  const sec = h * 3600 + m * 60;
  return sec >= MIN_S && sec <= MAX_S ? sec : null;
}

/** "1 h 30", "2 h", "45 min" (the same in both languages). */
export function durationText(sec) {
  const h = Math.floor(sec / 3600), m = Math.round((sec % 3600) / 60);
  if (h && m) return `${h} h ${String(m).padStart(2, '0')}`;
  return h ? `${h} h` : `${m} min`;
}

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

export class PersonalWork {
  constructor({ send }) {
    this.send = send;
    this.ref = null;
    this.n = 0;
    this.sent = 0;
    const f = el('form', { id: 'travail-perso', 'aria-labelledby': 'perso-titre' });
    this.duration = el('input', { id: 'perso-duree', type: 'text', autocomplete: 'off', 'aria-describedby': 'perso-aide' });
    this.note = el('input', { id: 'perso-note', type: 'text', maxlength: String(NOTE_MAX), autocomplete: 'off' });
    this.status = el('p', { id: 'perso-etat', role: 'status', 'aria-live': 'polite' });
    f.append(el('h3', { id: 'perso-titre' }, t('perso_title')),
      el('p', { id: 'perso-aide', class: 'aide' }, t('perso_help')),
      el('label', { for: 'perso-duree' }, t('perso_duration')), this.duration,
      el('label', { for: 'perso-note' }, t('perso_note')), this.note,
      el('button', { type: 'submit', id: 'perso-envoyer' }, t('perso_send')), this.status);
    f.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    this.form = f;
  }

  submit() {
    const sec = parseDuration(this.duration.value);
    if (sec === null) { this.say(t('perso_bad')); this.duration.focus(); return; }
    this.ref = 'pw' + (++this.n);
    this.secs = sec;
    const msg = { type: 'personal_declare', seconds: sec, ref: this.ref };
    const note = this.note.value.trim().slice(0, NOTE_MAX);
    if (note) msg.note = note;
    if (!this.send(msg)) { this.ref = null; this.say(t('perso_offline')); return; }
    this.sent++;
    this.say(t('perso_sending'));
  }

  onReply(msg) {
    if (!this.ref || msg.ref !== this.ref) return;
    this.ref = null;
    this.say(t('perso_done', { dur: durationText(Number.isInteger(msg.seconds) ? msg.seconds : this.secs) }));
    this.duration.value = '';
    this.note.value = '';
  }

  onError(code, ref) {
    if (!this.ref || ref !== this.ref) return false;
    this.ref = null;
    this.say(t('perso_failed', { why: errorText(code) }));
    return true;
  }

  say(text) { this.status.textContent = text; }
}
