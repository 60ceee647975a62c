/* lifecycle.h: a connection's life as the transport drives it (PROTOCOL.md
 * §1, §2.2): opened, chunks received and reassembled into messages, written
 * one message per write callback, closed; and the once-a-second sweep
 * (authentication deadline, liveness, drain deadline).
 *
 * Owns the reassembly buffer, the liveness clocks and the safe point: every
 * entry point below is one event, and the departures it decided (a
 * connection told to close while in a room, conn.h) happen at its end, one
 * by one, through the roster (roster_leave). A connection's memory is the
 * transport's: conn_closed() empties and unlinks it, never frees it.
 *
 * Called only by the transport (ws.c; tests call it the same way). Must
 * never: be called from below (conn, dispatch, handlers, roster, relay,
 * attendance); name an lws symbol (the transport is srv->transport). */
#ifndef SERVER_LIFECYCLE_H
#define SERVER_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* c is zeroed memory; links it into srv, whose transport must be installed
 * (srv->transport, TRANSPORT_API). transport: the transport's handle for c. */
void conn_open(struct conn *c, struct server *srv, void *transport, const char *ip, struct now now);
/* One chunk of a WebSocket message. binary: the message's type (read at its
 * first chunk); final: last chunk of the message; remaining: bytes still to
 * come in the current WebSocket frame. Never reads past len. A complete
 * message goes to dispatch_text() (text) or relay_frame() (binary). */
void conn_rx(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
             struct now now);
/* A pong (or any proof of life the transport sees). */
void conn_pong(struct conn *c, struct now now);
/* Next message to write, or NULL; the caller writes it and gives it back with
 * conn_written() (which frees it). A doomed connection is cut here. */
struct qmsg *conn_next_write(struct conn *c, struct now now);
void conn_written(struct conn *c, struct qmsg *m);
/* Whether the transport should close c now (closing and nothing left). */
int conn_should_close(const struct conn *c);
/* The transport closed c: it leaves its room if still in one (member_left
 * "lost" when it was silent for about BP_HANGUP_S, else "disconnected"), its
 * buffers are freed and it is unlinked. c's memory stays the transport's. */
void conn_closed(struct conn *c, struct now now);
/* A stranger closed to make room for a new connection (admit.h): the fatal
 * too_many_connections; the transport closes it shortly. */
void conn_evict(struct conn *c, struct now now);
/* Shutdown: shutting_down to everyone (no roster notifications). */
void conn_shutdown_all(struct server *srv, struct now now);
/* Once a second: the authentication deadline (a connection not welcomed
 * BP_AUTH_TIMEOUT_S after it opened gets the fatal auth_timeout) and
 * liveness: a connection silent for BP_PING_S - 1 s gets a ping (with a
 * payload, so that its pong is reported: lws does not report empty pongs);
 * one silent for BP_HANGUP_S is closed as "lost". And the drain deadline:
 * one whose peer takes nothing of what it owes for QUEUE_STALL_MS is cut with
 * too_slow (queue.h, txwatch). Then the media reports to the members that
 * sent audio or video (media_report.h) and attendance's sweep (alive
 * checkpoints, hours_update). */
void conn_sweep(struct server *srv, struct now now);

#endif
