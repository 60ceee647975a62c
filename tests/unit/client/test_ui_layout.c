/* test_ui_layout.c: the window's layout (client/ui/layout.c) at every text
 * size from 16 to 32 pt, at 1280x720 and 800x600, with each panel the window
 * shows: no two rectangles of text or buttons overlap, none leaves the
 * window, the pictures stay in their area, the panel's parts in the panel.
 * Text widths are estimated from the window's real labels (DejaVu Sans
 * Bold averages about 0.62 em a character in French; 0.68 is used). */
#include <stdio.h>
#include <string.h>

#include "layout.h"

static int passed, failed;

static void check(int ok, const char *what, int pt, int w, int h, const char *panel)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    if (failed < 30)
        printf("FAIL %s at %d pt, %dx%d, panel %s\n", what, pt, w, h, panel);
}

/* Characters of a UTF-8 string (what the width estimate counts). */
static int chars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int width(const char *s, int px)
{
    return chars(s) * px * 68 / 100 + 1;
}

struct panel {
    const char *name;
    int title, big, text;
    const char *btn[UI_BUTTONS_MAX];
};

static const struct panel panels[] = {
    {"none", 0, 0, 0, {NULL}},
    {"code", 1, 1, 2, {"Oui (O)", "Non (N)", NULL}},
    {"leave", 1, 0, 0, {"Oui, quitter (O)", "Non, rester (N)", NULL}},
    {"files", 1, 0, 2, {"Enregistrer (O)", "Refuser (N)", NULL}},
    {"phase", 1, 0, 0,
     {"Préliminaire (1)", "Investigation (2)", "Conclusion (3)", "Suivi (4)", "Annuler (Échap)",
      NULL}},
};

/* The bar as a consultant sees it (the most buttons), with its longest
 * labels. */
static const char *bar_long[] = {"Micro ouvert (M)", "Caméra ouverte (C)", "Ouvrir une séance (S)",
                                 "Quitter (Échap)", "A− (Ctrl −)", "A+ (Ctrl +)",
                                 "Contraste (F2)"};
static const char *bar_short[] = {"Micro coupé", "Caméra coupée", "Séance", "Quitter",
                                  "A−",          "A+",            "Contraste"};

static void one(int pt, int W, int H, const struct panel *p, int nstatus)
{
    struct ui_layout_in in;
    memset(&in, 0, sizeof in);
    in.win_w = W;
    in.win_h = H;
    in.text_pt = pt;
    in.nstatus = nstatus;
    int px = ui_px_of_pt(pt);
    in.panel_title = p->title;
    in.panel_big = p->big;
    in.panel_text = p->text;
    for (int i = 0; i < UI_BUTTONS_MAX && p->btn[i]; i++)
        in.panel_btn_w[in.npanel_btn++] = width(p->btn[i], px);
    in.nbar = (int)(sizeof bar_long / sizeof bar_long[0]);
    for (int i = 0; i < in.nbar; i++) {
        in.bar_long_w[i] = width(bar_long[i], px);
        in.bar_short_w[i] = width(bar_short[i], px);
    }
    in.remote_w = 640;
    in.remote_h = 480;
    in.self_w = 640;
    in.self_h = 480;
    struct ui_layout o;
    ui_layout(&in, &o);
    struct ui_rect win = {0, 0, W, H};

    /* Every rectangle of text or buttons: inside the window, apart. */
    struct ui_rect r[UI_STATUS_MAX + 2 * UI_BUTTONS_MAX + 4];
    int n = 0;
    for (int i = 0; i < nstatus; i++)
        r[n++] = o.status[i];
    for (int i = 0; i < in.nbar; i++)
        r[n++] = o.bar[i];
    r[n++] = o.cap_remote;
    r[n++] = o.cap_self;
    if (o.has_panel)
        r[n++] = o.panel;
    for (int i = 0; i < n; i++) {
        check(ui_rect_inside(r[i], win), "inside the window", pt, W, H, p->name);
        for (int j = i + 1; j < n; j++)
            check(!ui_rect_overlap(r[i], r[j]), "apart", pt, W, H, p->name);
    }
    for (int i = 0; i < nstatus; i++)
        check(o.status[i].w > 0 && o.status[i].h >= px, "status line shown", pt, W, H, p->name);
    check(!o.bar_hidden || o.has_panel, "the bar is hidden only by a panel", pt, W, H, p->name);
    if (W >= 1280)
        check(!o.bar_hidden, "the bar stays at 1280x720", pt, W, H, p->name);
    for (int i = 0; i < in.nbar && !o.bar_hidden; i++) {
        check(o.bar[i].w > 0 && o.bar[i].h >= px, "bar button shown", pt, W, H, p->name);
        /* Its label fits: nothing cut (short labels at large sizes). */
        int tw = o.bar_short ? in.bar_short_w[i] : in.bar_long_w[i];
        check(tw <= o.bar[i].w - o.pad, "bar label fits", pt, W, H, p->name);
    }
    if (pt <= 18 && W >= 1280)
        check(!o.bar_short, "long labels at 1280 px and small text", pt, W, H, p->name);

    /* The panel's parts are in the panel, apart from each other. */
    if (o.has_panel) {
        struct ui_rect q[UI_BUTTONS_MAX + 3];
        int m = 0;
        if (p->title)
            q[m++] = o.panel_title;
        if (p->big)
            q[m++] = o.panel_big;
        if (p->text)
            q[m++] = o.panel_text;
        for (int i = 0; i < in.npanel_btn; i++) {
            q[m++] = o.panel_btn[i];
            check(in.panel_btn_w[i] <= o.panel_btn[i].w - o.pad, "panel label fits", pt, W, H,
                  p->name);
        }
        for (int i = 0; i < m; i++) {
            check(q[i].w > 0 && q[i].h > 0, "panel part shown", pt, W, H, p->name);
            check(ui_rect_inside(q[i], o.panel), "inside the panel", pt, W, H, p->name);
            for (int j = i + 1; j < m; j++)
                check(!ui_rect_overlap(q[i], q[j]), "panel parts apart", pt, W, H, p->name);
        }
        check(o.cap_remote.w == 0 && o.cap_self.w == 0, "captions hidden under a panel", pt, W,
              H, p->name);
        if (p->big)
            check(o.panel_big.h > o.line_h, "the code in large type", pt, W, H, p->name);
    } else {
        check(o.cap_remote.w > 0 && o.cap_self.w > 0, "captions shown", pt, W, H, p->name);
    }

    /* The pictures: in their area; the other's is the large one. */
    check(ui_rect_inside(o.video, win), "video area inside", pt, W, H, p->name);
    for (int i = 0; i < n; i++)
        if (!(o.has_panel && i == n - 1)) /* the panel is drawn over the pictures */
            check(!ui_rect_overlap(o.video, r[i]), "video area apart from text", pt, W, H,
                  p->name);
    check(o.remote.w > 0 && ui_rect_inside(o.remote, o.video), "remote picture shown", pt, W, H,
          p->name);
    check(o.self.w > 0 && ui_rect_inside(o.self, o.video), "own picture shown", pt, W, H,
          p->name);
    check(o.self.w * o.self.h * 4 <= o.remote.w * o.remote.h, "own picture small", pt, W, H,
          p->name);
}

int main(void)
{
    static const int sizes[][2] = {{1280, 720}, {800, 600}};
    for (int s = 0; s < 2; s++)
        for (int pt = UI_TEXT_MIN_PT; pt <= UI_TEXT_MAX_PT; pt++)
            for (size_t p = 0; p < sizeof panels / sizeof panels[0]; p++)
                for (int ns = 1; ns <= UI_STATUS_MAX; ns++)
                    one(pt, sizes[s][0], sizes[s][1], &panels[p], ns);
    /* Clamped text sizes and a tiny window: still inside, no crash. */
    struct ui_layout_in in;
    memset(&in, 0, sizeof in);
    in.win_w = 40;
    in.win_h = 30;
    in.text_pt = 99;
    in.nbar = 2;
    in.bar_long_w[0] = in.bar_long_w[1] = 500;
    in.bar_short_w[0] = in.bar_short_w[1] = 300;
    struct ui_layout o;
    ui_layout(&in, &o);
    check(o.px == ui_px_of_pt(UI_TEXT_MAX_PT), "text size clamped", 99, 40, 30, "none");
    check(o.bar[0].w <= 40 && o.bar[0].x >= 0, "a button never wider than the window", 99, 40, 30,
          "none");
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
