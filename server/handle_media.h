/* handle_media.h: handlers of the media control messages (PROTOCOL.md
 * §4.3), registered in the dispatch table (dispatch.c), which checks the
 * state first: keyframe_request in a room, clock once authenticated. */
#ifndef SERVER_HANDLE_MEDIA_H
#define SERVER_HANDLE_MEDIA_H

#include "conn.h"

/* At most one keyframe_request forwarded per (requester, sender) in this
 * long; the others are dropped (counted in srv->kf_paced). */
#define MEDIA_KF_FORWARD_MS 250

void handle_keyframe_want(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_clock(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
