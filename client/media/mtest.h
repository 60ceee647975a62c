/* mtest.h: the live half of `bilan test-media` (mtest.c): a camera and a
 * microphone read on their own threads for a few seconds, judged by
 * mcheck.h, and a short test sound played on a speaker.
 *
 * For a window (client/ui/, later): while the test runs, mtest_picture
 * copies the newest picture (to show "your picture") and mtest_level gives
 * the microphone's current level (to draw the meter); both take a mutex
 * for a copy and never block on a device, so a window thread may call them
 * at its own frame rate.
 *
 * Threads: mtest_*_start, mtest_stop, mtest_free and mtest_play_sound from
 * one thread (they open and close SDL devices, which SDL wants done from
 * one thread); mtest_picture, mtest_level and the results from any.
 *
 * Owns: the sources, their threads, the newest picture. Must never: hold
 * the mutex across a device call, or let a reader see half a picture. */
#ifndef CLIENT_MEDIA_MTEST_H
#define CLIENT_MEDIA_MTEST_H

#include <stddef.h>
#include <stdint.h>

#include "mcheck.h"
#include "vframe.h"

struct mtest;

struct mtest_video_result {
    int started; /* the source opened */
    unsigned frames;
    int width, height; /* the pictures' size */
    double fps;
    double mean_luma; /* over all pictures */
    int dark, frozen; /* mcheck_video_dark / _frozen */
    char error[320];  /* the source failed mid-way ("" when not) */
};

struct mtest_audio_result {
    int started;
    unsigned blocks; /* 20 ms blocks read */
    double max_dbfs; /* the loudest block's RMS */
    int heard;       /* max_dbfs >= MCHECK_SILENCE_DBFS */
    char error[384];
};

/* The microphone now: the last block's RMS and peak, the loudest so far. */
struct mtest_level {
    double rms_dbfs, peak, max_dbfs;
    unsigned blocks;
};

/* A new test, nothing started. 0 or -1 (out of memory). */
int mtest_new(struct mtest **out);
/* Opens video source spec (vsource.h: "pattern", FILE.y4m, /dev/videoN)
 * at w x h (0 x 0: 640 x 480) and starts reading it. 0, or a VM_E_* with
 * why (the source's sentence). */
int mtest_video_start(struct mtest *m, const char *spec, int w, int h, char *why, size_t cap);
/* Opens audio source spec (asource.h: "default", "mic:NAME", "tone",
 * FILE.wav) and starts reading it. 0, or a negative BP_E_* with why. */
int mtest_audio_start(struct mtest *m, const char *spec, char *why, size_t cap);
/* For a window: copies the newest picture into dst (allocated by the
 * caller at the source's size, see mtest_video_size) when it is newer than
 * *seq, and updates *seq. 1 when copied, 0 when nothing newer. */
int mtest_picture(struct mtest *m, struct vframe *dst, uint64_t *seq);
/* The size pictures come at (0 x 0 before mtest_video_start). */
void mtest_video_size(const struct mtest *m, int *w, int *h);
/* For a window or the terminal's meter. */
void mtest_level(struct mtest *m, struct mtest_level *out);
/* Stops reading (joins the threads, closes the sources). Idempotent. */
void mtest_stop(struct mtest *m);
void mtest_video_result(struct mtest *m, struct mtest_video_result *out);
void mtest_audio_result(struct mtest *m, struct mtest_audio_result *out);
/* Stops and frees; NULL is a no-op. */
void mtest_free(struct mtest *m);

/* Plays a test sound of ms milliseconds (a two-note chime at -12 dBFS) on
 * out: "default" or "speaker:NAME" (SDL, waits until it has been played)
 * or FILE.wav (written). 0, or a negative BP_E_* with why. */
int mtest_play_sound(const char *out, int ms, char *why, size_t cap);

#endif
