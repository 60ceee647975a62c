/* vy4m.c: the YUV4MPEG2 headers, parsed purely and bounded (vy4m.h).
 * Numbers are read digit by digit with a cap, never with atoi or strtol on
 * unterminated bytes. */
#include <stdio.h>
#include <string.h>

#include "vframe.h"
#include "vy4m.h"

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
        *why = "not a YUV4MPEG2 file (it does not start with \"YUV4MPEG2\")";
        return VM_E_FORMAT;
    }
    size_t lim = len < VY4M_HEADER_MAX ? len : VY4M_HEADER_MAX;
    const char *nl = memchr(buf, '\n', lim);
    if (!nl) {
        *why = "YUV4MPEG2 header has no end of line within 512 bytes";
        return VM_E_FORMAT;
    }
    long w = -1, hh = -1, fn = -1, fd = -1;
    int colour_ok = 1;
    const char *p = buf + m, *end = nl;
    while (p < end) {
        if (*p != ' ') {
            *why = "YUV4MPEG2 header: tags must be separated by one space";
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
                *why = "YUV4MPEG2 header: W (width) is not a number";
                return VM_E_FORMAT;
            }
            break;
        case 'H':
            if (!(q = read_uint(t + 1, p, &hh)) || q != p) {
                *why = "YUV4MPEG2 header: H (height) is not a number";
                return VM_E_FORMAT;
            }
            break;
        case 'F':
            if (!(q = read_uint(t + 1, p, &fn)) || q >= p || *q != ':' ||
                !(q = read_uint(q + 1, p, &fd)) || q != p) {
                *why = "YUV4MPEG2 header: F (frame rate) is not num:den";
                return VM_E_FORMAT;
            }
            break;
        case 'C':
            colour_ok = tag_is(t + 1, p, "420") || tag_is(t + 1, p, "420jpeg") ||
                        tag_is(t + 1, p, "420paldv") || tag_is(t + 1, p, "420mpeg2");
            if (!colour_ok) {
                *why = "YUV4MPEG2 header: colour space (C) is not 8-bit 4:2:0 "
                       "(420, 420jpeg, 420paldv or 420mpeg2)";
                return VM_E_FORMAT;
            }
            break;
        case 'I': case 'A': case 'X':
            break; /* interlacing, aspect and comments do not change the bytes */
        default:
            *why = "YUV4MPEG2 header: unknown tag";
            return VM_E_FORMAT;
        }
    }
    if (w < 0 || hh < 0) {
        *why = "YUV4MPEG2 header: W or H (size) is missing";
        return VM_E_FORMAT;
    }
    if (w < 1 || hh < 1 || w > VFRAME_MAX_SIDE || hh > VFRAME_MAX_SIDE ||
        w * hh > VFRAME_MAX_PIXELS) {
        *why = "YUV4MPEG2 header: size is zero or larger than 4096x4096";
        return VM_E_FORMAT;
    }
    if (fn < 0) {
        *why = "YUV4MPEG2 header: F (frame rate) is missing";
        return VM_E_FORMAT;
    }
    if (fn < 1 || fd < 1) {
        *why = "YUV4MPEG2 header: F (frame rate) has a zero";
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
        *why = "frame does not start with \"FRAME\"";
        return VM_E_FORMAT;
    }
    size_t lim = len < VY4M_HEADER_MAX ? len : VY4M_HEADER_MAX;
    const char *nl = memchr(buf, '\n', lim);
    if (!nl) {
        *why = "frame header has no end of line";
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
