/* handle_sheet_keys.h: handlers of sheet_key_put, sheet_key_get and
 * sheet_consent (PROTOCOL.md §10.2, §10.3), registered in the dispatch
 * table (dispatch.c), which checks the state first (authenticated). msg is
 * the validated request (borrowed), ref its ref ("" when none). */
#ifndef SERVER_HANDLE_SHEET_KEYS_H
#define SERVER_HANDLE_SHEET_KEYS_H

#include "conn.h"

void handle_sheet_key_put(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_sheet_key_get(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_sheet_consent(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
