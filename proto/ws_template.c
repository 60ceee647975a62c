/* ws_template.c: worksheet templates (docs/WORKSHEETS.md, "Templates"):
 * the parser and checker of a template's JSON text, and the check of one
 * field's value against its kind.
 *
 * Owns: every template rule and its refusal, in plain French naming the
 * place ("section « recit », champ « etapes » : ..."), because the person
 * reading it is the one who wrote the template and must find the line.
 * Checks run in the order of the document's keys that matter for naming:
 * an object's id first, so that a later refusal can name it.
 * Must never: read a file, keep a pointer into the parsed JSON (all text is
 * copied), or write past why_cap; why is always NUL-terminated UTF-8, even
 * when cut. Pure: no clock, no I/O. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/data.h"
#include "bp/err.h"
#include "bp/vocab.h"
#include "bp/ws_template.h"

#define KINDS_LIST "text, choice, multi, scale, list, date"
static const char *const kind_names[] = {"text", "choice", "multi", "scale", "list", "date"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

/* Where a refusal happened: names (ids once read) or positions (1-based,
 * for an object whose id is not read yet or is bad). */
struct place {
    const char *sec, *fld, *opt;
    size_t sec_n, fld_n, opt_n; /* 0: not inside one */
};

struct out {
    char *why;
    size_t cap;
};

/* Cuts s (NUL-terminated in cap bytes) back to a whole UTF-8 sequence:
 * snprintf may have cut a multi-byte character in two. */
static void utf8_trim(char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n + 1 < cap)
        return; /* nothing was cut */
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i > 0 && (unsigned char)s[i - 1] >= 0xc0) {
        size_t need = (unsigned char)s[i - 1] >= 0xf0 ? 4 : (unsigned char)s[i - 1] >= 0xe0 ? 3 : 2;
        if (n - (i - 1) < need)
            s[i - 1] = '\0';
    }
}

/* Writes "<place> : <message>" into o and returns code. */
static int refuse(struct out *o, const struct place *p, int code, const char *fmt, ...)
{
    if (!o->why || !o->cap)
        return code;
    char where[3 * (BP_WS_ID_MAX + 40)] = "";
    size_t w = 0;
    if (p && p->sec_n) {
        w += p->sec ? (size_t)snprintf(where + w, sizeof where - w, "section « %s »", p->sec)
                    : (size_t)snprintf(where + w, sizeof where - w, "section n° %zu", p->sec_n);
        if (p->fld_n && w < sizeof where)
            w += p->fld ? (size_t)snprintf(where + w, sizeof where - w, ", champ « %s »", p->fld)
                        : (size_t)snprintf(where + w, sizeof where - w, ", champ n° %zu", p->fld_n);
        if (p->opt_n && w < sizeof where)
            w += p->opt
                     ? (size_t)snprintf(where + w, sizeof where - w, ", option « %s »", p->opt)
                     : (size_t)snprintf(where + w, sizeof where - w, ", option n° %zu", p->opt_n);
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_trim(msg, sizeof msg);
    if (where[0])
        snprintf(o->why, o->cap, "%s : %s", where, msg);
    else
        snprintf(o->why, o->cap, "%s", msg);
    utf8_trim(o->why, o->cap);
    return code;
}

/* A short, printable copy of a string the template gave (to quote it in a
 * refusal): at most 40 bytes, cut on a character, controls as '?'. */
static const char *quoted_s(const char *s, size_t n, char buf[48])
{
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    buf[n] = '\0';
    if (!bp_utf8_valid((const uint8_t *)buf, n))
        strcpy(buf, "?");
    return buf;
}

static const char *quoted(const json_t *v, char buf[48])
{
    return quoted_s(json_string_value(v), json_string_length(v), buf);
}

static int id_ok(const char *s, size_t n)
{
    if (n < 1 || n > BP_WS_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Whether s[0..n) holds a control character: C0 (but \n and \t when
 * multiline), DEL, or C1 (U+0080..U+009F, bytes C2 80..C2 9F): none of them
 * is safe to show on a terminal or in a PDF. s is valid UTF-8. */
static int has_control(const char *s, size_t n, int multiline)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && !(multiline && (c == '\n' || c == '\t')))
            return 1;
        if (c == 0x7f)
            return 1;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return 1;
    }
    return 0;
}

/* Checks obj[key], a one-line text of 1..max bytes, and copies it into *dst
 * (left NULL when absent and optional). */
static int get_line(struct out *o, const struct place *p, const json_t *obj, const char *key,
                    size_t max, int required, char **dst)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return refuse(o, p, BP_E_MISSING_FIELD, "« %s » manque", key);
        return 0;
    }
    if (!json_is_string(v))
        return refuse(o, p, BP_E_INVALID_FIELD, "« %s » doit être un texte entre guillemets", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return refuse(o, p, BP_E_INVALID_FIELD, "« %s » est vide", key);
    if (n > max)
        return refuse(o, p, BP_E_INVALID_FIELD, "« %s » fait %zu octets : %zu au plus", key, n,
                      max);
    /* No UTF-8 or NUL check here: the text came through json_loadb, which
     * refuses invalid UTF-8 and, without JSON_ALLOW_NUL, \u0000 (both
     * tested); has_control also refuses a NUL. */
    if (has_control(s, n, 0))
        return refuse(o, p, BP_E_INVALID_FIELD,
                      "« %s » contient un caractère de contrôle (un retour à la ligne ?) : il "
                      "tient sur une ligne",
                      key);
    *dst = strndup(s, n);
    return *dst ? 0 : refuse(o, p, BP_E_NOMEM, "mémoire insuffisante");
}

/* Checks obj[key] ("id"), copies it into dst and returns 0. */
static int get_id(struct out *o, const struct place *p, const json_t *obj, const char *key,
                  char *dst)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return refuse(o, p, BP_E_MISSING_FIELD, "« %s » manque", key);
    if (!json_is_string(v))
        return refuse(o, p, BP_E_INVALID_FIELD, "« %s » doit être un texte entre guillemets", key);
    char q[48];
    if (!id_ok(json_string_value(v), json_string_length(v)))
        return refuse(o, p, BP_E_INVALID_FIELD,
                      "l'identifiant « %s » ne va pas : 1 à %d caractères parmi a-z, 0-9 et _",
                      quoted(v, q), BP_WS_ID_MAX);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Refuses a key of obj not in allowed (NULL-terminated), listed in list: a
 * misspelt optional key ("hepl") would otherwise vanish without a word. A
 * key of another kind of field is named as such rather than "unknown". */
static int keys_known(struct out *o, const struct place *p, const json_t *obj,
                      const char *const *allowed, const char *list)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(key, allowed[i]);
        if (ok)
            continue;
        if (!strcmp(key, "options"))
            return refuse(o, p, BP_E_INVALID_FIELD,
                          "« options » ne va qu'avec les types choice et multi");
        if (!strcmp(key, "min") || !strcmp(key, "max") || !strcmp(key, "min_label") ||
            !strcmp(key, "max_label"))
            return refuse(o, p, BP_E_INVALID_FIELD, "« %s » ne va qu'avec le type scale", key);
        char q[48];
        return refuse(o, p, BP_E_INVALID_FIELD, "la clé « %s » n'est pas connue (%s)",
                      quoted_s(key, strlen(key), q), list);
    }
    return 0;
}

static int get_int(struct out *o, const struct place *p, const json_t *obj, const char *key,
                   int *dst)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return refuse(o, p, BP_E_MISSING_FIELD, "« %s » manque", key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
        return refuse(o, p, BP_E_INVALID_FIELD, "« %s » doit être un nombre entier de 0 à 100",
                      key);
    *dst = (int)json_integer_value(v);
    return 0;
}

static int parse_options(struct out *o, struct place *p, const json_t *fj, struct bp_ws_field *f)
{
    const json_t *a = json_object_get(fj, "options");
    if (!a)
        return refuse(o, p, BP_E_MISSING_FIELD,
                      "« options » manque : le type %s en a besoin (1 à %d)", kind_names[f->kind],
                      BP_WS_OPTIONS_MAX);
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > BP_WS_OPTIONS_MAX)
        return refuse(o, p, BP_E_INVALID_FIELD, "« options » doit être une liste de 1 à %d options",
                      BP_WS_OPTIONS_MAX);
    f->options = calloc(json_array_size(a), sizeof *f->options);
    if (!f->options)
        return refuse(o, p, BP_E_NOMEM, "mémoire insuffisante");
    f->n_options = json_array_size(a);
    static const char *const keys[] = {"id", "label", NULL};
    for (size_t i = 0; i < f->n_options; i++) {
        const json_t *oj = json_array_get(a, i);
        struct bp_ws_option *op = &f->options[i];
        p->opt = NULL;
        p->opt_n = i + 1;
        if (!json_is_object(oj))
            return refuse(o, p, BP_E_INVALID_FIELD,
                          "une option est un objet {\"id\": ..., \"label\": ...}");
        int rc = get_id(o, p, oj, "id", op->id);
        if (rc)
            return rc;
        p->opt = op->id;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(f->options[k].id, op->id))
                return refuse(o, p, BP_E_INVALID_FIELD, "l'option « %s » est déjà dans ce champ",
                              op->id);
        if ((rc = get_line(o, p, oj, "label", BP_WS_LABEL_MAX, 1, &op->label)) ||
            (rc = keys_known(o, p, oj, keys, "id, label")))
            return rc;
    }
    p->opt = NULL;
    p->opt_n = 0;
    return 0;
}

static int parse_kind(struct out *o, const struct place *p, const json_t *fj, struct bp_ws_field *f)
{
    const json_t *v = json_object_get(fj, "kind");
    if (!v)
        return refuse(o, p, BP_E_MISSING_FIELD, "« kind » manque (" KINDS_LIST ")");
    for (size_t k = 0; k < N_KINDS && json_is_string(v); k++)
        if (!strcmp(json_string_value(v), kind_names[k]) &&
            json_string_length(v) == strlen(kind_names[k])) {
            f->kind = (enum bp_ws_kind)k;
            return 0;
        }
    char q[48];
    if (!json_is_string(v))
        return refuse(o, p, BP_E_INVALID_FIELD, "« kind » doit être un de : " KINDS_LIST);
    return refuse(o, p, BP_E_INVALID_FIELD, "le type « %s » n'existe pas (" KINDS_LIST ")",
                  quoted(v, q));
}

static int parse_editors(struct out *o, const struct place *p, const json_t *fj,
                         struct bp_ws_field *f)
{
    const json_t *v = json_object_get(fj, "editors");
    if (!v)
        return refuse(o, p, BP_E_MISSING_FIELD,
                      "« editors » manque (consultant, beneficiary, both)");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s && n == 10 && !strcmp(s, "consultant"))
        f->editors = BP_WS_CONSULTANT;
    else if (s && n == 11 && !strcmp(s, "beneficiary"))
        f->editors = BP_WS_BENEFICIARY;
    else if (s && n == 4 && !strcmp(s, "both"))
        f->editors = BP_WS_BOTH;
    else
        return refuse(
            o, p, BP_E_INVALID_FIELD,
            "« editors » doit être consultant, beneficiary ou both (qui peut écrire ce champ)");
    return 0;
}

static int parse_field(struct out *o, struct place *p, const json_t *fj, struct bp_ws_field *f)
{
    if (!json_is_object(fj))
        return refuse(o, p, BP_E_INVALID_FIELD,
                      "un champ est un objet {\"id\": ..., \"label\": ..., \"kind\": ...}");
    int rc = get_id(o, p, fj, "id", f->id);
    if (rc)
        return rc;
    p->fld = f->id;
    if ((rc = parse_kind(o, p, fj, f)) || (rc = parse_editors(o, p, fj, f)) ||
        (rc = get_line(o, p, fj, "label", BP_WS_LABEL_MAX, 1, &f->label)) ||
        (rc = get_line(o, p, fj, "help", BP_WS_HELP_MAX, 0, &f->help)))
        return rc;
    static const char *const base[] = {"id", "label", "help", "kind", "editors", NULL};
    static const char *const with_options[] = {"id",      "label",   "help", "kind",
                                               "editors", "options", NULL};
    static const char *const with_scale[] = {"id",  "label", "help",      "kind",      "editors",
                                             "min", "max",   "min_label", "max_label", NULL};
    const char *const *keys = base;
    const char *list = "id, label, help, kind, editors";
    if (f->kind == BP_WS_CHOICE || f->kind == BP_WS_MULTI) {
        if ((rc = parse_options(o, p, fj, f)))
            return rc;
        keys = with_options;
        list = "id, label, help, kind, editors, options";
    } else if (f->kind == BP_WS_SCALE) {
        if ((rc = get_int(o, p, fj, "min", &f->min)) || (rc = get_int(o, p, fj, "max", &f->max)))
            return rc;
        if (f->min >= f->max)
            return refuse(o, p, BP_E_INVALID_FIELD,
                          "« min » (%d) doit être plus petit que « max » (%d)", f->min, f->max);
        if ((rc = get_line(o, p, fj, "min_label", BP_WS_LABEL_MAX, 0, &f->min_label)) ||
            (rc = get_line(o, p, fj, "max_label", BP_WS_LABEL_MAX, 0, &f->max_label)))
            return rc;
        keys = with_scale;
        list = "id, label, help, kind, editors, min, max, min_label, max_label";
    }
    return keys_known(o, p, fj, keys, list);
}

/* Whether a field id is already used in the template, before field fld of section sec. */
static int field_taken(const struct bp_ws_template *t, size_t sec, size_t fld, const char *id)
{
    for (size_t s = 0; s <= sec; s++) {
        size_t n = s == sec ? fld : t->sections[s].n_fields;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(t->sections[s].fields[k].id, id))
                return 1;
    }
    return 0;
}

static int parse_section(struct out *o, struct place *p, struct bp_ws_template *t, size_t si,
                         const json_t *sj)
{
    struct bp_ws_section *s = &t->sections[si];
    if (!json_is_object(sj))
        return refuse(o, p, BP_E_INVALID_FIELD,
                      "une section est un objet {\"id\": ..., \"title\": ..., \"fields\": [...]}");
    int rc = get_id(o, p, sj, "id", s->id);
    if (rc)
        return rc;
    p->sec = s->id;
    for (size_t k = 0; k < si; k++)
        if (!strcmp(t->sections[k].id, s->id))
            return refuse(o, p, BP_E_INVALID_FIELD,
                          "une autre section porte déjà l'identifiant « %s »", s->id);
    static const char *const keys[] = {"id", "title", "fields", NULL};
    if ((rc = get_line(o, p, sj, "title", BP_WS_LABEL_MAX, 1, &s->title)) ||
        (rc = keys_known(o, p, sj, keys, "id, title, fields")))
        return rc;
    const json_t *a = json_object_get(sj, "fields");
    if (!a)
        return refuse(o, p, BP_E_MISSING_FIELD, "« fields » manque");
    if (!json_is_array(a) || json_array_size(a) < 1)
        return refuse(o, p, BP_E_INVALID_FIELD,
                      "« fields » doit être une liste d'au moins un champ");
    s->fields = calloc(json_array_size(a), sizeof *s->fields);
    if (!s->fields)
        return refuse(o, p, BP_E_NOMEM, "mémoire insuffisante");
    for (size_t i = 0; i < json_array_size(a); i++) {
        s->n_fields = i + 1; /* bp_ws_template_free frees what this one holds */
        p->fld = NULL;
        p->fld_n = i + 1;
        if ((rc = parse_field(o, p, json_array_get(a, i), &s->fields[i])))
            return rc;
        if (field_taken(t, si, i, s->fields[i].id))
            return refuse(o, p, BP_E_INVALID_FIELD,
                          "un autre champ du modèle porte déjà l'identifiant « %s » (un champ est "
                          "nommé par son "
                          "identifiant seul)",
                          s->fields[i].id);
    }
    p->fld = NULL;
    p->fld_n = 0;
    return 0;
}

static int parse_top(struct out *o, const json_t *root, const char *expect_id,
                     struct bp_ws_template *t)
{
    struct place p = {0};
    if (!json_is_object(root))
        return refuse(o, &p, BP_E_INVALID_FIELD,
                      "un modèle est un objet JSON {\"format\": 1, \"id\": ...}");
    const json_t *fmt = json_object_get(root, "format");
    if (!fmt)
        return refuse(o, &p, BP_E_MISSING_FIELD, "« format » manque (1)");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 1)
        return refuse(o, &p, BP_E_INVALID_FIELD,
                      "« format » doit valoir 1 : ce programme ne lit que le format 1");
    int rc = get_id(o, &p, root, "id", t->id);
    if (rc)
        return rc;
    if (expect_id && strcmp(expect_id, t->id))
        return refuse(o, &p, BP_E_INVALID_FIELD,
                      "l'identifiant « %s » n'est pas le nom du fichier (« %.*s.json ») : ils "
                      "doivent être égaux",
                      t->id, BP_WS_ID_MAX + 20, expect_id);
    static const char *const keys[] = {"format", "id", "title", "phase", "intro", "sections", NULL};
    if ((rc = get_line(o, &p, root, "title", BP_WS_LABEL_MAX, 1, &t->title)) ||
        (rc = get_line(o, &p, root, "intro", BP_WS_HELP_MAX, 0, &t->intro)) ||
        (rc = keys_known(o, &p, root, keys, "format, id, title, phase, intro, sections")))
        return rc;
    const json_t *ph = json_object_get(root, "phase");
    if (!ph)
        return refuse(o, &p, BP_E_MISSING_FIELD, "« phase » manque (" BP_PHASE_LIST ")");
    t->phase = json_is_string(ph) ? bp_phase_parse(json_string_value(ph), json_string_length(ph))
                                  : BP_PHASE_NONE;
    if (t->phase == BP_PHASE_NONE) {
        char q[48];
        if (json_is_string(ph))
            return refuse(o, &p, BP_E_INVALID_FIELD,
                          "la phase « %s » n'existe pas (" BP_PHASE_LIST ")", quoted(ph, q));
        return refuse(o, &p, BP_E_INVALID_FIELD, "« phase » doit être un de : " BP_PHASE_LIST);
    }
    const json_t *a = json_object_get(root, "sections");
    if (!a)
        return refuse(o, &p, BP_E_MISSING_FIELD, "« sections » manque");
    if (!json_is_array(a) || json_array_size(a) < 1)
        return refuse(o, &p, BP_E_INVALID_FIELD,
                      "« sections » doit être une liste d'au moins une section");
    t->sections = calloc(json_array_size(a), sizeof *t->sections);
    if (!t->sections)
        return refuse(o, &p, BP_E_NOMEM, "mémoire insuffisante");
    for (size_t i = 0; i < json_array_size(a); i++) {
        t->n_sections = i + 1;
        p.sec = NULL;
        p.sec_n = i + 1;
        if ((rc = parse_section(o, &p, t, i, json_array_get(a, i))))
            return rc;
    }
    return 0;
}

int bp_ws_template_parse(const char *json, size_t len, const char *expect_id,
                         struct bp_ws_template **out, char *why, size_t why_cap)
{
    struct out o = {why, why_cap};
    if (why && why_cap)
        why[0] = '\0';
    *out = NULL;
    if (!json)
        return refuse(&o, NULL, BP_E_BAD_JSON, "le modèle est vide");
    json_error_t e;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        if (json_error_code(&e) == json_error_invalid_utf8)
            return refuse(&o, NULL, BP_E_BAD_JSON,
                          "le texte n'est pas de l'UTF-8 valide (ligne %d, colonne %d)", e.line,
                          e.column);
        if (json_error_code(&e) == json_error_duplicate_key)
            return refuse(&o, NULL, BP_E_BAD_JSON,
                          "une clé est écrite deux fois dans un objet (ligne %d)", e.line);
        return refuse(&o, NULL, BP_E_BAD_JSON,
                      "ce n'est pas du JSON lisible (ligne %d, colonne %d) : vérifiez les "
                      "virgules, guillemets et "
                      "accolades",
                      e.line, e.column);
    }
    struct bp_ws_template *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(root);
        return refuse(&o, NULL, BP_E_NOMEM, "mémoire insuffisante");
    }
    int rc = parse_top(&o, root, expect_id, t);
    json_decref(root);
    if (rc) {
        bp_ws_template_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void bp_ws_template_free(struct bp_ws_template *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->n_sections; s++) {
        struct bp_ws_section *sec = &t->sections[s];
        for (size_t i = 0; i < sec->n_fields; i++) {
            struct bp_ws_field *f = &sec->fields[i];
            for (size_t k = 0; k < f->n_options; k++)
                free(f->options[k].label);
            free(f->options);
            free(f->label);
            free(f->help);
            free(f->min_label);
            free(f->max_label);
        }
        free(sec->fields);
        free(sec->title);
    }
    free(t->sections);
    free(t->title);
    free(t->intro);
    free(t);
}

const struct bp_ws_field *bp_ws_template_field(const struct bp_ws_template *t, const char *id)
{
    if (!t || !id)
        return NULL;
    for (size_t s = 0; s < t->n_sections; s++)
        for (size_t i = 0; i < t->sections[s].n_fields; i++)
            if (!strcmp(t->sections[s].fields[i].id, id))
                return &t->sections[s].fields[i];
    return NULL;
}

/* ---- Values ---- */

static int option_index(const struct bp_ws_field *f, const json_t *v)
{
    if (!json_is_string(v))
        return -1;
    for (size_t k = 0; k < f->n_options; k++)
        if (json_string_length(v) == strlen(f->options[k].id) &&
            !strcmp(json_string_value(v), f->options[k].id))
            return (int)k;
    return -1;
}

/* The option ids of f, "a, b, c", cut to fit (to say what is allowed). */
static const char *option_list(const struct bp_ws_field *f, char *buf, size_t cap)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < f->n_options && w + strlen(f->options[k].id) + 6 < cap; k++)
        w += (size_t)snprintf(buf + w, cap - w, "%s%s", k ? ", " : "", f->options[k].id);
    return buf;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Whether s[0..n) is "YYYY-MM-DD", a real date from 1900 to 2199. */
static int date_ok(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return 0;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

/* A string value: UTF-8, at most max bytes, no control character (but \n
 * and \t when multiline). */
static int text_ok(struct out *o, const json_t *v, size_t max, int multiline, const char *what)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max)
        return refuse(o, NULL, BP_E_TOO_LARGE, "%s fait %zu octets : %zu au plus", what, n, max);
    if (!bp_utf8_valid((const uint8_t *)s, n))
        return refuse(o, NULL, BP_E_INVALID_FIELD, "%s n'est pas de l'UTF-8 valide", what);
    if (has_control(s, n, multiline)) /* a NUL is a control character */
        return refuse(
            o, NULL, BP_E_INVALID_FIELD,
            multiline
                ? "%s contient un caractère de contrôle (seuls le retour à la ligne et la "
                  "tabulation sont permis)"
                : "%s contient un caractère de contrôle (un retour à la ligne ?) : il tient sur "
                  "une ligne",
            what);
    return 0;
}

int bp_ws_value_check(const struct bp_ws_field *f, const json_t *v, char *why, size_t why_cap)
{
    struct out o = {why, why_cap};
    if (why && why_cap)
        why[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    char opts[300];
    switch (f->kind) {
    case BP_WS_TEXT:
        if (!json_is_string(v))
            return refuse(&o, NULL, BP_E_INVALID_FIELD, "la valeur doit être un texte");
        return text_ok(&o, v, BP_WS_TEXT_MAX, 1, "le texte");
    case BP_WS_CHOICE:
        if (option_index(f, v) < 0)
            return refuse(&o, NULL, BP_E_INVALID_FIELD, "la valeur doit être une des options : %s",
                          option_list(f, opts, sizeof opts));
        return 0;
    case BP_WS_MULTI:
        if (!json_is_array(v))
            return refuse(&o, NULL, BP_E_INVALID_FIELD,
                          "la valeur doit être une liste d'options : %s",
                          option_list(f, opts, sizeof opts));
        for (size_t i = 0; i < json_array_size(v); i++) {
            int k = option_index(f, json_array_get(v, i));
            if (k < 0)
                return refuse(&o, NULL, BP_E_INVALID_FIELD,
                              "l'élément n° %zu n'est pas une des options : %s", i + 1,
                              option_list(f, opts, sizeof opts));
            for (size_t j = 0; j < i; j++)
                if (option_index(f, json_array_get(v, j)) == k)
                    return refuse(&o, NULL, BP_E_INVALID_FIELD,
                                  "l'option « %s » est choisie deux fois", f->options[k].id);
        }
        return 0;
    case BP_WS_SCALE:
        if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return refuse(&o, NULL, BP_E_INVALID_FIELD,
                          "la valeur doit être un nombre entier de %d à %d", f->min, f->max);
        return 0;
    case BP_WS_LIST:
        if (!json_is_array(v))
            return refuse(&o, NULL, BP_E_INVALID_FIELD, "la valeur doit être une liste de textes");
        if (json_array_size(v) > BP_WS_LIST_ITEMS)
            return refuse(&o, NULL, BP_E_TOO_LARGE, "la liste a %zu éléments : %d au plus",
                          json_array_size(v), BP_WS_LIST_ITEMS);
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *it = json_array_get(v, i);
            char what[40];
            snprintf(what, sizeof what, "l'élément n° %zu", i + 1);
            if (!json_is_string(it))
                return refuse(&o, NULL, BP_E_INVALID_FIELD, "%s doit être un texte", what);
            if (json_string_length(it) == 0)
                return refuse(&o, NULL, BP_E_INVALID_FIELD, "%s est vide", what);
            int rc = text_ok(&o, it, BP_WS_ITEM_MAX, 0, what);
            if (rc)
                return rc;
        }
        return 0;
    case BP_WS_DATE:
        if (!json_is_string(v) || !date_ok(json_string_value(v), json_string_length(v)))
            return refuse(&o, NULL, BP_E_INVALID_FIELD,
                          "la valeur doit être une date réelle écrite AAAA-MM-JJ, de 1900 à 2199");
        return 0;
    }
    return refuse(&o, NULL, BP_E_INTERNAL, "type de champ inconnu");
}
