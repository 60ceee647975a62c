/* vframe.h: the picture every video source, codec and sink passes around:
 * I420 (8-bit, 4:2:0, planes Y then U then V), its strides, size, the
 * sender's frame index and the capture time.
 *
 * Owns: one heap block holding the three planes (freed by vframe_free).
 * Must never: hold any other pixel format (conversions happen in the
 * source, with libyuv) or know about codecs, files or threads.
 *
 * Also the error codes of the video library (client/media/v*.c): 0 or a
 * negative VM_E_*, with a static or caller-buffer reason beside it. */
#ifndef CLIENT_MEDIA_VFRAME_H
#define CLIENT_MEDIA_VFRAME_H

#include <stddef.h>
#include <stdint.h>

enum vm_err {
    VM_OK = 0,
    VM_E_NOMEM = -1,        /* out of memory */
    VM_E_ARG = -2,          /* a parameter out of range (our caller's bug or bad option) */
    VM_E_IO = -3,           /* a file could not be opened, read or written */
    VM_E_FORMAT = -4,       /* a file's contents are not what we accept */
    VM_E_CODEC = -5,        /* libvpx refused a call (encoder side) */
    VM_E_NEED_KEYFRAME = -6 /* decoder: this frame cannot be shown; ask the sender for a keyframe */
};

/* Largest picture any video code here accepts: 4096x4096 (a 4K frame fits;
 * a bigger one is a corrupt header, not a camera). */
#define VFRAME_MAX_SIDE 4096
#define VFRAME_MAX_PIXELS (4096L * 4096L)

struct vframe {
    uint8_t *y, *u, *v;         /* planes inside mem */
    int stride_y, stride_uv;    /* bytes per row */
    int width, height;          /* luma size; chroma is (w+1)/2 x (h+1)/2 */
    uint32_t index;             /* the sender's frame number, 0 first */
    int64_t capture_us;         /* capture time, µs (the clock is the caller's) */
    uint8_t *mem;               /* the one allocation; NULL for an empty frame */
};

/* Chroma size of a luma size (odd sizes round up, as I420 does). */
static inline int vframe_half(int n) { return (n + 1) / 2; }

/* Allocates a black frame of w x h (1..VFRAME_MAX_SIDE each, at most
 * VFRAME_MAX_PIXELS). f is overwritten (not freed first). 0, VM_E_ARG or
 * VM_E_NOMEM; on failure f is empty. */
int vframe_alloc(struct vframe *f, int width, int height);

/* Frees the planes; f becomes empty. Safe on an empty or zeroed frame. */
void vframe_free(struct vframe *f);

/* Copies src's pixels, index and time into dst; both must have the same
 * size (VM_E_ARG otherwise). Uses libyuv. */
int vframe_copy(struct vframe *dst, const struct vframe *src);

/* Copies src into dst scaled to dst's size (libyuv I420Scale, box filter);
 * a plain copy when the sizes match. Index and time follow. 0 or VM_E_ARG. */
int vframe_scale(struct vframe *dst, const struct vframe *src);

/* Luma PSNR of a against b (same size) in dB, by libyuv; 128 when identical. */
double vframe_psnr_y(const struct vframe *a, const struct vframe *b);

#endif
