/* test_queue.c: server/queue.c — outbound queues and the congestion policy of
 * PROTOCOL.md §4 (video dropped past the soft budget, audio never dropped for
 * congestion, data held past it, hard cap), the allowance of a held sender,
 * the delay rule for video and the media wait it reads, the drain
 * deadline measured on acknowledged bytes (txwatch), and the
 * mapping from the proto's table of kinds to the queue's classes. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "bp/kinds.h"
#include "queue.h"

#define BP_MAX_FRAME_TEST (1024 * 1024)

static struct qmsg *mk(size_t len, enum qkind k, uint8_t tag)
{
    struct qmsg *m = qmsg_new(len, k);
    memset(qmsg_data(m), tag, len);
    return m;
}

static struct qmsg *slotted(struct qmsg *m, uint8_t slot)
{
    m->slot = slot;
    return m;
}

static void test_policy(void)
{
    const size_t soft = 4096 * 1024, hard = 4 * soft;
    /* Video: queued under the budget, dropped past it, never "too slow". */
    CHECK_EQ_INT(queue_decide(0, 0, 1000, QK_VIDEO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 1000, 0, 1000, QK_VIDEO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 999, 0, 1000, QK_VIDEO, soft), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide(hard + 5, 0, 1000, QK_VIDEO, soft), QV_DROP_VIDEO);
    /* ...and data counts in the soft budget. */
    CHECK_EQ_INT(queue_decide(soft - 999, soft - 999, 1000, QK_VIDEO, soft), QV_DROP_VIDEO);
    /* Audio: never dropped for congestion; past the hard cap the receiver is cut. */
    CHECK_EQ_INT(queue_decide(soft + 1, 0, 1000, QK_AUDIO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 1000, 0, 1000, QK_AUDIO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 999, 0, 1000, QK_AUDIO, soft), QV_TOO_SLOW);
    /* ...the hard cap counts everything but data: data a sender was allowed
     * to send never gets the receiver cut. */
    CHECK_EQ_INT(queue_decide(hard + 5000, 6000, 1000, QK_AUDIO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard + 5000, 5000, 1000, QK_AUDIO, soft), QV_TOO_SLOW);
    /* Data: queued, holding the sender past the soft budget, never cut. */
    CHECK_EQ_INT(queue_decide(0, 0, 1000, QK_DATA, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 1000, 0, 1000, QK_DATA, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 999, 0, 1000, QK_DATA, soft), QV_QUEUE_HOLD);
    CHECK_EQ_INT(queue_decide(soft, soft, 1, QK_DATA, soft), QV_QUEUE_HOLD);
    CHECK_EQ_INT(queue_decide(hard - 1, 0, 1, QK_DATA, soft), QV_QUEUE_HOLD);
    CHECK_EQ_INT(queue_decide(hard, hard, 1, QK_DATA, soft), QV_QUEUE_HOLD);
    CHECK_EQ_INT(queue_decide(hard * 2, hard, BP_MAX_FRAME_TEST, QK_DATA, soft), QV_QUEUE_HOLD);
    /* Control: like audio. */
    CHECK_EQ_INT(queue_decide(hard - 10, 0, 10, QK_CTRL, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 10, 0, 11, QK_CTRL, soft), QV_TOO_SLOW);
    /* A single frame bigger than the budget, and overflow-safe arithmetic. */
    CHECK_EQ_INT(queue_decide(0, 0, soft + 1, QK_VIDEO, soft), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide(SIZE_MAX - 5, 0, 10, QK_AUDIO, soft), QV_TOO_SLOW);
    CHECK_EQ_INT(queue_decide(0, 0, SIZE_MAX, QK_AUDIO, soft), QV_TOO_SLOW);
    CHECK_EQ_INT(queue_decide(0, 0, SIZE_MAX, QK_DATA, soft), QV_QUEUE_HOLD);
    /* Resume below half the budget only. */
    CHECK(queue_may_resume(soft / 2 - 1, soft));
    CHECK(!queue_may_resume(soft / 2, soft));
    CHECK(!queue_may_resume(soft, soft));
}

/* The delay rule (PROTOCOL.md §4 "Queues"): video is dropped once the
 * receiver's oldest audio or video has waited over the limit, whatever the
 * sizes; audio, data and control never are by it; under the limit the
 * size rules decide as before. */
static void test_delay_rule(void)
{
    const size_t soft = 4096 * 1024;
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_VIDEO, soft, 500, 500), QV_QUEUE);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_VIDEO, soft, 501, 500), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_VIDEO, soft, 99, 100), QV_QUEUE);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_VIDEO, soft, 10001, 10000), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_AUDIO, soft, 60000, 500), QV_QUEUE);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 1000, QK_DATA, soft, 60000, 500), QV_QUEUE);
    CHECK_EQ_INT(queue_decide_frame(0, 0, 10, QK_CTRL, soft, 60000, 500), QV_QUEUE);
    /* Under the limit, the budget still decides. */
    CHECK_EQ_INT(queue_decide_frame(soft, 0, 1000, QK_VIDEO, soft, 0, 500), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide_frame(soft, 0, 1000, QK_DATA, soft, 0, 500), QV_QUEUE_HOLD);
    CHECK_EQ_INT(queue_decide_frame(soft * 4, 0, 1000, QK_AUDIO, soft, 0, 500), QV_TOO_SLOW);
}

static struct qmsg *at(struct qmsg *m, int64_t ms)
{
    m->queued_ms = ms;
    return m;
}

/* The media wait: the oldest audio or video frame, over every sender's
 * lanes; data, control messages and room events do not count. */
static void test_media_wait(void)
{
    struct outq q;
    memset(&q, 0, sizeof q);
    CHECK(outq_media_wait_ms(&q, 1000) == 0);
    outq_push(&q, at(mk(10, QK_CTRL, 1), 10));
    outq_push(&q, at(slotted(mk(10, QK_EVENT, 2), 2), 20));
    outq_push(&q, at(slotted(mk(100, QK_DATA, 3), 0), 50));
    CHECK(outq_media_wait_ms(&q, 1000) == 0);
    outq_push(&q, at(slotted(mk(100, QK_VIDEO, 4), 3), 200));
    outq_push(&q, at(slotted(mk(100, QK_AUDIO, 5), 1), 100));
    outq_push(&q, at(slotted(mk(100, QK_VIDEO, 6), 1), 300));
    CHECK(outq_media_wait_ms(&q, 1000) == 900);
    CHECK(outq_media_wait_ms(&q, 50) == 0);    /* a clock before the stamp: no wait */
    /* Written in order: control, audio (100), event, then video (200). */
    for (int i = 0; i < 2; i++)
        free(outq_pop(&q));
    CHECK(outq_media_wait_ms(&q, 1000) == 800);
    for (int i = 0; i < 3; i++)
        free(outq_pop(&q));
    CHECK_EQ_INT(q.count, 1);                  /* the data frame alone */
    CHECK(outq_media_wait_ms(&q, 1000) == 0);
    outq_clear(&q);
}

static void test_outq(void)
{
    struct outq q;
    memset(&q, 0, sizeof q);
    CHECK(outq_pop(&q) == NULL);
    outq_push(&q, mk(100, QK_VIDEO, 1));
    outq_push(&q, mk(10, QK_CTRL, 2));
    outq_push(&q, mk(200, QK_AUDIO, 3));
    outq_push(&q, mk(20, QK_CTRL, 4));
    CHECK_EQ_INT(q.bytes, 330);
    CHECK_EQ_INT(q.count, 4);
    /* Control first, in order; then audio before video. */
    uint8_t want[] = {2, 4, 3, 1};
    for (int i = 0; i < 4; i++) {
        struct qmsg *m = outq_pop(&q);
        CHECK(m != NULL);
        if (!m)
            break;
        CHECK_EQ_INT(qmsg_data(m)[0], want[i]);
        CHECK_EQ_INT(qmsg_data(m)[m->len - 1], want[i]);
        free(m);
    }
    CHECK_EQ_INT(q.bytes, 0);
    CHECK(outq_pop(&q) == NULL);

    /* Purging media keeps control messages and the byte count exact. */
    outq_push(&q, mk(100, QK_VIDEO, 1));
    outq_push(&q, mk(10, QK_CTRL, 2));
    outq_push(&q, mk(300, QK_DATA, 3));
    outq_purge_media(&q);
    CHECK_EQ_INT(q.bytes, 10);
    CHECK_EQ_INT(q.count, 1);
    outq_push(&q, mk(50, QK_AUDIO, 5));
    struct qmsg *m = outq_pop(&q);
    CHECK(m && m->kind == QK_CTRL);
    free(m);
    m = outq_pop(&q);
    CHECK(m && m->kind == QK_AUDIO && qmsg_data(m)[0] == 5);
    free(m);
    /* A room event comes after its member's earlier frames, before its
     * later ones; it survives a purge. */
    outq_push(&q, slotted(mk(100, QK_VIDEO, 1), 2));
    outq_push(&q, slotted(mk(30, QK_EVENT, 2), 2));
    outq_push(&q, slotted(mk(100, QK_AUDIO, 3), 2));
    outq_push(&q, mk(10, QK_CTRL, 4));
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 4);   /* control first */
    free(m);
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 1);   /* the member's earlier video before its event */
    free(m);
    m = outq_pop(&q);
    CHECK(m && m->kind == QK_EVENT && qmsg_data(m)[0] == 2); /* then the event, then its later audio */
    free(m);
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 3);
    free(m);
    outq_push(&q, mk(40, QK_EVENT, 5));
    outq_push(&q, mk(50, QK_DATA, 6));
    outq_purge_media(&q);               /* drops 3 and 6, keeps 5 */
    CHECK_EQ_INT(q.bytes, 40);
    CHECK_EQ_INT(q.count, 1);
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 5);
    free(m);
    CHECK(outq_pop(&q) == NULL);
    /* data_bytes follows the data frames through push, pop and purge. */
    outq_push(&q, mk(70, QK_DATA, 1));
    outq_push(&q, mk(20, QK_AUDIO, 2));
    outq_push(&q, mk(30, QK_DATA, 3));
    outq_push(&q, mk(5, QK_CTRL, 4));
    CHECK_EQ_INT(q.data_bytes, 100);
    CHECK_EQ_INT(q.bytes, 125);
    free(outq_pop(&q));                 /* the control message */
    free(outq_pop(&q));                 /* the audio */
    free(outq_pop(&q));                 /* data, 70 */
    CHECK_EQ_INT(q.data_bytes, 30);
    outq_purge_media(&q);
    CHECK_EQ_INT(q.data_bytes, 0);
    CHECK_EQ_INT(q.bytes, 0);
    CHECK_EQ_INT(queue_decide(0, 0, 10, QK_EVENT, 1000), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(3995, 0, 10, QK_EVENT, 1000), QV_TOO_SLOW);
    CHECK(qkind_is_text(QK_EVENT) && qkind_is_text(QK_CTRL) && !qkind_is_text(QK_DATA));
    outq_push(&q, mk(7, QK_CTRL, 1));
    outq_push(&q, mk(8, QK_VIDEO, 1));
    outq_clear(&q);
    CHECK_EQ_INT(q.bytes, 0);
    CHECK_EQ_INT(q.count, 0);
    CHECK(q.ctrl.head == NULL && q.events.head == NULL && q.audio[0].head == NULL && q.video[0].tail == NULL);
}

/* Audio never waits behind data: a slow receiver with megabytes of a file
 * queued still gets the voice next. */
static void test_audio_before_data(void)
{
    struct outq q;
    memset(&q, 0, sizeof q);
    for (int i = 0; i < 16; i++)
        outq_push(&q, slotted(mk(256 * 1024, QK_DATA, (uint8_t)i), 0));
    outq_push(&q, slotted(mk(120, QK_AUDIO, 100), 0)); /* the file's sender speaks */
    outq_push(&q, slotted(mk(120, QK_AUDIO, 101), 1)); /* so does another member */
    outq_push(&q, slotted(mk(9000, QK_VIDEO, 102), 1));
    struct qmsg *m = outq_pop(&q);
    CHECK(m && m->kind == QK_AUDIO && qmsg_data(m)[0] == 100);
    free(m);
    m = outq_pop(&q);
    CHECK(m && m->kind == QK_AUDIO && qmsg_data(m)[0] == 101);
    free(m);
    m = outq_pop(&q);
    CHECK(m && m->kind == QK_VIDEO);
    free(m);
    for (int i = 0; i < 16; i++) { /* data in its order */
        m = outq_pop(&q);
        CHECK(m && m->kind == QK_DATA && qmsg_data(m)[0] == i);
        free(m);
    }
    /* An event about member 0 waits for member 0's earlier data, and holds
     * back only member 0's later frames; another member's audio passes. */
    outq_push(&q, slotted(mk(1000, QK_DATA, 1), 0));
    outq_push(&q, slotted(mk(30, QK_EVENT, 2), 0));    /* member_left of 0 */
    outq_push(&q, slotted(mk(120, QK_AUDIO, 3), 0));   /* (a new member 0's first audio) */
    outq_push(&q, slotted(mk(120, QK_AUDIO, 4), 1));
    uint8_t want[] = {4, 1, 2, 3};
    for (int i = 0; i < 4; i++) {
        m = outq_pop(&q);
        CHECK(m && qmsg_data(m)[0] == want[i]);
        free(m);
    }
    CHECK(outq_pop(&q) == NULL);
}

/* Random pushes and pops against the rules of queue.h, "The write order". */
static void test_order_model(void)
{
    uint64_t rng = 88172645463325252ULL;
    for (int round = 0; round < 200; round++) {
        struct outq q;
        memset(&q, 0, sizeof q);
        struct rec {
            uint64_t ord;
            int kind, slot, out;
        } r[256];
        int n = 0, popped = 0;
        while (popped < 200) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            if (n < 256 && rng % 3) {
                static const enum qkind kinds[] = {QK_CTRL, QK_AUDIO, QK_VIDEO, QK_DATA, QK_EVENT};
                int k = kinds[(rng >> 8) % 5], sl = (int)((rng >> 16) % QUEUE_SLOTS);
                struct qmsg *m = slotted(mk(1, k, (uint8_t)n), (uint8_t)sl);
                outq_push(&q, m);
                r[n] = (struct rec){m->ord, k, sl, 0};
                n++;
                continue;
            }
            struct qmsg *m = outq_pop(&q);
            if (!m) {
                if (n == 256)
                    break;
                continue;
            }
            struct rec *x = &r[qmsg_data(m)[0]];
            int ok = 1;
            for (int i = 0; i < n; i++) {
                struct rec *y = &r[i];
                if (y->out || y == x || y->ord > x->ord)
                    continue;
                /* y came before x and is still queued: allowed only when x may overtake it. */
                if (x->kind == QK_CTRL && y->kind != QK_CTRL)
                    continue;
                if (y->kind == QK_CTRL)
                    ok = 0; /* control first, in order */
                else if (y->kind == x->kind && (x->kind == QK_EVENT || y->slot == x->slot))
                    ok = 0; /* a lane keeps its order */
                else if (y->slot == x->slot && (x->kind == QK_EVENT || y->kind == QK_EVENT))
                    ok = 0; /* an event and its member's frames keep theirs */
            }
            /* Audio first: nothing else leaves while an audio frame could. */
            if (x->kind != QK_AUDIO && x->kind != QK_CTRL)
                for (int i = 0; i < n; i++) {
                    struct rec *y = &r[i];
                    if (y->out || y->kind != QK_AUDIO)
                        continue;
                    int blocked = 0;
                    for (int j = 0; j < n; j++)
                        blocked |= !r[j].out && r[j].kind == QK_EVENT && r[j].slot == y->slot && r[j].ord < y->ord;
                    if (!blocked)
                        ok = 0;
                }
            CHECK(ok);
            x->out = 1;
            popped++;
            free(m);
        }
        outq_clear(&q);
        CHECK_EQ_INT(q.count, 0);
    }
}

/* A held sender may still send what was in flight: one budget, at least
 * four frames of the largest size, plus what it had sent that the server had
 * not read yet. */
static void test_allowance(void)
{
    const uint64_t min = QUEUE_ALLOWANCE_MIN;
    CHECK_EQ_INT(min, 4 * BP_MAX_FRAME_TEST);
    CHECK_EQ_INT(queue_allowance(64 * 1024, 0), min);
    CHECK_EQ_INT(queue_allowance(4096 * 1024, 0), min);
    CHECK_EQ_INT(queue_allowance(8192 * 1024, 0), 8192 * 1024);
    CHECK_EQ_INT(queue_allowance(64 * 1024, 700000), min + 700000);
    CHECK(queue_allowance_ok(0, 1000, 1000));
    CHECK(!queue_allowance_ok(0, 1001, 1000));
    CHECK(queue_allowance_ok(900, 100, 1000));
    CHECK(!queue_allowance_ok(900, 101, 1000));
    CHECK(!queue_allowance_ok(1005, 0, 1000));
    CHECK(!queue_allowance_ok(UINT64_MAX, 1, min));   /* no wrap-around */
    CHECK(!queue_allowance_ok(1, SIZE_MAX, min));
}

/* The drain deadline: progress is what the peer's TCP acknowledges. */
static void test_txwatch(void)
{
    struct txwatch w;
    memset(&w, 0, sizeof w);
    /* Owing nothing is never late, however long. */
    CHECK_EQ_INT(txwatch_sample(&w, 0, 0, 0, 0), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 0, 0, 0, 60000), TXW_OK);
    CHECK(!w.armed);

    /* A receiver that stopped reading: its kernel holds 300 KB it does not
     * acknowledge; our queue still has messages. Cut at exactly 10 s. */
    memset(&w, 0, sizeof w);
    w.life = 5000;
    CHECK_EQ_INT(txwatch_sample(&w, 5000, 300000, 7, 100000), TXW_OK);
    CHECK(w.armed && w.goal == 5000 + QUEUE_PROGRESS_MIN);
    CHECK_EQ_INT(txwatch_sample(&w, 5000, 300000, 7, 100000 + QUEUE_STALL_MS - 1), TXW_OK);
    /* A trickle below the minimum is neither progress nor a sign of life. */
    CHECK_EQ_INT(txwatch_sample(&w, 5000 + QUEUE_PROGRESS_MIN - 1, 300000, 7,
                                100000 + QUEUE_STALL_MS - 1), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 5000 + QUEUE_PROGRESS_MIN - 1, 300000, 7,
                                100000 + QUEUE_STALL_MS), TXW_STALLED);

    /* A slow but moving receiver (1 Mbit/s = 125 kB/s) behind deep buffers
     * (4 MB unacknowledged, 8 MB queued) is never cut, and every sample
     * proves it alive (its pongs wait behind those megabytes). */
    memset(&w, 0, sizeof w);
    uint64_t acked = 0;
    int alive = 0;
    for (int64_t t = 0; t <= 120000; t += 1000, acked += 125000) {
        enum txw_verdict v = txwatch_sample(&w, acked, 4000000, 200, t);
        CHECK(v != TXW_STALLED);
        alive += v == TXW_ALIVE;
    }
    CHECK_EQ_INT(alive, 120);

    /* The lws case: our queue is empty, one 1 MiB frame sits in lws's buffer
     * and drains into the kernel at 1 Mbit/s; what lws holds is not counted
     * anywhere, but the kernel's acknowledgements keep moving. */
    memset(&w, 0, sizeof w);
    acked = 0;
    for (int64_t t = 0; t <= 9000; t += 1000, acked += 125000)
        CHECK(txwatch_sample(&w, acked, 60000, 0, t) != TXW_STALLED);

    /* A receiver that keeps up with a trickle (audio: 3 kB owed at each
     * sample, all acknowledged by the next) is never cut, though it never
     * moves 64 KiB in a second; it is alive every 22 samples (66 kB). */
    memset(&w, 0, sizeof w);
    acked = 0;
    alive = 0;
    for (int64_t t = 0; t <= 60000; t += 1000) {
        enum txw_verdict v = txwatch_sample(&w, acked, 3000, 1, t);
        CHECK(v != TXW_STALLED);
        alive += v == TXW_ALIVE;
        acked += 3000;
    }
    CHECK_EQ_INT(alive, 2);
    /* Pings alone (a few dozen bytes every 4 s) are not a sign of life. */
    memset(&w, 0, sizeof w);
    for (int64_t t = 0; t <= 600000; t += 1000)
        CHECK_EQ_INT(txwatch_sample(&w, (uint64_t)t / 100, 0, 0, t), TXW_OK);

    /* Nothing unacknowledged but messages queued that are never handed over
     * (the transport cannot tell: acked counts bytes handed over): one byte
     * of progress is asked for, within the same 10 s. */
    memset(&w, 0, sizeof w);
    w.life = 777;
    CHECK_EQ_INT(txwatch_sample(&w, 777, 0, 3, 0), TXW_OK);
    CHECK(w.goal == 778);
    CHECK_EQ_INT(txwatch_sample(&w, 777, 0, 3, QUEUE_STALL_MS - 1), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 777, 0, 3, QUEUE_STALL_MS), TXW_STALLED);
    /* ...and a message handed over re-arms the clock. */
    memset(&w, 0, sizeof w);
    w.life = 777;
    CHECK_EQ_INT(txwatch_sample(&w, 777, 0, 3, 0), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 900, 0, 2, 9000), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 900, 0, 2, 18000), TXW_OK);
    CHECK_EQ_INT(txwatch_sample(&w, 900, 0, 2, 19000), TXW_STALLED);
    /* Draining everything disarms it. */
    CHECK_EQ_INT(txwatch_sample(&w, 900, 0, 0, 20000), TXW_OK);
    CHECK(!w.armed);
}

/* Every kind of bp/kinds.h has a binary class (never a text one, never
 * QK_NONE); a class that drops frames is given only to a kind the table
 * lets a server drop and that has keyframes (a drop asks for one); a kind the
 * table never lets a server drop is never dropped, whatever the queue; every
 * other wire value has no class. */
static void test_kind_classes(void)
{
    const size_t soft = 4096 * 1024, hard = 4 * soft;
    unsigned n = 0;
    const struct bp_kind_info *kinds = bp_kinds(&n);
    CHECK(n > 0);
    for (unsigned i = 0; i < n; i++) {
        const struct bp_kind_info *k = &kinds[i];
        enum qkind c = queue_class_of_kind(k->kind);
        CHECK(c != QK_NONE);
        if (c == QK_NONE)
            continue;
        CHECK(!qkind_is_text((uint8_t)c));
        CHECK(c != QK_CTRL && c != QK_EVENT);
        /* Past the soft budget and past the hard cap: what the class does. */
        enum qverdict past_soft = queue_decide(soft, 0, 1000, c, soft);
        enum qverdict past_hard = queue_decide(hard, 0, 1000, c, soft);
        int drops = past_soft == QV_DROP_VIDEO || past_hard == QV_DROP_VIDEO;
        if (drops)
            CHECK(k->droppable && k->keyframes);
        if (!k->droppable)
            CHECK(!drops);
        if (k->droppable)
            CHECK(drops); /* droppable kinds map to a class the server drops */
        /* A droppable kind with keyframes is dropped before anyone is cut. */
        if (k->droppable && k->keyframes)
            CHECK(past_soft == QV_DROP_VIDEO && past_hard == QV_DROP_VIDEO);
        /* Under the budget every class is queued. */
        CHECK_EQ_INT(queue_decide(0, 0, 1000, c, soft), QV_QUEUE);
        /* A queued frame of that class is a binary message. */
        struct qmsg *m = qmsg_new(16, c);
        CHECK(m && !qkind_is_text(m->kind));
        free(m);
    }
    CHECK_EQ_INT(queue_class_of_kind(BP_KIND_AUDIO), QK_AUDIO);
    CHECK_EQ_INT(queue_class_of_kind(BP_KIND_VIDEO), QK_VIDEO);
    CHECK_EQ_INT(queue_class_of_kind(BP_KIND_DATA), QK_DATA);
    /* Wire values outside the table (0, 4: once the text event class by a
     * cast, 5..255) have no class. */
    for (unsigned v = 0; v < 256; v++)
        if (!bp_kind_info(v))
            CHECK_EQ_INT(queue_class_of_kind(v), QK_NONE);
    CHECK_EQ_INT(queue_class_of_kind(4), QK_NONE);
    CHECK_EQ_INT(queue_class_of_kind(0), QK_NONE);
    CHECK_EQ_INT(queue_class_of_kind(1000), QK_NONE);
}

int main(void)
{
    test_kind_classes();
    test_audio_before_data();
    test_order_model();
    test_policy();
    test_delay_rule();
    test_media_wait();
    test_outq();
    test_allowance();
    test_txwatch();
    return check_report();
}
