/* vsource.c: chooses a source type from a spec and forwards calls to its
 * table (vsource.h). Knows the list of types; nothing about pixels. */
#include <stdio.h>
#include <string.h>

#include "vsource.h"
#include "i18n.h"

static const struct vsource_ops *const types[] = {&vsrc_pattern_ops, &vsrc_y4m_ops,
                                                  &vsrc_v4l2_ops};

int vsource_open(struct vsource **out, const char *spec, const struct vsource_params *p,
                 char *why, size_t why_cap)
{
    *out = NULL;
    for (size_t i = 0; spec && i < sizeof types / sizeof types[0]; i++)
        if (types[i]->matches(spec))
            return types[i]->open(out, spec, p, why, why_cap);
    snprintf(why, why_cap, _("source vidéo inconnue « %s » : choisissez pattern (mire de test), un fichier .y4m ou une caméra /dev/videoN"),
             spec ? spec : "");
    return VM_E_ARG;
}

int vsource_next(struct vsource *s, struct vframe *pic, char *why, size_t why_cap)
{
    if (!pic->mem || pic->width != s->p.width || pic->height != s->p.height) {
        snprintf(why, why_cap, _("l'image ne fait pas %dx%d, la taille de la source %s"), s->p.width,
                 s->p.height, s->ops->name);
        return VM_E_ARG;
    }
    return s->ops->next(s, pic, why, why_cap);
}

int vsource_width(const struct vsource *s)
{
    return s->p.width;
}

int vsource_is_live(const struct vsource *s)
{
    return s->ops->live;
}

int vsource_height(const struct vsource *s)
{
    return s->p.height;
}

void vsource_close(struct vsource *s)
{
    if (s)
        s->ops->close(s);
}
