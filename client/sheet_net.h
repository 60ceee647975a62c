/* sheet_net.h: the worksheet commands that talk to the server
 * (cmd_sheet_net.c): `bilan sheet sync`, `bilan sheet consent`, `bilan
 * bilan close`, and the sync a local edit tries at once. Each returns an
 * exit code (cli.h's EXIT_*), with its messages printed. */
#ifndef CLIENT_SHEET_NET_H
#define CLIENT_SHEET_NET_H

#include "cli.h"

int sheet_net_sync_cmd(struct app *a, int argc, char **argv);
int sheet_net_consent_cmd(struct app *a, int argc, char **argv);
int sheet_net_close_cmd(struct app *a, int argc, char **argv);
/* After a local edit: the catch-up, saying only what went wrong (a network
 * failure is said as "saved here, sent at the next sync"). */
int sheet_net_try_sync(struct app *a, const char *bilan, const char *opt_server);

#endif
