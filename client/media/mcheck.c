/* mcheck.c: the arithmetic of mcheck.h. Pure: buffers in, numbers out. */
#include "mcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcheck_level(const int16_t *pcm, size_t n, struct mcheck_level *out)
{
    double sum = 0;
    int peak = 0;
    for (size_t i = 0; i < n; i++) {
        int s = pcm[i];
        sum += (double)s * s;
        if (abs(s) > peak)
            peak = abs(s);
    }
    out->peak = peak / 32768.0;
    double rms = n ? sqrt(sum / (double)n) / 32768.0 : 0;
    double db = rms > 0 ? 20.0 * log10(rms) : MCHECK_FLOOR_DBFS;
    out->rms_dbfs = db < MCHECK_FLOOR_DBFS ? MCHECK_FLOOR_DBFS : db;
}

int mcheck_heard(double max_dbfs)
{
    return max_dbfs >= MCHECK_SILENCE_DBFS;
}

int mcheck_bar(double dbfs, int width, char *buf, size_t cap)
{
    if (width < 0)
        width = 0;
    if (cap < (size_t)width * 3 + 1) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    double f = (dbfs - MCHECK_FLOOR_DBFS) / -MCHECK_FLOOR_DBFS;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    int filled = (int)(f * width + 0.5);
    size_t o = 0;
    for (int i = 0; i < width; i++) {
        const char *cell = i < filled ? "\xe2\x96\x88" : "\xc2\xb7"; /* █ · */
        size_t l = strlen(cell);
        memcpy(buf + o, cell, l);
        o += l;
    }
    buf[o] = '\0';
    return filled;
}

double mcheck_mean_luma(const struct vframe *f)
{
    if (!f->mem || f->width <= 0 || f->height <= 0)
        return 0;
    uint64_t sum = 0;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *row = f->y + (size_t)y * f->stride_y;
        for (int x = 0; x < f->width; x++)
            sum += row[x];
    }
    return (double)sum / ((double)f->width * f->height);
}

double mcheck_luma_diff(const struct vframe *a, const struct vframe *b)
{
    if (!a->mem || !b->mem || a->width != b->width || a->height != b->height || a->width <= 0)
        return -1;
    uint64_t sum = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *ra = a->y + (size_t)y * a->stride_y, *rb = b->y + (size_t)y * b->stride_y;
        for (int x = 0; x < a->width; x++)
            sum += (uint64_t)abs(ra[x] - rb[x]);
    }
    return (double)sum / ((double)a->width * a->height);
}

void mcheck_video_add(struct mcheck_video *v, const struct vframe *f, double diff, int64_t now_us)
{
    double l = mcheck_mean_luma(f);
    if (v->frames == 0) {
        v->first_us = now_us;
        v->luma_max = l;
    } else if (diff >= MCHECK_FROZEN_DIFF) {
        v->moving++;
    }
    if (l > v->luma_max)
        v->luma_max = l;
    v->luma_sum += l;
    v->last_us = now_us;
    v->frames++;
}

double mcheck_video_fps(const struct mcheck_video *v)
{
    if (v->frames < 2 || v->last_us <= v->first_us)
        return 0;
    return (v->frames - 1) * 1e6 / (double)(v->last_us - v->first_us);
}

int mcheck_video_dark(const struct mcheck_video *v)
{
    return v->frames > 0 && v->luma_max < MCHECK_DARK_LUMA;
}

int mcheck_video_frozen(const struct mcheck_video *v)
{
    return v->frames >= 3 && v->moving == 0;
}
