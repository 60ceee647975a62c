/* asink_sdl.c: the SDL2 speaker of asink_sdl.h. Owns the SDL audio device
 * (queue mode: no callback, SDL's thread drains what SDL_QueueAudio
 * copied), the counters, and one reference to SDL's audio subsystem. */
#include "asink_sdl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "bp/err.h"
#include "i18n.h"

#define BYTES_PER_MS (AFRAME_RATE / 1000 * 2)

static _Thread_local char sink_why[320];

struct asink_sdl {
    SDL_AudioDeviceID dev;
    char name[128]; /* for messages */
    int written;    /* a block was queued already: seq and underruns mean something */
    uint64_t last_seq;
    struct asink_sdl_stats st;
};

static const char *driver_name(void)
{
    const char *d = SDL_GetCurrentAudioDriver();
    return d ? d : _("aucun");
}

int asink_sdl_open(struct asink_sdl **out, const char *device, const char **why)
{
    *out = NULL;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) < 0) {
        snprintf(
            sink_why, sizeof sink_why, _("le son ne démarre pas (pilote SDL_AUDIODRIVER=%s) : %s"),
            SDL_getenv("SDL_AUDIODRIVER") ? SDL_getenv("SDL_AUDIODRIVER") : "auto", SDL_GetError());
        *why = sink_why;
        return BP_E_INTERNAL;
    }
    struct asink_sdl *s = calloc(1, sizeof *s);
    if (!s) {
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    snprintf(s->name, sizeof s->name, "%s", device ? device : _("défaut"));
    SDL_AudioSpec want;
    SDL_zero(want);
    want.freq = AFRAME_RATE;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = AFRAME_SAMPLES / 2; /* 10 ms device periods: the queue, not the
                                          period, sets our latency */
    s->dev = SDL_OpenAudioDevice(device, 0, &want, NULL, 0);
    if (!s->dev) {
        snprintf(sink_why, sizeof sink_why,
                 _("haut-parleur « %s » impossible à ouvrir (pilote %s, %d sortie(s) "
                   "listée(s)) : %s"),
                 s->name, driver_name(), SDL_GetNumAudioDevices(0), SDL_GetError());
        *why = sink_why;
        free(s);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return BP_E_UNKNOWN_DEVICE;
    }
    SDL_PauseAudioDevice(s->dev, 0);
    *out = s;
    return 0;
}

int asink_sdl_spec(const char *spec, const char **device)
{
    *device = NULL;
    if (!spec || strcmp(spec, "default") == 0)
        return spec != NULL;
    if (strncmp(spec, "speaker:", 8) == 0 && spec[8]) {
        *device = spec + 8;
        return 1;
    }
    return 0;
}

int asink_sdl_write(struct asink_sdl *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                    const char **why)
{
    uint32_t ahead;
    int rc = asink_sdl_play(s, seq, pcm, &ahead, why);
    return rc < 0 ? rc : 0;
}

int asink_sdl_play(struct asink_sdl *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                   uint32_t *ahead_us, const char **why)
{
    *ahead_us = 0;
    if (SDL_GetAudioDeviceStatus(s->dev) == SDL_AUDIO_STOPPED) {
        snprintf(
            sink_why, sizeof sink_why,
            "haut-parleur « %s » : la sortie son a disparu (débranchée ?) (speaker disconnected)",
            s->name);
        *why = sink_why;
        return BP_E_INTERNAL;
    }
    if (s->written && seq <= s->last_seq) {
        s->st.late++;
        return 0;
    }
    Uint32 queued = SDL_GetQueuedAudioSize(s->dev);
    if (queued >= (Uint32)ASINK_SDL_MAX_QUEUED_MS * BYTES_PER_MS) {
        s->st.skipped++;
        s->last_seq = seq; /* skipped on purpose: not a gap, and older ones are late */
        s->written = 1;
        return 0;
    }
    if (s->written) {
        if (queued == 0)
            s->st.underruns++;
        s->st.gaps += seq - s->last_seq - 1;
    }
    if (SDL_QueueAudio(s->dev, pcm, AFRAME_BYTES) < 0) {
        snprintf(sink_why, sizeof sink_why,
                 _("haut-parleur « %s » : %s (le son n'a pas pu être joué)"), s->name,
                 SDL_GetError());
        *why = sink_why;
        return BP_E_INTERNAL;
    }
    s->written = 1;
    s->last_seq = seq;
    s->st.blocks++;
    *ahead_us = (uint32_t)((uint64_t)queued * 1000u / BYTES_PER_MS);
    return 1;
}

void asink_sdl_stats(const struct asink_sdl *s, struct asink_sdl_stats *out)
{
    *out = s->st;
    out->queued_ms = SDL_GetQueuedAudioSize(s->dev) / BYTES_PER_MS;
}

int asink_sdl_close(struct asink_sdl *s, const char **why)
{
    (void)why;
    if (!s)
        return 0;
    SDL_CloseAudioDevice(s->dev);
    free(s);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
    return 0;
}
