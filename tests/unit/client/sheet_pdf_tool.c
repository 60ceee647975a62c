/* sheet_pdf_tool.c: drives client/doc/ from tests with a template and values
 * of their own (`bilan sheet export` takes them from a replica):
 * sheet_pdf_tool TEMPLATE.json VALUES.json OUT [--md] [--large-print]
 * [--bilan LABEL] [--beneficiary NAME] [--date DD/MM/YYYY].
 *
 * The template is parsed and checked by bp_ws_template_parse, so the test's
 * templates and the shipped ones go through the real rules. Exit 0; 1 with
 * the export's French sentence on stderr; 2 for a bad argument or template. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/ws_template.h"
#include "sheet_md.h"
#include "sheet_pdf.h"


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
    json_t *vj = json_load_file(argv[2], 0, &e);
    if (!vj) {
        fprintf(stderr, "sheet_pdf_tool: bad JSON: %s\n", e.text);
        return 2;
    }
    char why[1024];
    struct bp_ws_template *t = NULL;
    char *text = read_all(argv[1]); /* its own bytes: the parser refuses a key written twice */
    if (!text || bp_ws_template_parse(text, strlen(text), NULL, &t, why, sizeof why)) {
        fprintf(stderr, "sheet_pdf_tool: %s: %s\n", argv[1], text ? why : "unreadable");
        free(text);
        return 2;
    }
    free(text);
    int rc = md ? sheet_md_write(argv[3], t, vj, &o, why, sizeof why)
                : sheet_pdf_write(argv[3], t, vj, &o, why, sizeof why);
    if (rc)
        fprintf(stderr, "%s\n", why);
    bp_ws_template_free(t);
    json_decref(vj);
    return rc ? 1 : 0;
}
