/* testwin.c: the window of `bilan test-media` (see testwin.h): its thread,
 * events, keys, the requests it posts and the words it is sent (drawing is
 * testwin_draw.c). The text, buttons, pictures, themes and fonts are the
 * room's window's (window_int.h), so that both windows look, read and
 * answer the keyboard alike.
 *
 * Keys (French first):
 *   J             play the test sound (again)
 *   O / N         after the sound: heard it, or not
 *   Échap         close (as "Fermer")
 *   Tab, Maj+Tab  move the focus between buttons; Entrée or Espace activates
 *   Ctrl+plus, Ctrl+minus  text size (16 to 32 pt); F2 high contrast
 *
 * From the top: a title, then "Votre image" (left) beside the microphone's
 * meter and the test sound's state (right), the verdict under them (once
 * the command sends it), the buttons at the bottom. */
#include "testwin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "testwin_int.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void post(struct testwin *t, enum testwin_req r)
{
    pthread_mutex_lock(&t->w.mu);
    if (t->nreq < TW_REQS) /* full: the person presses again */
        t->reqs[t->nreq++] = r;
    pthread_mutex_unlock(&t->w.mu);
}

/* ---- what the command sees ---- */

enum testwin_req testwin_take(struct testwin *t)
{
    enum testwin_req r = TW_REQ_NONE;
    pthread_mutex_lock(&t->w.mu);
    if (t->nreq > 0) {
        r = t->reqs[0];
        memmove(t->reqs, t->reqs + 1, (size_t)(t->nreq - 1) * sizeof t->reqs[0]);
        t->nreq--;
    }
    pthread_mutex_unlock(&t->w.mu);
    return r;
}

void testwin_set_sound(struct testwin *t, enum testwin_sound s, const char *detail)
{
    pthread_mutex_lock(&t->w.mu);
    t->sound = s;
    snprintf(t->sound_detail, sizeof t->sound_detail, "%s", detail ? detail : "");
    t->version++;
    pthread_mutex_unlock(&t->w.mu);
}

void testwin_set_verdict(struct testwin *t, const struct testwin_verdict *v)
{
    pthread_mutex_lock(&t->w.mu);
    t->verdict = *v;
    t->version++;
    pthread_mutex_unlock(&t->w.mu);
}

/* ---- events ---- */

static void act(struct testwin *t, enum tw_act a)
{
    struct window *w = &t->w;
    switch (a) {
    case TA_PLAY:
        if (t->sound_seen != TW_SOUND_PLAYING && t->sound_seen != TW_SOUND_NONE)
            post(t, TW_REQ_PLAY);
        break;
    case TA_YES:
    case TA_NO:
        if (tw_asking(t))
            post(t, a == TA_YES ? TW_REQ_HEARD_YES : TW_REQ_HEARD_NO);
        break;
    case TA_CLOSE:
        post(t, TW_REQ_CLOSE);
        break;
    case TA_SMALLER:
        win_set_text_size(w, w->pt - WIN_TEXT_STEP);
        break;
    case TA_BIGGER:
        win_set_text_size(w, w->pt + WIN_TEXT_STEP);
        break;
    case TA_CONTRAST:
        w->hc = !w->hc;
        win_text_flush(w);
        break;
    default:
        break;
    }
    w->dirty = 1;
}

static void key(struct testwin *t, const SDL_Keysym *k)
{
    struct window *w = &t->w;
    int ctrl = (k->mod & KMOD_CTRL) != 0;
    switch (k->sym) {
    case SDLK_TAB:
    case SDLK_RIGHT:
    case SDLK_LEFT: {
        int dir = k->sym == SDLK_LEFT || (k->sym == SDLK_TAB && (k->mod & KMOD_SHIFT)) ? -1 : 1;
        if (w->nbtn > 0)
            w->focus = w->focus < 0 ? (dir > 0 ? 0 : w->nbtn - 1)
                                    : ((w->focus + dir) % w->nbtn + w->nbtn) % w->nbtn;
        w->dirty = 1;
        return;
    }
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
    case SDLK_SPACE:
        if (w->focus >= 0 && w->focus < w->nbtn)
            act(t, t->acts[w->focus]);
        return;
    case SDLK_ESCAPE:
        act(t, TA_CLOSE);
        return;
    case SDLK_F2:
        act(t, TA_CONTRAST);
        return;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        if (ctrl || k->sym == SDLK_KP_PLUS)
            act(t, TA_BIGGER);
        return;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        if (ctrl || k->sym == SDLK_KP_MINUS)
            act(t, TA_SMALLER);
        return;
    case SDLK_j:
        if (!ctrl)
            act(t, TA_PLAY);
        return;
    case SDLK_o:
        if (!ctrl)
            act(t, TA_YES);
        return;
    case SDLK_n:
        if (!ctrl)
            act(t, TA_NO);
        return;
    default:
        return;
    }
}

static void click(struct testwin *t, int x, int y)
{
    for (int i = 0; i < t->w.nbtn; i++)
        if (ui_rect_has(t->w.btn_rect[i], x, y)) {
            t->w.focus = i;
            act(t, t->acts[i]);
            return;
        }
}

/* The newest picture of the test into w.mine (its frame sized once the
 * source's size is known). 1 when a new one came. */
static int picture(struct testwin *t, uint64_t now)
{
    struct win_pic *p = &t->w.mine;
    if (!t->video)
        return 0;
    int vw = 0, vh = 0;
    mtest_video_size(t->m, &vw, &vh);
    if (!p->pic.mem && (vw <= 0 || vh <= 0 || vframe_alloc(&p->pic, vw, vh) != VM_OK))
        return 0;
    if (!mtest_picture(t->m, &p->pic, &p->seen))
        return 0;
    return win_pic_upload(&t->w, p, now);
}

static void run(struct testwin *t)
{
    struct window *w = &t->w;
    uint64_t last_draw = 0;
    while (!atomic_load(&w->stop)) {
        uint64_t now = mono_ms();
        int wait = last_draw + TW_FRAME_MS > now ? (int)(last_draw + TW_FRAME_MS - now) : 1;
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, wait)) {
            do {
                if (ev.type == SDL_QUIT ||
                    (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_CLOSE))
                    act(t, TA_CLOSE);
                else if (ev.type == SDL_KEYDOWN)
                    key(t, &ev.key.keysym);
                else if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT)
                    click(t, ev.button.x, ev.button.y);
                else if (ev.type == SDL_WINDOWEVENT)
                    w->dirty = 1;
            } while (SDL_PollEvent(&ev));
        }
        now = mono_ms();
        if (now - last_draw < TW_FRAME_MS)
            continue;
        pthread_mutex_lock(&w->mu);
        int news = t->version != t->version_seen;
        int verdict_new = news && memcmp(&t->verdict_seen, &t->verdict, sizeof t->verdict);
        if (news) {
            t->sound_seen = t->sound;
            t->verdict_seen = t->verdict;
            t->version_seen = t->version;
        }
        pthread_mutex_unlock(&w->mu);
        if (verdict_new)
            tw_trace_verdict(t);
        struct mtest_level before = t->level;
        if (t->audio)
            mtest_level(t->m, &t->level);
        int changed = w->dirty || news || picture(t, now) ||
                      before.rms_dbfs != t->level.rms_dbfs || (now / 1000) != (last_draw / 1000);
        if (!changed)
            continue;
        tw_layout(t);
        if (w->focus >= w->nbtn)
            w->focus = w->nbtn - 1;
        tw_draw(t, now);
        tw_trace(t, now);
        w->dirty = 0;
        last_draw = now;
    }
}

/* What the window's thread runs once the window is up (win_thread_start). */
static void run_test(void *arg)
{
    run(arg);
}

int testwin_open(struct testwin **out, const struct testwin_config *cfg, char *why, size_t why_cap)
{
    *out = NULL;
    struct testwin *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return -1;
    }
    struct window *w = &t->w;
    t->m = cfg->mtest;
    t->video = cfg->video;
    t->audio = cfg->audio;
    snprintf(t->video_error, sizeof t->video_error, "%s", cfg->video_error ? cfg->video_error : "");
    snprintf(t->audio_error, sizeof t->audio_error, "%s", cfg->audio_error ? cfg->audio_error : "");
    snprintf(w->title, sizeof w->title, "%s", _("Bilan — essai de la caméra et du son"));
    win_settings(w, cfg->text_pt, cfg->high_contrast, cfg->width, cfg->height);
    if (win_thread_start(w, run_test, t, why, why_cap)) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void testwin_close(struct testwin *t)
{
    if (!t)
        return;
    win_thread_stop(&t->w);
    free(t);
}
