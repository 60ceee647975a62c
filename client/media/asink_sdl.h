/* asink_sdl.h: plays received audio on a speaker through SDL2 (48 kHz mono
 * 16-bit, SDL converts to what the device wants). The same calls as
 * asink_wav.h, so that the receive path writes to either.
 *
 * Latency: blocks are queued (SDL_QueueAudio) and the device drains them at
 * its own pace. A write finding ASINK_SDL_MAX_QUEUED_MS or more queued
 * skips its block and counts it: the sender's clock runs faster than our
 * sound card's, or the jitter buffer released a burst, and a growing queue
 * would be a growing delay in the conversation. The jitter buffer upstream
 * keeps ~60-120 ms queued in the ordinary case.
 *
 * Gaps and late blocks: the device plays on in real time, so a block never
 * written is nothing to fill (the device's own silence covers it) and a
 * block older than the last one written is too late to place: it is
 * counted and dropped.
 *
 * Threads: open and close from one thread at a time, the same that opens
 * microphones (SDL_InitSubSystem is not thread-safe); write and stats from
 * one thread (the playback thread).
 *
 * Must never: block (SDL_QueueAudio copies), or queue without bound. */
#ifndef BILAN_ASINK_SDL_H
#define BILAN_ASINK_SDL_H

#include <stdint.h>

#include "aframe.h"

#define ASINK_SDL_MAX_QUEUED_MS 200

struct asink_sdl;

struct asink_sdl_stats {
    uint64_t blocks;    /* blocks queued for playing */
    uint64_t skipped;   /* blocks not queued: ASINK_SDL_MAX_QUEUED_MS already waiting */
    uint64_t underruns; /* writes that found SDL's queue empty, after the first:
                           the device had run dry, or was within one 10 ms
                           period of it (SDL does not say which) */
    uint64_t gaps;      /* blocks between two writes that were never written */
    uint64_t late;      /* blocks dropped because a later one was already queued */
    uint32_t queued_ms; /* audio waiting in SDL's queue now */
};

/* Open device (a name SDL lists; NULL: the system's default speaker) and
 * start playing. 0 and *out, or a negative BP_E_* and *why: a sentence
 * naming the device and SDL's driver, French then English, in a per-thread
 * buffer valid until this thread's next call into asink_sdl or asrc_sdl. */
int asink_sdl_open(struct asink_sdl **out, const char *device, const char **why);
/* Whether an `--audio-out` spec names a speaker: "default" (*device set to
 * NULL) or "speaker:NAME" (*device points at NAME inside spec, the name
 * `bilan devices` lists). 1 then, else 0 (a file). */
int asink_sdl_spec(const char *spec, const char **device);
/* Queue block seq (pcm: AFRAME_SAMPLES, read only); see the header comment
 * for skips, gaps and late blocks (all return 0). A negative BP_E_* with
 * *why when the device is gone (unplugged) or SDL refuses. */
int asink_sdl_write(struct asink_sdl *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                    const char **why);
/* The same, saying whether the block was queued: 1 with *ahead_us = the
 * audio SDL held ahead of it (so it starts to play no earlier than that
 * from the moment of the call: what the echo canceller's reference needs,
 * aec.h), 0 when skipped or late (not played), or a negative BP_E_*. */
int asink_sdl_play(struct asink_sdl *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                   uint32_t *ahead_us, const char **why);
void asink_sdl_stats(const struct asink_sdl *s, struct asink_sdl_stats *out);
/* Stop playing (what is still queued is dropped) and free s; NULL is a
 * no-op. Returns 0 (kept as an int for asink_wav_close's shape). */
int asink_sdl_close(struct asink_sdl *s, const char **why);

#endif
