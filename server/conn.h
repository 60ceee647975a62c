/* conn.h: one client connection (struct conn) and its outbound side: the
 * lowest layer of the connection code, used by every file above it.
 *
 * Owns the connection's outbound queue and the way anything reaches a
 * connection: a control message, a room event or a frame is queued here and
 * the transport is woken through srv->transport (transport.h); an error is
 * built here (code, message, fatal, PROTOCOL.md §5); a connection is told to
 * close here (conn_close, conn_kill). The struct lives in the transport's
 * per-session memory (ws.c); it is never freed by the server, only emptied by
 * conn_closed() (lifecycle.h).
 *
 * The state machine (PROTOCOL.md §2.2, §3): new -> challenged ->
 * authenticated -> in_room. Which message is allowed in which state is the
 * dispatch table's business (dispatch.c).
 *
 * Must never: leave a room, journal, free a connection or call up into the
 * files that use it (lifecycle, dispatch, handlers, roster, relay,
 * attendance). Closing only marks: the departure from the room happens once,
 * at the end of the event (lifecycle.c) or when the transport reports the
 * close. Never log or echo tokens, keys or payload bytes. */
#ifndef SERVER_CONN_H
#define SERVER_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "queue.h"
#include "quota.h"
#include "server.h"
#include "store.h"
#include "transport.h"

enum conn_state { CS_NEW = 0, CS_CHALLENGED, CS_AUTHED, CS_IN_ROOM };
#define CS_COUNT 4

/* Close statuses the transport puts in the WebSocket close frame. */
enum conn_close { CC_NORMAL = 1000, CC_GOING_AWAY = 1001, CC_POLICY = 1008, CC_TOO_BIG = 1009 };

struct conn {
    struct conn *prev, *next;    /* server->conns */
    struct server *srv;
    void *transport;             /* the transport's handle (struct lws *), opaque here */
    enum conn_state state;
    char ip[RL_ADDR_MAX];
    uint8_t nonce[BP_NONCE_LEN];
    uint8_t fp[BP_FP_LEN];       /* authenticated device */
    struct store_device dev;
    char consultant_name[BP_NAME_MAX + 1];
    uint8_t browser;             /* hello.client said "bilan-web/...": the browser client */

    struct room *room;
    int slot;
    /* Flow control of data (PROTOCOL.md §4 "Queues"; relay.c). */
    uint8_t hold_mask;           /* receivers' slots holding back this sender's data */
    uint8_t blocking;            /* this receiver's slot is set in some hold_mask */
    uint8_t refusing;            /* past the allowance: its data is refused until go */
    uint8_t closing;             /* flush control messages, then close */
    uint8_t doomed;              /* past the hard cap: cut at the next safe point */
    uint8_t ping_due;            /* the transport should send a ping next */
    uint16_t close_status;       /* enum conn_close */
    /* Told to close while in a room: on srv->departing until it leaves. */
    uint8_t depart_due;
    const char *depart_reason;   /* static: member_left's reason ("disconnected", "lost") */
    struct conn *depart_next;

    struct outq q;
    uint64_t frames_in, frames_out, dropped_video;
    uint64_t held_bytes;         /* data accepted from this sender since its flow hold */
    uint64_t allowance;          /* what it may send while held (queue_allowance, at the hold) */
    uint64_t data_refused;       /* data frames refused past the allowance */
    uint64_t bytes_out;          /* handed to the transport (progress when it cannot tell more) */
    struct txwatch txw;          /* drain deadline */
    int64_t last_rx_ms;          /* anything received, pongs included */
    int64_t last_rx_wall_ms;     /* the same in wall-clock ms: the last sign of life (journal) */
    int64_t last_kf_ms;          /* last keyframe_request on this receiver's behalf */
    /* Live media (PROTOCOL.md §4.3): reset at each join (roster.c). */
    int64_t kf_forward_ms[BP_MAX_MEMBERS]; /* last keyframe_request forwarded from this member to each slot */
    uint8_t media_sent;          /* sent audio or video since its last media_report */
    uint64_t last_report_ms;     /* when it got its last media_report (0: never) */
    uint32_t dropped_for[BP_MAX_MEMBERS]; /* its video dropped for the receiver in each slot, since then */
    int64_t last_ping_ms;        /* last ping we asked for */
    int64_t opened_ms;           /* WebSocket established: welcome is due BP_AUTH_TIMEOUT_S later */

    /* Reassembly of one message; capped at BP_MAX_CTRL / BP_MAX_FRAME. */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    uint8_t rx_active, rx_binary;
};

/* ---- Sending: every message reaches a connection through these ---- */

/* Queues m (a binary frame with m->slot set, or a message built by the
 * functions below) and wakes the transport. Takes m. No check: the caller
 * decided with queue_decide(). */
static inline void conn_push(struct conn *c, struct qmsg *m)
{
    outq_push(&c->q, m);
    c->srv->transport->wake(c);
}
/* Queues a control message (takes obj; dropped when c is closing). A
 * receiver whose queue would pass the hard cap is marked doomed (cut at the
 * next safe point), never cut here. */
void conn_send_json(struct conn *c, json_t *obj, struct now now);
/* Queues a room event about the member in slot (member_joined, member_left,
 * relayed e2e): it keeps its place among that member's frames (queue.h,
 * "The write order"). Takes obj. */
void conn_send_event(struct conn *c, json_t *obj, int slot, struct now now);
/* Queues an error: code from bp_err_code(), message (NULL = the default
 * text), the request's ref, fatal per bp_err_is_fatal(); a fatal one closes c
 * (conn_close, reason "disconnected"). Nothing when c is closing. */
void conn_send_error(struct conn *c, int code, const char *message, const char *ref, struct now now);
/* Queues an error that does not close the connection, whatever the code's
 * default (rate_limited on a request over its quota, PROTOCOL.md §9.2). */
void conn_send_error_soft(struct conn *c, int code, const char *message, const char *ref, struct now now);
/* {"type": type, "ref": ref?}, or NULL when out of memory. */
json_t *conn_reply(const char *type, const char *ref);
/* Takes one request of kind from c's device quota (quota.h): 0, or -1 after
 * answering the request (ref) with the non-fatal rate_limited. */
int conn_quota(struct conn *c, enum quota_kind kind, const char *ref, struct now now);

/* ---- Closing: marks only; safe from another connection's callback ---- */

/* c stops taking messages, flushes its control messages and closes (status
 * goes in the close frame; the transport closes it within a few seconds in
 * any case). If c is in a room, its departure (member_left with reason, the
 * journal) is queued on srv->departing for the end of the event. */
void conn_close(struct conn *c, const char *reason, enum conn_close status, struct now now);
/* Sends a fatal error (code; message NULL = the default text) and closes c,
 * even for a code that is not fatal by default (out of memory). */
void conn_kill(struct conn *c, int code, const char *message, struct now now);
/* The oldest departure due, taken off srv->departing, or NULL. */
struct conn *conn_depart_next(struct server *srv);
/* Takes c off srv->departing (it is leaving by another path). */
void conn_depart_cancel(struct conn *c);

#endif
