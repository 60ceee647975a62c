/* test_avsync.c: lip sync (client/media/avsync.c) through simulated time: a
 * sender captures audio every 20 ms and video every 33 ms on one clock; the
 * receiver plays audio 200 ms after capture. Checks: video ready 150 ms
 * before its audio waits and renders within ±80 ms of it (naively it would
 * be 150 ms ahead); video 300 ms late is dropped; without audio (none, or
 * muted midway) video plays on its own clock, timed by its jitter buffer. */
#include <stdint.h>

#include "../check.h"
#include "avsync.h"
#include "bp/err.h"
#include "jitter.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static int64_t uniform(int64_t lo, int64_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (int64_t)((rng >> 16) % (uint64_t)(hi - lo + 1));
}

#define AUDIO_LAT_US 200000 /* capture to audio playout */

struct vsim {
    int rendered, dropped, waits, naive_max_abs_ms;
    int64_t max_abs_offset;
};

/* Runs 10 s. Video frame k (captured at k*33 ms + cap0) is decoded at its
 * capture + video_lat (± jitter); audio of capture c plays at c + 200 ms
 * (until audio_stops_ms, if > 0). The caller renders WAIT frames at the
 * first display refresh (every 17 ms) at or after at_us. */
static void run(struct avsync *av, uint32_t cap0, int64_t video_lat, int64_t audio_stops_ms,
                struct vsim *v)
{
    memset(v, 0, sizeof(*v));
    int64_t pending_at[16]; /* the waiting frames, in capture order */
    uint32_t pending_cap[16];
    int npend = 0;
    int k = 0;
    for (int64_t now_ms = 0; now_ms < 10000; now_ms++) {
        uint64_t now = (uint64_t)now_ms * 1000 + 1000000;
        int64_t cap = now_ms - AUDIO_LAT_US / 1000; /* the audio playing now */
        if (cap >= 0 && cap % 20 == 0 && (audio_stops_ms <= 0 || now_ms < audio_stops_ms))
            avsync_audio_played(av, cap0 + (uint32_t)cap, now);
        /* waiting frames are shown at the display's refresh, every 17 ms */
        while (npend && now_ms % 17 == 0 && (uint64_t)pending_at[0] <= now) {
            struct avsync_decision d;
            avsync_video(av, pending_cap[0], now, &d);
            CHECK_EQ_INT(d.action, AVSYNC_RENDER);
            v->rendered++;
            if (d.offset_us > v->max_abs_offset || -d.offset_us > v->max_abs_offset)
                v->max_abs_offset = d.offset_us < 0 ? -d.offset_us : d.offset_us;
            npend--;
            memmove(pending_at, pending_at + 1, npend * sizeof(*pending_at));
            memmove(pending_cap, pending_cap + 1, npend * sizeof(*pending_cap));
        }
        int64_t vcap = (int64_t)k * 33;
        if (vcap * 1000 + video_lat <= now_ms * 1000) {
            struct avsync_decision d;
            uint32_t c = cap0 + (uint32_t)vcap;
            avsync_video(av, c, now, &d);
            int naive = (int)((int64_t)now_ms - (vcap + AUDIO_LAT_US / 1000));
            if (d.synced && abs(naive) > v->naive_max_abs_ms)
                v->naive_max_abs_ms = abs(naive);
            if (d.action == AVSYNC_WAIT) {
                v->waits++;
                CHECK(npend < 16);
                if (npend < 16) {
                    pending_at[npend] = (int64_t)d.at_us;
                    pending_cap[npend++] = c;
                }
            } else if (d.action == AVSYNC_DROP) {
                v->dropped++;
            } else {
                v->rendered++;
            }
            k++;
        }
    }
}

static struct avsync *make(void)
{
    struct avsync_config cfg;
    avsync_config_default(&cfg);
    struct avsync *av = NULL;
    CHECK_EQ_INT(avsync_new(&cfg, &av, NULL), 0);
    return av;
}

static void print(const char *name, struct avsync *av)
{
    struct avsync_stats st;
    avsync_stats_get(av, &st);
    printf("%-8s synced %llu own clock %llu waits %llu dropped %llu out of range %llu; offset "
           "p50 %.1f ms, |offset| p95 %.1f ms over %u\n",
           name, (unsigned long long)st.rendered_synced, (unsigned long long)st.rendered_own_clock,
           (unsigned long long)st.waits, (unsigned long long)st.dropped,
           (unsigned long long)st.out_of_range, st.offset_p50_us / 1000.0,
           st.abs_offset_p95_us / 1000.0, st.samples);
}

/* Video decoded 50 ms after capture, audio played 200 ms after: a skew of
 * 150 ms, brought to 0 by waiting. capture_ms wraps at 2^32 during the run. */
static void test_skew(void)
{
    struct avsync *av = make();
    struct vsim v;
    run(av, 0xFFFFFFFFu - 4000, 50000, 0, &v);
    print("skew150", av);
    struct avsync_stats st;
    avsync_stats_get(av, &st);
    CHECK(v.naive_max_abs_ms >= 149);
    CHECK(v.waits > 250);
    CHECK_EQ_INT(v.dropped, 0);
    CHECK(v.max_abs_offset <= 80000);
    CHECK(st.abs_offset_p95_us <= 80000);
    CHECK(st.rendered_synced > 250);
    avsync_free(av);
}

/* Video decoded 500 ms after capture: 300 ms behind its audio: dropped. */
static void test_late(void)
{
    struct avsync *av = make();
    struct vsim v;
    run(av, 1000, 500000, 0, &v);
    print("late300", av);
    CHECK(v.dropped > 250);
    CHECK(v.dropped >= 280 && v.rendered == 0);
    struct avsync_decision d;
    avsync_audio_played(av, 5000, 10000000);
    avsync_video(av, 5000 - 300, 10000000, &d); /* 300 ms late */
    CHECK_EQ_INT(d.action, AVSYNC_DROP);
    avsync_video(av, 5000 - 70, 10000000, &d);  /* 70 ms late: still shown */
    CHECK_EQ_INT(d.action, AVSYNC_RENDER);
    CHECK_EQ_INT(d.offset_us, 70000);
    avsync_video(av, 5000 + 3000, 10000000, &d); /* 3 s ahead: clocks disagree */
    CHECK_EQ_INT(d.action, AVSYNC_RENDER);
    CHECK_EQ_INT(d.synced, 0);
    avsync_free(av);
}

/* No audio: every frame renders on its own clock when the video jitter
 * buffer releases it (its media time + base + its own target delay). */
static void test_no_audio(void)
{
    struct avsync *av = make();
    struct jitter_config cfg;
    jitter_config_video(&cfg);
    cfg.slot_bytes = 16;
    struct jitter *jb = NULL;
    CHECK_EQ_INT(jitter_new(&cfg, &jb, NULL), 0);
    int n = 300, next = 0, rendered = 0;
    int64_t max_err = 0;
    for (int64_t now = 0; now < 11000000; now += 1000) {
        while (next < n && (int64_t)next * 33333 + 50000 + (next % 7) * 4000 <= now) {
            uint8_t p[4] = {(uint8_t)next};
            jitter_push(jb, (uint32_t)next, (uint32_t)next * 3000, p, 4, (uint64_t)now);
            next++;
        }
        struct jitter_out o;
        uint64_t due;
        while (jitter_next_due(jb, &due) && due <= (uint64_t)now) {
            jitter_pop(jb, (uint64_t)now, &o);
            struct avsync_decision d;
            avsync_video(av, o.media_ts / 90, (uint64_t)now, &d);
            CHECK_EQ_INT(d.action, AVSYNC_RENDER);
            CHECK_EQ_INT(d.synced, 0);
            if ((int64_t)now - (int64_t)due > max_err)
                max_err = (int64_t)now - (int64_t)due;
            rendered++;
        }
    }
    struct jitter_stats js;
    jitter_stats_get(jb, &js);
    printf("no audio rendered %d on its own clock, video delay %.1f ms target %.1f ms\n",
           rendered, js.current_delay_us / 1000.0, js.target_delay_us / 1000.0);
    CHECK_EQ_INT(rendered, n);
    CHECK(max_err < 1000);
    CHECK_EQ_INT(js.target_delay_us, 40000);
    jitter_free(jb);
    avsync_free(av);

    /* Muted after 5 s: synced, then own clock once the audio is stale. */
    av = make();
    struct vsim v;
    run(av, 0, 50000, 5000, &v);
    print("muted", av);
    struct avsync_stats st;
    avsync_stats_get(av, &st);
    CHECK(st.rendered_synced > 100);
    CHECK(st.rendered_own_clock > 100);
    CHECK_EQ_INT(v.dropped, 0);
    avsync_free(av);
}

static void test_config(void)
{
    struct avsync_config cfg;
    avsync_config_default(&cfg);
    cfg.window = 1;
    struct avsync *av = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(avsync_new(&cfg, &av, &why), BP_E_INVALID_FIELD);
    CHECK(av == NULL && why && strstr(why, "window"));
    avsync_free(NULL);
    (void)uniform;
}

int main(void)
{
    test_skew();
    test_late();
    test_no_audio();
    test_config();
    return check_report();
}
