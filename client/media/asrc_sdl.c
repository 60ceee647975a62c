/* asrc_sdl.c: the microphone source over SDL2: "default" (the system's
 * default microphone) or "mic:NAME" (a capture device by the name SDL
 * lists). SDL converts whatever the device gives to 48 kHz mono S16 (we
 * open with no allowed change); its callback, on SDL's audio thread, fills
 * a ring of MIC_RING_MS; next waits on a condition variable (in slices, so
 * that an unplugged device is noticed) until a 20 ms block is there.
 *
 * A full ring drops its oldest samples: the capture thread fell behind and
 * a live call wants the newest sound, not a growing delay.
 *
 * Errors are sentences naming the device and the SDL driver, French first
 * and English in parentheses; they live in a per-thread buffer (SDL's own
 * reason changes with each call), valid until that thread's next call into
 * this file or asink_sdl.c's twin.
 *
 * SDL_InitSubSystem and SDL_QuitSubSystem are not thread-safe: open and
 * close microphones and speakers (asink_sdl.c) from one thread at a time,
 * e.g. the main thread before and after the media threads run; next may
 * run on any one thread.
 *
 * Owns: the SDL audio device, the ring, its mutex and condition, one
 * reference to SDL's audio subsystem. Must never: spin, block in next
 * longer than MIC_WAIT_MS, or call SDL while holding the ring's mutex (the
 * callback takes that mutex under SDL's device lock). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "asrc.h"
#include "bp/err.h"
#include "i18n.h"

#define MIC_RING_MS 500
#define MIC_RING_SAMPLES (AFRAME_RATE / 1000 * MIC_RING_MS)
#define MIC_WAIT_MS 1000 /* a working microphone gives 20 ms blocks */
#define MIC_SLICE_MS 100 /* how often a waiting next looks at the device */

static _Thread_local char mic_why[384];

struct mic {
    SDL_AudioDeviceID dev;
    char name[128]; /* for messages: the name asked for, or "défaut" */
    SDL_mutex *lock;
    SDL_cond *ready;
    int16_t ring[MIC_RING_SAMPLES];
    size_t head, count; /* oldest sample, samples held */
};

static const char *driver_name(void)
{
    const char *d = SDL_GetCurrentAudioDriver();
    return d ? d : _("aucun");
}

/* SDL's thread: append len bytes of S16 samples, oldest dropped first. */
static void SDLCALL mic_callback(void *user, Uint8 *stream, int len)
{
    struct mic *m = user;
    const int16_t *in = (const int16_t *)(void *)stream;
    size_t n = (size_t)len / sizeof(int16_t);
    if (n > MIC_RING_SAMPLES) { /* keep only the newest ring's worth */
        in += n - MIC_RING_SAMPLES;
        n = MIC_RING_SAMPLES;
    }
    SDL_LockMutex(m->lock);
    size_t over = m->count + n > MIC_RING_SAMPLES ? m->count + n - MIC_RING_SAMPLES : 0;
    m->head = (m->head + over) % MIC_RING_SAMPLES;
    m->count -= over;
    size_t tail = (m->head + m->count) % MIC_RING_SAMPLES;
    size_t first = MIC_RING_SAMPLES - tail < n ? MIC_RING_SAMPLES - tail : n;
    memcpy(m->ring + tail, in, first * sizeof *in);
    memcpy(m->ring, in + first, (n - first) * sizeof *in);
    m->count += n;
    SDL_CondSignal(m->ready);
    SDL_UnlockMutex(m->lock);
}

static void mic_free(struct mic *m, int subsystem)
{
    if (m->dev)
        SDL_CloseAudioDevice(m->dev); /* returns once the callback has stopped */
    if (m->ready)
        SDL_DestroyCond(m->ready);
    if (m->lock)
        SDL_DestroyMutex(m->lock);
    free(m);
    if (subsystem)
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

/* Appends the capture devices SDL lists to buf, comma separated. */
static void list_devices(char *buf, size_t cap)
{
    int n = SDL_GetNumAudioDevices(1);
    size_t used = strlen(buf);
    for (int i = 0; i < n && used + 4 < cap; i++) {
        const char *d = SDL_GetAudioDeviceName(i, 1);
        snprintf(buf + used, cap - used, "%s« %s »", i ? ", " : "", d ? d : "?");
        used = strlen(buf);
    }
    if (n <= 0)
        snprintf(buf + used, cap - used, "%s", _("aucun"));
}

static int mic_open_named(void **state, const char *name, const char **why)
{
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) < 0) {
        snprintf(
            mic_why, sizeof mic_why, _("le son ne démarre pas (pilote SDL_AUDIODRIVER=%s) : %s"),
            SDL_getenv("SDL_AUDIODRIVER") ? SDL_getenv("SDL_AUDIODRIVER") : "auto", SDL_GetError());
        *why = mic_why;
        return BP_E_INTERNAL;
    }
    if (SDL_GetNumAudioDevices(1) == 0) {
        snprintf(mic_why, sizeof mic_why,
                 _("aucun micro trouvé (pilote %s) ; branchez-en un ou vérifiez que PulseAudio "
                   "ou PipeWire tourne"),
                 driver_name());
        *why = mic_why;
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return BP_E_UNKNOWN_DEVICE;
    }
    struct mic *m = calloc(1, sizeof *m);
    if (!m || !(m->lock = SDL_CreateMutex()) || !(m->ready = SDL_CreateCond())) {
        *why = _("mémoire insuffisante");
        if (m)
            mic_free(m, 1);
        else
            SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return BP_E_NOMEM;
    }
    snprintf(m->name, sizeof m->name, "%s", name ? name : "défaut (default)");
    SDL_AudioSpec want, have;
    SDL_zero(want);
    want.freq = AFRAME_RATE;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = AFRAME_SAMPLES;
    want.callback = mic_callback;
    want.userdata = m;
    m->dev = SDL_OpenAudioDevice(name, 1, &want, &have, 0);
    if (!m->dev) {
        snprintf(mic_why, sizeof mic_why,
                 _("micro « %s » impossible à ouvrir (pilote %s) : %s ; micros disponibles : "),
                 m->name, driver_name(), SDL_GetError());
        list_devices(mic_why, sizeof mic_why);
        *why = mic_why;
        mic_free(m, 1);
        return BP_E_UNKNOWN_DEVICE;
    }
    SDL_PauseAudioDevice(m->dev, 0);
    *state = m;
    return 0;
}

static int mic_open_default(void **state, const char *arg, const char **why)
{
    (void)arg; /* "default" takes no argument */
    return mic_open_named(state, NULL, why);
}

static int mic_open(void **state, const char *arg, const char **why)
{
    if (!arg || !*arg) {
        *why = _("nommez le micro : mic:NOM, ou « default »");
        return BP_E_INVALID_FIELD;
    }
    return mic_open_named(state, arg, why);
}

static int mic_next(void *state, int16_t pcm[AFRAME_SAMPLES], const char **why)
{
    struct mic *m = state;
    Uint32 start = SDL_GetTicks();
    for (;;) {
        SDL_LockMutex(m->lock);
        if (m->count < AFRAME_SAMPLES)
            SDL_CondWaitTimeout(m->ready, m->lock, MIC_SLICE_MS);
        if (m->count >= AFRAME_SAMPLES) {
            size_t first = MIC_RING_SAMPLES - m->head < AFRAME_SAMPLES ? MIC_RING_SAMPLES - m->head
                                                                       : AFRAME_SAMPLES;
            memcpy(pcm, m->ring + m->head, first * sizeof *pcm);
            memcpy(pcm + first, m->ring, (AFRAME_SAMPLES - first) * sizeof *pcm);
            m->head = (m->head + AFRAME_SAMPLES) % MIC_RING_SAMPLES;
            m->count -= AFRAME_SAMPLES;
            SDL_UnlockMutex(m->lock);
            return 0;
        }
        SDL_UnlockMutex(m->lock);
        /* Outside the lock: SDL takes its device lock, then ours. */
        if (SDL_GetAudioDeviceStatus(m->dev) == SDL_AUDIO_STOPPED) {
            snprintf(mic_why, sizeof mic_why,
                     "micro « %s » : le micro a été débranché (microphone disconnected)", m->name);
            *why = mic_why;
            return BP_E_INTERNAL;
        }
        if (SDL_GetTicks() - start >= MIC_WAIT_MS) {
            snprintf(mic_why, sizeof mic_why,
                     _("micro « %s » : aucun son depuis %d ms (pilote %s) : vérifiez qu'il est "
                       "branché et qu'il n'est pas coupé"),
                     m->name, MIC_WAIT_MS, driver_name());
            *why = mic_why;
            return BP_E_INTERNAL;
        }
    }
}

static unsigned mic_loops(const void *state)
{
    (void)state;
    return 0;
}

static void mic_close(void *state)
{
    if (state)
        mic_free(state, 1);
}

const struct asource_ops asrc_mic_default_ops = {
    .name = "default",
    .open = mic_open_default,
    .next = mic_next,
    .loops = mic_loops,
    .close = mic_close,
    .live = 1,
};

const struct asource_ops asrc_mic_ops = {
    .name = "mic",
    .open = mic_open,
    .next = mic_next,
    .loops = mic_loops,
    .close = mic_close,
    .live = 1,
};
