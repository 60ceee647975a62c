/* sheet_text.c: the writing half of the text form (sheet_text.h): a sheet
 * shown for $EDITOR, and the person's text shown again with an error.
 * The reading half is sheet_text_read.c. */
#include "sheet_text.h"

#include <string.h>

#include "bp/vocab.h"
#include "i18n.h"
#include "sheet_value.h"

/* Lines of an error banner and of the pointer to the faulty line: removed
 * by sheet_text_reopen before it writes the new ones. */
#define BANNER "# !! "

int sheet_text_may_edit(const struct bp_ws_field *f, int role)
{
    int bit = role == BP_ROLE_CONSULTANT    ? BP_WS_CONSULTANT
              : role == BP_ROLE_BENEFICIARY ? BP_WS_BENEFICIARY
                                            : 0;
    return (f->editors & bit) != 0;
}

/* One value line of n bytes, escaped when it would read as a comment:
 * a '\' more in front of any "\\...\#" (sheet_text.h). */
static void put_line(FILE *f, const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && s[k] == '\\')
        k++;
    if (k < n && s[k] == '#')
        fputc('\\', f);
    fwrite(s, 1, n, f);
    fputc('\n', f);
}

/* Each line of s (split on '\n') through put_line, prefixed by pre. */
static void put_lines(FILE *f, const char *pre, const char *s, size_t n)
{
    const char *end = s + n;
    while (s <= end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t m = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (*pre) {
            size_t pl = strlen(pre);
            while (!m && pl && pre[pl - 1] == ' ') /* no trailing space on "#" alone */
                pl--;
            fwrite(pre, 1, pl, f);
            fwrite(s, 1, m, f);
            fputc('\n', f);
        } else {
            put_line(f, s, m);
        }
        if (!nl)
            break;
        s = nl + 1;
    }
}

/* Comment lines: "# " + pre + each line of s. */
static void comment(FILE *f, const char *pre, const char *s)
{
    char p[128];
    snprintf(p, sizeof p, "# %.100s", pre);
    put_lines(f, p, s, strlen(s));
}

int sheet_text_value_lines(FILE *out, const struct bp_ws_field *f, const json_t *v)
{
    switch (f->kind) {
    case BP_WS_TEXT:
    case BP_WS_CHOICE:
        if (json_is_string(v) && json_string_length(v))
            put_lines(out, "", json_string_value(v), json_string_length(v));
        break;
    case BP_WS_MULTI:
    case BP_WS_LIST: {
        size_t i;
        const json_t *it;
        if (!json_is_array(v))
            break;
        json_array_foreach(v, i, it)
        {
            if (json_is_string(it))
                put_lines(out, "- ", json_string_value(it), json_string_length(it));
        }
        break;
    }
    case BP_WS_SCALE:
        if (json_is_integer(v))
            fprintf(out, "%lld\n", (long long)json_integer_value(v));
        break;
    case BP_WS_DATE: {
        char d[11];
        if (json_is_string(v) && !sheet_date_fr(json_string_value(v), d))
            fprintf(out, "%s\n", d);
        else if (json_is_string(v))
            put_lines(out, "", json_string_value(v), json_string_length(v));
        break;
    }
    }
    return ferror(out) ? -1 : 0;
}

/* A value as the exports show it, as comment lines under pre. */
static int show_value(FILE *f, const struct bp_ws_field *fl, const json_t *v, const char *pre)
{
    struct sheet_pieces p;
    if (sheet_value_pieces(fl, v, &p))
        return -1;
    for (size_t k = 0; k < p.n; k++) {
        char b[80];
        snprintf(b, sizeof b, "%s%s", pre, p.v[k].kind == SHEET_BULLET ? "- " : "");
        comment(f, b, p.v[k].text);
    }
    sheet_pieces_free(&p);
    return 0;
}

/* Who may edit f, in a sentence's words. */
static const char *editors_words(const struct bp_ws_field *f)
{
    if (f->editors == BP_WS_CONSULTANT)
        return _("seul le consultant ou la consultante peut le modifier");
    if (f->editors == BP_WS_BENEFICIARY)
        return _("seule la personne en bilan (bénéficiaire) peut le modifier");
    return _("le consultant et la personne en bilan peuvent le modifier");
}

const char *sheet_text_editors(const struct bp_ws_field *f)
{
    return editors_words(f);
}

static void kind_help(FILE *f, const struct bp_ws_field *fl)
{
    char b[600];
    switch (fl->kind) {
    case BP_WS_TEXT:
        comment(f, "", _("Texte libre, sur plusieurs lignes si besoin."));
        break;
    case BP_WS_CHOICE:
    case BP_WS_MULTI:
        comment(f, "",
                fl->kind == BP_WS_CHOICE ? _("Un seul choix : écrivez son code (le mot avant « : "
                                             "») ou son intitulé. Les choix :")
                                         : _("Plusieurs choix possibles : un par ligne, « - » puis "
                                             "son code (le mot avant « : »). Les choix :"));
        for (size_t k = 0; k < fl->n_options; k++) {
            snprintf(b, sizeof b, "%s : %s", fl->options[k].id, fl->options[k].label);
            comment(f, "    - ", b);
        }
        break;
    case BP_WS_SCALE: {
        int n = snprintf(b, sizeof b, _("Un nombre entier de %d à %d."), fl->min, fl->max);
        if (fl->min_label && n > 0 && (size_t)n < sizeof b)
            n += snprintf(b + n, sizeof b - (size_t)n, " %d : %s.", fl->min, fl->min_label);
        if (fl->max_label && n > 0 && (size_t)n < sizeof b)
            snprintf(b + n, sizeof b - (size_t)n, " %d : %s.", fl->max, fl->max_label);
        comment(f, "", b);
        break;
    }
    case BP_WS_LIST:
        comment(f, "", _("Une liste : un élément par ligne, qui commence par « - »."));
        break;
    case BP_WS_DATE:
        comment(f, "", _("Une date écrite jj/mm/aaaa, par exemple 09/03/2026."));
        break;
    }
}

/* The competing values of a conflict, all of them; who may edit says how
 * it is resolved. */
static int conflict_lines(FILE *f, const struct bp_ws_field *fl, const json_t *alts, int editable)
{
    char b[80];
    comment(
        f, "",
        _("Attention : plusieurs versions de ce champ ont été écrites en même temps. Les voici :"));
    for (size_t k = 0; k < json_array_size(alts); k++) {
        snprintf(b, sizeof b, _("Version %zu :"), k + 1);
        comment(f, "", b);
        if (show_value(f, fl, json_array_get(alts, k), "    "))
            return -1;
    }
    if (editable)
        comment(f, "", _("Écrivez ci-dessous la version à garder (ou un mélange des versions)."));
    else
        comment(f, "", _("Version retenue pour l'instant :"));
    return 0;
}

static int field(FILE *f, const struct bp_ws_field *fl, const json_t *v, const json_t *alts,
                 int role)
{
    int editable = sheet_text_may_edit(fl, role);
    int conflict = json_is_array(alts) && json_array_size(alts);
    fputc('\n', f);
    if (!editable) {
        char b[BP_WS_LABEL_MAX + 200];
        snprintf(b, sizeof b, "%s (%s)", fl->label, editors_words(fl));
        comment(f, "--- ", b);
        if (conflict && conflict_lines(f, fl, alts, 0))
            return -1;
        return show_value(f, fl, v, "    ");
    }
    fprintf(f, "## %s [%s]\n", fl->label, fl->id);
    if (fl->help)
        comment(f, "", fl->help);
    kind_help(f, fl);
    if (conflict && conflict_lines(f, fl, alts, 1))
        return -1;
    /* A value this field cannot take (a newer device's?) is said, and kept
     * as long as the person leaves its lines as they are. */
    char why[300], b[400];
    if (bp_ws_value_check(fl, v, why, sizeof why)) {
        snprintf(b, sizeof b, _("La valeur enregistrée ne convient pas à ce champ : %s."), why);
        comment(f, "", b);
        if (show_value(f, fl, v, "    "))
            return -1;
    }
    return sheet_text_value_lines(f, fl, v);
}

int sheet_text_write(FILE *f, const struct bp_ws_template *t, const json_t *values,
                     const json_t *conflicts, const char *sheet_id, int role,
                     const char *error_banner)
{
    char b[BP_WS_LABEL_MAX + 120];
    if (error_banner)
        comment(f, "!! ", error_banner);
    if (sheet_id)
        snprintf(b, sizeof b, _("Fiche « %s » (n° %s)"), t->title, sheet_id);
    else
        snprintf(b, sizeof b, _("Fiche « %s »"), t->title);
    comment(f, "", b);
    if (t->intro)
        comment(f, "", t->intro);
    comment(f, "", "");
    comment(f, "", _("Comment faire :"));
    comment(f, "- ",
            _("Écrivez sous chaque titre. Les lignes qui commencent par # ne comptent pas."));
    comment(f, "- ", _("Enregistrez et fermez l'éditeur pour appliquer."));
    comment(f, "- ", _("Pour vider un champ, effacez ce qui est écrit sous son titre."));
    comment(f, "- ",
            _("Ne changez pas le code entre crochets [ ] à la fin des titres « ## » : il dit quel "
              "champ suit."));
    comment(f, "- ", _("Pour écrire une ligne qui commence par #, écrivez \\# à la place."));
    comment(f, "- ", _("Pour ne rien changer, effacez tout le texte, enregistrez et fermez."));
    for (size_t s = 0; s < t->n_sections; s++) {
        const struct bp_ws_section *sec = &t->sections[s];
        fputc('\n', f);
        snprintf(b, sizeof b, "===== %s =====", sec->title);
        comment(f, "", b);
        for (size_t i = 0; i < sec->n_fields; i++) {
            const struct bp_ws_field *fl = &sec->fields[i];
            const json_t *v = values ? json_object_get(values, fl->id) : NULL;
            const json_t *alts = conflicts ? json_object_get(conflicts, fl->id) : NULL;
            if (field(f, fl, v, alts, role))
                return -1;
        }
    }
    return ferror(f) ? -1 : 0;
}

/* Line [s, s + n) is one of an earlier banner. */
static int banner_line(const char *s, size_t n)
{
    return n >= strlen(BANNER) - 1 && !memcmp(s, BANNER, strlen(BANNER) - 1);
}

int sheet_text_reopen(FILE *f, const char *buf, size_t len, const char *why, int line)
{
    /* First pass: where the faulty line lands once old banner lines are
     * gone, the new banner (3 lines) is on top and the pointer above it. */
    int out_no = 3, target = 0, no = 1;
    for (size_t i = 0; i < len; no++) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - buf - i) : len - i;
        if (!banner_line(buf + i, n)) {
            if (no == line) {
                out_no++; /* the pointer */
                target = out_no + 1;
            }
            out_no++;
        }
        i += n + 1;
    }
    char b[1200];
    const char *w = why ? why : "";
    fputs(BANNER, f);
    fputs(_("ERREUR : rien n'a été enregistré."), f);
    fputc('\n', f);
    if (target)
        snprintf(b, sizeof b, _("Ligne %d : %s"), target, w);
    else
        snprintf(b, sizeof b, "%s", w);
    for (char *p = b; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(f, BANNER "%s\n", b);
    fputs(BANNER, f);
    fputs(_("Corrigez, puis enregistrez et fermez. Pour tout abandonner, effacez tout le texte."),
          f);
    fputc('\n', f);
    no = 1;
    /* A BOM would land under the banner, where it is no longer one. */
    size_t i0 = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
    for (size_t i = i0; i < len; no++) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - buf - i) : len - i;
        if (!banner_line(buf + i, n)) {
            if (no == line) {
                fputs(BANNER, f);
                fputs(_("↓ l'erreur est sur la ligne qui suit ↓"), f);
                fputc('\n', f);
            }
            fwrite(buf + i, 1, n, f);
            fputc('\n', f);
        }
        i += n + 1;
    }
    return ferror(f) ? -1 : 0;
}
