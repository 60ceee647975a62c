/* sheet_value.c: a field's value as pieces of plain text (sheet_value.h).
 * Pure: the only outside call is the clock of sheet_today_fr. */
#include "sheet_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"

static int add(struct sheet_pieces *p, enum sheet_piece_kind k, const char *text)
{
    struct sheet_piece *v = realloc(p->v, (p->n + 1) * sizeof *v);
    if (!v)
        return -1;
    p->v = v;
    char *t = strdup(text);
    if (!t)
        return -1;
    v[p->n].kind = k;
    v[p->n].text = t;
    p->n++;
    return 0;
}

void sheet_pieces_free(struct sheet_pieces *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].text);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int sheet_date_fr(const char *iso, char out[11])
{
    int ok = strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        if (i != 4 && i != 7 && (iso[i] < '0' || iso[i] > '9'))
            ok = 0;
    if (!ok) {
        snprintf(out, 11, "%s", iso);
        return -1;
    }
    snprintf(out, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    return 0;
}

void sheet_today_fr(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm) || !strftime(out, 11, "%d/%m/%Y", &tm))
        snprintf(out, 11, "%s", "--/--/----");
}

const char *sheet_doc_date(const struct sheet_doc_opts *o, char buf[11])
{
    if (o && o->date)
        return o->date;
    sheet_today_fr(buf);
    return buf;
}

/* The label of option id in f; the id itself when the template has no such
 * option (a value from a newer template: better shown than lost). */
static const char *option_label(const struct bp_ws_field *f, const char *id)
{
    for (size_t i = 0; i < f->n_options; i++)
        if (!strcmp(f->options[i].id, id))
            return f->options[i].label;
    return id;
}

static int pieces_of(const struct bp_ws_field *f, const json_t *v, struct sheet_pieces *out)
{
    char buf[600];
    switch (f->kind) {
    case BP_WS_TEXT:
        if (!json_is_string(v))
            break;
        return add(out, SHEET_PARA, json_string_value(v));
    case BP_WS_CHOICE:
        if (!json_is_string(v))
            break;
        return add(out, SHEET_PARA, option_label(f, json_string_value(v)));
    case BP_WS_MULTI:
    case BP_WS_LIST: {
        if (!json_is_array(v))
            break;
        size_t i;
        const json_t *it;
        json_array_foreach(v, i, it)
        {
            if (!json_is_string(it))
                return add(out, SHEET_NOTE, _("(valeur illisible)"));
            const char *s = json_string_value(it);
            if (add(out, SHEET_BULLET, f->kind == BP_WS_MULTI ? option_label(f, s) : s))
                return -1;
        }
        if (json_array_size(v) == 0)
            return add(out, SHEET_NOTE, _("(non renseigné)"));
        return 0;
    }
    case BP_WS_SCALE: {
        if (!json_is_integer(v))
            break;
        int n =
            snprintf(buf, sizeof buf, _("%lld sur %d"), (long long)json_integer_value(v), f->max);
        if (f->min_label || f->max_label)
            snprintf(buf + n, sizeof buf - (size_t)n, " (%d : %s ; %d : %s)", f->min,
                     f->min_label ? f->min_label : "…", f->max, f->max_label ? f->max_label : "…");
        return add(out, SHEET_PARA, buf);
    }
    case BP_WS_DATE: {
        char d[11];
        if (!json_is_string(v) || sheet_date_fr(json_string_value(v), d))
            break;
        return add(out, SHEET_PARA, d);
    }
    }
    return add(out, SHEET_NOTE, _("(valeur illisible)"));
}

/* Only spaces, tabs and line breaks: nothing a reader would see. */
static int blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == 0;
}

int sheet_value_pieces(const struct bp_ws_field *f, const json_t *v, struct sheet_pieces *out)
{
    out->v = NULL;
    out->n = 0;
    int rc;
    if (!v || json_is_null(v) || (json_is_string(v) && blank(json_string_value(v))))
        rc = add(out, SHEET_NOTE, _("(non renseigné)"));
    else
        rc = pieces_of(f, v, out);
    if (rc)
        sheet_pieces_free(out);
    return rc;
}
