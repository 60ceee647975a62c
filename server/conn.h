/* conn.h: one client connection's state machine (PROTOCOL.md §2.2, §3, §4):
 * new -> challenged -> authenticated -> in_room, the handlers of every
 * control message, message reassembly, and the relay of binary frames.
 *
 * Owns the connection's outbound queue, its reassembly buffer, its room
 * membership and its data flow state (who holds it back, its allowance, how
 * far its peer has taken what it was sent). The struct lives in lws's per-session memory (ws.c); it is
 * never freed here, only emptied by conn_closed(). A connection told to
 * close (a fatal error, conn_kill) is only marked; its departure from its
 * room (member_left, the journal) happens once, at the end of the event that
 * decided it, never in the middle of a handler or of another connection's
 * callback; the transport closes it from its own callback later.
 *
 * No lws here: the transport is reached only through the table of
 * operations srv->transport (transport.h), which ws.c installs and unit
 * tests replace. */
#ifndef SERVER_CONN_H
#define SERVER_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"
#include "queue.h"
#include "server.h"
#include "store.h"
#include "transport.h"

enum conn_state { CS_NEW = 0, CS_CHALLENGED, CS_AUTHED, CS_IN_ROOM };

/* Close statuses the transport puts in the WebSocket close frame. */
enum conn_close { CC_NORMAL = 1000, CC_GOING_AWAY = 1001, CC_POLICY = 1008, CC_TOO_BIG = 1009 };

struct conn {
    struct conn *prev, *next;    /* server->conns */
    struct server *srv;
    void *transport;             /* struct lws *, opaque here */
    enum conn_state state;
    char ip[RL_ADDR_MAX];
    uint8_t nonce[BP_NONCE_LEN];
    uint8_t fp[BP_FP_LEN];       /* authenticated device */
    struct store_device dev;
    char consultant_name[BP_NAME_MAX + 1];

    struct room *room;
    int slot;
    /* Flow control of data (PROTOCOL.md §4 "Queues"). */
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
    int64_t last_ping_ms;        /* last ping we asked for */
    int64_t opened_ms;           /* WebSocket established: welcome is due BP_AUTH_TIMEOUT_S later */

    /* Reassembly of one message; capped at BP_MAX_CTRL / BP_MAX_FRAME. */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    uint8_t rx_active, rx_binary;
};

/* ---- Lifecycle, called by the transport ---- */
/* c is zeroed memory; links it into srv, whose transport must be installed
 * (srv->transport, TRANSPORT_API). */
void conn_open(struct conn *c, struct server *srv, void *transport, const char *ip, struct now now);
/* One chunk of a WebSocket message. binary: the message's type (read at its
 * first chunk); final: last chunk of the message; remaining: bytes still to
 * come in the current WebSocket frame. Never reads past len. */
void conn_rx(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
             struct now now);
void conn_pong(struct conn *c, struct now now);
/* Next message to write, or NULL; the caller writes it and gives it back with
 * conn_written() (which frees it). */
struct qmsg *conn_next_write(struct conn *c, struct now now);
void conn_written(struct conn *c, struct qmsg *m);
/* Whether the transport should close c now (closing and nothing left). */
int conn_should_close(const struct conn *c);
/* The connection is gone: leaves its room (member_left with the right reason),
 * frees its buffers and unlinks it. c's memory is the transport's. */
void conn_closed(struct conn *c, struct now now);

/* ---- For attendance.c: replies through c's queue (see conn.c) ---- */
/* Queues a control message (takes obj). */
void conn_send_json(struct conn *c, json_t *obj, struct now now);
/* Queues an error (fatal per bp_err_is_fatal); message NULL = the default text. */
void conn_send_error(struct conn *c, int code, const char *message, const char *ref, struct now now);
/* Queues an error that does not close the connection, whatever the code's
 * default (rate_limited on a request over its quota, PROTOCOL.md §9.2). */
void conn_send_error_soft(struct conn *c, int code, const char *message, const char *ref, struct now now);
/* {"type": type, "ref": ref?} */
json_t *conn_reply(const char *type, const char *ref);

/* ---- Server-wide ---- */
/* Sends a fatal error (code) to c and makes the transport close it after
 * flushing; c leaves its room at the end of the event (the safe point).
 * Safe from another connection's callback. */
void conn_kill(struct conn *c, int code, const char *message, struct now now);
/* A stranger closed to make room (admit.h): too_many_connections. */
void conn_evict(struct conn *c, struct now now);
/* Shutdown: shutting_down to everyone. */
void conn_shutdown_all(struct server *srv, struct now now);
/* Once a second: the authentication deadline (a connection not welcomed
 * BP_AUTH_TIMEOUT_S after it opened gets the fatal auth_timeout) and
 * liveness: a connection silent for BP_PING_S - 1 s gets a
 * ping (with a payload, so that its pong is reported: lws does not report
 * empty pongs); one silent for BP_HANGUP_S is closed as "lost". And the drain
 * deadline: one whose peer takes nothing of what it owes for QUEUE_STALL_MS
 * is cut with too_slow (queue.h, txwatch). */
void conn_sweep(struct server *srv, struct now now);

#endif
