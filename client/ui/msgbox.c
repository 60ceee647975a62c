/* msgbox.c: see msgbox.h. A window of our own rather than SDL's message
 * box: SDL's draws with X11 core fonts, small and often missing (it then
 * fails and shows nothing), or needs zenity on Wayland; ours uses the same
 * Debian font as the room's window (DejaVu Sans), large, dark on light with
 * a thick frame, and closes with Entrée, Échap, a click on "Fermer" or the
 * window's close button. SDL's own box stays as the fallback when the font
 * cannot be opened.
 *
 * It runs on the calling thread and initialises SDL's video for its own
 * time only (msgbox.h: never while the room's window runs). */
#include "msgbox.h"

#include <stdio.h>
#include <stdlib.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "i18n.h"

#define MSGBOX_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define MSGBOX_PT 24       /* large enough to read without glasses */
#define MSGBOX_WIDTH 760   /* text wraps inside it */
#define MSGBOX_PAD 32

static int fallback(const char *title, const char *text)
{
    const SDL_MessageBoxButtonData close_button = {
        SDL_MESSAGEBOX_BUTTON_RETURNKEY_DEFAULT | SDL_MESSAGEBOX_BUTTON_ESCAPEKEY_DEFAULT, 0, _("Fermer"),
    };
    const SDL_MessageBoxData box = {
        .flags = SDL_MESSAGEBOX_ERROR, .title = title, .message = text, .numbuttons = 1, .buttons = &close_button,
    };
    int pressed = -1;
    return SDL_ShowMessageBox(&box, &pressed) == 0 ? 0 : -1;
}

static SDL_Texture *render(SDL_Renderer *r, TTF_Font *f, const char *s, Uint32 wrap, int *w, int *h)
{
    const SDL_Color ink = {0x10, 0x10, 0x10, 0xff};
    SDL_Surface *surf = wrap ? TTF_RenderUTF8_Blended_Wrapped(f, s, ink, wrap) : TTF_RenderUTF8_Blended(f, s, ink);
    if (!surf)
        return NULL;
    SDL_Texture *t = SDL_CreateTextureFromSurface(r, surf);
    *w = surf->w;
    *h = surf->h;
    SDL_FreeSurface(surf);
    return t;
}

/* BILAN_WINDOW_TRACE (as for the room's window): one machine line on
 * stderr with what the box shows, lines joined by " / ", for tests. */
static void trace(const char *text)
{
    if (!getenv("BILAN_WINDOW_TRACE"))
        return;
    fputs("[msgbox] shown: ", stderr);
    for (const char *c = text; *c; c++)
        fputs(*c == '\n' ? " / " : (char[]){*c, 0}, stderr);
    fputs("\n", stderr);
    fflush(stderr);
}

struct box {
    SDL_Renderer *r;
    SDL_Texture *body, *label;
    int bw, bh, lw, lh, height;
    SDL_Rect button;
};

static void draw(const struct box *b)
{
    SDL_SetRenderDrawColor(b->r, 0xff, 0xff, 0xf4, 0xff);
    SDL_RenderClear(b->r);
    SDL_SetRenderDrawColor(b->r, 0xb0, 0x00, 0x20, 0xff);
    for (int i = 0; i < 6; i++) {
        SDL_Rect frame = {i, i, MSGBOX_WIDTH - 2 * i, b->height - 2 * i};
        SDL_RenderDrawRect(b->r, &frame);
    }
    SDL_RenderCopy(b->r, b->body, NULL, &(SDL_Rect){MSGBOX_PAD, MSGBOX_PAD, b->bw, b->bh});
    SDL_SetRenderDrawColor(b->r, 0xdd, 0xe6, 0xff, 0xff);
    SDL_RenderFillRect(b->r, &b->button);
    SDL_SetRenderDrawColor(b->r, 0x10, 0x10, 0x10, 0xff);
    for (int i = 0; i < 3; i++) {
        SDL_Rect edge = {b->button.x + i, b->button.y + i, b->button.w - 2 * i, b->button.h - 2 * i};
        SDL_RenderDrawRect(b->r, &edge);
    }
    SDL_RenderCopy(b->r, b->label, NULL, &(SDL_Rect){b->button.x + 24, b->button.y + 12, b->lw, b->lh});
    SDL_RenderPresent(b->r);
}

/* Draws, and again when uncovered, until the person closes it. */
static void show_until_closed(const struct box *b, const char *text)
{
    SDL_Event ev;
    draw(b);
    trace(text); /* once drawn: a test may look at the screen from then on */
    while (SDL_WaitEvent(&ev)) {
        if (ev.type == SDL_QUIT)
            return;
        if (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_CLOSE)
            return;
        if (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_EXPOSED)
            draw(b);
        if (ev.type == SDL_KEYDOWN) {
            SDL_Keycode k = ev.key.keysym.sym;
            if (k == SDLK_RETURN || k == SDLK_KP_ENTER || k == SDLK_ESCAPE || k == SDLK_SPACE)
                return;
        }
        if (ev.type == SDL_MOUSEBUTTONUP) {
            SDL_Point p = {ev.button.x, ev.button.y};
            if (SDL_PointInRect(&p, &b->button))
                return;
        }
    }
}

static int own_box(const char *title, const char *text)
{
    int rc = -1;
    SDL_Window *win = NULL;
    SDL_Renderer *r = NULL;
    SDL_Texture *body = NULL, *label = NULL;
    TTF_Font *font = NULL;
    if (TTF_Init() < 0)
        return -1;
    font = TTF_OpenFont(MSGBOX_FONT, MSGBOX_PT);
    if (!font)
        goto out;
    win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, MSGBOX_WIDTH, 200,
                           SDL_WINDOW_HIDDEN | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!win)
        goto out;
    r = SDL_CreateRenderer(win, -1, 0);
    if (!r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r)
        goto out;
    struct box b = {.r = r};
    body = render(r, font, text, MSGBOX_WIDTH - 2 * MSGBOX_PAD, &b.bw, &b.bh);
    label = render(r, font, _("Fermer"), 0, &b.lw, &b.lh);
    if (!body || !label)
        goto out;
    b.body = body;
    b.label = label;
    b.height = MSGBOX_PAD + b.bh + MSGBOX_PAD + b.lh + 24 + MSGBOX_PAD;
    b.button = (SDL_Rect){MSGBOX_WIDTH - MSGBOX_PAD - (b.lw + 48), b.height - MSGBOX_PAD - (b.lh + 24),
                          b.lw + 48, b.lh + 24};
    SDL_SetWindowSize(win, MSGBOX_WIDTH, b.height);
    SDL_SetWindowPosition(win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    SDL_ShowWindow(win);
    SDL_RaiseWindow(win);
    show_until_closed(&b, text);
    rc = 0;
out:
    if (label)
        SDL_DestroyTexture(label);
    if (body)
        SDL_DestroyTexture(body);
    if (r)
        SDL_DestroyRenderer(r);
    if (win)
        SDL_DestroyWindow(win);
    if (font)
        TTF_CloseFont(font);
    TTF_Quit();
    return rc;
}

int msgbox_show(const char *title, const char *text)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0)
        return fallback(title, text);
    int rc = own_box(title, text);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return rc == 0 ? 0 : fallback(title, text);
}
