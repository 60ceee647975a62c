/* asource.h: where the audio we send comes from, behind one interface: open
 * from a spec, pull the next 20 ms block, close. Each kind of source is a
 * `const struct asource_ops` table (asrc.h: asrc_tone.c, asrc_wav.c, and
 * the SDL2 microphone asrc_sdl.c).
 *
 * Specs:  "tone"  "tone:880"         a sine (default 440 Hz)
 *         "wav:PATH"  or a PATH ending in ".wav"   a file, looped
 *         "default"                  the system's default microphone (SDL2)
 *         "mic:NAME"                 a microphone by the name SDL lists
 *
 * Must never: block longer than reading a file does (pacing to real time is
 * the capture thread's job), except a live source (asource_is_live: the
 * microphone), whose next waits, bounded, for the device's next block; or
 * hand out anything but 48 kHz mono blocks. */
#ifndef BILAN_ASOURCE_H
#define BILAN_ASOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "aframe.h"
#include "asrc.h"

struct asource;

/* Open the source a spec names. On failure returns a negative BP_E_*, a
 * static *why, and when msg is not NULL a sentence naming the spec (the
 * file) and what is wrong, e.g. "a.wav: samples are 8-bit; ...". */
int asource_open(struct asource **out, const char *spec, const char **why, char *msg,
                 size_t msg_cap);
/* Next block: fills f->pcm, f->seq (0, 1, 2...) and f->capture_us (media
 * time, seq * AFRAME_US). 0 or a negative BP_E_* with *why. */
int asource_next(struct asource *s, struct aframe *f, const char **why);
unsigned asource_loops(const struct asource *s);
/* 1 when s paces itself (a microphone: next waits for the device), 0 when
 * the caller must pace it (tone, file). */
int asource_is_live(const struct asource *s);
void asource_close(struct asource *s); /* NULL is fine */

#endif
