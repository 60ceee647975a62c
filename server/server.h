/* server.h: the state one bilan-server process shares between connections.
 *
 * Owns the registry of rooms, the rate limiter, the connection caps (admit:
 * every accepted socket, from TCP accept to close), the list of live
 * WebSocket connections, the departures waiting for their safe point, the
 * open store and the installed transport (transport.h). Everything here is
 * touched only from the service thread (signal handlers only set a flag and
 * wake the loop). */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "quota.h"
#include "ratelimit.h"
#include "room.h"
#include "store.h"

#define SERVER_NAME "bilan-server/0.1.0"
#define BILANS_LIST_MAX 500      /* bilans listed in welcome/bilans (keeps them < 64 KiB) */

struct conn;
struct transport_ops;

struct server {
    const struct store_ops *ops;
    struct store *st;
    const struct transport_ops *transport;  /* installed by ws.c (tests: a fake); never NULL once serving */
    struct rooms rooms;
    struct ratelimit rl;
    struct admit admit;          /* filled by ws.c from lws's accept and close callbacks */
    struct quota quota;          /* per-device request quotas (PROTOCOL.md §9.2) */
    struct conn *conns;          /* doubly linked, every established connection */
    size_t nconns;
    /* Connections told to close while in a room, oldest first: they leave
     * it at the end of the event that decided it (lifecycle.c). */
    struct conn *departing, *departing_tail;
    size_t soft_budget;          /* bytes; the hard cap is QUEUE_HARD_FACTOR times this */
    int64_t video_delay_ms;      /* video waiting longer drops new video (queue_decide_frame); 0: the default */
    int64_t invite_ttl_s;        /* default for bilan_create/invite_create */
    int64_t session_grace_ms;    /* an emptied (not left) session waits this long; 0: SESSION_GRACE_MS */
    int stopping;                /* shutdown began: no roster notifications */
    /* Tests only (--test-clock-offset, PROTOCOL.md §10.4): seconds added to
     * the wall clock of the close, the purge and the consent's dating. */
    int64_t test_clock_offset_s;
    int64_t purge_next_s;        /* the next purge, on the moved clock (purge.c) */
    /* Totals for the shutdown summary. */
    uint64_t frames_relayed, video_dropped, auth_ok, auth_failed;
    /* keyframe_request from receivers (PROTOCOL.md §4.3): forwarded, dropped
     * by the pacing, ignored (an empty slot, the requester's own). */
    uint64_t kf_forwarded, kf_paced, kf_ignored;
};

/* Monotonic milliseconds, wall seconds and wall milliseconds, read once per event and passed in. */
struct now {
    int64_t s;
    int64_t ms;
    int64_t wall_ms;             /* Unix milliseconds (the journal's clock); 0: use s * 1000 */
};

/* The journal's clock: now.wall_ms, or now.s in ms when a caller left it 0. */
static inline int64_t now_wall_ms(struct now now)
{
    return now.wall_ms ? now.wall_ms : now.s * 1000;
}

/* The clock of the close, the purge and the consent (PROTOCOL.md §10.4):
 * wall seconds, moved by the test-only offset. */
static inline int64_t server_clock_s(const struct server *srv, struct now now)
{
    return now.s + srv->test_clock_offset_s;
}

#endif
