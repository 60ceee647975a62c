/* cmd_sheet_show.h: `bilan sheet show`, `conflicts` and `export`
 * (cmd_sheet_show.c), run by the dispatch of cmd_sheet.c. */
#ifndef CLIENT_CMD_SHEET_SHOW_H
#define CLIENT_CMD_SHEET_SHOW_H

#include "sheet_cli.h"

int sheet_cmd_show(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args);
int sheet_cmd_conflicts(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args);
int sheet_cmd_export(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args);

#endif
