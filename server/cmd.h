/* cmd.h: what bilan-server's command files share.
 *
 * main.c holds the table of commands (struct cmd: name, lines of the main
 * help, handler, help text) and dispatches to the handlers; each cmd_*.c
 * file owns one family of commands: its options, its help text, what it
 * prints. cmd_common.c holds what several of them need: the store backend
 * (chosen in one place, cmd_store_ops), the usage error, opening the
 * database of a data folder, writing a report to stdout, enrolment links.
 *
 * Every handler follows the same contract: stdout carries only what a
 * person or a test reads (reports, tokens, links, the ready line); messages
 * and logs go to stderr; the exit status is 0 (done), 1 (failed: a message
 * says why) or 2 (usage error). Must never: print a token or a link to
 * stderr or to the log. */
#ifndef SERVER_CMD_H
#define SERVER_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bp/bp.h"
#include "store.h"

#define CMD_SYNOPSIS_MAX 3

/* One line of `bilan-server --help`: "  USAGE   SUMMARY". */
struct cmd_synopsis {
    const char *usage, *summary;
};

struct cmd {
    const char *name;                                 /* argv[1] */
    struct cmd_synopsis synopsis[CMD_SYNOPSIS_MAX];   /* lines of the main help; the unused are {NULL} */
    int (*run)(const struct cmd *self, int argc, char **argv); /* argv[0] is the name; the exit status */
    const char *help;                                 /* `bilan-server NAME --help` */
};

/* The store backend of every command: the one place it is chosen. */
const struct store_ops *cmd_store_ops(void);

/* "bilan-server NAME: " fmt (with arg), then a hint to --help; returns 2. */
int cmd_usage_error(const struct cmd *c, const char *fmt, const char *arg);
/* c's help text on f. */
void cmd_help(const struct cmd *c, FILE *f);

/* DATA/server.db into out[cap]; 0, or -1 when it does not fit. */
int cmd_db_path(const char *data, char *out, size_t cap);
/* Opens the existing database of data folder data (never creates one).
 * 0, or 1 with a message naming c. *st is closed with ops->close. */
int cmd_open_db(const struct cmd *c, const struct store_ops *ops, const char *data, struct store **st);
/* len bytes of text on stdout, flushed; 0, or 1 with a message naming c. */
int cmd_put_out(const struct cmd *c, const char *text, size_t len);

#define CMD_LINK_NOT_YET (-1) /* the server has not run with this data folder */
#define CMD_LINK_NO_HOST (-2) /* it runs on every interface without --public */

/* The enrolment link for token, from what the server last stored in the
 * settings when it started (serve's on_ready): the host and port links name
 * (empty when it has none), and the pin (empty when the system CA store
 * vouches for the certificate). 0, CMD_LINK_NOT_YET or CMD_LINK_NO_HOST.
 * out holds a secret: the caller wipes it. */
int cmd_enrol_link(const struct store_ops *ops, struct store *st, const uint8_t token[BP_TOKEN_LEN], char *out,
                   size_t cap);

#define CMD_NO_HOST_HINT                                                                           \
    "this server listens on every interface and was not told the name clients use: restart it "   \
    "with --public HOST[:PORT] (the name in its certificate) to print links"

/* The handlers and help texts, by family. */
int cmd_serve_run(const struct cmd *self, int argc, char **argv);       /* cmd_serve.c */
extern const char cmd_serve_help[];
int cmd_consultant_run(const struct cmd *self, int argc, char **argv);  /* cmd_consultant.c */
extern const char cmd_consultant_help[];
int cmd_hours_run(const struct cmd *self, int argc, char **argv);       /* cmd_hours.c */
extern const char cmd_hours_help[];
int cmd_journal_run(const struct cmd *self, int argc, char **argv);     /* cmd_export.c */
extern const char cmd_journal_help[];
int cmd_receipts_run(const struct cmd *self, int argc, char **argv);    /* cmd_export.c */
extern const char cmd_receipts_help[];
int cmd_purge_run(const struct cmd *self, int argc, char **argv);       /* cmd_purge.c */
extern const char cmd_purge_help[];

#endif
