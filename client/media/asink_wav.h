/* asink_wav.h: records received audio to a .wav file (48 kHz mono 16-bit),
 * block N at sample position N * AFRAME_SAMPLES, so that a lost block
 * leaves time in place instead of shifting what follows.
 *
 * Gaps: a block never written is SILENCE in the file. We chose silence over
 * asking the sink to conceal because the decoder, not the sink, owns
 * concealment: the receiver writes the concealed block it played as block
 * N like any other, and the silence that remains marks what was never
 * produced at all (counted in gap_blocks).
 *
 * Must never: write a header that ffprobe refuses once closed, or more than
 * the 4 GiB a RIFF size can state (blocks past it are refused). */
#ifndef BILAN_ASINK_WAV_H
#define BILAN_ASINK_WAV_H

#include <stdint.h>

#include "aframe.h"

struct asink_wav;

struct asink_wav_stats {
    uint64_t blocks;     /* blocks written (each call that succeeded) */
    uint64_t gap_blocks; /* blocks filled with silence because never written */
    uint64_t rewrites;   /* blocks written at a position already written */
};

/* Create (truncate) path. 0 and *out, or a negative BP_E_* and *why. */
int asink_wav_open(struct asink_wav **out, const char *path, const char **why);
/* Write block seq (pcm: AFRAME_SAMPLES, read only). A seq past the end
 * fills the gap with silence; a seq already covered overwrites it (a late
 * block replaces the concealment or silence). 0 or a negative BP_E_*. */
int asink_wav_write(struct asink_wav *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                    const char **why);
void asink_wav_stats(const struct asink_wav *s, struct asink_wav_stats *out);
/* Fix the RIFF and data sizes and close. Frees s even on error; returns 0
 * or a negative BP_E_* with *why (the file may then be incomplete). */
int asink_wav_close(struct asink_wav *s, const char **why);

#endif
