/* cmd_sheet_edit.h: `bilan sheet edit ID` (cmd_sheet_edit.c), run by the
 * dispatch of cmd_sheet.c. */
#ifndef CLIENT_CMD_SHEET_EDIT_H
#define CLIENT_CMD_SHEET_EDIT_H

#include "sheet_cli.h"

int sheet_cmd_edit(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args);

#endif
