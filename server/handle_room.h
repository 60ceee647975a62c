/* handle_room.h: handlers of join and leave (PROTOCOL.md §3.3), registered
 * in the dispatch table (dispatch.c), which checks the state first (join:
 * authenticated and in no room; leave: in a room). The membership change
 * itself is the roster's (roster.h). */
#ifndef SERVER_HANDLE_ROOM_H
#define SERVER_HANDLE_ROOM_H

#include "conn.h"

void handle_join(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_leave(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
