/* join_window.h: the window of `bilan join`, or the reason there is none.
 *
 * Unless --headless, when a display is announced (DISPLAY, WAYLAND_DISPLAY)
 * or --window is given, it creates the room model (room_model.h) that the
 * dialog's news feed (d->news.model), opens the window on its own thread
 * (ui/window.h) with the call's picture boxes, and puts room_cmds
 * (room_cmds.h) between the dialog and the call's media hooks so that what
 * the person asks in the window is done on the loop thread. Without a
 * display it says so in French on stderr and the room goes on in text.
 *
 * Owns: the model, the window and the room_cmds wiring of one visit. Loop
 * thread (the window has its own). */
#ifndef CLIENT_JOIN_WINDOW_H
#define CLIENT_JOIN_WINDOW_H

#include "room_cmds.h"

struct app;
struct call;
struct dialog;
struct join_console;
struct join_opts;
struct window;

struct join_window {
    struct app *a;
    struct room_model *model;
    struct window *win;
    struct room_cmds cmds;
};

/* After call_attach, before the dialog starts. console: what files go
 * through (the window asks the same). bilan: the bilan's id when
 * known (joined by id), else NULL (the title then says "Bilan"). The room
 * goes on without a window whatever happens here. */
void join_window_open(struct join_window *jw, struct app *a, const struct join_opts *o,
                      struct dialog *d, struct call *call, struct join_console *console,
                      const char *bilan);
/* After the dialog's end: closes the window, lets the model go. */
void join_window_close(struct join_window *jw, struct dialog *d);

#endif
