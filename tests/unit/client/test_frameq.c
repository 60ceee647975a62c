/* test_frameq.c: the bounded frame queue between a producer thread and the
 * loop (client/frameq.c): order and metadata kept, a full queue refuses
 * (never blocks), a frame over the cap is refused, each push wakes, a
 * frame larger than the room the mux offers stays first, and a producer
 * thread waiting for room is released by the loop's pulls. */
#include <pthread.h>
#include <string.h>

#include "../check.h"
#include "frameq.h"

static int wakes;
static void on_wake(void *ctx)
{
    __atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
}

static int pull(struct frameq *q, uint8_t *out, size_t cap, struct mux_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    return frameq_source.next(q, out, cap, meta, 0);
}

static void test_basic(void)
{
    struct frameq q;
    CHECK_EQ_INT(frameq_init(&q, 2, 8, on_wake, &wakes), 0);
    CHECK(frameq_source.pending == NULL); /* it wakes the loop instead */
    CHECK_EQ_INT(frameq_push(&q, (const uint8_t *)"one", 3, BP_FLAG_KEYFRAME, 90), 0);
    CHECK_EQ_INT(frameq_push(&q, (const uint8_t *)"second", 6, 0, 180), 0);
    CHECK_EQ_INT(wakes, 2);
    CHECK_EQ_INT(frameq_push(&q, (const uint8_t *)"x", 1, 0, 0), BP_E_NOMEM); /* full */
    CHECK_EQ_INT(frameq_push(&q, (const uint8_t *)"123456789", 9, 0, 0), BP_E_TOO_LARGE);
    CHECK_EQ_INT(wakes, 2);
    CHECK_EQ_INT((int)frameq_count(&q), 2);
    uint8_t out[16];
    struct mux_meta meta;
    CHECK_EQ_INT(pull(&q, out, sizeof out, &meta), 3);
    CHECK_MEM(out, "one", 3);
    CHECK_EQ_INT(meta.flags, BP_FLAG_KEYFRAME);
    CHECK_EQ_INT(meta.media_ts, 90);
    /* Too little room for the next one: it stays first. */
    CHECK_EQ_INT(pull(&q, out, 4, &meta), 0);
    CHECK_EQ_INT((int)frameq_count(&q), 1);
    CHECK_EQ_INT(pull(&q, out, sizeof out, &meta), 6);
    CHECK_MEM(out, "second", 6);
    CHECK_EQ_INT(meta.media_ts, 180);
    CHECK_EQ_INT(pull(&q, out, sizeof out, &meta), 0);
    CHECK_EQ_INT(frameq_wait_empty(&q, 0), 1);
    /* Frames still queued at free are freed (ASan checks). */
    frameq_push(&q, (const uint8_t *)"left", 4, 0, 0);
    frameq_free(&q);
}

/* A producer pushing more frames than the queue holds, waiting for room. */
struct producer {
    struct frameq *q;
    int n, pushed, gave_up;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < p->n; i++) {
        uint8_t b = (uint8_t)i;
        while (frameq_push(p->q, &b, 1, 0, (uint32_t)i) == BP_E_NOMEM)
            if (!frameq_wait_room(p->q, 10000)) {
                p->gave_up = 1;
                return NULL;
            }
        p->pushed++;
    }
    return NULL;
}

static void test_threads(void)
{
    struct frameq q;
    int w = 0;
    CHECK_EQ_INT(frameq_init(&q, 3, 4, on_wake, &w), 0);
    struct producer p = {&q, 200, 0, 0};
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, produce, &p), 0);
    int got = 0, in_order = 1;
    uint8_t out[4];
    struct mux_meta meta;
    /* The loop: pulls whenever a wake says there is something (polled here
     * through the wake counter; a real loop sleeps in poll()). */
    while (got < 200) {
        int n = pull(&q, out, sizeof out, &meta);
        if (n == 1) {
            in_order &= out[0] == (uint8_t)got && meta.media_ts == (uint32_t)got;
            got++;
        } else if (__atomic_load_n(&p.gave_up, __ATOMIC_SEQ_CST)) {
            break;
        }
    }
    pthread_join(t, NULL);
    CHECK_EQ_INT(got, 200);
    CHECK(in_order);
    CHECK_EQ_INT(p.pushed, 200);
    CHECK(!p.gave_up);
    CHECK_EQ_INT(__atomic_load_n(&w, __ATOMIC_SEQ_CST), 200);
    CHECK_EQ_INT((int)q.pulled, 200);
    frameq_free(&q);
}

int main(void)
{
    test_basic();
    test_threads();
    return check_report();
}
