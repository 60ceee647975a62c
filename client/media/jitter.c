/* jitter.c: the adaptive jitter buffer (see jitter.h for the model and why).
 * Pure logic: no clock, no I/O, no thread, no allocation after jitter_new.
 *
 * Invariants: every held frame has next <= ext < next + slots, so the ring
 * index ext % slots is unique among held frames; held == number of used
 * slots; the window holds min(arrivals, window) transit samples. */
#include "jitter.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bp/err.h"
#include "i18n.h"

struct jslot {
    int used;
    int64_t ext;      /* unwrapped seq */
    int64_t media_us; /* unwrapped media_ts in µs */
    uint32_t seq, media_ts;
    uint32_t len;
    uint8_t *data;    /* slot_bytes, inside jb->pool */
};

struct jitter {
    struct jitter_config cfg;
    struct jslot *ring;
    uint8_t *pool;
    int64_t *win;     /* transit samples (µs), a ring of cfg.window */
    uint32_t win_n, win_pos;

    int have_seq, have_ts, started, consumed;
    int64_t hi_seq, hi_ts; /* highest unwrapped seq / media_ts seen */
    int64_t next;          /* the next slot to play or release */
    uint32_t held;

    int64_t base_us;       /* smallest transit of the window */
    int64_t target_us;
    int64_t cur_us;
    int64_t play_media_us; /* audio: media time of slot next */
    int64_t vid_delay_us;  /* video: the delay due times use (see video_delay) */
    uint64_t last_skip_us;
    int have_prev_transit;
    int64_t prev_transit, jit16; /* RFC 3550 J, times 16 */

    struct jitter_stats st;
};

void jitter_config_audio(struct jitter_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ts_hz = 48000;
    cfg->frame_us = 20000;
    cfg->min_delay_us = 40000;
    cfg->max_delay_us = 400000;
    cfg->slots = 64;
    cfg->slot_bytes = 1500;
    cfg->window = 250;
    cfg->shrink_every_us = 500000;
}

void jitter_config_video(struct jitter_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ts_hz = 90000;
    cfg->frame_us = 0;
    cfg->min_delay_us = 40000;
    cfg->max_delay_us = 400000;
    cfg->slots = 32;
    cfg->slot_bytes = 256 * 1024;
    cfg->window = 150;
    cfg->shrink_every_us = 0;
}

int jitter_new(const struct jitter_config *cfg, struct jitter **out, const char **why)
{
    *out = NULL;
    const char *bad = NULL;
    if (cfg->ts_hz < 1000 || cfg->ts_hz > 1000000)
        bad = "ts_hz out of 1000..1000000";
    else if (cfg->frame_us > 1000000)
        bad = "frame_us over 1 s";
    else if (cfg->min_delay_us > cfg->max_delay_us || cfg->max_delay_us > 10000000)
        bad = "delays: min over max, or max over 10 s";
    else if (cfg->slots < 2 || cfg->slots > 4096)
        bad = "slots out of 2..4096";
    else if (cfg->slot_bytes < 1 || cfg->slot_bytes > (1u << 20))
        bad = "slot_bytes out of 1..1 MiB";
    else if (cfg->window < 8 || cfg->window > 4096)
        bad = "window out of 8..4096";
    if (bad) {
        if (why)
            *why = bad;
        return BP_E_INVALID_FIELD;
    }
    struct jitter *jb = calloc(1, sizeof(*jb));
    if (!jb)
        goto fail;
    jb->cfg = *cfg;
    jb->ring = calloc(cfg->slots, sizeof(*jb->ring));
    jb->pool = malloc((size_t)cfg->slots * cfg->slot_bytes);
    jb->win = calloc(cfg->window, sizeof(*jb->win));
    if (!jb->ring || !jb->pool || !jb->win)
        goto fail;
    for (uint32_t i = 0; i < cfg->slots; i++)
        jb->ring[i].data = jb->pool + (size_t)i * cfg->slot_bytes;
    jb->target_us = jb->vid_delay_us = cfg->min_delay_us;
    *out = jb;
    return 0;
fail:
    if (why)
        *why = _("mémoire insuffisante");
    jitter_free(jb);
    return BP_E_NOMEM;
}

void jitter_free(struct jitter *jb)
{
    if (!jb)
        return;
    free(jb->ring);
    free(jb->pool);
    free(jb->win);
    free(jb);
}

/* Unwraps a u32 against the highest value seen: within 2^31 either side. The
 * first value is put at 2^32 + v so that earlier ones stay positive. */
static int64_t unwrap(int *have, int64_t *hi, uint32_t v)
{
    if (!*have) {
        *have = 1;
        *hi = (int64_t)v + ((int64_t)1 << 32);
        return *hi;
    }
    int64_t ext = *hi + (int32_t)(v - (uint32_t)*hi);
    if (ext > *hi)
        *hi = ext;
    return ext;
}

static struct jslot *held_at(const struct jitter *jb, int64_t ext)
{
    struct jslot *s = &jb->ring[(uint64_t)ext % jb->cfg.slots];
    return s->used && s->ext == ext ? s : NULL;
}

static void slot_release(struct jitter *jb, struct jslot *s)
{
    assert(s->used && jb->held > 0);
    s->used = 0;
    jb->held--;
}

/* The oldest held frame, or NULL. */
static struct jslot *oldest(const struct jitter *jb)
{
    if (!jb->held)
        return NULL;
    for (uint32_t i = 0; i < jb->cfg.slots; i++) {
        struct jslot *s = held_at(jb, jb->next + i);
        if (s)
            return s;
    }
    assert(!"held frames outside [next, next + slots)");
    return NULL;
}

/* One arrival into the window: base = smallest transit, target = spread. */
static void window_add(struct jitter *jb, int64_t transit)
{
    jb->win[jb->win_pos] = transit;
    jb->win_pos = (jb->win_pos + 1) % jb->cfg.window;
    if (jb->win_n < jb->cfg.window)
        jb->win_n++;
    int64_t lo = jb->win[0], hi = jb->win[0];
    for (uint32_t i = 1; i < jb->win_n; i++) {
        if (jb->win[i] < lo)
            lo = jb->win[i];
        if (jb->win[i] > hi)
            hi = jb->win[i];
    }
    jb->base_us = lo;
    int64_t t = hi - lo;
    if (t < jb->cfg.min_delay_us)
        t = jb->cfg.min_delay_us;
    if (t > jb->cfg.max_delay_us)
        t = jb->cfg.max_delay_us;
    jb->target_us = t;
    if (jb->have_prev_transit) {
        int64_t d = transit - jb->prev_transit;
        if (d < 0)
            d = -d;
        jb->jit16 += d - (jb->jit16 + 8) / 16;
    }
    jb->have_prev_transit = 1;
    jb->prev_transit = transit;
}

/* Drops held frames below new_next (counted as overflow) and moves next. */
static void advance_to(struct jitter *jb, int64_t new_next)
{
    for (uint32_t i = 0; i < jb->cfg.slots; i++) {
        struct jslot *s = &jb->ring[i];
        if (s->used && s->ext < new_next) {
            slot_release(jb, s);
            jb->st.overflow++;
        }
    }
    if (jb->started && jb->cfg.frame_us)
        jb->play_media_us += (new_next - jb->next) * (int64_t)jb->cfg.frame_us;
    jb->next = new_next;
}

int jitter_push(struct jitter *jb, uint32_t seq, uint32_t media_ts, const void *payload,
                size_t len, uint64_t now_us)
{
    if (len > jb->cfg.slot_bytes) {
        jb->st.oversize++;
        return BP_E_TOO_LARGE;
    }
    int64_t ext = unwrap(&jb->have_seq, &jb->hi_seq, seq);
    int64_t ets = unwrap(&jb->have_ts, &jb->hi_ts, media_ts);
    int64_t media_us = ets * 1000000 / (int64_t)jb->cfg.ts_hz;
    if (jb->st.received + jb->st.late + jb->st.duplicate == 0)
        jb->next = ext;
    if (ext < jb->next) {
        /* Before anything was consumed an earlier frame only moves the start
         * back (reordering of the first frames), if the ring spans it. */
        if (!jb->consumed && jb->hi_seq - ext < jb->cfg.slots) {
            jb->next = ext;
        } else {
            jb->st.late++;
            window_add(jb, (int64_t)now_us - media_us);
            return JITTER_LATE;
        }
    }
    struct jslot *s = &jb->ring[(uint64_t)ext % jb->cfg.slots];
    if (s->used && s->ext == ext) {
        jb->st.duplicate++;
        return JITTER_DUPLICATE;
    }
    if (ext >= jb->next + jb->cfg.slots) {
        advance_to(jb, ext - jb->cfg.slots + 1);
        if (!jb->held) {
            /* Nothing left before it: a resync on this frame. */
            jb->next = ext;
            if (jb->started && jb->cfg.frame_us)
                jb->play_media_us = media_us;
        }
    }
    assert(!s->used);
    s->used = 1;
    s->ext = ext;
    s->media_us = media_us;
    s->seq = seq;
    s->media_ts = media_ts;
    s->len = (uint32_t)len;
    if (len)
        memcpy(s->data, payload, len);
    jb->held++;
    jb->st.received++;
    window_add(jb, (int64_t)now_us - media_us);
    return JITTER_STORED;
}

static void out_frame(struct jitter_out *out, enum jitter_kind kind, const struct jslot *s)
{
    out->kind = kind;
    out->media_ts = s->media_ts;
    out->payload = s->data;
    out->len = s->len;
}

int jitter_tick(struct jitter *jb, uint64_t now_us, struct jitter_out *out)
{
    memset(out, 0, sizeof(*out));
    if (!jb->cfg.frame_us)
        return BP_E_WRONG_STATE;
    const int64_t frame = jb->cfg.frame_us;
    if (!jb->started) {
        struct jslot *first = oldest(jb);
        if (!first)
            return 0;
        jb->cur_us = (int64_t)now_us - first->media_us - jb->base_us;
        if (jb->cur_us < jb->target_us)
            return 0;
        jb->started = 1;
        jb->next = first->ext;
        jb->play_media_us = first->media_us;
        jb->last_skip_us = now_us;
    }
    jb->cur_us = (int64_t)now_us - jb->play_media_us - jb->base_us;
    /* Empty: we cannot tell a loss from a gap in arrivals, so we wait (the
     * frames of a burst are then played, not declared lost). Below the
     * target by more than half a frame: the delay grows by a stall. The
     * half frame is the caller's tick jitter (a playout thread woken a few
     * ms late or early on a loaded machine): without it every early tick
     * stalled and the next skip took the frame back, a click twice a
     * second, measured. */
    if (!jb->held || jb->cur_us + frame / 2 < jb->target_us) {
        out->kind = JITTER_STALL;
        jb->st.stalls++;
        if (!jb->held)
            jb->st.stalls_empty++;
        return 0;
    }
    struct jslot *n = held_at(jb, jb->next);
    if (n && jb->cur_us >= jb->target_us + 2 * frame &&
        now_us - jb->last_skip_us >= jb->cfg.shrink_every_us && held_at(jb, jb->next + 1)) {
        slot_release(jb, n);
        jb->st.skipped++;
        jb->last_skip_us = now_us;
        jb->next++;
        jb->play_media_us += frame;
        jb->cur_us -= frame;
        n = held_at(jb, jb->next);
    }
    jb->consumed = 1;
    out->seq = (uint32_t)jb->next;
    if (n) {
        out_frame(out, JITTER_FRAME, n);
        jb->play_media_us = n->media_us; /* follows the sender's media clock */
        slot_release(jb, n);             /* data stays valid until the next call */
        jb->st.played++;
    } else {
        struct jslot *after = held_at(jb, jb->next + 1);
        out->kind = JITTER_LOST;
        if (after) {
            out_frame(out, JITTER_LOST, after);
            out->fec = 1;
            jb->st.lost_fec++;
        } else {
            jb->st.lost_plc++;
        }
    }
    jb->next++;
    jb->play_media_us += frame;
    return 0;
}

/* Video follows a larger target at once, and a smaller one by at most
 * VIDEO_SHRINK_US per released frame (about 6 % faster than real time at 30
 * frames/s): when a burst leaves the window, frames come out a little early
 * each, not all at once. */
#define VIDEO_SHRINK_US 2000
static int64_t video_delay(const struct jitter *jb)
{
    return jb->target_us > jb->vid_delay_us ? jb->target_us : jb->vid_delay_us;
}

int jitter_pop(struct jitter *jb, uint64_t now_us, struct jitter_out *out)
{
    memset(out, 0, sizeof(*out));
    if (jb->cfg.frame_us)
        return BP_E_WRONG_STATE;
    struct jslot *s = oldest(jb);
    int64_t delay = video_delay(jb);
    if (!s || s->media_us + jb->base_us + delay > (int64_t)now_us)
        return 0;
    jb->vid_delay_us = delay - jb->target_us > VIDEO_SHRINK_US ? delay - VIDEO_SHRINK_US
                                                                : jb->target_us;
    out_frame(out, JITTER_FRAME, s);
    out->seq = s->seq;
    out->lost_before = (uint32_t)(s->ext - jb->next);
    jb->st.lost_plc += out->lost_before;
    jb->st.played++;
    jb->cur_us = (int64_t)now_us - s->media_us - jb->base_us;
    jb->next = s->ext + 1;
    jb->started = jb->consumed = 1;
    slot_release(jb, s);
    return 0;
}

int jitter_next_due(const struct jitter *jb, uint64_t *due_us)
{
    const struct jslot *s = oldest(jb);
    if (!s)
        return 0;
    int64_t due = s->media_us + jb->base_us + (jb->cfg.frame_us ? jb->target_us : video_delay(jb));
    *due_us = due < 0 ? 0 : (uint64_t)due;
    return 1;
}

static uint32_t clamp_u32(int64_t v)
{
    return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void jitter_stats_get(const struct jitter *jb, struct jitter_stats *st)
{
    *st = jb->st;
    st->held = jb->held;
    st->current_delay_us = clamp_u32(jb->cur_us);
    st->target_delay_us = clamp_u32(jb->target_us);
    st->jitter_us = clamp_u32(jb->jit16 / 16);
}
