/* cmd_sheet_show.c: `bilan sheet show`, `conflicts` and `export`: a sheet
 * read on this device (see cmd_sheet_show.h).
 *
 * Owns: the readable French form of a sheet on a terminal (sections,
 * fields with their ids, values as the exports show them, conflicts marked
 * with their versions). Must never: change the sheet, or print the sheet
 * anywhere but the standard output or the file the person named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_sheet_show.h"
#include "sheet_cli.h"
#include "bp/vocab.h"
#include "doc/sheet_md.h"
#include "doc/sheet_pdf.h"
#include "doc/sheet_value.h"
#include "i18n.h"

/* The sheet named by word, its info, values and conflicts: 0 or an exit code. */
static int load(struct sheet_cli *c, const char *word, struct sheets_info *info, json_t **values,
                json_t **conflicts)
{
    char id[SHEETS_ID_LEN + 1];
    int rc = sheet_cli_find(c, word, id);
    if (rc)
        return rc;
    if (sheets_info(c->s, id, info))
        return cli_fail(EXIT_USAGE, _("aucune fiche %s dans ce bilan"), id);
    if (!info->t)
        return cli_fail(EXIT_USAGE,
                        _("la fiche %s suit le modèle « %s », que cet appareil ne connaît pas : "
                          "mettez bilan à jour"),
                        id, info->tmpl);
    *values = sheets_values(c->s, id);
    *conflicts = conflicts ? sheets_conflicts(c->s, id) : NULL;
    if (!*values || (conflicts && !*conflicts)) {
        json_decref(*values);
        return cli_fail(EXIT_USAGE, "%s", _("mémoire insuffisante"));
    }
    return 0;
}

int sheet_cmd_show(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o, (void)nargs;
    struct sheets_info info;
    json_t *values, *conflicts;
    int rc = load(c, args[0], &info, &values, &conflicts);
    if (rc)
        return rc;
    const struct bp_ws_template *t = info.t;
    char when[64];
    sheet_cli_when(info.created_ms, when, sizeof when);
    printf("%s\n", t->title);
    printf(_("Fiche %s, créée le %s, bilan %s%s%s%s\n"), info.id, when, c->bilan,
           c->label[0] ? " (" : "", c->label, c->label[0] ? ")" : "");
    if (info.pending)
        printf(_("Modifications pas encore envoyées : %zu (bilan sheet sync les envoie).\n"),
               info.pending);
    if (info.conflicts)
        printf(_("Champs écrits en même temps sur deux appareils : %zu, marqués [CONFLIT].\n"),
               info.conflicts);
    int ws_role = c->role == BP_ROLE_CONSULTANT ? BP_WS_CONSULTANT : BP_WS_BENEFICIARY;
    for (size_t i = 0; i < t->n_sections; i++) {
        const struct bp_ws_section *sec = &t->sections[i];
        printf("\n== %s ==\n", sec->title);
        for (size_t j = 0; j < sec->n_fields; j++) {
            const struct bp_ws_field *f = &sec->fields[j];
            const json_t *alts = json_object_get(conflicts, f->id);
            printf("\n%s [%s]", f->label, f->id);
            if (!((int)f->editors & ws_role))
                printf(" %s", f->editors == BP_WS_CONSULTANT
                                  ? _("(rempli par le consultant)")
                                  : _("(rempli par le ou la bénéficiaire)"));
            if (alts)
                printf(_("  [CONFLIT : %zu versions]"), json_array_size(alts));
            putchar('\n');
            if (alts) {
                sheet_cli_print_versions(stdout, f, alts, "  ");
                printf(_("  Pour choisir : bilan sheet resolve %s %s --keep N (ou --value "
                         "VALEUR)\n"),
                       info.id, f->id);
            } else {
                sheet_cli_print_value(stdout, f, json_object_get(values, f->id), "  ");
            }
        }
    }
    json_decref(values);
    json_decref(conflicts);
    return 0;
}

/* Prints the conflicts of one sheet; how many fields had some. */
static size_t print_conflicts(struct sheet_cli *c, const struct sheets_info *info)
{
    json_t *cf = sheets_conflicts(c->s, info->id);
    size_t n = 0;
    for (size_t i = 0; cf && info->t && i < info->t->n_sections; i++)
        for (size_t j = 0; j < info->t->sections[i].n_fields; j++) {
            const struct bp_ws_field *f = &info->t->sections[i].fields[j];
            const json_t *alts = json_object_get(cf, f->id);
            if (!alts)
                continue;
            if (!n++)
                printf(_("Fiche %s « %s » :\n"), info->id, info->title);
            printf(_("  %s [%s] : %zu versions\n"), f->label, f->id, json_array_size(alts));
            sheet_cli_print_versions(stdout, f, alts, "    ");
            printf(_("    Pour choisir : bilan sheet resolve %s %s --keep N (ou --value "
                     "VALEUR)\n"),
                   info->id, f->id);
        }
    json_decref(cf);
    return n;
}

struct conflicts_ctx {
    struct sheet_cli *c;
    size_t n;
};

static int conflicts_cb(void *arg, const struct sheets_info *i)
{
    struct conflicts_ctx *x = arg;
    if (i->conflicts)
        x->n += print_conflicts(x->c, i);
    return 0;
}

int sheet_cmd_conflicts(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o;
    struct conflicts_ctx x = {c, 0};
    if (nargs) {
        char id[SHEETS_ID_LEN + 1];
        struct sheets_info info;
        int rc = sheet_cli_find(c, args[0], id);
        if (rc)
            return rc;
        if (sheets_info(c->s, id, &info))
            return cli_fail(EXIT_USAGE, _("aucune fiche %s dans ce bilan"), id);
        x.n = print_conflicts(c, &info);
    } else if (sheets_list(c->s, 0, conflicts_cb, &x)) {
        return cli_fail(EXIT_USAGE, "%s", _("mémoire insuffisante"));
    }
    if (!x.n)
        printf("%s\n", nargs ? _("Aucun conflit dans cette fiche.")
                             : _("Aucun conflit dans les fiches de ce bilan."));
    return 0;
}

int sheet_cmd_export(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)nargs;
    int pdf;
    if (!o->format)
        return cli_fail(EXIT_USAGE, "%s", _("donnez le format : --format md ou --format pdf"));
    if (!strcmp(o->format, "md") || !strcmp(o->format, "markdown"))
        pdf = 0;
    else if (!strcmp(o->format, "pdf"))
        pdf = 1;
    else
        return cli_fail(EXIT_USAGE, _("format « %s » inconnu : md ou pdf"), o->format);
    struct sheets_info info;
    json_t *values, *conflicts;
    int rc = load(c, args[0], &info, &values, &conflicts);
    if (rc)
        return rc;
    struct sheet_doc_opts d = {.large_print = o->large_print,
                               .bilan_label = c->label[0] ? c->label : c->bilan};
    char path[4200], why[1024];
    if (o->output)
        snprintf(path, sizeof path, "%s", o->output);
    else
        snprintf(path, sizeof path, "%s-%.8s.pdf", info.tmpl, info.id);
    if (!pdf && !o->output)
        rc = sheet_md_print(stdout, info.t, values, &d) ? -1 : 0;
    else
        rc = pdf ? sheet_pdf_write(path, info.t, values, &d, why, sizeof why)
                 : sheet_md_write(path, info.t, values, &d, why, sizeof why);
    size_t nconf = json_object_size(conflicts);
    json_decref(values);
    json_decref(conflicts);
    if (rc)
        return (!pdf && !o->output)
                   ? cli_fail(EXIT_USAGE, "%s", _("écriture impossible sur la sortie standard"))
                   : cli_fail(EXIT_USAGE, "%s", why);
    if (nconf)
        fprintf(stderr,
                _("attention : %zu champs ont plusieurs versions ; l'export montre celle affichée "
                  "pour l'instant (bilan sheet conflicts %.8s)\n"),
                nconf, info.id);
    if (pdf || o->output)
        fprintf(stderr, _("Fiche écrite dans %s.\n"), path);
    return 0;
}
