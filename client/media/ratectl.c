/* ratectl.c: the send side's rate control; the policy is written out in
 * ratectl.h. Pure logic: no clock, no I/O, no thread, no floating point
 * (rates in bit/s or byte/s and times in microseconds, all int64, every
 * input clamped before any product so nothing can overflow: the largest
 * product is a 1 GB backlog times 10^6).
 *
 * Must never: allocate after ratectl_new, refuse audio, or leave the target
 * outside [cfg.min_kbps, cfg.max_kbps]. */
#include "ratectl.h"

#include <assert.h>
#include <stdlib.h>

#include "bp/err.h"
#include "i18n.h"

/* Input ceilings: values above are garbage or beyond anything a call sees. */
#define MAX_BACKLOG 1000000000LL   /* 1 GB */
#define MAX_RATE_BPS 1250000000LL  /* bytes/s: 10 Gbit/s */
#define MAX_RTT_US 10000000LL      /* 10 s */
#define MAX_BYTES 100000000LL      /* 100 MB in one observation */
#define MAX_RX_DROPS 1000000LL
#define MAX_RX_DELAY_MS 60000LL
#define MAX_DELAY_US 60000000LL    /* a delay is reported up to 60 s */
#define MAX_FRAME_BYTES 4000000LL
#define TIME_LIMIT (1LL << 60)     /* |now_us| beyond this is clamped: differences stay finite */
#define MIN_DRAIN_BPS 1000LL       /* bytes/s: a link slower than this is as good as stalled */

/* The policy's factors, in per mille (see ratectl.h). */
#define CUT_DELAY 850     /* x target on a delay signal */
#define CUT_RECEIVER 750  /* x target on a receiver's drops */
#define FIT 900           /* x (D - audio): the rate a cut fits under */
#define CEILING 950       /* x (D - audio): the ceiling after a cut */
#define PROBE 1200        /* x target per probe step... */
#define PROBE_GENTLE 1050 /* ...but the first steps past the ceiling only this... */
#define PROBE_GENTLE_STEPS 3
#define PROBE_GENTLE_US 1000000LL /* ...and this far apart (every step, after a receiver's cut) */
#define RX_CAP_TTL_US 10000000LL /* a receiver's busy link rate caps the target this long... */
#define RX_ZONE_TTL_US 40000000LL /* ...then probes near it are gentle this long... */
#define RX_ZONE 1150              /* ...up to this x that rate (less audio): the rate
                                     reads low or high by a fifth from one report to the next */
#define FIT_RX 800         /* x (R - audio): a receiver's rate, measured by another kernel
                              on bursts, reads high; its link carries our framing too */
#define RX_DRAIN_MIN 600          /* x the fit: the deepest cut for a receiver's queue */
#define RX_DRAIN_US_PER_MILLE 1500 /* ...1/1000 less per 1.5 ms of its queue (500 ms: 0.67) */
#define RAMP 100          /* + target x this per step toward the ceiling... */
#define RAMP_MIN_BPS 25000 /* ...at least this */
#define KEY_FACTOR 3      /* a keyframe's bytes, in delta frames (vp8.c: intra cap 300 %) */

#define KEY_GRACE_US 1000000LL /* skips this soon after a keyframe are its own doing */
#define RX_TTL_US 2000000LL    /* a receiver's queue delay counts this long after its report */
#define DBUSY_TTL_US 2000000LL /* a busy link's D is the link's rate this long */
#define RTT_BUCKETS 5          /* the RTT minimum is over 5 buckets of 2 s */
#define RTT_BUCKET_US 2000000LL
#define DT_MIN_US 10000LL      /* rates are measured over at least 10 ms... */
#define DT_MAX_US 10000000LL   /* ...and at most 10 s */

struct ratectl {
    struct ratectl_config cfg;
    int64_t min_bps, max_bps;
    int64_t target_bps;

    int started;          /* an observation was fed */
    int have_now;
    int64_t now_us;       /* the latest time seen: time never goes back */
    int64_t last_obs_us;
    int64_t last_change_us; /* the first observation counts as a change */
    int have_dec;
    int64_t last_dec_us, delay_at_dec_us;
    int64_t ceiling_bps;  /* 0: none known */

    /* measurements */
    int have_d, have_dbusy;
    int64_t d_Bps;        /* the last known delivery rate */
    int64_t dbusy_Bps, dbusy_us; /* the last one measured on a busy link, and when */
    int64_t drain_Bps;    /* what the backlog is assumed to drain at */
    int64_t audio_bps, video_bps; /* smoothed, 1/4 per observation */
    int64_t backlog;      /* at the last observation */
    int64_t admitted_since; /* video bytes admitted since then (expected sizes) */
    int64_t delay_us, local_delay_us, rtt_excess_us;
    int64_t rx_delay_us, rx_until_us;
    int64_t rx_rate_Bps;  /* the worst receiver's busy link rate (0: none in the last 2 s) */
    int probe_steps;      /* probe steps since the last decrease */
    int dec_by_receiver;  /* the last decrease was for a receiver (its feedback is slow) */
    int64_t rx_cap_bps, rx_cap_us; /* what a receiver's link carried for video at its last cut */
    int64_t rx_room_bps;           /* that link's rate less audio (the cap is 0.8 of it) */
    int64_t rtt_min[RTT_BUCKETS]; /* 0 = empty; [0] is the current bucket */
    int64_t rtt_bucket_us;        /* when the current bucket began */
    int have_rtt_bucket;

    uint64_t skipped_since_obs; /* not counting those of a keyframe's grace */
    int congested;        /* a signal at the last observation */
    int latch_delay, latch_skip, latch_rx; /* signals kept until a change may be made */

    int key_pending, have_key;
    int64_t last_key_us;

    struct ratectl_stats st;
};

void ratectl_config_default(struct ratectl_config *cfg)
{
    cfg->min_kbps = 150;
    cfg->max_kbps = 1500;
    cfg->start_kbps = 500;
    cfg->fps = 30;
    cfg->audio_kbps = 32;
    cfg->low_mark_ms = 50;
    cfg->high_mark_ms = 150;
    cfg->change_every_ms = 500;
    cfg->hold_ms = 1000;
    cfg->probe_wait_ms = 4000;
    cfg->key_gap_ms = 500;
    cfg->key_gap_congested_ms = 2000;
}

static const char *config_check(const struct ratectl_config *c)
{
    if (c->min_kbps < 150 || c->max_kbps > 1500 || c->min_kbps >= c->max_kbps)
        return "ratectl: min_kbps and max_kbps must satisfy 150 <= min < max <= 1500";
    if (c->start_kbps < c->min_kbps || c->start_kbps > c->max_kbps)
        return "ratectl: start_kbps must lie within min_kbps..max_kbps";
    if (c->fps < 1 || c->fps > 120)
        return "ratectl: fps must be 1..120";
    if (c->audio_kbps > 510)
        return "ratectl: audio_kbps must be 0..510 (Opus' ceiling)";
    if (c->low_mark_ms >= c->high_mark_ms || c->high_mark_ms > 10000)
        return "ratectl: the marks must satisfy low_mark_ms < high_mark_ms <= 10000";
    if (c->change_every_ms < 100 || c->change_every_ms > 10000)
        return "ratectl: change_every_ms must be 100..10000";
    if (c->hold_ms > 60000 || c->probe_wait_ms > 600000)
        return "ratectl: hold_ms must be <= 60000 and probe_wait_ms <= 600000";
    if (c->key_gap_ms > 60000 || c->key_gap_congested_ms < c->key_gap_ms ||
        c->key_gap_congested_ms > 60000)
        return "ratectl: key gaps must satisfy key_gap_ms <= key_gap_congested_ms <= 60000";
    return NULL;
}

int ratectl_new(const struct ratectl_config *cfg, struct ratectl **out, const char **why)
{
    struct ratectl_config def;
    const char *bad;
    struct ratectl *rc;

    *out = NULL;
    if (!cfg) {
        ratectl_config_default(&def);
        cfg = &def;
    }
    bad = config_check(cfg);
    if (bad) {
        if (why)
            *why = bad;
        return BP_E_INVALID_FIELD;
    }
    rc = calloc(1, sizeof(*rc));
    if (!rc) {
        if (why)
            *why = _("ratectl : mémoire insuffisante");
        return BP_E_NOMEM;
    }
    rc->cfg = *cfg;
    rc->min_bps = (int64_t)cfg->min_kbps * 1000;
    rc->max_bps = (int64_t)cfg->max_kbps * 1000;
    rc->target_bps = (int64_t)cfg->start_kbps * 1000;
    rc->audio_bps = (int64_t)cfg->audio_kbps * 1000;
    rc->drain_Bps = (rc->target_bps + rc->audio_bps) / 8;
    rc->st.last_reason = RATECTL_NONE;
    *out = rc;
    return 0;
}

void ratectl_free(struct ratectl *rc)
{
    free(rc);
}

static int64_t clamp(struct ratectl *rc, int64_t v, int64_t lo, int64_t hi)
{
    if (v < lo) {
        rc->st.clamped++;
        return lo;
    }
    if (v > hi) {
        rc->st.clamped++;
        return hi;
    }
    return v;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* now_us made finite and monotonic: a clock that steps back counts as
 * standing still, so no elapsed time is ever negative. */
static int64_t time_take(struct ratectl *rc, int64_t now_us)
{
    int64_t n = clamp(rc, now_us, -TIME_LIMIT, TIME_LIMIT);
    if (rc->have_now && n < rc->now_us) {
        rc->st.clamped++;
        n = rc->now_us;
    }
    rc->have_now = 1;
    rc->now_us = n;
    return n;
}

/* A smoothed rate (bit/s) from bytes over dt, 1/4 of the new sample. */
static int64_t rate_smooth(int64_t old_bps, int64_t bytes, int64_t dt_us)
{
    int64_t sample = bytes * 8 * 1000000 / dt_us; /* <= 8e8 * 1e6 / 1e4 */
    sample = min64(sample, MAX_RATE_BPS * 8);
    return (3 * old_bps + sample) / 4;
}

/* The RTT above its minimum over the last RTT_BUCKETS x 2 s: a queue in
 * the network (in the kernel's in-flight bytes or a router's buffer), which
 * our backlog does not show. */
static int64_t rtt_excess(struct ratectl *rc, int64_t n, int64_t rtt)
{
    int64_t lo = 0;

    if (!rc->have_rtt_bucket) {
        rc->have_rtt_bucket = 1;
        rc->rtt_bucket_us = n;
    }
    if (n - rc->rtt_bucket_us >= RTT_BUCKET_US) {
        int64_t k = (n - rc->rtt_bucket_us) / RTT_BUCKET_US;
        for (int i = RTT_BUCKETS - 1; i >= 0; i--)
            rc->rtt_min[i] = i - k >= 0 ? rc->rtt_min[i - k] : 0;
        rc->rtt_bucket_us += k * RTT_BUCKET_US;
    }
    if (rtt <= 0)
        return 0;
    if (rc->rtt_min[0] == 0 || rtt < rc->rtt_min[0])
        rc->rtt_min[0] = rtt;
    for (int i = 0; i < RTT_BUCKETS; i++)
        if (rc->rtt_min[i] && (lo == 0 || rc->rtt_min[i] < lo))
            lo = rc->rtt_min[i];
    return rtt - lo;
}

static void target_set(struct ratectl *rc, int64_t n, int64_t bps, enum ratectl_reason why)
{
    rc->target_bps = bps;
    rc->last_change_us = n;
    rc->st.last_reason = why;
}

/* A cut on a congestion signal; 1 if the target moved. d_Bps is the
 * delivery rate of a busy link in the last 2 s (0: none): the link's rate. */
static int decrease(struct ratectl *rc, int64_t n, int sig_delay, int sig_skip, int sig_rx,
                    int own_high, int64_t d_Bps)
{
    int64_t t = rc->target_bps, nt = t, room = 0, ceil, rx_room = -1;
    enum ratectl_reason why = RATECTL_NONE;
    int fit_ok = d_Bps > 0;

    /* The receiver's own link, measured by the server while busy: a cut
     * for that receiver (its drops, or a delay mostly its queue) goes just
     * under it, at once, instead of by steps of a quarter. */
    int rx_known = rc->rx_rate_Bps > 0 &&
                   (sig_rx || (sig_delay && rc->rx_delay_us > rc->delay_us / 2));
    if (fit_ok)
        room = max64(d_Bps * 8 - rc->audio_bps, 0); /* what the link leaves video */
    if (sig_delay && (!rx_known || own_high)) {
        int64_t c = t * CUT_DELAY / 1000;
        if (own_high && fit_ok)
            c = min64(c, room * FIT / 1000);
        if (c < nt) {
            nt = c;
            why = RATECTL_DEC_DELAY;
        }
    }
    if (sig_skip) {
        /* Without a busy link's D, as a delay signal. */
        int64_t c = fit_ok ? min64(t, room * FIT / 1000) : t * CUT_DELAY / 1000;
        if (c < nt) {
            nt = c;
            why = RATECTL_DEC_SKIP;
        }
    }
    if (rx_known) {
        rx_room = max64(rc->rx_rate_Bps * 8 - rc->audio_bps, 0);
        /* Under the link, and deeper while its queue is long: at 0.9 of
         * the link a 500 ms queue takes 5 s to drain, at 0.7 under 2 s. */
        int64_t drain = max64(RX_DRAIN_MIN, 1000 - rc->rx_delay_us / RX_DRAIN_US_PER_MILLE);
        int64_t c = rx_room * FIT_RX / 1000 * drain / 1000;
        if (c < nt) {
            nt = c;
            why = RATECTL_DEC_RECEIVER;
        }
    } else if (sig_rx && t * CUT_RECEIVER / 1000 < nt) {
        nt = t * CUT_RECEIVER / 1000;
        why = RATECTL_DEC_RECEIVER;
    }
    nt = max64(nt, rc->min_bps);
    if (nt >= t)
        return 0;
    /* The ceiling: what the link carries for video, when D tells it. */
    ceil = nt;
    if (fit_ok && (own_high || sig_skip) && why != RATECTL_DEC_RECEIVER)
        ceil = room * CEILING / 1000;
    else if (why == RATECTL_DEC_RECEIVER && rx_room >= 0)
        ceil = rx_room * CEILING / 1000;

    rc->ceiling_bps = max64(nt, min64(ceil, t));
    rc->have_dec = 1;
    rc->probe_steps = 0;
    rc->dec_by_receiver = why == RATECTL_DEC_RECEIVER || (sig_delay && rc->rx_delay_us > rc->delay_us / 2);
    rc->last_dec_us = n;
    rc->delay_at_dec_us = rc->delay_us;
    rc->st.decreases++;
    target_set(rc, n, nt, why);
    return 1;
}

/* A step up when nothing signals; 1 if the target moved. */
static int increase(struct ratectl *rc, int64_t n)
{
    int64_t t = rc->target_bps, nt;
    enum ratectl_reason why;

    if (rc->ceiling_bps > t) {
        nt = min64(rc->ceiling_bps, t + max64(RAMP_MIN_BPS, t * RAMP / 1000));
        why = RATECTL_INC_CEILING;
    } else {
        if (rc->have_dec && n - rc->last_dec_us < (int64_t)rc->cfg.probe_wait_ms * 1000)
            return 0;
        /* A still picture leaves the target unused: raising it tests nothing. */
        if (rc->video_bps * 2 < t)
            return 0;
        /* Just past a ceiling found by a receiver's cut: gently, and slowly
         * enough for its next report (once a second) to come back between
         * two steps. Our own link answers within an observation. */
        int by_rx = rc->have_dec && rc->dec_by_receiver;
        /* Gentle after a receiver's cut (its report comes once a second),
         * and near a receiver's link measured busy in the last 40 s: a link
         * just found full is crossed by 5 % at most before it says so. */
        int near_rx = rc->rx_cap_bps > 0 && n - rc->rx_cap_us < RX_ZONE_TTL_US &&
                      t < rc->rx_room_bps * RX_ZONE / 1000;
        int gentle = (by_rx && rc->probe_steps < PROBE_GENTLE_STEPS) || near_rx;
        if (near_rx && n - rc->last_change_us < PROBE_GENTLE_US)
            return 0;
        if (by_rx && n - rc->last_change_us < PROBE_GENTLE_US)
            return 0;
        nt = t * (gentle ? PROBE_GENTLE : PROBE) / 1000;
        rc->probe_steps++;
        why = RATECTL_INC_PROBE;
    }
    nt = min64(nt, rc->max_bps);
    /* A receiver's link measured busy in the last 10 s is not probed past:
     * its queue would be seconds long before its report said so. Once its
     * queue stays empty (no rate reported) for 10 s, probing resumes. */
    if (rc->rx_cap_bps > 0 && n - rc->rx_cap_us < RX_CAP_TTL_US)
        nt = min64(nt, max64(rc->rx_cap_bps, rc->min_bps));
    if (nt <= t)
        return 0;
    rc->st.increases++;
    target_set(rc, n, nt, why);
    return 1;
}

int ratectl_observe(struct ratectl *rc, const struct ratectl_obs *obs)
{
    int64_t n, dt, backlog, d, rtt, ab, vb, rx_drops = 0, own, own_Bps;
    int sig_delay, sig_skip, sig_rx, can_change, in_hold, busy, changed = 0;
    int64_t high = (int64_t)rc->cfg.high_mark_ms * 1000, low = (int64_t)rc->cfg.low_mark_ms * 1000;

    assert(rc && obs);
    n = time_take(rc, obs->now_us);
    dt = rc->started ? n - rc->last_obs_us : 0;
    if (!rc->started) {
        rc->started = 1;
        rc->last_change_us = n; /* the start counts as a change: first step after change_every */
    }
    backlog = clamp(rc, obs->backlog_bytes, 0, MAX_BACKLOG);
    d = clamp(rc, obs->delivery_Bps, 0, MAX_RATE_BPS);
    rtt = clamp(rc, obs->srtt_us, 0, MAX_RTT_US);
    ab = clamp(rc, obs->audio_bytes, 0, MAX_BYTES);
    vb = clamp(rc, obs->video_bytes, 0, MAX_BYTES);

    if (dt > 0) {
        int64_t dtc = min64(max64(dt, DT_MIN_US), DT_MAX_US);
        rc->audio_bps = rate_smooth(rc->audio_bps, ab, dtc);
        rc->video_bps = rate_smooth(rc->video_bps, vb, dtc);
    }
    /* D measures the link only when the link was busy. When the kernel says
     * the sample was app-limited, or no more than one frame at our own rate
     * is waiting (a frame just queued), the link carried all we gave it and
     * may carry more. */
    own_Bps = (rc->target_bps + rc->audio_bps) / 8;
    busy = !obs->app_limited && backlog > own_Bps / rc->cfg.fps;
    if (d > 0) {
        rc->have_d = 1;
        rc->d_Bps = d;
        if (busy) {
            rc->have_dbusy = 1;
            rc->dbusy_Bps = d;
            rc->dbusy_us = n;
        }
    }
    /* What the backlog drains at: D, without it the last known one, without
     * any our own sending rate; on an idle link at least our own rate. */
    rc->drain_Bps = rc->have_d ? rc->d_Bps : own_Bps;
    if (!busy)
        rc->drain_Bps = max64(rc->drain_Bps, own_Bps);
    rc->drain_Bps = max64(rc->drain_Bps, MIN_DRAIN_BPS);

    rc->local_delay_us = min64(backlog * 1000000 / rc->drain_Bps, MAX_DELAY_US);
    rc->rtt_excess_us = rtt_excess(rc, n, rtt);
    if (obs->rx.present) {
        rx_drops = clamp(rc, obs->rx.video_dropped, 0, MAX_RX_DROPS);
        rc->rx_delay_us = clamp(rc, obs->rx.queue_delay_ms, 0, MAX_RX_DELAY_MS) * 1000;
        rc->rx_rate_Bps = clamp(rc, obs->rx.rate_Bps, 0, MAX_RATE_BPS);
        rc->rx_until_us = n + RX_TTL_US;
        if (rc->rx_rate_Bps > 0) {
            rc->rx_room_bps = max64(rc->rx_rate_Bps * 8 - rc->audio_bps, 0);
            rc->rx_cap_bps = rc->rx_room_bps * FIT_RX / 1000;
            rc->rx_cap_us = n;
        }
    } else if (n >= rc->rx_until_us) {
        rc->rx_delay_us = 0;
        rc->rx_rate_Bps = 0;
    }
    own = rc->local_delay_us + rc->rtt_excess_us;
    rc->delay_us = min64(own + rc->rx_delay_us, MAX_DELAY_US);

    sig_delay = rc->delay_us > high;
    sig_skip = rc->skipped_since_obs > 0;
    sig_rx = rx_drops > 0;
    rc->congested = sig_delay || sig_skip || sig_rx;

    can_change = n - rc->last_change_us >= (int64_t)rc->cfg.change_every_ms * 1000;
    in_hold = rc->have_dec && n - rc->last_dec_us < (int64_t)rc->cfg.hold_ms * 1000;
    /* A signal seen while the last change is too recent is kept for the
     * first observation that may act (else a skip at 400 ms is forgotten by
     * 500 ms). Not within the hold: what shows then is the last cut's queue. */
    if (!can_change && !in_hold) {
        rc->latch_delay |= sig_delay;
        rc->latch_skip |= sig_skip;
        rc->latch_rx |= sig_rx;
    } else if (can_change) {
        sig_delay |= rc->latch_delay;
        sig_skip |= rc->latch_skip;
        sig_rx |= rc->latch_rx;
        rc->latch_delay = rc->latch_skip = rc->latch_rx = 0;
    }
    if (sig_delay || sig_skip || sig_rx) {
        /* Within the hold, only a delay still growing cuts again: the last
         * cut has not shown yet, and skipping drains the queue meanwhile. */
        if (can_change && (!in_hold || (sig_delay && rc->delay_us > rc->delay_at_dec_us)))
            changed = decrease(rc, n, sig_delay, sig_skip, sig_rx, own > high,
                               rc->have_dbusy && n - rc->dbusy_us <= DBUSY_TTL_US ? rc->dbusy_Bps
                                                                                  : 0);
    } else if (rc->delay_us < low && can_change && !in_hold) {
        changed = increase(rc, n);
    }
    assert(rc->target_bps >= rc->min_bps && rc->target_bps <= rc->max_bps);

    rc->backlog = backlog;
    rc->admitted_since = 0;
    rc->skipped_since_obs = 0;
    rc->last_obs_us = n;
    rc->st.observations++;
    return changed;
}

int ratectl_bitrate_kbps(const struct ratectl *rc)
{
    return (int)(rc->target_bps / 1000);
}

static int congested_now(const struct ratectl *rc, int64_t n)
{
    return rc->congested ||
           (rc->have_dec && n - rc->last_dec_us < (int64_t)rc->cfg.hold_ms * 1000);
}

int ratectl_video_admit(struct ratectl *rc, int64_t now_us, int64_t expected_bytes)
{
    int64_t n, exp, gap;
    int verdict = RATECTL_ENCODE;

    assert(rc);
    n = time_take(rc, now_us);
    if (rc->started) {
        /* The backlog now, projected from the last observation. */
        int64_t el = min64(n - rc->last_obs_us, DT_MAX_US), drain = rc->drain_Bps, proj;
        proj = rc->backlog + rc->admitted_since + rc->audio_bps / 8 * el / 1000000 -
               drain * el / 1000000;
        if (proj > drain / rc->cfg.fps) {
            /* A keyframe is expected to hold the queue for a while: the
             * skips that follow it are no news about the link. */
            if (!(rc->have_key && n - rc->last_key_us < KEY_GRACE_US))
                rc->skipped_since_obs++;
            rc->st.skipped++;
            return RATECTL_SKIP;
        }
    }
    if (rc->key_pending) {
        gap = congested_now(rc, n) ? rc->cfg.key_gap_congested_ms : rc->cfg.key_gap_ms;
        if (!rc->have_key || n - rc->last_key_us >= gap * 1000) {
            verdict = RATECTL_ENCODE_KEY;
            rc->key_pending = 0;
            rc->have_key = 1;
            rc->last_key_us = n;
            rc->st.key_granted++;
        }
    }
    exp = expected_bytes > 0 ? min64(expected_bytes, MAX_FRAME_BYTES)
                             : rc->target_bps / 8 / rc->cfg.fps;
    if (verdict == RATECTL_ENCODE_KEY)
        exp *= KEY_FACTOR;
    rc->admitted_since = min64(rc->admitted_since + exp, MAX_BACKLOG);
    rc->st.admitted++;
    return verdict;
}

void ratectl_keyframe_request(struct ratectl *rc, int64_t now_us)
{
    (void)time_take(rc, now_us);
    rc->key_pending = 1;
    rc->st.key_requests++;
}

void ratectl_stats_get(const struct ratectl *rc, struct ratectl_stats *st)
{
    *st = rc->st;
    st->delay_us = rc->delay_us;
    st->local_delay_us = rc->local_delay_us;
    st->rtt_excess_us = rc->rtt_excess_us;
    st->ceiling_kbps = rc->ceiling_bps / 1000;
    st->audio_bps = rc->audio_bps;
    st->video_bps = rc->video_bps;
    st->drain_Bps = rc->drain_Bps;
}

const char *ratectl_reason_name(enum ratectl_reason r)
{
    switch (r) {
    case RATECTL_NONE: return "none";
    case RATECTL_DEC_DELAY: return "delay";
    case RATECTL_DEC_SKIP: return "skip";
    case RATECTL_DEC_RECEIVER: return "receiver";
    case RATECTL_INC_CEILING: return "ceiling";
    case RATECTL_INC_PROBE: return "probe";
    }
    return "unknown";
}
