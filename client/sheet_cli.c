/* sheet_cli.c: the helpers the `bilan sheet` subcommands share (see
 * sheet_cli.h). Owns: how a terminal shows a date, a value, a conflict's
 * versions; the sentence after a local edit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sheet_cli.h"
#include "bp/vocab.h"
#include "doc/sheet_value.h"
#include "i18n.h"

int sheet_cli_find(struct sheet_cli *c, const char *word, char out[SHEETS_ID_LEN + 1])
{
    char why[512];
    if (sheets_find(c->s, word, out, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    return 0;
}

void sheet_cli_saved(void)
{
    printf("%s\n", _("Enregistré sur cet appareil."));
}

void sheet_cli_when(unsigned long long ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!ms || !localtime_r(&t, &tm)) {
        snprintf(out, cap, "%s", _("date inconnue"));
        return;
    }
    char d[16], h[8];
    strftime(d, sizeof d, "%d/%m/%Y", &tm);
    strftime(h, sizeof h, "%H:%M", &tm);
    snprintf(out, cap, _("%s à %s"), d, h);
}

void sheet_cli_print_value(FILE *f, const struct bp_ws_field *fl, const json_t *v,
                           const char *indent)
{
    struct sheet_pieces p;
    if (sheet_value_pieces(fl, v, &p)) {
        fprintf(f, "%s%s\n", indent, _("(mémoire insuffisante)"));
        return;
    }
    for (size_t i = 0; i < p.n; i++) {
        /* A paragraph may hold several lines: each one indented. */
        const char *t = p.v[i].text;
        int first = 1;
        while (first || *t) {
            size_t n = strcspn(t, "\n");
            fprintf(f, "%s%s%.*s\n", indent,
                    p.v[i].kind == SHEET_BULLET ? (first ? "- " : "  ") : "", (int)n, t);
            t += n + (t[n] == '\n');
            first = 0;
        }
    }
    sheet_pieces_free(&p);
}

void sheet_cli_print_versions(FILE *f, const struct bp_ws_field *fl, const json_t *versions,
                              const char *indent)
{
    char in2[64];
    snprintf(in2, sizeof in2, "%s    ", indent);
    for (size_t i = 0; i < json_array_size(versions); i++) {
        const json_t *v = json_array_get(versions, i);
        const char *role = json_string_value(json_object_get(v, "role"));
        int r = role ? bp_role_parse(role, strlen(role)) : 0;
        char when[64];
        sheet_cli_when((unsigned long long)json_integer_value(json_object_get(v, "ms")), when,
                       sizeof when);
        fprintf(f, _("%sversion %zu (%s, %s%s)%s :\n"), indent, i + 1, cli_role_word(r), when,
                json_is_true(json_object_get(v, "self")) ? _(", cet appareil") : "",
                i == 0 ? _(", montrée pour l'instant") : "");
        sheet_cli_print_value(f, fl, json_object_get(v, "value"), in2);
    }
}
