/* queue.h: per-receiver outbound queues and the congestion policy of
 * PROTOCOL.md §4 as plain functions of sizes.
 *
 * Owns the queued messages (each one malloc'ed block with transport headroom
 * in front of the bytes). Pure: no clock, no I/O, no lws; the glue (ws.c)
 * writes what outq_pop() hands it. Invariant: q->bytes is the sum of the
 * lengths of the queued messages, q->data_bytes that of the data frames. */
#ifndef SERVER_QUEUE_H
#define SERVER_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes kept free before each message for the transport's framing (lws needs
 * LWS_PRE == 16 on every platform we build for; ws.c asserts it). */
#define QUEUE_HEADROOM 16

/* What a queued message is. Control messages (text) are never dropped and are
 * written before anything else. Room events (text: member_joined,
 * member_left, relayed e2e) are never dropped either and keep their place
 * among the frames of the member they concern (their slot). Binary frames
 * keep their kind for accounting and for the write order below. */
enum qkind { QK_NONE = -1, QK_CTRL = 0, QK_AUDIO = 1, QK_VIDEO = 2, QK_DATA = 3, QK_EVENT = 4 };
static inline int qkind_is_text(uint8_t k) { return k == QK_CTRL || k == QK_EVENT; }

/* The class of a binary frame of wire kind `kind` (bp/kinds.h), or QK_NONE
 * for a kind that is not in the table: the one mapping from the proto's
 * table of kinds to the queue's classes, never a cast (a wire kind must never
 * become a text message or an undroppable one by accident). Audio: never
 * dropped, the receiver is cut past the hard cap; video (droppable, with
 * keyframes): dropped past the soft budget and a keyframe asked for; data:
 * never dropped nor cut, its sender is held (flow control). A new kind gets
 * its row here, and tests/unit/server/test_queue.c checks the two tables
 * agree. */
enum qkind queue_class_of_kind(unsigned kind);

#define QUEUE_SLOTS 4        /* senders in a room (BP_MAX_MEMBERS) */
#define QUEUE_NO_SLOT 0xff   /* a message about no member */

struct qmsg {
    struct qmsg *next;
    size_t len;                  /* bytes after the headroom */
    uint64_t ord;                /* order of arrival in its queue (set by outq_push) */
    int64_t queued_ms;           /* when it was queued (monotonic ms, set by whoever queues it):
                                  * the media wait (outq_media_wait_ms) is read from it */
    uint8_t kind;                /* enum qkind */
    uint8_t slot;                /* frames: the sender; events: the member concerned; else QUEUE_NO_SLOT */
    uint8_t mem[];               /* QUEUE_HEADROOM + len */
};

static inline uint8_t *qmsg_data(struct qmsg *m) { return m->mem + QUEUE_HEADROOM; }

/* The write order (outq_pop): control messages first; then audio, room
 * events, video, data, each kind in its order of arrival; within those
 * rules, two orders always hold for one member (slot):
 *   - a room event is never written before a frame of its member queued
 *     before it (a member's frames all arrive before its member_left, and
 *     data under an old key before the e2e message that replaces the key);
 *   - a frame is never written before a room event of its member queued
 *     before it (nothing from a new member before its member_joined).
 * So audio and video never wait behind data (back-pressure holds data
 * alone), except behind the data of a member whose room event is due. */
struct qlane {
    struct qmsg *head, *tail;
};
struct outq {
    struct qlane ctrl, events;
    struct qlane audio[QUEUE_SLOTS], video[QUEUE_SLOTS], data[QUEUE_SLOTS];
    uint64_t next_ord;
    size_t bytes;                /* queued payload bytes, all lanes */
    size_t data_bytes;           /* the part of bytes that is data frames (QK_DATA) */
    size_t count;
};

/* A message with room for len bytes, about no member (set m->slot for a
 * frame or a room event); NULL when out of memory. The caller fills
 * qmsg_data() and then gives it to outq_push() or free()s it. */
struct qmsg *qmsg_new(size_t len, enum qkind kind);
/* Takes m. */
void outq_push(struct outq *q, struct qmsg *m);
/* Next message to write (see "The write order" above); the caller owns it
 * and free()s it. NULL when empty. */
struct qmsg *outq_pop(struct outq *q);
/* How long the oldest audio or video frame in q has waited at now_ms (ms;
 * 0 when there is none): the delay a new frame would join, as a receiver's
 * link makes it. Data frames are not counted (a file transfer is not
 * congestion: it is held by flow control and waits behind media anyway), nor
 * control messages and room events. Each lane is in order of arrival, so the
 * oldest is the earliest of the lanes' heads. */
int64_t outq_media_wait_ms(const struct outq *q, int64_t now_ms);
/* Frees every queued media frame (the receiver left its room); control
 * messages and room events stay. */
void outq_purge_media(struct outq *q);
/* Frees everything. */
void outq_clear(struct outq *q);

/* The congestion decision for one frame of len bytes and kind about to be
 * queued for a receiver that already has `queued` bytes waiting, `data` of
 * them data frames, with soft budget `soft` and hard cap 4 * soft.
 * The soft budget counts everything; the hard cap counts everything but
 * data: data is bounded by flow control instead (a sender is held past the
 * soft budget and may then send only its allowance), so data a sender was
 * allowed to send never gets a receiver cut, while audio and control
 * messages a receiver cannot take do. */
enum qverdict {
    QV_QUEUE = 0,        /* queue it */
    QV_QUEUE_HOLD = 1,   /* data: queue it, and hold the sender's data (flow hold) */
    QV_DROP_VIDEO = 2,   /* video past the soft budget: drop, count, ask for a keyframe */
    QV_TOO_SLOW = 3,     /* past the hard cap: fatal too_slow for the receiver */
};
#define QUEUE_HARD_FACTOR 4
enum qverdict queue_decide(size_t queued, size_t data, size_t len, enum qkind kind, size_t soft);
/* queue_decide() for a binary frame, plus the delay rule (PROTOCOL.md §4
 * "Queues"): a video frame is dropped (QV_DROP_VIDEO) when the receiver's
 * media wait (outq_media_wait_ms) is already over delay_ms, whatever its
 * size: a frame that would be shown seconds late is worse than none, and
 * dropping it lets the audio queued with it catch up. Audio and data never
 * are (audio is never dropped; data is flow controlled). */
#define QUEUE_VIDEO_DELAY_MS_DEFAULT 500
#define QUEUE_VIDEO_DELAY_MS_MIN 100
#define QUEUE_VIDEO_DELAY_MS_MAX 10000
enum qverdict queue_decide_frame(size_t queued, size_t data, size_t len, enum qkind kind, size_t soft,
                                 int64_t wait_ms, int64_t delay_ms);
/* Whether a receiver holding back senders is drained enough to release them
 * (flow go): under half the budget. */
int queue_may_resume(size_t queued, size_t soft);

/* Data a held sender may still send: what may have been in flight when it
 * was told to hold. One soft budget, but at least QUEUE_ALLOWANCE_MIN (four
 * frames of the largest size: in flight is a matter of the network, not of
 * the budget), plus in_socket, what the sender had already sent that the
 * server had not read yet when it decided the hold (its socket's receive
 * queue: certainly sent before the hold). Past it, its data is refused. */
#define QUEUE_ALLOWANCE_MIN (4u * 1024 * 1024)
uint64_t queue_allowance(size_t soft, size_t in_socket);
/* Whether a frame of len bytes still fits in an allowance of which a held
 * sender has used held_bytes. */
int queue_allowance_ok(uint64_t held_bytes, size_t len, uint64_t allowance);

/* Drain deadline: a connection that owes its peer bytes (some written to
 * the socket and not acknowledged, or messages still queued) must see its
 * peer acknowledge min(what it owed, QUEUE_PROGRESS_MIN) bytes within
 * QUEUE_STALL_MS, or it is cut (too_slow). Measured on the peer's TCP
 * acknowledgements, not on our queue: a large message sits whole in the
 * transport's buffer (lws) while it trickles out, and a receiver that stopped
 * reading still has its kernel buffers filled for it. A receiver on a slow
 * link keeps passing: 64 KiB in 10 s is 52 kbit/s.
 * The same count is a sign of life: a peer that took QUEUE_PROGRESS_MIN more
 * bytes is reading, even when our ping waits behind megabytes it has not
 * reached yet (a pure receiver on a slow link sends nothing else). A ping or
 * a trickle of audio to a peer that stopped reading cannot pass for it. */
#define QUEUE_STALL_MS 10000
#define QUEUE_PROGRESS_MIN 65536
struct txwatch {
    uint64_t goal;      /* acknowledged count to reach */
    int64_t since_ms;   /* when goal was set */
    int armed;          /* something is owed */
    uint64_t life;      /* acknowledged count at the last sign of life */
};
enum txw_verdict {
    TXW_OK = 0,
    TXW_ALIVE = 1,      /* QUEUE_PROGRESS_MIN more bytes acknowledged: the peer reads */
    TXW_STALLED = 2,    /* no progress for QUEUE_STALL_MS: cut it */
};
/* One sample (about once a second): acked is the peer's cumulative
 * acknowledged byte count, unacked what was written and not yet
 * acknowledged, queued the messages still in our queue. Pure. */
enum txw_verdict txwatch_sample(struct txwatch *w, uint64_t acked, uint64_t unacked, size_t queued,
                                int64_t now_ms);

#endif
