/* test_asink_wav.c: the .wav recorder (client/media/asink_wav.c): blocks
 * land at their sequence position, a gap is silence and counted, a late
 * block overwrites its place, the RIFF and data sizes are right after
 * close, and what the sink writes the wav source reads back sample for
 * sample. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "asink_wav.h"
#include "asource.h"
#include "bp/err.h"

static char dir[64];

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fill(int16_t *pcm, int v)
{
    for (int i = 0; i < AFRAME_SAMPLES; i++)
        pcm[i] = (int16_t)(v + i);
}

/* Read the whole file into a malloc'd buffer; *len its size. */
static uint8_t *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)*len);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static int16_t sample_at(const uint8_t *file, long i)
{
    const uint8_t *p = file + 44 + 2 * i;
    return (int16_t)(p[0] | p[1] << 8);
}

static void test_gaps_and_sizes(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/gaps.wav", dir);
    struct asink_wav *s = NULL;
    const char *why = NULL;
    int16_t pcm[AFRAME_SAMPLES];
    CHECK_EQ_INT(asink_wav_open(&s, path, &why), 0);
    if (!s)
        return;
    fill(pcm, 100);
    CHECK_EQ_INT(asink_wav_write(s, 0, pcm, &why), 0);
    fill(pcm, 200);
    CHECK_EQ_INT(asink_wav_write(s, 1, pcm, &why), 0);
    fill(pcm, 500);
    CHECK_EQ_INT(asink_wav_write(s, 4, pcm, &why), 0); /* 2 and 3 never came */
    fill(pcm, 300);
    CHECK_EQ_INT(asink_wav_write(s, 2, pcm, &why), 0); /* 2 arrives late */
    CHECK_EQ_INT(asink_wav_write(s, (uint64_t)1 << 40, pcm, &why), BP_E_TOO_LARGE);
    CHECK(strstr(why, "4 Gio") != NULL);
    struct asink_wav_stats st;
    asink_wav_stats(s, &st);
    CHECK_EQ_INT(st.blocks, 4);
    CHECK_EQ_INT(st.gap_blocks, 2);
    CHECK_EQ_INT(st.rewrites, 1);
    CHECK_EQ_INT(asink_wav_close(s, &why), 0);
    long len = 0;
    uint8_t *b = slurp(path, &len);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_EQ_INT(len, 44 + 5 * AFRAME_BYTES);
    CHECK_MEM(b, "RIFF", 4);
    CHECK_EQ_INT(rd32(b + 4), len - 8);
    CHECK_MEM(b + 8, "WAVEfmt ", 8);
    CHECK_EQ_INT(rd32(b + 24), 48000);
    CHECK_MEM(b + 36, "data", 4);
    CHECK_EQ_INT(rd32(b + 40), 5 * AFRAME_BYTES);
    CHECK_EQ_INT(sample_at(b, 0), 100);
    CHECK_EQ_INT(sample_at(b, 959), 100 + 959);
    CHECK_EQ_INT(sample_at(b, 960), 200);
    CHECK_EQ_INT(sample_at(b, 2 * 960 + 5), 305); /* the late block in place */
    int silent = 1;
    for (long i = 3 * 960; i < 4 * 960; i++)
        silent &= sample_at(b, i) == 0;
    CHECK(silent); /* the gap nobody filled */
    CHECK_EQ_INT(sample_at(b, 4 * 960), 500);
    free(b);
    unlink(path);
}

static void test_empty(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/empty.wav", dir);
    struct asink_wav *s = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(asink_wav_open(&s, path, &why), 0);
    CHECK_EQ_INT(asink_wav_close(s, &why), 0);
    long len = 0;
    uint8_t *b = slurp(path, &len);
    CHECK(b != NULL && len == 44 && rd32(b + 4) == 36 && rd32(b + 40) == 0);
    free(b);
    unlink(path);
    CHECK_EQ_INT(asink_wav_open(&s, "/nonexistent/dir/x.wav", &why), BP_E_INTERNAL);
    CHECK(s == NULL && strstr(why, "impossible de créer") != NULL);
    CHECK_EQ_INT(asink_wav_close(NULL, &why), 0);
}

/* Sink then source: identical samples (48 kHz mono: no resampling). */
static void test_round_trip(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/round.wav", dir);
    struct asink_wav *s = NULL;
    const char *why = NULL;
    static int16_t sent[10][AFRAME_SAMPLES];
    srand(7);
    CHECK_EQ_INT(asink_wav_open(&s, path, &why), 0);
    if (!s)
        return;
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < AFRAME_SAMPLES; i++)
            sent[k][i] = (int16_t)(rand() - RAND_MAX / 2);
        CHECK_EQ_INT(asink_wav_write(s, (uint64_t)k, sent[k], &why), 0);
    }
    CHECK_EQ_INT(asink_wav_close(s, &why), 0);
    struct asource *src = NULL;
    CHECK_EQ_INT(asource_open(&src, path, &why, NULL, 0), 0);
    if (!src)
        return;
    int same = 1;
    for (int k = 0; k < 10; k++) {
        struct aframe f;
        CHECK_EQ_INT(asource_next(src, &f, &why), 0);
        same &= memcmp(f.pcm, sent[k], AFRAME_BYTES) == 0;
    }
    CHECK(same);
    CHECK_EQ_INT(asource_loops(src), 0);
    asource_close(src);
    unlink(path);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_asink_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_gaps_and_sizes();
    test_empty();
    test_round_trip();
    rmdir(dir);
    return check_report();
}
