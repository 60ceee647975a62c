/* test_aec.c: the echo canceller (client/media/aec.c) on a synthetic echo
 * path, with speech made by espeak-ng at test time (exit 77, SKIP, when
 * espeak-ng is missing).
 *
 * The room: the far end (a French sentence, espeak-ng's "fr" voice) plays
 * on the speaker; the microphone hears it 40 ms later at -8 dB, plus four
 * reflections (47, 58, 75, 110 ms at -17, -22, -28, -34 dB), plus white
 * noise at -66 dBFS, plus the near end (another sentence, voice "fr+f3",
 * pitch 70) in some segments. Both sides are 48 kHz (espeak's 22050 Hz
 * resampled by speexdsp, through the "wav" audio source).
 *
 * Timeline (s):  A 0-8 far only | B 8-12 near only | C 12-16 both |
 *                D 16-20 far only.
 * Stamps as the product gives them: far block k plays at k x 20 ms and is
 * stamped 5 ms earlier minus a jitter of 0..10 ms (SDL's 10-ms pulls), and
 * handed over 100 ms (5 blocks) before it plays; near block j begins at
 * j x 20 ms and is stamped 10 ms later (capture buffers we do not see)
 * plus a jitter of 0..5 ms, and one in 37 is handed over 40 ms late (a
 * loaded machine).
 *
 * Definitions (what is asserted):
 *  - ERLE over a segment = 10 log10(sum mic^2 / sum out^2) over its
 *    samples; asserted >= 20 dB over A after 2 s (2-8 s) and over D (the
 *    filter kept its model through the double talk of C).
 *  - Near-end kept: rho = max over lags L in 0..20 ms of
 *    sum out[n+L] s[n] / sqrt(sum out[n+L]^2 . sum s[n]^2), s the clean
 *    near-end speech as it reaches the microphone, n over segment B;
 *    asserted >= 0.9, and over C (double talk) too. The best lag is
 *    10 ms: the preprocessor's overlap-add delays its output by a frame.
 *  - Pass-through (every AEC_NO_* flag) must give ERLE < 3 dB over A: the
 *    measurement itself can fail.
 * Prints the cost per block against Opus encoding the same blocks.
 * Also: digital silence in gives digital silence out; stationary noise
 * alone is reduced; bad arguments are refused; contiguous jittered stamps
 * never realign, a gap in the speaker's stream realigns once. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "aec.h"
#include "asource.h"
#include "bp/err.h"
#include "opus_codec.h"

#define SEC (AFRAME_RATE)
#define TOTAL (20 * SEC)
#define NBLK (TOTAL / AFRAME_SAMPLES)
#define LAG_MAX (AFRAME_RATE / 50) /* 20 ms */
#define AHEAD 5                    /* far blocks handed over before they play */
/* Double talk: speex's residual echo suppressor attenuates by
 * echo_active_db where it believes echo is left, which colours the near
 * voice; measured 0.946 here, as in B: the same bar. */
#define DT_RHO_MIN 0.9

static int16_t far_sp[TOTAL], near_sp[TOTAL]; /* the speech, looped to fill */
static int16_t far_sig[TOTAL], near_sig[TOTAL], mic[TOTAL], out[TOTAL];
static double near_us[NBLK]; /* time of each aec_near of the last run */
static char dir[64];

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static double gauss(void)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += (double)(rnd() & 0xffff) / 65536.0;
    return s - 6.0;
}

/* Runs espeak-ng (no shell): 0, or -1 when it cannot be run or fails. */
static int espeak(const char *voice, const char *pitch, const char *path, const char *text)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execlp("espeak-ng", "espeak-ng", "-v", voice, "-p", pitch, "-w", path, text, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return 0;
}

/* The file's speech at 48 kHz, looped into dst[0..n). */
static int load(const char *path, int16_t *dst, int n)
{
    struct asource *s = NULL;
    const char *why = NULL;
    char spec[128];
    snprintf(spec, sizeof spec, "wav:%s", path);
    if (asource_open(&s, spec, &why, NULL, 0))
        return -1;
    struct aframe f;
    for (int i = 0; i < n; i += AFRAME_SAMPLES)
        if (asource_next(s, &f, &why) == 0)
            memcpy(dst + i, f.pcm, sizeof f.pcm);
    asource_close(s);
    return 0;
}

static int in_seg(int n, double a, double b)
{
    return n >= (int)(a * SEC) && n < (int)(b * SEC);
}

/* The room of the header comment; tight: only a direct path of 1 ms at
 * -6 dB (a laptop's speaker next to its microphone). */
static void build_room(int tight)
{
    static const double delay_ms[] = {40, 47, 58, 75, 110};
    static const double gain_db[] = {-8, -17, -22, -28, -34};
    unsigned paths = tight ? 1 : sizeof delay_ms / sizeof *delay_ms;
    rng = 12345;
    for (int n = 0; n < TOTAL; n++) {
        far_sig[n] = (in_seg(n, 0, 8) || in_seg(n, 12, 20)) ? far_sp[n] : 0;
        near_sig[n] = (in_seg(n, 8, 16)) ? near_sp[n] : 0;
    }
    for (int n = 0; n < TOTAL; n++) {
        double v = near_sig[n] + gauss() * 32768.0 * pow(10, -66 / 20.0);
        for (unsigned r = 0; r < paths; r++) {
            int d = (int)((tight ? 1 : delay_ms[r]) * AFRAME_RATE / 1000);
            if (n >= d)
                v += far_sig[n - d] * pow(10, (tight ? -6 : gain_db[r]) / 20.0);
        }
        mic[n] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
}

/* How the stamps err from the truth (µs): a fixed offset plus a jitter of
 * 0..jit (far: subtracted, near: added, the directions the product errs). */
struct stamps {
    int64_t far_off, far_jit, near_off, near_jit;
    int near_late_every; /* one near block in N is handed over 40 ms late (0: none) */
};
static const struct stamps product_stamps = {-5000, 10000, 10000, 5000, 37};

/* Runs the room through a canceller with flags; out[] gets the result. */
static int run(unsigned flags, const struct stamps *sp, struct aec_stats *st)
{
    struct aec *a = NULL;
    const char *why = NULL;
    struct aec_config cfg = {.flags = flags};
    if (aec_new(&a, &cfg, &why))
        return -1;
    rng = 777;
    int64_t t0 = 1000000; /* the monotonic clock is not 0 at start */
    for (int j = 0; j < NBLK; j++) {
        /* The playout thread runs AHEAD blocks in front of the speaker. */
        for (int k = j == 0 ? 0 : j + AHEAD; k <= j + AHEAD && k < NBLK; k++) {
            int64_t play = t0 + (int64_t)k * AFRAME_US + sp->far_off -
                           (sp->far_jit ? (int64_t)(rnd() % (uint32_t)sp->far_jit) : 0);
            CHECK_EQ_INT(aec_far(a, far_sig + k * AFRAME_SAMPLES, play), 0);
        }
        int64_t cap = t0 + (int64_t)j * AFRAME_US + sp->near_off +
                      (sp->near_jit ? (int64_t)(rnd() % (uint32_t)sp->near_jit) : 0);
        if (sp->near_late_every && j % sp->near_late_every == sp->near_late_every - 1)
            cap += 40000; /* the capture thread was not scheduled */
        double t = now_us();
        CHECK_EQ_INT(aec_near(a, mic + j * AFRAME_SAMPLES, out + j * AFRAME_SAMPLES, cap), 0);
        near_us[j] = now_us() - t;
    }
    aec_stats(a, st);
    aec_free(a);
    return 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The cost of the canceller per 20-ms block against Opus encoding the same
 * blocks, in the same run (medians, printed, not asserted: timing). */
static void print_cost(void)
{
    static double enc_us[NBLK];
    struct opc_enc *e = NULL;
    const char *why = NULL;
    uint8_t pkt[OPC_MAX_PACKET];
    if (opc_enc_new(&e, 0, -1, &why))
        return;
    for (int j = 0; j < NBLK; j++) {
        double t = now_us();
        opc_enc_encode(e, out + j * AFRAME_SAMPLES, pkt, sizeof pkt, &why);
        enc_us[j] = now_us() - t;
    }
    opc_enc_free(e);
    qsort(enc_us, NBLK, sizeof *enc_us, cmp_double);
    qsort(near_us, NBLK, sizeof *near_us, cmp_double);
    printf("aec: cost per 20-ms block, median %.0f us (%.1f %% of one core), Opus encode of the "
           "same block %.0f us: ratio %.1f\n",
           near_us[NBLK / 2], near_us[NBLK / 2] / 200.0, enc_us[NBLK / 2],
           near_us[NBLK / 2] / enc_us[NBLK / 2]);
}

static double energy_of(const int16_t *x)
{
    double e = 0;
    for (int i = 0; i < AFRAME_SAMPLES; i++)
        e += (double)x[i] * x[i];
    return e;
}

static double seg_erle(double a, double b)
{
    double em = 0, eo = 0;
    for (int n = (int)(a * SEC); n < (int)(b * SEC); n++) {
        em += (double)mic[n] * mic[n];
        eo += (double)out[n] * out[n];
    }
    return 10 * log10((em + 1) / (eo + 1));
}

static double seg_rho(double a, double b, int *best_lag)
{
    double best = -1;
    for (int L = 0; L <= LAG_MAX; L++) {
        double xy = 0, xx = 0, yy = 0;
        for (int n = (int)(a * SEC); n < (int)(b * SEC) && n + L < TOTAL; n++) {
            xy += (double)out[n + L] * near_sig[n];
            xx += (double)out[n + L] * out[n + L];
            yy += (double)near_sig[n] * near_sig[n];
        }
        double r = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
        if (r > best) {
            best = r;
            *best_lag = L;
        }
    }
    return best;
}

static void test_echo_path(void)
{
    struct aec_stats st;
    int lag = 0;
    build_room(0);

    /* The product's configuration. */
    CHECK_EQ_INT(run(0, &product_stamps, &st), 0);
    double erle_a = seg_erle(2, 8), erle_d = seg_erle(16, 20);
    double rho_b = seg_rho(8, 12, &lag);
    int lag_c = 0;
    double rho_c = seg_rho(12, 16, &lag_c);
    printf("aec: ERLE A(2-8 s) %.1f dB, D(16-20 s) %.1f dB; near kept rho B %.3f (lag %d), "
           "C double talk %.3f (lag %d); own estimate %.1f dB over %llu far-active blocks; "
           "realign far %llu near %llu, ref_lost %llu\n",
           erle_a, erle_d, rho_b, lag, rho_c, lag_c, st.erle_db, (unsigned long long)st.far_active,
           (unsigned long long)st.realign_far, (unsigned long long)st.realign_near,
           (unsigned long long)st.ref_lost);
    for (int sec = 0; sec < 20; sec++)
        printf("%.0f ", seg_erle(sec, sec + 1));
    printf("(ERLE per second)\n");
    CHECK(erle_a >= 20.0);
    CHECK(erle_d >= 20.0);
    CHECK(rho_b >= 0.9);
    CHECK(rho_c >= DT_RHO_MIN);
    CHECK_EQ_INT(st.near_blocks, NBLK);
    CHECK_EQ_INT(st.far_blocks, NBLK);
    CHECK_EQ_INT(st.realign_far, 0);
    CHECK_EQ_INT(st.realign_near, 0);
    CHECK_EQ_INT(st.ref_lost, 0);
    CHECK(st.erle_db >= 20.0); /* its own figure (a median: double talk is a quarter) */
    CHECK_EQ_INT(st.erle_blocks, 250);
    print_cost();

    /* Without the residual echo suppressor: the linear filter alone. */
    CHECK_EQ_INT(run(AEC_NO_SUPPRESS, &product_stamps, &st), 0);
    printf("aec (no residual suppression): ERLE A %.1f dB, D %.1f dB, rho B %.3f C %.3f\n",
           seg_erle(2, 8), seg_erle(16, 20), seg_rho(8, 12, &lag), seg_rho(12, 16, &lag_c));

    /* Pass-through: the measurement sees the echo. */
    CHECK_EQ_INT(run(AEC_FLAGS_ALL, &product_stamps, &st), 0);
    double erle_p = seg_erle(2, 8);
    printf("aec (pass-through): ERLE A %.1f dB, rho B %.3f\n", erle_p, seg_rho(8, 12, &lag));
    CHECK(erle_p < 3.0);
}

/* A laptop: the echo comes 1 ms after the sound leaves the speaker, and
 * the stamps are exact but for their jitter (in the directions the product
 * errs). The reference must not come after the echo (aec.c, Alignment). */
static void test_tight_room(void)
{
    struct aec_stats st;
    build_room(1);
    struct stamps sp = {0, 10000, 0, 5000, 0};
    CHECK_EQ_INT(run(0, &sp, &st), 0);
    double erle = seg_erle(2, 8);
    printf("aec (tight room: 1-ms echo, exact stamps): ERLE A %.1f dB, D %.1f dB\n", erle,
           seg_erle(16, 20));
    CHECK(erle >= 20.0);
}

static void test_silence_and_noise(void)
{
    struct aec *a = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(aec_new(&a, NULL, &why), 0);
    if (!a)
        return;
    int16_t z[AFRAME_SAMPLES], o[AFRAME_SAMPLES];
    memset(z, 0, sizeof z);
    int nonzero = 0;
    for (int j = 0; j < 150; j++) {
        CHECK_EQ_INT(aec_far(a, z, (int64_t)j * AFRAME_US), 0);
        memset(o, 0x55, sizeof o);
        CHECK_EQ_INT(aec_near(a, z, o, (int64_t)j * AFRAME_US + 20000), 0);
        for (int i = 0; i < AFRAME_SAMPLES; i++)
            nonzero += o[i] != 0;
    }
    CHECK_EQ_INT(nonzero, 0);
    aec_free(a);

    /* Stationary noise at -40 dBFS, no far end: the denoiser takes it down. */
    CHECK_EQ_INT(aec_new(&a, NULL, &why), 0);
    if (!a)
        return;
    double ei = 0, eo = 0;
    int16_t in[AFRAME_SAMPLES];
    for (int j = 0; j < 250; j++) {
        for (int i = 0; i < AFRAME_SAMPLES; i++)
            in[i] = (int16_t)(gauss() * 328.0);
        CHECK_EQ_INT(aec_near(a, in, o, (int64_t)j * AFRAME_US), 0);
        if (j >= 100) { /* after 2 s of learning the noise */
            ei += energy_of(in);
            eo += energy_of(o);
        }
    }
    double nr = 10 * log10((ei + 1) / (eo + 1));
    printf("aec: stationary noise -40 dBFS reduced by %.1f dB\n", nr);
    CHECK(nr >= 10.0);
    aec_free(a);
}

static void test_bad_arguments(void)
{
    struct aec *a = NULL;
    const char *why = NULL;
    struct aec_config c;
    int16_t b[AFRAME_SAMPLES];
    memset(b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    c.tail_ms = 10;
    CHECK_EQ_INT(aec_new(&a, &c, &why), BP_E_INVALID_FIELD);
    CHECK(a == NULL && why && strstr(why, "tail_ms"));
    c.tail_ms = 5000;
    CHECK_EQ_INT(aec_new(&a, &c, &why), BP_E_INVALID_FIELD);
    c.tail_ms = 0;
    c.noise_db = 3;
    CHECK_EQ_INT(aec_new(&a, &c, &why), BP_E_INVALID_FIELD);
    c.noise_db = 0;
    c.echo_active_db = -90;
    CHECK_EQ_INT(aec_new(&a, &c, &why), BP_E_INVALID_FIELD);
    c.echo_active_db = 0;
    c.flags = 8;
    CHECK_EQ_INT(aec_new(&a, &c, &why), BP_E_INVALID_FIELD);
    CHECK(why && strstr(why, "flag"));
    CHECK_EQ_INT(aec_new(NULL, NULL, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_new(&a, NULL, &why), 0);
    if (!a)
        return;
    CHECK_EQ_INT(aec_far(NULL, b, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_far(a, NULL, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_far(a, b, -1), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_near(NULL, b, b, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_near(a, NULL, b, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_near(a, b, NULL, 0), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(aec_near(a, b, b, -20000), BP_E_INVALID_FIELD);
    struct aec_stats st;
    aec_stats(a, &st);
    CHECK_EQ_INT(st.far_blocks, 0);
    CHECK_EQ_INT(st.near_blocks, 0);
    CHECK_EQ_INT(st.erle_blocks, 0);
    aec_free(a);
    aec_free(NULL);
}

/* Stamps: jitter is contiguity, a gap in the speaker's stream (it ran
 * dry) is a new run, a late microphone block is only late but five in a
 * row move the reference; a capture thread more than the ring behind loses
 * its reference; a gap in the speaker's stream reads as silence even where
 * the ring held older sound. */
static void test_alignment(void)
{
    struct aec *a = NULL;
    const char *why = NULL;
    struct aec_config c = {.flags = AEC_FLAGS_ALL}; /* pass-through: timing only */
    CHECK_EQ_INT(aec_new(&a, &c, &why), 0);
    if (!a)
        return;
    int16_t b[AFRAME_SAMPLES], o[AFRAME_SAMPLES];
    for (int i = 0; i < AFRAME_SAMPLES; i++)
        b[i] = 1000;
    struct aec_stats st;
    int64_t t = 5000000;
    for (int k = 0; k < 50; k++) /* far: up to 12 ms early; near: up to 12 ms late */
        CHECK_EQ_INT(aec_far(a, b, t + k * AFRAME_US - (k % 3) * 6000), 0);
    for (int j = 0; j < 50; j++)
        CHECK_EQ_INT(aec_near(a, b, o, t + j * AFRAME_US + (j % 4) * 4000), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_far, 0);
    CHECK_EQ_INT(st.realign_near, 0);
    /* Far at t, t+14, t+28 (earlier stamps: taken) then back to back, the
     * last ending at t+988 ms; near at t + 20 j (later stamps: ignored), the
     * last reading t+980..1000 ms: every near block heard something. */
    CHECK_EQ_INT(st.far_active, 50);
    /* The speaker ran dry for 200 ms: a new run. */
    CHECK_EQ_INT(aec_far(a, b, t + 60 * AFRAME_US), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_far, 1);
    /* One microphone block 100 ms late is a late delivery; five in a row
     * are 100 ms of sound the microphone dropped. */
    CHECK_EQ_INT(aec_near(a, b, o, t + 55 * AFRAME_US), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_near, 0);
    for (int j = 56; j < 60; j++)
        CHECK_EQ_INT(aec_near(a, b, o, t + j * AFRAME_US), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_near, 1);
    CHECK_EQ_INT(st.ref_lost, 0);
    /* A microphone 2 s behind the speaker: its reference is gone. */
    for (int k = 61; k < 161; k++)
        CHECK_EQ_INT(aec_far(a, b, t + k * AFRAME_US), 0);
    CHECK_EQ_INT(aec_near(a, b, o, t + 60 * AFRAME_US), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_near, 1);
    CHECK_EQ_INT(st.ref_lost, AFRAME_SAMPLES);
    aec_free(a);

    /* 2 s of sound (the ring wraps), the speaker runs dry 400 ms, then a
     * microphone block inside that silence. */
    CHECK_EQ_INT(aec_new(&a, &c, &why), 0);
    if (!a)
        return;
    for (int k = 0; k < 100; k++)
        CHECK_EQ_INT(aec_far(a, b, t + k * AFRAME_US), 0);
    CHECK_EQ_INT(aec_far(a, b, t + 120 * AFRAME_US), 0);
    CHECK_EQ_INT(aec_near(a, b, o, t + 110 * AFRAME_US), 0);
    aec_stats(a, &st);
    CHECK_EQ_INT(st.realign_far, 1);
    CHECK_EQ_INT(st.far_active, 0);
    CHECK_EQ_INT(st.ref_lost, 0);
    aec_free(a);
}

int main(void)
{
    test_bad_arguments();
    test_alignment();
    test_silence_and_noise();
    snprintf(dir, sizeof dir, "/tmp/bilan-aec-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char fp[128], np[128];
    snprintf(fp, sizeof fp, "%s/far.wav", dir);
    snprintf(np, sizeof np, "%s/near.wav", dir);
    int ok =
        espeak("fr", "50", fp,
               "Bonjour, je vous appelle au sujet de votre bilan de comp\xc3\xa9tences. "
               "Nous allons parler de votre parcours, de vos envies, et des m\xc3\xa9tiers "
               "qui vous int\xc3\xa9ressent aujourd'hui.") == 0 &&
        espeak("fr+f3", "70", np,
               "Oui, merci beaucoup, je vous entends tr\xc3\xa8s bien. J'ai pr\xc3\xa9par\xc3\xa9 "
               "quelques questions sur la formation et sur les horaires.") == 0;
    if (ok)
        ok = load(fp, far_sp, TOTAL) == 0 && load(np, near_sp, TOTAL) == 0;
    unlink(fp);
    unlink(np);
    rmdir(dir);
    if (!ok) {
        printf("SKIP: espeak-ng is missing or failed (Debian package espeak-ng)\n");
        check_report();
        return check_failed ? 1 : 77;
    }
    test_echo_path();
    test_tight_room();
    return check_report();
}
