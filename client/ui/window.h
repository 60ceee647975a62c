/* window.h: the room's window (issue 10): the other person's video large,
 * ours small and mirrored, names in plain words, the spoken code with Oui /
 * Non, the session's timer, the hours, the connection's quality, mute and
 * leave, for the consultant the choice of a session's phase; text size,
 * high contrast and keyboard-only use. French first (i18n.h).
 *
 * It runs on a thread of its own, which creates and uses the window, the
 * renderer and the textures (SDL on X11 and Wayland allows this off the main
 * thread, as long as it is one thread). It reads the room model
 * (room_model_snapshot) and the picture boxes (vmailbox.h), posts what the
 * person asks for (room_model_post), and redraws at most 30 times a second,
 * only when the snapshot, a picture, the timer's second or its own state
 * changed.
 *
 * Owns: the thread, SDL's video subsystem while it runs, the fonts and
 * textures. Must never: touch the dialog, the call or the network (it only
 * posts), block the loop, or draw outside its thread. */
#ifndef CLIENT_UI_WINDOW_H
#define CLIENT_UI_WINDOW_H

#include <stddef.h>

#include "bp/limits.h"

struct room_model;
struct vmailbox;
struct window;

struct window_config {
    struct room_model *model;                  /* borrowed; outlives the window */
    struct vmailbox *mine;                     /* our own picture, or NULL */
    struct vmailbox *remote[BP_MAX_MEMBERS];   /* each slot's, or NULL */
    const char *title;                         /* "Bilan — ..." (copied) */
    int text_pt;                               /* 0: UI_TEXT_DEFAULT_PT (layout.h) */
    int high_contrast;
    int width, height;                         /* 0: 1280 x 720 */
};

/* Starts the window's thread and waits until its window is up. 0, or -1
 * with a sentence in why (no display: SDL could not start its video, or
 * the font is missing): then nothing runs and nothing is to be freed. */
int window_open(struct window **out, const struct window_config *cfg, char *why, size_t why_cap);
/* Any thread: the window's title from now on (copied). */
void window_set_title(struct window *w, const char *title);
/* Stops the thread, closes the window and frees. NULL is fine. */
void window_close(struct window *w);
/* 1 when a display is announced (DISPLAY or WAYLAND_DISPLAY is set): the
 * window is then tried by default. */
int window_display_announced(void);

#endif
