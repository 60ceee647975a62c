/* sheet_input.c: a typed value to the JSON of its field's kind (see
 * sheet_input.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sheet_input.h"
#include "bp/data.h"
#include "i18n.h"

/* s[0..n-1] without the spaces around it, into out (cap bytes). */
static void trimmed(const char *s, size_t n, char *out, size_t cap)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The option named by id, label or the start of a label (ASCII case
 * ignored), or NULL. */
static const struct bp_ws_option *option(const struct bp_ws_field *f, const char *w)
{
    for (size_t i = 0; i < f->n_options; i++)
        if (!strcmp(f->options[i].id, w))
            return &f->options[i];
    for (size_t i = 0; i < f->n_options; i++)
        if (!strcasecmp(f->options[i].label, w))
            return &f->options[i];
    /* Labels are long ("Création ou reprise d'activité"): the start of one
     * label, when no other starts the same way, names it. */
    const struct bp_ws_option *hit = NULL;
    size_t n = strlen(w);
    for (size_t i = 0; n >= 3 && i < f->n_options; i++)
        if (!strncasecmp(f->options[i].label, w, n)) {
            if (hit)
                return NULL;
            hit = &f->options[i];
        }
    return hit;
}

/* What was typed, as a refusal quotes it: at most 60 bytes, cut between
 * two characters, "…" when cut (the text is valid UTF-8 by then). */
static const char *quoted(const char *w, char out[72])
{
    size_t n = strlen(w);
    if (n <= 60)
        return w;
    n = 60;
    while (n && ((unsigned char)w[n] & 0xC0) == 0x80)
        n--;
    snprintf(out, 72, "%.*s…", (int)n, w);
    return out;
}

static int bad_option(const struct bp_ws_field *f, const char *w, char *why, size_t cap)
{
    char q[72];
    int r = snprintf(why, cap, _("le champ « %s » n'a pas de choix « %s » : les choix sont "),
                     f->id, quoted(w, q));
    size_t n = r < 0 ? 0 : (size_t)r;
    /* Whole options only: a sentence cut inside a word (or a character)
     * reads as a fault of its own. */
    for (size_t i = 0; i < f->n_options && n + 1 < cap; i++) {
        char item[2 * BP_WS_LABEL_MAX + 16];
        int m = snprintf(item, sizeof item, "%s%s (%s)", i ? ", " : "", f->options[i].id,
                         f->options[i].label);
        if (m < 0 || n + (size_t)m + sizeof "…" > cap) {
            if (n + sizeof "…" <= cap)
                memcpy(why + n, "…", sizeof "…");
            break;
        }
        memcpy(why + n, item, (size_t)m + 1);
        n += (size_t)m;
    }
    return -1;
}

static int parse_date(const struct bp_ws_field *f, const char *t, json_t **out, char *why,
                      size_t cap)
{
    char q[72];
    int d, m, y;
    char end;
    char iso[48];
    if (sscanf(t, "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3 && strlen(t) == 10) {
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, m, d);
    } else if (sscanf(t, "%2d/%2d/%4d%c", &d, &m, &y, &end) == 3 && y >= 1000 && d >= 0 && m >= 0) {
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, m, d);
    } else {
        snprintf(why, cap,
                 _("le champ « %s » attend une date écrite jj/mm/aaaa (par exemple 09/03/2026) : "
                   "« %s » n'en est pas une"),
                 f->id, quoted(t, q));
        return -1;
    }
    *out = json_string(iso);
    return *out ? 0 : -1;
}

int sheet_input_parse(const struct bp_ws_field *f, const char *text, json_t **out, char *why,
                      size_t cap)
{
    *out = NULL;
    /* Checked first: every refusal below quotes what was typed. */
    if (!bp_utf8_valid((const uint8_t *)text, strlen(text))) {
        snprintf(why, cap, _("le champ « %s » : ce texte n'est pas de l'UTF-8 valide"), f->id);
        return -1;
    }
    char one[BP_WS_ITEM_MAX + 1];
    trimmed(text, strlen(text), one, sizeof one);
    if (!one[0] && (f->kind != BP_WS_TEXT || !text[0] || strspn(text, " \t\n") == strlen(text))) {
        *out = json_null();
        return 0;
    }
    switch (f->kind) {
    case BP_WS_TEXT:
        *out = json_string(text);
        break;
    case BP_WS_CHOICE: {
        const struct bp_ws_option *o = option(f, one);
        if (!o)
            return bad_option(f, one, why, cap);
        *out = json_string(o->id);
        break;
    }
    case BP_WS_SCALE: {
        char *end, q[72];
        long v = strtol(one, &end, 10);
        if (*end || end == one || v < -1000000 || v > 1000000) {
            snprintf(
                why, cap,
                _("le champ « %s » attend un nombre entier de %d à %d : « %s » n'en est pas un"),
                f->id, f->min, f->max, quoted(one, q));
            return -1;
        }
        *out = json_integer(v);
        break;
    }
    case BP_WS_DATE:
        return parse_date(f, one, out, why, cap);
    case BP_WS_MULTI:
    case BP_WS_LIST: {
        json_t *a = json_array();
        const char *p = text;
        while (a && *p) {
            size_t n;
            const char *next;
            if (f->kind == BP_WS_MULTI) {
                n = strcspn(p, ",");
                next = p[n] ? p + n + 1 : p + n;
            } else {
                const char *nl = strchr(p, '\n'), *bar = strstr(p, " | ");
                if (bar && (!nl || bar < nl)) {
                    n = (size_t)(bar - p);
                    next = bar + 3;
                } else {
                    n = nl ? (size_t)(nl - p) : strlen(p);
                    next = nl ? nl + 1 : p + n;
                }
            }
            char item[BP_WS_ITEM_MAX + 8];
            if (n > BP_WS_ITEM_MAX) {
                snprintf(why, cap, _("le champ « %s » : un élément dépasse %d octets"), f->id,
                         BP_WS_ITEM_MAX);
                json_decref(a);
                return -1;
            }
            trimmed(p, n, item, sizeof item);
            p = next;
            if (!item[0])
                continue;
            if (f->kind == BP_WS_MULTI) {
                const struct bp_ws_option *o = option(f, item);
                if (!o) {
                    json_decref(a);
                    return bad_option(f, item, why, cap);
                }
                int seen = 0;
                for (size_t i = 0; i < json_array_size(a); i++)
                    seen |= !strcmp(json_string_value(json_array_get(a, i)), o->id);
                if (!seen)
                    json_array_append_new(a, json_string(o->id));
            } else if (json_array_append_new(a, json_string(item))) {
                json_decref(a);
                a = NULL; /* not UTF-8 (or no memory): said below */
                break;
            }
        }
        *out = a;
        break;
    }
    }
    if (!*out) {
        /* jansson refuses only bytes that are not UTF-8 (or no memory). */
        snprintf(why, cap, _("le champ « %s » : ce texte n'est pas de l'UTF-8 valide"), f->id);
        return -1;
    }
    return 0;
}
