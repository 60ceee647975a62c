/* avsync.h: lip sync: video scheduled on the audio clock (issue 9, item 4).
 * Pure logic: times are passed in (local µs, monotonic), no clock, no I/O.
 *
 * The audio playout says which audio it is playing when
 * (avsync_audio_played: the frame captured at the sender's capture_ms starts
 * playing at now_us). Audio and video of one sender carry capture_ms on the
 * same sender clock, so a decoded video frame captured at C belongs at
 * T = t_a + (C - C_a) ms, from the latest audio report (t_a, C_a). For each
 * decoded video frame the caller asks avsync_video: render now, wait until
 * T, or drop (later than T + drop_late_us: showing it would put video that
 * far behind the voice). Without a recent audio report (muted, no audio,
 * audio stalled longer than audio_stale_us) video plays on its own clock:
 * render now, as its jitter buffer released it.
 *
 * Owns: a ring of the last cfg.window measured offsets (render time - T,
 * positive: video behind audio) and a scratch array for their percentiles,
 * both allocated once by avsync_new.
 * Must never: hold frames (the caller keeps a waiting frame), read a clock. */
#ifndef AVSYNC_H
#define AVSYNC_H

#include <stdint.h>

struct avsync;

struct avsync_config {
    uint32_t drop_late_us;   /* later than T by more: drop (default 80 ms) */
    uint32_t audio_stale_us; /* no audio report for this long: own clock (default 500 ms) */
    uint32_t max_wait_us;    /* T further ahead than this: the clocks disagree (a
                                sender restart), render now (default 2 s) */
    uint32_t window;         /* offsets kept for p50/p95, 8..4096 (default 256) */
};

void avsync_config_default(struct avsync_config *cfg);
/* Returns 0 with *out, BP_E_INVALID_FIELD (*why says which) or BP_E_NOMEM. */
int avsync_new(const struct avsync_config *cfg, struct avsync **out, const char **why);
void avsync_free(struct avsync *av); /* NULL is fine */

/* The audio frame captured at capture_ms starts playing at now_us (call on
 * every played or concealed-with-FEC audio frame; not on a stall). */
void avsync_audio_played(struct avsync *av, uint32_t capture_ms, uint64_t now_us);

enum avsync_action {
    AVSYNC_RENDER = 0, /* show it now */
    AVSYNC_WAIT = 1,   /* keep it and ask again at at_us */
    AVSYNC_DROP = 2,   /* too late for the voice: discard it */
};

struct avsync_decision {
    enum avsync_action action;
    uint64_t at_us;    /* WAIT: when to ask again (T) */
    int synced;        /* 1: on the audio clock; 0: on its own clock */
    int64_t offset_us; /* synced RENDER or DROP: now - T (positive: video behind) */
};

/* Decides for the decoded video frame captured at capture_ms, at now_us.
 * A synced RENDER records its offset in the window. */
void avsync_video(struct avsync *av, uint32_t capture_ms, uint64_t now_us,
                  struct avsync_decision *d);

struct avsync_stats {
    uint64_t rendered_synced, rendered_own_clock, waits, dropped, out_of_range;
    uint32_t samples;              /* offsets in the window */
    int64_t offset_p50_us;         /* signed median of the window */
    int64_t abs_offset_p95_us;     /* 95th percentile of |offset| */
};

/* Sorts a copy of the window (in the scratch array made at creation). */
void avsync_stats_get(struct avsync *av, struct avsync_stats *st);

#endif
