/* handle_sheets.h: handlers of sheet_push and sheet_pull (PROTOCOL.md §10),
 * registered in the dispatch table (dispatch.c), which checks the state
 * first (authenticated). msg is the validated request (borrowed), ref its
 * ref ("" when none). */
#ifndef SERVER_HANDLE_SHEETS_H
#define SERVER_HANDLE_SHEETS_H

#include "conn.h"

void handle_sheet_push(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_sheet_pull(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
