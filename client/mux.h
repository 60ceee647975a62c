/* mux.h: the frame mux of one connection: one frame source and one frame
 * sink per kind of binary frame (proto/bp/kinds.h, PROTOCOL.md §4).
 *
 * Sending ("the receiver pulls"): on each WRITEABLE, mux_next() pulls one
 * frame from the sources in serving order (the order of the kinds table:
 * audio, then video, then data, as the server serves them), builds its
 * routing header (kind, our slot, the kind's own sequence number, times),
 * seals it with the room's end-to-end state (e2e_room.h) and hands back
 * the bytes to write. A kind the server holds (flow hold, §4 "Queues")
 * is skipped until it lets go; the others keep going.
 *
 * Receiving: mux_receive() gives a frame to end-to-end encryption to open
 * (it may hold it for a key still on its way); the opened frame comes back
 * through mux_deliver(), which hands it to its kind's sink. A kind with no
 * sink is counted and dropped.
 *
 * Other threads (an encoder): a source filled on another thread has no
 * pending() and calls mux_wake() after each push; mux_wake() is the only
 * function of this file another thread may call. The loop thread then sees
 * the wake (mux_poke) and pulls.
 *
 * Owns: the table of sources and sinks (borrowed objects), the holds,
 * per-kind sequence numbers and counters, one scratch buffer for a
 * plaintext before sealing (wiped after each frame). Never decides when to
 * send (the dialog asks for a write), never reads a clock (times are passed
 * in), never touches a socket. Arrays are sized by BP_STREAMS and indexed
 * by a kind's stream number (unique per kind, below BP_STREAMS). */
#ifndef CLIENT_MUX_H
#define CLIENT_MUX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"
#include "bp/kinds.h"

struct e2e;

/* What a source says about the frame it wrote, beyond its payload. */
struct mux_meta {
    uint8_t flags;     /* BP_FLAG_KEYFRAME, only for kinds whose row allows it */
    uint32_t media_ts; /* the stream's clock; 0 without has_times: the send time in ms */
    int has_times;       /* media_ts and capture_ms are the source's (a media frame:
                            capture_ms in the server's clock, PROTOCOL.md §4.3) */
    uint32_t capture_ms; /* with has_times; else the header gets the send time */
};

struct mux_source {
    /* Writes the payload (plaintext) of the next frame into out (cap bytes)
     * and returns its length; 0 when it has nothing now or out is too small
     * for its next frame (it keeps it), a negative code when it failed (the
     * mux goes on with the next kind). meta is zeroed before the call. */
    int (*next)(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now_ms);
    /* May be NULL. Whether frames are waiting, for sources of the loop
     * thread. A source filled by another thread leaves it NULL and wakes the
     * loop instead (mux_wake); it is then asked after each wake until it
     * says 0. */
    int (*pending)(void *ctx);
};

struct mux_sink {
    /* One opened frame of the sink's kind: header h, payload (len bytes,
     * valid during the call). Returns 1 when it was taken, 0 when dropped
     * (malformed for this kind, refused). */
    int (*frame)(void *ctx, const struct bp_hdr *h, const uint8_t *payload, size_t len,
                 uint64_t now_ms);
    /* Each may be NULL. A member took slot (a new sender there); the member
     * in slot left; time passes (every tick); the visit ended (why: static
     * text for what is cut short). */
    void (*slot_taken)(void *ctx, uint8_t slot);
    void (*slot_gone)(void *ctx, uint8_t slot, uint64_t now_ms);
    void (*tick)(void *ctx, uint64_t now_ms);
    void (*stop)(void *ctx, const char *why);
};

/* One kind. */
struct mux_lane {
    const struct bp_kind_info *info; /* NULL: no kind has this stream */
    const struct mux_source *src;    /* NULL: nothing to send of this kind */
    void *src_ctx;
    const struct mux_sink *sink; /* NULL: frames of this kind are dropped */
    void *sink_ctx;
    int held;                        /* the server holds this kind (flow): no new frame */
    int maybe;                       /* a source without pending() may have frames (woken) */
    uint32_t seq;                    /* next sequence number of this kind (PROTOCOL.md §4) */
    uint64_t sent, received, unsunk; /* frames: sent, given to the sink, dropped without one */
};

struct mux {
    struct mux_lane lane[BP_STREAMS]; /* by stream number */
    uint8_t order[BP_STREAMS];        /* streams in serving order */
    unsigned nlanes;
    struct e2e *e2e;  /* borrowed; NULL: frames in clear (unit tests of the plain path) */
    uint8_t slot;     /* our slot, written in the header (the server overwrites it) */
    uint64_t sent;    /* frames sent, every kind (compared with stats.frames_in) */
    uint64_t wakes;   /* wakes seen by the loop */
    uint8_t *scratch; /* one plaintext before sealing; allocated on first use */
    /* Other threads: who wakes the loop (the connection, while it runs). */
    pthread_mutex_t wake_mu;
    void (*wake_fn)(void *ctx);
    void *wake_ctx;
};

void mux_init(struct mux *m);
/* Frees the scratch buffer; sources and sinks are the caller's. */
void mux_free(struct mux *m);

/* Sets (or with NULL removes) the source or the sink of kind (a wire value
 * of the kinds table). 0, or BP_E_INVALID_FIELD for a kind not in the
 * table. The objects are borrowed until mux_free or replacement. */
int mux_set_source(struct mux *m, unsigned kind, const struct mux_source *src, void *ctx);
int mux_set_sink(struct mux *m, unsigned kind, const struct mux_sink *sink, void *ctx);

/* The server's flow hold on kind (held = 1) or go (0). */
void mux_hold(struct mux *m, unsigned kind, int held);
int mux_held(const struct mux *m, unsigned kind);
/* The next sequence number of kind (how many frames of it were sent). */
uint32_t mux_seq(const struct mux *m, unsigned kind);

/* 1 when frames could be sealed now (no end-to-end state, or one that
 * allows sending: e2e_can_send). */
int mux_ready(const struct mux *m);
/* 1 when a source that is not held has, or may have, a frame. */
int mux_pending(const struct mux *m);
/* Pulls, seals and writes the next frame (header + sealed payload) into buf
 * (cap bytes). Returns its length, 0 when there is none, or a negative code
 * when sealing failed (the frame is lost). */
int mux_next(struct mux *m, uint8_t *buf, size_t cap, uint64_t now_ms);

/* A received frame whose routing header is valid: opened by the end-to-end
 * state (which calls back into mux_deliver through its io.frame), or, in
 * clear, delivered at once. */
void mux_receive(struct mux *m, const uint8_t *buf, size_t len, uint64_t now_ms);
/* One frame in clear (header + payload) to its kind's sink. Returns the
 * sink's answer (1 taken), or 0 when it was dropped. */
int mux_deliver(struct mux *m, const uint8_t *frame, size_t len, uint64_t now_ms);

/* Room events for every sink. */
void mux_slot_taken(struct mux *m, uint8_t slot);
void mux_slot_gone(struct mux *m, uint8_t slot, uint64_t now_ms);
void mux_tick(struct mux *m, uint64_t now_ms);
void mux_stop(struct mux *m, const char *why);

/* Loop thread: who wakes the loop from now on (NULL: nobody; the connection
 * is gone). Installing one counts as a wake: what other threads pushed
 * before it was there is pulled. */
void mux_set_waker(struct mux *m, void (*fn)(void *ctx), void *ctx);
/* Any thread: frames were pushed into a source without pending(). Takes a
 * void * (the mux) so that it can be given as a callback. */
void mux_wake(void *mux);
/* Loop thread: a wake arrived; sources without pending() are asked again. */
void mux_poke(struct mux *m);

#endif
