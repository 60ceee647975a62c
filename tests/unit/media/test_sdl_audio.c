/* test_sdl_audio.c: tests client/media/asrc_sdl.c (the microphone) and
 * asink_sdl.c (the speaker) for real through SDL's "disk" audio driver: a
 * raw file stands for the microphone (SDL_DISKAUDIOFILEIN, or the file a
 * "mic:NAME" names) and the speaker writes to another (SDL_DISKAUDIOFILE),
 * both in real time. Then the errors: an SDL driver that does not exist, a
 * microphone or speaker that cannot be opened, a machine without a
 * microphone (ALSA with no card, when this machine has none).
 *
 * Not testable here: a device unplugged mid-call (SDL's disk driver never
 * stops), a real sound server. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <SDL.h>

#include "../check.h"
#include "asink_sdl.h"
#include "asource.h"
#include "bp/err.h"
#include "test_vtmp.h"

/* A sample that is never 0 (so silence is told apart) and differs along
 * the file: block b, sample j. */
static int16_t sample_at(int b, int j)
{
    return (int16_t)(1 + (b * 977 + j * 13) % 20000);
}

static int write_raw(const char *path, int blocks, int salt)
{
    int16_t *pcm = malloc((size_t)blocks * AFRAME_BYTES);
    for (int b = 0; b < blocks; b++)
        for (int j = 0; j < AFRAME_SAMPLES; j++)
            pcm[b * AFRAME_SAMPLES + j] = sample_at(b + salt, j);
    int r = tmp_write(path, pcm, (size_t)blocks * AFRAME_BYTES);
    free(pcm);
    return r;
}

static int block_is(const int16_t *pcm, int b)
{
    for (int j = 0; j < AFRAME_SAMPLES; j++)
        if (pcm[j] != sample_at(b, j))
            return 0;
    return 1;
}

static void test_mic_disk(void)
{
    char in[512], named[512], msg[512];
    const char *why = "";
    enum { BLOCKS = 8 };
    CHECK_EQ_INT(write_raw(tmp_path(in, sizeof in, "mic.raw"), BLOCKS, 0), 0);
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILEIN", in, 1);
    struct asource *s = NULL;
    int rc = asource_open(&s, "default", &why, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "default microphone: %s\n", msg);
        return;
    }
    CHECK_EQ_INT(asource_is_live(s), 1);
    struct aframe f;
    int good = 0;
    Uint32 t0 = SDL_GetTicks();
    for (int b = 0; b < BLOCKS; b++) {
        CHECK_EQ_INT(asource_next(s, &f, &why), 0);
        CHECK_EQ_INT(f.seq, b);
        good += block_is(f.pcm, b);
    }
    Uint32 took = SDL_GetTicks() - t0;
    CHECK_EQ_INT(good, BLOCKS); /* every sample of the file, in order, unchanged */
    /* Past the file's end SDL's disk driver gives silence. */
    CHECK_EQ_INT(asource_next(s, &f, &why), 0);
    int silent = 1;
    for (int j = 0; j < AFRAME_SAMPLES; j++)
        silent &= f.pcm[j] == 0;
    CHECK(silent);
    printf("microphone (disk): %d blocks in %u ms (real time: %d ms)\n", BLOCKS, (unsigned)took,
           BLOCKS * 20);
    asource_close(s);

    /* "mic:NAME": the disk driver takes the name as the file to read. */
    CHECK_EQ_INT(write_raw(tmp_path(named, sizeof named, "named.raw"), 2, 5), 0);
    char spec[600];
    snprintf(spec, sizeof spec, "mic:%s", named);
    CHECK_EQ_INT(asource_open(&s, spec, &why, msg, sizeof msg), 0);
    if (s) {
        CHECK_EQ_INT(asource_next(s, &f, &why), 0);
        CHECK(block_is(f.pcm, 5));
        asource_close(s);
    }

    /* A named microphone that cannot be opened: its name and SDL's list. */
    rc = asource_open(&s, "mic:/nonexistent/dir/mic.raw", &why, msg, sizeof msg);
    printf("mic:/nonexistent: %d %s\n", rc, msg);
    CHECK_EQ_INT(rc, BP_E_UNKNOWN_DEVICE);
    CHECK(s == NULL);
    CHECK(strstr(msg, "/nonexistent/dir/mic.raw") != NULL);
    CHECK(strstr(why, "impossible à ouvrir") != NULL);
    CHECK(strstr(why, "pilote disk") != NULL);
    CHECK(strstr(why, "System audio capture device") != NULL); /* the list */
    CHECK_EQ_INT(asource_open(&s, "mic:", &why, msg, sizeof msg), BP_E_INVALID_FIELD);
    CHECK(strstr(why, "mic:NOM") != NULL);
}

static void test_mic_errors(void)
{
    const char *why = "";
    char msg[512];
    struct asource *s = NULL;
    setenv("SDL_AUDIODRIVER", "nosuchdriver", 1);
    int rc = asource_open(&s, "default", &why, msg, sizeof msg);
    printf("driver nosuchdriver: %d %s\n", rc, msg);
    CHECK_EQ_INT(rc, BP_E_INTERNAL);
    CHECK(strstr(msg, "default : ") == msg); /* the spec, then the sentence */
    CHECK(strstr(why, "nosuchdriver") != NULL);
    CHECK(strstr(why, "le son ne démarre pas") != NULL);

    /* The dummy driver lists one capture device that gives silence. */
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    rc = asource_open(&s, "default", &why, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (!rc) {
        struct aframe f;
        memset(f.pcm, 0x55, sizeof f.pcm);
        CHECK_EQ_INT(asource_next(s, &f, &why), 0);
        CHECK(f.pcm[0] == 0 && f.pcm[AFRAME_SAMPLES - 1] == 0);
        asource_close(s);
    }

    /* A microphone that gives nothing: next gives up after its bound (the
     * disk driver made to wait 1.5 s before its first block), not before. */
    char in[512];
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILEIN", tmp_path(in, sizeof in, "mic.raw"), 1);
    setenv("SDL_DISKAUDIODELAY", "1500", 1);
    rc = asource_open(&s, "default", &why, msg, sizeof msg);
    CHECK_EQ_INT(rc, 0);
    if (!rc) {
        struct aframe f;
        Uint32 t0 = SDL_GetTicks();
        rc = asource_next(s, &f, &why);
        Uint32 waited = SDL_GetTicks() - t0;
        printf("silent microphone: %d after %u ms: %s\n", rc, (unsigned)waited, why);
        CHECK_EQ_INT(rc, BP_E_INTERNAL);
        CHECK(strstr(why, "aucun son depuis 1000 ms") != NULL);
        CHECK(strstr(why, "vérifiez qu'il est branché") != NULL);
        CHECK(waited >= 1000 && waited < 1450);
        asource_close(s); /* waits for SDL's thread to end its 1.5 s delay */
    }
    unsetenv("SDL_DISKAUDIODELAY");

    /* No microphone at all: ALSA on a machine without a sound card. */
    setenv("SDL_AUDIODRIVER", "alsa", 1);
    int n = -1;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
        n = SDL_GetNumAudioDevices(1);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
    }
    if (n == 0) {
        rc = asource_open(&s, "default", &why, msg, sizeof msg);
        printf("no microphone: %d %s\n", rc, msg);
        CHECK_EQ_INT(rc, BP_E_UNKNOWN_DEVICE);
        CHECK(strstr(why, "aucun micro trouvé") && !strstr(why, "found"));
        CHECK(strstr(why, "pilote alsa") != NULL);
    } else {
        printf("this machine has %d ALSA microphone(s): the no-microphone case is not tried\n", n);
    }
}

/* Waits (polling, 2 s at most) until SDL's queue is empty. */
static int drain(struct asink_sdl *k)
{
    struct asink_sdl_stats st;
    Uint32 t0 = SDL_GetTicks();
    do {
        asink_sdl_stats(k, &st);
        if (st.queued_ms == 0)
            return 1;
        SDL_Delay(5);
    } while (SDL_GetTicks() - t0 < 2000);
    return 0;
}

static void test_speaker_disk(void)
{
    char out[512];
    const char *why = "";
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILE", tmp_path(out, sizeof out, "speaker.raw"), 1);
    struct asink_sdl *k = NULL;
    int rc = asink_sdl_open(&k, NULL, &why);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "speaker: %s\n", why);
        return;
    }
    /* A burst of 15 blocks: ~200 ms are queued, the rest skipped. */
    int16_t pcm[AFRAME_SAMPLES];
    int accepted[32], n_acc = 0;
    struct asink_sdl_stats st;
    for (int b = 0; b < 15; b++) {
        for (int j = 0; j < AFRAME_SAMPLES; j++)
            pcm[j] = sample_at(b, j);
        asink_sdl_stats(k, &st);
        uint64_t before = st.blocks;
        CHECK_EQ_INT(asink_sdl_write(k, (uint64_t)b, pcm, &why), 0);
        asink_sdl_stats(k, &st);
        if (st.blocks > before)
            accepted[n_acc++] = b;
    }
    asink_sdl_stats(k, &st);
    printf("speaker burst of 15: %llu queued, %llu skipped, %u ms waiting\n",
           (unsigned long long)st.blocks, (unsigned long long)st.skipped, st.queued_ms);
    CHECK(st.blocks >= 10 && st.blocks <= 12);
    CHECK_EQ_INT(st.blocks + st.skipped, 15);
    CHECK(st.queued_ms <= ASINK_SDL_MAX_QUEUED_MS + 20);
    CHECK_EQ_INT(st.underruns, 0);
    /* A block older than the last written is too late to place. */
    CHECK_EQ_INT(asink_sdl_write(k, 3, pcm, &why), 0);
    asink_sdl_stats(k, &st);
    CHECK_EQ_INT(st.late, 1);
    /* Once drained, the next write finds the device dry; 5 blocks were never written. */
    CHECK(drain(k));
    for (int j = 0; j < AFRAME_SAMPLES; j++)
        pcm[j] = sample_at(20, j);
    CHECK_EQ_INT(asink_sdl_write(k, 20, pcm, &why), 0);
    accepted[n_acc++] = 20;
    asink_sdl_stats(k, &st);
    CHECK_EQ_INT(st.underruns, 1);
    CHECK_EQ_INT(st.gaps, 5);
    CHECK(drain(k));
    CHECK_EQ_INT(asink_sdl_close(k, &why), 0);

    /* The file holds the accepted blocks, unchanged, in order (silence
     * around and between the burst and block 20). */
    FILE *f = fopen(out, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    int16_t *all = malloc((size_t)len + 1);
    size_t n = fread(all, 2, (size_t)len / 2, f);
    fclose(f);
    size_t i = 0;
    int found = 0;
    for (int a = 0; a < n_acc; a++) {
        while (i < n && all[i] == 0)
            i++;
        if (i + AFRAME_SAMPLES <= n && block_is(all + i, accepted[a]))
            found++;
        i += AFRAME_SAMPLES;
    }
    printf("speaker file: %ld bytes, %d of %d accepted blocks found in order\n", len, found, n_acc);
    CHECK_EQ_INT(found, n_acc);
    free(all);
}

static void test_speaker_errors(void)
{
    const char *why = "";
    struct asink_sdl *k = (struct asink_sdl *)1;
    setenv("SDL_AUDIODRIVER", "disk", 1);
    int rc = asink_sdl_open(&k, "/nonexistent/dir/out.raw", &why);
    printf("speaker /nonexistent: %d %s\n", rc, why);
    CHECK_EQ_INT(rc, BP_E_UNKNOWN_DEVICE);
    CHECK(k == NULL);
    CHECK(strstr(why, "/nonexistent/dir/out.raw") && strstr(why, "impossible à ouvrir"));
    setenv("SDL_AUDIODRIVER", "nosuchdriver", 1);
    CHECK_EQ_INT(asink_sdl_open(&k, NULL, &why), BP_E_INTERNAL);
    CHECK(strstr(why, "nosuchdriver") != NULL);
    CHECK_EQ_INT(asink_sdl_close(NULL, &why), 0);
}

int main(void)
{
    if (!tmp_make()) {
        perror("mkdtemp");
        return 1;
    }
    test_mic_disk();
    test_mic_errors();
    test_speaker_disk();
    test_speaker_errors();
    tmp_remove();
    return check_report();
}
