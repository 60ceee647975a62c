/* handle_e2e.h: handler of e2e (PROTOCOL.md §8.1), registered in the
 * dispatch table (dispatch.c), which checks the state first (in a room). */
#ifndef SERVER_HANDLE_E2E_H
#define SERVER_HANDLE_E2E_H

#include "conn.h"

void handle_e2e(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
