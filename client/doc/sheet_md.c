/* sheet_md.c: a sheet as Markdown (sheet_md.h). */
#include "sheet_md.h"

#include <string.h>

#include "doc_file.h"
#include "i18n.h"

/* Escaped anywhere: emphasis, code, links, html and entities, headings,
 * tables, images, strikethrough. At the start of a line also what opens a
 * list, a quote or a heading underline ("- ", "+ ", "1. ", "=== "), and a
 * first space (four would open a code block). A '\n' (never in a label; in a
 * newer client's list item, perhaps) becomes a space: one line stays one. */
static void escape_n(FILE *f, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    if (p < end && (*p == ' ' || *p == '\t')) {
        fputs(*p == ' ' ? "&#32;" : "&#9;", f);
        p++;
    }
    if (p < end && (*p == '-' || *p == '+' || *p == '=')) {
        fputc('\\', f);
        fputc(*p++, f);
    } else if (p < end && *p >= '0' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            fputc(*p++, f);
        if (p < end && (*p == '.' || *p == ')')) {
            fputc('\\', f);
            fputc(*p++, f);
        }
    }
    for (; p < end; p++) {
        if (*p == '\n' || *p == '\r') {
            fputc(' ', f);
            continue;
        }
        if (strchr("\\`*_{}[]<>#|!~&", *p))
            fputc('\\', f);
        fputc(*p, f);
    }
}

void sheet_md_escape(FILE *f, const char *s)
{
    escape_n(f, s, strlen(s));
}

/* A text value: its lines kept (a hard break "  " inside a paragraph), its
 * blank lines kept as paragraph breaks. */
static void para(FILE *f, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        escape_n(f, s, n);
        s += n;
        if (*s == '\n')
            s++;
        int more = *s && *s != '\n' && n;
        fputs(more ? "  \n" : "\n", f);
    }
    fputc('\n', f);
}

int sheet_md_print(FILE *f, const struct bp_ws_template *t, const json_t *values,
                   const struct sheet_doc_opts *o)
{
    char today[11];
    fputs("# ", f);
    sheet_md_escape(f, t->title);
    fputs("\n\n", f);
    if (o && o->bilan_label) {
        fputs(_("Bilan : "), f);
        sheet_md_escape(f, o->bilan_label);
        fputs("  \n", f);
    }
    if (o && o->beneficiary) {
        fputs(_("Bénéficiaire : "), f);
        sheet_md_escape(f, o->beneficiary);
        fputs("  \n", f);
    }
    fprintf(f, _("Exporté le %s"), sheet_doc_date(o, today));
    fputs("\n\n", f);
    if (t->intro) {
        fputc('*', f);
        sheet_md_escape(f, t->intro);
        fputs("*\n\n", f);
    }
    for (size_t s = 0; s < t->n_sections; s++) {
        const struct bp_ws_section *sec = &t->sections[s];
        fputs("## ", f);
        sheet_md_escape(f, sec->title);
        fputs("\n\n", f);
        for (size_t i = 0; i < sec->n_fields; i++) {
            const struct bp_ws_field *fl = &sec->fields[i];
            struct sheet_pieces p;
            if (sheet_value_pieces(fl, values ? json_object_get(values, fl->id) : NULL, &p))
                return -1;
            fputs("**", f);
            sheet_md_escape(f, fl->label);
            fputs("**\n\n", f);
            for (size_t k = 0; k < p.n; k++) {
                if (p.v[k].kind == SHEET_PARA) {
                    para(f, p.v[k].text);
                } else if (p.v[k].kind == SHEET_BULLET) {
                    fputs("- ", f);
                    sheet_md_escape(f, p.v[k].text);
                    fputc('\n', f);
                    if (k + 1 == p.n || p.v[k + 1].kind != SHEET_BULLET)
                        fputc('\n', f);
                } else {
                    fputc('*', f);
                    sheet_md_escape(f, p.v[k].text);
                    fputs("*\n\n", f);
                }
            }
            sheet_pieces_free(&p);
        }
    }
    return ferror(f) ? -1 : 0;
}

int sheet_md_write(const char *path, const struct bp_ws_template *t, const json_t *values,
                   const struct sheet_doc_opts *o, char *why, size_t cap)
{
    struct doc_file d;
    if (doc_file_open(&d, path, why, cap))
        return -1;
    if (sheet_md_print(d.f, t, values, o)) {
        doc_file_abort(&d);
        snprintf(why, cap, _("impossible d'écrire « %s » : le disque est peut-être plein."), path);
        return -1;
    }
    return doc_file_commit(&d, why, cap);
}
