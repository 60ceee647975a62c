/* window_int.h: the private state of the room's window, shared by its two
 * files: window.c (the thread, events, keys, what the buttons do) and
 * window_draw.c (text, buttons, pictures, icons); testwin*.c (the window of
 * `bilan test-media`) borrow the same struct for their drawing, so that both
 * windows look and read alike. Everything here belongs to the window's
 * thread, except the fields under mu. */
#ifndef CLIENT_UI_WINDOW_INT_H
#define CLIENT_UI_WINDOW_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "bp/limits.h"
#include "layout.h"
#include "room_model.h"
#include "vframe.h"

#define WIN_FONT_DIR "/usr/share/fonts/truetype/dejavu/"
#define WIN_FONT WIN_FONT_DIR "DejaVuSans.ttf"
#define WIN_FONT_BOLD WIN_FONT_DIR "DejaVuSans-Bold.ttf"
#define WIN_FRAME_MS 33   /* at most ~30 redraws a second */
#define WIN_TEXT_CACHE 96 /* rendered strings kept as textures */
#define WIN_TITLE_MAX 200
#define WIN_TEXT_STEP 2 /* points per Ctrl+plus / Ctrl+minus */
#define WIN_TOAST_MS 8000 /* how long the room's latest line stays shown */

/* What a button does. */
enum win_act {
    ACT_NONE = 0,
    ACT_MIC,
    ACT_CAM,
    ACT_SESSION, /* open the phase chooser, or close the open session */
    ACT_LEAVE,   /* ask "Quitter la séance ?" */
    ACT_SMALLER,
    ACT_BIGGER,
    ACT_CONTRAST,
    ACT_CODE_YES,
    ACT_CODE_NO,
    ACT_LEAVE_YES,
    ACT_LEAVE_NO,
    ACT_PHASE_0, /* + index into win_phases */
    ACT_PHASE_3 = ACT_PHASE_0 + 3,
    ACT_CANCEL,
    ACT_FILES_YES,
    ACT_FILES_NO,
};

/* The panel shown over the pictures. */
enum win_panel { PANEL_NONE = 0, PANEL_CODE, PANEL_LEAVE, PANEL_PHASE, PANEL_FILES };

struct win_button {
    const char *label;       /* long label, as drawn when there is room */
    const char *short_label; /* when the bar is short of room */
    enum win_act act;
    int alert; /* drawn as a warning (a muted stream) */
};

struct win_text { /* one rendered string */
    char *s;
    int font; /* 0 regular, 1 bold, 2 big */
    uint32_t rgba;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;
};

struct win_pic { /* one picture box and its texture */
    struct vmailbox *box;
    uint64_t seen;
    struct vframe pic;
    SDL_Texture *tex;
    int tw, th;
    int valid;
    uint64_t last_new_ms; /* when a picture last came */
};

struct window {
    /* What window_open was given (window.h's struct window_config). */
    struct room_model *model;
    struct vmailbox *remote_boxes[BP_MAX_MEMBERS];
    int width, height; /* the window's size when it opens */
    pthread_t th;
    atomic_int stop;
    void (*run)(void *arg); /* what the thread runs once its window is up */
    void *run_arg;
    /* The handshake of window_open. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready; /* 1 up, -1 failed */
    char why[256];
    char title[WIN_TITLE_MAX]; /* under mu */
    int title_changed;         /* under mu */

    /* The window's thread. */
    SDL_Window *win;
    SDL_Renderer *ren;
    TTF_Font *font[3]; /* regular, bold, big (the code) */
    int pt, hc;
    struct win_text texts[WIN_TEXT_CACHE];
    uint64_t frame;
    struct room_snapshot snap;
    uint64_t drawn_version;
    struct win_pic mine, remote;
    int remote_slot; /* whose picture is large; -1 none */
    enum win_panel panel;
    char answered_code[16]; /* the code we answered (hidden until the model moves on) */
    int answered_slot;
    char files_answered[256]; /* the file we answered, with how many waited */
    int files_answered_n;
    int focus; /* index among the focusable buttons, -1 none */
    int dirty; /* our own state changed: redraw */
    int last_second;
    /* The room's latest line (a chat line, a notice, a warning), shown over
     * the top of the pictures for WIN_TOAST_MS after it came. */
    char toast[ROOM_LINE_MAX];
    int toast_kind;
    uint64_t toast_until;
    int lines_seen;
    char last_line[ROOM_LINE_MAX];
    struct ui_layout lay;
    char lay_trace[240]; /* the last layout line printed (BILAN_WINDOW_TRACE) */
    /* The buttons of this frame: the panel's, then the bar's. */
    struct win_button btn[2 * UI_BUTTONS_MAX];
    struct ui_rect btn_rect[2 * UI_BUTTONS_MAX];
    int nbtn, npanel_btn;
};

/* window_draw.c */
/* Opens the three fonts at w->pt; 0 or -1 (why filled). */
int win_fonts_open(struct window *w, char *why, size_t why_cap);
void win_fonts_close(struct window *w);
void win_text_flush(struct window *w);
/* A string's width in a font (0 regular, 1 bold, 2 big). */
int win_text_width(struct window *w, int font, const char *s);
/* Builds this frame's buttons and layout from w->snap and w->panel. */
void win_build(struct window *w);
/* Draws everything and presents. */
void win_draw(struct window *w, uint64_t now_ms);
void win_pic_free(struct win_pic *p);
/* Takes a new picture from the box into its texture: 1 new, 0 none. */
int win_pic_update(struct window *w, struct win_pic *p, uint64_t now_ms);
/* Takes p->pic (already filled) into its texture: 1 done, 0 no texture. */
int win_pic_upload(struct window *w, struct win_pic *p, uint64_t now_ms);
/* The panel the person sees now (code panel from the snapshot). */
enum win_panel win_panel_now(const struct window *w);
extern const char *const win_phases[4];

/* The same drawing for the other windows of client/ui/ (testwin.c), which
 * use a struct window for its renderer, fonts, strings and buttons only. */
enum win_colour { WC_BG, WC_TEXT, WC_DIM, WC_PANEL, WC_BORDER, WC_GOOD, WC_WARN, WC_POOR, WC_VIDEO };
/* The colour c in the current theme (normal or high contrast). */
SDL_Color win_colour(const struct window *w, enum win_colour c);
/* s in r (align 0 left, 1 centred), cut at r's edges; font 0 regular, 1 bold, 2 big. */
void win_draw_text(struct window *w, int font, SDL_Color c, const char *s, struct ui_rect r,
                   int align);
void win_fill(struct window *w, struct ui_rect r, SDL_Color c);
/* A frame of thickness t around r, outside it by out pixels. */
void win_frame(struct window *w, struct ui_rect r, int t, int out, SDL_Color c);
/* Button i of w->btn in w->btn_rect[i] (the short label past w->npanel_btn
 * when w->lay.bar_short). */
void win_draw_button(struct window *w, int i, int focused);
/* A picture in r (mirrored or not), or the words none when there is none;
 * "Image figée" over it when no new one came for 2 s. */
void win_draw_pic(struct window *w, struct win_pic *p, struct ui_rect r, int mirror,
                  const char *none, uint64_t now_ms);

/* window.c */
/* SDL's video, the fonts, the window (w->title, w->width x w->height) and
 * its renderer, on the calling thread: 0, or -1 with w->why (everything
 * already closed). */
int win_sdl_open(struct window *w);
/* Frees w->mine and w->remote, the fonts, the window; lets SDL go. */
void win_sdl_close(struct window *w);
/* New text size (clamped to UI_TEXT_MIN_PT..UI_TEXT_MAX_PT): the fonts are reopened. */
void win_set_text_size(struct window *w, int pt);
/* The life of a window's thread, the same for every window of client/ui/:
 * win_settings fills what both windows take from their options (text size
 * clamped, contrast, size: 0 x 0 is 1280 x 720, no focus, a first draw);
 * win_thread_start starts a thread that opens SDL (win_sdl_open), then
 * runs run(arg) until w->stop, then closes SDL (win_sdl_close), and
 * returns once the window is up: 0, or -1 with a sentence in why (the
 * thread is then joined and nothing is left but w itself, for the caller
 * to free). win_thread_stop asks the thread to stop and joins it. */
void win_settings(struct window *w, int text_pt, int high_contrast, int width, int height);
int win_thread_start(struct window *w, void (*run)(void *arg), void *arg, char *why, size_t why_cap);
void win_thread_stop(struct window *w);

#endif
