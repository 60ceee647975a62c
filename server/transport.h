/* transport.h: what the server asks of a transport, as one const table of
 * operations (the boundary between the protocol logic and libwebsockets).
 *
 * Owns nothing. ws.c fills one table (ws_transport) and installs it in
 * struct server before the first connection opens; unit tests install a fake
 * one. Every other file reaches the transport only through srv->transport,
 * so no file below ws.c names an lws symbol or a symbol of ws.c.
 *
 * Every slot is called from the service thread, with a connection that is
 * open (conn_open() done, conn_closed() not yet). c is borrowed: a slot never
 * frees it, never calls back into the server, and never closes it
 * synchronously (we may be inside another connection's callback). */
#ifndef SERVER_TRANSPORT_H
#define SERVER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* Bumped when a slot is added or changes meaning; conn_open() asserts it. */
#define TRANSPORT_API 1

struct conn;

struct transport_ops {
    int api;                    /* TRANSPORT_API */
    const char *name;           /* for logs: "lws", "fake" */
    /* Ask for a write callback; the transport then calls conn_next_write(). */
    void (*wake)(struct conn *c);
    /* How far the peer has taken what we wrote: *acked, the bytes its TCP
     * has acknowledged so far (cumulative, never decreasing); *unacked, the
     * bytes written to the socket and not acknowledged yet. 0, or -1 when the
     * transport cannot tell (the caller then counts the bytes it handed over). */
    int (*tx_progress)(struct conn *c, uint64_t *acked, uint64_t *unacked);
    /* Bytes the peer sent that have reached us and that we have not read yet
     * (the socket's receive queue); 0 when the transport cannot tell. */
    size_t (*rx_pending)(struct conn *c);
    /* May be NULL. The rate the peer's link takes our bytes at (the
     * kernel's delivery rate, bytes/s), and whether that measure was
     * app-limited (we had too little to send: it is then only what we
     * sent). 0, or -1 when the transport cannot tell. For media_report. */
    int (*tx_rate)(struct conn *c, uint64_t *delivery_Bps, int *app_limited);
    /* Close c within secs seconds even if it never becomes writable (0: as
     * soon as the loop gets there). Never synchronous. */
    void (*close_soon)(struct conn *c, int secs);
    /* c just proved it is alive (resets the transport's idle timer). */
    void (*alive)(struct conn *c);
    /* c was just welcomed: it no longer counts as a stranger for the
     * transport's connection caps (README "Limits"). Once per connection. */
    void (*authenticated)(struct conn *c);
};

#endif
