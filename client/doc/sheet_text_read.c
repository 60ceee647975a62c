/* sheet_text_read.c: the reading half of the text form (sheet_text.h): the
 * text a person saved in $EDITOR, back as the fields they changed.
 *
 * Owns: the refusals of that text, in French for the person (what is wrong,
 * on which line, in which field, what to write instead).
 * Must never: keep a pointer into buf after returning, accept a value that
 * bp_ws_value_check refuses, or report a change for a field the person left
 * as it was shown (what it showed is rendered again and compared first, so
 * a value it cannot read back never blocks the rest). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bp/bp.h"
#include "bp/data.h"
#include "i18n.h"
#include "sheet_text.h"

struct ln {
    const char *p;
    size_t n;
    int no; /* 1-based, in the person's text */
};

struct lines {
    struct ln *v;
    size_t n;
};

/* Where one field's marker and body are. */
struct slot {
    const struct bp_ws_field *f;
    int marker;      /* line number of the "## ... [id]" line */
    size_t from, to; /* its body: lines [from, to) of the text */
};

struct rd {
    char *why;
    size_t cap;
    int *line;
};

/* why = "champ « label » : " + the sentence (or the sentence alone when f
 * is NULL), cut on a character when cap is small. Returns -1. */
__attribute__((format(printf, 4, 5))) static int
fail(struct rd *r, int no, const struct bp_ws_field *f, const char *fmt, ...)
{
    if (r->line)
        *r->line = no;
    if (!r->why || !r->cap)
        return -1;
    char b[1500];
    size_t n = 0;
    if (f)
        n = (size_t)snprintf(b, sizeof b, _("champ « %s » : "), f->label);
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof b)
        vsnprintf(b + n, sizeof b - n, fmt, ap);
    va_end(ap);
    size_t m = strlen(b);
    if (m >= r->cap) {
        m = r->cap - 1;
        while (m && ((unsigned char)b[m] & 0xc0) == 0x80)
            m--;
    }
    memcpy(r->why, b, m);
    r->why[m] = '\0';
    return -1;
}

/* What the person wrote, quoted in an error: one line, at most ~60 bytes
 * cut on a character, control bytes shown as '?'. */
static const char *echo(char out[80], const char *p, size_t n)
{
    size_t m = n > 60 ? 60 : n;
    while (m < n && m && ((unsigned char)p[m] & 0xc0) == 0x80)
        m--;
    for (size_t i = 0; i < m; i++)
        out[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
    strcpy(out + m, m < n ? "…" : "");
    return out;
}

/* Lines of buf, '\r' before '\n' and trailing spaces and tabs dropped. */
static int split(const char *buf, size_t len, struct lines *out)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += buf[i] == '\n';
    out->v = malloc(count * sizeof *out->v);
    out->n = 0;
    if (!out->v)
        return -1;
    int no = 1;
    for (size_t i = 0; i <= len; no++) {
        const char *nl = i < len ? memchr(buf + i, '\n', len - i) : NULL;
        size_t n = nl ? (size_t)(nl - buf - i) : len - i;
        struct ln l = {buf + i, n, no};
        while (l.n && (l.p[l.n - 1] == ' ' || l.p[l.n - 1] == '\t' || l.p[l.n - 1] == '\r'))
            l.n--;
        if (nl || n)
            out->v[out->n++] = l;
        if (!nl)
            break;
        i += n + 1;
    }
    return 0;
}

/* The value lines of body lines [from, to): comments out, "\#" unescaped,
 * leading and trailing blank lines out. out->v is allocated. */
static int body(const struct lines *all, size_t from, size_t to, struct lines *out)
{
    out->v = malloc((to - from + 1) * sizeof *out->v);
    out->n = 0;
    if (!out->v)
        return -1;
    for (size_t i = from; i < to; i++) {
        struct ln l = all->v[i];
        if (l.n && l.p[0] == '#')
            continue;
        size_t k = 0;
        while (k < l.n && l.p[k] == '\\')
            k++;
        if (k && k < l.n && l.p[k] == '#') {
            l.p++;
            l.n--;
        }
        if (l.n || out->n) /* leading blank lines out */
            out->v[out->n++] = l;
    }
    while (out->n && !out->v[out->n - 1].n)
        out->n--;
    return 0;
}

static int same_lines(const struct lines *a, const struct lines *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].n != b->v[i].n || memcmp(a->v[i].p, b->v[i].p, a->v[i].n))
            return 0;
    return 1;
}

/* Whether value v shows as exactly the lines l (what the person left). */
static int shown_as(const struct bp_ws_field *f, const json_t *v, const struct lines *l, int *same)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&mem, &len);
    if (!m)
        return -1;
    int rc = sheet_text_value_lines(m, f, v);
    if (fclose(m) || rc) {
        free(mem);
        return -1;
    }
    struct lines all, shown;
    if (split(mem, len, &all)) {
        free(mem);
        return -1;
    }
    rc = body(&all, 0, all.n, &shown);
    if (!rc)
        *same = same_lines(&shown, l);
    free(shown.v);
    free(all.v);
    free(mem);
    return rc;
}

/* Option of f written as its id, its label (ASCII case aside) or "id : label";
 * a "- " in front is allowed. -1 when none. */
static int option_of(const struct bp_ws_field *f, const char *p, size_t n)
{
    if (n && (p[0] == '-' || p[0] == '*')) {
        p++;
        n--;
    }
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    for (size_t k = 0; k < f->n_options; k++) {
        const char *id = f->options[k].id, *lb = f->options[k].label;
        size_t il = strlen(id);
        if ((n == il && !memcmp(p, id, n)) || (n == strlen(lb) && !strncasecmp(p, lb, n)))
            return (int)k;
        if (n > il && !memcmp(p, id, il) && (p[il] == ' ' || p[il] == ':')) {
            size_t j = il;
            while (j < n && p[j] == ' ')
                j++;
            if (j < n && p[j] == ':')
                return (int)k;
        }
    }
    return -1;
}

/* "a, b, c" of f's option ids, cut with "…" when long. */
static const char *option_ids(const struct bp_ws_field *f, char out[400])
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t k = 0; k < f->n_options; k++) {
        size_t m = strlen(f->options[k].id);
        if (n + m + 8 > 400) {
            strcpy(out + n, "…");
            break;
        }
        n += (size_t)sprintf(out + n, "%s%s", k ? ", " : "", f->options[k].id);
    }
    return out;
}

/* A date as the person wrote it (jj/mm/aaaa, j/m/aaaa with / . - or space,
 * or aaaa-mm-jj) to "YYYY-MM-DD". 0 or -1. */
static int date_iso(const char *p, size_t n, char iso[11])
{
    unsigned v[3] = {0, 0, 0}, w[3] = {0, 0, 0};
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        if (k) {
            if (i >= n || !strchr("/.- ", p[i]) || !p[i])
                return -1;
            i++;
        }
        while (i < n && p[i] >= '0' && p[i] <= '9' && w[k] < 4) {
            v[k] = v[k] * 10 + (unsigned)(p[i++] - '0');
            w[k]++;
        }
        if (!w[k])
            return -1;
    }
    if (i != n)
        return -1;
    if (w[0] == 4 && w[1] <= 2 && w[2] <= 2)
        snprintf(iso, 11, "%04u-%02u-%02u", v[0], v[1], v[2]);
    else if (w[0] <= 2 && w[1] <= 2 && w[2] == 4)
        snprintf(iso, 11, "%04u-%02u-%02u", v[2], v[1], v[0]);
    else
        return -1;
    return 0;
}

/* The value of f the lines l say, checked: *out (JSON null when empty). */
static int parse_value(struct rd *r, const struct bp_ws_field *f, const struct lines *l, int marker,
                       json_t **out)
{
    char e[80], ids[400], why[300];
    *out = NULL;
    if (!l->n) {
        *out = json_null();
        return 0;
    }
    json_t *v = NULL;
    switch (f->kind) {
    case BP_WS_TEXT: {
        size_t len = 0;
        for (size_t i = 0; i < l->n; i++)
            len += l->v[i].n + 1;
        char *s = malloc(len);
        if (!s)
            return fail(r, marker, f, _("la mémoire manque."));
        len = 0;
        for (size_t i = 0; i < l->n; i++) {
            memcpy(s + len, l->v[i].p, l->v[i].n);
            len += l->v[i].n;
            s[len++] = '\n';
        }
        v = json_stringn(s, len - 1);
        free(s);
        break;
    }
    case BP_WS_CHOICE:
    case BP_WS_MULTI: {
        v = f->kind == BP_WS_MULTI ? json_array() : NULL;
        int first = 0;
        for (size_t i = 0; i < l->n; i++) {
            const struct ln *x = &l->v[i];
            if (!x->n)
                continue;
            int k = option_of(f, x->p, x->n);
            if (k < 0) {
                json_decref(v);
                return fail(r, x->no, f,
                            _("« %s » n'est pas un des choix. Écrivez un de ces codes : %s."),
                            echo(e, x->p, x->n), option_ids(f, ids));
            }
            if (f->kind == BP_WS_CHOICE && first) {
                json_decref(v);
                return fail(r, x->no, f,
                            _("un seul choix est possible (un autre est écrit ligne %d). Gardez-en "
                              "un seul."),
                            first);
            }
            first = first ? first : x->no;
            if (f->kind == BP_WS_CHOICE) {
                v = json_string(f->options[k].id);
                continue;
            }
            for (size_t j = 0; j < json_array_size(v); j++)
                if (!strcmp(json_string_value(json_array_get(v, j)), f->options[k].id)) {
                    json_decref(v);
                    return fail(r, x->no, f, _("« %s » est choisi deux fois. Effacez cette ligne."),
                                f->options[k].id);
                }
            if (!v || json_array_append_new(v, json_string(f->options[k].id))) {
                json_decref(v);
                return fail(r, marker, f, _("la mémoire manque."));
            }
        }
        break;
    }
    case BP_WS_SCALE:
    case BP_WS_DATE: {
        const struct ln *x = &l->v[0];
        if (l->n > 1)
            return fail(
                r, l->v[1].no, f,
                f->kind == BP_WS_DATE
                    ? _("une seule date est attendue, sur une ligne. Effacez les autres lignes.")
                    : _("un seul nombre est attendu, sur une ligne. Effacez les autres lignes."));
        if (f->kind == BP_WS_DATE) {
            char iso[11];
            if (date_iso(x->p, x->n, iso) || !(v = json_string(iso)) ||
                bp_ws_value_check(f, v, why, sizeof why)) {
                json_decref(v);
                return fail(r, x->no, f,
                            _("« %s » n'est pas une date du calendrier. Écrivez-la jj/mm/aaaa, par "
                              "exemple 09/03/2026."),
                            echo(e, x->p, x->n));
            }
            break;
        }
        long long n = 0;
        size_t i = 0;
        while (i < x->n && x->p[i] >= '0' && x->p[i] <= '9' && n < 1000000)
            n = n * 10 + (x->p[i++] - '0');
        if (!i || i != x->n)
            return fail(
                r, x->no, f,
                _("« %s » n'est pas un nombre entier. Écrivez un nombre entier de %d à %d."),
                echo(e, x->p, x->n), f->min, f->max);
        if (n < f->min || n > f->max)
            return fail(r, x->no, f,
                        _("%lld est hors de l'échelle. Écrivez un nombre entier de %d à %d."), n,
                        f->min, f->max);
        v = json_integer(n);
        break;
    }
    case BP_WS_LIST: {
        v = json_array();
        for (size_t i = 0; v && i < l->n; i++) {
            const struct ln *x = &l->v[i];
            size_t k = 0;
            if (x->n && x->p[0] == '-')
                k = 1;
            while (k < x->n && (x->p[k] == ' ' || x->p[k] == '\t'))
                k++;
            if (k == x->n)
                continue;
            json_t *it = json_stringn(x->p + k, x->n - k), *one = json_pack("[O]", it);
            int bad = !it || !one || bp_ws_value_check(f, one, why, sizeof why);
            json_decref(one);
            if (bad) {
                json_decref(it);
                json_decref(v);
                return fail(r, x->no, f,
                            _("cet élément ne convient pas (%s). Corrigez-le ou effacez-le."),
                            it ? why : _("texte illisible"));
            }
            if (json_array_size(v) == BP_WS_LIST_ITEMS) {
                json_decref(it);
                json_decref(v);
                return fail(
                    r, x->no, f,
                    _("une liste a %d éléments au plus. Regroupez ou effacez des éléments."),
                    BP_WS_LIST_ITEMS);
            }
            json_array_append_new(v, it);
        }
        if (v && !json_array_size(v)) {
            json_decref(v);
            *out = json_null();
            return 0;
        }
        break;
    }
    }
    if (!v)
        return fail(r, l->v[0].no, f, _("la mémoire manque."));
    int rc = bp_ws_value_check(f, v, why, sizeof why);
    if (rc) {
        json_decref(v);
        return fail(r, l->v[0].no, f,
                    rc == BP_E_TOO_LARGE ? _("%s. Raccourcissez-le.") : _("%s. Corrigez-le."), why);
    }
    *out = v;
    return 0;
}

/* Nothing in it: absent, null, a blank string, an empty array. */
static int empty(const json_t *v)
{
    if (!v || json_is_null(v))
        return 1;
    if (json_is_string(v))
        return json_string_value(v)[strspn(json_string_value(v), " \t\r\n")] == '\0';
    return json_is_array(v) && !json_array_size(v);
}

/* One field's body: into changes when it changed. */
static int field(struct rd *r, const struct lines *all, const struct slot *s, int role,
                 const json_t *before, json_t *changes)
{
    struct lines l;
    int same = 0;
    if (body(all, s->from, s->to, &l) || shown_as(s->f, before, &l, &same)) {
        free(l.v);
        return fail(r, s->marker, s->f, _("la mémoire manque."));
    }
    if (same) {
        free(l.v);
        return 0;
    }
    json_t *v;
    int rc = parse_value(r, s->f, &l, s->marker, &v);
    int unchanged = !rc && (json_is_null(v) ? empty(before) : before && json_equal(v, before));
    if (!unchanged && !sheet_text_may_edit(s->f, role)) {
        rc = fail(r, l.n ? l.v[0].no : s->marker, s->f,
                  _("vous ne pouvez pas le modifier : %s. Remettez ce qui était écrit, ou effacez "
                    "son titre « ## » et ce qui le suit."),
                  sheet_text_editors(s->f));
    }
    free(l.v);
    if (!rc && !unchanged && json_object_set(changes, s->f->id, v))
        rc = fail(r, s->marker, s->f, _("la mémoire manque."));
    json_decref(v);
    return rc;
}

static const struct bp_ws_field *field_at(const struct bp_ws_template *t, size_t flat)
{
    for (size_t s = 0; s < t->n_sections; flat -= t->sections[s++].n_fields)
        if (flat < t->sections[s].n_fields)
            return &t->sections[s].fields[flat];
    return NULL;
}

/* A marker line "##" + not '#': its field's flat index in *k; an error when
 * its [id] is missing, unknown or seen before. */
static int marker(struct rd *r, const struct bp_ws_template *t, const struct ln *x,
                  struct slot *slots, size_t n_fields, size_t next, size_t *k)
{
    char e[80];
    const char *open = NULL;
    for (size_t i = 2; i < x->n; i++)
        if (x->p[i] == '[')
            open = x->p + i;
    const struct bp_ws_field *hint = field_at(t, next < n_fields ? next : 0);
    if (x->n < 3 || x->p[x->n - 1] != ']' || !open)
        return fail(r, x->no, NULL,
                    _("une ligne qui commence par ## est le titre d'un champ et finit par son code "
                      "entre crochets, par exemple [%s]. Remettez le code effacé, ou écrivez \\## "
                      "pour un texte qui commence par ##."),
                    hint->id);
    const char *id = open + 1;
    size_t n = (size_t)(x->p + x->n - 1 - id);
    for (size_t i = 0; i < n_fields; i++) {
        const struct bp_ws_field *f = field_at(t, i);
        if (strlen(f->id) != n || memcmp(f->id, id, n))
            continue;
        if (slots[i].f)
            return fail(r, x->no, f,
                        _("il apparaît deux fois (ligne %d et ici). Gardez un seul titre « ## … "
                          "[%s] » avec la valeur voulue."),
                        slots[i].marker, f->id);
        *k = i;
        return 0;
    }
    return fail(r, x->no, NULL,
                _("le code [%s] n'est celui d'aucun champ de cette fiche. Remettez le code "
                  "d'origine, par exemple [%s], ou effacez ce titre."),
                echo(e, id, n), hint->id);
}

int sheet_text_read(const char *buf, size_t len, const struct bp_ws_template *t, int role,
                    const json_t *values_before, json_t **changes, char *why, size_t cap, int *line)
{
    struct rd r = {why, cap, line};
    struct lines all = {NULL, 0};
    struct slot *slots = NULL;
    size_t *order = NULL, n_order = 0, n_fields = 0;
    *changes = NULL;
    if (line)
        *line = 0;
    if (why && cap)
        why[0] = '\0';
    if (len > SHEET_TEXT_MAX)
        return fail(
            &r, 0, NULL,
            _("le texte est trop long (%u octets au plus) : ce n'est pas celui de la fiche."),
            SHEET_TEXT_MAX);
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) { /* a BOM: not text */
        buf += 3;
        len -= 3;
    }
    for (size_t s = 0; s < t->n_sections; s++)
        n_fields += t->sections[s].n_fields;
    int rc = -1;
    slots = calloc(n_fields + 1, sizeof *slots);
    order = calloc(n_fields + 1, sizeof *order);
    json_t *out = json_object();
    if (!slots || !order || !out || split(buf, len, &all)) {
        fail(&r, 0, NULL, _("la mémoire manque."));
        goto done;
    }
    struct slot *cur = NULL;
    for (size_t i = 0; i < all.n; i++) {
        const struct ln *x = &all.v[i];
        int is_marker =
            x->n >= 2 && x->p[0] == '#' && x->p[1] == '#' && (x->n == 2 || x->p[2] != '#');
        /* A comment's bytes do not count, not even when they are not UTF-8. */
        if ((!x->n || x->p[0] != '#' || is_marker) && !bp_utf8_valid((const uint8_t *)x->p, x->n)) {
            fail(&r, x->no, NULL,
                 _("cette ligne a des caractères illisibles. Enregistrez le texte en UTF-8 (le "
                   "codage habituel) et réécrivez les lettres accentuées."));
            goto done;
        }
        if (is_marker) {
            size_t k = 0;
            size_t next = n_order ? order[n_order - 1] + 1 : 0;
            if (marker(&r, t, x, slots, n_fields, next, &k))
                goto done;
            if (cur)
                cur->to = i;
            cur = &slots[k];
            cur->f = field_at(t, k);
            cur->marker = x->no;
            cur->from = i + 1;
            cur->to = all.n;
            order[n_order++] = k;
        } else if (!cur && x->n && x->p[0] != '#') {
            fail(&r, x->no, NULL,
                 _("ce texte n'est sous aucun titre de champ. Écrivez-le sous le titre « ## » du "
                   "champ voulu, ou mettez # devant."));
            goto done;
        }
    }
    for (size_t i = 0; i < n_order; i++) {
        const struct slot *s = &slots[order[i]];
        const json_t *before = values_before ? json_object_get(values_before, s->f->id) : NULL;
        if (field(&r, &all, s, role, before, out))
            goto done;
    }
    *changes = out;
    out = NULL;
    rc = 0;
done:
    json_decref(out);
    free(all.v);
    free(slots);
    free(order);
    return rc;
}
