/* reconnect.h: when `bilan join` tries to reach the server again after its
 * connection dropped (PROTOCOL.md §1 "Reconnection"): the delays between
 * attempts and the moment it gives up.
 *
 * Delays double from RECONNECT_FIRST_MS up to RECONNECT_CAP_MS (0.5, 1, 2,
 * 4, 8, 8... s), each shortened by up to a fifth at random so that the
 * devices of a restarted server do not all come back in the same instant;
 * the last attempt starts as the window_ms since the connection was lost
 * end, and none after. A rejoin resets everything.
 *
 * Pure logic: time and randomness are passed in, nothing is read or printed.
 * Must never: sleep, read a clock, touch the network. */
#ifndef CLIENT_RECONNECT_H
#define CLIENT_RECONNECT_H

#include <stdint.h>

#define RECONNECT_FIRST_MS 500
#define RECONNECT_CAP_MS 8000
#define RECONNECT_WINDOW_DEFAULT_S 120 /* `bilan join --reconnect-for`, default */

struct reconnect {
    uint64_t window_ms; /* 0: never reconnect */
    uint64_t lost_ms;   /* when the connection was lost; 0: connected */
    int attempts;       /* attempts since then */
};

/* The connection was lost at now (the first loss of a series counts). */
void reconnect_lost(struct reconnect *r, uint64_t now);
/* The delay before the next attempt (ms, never past the window's end), or
 * -1 when it is time to give up (the window is over). rnd: any random
 * number. *left_ms (may be NULL) gets what remains of the window. */
int64_t reconnect_next(struct reconnect *r, uint64_t now, uint32_t rnd, uint64_t *left_ms);
/* Back in the room: the next loss starts a new series. */
void reconnect_ok(struct reconnect *r);
/* 1 while a series of attempts is under way. */
int reconnect_active(const struct reconnect *r);

#endif
