/* call_recv.c: the receive half of a call (call_recv.h): its life cycle,
 * the loop's mux sinks (check, copy, queue, return), the bounded queue and
 * the playout thread that drains it on a 20-ms audio clock. The audio path
 * is call_recv_audio.c, the video path call_recv_video.c, the figures
 * call_recv_stats.c (call_recv_int.h says who calls whom).
 *
 * Must never: decode, scale or write a file on the loop thread; block the
 * loop thread longer than a queue append; grow the queue past
 * CR_QUEUE_ITEMS items or CR_QUEUE_BYTES bytes. */
#include "asink_sdl.h"
#include "call_recv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp/err.h"
#include "bp/media.h"
#include "call_recv_int.h"
#include "i18n.h"

int call_recv_new(struct call_recv **out, const struct call_recv_config *cfg, char *why,
                  size_t why_cap)
{
    *out = NULL;
    struct call_recv *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    r->video_slot = r->audio_slot = -1;
    r->width = cfg->width > 0 ? cfg->width : 640;
    r->height = cfg->height > 0 ? cfg->height : 480;
    r->fps = cfg->fps > 0 ? cfg->fps : 30;
    r->aec = cfg->aec;
    pthread_mutex_init(&r->q.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are monotonic */
    pthread_cond_init(&r->q.cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->state_mu, NULL);
    for (unsigned i = 0; i < BP_MAX_MEMBERS; i++)
        vmailbox_init(&r->boxes[i]);
    r->gone = json_array();
    int rc = BP_E_NOMEM;
    const char *swhy = _("mémoire insuffisante");
    struct vasm_config vc;
    vasm_config_default(&vc, BP_MAX_MEMBERS);
    r->scratch = malloc(CR_VIDEO_SLOT_BYTES);
    if (!r->scratch || (rc = vasm_new(&vc, &r->vasm, &swhy)) != 0) {
        snprintf(why, why_cap, _("réception : %s"), swhy);
        goto fail;
    }
    if (cfg->video_out) {
        r->video_out = strdup(cfg->video_out);
        rc = vsink_y4m_open(&r->y4m, cfg->video_out, r->width, r->height, r->fps, 1, why, why_cap);
        if (!r->video_out || rc != 0)
            goto fail;
    }
    if (cfg->audio_out) {
        r->audio_out = strdup(cfg->audio_out);
        if (!r->audio_out)
            goto fail;
        if (asink_sdl_spec(cfg->audio_out, &(const char *){NULL})) {
            r->speaker = 1;
            if ((rc = cr_speaker_open(r, why, why_cap)) != 0)
                goto fail;
        } else if ((rc = asink_wav_open(&r->wav, cfg->audio_out, &swhy)) != 0) {
            snprintf(why, why_cap, _("%s : impossible d'écrire le son : %s"), cfg->audio_out, swhy);
            goto fail;
        }
    }
    *out = r;
    return 0;
fail:
    call_recv_free(r);
    if (rc == 0) { /* a copy of a path failed */
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        rc = BP_E_NOMEM;
    }
    return rc;
}

/* Resets one sender's state (playout thread, state_mu held). */
static void slot_reset(struct call_recv *r, unsigned slot)
{
    struct cr_slot *s = &r->slot[slot];
    /* Its figures outlive it: a call's stats tell about everyone heard. */
    if (s->seen && r->gone && json_array_size(r->gone) < CR_GONE_MAX) {
        json_t *j = cr_slot_json(r, slot);
        if (j) {
            json_object_set_new(j, "left", json_true());
            json_array_append_new(r->gone, j);
        }
    }
    cr_audio_reset(&s->a);
    cr_video_reset(&s->v);
    avsync_free(s->av);
    memset(s, 0, sizeof *s);
    vasm_reset(r->vasm, slot);
    vmailbox_clear(&r->boxes[slot]); /* a window shows no picture of a sender that left */
}

static void process(struct call_recv *r, struct cr_item *it)
{
    if (it->reset) {
        slot_reset(r, it->h.slot);
        return;
    }
    struct cr_slot *s = &r->slot[it->h.slot];
    s->seen = 1;
    if (!s->av) { /* lip sync of this sender; without it video plays on its own clock */
        struct avsync_config ac;
        const char *why = NULL;
        avsync_config_default(&ac);
        if (avsync_new(&ac, &s->av, &why) != 0)
            s->av = NULL;
    }
    if (it->h.kind == BP_KIND_AUDIO)
        cr_audio_arrive(r, it);
    else
        cr_video_arrive(r, it);
}

static void announce_wants(struct call_recv *r)
{
    if (r->wake_pending && r->wake)
        r->wake(r->wake_ctx);
    r->wake_pending = 0;
}

static void *playout_main(void *arg)
{
    struct call_recv *r = arg;
    uint64_t next_tick = cr_now_us() + CR_TICK_US;
    pthread_mutex_lock(&r->q.mu);
    while (!r->q.stop) {
        struct cr_item *batch = r->q.head;
        r->q.head = r->q.tail = NULL;
        r->q.items = 0;
        r->q.bytes = 0;
        pthread_mutex_unlock(&r->q.mu);

        pthread_mutex_lock(&r->state_mu);
        while (batch) {
            struct cr_item *next = batch->next;
            process(r, batch);
            free(batch);
            batch = next;
        }
        uint64_t now = cr_now_us();
        if (now >= next_tick) {
            cr_audio_tick(r, now);
            next_tick += CR_TICK_US;
            if (now > next_tick + CR_BEHIND_US) /* suspended: no burst of catch-up ticks */
                next_tick = now + CR_TICK_US;
        }
        uint64_t deadline = next_tick;
        cr_video_poll(r, now, &deadline);
        int woke = r->wake_pending;
        pthread_mutex_unlock(&r->state_mu);
        if (woke) /* outside our locks: the waker takes the mux's */
            announce_wants(r);

        pthread_mutex_lock(&r->q.mu);
        if (!r->q.head && !r->q.stop && deadline > cr_now_us()) {
            struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000),
                                  .tv_nsec = (long)(deadline % 1000000) * 1000};
            int rc = pthread_cond_timedwait(&r->q.cv, &r->q.mu, &ts);
            (void)rc; /* woken, timed out or spurious: the loop looks again */
        }
    }
    pthread_mutex_unlock(&r->q.mu);
    return NULL;
}

int call_recv_start(struct call_recv *r, void (*wake)(void *ctx), void *wake_ctx)
{
    if (r->running)
        return BP_E_WRONG_STATE;
    r->wake = wake;
    r->wake_ctx = wake_ctx;
    r->t0_us = cr_now_us();
    r->q.stop = 0;
    if (pthread_create(&r->thread, NULL, playout_main, r) != 0)
        return BP_E_INTERNAL;
    r->running = 1;
    return 0;
}

static void queue_clear(struct cr_queue *q)
{
    while (q->head) {
        struct cr_item *n = q->head->next;
        free(q->head);
        q->head = n;
    }
    q->tail = NULL;
    q->items = 0;
    q->bytes = 0;
}

int call_recv_stop(struct call_recv *r, char *why, size_t why_cap)
{
    if (r->running) {
        pthread_mutex_lock(&r->q.mu);
        r->q.stop = 1;
        pthread_cond_signal(&r->q.cv);
        pthread_mutex_unlock(&r->q.mu);
        pthread_join(r->thread, NULL);
        r->running = 0;
        pthread_mutex_lock(&r->state_mu);
        cr_video_flush(r, cr_now_us());
        pthread_mutex_unlock(&r->state_mu);
    }
    pthread_mutex_lock(&r->q.mu);
    queue_clear(&r->q);
    pthread_mutex_unlock(&r->q.mu);
    pthread_mutex_lock(&r->state_mu);
    char vwhy[256] = "";
    const char *awhy = NULL;
    int rc = r->sink_rc;
    if (rc && why)
        snprintf(why, why_cap, "%s", r->sink_err);
    if (r->y4m) {
        int c = vsink_y4m_close(r->y4m, vwhy, sizeof vwhy);
        r->y4m = NULL;
        if (c && !rc) {
            rc = c;
            if (why)
                snprintf(why, why_cap, "%s", vwhy);
        }
    }
    if (r->wav) {
        int c = asink_wav_close(r->wav, &awhy);
        r->wav = NULL;
        if (c && !rc) {
            rc = c;
            if (why)
                snprintf(why, why_cap, _("%s : fichier son incomplet : %s"), r->audio_out, awhy);
        }
    }
    cr_speaker_close(r);
    pthread_mutex_unlock(&r->state_mu);
    return rc;
}

void call_recv_free(struct call_recv *r)
{
    if (!r)
        return;
    call_recv_stop(r, NULL, 0);
    for (unsigned i = 0; i < BP_MAX_MEMBERS; i++) {
        cr_audio_reset(&r->slot[i].a);
        cr_video_reset(&r->slot[i].v);
        avsync_free(r->slot[i].av);
        vmailbox_destroy(&r->boxes[i]);
    }
    vasm_free(r->vasm);
    json_decref(r->gone);
    free(r->scratch);
    free(r->video_out);
    free(r->audio_out);
    pthread_cond_destroy(&r->q.cv);
    pthread_mutex_destroy(&r->q.mu);
    pthread_mutex_destroy(&r->state_mu);
    free(r);
}

/* Appends an item; 0 when the queue is full (counted). */
static int enqueue(struct call_recv *r, struct cr_item *it)
{
    struct cr_queue *q = &r->q;
    pthread_mutex_lock(&q->mu);
    if (!it->reset && (q->items >= CR_QUEUE_ITEMS || q->bytes + it->len > CR_QUEUE_BYTES)) {
        q->queue_full++;
        pthread_mutex_unlock(&q->mu);
        free(it);
        return 0;
    }
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->items++;
    q->bytes += it->len;
    q->queued += it->reset ? 0 : 1;
    if (q->items > q->peak_items)
        q->peak_items = q->items;
    if (q->bytes > q->peak_bytes)
        q->peak_bytes = q->bytes;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

static int sink_frame(void *ctx, const struct bp_hdr *h, const uint8_t *payload, size_t len,
                      uint64_t now_ms)
{
    (void)now_ms; /* the playout thread's clock is CLOCK_MONOTONIC µs */
    struct call_recv *r = ctx;
    const char *why = NULL;
    struct bp_vchunk c;
    int ok = h->slot < BP_MAX_MEMBERS &&
             (h->kind == BP_KIND_AUDIO   ? bp_audio_check(len, &why) == 0
              : h->kind == BP_KIND_VIDEO ? bp_vchunk_decode(payload, len, &c, &why) == 0
                                         : 0);
    if (!ok) {
        pthread_mutex_lock(&r->q.mu);
        if (h->kind == BP_KIND_AUDIO)
            r->q.malformed_audio++;
        else
            r->q.malformed_video++;
        pthread_mutex_unlock(&r->q.mu);
        return 0;
    }
    struct cr_item *it = malloc(sizeof *it + len);
    if (!it) {
        pthread_mutex_lock(&r->q.mu);
        r->q.nomem++;
        pthread_mutex_unlock(&r->q.mu);
        return 0;
    }
    it->h = *h;
    it->arrival_us = cr_now_us();
    it->reset = 0;
    it->len = len;
    memcpy(it->data, payload, len);
    return enqueue(r, it);
}

static void sink_slot_gone(void *ctx, uint8_t slot, uint64_t now_ms)
{
    (void)now_ms;
    struct call_recv *r = ctx;
    if (slot >= BP_MAX_MEMBERS)
        return;
    struct cr_item *it = calloc(1, sizeof *it);
    if (!it)
        return; /* the next frames of a rejoin then look like a gap: a keyframe is asked */
    it->h.slot = slot;
    it->reset = 1;
    enqueue(r, it);
}

/* Both kinds reset the sender (a departure then queues two resets: they are
 * idempotent, and a glue that sets one sink only still gets it). */
const struct mux_sink call_recv_audio_sink = {.frame = sink_frame, .slot_gone = sink_slot_gone};
const struct mux_sink call_recv_video_sink = {.frame = sink_frame, .slot_gone = sink_slot_gone};

void call_recv_set_clock_offset(struct call_recv *r, int64_t offset_ms)
{
    atomic_store(&r->offset_ms, (long long)offset_ms);
    atomic_store(&r->offset_set, 1);
}

unsigned call_recv_take_keyframe_wants(struct call_recv *r)
{
    return atomic_exchange(&r->wants, 0u);
}

uint64_t call_recv_take_audio_ms(struct call_recv *r, unsigned slot)
{
    if (slot >= BP_MAX_MEMBERS)
        return 0;
    return atomic_exchange(&r->audio_ms[slot], 0);
}

json_t *call_recv_stats_json(struct call_recv *r)
{
    json_t *o = json_object(), *slots = json_array();
    pthread_mutex_lock(&r->state_mu);
    for (unsigned i = 0; i < BP_MAX_MEMBERS; i++)
        if (r->slot[i].seen)
            json_array_append_new(slots, cr_slot_json(r, i));
    size_t k;
    json_t *g;
    json_array_foreach(r->gone, k, g) json_array_append(slots, g); /* senders that left */
    json_object_set_new(o, "video_slot", json_integer(r->video_slot));
    json_object_set_new(o, "audio_slot", json_integer(r->audio_slot));
    pthread_mutex_unlock(&r->state_mu);
    json_object_set_new(o, "slots", slots);
    pthread_mutex_lock(&r->q.mu);
    json_object_set_new(o, "queue",
                        json_pack("{sI sI sI sI sI si sI}", "queued", (json_int_t)r->q.queued,
                                  "queue_full", (json_int_t)r->q.queue_full, "malformed_audio",
                                  (json_int_t)r->q.malformed_audio, "malformed_video",
                                  (json_int_t)r->q.malformed_video, "nomem", (json_int_t)r->q.nomem,
                                  "peak_items", (int)r->q.peak_items, "peak_bytes",
                                  (json_int_t)r->q.peak_bytes));
    pthread_mutex_unlock(&r->q.mu);
    return o;
}

struct vmailbox *call_recv_picture_box(struct call_recv *r, unsigned slot)
{
    return slot < BP_MAX_MEMBERS ? &r->boxes[slot] : NULL;
}
