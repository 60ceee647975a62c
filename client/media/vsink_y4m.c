/* vsink_y4m.c: the .y4m file sink (vsink_y4m.h). Keeps the last written
 * picture to fill gaps; pictures are written row by row because the
 * caller's strides need not be packed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsink_y4m.h"
#include "vy4m.h"
#include "i18n.h"

struct vsink_y4m {
    FILE *f;
    char *path;
    struct vframe last;    /* the last written picture, the sink's size */
    unsigned long next;    /* the position the next picture fills */
    struct vsink_y4m_stats st;
};

int vsink_y4m_open(struct vsink_y4m **out, const char *path, int width, int height,
                   int fps_num, int fps_den, char *why, size_t why_cap)
{
    *out = NULL;
    if (width < 2 || height < 2 || width > VFRAME_MAX_SIDE || height > VFRAME_MAX_SIDE ||
        (width & 1) || (height & 1) || fps_num < 1 || fps_den < 1) {
        snprintf(why, why_cap, _("%s : taille %dx%d ou cadence %d:%d impossible pour un fichier y4m"), path, width,
                 height, fps_num, fps_den);
        return VM_E_ARG;
    }
    int rc = VM_E_NOMEM;
    struct vsink_y4m *k = calloc(1, sizeof *k);
    if (!k || !(k->path = strdup(path)) || vframe_alloc(&k->last, width, height) != VM_OK) {
        snprintf(why, why_cap, _("%s : mémoire insuffisante"), path);
        goto fail;
    }
    k->f = fopen(path, "wb");
    if (!k->f) {
        snprintf(why, why_cap, _("%s : impossible de créer le fichier : %s"), path, i18n_strerror(errno));
        rc = VM_E_IO;
        goto fail;
    }
    char hdr[128];
    int n = vy4m_header_write(hdr, sizeof hdr, width, height, fps_num, fps_den);
    if (n < 0 || fwrite(hdr, 1, (size_t)n, k->f) != (size_t)n) {
        snprintf(why, why_cap, _("%s : impossible d'écrire l'en-tête : %s"), path, i18n_strerror(errno));
        rc = VM_E_IO;
        goto fail;
    }
    *out = k;
    return VM_OK;
fail:
    if (k) {
        if (k->f)
            fclose(k->f);
        vframe_free(&k->last);
        free(k->path);
        free(k);
    }
    return rc;
}

static int put_plane(FILE *f, const uint8_t *p, int stride, int w, int h)
{
    for (int r = 0; r < h; r++)
        if (fwrite(p + (size_t)r * stride, 1, (size_t)w, f) != (size_t)w)
            return -1;
    return 0;
}

static int put_frame(struct vsink_y4m *k, char *why, size_t why_cap)
{
    const struct vframe *p = &k->last;
    int cw = vframe_half(p->width), ch = vframe_half(p->height);
    if (fwrite("FRAME\n", 1, 6, k->f) != 6 ||
        put_plane(k->f, p->y, p->stride_y, p->width, p->height) ||
        put_plane(k->f, p->u, p->stride_uv, cw, ch) || put_plane(k->f, p->v, p->stride_uv, cw, ch)) {
        snprintf(why, why_cap, _("%s : l'écriture a échoué à l'image %lu : %s"), k->path, k->next,
                 i18n_strerror(errno));
        return VM_E_IO;
    }
    k->next++;
    k->st.written++;
    return VM_OK;
}

int vsink_y4m_write(struct vsink_y4m *k, const struct vframe *pic, char *why, size_t why_cap)
{
    if (pic->index < k->next) {
        k->st.ignored++;
        return VM_OK;
    }
    unsigned long gap = pic->index - k->next;
    if (gap > VSINK_Y4M_MAX_GAP) {
        snprintf(why, why_cap, _("%s : l'image %lu laisserait un trou de %lu images (%d au plus)"),
                 k->path, (unsigned long)pic->index, gap, VSINK_Y4M_MAX_GAP);
        return VM_E_ARG;
    }
    /* Before the first picture there is nothing to repeat: the first one
     * fills the positions it missed. */
    if (k->next == 0 && k->st.written == 0 && vframe_scale(&k->last, pic) != VM_OK) {
        snprintf(why, why_cap, _("%s : impossible de mettre à la taille une image %dx%d"), k->path, pic->width,
                 pic->height);
        return VM_E_ARG;
    }
    for (unsigned long i = 0; i < gap; i++) {
        int rc = put_frame(k, why, why_cap);
        if (rc)
            return rc;
        k->st.repeated++;
    }
    if (vframe_scale(&k->last, pic) != VM_OK) {
        snprintf(why, why_cap, _("%s : impossible de mettre à la taille une image %dx%d"), k->path, pic->width,
                 pic->height);
        return VM_E_ARG;
    }
    return put_frame(k, why, why_cap);
}

void vsink_y4m_stats(const struct vsink_y4m *k, struct vsink_y4m_stats *out)
{
    *out = k->st;
}

int vsink_y4m_close(struct vsink_y4m *k, char *why, size_t why_cap)
{
    if (!k)
        return VM_OK;
    int rc = VM_OK;
    if (fclose(k->f) != 0) {
        snprintf(why, why_cap, _("%s : la fermeture a échoué : %s"), k->path, i18n_strerror(errno));
        rc = VM_E_IO;
    }
    vframe_free(&k->last);
    free(k->path);
    free(k);
    return rc;
}
