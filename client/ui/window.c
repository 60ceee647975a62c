/* window.c: the room's window: its thread, its events, its keys and what
 * its buttons do (see window.h; drawing is window_draw.c).
 *
 * Keys (French first; letters follow the keyboard's layout):
 *   O / N         answer the code (Oui / Non), files sent to us (keep /
 *                 refuse), or the leave question
 *   M, C          mute or unmute the microphone, the camera
 *   S             (consultant) open a session (then 1..4 for its phase) or close it
 *   Échap         leave (asks "Quitter la séance ?"), or cancel a question
 *   Tab, Maj+Tab  move the focus between buttons; Entrée or Espace activates
 *   Ctrl+plus, Ctrl+minus  text size (16 to 32 pt); F2 high contrast */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp/vocab.h"
#include "i18n.h"
#include "vmailbox.h"
#include "window.h"
#include "window_int.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int window_display_announced(void)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wl && *wl);
}

static void post(struct window *w, enum room_cmd_kind kind, int slot, int on, const char *text)
{
    struct room_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.slot = slot;
    c.on = on;
    if (text)
        snprintf(c.text, sizeof c.text, "%s", text);
    room_model_post(w->model, &c); /* full: the person presses again */
}

void win_set_text_size(struct window *w, int pt)
{
    if (pt < UI_TEXT_MIN_PT)
        pt = UI_TEXT_MIN_PT;
    if (pt > UI_TEXT_MAX_PT)
        pt = UI_TEXT_MAX_PT;
    if (pt == w->pt)
        return;
    int old = w->pt;
    char why[256];
    win_fonts_close(w);
    w->pt = pt;
    if (win_fonts_open(w, why, sizeof why)) { /* cannot happen: they opened before */
        w->pt = old;
        win_fonts_open(w, why, sizeof why);
    }
    w->dirty = 1;
}

/* The focus when a panel appears: "Oui" for the code, "Non, rester" for
 * leaving (the safe answer), the first phase. */
static void panel_focus(struct window *w, enum win_panel p)
{
    w->focus = p == PANEL_LEAVE ? 1 : p == PANEL_NONE ? -1 : 0;
}

static void open_panel(struct window *w, enum win_panel p)
{
    w->panel = p;
    panel_focus(w, p == PANEL_NONE ? win_panel_now(w) : p);
    w->dirty = 1;
}

static void act(struct window *w, enum win_act a)
{
    const struct room_snapshot *s = &w->snap;
    switch (a) {
    case ACT_NONE:
        break;
    case ACT_MIC:
        if (s->has_mic)
            post(w, ROOM_CMD_MUTE_MIC, -1, !s->mic_muted, NULL);
        break;
    case ACT_CAM:
        if (s->has_cam)
            post(w, ROOM_CMD_MUTE_CAM, -1, !s->cam_muted, NULL);
        break;
    case ACT_SESSION:
        if (s->my_role != BP_ROLE_CONSULTANT)
            break;
        if (s->session_open)
            post(w, ROOM_CMD_CLOSE_SESSION, -1, 0, NULL);
        else
            open_panel(w, PANEL_PHASE);
        break;
    case ACT_LEAVE:
        open_panel(w, PANEL_LEAVE);
        break;
    case ACT_SMALLER:
        win_set_text_size(w, w->pt - WIN_TEXT_STEP);
        break;
    case ACT_BIGGER:
        win_set_text_size(w, w->pt + WIN_TEXT_STEP);
        break;
    case ACT_CONTRAST:
        w->hc = !w->hc;
        win_text_flush(w); /* the strings change colour */
        w->dirty = 1;
        break;
    case ACT_CODE_YES:
    case ACT_CODE_NO:
        if (win_panel_now(w) != PANEL_CODE)
            break;
        post(w, a == ACT_CODE_YES ? ROOM_CMD_CODE_YES : ROOM_CMD_CODE_NO, s->code_slot, 0, NULL);
        /* Hidden at once; the model moves on to the next code, if any. */
        snprintf(w->answered_code, sizeof w->answered_code, "%s", s->code);
        w->answered_slot = s->code_slot;
        open_panel(w, PANEL_NONE);
        break;
    case ACT_FILES_YES:
    case ACT_FILES_NO:
        if (win_panel_now(w) != PANEL_FILES)
            break;
        post(w, a == ACT_FILES_YES ? ROOM_CMD_FILES_ACCEPT : ROOM_CMD_FILES_REFUSE, -1, 0, NULL);
        snprintf(w->files_answered, sizeof w->files_answered, "%s", s->file_name);
        w->files_answered_n = s->files_waiting;
        open_panel(w, PANEL_NONE);
        break;
    case ACT_LEAVE_YES:
        post(w, ROOM_CMD_LEAVE, -1, 0, NULL);
        open_panel(w, PANEL_NONE);
        break;
    case ACT_LEAVE_NO:
    case ACT_CANCEL:
        open_panel(w, PANEL_NONE);
        break;
    default:
        if (a >= ACT_PHASE_0 && a <= ACT_PHASE_3) {
            post(w, ROOM_CMD_OPEN_SESSION, -1, 0, win_phases[a - ACT_PHASE_0]);
            open_panel(w, PANEL_NONE);
        }
        break;
    }
}

/* The buttons the focus may go to: the panel's when there is one (it waits
 * for an answer), else the bar's. */
static void focus_range(const struct window *w, int *first, int *end)
{
    if (w->lay.has_panel) {
        *first = 0;
        *end = w->npanel_btn;
    } else {
        *first = w->npanel_btn;
        *end = w->lay.bar_hidden ? w->npanel_btn : w->nbtn;
    }
}

static void move_focus(struct window *w, int dir)
{
    int first, end;
    focus_range(w, &first, &end);
    if (end <= first)
        return;
    int n = end - first;
    if (w->focus < first || w->focus >= end)
        w->focus = dir > 0 ? first : end - 1;
    else
        w->focus = first + ((w->focus - first + dir) % n + n) % n;
    w->dirty = 1;
}

static void key(struct window *w, const SDL_Keysym *k)
{
    enum win_panel p = win_panel_now(w);
    int ctrl = (k->mod & KMOD_CTRL) != 0;
    switch (k->sym) {
    case SDLK_TAB:
        move_focus(w, k->mod & KMOD_SHIFT ? -1 : 1);
        return;
    case SDLK_RIGHT:
    case SDLK_DOWN:
        move_focus(w, 1);
        return;
    case SDLK_LEFT:
    case SDLK_UP:
        move_focus(w, -1);
        return;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
    case SDLK_SPACE: {
        int first, end;
        focus_range(w, &first, &end);
        if (w->focus >= first && w->focus < end)
            act(w, w->btn[w->focus].act);
        return;
    }
    case SDLK_ESCAPE:
        act(w, p == PANEL_LEAVE || p == PANEL_PHASE ? ACT_CANCEL : ACT_LEAVE);
        return;
    case SDLK_F2:
        act(w, ACT_CONTRAST);
        return;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        if (ctrl || k->sym == SDLK_KP_PLUS)
            act(w, ACT_BIGGER);
        return;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        if (ctrl || k->sym == SDLK_KP_MINUS)
            act(w, ACT_SMALLER);
        return;
    default:
        break;
    }
    if (ctrl)
        return;
    if (p == PANEL_PHASE && k->sym >= SDLK_1 && k->sym <= SDLK_4) {
        act(w, ACT_PHASE_0 + (int)(k->sym - SDLK_1));
        return;
    }
    switch (k->sym) {
    case SDLK_o:
        act(w, p == PANEL_LEAVE ? ACT_LEAVE_YES : p == PANEL_FILES ? ACT_FILES_YES : ACT_CODE_YES);
        break;
    case SDLK_n:
        act(w, p == PANEL_LEAVE ? ACT_LEAVE_NO : p == PANEL_FILES ? ACT_FILES_NO : ACT_CODE_NO);
        break;
    case SDLK_m:
        act(w, ACT_MIC);
        break;
    case SDLK_c:
        act(w, ACT_CAM);
        break;
    case SDLK_s:
        act(w, ACT_SESSION);
        break;
    default:
        break;
    }
}

static void click(struct window *w, int x, int y)
{
    int first, end;
    focus_range(w, &first, &end);
    for (int i = first; i < end; i++)
        if (ui_rect_has(w->btn_rect[i], x, y)) {
            w->focus = i;
            act(w, w->btn[i].act);
            w->dirty = 1;
            return;
        }
}

/* The large picture: the other person's (the model's), else the first
 * remote slot with a picture. */
static void pick_remote(struct window *w)
{
    int slot = -1;
    for (int i = 0; i < BP_MAX_MEMBERS && slot < 0; i++)
        if (w->snap.people[i].present && !w->snap.people[i].me && i != w->snap.my_slot &&
            w->remote_boxes[i])
            slot = i;
    for (int i = 0; i < BP_MAX_MEMBERS && slot < 0; i++)
        if (w->remote_boxes[i] && vmailbox_count(w->remote_boxes[i]) > 0 && i != w->snap.my_slot)
            slot = i;
    if (slot == w->remote_slot)
        return;
    win_pic_free(&w->remote);
    memset(&w->remote, 0, sizeof w->remote);
    w->remote_slot = slot;
    w->remote.box = slot >= 0 ? w->remote_boxes[slot] : NULL;
    w->dirty = 1;
}

/* BILAN_WINDOW_TRACE=1: one machine line on stderr per new layout and
 * state (tests find the pictures and the first button with it). */
static void trace_layout(struct window *w)
{
    static const char *env;
    if (!env)
        env = getenv("BILAN_WINDOW_TRACE") ? "1" : "0";
    if (*env != '1')
        return;
    char line[sizeof w->lay_trace];
    const struct ui_layout *l = &w->lay;
    snprintf(line, sizeof line,
             "[window] remote=%d,%d,%d,%d self=%d,%d,%d,%d pt=%d hc=%d panel=%d focus=%d mic=%d "
             "cam=%d session=%d button0=%d,%d,%d,%d conn=%d",
             l->remote.x, l->remote.y, l->remote.w, l->remote.h, l->self.x, l->self.y, l->self.w,
             l->self.h, w->pt, w->hc, (int)win_panel_now(w), w->focus, w->snap.mic_muted,
             w->snap.cam_muted, w->snap.session_open, w->btn_rect[0].x, w->btn_rect[0].y,
             w->btn_rect[0].w, w->btn_rect[0].h, (int)w->snap.conn);
    if (strcmp(line, w->lay_trace)) {
        snprintf(w->lay_trace, sizeof w->lay_trace, "%s", line);
        fprintf(stderr, "%s\n", line);
    }
}

/* A new line in the model: shown for a while (and redrawn when it goes). */
static void toast_update(struct window *w, uint64_t now)
{
    const struct room_snapshot *s = &w->snap;
    if (s->nlines <= 0)
        return;
    const struct room_line *l = &s->lines[s->nlines - 1];
    if (s->nlines == w->lines_seen && !strcmp(l->text, w->last_line))
        return;
    w->lines_seen = s->nlines;
    snprintf(w->last_line, sizeof w->last_line, "%s", l->text);
    snprintf(w->toast, sizeof w->toast, "%s", l->text);
    w->toast_kind = l->kind;
    w->toast_until = now + WIN_TOAST_MS;
    w->dirty = 1;
}

static void title_update(struct window *w)
{
    char t[WIN_TITLE_MAX];
    pthread_mutex_lock(&w->mu);
    int changed = w->title_changed;
    w->title_changed = 0;
    snprintf(t, sizeof t, "%s", w->title);
    pthread_mutex_unlock(&w->mu);
    if (changed)
        SDL_SetWindowTitle(w->win, t);
}

static void run(struct window *w)
{
    uint64_t last_draw = 0;
    while (!atomic_load(&w->stop)) {
        uint64_t now = mono_ms();
        int wait = last_draw + WIN_FRAME_MS > now ? (int)(last_draw + WIN_FRAME_MS - now) : 1;
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, wait)) {
            do {
                if (ev.type == SDL_QUIT ||
                    (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_CLOSE))
                    act(w, ACT_LEAVE); /* asks first, as Échap does */
                else if (ev.type == SDL_KEYDOWN)
                    key(w, &ev.key.keysym);
                else if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT)
                    click(w, ev.button.x, ev.button.y);
                else if (ev.type == SDL_WINDOWEVENT)
                    w->dirty = 1; /* resized, exposed */
            } while (SDL_PollEvent(&ev));
        }
        now = mono_ms();
        if (now - last_draw < WIN_FRAME_MS)
            continue;
        title_update(w);
        room_model_snapshot(w->model, &w->snap);
        pick_remote(w);
        toast_update(w, now);
        int changed = w->dirty || w->snap.version != w->drawn_version;
        changed |= win_pic_update(w, &w->remote, now);
        changed |= win_pic_update(w, &w->mine, now);
        int second = (int)(now / 1000);
        changed |= second != w->last_second; /* the timer, "Image figée" */
        if (!changed)
            continue;
        /* A code (files) answered and replaced by the model: forget it. */
        if (!w->snap.code_pending)
            w->answered_code[0] = 0;
        if (!w->snap.files_waiting)
            w->files_answered_n = 0;
        enum win_panel before = win_panel_now(w);
        win_build(w);
        (void)before;
        int first, end;
        focus_range(w, &first, &end);
        if (w->lay.has_panel && (w->focus < first || w->focus >= end))
            panel_focus(w, win_panel_now(w));
        if (!w->lay.has_panel && w->focus >= 0 && (w->focus < first || w->focus >= end))
            w->focus = -1;
        trace_layout(w);
        win_draw(w, now);
        w->drawn_version = w->snap.version;
        w->dirty = 0;
        w->last_second = second;
        last_draw = now;
    }
}

static void ready(struct window *w, int rc)
{
    pthread_mutex_lock(&w->mu);
    w->ready = rc;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void win_sdl_close(struct window *w)
{
    win_pic_free(&w->remote);
    win_pic_free(&w->mine);
    win_fonts_close(w);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    w->ren = NULL;
    w->win = NULL;
    if (TTF_WasInit())
        TTF_Quit();
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    /* The last user of SDL (no speaker, no microphone): SDL_Quit lets go of
     * what only it frees (its D-Bus connection). */
    if (!SDL_WasInit(SDL_INIT_EVERYTHING))
        SDL_Quit();
}

int win_sdl_open(struct window *w)
{
    /* The client handles SIGINT and SIGTERM itself (leave the room). */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* A display, or none: SDL would otherwise try the console's own
     * drivers (KMS/DRM) when the announced display does not answer. The
     * person's SDL_VIDEODRIVER, if any, is kept. */
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if (!getenv("SDL_VIDEODRIVER"))
        SDL_SetHint(SDL_HINT_VIDEODRIVER, wl && *wl && x && *x ? "wayland,x11"
                                          : wl && *wl       ? "wayland"
                                                            : "x11");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
        snprintf(w->why, sizeof w->why, _("pas d'écran utilisable (%s)"), SDL_GetError());
        win_sdl_close(w);
        return -1;
    }
    int W = w->width, H = w->height;
    if (TTF_Init() < 0 || win_fonts_open(w, w->why, sizeof w->why)) {
        if (!w->why[0])
            snprintf(w->why, sizeof w->why, "SDL_ttf : %s", TTF_GetError());
        win_sdl_close(w);
        return -1;
    }
    w->win = SDL_CreateWindow(w->title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, W, H,
                              SDL_WINDOW_RESIZABLE);
    if (w->win)
        w->ren = SDL_CreateRenderer(w->win, -1, 0);
    if (!w->ren) {
        snprintf(w->why, sizeof w->why, _("impossible d'ouvrir la fenêtre (%s)"), SDL_GetError());
        win_sdl_close(w);
        return -1;
    }
    SDL_SetWindowMinimumSize(w->win, 640, 480);
    return 0;
}

static void *thread_main(void *arg)
{
    struct window *w = arg;
    if (win_sdl_open(w)) {
        ready(w, -1);
        return NULL;
    }
    ready(w, 1);
    w->run(w->run_arg);
    win_sdl_close(w);
    return NULL;
}

void win_settings(struct window *w, int text_pt, int high_contrast, int width, int height)
{
    w->pt = text_pt ? text_pt : UI_TEXT_DEFAULT_PT;
    w->pt = w->pt < UI_TEXT_MIN_PT ? UI_TEXT_MIN_PT : w->pt > UI_TEXT_MAX_PT ? UI_TEXT_MAX_PT : w->pt;
    w->hc = high_contrast;
    w->width = width > 0 ? width : 1280;
    w->height = height > 0 ? height : 720;
    w->focus = -1;
    w->dirty = 1;
}

int win_thread_start(struct window *w, void (*run_fn)(void *arg), void *arg, char *why, size_t why_cap)
{
    w->run = run_fn;
    w->run_arg = arg;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, thread_main, w)) {
        snprintf(why, why_cap, "%s", _("impossible de démarrer la fenêtre"));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    while (!w->ready)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->ready;
    pthread_mutex_unlock(&w->mu);
    if (rc < 0) {
        pthread_join(w->th, NULL);
        snprintf(why, why_cap, "%s", w->why);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    return 0;
}

void win_thread_stop(struct window *w)
{
    atomic_store(&w->stop, 1);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

/* The room's window runs its own loop (run). */
static void run_room(void *arg)
{
    run(arg);
}

int window_open(struct window **out, const struct window_config *cfg, char *why, size_t why_cap)
{
    *out = NULL;
    struct window *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return -1;
    }
    w->model = cfg->model;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        w->remote_boxes[i] = cfg->remote[i];
    snprintf(w->title, sizeof w->title, "%s", cfg->title ? cfg->title : "Bilan");
    win_settings(w, cfg->text_pt, cfg->high_contrast, cfg->width, cfg->height);
    w->remote_slot = -1;
    w->answered_slot = -1;
    w->mine.box = cfg->mine;
    if (win_thread_start(w, run_room, w, why, why_cap)) {
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void window_set_title(struct window *w, const char *title)
{
    pthread_mutex_lock(&w->mu);
    snprintf(w->title, sizeof w->title, "%s", title);
    w->title_changed = 1;
    pthread_mutex_unlock(&w->mu);
}

void window_close(struct window *w)
{
    if (!w)
        return;
    win_thread_stop(w);
    free(w);
}
