/* vsrc_pattern.c: the synthetic test pattern source ("pattern"). Eight
 * colour bars over a striped luma ramp, both moving 2 pixels left per frame, and
 * the frame index drawn as big seven-segment digits in a black box at the
 * top left, so a person watching and a PSNR check both see which sent
 * frame a received one is.
 *
 * Owns: nothing but its head. Must never: read a clock or a file; every
 * picture depends on its index alone (the same index gives the same
 * pixels), which is what makes sent and received files comparable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsrc_base.h"
#include "i18n.h"

#define STEP 2        /* pixels moved per frame; even keeps chroma aligned */
#define DIGITS 6      /* frame counter 000000..999999 */

struct vsrc_pattern {
    struct vsource head;
};

/* 75 % colour bars (white, yellow, cyan, green, magenta, red, blue, black)
 * in video-range BT.601 Y, U, V: a table of constants, not a conversion. */
static const uint8_t bars[8][3] = {
    {180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
    {84, 184, 198},  {65, 100, 212}, {35, 212, 114}, {16, 128, 128},
};

/* Segments a..g of each digit (bit 0 = a, top; clockwise; g = middle). */
static const uint8_t seg_of_digit[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
                                         0x6d, 0x7d, 0x07, 0x7f, 0x6f};

static void fill_y(struct vframe *f, int x, int y, int w, int h, uint8_t value)
{
    if (x < 0) {
        w += x;
        x = 0;
    }
    if (y < 0) {
        h += y;
        y = 0;
    }
    if (x + w > f->width)
        w = f->width - x;
    if (y + h > f->height)
        h = f->height - y;
    for (int r = 0; r < h; r++)
        memset(f->y + (size_t)(y + r) * f->stride_y + x, value, (size_t)(w > 0 ? w : 0));
}

/* One digit with its top-left corner at (x, y), dw wide, dh tall, strokes t thick. */
static void draw_digit(struct vframe *f, int x, int y, int dw, int dh, int t, int digit)
{
    uint8_t s = seg_of_digit[digit];
    int mid = y + (dh - t) / 2;
    if (s & 0x01) fill_y(f, x, y, dw, t, 235);                        /* a */
    if (s & 0x02) fill_y(f, x + dw - t, y, t, dh / 2, 235);           /* b */
    if (s & 0x04) fill_y(f, x + dw - t, y + dh / 2, t, dh - dh / 2, 235); /* c */
    if (s & 0x08) fill_y(f, x, y + dh - t, dw, t, 235);               /* d */
    if (s & 0x10) fill_y(f, x, y + dh / 2, t, dh - dh / 2, 235);      /* e */
    if (s & 0x20) fill_y(f, x, y, t, dh / 2, 235);                    /* f */
    if (s & 0x40) fill_y(f, x, mid, dw, t, 235);                      /* g */
}

static void draw_counter(struct vframe *f, uint32_t index)
{
    int dh = f->height / 6 & ~1, dw = dh / 2 & ~1, t = dh / 9 > 2 ? dh / 9 : 2;
    int gap = dw / 3 + 2, pad = t;
    if (dh < 10)
        return; /* too small to be legible */
    int box_w = DIGITS * (dw + gap) - gap + 2 * pad, box_h = dh + 2 * pad;
    fill_y(f, 0, 0, box_w, box_h, 16);
    /* Neutral chroma under the box: white digits on black whatever the bars. */
    int cw = vframe_half(box_w < f->width ? box_w : f->width);
    int ch = vframe_half(box_h < f->height ? box_h : f->height);
    for (int r = 0; r < ch; r++) {
        memset(f->u + (size_t)r * f->stride_uv, 128, (size_t)cw);
        memset(f->v + (size_t)r * f->stride_uv, 128, (size_t)cw);
    }
    uint32_t n = index;
    for (int i = DIGITS - 1; i >= 0; i--, n /= 10)
        draw_digit(f, pad + i * (dw + gap), pad, dw, dh, t, (int)(n % 10));
}

/* The lower band: a grey ramp under diagonal stripes (a triangle wave of
 * period 24 px, +-40 levels), so the encoder has real detail and motion to
 * code, as from a camera, not only flat bars. */
static uint8_t ramp(unsigned px, unsigned y, int w)
{
    int base = 40 + (int)(px * 175 / (unsigned)w);
    int t = (int)((px + y) % 24);
    int stripe = (t < 12 ? t : 24 - t) * 80 / 12 - 40;
    int v = base + stripe;
    return (uint8_t)(v < 16 ? 16 : v > 235 ? 235 : v);
}

static void pattern_draw(struct vframe *f, uint32_t index)
{
    int w = f->width, h = f->height, cw = vframe_half(w), ch = vframe_half(h);
    unsigned shift = (unsigned)index * STEP;
    int ramp_top = h * 3 / 4; /* bars above, a grey ramp below */
    for (int y = 0; y < h; y++) {
        uint8_t *row = f->y + (size_t)y * f->stride_y;
        for (int x = 0; x < w; x++) {
            unsigned px = ((unsigned)x + shift) % (unsigned)w;
            row[x] = y < ramp_top ? bars[px * 8 / (unsigned)w][0] : ramp(px, (unsigned)y, w);
        }
    }
    for (int y = 0; y < ch; y++) {
        uint8_t *ru = f->u + (size_t)y * f->stride_uv, *rv = f->v + (size_t)y * f->stride_uv;
        for (int x = 0; x < cw; x++) {
            unsigned px = ((unsigned)x * 2 + shift) % (unsigned)w;
            int bar = y * 2 < ramp_top;
            ru[x] = bar ? bars[px * 8 / (unsigned)w][1] : 128;
            rv[x] = bar ? bars[px * 8 / (unsigned)w][2] : 128;
        }
    }
    draw_counter(f, index);
}

static int pattern_matches(const char *spec)
{
    return strcmp(spec, "pattern") == 0;
}

static int pattern_open(struct vsource **out, const char *spec, const struct vsource_params *p,
                        char *why, size_t why_cap)
{
    (void)spec;
    struct vsource_params r;
    int rc = vsrc_params_resolve(&r, p, why, why_cap);
    if (rc)
        return rc;
    struct vsrc_pattern *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante pour la mire de test"));
        return VM_E_NOMEM;
    }
    s->head.ops = &vsrc_pattern_ops;
    s->head.p = r;
    *out = &s->head;
    return VM_OK;
}

static int pattern_next(struct vsource *s, struct vframe *pic, char *why, size_t why_cap)
{
    (void)why;
    (void)why_cap;
    vsrc_stamp(s, pic);
    pattern_draw(pic, pic->index);
    return VM_OK;
}

static void pattern_close(struct vsource *s)
{
    free(s);
}

const struct vsource_ops vsrc_pattern_ops = {
    .name = "pattern",
    .matches = pattern_matches,
    .open = pattern_open,
    .next = pattern_next,
    .close = pattern_close,
};
