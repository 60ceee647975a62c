/* layout.h: where everything goes in the room's window, as a pure function
 * of the window's size, the text size and what is shown: rectangles only.
 *
 * From top to bottom: status lines (connection, session and timer, hours,
 * notices), the video area (the other person's picture as large as it fits,
 * ours small in its bottom-right corner), a caption row (names under the
 * pictures), and the button bar (rows of buttons, from the bottom). A
 * panel (the spoken code with Oui / Non, the leave confirmation, the phase
 * chooser) is drawn over the video area, whose captions it then hides;
 * when it needs more height (large text, small window) it covers the bar
 * too, whose buttons are then hidden until it is answered.
 * When the bar's long labels ("Micro ouvert (M)") need more than one row,
 * the short ones ("Micro") are used. Text that is wider than its rectangle
 * is cut by the window, never drawn outside it.
 *
 * Owns: nothing. Pure: no SDL, no font, no clock; text widths are given by
 * the caller (measured by the window, estimated by tests/unit/client/
 * test_ui_layout.c, which checks that no two rectangles overlap and none
 * leaves the window from 16 to 32 pt at 1280x720 and 800x600). */
#ifndef CLIENT_UI_LAYOUT_H
#define CLIENT_UI_LAYOUT_H

#define UI_TEXT_MIN_PT 16
#define UI_TEXT_MAX_PT 32
#define UI_TEXT_DEFAULT_PT 18
#define UI_STATUS_MAX 3
#define UI_BUTTONS_MAX 8

struct ui_rect {
    int x, y, w, h;
};

struct ui_layout_in {
    int win_w, win_h;
    int text_pt; /* UI_TEXT_MIN_PT..UI_TEXT_MAX_PT (clamped) */
    int nstatus; /* status lines, at most UI_STATUS_MAX */
    /* The panel: none when all four are 0. */
    int panel_title; /* 1: a line of text */
    int panel_big;   /* 1: a large line under it (the code) */
    int panel_text;  /* lines of text under them, 0..2 */
    int npanel_btn;      /* buttons in the panel, UI_BUTTONS_MAX at most */
    int panel_btn_w[UI_BUTTONS_MAX]; /* their labels' widths, px, in the bold font */
    int nbar;                        /* buttons in the bar, UI_BUTTONS_MAX at most */
    int bar_long_w[UI_BUTTONS_MAX], bar_short_w[UI_BUTTONS_MAX];
    int remote_w, remote_h; /* the other's picture size (0: 4:3) */
    int self_w, self_h;     /* ours */
};

struct ui_layout {
    int px, big_px;       /* font sizes in pixels: text, the code */
    int line_h, big_line_h, pad, btn_h;
    struct ui_rect status[UI_STATUS_MAX];
    struct ui_rect video;        /* the area of the pictures */
    struct ui_rect remote, self; /* the pictures (w == 0: not shown, no room) */
    struct ui_rect cap_remote, cap_self; /* captions (w == 0 while a panel is shown) */
    int has_panel;
    struct ui_rect panel, panel_title, panel_big, panel_text; /* panel_text: all its lines */
    struct ui_rect panel_btn[UI_BUTTONS_MAX];
    struct ui_rect bar[UI_BUTTONS_MAX];
    int bar_short;  /* 1: draw the short labels */
    int bar_hidden; /* 1: the panel needed the bar's place (bar[] empty) */
};

/* Fills out for in (pure). */
void ui_layout(const struct ui_layout_in *in, struct ui_layout *out);
/* Font size in pixels of a text size in points (96 dpi). */
int ui_px_of_pt(int pt);
/* 1 when a and b share any pixel (empty rectangles share none). */
int ui_rect_overlap(struct ui_rect a, struct ui_rect b);
/* 1 when a lies inside b. */
int ui_rect_inside(struct ui_rect a, struct ui_rect b);
/* 1 when the point is in r. */
int ui_rect_has(struct ui_rect r, int x, int y);

#endif
