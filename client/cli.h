/* cli.h: what the subcommands share: the data folder, the key store and
 * identity, finding the server to talk to, and running one dialog over one
 * connection (net.c + dialog.c) to an exit code. */
#ifndef CLIENT_CLI_H
#define CLIENT_CLI_H

#include <stdio.h>

#include "bp/vocab.h"
#include "keystore.h"
#include "net.h"
#include "dialog.h"
#include "util.h"

struct app {
    char data_dir[4096];
    struct keystore *ks;
    struct bp_identity id;
    long long id_created;
};

/* Resolves the data folder: --data, $BILAN_HOME, $XDG_DATA_HOME/bilan,
 * ~/.local/share/bilan. 0 or EXIT_USAGE (message printed). */
int app_resolve_dir(struct app *a, const char *opt_dir);
/* Opens the store and loads (creating if needed) the identity. Returns 0 or
 * an exit code, with a message printed. */
int app_open(struct app *a);
void app_close(struct app *a);

/* The server a command should use: the one named by --server (must be known
 * unless allow_unknown), else the only one enrolled with role (enum bp_role;
 * BP_ROLE_NONE: any).
 * Returns 0 or an exit code with a message printed. */
int app_pick_server(struct app *a, const char *opt_server, int role, struct ks_server *out);

/* The bilan a command is about (bilan, or the only one this device knows)
 * and its server (opt_server: --server, may be NULL); out_bilan holds
 * BP_ID_MAX + 1 bytes. 0, or an exit code with a message printed. */
int cli_pick_bilan(struct app *a, const char *bilan, const char *opt_server, struct ks_server *srv,
                   char *out_bilan);

/* Connects to cfg and runs d to its end; returns the exit code. Network
 * failures are printed as "bilan: HOST:PORT: <what happened>". The dialog's
 * transport is this connection while it runs (d->tp is set here), and the
 * wake of its mux goes to this connection's loop. */
int app_run_dialog(struct dialog *s, const struct net_cfg *cfg);

/* A word getopt refused (unknown option, or one missing its value): says
 * which, then prints usage (already translated) on stderr; EXIT_USAGE.
 * Callers set opterr = 0 before their getopt loop. */
int cli_bad_option(char **argv, const char *usage);

/* The role in the reader's words ("consultant", "bénéficiaire"), for
 * sentences; the wire name (bp_role_name) stays in machine lines. */
const char *cli_role_word(int role);

/* Prints "bilan: <message>" for a local error and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cmd_identity(struct app *a, int argc, char **argv);
int cmd_enrol(struct app *a, int argc, char **argv);
int cmd_bilan(struct app *a, int argc, char **argv);
int cmd_join(struct app *a, int argc, char **argv);
/* `bilan join` with its options already read (join_opts.h): what cmd_join
 * runs, and what a program that adds media sources (o->on_ready) runs. */
struct join_opts;
int join_run(struct app *a, struct join_opts *o);
int cmd_hours(struct app *a, int argc, char **argv);
int cmd_open(struct app *a, int argc, char **argv); /* join or enrol, from a link a click gives */
int cmd_receipt(struct app *a, int argc, char **argv); /* a unused: offline */
/* `bilan sheet ...` (issue 11): a bilan's worksheets on this device (cmd_sheet.h). */
int cmd_sheet(struct app *a, int argc, char **argv);
/* `bilan devices` and `bilan test-media` (issue 10): offline, a unused. */
int cmd_devices(struct app *a, int argc, char **argv);
int cmd_testmedia(struct app *a, int argc, char **argv);
/* The words of `bilan devices` for a listing d (media/devlist.h), for
 * people or for scripts: 0, or -1 when f refuses. */
struct devlist;
int devices_print_text(FILE *f, const struct devlist *d);
int devices_print_json(FILE *f, const struct devlist *d);

#endif
