/* vsrc_v4l2.h: the pure half of the V4L2 camera source (vsrc_v4l2.c): the
 * conversion of one captured buffer into an I420 picture, callable without
 * a device so that tests can feed it synthetic YUYV and JPEG bytes.
 *
 * Must never: touch a device, allocate more than a few rows of scratch, or
 * write pixels by hand (libyuv and libjpeg-turbo do the arithmetic). */
#ifndef CLIENT_MEDIA_VSRC_V4L2_H
#define CLIENT_MEDIA_VSRC_V4L2_H

#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

/* The fourccs we accept, as V4L2 spells them (linux/videodev2.h), repeated
 * here so that callers need not include the kernel header. */
#define VSRC_V4L2_YUYV 0x56595559u /* 'Y','U','Y','V': packed 4:2:2 */
#define VSRC_V4L2_MJPG 0x47504a4du /* 'M','J','P','G': one JPEG per frame */
#define VSRC_V4L2_JPEG 0x4745504au /* 'J','P','E','G': same, older drivers */

/* Converts one buffer of fourcc (YUYV, MJPG or JPEG) holding a src_w x
 * src_h picture into out, which must be allocated at src_w x src_h.
 * src_stride is the bytes per row of a YUYV buffer (0: 2 * src_w); JPEG
 * ignores it. A JPEG libjpeg finds damaged in any way (even a mere warning,
 * as a truncated frame gives) or whose size is not src_w x src_h is refused:
 * a camera sends another picture 33 ms later, a grey half-picture would be
 * sent to everyone. 0, or VM_E_FORMAT (damaged or short buffer), VM_E_ARG
 * (bad sizes, unknown fourcc) or VM_E_NOMEM, with why. */
int v4l2_convert(uint32_t fourcc, const uint8_t *bytes, size_t len, int src_w, int src_h,
                 int src_stride, struct vframe *out, char *why, size_t why_cap);

/* What a camera offers in one format: its size nearest to the one asked
 * for, and the highest frame rate at that size (a large number when the
 * driver does not say). */
struct v4l2_offer {
    uint32_t fourcc;
    int width, height;
    double max_fps;
};

/* The format to use (see vsrc_v4l2.c's header comment): the index in
 * offers, or -1 when none is YUYV, MJPG or JPEG. */
int v4l2_choose(const struct v4l2_offer *offers, size_t n, int want_w, int want_h, int want_fps);

/* 1 when size c (cw x ch) is nearer to w x h than size b: a smaller
 * |dw| + |dh|, or the same and a larger area. */
int v4l2_size_nearer(int cw, int ch, int bw, int bh, int w, int h);

/* The fourcc as 4 printable characters and a NUL into buf[5]. */
const char *v4l2_fourcc_str(uint32_t fourcc, char buf[5]);

#endif
