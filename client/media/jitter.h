/* jitter.h: the adaptive jitter buffer of one stream of one sender (issue 9,
 * item 4). Pure logic: the caller passes every time in (local microseconds,
 * any origin, monotonic); no clock, no I/O, no thread, no codec.
 *
 * Owns: a ring of cfg.slots slots of cfg.slot_bytes each, allocated once by
 * jitter_new (the whole memory is slots * slot_bytes plus a window of
 * cfg.window int64 samples); payloads are copied in, nothing is allocated
 * per frame. Frames are keyed by the header's seq (u32, wraps: unwrapped to
 * 64 bits against the last one seen) and media_ts (cfg.ts_hz ticks/s, wraps
 * the same way).
 *
 * Two uses, chosen by cfg.frame_us:
 *  - audio (frame_us > 0, e.g. 20000): the caller calls jitter_tick once per
 *    frame_us of playback; each tick gives a frame, a lost slot (with the
 *    next frame's payload when it is already here, for Opus FEC), or a stall
 *    (nothing to play: conceal with PLC, no slot consumed).
 *  - video (frame_us == 0): jitter_pop releases a frame when its media time
 *    plus the delay has come; jitter_next_due says when that is.
 *
 * The delay: every arrival gives a transit time (arrival - media time, on two
 * unrelated clocks, so only differences mean anything). The base is the
 * smallest transit over the last cfg.window arrivals; the target delay is the
 * spread (largest - smallest transit) over that window, clamped to
 * [min_delay_us, max_delay_us]. Why the window spread and not RFC 3550's J:
 * J is a smoothed mean deviation that needs a guessed multiplier to cover the
 * tail and climbs by 1/16 per sample on a burst, while the spread covers every
 * arrival of the window (no late frame under bounded jitter), grows on the
 * first late arrival, and shrinks only when the burst leaves the window
 * (cfg.window arrivals later). J is still computed and reported, for figures.
 * In audio use the played delay follows the target by whole frames: it grows
 * by stalling a tick (quickly, every tick if needed), and shrinks by skipping
 * one frame at most every cfg.shrink_every_us (slowly; counted as skipped).
 *
 * Must never: read a payload, keep a pointer given to it, allocate after
 * jitter_new. */
#ifndef JITTER_H
#define JITTER_H

#include <stddef.h>
#include <stdint.h>

struct jitter;

struct jitter_config {
    uint32_t ts_hz;          /* media_ts ticks per second (48000 audio, 90000 video) */
    uint32_t frame_us;       /* audio: one frame per tick of this length; 0: video */
    uint32_t min_delay_us;   /* floor of the target delay (default 40 ms) */
    uint32_t max_delay_us;   /* ceiling of the target delay (default 400 ms) */
    uint32_t slots;          /* frames held at most, 2..4096 */
    uint32_t slot_bytes;     /* largest payload, 1..1 MiB */
    uint32_t window;         /* arrivals the delay is measured over, 8..4096 */
    uint32_t shrink_every_us; /* audio: at most one skipped frame per this long */
};

/* Defaults for 20 ms Opus at 48 kHz: 40..400 ms, 64 slots of 1500 bytes
 * (1.28 s of audio; ~96 KB), a window of 250 arrivals (5 s), one skip per
 * 500 ms (shrinking at most 4 % faster than real time). */
void jitter_config_audio(struct jitter_config *cfg);
/* Defaults for video at 90 kHz: 40..400 ms, 32 slots of 256 KB (8 MB), a
 * window of 150 arrivals (5 s at 30 frames/s). */
void jitter_config_video(struct jitter_config *cfg);

/* Returns 0 with *out, or BP_E_INVALID_FIELD (a setting out of its range;
 * *why names it) or BP_E_NOMEM. Free with jitter_free. */
int jitter_new(const struct jitter_config *cfg, struct jitter **out, const char **why);
void jitter_free(struct jitter *jb); /* NULL is fine */

/* What jitter_push did with a frame. */
enum jitter_push_result {
    JITTER_STORED = 0,
    JITTER_LATE = 1,      /* its slot was already played, concealed or skipped: dropped */
    JITTER_DUPLICATE = 2, /* already held: dropped */
};

/* Copies payload[0..len) in; now_us is its arrival time. Returns a
 * jitter_push_result (>= 0), or BP_E_TOO_LARGE when len > slot_bytes (the
 * frame is dropped and counted as oversize). When the ring is full or the
 * frame is slots or more ahead of the next slot to play, the oldest frames
 * are dropped to make room (counted as overflow): fresh audio matters more
 * than old in a call. */
int jitter_push(struct jitter *jb, uint32_t seq, uint32_t media_ts, const void *payload,
                size_t len, uint64_t now_us);

enum jitter_kind {
    JITTER_NONE = 0,  /* playout not started (or, for video, nothing due) */
    JITTER_FRAME = 1, /* play out.payload (the frame of slot out.seq) */
    JITTER_LOST = 2,  /* slot out.seq's frame is missing at its time: conceal it;
                         out.fec says out.payload is the NEXT frame (still held,
                         to decode its FEC), else use PLC */
    JITTER_STALL = 3, /* nothing to play this tick (buffer empty, or the delay
                         is growing): conceal with PLC; no slot consumed */
};

/* One result. payload points into the buffer: valid until the next call on
 * jb (any call), never to be freed. */
struct jitter_out {
    enum jitter_kind kind;
    uint32_t seq;        /* the slot's seq (FRAME, LOST) */
    uint32_t media_ts;   /* the frame's media_ts (FRAME; LOST with fec: the next's) */
    int fec;             /* LOST: 1 if payload is the next frame's */
    const uint8_t *payload;
    size_t len;
    uint32_t lost_before; /* video: missing frames given up before this one */
};

/* Audio: one playout tick at now_us (call once per frame_us). Returns 0 or
 * BP_E_WRONG_STATE for a video buffer. */
int jitter_tick(struct jitter *jb, uint64_t now_us, struct jitter_out *out);

/* Video: releases the oldest held frame if it is due at now_us (its media
 * time + base + delay: the target at once when it grows, shrinking toward it
 * by 2 ms per released frame); frames missing before it are given up (counted
 * lost, out.lost_before). out.kind is FRAME or NONE. Call until NONE. Returns
 * 0 or BP_E_WRONG_STATE for an audio buffer. */
int jitter_pop(struct jitter *jb, uint64_t now_us, struct jitter_out *out);
/* Video: 1 with *due_us when the oldest held frame is due, 0 if none held. */
int jitter_next_due(const struct jitter *jb, uint64_t *due_us);

struct jitter_stats {
    uint64_t received;  /* stored frames (not late, not duplicate, not oversize) */
    uint64_t played;    /* FRAME results */
    uint64_t lost_fec;  /* LOST with the next frame present */
    uint64_t lost_plc;  /* LOST without it (video: every given-up frame) */
    uint64_t stalls;    /* STALL ticks: empty buffer or growing delay */
    uint64_t stalls_empty; /* of which the buffer was empty */
    uint64_t skipped;   /* frames dropped unplayed to shrink the delay */
    uint64_t late;      /* arrived after their slot */
    uint64_t duplicate;
    uint64_t overflow;  /* held frames dropped for room */
    uint64_t oversize;  /* payloads over slot_bytes */
    uint32_t held;      /* frames in the buffer now */
    uint32_t current_delay_us; /* audio: of the slot to play next; video: of the last
                                  frame released (after the smallest transit) */
    uint32_t target_delay_us;
    uint32_t jitter_us; /* RFC 3550-style interarrival jitter, for figures only */
};

void jitter_stats_get(const struct jitter *jb, struct jitter_stats *st);

#endif
