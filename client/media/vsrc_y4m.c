/* vsrc_y4m.c: the .y4m file source: a YUV4MPEG2 file read frame by frame,
 * looped at its end, scaled to the size asked for with libyuv.
 *
 * A truncated last frame is an error naming the file and the frame (counted
 * from 0 in the file), not skipped: a partial frame means a damaged copy or
 * a file still being written, and looping silently over it would hide that
 * from the person who chose the file. A file with no frame is an error too.
 *
 * Owns: the FILE, one picture of the file's size. Must never: accept a
 * header vy4m_header_parse refuses, or read more than one frame ahead. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrc_base.h"
#include "vy4m.h"
#include "i18n.h"

struct vsrc_y4m {
    struct vsource head;
    FILE *f;
    char *path;
    struct vy4m_header hdr;
    long data_start;       /* offset of the first FRAME */
    unsigned long in_file; /* frame number within the file, from 0 */
    struct vframe pic;     /* the file's size, packed as the file is */
};

static int y4m_matches(const char *spec)
{
    size_t n = strlen(spec);
    return n > 4 && strcmp(spec + n - 4, ".y4m") == 0;
}

static void y4m_close(struct vsource *s)
{
    struct vsrc_y4m *y = (struct vsrc_y4m *)s;
    if (!y)
        return;
    if (y->f)
        fclose(y->f);
    vframe_free(&y->pic);
    free(y->path);
    free(y);
}

static int y4m_open(struct vsource **out, const char *spec, const struct vsource_params *p,
                    char *why, size_t why_cap)
{
    struct vsource_params r;
    int rc = vsrc_params_resolve(&r, p, why, why_cap);
    if (rc)
        return rc;
    struct vsrc_y4m *y = calloc(1, sizeof *y);
    if (!y || !(y->path = strdup(spec))) {
        free(y);
        snprintf(why, why_cap, _("%s : mémoire insuffisante"), spec);
        return VM_E_NOMEM;
    }
    y->head.ops = &vsrc_y4m_ops;
    y->head.p = r;
    y->f = fopen(spec, "rb");
    if (!y->f) {
        snprintf(why, why_cap, _("%s : impossible d'ouvrir le fichier : %s"), spec, i18n_strerror(errno));
        rc = VM_E_IO;
        goto fail;
    }
    char buf[VY4M_HEADER_MAX];
    size_t n = fread(buf, 1, sizeof buf, y->f);
    const char *reason;
    if ((rc = vy4m_header_parse(buf, n, &y->hdr, &reason)) != VM_OK) {
        snprintf(why, why_cap, _("%s : %s"), spec, reason);
        goto fail;
    }
    y->data_start = (long)y->hdr.header_len;
    if (fseek(y->f, y->data_start, SEEK_SET) != 0) {
        snprintf(why, why_cap, _("%s : impossible de se déplacer dans le fichier : %s"), spec, i18n_strerror(errno));
        rc = VM_E_IO;
        goto fail;
    }
    /* The planes are read straight into a packed picture: the file's layout. */
    if ((rc = vframe_alloc(&y->pic, y->hdr.width, y->hdr.height)) != VM_OK) {
        snprintf(why, why_cap, _("%s : mémoire insuffisante pour une image %dx%d"), spec, y->hdr.width,
                 y->hdr.height);
        goto fail;
    }
    *out = &y->head;
    return VM_OK;
fail:
    y4m_close(&y->head);
    return rc;
}

/* Reads one frame header line; 1 read, 0 clean end of file, <0 error. */
static int read_frame_header(struct vsrc_y4m *y, char *why, size_t why_cap)
{
    char line[VY4M_HEADER_MAX];
    size_t n = 0;
    int c;
    while (n < sizeof line && (c = getc(y->f)) != EOF) {
        line[n++] = (char)c;
        if (c == '\n')
            break;
    }
    if (n == 0 && feof(y->f))
        return 0;
    size_t hl;
    const char *reason;
    if (vy4m_frame_header_len(line, n, &hl, &reason) != VM_OK || hl != n) {
        snprintf(why, why_cap, _("%s : image %lu : %s"), y->path, y->in_file,
                 feof(y->f) ? _("tronquée (le fichier s'arrête dans son en-tête)") : reason);
        return VM_E_FORMAT;
    }
    return 1;
}

static int y4m_next(struct vsource *s, struct vframe *pic, char *why, size_t why_cap)
{
    struct vsrc_y4m *y = (struct vsrc_y4m *)s;
    int rc = read_frame_header(y, why, why_cap);
    if (rc == 0) {
        if (y->in_file == 0) {
            snprintf(why, why_cap, _("%s : le fichier ne contient aucune image"), y->path);
            return VM_E_FORMAT;
        }
        /* Loop: back to the first frame. */
        if (fseek(y->f, y->data_start, SEEK_SET) != 0) {
            snprintf(why, why_cap, _("%s : impossible de revenir au début pour reboucler : %s"), y->path,
                     i18n_strerror(errno));
            return VM_E_IO;
        }
        clearerr(y->f);
        y->in_file = 0;
        rc = read_frame_header(y, why, why_cap);
        if (rc == 0) {
            snprintf(why, why_cap, _("%s : le fichier a raccourci pendant la lecture"), y->path);
            return VM_E_IO;
        }
    }
    if (rc < 0)
        return rc;
    size_t got = fread(y->pic.mem, 1, y->hdr.frame_len, y->f);
    if (got != y->hdr.frame_len) {
        if (ferror(y->f))
            snprintf(why, why_cap, _("%s : image %lu : erreur de lecture : %s"), y->path, y->in_file,
                     i18n_strerror(errno));
        else
            snprintf(why, why_cap, _("%s : l'image %lu est tronquée (%zu octets sur %zu)"), y->path,
                     y->in_file, got, y->hdr.frame_len);
        return ferror(y->f) ? VM_E_IO : VM_E_FORMAT;
    }
    y->in_file++;
    if (vframe_scale(pic, &y->pic) != VM_OK) {
        snprintf(why, why_cap, _("%s : impossible de mettre une image %dx%d à la taille %dx%d"), y->path, y->pic.width,
                 y->pic.height, pic->width, pic->height);
        return VM_E_ARG;
    }
    vsrc_stamp(s, pic);
    return VM_OK;
}

const struct vsource_ops vsrc_y4m_ops = {
    .name = "y4m",
    .matches = y4m_matches,
    .open = y4m_open,
    .next = y4m_next,
    .close = y4m_close,
};
