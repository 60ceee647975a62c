/* vsource.h: where pictures come from, behind one small interface. A spec
 * names the source: "pattern" (a synthetic moving test pattern), a path
 * ending in ".y4m" (a YUV4MPEG2 file, looped) or a path starting with
 * "/dev/video" (a V4L2 camera, vsrc_v4l2.c).
 *
 * Each source type is a const table of operations (struct vsource_ops);
 * each open source starts with a struct vsource naming its table.
 * Sources give pictures at the size asked for (scaling with libyuv), index
 * 0, 1, 2... and a nominal capture time index * 1e6 / fps µs: they read no
 * clock (the capture thread stamps real times later) and never sleep, so a
 * caller paces them. The exception is a live source (vsource_is_live: the
 * camera): its next waits for the device's next picture (a bounded wait,
 * an error when the device stops), so it paces itself and must not be paced.
 *
 * Errors name the source and what is wrong, in a caller's buffer (why,
 * why_cap: file names and frame numbers do not fit static strings). */
#ifndef CLIENT_MEDIA_VSOURCE_H
#define CLIENT_MEDIA_VSOURCE_H

#include "vsrc_base.h"

/* Opens the source spec names. 0 and *out, or VM_E_ARG for an unknown spec
 * or size, or the type's own error; why says which. */
int vsource_open(struct vsource **out, const char *spec, const struct vsource_params *p,
                 char *why, size_t why_cap);

/* The next picture into pic, which must be allocated at the source's size
 * (vsource_width/height): 0 or a VM_E_* with why. */
int vsource_next(struct vsource *s, struct vframe *pic, char *why, size_t why_cap);
int vsource_width(const struct vsource *s);
/* 1 when s paces itself (a camera: next waits for the device), 0 when the
 * caller must pace it (pattern, file). */
int vsource_is_live(const struct vsource *s);
int vsource_height(const struct vsource *s);

/* Closes s; NULL is a no-op. */
void vsource_close(struct vsource *s);

#endif
