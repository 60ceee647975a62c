/* vy4m.c: the YUV4MPEG2 headers, parsed purely and bounded (vy4m.h).
 * Numbers are read digit by digit with a cap, never with atoi or strtol on
 * unterminated bytes. */
#include <stdio.h>
#include <string.h>

#include "vframe.h"
#include "vy4m.h"
#include "i18n.h"

#define MAGIC "YUV4MPEG2"

/* Reads decimal digits from p..end into *v (at most 9 digits). Returns
 * the position after them, or NULL if none or too many. */
static const char *read_uint(const char *p, const char *end, long *v)
{
    long n = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (++digits > 9)
            return NULL;
        n = n * 10 + (*p++ - '0');
    }
    if (!digits)
        return NULL;
    *v = n;
    return p;
}

static int tag_is(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) == n && memcmp(p, word, n) == 0;
}

int vy4m_header_parse(const char *buf, size_t len, struct vy4m_header *h, const char **why)
{
    memset(h, 0, sizeof *h);
    size_t m = strlen(MAGIC);
    if (len < m || memcmp(buf, MAGIC, m) != 0) {
        *why = _("ce n'est pas un fichier YUV4MPEG2 (il ne commence pas par « YUV4MPEG2 »)");
        return VM_E_FORMAT;
    }
    size_t lim = len < VY4M_HEADER_MAX ? len : VY4M_HEADER_MAX;
    const char *nl = memchr(buf, '\n', lim);
    if (!nl) {
        *why = _("l'en-tête YUV4MPEG2 n'a pas de fin de ligne dans ses 512 premiers octets");
        return VM_E_FORMAT;
    }
    long w = -1, hh = -1, fn = -1, fd = -1;
    int colour_ok = 1;
    const char *p = buf + m, *end = nl;
    while (p < end) {
        if (*p != ' ') {
            *why = _("en-tête YUV4MPEG2 : les champs doivent être séparés par une espace");
            return VM_E_FORMAT;
        }
        p++;
        const char *t = p;
        while (p < end && *p != ' ')
            p++;
        if (t == p)
            continue; /* a trailing space */
        const char *q;
        switch (*t) {
        case 'W':
            if (!(q = read_uint(t + 1, p, &w)) || q != p) {
                *why = _("en-tête YUV4MPEG2 : W (largeur) n'est pas un nombre");
                return VM_E_FORMAT;
            }
            break;
        case 'H':
            if (!(q = read_uint(t + 1, p, &hh)) || q != p) {
                *why = _("en-tête YUV4MPEG2 : H (hauteur) n'est pas un nombre");
                return VM_E_FORMAT;
            }
            break;
        case 'F':
            if (!(q = read_uint(t + 1, p, &fn)) || q >= p || *q != ':' ||
                !(q = read_uint(q + 1, p, &fd)) || q != p) {
                *why = _("en-tête YUV4MPEG2 : F (cadence) n'est pas de la forme num:den");
                return VM_E_FORMAT;
            }
            break;
        case 'C':
            colour_ok = tag_is(t + 1, p, "420") || tag_is(t + 1, p, "420jpeg") ||
                        tag_is(t + 1, p, "420paldv") || tag_is(t + 1, p, "420mpeg2");
            if (!colour_ok) {
                *why = _("en-tête YUV4MPEG2 : l'espace de couleurs (C) n'est pas du 4:2:0 sur 8 bits (420, 420jpeg, 420paldv ou 420mpeg2)");
                return VM_E_FORMAT;
            }
            break;
        case 'I': case 'A': case 'X':
            break; /* interlacing, aspect and comments do not change the bytes */
        default:
            *why = _("en-tête YUV4MPEG2 : champ inconnu");
            return VM_E_FORMAT;
        }
    }
    if (w < 0 || hh < 0) {
        *why = _("en-tête YUV4MPEG2 : il manque W ou H (la taille)");
        return VM_E_FORMAT;
    }
    if (w < 1 || hh < 1 || w > VFRAME_MAX_SIDE || hh > VFRAME_MAX_SIDE ||
        w * hh > VFRAME_MAX_PIXELS) {
        *why = _("en-tête YUV4MPEG2 : la taille est nulle ou dépasse 4096x4096");
        return VM_E_FORMAT;
    }
    if (fn < 0) {
        *why = _("en-tête YUV4MPEG2 : il manque F (la cadence)");
        return VM_E_FORMAT;
    }
    if (fn < 1 || fd < 1) {
        *why = _("en-tête YUV4MPEG2 : F (la cadence) contient un zéro");
        return VM_E_FORMAT;
    }
    h->width = (int)w;
    h->height = (int)hh;
    h->fps_num = (int)fn;
    h->fps_den = (int)fd;
    h->header_len = (size_t)(nl - buf) + 1;
    size_t cw = (size_t)vframe_half((int)w), ch = (size_t)vframe_half((int)hh);
    h->frame_len = (size_t)w * (size_t)hh + 2 * cw * ch;
    return VM_OK;
}

int vy4m_frame_header_len(const char *buf, size_t len, size_t *out, const char **why)
{
    if (len < 5 || memcmp(buf, "FRAME", 5) != 0 || (len > 5 && buf[5] != '\n' && buf[5] != ' ')) {
        *why = _("l'image ne commence pas par « FRAME »");
        return VM_E_FORMAT;
    }
    size_t lim = len < VY4M_HEADER_MAX ? len : VY4M_HEADER_MAX;
    const char *nl = memchr(buf, '\n', lim);
    if (!nl) {
        *why = _("l'en-tête de l'image n'a pas de fin de ligne");
        return VM_E_FORMAT;
    }
    *out = (size_t)(nl - buf) + 1;
    return VM_OK;
}

int vy4m_header_write(char *out, size_t cap, int width, int height, int fps_num, int fps_den)
{
    int n = snprintf(out, cap, MAGIC " W%d H%d F%d:%d Ip A1:1 C420jpeg\n", width, height,
                     fps_num, fps_den);
    if (n < 0 || (size_t)n >= cap)
        return VM_E_ARG;
    return n;
}
