/* handle_close.h: the handler of bilan_close (PROTOCOL.md §10.4),
 * registered in the dispatch table (dispatch.c), which checks the state
 * first (authenticated). msg is the validated request (borrowed), ref its
 * ref ("" when none). */
#ifndef SERVER_HANDLE_CLOSE_H
#define SERVER_HANDLE_CLOSE_H

#include "conn.h"

void handle_bilan_close(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
