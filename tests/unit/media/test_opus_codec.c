/* test_opus_codec.c: the Opus wrapper (client/media/opus_codec.c): a tone
 * survives encode and decode (SNR after the codec's delay, found by
 * cross-correlation), a lost packet is rebuilt by FEC when the next one is
 * at hand and is closer to the original than PLC's guess, a loss at the end
 * is concealed by PLC, corrupt packets are errors and never crashes, and
 * settings out of range are refused. Prints SNR, FEC/PLC error and the
 * median encode and decode time per 20 ms block (not asserted). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../check.h"
#include "asource.h"
#include "bp/err.h"
#include "opus_codec.h"

#define NBLK 100
#define MAXLAG 2000
/* Measured: 30.6 dB (Debian 12's libopus 1.3.1, 32 kbit/s, 440 Hz at
 * -12 dBFS). 20 dB leaves 10 dB for other libopus builds, and still fails
 * every mistake of ours we could think of (wrong rate or channel count,
 * byte order, clipping, misaligned blocks all give under 5 dB). */
#define SNR_MIN_DB 20.0

static int16_t orig[NBLK * AFRAME_SAMPLES];
static int16_t dec[NBLK * AFRAME_SAMPLES];
static uint8_t pkt[NBLK][OPC_MAX_PACKET];
static int pkt_len[NBLK];

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return v[n / 2];
}

/* The lag (in samples) at which dec best matches orig: the codec's delay. */
static int find_lag(const int16_t *a, const int16_t *b, int n)
{
    int best = 0;
    double best_c = -1e300;
    for (int lag = 0; lag < MAXLAG; lag++) {
        double c = 0;
        for (int i = 0; i + lag < n; i++)
            c += (double)a[i] * b[i + lag];
        if (c > best_c) {
            best_c = c;
            best = lag;
        }
    }
    return best;
}

/* SNR in dB of b (shifted by lag) against a, over samples [from, to). */
static double snr_db(const int16_t *a, const int16_t *b, int lag, int from, int to)
{
    double s = 0, e = 0;
    for (int i = from; i < to; i++) {
        double d = (double)b[i + lag] - a[i];
        s += (double)a[i] * a[i];
        e += d * d;
    }
    return 10 * log10(s / (e > 0 ? e : 1e-9));
}

static void encode_all(struct opc_enc *e, const int16_t *src, int nblk)
{
    for (int k = 0; k < nblk; k++) {
        const char *why = NULL;
        pkt_len[k] = opc_enc_encode(e, src + k * AFRAME_SAMPLES, pkt[k], sizeof pkt[k], &why);
        CHECK(pkt_len[k] > 0);
    }
}

static void test_settings(void)
{
    struct opc_enc *e = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(opc_enc_new(&e, 500, -1, &why), BP_E_INVALID_FIELD);
    CHECK(e == NULL && why && strstr(why, "débit"));
    CHECK_EQ_INT(opc_enc_new(&e, 0, 101, &why), BP_E_INVALID_FIELD);
    CHECK(why && strstr(why, "perte"));
    CHECK_EQ_INT(opc_enc_new(&e, 0, -1, &why), 0);
    CHECK_EQ_INT(opc_enc_set_bitrate(e, 200000, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(opc_enc_set_bitrate(e, 24000, &why), 0);
    CHECK_EQ_INT(opc_enc_set_loss(e, -1, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(opc_enc_set_loss(e, 20, &why), 0);
    uint8_t small[2];
    int16_t pcm[AFRAME_SAMPLES] = {0};
    int n = opc_enc_encode(e, pcm, small, sizeof small, &why);
    CHECK(n <= (int)sizeof small); /* a smaller packet or an error, never an overrun */
    opc_enc_free(e);
    opc_enc_free(NULL);
    opc_dec_free(NULL);
}

/* A 440 Hz tone from the tone source, through the codec at the defaults. */
static void test_tone_snr(void)
{
    struct asource *src = NULL;
    struct opc_enc *e = NULL;
    struct opc_dec *d = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(asource_open(&src, "tone", &why, NULL, 0), 0);
    CHECK_EQ_INT(opc_enc_new(&e, 0, -1, &why), 0);
    CHECK_EQ_INT(opc_dec_new(&d, &why), 0);
    if (!src || !e || !d)
        return;
    static double t_enc[NBLK], t_dec[NBLK];
    for (int k = 0; k < NBLK; k++) {
        struct aframe f;
        CHECK_EQ_INT(asource_next(src, &f, &why), 0);
        memcpy(orig + k * AFRAME_SAMPLES, f.pcm, AFRAME_BYTES);
        double t0 = now_us();
        pkt_len[k] = opc_enc_encode(e, f.pcm, pkt[k], sizeof pkt[k], &why);
        double t1 = now_us();
        CHECK(pkt_len[k] > 0);
        CHECK_EQ_INT(opc_dec_decode(d, pkt[k], (size_t)pkt_len[k], dec + k * AFRAME_SAMPLES,
                                    &why), AFRAME_SAMPLES);
        t_enc[k] = t1 - t0;
        t_dec[k] = now_us() - t1;
    }
    long bytes = 0;
    for (int k = 0; k < NBLK; k++)
        bytes += pkt_len[k];
    int n = NBLK * AFRAME_SAMPLES;
    int lag = find_lag(orig, dec, n - MAXLAG);
    /* A sine's cross-correlation peaks every period: the lag found is the
     * delay modulo 109 samples, which is all the SNR needs (the true delay
     * is measured on a voice-like signal in test_fec_vs_plc). Skip the
     * first 10 blocks: the encoder's start-up (mode decisions,
     * bandwidth ramp) is not its steady state. */
    double snr = snr_db(orig, dec, lag, 10 * AFRAME_SAMPLES, n - lag);
    printf("tone 440 Hz at 32 kbit/s: lag %d samples, SNR %.1f dB, %.1f kbit/s actual\n", lag,
           snr, bytes * 8.0 / (NBLK * 0.02) / 1000);
    printf("median per 20 ms block: encode %.0f us, decode %.0f us\n", median(t_enc, NBLK),
           median(t_dec, NBLK));
    CHECK(snr > SNR_MIN_DB);
    struct opc_dec_stats st;
    opc_dec_stats(d, &st);
    CHECK_EQ_INT(st.decoded, NBLK);
    CHECK_EQ_INT(st.fec + st.plc + st.errors, 0);
    asource_close(src);
    opc_enc_free(e);
    opc_dec_free(d);
}

/* A voice-like signal: a harmonic buzz (pitch gliding 100..180 Hz) in
 * syllables of 160 ms with 90 ms pauses. Why not the tone: SILK codes its
 * FEC layer only for frames its voice detector calls active, and a steady
 * sine soon counts as background noise (measured: FEC then equals PLC). The
 * pitch glide and pauses also make the cross-correlation peak unique. */
static void make_voice(int16_t *out, int nblk)
{
    double ph = 0;
    for (int n = 0; n < nblk * AFRAME_SAMPLES; n++) {
        double t = (double)n / AFRAME_RATE, in_syl = fmod(t, 0.25);
        ph += 2 * M_PI * (140 + 40 * sin(2 * M_PI * 1.3 * t)) / AFRAME_RATE;
        double env = in_syl < 0.16 ? sin(M_PI * in_syl / 0.16) : 0, s = 0;
        for (int h = 1; h <= 12; h++)
            s += sin(h * ph) / h;
        out[n] = (int16_t)lrint(3600 * env * s);
    }
}

/* Blocks k whose 20 ms lie inside a syllable (40..120 ms into it). */
static int in_syllable(int k)
{
    double at = fmod(k * 0.02, 0.25);
    return at >= 0.04 && at <= 0.12;
}

/* Decode all NBLK packets into out, losing those with lost[k]; conceal by
 * FEC (the next packet) when use_fec, else by PLC. */
static void decode_with_losses(const int *lost, int use_fec, int16_t *out,
                               struct opc_dec_stats *st)
{
    struct opc_dec *d = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(opc_dec_new(&d, &why), 0);
    if (!d)
        return;
    for (int k = 0; k < NBLK; k++) {
        int16_t *o = out + k * AFRAME_SAMPLES;
        if (!lost[k]) {
            CHECK_EQ_INT(opc_dec_decode(d, pkt[k], (size_t)pkt_len[k], o, &why), AFRAME_SAMPLES);
            continue;
        }
        int have_next = use_fec && k + 1 < NBLK && !lost[k + 1];
        CHECK_EQ_INT(opc_dec_conceal(d, have_next ? pkt[k + 1] : NULL,
                                     have_next ? (size_t)pkt_len[k + 1] : 0, o, &why),
                     AFRAME_SAMPLES);
    }
    opc_dec_stats(d, st);
    opc_dec_free(d);
}

/* Squared error of block k of out against the original shifted by lag. */
static double block_err(const int16_t *out, int k, int lag)
{
    double e = 0;
    for (int i = 0; i < AFRAME_SAMPLES; i++) {
        int j = k * AFRAME_SAMPLES + i - lag;
        double d = out[k * AFRAME_SAMPLES + i] - (j >= 0 ? orig[j] : 0);
        e += d * d;
    }
    return e;
}

static void test_fec_vs_plc(void)
{
    static int16_t fec_out[NBLK * AFRAME_SAMPLES], plc_out[NBLK * AFRAME_SAMPLES];
    struct opc_enc *e = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(opc_enc_new(&e, 0, -1, &why), 0);
    if (!e)
        return;
    make_voice(orig, NBLK);
    encode_all(e, orig, NBLK);
    opc_enc_free(e);
    int none[NBLK] = {0}, lost[NBLK] = {0};
    struct opc_dec_stats st;
    decode_with_losses(none, 1, dec, &st);
    int lag = find_lag(orig, dec, NBLK * AFRAME_SAMPLES - MAXLAG);
    printf("codec delay (cross-correlation of a voice-like signal): %d samples\n", lag);
    /* Opus's look-ahead is 312 samples (6.5 ms) at 48 kHz; measured 305 in
     * SILK mode (its resamplers' delays differ by a few samples). Within a
     * millisecond of 312; a block or more off would be our bug. */
    CHECK(lag >= 312 - 48 && lag <= 312 + 48);
    int nlost = 0;
    for (int k = 10; k < NBLK - 1; k++)
        if (in_syllable(k) && !lost[k - 1] && !lost[k - 2]) {
            lost[k] = 1;
            nlost++;
        }
    decode_with_losses(lost, 1, fec_out, &st);
    CHECK_EQ_INT(st.fec, nlost);
    CHECK_EQ_INT(st.plc, 0);
    CHECK_EQ_INT(st.decoded, NBLK - nlost);
    decode_with_losses(lost, 0, plc_out, &st);
    CHECK_EQ_INT(st.plc, nlost);
    CHECK_EQ_INT(st.fec, 0);
    double sig = 0, e_fec = 0, e_plc = 0, e_ok = 0;
    for (int k = 0; k < NBLK; k++) {
        if (!lost[k])
            continue;
        for (int i = 0; i < AFRAME_SAMPLES; i++) {
            int j = k * AFRAME_SAMPLES + i - lag;
            sig += (double)orig[j] * orig[j];
        }
        e_fec += block_err(fec_out, k, lag);
        e_plc += block_err(plc_out, k, lag);
        e_ok += block_err(dec, k, lag);
    }
    printf("%d lost blocks, SNR against the original: no loss %.1f dB, FEC %.1f dB, "
           "PLC %.1f dB\n", nlost, 10 * log10(sig / e_ok), 10 * log10(sig / e_fec),
           10 * log10(sig / e_plc));
    CHECK(e_fec < e_plc);
}

/* Without an expected loss the encoder codes no FEC: the FEC path then
 * gives exactly PLC's guess (why opc_enc_new sets a loss by default). And a
 * lower bitrate gives smaller packets. */
static void test_fec_needs_loss(void)
{
    static int16_t fec_out[NBLK * AFRAME_SAMPLES], plc_out[NBLK * AFRAME_SAMPLES];
    struct opc_enc *e = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(opc_enc_new(&e, 0, 0, &why), 0);
    if (!e)
        return;
    make_voice(orig, NBLK);
    encode_all(e, orig, NBLK);
    long bytes32 = 0;
    for (int k = 0; k < NBLK; k++)
        bytes32 += pkt_len[k];
    int lost[NBLK] = {0};
    lost[15] = lost[28] = lost[40] = 1;
    struct opc_dec_stats st;
    decode_with_losses(lost, 1, fec_out, &st);
    CHECK_EQ_INT(st.fec, 3);
    decode_with_losses(lost, 0, plc_out, &st);
    CHECK(memcmp(fec_out, plc_out, sizeof fec_out) == 0);
    CHECK_EQ_INT(opc_enc_set_bitrate(e, 12000, &why), 0);
    encode_all(e, orig, NBLK);
    long bytes12 = 0;
    for (int k = 10; k < NBLK; k++) /* after the rate settled */
        bytes12 += pkt_len[k];
    bytes12 = bytes12 * NBLK / (NBLK - 10);
    printf("voice-like signal: %.1f kbit/s at 32000, %.1f kbit/s at 12000\n",
           bytes32 * 8.0 / (NBLK * 0.02) / 1000, bytes12 * 8.0 / (NBLK * 0.02) / 1000);
    CHECK(bytes12 < bytes32 / 2);
    opc_enc_free(e);
}

/* The last packet is lost: nothing follows, so PLC fills the block. */
static void test_plc_at_end(void)
{
    struct opc_dec *d = NULL;
    const char *why = NULL;
    int16_t out[AFRAME_SAMPLES];
    CHECK_EQ_INT(opc_dec_new(&d, &why), 0);
    if (!d)
        return;
    for (int k = 0; k < 10; k++)
        CHECK_EQ_INT(opc_dec_decode(d, pkt[k], (size_t)pkt_len[k], out, &why), AFRAME_SAMPLES);
    CHECK_EQ_INT(opc_dec_conceal(d, NULL, 0, out, &why), AFRAME_SAMPLES);
    double energy = 0;
    for (int i = 0; i < AFRAME_SAMPLES; i++)
        energy += (double)out[i] * out[i];
    CHECK(energy > 0); /* it continues the signal, not silence */
    struct opc_dec_stats st;
    opc_dec_stats(d, &st);
    CHECK_EQ_INT(st.plc, 1);
    CHECK_EQ_INT(st.fec, 0);
    CHECK_EQ_INT(st.decoded, 10);
    opc_dec_free(d);
}

/* Corrupt, empty, too long or wrong-duration packets are errors; the
 * decoder still works afterwards; random bytes never crash it. */
static void test_corrupt(void)
{
    struct opc_dec *d = NULL;
    const char *why = NULL;
    int16_t out[AFRAME_SAMPLES];
    CHECK_EQ_INT(opc_dec_new(&d, &why), 0);
    if (!d)
        return;
    CHECK_EQ_INT(opc_dec_decode(d, pkt[0], 0, out, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "vide"));
    static uint8_t big[OPC_MAX_PACKET + 1];
    CHECK_EQ_INT(opc_dec_decode(d, big, sizeof big, out, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "plus de 1275"));
    /* TOC: config 1 (SILK NB 20 ms) would be fine; config 0 is 10 ms. */
    uint8_t ten_ms[] = {0x00 << 3, 0x11, 0x22};
    CHECK_EQ_INT(opc_dec_decode(d, ten_ms, sizeof ten_ms, out, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "20 ms"));
    /* Code 3 (arbitrary frame count) without its count byte: invalid. */
    uint8_t bad_toc[] = {(1 << 3) | 3};
    CHECK_EQ_INT(opc_dec_decode(d, bad_toc, sizeof bad_toc, out, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "abîmé"));
    /* Code 1 (two equal frames) with an odd payload: libopus refuses it. */
    uint8_t odd[] = {(1 << 3) | 1, 1, 2, 3};
    CHECK(opc_dec_decode(d, odd, sizeof odd, out, &why) == BP_E_BAD_FRAME);
    CHECK_EQ_INT(opc_dec_conceal(d, bad_toc, sizeof bad_toc, out, &why), AFRAME_SAMPLES);
    struct opc_dec_stats st;
    opc_dec_stats(d, &st);
    CHECK_EQ_INT(st.errors, 5);
    CHECK_EQ_INT(st.plc, 1); /* a corrupt next packet falls back to PLC */
    CHECK_EQ_INT(opc_dec_decode(d, pkt[1], (size_t)pkt_len[1], out, &why), AFRAME_SAMPLES);
    srand(9);
    uint8_t junk[200];
    int ok = 0, bad = 0, other = 0;
    for (int t = 0; t < 3000; t++) {
        size_t len = 1 + (size_t)(rand() % (int)sizeof junk);
        for (size_t i = 0; i < len; i++)
            junk[i] = (uint8_t)rand();
        int r = opc_dec_decode(d, junk, len, out, &why);
        ok += r == AFRAME_SAMPLES;
        bad += r == BP_E_BAD_FRAME;
        other += r != AFRAME_SAMPLES && r != BP_E_BAD_FRAME;
    }
    printf("3000 random packets: %d decoded, %d refused\n", ok, bad);
    CHECK_EQ_INT(other, 0);
    opc_dec_free(d);
}

/* Constant bitrate: silence, a tone and noise make packets of one size (the
 * server sees sizes: PROTOCOL.md §8.7). */
static void test_constant_size(void)
{
    struct opc_enc *e = NULL;
    const char *why = NULL;
    int16_t pcm[AFRAME_SAMPLES];
    uint8_t cbr_pkt[OPC_MAX_PACKET];
    int first = -1, same = 1, n = 0;
    uint32_t x = 12345;
    CHECK_EQ_INT(opc_enc_new(&e, 0, -1, &why), 0);
    for (int k = 0; k < 150 && e; k++) {
        for (int i = 0; i < AFRAME_SAMPLES; i++) {
            x = x * 1103515245u + 12345u;
            pcm[i] = k < 50    ? 0                                                   /* silence */
                     : k < 100 ? (int16_t)(8000.0 * sin(2 * M_PI * 440 * i / 48000.0)) /* a tone */
                               : (int16_t)((int32_t)(x >> 16) - 32768);             /* noise */
        }
        n = opc_enc_encode(e, pcm, cbr_pkt, sizeof cbr_pkt, &why);
        if (k < 5)
            continue; /* the first packets settle */
        if (first < 0)
            first = n;
        same &= n == first;
    }
    printf("constant bitrate: every packet %d bytes over silence, tone and noise: %s\n", first,
           same ? "yes" : "NO");
    CHECK(first > 0);
    CHECK(same);
    opc_enc_free(e);
}

int main(void)
{
    test_constant_size();
    test_settings();
    test_tone_snr();
    test_fec_vs_plc();
    test_fec_needs_loss();
    test_plc_at_end();
    test_corrupt();
    return check_report();
}
