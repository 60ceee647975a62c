/* test_queue.c: server/queue.c — outbound queues and the congestion policy of
 * PROTOCOL.md §4 (video dropped past the soft budget, audio never dropped for
 * congestion, data back-pressure, hard cap). */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "queue.h"

static struct qmsg *mk(size_t len, enum qkind k, uint8_t tag)
{
    struct qmsg *m = qmsg_new(len, k);
    memset(qmsg_data(m), tag, len);
    return m;
}

static void test_policy(void)
{
    const size_t soft = 4096 * 1024, hard = 4 * soft;
    /* Video: queued under the budget, dropped past it, never "too slow". */
    CHECK_EQ_INT(queue_decide(0, 1000, QK_VIDEO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 1000, 1000, QK_VIDEO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft - 999, 1000, QK_VIDEO, soft), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide(hard + 5, 1000, QK_VIDEO, soft), QV_DROP_VIDEO);
    /* Audio: never dropped for congestion; past the hard cap the receiver is cut. */
    CHECK_EQ_INT(queue_decide(soft + 1, 1000, QK_AUDIO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 1000, 1000, QK_AUDIO, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 999, 1000, QK_AUDIO, soft), QV_TOO_SLOW);
    /* Data: queued, pausing the sender past the soft budget, cut past the hard cap. */
    CHECK_EQ_INT(queue_decide(0, 1000, QK_DATA, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(soft, 1, QK_DATA, soft), QV_QUEUE_PAUSE);
    CHECK_EQ_INT(queue_decide(hard - 1, 1, QK_DATA, soft), QV_QUEUE_PAUSE);
    CHECK_EQ_INT(queue_decide(hard, 1, QK_DATA, soft), QV_TOO_SLOW);
    /* Control: like audio. */
    CHECK_EQ_INT(queue_decide(hard - 10, 10, QK_CTRL, soft), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(hard - 10, 11, QK_CTRL, soft), QV_TOO_SLOW);
    /* A single frame bigger than the budget, and overflow-safe arithmetic. */
    CHECK_EQ_INT(queue_decide(0, soft + 1, QK_VIDEO, soft), QV_DROP_VIDEO);
    CHECK_EQ_INT(queue_decide(SIZE_MAX - 5, 10, QK_AUDIO, soft), QV_TOO_SLOW);
    CHECK_EQ_INT(queue_decide(0, SIZE_MAX, QK_DATA, soft), QV_TOO_SLOW);
    /* Resume below half the budget only. */
    CHECK(queue_may_resume(soft / 2 - 1, soft));
    CHECK(!queue_may_resume(soft / 2, soft));
    CHECK(!queue_may_resume(soft, soft));
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
    /* Control first, in order; then media in arrival order. */
    uint8_t want[] = {2, 4, 1, 3};
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
    /* Room events stay in order among media frames and survive a purge. */
    outq_push(&q, mk(100, QK_AUDIO, 1));
    outq_push(&q, mk(30, QK_EVENT, 2));
    outq_push(&q, mk(100, QK_VIDEO, 3));
    outq_push(&q, mk(10, QK_CTRL, 4));
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 4);   /* control first */
    free(m);
    m = outq_pop(&q);
    CHECK(m && qmsg_data(m)[0] == 1);   /* then media in order, the event in its place */
    free(m);
    m = outq_pop(&q);
    CHECK(m && m->kind == QK_EVENT && qmsg_data(m)[0] == 2);
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
    CHECK_EQ_INT(queue_decide(0, 10, QK_EVENT, 1000), QV_QUEUE);
    CHECK_EQ_INT(queue_decide(3995, 10, QK_EVENT, 1000), QV_TOO_SLOW);
    CHECK(qkind_is_text(QK_EVENT) && qkind_is_text(QK_CTRL) && !qkind_is_text(QK_DATA));
    outq_push(&q, mk(7, QK_CTRL, 1));
    outq_push(&q, mk(8, QK_VIDEO, 1));
    outq_clear(&q);
    CHECK_EQ_INT(q.bytes, 0);
    CHECK_EQ_INT(q.count, 0);
    CHECK(q.ctrl_head == NULL && q.media_head == NULL && q.ctrl_tail == NULL && q.media_tail == NULL);
}

int main(void)
{
    test_policy();
    test_outq();
    return check_report();
}
