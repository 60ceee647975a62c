/* aec.c: the echo canceller of aec.h. Owns the speexdsp echo and
 * preprocessor states (touched by the capture thread only), the far-end
 * ring and its mutex, and the counters.
 *
 * Speexdsp. speex_echo_cancellation(mic, reference, out) runs a
 * multidelay block frequency-domain adaptive filter (MDF) that learns the
 * path from the reference to the microphone: a filter of tail_ms (300 ms by
 * default) covers the delay we do not know (the sound card's own buffers,
 * a few tens of ms each way) plus the room's reverberation. The
 * preprocessor then removes stationary noise and, told the echo state
 * (SPEEX_PREPROCESS_SET_ECHO_STATE), the residual echo the linear filter
 * left (its estimate of the residual's spectrum), attenuated by echo_db
 * (echo_active_db while the near end speaks). AGC is off: it would raise
 * the room's noise in every pause and fight the canceller's converged
 * levels; people set their microphone level in their system. VAD and
 * dereverberation stay off (their defaults: a VAD gate clips word onsets,
 * and this speexdsp's VAD is a stub that warns on stderr when touched).
 *
 * Frame: 480 samples (10 ms) for both states (the preprocessor reads the
 * canceller's residual spectrum, so their frames must match). speexdsp
 * advises 10-20 ms; 10 ms adapts twice per block, exactly two frames fill a
 * 20-ms block (no buffering of our own), and 2 x 480 = 2^6.3.5 is an FFT
 * size its kiss_fft factors. The preprocessor's overlap-add delays its
 * output by one frame: 10 ms more on the way to the other person (20 ms
 * with 960-sample frames, which gained only ~2 dB of ERLE in the test).
 *
 * Why not speex_echo_playback/speex_echo_capture: they pair the n-th
 * played frame with the n-th captured one plus a fixed two-frame delay.
 * Here the playout thread writes only when someone is heard, SDL's queue
 * holds 0 to 200 ms ahead of the loudspeaker, and the two threads run at
 * unrelated instants: counting frames would give a reference off by up to
 * 200 ms, varying, and the filter would chase it. We align on time instead.
 *
 * Alignment. Positions are absolute sample numbers: pos = us * 48 / 1000.
 * The canceller models mic[n] = sum h[k] ref[n - k] for k in 0..tail: the
 * reference must never come after the echo it explains (k < 0 cannot be
 * learnt), and the delay between them must stay put (a shifted reference
 * is a new echo path to learn). Each stamp is a one-sided bound of the
 * truth, and we only ever move towards the safe side:
 *  - A far block is stamped with a lower bound of the instant it leaves
 *    the speaker: "now" read BEFORE SDL's queued size, plus that size; the
 *    truth is later by the device's own buffer (0-10 ms, SDL pulls 10-ms
 *    periods), the output latency and any delay between the two reads.
 *    While SDL's queue does not run dry, consecutive blocks play back to
 *    back, so a block goes right after the previous one (far_next), unless
 *    its stamp is earlier by more than AEC_HYST_MS: then it goes at its
 *    stamp. So the reference position never exceeds any stamp's bound,
 *    even when the sound card's clock runs fast and the truth drifts
 *    earlier. The hysteresis keeps sub-ms jitter from moving it at all
 *    (each move is a new echo path to learn: following every new minimum
 *    cost 10 dB of ERLE in the test). A stamp more than AEC_SNAP_MS after
 *    far_next starts a new run (realign_far): the speaker ran dry and
 *    played silence (zero-filled), or its clock runs slow; one more than
 *    AEC_SNAP_MS earlier is taken and counted the same.
 *  - A near block is stamped with an upper bound of the instant its first
 *    sample entered the microphone: "now" read after the block was handed
 *    over, minus 20 ms; the truth is earlier by the capture buffers and by
 *    however late the capture thread was. The block goes right after the
 *    previous one (near_next), unless its stamp is earlier by more than
 *    AEC_HYST_MS: a tighter bound, taken (counted realign_near beyond
 *    AEC_SNAP_MS). A later stamp is only a late delivery (the thread was
 *    not scheduled, the device handed blocks in a burst) and is ignored,
 *    unless 5 blocks in a row (100 ms) are all later by more than
 *    AEC_SNAP_MS: then samples were dropped or the microphone's clock runs
 *    slow, and the position moves up by the smallest of those excesses
 *    (counted realign_near). The position may thus trail the truth by up
 *    to AEC_SNAP_MS, only after such a drop or drift, and the capture
 *    buffers (at least a 10-ms period) cover most of it.
 *    Following late stamps instead made the reference jump back and forth
 *    22 times in 8 s on this loaded machine (integration.media.echo_wiring).
 *  - The reference of the near block at q is the ring from q: by the stamps
 *    the sound that left the speaker while the block was captured. By the
 *    rules above the real echo is never earlier than that, whatever the
 *    jitter (but for the rare trail above); it is later by the acoustic delay, both devices'
 *    buffers and the stamps' looseness (the jitter of SDL's periods and of
 *    the threads: ~10-20 ms), typically 30-120 ms in all, which the 300-ms
 *    filter covers with room for the reverberation. Reading later than q
 *    would buy room for a negative error we do not have, at the price of a
 *    reference not yet written when SDL's queue is short; reading at q,
 *    the far block covering it was written no later than its stamp, before
 *    the near block is processed (after q + 20 ms).
 *  - The ring keeps AEC_RING samples (1.37 s) behind the furthest far
 *    sample written; everything in it is valid (written, or zero-filled as
 *    a gap). A near block reading beyond the written end gets silence (the
 *    speaker plays nothing there); one reading behind the ring (a capture
 *    thread more than a second late) gets silence and counts ref_lost.
 *
 * Must never: call speexdsp outside the capture thread (the states are not
 * thread-safe), hold the mutex longer than a copy, allocate after aec_new. */
#include "aec.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "bp/err.h"
#include "i18n.h"

#define AEC_RING 65536 /* samples, a power of two: 1.37 s at 48 kHz */
#define RING_MASK (AEC_RING - 1)
#define SNAP ((int64_t)AEC_SNAP_MS * AFRAME_RATE / 1000)
#define HYST ((int64_t)AEC_HYST_MS * AFRAME_RATE / 1000)
#define NEAR_LATE_RUN 5      /* 100 ms of blocks all stamped late: the truth moved */
#define ERLE_SKIP_BLOCKS 100 /* 2 s of convergence before the ERLE estimate counts */
#define ERLE_KEEP 250        /* per-block figures the median is taken over */
/* A reference block quieter than -50 dBFS (mean square) is silence. */
#define REF_ACTIVE_MS (32768.0 * 32768.0 * 1e-5)

struct aec {
    unsigned flags;
    SpeexEchoState *echo;      /* NULL with AEC_NO_CANCEL */
    SpeexPreprocessState *pre; /* NULL when neither denoise nor suppression */
    /* Capture thread only. */
    int have_near;
    int64_t near_next;
    int late_run;     /* blocks in a row stamped later than contiguity */
    int64_t late_min; /* by how much, at least */
    int16_t ref[AFRAME_SAMPLES], tmp[AFRAME_SAMPLES];
    /* Under mu. */
    pthread_mutex_t mu;
    int have_far;
    int64_t far_next, far_end;
    int16_t ring[AEC_RING];
    struct aec_stats st;
    float erle[ERLE_KEEP]; /* the last far-active blocks' ERLE, dB (a ring) */
    unsigned erle_n, erle_at;
};

static int64_t us_to_pos(int64_t us)
{
    return us / 1000 * (AFRAME_RATE / 1000) + us % 1000 * (AFRAME_RATE / 1000) / 1000;
}

static int db_ok(int v)
{
    return v == 0 || (v >= -60 && v <= -1);
}

int aec_new(struct aec **out, const struct aec_config *cfg, const char **why)
{
    static const struct aec_config defaults;
    if (!out || !why)
        return BP_E_INVALID_FIELD;
    *out = NULL;
    if (!cfg)
        cfg = &defaults;
    int tail = cfg->tail_ms ? cfg->tail_ms : AEC_TAIL_MS;
    if (tail < AEC_TAIL_MIN_MS || tail > AEC_TAIL_MAX_MS) {
        *why = "aec: tail_ms out of range (40..1000)";
        return BP_E_INVALID_FIELD;
    }
    if (!db_ok(cfg->noise_db) || !db_ok(cfg->echo_db) || !db_ok(cfg->echo_active_db)) {
        *why = "aec: an attenuation is out of range (-60..-1 dB)";
        return BP_E_INVALID_FIELD;
    }
    if (cfg->flags & ~AEC_FLAGS_ALL) {
        *why = "aec: unknown flag";
        return BP_E_INVALID_FIELD;
    }
    struct aec *a = calloc(1, sizeof *a);
    if (!a) {
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    a->flags = cfg->flags;
    pthread_mutex_init(&a->mu, NULL);
    int rate = AFRAME_RATE;
    if (!(a->flags & AEC_NO_CANCEL)) {
        a->echo = speex_echo_state_init(AEC_FRAME, tail * (AFRAME_RATE / 1000));
        if (!a->echo)
            goto nomem;
        speex_echo_ctl(a->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    }
    int denoise = !(a->flags & AEC_NO_DENOISE);
    int suppress = a->echo && !(a->flags & AEC_NO_SUPPRESS);
    if (denoise || suppress) {
        a->pre = speex_preprocess_state_init(AEC_FRAME, rate);
        if (!a->pre)
            goto nomem;
        int off = 0, noise = cfg->noise_db ? cfg->noise_db : -30,
            echo = cfg->echo_db ? cfg->echo_db : -40,
            active = cfg->echo_active_db ? cfg->echo_active_db : -15;
        speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
        speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_AGC, &off);
        speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_DEREVERB, &off);
        speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &noise);
        if (suppress) {
            speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &echo);
            speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &active);
            speex_preprocess_ctl(a->pre, SPEEX_PREPROCESS_SET_ECHO_STATE, a->echo);
        }
    }
    *out = a;
    return 0;
nomem:
    aec_free(a);
    *why = _("mémoire insuffisante");
    return BP_E_NOMEM;
}

void aec_free(struct aec *a)
{
    if (!a)
        return;
    if (a->pre)
        speex_preprocess_state_destroy(a->pre);
    if (a->echo)
        speex_echo_state_destroy(a->echo);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* Copies n samples into the ring at pos (mu held). */
static void ring_put(struct aec *a, int64_t pos, const int16_t *pcm, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        a->ring[(pos + i) & RING_MASK] = pcm ? pcm[i] : 0;
}

int aec_far(struct aec *a, const int16_t pcm[AFRAME_SAMPLES], int64_t play_us)
{
    if (!a || !pcm || play_us < 0)
        return BP_E_INVALID_FIELD;
    int64_t p = us_to_pos(play_us);
    pthread_mutex_lock(&a->mu);
    if (a->have_far) {
        if (p > a->far_next + SNAP)
            a->st.realign_far++; /* the speaker ran dry (or its clock is slow) */
        else if (p > a->far_next - HYST)
            p = a->far_next; /* back to back in SDL's queue */
        else if (p < a->far_next - SNAP)
            a->st.realign_far++; /* taken, but much earlier than expected */
        /* else: an earlier stamp: taken (the position never passes a bound) */
        if (p > a->far_end) { /* the speaker played silence in between */
            int64_t gap = p - a->far_end;
            ring_put(a, p - (gap < AEC_RING ? gap : AEC_RING), NULL,
                     gap < AEC_RING ? gap : AEC_RING);
        }
    }
    ring_put(a, p, pcm, AFRAME_SAMPLES);
    if (!a->have_far || p + AFRAME_SAMPLES > a->far_end)
        a->far_end = p + AFRAME_SAMPLES;
    a->far_next = p + AFRAME_SAMPLES;
    a->have_far = 1;
    a->st.far_blocks++;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* The reference for the near block at q (capture thread). */
static void take_ref(struct aec *a, int64_t q, int16_t *ref)
{
    int64_t r0 = q;
    uint64_t lost = 0;
    pthread_mutex_lock(&a->mu);
    for (int64_t i = 0; i < AFRAME_SAMPLES; i++) {
        int64_t pos = r0 + i;
        if (!a->have_far || pos >= a->far_end) {
            ref[i] = 0;
        } else if (pos < a->far_end - AEC_RING) {
            ref[i] = 0;
            lost++;
        } else {
            ref[i] = a->ring[pos & RING_MASK];
        }
    }
    a->st.ref_lost += lost;
    pthread_mutex_unlock(&a->mu);
}

static double energy(const int16_t *x, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

int aec_near(struct aec *a, const int16_t in[AFRAME_SAMPLES], int16_t out[AFRAME_SAMPLES],
             int64_t capture_us)
{
    if (!a || !in || !out || capture_us < 0)
        return BP_E_INVALID_FIELD;
    int64_t q = us_to_pos(capture_us);
    int realigned = 0;
    if (!a->have_near) {
        /* the first stamp */
    } else if (q < a->near_next - HYST) {
        realigned = q < a->near_next - SNAP; /* a tighter upper bound: taken */
        a->late_run = 0;
    } else if (q <= a->near_next + SNAP) {
        q = a->near_next; /* the microphone's blocks are back to back */
        a->late_run = 0;
    } else {
        /* Much later than contiguity: a late delivery (it says nothing),
         * unless NEAR_LATE_RUN blocks in a row are: samples were dropped,
         * or the microphone's clock runs slow. */
        int64_t late = q - a->near_next;
        a->late_min = a->late_run == 0 || late < a->late_min ? late : a->late_min;
        q = a->near_next;
        if (++a->late_run >= NEAR_LATE_RUN) {
            q += a->late_min;
            realigned = 1;
            a->late_run = 0;
        }
    }
    a->near_next = q + AFRAME_SAMPLES;
    a->have_near = 1;
    take_ref(a, q, a->ref);
    double e_in = energy(in, AFRAME_SAMPLES), e_ref = energy(a->ref, AFRAME_SAMPLES);
    for (int k = 0; k < AFRAME_SAMPLES; k += AEC_FRAME) {
        if (a->echo)
            speex_echo_cancellation(a->echo, in + k, a->ref + k, a->tmp + k);
        else
            memcpy(a->tmp + k, in + k, AEC_FRAME * sizeof *in);
        if (a->pre)
            speex_preprocess_run(a->pre, a->tmp + k);
    }
    memcpy(out, a->tmp, sizeof a->tmp);
    int active = e_ref / AFRAME_SAMPLES > REF_ACTIVE_MS;
    pthread_mutex_lock(&a->mu);
    if (active && a->st.near_blocks >= ERLE_SKIP_BLOCKS) {
        /* +1 keeps a digital zero out of the logarithm */
        double e_out = energy(out, AFRAME_SAMPLES);
        a->erle[a->erle_at] = (float)(10.0 * log10((e_in + 1.0) / (e_out + 1.0)));
        a->erle_at = (a->erle_at + 1) % ERLE_KEEP;
        if (a->erle_n < ERLE_KEEP)
            a->erle_n++;
    }
    a->st.near_blocks++;
    a->st.far_active += (uint64_t)active;
    a->st.realign_near += (uint64_t)realigned;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

void aec_stats(struct aec *a, struct aec_stats *out)
{
    float v[ERLE_KEEP];
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    unsigned n = a->erle_n;
    memcpy(v, a->erle, n * sizeof *v);
    pthread_mutex_unlock(&a->mu);
    qsort(v, n, sizeof *v, cmp_float);
    out->erle_db = n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) : 0.0;
    out->erle_blocks = n;
}
