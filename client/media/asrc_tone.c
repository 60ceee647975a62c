/* asrc_tone.c: the "tone" audio source: a sine at a given frequency
 * (default 440 Hz) at -12 dBFS, phase-continuous across blocks so that block
 * boundaries make no click. Owns its phase accumulator; reads nothing.
 *
 * Why -12 dBFS (amplitude 8192): loud enough to be heard and measured well
 * above the codec's noise, far enough from full scale that the codec's
 * overshoot never clips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asrc.h"
#include "bp/err.h"
#include "i18n.h"

#define TONE_DEFAULT_HZ 440.0
#define TONE_AMPLITUDE 8192.0
#define TONE_MAX_HZ 20000.0 /* below Nyquist at 48 kHz with room to spare */

struct tone {
    double phase; /* radians, kept in [0, 2π) so it never loses precision */
    double step;  /* radians per sample */
};

static int tone_open(void **state, const char *arg, const char **why)
{
    double hz = TONE_DEFAULT_HZ;
    if (arg && *arg) {
        char *end = NULL;
        hz = strtod(arg, &end);
        if (end == arg || *end != '\0' || !(hz >= 1.0 && hz <= TONE_MAX_HZ)) {
            *why = _("la fréquence du son de test doit être un nombre de Hz de 1 à 20000");
            return BP_E_INVALID_FIELD;
        }
    }
    struct tone *t = calloc(1, sizeof *t);
    if (!t) {
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    t->step = 2.0 * M_PI * hz / AFRAME_RATE;
    *state = t;
    return 0;
}

static int tone_next(void *state, int16_t pcm[AFRAME_SAMPLES], const char **why)
{
    (void)why;
    struct tone *t = state;
    for (int i = 0; i < AFRAME_SAMPLES; i++) {
        pcm[i] = (int16_t)lrint(TONE_AMPLITUDE * sin(t->phase));
        t->phase += t->step;
        if (t->phase >= 2.0 * M_PI)
            t->phase -= 2.0 * M_PI;
    }
    return 0;
}

static unsigned tone_loops(const void *state)
{
    (void)state;
    return 0;
}

static void tone_close(void *state)
{
    free(state);
}

const struct asource_ops asrc_tone_ops = {
    .name = "tone",
    .open = tone_open,
    .next = tone_next,
    .loops = tone_loops,
    .close = tone_close,
};
