/* bench_load_net.c: bench_load's worker threads (see bench_load.h for the
 * threading): each one services its own lws client context and the two
 * members of each of its rooms: connection, hello, enrol (first time) or
 * auth, join; then the paced traffic of a call without codecs; then close.
 * Worker 0 also runs the setup: room 0's consultant creates every bilan and
 * hands out its beneficiary invite.
 *
 * Traffic of each member (PROTOCOL.md §4, proto/bp/media.h):
 *   audio  50 frames/s, kind 1, LOAD_AUDIO_BYTES of payload;
 *   video  30 frames/s of LOAD_VIDEO_FRAME_BYTES, each cut in chunks of at
 *          most BP_VCHUNK_DATA_MAX bytes behind the 12-byte chunk header,
 *          each chunk its own binary message, kind 2.
 * The payload is opaque to the server (no SFrame here); it carries the send
 * time (CLOCK_MONOTONIC ns, taken just before lws_write): at offset 0 for
 * audio, at the start of the chunk data (offset 12) for video. The receiver
 * in the same process subtracts it from its receive time: relay latency.
 * Frames are due on a fixed schedule per member (staggered start); the gap
 * between a frame's due time and its write is the send lag, which says
 * whether the generator (or the socket) kept up.
 *
 * Owns the connections and the throwaway identities' use. Never prints
 * tokens or keys. Waits are lws_service rounds; no sleeps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench_common.h"
#include "bench_load.h"
#include "bp/media.h"

#define TICK_US 2000
#define TICK_EARLY_US 1200
#define RX_KEEP 64               /* bytes of a binary message kept: header, stamps */
#define HANDSHAKES_PER_WORKER 48 /* connections signing in at once, per worker */

void load_fail(struct ctl *c, const char *fmt, ...)
{
    va_list ap;
    if (atomic_exchange(&c->failed, 1))
        return; /* the first cause is the one worth reading */
    fprintf(stderr, "bench_load: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_lock(&c->mu);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void sample(struct samples *s, int which, uint64_t ns)
{
    if (s->n[which] == s->cap[which]) {
        size_t nc = s->cap[which] ? s->cap[which] * 2 : 65536;
        uint32_t *nv = realloc(s->v[which], nc * sizeof *nv);
        if (!nv)
            return; /* a missing sample is better than a crash */
        s->v[which] = nv;
        s->cap[which] = nc;
    }
    uint64_t us = ns / 1000;
    s->v[which][s->n[which]++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int send_json(struct peer *p, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s || p->qn == LOAD_TXQ || !p->wsi) {
        free(s);
        load_fail(p->w->c, "cannot queue a control message");
        return -1;
    }
    size_t n = strlen(s);
    struct txmsg *m = &p->q[(p->qh + p->qn) % LOAD_TXQ];
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

static void drop_queue(struct peer *p)
{
    for (; p->qn; p->qn--, p->qh = (p->qh + 1) % LOAD_TXQ) {
        free(p->q[p->qh].buf);
        p->q[p->qh].buf = NULL;
    }
}

static void peer_connect(struct worker *w, struct peer *p)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = w->ctx;
    ci.address = w->c->o->host;
    ci.port = w->c->o->port;
    ci.path = BP_WS_PATH;
    ci.host = ci.origin = w->c->o->host;
    ci.protocol = BP_SUBPROTOCOL;
    ci.local_protocol_name = "load";
    /* Loopback bench: the development certificate is self-signed. */
    ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                        LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
    ci.opaque_user_data = p;
    ci.pwsi = &p->wsi;
    p->w = w;
    p->st = P_CONNECTING;
    p->closing = p->others = 0;
    p->rx_len = p->rx_total = 0;
    if (!lws_client_connect_via_info(&ci)) {
        p->wsi = NULL;
        p->st = P_CLOSED;
        load_fail(w->c, "cannot start a connection to %s:%d", ci.address, ci.port);
    }
}

static void peer_close(struct peer *p)
{
    if (p->wsi && !p->closing) {
        p->closing = 1;
        lws_callback_on_writable(p->wsi);
    }
}

static int prove(struct peer *p, const json_t *root)
{
    uint8_t nonce[BP_NONCE_LEN], msg[BP_AUTH_MSG_MAX], sig[BP_SIG_LEN], fp[BP_FP_LEN];
    char sig_b[BP_B64_64 + 1], a[BP_B64_32 + 1], d[BP_B64_32 + 1], t[BP_B64_32 + 1];
    const uint8_t *tok = p->enrolled ? NULL : p->token;
    if (bp_b64_decode_exact(bp_str(root, "nonce", ""), nonce, sizeof nonce) < 0) {
        load_fail(p->w->c, "challenge nonce does not decode");
        return -1;
    }
    int n = bp_auth_message(nonce, p->id.sign_pub, p->id.dh_pub, tok, tok ? BP_TOKEN_LEN : 0, msg);
    if (n < 0 || bp_ed25519_sign(p->id.sign_priv, msg, (size_t)n, sig)) {
        load_fail(p->w->c, "signing failed");
        return -1;
    }
    bp_b64_encode(sig, sizeof sig, sig_b);
    p->st = P_PROVING;
    if (tok) {
        bp_b64_encode(tok, BP_TOKEN_LEN, t);
        bp_b64_encode(p->id.sign_pub, BP_KEY_LEN, a);
        bp_b64_encode(p->id.dh_pub, BP_KEY_LEN, d);
        return send_json(p, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "enrol", "token", t,
                                      "sign_pub", a, "dh_pub", d, "sig", sig_b, "device_name",
                                      "bench-load"));
    }
    if (bp_fingerprint(p->id.sign_pub, p->id.dh_pub, fp))
        return -1;
    bp_b64_encode(fp, sizeof fp, a);
    return send_json(p, json_pack("{s:s,s:s,s:s}", "type", "auth", "device", a, "sig", sig_b));
}

static void create_next_bilan(struct peer *p)
{
    char label[32];
    snprintf(label, sizeof label, "load %u", p->w->created);
    send_json(p, json_pack("{s:s,s:s}", "type", "bilan_create", "label", label));
}

static void on_text(struct worker *w, struct peer *p)
{
    enum bp_type type;
    json_t *root = NULL;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    if (bp_msg_parse((const char *)p->rx, p->rx_len, BP_TO_CLIENT, &type, &root, &e, ref)) {
        atomic_fetch_add(&w->other_text, 1); /* e.g. a message newer than this proto/ */
        return;
    }
    switch (type) {
    case BP_T_CHALLENGE:
        prove(p, root);
        break;
    case BP_T_WELCOME:
        p->st = P_WELCOMED;
        p->enrolled = 1;
        if (p->creator) {
            create_next_bilan(p);
        } else {
            p->st = P_JOINING;
            send_json(p, json_pack("{s:s,s:s}", "type", "join", "bilan", p->room->bilan));
        }
        break;
    case BP_T_BILAN_CREATED: {
        struct room *r = &w->c->rooms[w->created];
        snprintf(r->bilan, sizeof r->bilan, "%s", bp_str(root, "bilan", ""));
        if (!r->bilan[0] || bp_b64_decode_exact(bp_str(root, "invite_token", ""), r->p[1].token,
                                                BP_TOKEN_LEN) < 0) {
            load_fail(w->c, "bilan_created without a bilan or an invite token");
            break;
        }
        if (++w->created < w->c->nrooms)
            create_next_bilan(p);
        else
            peer_close(p);
        break;
    }
    case BP_T_JOINED:
        p->st = P_IN_ROOM;
        p->others = json_array_size(json_object_get(root, "members")) >= 2;
        break;
    case BP_T_MEMBER_JOINED:
        p->others = 1;
        break;
    case BP_T_STATS_REPLY: /* the server's count for this connection (one level) */
        atomic_fetch_add(&w->dropped_video, (unsigned long long)bp_int(root, "dropped_video", 0));
        w->stats_replies++;
        break;
    case BP_T_MEMBER_LEFT:
        p->others = 0;
        if (w->cmd == CMD_RUN || w->cmd == CMD_STATS)
            load_fail(w->c, "a member left its room during the run (reason %s)",
                      bp_str(root, "reason", "?"));
        break;
    case BP_T_ERROR:
        if (json_is_true(json_object_get(root, "fatal")) ||
            (w->cmd != CMD_RUN && w->cmd != CMD_STATS))
            load_fail(w->c, "server error %s: %s%s", bp_str(root, "code", "?"),
                      bp_str(root, "message", ""),
                      json_is_true(json_object_get(root, "fatal")) ? " (fatal)" : "");
        else
            atomic_fetch_add(&w->other_text, 1);
        break;
    default: /* keyframe_request (video dropped for a receiver), hours_update... */
        atomic_fetch_add(&w->other_text, 1);
        break;
    }
    json_decref(root);
}

static void on_binary(struct worker *w, struct peer *p)
{
    struct bp_hdr h;
    const char *why = "";
    uint64_t t = bench_now_ns();
    if (p->rx_len < BP_HDR_LEN + BP_VCHUNK_HDR + 8 ||
        bp_hdr_decode(p->rx, p->rx_len, &h, &why) < 0 ||
        (h.kind != BP_KIND_AUDIO && h.kind != BP_KIND_VIDEO)) {
        load_fail(w->c, "relayed frame is not one the bench sent (%s)", why);
        return;
    }
    int k = h.kind == BP_KIND_AUDIO ? LK_AUDIO : LK_VIDEO;
    uint64_t sent = get64(p->rx + BP_HDR_LEN + (k == LK_AUDIO ? 0 : BP_VCHUNK_HDR));
    if (sent >= w->c->w0 && sent < w->c->w1) {
        atomic_fetch_add_explicit(&w->rcvd[k], 1, memory_order_relaxed);
        sample(&w->s, k, t - sent);
    }
}

static void on_rx(struct worker *w, struct peer *p, struct lws *wsi, const uint8_t *in, size_t len)
{
    if (!p->rx_total)
        p->rx_binary = lws_frame_is_binary(wsi);
    size_t cap = p->rx_binary ? RX_KEEP : BP_MAX_CTRL;
    if (!p->rx_binary && p->rx_len + len > cap) {
        load_fail(w->c, "server sent a text message over 64 KiB");
        return;
    }
    size_t keep = p->rx_len < cap ? cap - p->rx_len : 0;
    if (keep > len)
        keep = len;
    memcpy(p->rx + p->rx_len, in, keep);
    p->rx_len += keep;
    p->rx_total += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    if (p->rx_binary)
        on_binary(w, p);
    else
        on_text(w, p);
    p->rx_len = p->rx_total = 0;
}

/* Writes one due frame (audio first, as a client's writer does). */
static int write_frame(struct worker *w, struct peer *p, uint64_t now)
{
    static const unsigned nchunks = (LOAD_VIDEO_FRAME_BYTES + BP_VCHUNK_DATA_MAX - 1) /
                                    BP_VCHUNK_DATA_MAX;
    uint8_t *f = w->txbuf + LWS_PRE, *pl = f + BP_HDR_LEN;
    int k = p->a_due ? LK_AUDIO : LK_VIDEO;
    struct bp_hdr h = {BP_PROTOCOL_VERSION, k == LK_AUDIO ? BP_KIND_AUDIO : BP_KIND_VIDEO, 0, 0,
                       p->seq[k]++, 0, (uint32_t)(now / 1000000u)};
    uint64_t due;
    size_t len;
    if (k == LK_AUDIO) {
        due = p->next_a - (uint64_t)p->a_due * LOAD_AUDIO_NS;
        h.media_ts = p->seq[k] * BP_AUDIO_BLOCK;
        memset(pl, 0x3c, LOAD_AUDIO_BYTES);
        put64(pl, now);
        len = LOAD_AUDIO_BYTES;
        p->a_due--;
    } else {
        unsigned left = (p->v_due + nchunks - 1) / nchunks; /* frames due, this one included */
        unsigned index = (nchunks - p->v_due % nchunks) % nchunks;
        struct bp_vchunk c = {p->vframe, p->vframe, (uint16_t)index, (uint16_t)nchunks, NULL, 0};
        size_t off = (size_t)index * BP_VCHUNK_DATA_MAX;
        c.len = LOAD_VIDEO_FRAME_BYTES - off < BP_VCHUNK_DATA_MAX ? LOAD_VIDEO_FRAME_BYTES - off
                                                                   : BP_VCHUNK_DATA_MAX;
        due = p->next_v - (uint64_t)left * LOAD_VIDEO_NS;
        h.media_ts = p->vframe * (BP_VIDEO_HZ / 30);
        bp_vchunk_encode_hdr(&c, pl);
        memset(pl + BP_VCHUNK_HDR, 0xc3, c.len);
        put64(pl + BP_VCHUNK_HDR, now);
        len = BP_VCHUNK_HDR + c.len;
        if (index == nchunks - 1)
            p->vframe++;
        p->v_due--;
    }
    bp_hdr_encode(&h, f);
    if (lws_write(p->wsi, f, BP_HDR_LEN + len, LWS_WRITE_BINARY) < (int)(BP_HDR_LEN + len)) {
        load_fail(w->c, "lws_write failed");
        return -1;
    }
    if (now >= w->c->w0 && now < w->c->w1) {
        atomic_fetch_add_explicit(&w->sent[k], 1, memory_order_relaxed);
        sample(&w->s, LK_N, now > due ? now - due : 0);
    }
    return 0;
}

static int on_writeable(struct worker *w, struct peer *p, struct lws *wsi)
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
        p->qh = (p->qh + 1) % LOAD_TXQ;
        p->qn--;
        if (n < 0) {
            load_fail(w->c, "lws_write failed");
            return -1;
        }
    } else {
        /* A burst while the socket takes it: one message per callback would
         * cost a poll round per frame. */
        for (int burst = 0; (p->a_due || p->v_due) && burst < 16; burst++) {
            if (burst && lws_send_pipe_choked(wsi))
                break;
            if (write_frame(w, p, bench_now_ns()))
                return -1;
        }
    }
    if (p->qn || p->a_due || p->v_due)
        lws_callback_on_writable(wsi);
    return 0;
}

static int load_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    struct peer *p = lws_get_opaque_user_data(wsi);
    struct worker *w = p ? p->w : NULL;
    (void)user;
    if (!p)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        load_fail(w->c, "connection failed: %s", in ? (const char *)in : "(no reason)");
        p->wsi = NULL;
        p->st = P_CLOSED;
        drop_queue(p);
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        p->st = P_HELLO;
        send_json(p, json_pack("{s:s,s:i,s:s}", "type", "hello", "v", BP_PROTOCOL_VERSION,
                               "client", "bench_load"));
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_rx(w, p, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(w, p, wsi);
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!p->closing && w->cmd != CMD_CLOSE)
            load_fail(w->c, "the server closed a connection (a member cut as too slow?)");
        p->wsi = NULL;
        p->st = P_CLOSED;
        drop_queue(p);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"load", load_cb, 0, 16384, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

/* The lws timer only bounds lws_service's poll; see pace(). */
static void tick_cb(lws_sorted_usec_list_t *sul)
{
    struct worker *w = lws_container_of(sul, struct worker, tick);
    lws_sul_schedule(w->ctx, 0, &w->tick, tick_cb, TICK_US);
}

/* Frames come due on each member's schedule. Run from the worker's loop
 * when the next tick is less than TICK_EARLY_US away, not from the lws timer
 * itself: lws 4.1 polls with the timer's remaining time rounded down to
 * whole ms, so the last ms before a timer is spent polling with timeout 0
 * (a busy loop that would make the generator look saturated). The timer
 * (re-armed here, never reached) only bounds the poll. Frames due within
 * the next TICK_EARLY_US go now: at most that early, never late by a tick. */
static void pace(struct worker *w)
{
    uint64_t now = bench_now_ns();
    if (now + TICK_EARLY_US * 1000u < w->next_tick)
        return;
    w->next_tick = now + TICK_US * 1000u;
    lws_sul_schedule(w->ctx, 0, &w->tick, tick_cb, TICK_US);
    if (w->cmd != CMD_RUN)
        return;
    uint64_t horizon = now + TICK_EARLY_US * 1000u, stop = w->c->w1;
    for (unsigned i = 0; i < w->npeers; i++) {
        struct peer *p = w->peers[i];
        unsigned before = p->a_due + p->v_due;
        for (; p->next_a <= horizon && p->next_a < stop; p->next_a += LOAD_AUDIO_NS)
            p->a_due++;
        for (; p->next_v <= horizon && p->next_v < stop; p->next_v += LOAD_VIDEO_NS)
            p->v_due += (LOAD_VIDEO_FRAME_BYTES + BP_VCHUNK_DATA_MAX - 1) / BP_VCHUNK_DATA_MAX;
        if (p->wsi && p->a_due + p->v_due != before)
            lws_callback_on_writable(p->wsi);
    }
}

int load_worker_init(struct worker *w, struct ctl *c, unsigned idx, unsigned fds)
{
    struct lws_context_creation_info info;
    memset(w, 0, sizeof *w);
    w->c = c;
    w->idx = idx;
    w->txbuf = malloc(LWS_PRE + BP_HDR_LEN + BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX);
    w->peers = calloc(2 * LOAD_MAX_ROOMS, sizeof *w->peers);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.fd_limit_per_thread = fds;
    info.user = w;
    if (!w->txbuf || !w->peers || !(w->ctx = lws_create_context(&info)))
        return -1;
    lws_sul_schedule(w->ctx, 0, &w->tick, tick_cb, TICK_US);
    return 0;
}

void load_worker_free(struct worker *w)
{
    if (w->ctx) {
        lws_sul_cancel(&w->tick);
        lws_context_destroy(w->ctx);
    }
    for (int k = 0; k <= LK_N; k++)
        free(w->s.v[k]);
    free(w->txbuf);
    free(w->peers);
}

/* Takes a new command (called with c->mu held). */
static void start_cmd(struct worker *w)
{
    struct ctl *c = w->c;
    w->cmd = c->cmd;
    switch (w->cmd) {
    case CMD_SETUP:
        w->created = 0;
        if (w->idx == 0) {
            c->rooms[0].p[0].creator = 1;
            peer_connect(w, &c->rooms[0].p[0]);
        }
        break;
    case CMD_CONNECT:
        w->npeers = w->launched = 0;
        for (unsigned r = w->idx; r < c->nrooms; r += c->nworkers)
            for (int s = 0; s < 2; s++) {
                struct peer *p = &c->rooms[r].p[s];
                p->creator = 0;
                p->w = w;
                w->peers[w->npeers++] = p;
            }
        for (int k = 0; k <= LK_N; k++)
            w->s.n[k] = 0;
        break;
    case CMD_RUN:
        for (unsigned i = 0; i < w->npeers; i++) {
            struct peer *p = w->peers[i];
            /* Staggered over a period, as independent clients would be. */
            uint64_t spread = ((uint64_t)(i + w->idx * 7919u) * 2654435761u) % 1000u;
            p->next_a = c->t_start + spread * LOAD_AUDIO_NS / 1000;
            p->next_v = c->t_start + spread * LOAD_VIDEO_NS / 1000;
            p->a_due = p->v_due = 0;
        }
        break;
    case CMD_STATS:
        w->stats_replies = 0;
        for (unsigned i = 0; i < w->npeers; i++)
            send_json(w->peers[i], json_pack("{s:s}", "type", "stats"));
        break;
    case CMD_CLOSE:
        for (unsigned i = 0; i < w->npeers; i++)
            peer_close(w->peers[i]);
        if (w->idx == 0)
            peer_close(&c->rooms[0].p[0]);
        break;
    default:
        break;
    }
}

static int cmd_done(struct worker *w)
{
    switch (w->cmd) {
    case CMD_SETUP:
        return w->idx != 0 || (w->created == w->c->nrooms && !w->c->rooms[0].p[0].wsi);
    case CMD_CONNECT: {
        unsigned ready = 0, signing = 0;
        for (unsigned i = 0; i < w->launched; i++) {
            struct peer *p = w->peers[i];
            signing += p->st < P_WELCOMED;
            ready += p->st == P_IN_ROOM && p->others;
        }
        /* A bounded number of connections signing in at once (the server
         * caps strangers per address). */
        while (w->launched < w->npeers && signing < HANDSHAKES_PER_WORKER) {
            peer_connect(w, w->peers[w->launched++]);
            signing++;
        }
        return ready == w->npeers;
    }
    case CMD_STATS:
        return w->stats_replies == w->npeers;
    case CMD_CLOSE:
        for (unsigned i = 0; i < w->npeers; i++)
            if (w->peers[i]->wsi)
                return 0;
        return !w->c->rooms[0].p[0].wsi;
    default:
        return 1;
    }
}

void *load_worker_main(void *arg)
{
    struct worker *w = arg;
    struct ctl *c = w->c;
    for (;;) {
        int done;
        pthread_mutex_lock(&c->mu);
        if (c->gen != w->seen) {
            w->seen = c->gen;
            start_cmd(w);
        }
        pthread_mutex_unlock(&c->mu);
        if (w->cmd == CMD_QUIT)
            break;
        done = w->done_gen != w->seen && cmd_done(w);
        if (done) {
            pthread_mutex_lock(&c->mu);
            w->done_gen = w->seen;
            pthread_cond_broadcast(&c->cv);
            pthread_mutex_unlock(&c->mu);
        }
        pace(w);
        if (lws_service(w->ctx, 0) < 0) {
            load_fail(c, "lws_service failed");
            break;
        }
    }
    return NULL;
}
