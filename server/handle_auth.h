/* handle_auth.h: handlers of hello, enrol and auth (PROTOCOL.md §2.2),
 * registered in the dispatch table (dispatch.c), which checks the state
 * first (hello: not authenticated yet; enrol, auth: challenged). msg is the
 * validated request (borrowed), ref its ref ("" when none). */
#ifndef SERVER_HANDLE_AUTH_H
#define SERVER_HANDLE_AUTH_H

#include "conn.h"

void handle_hello(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_enrol(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_auth(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
