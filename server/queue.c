/* queue.c: outbound queues and the congestion policy (PROTOCOL.md §4).
 *
 * Why lanes: control messages (errors, replies, keyframe requests) must never
 * wait behind megabytes of frames, and audio must never wait behind data (a
 * file to a slow receiver would otherwise delay the voice by seconds). So
 * each kind has its lane, and frames one lane per sender; a room event waits
 * only for the earlier frames of the member it concerns, and holds back only
 * that member's later frames (queue.h, "The write order"). The policy is a
 * pure function of sizes (and, for the drain deadline, of acknowledged byte
 * counts and a time passed in) so that tests can walk every branch without a
 * socket. */
#include <assert.h>
#include <stdlib.h>

#include "bp/kinds.h"
#include "queue.h"

_Static_assert(BP_KIND_MAX == 3, "a new kind of bp/kinds.h needs its queue class in queue_class_of_kind()");

enum qkind queue_class_of_kind(unsigned kind)
{
    switch (kind) {
    case BP_KIND_AUDIO: return QK_AUDIO;
    case BP_KIND_VIDEO: return QK_VIDEO;
    case BP_KIND_DATA: return QK_DATA;
    default: return QK_NONE;
    }
}

struct qmsg *qmsg_new(size_t len, enum qkind kind)
{
    assert(kind >= QK_CTRL && kind <= QK_EVENT);
    struct qmsg *m = malloc(sizeof *m + QUEUE_HEADROOM + len);
    if (!m)
        return NULL;
    m->next = NULL;
    m->len = len;
    m->ord = 0;
    m->queued_ms = 0;
    m->kind = (uint8_t)kind;
    m->slot = QUEUE_NO_SLOT;
    return m;
}

static void lane_push(struct qlane *l, struct qmsg *m)
{
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
}

static struct qmsg *lane_pop(struct qlane *l)
{
    struct qmsg *m = l->head;
    l->head = m->next;
    if (!l->head)
        l->tail = NULL;
    m->next = NULL;
    return m;
}

static int frame_slot(const struct qmsg *m)
{
    return m->slot < QUEUE_SLOTS ? m->slot : 0;
}

static struct qlane *lane_of(struct outq *q, const struct qmsg *m)
{
    switch (m->kind) {
    case QK_CTRL: return &q->ctrl;
    case QK_EVENT: return &q->events;
    case QK_AUDIO: return &q->audio[frame_slot(m)];
    case QK_VIDEO: return &q->video[frame_slot(m)];
    default: return &q->data[frame_slot(m)];
    }
}

void outq_push(struct outq *q, struct qmsg *m)
{
    m->next = NULL;
    m->ord = q->next_ord++;
    lane_push(lane_of(q, m), m);
    q->bytes += m->len;
    if (m->kind == QK_DATA)
        q->data_bytes += m->len;
    q->count++;
}

/* The earliest queued frame of slot s, over its three lanes, or UINT64_MAX. */
static uint64_t first_frame(const struct outq *q, int s)
{
    uint64_t o = UINT64_MAX;
    const struct qlane *l[3] = {&q->audio[s], &q->video[s], &q->data[s]};
    for (int i = 0; i < 3; i++)
        if (l[i]->head && l[i]->head->ord < o)
            o = l[i]->head->ord;
    return o;
}

/* ev_first[s]: the earliest queued room event about slot s, or UINT64_MAX. */
static void first_events(const struct outq *q, uint64_t ev_first[QUEUE_SLOTS])
{
    int found = 0;
    for (int s = 0; s < QUEUE_SLOTS; s++)
        ev_first[s] = UINT64_MAX;
    for (const struct qmsg *m = q->events.head; m && found < QUEUE_SLOTS; m = m->next)
        if (m->slot < QUEUE_SLOTS && ev_first[m->slot] == UINT64_MAX) {
            ev_first[m->slot] = m->ord;
            found++;
        }
}

/* The unblocked head of the lanes ls[QUEUE_SLOTS] that came first. */
static struct qlane *pick(struct qlane *ls, const uint64_t *ev_first)
{
    struct qlane *best = NULL;
    for (int s = 0; s < QUEUE_SLOTS; s++) {
        struct qmsg *h = ls[s].head;
        if (h && h->ord < ev_first[s] && (!best || h->ord < best->head->ord))
            best = &ls[s];
    }
    return best;
}

struct qmsg *outq_pop(struct outq *q)
{
    struct qlane *from = NULL;
    if (q->ctrl.head) {
        from = &q->ctrl;
    } else if (q->count) {
        uint64_t ev_first[QUEUE_SLOTS];
        first_events(q, ev_first);
        const struct qmsg *e = q->events.head;
        int event_free = e && (e->slot >= QUEUE_SLOTS || first_frame(q, e->slot) > e->ord);
        /* Audio, then the next room event, then video, then data. The head
         * of the events lane is never blocked for good: the frames it waits
         * for are older than it, so no event of their member is before them,
         * and pick() finds them. */
        from = pick(q->audio, ev_first);
        if (!from && event_free)
            from = &q->events;
        if (!from)
            from = pick(q->video, ev_first);
        if (!from)
            from = pick(q->data, ev_first);
        assert(from || !q->count);
    }
    if (!from || !from->head)
        return NULL;
    struct qmsg *m = lane_pop(from);
    assert(q->bytes >= m->len && q->count > 0);
    q->bytes -= m->len;
    if (m->kind == QK_DATA) {
        assert(q->data_bytes >= m->len);
        q->data_bytes -= m->len;
    }
    q->count--;
    return m;
}

static void lane_free(struct outq *q, struct qlane *l)
{
    while (l->head) {
        struct qmsg *m = lane_pop(l);
        assert(q->bytes >= m->len && q->count > 0);
        q->bytes -= m->len;
        if (m->kind == QK_DATA)
            q->data_bytes -= m->len;
        q->count--;
        free(m);
    }
}

int64_t outq_media_wait_ms(const struct outq *q, int64_t now_ms)
{
    int found = 0;
    int64_t oldest = 0;
    for (int s = 0; s < QUEUE_SLOTS; s++) {
        const struct qmsg *h[2] = {q->audio[s].head, q->video[s].head};
        for (int i = 0; i < 2; i++)
            if (h[i] && (!found || h[i]->queued_ms < oldest)) {
                oldest = h[i]->queued_ms;
                found = 1;
            }
    }
    return found && now_ms > oldest ? now_ms - oldest : 0;
}

void outq_purge_media(struct outq *q)
{
    for (int s = 0; s < QUEUE_SLOTS; s++) {
        lane_free(q, &q->audio[s]);
        lane_free(q, &q->video[s]);
        lane_free(q, &q->data[s]);
    }
    assert(q->data_bytes == 0);
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
    assert(data <= queued && kind != QK_NONE);
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

enum qverdict queue_decide_frame(size_t queued, size_t data, size_t len, enum qkind kind, size_t soft,
                                 int64_t wait_ms, int64_t delay_ms)
{
    if (kind == QK_VIDEO && wait_ms > delay_ms)
        return QV_DROP_VIDEO;
    return queue_decide(queued, data, len, kind, soft);
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
