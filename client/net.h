/* net.h: the client's one WebSocket connection to a bilan server, over
 * libwebsockets (the only file of the client that includes lws or OpenSSL's
 * TLS API).
 *
 * Owns: the lws context, the connection, TLS trust (CA store, else pin), the
 * reading of standard input (a duplicate of fd 0 adopted as a raw file),
 * the
 * outbound queue of control messages, the reassembly of incoming messages,
 * the liveness policy (ping after NET_PING_S idle, give up after
 * NET_SILENT_S of silence), SIGINT and SIGTERM while it runs.
 *
 * The logic above it (dialog.c) is driven through struct net_handlers and
 * never sees lws. Writes follow "the receiver pulls": net_send_text() and
 * net_want_write() only ask for a WRITEABLE callback; each WRITEABLE writes
 * one message: a queued control message first, else one binary frame pulled
 * from handlers->next_frame().
 *
 * Threads: everything runs on the thread of net_run() except net_wake(),
 * which any thread may call (an encoder with frames ready): it sets a flag
 * and interrupts the loop's poll with lws_cancel_service(); the loop then
 * calls handlers->wake. */
#ifndef CLIENT_NET_H
#define CLIENT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"

struct net;

/* How the server certificate was trusted (PROTOCOL.md §1.1). */
enum net_trust {
    NET_TRUST_NONE = 0,
    NET_TRUST_CA,  /* the system CA store, for cfg->host: never pin it */
    NET_TRUST_PIN, /* not CA-trusted for cfg->host, but its SHA-256 is cfg->pin */
};

struct net_cfg {
    const char *host;
    uint16_t port;
    /* A pin (from a link or the store): the certificate is still trusted by
     * CA and host name first, and by the pin only when that fails, so that a
     * CA certificate renewed with a new key keeps working. */
    int has_pin;
    uint8_t pin[BP_FP_LEN];
    /* May be NULL. Set once the certificate is accepted, before
     * handlers->established: tells the command whether to keep, store or
     * print the pin. */
    enum net_trust *trusted_by;
};

/* All callbacks run on the lws service thread, inside net_run(). */
struct net_handlers {
    void *ctx;
    /* The connection is up and the server certificate is trusted: the first
     * message may be sent now. */
    void (*established)(void *ctx, uint64_t now_ms);
    /* One complete text message (not NUL-terminated; buf valid during the call). */
    void (*text)(void *ctx, const char *buf, size_t len, uint64_t now_ms);
    /* One complete binary message. */
    void (*binary)(void *ctx, const uint8_t *buf, size_t len, uint64_t now_ms);
    /* Writes the next binary frame (header + payload) into buf (cap bytes)
     * and returns its length, 0 when there is none, or a negative code. */
    int (*next_frame)(void *ctx, uint8_t *buf, size_t cap, uint64_t now_ms);
    /* Called every 100 ms. */
    void (*tick)(void *ctx, uint64_t now_ms);
    /* SIGINT or SIGTERM arrived (once per signal). */
    void (*interrupt)(void *ctx, uint64_t now_ms);
    /* The connection is gone (after net_close() or on its own). */
    void (*closed)(void *ctx);
    /* May be NULL. When set, standard input is read inside the event loop
     * (never blocking it) and each read is handed over as it comes: buf
     * (len bytes, valid during the call) is not cut at line ends. len 0:
     * end of input or a read error; no call follows, and the dialog goes
     * on. */
    void (*input)(void *ctx, const char *buf, size_t len, uint64_t now_ms);
    /* May be NULL. net_wake() was called (once per batch of calls made
     * before the loop saw the first). */
    void (*wake)(void *ctx, uint64_t now_ms);
};

/* Creates the lws context and starts connecting. Returns NULL with why
 * (cap bytes) filled on failure. */
struct net *net_new(const struct net_cfg *cfg, const struct net_handlers *h, char *why, size_t cap);
/* Runs the event loop until the connection is closed and the context idle.
 * Returns 0 when the close was asked for with net_close(), else
 * BP_E_INTERNAL with net_error() saying what happened (refused, TLS, pin
 * mismatch, connection lost...). */
int net_run(struct net *n);
void net_free(struct net *n);
const char *net_error(const struct net *n);

/* Queues one control message (copied). Fails with BP_E_TOO_LARGE over 64 KiB
 * and BP_E_NOMEM when 256 messages are already waiting. */
int net_send_text(struct net *n, const char *buf, size_t len);
/* A binary frame may be available: ask for a WRITEABLE callback. */
void net_want_write(struct net *n);
/* Closes once the queued control messages are written. */
void net_close(struct net *n);
/* Loop thread: what the kernel says of the connection's socket (tcpinfo.h;
 * t->ok = 0 when unknown); also counts bytes lws
 * holds in its own buffer (a partial write) in notsent_bytes. */
struct tcpinfo;
void net_tcp_info(struct net *n, struct tcpinfo *t);
/* The unsent backlog the socket may hold before it stops asking for more
 * (TCP_NOTSENT_LOWAT), set at connection: small, so that what waits stays
 * in our queues where audio can still pass video. */
#define NET_NOTSENT_LOWAT (4 * 1024)
/* Liveness (PROTOCOL.md §1): a ping after 1 s without anything from the
 * server, the connection held lost (and reset) after 4 s. Anything from
 * the server counts, and a server answers a ping at once, so 4 s of silence
 * means the path is broken: a `bilan join` then reconnects (dialog.h)
 * rather than wait for TCP, which may hold a dead link for minutes. */
#define NET_PING_S 1
#define NET_SILENT_S 4

/* The WebSocket close code the server sent (1000: replaced by a newer
 * connection of this device, 1001: shutting down...), 0 if none. */
int net_close_status(const struct net *n);
/* Between two connections (reconnection): waits ms without a connection,
 * SIGINT and SIGTERM caught as in net_run. Returns 1 when one arrived. */
int net_pause(uint64_t ms);

/* Any thread: wakes the loop, which calls handlers->wake. n must live
 * until the call returns (stop calling before net_free). */
void net_wake(struct net *n);

#endif
