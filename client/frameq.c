/* frameq.c: a bounded frame queue between a producer thread and the
 * network loop (see frameq.h). A ring of cap slots under one mutex; the
 * payloads are heap copies so that the producer's buffer is free at once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frameq.h"

int frameq_init(struct frameq *q, unsigned cap, size_t max_len, void (*wake)(void *ctx),
                void *wake_ctx)
{
    memset(q, 0, sizeof *q);
    q->items = calloc(cap ? cap : 1, sizeof *q->items);
    if (!q->items)
        return BP_E_NOMEM;
    q->cap = cap ? cap : 1;
    q->max_len = max_len;
    q->wake = wake;
    q->wake_ctx = wake_ctx;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits are not fooled by a clock step */
    pthread_cond_init(&q->changed, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

void frameq_free(struct frameq *q)
{
    if (!q->items)
        return;
    for (unsigned i = 0; i < q->n; i++)
        free(q->items[(q->head + i) % q->cap].buf);
    free(q->items);
    q->items = NULL;
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->mu);
}

static int push(struct frameq *q, const uint8_t *payload, size_t len, uint8_t flags,
                uint32_t media_ts, int has_times, uint32_t capture_ms)
{
    if (len > q->max_len) {
        pthread_mutex_lock(&q->mu);
        q->too_big++;
        pthread_mutex_unlock(&q->mu);
        return BP_E_TOO_LARGE;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return BP_E_NOMEM;
    memcpy(copy, payload, len);
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap) {
        q->refused++;
        pthread_mutex_unlock(&q->mu);
        free(copy);
        return BP_E_NOMEM;
    }
    struct frameq_item *it = &q->items[(q->head + q->n) % q->cap];
    it->buf = copy;
    it->len = len;
    it->flags = flags;
    it->media_ts = media_ts;
    it->has_times = (uint8_t)has_times;
    it->capture_ms = capture_ms;
    q->n++;
    q->bytes += len;
    q->pushed++;
    pthread_mutex_unlock(&q->mu);
    /* Outside our lock: the wake takes the mux's, and the loop takes ours
     * while it pulls. */
    if (q->wake)
        q->wake(q->wake_ctx);
    return 0;
}

int frameq_push(struct frameq *q, const uint8_t *payload, size_t len, uint8_t flags,
                uint32_t media_ts)
{
    return push(q, payload, len, flags, media_ts, 0, 0);
}

int frameq_push_timed(struct frameq *q, const uint8_t *payload, size_t len, uint8_t flags,
                      uint32_t media_ts, uint32_t capture_ms)
{
    return push(q, payload, len, flags, media_ts, 1, capture_ms);
}

unsigned frameq_room(struct frameq *q)
{
    pthread_mutex_lock(&q->mu);
    unsigned n = q->cap - q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t frameq_bytes(struct frameq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits under the lock until q->n <= most, or the deadline. */
static int wait_until_at_most(struct frameq *q, unsigned most, unsigned timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&q->mu);
    int rc = 0;
    while (q->n > most && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&q->changed, &q->mu, &ts);
    int ok = q->n <= most;
    pthread_mutex_unlock(&q->mu);
    return ok;
}

int frameq_wait_room(struct frameq *q, unsigned timeout_ms)
{
    return wait_until_at_most(q, q->cap - 1, timeout_ms);
}

int frameq_wait_empty(struct frameq *q, unsigned timeout_ms)
{
    return wait_until_at_most(q, 0, timeout_ms);
}

unsigned frameq_count(struct frameq *q)
{
    pthread_mutex_lock(&q->mu);
    unsigned n = q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static int frameq_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now_ms)
{
    struct frameq *q = ctx;
    (void)now_ms;
    pthread_mutex_lock(&q->mu);
    if (!q->n || q->items[q->head].len > cap) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    struct frameq_item it = q->items[q->head];
    q->items[q->head].buf = NULL;
    q->head = (q->head + 1) % q->cap;
    q->n--;
    q->bytes -= it.len;
    q->pulled++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
    memcpy(out, it.buf, it.len);
    free(it.buf);
    meta->flags = it.flags;
    meta->media_ts = it.media_ts;
    meta->has_times = it.has_times;
    meta->capture_ms = it.capture_ms;
    return (int)it.len;
}

const struct mux_source frameq_source = {.next = frameq_next, .pending = NULL};
