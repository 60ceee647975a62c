/* ws.c: libwebsockets glue. One protocol callback per protocol, switching on
 * the reason, as lws's minimal examples do:
 *   - "http" (protocols[0]): the landing page, /healthz and 404, with the
 *     security headers; refuses WebSocket upgrades that did not ask for
 *     bilan.v1;
 *   - "bilan.v1": WebSocket connections, each a struct conn in lws's
 *     per-session memory; every callback becomes one call into the
 *     connection's lifecycle (lifecycle.h), and everything protocol-level
 *     happens below it.
 * The rest of the server reaches lws only through the table ws_transport
 * (transport.h), installed in struct server by ws_serve(): this is the one
 * file that includes libwebsockets.h, and no other file names a symbol of
 * it.
 *
 * Writes: the receiver pulls. conn.c queues and asks for WRITEABLE; each
 * WRITEABLE writes exactly one message and re-arms while more is queued.
 * Liveness: conn_sweep() asks for a ping (with a payload: lws 4.1 does not
 * report empty pongs, and its own idle-policy pings are empty) after 4 s of
 * silence and closes as "lost" after 15 s. The vhost's retry_and_idle_policy
 * (ping 5 s, hang up 15 s) stays as a second line; every received chunk and
 * reported pong confirms validity to it.
 * TLS: OpenSSL's minimum protocol is set to TLS 1.3 on the vhost's SSL_CTX,
 * and the server refuses to start if lws never handed us that SSL_CTX.
 *
 * Connection caps (admit.c, README "Limits"): every socket lws accepts is
 * counted from FILTER_NETWORK_CONNECTION (protocols[0], before any byte is
 * read; a refusal there makes lws close the socket at once) to WSI_DESTROY,
 * which lws 4.1.6 issues for every wsi it frees, after closing its socket.
 * lws adopts the socket synchronously right after the filter: WSI_CREATE
 * (the new wsi), then SERVER_NEW_CLIENT_INSTANTIATED once it is in the poll
 * table, or WSI_DESTROY if setting it up failed. The admission id is stored
 * in the wsi's opaque user data at SERVER_NEW_CLIENT_INSTANTIATED (not at
 * WSI_CREATE: lws resets the opaque data right after it); until then it is
 * held in g_pending / g_adopting. If adoption fails before WSI_CREATE (no
 * memory, no room in lws's fd table) or frees the wsi without WSI_DESTROY,
 * lws closes the socket without a word; whatever is still pending is then
 * released when lws_service() returns. So each accepted socket is released
 * exactly once, whatever closes it.
 * Keeping the total under the open-file limit also keeps accept() from
 * failing with EMFILE, which lws 4.1.6 would retry at once, forever (a busy
 * loop that logs a line per try). TLS and HTTP handshakes are bounded by lws
 * (timeout_secs: 10 s each); welcome by conn_sweep (BP_AUTH_TIMEOUT_S). */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "landing.h"
#include "lifecycle.h"
#include "log.h"
#include "tcpstat.h"
#include "ws.h"

_Static_assert(QUEUE_HEADROOM >= LWS_PRE, "queue headroom must cover LWS_PRE");

#define US_PER_S 1000000
#define SHUTDOWN_WAIT_MS 3000
#define RX_CHUNK 16384          /* lws's per-connection receive buffer */
#define HTTP_CHUNK 4096
#define REFUSAL_REPORT_MS 60000  /* at most one summary of refused connections per minute */
#define EVICT_GRACE_S 1          /* an evicted stranger gets this long to read why */
/* Unsent bytes the kernel may hold for a connection before it stops
 * reporting it writable (TCP_NOTSENT_LOWAT). Our queue keeps the priorities
 * (control, then audio before video, PROTOCOL.md §4), but only for what is
 * still in it: without a limit, the kernel takes megabytes of video off the
 * queue at once (its send buffer grows to the window), and an audio frame
 * queued after them waits seconds behind them on a slow link, invisible to
 * the delay rule and to media_report. 4 KiB is about three video chunks:
 * the link stays busy (unacknowledged bytes in flight are not limited by
 * it, and the kernel asks for more well before it runs dry), and a new
 * audio frame waits at most that much behind what is already written: 65
 * ms at 500 kbit/s, where 16 KiB held the voice back a quarter of a second
 * (measured by the poor-link test). The same as the client's side. */
#define NOTSENT_LOWAT (4 * 1024)

static struct server *g_srv;
static struct lws_context *g_ctx;
static volatile sig_atomic_t g_signalled;
static int g_tls_hardened;
static lws_sorted_usec_list_t g_sweep;   /* embedded timer; cancelled before destroy */
static int g_pending = -1;               /* admitted by the filter, waiting for WSI_CREATE */
static int g_adopting = -1;              /* ... then for SERVER_NEW_CLIENT_INSTANTIATED */
static struct lws *g_adopting_wsi;
static struct admit_stats g_reported;    /* refusals already summarised in the log */
static int64_t g_reported_ms;

static struct now now_get(void)
{
    struct timespec ts;
    struct now n;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    n.ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    n.s = (int64_t)time(NULL);
    clock_gettime(CLOCK_REALTIME, &ts);
    n.wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return n;
}

/* ---- The transport table (transport.h) ---- */

static void ws_wake(struct conn *c)
{
    if (c->transport)
        lws_callback_on_writable(c->transport);
}

static int ws_tx_rate(struct conn *c, uint64_t *delivery_Bps, int *app_limited)
{
    return c->transport ? tcpstat_rate(lws_get_socket_fd(c->transport), delivery_Bps, app_limited)
                        : -1;
}

static int ws_tx_progress(struct conn *c, uint64_t *acked, uint64_t *unacked)
{
    /* The kernel's count, not lws's: lws_write() of a large frame returns
     * once lws holds it, and lws then flushes it on later WRITEABLEs without
     * calling us; only the peer's acknowledgements say that it reads. */
    return c->transport ? tcpstat_tx(lws_get_socket_fd(c->transport), acked, unacked) : -1;
}

static size_t ws_rx_pending(struct conn *c)
{
    /* The kernel's receive queue only: what lws or OpenSSL already read
     * ahead is at most a TLS record, well inside the allowance's base. */
    return c->transport ? tcpstat_rx_pending(lws_get_socket_fd(c->transport)) : 0;
}

static void ws_close_soon(struct conn *c, int secs)
{
    /* Never synchronous: we may be inside another connection's callback. */
    if (c->transport)
        lws_set_timeout(c->transport, PENDING_TIMEOUT_USER_OK, secs > 0 ? secs : LWS_TO_KILL_ASYNC);
}

static void ws_alive(struct conn *c)
{
    if (c->transport)
        lws_validity_confirmed(c->transport);
}

static void ws_authenticated(struct conn *c);

static const struct transport_ops ws_transport = {
    .api = TRANSPORT_API,
    .name = "lws",
    .wake = ws_wake,
    .tx_progress = ws_tx_progress,
    .tx_rate = ws_tx_rate,
    .rx_pending = ws_rx_pending,
    .close_soon = ws_close_soon,
    .alive = ws_alive,
    .authenticated = ws_authenticated,
};

/* ---- Connection caps ---- */

/* The admission id rides in the wsi's opaque user data, off by one so that
 * NULL means none. */
static int wsi_admit_id(struct lws *wsi)
{
    void *p = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    return p ? (int)((intptr_t)p - 1) : -1;
}

static void ws_authenticated(struct conn *c)
{
    int id = wsi_admit_id(c->transport);
    if (id >= 0)
        admit_authenticated(&g_srv->admit, id);
}

static void admit_done(int id, const char *why)
{
    if (admit_release(&g_srv->admit, id))
        log_err("connection accounting: %s released an unknown connection (%d)", why, id);
}

/* Admissions lws never finished setting up: their sockets are gone. */
static void release_pending(void)
{
    if (g_pending < 0 && g_adopting < 0)
        return;
    log_warn("a connection was accepted but libwebsockets could not set it up (out of memory?)");
    if (g_pending >= 0)
        admit_done(g_pending, "failed adoption");
    if (g_adopting >= 0)
        admit_done(g_adopting, "failed adoption");
    g_pending = g_adopting = -1;
    g_adopting_wsi = NULL;
}

/* Closes a stranger that admit_accept() evicted to make room. */
static void evict(int id, struct now now)
{
    const struct admit_conn *v = admit_get(&g_srv->admit, id);
    if (!v)
        return;
    struct conn *c = v->conn;
    struct lws *wsi = v->transport;
    if (c && c->srv) {
        /* Still a WebSocket: tell it why, briefly. */
        conn_evict(c, now);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, EVICT_GRACE_S);
    } else if (wsi) {
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    } else {
        admit_done(id, "eviction");  /* never bound to a wsi: cannot happen, see release_pending */
    }
}

/* FILTER_NETWORK_CONNECTION: 0 admits the socket, 1 makes lws close it. */
static int on_accept(const struct lws_filter_network_conn_args *f)
{
    struct admit_key k;
    struct now now = now_get();
    release_pending();
    if (admit_key_from_sockaddr((const struct sockaddr *)&f->cli_addr, f->clilen, &k))
        memset(&k, 0, sizeof k);   /* another family: all such peers share one key */
    int victim;
    int id = admit_accept(&g_srv->admit, &k, now.ms, &victim);
    if (id < 0) {
        if (log_verbose()) {
            char a[RL_ADDR_MAX];
            admit_key_text(&k, a, sizeof a);
            log_debug("connection from %s refused: %s", a,
                      id == ADMIT_REFUSED_ADDR ? "too many not signed in from this address" : "server full");
        }
        return 1;
    }
    if (victim >= 0)
        evict(victim, now);
    g_pending = id;
    return 0;
}

/* Once a minute at most: what the caps refused, without naming anyone. */
static void report_refusals(struct now now)
{
    const struct admit_stats *st = &g_srv->admit.st;
    if (now.ms - g_reported_ms < REFUSAL_REPORT_MS)
        return;
    uint64_t ra = st->refused_addr - g_reported.refused_addr, rf = st->refused_full - g_reported.refused_full,
             ev = st->evicted - g_reported.evicted;
    if (ra || rf || ev)
        log_warn("connections refused in the last minute: %llu over the per-address cap, %llu with the "
                 "server full; %llu not signed in closed to make room", (unsigned long long)ra,
                 (unsigned long long)rf, (unsigned long long)ev);
    g_reported = *st;
    g_reported_ms = now.ms;
}

/* ---- TLS ---- */

static void tls_harden(SSL_CTX *ctx)
{
    if (!ctx)
        return;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        log_err("tls: cannot require TLS 1.3");
        return;
    }
    /* Idle connections should not each hold 2 x 16 KiB of TLS buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    g_tls_hardened = 1;
}

/* ---- HTTP: landing page ---- */

#define HTTP_PROGRESS_TIMEOUT_S 10 /* a body's transfer is cut after this long without progress */

struct http_pss {
    const unsigned char *body;
    size_t len, sent;
    int close_after;
    int fd_plus1;   /* a file being sent (landing_resp.fd + 1; 0: none, as lws zeroes the pss) */
    int drain_due;  /* the last bytes were written but lws still holds some: end once they left */
};

/* Ends a file transfer: the descriptor landing_route() handed over. */
static void http_file_done(struct http_pss *p)
{
    if (p && p->fd_plus1) {
        close(p->fd_plus1 - 1);
        p->fd_plus1 = 0;
    }
}

static int http_respond(struct lws *wsi, struct http_pss *p, const struct landing_resp *r, int head)
{
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start, *end = buf + sizeof buf - 1;
    http_file_done(p);
    if (r->fd >= 0) {
        if (head) {
            close(r->fd);
        } else {
            p->fd_plus1 = r->fd + 1;
        }
    }
    if (lws_add_http_common_headers(wsi, r->status, r->content_type, r->len, &q, end))
        return -1;
    if (r->disposition[0] &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
                                    (const unsigned char *)r->disposition,
                                    (int)strlen(r->disposition), &q, end))
        return -1;
    const char *const *hdr = r->headers ? r->headers : landing_headers;
    for (int i = 0; hdr[i]; i += 2)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)hdr[i], (const unsigned char *)hdr[i + 1],
                                        (int)strlen(hdr[i + 1]), &q, end))
            return -1;
    if (r->status == 426 &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"upgrade:",
                                    (const unsigned char *)"websocket", 9, &q, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &q, end))
        return -1;
    if (head || !r->len) {
        if (p->close_after)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    p->body = r->fd >= 0 ? NULL : r->body;
    p->len = r->len;
    p->sent = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct http_pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        tls_harden(user);
        return 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* wsi is the listener; user the accepted socket's address. */
        return on_accept(user);
    case LWS_CALLBACK_WSI_CREATE:
        if (g_pending >= 0) {
            admit_set_handles(&g_srv->admit, g_pending, wsi, NULL);
            g_adopting = g_pending;
            g_adopting_wsi = wsi;
            g_pending = -1;
        }
        return 0;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        if (wsi == g_adopting_wsi && g_adopting >= 0) {
            lws_set_opaque_user_data(wsi, (void *)(intptr_t)(g_adopting + 1));
            g_adopting = -1;
            g_adopting_wsi = NULL;
        }
        break;
    case LWS_CALLBACK_WSI_DESTROY: {
        /* Every wsi, WebSocket ones included: user is not ours to read. */
        int id = wsi_admit_id(wsi);
        if (id < 0 && wsi == g_adopting_wsi) {
            id = g_adopting;   /* its setup failed */
            g_adopting = -1;
            g_adopting_wsi = NULL;
        }
        if (id >= 0) {
            lws_set_opaque_user_data(wsi, NULL);
            admit_done(id, "close");
        }
        return 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* A WebSocket upgrade that did not select bilan.v1 lands here. */
        return 1;
    case LWS_CALLBACK_CLOSED_HTTP:
        /* A download cut short: its file is still open. */
        http_file_done(p);
        break;
    case LWS_CALLBACK_HTTP: {
        struct landing_resp r;
        int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
        if (!get && !head) {
            static const char msg[] = "405 method not allowed\n";
            memset(&r, 0, sizeof r);
            r.fd = -1;
            r.status = 405;
            r.content_type = "text/plain; charset=utf-8";
            r.body = (const unsigned char *)msg;
            r.len = sizeof msg - 1;
            r.headers = landing_headers;
            p->close_after = 1;
        } else {
            landing_route((const char *)in, &r);
        }
        return http_respond(wsi, p, &r, head);
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (p && p->drain_due) {
            /* Ended only once lws sent what it buffered of the last write:
             * closing earlier (Connection: close) would drop those bytes,
             * and the client would get a download cut short. */
            if (lws_partial_buffered(wsi)) {
                lws_callback_on_writable(wsi);
                return 0;
            }
            p->drain_due = 0;
            if (p->close_after)
                return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (!p || (!p->body && !p->fd_plus1))
            break;
        unsigned char buf[LWS_PRE + HTTP_CHUNK];
        size_t n = p->len - p->sent;
        if (n > HTTP_CHUNK)
            n = HTTP_CHUNK;
        int last = p->sent + n == p->len;
        if (p->fd_plus1) {
            /* A file changed under us (shorter, unreadable): cut the
             * connection; the client sees an incomplete download. */
            if (pread(p->fd_plus1 - 1, buf + LWS_PRE, n, (off_t)p->sent) != (ssize_t)n) {
                http_file_done(p);
                return -1;
            }
        } else {
            memcpy(buf + LWS_PRE, p->body + p->sent, n);
        }
        if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) {
            http_file_done(p);
            return -1;
        }
        p->sent += n;
        /* A body may take longer than lws's 10-s limit for the HTTP
         * exchange (a package over a slow link): each chunk that leaves
         * renews it, so only a transfer that stops moving is cut. */
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, HTTP_PROGRESS_TIMEOUT_S);
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        p->body = NULL;
        http_file_done(p);
        if (lws_partial_buffered(wsi)) {
            p->drain_due = 1;
            lws_callback_on_writable(wsi);
            return 0;
        }
        if (p->close_after)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- WebSocket: bilan.v1 ---- */

/* NOTSENT_LOWAT on a client's socket; a failure (an old kernel, another
 * system) costs only latency under congestion: said once, at debug level. */
static void limit_unsent(struct lws *wsi)
{
#ifdef TCP_NOTSENT_LOWAT
    static int said;
    int fd = lws_get_socket_fd(wsi), v = NOTSENT_LOWAT;
    if ((fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof v)) && !said) {
        said = 1;
        log_debug("cannot limit unsent bytes in the kernel (TCP_NOTSENT_LOWAT): audio may wait behind "
                  "video on slow links");
    }
#else
    (void)wsi;
#endif
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[16];
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) != (int)strlen(BP_WS_PATH) ||
            lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 || strcmp(uri, BP_WS_PATH))
            return 1;
        return g_srv->stopping ? 1 : 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        /* The address as the caps and the rate limiter count it (an IPv6
         * peer by its /64). */
        char ip[RL_ADDR_MAX] = "";
        int id = wsi_admit_id(wsi);
        const struct admit_conn *ac = admit_get(&g_srv->admit, id);
        if (ac)
            admit_key_text(&ac->key, ip, sizeof ip);
        else if (!lws_get_peer_simple(wsi, ip, sizeof ip))
            ip[0] = '\0';
        memset(c, 0, sizeof *c);
        limit_unsent(wsi);
        conn_open(c, g_srv, wsi, ip, now_get());
        admit_set_handles(&g_srv->admit, id, wsi, c);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!c->srv)
            return -1;
        conn_rx(c, in, len, lws_frame_is_binary(wsi), lws_is_final_fragment(wsi),
                lws_remaining_packet_payload(wsi), now_get());
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c->srv)
            conn_pong(c, now_get());
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (!c->srv)
            return -1;
        if (c->ping_due && !c->closing) {
            /* A payload, so that the peer's pong reaches RECEIVE_PONG; ASCII,
             * because lws's UTF-8 validation also reads pong payloads. */
            uint8_t ping[LWS_PRE + 8];
            struct now n = now_get();
            int64_t v = n.ms;
            for (int i = 7; i >= 0; i--, v /= 10)
                ping[LWS_PRE + i] = (uint8_t)('0' + v % 10);
            c->ping_due = 0;
            if (lws_write(wsi, ping + LWS_PRE, 8, LWS_WRITE_PING) < 0)
                return -1;
            if (c->q.count)
                lws_callback_on_writable(wsi);
            return 0;
        }
        struct qmsg *m = conn_next_write(c, now_get());
        if (!m) {
            if (conn_should_close(c)) {
                lws_close_reason(wsi, (enum lws_close_status)c->close_status, NULL, 0);
                return -1;
            }
            return 0;
        }
        int n = lws_write(wsi, qmsg_data(m), m->len, qkind_is_text(m->kind) ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
        conn_written(c, m);
        if (n < 0)
            return -1;
        if (c->q.count || c->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        conn_closed(c, now_get());
        admit_set_handles(&g_srv->admit, wsi_admit_id(wsi), wsi, NULL);
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"http", cb_http, sizeof(struct http_pss), 0, 0, NULL, 0},
    {BP_SUBPROTOCOL, cb_ws, sizeof(struct conn), RX_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const lws_retry_bo_t retry = {
    .secs_since_valid_ping = BP_PING_S,
    .secs_since_valid_hangup = BP_HANGUP_S,
};

/* ---- Loop ---- */

static void on_signal(int sig)
{
    (void)sig;
    g_signalled = 1;
    if (g_ctx)
        lws_cancel_service(g_ctx);
}

static void sweep(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    struct now n = now_get();
    conn_sweep(g_srv, n);
    report_refusals(n);
    lws_sul_schedule(g_ctx, 0, &g_sweep, sweep, US_PER_S);
}

int ws_serve(const struct serve_config *cfg, struct server *srv, ws_ready_cb ready, void *arg)
{
    struct lws_context_creation_info info;
    int rc = -1;

    g_srv = srv;
    srv->transport = &ws_transport;
    landing_init(cfg->data_dir);
    lws_set_log_level(LLL_ERR | LLL_WARN | (cfg->verbose ? LLL_NOTICE : 0) | (getenv("BILAN_LWS_DEBUG") ? LLL_INFO : 0), log_lws_emit);

    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (cfg->listen.host[0] && !cfg->listen.v6)
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.port = cfg->listen.port;
    info.iface = cfg->listen.host[0] ? cfg->listen.host : NULL;
    info.protocols = protocols;
    info.vhost_name = "bilan";
    info.server_string = "bilan-server";
    info.ssl_cert_filepath = cfg->cert;
    info.ssl_private_key_filepath = cfg->key;
    /* Belt and braces with tls_harden(): no protocol below TLS 1.3. */
    info.ssl_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                  SSL_OP_NO_TLSv1_2 | SSL_OP_NO_RENEGOTIATION);
    info.alpn = "http/1.1";     /* WebSocket over HTTP/1.1 only */
    info.retry_and_idle_policy = &retry;
    info.keepalive_timeout = 5;
    info.timeout_secs = 10;     /* TLS and HTTP handshakes */
    info.fd_limit_per_thread = 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_ctx = lws_create_context(&info);
    if (!g_ctx) {
        log_err("cannot create the libwebsockets context");
        return -1;
    }
    struct lws_vhost *vh = lws_create_vhost(g_ctx, &info);
    if (!vh) {
        log_err("cannot listen on %s%s%s:%d with certificate %s (address in use, or unreadable "
                "certificate/key?)", cfg->listen.v6 ? "[" : "", cfg->listen.host[0] ? cfg->listen.host : "*",
                cfg->listen.v6 ? "]" : "", cfg->listen.port, cfg->cert);
        goto out;
    }
    if (!g_tls_hardened) {
        log_err("tls: could not restrict the listener to TLS 1.3; refusing to serve");
        goto out;
    }
    int port = lws_get_vhost_listen_port(vh);
    if (port <= 0) {
        log_err("cannot find the listening port");
        goto out;
    }
    if (ready && ready(arg, port))
        goto out;

    lws_sul_schedule(g_ctx, 0, &g_sweep, sweep, US_PER_S);
    int64_t deadline = 0;
    for (;;) {
        struct now n = now_get();
        if (g_signalled && !srv->stopping) {
            log_info("stopping: closing %zu connection(s)", srv->nconns);
            conn_shutdown_all(srv, n);
            deadline = n.ms + SHUTDOWN_WAIT_MS;
        }
        if (srv->stopping && (srv->nconns == 0 || n.ms > deadline))
            break;
        if (lws_service(g_ctx, 0) < 0) {
            log_err("event loop failed");
            break;
        }
        release_pending();
    }
    rc = 0;
out:
    lws_sul_cancel(&g_sweep);
    srv->stopping = 1;
    lws_context_destroy(g_ctx);  /* closes what is left: CLOSED and WSI_DESTROY callbacks run now */
    g_ctx = NULL;
    release_pending();
    const struct admit_stats *st = &srv->admit.st;
    log_info("connections: %llu accepted, %llu closed, %llu refused (%llu over the per-address cap), "
             "%llu closed to make room", (unsigned long long)st->accepted, (unsigned long long)st->released,
             (unsigned long long)(st->refused_addr + st->refused_full), (unsigned long long)st->refused_addr,
             (unsigned long long)st->evicted);
    if (srv->admit.n_all || st->errors || st->accepted != st->released)
        log_err("connection accounting is off: %u still counted, %llu errors", srv->admit.n_all,
                (unsigned long long)st->errors);
    return rc;
}
