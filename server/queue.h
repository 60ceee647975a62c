/* queue.h: per-receiver outbound queues and the congestion policy of
 * PROTOCOL.md §4 as plain functions of sizes.
 *
 * Owns the queued messages (each one malloc'ed block with transport headroom
 * in front of the bytes). Pure: no clock, no I/O, no lws; the glue (ws.c)
 * writes what outq_pop() hands it. Invariant: q->bytes is the sum of the
 * lengths of the queued messages. */
#ifndef SERVER_QUEUE_H
#define SERVER_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes kept free before each message for the transport's framing (lws needs
 * LWS_PRE == 16 on every platform we build for; ws.c asserts it). */
#define QUEUE_HEADROOM 16

/* What a queued message is. Control messages (text) are never dropped and are
 * written before media. Room events (text: member_joined, member_left) are
 * never dropped either but keep their place among the media frames, so that
 * a receiver never sees a member's frames after that member's member_left.
 * Binary frames keep their kind for accounting. */
enum qkind { QK_CTRL = 0, QK_AUDIO = 1, QK_VIDEO = 2, QK_DATA = 3, QK_EVENT = 4 };
static inline int qkind_is_text(uint8_t k) { return k == QK_CTRL || k == QK_EVENT; }

struct qmsg {
    struct qmsg *next;
    size_t len;                  /* bytes after the headroom */
    uint8_t kind;                /* enum qkind */
    uint8_t mem[];               /* QUEUE_HEADROOM + len */
};

static inline uint8_t *qmsg_data(struct qmsg *m) { return m->mem + QUEUE_HEADROOM; }

struct outq {
    struct qmsg *ctrl_head, *ctrl_tail;
    struct qmsg *media_head, *media_tail;
    size_t bytes;                /* queued payload bytes, both lists */
    size_t count;
};

/* A message with room for len bytes; NULL when out of memory. The caller fills
 * qmsg_data() and then gives it to outq_push() or free()s it. */
struct qmsg *qmsg_new(size_t len, enum qkind kind);
/* Takes m. */
void outq_push(struct outq *q, struct qmsg *m);
/* Next message to write (control first, then media in order); the caller owns
 * it and free()s it. NULL when empty. */
struct qmsg *outq_pop(struct outq *q);
/* Frees every queued media frame (the receiver left its room); control
 * messages and room events stay. */
void outq_purge_media(struct outq *q);
/* Frees everything. */
void outq_clear(struct outq *q);

/* The congestion decision for one frame of len bytes and kind about to be
 * queued for a receiver that already has `queued` bytes waiting, with soft
 * budget `soft` and hard cap 4 * soft. */
enum qverdict {
    QV_QUEUE = 0,        /* queue it */
    QV_QUEUE_PAUSE = 1,  /* data: queue it, and stop reading from the sender */
    QV_DROP_VIDEO = 2,   /* video past the soft budget: drop, count, ask for a keyframe */
    QV_TOO_SLOW = 3,     /* past the hard cap: fatal too_slow for the receiver */
};
#define QUEUE_HARD_FACTOR 4
enum qverdict queue_decide(size_t queued, size_t len, enum qkind kind, size_t soft);
/* Whether a sender paused because of this receiver may be read again. */
int queue_may_resume(size_t queued, size_t soft);

#endif
