/* bench_relay.c: what bilan-server costs over raw TLS, on loopback, in one run.
 *
 * Three measurements:
 *  1. Baseline: a TLS 1.3 connection over loopback TCP, made with OpenSSL
 *     directly (throwaway P-256 certificate generated in memory); a sender
 *     thread writes length-prefixed frames, a receiver thread reads them.
 *  2. Relay: two bench devices enrol with invite tokens, join the same bilan
 *     and exchange kind-3 (data) binary frames through bilan-server over wss.
 *     Same shape as the baseline: the sender runs in its own thread with its
 *     own lws client context, the receiver in the main thread with another
 *     (lws contexts are not thread-safe: neither thread ever touches the
 *     other's context, except lws_cancel_service() to wake it). The two
 *     threads share only atomics: the receiver's count of frames received
 *     (the bulk flow-control window, and the one-frame-at-a-time latency
 *     mode), a "sender waiting" flag with the count that should wake it, and
 *     the phase commands. The CPU share of the server process, the sender
 *     thread and the receiver thread during each bulk run is reported, to
 *     tell which side limits throughput.
 *  3. Idle connections: N more connections authenticate one enrolled device
 *     and stay idle; the server's VmRSS before and after gives KiB/connection.
 *
 * For 1) and 2), and for each frame size (1 KiB and 50 KiB, sizes counted on
 * the wire: length prefix or 16-byte bilan header included):
 *  - bulk throughput: N frames as fast as the transport takes them (the relay
 *    keeps a bounded window of frames sent but not yet received, well under
 *    the server's 4 MiB soft queue budget, so back-pressure never triggers);
 *  - one-way latency: one frame at a time, the next sent when the previous has
 *    arrived; the send time (CLOCK_MONOTONIC, same process so same clock) is
 *    carried in the payload.
 *
 * Payload layout after the transport header (both paths), 16 bytes, then fill:
 *    0 u8 phase (1 warm-up, 2 latency, 3 bulk)  1..3 zero
 *    4 u32 sequence (big-endian)  8 u64 send time, ns, CLOCK_MONOTONIC
 *
 * Owns: its sockets, threads, lws contexts and throwaway identities. Never
 * prints tokens, keys or payloads. Every wait is bounded by a deadline and
 * polls (lws_service, poll, blocking reads with socket timeouts): no sleeps.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bp/bp.h"

#define SIZE_SMALL 1024
#define SIZE_LARGE (50 * 1024)
#define NSIZES 2
static const size_t frame_sizes[NSIZES] = {SIZE_SMALL, SIZE_LARGE};

#define PHASE_WARM 1
#define PHASE_LAT 2
#define PHASE_BULK 3
#define PAYLOAD_HDR 16      /* phase, seq, send time: see the file header */
#define WARMUP_FRAMES 50
#define IDLE_CONCURRENCY 64 /* connections in handshake at once */
#define RX_BUF 65536        /* lws rx chunk, and the largest single send */
#define SOCK_TIMEOUT_S 30   /* baseline socket read/write timeout */

/* ---------------------------------------------------------------- options */

struct opts {
    char host[BP_HOST_MAX + 1];
    int port;
    long pid;
    const char *invite[3];
    int ninvite;
    unsigned bulk_mib;
    unsigned lat_frames;
    unsigned idle;
    unsigned window_kib;
    unsigned timeout_s;
    int verbose;
};

/* Figures for one path and one frame size. */
struct figures {
    double mbps, fps;      /* bulk: MB/s (10^6 bytes), frames/s */
    double p50_us, p99_us; /* one-way latency */
    double mean_us, max_us;
    /* Bulk: CPU time / wall time of the bulk run. srv: bilan-server process
     * (relay only); snd, rcv: sender and receiver threads; own: the whole
     * bench process (relay only). */
    double srv_cpu, snd_cpu, rcv_cpu, own_cpu;
};

static double thread_cpu_s(clockid_t cid)
{
    struct timespec ts;
    if (clock_gettime(cid, &ts))
        return NAN;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1], in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
    size_t k;
    if (!n)
        return NAN;
    k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)v[k - 1] / 1000.0;
}

static void latency_figures(uint64_t *v, size_t n, struct figures *f)
{
    double sum = 0;
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    f->p50_us = pct_us(v, n, 50);
    f->p99_us = pct_us(v, n, 99);
    f->mean_us = n ? sum / (double)n / 1000.0 : NAN;
    f->max_us = n ? (double)v[n - 1] / 1000.0 : NAN;
}

static void bulk_figures(size_t fsize, uint64_t frames, uint64_t ns, struct figures *f)
{
    double s = (double)ns / 1e9;
    f->mbps = s > 0 ? (double)fsize * (double)frames / 1e6 / s : NAN;
    f->fps = s > 0 ? (double)frames / s : NAN;
}

/* Fills the bench payload header at p (PAYLOAD_HDR bytes). */
static void payload_stamp(uint8_t *p, int phase, uint32_t seq)
{
    memset(p, 0, 4);
    p[0] = (uint8_t)phase;
    put32(p + 4, seq);
    put64(p + 8, now_ns());
}

/* ============================================================ baseline TLS */

/* Throwaway self-signed P-256 certificate, valid one hour. */
static int make_cert(EVP_PKEY **pkey, X509 **cert)
{
    X509_NAME *name;
    *pkey = EVP_EC_gen("P-256");
    *cert = X509_new();
    if (!*pkey || !*cert)
        goto fail;
    if (!X509_set_version(*cert, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1) ||
        !X509_gmtime_adj(X509_getm_notBefore(*cert), -60) ||
        !X509_gmtime_adj(X509_getm_notAfter(*cert), 3600) || !X509_set_pubkey(*cert, *pkey))
        goto fail;
    name = X509_get_subject_name(*cert);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(*cert, name) || !X509_sign(*cert, *pkey, EVP_sha256()))
        goto fail;
    return 0;
fail:
    EVP_PKEY_free(*pkey);
    X509_free(*cert);
    *pkey = NULL;
    *cert = NULL;
    return -1;
}

struct bl_ctx {
    SSL_CTX *sctx, *cctx;
};

static int bl_init(struct bl_ctx *c)
{
    EVP_PKEY *pk = NULL;
    X509 *x = NULL;
    memset(c, 0, sizeof *c);
    if (make_cert(&pk, &x))
        return -1;
    c->sctx = SSL_CTX_new(TLS_server_method());
    c->cctx = SSL_CTX_new(TLS_client_method());
    if (!c->sctx || !c->cctx || !SSL_CTX_set_min_proto_version(c->sctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_min_proto_version(c->cctx, TLS1_3_VERSION) ||
        SSL_CTX_use_certificate(c->sctx, x) != 1 || SSL_CTX_use_PrivateKey(c->sctx, pk) != 1) {
        EVP_PKEY_free(pk);
        X509_free(x);
        return -1;
    }
    /* The client trusts anything: this is a loopback measurement, not a test of PKI. */
    SSL_CTX_set_verify(c->cctx, SSL_VERIFY_NONE, NULL);
    EVP_PKEY_free(pk);
    X509_free(x);
    return 0;
}

static void bl_free(struct bl_ctx *c)
{
    SSL_CTX_free(c->sctx);
    SSL_CTX_free(c->cctx);
}

static void sock_opts(int fd)
{
    int one = 1;
    struct timeval tv = {SOCK_TIMEOUT_S, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int ssl_read_exact(SSL *s, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = 0;
        if (SSL_read_ex(s, buf + got, n - got, &r) != 1)
            return -1;
        got += r;
    }
    return 0;
}

/* Receiver thread state. The thread owns ssl; the sender reads the results
 * only after pthread_join. */
struct bl_rx {
    SSL_CTX *sctx;
    int lsock;
    int efd;               /* posted after each warm-up/latency frame */
    uint64_t *lat;
    size_t lat_cap, lat_n;
    uint64_t bulk_first_ts, bulk_last, bulk_n;
    double cpu_first, cpu_last;  /* own thread CPU at the first bulk frame, at the end */
    const char *err;
};

static void *bl_rx_main(void *arg)
{
    struct bl_rx *r = arg;
    uint8_t *buf = malloc(BP_MAX_FRAME);
    SSL *ssl = NULL;
    int fd = -1;
    if (!buf) {
        r->err = "out of memory";
        goto out;
    }
    fd = accept(r->lsock, NULL, NULL);
    if (fd < 0) {
        r->err = "accept failed";
        goto out;
    }
    sock_opts(fd);
    ssl = SSL_new(r->sctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
        r->err = "TLS accept failed";
        goto out;
    }
    for (;;) {
        uint8_t lenb[4];
        uint32_t len;
        uint64_t t;
        if (ssl_read_exact(ssl, lenb, 4)) {
            r->err = "TLS read failed";
            goto out;
        }
        len = get32(lenb);
        if (len == 0) {
            r->cpu_last = thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
            break;  /* end marker */
        }
        if (len > BP_MAX_FRAME || len < PAYLOAD_HDR || ssl_read_exact(ssl, buf, len)) {
            r->err = "bad frame or TLS read failed";
            goto out;
        }
        t = now_ns();
        if (buf[0] == PHASE_BULK) {
            if (!r->bulk_n) {
                r->bulk_first_ts = get64(buf + 8);
                r->cpu_first = thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
            }
            r->bulk_last = t;
            r->bulk_n++;
        } else {
            uint64_t one = 1;
            if (buf[0] == PHASE_LAT && r->lat_n < r->lat_cap)
                r->lat[r->lat_n++] = t - get64(buf + 8);
            if (write(r->efd, &one, sizeof one) != sizeof one) {
                r->err = "eventfd write failed";
                goto out;
            }
        }
    }
    SSL_shutdown(ssl);
out:
    if (r->err) {
        uint64_t one = 1;  /* wake a sender waiting for an ack */
        if (write(r->efd, &one, sizeof one) < 0)
            r->err = r->err ? r->err : "eventfd write failed";
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static int bl_wait_ack(struct bl_rx *r)
{
    struct pollfd pfd = {r->efd, POLLIN, 0};
    uint64_t v;
    int n = poll(&pfd, 1, SOCK_TIMEOUT_S * 1000);
    if (n <= 0)
        return -1;
    if (read(r->efd, &v, sizeof v) != sizeof v)
        return -1;
    return r->err ? -1 : 0;
}

/* One TLS connection per frame size: warm-up, latency, then bulk. */
static int bl_run(struct bl_ctx *c, const struct opts *o, size_t fsize, struct figures *f)
{
    struct bl_rx r;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    pthread_t th;
    int started = 0, fd = -1, rc = -1;
    SSL *ssl = NULL;
    uint8_t *frame = NULL;
    uint64_t nbulk = ((uint64_t)o->bulk_mib << 20) / fsize;
    uint32_t seq = 0;
    double cpu0 = 0, cpu1 = 0;

    memset(&r, 0, sizeof r);
    memset(&th, 0, sizeof th);
    r.sctx = c->sctx;
    r.lsock = -1;
    r.efd = eventfd(0, EFD_CLOEXEC);
    r.lat_cap = o->lat_frames;
    r.lat = calloc(r.lat_cap ? r.lat_cap : 1, sizeof *r.lat);
    frame = malloc(fsize);
    if (r.efd < 0 || !r.lat || !frame)
        goto out;
    memset(frame, 0xa5, fsize);

    r.lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (r.lsock < 0 || bind(r.lsock, (struct sockaddr *)&sa, sizeof sa) ||
        listen(r.lsock, 1) || getsockname(r.lsock, (struct sockaddr *)&sa, &sl))
        goto out;
    if (pthread_create(&th, NULL, bl_rx_main, &r))
        goto out;
    started = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
        goto out;
    sock_opts(fd);
    ssl = SSL_new(c->cctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
        fprintf(stderr, "bench_relay: baseline TLS handshake failed\n");
        goto out;
    }

    put32(frame, (uint32_t)(fsize - 4));
    for (unsigned i = 0; i < WARMUP_FRAMES + o->lat_frames; i++) {
        payload_stamp(frame + 4, i < WARMUP_FRAMES ? PHASE_WARM : PHASE_LAT, seq++);
        if (SSL_write(ssl, frame, (int)fsize) != (int)fsize || bl_wait_ack(&r))
            goto out;
    }
    cpu0 = thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t i = 0; i < nbulk; i++) {
        payload_stamp(frame + 4, PHASE_BULK, seq++);
        if (SSL_write(ssl, frame, (int)fsize) != (int)fsize)
            goto out;
    }
    cpu1 = thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
    put32(frame, 0);
    if (SSL_write(ssl, frame, 4) != 4)
        goto out;
    rc = 0;
out:
    if (ssl && rc)
        SSL_shutdown(ssl);
    if (fd >= 0 && rc)
        shutdown(fd, SHUT_RDWR);  /* unblocks the receiver on failure */
    if (started)
        pthread_join(th, NULL);
    if (!rc && (r.err || r.bulk_n != nbulk || r.lat_n != o->lat_frames))
        rc = -1;
    if (rc)
        fprintf(stderr, "bench_relay: baseline %zu-byte run failed: %s\n", fsize,
                r.err ? r.err : "sender side error");
    else {
        latency_figures(r.lat, r.lat_n, f);
        double wall = (double)(r.bulk_last - r.bulk_first_ts) / 1e9;
        bulk_figures(fsize, r.bulk_n, r.bulk_last - r.bulk_first_ts, f);
        f->snd_cpu = wall > 0 ? (cpu1 - cpu0) / wall : NAN;
        f->rcv_cpu = wall > 0 ? (r.cpu_last - r.cpu_first) / wall : NAN;
        f->srv_cpu = f->own_cpu = NAN;
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    if (r.lsock >= 0)
        close(r.lsock);
    if (r.efd >= 0)
        close(r.efd);
    free(r.lat);
    free(frame);
    return rc;
}

/* ======================================================= relay over lws */

enum pstate {
    P_IDLE = 0,   /* not started */
    P_CONNECTING,
    P_HELLO,      /* hello sent, waiting for challenge */
    P_PROVING,    /* auth/enrol sent, waiting for welcome */
    P_WELCOMED,
    P_JOINING,
    P_IN_ROOM,
    P_CLOSED
};

#define TXQ 4
struct txmsg {
    uint8_t *buf;  /* LWS_PRE headroom then the text */
    size_t len;
};

struct bench;

struct peer {
    struct bench *b;
    struct lws *wsi;
    char name[24];
    const struct bp_identity *id;
    const uint8_t *token;   /* non-NULL: enrol with it; NULL: auth */
    enum pstate st;
    int closing;            /* we asked for the close */
    struct txmsg q[TXQ];
    int qh, qn;
    /* Message being received: text kept whole (<= BP_MAX_CTRL); binary only
     * its first bytes and its length. */
    uint8_t *rx;
    size_t rx_cap, rx_len;
    size_t rx_total;
    int rx_binary;
    char bilan[BP_ID_MAX + 1];
    int slot;
    int close_code;
    int is_idle;            /* one of the idle connections */
};

/* One relay phase as each side sees it. The sender's copy uses sent, seq_tx,
 * window, blocked; the receiver's rcvd, seq_rx, t_start/t_end, lat. */
struct relay_run {
    int active;
    int phase;
    size_t fsize;
    uint32_t total, sent, rcvd;
    uint32_t window;        /* bulk: frames sent but not yet received */
    int blocked;            /* sender: waiting for the receiver to wake it */
    uint32_t seq_tx, seq_rx;
    uint64_t t_start, t_end;
    uint64_t *lat;
    size_t lat_n, lat_cap;
};

/* Sender thread states (shared.snd_state). */
#define SND_STARTING 0
#define SND_CTX 1      /* its context exists: the receiver may start connecting */
#define SND_JOINED 2   /* snd_bilan and snd_slot are valid */
#define SND_EXITED 3   /* its context is gone */

/* What the sender thread and the receiver (main) thread share. Plain fields
 * are written by one side before an atomic store that publishes them and read
 * by the other after the matching atomic load (seq_cst throughout). */
struct shared {
    pthread_mutex_t mu;            /* guards snd_ctx: set, cleared, used to wake */
    struct lws_context *snd_ctx;   /* the sender's context, or NULL */
    struct lws_context *rcv_ctx;   /* the receiver's, alive until the sender is joined */
    atomic_int snd_state;
    char snd_bilan[BP_ID_MAX + 1]; /* published by snd_state = SND_JOINED */
    int snd_slot;
    atomic_int failed;             /* either side failed: the other gives up */
    atomic_int quit;               /* receiver to sender: relay runs over, close */
    /* Phase command, receiver to sender, published by cmd_gen++. */
    int c_phase;
    size_t c_fsize;
    uint32_t c_total, c_window;
    atomic_uint cmd_gen;
    /* Flow control: frames of the current phase received so far. The sender
     * may send frame number sent (0-based) when sent - rcvd < window (bulk),
     * or sent == rcvd (warm-up, latency). When it may not, it stores wake_at
     * (the rcvd count that lets it go on), then waiting = 1, then reads rcvd
     * again; the receiver stores rcvd, then if waiting and rcvd >= wake_at it
     * takes waiting (exchange to 0) and wakes the sender with
     * lws_cancel_service. seq_cst order means no wake-up is lost. */
    atomic_uint rcvd;
    atomic_uint wake_at;
    atomic_int waiting;
};

/* Wakes the sender thread's lws_service, if its context still exists. */
static void wake_sender(struct shared *sh)
{
    pthread_mutex_lock(&sh->mu);
    if (sh->snd_ctx)
        lws_cancel_service(sh->snd_ctx);
    pthread_mutex_unlock(&sh->mu);
}

struct bench {
    const struct opts *o;
    struct shared *sh;
    int is_sender;          /* the sender thread's bench, else the receiver's (main) */
    unsigned cmd_seen;      /* sender: last cmd_gen taken */
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
    uint64_t deadline;      /* overall, ns */
    int failed;             /* a fatal condition was reported */
    int teardown;           /* closing everything: keep servicing despite failed */
    struct peer snd, rcv, third;
    struct relay_run run;
    uint8_t *txbuf;         /* LWS_PRE + largest frame */
    struct peer *idle;
    unsigned idle_n, idle_launched, idle_welcomed;
    int idle_phase;
};

static void bench_fail(struct bench *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bench_fail(struct bench *b, const char *fmt, ...)
{
    va_list ap;
    if (b->failed)
        return;  /* the first cause is the one worth reading */
    b->failed = 1;
    fprintf(stderr, "bench_relay: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (b->sh && !atomic_exchange(&b->sh->failed, 1)) {
        /* Tell the other thread, which gives up quietly. */
        if (b->is_sender)
            lws_cancel_service(b->sh->rcv_ctx);
        else
            wake_sender(b->sh);
    }
}

/* Takes the JSON object j (decref'd here). Queues it as a text message. */
static int peer_send_json(struct peer *p, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    size_t n;
    struct txmsg *m;
    json_decref(j);
    if (!s || p->qn == TXQ || !p->wsi) {
        free(s);
        bench_fail(p->b, "%s: cannot queue a control message", p->name);
        return -1;
    }
    n = strlen(s);
    m = &p->q[(p->qh + p->qn) % TXQ];
    m->buf = malloc(LWS_PRE + n);
    if (!m->buf) {
        free(s);
        return -1;
    }
    memcpy(m->buf + LWS_PRE, s, n);
    m->len = n;
    free(s);
    p->qn++;
    lws_callback_on_writable(p->wsi);
    return 0;
}

static void peer_drop_queue(struct peer *p)
{
    while (p->qn) {
        free(p->q[p->qh].buf);
        p->q[p->qh].buf = NULL;
        p->qh = (p->qh + 1) % TXQ;
        p->qn--;
    }
}

static int peer_connect(struct bench *b, struct peer *p)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = b->ctx;
    ci.address = b->o->host;
    ci.port = b->o->port;
    ci.path = BP_WS_PATH;
    ci.host = b->o->host;
    ci.origin = b->o->host;
    ci.protocol = BP_SUBPROTOCOL;
    ci.local_protocol_name = "bench";
    /* Loopback bench: the server's development certificate is self-signed. */
    ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                        LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
    ci.opaque_user_data = p;
    ci.pwsi = &p->wsi;
    p->b = b;
    p->st = P_CONNECTING;
    p->closing = 0;
    if (!lws_client_connect_via_info(&ci)) {
        p->wsi = NULL;
        p->st = P_CLOSED;
        bench_fail(b, "%s: cannot start a connection to %s:%d", p->name, b->o->host, b->o->port);
        return -1;
    }
    return 0;
}

static void peer_close(struct peer *p)
{
    if (p->wsi && !p->closing) {
        p->closing = 1;
        lws_callback_on_writable(p->wsi);
    }
}

static void peer_free(struct peer *p)
{
    peer_drop_queue(p);
    free(p->rx);
    p->rx = NULL;
}

/* Answers a challenge with enrol (token set) or auth. */
static int peer_prove(struct peer *p, const json_t *root)
{
    uint8_t nonce[BP_NONCE_LEN], msg[BP_AUTH_MSG_MAX], sig[BP_SIG_LEN], fp[BP_FP_LEN];
    char sig_b[BP_B64_64 + 1], a[BP_B64_32 + 1], c[BP_B64_32 + 1], t[BP_B64_32 + 1];
    int n;
    if (bp_b64_decode_exact(bp_str(root, "nonce", ""), nonce, sizeof nonce) < 0) {
        bench_fail(p->b, "%s: challenge nonce does not decode", p->name);
        return -1;
    }
    n = bp_auth_message(nonce, p->id->sign_pub, p->id->dh_pub, p->token,
                        p->token ? BP_TOKEN_LEN : 0, msg);
    if (n < 0 || bp_ed25519_sign(p->id->sign_priv, msg, (size_t)n, sig)) {
        bench_fail(p->b, "%s: signing failed", p->name);
        return -1;
    }
    bp_b64_encode(sig, sizeof sig, sig_b);
    p->st = P_PROVING;
    if (p->token) {
        bp_b64_encode(p->token, BP_TOKEN_LEN, t);
        bp_b64_encode(p->id->sign_pub, BP_KEY_LEN, a);
        bp_b64_encode(p->id->dh_pub, BP_KEY_LEN, c);
        return peer_send_json(p, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "enrol", "token", t,
                                           "sign_pub", a, "dh_pub", c, "sig", sig_b,
                                           "device_name", "bench-relay"));
    }
    if (bp_fingerprint(p->id->sign_pub, p->id->dh_pub, fp))
        return -1;
    bp_b64_encode(fp, sizeof fp, a);
    return peer_send_json(p, json_pack("{s:s,s:s,s:s}", "type", "auth", "device", a, "sig", sig_b));
}

static void on_binary(struct bench *b, struct peer *p)
{
    struct relay_run *r = &b->run;
    struct bp_hdr h;
    const char *why = "";
    const uint8_t *pl = p->rx + BP_HDR_LEN;
    uint64_t t = now_ns();

    if (p != &b->rcv || !r->active) {
        bench_fail(b, "%s: unexpected binary frame (%zu bytes)", p->name, p->rx_total);
        return;
    }
    if (bp_hdr_decode(p->rx, p->rx_total, &h, &why) < 0 || h.kind != BP_KIND_DATA ||
        p->rx_total != r->fsize) {
        bench_fail(b, "receiver: relayed frame is not what was sent (%zu bytes, want %zu; %s)",
                   p->rx_total, r->fsize, why);
        return;
    }
    if ((int)h.slot != b->sh->snd_slot || h.seq != r->seq_rx || pl[0] != r->phase ||
        get32(pl + 4) != r->seq_rx) {
        bench_fail(b, "receiver: relayed frame out of order or altered (slot %u want %d, "
                   "seq %" PRIu32 " want %" PRIu32 ")", h.slot, b->sh->snd_slot, h.seq,
                   r->seq_rx);
        return;
    }
    r->seq_rx++;
    r->rcvd++;
    if (r->phase == PHASE_LAT && r->lat_n < r->lat_cap)
        r->lat[r->lat_n++] = t - get64(pl + 8);
    if (r->phase == PHASE_BULK) {
        if (r->rcvd == 1)
            r->t_start = get64(pl + 8);  /* the first bulk frame's send time */
        r->t_end = t;
    }
    /* Flow control: see struct shared. */
    atomic_store(&b->sh->rcvd, r->rcvd);
    if (atomic_load(&b->sh->waiting) && r->rcvd >= atomic_load(&b->sh->wake_at) &&
        atomic_exchange(&b->sh->waiting, 0))
        wake_sender(b->sh);
}

static void on_text(struct bench *b, struct peer *p)
{
    enum bp_type type;
    json_t *root = NULL, *bl;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];

    if (bp_msg_parse((const char *)p->rx, p->rx_len, BP_TO_CLIENT, &type, &root, &e, ref)) {
        bench_fail(b, "%s: server sent an invalid message (%s: %s): contradicts PROTOCOL.md §3.2",
                   p->name, bp_err_code(e.code), e.detail);
        return;
    }
    switch (type) {
    case BP_T_CHALLENGE:
        if (p->st != P_HELLO)
            bench_fail(b, "%s: unexpected challenge", p->name);
        else
            peer_prove(p, root);
        break;
    case BP_T_WELCOME:
        if (p->st != P_PROVING) {
            bench_fail(b, "%s: unexpected welcome", p->name);
            break;
        }
        p->st = P_WELCOMED;
        bl = json_array_get(json_object_get(root, "bilans"), 0);
        if (bl)
            snprintf(p->bilan, sizeof p->bilan, "%s", bp_str(bl, "bilan", ""));
        if (p->is_idle)
            b->idle_welcomed++;
        break;
    case BP_T_JOINED:
        p->slot = (int)bp_int(root, "slot", -1);
        p->st = P_IN_ROOM;
        break;
    case BP_T_ERROR:
        bench_fail(b, "%s: server error %s: %s%s", p->name, bp_str(root, "code", "?"),
                   bp_str(root, "message", ""),
                   json_is_true(json_object_get(root, "fatal")) ? " (fatal)" : "");
        break;
    case BP_T_MEMBER_LEFT:
        if (b->run.active)
            bench_fail(b, "%s: a member left during the relay run (reason %s)", p->name,
                       bp_str(root, "reason", "?"));
        break;
    default:
        /* member_joined, keyframe_request...: nothing to do for a data bench. */
        if (b->o->verbose)
            fprintf(stderr, "bench_relay: %s: got %s\n", p->name, bp_type_name(type));
        break;
    }
    json_decref(root);
}

static void on_rx(struct bench *b, struct peer *p, struct lws *wsi, const uint8_t *in, size_t len)
{
    size_t cap, keep;
    if (!p->rx_total && !p->rx_len)
        p->rx_binary = lws_frame_is_binary(wsi);
    cap = p->rx_binary ? 64 : BP_MAX_CTRL;
    if (!p->rx_binary && p->rx_len + len > cap) {
        bench_fail(b, "%s: server sent a text message over 64 KiB", p->name);
        return;
    }
    keep = p->rx_len < cap ? cap - p->rx_len : 0;
    if (keep > len)
        keep = len;
    if (keep) {
        if (p->rx_len + keep > p->rx_cap) {
            size_t ncap = p->rx_binary ? 64 : (p->rx_len + keep < 1024 ? 1024 : BP_MAX_CTRL);
            uint8_t *n = realloc(p->rx, ncap);
            if (!n) {
                bench_fail(b, "out of memory");
                return;
            }
            p->rx = n;
            p->rx_cap = ncap;
        }
        memcpy(p->rx + p->rx_len, in, keep);
        p->rx_len += keep;
    }
    p->rx_total += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    if (p->rx_binary)
        on_binary(b, p);
    else
        on_text(b, p);
    p->rx_len = 0;
    p->rx_total = 0;
}

/* May the sender send its next frame, given rcvd frames received? */
static int sender_room(const struct relay_run *r, uint32_t rcvd)
{
    return r->phase == PHASE_BULK ? r->sent - rcvd < r->window : r->sent == rcvd;
}

/* Writes data frames while the window and the socket allow. When the window
 * (or the previous latency frame) stops it, it asks the receiver to wake it
 * (struct shared) and returns; done_sender() re-arms WRITEABLE on the wake. */
static int sender_fill(struct bench *b, struct peer *p)
{
    struct relay_run *r = &b->run;
    struct shared *sh = b->sh;
    int burst = 0;
    while (r->active && r->sent < r->total && !r->blocked) {
        uint8_t *f = b->txbuf + LWS_PRE;
        struct bp_hdr h;
        if (!sender_room(r, atomic_load(&sh->rcvd))) {
            /* Bulk: go on once a quarter of the window is free again, so a
             * wake-up is worth several frames; latency: once the last arrived. */
            uint32_t q = r->window / 4 ? r->window / 4 : 1;
            uint32_t at = r->phase == PHASE_BULK ? r->sent - r->window + q : r->sent;
            atomic_store(&sh->wake_at, at);
            atomic_store(&sh->waiting, 1);
            if (sender_room(r, atomic_load(&sh->rcvd)) && atomic_exchange(&sh->waiting, 0))
                continue;   /* the receiver caught up meanwhile */
            r->blocked = 1; /* the receiver will wake us (or already has) */
            break;
        }
        if (r->phase == PHASE_BULK) {
            if (burst == 32)
                break;
            if (burst && lws_send_pipe_choked(p->wsi))
                break;
        } else if (burst) {
            break;
        }
        memset(&h, 0, sizeof h);
        h.version = BP_PROTOCOL_VERSION;
        h.kind = BP_KIND_DATA;
        h.seq = r->seq_tx;
        h.capture_ms = (uint32_t)(now_ns() / 1000000u);
        bp_hdr_encode(&h, f);
        payload_stamp(f + BP_HDR_LEN, r->phase, r->seq_tx);
        if (lws_write(p->wsi, f, r->fsize, LWS_WRITE_BINARY) < (int)r->fsize) {
            bench_fail(b, "sender: lws_write failed");
            return -1;
        }
        r->seq_tx++;
        r->sent++;
        burst++;
    }
    /* More to send and not waiting for the receiver: next WRITEABLE. */
    if (r->active && r->sent < r->total && !r->blocked)
        lws_callback_on_writable(p->wsi);
    return 0;
}

static int on_writeable(struct bench *b, struct peer *p, struct lws *wsi)
{
    if (p->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (p->qn) {
        struct txmsg *m = &p->q[p->qh];
        int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
        free(m->buf);
        m->buf = NULL;
        p->qh = (p->qh + 1) % TXQ;
        p->qn--;
        if (n < 0) {
            bench_fail(b, "%s: lws_write failed", p->name);
            return -1;
        }
        if (p->qn || (p == &b->snd && b->run.active))
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (p == &b->snd)
        return sender_fill(b, p);
    return 0;
}

static int bench_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct peer *p = lws_get_opaque_user_data(wsi);
    struct bench *b = p ? p->b : NULL;
    (void)user;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (p) {
            bench_fail(b, "%s: connection to %s:%d failed: %s", p->name, b->o->host, b->o->port,
                       in ? (const char *)in : "(no reason)");
            p->wsi = NULL;
            p->st = P_CLOSED;
            peer_drop_queue(p);
        }
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (p) {
            p->st = P_HELLO;
            peer_send_json(p, json_pack("{s:s,s:i,s:s}", "type", "hello", "v",
                                        BP_PROTOCOL_VERSION, "client", "bench_relay"));
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (p && !b->failed)
            on_rx(b, p, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (p)
            return on_writeable(b, p, wsi);
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (p && len >= 2)
            p->close_code = ((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1];
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (p) {
            if (!p->closing && !b->failed)
                bench_fail(b, "%s: server closed the connection (close code %d)", p->name,
                           p->close_code);
            p->wsi = NULL;
            p->st = P_CLOSED;
            peer_drop_queue(p);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"bench", bench_cb, 0, RX_BUF, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}
};

/* Wakes lws_service regularly so deadlines are checked even when idle. */
static void tick_cb(lws_sorted_usec_list_t *sul)
{
    struct bench *b = lws_container_of(sul, struct bench, tick);
    lws_sul_schedule(b->ctx, 0, &b->tick, tick_cb, 100 * LWS_US_PER_MS);
}

/* Services lws until done(b) or failure or the deadline. done may do work
 * (start connections) and is called after every service round. */
static int run_until(struct bench *b, int (*done)(struct bench *), unsigned secs,
                     const char *what)
{
    uint64_t end = now_ns() + (uint64_t)secs * 1000000000u;
    if (end > b->deadline)
        end = b->deadline;
    while (!b->failed || b->teardown) {
        if (!b->failed && b->sh && atomic_load(&b->sh->failed)) {
            b->failed = 1;  /* the other thread said why */
            break;
        }
        if (done(b))
            return 0;
        if (now_ns() > end) {
            bench_fail(b, "timed out waiting for %s", what);
            break;
        }
        if (lws_service(b->ctx, 0) < 0) {
            bench_fail(b, "lws_service failed");
            break;
        }
    }
    return -1;
}

/* Receiver (main) thread: the sender's context exists. lws 4.1 takes a new
 * global OpenSSL ex_data index (where it keeps each SSL's wsi) whenever a
 * context is created with LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT, which breaks
 * TLS handshakes already under way in another context: so both contexts are
 * created before either starts a connection. */
static int done_snd_ctx(struct bench *b)
{
    int s = atomic_load(&b->sh->snd_state);
    if (s == SND_EXITED) {
        bench_fail(b, "the sender thread ended before creating its context");
        return 0;
    }
    return s >= SND_CTX;
}

/* Receiver (main) thread: its two devices welcomed and the sender in the room. */
static int done_welcomed_snd_joined(struct bench *b)
{
    int s = atomic_load(&b->sh->snd_state);
    if (s == SND_EXITED) {
        bench_fail(b, "the sender thread ended before joining");
        return 0;
    }
    return s == SND_JOINED && b->rcv.st == P_WELCOMED && b->third.st == P_WELCOMED;
}

static int done_rcv_joined(struct bench *b)
{
    return b->rcv.st == P_IN_ROOM;
}

static int done_snd_welcomed(struct bench *b)
{
    return b->snd.st == P_WELCOMED;
}

static int done_snd_joined(struct bench *b)
{
    return b->snd.st == P_IN_ROOM;
}

static int done_run(struct bench *b)
{
    return b->run.rcvd == b->run.total;
}

/* Sender thread, between and during the relay phases: takes new phase
 * commands, resumes after a wake-up from the receiver, ends on quit. */
static int done_sender(struct bench *b)
{
    struct shared *sh = b->sh;
    struct relay_run *r = &b->run;
    unsigned g;
    if (atomic_load(&sh->quit))
        return 1;
    g = atomic_load(&sh->cmd_gen);
    if (g != b->cmd_seen) {
        b->cmd_seen = g;
        r->phase = sh->c_phase;
        r->fsize = sh->c_fsize;
        r->total = sh->c_total;
        r->window = sh->c_window;
        r->sent = 0;
        r->blocked = 0;
        r->active = 1;
        if (b->snd.wsi)
            lws_callback_on_writable(b->snd.wsi);
    }
    if (r->blocked && !atomic_load(&sh->waiting)) {
        r->blocked = 0;
        if (b->snd.wsi)
            lws_callback_on_writable(b->snd.wsi);
    }
    return 0;
}

static int peer_join(struct peer *p, const char *bilan)
{
    p->st = P_JOINING;
    return peer_send_json(p, json_pack("{s:s,s:s}", "type", "join", "bilan", bilan));
}

/* One relay phase, run from the receiver (main) thread: posts the command to
 * the sender thread and services the receiver until every frame arrived. */
static int relay_phase(struct bench *b, int phase, size_t fsize, uint32_t frames)
{
    struct relay_run *r = &b->run;
    struct shared *sh = b->sh;
    uint32_t window = (uint32_t)(((uint64_t)b->o->window_kib << 10) / fsize);
    r->phase = phase;
    r->fsize = fsize;
    r->total = frames;
    r->rcvd = 0;
    r->t_start = r->t_end = 0;
    r->active = 1;
    /* The previous phase is complete (every frame received, so the sender
     * is neither sending nor waiting): safe to reset and post. */
    atomic_store(&sh->rcvd, 0);
    sh->c_phase = phase;
    sh->c_fsize = fsize;
    sh->c_total = frames;
    sh->c_window = window < 2 ? 2 : window;
    atomic_fetch_add(&sh->cmd_gen, 1);
    wake_sender(sh);
    if (run_until(b, done_run, b->o->timeout_s, "relayed frames"))
        return -1;
    r->active = 0;
    return 0;
}

static double proc_cpu_s(long pid);
static double self_cpu_s(void);

static int relay_run_size(struct bench *b, clockid_t snd_clock, size_t fsize,
                          struct figures *f)
{
    struct relay_run *r = &b->run;
    double c_srv, c_own, c_snd, c_rcv;
    uint64_t t0;
    uint32_t nbulk = (uint32_t)(((uint64_t)b->o->bulk_mib << 20) / fsize);
    r->lat_n = 0;
    if (relay_phase(b, PHASE_WARM, fsize, WARMUP_FRAMES) ||
        relay_phase(b, PHASE_LAT, fsize, b->o->lat_frames))
        return -1;
    latency_figures(r->lat, r->lat_n, f);
    c_srv = proc_cpu_s(b->o->pid);
    c_own = self_cpu_s();
    c_snd = thread_cpu_s(snd_clock);
    c_rcv = thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
    t0 = now_ns();
    if (relay_phase(b, PHASE_BULK, fsize, nbulk))
        return -1;
    bulk_figures(fsize, nbulk, r->t_end - r->t_start, f);
    {
        double wall = (double)(now_ns() - t0) / 1e9;
        f->srv_cpu = (proc_cpu_s(b->o->pid) - c_srv) / wall;
        f->own_cpu = (self_cpu_s() - c_own) / wall;
        f->snd_cpu = (thread_cpu_s(snd_clock) - c_snd) / wall;
        f->rcv_cpu = (thread_cpu_s(CLOCK_THREAD_CPUTIME_ID) - c_rcv) / wall;
    }
    return 0;
}

static void close_all(struct bench *b);

static struct lws_context *bench_context(struct bench *b, unsigned fds)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.fd_limit_per_thread = fds;
    info.pt_serv_buf_size = RX_BUF + LWS_PRE;  /* read up to RX_BUF per POLLIN */
    info.user = b;
    b->ctx = lws_create_context(&info);
    if (b->ctx)
        lws_sul_schedule(b->ctx, 0, &b->tick, tick_cb, 100 * LWS_US_PER_MS);
    return b->ctx;
}

/* The sender thread: its own lws context and the sender device, enrolled,
 * joined, then the phases the receiver posts, until quit or failure. Only
 * this thread touches its context (others only wake it, under sh->mu). */
static void *sender_main(void *arg)
{
    struct bench *b = arg;
    struct shared *sh = b->sh;
    if (!bench_context(b, 64)) {
        bench_fail(b, "cannot create the sender's lws client context");
        goto out;
    }
    pthread_mutex_lock(&sh->mu);
    sh->snd_ctx = b->ctx;
    pthread_mutex_unlock(&sh->mu);
    atomic_store(&sh->snd_state, SND_CTX);
    lws_cancel_service(sh->rcv_ctx);
    if (peer_connect(b, &b->snd) ||
        run_until(b, done_snd_welcomed, b->o->timeout_s, "the sender's welcome"))
        goto out;
    if (!b->snd.bilan[0]) {
        bench_fail(b, "sender: the welcome names no bilan");
        goto out;
    }
    if (peer_join(&b->snd, b->snd.bilan) ||
        run_until(b, done_snd_joined, b->o->timeout_s, "the sender's joined"))
        goto out;
    memcpy(sh->snd_bilan, b->snd.bilan, sizeof sh->snd_bilan);
    sh->snd_slot = b->snd.slot;
    atomic_store(&sh->snd_state, SND_JOINED);
    lws_cancel_service(sh->rcv_ctx);
    /* The phases: bounded by the overall deadline. */
    run_until(b, done_sender, b->o->timeout_s * 6, "the end of the relay runs");
out:
    if (b->ctx) {
        close_all(b);
        pthread_mutex_lock(&sh->mu);
        sh->snd_ctx = NULL;
        pthread_mutex_unlock(&sh->mu);
        lws_sul_cancel(&b->tick);
        lws_context_destroy(b->ctx);
        b->ctx = NULL;
    }
    atomic_store(&sh->snd_state, SND_EXITED);
    lws_cancel_service(sh->rcv_ctx);
    return NULL;
}

/* ---- server process figures from /proc ---- */

/* CPU seconds (user + system) used so far by process pid, or -1. */
static double proc_cpu_s(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut, st;
    size_t n;
    FILE *fp;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    fp = fopen(path, "r");
    if (!fp)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    p = strrchr(buf, ')');  /* the command name may hold spaces */
    /* After ")": state(3) ... utime(14) stime(15). */
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long server_rss_kib(long pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *fp;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    fp = fopen(path, "r");
    if (!fp)
        return -1;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(fp);
    return kib;
}

static int done_idle_open(struct bench *b)
{
    /* Keeps at most IDLE_CONCURRENCY handshakes in flight. */
    while (b->idle_launched < b->idle_n &&
           b->idle_launched - b->idle_welcomed < IDLE_CONCURRENCY) {
        struct peer *p = &b->idle[b->idle_launched++];
        if (peer_connect(b, p))
            return 0;
    }
    return b->idle_welcomed == b->idle_n;
}

static int done_all_closed(struct bench *b)
{
    if (b->snd.wsi || b->rcv.wsi || b->third.wsi)
        return 0;
    for (unsigned i = 0; i < b->idle_launched; i++)
        if (b->idle[i].wsi)
            return 0;
    return 1;
}

static void close_all(struct bench *b)
{
    peer_close(&b->snd);
    peer_close(&b->rcv);
    peer_close(&b->third);
    for (unsigned i = 0; b->idle && i < b->idle_launched; i++)
        peer_close(&b->idle[i]);
    /* Closing after a failure still deserves a bounded, clean attempt. */
    b->teardown = 1;
    if (b->deadline < now_ns() + 10 * 1000000000ull)
        b->deadline = now_ns() + 10 * 1000000000ull;
    run_until(b, done_all_closed, 10, "connections to close");
    b->teardown = 0;
}

/* ============================================================ main */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench_relay --server HOST:PORT --pid PID --invite LINK_OR_TOKEN\n"
            "                   --invite LINK_OR_TOKEN --invite LINK_OR_TOKEN [options]\n"
            "\n"
            "Measures raw TLS 1.3 on loopback (baseline), the same traffic relayed by\n"
            "bilan-server between two members of one bilan, and the server's memory per\n"
            "idle authenticated connection. The three invites (bilan invite links, or\n"
            "bare tokens) must be for the same bilan: the first enrols the sender, the\n"
            "second the receiver, the third the device that authenticates the idle\n"
            "connections.\n"
            "\n"
            "  --server HOST:PORT   bilan-server address (wss://HOST:PORT/ws)\n"
            "  --pid PID            bilan-server process id (VmRSS is read from /proc)\n"
            "  --invite X           invite link or token (give it three times)\n"
            "  --bulk-mib N         bulk transfer per frame size, MiB (default 64)\n"
            "  --latency-frames N   frames sent one at a time for latency (default 2000)\n"
            "  --idle N             idle connections to open (default 1000, 0 skips)\n"
            "  --window-kib N       relay bulk: max KiB sent but not yet received (default 2048)\n"
            "  --timeout N          bound on each phase, seconds (default 120)\n"
            "  --verbose            lws warnings and extra messages on stderr\n"
            "  --help               this text\n"
            "\n"
            "Prints a table on stdout and a last line 'BENCH_JSON {...}'. Exit 0 on success.\n");
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"server", required_argument, NULL, 's'}, {"pid", required_argument, NULL, 'p'},
        {"invite", required_argument, NULL, 'i'}, {"bulk-mib", required_argument, NULL, 'b'},
        {"latency-frames", required_argument, NULL, 'l'}, {"idle", required_argument, NULL, 'n'},
        {"window-kib", required_argument, NULL, 'w'}, {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *server = NULL;
    unsigned pid = 0, port;
    int c;
    memset(o, 0, sizeof *o);
    o->bulk_mib = 64;
    o->lat_frames = 2000;
    o->idle = 1000;
    o->window_kib = 2048;
    o->timeout_s = 120;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': server = optarg; break;
        case 'p':
            if (parse_uint(optarg, 1, 0x7fffffff, &pid))
                goto bad;
            o->pid = (long)pid;
            break;
        case 'i':
            if (o->ninvite == 3) {
                fprintf(stderr, "bench_relay: give exactly three --invite\n");
                return -1;
            }
            o->invite[o->ninvite++] = optarg;
            break;
        case 'b': if (parse_uint(optarg, 1, 4096, &o->bulk_mib)) goto bad; break;
        case 'l': if (parse_uint(optarg, 10, 1000000, &o->lat_frames)) goto bad; break;
        case 'n': if (parse_uint(optarg, 0, 100000, &o->idle)) goto bad; break;
        case 'w': if (parse_uint(optarg, 64, 16384, &o->window_kib)) goto bad; break;
        case 't': if (parse_uint(optarg, 5, 3600, &o->timeout_s)) goto bad; break;
        case 'v': o->verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc || !server || !o->pid || o->ninvite != 3) {
        fprintf(stderr, "bench_relay: --server, --pid and three --invite are required\n");
        usage(stderr);
        return -1;
    }
    {
        /* HOST:PORT, or [IPv6]:PORT */
        const char *colon = strrchr(server, ':');
        const char *h = server;
        size_t hl;
        if (!colon || parse_uint(colon + 1, 1, 65535, &port)) {
            fprintf(stderr, "bench_relay: --server wants HOST:PORT, got '%s'\n", server);
            return -1;
        }
        hl = (size_t)(colon - server);
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        if (!hl || hl > BP_HOST_MAX) {
            fprintf(stderr, "bench_relay: bad host in --server '%s'\n", server);
            return -1;
        }
        memcpy(o->host, h, hl);
        o->host[hl] = 0;
        o->port = (int)port;
    }
    return 0;
bad:
    fprintf(stderr, "bench_relay: bad value '%s'\n", optarg);
    return -1;
}

static void raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static json_t *fig_json(const struct figures *f)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "mb_per_s", f->mbps, "frames_per_s", f->fps,
                     "p50_us", f->p50_us, "p99_us", f->p99_us, "mean_us", f->mean_us,
                     "max_us", f->max_us);
}

static void print_row(const char *what, size_t fsize, const struct figures *f)
{
    printf("  %-26s %6zu KiB %9.1f %11.0f %9.1f %9.1f\n", what, fsize / 1024, f->mbps, f->fps,
           f->p50_us, f->p99_us);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench b, bs;     /* receiver (main thread) and sender (its thread) */
    struct shared sh;
    pthread_t snd_th;
    clockid_t snd_clock;
    int snd_started = 0;
    struct bl_ctx blc;
    struct bp_identity ids[3];
    struct bp_link links[3];
    struct figures base[NSIZES], rel[NSIZES];
    long rss_before = -1, rss_after = -1, rss_closed = -1;
    uint64_t idle_ms = 0;
    int rc = 1, have_relay = 0, have_idle = 0;
    json_t *jout = NULL, *jsizes = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv, &o))
        return 2;
    for (int i = 0; i < 3; i++) {
        const char *why = "";
        if (bp_link_parse(o.invite[i], &links[i], &why) ||
            (links[i].kind != BP_LINK_INVITE && links[i].kind != BP_LINK_TOKEN)) {
            fprintf(stderr, "bench_relay: --invite #%d is not an invite link or token: %s\n",
                    i + 1, links[i].kind == BP_LINK_ENROL ? "it is an enrolment link" : why);
            return 2;
        }
        if (bp_identity_generate(&ids[i])) {
            fprintf(stderr, "bench_relay: cannot generate a device identity\n");
            return 1;
        }
    }
    if (server_rss_kib(o.pid) < 0) {
        fprintf(stderr, "bench_relay: no process %ld (cannot read /proc/%ld/status)\n", o.pid,
                o.pid);
        return 2;
    }
    raise_nofile(o.idle + 256);
    memset(base, 0, sizeof base);
    memset(rel, 0, sizeof rel);

    /* ---- 1. baseline ---- */
    if (bl_init(&blc)) {
        fprintf(stderr, "bench_relay: cannot set up the baseline TLS contexts\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (int i = 0; i < NSIZES; i++)
        if (bl_run(&blc, &o, frame_sizes[i], &base[i])) {
            bl_free(&blc);
            return 1;
        }
    bl_free(&blc);

    /* ---- 2. relay ----
     * Receiver, third device and idle connections: this thread, context b.ctx.
     * Sender: its own thread and context (sender_main). */
    memset(&b, 0, sizeof b);
    memset(&bs, 0, sizeof bs);
    memset(&sh, 0, sizeof sh);
    pthread_mutex_init(&sh.mu, NULL);
    sh.snd_slot = -1;
    b.o = bs.o = &o;
    b.sh = bs.sh = &sh;
    bs.is_sender = 1;
    b.deadline = bs.deadline = now_ns() + (uint64_t)o.timeout_s * 6 * 1000000000ull;
    b.run.lat_cap = o.lat_frames;
    b.run.lat = calloc(o.lat_frames, sizeof *b.run.lat);
    bs.txbuf = malloc(LWS_PRE + SIZE_LARGE);
    b.idle_n = o.idle;
    b.idle = calloc(o.idle ? o.idle : 1, sizeof *b.idle);
    if (!b.run.lat || !bs.txbuf || !b.idle) {
        fprintf(stderr, "bench_relay: out of memory\n");
        goto out;
    }
    memset(bs.txbuf, 0x5a, LWS_PRE + SIZE_LARGE);
    lws_set_log_level(o.verbose ? LLL_ERR | LLL_WARN : LLL_ERR, NULL);
    if (!bench_context(&b, o.idle + 64)) {
        fprintf(stderr, "bench_relay: cannot create the lws client context\n");
        goto out;
    }
    sh.rcv_ctx = b.ctx;

    snprintf(bs.snd.name, sizeof bs.snd.name, "sender");
    snprintf(b.rcv.name, sizeof b.rcv.name, "receiver");
    snprintf(b.third.name, sizeof b.third.name, "idle-device");
    bs.snd.id = &ids[0];
    b.rcv.id = &ids[1];
    b.third.id = &ids[2];
    bs.snd.token = links[0].token;
    b.rcv.token = links[1].token;
    b.third.token = links[2].token;
    bs.snd.slot = b.rcv.slot = -1;
    if (pthread_create(&snd_th, NULL, sender_main, &bs)) {
        fprintf(stderr, "bench_relay: cannot start the sender thread\n");
        goto out;
    }
    snd_started = 1;
    if (pthread_getcpuclockid(snd_th, &snd_clock)) {
        bench_fail(&b, "no CPU clock for the sender thread");
        goto out;
    }
    if (run_until(&b, done_snd_ctx, o.timeout_s, "the sender's lws context"))
        goto out;
    /* The sender joins first (in its thread), so the receiver's joined roster
     * proves both are in. */
    if (peer_connect(&b, &b.rcv) || peer_connect(&b, &b.third) ||
        run_until(&b, done_welcomed_snd_joined, o.timeout_s, "welcome after enrolment"))
        goto out;
    if (strcmp(sh.snd_bilan, b.rcv.bilan)) {
        bench_fail(&b, "the sender's and receiver's invites are not for the same bilan "
                   "(welcome.bilans[0]: '%s' vs '%s')", sh.snd_bilan, b.rcv.bilan);
        goto out;
    }
    if (peer_join(&b.rcv, b.rcv.bilan) || run_until(&b, done_rcv_joined, o.timeout_s, "joined"))
        goto out;
    for (int i = 0; i < NSIZES; i++)
        if (relay_run_size(&b, snd_clock, frame_sizes[i], &rel[i]))
            goto out;
    have_relay = 1;
    /* The sender closes its connection and ends; its teardown is bounded. */
    atomic_store(&sh.quit, 1);
    wake_sender(&sh);
    pthread_join(snd_th, NULL);
    snd_started = 0;
    if (bs.failed || b.failed)
        goto out;

    /* ---- 3. idle connections ---- */
    if (o.idle) {
        uint64_t t0;
        for (unsigned i = 0; i < o.idle; i++) {
            snprintf(b.idle[i].name, sizeof b.idle[i].name, "idle#%u", i);
            b.idle[i].id = &ids[2];
            b.idle[i].slot = -1;
            b.idle[i].is_idle = 1;
        }
        rss_before = server_rss_kib(o.pid);
        t0 = now_ns();
        if (run_until(&b, done_idle_open, o.timeout_s, "idle connections to be welcomed")) {
            fprintf(stderr, "bench_relay: %u of %u idle connections welcomed\n", b.idle_welcomed,
                    o.idle);
            goto out;
        }
        idle_ms = (now_ns() - t0) / 1000000u;
        rss_after = server_rss_kib(o.pid);
        have_idle = 1;
    }
    close_all(&b);
    if (o.idle)
        rss_closed = server_rss_kib(o.pid);
    if (b.failed)
        goto out;
    rc = 0;

out:
    if (snd_started) {
        /* Failure with the sender thread still running: it sees failed. */
        if (!atomic_exchange(&sh.failed, 1))
            wake_sender(&sh);
        pthread_join(snd_th, NULL);
    }
    if (rc && b.ctx)
        close_all(&b);

    /* ---- report ---- */
    printf("\nbench_relay: bilan-server %s:%d (pid %ld); bulk %u MiB per size, %u latency "
           "frames, relay window %u KiB\n",
           o.host, o.port, o.pid, o.bulk_mib, o.lat_frames, o.window_kib);
    printf("  both paths: one sender thread, one receiver thread (each relay side with its own "
           "lws context);\n  the relay adds the bilan-server process. %ld CPU core(s) online: "
           "relay bulk keeps 3 threads busy\n  (sender, receiver, server)%s. CPU = CPU time / "
           "wall time of the bulk run (100%% = one core).\n",
           ncpu, ncpu < 3 ? ", so they compete for the cores and their CPU shares add up to at "
           "most the core count" : "");
    printf("  %-26s %10s %9s %11s %9s %9s\n", "path", "frame", "MB/s", "frames/s", "p50 µs",
           "p99 µs");
    jout = json_object();
    jsizes = json_array();
    for (int i = 0; i < NSIZES; i++) {
        json_t *js = json_pack("{s:I,s:o}", "frame_bytes", (json_int_t)frame_sizes[i],
                               "baseline", fig_json(&base[i]));
        print_row("baseline TLS 1.3 (OpenSSL)", frame_sizes[i], &base[i]);
        printf("  %-26s %10s bulk CPU: sender %.0f%%, receiver %.0f%%\n", "", "",
               base[i].snd_cpu * 100, base[i].rcv_cpu * 100);
        json_object_set_new(js, "baseline_bulk_sender_cpu", json_real(base[i].snd_cpu));
        json_object_set_new(js, "baseline_bulk_receiver_cpu", json_real(base[i].rcv_cpu));
        if (have_relay) {
            double ratio = rel[i].mbps / base[i].mbps;
            print_row("relay via bilan-server", frame_sizes[i], &rel[i]);
            printf("  %-26s %10s bulk CPU: server %.0f%%, sender %.0f%%, receiver %.0f%% "
                   "(bench process %.0f%%)\n", "", "", rel[i].srv_cpu * 100,
                   rel[i].snd_cpu * 100, rel[i].rcv_cpu * 100, rel[i].own_cpu * 100);
            printf("  %-26s %10s %8.2fx %11s %+9.1f %+9.1f\n", "  relay vs baseline", "", ratio,
                   "", rel[i].p50_us - base[i].p50_us, rel[i].p99_us - base[i].p99_us);
            json_object_set_new(js, "relay", fig_json(&rel[i]));
            json_object_set_new(js, "relay_bulk_server_cpu", json_real(rel[i].srv_cpu));
            json_object_set_new(js, "relay_bulk_sender_cpu", json_real(rel[i].snd_cpu));
            json_object_set_new(js, "relay_bulk_receiver_cpu", json_real(rel[i].rcv_cpu));
            json_object_set_new(js, "relay_bulk_bench_cpu", json_real(rel[i].own_cpu));
            json_object_set_new(js, "throughput_ratio", json_real(ratio));
            json_object_set_new(js, "added_p50_us", json_real(rel[i].p50_us - base[i].p50_us));
            json_object_set_new(js, "added_p99_us", json_real(rel[i].p99_us - base[i].p99_us));
        }
        json_array_append_new(jsizes, js);
    }
    json_object_set_new(jout, "sizes", jsizes);
    if (have_idle) {
        double per = (double)(rss_after - rss_before) / (double)o.idle;
        printf("  idle connections: %u authenticated in %" PRIu64 " ms; server VmRSS %ld KiB "
               "-> %ld KiB: %.1f KiB per idle connection (%ld KiB right after closing)\n",
               o.idle, idle_ms, rss_before, rss_after, per, rss_closed);
        json_object_set_new(jout, "idle",
                            json_pack("{s:I,s:I,s:I,s:I,s:f,s:I}", "connections", (json_int_t)o.idle,
                                      "rss_before_kib", (json_int_t)rss_before, "rss_after_kib",
                                      (json_int_t)rss_after, "rss_closed_kib",
                                      (json_int_t)rss_closed, "kib_per_connection", per,
                                      "open_ms", (json_int_t)idle_ms));
    }
    json_object_set_new(jout, "cpus_online", json_integer(ncpu));
    json_object_set_new(jout, "ok", json_boolean(rc == 0));
    {
        char *s = json_dumps(jout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s)
            printf("BENCH_JSON %s\n", s);
        free(s);
    }
    json_decref(jout);
    fflush(stdout);

    if (b.ctx) {
        lws_sul_cancel(&b.tick);
        lws_context_destroy(b.ctx);
    }
    peer_free(&bs.snd);
    peer_free(&b.rcv);
    peer_free(&b.third);
    for (unsigned i = 0; b.idle && i < b.idle_n; i++)
        peer_free(&b.idle[i]);
    free(b.idle);
    free(b.run.lat);
    free(bs.txbuf);
    pthread_mutex_destroy(&sh.mu);
    for (int i = 0; i < 3; i++)
        bp_identity_wipe(&ids[i]);
    OPENSSL_cleanse(links, sizeof links);
    if (rc)
        fprintf(stderr, "bench_relay: FAILED\n");
    return rc;
}
