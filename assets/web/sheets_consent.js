// sheets_consent.js: the beneficiary's consent in the room page (PROTOCOL.md
// §10.3): which worksheets are kept one year after the bilan's close, for
// the follow-up interview. Without it, the close destroys every sheet.
//
//   const c = new ConsentPanel({ send(sheetIds) -> Promise<reply>, el });
//   host.append(c.section);
//   c.show(list, phase, role)   // the sheets ({id, title, template}), Sheets.phase, our role
//
// Owns: the section (a checkbox per sheet, one button, a status line), the
// choice being made and the last choice the server acknowledged. The
// signature and the request are sheets.js's (Sheets.consent); the server
// does not say what an earlier visit consented to, so the page says what
// was recorded from here, and nothing until then.
// Must never: send a consent from a consultant's page (the server refuses
// it anyway), or build DOM from HTML strings.

import { t } from './i18n.js';

export class ConsentPanel {
  constructor({ send, el }) {
    this.send = send;
    this.chosen = new Set();       // ticked now
    this.busy = false;
    this.section = el('section', { id: 'accord', 'aria-labelledby': 'accord-titre', hidden: '' },
      el('h3', { id: 'accord-titre', text: t('consent_title') }),
      el('p', { id: 'accord-aide', text: t('consent_help') }));
    this.boxes = el('fieldset', { id: 'accord-fiches' }, el('legend', { text: t('consent_legend') }));
    this.list = el('div');
    this.boxes.append(this.list);
    this.button = el('button', { type: 'button', id: 'accord-envoyer', text: t('consent_send') });
    this.status = el('p', { id: 'accord-etat', role: 'status', 'aria-live': 'polite' });
    this.section.append(this.boxes, this.button, this.status);
    this.button.addEventListener('click', () => this.submit());
    this.el = el;
    this.ids = [];
  }

  /** Redraws the choice for the sheets there are; hidden for a consultant,
   * before the key, and once the bilan is closed. */
  show(list, phase, role) {
    const open = role === 'beneficiary' && list.length > 0 && phase !== 'closed' && phase !== 'nokey';
    this.section.hidden = !open;
    if (!open) return;
    const ids = list.map((s) => s.id);
    if (ids.join() === this.ids.join()) return;   // same sheets: leave the boxes (and the focus) alone
    this.ids = ids;
    for (const id of [...this.chosen]) if (!ids.includes(id)) this.chosen.delete(id);
    this.list.replaceChildren();
    for (const s of list) {
      const box = this.el('input', { type: 'checkbox', id: `accord-${s.id}`, 'data-sheet': s.id });
      box.checked = this.chosen.has(s.id);
      box.addEventListener('change', () => { if (box.checked) this.chosen.add(s.id); else this.chosen.delete(s.id); });
      this.list.append(this.el('div', { class: 'case' }, box,
        this.el('label', { for: `accord-${s.id}`, text: s.title || s.template })));
    }
  }

  async submit() {
    if (this.busy) return;
    this.busy = true;
    this.button.disabled = true;
    this.say(t('consent_sending'));
    try {
      const reply = await this.send([...this.chosen].sort());
      const n = reply && Array.isArray(reply.sheets) ? reply.sheets.length : 0;
      this.say(n === 0 ? t('consent_none') : n === 1 ? t('consent_savedOne') : t('consent_savedMany', { n }));
    } catch (e) {
      this.say(t('consent_failed', { code: (e && e.code) || 'internal' }));
    } finally {
      this.busy = false;
      this.button.disabled = false;
    }
  }

  say(text) { this.status.textContent = text; }
}
