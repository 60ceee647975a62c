/* test_jitter.c: the adaptive jitter buffer (client/media/jitter.c) driven
 * through simulated time: a sender of 20 ms audio frames, arrivals from a
 * deterministic PRNG, one playout tick per 20 ms. Checks: steady arrivals
 * settle at the minimum delay with no loss; ±30 ms jitter grows the target
 * to cover it and no frame is late after settling; a 200 ms gap then a burst
 * loses nothing, grows the delay and shrinks it back slowly; a loss with the
 * next frame present is FEC-able, without it not; reordering by 2;
 * duplicates; seq and media_ts wrapping at 2^32; the caps (slots, bytes,
 * settings); the video use (released when due, a burst's extra delay given
 * back 2 ms per frame). Prints the settled figures. */
#include <stdint.h>

#include "../check.h"
#include "bp/err.h"
#include "jitter.h"

#define MAXF 2000
#define FRAME_US 20000
#define TRANSIT_US 50000 /* the fixed part of the network delay */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int64_t uniform(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

/* One simulated run. arrive[i] < 0: frame i never arrives. */
struct sim {
    int n;
    uint32_t seq0, ts0;
    int64_t arrive[MAXF];
    int64_t dup_at[MAXF]; /* > 0: a second copy arrives then */
    /* results */
    int played[MAXF];     /* times frame i was played */
    int order_ok, late_after_settle, lost_fec, lost_plc, stalls;
    int64_t settle_us;
    uint32_t max_target, max_cur;
    uint32_t last_cur; /* the delay when the last frame played */
    int64_t back_to_min_us; /* first time after the max when cur <= 80 ms (the target, 40, + 2 frames: where shrinking stops) */
    int fec_payload_ok;
    int lost_seq[16], lost_fec_flag[16], nlost;
};

static void put_idx(uint8_t *p, int i)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(i >> (8 * k));
}
static int get_idx(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | p[3] << 24;
}

static struct jitter *audio_jb(uint32_t slots)
{
    struct jitter_config cfg;
    jitter_config_audio(&cfg);
    if (slots)
        cfg.slots = slots;
    struct jitter *jb = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(jitter_new(&cfg, &jb, &why), 0);
    return jb;
}

/* Plays the run: ticks every 20 ms (phase 7 ms) until end_us; arrivals at or
 * before a tick are pushed before it. */
static void sim_run(struct jitter *jb, struct sim *s, int64_t end_us)
{
    struct { int64_t t; int i; } ev[2 * MAXF];
    int nev = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->arrive[i] >= 0)
            ev[nev].t = s->arrive[i], ev[nev++].i = i;
        if (s->dup_at[i] > 0)
            ev[nev].t = s->dup_at[i], ev[nev++].i = i;
    }
    for (int a = 1; a < nev; a++) /* insertion sort: stable, small */
        for (int b = a; b > 0 && ev[b].t < ev[b - 1].t; b--) {
            __typeof__(ev[0]) x = ev[b];
            ev[b] = ev[b - 1];
            ev[b - 1] = x;
        }
    s->order_ok = 1;
    s->back_to_min_us = -1;
    int last_played = -1, e = 0;
    for (int64_t now = 7000; now <= end_us; now += FRAME_US) {
        for (; e < nev && ev[e].t <= now; e++) {
            uint8_t p[64] = {0};
            put_idx(p, ev[e].i);
            int r = jitter_push(jb, s->seq0 + (uint32_t)ev[e].i,
                                s->ts0 + (uint32_t)ev[e].i * 960, p, 10 + ev[e].i % 50,
                                (uint64_t)ev[e].t);
            if (r == JITTER_LATE && ev[e].t > s->settle_us)
                s->late_after_settle++;
        }
        struct jitter_out o;
        CHECK_EQ_INT(jitter_tick(jb, (uint64_t)now, &o), 0);
        if (o.kind == JITTER_FRAME) {
            int i = get_idx(o.payload);
            if (i <= last_played || o.seq != s->seq0 + (uint32_t)i || o.len != (size_t)(10 + i % 50) ||
                o.media_ts != s->ts0 + (uint32_t)i * 960)
                s->order_ok = 0;
            last_played = i;
            s->played[i]++;
        } else if (o.kind == JITTER_LOST) {
            if (o.fec) {
                s->lost_fec++;
                if (get_idx(o.payload) != (int)(o.seq - s->seq0) + 1)
                    s->fec_payload_ok = 0;
            } else {
                s->lost_plc++;
            }
            if (s->nlost < 16) {
                s->lost_seq[s->nlost] = (int)(o.seq - s->seq0);
                s->lost_fec_flag[s->nlost++] = o.fec;
            }
        } else if (o.kind == JITTER_STALL) {
            s->stalls++;
        }
        struct jitter_stats st;
        jitter_stats_get(jb, &st);
        if (o.kind != JITTER_FRAME)
            continue; /* the delay of played frames, not of stalls at the end */
        s->last_cur = st.current_delay_us;
        if (st.target_delay_us > s->max_target)
            s->max_target = st.target_delay_us;
        if (st.current_delay_us > s->max_cur) {
            s->max_cur = st.current_delay_us;
            s->back_to_min_us = -1;
        }
        if (s->max_cur > 150000 && s->back_to_min_us < 0 && st.current_delay_us <= 80000)
            s->back_to_min_us = now;
    }
}

static void sim_init(struct sim *s, int n, uint32_t seq0, uint32_t ts0)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->seq0 = seq0;
    s->ts0 = ts0;
    s->fec_payload_ok = 1;
    for (int i = 0; i < n; i++)
        s->arrive[i] = (int64_t)i * FRAME_US + TRANSIT_US;
}

static int count_played(const struct sim *s)
{
    int c = 0;
    for (int i = 0; i < s->n; i++)
        c += s->played[i];
    return c;
}

/* settled: the delay when the last frame played (the current delay after the
 * run also counts the stalls once the sender stopped). */
static void print_stats(const char *name, const struct jitter *jb, uint32_t settled)
{
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    printf("%-9s received %llu played %llu lost fec %llu plc %llu late %llu dup %llu "
           "overflow %llu skipped %llu stalls %llu (empty %llu) settled delay %.1f ms target "
           "%.1f ms J %.1f ms\n",
           name, (unsigned long long)st.received, (unsigned long long)st.played,
           (unsigned long long)st.lost_fec, (unsigned long long)st.lost_plc,
           (unsigned long long)st.late, (unsigned long long)st.duplicate,
           (unsigned long long)st.overflow, (unsigned long long)st.skipped,
           (unsigned long long)st.stalls, (unsigned long long)st.stalls_empty,
           settled / 1000.0, st.target_delay_us / 1000.0, st.jitter_us / 1000.0);
}

static struct sim S;

static void test_steady(void)
{
    struct jitter *jb = audio_jb(0);
    sim_init(&S, 500, 1000, 0);
    sim_run(jb, &S, 500 * FRAME_US + 500000);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("steady", jb, S.last_cur);
    CHECK(S.order_ok);
    CHECK_EQ_INT(count_played(&S), 500);
    CHECK_EQ_INT(st.lost_fec + st.lost_plc + st.late + st.skipped, 0);
    CHECK_EQ_INT(st.target_delay_us, 40000);
    CHECK(S.max_cur >= 40000 && S.max_cur < 60000);
    jitter_free(jb);
}

/* Uniform ±30 ms around the transit: a spread of 60 ms to cover. */
static void test_jitter30(void)
{
    struct jitter *jb = audio_jb(0);
    sim_init(&S, 1500, 7, 12345);
    for (int i = 0; i < S.n; i++)
        S.arrive[i] += uniform(-30000, 30000);
    S.settle_us = 2000000;
    sim_run(jb, &S, 1500 * FRAME_US + 500000);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("jitter30", jb, S.last_cur);
    CHECK(S.order_ok);
    CHECK(st.target_delay_us >= 55000 && st.target_delay_us <= 60000);
    CHECK(S.last_cur >= st.target_delay_us && S.last_cur < st.target_delay_us + 2 * FRAME_US);
    CHECK_EQ_INT(S.late_after_settle, 0);
    /* every frame accounted for: played, or its slot concealed or skipped */
    CHECK_EQ_INT(count_played(&S) + st.lost_fec + st.lost_plc + st.skipped, 1500);
    CHECK(st.late <= 10);
    jitter_free(jb);
}

/* A playout thread on a loaded machine ticks 3 ms early to 9 ms late, and
 * arrivals vary by 8 ms: once playing, no stall and no skip beyond the
 * first settling; every frame played. Before the half-frame slack, each early tick stalled and the next
 * skip took a frame back: two clicks a second. */
static void test_tick_jitter(void)
{
    struct jitter *jb = audio_jb(0);
    struct jitter_out o;
    int64_t next_arrival = 0;
    uint32_t pushed = 0, lcg = 7;
    uint64_t played = 0, stalls_after_start = 0;
    int started = 0;
    for (int k = 0; k < 1500; k++) {
        lcg = lcg * 1103515245u + 12345u;
        int64_t tick = 100000 + (int64_t)k * FRAME_US + (int64_t)((lcg >> 16) % 12000) - 3000;
        for (; next_arrival <= tick;) {
            uint8_t b = (uint8_t)pushed;
            jitter_push(jb, pushed, pushed * 960u, &b, 1, (uint64_t)next_arrival);
            pushed++;
            lcg = lcg * 1103515245u + 12345u;
            next_arrival = (int64_t)pushed * FRAME_US + TRANSIT_US + (int64_t)((lcg >> 16) % 8000);
        }
        CHECK_EQ_INT(jitter_tick(jb, (uint64_t)tick, &o), 0);
        if (o.kind == JITTER_FRAME) {
            started = 1;
            played++;
        } else if (started && o.kind == JITTER_STALL) {
            stalls_after_start++;
        }
    }
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    printf("tick jitter -3..+9 ms, arrivals 0..8 ms: played %llu, stalls once playing %llu, skipped %llu\n",
           (unsigned long long)played, (unsigned long long)stalls_after_start,
           (unsigned long long)st.skipped);
    CHECK(stalls_after_start <= 2); /* the first settling, at most */
    CHECK(st.skipped <= 2);
    CHECK(played >= 1490);
    jitter_free(jb);
}

/* Frames captured in [4.0 s, 4.2 s) are held by the network and arrive all
 * at once with the 4.2 s one. */
static void test_burst(void)
{
    struct jitter *jb = audio_jb(0);
    sim_init(&S, 1000, 0, 0);
    for (int i = 200; i < 210; i++)
        S.arrive[i] = 210 * FRAME_US + TRANSIT_US;
    int64_t burst_at = 210 * FRAME_US + TRANSIT_US;
    sim_run(jb, &S, 1000 * FRAME_US + 500000);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("burst", jb, S.last_cur);
    printf("burst     max target %.1f ms, max delay %.1f ms, back to <= 80 ms %.2f s after the "
           "burst\n",
           S.max_target / 1000.0, S.max_cur / 1000.0, (S.back_to_min_us - burst_at) / 1e6);
    CHECK(S.order_ok);
    CHECK_EQ_INT(st.lost_fec + st.lost_plc + st.late, 0);
    CHECK(S.max_target >= 190000);
    CHECK(S.max_cur >= 190000);
    CHECK(st.stalls_empty >= 7);
    /* slowly: not before the burst left the window (5 s) and 1 skip/500 ms */
    CHECK(S.back_to_min_us - burst_at >= 7000000);
    CHECK(S.last_cur <= 80000);
    CHECK(st.skipped >= 7 && st.skipped <= 9);
    CHECK_EQ_INT(count_played(&S) + st.skipped, 1000);
    jitter_free(jb);
}

static void test_loss(void)
{
    struct jitter *jb = audio_jb(0);
    sim_init(&S, 300, 50, 0);
    S.arrive[100] = -1;                   /* the next one is there: FEC */
    S.arrive[200] = S.arrive[201] = -1;   /* 200 without its next, 201 with */
    S.arrive[299] = -1;                   /* the last: nothing after it */
    sim_run(jb, &S, 300 * FRAME_US + 500000);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("loss", jb, S.last_cur);
    CHECK_EQ_INT(S.nlost, 3);
    CHECK_EQ_INT(S.lost_seq[0], 100);
    CHECK_EQ_INT(S.lost_fec_flag[0], 1);
    CHECK_EQ_INT(S.lost_seq[1], 200);
    CHECK_EQ_INT(S.lost_fec_flag[1], 0);
    CHECK_EQ_INT(S.lost_seq[2], 201);
    CHECK_EQ_INT(S.lost_fec_flag[2], 1);
    CHECK(S.fec_payload_ok);
    CHECK_EQ_INT(st.lost_fec, 2);
    CHECK_EQ_INT(st.lost_plc, 1);
    /* the last one: the buffer runs dry, PLC by stall, never FEC */
    CHECK(st.stalls_empty >= 20);
    CHECK_EQ_INT(count_played(&S), 296);
    jitter_free(jb);
}

static void test_reorder_dup(void)
{
    struct jitter *jb = audio_jb(0);
    sim_init(&S, 400, 0xFFFFFF00u, 0xFFFFFFFFu - 960 * 100); /* both wrap */
    for (int i = 10; i < 390; i += 10)
        S.arrive[i] += 2 * FRAME_US + 1000;   /* after i+1 and i+2 */
    for (int i = 0; i < 400; i += 3)
        S.dup_at[i] = S.arrive[i] + 5000;     /* a copy 5 ms later */
    S.dup_at[399] = 399 * FRAME_US + 200000;  /* a copy long after it played */
    sim_run(jb, &S, 400 * FRAME_US + 500000);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("reorder", jb, S.last_cur);
    CHECK(S.order_ok);
    CHECK_EQ_INT(count_played(&S), 400);
    CHECK_EQ_INT(st.lost_fec + st.lost_plc, 0);
    CHECK_EQ_INT(st.duplicate, 133); /* 134 copies, the last one late */
    CHECK_EQ_INT(st.late, 1);
    jitter_free(jb);
}

static void test_caps(void)
{
    struct jitter_config cfg;
    jitter_config_audio(&cfg);
    struct jitter *jb = NULL;
    const char *why = NULL;
    cfg.slots = 1;
    CHECK_EQ_INT(jitter_new(&cfg, &jb, &why), BP_E_INVALID_FIELD);
    CHECK(jb == NULL && why && strstr(why, "slots"));
    jitter_config_audio(&cfg);
    cfg.min_delay_us = 500000;
    CHECK_EQ_INT(jitter_new(&cfg, &jb, &why), BP_E_INVALID_FIELD);
    CHECK(why && strstr(why, "min over max"));

    jb = audio_jb(16);
    uint8_t big[1501] = {0};
    CHECK_EQ_INT(jitter_push(jb, 0, 0, big, sizeof(big), 0), BP_E_TOO_LARGE);
    for (int i = 0; i < 40; i++) {
        uint8_t p[4];
        put_idx(p, i);
        CHECK_EQ_INT(jitter_push(jb, (uint32_t)i, (uint32_t)i * 960, p, 4, 1000), JITTER_STORED);
    }
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    CHECK_EQ_INT(st.oversize, 1);
    CHECK_EQ_INT(st.overflow, 24);
    CHECK_EQ_INT(st.held, 16);
    /* the oldest were dropped: playout starts at 24, an old one is late */
    CHECK_EQ_INT(jitter_push(jb, 3, 3 * 960, big, 4, 2000), JITTER_LATE);
    struct jitter_out o;
    int first = -1, n = 0;
    for (uint64_t now = 3000; now < 3000000; now += FRAME_US) {
        jitter_tick(jb, now, &o);
        if (o.kind == JITTER_FRAME) {
            if (first < 0)
                first = get_idx(o.payload);
            n++;
        }
    }
    CHECK_EQ_INT(first, 24);
    CHECK_EQ_INT(n, 16);
    CHECK_EQ_INT(jitter_pop(jb, 0, &o), BP_E_WRONG_STATE);
    print_stats("caps", jb, 0);
    jitter_free(jb);
    jitter_free(NULL);
}

/* Video: 30 frames/s at 90 kHz, ±20 ms of jitter, one frame lost; frames are
 * released when due, in order, none late after settling. */
static void test_video(void)
{
    struct jitter_config cfg;
    jitter_config_video(&cfg);
    cfg.slot_bytes = 64;
    struct jitter *jb = NULL;
    CHECK_EQ_INT(jitter_new(&cfg, &jb, NULL), 0);
    int n = 600, e = 0, last = -1, order_ok = 1, lost_before = 0, late_late = 0;
    int64_t arrive[600];
    for (int i = 0; i < n; i++)
        arrive[i] = (int64_t)i * 33333 + TRANSIT_US + uniform(-20000, 20000);
    arrive[300] = -1;
    for (int i = 400; i < 406; i++) /* a 200 ms gap, then a burst */
        arrive[i] = arrive[406];
    int64_t max_err = 0, last_release = -1, min_gap_after = INT64_MAX, max_target = 0;
    uint64_t due;
    CHECK_EQ_INT(jitter_next_due(jb, &due), 0);
    for (int64_t now = 0; now < 21000000; now += 1000) {
        for (int i = 0; i < n; i++) { /* arrivals of this millisecond */
            if (arrive[i] >= 0 && arrive[i] > now - 1000 && arrive[i] <= now) {
                uint8_t p[4];
                put_idx(p, i);
                int r = jitter_push(jb, (uint32_t)i, (uint32_t)i * 3000, p, 4, (uint64_t)now);
                if (r == JITTER_LATE && now > 2000000)
                    late_late++;
            }
        }
        (void)e;
        struct jitter_out o;
        while (jitter_next_due(jb, &due) && due <= (uint64_t)now) {
            CHECK_EQ_INT(jitter_pop(jb, (uint64_t)now, &o), 0);
            CHECK_EQ_INT(o.kind, JITTER_FRAME);
            int i = get_idx(o.payload);
            if (i <= last)
                order_ok = 0;
            last = i;
            lost_before += (int)o.lost_before;
            if ((int64_t)now - (int64_t)due > max_err)
                max_err = (int64_t)now - (int64_t)due;
            /* from 1 s after the burst: the shrink spreads over frames */
            if (last_release >= 0 && now > arrive[406] + 1000000 &&
                now - last_release < min_gap_after)
                min_gap_after = now - last_release;
            last_release = now;
        }
        struct jitter_stats vs;
        jitter_stats_get(jb, &vs);
        if (vs.target_delay_us > max_target)
            max_target = vs.target_delay_us;
        CHECK_EQ_INT(jitter_pop(jb, (uint64_t)now, &o), 0);
        CHECK_EQ_INT(o.kind, JITTER_NONE);
    }
    struct jitter_out o;
    CHECK_EQ_INT(jitter_tick(jb, 0, &o), BP_E_WRONG_STATE);
    struct jitter_stats st;
    jitter_stats_get(jb, &st);
    print_stats("video", jb, st.current_delay_us);
    CHECK(order_ok);
    CHECK_EQ_INT(lost_before, 1);
    CHECK_EQ_INT(late_late, 0);
    CHECK(max_target >= 190000);
    printf("video     max target %.1f ms; after the burst frames released >= %.1f ms apart\n",
           max_target / 1000.0, min_gap_after / 1000.0);
    CHECK(min_gap_after >= 25000);
    CHECK(st.target_delay_us >= 35000 && st.target_delay_us <= 40000);
    CHECK_EQ_INT(st.played + st.late, 599);
    CHECK(max_err < 1000);
    jitter_free(jb);
}

int main(void)
{
    test_steady();
    test_jitter30();
    test_burst();
    test_tick_jitter();
    test_loss();
    test_reorder_dup();
    test_caps();
    test_video();
    return check_report();
}
