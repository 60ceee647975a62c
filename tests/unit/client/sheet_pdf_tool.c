/* sheet_pdf_tool.c: drives client/doc/ from tests until `bilan sheet export`
 * exists: sheet_pdf_tool TEMPLATE.json VALUES.json OUT [--md] [--large-print]
 * [--bilan LABEL] [--beneficiary NAME] [--date DD/MM/YYYY].
 *
 * With proto/ws_template.c in the tree (BILAN_HAVE_WS_TEMPLATE, set by
 * CMake), the template is parsed and checked by bp_ws_template_parse, so the
 * test's templates and the shipped ones go through the real rules; without
 * it (this part of issue 11 was written in parallel), by a small loader of
 * its own that checks nothing. Exit 0; 1 with the export's French sentence
 * on stderr; 2 for a bad argument or template. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/ws_template.h"
#include "sheet_md.h"
#include "sheet_pdf.h"

#ifndef BILAN_HAVE_WS_TEMPLATE
static char *dup_or_null(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? strdup(s) : NULL;
}

static void copy_id(char dst[BP_WS_ID_MAX + 1], const json_t *o)
{
    snprintf(dst, BP_WS_ID_MAX + 1, "%s", json_string_value(json_object_get(o, "id")) ?: "");
}

static enum bp_ws_kind kind_of(const char *k)
{
    static const char *names[] = {"text", "choice", "multi", "scale", "list", "date"};
    for (int i = 0; i < 6; i++)
        if (k && !strcmp(k, names[i]))
            return (enum bp_ws_kind)i;
    return BP_WS_TEXT;
}

static struct bp_ws_template *load(const json_t *j)
{
    struct bp_ws_template *t = calloc(1, sizeof *t);
    copy_id(t->id, j);
    t->title = dup_or_null(j, "title");
    t->intro = dup_or_null(j, "intro");
    const json_t *secs = json_object_get(j, "sections");
    t->n_sections = json_array_size(secs);
    t->sections = calloc(t->n_sections + 1, sizeof *t->sections);
    for (size_t s = 0; s < t->n_sections; s++) {
        const json_t *js = json_array_get(secs, s);
        struct bp_ws_section *sec = &t->sections[s];
        copy_id(sec->id, js);
        sec->title = dup_or_null(js, "title");
        const json_t *fs = json_object_get(js, "fields");
        sec->n_fields = json_array_size(fs);
        sec->fields = calloc(sec->n_fields + 1, sizeof *sec->fields);
        for (size_t i = 0; i < sec->n_fields; i++) {
            const json_t *jf = json_array_get(fs, i);
            struct bp_ws_field *f = &sec->fields[i];
            copy_id(f->id, jf);
            f->label = dup_or_null(jf, "label");
            f->kind = kind_of(json_string_value(json_object_get(jf, "kind")));
            f->editors = BP_WS_BOTH;
            f->min = (int)json_integer_value(json_object_get(jf, "min"));
            f->max = (int)json_integer_value(json_object_get(jf, "max"));
            f->min_label = dup_or_null(jf, "min_label");
            f->max_label = dup_or_null(jf, "max_label");
            const json_t *os = json_object_get(jf, "options");
            f->n_options = json_array_size(os);
            f->options = calloc(f->n_options + 1, sizeof *f->options);
            for (size_t k = 0; k < f->n_options; k++) {
                copy_id(f->options[k].id, json_array_get(os, k));
                f->options[k].label = dup_or_null(json_array_get(os, k), "label");
            }
        }
    }
    return t;
}

static void unload(struct bp_ws_template *t)
{
    for (size_t s = 0; s < t->n_sections; s++) {
        struct bp_ws_section *sec = &t->sections[s];
        for (size_t i = 0; i < sec->n_fields; i++) {
            struct bp_ws_field *f = &sec->fields[i];
            for (size_t k = 0; k < f->n_options; k++)
                free(f->options[k].label);
            free(f->options);
            free(f->label);
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
#endif

#ifdef BILAN_HAVE_WS_TEMPLATE
/* The whole file as a NUL-terminated string, or NULL. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = (cap + 4096) * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, 4096, f);
        len += n;
    } while (n);
    fclose(f);
    buf[len] = 0;
    return buf;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr,
                "usage: sheet_pdf_tool TEMPLATE.json VALUES.json OUT [--md] [--large-print] "
                "[--bilan L] [--beneficiary N] [--date D]\n");
        return 2;
    }
    struct sheet_doc_opts o = {0};
    int md = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--md"))
            md = 1;
        else if (!strcmp(argv[i], "--large-print"))
            o.large_print = 1;
        else if (!strcmp(argv[i], "--bilan") && i + 1 < argc)
            o.bilan_label = argv[++i];
        else if (!strcmp(argv[i], "--beneficiary") && i + 1 < argc)
            o.beneficiary = argv[++i];
        else if (!strcmp(argv[i], "--date") && i + 1 < argc)
            o.date = argv[++i];
        else {
            fprintf(stderr, "sheet_pdf_tool: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    json_error_t e;
    json_t *tj = json_load_file(argv[1], 0, &e), *vj = json_load_file(argv[2], 0, &e);
    if (!tj || !vj) {
        fprintf(stderr, "sheet_pdf_tool: bad JSON: %s\n", e.text);
        return 2;
    }
    char why[1024];
#ifdef BILAN_HAVE_WS_TEMPLATE
    struct bp_ws_template *t = NULL;
    char *text = read_all(argv[1]); /* its own bytes: the parser refuses a key written twice */
    if (!text || bp_ws_template_parse(text, strlen(text), NULL, &t, why, sizeof why)) {
        fprintf(stderr, "sheet_pdf_tool: %s: %s\n", argv[1], text ? why : "unreadable");
        free(text);
        return 2;
    }
    free(text);
#else
    struct bp_ws_template *t = load(tj);
#endif
    int rc = md ? sheet_md_write(argv[3], t, vj, &o, why, sizeof why)
                : sheet_pdf_write(argv[3], t, vj, &o, why, sizeof why);
    if (rc)
        fprintf(stderr, "%s\n", why);
#ifdef BILAN_HAVE_WS_TEMPLATE
    bp_ws_template_free(t);
#else
    unload(t);
#endif
    json_decref(tj);
    json_decref(vj);
    return rc ? 1 : 0;
}
