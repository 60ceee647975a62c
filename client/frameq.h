/* frameq.h: a bounded queue of frames filled by one thread (a capture or
 * encoder thread) and drained by the network loop, as a mux source
 * (mux.h) of one kind.
 *
 * The producer pushes a payload (copied) and the queue wakes the loop
 * through the callback given at init (mux_wake); the loop pulls through
 * frameq_source. The queue never blocks the loop: a full queue refuses the
 * push, and the producer decides (drop the frame: the right thing for live
 * audio and video; or wait for room with frameq_wait_room, for frames that
 * must all arrive).
 *
 * Owns: the copies of the frames waiting (freed when pulled or at
 * frameq_free), one mutex and one condition variable. Thread rules:
 * frameq_push and frameq_wait_* from the producer; the source's next() from
 * the loop; init and free when neither runs. */
#ifndef CLIENT_FRAMEQ_H
#define CLIENT_FRAMEQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mux.h"

struct frameq_item {
    uint8_t *buf;
    size_t len;
    uint8_t flags;
    uint8_t has_times; /* media_ts and capture_ms are the producer's (else the mux's) */
    uint32_t media_ts;
    uint32_t capture_ms;
};

struct frameq {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* an item was pulled (room, or empty) */
    struct frameq_item *items;
    unsigned cap, head, n;
    size_t max_len;
    size_t bytes; /* payload bytes waiting */
    void (*wake)(void *ctx); /* called after each push, outside the lock */
    void *wake_ctx;
    uint64_t pushed, pulled, refused, too_big;
};

/* cap frames of at most max_len bytes. wake (may be NULL) tells the loop
 * there is something to pull. 0 or BP_E_NOMEM. */
int frameq_init(struct frameq *q, unsigned cap, size_t max_len, void (*wake)(void *ctx),
                void *wake_ctx);
void frameq_free(struct frameq *q);

/* Producer: queues a copy of payload. 0, BP_E_NOMEM when the queue is full
 * (or memory is), BP_E_TOO_LARGE over max_len. */
int frameq_push(struct frameq *q, const uint8_t *payload, size_t len, uint8_t flags,
                uint32_t media_ts);
/* Producer: a media frame with its own times (the header's media_ts and
 * capture_ms, PROTOCOL.md §4.2): otherwise as frameq_push. */
int frameq_push_timed(struct frameq *q, const uint8_t *payload, size_t len, uint8_t flags,
                      uint32_t media_ts, uint32_t capture_ms);
/* Free places now (a producer that must push several frames together, the
 * chunks of one video frame, checks first: it is the only one pushing). */
unsigned frameq_room(struct frameq *q);
/* Payload bytes waiting now (part of the sender's backlog). */
size_t frameq_bytes(struct frameq *q);
/* Producer: waits until the queue has room (1) or timeout_ms passed (0). */
int frameq_wait_room(struct frameq *q, unsigned timeout_ms);
/* Producer: waits until every frame pushed was pulled (1) or timeout_ms
 * passed (0). */
int frameq_wait_empty(struct frameq *q, unsigned timeout_ms);
/* Frames waiting now. */
unsigned frameq_count(struct frameq *q);

/* The mux source of a frameq (ctx: the queue). It has no pending(): the
 * queue wakes the loop itself. A frame larger than what the mux can take
 * now stays first in the queue. */
extern const struct mux_source frameq_source;

#endif
