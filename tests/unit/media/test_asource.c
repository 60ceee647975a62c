/* test_asource.c: the audio sources behind asource.h (client/media/
 * asource.c, asrc_tone.c, asrc_wav.c): spec parsing, the tone's frequency,
 * level and phase continuity, block numbering; .wav files: 48 kHz mono read
 * exactly, stereo averaged, 44.1 kHz stereo read at 48 kHz with the right
 * duration and frequency, looping, a declared size past the end trusted
 * to the file, and each bad file refused with a message naming it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "asource.h"
#include "bp/err.h"

static char dir[64];

static void put16(FILE *f, unsigned v)
{
    fputc((int)(v & 0xff), f);
    fputc((int)((v >> 8) & 0xff), f);
}

static void put32(FILE *f, uint32_t v)
{
    put16(f, v & 0xffff);
    put16(f, v >> 16);
}

/* Write name in dir: a WAV with the given fmt fields and `frames` frames
 * from gen(frame, channel); data_declared 0 means the true size. */
static const char *write_wav(const char *name, unsigned format, unsigned channels,
                             uint32_t rate, unsigned bits, uint32_t frames,
                             int16_t (*gen)(uint32_t, unsigned), uint32_t data_declared)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return path;
    uint32_t data = frames * channels * (bits / 8);
    fwrite("RIFF", 1, 4, f);
    put32(f, 4 + 26 + 8 + 8 + data);
    fwrite("WAVELIST", 1, 8, f); /* an unknown chunk first: skipped */
    put32(f, 5);
    fwrite("abcde\0", 1, 6, f);
    fwrite("fmt ", 1, 4, f);
    put32(f, 16);
    put16(f, format);
    put16(f, channels);
    put32(f, rate);
    put32(f, rate * channels * (bits / 8));
    put16(f, channels * (bits / 8));
    put16(f, bits);
    fwrite("data", 1, 4, f);
    put32(f, data_declared ? data_declared : data);
    for (uint32_t i = 0; i < frames; i++)
        for (unsigned c = 0; c < channels; c++) {
            if (bits == 16)
                put16(f, (uint16_t)gen(i, c));
            else
                for (unsigned b = 0; b < bits / 8; b++)
                    fputc(0, f);
        }
    fclose(f);
    return path;
}

static int16_t gen_ramp(uint32_t i, unsigned c)
{
    return (int16_t)(c ? -(int)(i % 30000) : (int)(i % 30000));
}

static int16_t gen_lr(uint32_t i, unsigned c)
{
    (void)i;
    return c ? 3000 : 1000;
}

static int16_t gen_1khz_44k(uint32_t i, unsigned c)
{
    (void)c;
    return (int16_t)lrint(10000 * sin(2 * M_PI * 1000.0 * i / 44100));
}

static int zero_crossings(const int16_t *x, int n)
{
    int z = 0;
    for (int i = 1; i < n; i++)
        z += (x[i - 1] < 0) != (x[i] < 0);
    return z;
}

static void test_specs(void)
{
    struct asource *s = NULL;
    const char *why = NULL;
    char msg[256];
    CHECK_EQ_INT(asource_open(&s, "microphone", &why, msg, sizeof msg), BP_E_INVALID_FIELD);
    CHECK(s == NULL && strstr(why, "source audio inconnue") && strstr(msg, "microphone :"));
    CHECK_EQ_INT(asource_open(&s, "tone:abc", &why, msg, sizeof msg), BP_E_INVALID_FIELD);
    CHECK(strstr(why, "de 1 à 20000") != NULL);
    CHECK_EQ_INT(asource_open(&s, "tone:0", &why, NULL, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(asource_open(&s, "tone:30000", &why, NULL, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(asource_open(&s, "tones", &why, NULL, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(asource_open(&s, "wav:/nonexistent/x.wav", &why, msg, sizeof msg),
                 BP_E_INVALID_FIELD);
    CHECK(strstr(why, "n'existe pas") && strstr(msg, "/nonexistent/x.wav : ce fichier n'existe pas"));
    CHECK_EQ_INT(asource_open(&s, "wav:", &why, NULL, 0), BP_E_INVALID_FIELD);
    CHECK(strstr(why, "aucun fichier nommé") != NULL);
    CHECK_EQ_INT(asource_open(&s, "/nonexistent/y.WAV", &why, msg, sizeof msg),
                 BP_E_INVALID_FIELD); /* a bare .wav path is a file too */
    CHECK(strstr(msg, "/nonexistent/y.WAV : ce fichier n'existe pas") != NULL);
    asource_close(NULL);
}

static void check_tone(const char *spec, double hz)
{
    struct asource *s = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(asource_open(&s, spec, &why, NULL, 0), 0);
    if (!s)
        return;
    static struct aframe f[50];
    static int16_t all[50 * AFRAME_SAMPLES];
    int max_err = 0, peak = 0;
    for (int k = 0; k < 50; k++) {
        CHECK_EQ_INT(asource_next(s, &f[k], &why), 0);
        CHECK_EQ_INT(f[k].seq, k);
        CHECK_EQ_INT(f[k].capture_us, (int64_t)k * 20000);
        memcpy(all + k * AFRAME_SAMPLES, f[k].pcm, AFRAME_BYTES);
    }
    /* Phase-continuous: every sample, across block edges, is the one sine. */
    for (int n = 0; n < 50 * AFRAME_SAMPLES; n++) {
        int want = (int)lrint(8192 * sin(2 * M_PI * hz * n / AFRAME_RATE));
        int d = abs(all[n] - want);
        max_err = d > max_err ? d : max_err;
        peak = abs(all[n]) > peak ? abs(all[n]) : peak;
    }
    CHECK(max_err <= 2);
    CHECK_EQ_INT(peak, 8192); /* -12 dBFS */
    int z = zero_crossings(all, 50 * AFRAME_SAMPLES);
    CHECK(fabs(z / 2.0 - hz) <= 1); /* one second */
    CHECK_EQ_INT(asource_loops(s), 0);
    asource_close(s);
}

static void test_tone(void)
{
    check_tone("tone", 440);
    check_tone("tone:1000", 1000);
    check_tone("tone:440.5", 440.5);
}

static void test_wav_48k(void)
{
    struct asource *s = NULL;
    const char *why = NULL;
    /* 1.5 blocks of a ramp: three blocks loop it twice, sample for sample */
    const char *p = write_wav("ramp.wav", 1, 1, 48000, 16, 1440, gen_ramp, 0);
    CHECK_EQ_INT(asource_open(&s, p, &why, NULL, 0), 0);
    if (!s)
        return;
    struct aframe f;
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_INT(asource_next(s, &f, &why), 0);
        for (int i = 0; i < AFRAME_SAMPLES; i++)
            bad += f.pcm[i] != gen_ramp((uint32_t)((k * AFRAME_SAMPLES + i) % 1440), 0);
        CHECK_EQ_INT(asource_loops(s), k == 0 ? 0 : k == 1 ? 1 : 1);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(f.seq, 2);
    asource_close(s);
    /* stereo is averaged: (1000 + 3000) / 2 */
    p = write_wav("lr.wav", 1, 2, 48000, 16, 2000, gen_lr, 0);
    CHECK_EQ_INT(asource_open(&s, p, &why, NULL, 0), 0);
    if (!s)
        return;
    CHECK_EQ_INT(asource_next(s, &f, &why), 0);
    CHECK_EQ_INT(f.pcm[0], 2000);
    CHECK_EQ_INT(f.pcm[AFRAME_SAMPLES - 1], 2000);
    asource_close(s);
    /* a writer that died: the data size says 1 MB, the file holds 1440
     * frames; the source loops at the file's end, not past it */
    p = write_wav("cut.wav", 1, 1, 48000, 16, 1440, gen_ramp, 1000000);
    CHECK_EQ_INT(asource_open(&s, p, &why, NULL, 0), 0);
    if (!s)
        return;
    CHECK_EQ_INT(asource_next(s, &f, &why), 0);
    CHECK_EQ_INT(asource_next(s, &f, &why), 0);
    CHECK_EQ_INT(f.pcm[480], gen_ramp(0, 0)); /* 960 + 480 = 1440: looped */
    CHECK_EQ_INT(asource_loops(s), 1);
    asource_close(s);
}

/* 1 s of 1 kHz at 44.1 kHz stereo: 50 blocks at 48 kHz, still 1 kHz. */
static void test_wav_resampled(void)
{
    struct asource *s = NULL;
    const char *why = NULL;
    const char *p = write_wav("tone44.wav", 1, 2, 44100, 16, 44100, gen_1khz_44k, 0);
    CHECK_EQ_INT(asource_open(&s, p, &why, NULL, 0), 0);
    if (!s)
        return;
    static int16_t all[60 * AFRAME_SAMPLES];
    int blocks = 0;
    struct aframe f;
    while (blocks < 60) {
        CHECK_EQ_INT(asource_next(s, &f, &why), 0);
        if (asource_loops(s) > 0)
            break; /* the block that needed the file's start again */
        memcpy(all + blocks * AFRAME_SAMPLES, f.pcm, AFRAME_BYTES);
        blocks++;
    }
    printf("44.1 kHz stereo, 1 s: %d whole blocks before the loop (50 expected)\n", blocks);
    CHECK(blocks >= 49 && blocks <= 51);
    /* frequency by zero crossings over blocks 1..48 (0.96 s) */
    int z = zero_crossings(all + AFRAME_SAMPLES, 48 * AFRAME_SAMPLES);
    double hz = z / 2.0 / 0.96;
    printf("resampled 1 kHz tone measures %.1f Hz\n", hz);
    CHECK(fabs(hz - 1000) < 5);
    asource_close(s);
}

static void expect_file_refused(const char *name, const char *path, const char *needle)
{
    struct asource *s = NULL;
    const char *why = NULL;
    char msg[512], spec[300];
    snprintf(spec, sizeof spec, "wav:%s", path);
    CHECK_EQ_INT(asource_open(&s, spec, &why, msg, sizeof msg), BP_E_INVALID_FIELD);
    CHECK(s == NULL);
    CHECK(strstr(msg, path) == msg && strstr(msg, needle) != NULL);
    if (!strstr(msg, needle))
        fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", name, msg, needle);
}

static void test_wav_refused(void)
{
    expect_file_refused("8-bit", write_wav("u8.wav", 1, 1, 48000, 8, 100, gen_ramp, 0),
                        "8-bit");
    expect_file_refused("float", write_wav("f32.wav", 3, 1, 48000, 32, 100, gen_ramp, 0),
                        "virgule flottante");
    expect_file_refused("7 kHz", write_wav("r7k.wav", 1, 1, 7000, 16, 100, gen_ramp, 0),
                        "8000 à 192000");
    expect_file_refused("empty data", write_wav("nodata.wav", 1, 1, 48000, 16, 0, gen_ramp, 0),
                        "aucun échantillon");
    char path[128];
    snprintf(path, sizeof path, "%s/trunc.wav", dir);
    FILE *f = fopen(path, "wb");
    fwrite("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0", 1, 22, f); /* cut in fmt */
    fclose(f);
    expect_file_refused("truncated", path, "en-tête tronqué");
    snprintf(path, sizeof path, "%s/fmtonly.wav", dir);
    f = fopen(path, "wb");
    fwrite("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\xbb\0\0\0\x77\x01\0\x02\0\x10\0",
           1, 36, f);
    fclose(f);
    expect_file_refused("no data chunk", path, "aucun bloc data");
}

static void cleanup(void)
{
    const char *names[] = {"ramp.wav", "lr.wav", "cut.wav", "tone44.wav", "u8.wav",
                           "f32.wav", "r7k.wav", "nodata.wav", "trunc.wav", "fmtonly.wav"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_asource_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_specs();
    test_tone();
    test_wav_48k();
    test_wav_resampled();
    test_wav_refused();
    cleanup();
    return check_report();
}
