/* layout.c: where everything goes in the room's window (see layout.h). */
#include "layout.h"

int ui_px_of_pt(int pt)
{
    return (pt * 4 + 1) / 3;
}

int ui_rect_overlap(struct ui_rect a, struct ui_rect b)
{
    if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0)
        return 0;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

int ui_rect_inside(struct ui_rect a, struct ui_rect b)
{
    return a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;
}

int ui_rect_has(struct ui_rect r, int x, int y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

static struct ui_rect rect(int x, int y, int w, int h)
{
    struct ui_rect r = {x, y, w > 0 ? w : 0, h > 0 ? h : 0};
    return r;
}

/* Buttons of text widths tw (plus padding) flowed into rows of width
 * avail, gap apart: how many rows. */
static int count_rows(const int *tw, int n, int avail, int pad)
{
    int rows = n ? 1 : 0, x = 0;
    for (int i = 0; i < n; i++) {
        int w = tw[i] + 2 * pad;
        if (w > avail)
            w = avail;
        if (x && x + pad + w > avail) {
            rows++;
            x = 0;
        }
        x += (x ? pad : 0) + w;
    }
    return rows;
}

/* Places the buttons row by row from (x0, y0), each row centred in avail. */
static void place_rows(const int *tw, int n, int x0, int y0, int avail, int pad, int bh,
                       struct ui_rect *out)
{
    int i = 0, y = y0;
    while (i < n) {
        int j = i, x = 0;
        for (; j < n; j++) { /* the buttons of this row: i..j-1 */
            int w = tw[j] + 2 * pad > avail ? avail : tw[j] + 2 * pad;
            if (x && x + pad + w > avail)
                break;
            x += (x ? pad : 0) + w;
        }
        int left = x0 + (avail - x) / 2;
        for (int k = i; k < j; k++) {
            int w = tw[k] + 2 * pad > avail ? avail : tw[k] + 2 * pad;
            out[k] = rect(left, y, w, bh);
            left += w + pad;
        }
        y += bh + pad;
        i = j;
    }
}

/* The largest rectangle of aspect pw:ph (4:3 when unknown) centred in r. */
static struct ui_rect fit(struct ui_rect r, int pw, int ph)
{
    if (pw <= 0 || ph <= 0)
        pw = 4, ph = 3;
    int w = r.w, h = (int)((long)r.w * ph / pw);
    if (h > r.h) {
        h = r.h;
        w = (int)((long)r.h * pw / ph);
    }
    return rect(r.x + (r.w - w) / 2, r.y + (r.h - h) / 2, w, h);
}

void ui_layout(const struct ui_layout_in *in, struct ui_layout *o)
{
    *o = (struct ui_layout){0};
    int pt = in->text_pt < UI_TEXT_MIN_PT   ? UI_TEXT_MIN_PT
             : in->text_pt > UI_TEXT_MAX_PT ? UI_TEXT_MAX_PT
                                            : in->text_pt;
    int W = in->win_w > 0 ? in->win_w : 1, H = in->win_h > 0 ? in->win_h : 1;
    o->px = ui_px_of_pt(pt);
    o->line_h = o->px * 5 / 4 + 2; /* DejaVu's line skip is 1.17 of its size */
    o->big_px = o->px * 8 / 5;
    o->big_line_h = o->big_px * 9 / 8 + 2; /* digits: no room kept for descenders */
    o->pad = o->px / 4 > 6 ? o->px / 4 : 6;
    o->btn_h = o->line_h + o->pad;
    int pad = o->pad, avail = W - 2 * pad > 1 ? W - 2 * pad : 1;
    int nstatus = in->nstatus < 0 ? 0 : in->nstatus > UI_STATUS_MAX ? UI_STATUS_MAX : in->nstatus;
    int nbar = in->nbar < 0 ? 0 : in->nbar > UI_BUTTONS_MAX ? UI_BUTTONS_MAX : in->nbar;
    int npb = in->npanel_btn < 0                ? 0
              : in->npanel_btn > UI_BUTTONS_MAX ? UI_BUTTONS_MAX
                                                : in->npanel_btn;

    int y = pad;
    for (int i = 0; i < nstatus; i++, y += o->line_h)
        o->status[i] = rect(pad, y, avail, o->line_h);
    if (nstatus)
        y += pad / 2;

    /* The bar, from the bottom: long labels on one row, else short ones. */
    /* Long labels on one row, or on two while the pictures keep almost half
     * of the height; else the short ones. */
    int long_rows = count_rows(in->bar_long_w, nbar, avail, pad);
    int long_top = H - pad - long_rows * o->btn_h - (long_rows - 1) * pad;
    o->bar_short = long_rows > 2 ||
                   (long_rows == 2 && long_top - pad - 2 * o->line_h - y < H * 45 / 100);
    const int *bw = o->bar_short ? in->bar_short_w : in->bar_long_w;
    int rows = count_rows(bw, nbar, avail, pad);
    int bar_top = rows ? H - pad - rows * o->btn_h - (rows - 1) * pad : H - pad;
    place_rows(bw, nbar, pad, bar_top, avail, pad, o->btn_h, o->bar);

    /* Captions just above the bar; the pictures between the status and them. */
    int cap_y = bar_top - pad / 2 - o->line_h;
    o->video = rect(pad, y, avail, cap_y - pad / 2 - y);
    if (o->video.h >= 2 * o->line_h) {
        o->remote = fit(o->video, in->remote_w, in->remote_h);
        int sw = o->video.w / 4 < 96 ? 96 : o->video.w / 4 > 360 ? 360 : o->video.w / 4;
        struct ui_rect box = rect(0, 0, sw, o->video.h / 3);
        struct ui_rect s = fit(box, in->self_w, in->self_h);
        int m = pad / 2;
        o->self = rect(o->video.x + o->video.w - s.w - m, o->video.y + o->video.h - s.h - m, s.w,
                       s.h);
    }

    o->has_panel = in->panel_title || in->panel_big || in->panel_text || npb;
    if (!o->has_panel) {
        if (cap_y >= y) {
            int left = avail * 3 / 5;
            o->cap_remote = rect(pad, cap_y, left - pad / 2, o->line_h);
            o->cap_self = rect(pad + left + pad / 2, cap_y, avail - left - pad / 2, o->line_h);
        }
        return;
    }
    /* The panel, centred over the pictures and their captions. */
    struct ui_rect area = rect(pad, y, avail, bar_top - pad / 2 - y);
    int pw = avail < o->px * 30 ? avail : o->px * 30, inner = pw - 2 * pad;
    int title_h = in->panel_title ? o->line_h : 0, big_h = in->panel_big ? o->big_line_h : 0;
    int text_h = (in->panel_text < 0 ? 0 : in->panel_text > 2 ? 2 : in->panel_text) * o->line_h;
    int prow = count_rows(in->panel_btn_w, npb, inner, pad);
    int btns_h = prow ? prow * o->btn_h + (prow - 1) * pad : 0;
    int ph = pad + title_h + big_h + text_h + (btns_h ? pad + btns_h : 0) + pad;
    if (ph > area.h) {
        /* Large text in a small window: the panel (a question waiting for
         * an answer) also covers the bar, whose buttons are hidden until it
         * is answered; their keys still work. */
        area = rect(pad, y, avail, H - pad - y);
        o->bar_hidden = 1;
        for (int i = 0; i < nbar; i++)
            o->bar[i] = rect(0, 0, 0, 0);
    }
    int py = area.y + (area.h - ph) / 2;
    if (py < area.y)
        py = area.y;
    o->panel = rect(pad + (avail - pw) / 2, py, pw, ph);
    int cy = py + pad;
    if (title_h)
        o->panel_title = rect(o->panel.x + pad, cy, inner, title_h);
    cy += title_h;
    if (big_h)
        o->panel_big = rect(o->panel.x + pad, cy, inner, big_h);
    cy += big_h;
    if (text_h)
        o->panel_text = rect(o->panel.x + pad, cy, inner, text_h);
    cy += text_h;
    if (npb)
        place_rows(in->panel_btn_w, npb, o->panel.x + pad, cy + pad, inner, pad, o->btn_h,
                   o->panel_btn);
}
