/* queue.c: outbound queues and the congestion policy (PROTOCOL.md §4).
 *
 * Why two lists: control messages (errors, roster, keyframe requests) must
 * never wait behind megabytes of video, and are never dropped, so they are
 * written first. Media keeps its arrival order. The policy is a pure function
 * of sizes (and, for the drain deadline, of acknowledged byte counts and a
 * time passed in) so that tests can walk every branch without a socket. */
#include <assert.h>
#include <stdlib.h>

#include "queue.h"

struct qmsg *qmsg_new(size_t len, enum qkind kind)
{
    struct qmsg *m = malloc(sizeof *m + QUEUE_HEADROOM + len);
    if (!m)
        return NULL;
    m->next = NULL;
    m->len = len;
    m->kind = (uint8_t)kind;
    return m;
}

void outq_push(struct outq *q, struct qmsg *m)
{
    m->next = NULL;
    if (m->kind == QK_CTRL) {
        if (q->ctrl_tail)
            q->ctrl_tail->next = m;
        else
            q->ctrl_head = m;
        q->ctrl_tail = m;
    } else {
        if (q->media_tail)
            q->media_tail->next = m;
        else
            q->media_head = m;
        q->media_tail = m;
    }
    q->bytes += m->len;
    if (m->kind == QK_DATA)
        q->data_bytes += m->len;
    q->count++;
}

struct qmsg *outq_pop(struct outq *q)
{
    struct qmsg *m;
    if (q->ctrl_head) {
        m = q->ctrl_head;
        q->ctrl_head = m->next;
        if (!q->ctrl_head)
            q->ctrl_tail = NULL;
    } else if (q->media_head) {
        m = q->media_head;
        q->media_head = m->next;
        if (!q->media_head)
            q->media_tail = NULL;
    } else {
        return NULL;
    }
    assert(q->bytes >= m->len && q->count > 0);
    q->bytes -= m->len;
    if (m->kind == QK_DATA) {
        assert(q->data_bytes >= m->len);
        q->data_bytes -= m->len;
    }
    q->count--;
    m->next = NULL;
    return m;
}

void outq_purge_media(struct outq *q)
{
    struct qmsg *m = q->media_head, *keep = NULL, *keep_tail = NULL;
    while (m) {
        struct qmsg *next = m->next;
        if (m->kind == QK_EVENT) {
            m->next = NULL;
            if (keep_tail)
                keep_tail->next = m;
            else
                keep = m;
            keep_tail = m;
        } else {
            assert(q->bytes >= m->len && q->count > 0);
            q->bytes -= m->len;
            if (m->kind == QK_DATA)
                q->data_bytes -= m->len;
            q->count--;
            free(m);
        }
        m = next;
    }
    q->media_head = keep;
    q->media_tail = keep_tail;
}

void outq_clear(struct outq *q)
{
    struct qmsg *m;
    while ((m = outq_pop(q)))
        free(m);
    assert(q->bytes == 0 && q->data_bytes == 0 && q->count == 0);
}

enum qverdict queue_decide(size_t queued, size_t data, size_t len, enum qkind kind, size_t soft)
{
    assert(data <= queued);
    size_t hard = soft * QUEUE_HARD_FACTOR, other = queued - data;
    /* Overflow-safe "queued + len > x". */
    int past_hard = len > hard || other > hard - len;
    int past_soft = len > soft || queued > soft - len;
    switch (kind) {
    case QK_VIDEO:
        /* Dropping video is always possible and always cheaper than cutting
         * the receiver, so video never reaches the hard cap. */
        return past_soft ? QV_DROP_VIDEO : QV_QUEUE;
    case QK_DATA:
        /* Never dropped, never a cut: the sender is held instead, and what
         * it may still send is bounded by its allowance (queue.h). */
        return past_soft ? QV_QUEUE_HOLD : QV_QUEUE;
    case QK_AUDIO:
    case QK_CTRL:
    case QK_EVENT:
    default:
        return past_hard ? QV_TOO_SLOW : QV_QUEUE;
    }
}

int queue_may_resume(size_t queued, size_t soft)
{
    return queued < soft / 2;
}

uint64_t queue_allowance(size_t soft, size_t in_socket)
{
    return (uint64_t)(soft > QUEUE_ALLOWANCE_MIN ? soft : QUEUE_ALLOWANCE_MIN) + in_socket;
}

int queue_allowance_ok(uint64_t held_bytes, size_t len, uint64_t allowance)
{
    return len <= allowance && held_bytes <= allowance - len;
}

enum txw_verdict txwatch_sample(struct txwatch *w, uint64_t acked, uint64_t unacked, size_t queued,
                                int64_t now_ms)
{
    enum txw_verdict v = TXW_OK;
    if (acked < w->life)
        w->life = acked; /* a new counter (never for one socket): start over */
    if (acked - w->life >= QUEUE_PROGRESS_MIN) {
        w->life = acked;
        v = TXW_ALIVE;
    }
    if (!unacked && !queued) {
        w->armed = 0; /* owes nothing: cannot be late */
        return v;
    }
    if (!w->armed || acked >= w->goal) {
        /* Progress (or newly owing): a new goal, a new clock. Asking for all
         * that is owed would cut a slow link with deep buffers; asking for a
         * fixed amount would cut a receiver that keeps up with a trickle. */
        uint64_t want = unacked < QUEUE_PROGRESS_MIN ? unacked : QUEUE_PROGRESS_MIN;
        w->goal = acked + (want ? want : 1);
        w->since_ms = now_ms;
        w->armed = 1;
        return v;
    }
    return now_ms - w->since_ms >= QUEUE_STALL_MS ? TXW_STALLED : v;
}
