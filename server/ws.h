/* ws.h: the libwebsockets event loop of `bilan-server serve`.
 *
 * Owns the lws context, the vhost (TLS 1.3 only, subprotocol bilan.v1 on
 * /ws, the landing page over plain HTTPS), the once-a-second sweep timer and
 * signal handling; installs the transport table (transport.h) in struct
 * server. */
#ifndef SERVER_WS_H
#define SERVER_WS_H

#include "config.h"
#include "server.h"

/* Called once the socket listens, with the actual port (port 0 asked for an
 * ephemeral one). Returning non-zero stops the server before serving. */
typedef int (*ws_ready_cb)(void *arg, int port);

/* Runs until SIGINT/SIGTERM; then sends shutting_down to every connection,
 * waits (at most 3 s) for them to close and destroys the context. Returns 0
 * on a clean stop, -1 when the server could not start (reason logged). */
int ws_serve(const struct serve_config *cfg, struct server *srv, ws_ready_cb ready, void *arg);

#endif
