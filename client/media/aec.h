/* aec.h: acoustic echo cancellation and noise suppression of the
 * microphone (speexdsp: the MDF echo canceller, then the preprocessor's
 * denoiser and residual echo suppressor tied to the canceller's state).
 * One canceller per call; 48 kHz mono int16 in 20-ms blocks (aframe.h).
 *
 * Two threads, one object: the playout thread hands over what the speaker
 * is about to play (aec_far), the capture thread cleans each microphone
 * block (aec_near) before it is encoded. Between them a bounded ring of
 * far-end samples, indexed by an absolute sample clock (the monotonic
 * clock in 1/48000 s), so that the reference given to the canceller is
 * the far-end audio that left the speaker when the microphone block began,
 * whatever the queue depths. The alignment rule, and why it is safe, is at
 * the top of aec.c.
 *
 * Pure-ish: no clock, no thread, no I/O inside; times are passed in (µs of
 * CLOCK_MONOTONIC, or any clock both sides share: tests pass synthetic
 * ones). Must never: block the playout thread longer than copying one
 * block; allocate after aec_new; hand out a block of another length. */
#ifndef BILAN_AEC_H
#define BILAN_AEC_H

#include <stdint.h>

#include "aframe.h"

#define AEC_FRAME 480   /* speex frame: 10 ms at 48 kHz (see aec.c) */
#define AEC_TAIL_MS 300 /* default filter length */
#define AEC_TAIL_MIN_MS 40
#define AEC_TAIL_MAX_MS 1000
#define AEC_SNAP_MS 15 /* a stamp this much off the expected one starts a new run */
#define AEC_HYST_MS 2  /* a tighter stamp moves the reference only by more than this */

/* flags: everything is on when 0 (a zeroed config is the product's). The
 * others exist for tests and measurements. */
#define AEC_NO_CANCEL 1u   /* no linear echo canceller (the residual suppressor goes too) */
#define AEC_NO_SUPPRESS 2u /* preprocessor not tied to the echo state: no residual suppression */
#define AEC_NO_DENOISE 4u  /* no noise suppression */
#define AEC_FLAGS_ALL 7u

struct aec_config {
    int tail_ms;        /* 0: AEC_TAIL_MS; else AEC_TAIL_MIN_MS..AEC_TAIL_MAX_MS */
    int noise_db;       /* 0: -30; noise attenuation, -60..-1 dB */
    int echo_db;        /* 0: -40; residual echo attenuation, -60..-1 dB */
    int echo_active_db; /* 0: -15; the same while the near end talks, -60..-1 dB */
    unsigned flags;     /* AEC_NO_*; other bits are refused */
};

struct aec;

struct aec_stats {
    uint64_t near_blocks;               /* microphone blocks processed */
    uint64_t far_blocks;                /* speaker blocks taken as reference */
    uint64_t far_active;                /* near blocks whose reference was not silent */
    uint64_t realign_far, realign_near; /* stamps that broke contiguity (see aec.c) */
    uint64_t ref_lost;    /* reference samples overwritten before the microphone asked */
    double erle_db;       /* echo return loss enhancement, our estimate: the
                             median, over the last 250 far-active blocks after
                             the first 2 s, of 10 log10(in energy / out
                             energy) per block; 0 when none yet. A block where
                             both speak counts the near voice as echo left
                             (low): the median holds while that is under half
                             of the far end's speech */
    uint32_t erle_blocks; /* figures the median was taken over (0: no estimate) */
};

/* A canceller for 48 kHz mono blocks. cfg NULL: the defaults. 0 and *out,
 * or BP_E_INVALID_FIELD (a field out of range, an unknown flag: *why says
 * which) or BP_E_NOMEM. *why is static. */
int aec_new(struct aec **out, const struct aec_config *cfg, const char **why);
/* Playout thread: the block pcm (read only) will start to leave the
 * speaker at play_us (µs, the clock aec_near's stamps use; give the
 * earliest time it can: now plus what is queued ahead of it). 0, or
 * BP_E_INVALID_FIELD for a NULL or a negative time. */
int aec_far(struct aec *a, const int16_t pcm[AFRAME_SAMPLES], int64_t play_us);
/* Capture thread: in, whose first sample entered the microphone at
 * capture_us at the latest (now minus one block's duration), cleaned into
 * out (out may be in). 0, or BP_E_INVALID_FIELD for a NULL or a negative
 * time (out is then untouched). */
int aec_near(struct aec *a, const int16_t in[AFRAME_SAMPLES], int16_t out[AFRAME_SAMPLES],
             int64_t capture_us);
/* Any thread. */
void aec_stats(struct aec *a, struct aec_stats *out);
void aec_free(struct aec *a); /* NULL is fine; no aec_far/aec_near may be running */

#endif
