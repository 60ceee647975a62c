/* lifecycle.c: the transport's entry points (see lifecycle.h): open,
 * receive and reassemble, write, close, and the once-a-second sweep.
 *
 * Strangers (connections not yet welcomed) get little: text messages of at
 * most BP_MAX_CTRL_PREAUTH bytes, no binary message at all (refused on its
 * first chunk, nothing buffered), and BP_AUTH_TIMEOUT_S to be welcomed
 * (conn_sweep).
 *
 * The safe point. A handler, the relay or the sweep may decide that a
 * connection must go (a fatal error, a receiver too slow, a silent peer):
 * that only marks it closing (conn_close, conn.h) and, if it is in a room,
 * queues its departure. settle() runs those departures at the end of the
 * event that decided them (a message, a write, one connection's turn in the
 * sweep), oldest first, each through roster_leave(): so no room changes
 * under a loop over its members, and a member leaves by one path, once.
 * A connection still in a room when the transport reports its close leaves
 * then (conn_closed).
 *
 * Must never: log or echo tokens, keys or payload bytes; free a connection
 * (its memory is the transport's); close another connection synchronously. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "dispatch.h"
#include "lifecycle.h"
#include "log.h"
#include "media_report.h"
#include "purge.h"
#include "relay.h"
#include "roster.h"

#define LOST_MS (BP_HANGUP_S * 1000 - 500)   /* silent this long before close = "lost" */
/* A peer silent this long gets a ping (PROTOCOL.md §1). Sooner than the
 * protocol's 5 s: a ping left unanswered (GONE_MS of silence) tells, when the
 * connection then closes without a leave, that the peer was already gone
 * (a link that dropped, whose reset came through when it came back): it
 * is "lost" at its last sign of life, not "disconnected" at the close. */
#define PING_AFTER_MS 2000
#define GONE_MS 4000 /* silent this long with a ping out (sent at 2-3 s): gone */
#define RX_KEEP 16384                         /* reassembly buffer kept between messages */

static const char *const state_names[CS_COUNT] = {"new", "challenged", "authenticated", "in_room"};

/* The end of an event: the departures it decided, oldest first. */
static void settle(struct server *srv, struct now now)
{
    struct conn *c;
    while ((c = conn_depart_next(srv)))
        roster_leave(c, c->depart_reason, now);
}

/* Anything from the peer is a sign of life (the journal dates a lost
 * member at its last one). */
static void heard(struct conn *c, struct now now)
{
    c->last_rx_ms = now.ms;
    c->last_rx_wall_ms = now_wall_ms(now);
    c->srv->transport->alive(c);
}

void conn_open(struct conn *c, struct server *srv, void *transport, const char *ip, struct now now)
{
    assert(srv->transport && srv->transport->api == TRANSPORT_API);
    c->srv = srv;
    c->transport = transport;
    c->state = CS_NEW;
    c->slot = -1;
    snprintf(c->ip, sizeof c->ip, "%s", ip && *ip ? ip : "?");
    c->last_rx_ms = now.ms;
    c->last_rx_wall_ms = now_wall_ms(now);
    c->opened_ms = now.ms;
    c->prev = NULL;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    log_debug("connection from %s (%zu open)", c->ip, srv->nconns);
}

static void rx_reset(struct conn *c)
{
    c->rx_active = 0;
    c->rx_len = 0;
    if (c->rx_cap > RX_KEEP) {
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

/* Reassembly: buffers the chunk, and hands over a complete message. */
static void rx_chunk(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
                     struct now now)
{
    if (!c->rx_active) {
        c->rx_active = 1;
        c->rx_binary = binary ? 1 : 0;
        c->rx_len = 0;
    }
    /* Before welcome a stranger gets small text only (PROTOCOL.md §2.2):
     * the state cannot change in the middle of a message, since messages are
     * handled only once complete. */
    int authed = c->state >= CS_AUTHED;
    if (c->rx_binary && !authed) {
        /* Refused on its first chunk, whatever its size: nothing buffered. */
        rx_reset(c);
        conn_kill(c, BP_E_WRONG_STATE, "binary messages are only accepted after authentication "
                  "(hello, then enrol or auth, then join)", now);
        return;
    }
    size_t cap = c->rx_binary ? BP_MAX_FRAME : authed ? BP_MAX_CTRL : BP_MAX_CTRL_PREAUTH;
    /* Known size of what is coming: refuse before buffering any of it. */
    if (len > cap - c->rx_len || remaining > cap - c->rx_len - len) {
        rx_reset(c);
        conn_send_error(c, BP_E_TOO_LARGE,
                        c->rx_binary ? "binary message larger than 1 MiB"
                        : authed     ? "text message larger than 64 KiB"
                                     : "text message larger than 4 KiB before authentication",
                        NULL, now);
        return;
    }
    const uint8_t *msg = in;
    size_t mlen = len;
    if (!(final && c->rx_len == 0)) {
        size_t need = c->rx_len + len + remaining;
        if (need > c->rx_cap) {
            size_t ncap = c->rx_cap ? c->rx_cap : 4096;
            while (ncap < need)
                ncap *= 2;
            if (ncap > cap)
                ncap = cap;
            uint8_t *nb = realloc(c->rx, ncap);
            if (!nb) {
                rx_reset(c);
                conn_kill(c, BP_E_INTERNAL, "The server ran out of memory reading your message.", now);
                return;
            }
            c->rx = nb;
            c->rx_cap = ncap;
        }
        if (len)
            memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (!final)
            return;
        msg = c->rx;
        mlen = c->rx_len;
    }
    int was_binary = c->rx_binary;
    c->rx_active = 0;
    if (was_binary)
        relay_frame(c, msg, mlen, now);
    else
        dispatch_text(c, msg, mlen, now);
    rx_reset(c);
}

void conn_rx(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
             struct now now)
{
    heard(c, now);
    if (c->closing)
        return;
    rx_chunk(c, in, len, binary, final, remaining, now);
    settle(c->srv, now);
}

void conn_pong(struct conn *c, struct now now)
{
    heard(c, now);
}

struct qmsg *conn_next_write(struct conn *c, struct now now)
{
    if (c->doomed && !c->closing) {
        conn_kill(c, BP_E_TOO_SLOW, NULL, now);
        settle(c->srv, now);
    }
    struct qmsg *m = outq_pop(&c->q);
    if (m && c->blocking)
        relay_drained(c, now);
    return m;
}

void conn_written(struct conn *c, struct qmsg *m)
{
    if (!qkind_is_text(m->kind))
        c->frames_out++;
    c->bytes_out += m->len;
    free(m);
}

int conn_should_close(const struct conn *c)
{
    return c->closing && c->q.count == 0;
}

void conn_closed(struct conn *c, struct now now)
{
    struct server *srv = c->srv;
    if (!srv)
        return; /* never opened */
    int lost = now.ms - c->last_rx_ms >= LOST_MS ||
               (c->last_ping_ms > c->last_rx_ms && now.ms - c->last_rx_ms >= GONE_MS);
    char f[9];
    log_fp8(c->fp, f);
    log_debug("connection %s from %s closed in state %s%s", c->state >= CS_AUTHED ? f : "-", c->ip,
              state_names[c->state], lost ? " (lost)" : "");
    /* Told to close while in a room and not settled yet: it leaves as it
     * was told to; otherwise as the transport saw it go. */
    roster_leave(c, c->depart_due ? c->depart_reason : lost ? "lost" : "disconnected", now);
    outq_clear(&c->q);
    free(c->rx);
    c->rx = NULL;
    c->rx_cap = c->rx_len = 0;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    c->srv = NULL;
    c->transport = NULL;
}

void conn_evict(struct conn *c, struct now now)
{
    conn_kill(c, BP_E_TOO_MANY_CONNECTIONS, NULL, now);
    settle(c->srv, now);
}

void conn_shutdown_all(struct server *srv, struct now now)
{
    srv->stopping = 1;
    for (struct conn *c = srv->conns; c; c = c->next) {
        conn_kill(c, BP_E_SHUTDOWN, NULL, now);
        settle(srv, now);
    }
}

/* What the peer took of what we sent (queue.h txwatch): the drain deadline
 * cuts c when it took nothing of what it owes for QUEUE_STALL_MS (returns
 * 1); taking QUEUE_PROGRESS_MIN more bytes is a sign of life. */
static int tx_progress(struct conn *c, struct now now)
{
    uint64_t acked, unacked;
    int tcp = !c->srv->transport->tx_progress(c, &acked, &unacked);
    if (!tcp) {
        acked = c->bytes_out;  /* coarser: a whole message handed over is progress */
        unacked = 0;
    }
    enum txw_verdict v = txwatch_sample(&c->txw, acked, unacked, c->q.count, now.ms);
    if (v == TXW_ALIVE && tcp) {
        /* Our ping may wait behind what it is still reading: its pong
         * cannot be the only proof (PROTOCOL.md §1). */
        heard(c, now);
    }
    if (v != TXW_STALLED)
        return 0;
    char f[9];
    log_fp8(c->fp, f);
    log_warn("device %s%s%s: took nothing of what it was sent for %d s (%zu bytes queued, %llu "
             "unacknowledged), cutting it", c->state >= CS_AUTHED ? f : c->ip,
             c->room ? " in bilan " : "", c->room ? c->room->bilan : "", QUEUE_STALL_MS / 1000,
             c->q.bytes, (unsigned long long)unacked);
    _Static_assert(QUEUE_STALL_MS == 10000, "the message below says 10 s");
    conn_kill(c, BP_E_TOO_SLOW,
              "Nothing the server sent you was read for 10 s, so it closed this connection. Check "
              "your network (and that your client reads what it receives), then rejoin.", now);
    return 1;
}

/* One connection's turn in the sweep. */
static void sweep_one(struct conn *c, struct now now)
{
    if (c->doomed && !c->closing)
        conn_kill(c, BP_E_TOO_SLOW, NULL, now);
    if (c->closing)
        return;
    if (c->state < CS_AUTHED && now.ms - c->opened_ms >= BP_AUTH_TIMEOUT_S * 1000) {
        /* A stranger holds a descriptor and memory: it gets a deadline. */
        conn_kill(c, BP_E_AUTH_TIMEOUT, NULL, now);
        return;
    }
    if (tx_progress(c, now))
        return;
    int64_t silent = now.ms - c->last_rx_ms;
    if (silent >= BP_HANGUP_S * 1000) {
        log_info("connection from %s silent for %d s: closing", c->ip, BP_HANGUP_S);
        conn_close(c, "lost", CC_GOING_AWAY, now);
        c->srv->transport->close_soon(c, 0);
    } else if (silent >= PING_AFTER_MS && now.ms - c->last_ping_ms >= PING_AFTER_MS) {
        c->last_ping_ms = now.ms;
        c->ping_due = 1;
        c->srv->transport->wake(c);
    }
}

void conn_sweep(struct server *srv, struct now now)
{
    for (struct conn *c = srv->conns; c; c = c->next) {
        sweep_one(c, now);
        settle(srv, now);
    }
    media_report_sweep(srv, now);
    attendance_sweep(srv, now);
    purge_tick(srv, now); /* every 24 h (PROTOCOL.md §10.4) */
}
