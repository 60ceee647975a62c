/* mcheck.h: the pure judgements of `bilan test-media` (mcheck.c): how loud
 * a block of sound is and how that draws as a level meter, whether a
 * picture is black or too dark, whether the camera's pictures are frozen,
 * and how many pictures per second came. Plain arithmetic on buffers the
 * caller owns: no device, clock, allocation or I/O, so that the thresholds
 * are tested with synthetic blocks and pictures.
 *
 * The thresholds are here, named, because they are the product's opinion
 * of what "works" means (README "Video and sound" quotes them). */
#ifndef CLIENT_MEDIA_MCHECK_H
#define CLIENT_MEDIA_MCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

/* A picture whose mean luma (0-255) is below this is black or too dark to
 * see a face: a covered lens, a privacy shutter, a camera that gives only
 * black frames, an unlit room. Studio black is 16. */
#define MCHECK_DARK_LUMA 40.0
/* Pictures whose mean absolute luma difference from the previous one stays
 * below this (0-255, over every pixel) are the same picture: a frozen
 * camera, a driver repeating its last buffer. A still room with a live
 * sensor still moves by sensor noise (about 0.5-2). */
#define MCHECK_FROZEN_DIFF 0.05
/* A microphone whose loudest 20 ms block stays below this (dBFS) heard
 * nothing: a muted or unplugged microphone gives about -90 or less, a quiet
 * room -60 to -50, speech at arm's length -35 to -15. */
#define MCHECK_SILENCE_DBFS -55.0
/* The floor of the level meter and of the dBFS scale. */
#define MCHECK_FLOOR_DBFS -90.0

/* The level of n samples: RMS in dBFS (full-scale sine: -3 dB; silence:
 * MCHECK_FLOOR_DBFS) and the peak as a fraction of full scale (0-1). */
struct mcheck_level {
    double rms_dbfs;
    double peak;
};
void mcheck_level(const int16_t *pcm, size_t n, struct mcheck_level *out);

/* 1 when a microphone whose loudest block was max_dbfs heard something. */
int mcheck_heard(double max_dbfs);

/* Draws a level as a bar of width cells in buf (at least width * 3 + 1
 * bytes: the filled cell is "█", 3 bytes in UTF-8; the empty one "·", 2):
 * MCHECK_FLOOR_DBFS is empty, 0 dBFS full, linear in dB between. Returns
 * the number of filled cells. */
int mcheck_bar(double dbfs, int width, char *buf, size_t cap);

/* The mean luma (0-255) of f's Y plane. */
double mcheck_mean_luma(const struct vframe *f);
/* The mean absolute luma difference between a and b (same size; -1 when
 * the sizes differ). */
double mcheck_luma_diff(const struct vframe *a, const struct vframe *b);

/* What a few seconds of pictures add up to: fed picture by picture. */
struct mcheck_video {
    unsigned frames;
    double luma_sum;           /* of each picture's mean luma */
    double luma_max;           /* the brightest picture's mean */
    unsigned moving;           /* pictures that differ from the one before */
    int64_t first_us, last_us; /* arrival times of the first and last */
};
/* Adds picture f, arrived at now_us (a monotonic clock), whose difference
 * from the previous picture is diff (ignored for the first). */
void mcheck_video_add(struct mcheck_video *v, const struct vframe *f, double diff, int64_t now_us);
/* Pictures per second over the run (0 with fewer than 2 pictures). */
double mcheck_video_fps(const struct mcheck_video *v);
/* 1 when even the brightest picture is darker than MCHECK_DARK_LUMA. */
int mcheck_video_dark(const struct mcheck_video *v);
/* 1 when there were at least 3 pictures and none moved. */
int mcheck_video_frozen(const struct mcheck_video *v);

#endif
