/* mtest.c: the live test of mtest.h. One thread per source: the video
 * thread reads pictures (a camera paces itself; pattern and files are
 * paced at their nominal rate), keeps the newest under the mutex for
 * mtest_picture and feeds mcheck_video; the audio thread reads 20 ms
 * blocks (a microphone paces itself; a tone or file is paced at real
 * time) and keeps the level. A source failing mid-way ends its thread with
 * its sentence kept for the result.
 *
 * Owns: both sources, both threads, the newest picture and its scratch.
 * Must never: hold the mutex across a device call (a camera's next waits
 * up to 2 s), open or close an SDL device off the caller's thread. */
#include "mtest.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asink_sdl.h"
#include "asink_wav.h"
#include "asource.h"
#include "bp/err.h"
#include "i18n.h"
#include "vsource.h"

struct mtest {
    pthread_mutex_t mu;
    volatile int stop; /* read by the threads, set by mtest_stop */
    /* video */
    struct vsource *vs;
    pthread_t vt;
    int v_running;
    struct vframe newest;           /* under mu */
    uint64_t newest_seq;            /* under mu: pictures read so far */
    struct mcheck_video vstat;      /* under mu */
    struct mtest_video_result vres; /* under mu */
    /* audio */
    struct asource *as;
    pthread_t at;
    int a_running;
    struct mtest_level level;       /* under mu */
    struct mtest_audio_result ares; /* under mu */
};

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void sleep_until(int64_t t_us)
{
    int64_t d = t_us - now_us();
    if (d <= 0)
        return;
    struct timespec ts = {.tv_sec = d / 1000000, .tv_nsec = (d % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

int mtest_new(struct mtest **out)
{
    struct mtest *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    pthread_mutex_init(&m->mu, NULL);
    m->level.rms_dbfs = m->level.max_dbfs = MCHECK_FLOOR_DBFS;
    m->ares.max_dbfs = MCHECK_FLOOR_DBFS;
    *out = m;
    return 0;
}

static void *video_main(void *arg)
{
    struct mtest *m = arg;
    struct vframe cur = {0}, prev = {0};
    int w = vsource_width(m->vs), h = vsource_height(m->vs), live = vsource_is_live(m->vs);
    int fps = m->vs->p.fps > 0 ? m->vs->p.fps : 30;
    char why[VSOURCE_WHY_MAX];
    if (vframe_alloc(&cur, w, h) || vframe_alloc(&prev, w, h)) {
        pthread_mutex_lock(&m->mu);
        snprintf(m->vres.error, sizeof m->vres.error, "%s", _("mémoire insuffisante"));
        pthread_mutex_unlock(&m->mu);
        goto out;
    }
    int64_t start = now_us();
    for (uint64_t i = 0; !m->stop; i++) {
        if (!live)
            sleep_until(start + (int64_t)(i * 1000000 / (uint64_t)fps));
        int rc = vsource_next(m->vs, &cur, why, sizeof why);
        if (rc) {
            pthread_mutex_lock(&m->mu);
            snprintf(m->vres.error, sizeof m->vres.error, "%s", why);
            pthread_mutex_unlock(&m->mu);
            break;
        }
        double diff = i ? mcheck_luma_diff(&cur, &prev) : 0;
        int64_t t = now_us();
        pthread_mutex_lock(&m->mu);
        mcheck_video_add(&m->vstat, &cur, diff, t);
        vframe_copy(&m->newest, &cur);
        m->newest_seq++;
        pthread_mutex_unlock(&m->mu);
        struct vframe swap = prev;
        prev = cur;
        cur = swap;
    }
out:
    vframe_free(&cur);
    vframe_free(&prev);
    return NULL;
}

int mtest_video_start(struct mtest *m, const char *spec, int w, int h, char *why, size_t cap)
{
    struct vsource_params p = {.width = w, .height = h, .fps = 30};
    int rc = vsource_open(&m->vs, spec, &p, why, cap);
    if (rc)
        return rc;
    if (vframe_alloc(&m->newest, vsource_width(m->vs), vsource_height(m->vs)) != VM_OK) {
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        vsource_close(m->vs);
        m->vs = NULL;
        return VM_E_NOMEM;
    }
    m->vres.started = 1;
    m->vres.width = vsource_width(m->vs);
    m->vres.height = vsource_height(m->vs);
    if (pthread_create(&m->vt, NULL, video_main, m) != 0) {
        snprintf(why, cap, "%s", _("impossible de lancer la lecture vidéo"));
        vsource_close(m->vs);
        m->vs = NULL;
        m->vres.started = 0;
        return VM_E_NOMEM;
    }
    m->v_running = 1;
    return 0;
}

static void *audio_main(void *arg)
{
    struct mtest *m = arg;
    struct aframe f;
    int live = asource_is_live(m->as);
    int64_t start = now_us();
    for (uint64_t i = 0; !m->stop; i++) {
        if (!live)
            sleep_until(start + (int64_t)i * AFRAME_US);
        const char *why = "";
        if (asource_next(m->as, &f, &why) != 0) {
            pthread_mutex_lock(&m->mu);
            snprintf(m->ares.error, sizeof m->ares.error, "%s", why);
            pthread_mutex_unlock(&m->mu);
            break;
        }
        struct mcheck_level l;
        mcheck_level(f.pcm, AFRAME_SAMPLES, &l);
        pthread_mutex_lock(&m->mu);
        m->level.rms_dbfs = l.rms_dbfs;
        m->level.peak = l.peak;
        if (l.rms_dbfs > m->level.max_dbfs)
            m->level.max_dbfs = l.rms_dbfs;
        m->level.blocks++;
        pthread_mutex_unlock(&m->mu);
    }
    return NULL;
}

int mtest_audio_start(struct mtest *m, const char *spec, char *why, size_t cap)
{
    const char *w = "";
    int rc = asource_open(&m->as, spec, &w, why, cap);
    if (rc)
        return rc;
    m->ares.started = 1;
    if (pthread_create(&m->at, NULL, audio_main, m) != 0) {
        snprintf(why, cap, "%s", _("impossible de lancer la lecture du son"));
        asource_close(m->as);
        m->as = NULL;
        m->ares.started = 0;
        return BP_E_NOMEM;
    }
    m->a_running = 1;
    return 0;
}

int mtest_picture(struct mtest *m, struct vframe *dst, uint64_t *seq)
{
    int copied = 0;
    pthread_mutex_lock(&m->mu);
    if (m->newest_seq > *seq && m->newest.mem && dst->mem && dst->width == m->newest.width &&
        dst->height == m->newest.height) {
        vframe_copy(dst, &m->newest);
        *seq = m->newest_seq;
        copied = 1;
    }
    pthread_mutex_unlock(&m->mu);
    return copied;
}

void mtest_video_size(const struct mtest *m, int *w, int *h)
{
    *w = m->vres.width;
    *h = m->vres.height;
}

void mtest_level(struct mtest *m, struct mtest_level *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->level;
    pthread_mutex_unlock(&m->mu);
}

void mtest_stop(struct mtest *m)
{
    m->stop = 1;
    if (m->v_running) {
        pthread_join(m->vt, NULL);
        m->v_running = 0;
    }
    if (m->a_running) {
        pthread_join(m->at, NULL);
        m->a_running = 0;
    }
    vsource_close(m->vs);
    m->vs = NULL;
    asource_close(m->as);
    m->as = NULL;
}

void mtest_video_result(struct mtest *m, struct mtest_video_result *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->vres;
    out->frames = m->vstat.frames;
    out->fps = mcheck_video_fps(&m->vstat);
    out->mean_luma = m->vstat.frames ? m->vstat.luma_sum / m->vstat.frames : 0;
    out->dark = mcheck_video_dark(&m->vstat);
    out->frozen = mcheck_video_frozen(&m->vstat);
    pthread_mutex_unlock(&m->mu);
}

void mtest_audio_result(struct mtest *m, struct mtest_audio_result *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->ares;
    out->blocks = m->level.blocks;
    out->max_dbfs = m->level.max_dbfs;
    out->heard = m->level.blocks > 0 && mcheck_heard(m->level.max_dbfs);
    pthread_mutex_unlock(&m->mu);
}

void mtest_free(struct mtest *m)
{
    if (!m)
        return;
    mtest_stop(m);
    vframe_free(&m->newest);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Block b of the chime: 660 Hz then 880 Hz, each half of the sound, at
 * -12 dBFS, with 10 ms fades so that no click hides a missing sound. */
static void chime_block(int b, int blocks, int16_t pcm[AFRAME_SAMPLES])
{
    const double amp = 32767.0 * 0.25; /* -12 dBFS */
    int total = blocks * AFRAME_SAMPLES, fade = AFRAME_RATE / 100;
    for (int j = 0; j < AFRAME_SAMPLES; j++) {
        int n = b * AFRAME_SAMPLES + j;
        double hz = n < total / 2 ? 660.0 : 880.0;
        double g = 1.0;
        int from_edge = n < total / 2 ? (n < total / 2 - n ? n : total / 2 - n)
                                      : (n - total / 2 < total - n ? n - total / 2 : total - n);
        if (from_edge < fade)
            g = (double)from_edge / fade;
        pcm[j] = (int16_t)lrint(amp * g * sin(2.0 * M_PI * hz * n / AFRAME_RATE));
    }
}

int mtest_play_sound(const char *out, int ms, char *why, size_t cap)
{
    int blocks = ms / 20 > 0 ? ms / 20 : 1;
    int16_t pcm[AFRAME_SAMPLES];
    const char *w = "", *device = NULL;
    int rc;
    if (!asink_sdl_spec(out, &device)) {
        struct asink_wav *k = NULL;
        if ((rc = asink_wav_open(&k, out, &w)) != 0) {
            snprintf(why, cap, "%s : %s", out, w);
            return rc;
        }
        for (int b = 0; b < blocks && rc == 0; b++) {
            chime_block(b, blocks, pcm);
            rc = asink_wav_write(k, (uint64_t)b, pcm, &w);
        }
        int rc2 = asink_wav_close(k, &w);
        if (rc || rc2) {
            snprintf(why, cap, "%s : %s", out, w);
            return rc ? rc : rc2;
        }
        return 0;
    }
    struct asink_sdl *k = NULL;
    if ((rc = asink_sdl_open(&k, device, &w)) != 0) {
        snprintf(why, cap, "%s", w);
        return rc;
    }
    /* Keep about 100 ms queued: under asink_sdl's 200 ms cap, so that no
     * block is skipped, and enough that the device never runs dry. */
    for (int b = 0; b < blocks && rc == 0; b++) {
        struct asink_sdl_stats st;
        for (int i = 0; i < 100; i++) {
            asink_sdl_stats(k, &st);
            if (st.queued_ms < 100)
                break;
            sleep_until(now_us() + 10000);
        }
        chime_block(b, blocks, pcm);
        rc = asink_sdl_write(k, (uint64_t)b, pcm, &w);
    }
    if (rc == 0) {
        /* Until played out (bounded: the device may never drain). */
        struct asink_sdl_stats st;
        int64_t end = now_us() + 2000000;
        do {
            sleep_until(now_us() + 10000);
            asink_sdl_stats(k, &st);
        } while (st.queued_ms > 0 && now_us() < end);
        sleep_until(now_us() + 50000); /* the device's last period */
    } else {
        snprintf(why, cap, "%s", w);
    }
    asink_sdl_close(k, &w);
    return rc;
}
