/* vframe.c: allocation, copy, scaling and comparison of I420 pictures
 * (vframe.h). The pixel work is libyuv's; this file only sizes and owns. */
#include <stdlib.h>
#include <string.h>

#include <libyuv/compare.h>
#include <libyuv/convert.h>
#include <libyuv/scale.h>

#include "vframe.h"

int vframe_alloc(struct vframe *f, int width, int height)
{
    memset(f, 0, sizeof *f);
    if (width < 1 || height < 1 || width > VFRAME_MAX_SIDE || height > VFRAME_MAX_SIDE ||
        (long)width * height > VFRAME_MAX_PIXELS)
        return VM_E_ARG;
    int cw = vframe_half(width), ch = vframe_half(height);
    size_t ny = (size_t)width * height, nc = (size_t)cw * ch;
    f->mem = malloc(ny + 2 * nc);
    if (!f->mem)
        return VM_E_NOMEM;
    f->y = f->mem;
    f->u = f->y + ny;
    f->v = f->u + nc;
    f->stride_y = width;
    f->stride_uv = cw;
    f->width = width;
    f->height = height;
    memset(f->y, 16, ny);      /* video-range black */
    memset(f->u, 128, 2 * nc); /* no colour */
    return VM_OK;
}

void vframe_free(struct vframe *f)
{
    free(f->mem);
    memset(f, 0, sizeof *f);
}

int vframe_copy(struct vframe *dst, const struct vframe *src)
{
    if (dst->width != src->width || dst->height != src->height || !dst->mem || !src->y)
        return VM_E_ARG;
    I420Copy(src->y, src->stride_y, src->u, src->stride_uv, src->v, src->stride_uv, dst->y,
             dst->stride_y, dst->u, dst->stride_uv, dst->v, dst->stride_uv, src->width,
             src->height);
    dst->index = src->index;
    dst->capture_us = src->capture_us;
    return VM_OK;
}

int vframe_scale(struct vframe *dst, const struct vframe *src)
{
    if (!dst->mem || !src->y)
        return VM_E_ARG;
    if (dst->width == src->width && dst->height == src->height)
        return vframe_copy(dst, src);
    if (I420Scale(src->y, src->stride_y, src->u, src->stride_uv, src->v, src->stride_uv,
                  src->width, src->height, dst->y, dst->stride_y, dst->u, dst->stride_uv,
                  dst->v, dst->stride_uv, dst->width, dst->height, kFilterBox) != 0)
        return VM_E_ARG;
    dst->index = src->index;
    dst->capture_us = src->capture_us;
    return VM_OK;
}

double vframe_psnr_y(const struct vframe *a, const struct vframe *b)
{
    return CalcFramePsnr(a->y, a->stride_y, b->y, b->stride_y, a->width, a->height);
}
