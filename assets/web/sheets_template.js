// sheets_template.js: worksheet templates (docs/WORKSHEETS.md, "Templates")
// checked at load exactly as proto/ws_template.c checks them, the check of
// one value against its field (bp_ws_value_check), and the merge's rules
// (client/sheets.c rule_field: template, field, editors, then value).
//
// Owns: the list of templates this client ships (the same files as
// assets/worksheets/, served at /web/<id>.json), their refusals in French
// naming the place ("section « s », champ « f » : ..."), word for word as
// proto/ws_template.c's (integration.web_sheets compares them; the native
// validator has no English either: they are for template authors, never
// shown in the room page). All or none are loaded: two devices must never
// disagree on what a field is. A value's refusals and the merge's rules
// are for the person: in the page's language (i18n.js).
// Must never: accept a template the C client would refuse.
import { parseJson, isObject, isInteger, utf8Length, CanonError } from './sheets_canon.js';
import { APPLIED, UNKNOWN_TEMPLATE, UNKNOWN_FIELD, BAD_VALUE, ROLE } from './sheets_merge.js';
import { t } from './i18n.js';

/** The templates the native client compiles in (assets/worksheets/). */
export const TEMPLATE_IDS = ['analyse_demande', 'enquete_metier', 'motivation', 'plan_action', 'portefeuille',
  'programme', 'recit', 'satisfaction_fin', 'satisfaction_suivi', 'synthese'];

export const CONSULTANT = 1, BENEFICIARY = 2, BOTH = 3;
const KINDS = ['text', 'choice', 'multi', 'scale', 'list', 'date'];
const KINDS_LIST = 'text, choice, multi, scale, list, date';
const PHASES = ['preliminaire', 'investigation', 'conclusion', 'suivi'];
const PHASE_LIST = 'preliminaire, investigation, conclusion, suivi';
const LABEL_MAX = 200, HELP_MAX = 1000, TEXT_MAX = 20000, LIST_ITEMS = 100, ITEM_MAX = 2000, OPTIONS_MAX = 50;

export class TemplateError extends Error {}

function where(p) {
  if (!p || !p.secN) return '';
  let w = p.sec ? `section « ${p.sec} »` : `section n° ${p.secN}`;
  if (p.fldN) w += p.fld ? `, champ « ${p.fld} »` : `, champ n° ${p.fldN}`;
  if (p.optN) w += p.opt ? `, option « ${p.opt} »` : `, option n° ${p.optN}`;
  return w;
}

function refuse(p, msg) {
  const w = where(p);
  throw new TemplateError(w ? `${w} : ${msg}` : msg);
}

/** A short printable copy of a string the template gave (to quote it). */
function quoted(s) {
  return [...s].slice(0, 40).map((c) => (/[\u0000-\u001f\u007f]/.test(c) ? '?' : c)).join('');
}

const idOk = (s) => typeof s === 'string' && /^[a-z0-9_]{1,40}$/.test(s);

/** C0 (but \n and \t when multiline), DEL, or C1 (U+0080..U+009F). */
function hasControl(s, multiline) {
  return multiline ? /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(s.replace(/\n/g, ''))
    : /[\u0000-\u001f\u007f-\u009f]/.test(s);
}

function getLine(p, obj, key, max, required) {
  if (!Object.hasOwn(obj, key)) {
    if (required) refuse(p, `« ${key} » manque`);
    return null;
  }
  const v = obj[key];
  if (typeof v !== 'string') refuse(p, `« ${key} » doit être un texte entre guillemets`);
  const n = utf8Length(v);
  if (n === 0) refuse(p, `« ${key} » est vide`);
  if (n > max) refuse(p, `« ${key} » fait ${n} octets : ${max} au plus`);
  if (hasControl(v, false)) {
    refuse(p, `« ${key} » contient un caractère de contrôle (un retour à la ligne ?) : il tient sur une ligne`);
  }
  return v;
}

function getId(p, obj, key) {
  if (!Object.hasOwn(obj, key)) refuse(p, `« ${key} » manque`);
  const v = obj[key];
  if (typeof v !== 'string') refuse(p, `« ${key} » doit être un texte entre guillemets`);
  if (!idOk(v)) refuse(p, `l'identifiant « ${quoted(v)} » ne va pas : 1 à 40 caractères parmi a-z, 0-9 et _`);
  return v;
}

function keysKnown(p, obj, allowed, list) {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    if (key === 'options') refuse(p, '« options » ne va qu\'avec les types choice et multi');
    if (['min', 'max', 'min_label', 'max_label'].includes(key)) refuse(p, `« ${key} » ne va qu'avec le type scale`);
    refuse(p, `la clé « ${quoted(key)} » n'est pas connue (${list})`);
  }
}

function getInt(p, obj, key) {
  if (!Object.hasOwn(obj, key)) refuse(p, `« ${key} » manque`);
  const v = obj[key];
  if (!isInteger(v) || v < 0 || v > 100) refuse(p, `« ${key} » doit être un nombre entier de 0 à 100`);
  return Number(v);
}

function parseOptions(p, fj, f) {
  if (!Object.hasOwn(fj, 'options')) refuse(p, `« options » manque : le type ${f.kind} en a besoin (1 à ${OPTIONS_MAX})`);
  const a = fj.options;
  if (!Array.isArray(a) || a.length < 1 || a.length > OPTIONS_MAX) {
    refuse(p, `« options » doit être une liste de 1 à ${OPTIONS_MAX} options`);
  }
  f.options = [];
  a.forEach((oj, i) => {
    p.opt = null; p.optN = i + 1;
    if (!isObject(oj)) refuse(p, 'une option est un objet {"id": ..., "label": ...}');
    const id = getId(p, oj, 'id');
    p.opt = id;
    if (f.options.some((o) => o.id === id)) refuse(p, `l'option « ${id} » est déjà dans ce champ`);
    const label = getLine(p, oj, 'label', LABEL_MAX, true);
    keysKnown(p, oj, ['id', 'label'], 'id, label');
    f.options.push({ id, label });
  });
  p.opt = null; p.optN = 0;
}

function parseField(p, fj) {
  if (!isObject(fj)) refuse(p, 'un champ est un objet {"id": ..., "label": ..., "kind": ...}');
  const f = { id: getId(p, fj, 'id') };
  p.fld = f.id;
  if (!Object.hasOwn(fj, 'kind')) refuse(p, `« kind » manque (${KINDS_LIST})`);
  if (typeof fj.kind !== 'string') refuse(p, `« kind » doit être un de : ${KINDS_LIST}`);
  if (!KINDS.includes(fj.kind)) refuse(p, `le type « ${quoted(fj.kind)} » n'existe pas (${KINDS_LIST})`);
  f.kind = fj.kind;
  if (!Object.hasOwn(fj, 'editors')) refuse(p, '« editors » manque (consultant, beneficiary, both)');
  f.editors = { consultant: CONSULTANT, beneficiary: BENEFICIARY, both: BOTH }[fj.editors];
  if (typeof fj.editors !== 'string' || !f.editors) {
    refuse(p, '« editors » doit être consultant, beneficiary ou both (qui peut écrire ce champ)');
  }
  f.label = getLine(p, fj, 'label', LABEL_MAX, true);
  f.help = getLine(p, fj, 'help', HELP_MAX, false);
  let keys = ['id', 'label', 'help', 'kind', 'editors'];
  if (f.kind === 'choice' || f.kind === 'multi') {
    parseOptions(p, fj, f);
    keys = keys.concat(['options']);
  } else if (f.kind === 'scale') {
    f.min = getInt(p, fj, 'min');
    f.max = getInt(p, fj, 'max');
    if (f.min >= f.max) refuse(p, `« min » (${f.min}) doit être plus petit que « max » (${f.max})`);
    f.minLabel = getLine(p, fj, 'min_label', LABEL_MAX, false);
    f.maxLabel = getLine(p, fj, 'max_label', LABEL_MAX, false);
    keys = keys.concat(['min', 'max', 'min_label', 'max_label']);
  }
  keysKnown(p, fj, keys, keys.join(', '));
  return f;
}

function parseSection(p, t, sj) {
  if (!isObject(sj)) refuse(p, 'une section est un objet {"id": ..., "title": ..., "fields": [...]}');
  const s = { id: getId(p, sj, 'id'), fields: [] };
  p.sec = s.id;
  if (t.sections.some((o) => o.id === s.id)) refuse(p, `une autre section porte déjà l'identifiant « ${s.id} »`);
  s.title = getLine(p, sj, 'title', LABEL_MAX, true);
  keysKnown(p, sj, ['id', 'title', 'fields'], 'id, title, fields');
  if (!Object.hasOwn(sj, 'fields')) refuse(p, '« fields » manque');
  const a = sj.fields;
  if (!Array.isArray(a) || a.length < 1) refuse(p, '« fields » doit être une liste d\'au moins un champ');
  t.sections.push(s);
  a.forEach((fj, i) => {
    p.fld = null; p.fldN = i + 1;
    const f = parseField(p, fj);
    if (t.byId.has(f.id)) {
      refuse(p, `un autre champ du modèle porte déjà l'identifiant « ${f.id} » (un champ est nommé par son identifiant seul)`);
    }
    s.fields.push(f);
    t.byId.set(f.id, f);
  });
  p.fld = null; p.fldN = 0;
}

/** Parses and checks a template (text or UTF-8 bytes) as
 * bp_ws_template_parse; expectId: the id its file name says. Throws
 * TemplateError with a French sentence naming the place. */
export function parseTemplate(text, expectId) {
  let root;
  try {
    root = parseJson(text);
  } catch (e) {
    if (!(e instanceof CanonError)) throw e;
    if (/UTF-8/.test(e.message)) throw new TemplateError('le texte n\'est pas de l\'UTF-8 valide');
    if (/duplicate/.test(e.message)) throw new TemplateError('une clé est écrite deux fois dans un objet');
    throw new TemplateError('ce n\'est pas du JSON lisible : vérifiez les virgules, guillemets et accolades');
  }
  const p = { sec: null, fld: null, opt: null, secN: 0, fldN: 0, optN: 0 };
  if (!isObject(root)) refuse(p, 'un modèle est un objet JSON {"format": 1, "id": ...}');
  if (!Object.hasOwn(root, 'format')) refuse(p, '« format » manque (1)');
  if (!isInteger(root.format) || Number(root.format) !== 1) {
    refuse(p, '« format » doit valoir 1 : ce programme ne lit que le format 1');
  }
  const t = { id: getId(p, root, 'id'), sections: [], byId: new Map() };
  if (expectId && expectId !== t.id) {
    refuse(p, `l'identifiant « ${t.id} » n'est pas le nom du fichier (« ${expectId}.json ») : ils doivent être égaux`);
  }
  t.title = getLine(p, root, 'title', LABEL_MAX, true);
  t.intro = getLine(p, root, 'intro', HELP_MAX, false);
  keysKnown(p, root, ['format', 'id', 'title', 'phase', 'intro', 'sections'], 'format, id, title, phase, intro, sections');
  if (!Object.hasOwn(root, 'phase')) refuse(p, `« phase » manque (${PHASE_LIST})`);
  if (typeof root.phase !== 'string') refuse(p, `« phase » doit être un de : ${PHASE_LIST}`);
  if (!PHASES.includes(root.phase)) refuse(p, `la phase « ${quoted(root.phase)} » n'existe pas (${PHASE_LIST})`);
  t.phase = root.phase;
  if (!Object.hasOwn(root, 'sections')) refuse(p, '« sections » manque');
  const a = root.sections;
  if (!Array.isArray(a) || a.length < 1) refuse(p, '« sections » doit être une liste d\'au moins une section');
  a.forEach((sj, i) => {
    p.sec = null; p.secN = i + 1;
    parseSection(p, t, sj);
  });
  return t;
}

// ---- values ----

function dateOk(s) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] + (mo === 2 && leap ? 1 : 0);
}

// A value's refusals are for the person filling the form: in the page's
// language (i18n.js's val_*); `what` is already said in it.
function textWhy(v, max, multiline, what) {
  const n = utf8Length(v);
  if (n > max) return t('val_tooLong', { what, n, max });
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v)) return t('val_utf8', { what });
  if (hasControl(v, multiline)) return t(multiline ? 'val_controlMulti' : 'val_controlLine', { what });
  return '';
}

/** '' when v (null: empty) fits field f, else a sentence for the person. */
export function valueWhy(f, v) {
  if (v === null || v === undefined) return '';
  const opts = f.options ? f.options.map((o) => o.id).join(', ') : '';
  const isOpt = (x) => typeof x === 'string' && f.options.some((o) => o.id === x);
  switch (f.kind) {
    case 'text':
      if (typeof v !== 'string') return t('val_text');
      return textWhy(v, TEXT_MAX, true, t('val_theText'));
    case 'choice':
      return isOpt(v) ? '' : t('val_choice', { opts });
    case 'multi': {
      if (!Array.isArray(v)) return t('val_multi', { opts });
      for (let i = 0; i < v.length; i++) {
        if (!isOpt(v[i])) return t('val_notOption', { n: i + 1, opts });
        if (v.indexOf(v[i]) < i) return t('val_twice', { id: v[i] });
      }
      return '';
    }
    case 'scale':
      if (!isInteger(v) || v < f.min || v > f.max) return t('val_scale', { min: f.min, max: f.max });
      return '';
    case 'list': {
      if (!Array.isArray(v)) return t('val_list');
      if (v.length > LIST_ITEMS) return t('val_listLong', { n: v.length, max: LIST_ITEMS });
      for (let i = 0; i < v.length; i++) {
        const what = t('val_item', { n: i + 1 });
        if (typeof v[i] !== 'string') return t('val_itemText', { what });
        if (v[i].length === 0) return t('val_itemEmpty', { what });
        const w = textWhy(v[i], ITEM_MAX, false, what);
        if (w) return w;
      }
      return '';
    }
    case 'date':
      return typeof v === 'string' && dateOk(v) ? '' : t('val_date');
    default:
      return t('val_unknownKind');
  }
}

// ---- the set of templates and the merge's rules ----

export class Templates {
  constructor(list) {
    this.byId = new Map(list.map((t) => [t.id, t]));
  }

  /** Loads every shipped template with fetchText(id) -> Promise<string>
   * (in the page: fetch('/web/<id>.json')); all or none. */
  static async load(fetchText) {
    const list = [];
    for (const id of TEMPLATE_IDS) {
      const text = await fetchText(id);
      try {
        list.push(parseTemplate(text, id));
      } catch (e) {
        throw new TemplateError(`modèle « ${id}.json » : ${e.message}`);
      }
    }
    return new Templates(list);
  }

  find(id) { return this.byId.get(id) || null; }

  /** The merge's rules (client/sheets.c rule_field), with roleOf(device) -> 1 | 2 | 0. */
  rules(roleOf) {
    return {
      deviceRole: roleOf,
      fieldCheck: (tid, field, value, authorRole) => {
        const tpl = this.find(tid);
        if (!tpl) return { skip: UNKNOWN_TEMPLATE, keeps: false, why: t('rule_unknownTemplate', { id: tid }) };
        if (field === null) return { skip: APPLIED, keeps: false, why: '' };
        const f = tpl.byId.get(field);
        if (!f) return { skip: UNKNOWN_FIELD, keeps: false, why: t('sheetErr_noField', { field, title: tpl.title }) };
        const keeps = f.kind === 'text' || f.kind === 'list';
        if (!(authorRole & f.editors)) {
          return {
            skip: ROLE, keeps,
            why: t(f.editors === CONSULTANT ? 'rule_onlyConsultant' : 'rule_onlyBeneficiary', { field }),
          };
        }
        const w = valueWhy(f, value);
        if (w) return { skip: BAD_VALUE, keeps, why: t('rule_badValue', { field, why: w }) };
        return { skip: APPLIED, keeps, why: '' };
      },
    };
  }
}
