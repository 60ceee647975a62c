/* test_ratectl.c: the send side's rate control (client/media/ratectl.c)
 * driven through simulated time. The simulated link: one bottleneck of a
 * given rate draining the sender's queue (audio first, as our writer does;
 * idle capacity is not banked), the delivery rate reported as the bytes it
 * carried over the last 100 ms (so min(send rate, bottleneck)), a fixed
 * 40 ms RTT. The encoder model follows libvpx CBR as vp8.c sets it up: its
 * rate follows a new target over a few frames, a frame is rate x libvpx's
 * smoothed frame duration (so skipping for long makes frames bigger), +-15 %
 * noise from a fixed PRNG, a keyframe is 3 frames. Audio is 32 kbit/s
 * (80 bytes per 20 ms), always queued.
 *
 * Checks: an open link climbs to 1500 and stays; a 500 kbit/s bottleneck
 * settles under 468 (bottleneck - audio) within 5 s with the queueing delay's
 * p95 under 400 ms, and when lifted comes back to 1200 (80 % of 1500) within
 * 10 s; a drop from 1500 to 300 skips frames until the backlog drains, audio
 * untouched; the server's drop report alone lowers the rate, its queue delay
 * too; an RTT rising alone lowers it; no probe while the encoder is
 * app-limited; keyframe pacing and coalescing; the skips after a keyframe
 * are not taken for congestion; garbage inputs; the config's
 * ranges. In every simulation: no two target changes less than 500 ms
 * apart, no rise within 1 s of a cut. Prints the figures (RATECTL_TRACE=1 in
 * the environment also prints the 500 kbit/s run, observation by
 * observation). */
#include <stdint.h>

#include "../check.h"
#include "bp/err.h"
#include "ratectl.h"

#define TICK_US 1000
#define OBS_US 100000
#define FPS 30
#define AUDIO_FRAME_BYTES 80 /* 32 kbit/s in 20 ms frames */
#define UNLIMITED 12500000   /* bytes/s: 100 Mbit/s */
#define MAXLOG 4000          /* observations logged: 400 s */
#define MAXLAT 20000         /* video frames whose latency is logged */
#define RING 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

struct sim {
    struct ratectl *rc;
    int64_t t;
    int64_t link_Bps, credit; /* credit: byte-microseconds not yet spent */
    int64_t rtt_us;
    /* the sender's queue: audio bytes, then video frames in order */
    int64_t aq;
    int64_t vleft[RING], vin[RING];
    int vh, vt;
    int64_t vq;
    /* the encoder model */
    int64_t enc_bps, avg_dur_us, last_enc_us;
    int have_enc;
    int fill; /* per mille of the target the picture allows (a still picture: low) */
    int64_t next_frame_us, next_audio_us, next_obs_us;
    int64_t frame_no;
    /* the server's report to feed at the next observation */
    struct ratectl_rx_report rx;
    /* over one observation interval */
    int64_t carried, a_sent, v_sent;
    int idle;     /* the queue was empty at some tick: D is app-limited */
    int no_flag;  /* do not tell the rate control (a kernel without the flag) */
    /* results */
    int64_t audio_made, audio_carried, audio_queued;
    int64_t offered, skipped, keys;
    int nlog;
    int64_t log_t[MAXLOG], log_kbps[MAXLOG], log_qdelay[MAXLOG];
    int nlat;
    int64_t lat_t[MAXLAT], lat_us[MAXLAT];
    int64_t skipped_at[MAXLOG]; /* skipped count at each observation */
    /* the invariants: changes 500 ms apart at least, no rise within 1 s of a cut */
    int64_t prev_kbps, last_change_t, last_dec_t, min_change_gap, min_rise_after_cut;
};

static struct sim S;

static void sim_init(struct sim *s, int64_t link_Bps)
{
    const char *why = NULL;
    memset(s, 0, sizeof(*s));
    rng = 0x9e3779b97f4a7c15ull; /* each run its own: no test depends on the ones before */
    s->link_Bps = link_Bps;
    s->rtt_us = 40000;
    s->fill = 1000;
    if (ratectl_new(NULL, &s->rc, &why) != 0) {
        fprintf(stderr, "ratectl_new: %s\n", why);
        exit(1);
    }
    s->enc_bps = (int64_t)ratectl_bitrate_kbps(s->rc) * 1000;
    s->avg_dur_us = 1000000 / FPS;
    s->prev_kbps = ratectl_bitrate_kbps(s->rc);
    s->last_change_t = s->last_dec_t = -10000000;
    s->min_change_gap = s->min_rise_after_cut = INT64_MAX;
}

static void sim_free(struct sim *s)
{
    CHECK(s->min_change_gap >= 500000);
    CHECK(s->min_rise_after_cut >= 1000000);
    ratectl_free(s->rc);
    s->rc = NULL;
}

static void video_push(struct sim *s, int64_t bytes)
{
    if (s->vt - s->vh >= RING) {
        fprintf(stderr, "simulated queue ring overflow\n");
        exit(1);
    }
    s->vleft[s->vt % RING] = bytes;
    s->vin[s->vt % RING] = s->t;
    s->vt++;
    s->vq += bytes;
}

/* One picture: ask the rate control, then the encoder model. */
static void video_frame(struct sim *s)
{
    int64_t target = (int64_t)ratectl_bitrate_kbps(s->rc) * 1000, dur, bytes;
    int v = ratectl_video_admit(s->rc, s->t, target / 8 / FPS);

    s->offered++;
    if (v == RATECTL_SKIP) {
        s->skipped++;
        return;
    }
    s->enc_bps += (target - s->enc_bps) / 4;
    dur = s->have_enc ? s->t - s->last_enc_us : 1000000 / FPS;
    if (dur > 1000000)
        dur = 1000000;
    s->avg_dur_us = (15 * s->avg_dur_us + dur) / 16;
    s->have_enc = 1;
    s->last_enc_us = s->t;
    bytes = s->enc_bps / 8 * s->avg_dur_us / 1000000 * s->fill / 1000;
    bytes = bytes * (850 + (int64_t)(rnd() % 301)) / 1000;
    if (v == RATECTL_ENCODE_KEY) {
        bytes *= 3;
        s->keys++;
    }
    if (bytes < 50)
        bytes = 50;
    video_push(s, bytes);
    s->v_sent += bytes;
}

static void link_tick(struct sim *s)
{
    int64_t can;
    if (s->aq == 0 && s->vq == 0) {
        s->idle = 1;
        s->credit = 0; /* an idle link does not bank capacity */
        return;
    }
    s->credit += s->link_Bps * TICK_US;
    can = s->credit / 1000000;
    s->credit -= can * 1000000;
    if (can > 0 && s->aq > 0) { /* audio first */
        int64_t a = can < s->aq ? can : s->aq;
        s->aq -= a;
        s->audio_carried += a;
        s->carried += a;
        can -= a;
    }
    while (can > 0 && s->vh < s->vt) {
        int64_t *left = &s->vleft[s->vh % RING];
        int64_t b = can < *left ? can : *left;
        *left -= b;
        s->vq -= b;
        s->carried += b;
        can -= b;
        if (*left == 0) {
            if (s->nlat < MAXLAT) {
                s->lat_t[s->nlat] = s->t + TICK_US;
                s->lat_us[s->nlat++] = s->t + TICK_US - s->vin[s->vh % RING];
            }
            s->vh++;
        }
    }
}

static void observe(struct sim *s)
{
    struct ratectl_obs o;
    memset(&o, 0, sizeof(o));
    o.now_us = s->t;
    o.backlog_bytes = s->aq + s->vq;
    o.delivery_Bps = s->carried * 1000000 / OBS_US;
    o.srtt_us = s->rtt_us;
    o.audio_bytes = s->a_sent;
    o.video_bytes = s->v_sent;
    o.app_limited = s->idle && !s->no_flag;
    s->idle = 0;
    o.rx = s->rx;
    memset(&s->rx, 0, sizeof(s->rx));
    ratectl_observe(s->rc, &o);
    s->carried = s->a_sent = s->v_sent = 0;
    if (ratectl_bitrate_kbps(s->rc) != s->prev_kbps) {
        int64_t k = ratectl_bitrate_kbps(s->rc);
        if (s->t - s->last_change_t < s->min_change_gap)
            s->min_change_gap = s->t - s->last_change_t;
        if (k > s->prev_kbps && s->t - s->last_dec_t < s->min_rise_after_cut)
            s->min_rise_after_cut = s->t - s->last_dec_t;
        if (k < s->prev_kbps)
            s->last_dec_t = s->t;
        s->last_change_t = s->t;
        s->prev_kbps = k;
    }
    if (s->nlog < MAXLOG) {
        s->log_t[s->nlog] = s->t;
        s->log_kbps[s->nlog] = ratectl_bitrate_kbps(s->rc);
        s->log_qdelay[s->nlog] = (s->aq + s->vq) * 1000000 / s->link_Bps;
        s->skipped_at[s->nlog] = s->skipped;
        s->nlog++;
    }
}

/* Runs the simulation until t reaches until_us. */
static void sim_run(struct sim *s, int64_t until_us)
{
    while (s->t < until_us) {
        if (s->t >= s->next_audio_us) {
            s->aq += AUDIO_FRAME_BYTES;
            s->a_sent += AUDIO_FRAME_BYTES;
            s->audio_made += AUDIO_FRAME_BYTES;
            s->audio_queued += AUDIO_FRAME_BYTES;
            s->next_audio_us += 20000;
        }
        if (s->t >= s->next_frame_us) {
            video_frame(s);
            s->frame_no++;
            s->next_frame_us = s->frame_no * 1000000 / FPS;
        }
        if (s->t >= s->next_obs_us) {
            observe(s);
            s->next_obs_us += OBS_US;
        }
        link_tick(s);
        s->t += TICK_US;
    }
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The p95 of v[i] for t[i] in [from, to). */
static int64_t p95(const int64_t *t, const int64_t *v, int n, int64_t from, int64_t to)
{
    static int64_t tmp[MAXLAT];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (t[i] >= from && t[i] < to)
            tmp[k++] = v[i];
    if (k == 0)
        return -1;
    qsort(tmp, (size_t)k, sizeof(tmp[0]), cmp64);
    return tmp[(k * 95) / 100 < k ? (k * 95) / 100 : k - 1];
}

/* The first logged time in [from, to) at which the target is >= kbps; -1 if none. */
static int64_t first_at_least(const struct sim *s, int64_t from, int64_t to, int64_t kbps)
{
    for (int i = 0; i < s->nlog; i++)
        if (s->log_t[i] >= from && s->log_t[i] < to && s->log_kbps[i] >= kbps)
            return s->log_t[i];
    return -1;
}

static int64_t skipped_between(const struct sim *s, int64_t from, int64_t to)
{
    int64_t a = -1, b = -1;
    for (int i = 0; i < s->nlog; i++) {
        if (a < 0 && s->log_t[i] >= from)
            a = s->skipped_at[i];
        if (s->log_t[i] < to)
            b = s->skipped_at[i];
    }
    return a < 0 || b < 0 ? 0 : b - a;
}

static void test_unconstrained(void)
{
    struct sim *s = &S;
    int64_t rise, low = 1500;
    sim_init(s, UNLIMITED);
    sim_run(s, 20000000);
    rise = first_at_least(s, 0, 20000000, 1500);
    for (int i = 0; i < s->nlog; i++)
        if (s->log_t[i] >= 10000000 && s->log_kbps[i] < low)
            low = s->log_kbps[i];
    printf("open link: 1500 kbit/s reached at %.1f s, lowest over 10-20 s %lld, skipped %lld\n",
           rise / 1e6, (long long)low, (long long)s->skipped);
    CHECK(rise >= 0 && rise <= 6000000);
    CHECK_EQ_INT(low, 1500);
    CHECK_EQ_INT(s->skipped, 0);
    sim_free(s);
}

/* 500 kbit/s until end (30 s and more), then lifted for 12 s; returns the
 * time it took to come back to 1200 kbit/s (-1: never). */
static int64_t test_bottleneck_and_lift(int64_t end, int verbose)
{
    struct sim *s = &S;
    const int64_t cap = 500 - 32, lift_end = end + 12000000;
    int64_t settle = 0, run_start = -1, above_after = 0, n_after = 0, sum = 0, nsum = 0;
    int64_t lat95, q95, back, maxk = 0, first_under = -1;

    sim_init(s, 500000 / 8);
    sim_run(s, end);
    if (getenv("RATECTL_TRACE"))
        for (int i = 0; i < s->nlog; i++)
            printf("t %.1f kbps %lld qdelay %lld ms skipped %lld\n", s->log_t[i] / 1e6,
                   (long long)s->log_kbps[i], (long long)(s->log_qdelay[i] / 1000),
                   (long long)s->skipped_at[i]);
    /* Settled: from the end of the last stretch above cap that lasted over
     * 1 s (a probe above the ceiling lasts one change interval, 0.5 s). */
    for (int i = 0; i <= s->nlog; i++) {
        int above = i < s->nlog && s->log_kbps[i] > cap;
        if (above && run_start < 0)
            run_start = s->log_t[i];
        if (!above && run_start >= 0) {
            int64_t stop = i < s->nlog ? s->log_t[i] : end;
            if (stop - run_start > 1000000)
                settle = stop;
            run_start = -1;
        }
    }
    for (int i = 0; i < s->nlog; i++) {
        if (first_under < 0 && s->log_kbps[i] <= cap)
            first_under = s->log_t[i];
        if (s->log_t[i] >= settle) {
            n_after++;
            above_after += s->log_kbps[i] > cap;
        }
        if (s->log_t[i] >= end - 10000000) {
            sum += s->log_kbps[i];
            nsum++;
            maxk = s->log_kbps[i] > maxk ? s->log_kbps[i] : maxk;
        }
    }
    lat95 = p95(s->lat_t, s->lat_us, s->nlat, end - 10000000, end);
    q95 = p95(s->log_t, s->log_qdelay, s->nlog, end - 10000000, end);
    if (verbose)
        printf("500 kbit/s: under %lld kbit/s first at %.1f s, settled (no stretch above "
               "longer than 1 s) at %.1f s, above it %lld%% of the time after (probes), mean "
               "over the last 10 s %lld kbit/s (max %lld), queueing delay p95 %lld ms, video "
               "frame latency p95 %lld ms, skipped %lld of %lld pictures\n",
           (long long)cap, first_under / 1e6, settle / 1e6,
           (long long)(n_after ? above_after * 100 / n_after : 0),
           (long long)(nsum ? sum / nsum : 0), (long long)maxk, (long long)(q95 / 1000),
           (long long)(lat95 / 1000), (long long)s->skipped, (long long)s->offered);
    CHECK(settle <= 5000000);
    CHECK(above_after * 100 <= 15 * n_after);
    CHECK(nsum > 0 && sum / nsum <= cap);
    CHECK(nsum > 0 && sum / nsum >= cap * 70 / 100); /* and uses the link */
    CHECK(q95 >= 0 && q95 < 400000);
    CHECK(lat95 >= 0 && lat95 < 400000);

    s->link_Bps = UNLIMITED;
    sim_run(s, lift_end);
    back = first_at_least(s, end, lift_end, 1200);
    CHECK(back >= 0 && back - end <= 10000000);
    sim_free(s);
    return back < 0 ? -1 : back - end;
}

/* The lift at 12 points of the probing cycle: the slowest comes back within 10 s. */
static void test_lift_anywhere(void)
{
    int64_t worst = 0, first = test_bottleneck_and_lift(30000000, 1);
    for (int k = 1; k < 12; k++) {
        int64_t r = test_bottleneck_and_lift(30000000 + k * 530000LL, 0);
        worst = r < 0 || r > worst ? (r < 0 ? INT64_MAX : r) : worst;
    }
    worst = first > worst ? first : worst;
    printf("lifted: 1200 kbit/s (80 %% of 1500) again after %.1f s (lift at 30 s), at worst "
           "%.1f s over 12 lift times 30..35.8 s\n", first / 1e6, worst / 1e6);
    CHECK(worst <= 10000000);
}

/* 1500 -> 300 kbit/s at once. */
static void test_sudden_drop(void)
{
    struct sim *s = &S;
    const int64_t drop = 10000000, end = 25000000;
    int64_t drained = -1, first_cut = -1, sk_early, sk_late, off_late, lat95;
    struct ratectl_stats st;

    sim_init(s, UNLIMITED);
    sim_run(s, drop);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500);
    s->link_Bps = 300000 / 8;
    sim_run(s, end);
    for (int i = 0; i < s->nlog; i++) {
        if (s->log_t[i] < drop)
            continue;
        if (first_cut < 0 && s->log_kbps[i] <= 300 - 32)
            first_cut = s->log_t[i];
        if (drained < 0 && s->log_t[i] > drop + OBS_US && s->log_qdelay[i] < 150000)
            drained = s->log_t[i];
    }
    sk_early = skipped_between(s, drop, drop + 2000000);
    sk_late = skipped_between(s, end - 5000000, end);
    off_late = 5 * FPS;
    lat95 = p95(s->lat_t, s->lat_us, s->nlat, end - 5000000, end);
    ratectl_stats_get(s->rc, &st);
    printf("1500 -> 300 kbit/s: target under 268 after %.2f s, backlog under 150 ms after %.2f s, "
           "%lld pictures skipped in the first 2 s, %lld in the last 5 s, latency p95 then %lld ms; "
           "audio %lld of %lld bytes carried, none refused\n",
           first_cut < 0 ? -1.0 : (first_cut - drop) / 1e6,
           drained < 0 ? -1.0 : (drained - drop) / 1e6, (long long)sk_early, (long long)sk_late,
           (long long)(lat95 / 1000), (long long)s->audio_carried, (long long)s->audio_made);
    CHECK(first_cut >= 0 && first_cut - drop <= 1000000);
    CHECK(drained >= 0 && drained - drop <= 2000000);
    CHECK(sk_early >= 5);
    CHECK(sk_late * 100 <= 5 * off_late);
    CHECK(lat95 >= 0 && lat95 < 400000);
    /* Audio went through whole: queued every time, carried but for the last tick's. */
    CHECK_EQ_INT(s->audio_queued, s->audio_made);
    CHECK(s->audio_made - s->audio_carried <= AUDIO_FRAME_BYTES);
    sim_free(s);
}

/* The server reports drops for a receiver while our own link is open. */
static void test_receiver_report(void)
{
    struct sim *s = &S;
    struct ratectl_stats st;
    int64_t prev, decs_before, at14, back;
    int monotone = 1;

    sim_init(s, UNLIMITED);
    sim_run(s, 10000000);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500);
    ratectl_stats_get(s->rc, &st);
    decs_before = (int64_t)st.decreases;
    prev = 1500;
    for (int k = 0; k < 5; k++) { /* a report each second, 10..14 s */
        s->rx.present = 1;
        s->rx.video_dropped = 4;
        s->rx.queue_delay_ms = 20;
        sim_run(s, 10000000 + (k + 1) * 1000000LL);
        if (ratectl_bitrate_kbps(s->rc) >= prev)
            monotone = 0;
        prev = ratectl_bitrate_kbps(s->rc);
        ratectl_stats_get(s->rc, &st);
        CHECK(st.local_delay_us < 50000); /* our own link never congested */
    }
    at14 = prev;
    ratectl_stats_get(s->rc, &st);
    CHECK(monotone);
    CHECK_EQ_INT((int64_t)st.decreases - decs_before, 5);
    CHECK_EQ_INT(st.last_reason, RATECTL_DEC_RECEIVER);
    CHECK_EQ_INT(s->skipped, 0);
    sim_run(s, 30000000);
    back = first_at_least(s, 15000000, 30000000, 1500);
    printf("receiver drops reported 5 times, 1 s apart: 1500 -> %lld kbit/s, back at 1500 %.1f s "
           "after the last report\n",
           (long long)at14, back < 0 ? -1.0 : (back - 14000000) / 1e6);
    CHECK(at14 <= 400);
    CHECK(back >= 0);
    sim_free(s);

    /* Its queue delay alone, above the high mark, lowers the rate too. */
    sim_init(s, UNLIMITED);
    sim_run(s, 10000000);
    s->rx.present = 1;
    s->rx.queue_delay_ms = 300;
    sim_run(s, 10200000);
    ratectl_stats_get(s->rc, &st);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500 * 85 / 100);
    CHECK_EQ_INT(st.last_reason, RATECTL_DEC_DELAY);
    sim_free(s);
}

/* A queue in the network shows only in the RTT. */
static void test_rtt_rise(void)
{
    struct sim *s = &S;
    struct ratectl_stats st;
    sim_init(s, UNLIMITED);
    sim_run(s, 10000000);
    s->rtt_us = 300000;
    sim_run(s, 10300000);
    ratectl_stats_get(s->rc, &st);
    printf("RTT 40 -> 300 ms, no backlog: %d kbit/s, delay seen %lld ms\n",
           ratectl_bitrate_kbps(s->rc), (long long)(st.delay_us / 1000));
    CHECK(ratectl_bitrate_kbps(s->rc) < 1500);
    CHECK(st.rtt_excess_us >= 250000);
    sim_free(s);
}

/* The receiver's link rate in the report (media_report's rate_kbps): one
 * cut goes under it at once, and the probes after it start gently (x 1.05,
 * 1 s apart) before the usual x 1.2 steps. */
static void test_receiver_rate(void)
{
    struct sim *s = &S;
    struct ratectl_stats st;
    sim_init(s, UNLIMITED);
    sim_run(s, 10000000);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500);
    s->rx.present = 1;
    s->rx.video_dropped = 3;
    s->rx.queue_delay_ms = 400;
    s->rx.rate_Bps = 500000 / 8; /* a 500 kbit/s downlink */
    sim_run(s, 10300000);
    ratectl_stats_get(s->rc, &st);
    int cut = ratectl_bitrate_kbps(s->rc);
    printf("receiver at 500 kbit/s reported: 1500 -> %d kbit/s in one step (%llu decrease)\n", cut,
           (unsigned long long)st.decreases);
    CHECK(cut <= 300 && cut >= 250); /* 0.8 x (500 - audio) x (1 - 400/1500): drains its queue */
    CHECK_EQ_INT(st.decreases, 1);
    CHECK_EQ_INT(st.last_reason, RATECTL_DEC_RECEIVER);
    CHECK(st.ceiling_kbps > 0 && st.ceiling_kbps <= 475);
    /* No more reports: after the wait, the first probe steps are small and
     * a second apart. */
    int64_t prev = cut, t_prev = 10300000, steps = 0, min_gap = 1LL << 40, max_capped = 0;
    for (int64_t t = 10400000; t <= 36000000; t += 100000) {
        sim_run(s, t);
        int64_t k = ratectl_bitrate_kbps(s->rc);
        if (t < 20200000 && k > max_capped)
            max_capped = k; /* the receiver's link caps it for 10 s */
        if (getenv("RATECTL_TRACE") && k != prev) {
            struct ratectl_stats s2;
            ratectl_stats_get(s->rc, &s2);
            printf("t %.1f %lld -> %lld %s ceiling %lld\n", t / 1e6, (long long)prev, (long long)k,
                   ratectl_reason_name(s2.last_reason), (long long)s2.ceiling_kbps);
        }
        if (k > prev && k > st.ceiling_kbps) {
            if (steps < 3) {
                CHECK(k * 1000 <= prev * 1055); /* x 1.05 */
                if (steps > 0 && t - t_prev < min_gap)
                    min_gap = t - t_prev;
            }
            steps++;
            t_prev = t;
        }
        prev = k;
    }
    printf("then %lld probe steps; the first ones at least %.1f s apart; at 36 s %d kbit/s\n",
           (long long)steps, min_gap / 1e6, ratectl_bitrate_kbps(s->rc));
    printf("for 10 s after the report the target stays under the receiver's link: at most %lld kbit/s\n",
           (long long)max_capped);
    CHECK(max_capped <= 420); /* 0.8 x (500 - audio), + a ramp step */
    CHECK(steps >= 4);
    CHECK(min_gap >= 1000000);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500); /* and the fast ones bring it back */
    sim_free(s);
}

/* A still picture: the encoder sends 30 % of its target; no probing. */
static void test_app_limited(int no_flag)
{
    struct sim *s = &S;
    sim_init(s, UNLIMITED);
    s->no_flag = no_flag;
    s->fill = 300;
    sim_run(s, 10000000);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 500);
    s->fill = 1000;
    sim_run(s, 20000000);
    if (getenv("RATECTL_TRACE"))
        for (int i = 0; i < s->nlog; i++)
            if (i == 0 || s->log_kbps[i] != s->log_kbps[i - 1])
                printf("app-limited %d: t %.1f kbps %lld\n", no_flag, s->log_t[i] / 1e6,
                       (long long)s->log_kbps[i]);
    CHECK_EQ_INT(ratectl_bitrate_kbps(s->rc), 1500);
    sim_free(s);
}

static void obs_quiet(struct ratectl *rc, int64_t t, int64_t backlog, int rx_drops)
{
    struct ratectl_obs o;
    memset(&o, 0, sizeof(o));
    o.now_us = t;
    o.backlog_bytes = backlog;
    o.delivery_Bps = 100000;
    o.srtt_us = 40000;
    o.audio_bytes = 400;
    o.video_bytes = 6000;
    o.rx.present = rx_drops > 0;
    o.rx.video_dropped = rx_drops;
    ratectl_observe(rc, &o);
}

static void test_keyframes(void)
{
    struct ratectl *rc;
    struct ratectl_stats st;
    int64_t t = 0, last = -1, mingap = INT64_MAX;
    int keys = 0;

    /* Open link: granted on the next picture; a second one waits 500 ms;
     * five requests make one keyframe. */
    CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
    obs_quiet(rc, 0, 0, 0);
    ratectl_keyframe_request(rc, 10000);
    CHECK_EQ_INT(ratectl_video_admit(rc, 33333, 0), RATECTL_ENCODE_KEY);
    ratectl_keyframe_request(rc, 40000);
    CHECK_EQ_INT(ratectl_video_admit(rc, 66666, 0), RATECTL_ENCODE);
    obs_quiet(rc, 100000, 0, 0);
    CHECK_EQ_INT(ratectl_video_admit(rc, 500000, 0), RATECTL_ENCODE);
    CHECK_EQ_INT(ratectl_video_admit(rc, 533333, 0), RATECTL_ENCODE_KEY);
    for (int i = 0; i < 5; i++)
        ratectl_keyframe_request(rc, 600000 + i);
    obs_quiet(rc, 1100000, 0, 0);
    CHECK_EQ_INT(ratectl_video_admit(rc, 1133333, 0), RATECTL_ENCODE_KEY);
    CHECK_EQ_INT(ratectl_video_admit(rc, 1800000, 0), RATECTL_ENCODE);
    ratectl_stats_get(rc, &st);
    CHECK_EQ_INT(st.key_requests, 7);
    CHECK_EQ_INT(st.key_granted, 3);
    ratectl_free(rc);

    /* Congested (the server reports drops every 100 ms; our queue is empty,
     * so pictures pass): a request on every picture for 10 s gets one
     * keyframe per 2 s at most. */
    CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
    for (int f = 0; f < 300; f++) {
        t = (int64_t)f * 1000000 / 30;
        if (f % 3 == 0)
            obs_quiet(rc, t, 0, 1);
        ratectl_keyframe_request(rc, t);
        if (ratectl_video_admit(rc, t, 1000) == RATECTL_ENCODE_KEY) {
            if (last >= 0 && t - last < mingap)
                mingap = t - last;
            last = t;
            keys++;
        }
    }
    printf("keyframes requested on all 300 pictures of 10 s while congested: %d granted, "
           "at least %.2f s apart\n", keys, mingap / 1e6);
    CHECK(keys >= 4 && keys <= 6);
    CHECK(mingap >= 2000000);
    ratectl_free(rc);
}

/* A keyframe holds a 500 kbit/s link's queue for a few frames: the skips
 * it causes are no congestion. The same bytes as a delta frame are. */
static void test_keyframe_grace(void)
{
    for (int key = 1; key >= 0; key--) {
        struct ratectl *rc;
        struct ratectl_obs o;
        struct ratectl_stats st;
        CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
        memset(&o, 0, sizeof(o));
        o.delivery_Bps = 62500;
        o.srtt_us = 40000;
        o.audio_bytes = 400;
        ratectl_observe(rc, &o); /* t = 0; no video sent: no probe */
        o.now_us = 580000;
        ratectl_observe(rc, &o);
        if (key) {
            ratectl_keyframe_request(rc, 600000);
            CHECK_EQ_INT(ratectl_video_admit(rc, 600000, 2500), RATECTL_ENCODE_KEY);
        } else {
            CHECK_EQ_INT(ratectl_video_admit(rc, 600000, 7500), RATECTL_ENCODE);
        }
        CHECK_EQ_INT(ratectl_video_admit(rc, 633333, 2000), RATECTL_SKIP);
        o.now_us = 700000;
        o.backlog_bytes = 4000;
        ratectl_observe(rc, &o);
        ratectl_stats_get(rc, &st);
        if (key) {
            CHECK_EQ_INT(ratectl_bitrate_kbps(rc), 500);
        } else {
            CHECK(ratectl_bitrate_kbps(rc) <= 450); /* 0.9 x (D - audio) */
            CHECK_EQ_INT(st.last_reason, RATECTL_DEC_SKIP);
        }
        ratectl_free(rc);
    }
}

static int64_t pick(void)
{
    static const int64_t odd[] = {INT64_MIN, -1000000, -1, 0, 1, 7, 1000, 1000000000,
                                  INT64_MAX / 2, INT64_MAX};
    if (rnd() % 3 == 0)
        return odd[rnd() % 10];
    return (int64_t)(((uint64_t)rnd() << 32) | rnd()) >> (rnd() % 63);
}

static void test_garbage(void)
{
    struct ratectl *rc;
    struct ratectl_obs o;
    struct ratectl_stats st;
    int in_range = 1, verdict_ok = 1;

    /* Delivery rate always unknown, a backlog: our own rate stands in. */
    CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
    for (int i = 0; i < 50; i++) {
        memset(&o, 0, sizeof(o));
        o.now_us = (int64_t)i * 100000;
        o.backlog_bytes = 20000;
        o.srtt_us = 40000;
        ratectl_observe(rc, &o);
    }
    ratectl_stats_get(rc, &st);
    CHECK_EQ_INT(ratectl_bitrate_kbps(rc), 150);
    CHECK(st.drain_Bps > 0);
    CHECK_EQ_INT(ratectl_video_admit(rc, 5000000, 0), RATECTL_SKIP);
    ratectl_free(rc);

    /* A huge RTT (hours) is taken as 10 s: in range, the rate cut. */
    CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
    obs_quiet(rc, 0, 0, 0);
    memset(&o, 0, sizeof(o));
    o.now_us = 600000;
    o.srtt_us = 3600LL * 1000000 * 5;
    ratectl_observe(rc, &o);
    ratectl_stats_get(rc, &st);
    CHECK(st.rtt_excess_us <= 10000000);
    CHECK(st.clamped >= 1);
    CHECK(ratectl_bitrate_kbps(rc) < 500);
    ratectl_free(rc);

    /* Anything at all, times that step back included. */
    CHECK_EQ_INT(ratectl_new(NULL, &rc, NULL), 0);
    for (int i = 0; i < 200000; i++) {
        int k;
        memset(&o, 0, sizeof(o));
        o.now_us = pick();
        o.backlog_bytes = pick();
        o.delivery_Bps = pick();
        o.srtt_us = pick();
        o.audio_bytes = pick();
        o.video_bytes = pick();
        o.rx.present = (int)(rnd() % 2);
        o.rx.video_dropped = pick();
        o.rx.queue_delay_ms = pick();
        ratectl_observe(rc, &o);
        if (rnd() % 4 == 0)
            ratectl_keyframe_request(rc, pick());
        k = ratectl_video_admit(rc, pick(), pick());
        if (k < RATECTL_SKIP || k > RATECTL_ENCODE_KEY)
            verdict_ok = 0;
        if (ratectl_bitrate_kbps(rc) < 150 || ratectl_bitrate_kbps(rc) > 1500)
            in_range = 0;
        ratectl_stats_get(rc, &st);
        if (st.delay_us < 0 || st.delay_us > 60000000 || st.local_delay_us < 0 ||
            st.drain_Bps <= 0 || st.audio_bps < 0 || st.video_bps < 0)
            in_range = 0;
    }
    ratectl_stats_get(rc, &st);
    CHECK(in_range);
    CHECK(verdict_ok);
    CHECK(st.clamped > 0);
    CHECK(st.delay_us >= 0 && st.delay_us <= 60000000);
    ratectl_free(rc);
}

static void test_config(void)
{
    struct ratectl_config c;
    struct ratectl *rc = (struct ratectl *)&c;
    const char *why = NULL;

    ratectl_config_default(&c);
    CHECK_EQ_INT(ratectl_new(&c, &rc, &why), 0);
    CHECK_EQ_INT(ratectl_bitrate_kbps(rc), 500);
    ratectl_free(rc);
    ratectl_free(NULL);

#define BAD(field, value)                                                          \
    do {                                                                           \
        ratectl_config_default(&c);                                                \
        c.field = value;                                                           \
        why = NULL;                                                                \
        CHECK_EQ_INT(ratectl_new(&c, &rc, &why), BP_E_INVALID_FIELD);              \
        CHECK(rc == NULL && why != NULL && strstr(why, #field) != NULL);           \
    } while (0)
    BAD(min_kbps, 100);
    BAD(max_kbps, 2000);
    BAD(start_kbps, 149);
    BAD(start_kbps, 1501);
    BAD(fps, 0);
    BAD(audio_kbps, 600);
    BAD(low_mark_ms, 150);
    BAD(change_every_ms, 50);
    BAD(hold_ms, 70000);
    BAD(key_gap_congested_ms, 100);
#undef BAD
}

int main(void)
{
    test_config();
    test_unconstrained();
    test_lift_anywhere();
    test_sudden_drop();
    test_receiver_report();
    test_rtt_rise();
    test_receiver_rate();
    test_app_limited(0);
    test_app_limited(1);
    test_keyframes();
    test_keyframe_grace();
    test_garbage();
    return check_report();
}
