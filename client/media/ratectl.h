/* ratectl.h: the send side's rate control (issue 9, item 3): turns what the
 * sender observes about its one TLS/TCP connection into two decisions, the
 * VP8 target bitrate and, per video picture, encode it or skip it at the
 * source. Pure logic: every time is passed in (local microseconds, any
 * origin); no clock, no I/O, no thread, no codec, no floating point.
 *
 * Owns: one struct ratectl (allocated by ratectl_new, nothing after). Must
 * never: refuse or delay audio (there is no audio admission at all: audio
 * always goes, its bytes are only counted against what video may use), read
 * a socket, or hand out a bitrate outside [cfg.min_kbps, cfg.max_kbps]
 * (within vp8.h's 150..1500). Every input is clamped first (negative, zero,
 * huge), so no input can crash it or make a rate out of range.
 *
 * THE POLICY (delay based; the figures are the defaults of
 * ratectl_config_default):
 *  - Observations come every ~100 ms (ratectl_observe): our unsent backlog
 *    (our send queues + the socket's notsent bytes), the kernel's delivery
 *    rate D (0 = unknown), the smoothed RTT, the audio and video bytes sent
 *    since the last one, and, when one arrived, the server's report on our
 *    worst receiver (video frames it dropped for it, its queue delay).
 *  - D is the link's rate only when measured on a busy link: not
 *    app-limited (the kernel's flag) and more than one frame (at our own
 *    rate) waiting; else it only shows what we sent.
 *  - The delay we add is: backlog / D (the time our queue takes to drain;
 *    without D: the last known D, else our own rate; on a link not busy at
 *    least our own rate) + the RTT above its
 *    10-s minimum (a queue in the network) + the worst receiver's queue
 *    delay at the server (kept 2 s after its report).
 *  - Three congestion signals: the delay is above the high mark (150 ms);
 *    video frames were skipped at the source since the last observation
 *    (the link is saturated: not counted for 1 s after a keyframe, whose
 *    size is expected to hold the queue); the server dropped video frames
 *    for our worst receiver.
 *  - Decrease, on a signal: delay -> min(0.85 x target, 0.90 x (D - audio));
 *    skips -> min(target, 0.90 x (D - audio)) (fit under the link), or
 *    0.85 x target without D; receiver drops -> 0.75 x target, or, when
 *    the server reported that receiver's busy link rate R (media_report's
 *    rate_kbps), 0.80 x (R - audio) x (1 - its queue delay / 1.5 s, at
 *    least 0.6): under its link, deeper while its queue is long so that the
 *    queue drains in about 2 s; a delay that is mostly the receiver's queue
 *    is cut to R the same way. The part based on D applies only with a
 *    busy link's D of the last 2 s, and when the local part of the delay
 *    (or skipping) is the signal (D says nothing of another receiver's path).
 *    The ceiling, the highest rate believed to fit, becomes
 *    0.95 x (D - audio) (0.95 x (R - audio) for a receiver's cut; or the
 *    new target when neither tells). A second
 *    decrease waits 1 s (the hold) unless the delay is still growing.
 *  - Increase, when the delay is under the low mark (50 ms), no frame was
 *    skipped, the receiver reported no drop and the hold is over: below the
 *    ceiling, toward it by 10 % (at least 25 kbit/s) per step; at or above
 *    it, once 4 s have passed since the last decrease, by x 1.2 per step
 *    (a probe: the link may have got better; the ceiling follows). After a
 *    cut for a receiver, probe steps are 1 s apart (its feedback comes once
 *    a second) and the first three are gentle, x 1.05. And no increase goes
 *    past 0.8 x (R - audio) while a report gave a receiver's busy link rate
 *    R in the last 10 s: that receiver's queue would be seconds long before
 *    its report said so; once its queue stays empty for 10 s (no rate),
 *    probing resumes, gently (x 1.05, 1 s apart) up to 1.15 x (R - audio) for
 *    the next 30 s, then at x 1.2. No probe
 *    while the encoder sends under half its target (a still picture: a
 *    higher target would be untested).
 *  - At most one change per 500 ms: vp8.c's CBR buffer is 500 ms, so libvpx
 *    follows a new target within a few frames; 500 ms (15 frames, 5
 *    observations) lets the effect of one change show in the backlog and
 *    the delivery rate before the next is decided, and still cuts a rate
 *    within half a second. Skipping frames covers the meantime; a signal
 *    seen while no change is allowed yet (outside the hold) is kept for the
 *    first observation that may act on it.
 *  - Per video picture (ratectl_video_admit): skip it while the backlog,
 *    projected from the last observation (+ frames admitted since, + audio
 *    at its measured rate, - D x elapsed), exceeds what one frame interval
 *    drains (D / fps). Skipping is how video is dropped before it is late;
 *    it only bridges until the target comes down (libvpx re-estimates its
 *    frame rate, so persistent skipping alone would not lower the bytes).
 *  - Keyframe requests (ratectl_keyframe_request) are coalesced and granted
 *    on an admitted picture at most one per 500 ms, or one per 2 s while
 *    congested (a signal at the last observation, or within the hold):
 *    a keyframe costs about 3 frames (vp8.c caps intra at 300 %).
 * Start at 500 kbit/s: above the floor so a good link reaches 1500 within
 * about 4 s, low enough that a poor one is not flooded at first. */
#ifndef RATECTL_H
#define RATECTL_H

#include <stdint.h>

struct ratectl;

struct ratectl_config {
    uint32_t min_kbps, max_kbps; /* the range of the target: 150 <= min < max <= 1500 */
    uint32_t start_kbps;         /* the first target, within the range */
    uint32_t fps;                /* pictures offered per second, 1..120 */
    uint32_t audio_kbps;         /* audio's rate until measured, 0..510 */
    uint32_t low_mark_ms;        /* increase only under this delay */
    uint32_t high_mark_ms;       /* decrease above it; low < high <= 10000 */
    uint32_t change_every_ms;    /* at most one target change per this long, 100..10000 */
    uint32_t hold_ms;            /* no increase, no second decrease, this long after one */
    uint32_t probe_wait_ms;      /* no probe above the ceiling this long after a decrease */
    uint32_t key_gap_ms;         /* at most one keyframe per this long... */
    uint32_t key_gap_congested_ms; /* ...or this long while congested (>= key_gap_ms) */
};

/* The defaults above: 150..1500 from 500 kbit/s, 30 fps, audio 32 kbit/s,
 * marks 50/150 ms, changes 500 ms apart, hold 1 s, probe wait 5 s, keyframes
 * 500 ms / 2 s apart. */
void ratectl_config_default(struct ratectl_config *cfg);

/* The server's report on our worst receiver (the control message that
 * carries it comes later). Fill present = 1 only on the observation that
 * follows a report. */
struct ratectl_rx_report {
    int present;
    int64_t video_dropped;  /* video frames the server dropped for it since its last report */
    int64_t queue_delay_ms; /* how long its queue at the server holds a frame now */
    int64_t rate_Bps;       /* its link's rate as the server measured it while its
                               queue was busy (bytes/s); 0 = unknown */
};

/* One observation. Negative values count as 0; each value is clamped to a
 * sane ceiling (backlog 1 GB, rate 1.25 GB/s, RTT 10 s, bytes 100 MB). */
struct ratectl_obs {
    int64_t now_us;
    int64_t backlog_bytes;     /* our send queues + the socket's notsent bytes */
    int64_t delivery_Bps;      /* tcpi_delivery_rate, bytes/s; 0 = unknown */
    int64_t srtt_us;           /* tcpi_rtt; 0 = unknown */
    int64_t audio_bytes;       /* audio sent since the last observation */
    int64_t video_bytes;       /* video sent since the last observation */
    int app_limited;           /* tcpi_delivery_rate_app_limited: D was measured
                                  while we had too little to send (0 if unknown) */
    struct ratectl_rx_report rx;
};

/* 0 with *out, or BP_E_INVALID_FIELD (*why names the setting) or BP_E_NOMEM.
 * cfg NULL: the defaults. Free with ratectl_free. */
int ratectl_new(const struct ratectl_config *cfg, struct ratectl **out, const char **why);
void ratectl_free(struct ratectl *rc); /* NULL is fine */

/* rc and obs are never NULL (asserted) in the calls below. */

/* Feeds one observation (read only during the call). Returns 1 when the
 * target changed (call vp8_encoder_set_bitrate with ratectl_bitrate_kbps),
 * else 0. A now_us earlier than the last one counts as the last one. */
int ratectl_observe(struct ratectl *rc, const struct ratectl_obs *obs);

/* The target, kbit/s, always within [cfg.min_kbps, cfg.max_kbps]. */
int ratectl_bitrate_kbps(const struct ratectl *rc);

enum ratectl_verdict {
    RATECTL_SKIP = 0,         /* do not encode this picture */
    RATECTL_ENCODE = 1,       /* encode it */
    RATECTL_ENCODE_KEY = 2,   /* encode it as a keyframe (vp8_encoder_request_keyframe first) */
};

/* The decision for the picture about to be encoded at now_us;
 * expected_bytes is the caller's guess of its size as a delta frame (<= 0:
 * target / fps). Returns a ratectl_verdict. */
int ratectl_video_admit(struct ratectl *rc, int64_t now_us, int64_t expected_bytes);

/* A keyframe is wanted (a receiver lost its way, a new member, a new key
 * epoch): remembered, and granted by a later ratectl_video_admit when the
 * pacing allows. Several requests before the grant make one keyframe. */
void ratectl_keyframe_request(struct ratectl *rc, int64_t now_us);

/* Why the last change was made. */
enum ratectl_reason {
    RATECTL_NONE = 0,
    RATECTL_DEC_DELAY = 1,    /* delay above the high mark */
    RATECTL_DEC_SKIP = 2,     /* frames skipped: the link is saturated */
    RATECTL_DEC_RECEIVER = 3, /* the server dropped video for our worst receiver */
    RATECTL_INC_CEILING = 4,  /* back toward the ceiling */
    RATECTL_INC_PROBE = 5,    /* above it */
};

struct ratectl_stats {
    uint64_t observations;
    uint64_t decreases, increases;
    uint64_t admitted, skipped;     /* pictures */
    uint64_t key_requests, key_granted;
    uint64_t clamped;               /* inputs out of range, or times stepping back: clamped */
    int64_t delay_us;               /* the delay at the last observation (all parts) */
    int64_t local_delay_us;         /* of which our backlog */
    int64_t rtt_excess_us;          /* of which the RTT above its minimum */
    int64_t ceiling_kbps;           /* 0 = none known */
    int64_t audio_bps, video_bps;   /* measured sending rates, smoothed */
    int64_t drain_Bps;              /* the rate the backlog is assumed to drain at */
    enum ratectl_reason last_reason;
};

void ratectl_stats_get(const struct ratectl *rc, struct ratectl_stats *st);

/* A static name for a reason ("delay", "skip", ...). */
const char *ratectl_reason_name(enum ratectl_reason r);

#endif
