/* sheet_cli.h: what the files of `bilan sheet` share (cmd_sheet.c: the
 * dispatch, finding the bilan, the edits; cmd_sheet_show.c: show,
 * conflicts, export; the sync, one more subcommand), and the helpers of
 * sheet_cli.c: naming a sheet, dates, values and versions as a terminal
 * shows them. A module of its own so that the subcommands' files depend on
 * it and never on each other. */
#ifndef CLIENT_SHEET_CLI_H
#define CLIENT_SHEET_CLI_H

#include <stdio.h>

#include "cli.h"
#include "sheets.h"

/* The command line, read once for every subcommand. */
struct sheet_opts {
    const char *bilan, *server;
    const char *format, *output, *value;
    int keep; /* --keep N: 1-based, 0 when not given */
    int large_print, all;
    int offline; /* --offline: a change is not sent at once (sheet_net.h) */
};

/* One bilan's worksheets, open for a subcommand. */
struct sheet_cli {
    struct app *a;
    struct ks_server srv;
    char bilan[BP_ID_MAX + 1];
    char label[BP_LABEL_MAX + 1]; /* the bilan's label, "" when none */
    int role;                     /* enum bp_role of this device in the bilan */
    struct sheets *s;
};

/* A subcommand: the sheets are open (c->s) unless it needs no bilan.
 * args: the words after the subcommand's name. Returns an exit code. */
struct sheet_sub {
    const char *name;
    int (*run)(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args);
    const char *usage; /* N_() text */
    int min_args, max_args;
    int needs_bilan;
};

/* The sheet a person named (a unique prefix of 4 characters or more) in
 * out; 0, or EXIT_USAGE with the reason printed. */
int sheet_cli_find(struct sheet_cli *c, const char *word, char out[SHEETS_ID_LEN + 1]);
/* "enregistré sur cet appareil ; envoyé à la prochaine synchronisation": after a local edit. */
void sheet_cli_saved(void);
/* Prints a field's value as sheet_value.h shows it, each line after indent. */
void sheet_cli_print_value(FILE *f, const struct bp_ws_field *fl, const json_t *v,
                           const char *indent);
/* Prints a conflict's versions (sheets_conflicts' array), numbered from 1. */
void sheet_cli_print_versions(FILE *f, const struct bp_ws_field *fl, const json_t *versions,
                              const char *indent);
/* "01/12/2026 à 10:32" (local time) of a clock's milliseconds. */
void sheet_cli_when(unsigned long long ms, char *out, size_t cap);

#endif
