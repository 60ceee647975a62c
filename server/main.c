/* main.c: the bilan-server command line. Owns the table of commands, the
 * global options (--help, --version) and the dispatch; each command family
 * lives in its own file (cmd.h says what they share):
 *
 *   serve                          cmd_serve.c       the relay (ws.c)
 *   consultant add|token|list      cmd_consultant.c  accounts, on the same database
 *   hours                          cmd_hours.c       a bilan's or a consultant's month
 *   journal export, receipts       cmd_export.c      a bilan's evidence as files
 *   purge                          cmd_purge.c       closed bilans' worksheets, a year on
 *
 * stdout carries only what a person or a test reads (the ready line, tokens
 * and links, reports); logs go to stderr. Admin commands work while the
 * server runs: the store is in WAL mode with a busy timeout. To add a
 * command: a handler and a help text in a cmd_*.c file, their declarations
 * in cmd.h, a row below, the file in server/CMakeLists.txt. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "server.h"

/* In the order of `bilan-server --help`. */
static const struct cmd commands[] = {
    {"serve", {{"serve", "run the server (wss://HOST:PORT/ws)"}}, cmd_serve_run, cmd_serve_help},
    {"consultant",
     {{"consultant add NAME", "create a consultant and print a one-time enrolment link"},
      {"consultant token NAME", "print another enrolment link, for a new device"},
      {"consultant list", "list consultants and their number of devices"}},
     cmd_consultant_run, cmd_consultant_help},
    {"hours",
     {{"hours BILAN", "face-to-face hours of a bilan (from the database)"},
      {"hours --consultant NAME --month YYYY-MM", "a consultant's sessions of one month"},
      {"hours --replay FILE", "face-to-face hours of a bilan from its exported journal"}},
     cmd_hours_run, cmd_hours_help},
    {"journal", {{"journal export BILAN", "a bilan's presence journal as JSON Lines"}}, cmd_journal_run,
     cmd_journal_help},
    {"receipts", {{"receipts BILAN", "a bilan's attendance receipts (co-signed session records)"}},
     cmd_receipts_run, cmd_receipts_help},
    {"purge", {{"purge", "delete what closed bilans kept, one year after their close"}}, cmd_purge_run,
     cmd_purge_help},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])
#define USAGE_COLUMN 23 /* where the summaries start; a longer usage gets three spaces */

static void help_main(FILE *f)
{
    fputs("Usage: bilan-server COMMAND [OPTIONS]\n"
          "\n"
          "The signalling and relay server of Bilan Remote.\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        for (size_t k = 0; k < CMD_SYNOPSIS_MAX && commands[i].synopsis[k].usage; k++) {
            const struct cmd_synopsis *s = &commands[i].synopsis[k];
            size_t n = strlen(s->usage);
            fprintf(f, "  %s%*s%s\n", s->usage, n < USAGE_COLUMN ? (int)(USAGE_COLUMN - n) : 3, "", s->summary);
        }
    fputs("\n"
          "Run `bilan-server COMMAND --help` for the options of a command.\n"
          "Quick start on a fresh machine: bilan-server serve --dev\n", f);
}

int main(int argc, char **argv)
{
    log_init(0);
    if (argc < 2) {
        help_main(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        help_main(stdout);
        return 0;
    }
    if (!strcmp(name, "--version")) {
        printf("%s\n", SERVER_NAME);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(&commands[i], argc - 1, argv + 1);
    fprintf(stderr, "bilan-server: unknown command '%s'\n", name);
    help_main(stderr);
    return 2;
}
