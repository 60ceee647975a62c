/* vsrc_base.c: the helpers every video source type shares (vsrc_base.h):
 * default parameters and the nominal index and time of each picture. */
#include <stdio.h>

#include "vsrc_base.h"
#include "i18n.h"

int vsrc_params_resolve(struct vsource_params *out, const struct vsource_params *p,
                           char *why, size_t why_cap)
{
    struct vsource_params d = {0};
    if (p)
        d = *p;
    if (!d.width && !d.height) {
        d.width = 640;
        d.height = 480;
    }
    if (!d.fps)
        d.fps = 30;
    if (d.width < 2 || d.height < 2 || d.width > VFRAME_MAX_SIDE ||
        d.height > VFRAME_MAX_SIDE || (d.width & 1) || (d.height & 1)) {
        snprintf(why, why_cap, _("taille vidéo %dx%d : chaque côté doit être pair, de 2 à %d"), d.width,
                 d.height, VFRAME_MAX_SIDE);
        return VM_E_ARG;
    }
    if (d.fps < 1 || d.fps > 120) {
        snprintf(why, why_cap, _("cadence vidéo %d : elle doit être de 1 à 120 images par seconde"), d.fps);
        return VM_E_ARG;
    }
    *out = d;
    return VM_OK;
}

void vsrc_stamp(struct vsource *s, struct vframe *pic)
{
    pic->index = (uint32_t)s->next_index;
    pic->capture_us = (int64_t)s->next_index * 1000000 / s->p.fps;
    s->next_index++;
}
