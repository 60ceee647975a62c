/* vsrc_base.h: what every video source type shares: the operations table,
 * the head of an open source, its parameters and two helpers (defaults,
 * stamping). Below vsource.c (which picks a type) and the types
 * (vsrc_pattern.c, vsrc_y4m.c, vsrc_v4l2.c), so neither calls the other.
 * See vsource.h for the contract. */
#ifndef CLIENT_MEDIA_VSRC_BASE_H
#define CLIENT_MEDIA_VSRC_BASE_H

#include <stddef.h>

#include "vframe.h"

#define VSOURCE_WHY_MAX 320 /* enough for a path and a reason */

struct vsource_params {
    int width, height; /* pictures handed out; 0 x 0 = 640 x 480 */
    int fps;           /* 0 = 30; only used for the nominal capture time */
};

struct vsource;

struct vsource_ops {
    const char *name;
    /* Whether this type takes spec. */
    int (*matches)(const char *spec);
    /* 0 and *out, or a VM_E_* with why filled. */
    int (*open)(struct vsource **out, const char *spec, const struct vsource_params *p,
                char *why, size_t why_cap);
    /* Fills pic (allocated by the caller at the source's size): 0 or a VM_E_*
     * with why filled. */
    int (*next)(struct vsource *s, struct vframe *pic, char *why, size_t why_cap);
    void (*close)(struct vsource *s);
    /* 1 for a device that gives pictures at its own pace (a camera): next
     * blocks until the device has one, so the capture thread must not pace
     * it; 0 (the default of a table that omits it) for a file or synthetic
     * source that answers at once and is paced by its caller. */
    int live;
};

struct vsource {
    const struct vsource_ops *ops;
    struct vsource_params p; /* resolved (no zeros) */
    unsigned long next_index;
};

/* The source types, one table each (vsrc_pattern.c, vsrc_y4m.c,
 * vsrc_v4l2.c). */
extern const struct vsource_ops vsrc_pattern_ops;
extern const struct vsource_ops vsrc_y4m_ops;
extern const struct vsource_ops vsrc_v4l2_ops;

/* For the source types: resolves zeros in p to defaults, checks sizes.
 * 0 or VM_E_ARG with why. */
int vsrc_params_resolve(struct vsource_params *out, const struct vsource_params *p,
                           char *why, size_t why_cap);
/* For the source types: stamps pic with the next index and nominal time. */
void vsrc_stamp(struct vsource *s, struct vframe *pic);

#endif
