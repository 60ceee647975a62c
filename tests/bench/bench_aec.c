/* bench_aec.c: what echo cancellation (client/media/aec.c, the product's
 * settings) costs per 20-ms microphone block, against Opus encoding the
 * same block (client/media/opus_codec.c, the product's settings), measured
 * alternately in the same run so that the ratio holds on any machine.
 *
 * The signal needs no file: a far end of band-limited noise bursts (speech
 * rhythm: 300 ms on, 200 ms off), its echo 40 ms later at -8 dB plus a
 * reflection, and a near end of another noise in one block of four. The
 * cost of speexdsp's filter does not depend on what it hears, only on
 * whether it adapts, which it does throughout.
 *
 * Prints the median and 95th percentile of each (µs), the share of a
 * 20-ms block, the ratio, and one BENCH_JSON line for scripts.
 * Usage: bench_aec [SECONDS]   (20 by default, 1..600) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aec.h"
#include "opus_codec.h"

static uint32_t rng = 1;
static int16_t noise(int amp)
{
    rng = rng * 1664525u + 1013904223u;
    return (int16_t)((int)(rng >> 16) % (2 * amp + 1) - amp);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 20;
    if (secs < 1 || secs > 600) {
        fprintf(stderr, "usage: bench_aec [SECONDS] (1..600)\n");
        return 2;
    }
    int nblk = secs * 50, n = nblk * AFRAME_SAMPLES;
    int16_t *far = calloc((size_t)n, sizeof *far), *mic = calloc((size_t)n, sizeof *mic);
    double *t_aec = calloc((size_t)nblk, sizeof *t_aec), *t_opus = calloc((size_t)nblk, sizeof *t_opus);
    struct aec *a = NULL;
    struct opc_enc *e = NULL;
    const char *why = NULL;
    if (!far || !mic || !t_aec || !t_opus || aec_new(&a, NULL, &why) ||
        opc_enc_new(&e, 0, -1, &why)) {
        fprintf(stderr, "bench_aec: %s\n", why ? why : "out of memory");
        return 1;
    }
    int prev = 0;
    for (int i = 0; i < n; i++) {
        int on = i % 24000 < 14400; /* 300 ms of 500 */
        int v = on ? noise(6000) : 0;
        far[i] = (int16_t)((v + prev) / 2); /* a gentle low-pass */
        prev = v;
    }
    for (int i = 0; i < n; i++) {
        int v = 0;
        if (i >= 1920)
            v += far[i - 1920] * 2 / 5; /* 40 ms, -8 dB */
        if (i >= 2640)
            v += far[i - 2640] / 8; /* 55 ms, -18 dB */
        if ((i / AFRAME_SAMPLES) % 4 == 3)
            v += noise(3000);
        mic[i] = (int16_t)v;
    }
    uint8_t pkt[OPC_MAX_PACKET];
    int16_t out[AFRAME_SAMPLES];
    for (int j = 0; j < nblk; j++) {
        int64_t t = 1000000 + (int64_t)j * AFRAME_US;
        aec_far(a, far + j * AFRAME_SAMPLES, t);
        double t0 = now_us();
        aec_near(a, mic + j * AFRAME_SAMPLES, out, t);
        double t1 = now_us();
        opc_enc_encode(e, out, pkt, sizeof pkt, &why);
        double t2 = now_us();
        t_aec[j] = t1 - t0;
        t_opus[j] = t2 - t1;
    }
    struct aec_stats st;
    aec_stats(a, &st);
    qsort(t_aec, (size_t)nblk, sizeof *t_aec, cmp);
    qsort(t_opus, (size_t)nblk, sizeof *t_opus, cmp);
    double a50 = t_aec[nblk / 2], a95 = t_aec[nblk * 95 / 100], o50 = t_opus[nblk / 2],
           o95 = t_opus[nblk * 95 / 100];
    printf("echo cancellation + noise suppression per 20-ms block: p50 %.0f us, p95 %.0f us "
           "(%.1f %% of the block at p50)\n",
           a50, a95, a50 / 200.0);
    printf("Opus encode of the same block:                         p50 %.0f us, p95 %.0f us\n",
           o50, o95);
    printf("ratio aec / Opus (p50): %.2f; ERLE estimate on this signal %.1f dB over %d s\n",
           a50 / o50, st.erle_db, secs);
    printf("BENCH_JSON {\"aec_p50_us\":%.0f,\"aec_p95_us\":%.0f,\"opus_p50_us\":%.0f,"
           "\"opus_p95_us\":%.0f,\"ratio\":%.2f,\"erle_db\":%.1f,\"ok\":true}\n",
           a50, a95, o50, o95, a50 / o50, st.erle_db);
    aec_free(a);
    opc_enc_free(e);
    free(far);
    free(mic);
    free(t_aec);
    free(t_opus);
    return 0;
}
