// sheets_form.js: a worksheet shown as a form the person fills (labels in
// French from the template, every control labelled, keyboard usable), and
// its Markdown export as the native client writes it (client/doc/sheet_md.c:
// title, « Exporté le », sections, bold labels, values by kind, escapes)
// offered as a download link (a Blob).
//
// Words: i18n.js's form_* (the page's language) and md_* (the export:
// always French, fr(), as the native export it must equal byte for byte).
//
// Owns: the DOM of one sheet. Must never: use innerHTML or any HTML string
// (Trusted Types would refuse it): createElement and textContent only;
// write a field the person's role may not edit (shown read-only).

import { fr, t } from './i18n.js';

function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}

function frDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : null;
}

// ---- Markdown (client/doc/sheet_md.c) ----

function mdEscape(s) {
  let out = '', i = 0;
  if (s[0] === ' ' || s[0] === '\t') { out += s[0] === ' ' ? '&#32;' : '&#9;'; i = 1; }
  const m = /^[0-9]+[.)]/.exec(s.slice(i));
  if ('-+='.includes(s[i] || 'x')) { out += '\\' + s[i]; i++; }
  else if (m) { out += m[0].slice(0, -1) + '\\' + m[0].slice(-1); i += m[0].length; }
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\n' || c === '\r') { out += ' '; continue; }
    out += ('\\`*_{}[]<>#|!~&'.includes(c) ? '\\' : '') + c;
  }
  return out;
}

function mdPara(s) {
  let out = '', i = 0;
  while (i < s.length) {
    let j = s.indexOf('\n', i);
    if (j < 0) j = s.length;
    const n = j - i;
    out += mdEscape(s.slice(i, j));
    i = j;
    if (s[i] === '\n') i++;
    const more = i < s.length && s[i] !== '\n' && n > 0;
    out += more ? '  \n' : '\n';
  }
  return out + '\n';
}

/** The pieces a value shows as (client/doc/sheet_value.c). */
export function valuePieces(f, v) {
  const none = [{ kind: 'note', text: fr('md_empty') }];
  if (v === null || v === undefined || (typeof v === 'string' && !/[^ \t\r\n]/.test(v))) return none;
  const label = (id) => (f.options || []).find((o) => o.id === id)?.label ?? id;
  switch (f.kind) {
    case 'text': if (typeof v === 'string') return [{ kind: 'para', text: v }]; break;
    case 'choice': if (typeof v === 'string') return [{ kind: 'para', text: label(v) }]; break;
    case 'multi': case 'list':
      if (!Array.isArray(v)) break;
      if (!v.length) return none;
      return v.map((x) => ({ kind: 'bullet', text: f.kind === 'multi' ? label(x) : String(x) }));
    case 'scale': {
      if (typeof v !== 'number' && typeof v !== 'bigint') break;
      let s = fr('md_scale', { v, max: f.max });
      if (f.minLabel || f.maxLabel) s += ` (${f.min} : ${f.minLabel || '…'} ; ${f.max} : ${f.maxLabel || '…'})`;
      return [{ kind: 'para', text: s }];
    }
    case 'date': if (frDate(v)) return [{ kind: 'para', text: frDate(v) }]; break;
    default: break;
  }
  return [{ kind: 'note', text: fr('md_unreadable') }];
}

/** The sheet as Markdown, as `bilan sheet export ID --format md` writes it. */
export function sheetMarkdown(sheets, sheetId, today = new Date(), { bilanLabel = '', beneficiary = '' } = {}) {
  const tpl = sheets.template(sheetId);
  if (!tpl) return '';
  const d = `${String(today.getDate()).padStart(2, '0')}/${String(today.getMonth() + 1).padStart(2, '0')}/${today.getFullYear()}`;
  let out = `# ${mdEscape(tpl.title)}\n\n`;
  if (bilanLabel) out += `${fr('md_bilan', { label: mdEscape(bilanLabel) })}  \n`;
  if (beneficiary) out += `${fr('md_beneficiary', { name: mdEscape(beneficiary) })}  \n`;
  out += `${fr('md_exported', { date: d })}\n\n`;
  if (tpl.intro) out += `*${mdEscape(tpl.intro)}*\n\n`;
  for (const sec of tpl.sections) {
    out += `## ${mdEscape(sec.title)}\n\n`;
    for (const f of sec.fields) {
      out += `**${mdEscape(f.label)}**\n\n`;
      const p = valuePieces(f, sheets.field(sheetId, f.id).value);
      p.forEach((x, k) => {
        if (x.kind === 'para') out += mdPara(x.text);
        else if (x.kind === 'bullet') out += `- ${mdEscape(x.text)}\n` + (k + 1 === p.length || p[k + 1].kind !== 'bullet' ? '\n' : '');
        else out += `*${mdEscape(x.text)}*\n\n`;
      });
    }
  }
  return out;
}

/** A link that downloads the sheet as a Markdown file (a Blob URL; the
 * caller revokes it with URL.revokeObjectURL when the view goes). */
export function downloadLink(sheets, sheetId, opts = {}) {
  const tpl = sheets.template(sheetId);
  const url = URL.createObjectURL(new Blob([sheetMarkdown(sheets, sheetId, new Date(), opts)], { type: 'text/markdown;charset=utf-8' }));
  return el('a', { href: url, download: `${tpl ? tpl.id : 'fiche'}-${sheetId}.md`, text: t('form_download') });
}

// ---- the form ----

let uid = 0;

/** One field's control: {node, read() -> value}. */
function control(f, value, editable, id) {
  const common = { id, disabled: !editable };
  if (f.kind === 'text') {
    const c = el('textarea', { ...common, rows: '4' });
    c.value = typeof value === 'string' ? value : '';
    return { node: c, read: () => (c.value === '' ? null : c.value) };
  }
  if (f.kind === 'list') {
    const c = el('textarea', { ...common, rows: '4', 'aria-describedby': `${id}-aide` });
    c.value = Array.isArray(value) ? value.join('\n') : '';
    const help = el('p', { id: `${id}-aide`, class: 'aide', text: t('form_listHelp') });
    return { node: el('div', {}, c, help), read: () => { const v = c.value.split('\n').map((x) => x.trim()).filter(Boolean); return v.length ? v : null; } };
  }
  if (f.kind === 'date') {
    const c = el('input', { ...common, type: 'date', min: '1900-01-01', max: '2199-12-31' });
    c.value = typeof value === 'string' ? value : '';
    return { node: c, read: () => c.value || null };
  }
  if (f.kind === 'scale') {
    const c = el('input', { ...common, type: 'number', min: String(f.min), max: String(f.max), step: '1', inputMode: 'numeric' });
    c.value = value === null || value === undefined ? '' : String(value);
    return { node: c, read: () => (c.value === '' ? null : Number(c.value)) };
  }
  // choice and multi: a group of radio buttons or check boxes, each labelled
  const multi = f.kind === 'multi';
  const box = el('div', { role: multi ? 'group' : 'radiogroup', 'aria-labelledby': `${id}-titre` });
  const inputs = f.options.map((o, k) => {
    const i = el('input', { type: multi ? 'checkbox' : 'radio', name: id, id: `${id}-${k}`, value: o.id, disabled: !editable });
    i.checked = multi ? Array.isArray(value) && value.includes(o.id) : value === o.id;
    box.append(el('div', {}, i, el('label', { for: `${id}-${k}`, text: o.label })));
    return i;
  });
  if (!multi) {
    const i = el('input', { type: 'radio', name: id, id: `${id}-aucun`, value: '', disabled: !editable });
    i.checked = typeof value !== 'string';
    box.append(el('div', {}, i, el('label', { for: `${id}-aucun`, text: t('form_noAnswer') })));
  }
  const read = () => {
    const on = inputs.filter((i) => i.checked).map((i) => i.value);
    return multi ? (on.length ? on : null) : (on[0] ?? null);
  };
  return { node: box, read, grouped: true };
}

// Who may fill a field the person may not: editors 1 (consultant) or 2 (beneficiary).
const ONLY = { 1: 'form_onlyConsultant', 2: 'form_onlyBeneficiary' };

/** Renders the sheet into container (replacing what it held). Each change
 * is saved when the control loses focus or changes (sheets.set); a field
 * in conflict shows its versions with a button to keep each one. onError
 * gets a sentence to show, in the page's language. */
export function renderSheet(container, sheets, sheetId, { onError = () => {} } = {}) {
  const tpl = sheets.template(sheetId);
  container.replaceChildren();
  if (!tpl) { container.append(el('p', { text: t('form_cannotShow') })); return; }
  const form = el('form', { 'aria-label': tpl.title, noValidate: true });
  form.addEventListener('submit', (e) => e.preventDefault());
  form.append(el('h2', { text: tpl.title }));
  if (tpl.intro) form.append(el('p', { text: tpl.intro }));
  const save = async (f, read) => {
    try { await sheets.set(sheetId, f.id, read()); } catch (e) { onError(e.message); }
  };
  for (const sec of tpl.sections) {
    const fs = el('fieldset', {}, el('legend', { text: sec.title }));
    for (const f of sec.fields) {
      const id = `fiche-${++uid}`;
      const state = sheets.field(sheetId, f.id);
      const editable = sheets.mayEdit(f);
      const c = control(f, state.value, editable, id);
      const title = el(c.grouped ? 'p' : 'label', c.grouped ? { id: `${id}-titre`, text: f.label } : { for: id, text: f.label });
      const row = el('div', { class: 'champ' }, title);
      if (f.help) row.append(el('p', { class: 'aide', text: f.help }));
      if (!editable) row.append(el('p', { class: 'aide', text: t(ONLY[f.editors] || 'form_readOnly') }));
      row.append(c.node);
      if (editable) c.node.addEventListener('change', () => save(f, c.read));
      if (state.conflict) {
        const list = el('ul', { 'aria-label': t('form_otherVersions', { label: f.label }) });
        for (const v of state.versions) {
          const keep = el('button', { type: 'button', text: t('form_keepVersion') });
          keep.addEventListener('click', () => save(f, () => v));
          list.append(el('li', {}, el('span', { text: Array.isArray(v) ? v.join(', ') : String(v) }), ' ', keep));
        }
        row.append(el('p', { role: 'status', text: t('form_conflict') }), list);
      }
      fs.append(row);
    }
    form.append(fs);
  }
  form.append(downloadLink(sheets, sheetId));
  container.append(form);
}
