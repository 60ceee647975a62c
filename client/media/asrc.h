/* asrc.h: the table of operations every kind of audio source fills, and
 * the tables we have. Kept apart from asource.h so that a source kind never
 * includes the dispatcher that calls it (asource.c picks a table; the
 * tables know nothing above them).
 *
 * Must never: grow state here; a table is const and shared. */
#ifndef BILAN_ASRC_H
#define BILAN_ASRC_H

#include <stdint.h>

#include "aframe.h"

struct asource_ops {
    const char *name; /* "tone", "wav", "default", "mic" */
    /* Open from the part of the spec after "name:" (arg may be ""); returns
     * 0 and *state, or a negative BP_E_* with a static *why (a device's
     * sentence: a per-thread buffer, see asrc_sdl.c), having freed
     * whatever it had allocated. */
    int (*open)(void **state, const char *arg, const char **why);
    /* Fill pcm with the next AFRAME_SAMPLES samples; 0 or a negative BP_E_*
     * with *why (a read error). */
    int (*next)(void *state, int16_t pcm[AFRAME_SAMPLES], const char **why);
    /* Times the source went back to its start (files); 0 if it never does. */
    unsigned (*loops)(const void *state);
    void (*close)(void *state); /* frees state */
    /* 1 for a device that gives blocks at its own pace (a microphone): next
     * blocks until one is ready, so the capture thread must not pace it; 0
     * (a table that omits it) for a tone or file, which answers at once. */
    int live;
};

extern const struct asource_ops asrc_tone_ops;
extern const struct asource_ops asrc_wav_ops;
extern const struct asource_ops asrc_mic_default_ops; /* "default" (asrc_sdl.c) */
extern const struct asource_ops asrc_mic_ops;         /* "mic:NAME" (asrc_sdl.c) */

#endif
