/* mux.c: the frame mux (see mux.h).
 *
 * Why one frame per call: net.c writes one message per WRITEABLE and asks
 * for the next one only once lws took it, so the mux never queues more
 * than one frame itself; the sources keep the rest (a file on disk, an
 * encoder's bounded queue). Why the serving order: audio must never wait
 * behind a file (the server serves its queues in the same order). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bp/e2e.h"
#include "e2e_room.h"
#include "mux.h"

#define SCRATCH_MAX BP_MAX_FRAME

void mux_init(struct mux *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->wake_mu, NULL);
    unsigned n;
    const struct bp_kind_info *k = bp_kinds(&n);
    for (unsigned i = 0; i < n; i++) {
        /* The table promises a unique stream below BP_STREAMS per kind. */
        if (k[i].stream == 0 || k[i].stream >= BP_STREAMS || m->lane[k[i].stream].info)
            continue;
        m->lane[k[i].stream].info = &k[i];
        m->order[m->nlanes++] = k[i].stream;
    }
}

void mux_free(struct mux *m)
{
    free(m->scratch);
    m->scratch = NULL;
    pthread_mutex_destroy(&m->wake_mu);
}

static struct mux_lane *lane_of(struct mux *m, unsigned kind)
{
    const struct bp_kind_info *k = bp_kind_info(kind);
    if (!k || k->stream >= BP_STREAMS || m->lane[k->stream].info != k)
        return NULL;
    return &m->lane[k->stream];
}

static const struct mux_lane *lane_of_c(const struct mux *m, unsigned kind)
{
    return lane_of((struct mux *)m, kind);
}

int mux_set_source(struct mux *m, unsigned kind, const struct mux_source *src, void *ctx)
{
    struct mux_lane *l = lane_of(m, kind);
    if (!l)
        return BP_E_INVALID_FIELD;
    l->src = src;
    l->src_ctx = ctx;
    l->maybe = src && !src->pending;
    return 0;
}

int mux_set_sink(struct mux *m, unsigned kind, const struct mux_sink *sink, void *ctx)
{
    struct mux_lane *l = lane_of(m, kind);
    if (!l)
        return BP_E_INVALID_FIELD;
    l->sink = sink;
    l->sink_ctx = ctx;
    return 0;
}

void mux_hold(struct mux *m, unsigned kind, int held)
{
    struct mux_lane *l = lane_of(m, kind);
    if (l)
        l->held = held;
}

int mux_held(const struct mux *m, unsigned kind)
{
    const struct mux_lane *l = lane_of_c(m, kind);
    return l && l->held;
}

uint32_t mux_seq(const struct mux *m, unsigned kind)
{
    const struct mux_lane *l = lane_of_c(m, kind);
    return l ? l->seq : 0;
}

int mux_ready(const struct mux *m)
{
    return !m->e2e || e2e_can_send(m->e2e);
}

static int lane_pending(const struct mux_lane *l)
{
    if (!l->src || l->held)
        return 0;
    return l->src->pending ? l->src->pending(l->src_ctx) > 0 : l->maybe;
}

int mux_pending(const struct mux *m)
{
    for (unsigned i = 0; i < m->nlanes; i++)
        if (lane_pending(&m->lane[m->order[i]]))
            return 1;
    return 0;
}

/* Pulls one frame of lane into buf: header then sealed payload. */
static int lane_next(struct mux *m, struct mux_lane *l, uint8_t *buf, size_t cap, uint64_t now_ms)
{
    uint8_t *pt;
    size_t ptcap;
    if (m->e2e) {
        if (cap < BP_HDR_LEN + BP_SFRAME_OVERHEAD)
            return 0;
        if (!m->scratch && !(m->scratch = malloc(SCRATCH_MAX)))
            return 0;
        pt = m->scratch;
        ptcap = cap - BP_HDR_LEN - BP_SFRAME_OVERHEAD;
        if (ptcap > SCRATCH_MAX)
            ptcap = SCRATCH_MAX;
    } else {
        pt = buf + BP_HDR_LEN;
        ptcap = cap - BP_HDR_LEN;
    }
    struct mux_meta meta = {0, 0, 0, 0};
    int n = l->src->next(l->src_ctx, pt, ptcap, &meta, now_ms);
    if (n <= 0 || (size_t)n > ptcap) {
        if (n == 0 && !l->src->pending)
            l->maybe = 0; /* drained until the next wake */
        return 0;
    }
    struct bp_hdr h = {
        .version = 1,
        .kind = l->info->kind,
        .flags = l->info->keyframes ? (uint8_t)(meta.flags & BP_FLAG_KEYFRAME) : 0,
        .slot = m->slot,
        .seq = l->seq++,
        .media_ts = meta.has_times || meta.media_ts ? meta.media_ts : (uint32_t)now_ms,
        .capture_ms = meta.has_times ? meta.capture_ms : (uint32_t)now_ms,
    };
    bp_hdr_encode(&h, buf);
    int total = BP_HDR_LEN + n;
    if (m->e2e) {
        total = e2e_seal(m->e2e, buf, pt, (size_t)n, buf, cap);
        OPENSSL_cleanse(pt, (size_t)n);
        if (total < 0)
            return total;
    }
    l->sent++;
    m->sent++;
    return total;
}

int mux_next(struct mux *m, uint8_t *buf, size_t cap, uint64_t now_ms)
{
    if (cap < BP_HDR_LEN || !mux_ready(m))
        return 0;
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (!l->src || l->held)
            continue;
        int n = lane_next(m, l, buf, cap, now_ms);
        if (n != 0)
            return n;
    }
    return 0;
}

void mux_receive(struct mux *m, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    if (m->e2e)
        e2e_open(m->e2e, buf, len, now_ms); /* comes back through mux_deliver */
    else
        mux_deliver(m, buf, len, now_ms);
}

int mux_deliver(struct mux *m, const uint8_t *frame, size_t len, uint64_t now_ms)
{
    struct bp_hdr h;
    const char *why;
    if (len < BP_HDR_LEN || bp_hdr_decode(frame, len, &h, &why))
        return 0;
    struct mux_lane *l = lane_of(m, h.kind);
    if (!l)
        return 0;
    if (!l->sink) {
        l->unsunk++;
        return 0;
    }
    l->received++;
    return l->sink->frame(l->sink_ctx, &h, frame + BP_HDR_LEN, len - BP_HDR_LEN, now_ms);
}

void mux_slot_taken(struct mux *m, uint8_t slot)
{
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->sink && l->sink->slot_taken)
            l->sink->slot_taken(l->sink_ctx, slot);
    }
}

void mux_slot_gone(struct mux *m, uint8_t slot, uint64_t now_ms)
{
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->sink && l->sink->slot_gone)
            l->sink->slot_gone(l->sink_ctx, slot, now_ms);
    }
}

void mux_tick(struct mux *m, uint64_t now_ms)
{
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->sink && l->sink->tick)
            l->sink->tick(l->sink_ctx, now_ms);
    }
}

void mux_stop(struct mux *m, const char *why)
{
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->sink && l->sink->stop)
            l->sink->stop(l->sink_ctx, why);
    }
    free(m->scratch); /* allocated again if a later visit sends */
    m->scratch = NULL;
}

void mux_set_waker(struct mux *m, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&m->wake_mu);
    m->wake_fn = fn;
    m->wake_ctx = ctx;
    pthread_mutex_unlock(&m->wake_mu);
    for (unsigned i = 0; fn && i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->src && !l->src->pending)
            l->maybe = 1;
    }
}

void mux_wake(void *mux)
{
    struct mux *m = mux;
    /* Under the lock: the loop thread may be removing the waker right now
     * (the connection ending), and fn must not run after that. */
    pthread_mutex_lock(&m->wake_mu);
    if (m->wake_fn)
        m->wake_fn(m->wake_ctx);
    pthread_mutex_unlock(&m->wake_mu);
}

void mux_poke(struct mux *m)
{
    m->wakes++;
    for (unsigned i = 0; i < m->nlanes; i++) {
        struct mux_lane *l = &m->lane[m->order[i]];
        if (l->src && !l->src->pending)
            l->maybe = 1;
    }
}
