/* test_mcheck.c: tests client/media/mcheck.c (the judgements of `bilan
 * test-media`) with synthetic blocks and pictures on each side of each
 * threshold, and client/media/mtest.c (the live test) with the test
 * sources: a moving pattern and a tone are good; a still black .y4m is
 * dark and frozen; a silent .wav is not heard; the window's calls
 * (mtest_picture, mtest_level) give the newest picture and the level. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "asink_sdl.h"
#include "mcheck.h"
#include "mtest.h"
#include "test_vtmp.h"

static void sine(int16_t *pcm, size_t n, double dbfs)
{
    double amp = 32767.0 * pow(10.0, dbfs / 20.0) * sqrt(2.0); /* RMS of a sine: amp/√2 */
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * 440.0 * (double)i / 48000.0));
}

static void test_level(void)
{
    int16_t pcm[960];
    struct mcheck_level l;
    memset(pcm, 0, sizeof pcm);
    mcheck_level(pcm, 960, &l);
    CHECK(l.rms_dbfs == MCHECK_FLOOR_DBFS);
    CHECK(l.peak == 0);
    sine(pcm, 960, -20);
    mcheck_level(pcm, 960, &l);
    CHECK(fabs(l.rms_dbfs - -20) < 0.2);
    CHECK(fabs(l.peak - 0.1414) < 0.01);
    /* Either side of the silence threshold: a quiet voice is heard, a
     * muted microphone's hiss is not. */
    sine(pcm, 960, -50);
    mcheck_level(pcm, 960, &l);
    CHECK(mcheck_heard(l.rms_dbfs));
    sine(pcm, 960, -62);
    mcheck_level(pcm, 960, &l);
    CHECK(!mcheck_heard(l.rms_dbfs));
    CHECK(!mcheck_heard(MCHECK_FLOOR_DBFS));
}

static void test_bar(void)
{
    char buf[64];
    CHECK_EQ_INT(mcheck_bar(MCHECK_FLOOR_DBFS, 10, buf, sizeof buf), 0);
    CHECK_STR(buf, "··········");
    CHECK_EQ_INT(mcheck_bar(0, 10, buf, sizeof buf), 10);
    CHECK_STR(buf, "██████████");
    CHECK_EQ_INT(mcheck_bar(-45, 10, buf, sizeof buf), 5);
    CHECK_STR(buf, "█████·····");
    CHECK_EQ_INT(mcheck_bar(12, 4, buf, sizeof buf), 4);   /* clipped */
    CHECK_EQ_INT(mcheck_bar(-200, 4, buf, sizeof buf), 0); /* clipped */
    CHECK_EQ_INT(mcheck_bar(0, 10, buf, 20), 0);           /* too small: empty, no overflow */
    CHECK_STR(buf, "");
}

static void fill(struct vframe *f, int luma, int noise_seed)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            f->y[(size_t)y * f->stride_y + x] =
                (uint8_t)(luma + (noise_seed ? ((x * 7 + y * 13 + noise_seed) % 5) - 2 : 0));
}

static void test_video(void)
{
    struct vframe a = {0}, b = {0};
    CHECK_EQ_INT(vframe_alloc(&a, 64, 48), 0);
    CHECK_EQ_INT(vframe_alloc(&b, 64, 48), 0);
    fill(&a, 100, 0);
    CHECK(fabs(mcheck_mean_luma(&a) - 100) < 1e-9);
    fill(&b, 103, 0);
    CHECK(fabs(mcheck_luma_diff(&a, &b) - 3) < 1e-9);

    /* Dark: either side of the threshold. */
    struct mcheck_video v;
    memset(&v, 0, sizeof v);
    fill(&a, 30, 0);
    mcheck_video_add(&v, &a, 0, 0);
    CHECK(mcheck_video_dark(&v));
    memset(&v, 0, sizeof v);
    fill(&a, 50, 0);
    mcheck_video_add(&v, &a, 0, 0);
    CHECK(!mcheck_video_dark(&v));
    memset(&v, 0, sizeof v);
    CHECK(!mcheck_video_dark(&v)); /* no picture: not "dark", the caller says "none" */

    /* Frozen: the same picture 10 times at 30 fps; then sensor noise moves. */
    memset(&v, 0, sizeof v);
    fill(&a, 120, 0);
    for (int i = 0; i < 10; i++)
        mcheck_video_add(&v, &a, 0.0, (int64_t)i * 33333);
    CHECK(mcheck_video_frozen(&v));
    CHECK(fabs(mcheck_video_fps(&v) - 30) < 0.1);
    memset(&v, 0, sizeof v);
    for (int i = 0; i < 10; i++) {
        fill(&b, 120, i + 1);
        double d = i ? mcheck_luma_diff(&b, &a) : 0;
        mcheck_video_add(&v, &b, d, (int64_t)i * 50000);
        vframe_copy(&a, &b);
    }
    CHECK(!mcheck_video_frozen(&v));
    CHECK(fabs(mcheck_video_fps(&v) - 20) < 0.1);
    /* Just under the frozen threshold is still frozen. */
    memset(&v, 0, sizeof v);
    for (int i = 0; i < 5; i++)
        mcheck_video_add(&v, &a, MCHECK_FROZEN_DIFF * 0.9, i);
    CHECK(mcheck_video_frozen(&v));
    vframe_free(&a);
    vframe_free(&b);
}

/* A .y4m of one still picture of luma y (looped by the source). */
static int write_y4m(const char *path, int w, int h, int y)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fprintf(f, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n", w, h);
    for (int i = 0; i < w * h; i++)
        fputc(y, f);
    for (int i = 0; i < w * h / 2; i++)
        fputc(128, f);
    return fclose(f);
}

/* A 16-bit mono .wav of n samples of value s. */
static int write_wav(const char *path, int n, int16_t s)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t data = (uint32_t)n * 2, riff = 36 + data, fmt = 16, rate = 48000, brate = 96000;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f), fwrite(&riff, 4, 1, f), fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt, 4, 1, f), fwrite(&pcm, 2, 1, f), fwrite(&ch, 2, 1, f), fwrite(&rate, 4, 1, f);
    fwrite(&brate, 4, 1, f), fwrite(&align, 2, 1, f), fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f), fwrite(&data, 4, 1, f);
    for (int i = 0; i < n; i++)
        fwrite(&s, 2, 1, f);
    return fclose(f);
}

static void nap_ms(int ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

static void test_live_good(void)
{
    struct mtest *m;
    char why[400];
    CHECK_EQ_INT(mtest_new(&m), 0);
    CHECK_EQ_INT(mtest_video_start(m, "pattern", 160, 120, why, sizeof why), 0);
    CHECK_EQ_INT(mtest_audio_start(m, "tone", why, sizeof why), 0);
    int w, h;
    mtest_video_size(m, &w, &h);
    CHECK(w == 160 && h == 120);
    struct vframe pic = {0};
    CHECK_EQ_INT(vframe_alloc(&pic, w, h), 0);
    uint64_t seq = 0;
    int got = 0;
    for (int i = 0; i < 200 && !got; i++) { /* polled: bounded at 2 s */
        got = mtest_picture(m, &pic, &seq);
        if (!got)
            nap_ms(10);
    }
    CHECK(got && seq >= 1);
    CHECK(mcheck_mean_luma(&pic) > MCHECK_DARK_LUMA);
    CHECK(!mtest_picture(m, &pic, &seq) || seq > 1); /* only a newer picture is copied */
    nap_ms(600);
    struct mtest_level l;
    mtest_level(m, &l);
    CHECK(l.blocks > 5 && l.rms_dbfs > -30 && l.max_dbfs > -30);
    mtest_stop(m);
    struct mtest_video_result v;
    struct mtest_audio_result a;
    mtest_video_result(m, &v);
    mtest_audio_result(m, &a);
    CHECK(v.started && v.frames >= 10 && !v.dark && !v.frozen && !*v.error);
    CHECK(v.fps > 20 && v.fps < 40); /* paced at 30 */
    CHECK(a.started && a.heard && a.blocks >= 25 && !*a.error);
    vframe_free(&pic);
    mtest_free(m);
}

static void test_live_bad(void)
{
    char y4m[512], wav[512], why[400];
    CHECK_EQ_INT(write_y4m(tmp_path(y4m, sizeof y4m, "black.y4m"), 64, 48, 16), 0);
    CHECK_EQ_INT(write_wav(tmp_path(wav, sizeof wav, "quiet.wav"), 48000, 3), 0);
    struct mtest *m;
    CHECK_EQ_INT(mtest_new(&m), 0);
    CHECK_EQ_INT(mtest_video_start(m, y4m, 64, 48, why, sizeof why), 0);
    CHECK_EQ_INT(mtest_audio_start(m, wav, why, sizeof why), 0);
    nap_ms(500);
    mtest_stop(m);
    struct mtest_video_result v;
    struct mtest_audio_result a;
    mtest_video_result(m, &v);
    mtest_audio_result(m, &a);
    CHECK(v.frames >= 5 && v.dark && v.frozen);
    CHECK(a.blocks >= 10 && !a.heard);
    mtest_free(m);
    /* Sources that cannot open say which. */
    CHECK_EQ_INT(mtest_new(&m), 0);
    CHECK(mtest_video_start(m, "/nonexistent/x.y4m", 64, 48, why, sizeof why) != 0);
    CHECK(strstr(why, "x.y4m") != NULL);
    CHECK(mtest_audio_start(m, "/nonexistent/x.wav", why, sizeof why) != 0);
    CHECK(strstr(why, "x.wav") != NULL);
    mtest_free(m);
}

static void test_sound_file(void)
{
    char out[512], why[400];
    tmp_path(out, sizeof out, "chime.wav");
    CHECK_EQ_INT(mtest_play_sound(out, 400, why, sizeof why), 0);
    FILE *f = fopen(out, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static int16_t pcm[48000];
    fseek(f, 44, SEEK_SET);
    size_t n = fread(pcm, 2, sizeof pcm / 2, f);
    fclose(f);
    CHECK_EQ_INT(n, 400 * 48);
    struct mcheck_level l;
    mcheck_level(pcm, n, &l);
    CHECK(l.rms_dbfs > -20 && l.rms_dbfs < -12); /* -12 dBFS peak sine, faded ends */
    CHECK(mtest_play_sound("/nonexistent/dir/x.wav", 100, why, sizeof why) != 0);
}

/* asink_sdl_spec: which --audio-out values name a speaker (what test-media
 * and `bilan devices` rely on). */
static void test_speaker_spec(void)
{
    const char *dev = "x";
    CHECK(asink_sdl_spec("default", &dev) && dev == NULL);
    CHECK(asink_sdl_spec("speaker:HDMI 2", &dev) && dev && !strcmp(dev, "HDMI 2"));
    CHECK(!asink_sdl_spec("speaker:", &dev));
    CHECK(!asink_sdl_spec("out.wav", &dev));
    CHECK(!asink_sdl_spec(NULL, &dev));
}

int main(void)
{
    if (!tmp_make())
        return 1;
    test_level();
    test_bar();
    test_video();
    test_live_good();
    test_live_bad();
    test_sound_file();
    test_speaker_spec();
    tmp_remove();
    return check_report();
}
