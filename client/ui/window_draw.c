/* window_draw.c: what the room's window draws (see window.h): the status
 * lines, the pictures, the captions, the panel and the buttons, with a
 * cache of rendered strings. Window thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/vocab.h"
#include "i18n.h"
#include "vmailbox.h"
#include "window_int.h"

#define PIC_STALE_MS 2000 /* no new picture this long: "Pas d'image" */

const char *const win_phases[4] = {"preliminaire", "investigation", "conclusion", "suivi"};
static const char *const phase_words[4] = {N_("préliminaire"), N_("investigation"),
                                           N_("conclusion"), N_("suivi")};

struct theme {
    SDL_Color bg, text, dim, panel, panel_border, btn, btn_text, btn_border, focus, alert_bg,
        alert_text, warn, good, fair, poor, video_bg;
};

static const struct theme normal = {
    .bg = {24, 26, 30, 255},           .text = {240, 240, 240, 255},
    .dim = {175, 182, 190, 255},       .panel = {40, 44, 52, 255},
    .panel_border = {140, 150, 165, 255}, .btn = {58, 64, 74, 255},
    .btn_text = {255, 255, 255, 255},  .btn_border = {110, 118, 130, 255},
    .focus = {255, 212, 0, 255},       .alert_bg = {178, 34, 34, 255},
    .alert_text = {255, 255, 255, 255}, .warn = {255, 196, 0, 255},
    .good = {70, 200, 100, 255},       .fair = {240, 180, 0, 255},
    .poor = {240, 80, 70, 255},        .video_bg = {0, 0, 0, 255},
};

static const struct theme contrast = {
    .bg = {0, 0, 0, 255},              .text = {255, 255, 255, 255},
    .dim = {255, 255, 255, 255},       .panel = {0, 0, 0, 255},
    .panel_border = {255, 255, 255, 255}, .btn = {0, 0, 0, 255},
    .btn_text = {255, 255, 255, 255},  .btn_border = {255, 255, 255, 255},
    .focus = {255, 255, 0, 255},       .alert_bg = {255, 255, 0, 255},
    .alert_text = {0, 0, 0, 255},      .warn = {255, 255, 0, 255},
    .good = {0, 255, 0, 255},          .fair = {255, 255, 0, 255},
    .poor = {255, 90, 90, 255},        .video_bg = {0, 0, 0, 255},
};

static const struct theme *th(const struct window *w)
{
    return w->hc ? &contrast : &normal;
}

/* ---- fonts and strings ---- */

int win_fonts_open(struct window *w, char *why, size_t why_cap)
{
    int px = ui_px_of_pt(w->pt);
    w->font[0] = TTF_OpenFont(WIN_FONT, px);
    w->font[1] = TTF_OpenFont(WIN_FONT_BOLD, px);
    w->font[2] = TTF_OpenFont(WIN_FONT_BOLD, px * 8 / 5);
    if (!w->font[0] || !w->font[1] || !w->font[2]) {
        snprintf(why, why_cap,
                 _("police introuvable (%s) : installez le paquet fonts-dejavu-core"), WIN_FONT);
        win_fonts_close(w);
        return -1;
    }
    return 0;
}

void win_text_flush(struct window *w)
{
    for (int i = 0; i < WIN_TEXT_CACHE; i++) {
        if (w->texts[i].tex)
            SDL_DestroyTexture(w->texts[i].tex);
        free(w->texts[i].s);
        memset(&w->texts[i], 0, sizeof w->texts[i]);
    }
}

void win_fonts_close(struct window *w)
{
    win_text_flush(w);
    for (int i = 0; i < 3; i++) {
        if (w->font[i])
            TTF_CloseFont(w->font[i]);
        w->font[i] = NULL;
    }
}

int win_text_width(struct window *w, int font, const char *s)
{
    int tw = 0, thh = 0;
    if (!*s || TTF_SizeUTF8(w->font[font], s, &tw, &thh))
        return 0;
    return tw;
}

static uint32_t rgba(SDL_Color c)
{
    return (uint32_t)c.r << 24 | (uint32_t)c.g << 16 | (uint32_t)c.b << 8 | c.a;
}

/* The texture of s in font and colour c (cached), or NULL. */
static struct win_text *text(struct window *w, int font, SDL_Color c, const char *s)
{
    if (!*s)
        return NULL;
    struct win_text *old = &w->texts[0];
    for (int i = 0; i < WIN_TEXT_CACHE; i++) {
        struct win_text *t = &w->texts[i];
        if (t->s && t->font == font && t->rgba == rgba(c) && !strcmp(t->s, s)) {
            t->used = w->frame;
            return t;
        }
        if (!t->s || t->used < old->used)
            old = t;
    }
    SDL_Surface *surf = TTF_RenderUTF8_Blended(w->font[font], s, c);
    if (!surf)
        return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(w->ren, surf);
    int tw = surf->w, thh = surf->h;
    SDL_FreeSurface(surf);
    char *copy = strdup(s);
    if (!tex || !copy) {
        if (tex)
            SDL_DestroyTexture(tex);
        free(copy);
        return NULL;
    }
    if (old->tex)
        SDL_DestroyTexture(old->tex);
    free(old->s);
    *old = (struct win_text){.s = copy, .font = font, .rgba = rgba(c), .tex = tex, .w = tw,
                             .h = thh, .used = w->frame};
    return old;
}

static SDL_Rect sdl(struct ui_rect r)
{
    SDL_Rect s = {r.x, r.y, r.w, r.h};
    return s;
}

/* s in r (align 0 left, 1 centred), cut at r's edges. */
static void draw_text(struct window *w, int font, SDL_Color c, const char *s, struct ui_rect r,
                      int align)
{
    struct win_text *t = text(w, font, c, s);
    if (!t || r.w <= 0 || r.h <= 0)
        return;
    SDL_Rect clip = sdl(r);
    SDL_Rect dst = {align ? r.x + (r.w - t->w) / 2 : r.x, r.y + (r.h - t->h) / 2, t->w, t->h};
    if (dst.x < r.x)
        dst.x = r.x;
    SDL_RenderSetClipRect(w->ren, &clip);
    SDL_RenderCopy(w->ren, t->tex, NULL, &dst);
    SDL_RenderSetClipRect(w->ren, NULL);
}

static void fill(struct window *w, struct ui_rect r, SDL_Color c)
{
    SDL_Rect s = sdl(r);
    SDL_SetRenderDrawColor(w->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(w->ren, &s);
}

/* A frame of thickness t around r, outside it by out pixels. */
static void frame(struct window *w, struct ui_rect r, int t, int out, SDL_Color c)
{
    struct ui_rect o = {r.x - out, r.y - out, r.w + 2 * out, r.h + 2 * out};
    struct ui_rect sides[4] = {{o.x, o.y, o.w, t},
                               {o.x, o.y + o.h - t, o.w, t},
                               {o.x, o.y, t, o.h},
                               {o.x + o.w - t, o.y, t, o.h}};
    for (int i = 0; i < 4; i++)
        fill(w, sides[i], c);
}

/* ---- pictures ---- */

void win_pic_free(struct win_pic *p)
{
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    p->tex = NULL;
    vframe_free(&p->pic);
}

int win_pic_update(struct window *w, struct win_pic *p, uint64_t now_ms)
{
    if (!p->box)
        return 0;
    int got = vmailbox_take(p->box, &p->pic, &p->seen);
    if (got < 0) {
        p->valid = 0;
        return 1;
    }
    if (got == 0)
        return 0;
    return win_pic_upload(w, p, now_ms);
}

int win_pic_upload(struct window *w, struct win_pic *p, uint64_t now_ms)
{
    if (!p->tex || p->tw != p->pic.width || p->th != p->pic.height) {
        if (p->tex)
            SDL_DestroyTexture(p->tex);
        p->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING,
                                   p->pic.width, p->pic.height);
        p->tw = p->pic.width;
        p->th = p->pic.height;
    }
    if (!p->tex)
        return 0;
    SDL_UpdateYUVTexture(p->tex, NULL, p->pic.y, p->pic.stride_y, p->pic.u, p->pic.stride_uv,
                         p->pic.v, p->pic.stride_uv);
    p->valid = 1;
    p->last_new_ms = now_ms;
    return 1;
}

/* ---- words ---- */

static const char *role_words(int role)
{
    if (role == BP_ROLE_CONSULTANT)
        return _("Votre consultante / votre consultant");
    if (role == BP_ROLE_BENEFICIARY)
        return _("Bénéficiaire");
    return _("L'autre personne");
}

static const char *quality_words(enum room_quality q)
{
    switch (q) {
    case ROOM_Q_GOOD:
        return _("Bonne connexion");
    case ROOM_Q_FAIR:
        return _("Connexion moyenne");
    case ROOM_Q_POOR:
        return _("Mauvaise connexion");
    default:
        return _("Connexion en cours d'évaluation");
    }
}

static const char *phase_of(const char *wire)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(wire, win_phases[i]))
            return _(phase_words[i]);
    return wire;
}

/* "3 h 05", or "45 min" under an hour. */
static void hm(char *out, size_t cap, int64_t ms)
{
    int64_t min = (ms < 0 ? 0 : ms) / 60000;
    if (min < 60)
        snprintf(out, cap, _("%lld min"), (long long)min);
    else
        snprintf(out, cap, _("%lld h %02lld"), (long long)(min / 60), (long long)(min % 60));
}

enum win_panel win_panel_now(const struct window *w)
{
    if (w->panel != PANEL_NONE)
        return w->panel;
    const struct room_snapshot *s = &w->snap;
    if (s->code_pending && s->conn == ROOM_IN &&
        !(s->code_slot == w->answered_slot && !strcmp(s->code, w->answered_code)))
        return PANEL_CODE;
    if (s->files_waiting > 0 && s->conn == ROOM_IN &&
        !(s->files_waiting == w->files_answered_n && !strcmp(s->file_name, w->files_answered)))
        return PANEL_FILES;
    return PANEL_NONE;
}

/* ---- this frame's buttons and layout ---- */

static void add(struct window *w, const char *label, const char *short_label, enum win_act act,
                int alert)
{
    if (w->nbtn < 2 * UI_BUTTONS_MAX)
        w->btn[w->nbtn++] =
            (struct win_button){.label = label, .short_label = short_label, .act = act,
                                .alert = alert};
}

void win_build(struct window *w)
{
    const struct room_snapshot *s = &w->snap;
    struct ui_layout_in in;
    memset(&in, 0, sizeof in);
    SDL_GetRendererOutputSize(w->ren, &in.win_w, &in.win_h);
    in.text_pt = w->pt;
    in.nstatus = 3;
    w->nbtn = 0;
    enum win_panel p = win_panel_now(w);
    if (p == PANEL_CODE) {
        in.panel_title = in.panel_big = 1;
        in.panel_text = 2;
        add(w, _("Oui (O)"), NULL, ACT_CODE_YES, 0);
        add(w, _("Non (N)"), NULL, ACT_CODE_NO, 0);
    } else if (p == PANEL_FILES) {
        in.panel_title = 1;
        in.panel_text = 2;
        add(w, _("Enregistrer (O)"), NULL, ACT_FILES_YES, 0);
        add(w, _("Refuser (N)"), NULL, ACT_FILES_NO, 0);
    } else if (p == PANEL_LEAVE) {
        in.panel_title = 1;
        add(w, _("Oui, quitter (O)"), NULL, ACT_LEAVE_YES, 0);
        add(w, _("Non, rester (N)"), NULL, ACT_LEAVE_NO, 0);
    } else if (p == PANEL_PHASE) {
        in.panel_title = 1;
        add(w, _("Préliminaire (1)"), NULL, ACT_PHASE_0, 0);
        add(w, _("Investigation (2)"), NULL, ACT_PHASE_0 + 1, 0);
        add(w, _("Conclusion (3)"), NULL, ACT_PHASE_0 + 2, 0);
        add(w, _("Suivi (4)"), NULL, ACT_PHASE_0 + 3, 0);
        add(w, _("Annuler (Échap)"), NULL, ACT_CANCEL, 0);
    }
    w->npanel_btn = in.npanel_btn = w->nbtn;
    for (int i = 0; i < w->nbtn; i++)
        in.panel_btn_w[i] = win_text_width(w, 1, w->btn[i].label);
    if (s->has_mic)
        add(w, s->mic_muted ? _("Micro coupé (M)") : _("Micro ouvert (M)"),
            s->mic_muted ? _("Micro coupé") : _("Micro"), ACT_MIC, s->mic_muted);
    if (s->has_cam)
        add(w, s->cam_muted ? _("Caméra coupée (C)") : _("Caméra ouverte (C)"),
            s->cam_muted ? _("Caméra coupée") : _("Caméra"), ACT_CAM, s->cam_muted);
    if (s->my_role == BP_ROLE_CONSULTANT)
        add(w, s->session_open ? _("Clore la séance (S)") : _("Ouvrir une séance (S)"),
            _("Séance"), ACT_SESSION, 0);
    add(w, _("Quitter (Échap)"), _("Quitter"), ACT_LEAVE, 0);
    add(w, _("A− (Ctrl −)"), _("A−"), ACT_SMALLER, 0);
    add(w, _("A+ (Ctrl +)"), _("A+"), ACT_BIGGER, 0);
    add(w, _("Contraste (F2)"), _("Contraste"), ACT_CONTRAST, 0);
    in.nbar = w->nbtn - w->npanel_btn;
    for (int i = 0; i < in.nbar; i++) {
        const struct win_button *b = &w->btn[w->npanel_btn + i];
        in.bar_long_w[i] = win_text_width(w, 1, b->label);
        in.bar_short_w[i] = win_text_width(w, 1, b->short_label);
    }
    if (w->remote.valid) {
        in.remote_w = w->remote.pic.width;
        in.remote_h = w->remote.pic.height;
    }
    if (w->mine.valid) {
        in.self_w = w->mine.pic.width;
        in.self_h = w->mine.pic.height;
    }
    ui_layout(&in, &w->lay);
    for (int i = 0; i < w->npanel_btn; i++)
        w->btn_rect[i] = w->lay.panel_btn[i];
    for (int i = 0; i < in.nbar; i++)
        w->btn_rect[w->npanel_btn + i] = w->lay.bar[i];
}

/* ---- drawing ---- */

static void draw_button(struct window *w, int i, int focused)
{
    const struct theme *t = th(w);
    const struct win_button *b = &w->btn[i];
    struct ui_rect r = w->btn_rect[i];
    if (r.w <= 0)
        return;
    fill(w, r, b->alert ? t->alert_bg : t->btn);
    frame(w, r, w->hc ? 3 : 2, 0, b->alert ? t->alert_bg : t->btn_border);
    const char *label = i >= w->npanel_btn && w->lay.bar_short ? b->short_label : b->label;
    draw_text(w, 1, b->alert ? t->alert_text : t->btn_text, label, r, 1);
    if (focused) /* clearly drawn: a thick frame outside the button, and inside */
        frame(w, r, w->hc ? 6 : 4, w->hc ? 6 : 4, t->focus);
}

/* Four bars, as many lit as the quality is good. */
static void draw_bars(struct window *w, struct ui_rect r, enum room_quality q)
{
    const struct theme *t = th(w);
    int lit = q == ROOM_Q_GOOD ? 4 : q == ROOM_Q_FAIR ? 2 : q == ROOM_Q_POOR ? 1 : 0;
    SDL_Color c = q == ROOM_Q_GOOD ? t->good : q == ROOM_Q_FAIR ? t->fair : t->poor;
    int bw = r.h / 6 > 2 ? r.h / 6 : 2, gap = bw / 2 + 1, hmax = r.h - 4;
    for (int i = 0; i < 4; i++) {
        int h = hmax * (i + 1) / 4;
        struct ui_rect b = {r.x + i * (bw + gap), r.y + 2 + hmax - h, bw, h};
        if (i < lit)
            fill(w, b, c);
        else
            frame(w, b, 1, 0, t->dim);
    }
}

static void draw_status(struct window *w, uint64_t now_ms)
{
    const struct theme *t = th(w);
    const struct room_snapshot *s = &w->snap;
    char line[ROOM_LINE_MAX];
    /* 1: the connection, and what we do not send. */
    struct ui_rect r = w->lay.status[0];
    SDL_Color c = t->text;
    if (s->conn == ROOM_IN) {
        struct ui_rect icon = {r.x, r.y, r.h, r.h};
        draw_bars(w, icon, s->quality);
        r.x += r.h + w->lay.pad;
        r.w -= r.h + w->lay.pad;
        snprintf(line, sizeof line, "%s%s%s", quality_words(s->quality),
                 s->mic_muted ? _(" · Micro coupé") : "",
                 s->cam_muted ? _(" · Caméra coupée") : "");
    } else if (s->conn == ROOM_RECONNECTING) {
        c = t->warn;
        if (s->retry_left_s > 0)
            snprintf(line, sizeof line, _("Reconnexion… (encore %d s)"), s->retry_left_s);
        else
            snprintf(line, sizeof line, "%s", _("Reconnexion…"));
    } else if (s->conn == ROOM_LEFT) {
        snprintf(line, sizeof line, "%s", _("Vous avez quitté la salle."));
    } else {
        snprintf(line, sizeof line, "%s", _("Connexion à la salle…"));
    }
    draw_text(w, 0, c, line, r, 0);
    /* 2: the session and its timer. */
    c = t->text;
    if (s->session_open) {
        int64_t ms = s->session_elapsed_ms + (int64_t)(now_ms - s->session_start_ms);
        int64_t sec = ms < 0 ? 0 : ms / 1000;
        snprintf(line, sizeof line, _("Séance ouverte (%s) : %lld:%02lld:%02lld"),
                 phase_of(s->phase), (long long)(sec / 3600), (long long)(sec / 60 % 60),
                 (long long)(sec % 60));
    } else if (s->not_counted_notice) {
        c = t->warn;
        snprintf(line, sizeof line, "%s",
                 _("Aucune séance ouverte : ce temps n'est pas compté"));
    } else {
        snprintf(line, sizeof line, "%s", _("Aucune séance ouverte"));
    }
    draw_text(w, 0, c, line, w->lay.status[1], 0);
    /* 3: the hours, and the budget's warning. */
    c = t->dim;
    if (s->hours_known) {
        char used[32], left[32];
        hm(used, sizeof used, s->used_ms);
        hm(left, sizeof left, s->left_ms);
        if (s->budget_warn_pct) {
            c = t->warn;
            snprintf(line, sizeof line,
                     _("Attention : %d %% des heures utilisées (%s utilisées, %s restantes)"),
                     s->budget_warn_pct, used, left);
        } else {
            snprintf(line, sizeof line, _("Heures en face à face : %s utilisées, %s restantes"),
                     used, left);
        }
    } else {
        snprintf(line, sizeof line, "%s", _("Heures en face à face : pas encore connues"));
    }
    draw_text(w, 0, c, line, w->lay.status[2], 0);
}

/* One picture in r (mirrored for ours), or words when there is none. */
static void draw_pic(struct window *w, struct win_pic *p, struct ui_rect r, int mirror,
                     const char *none, uint64_t now_ms)
{
    const struct theme *t = th(w);
    if (r.w <= 0)
        return;
    fill(w, r, t->video_bg);
    if (p->valid && p->tex) {
        SDL_Rect d = sdl(r);
        SDL_RenderCopyEx(w->ren, p->tex, NULL, &d, 0, NULL,
                         mirror ? SDL_FLIP_HORIZONTAL : SDL_FLIP_NONE);
        if (now_ms - p->last_new_ms > PIC_STALE_MS) {
            struct ui_rect band = {r.x, r.y + r.h - w->lay.line_h, r.w, w->lay.line_h};
            fill(w, band, t->video_bg);
            draw_text(w, 0, t->text, _("Image figée"), band, 1);
        }
    } else {
        draw_text(w, 0, t->dim, none, r, 1);
    }
}

/* text centred in r, on two lines when it does not fit on one (cut at
 * spaces; the French non-breaking ones before ":" and "?" hold). */
static void two_lines_in(struct window *w, SDL_Color c, const char *text, struct ui_rect r)
{
    if (win_text_width(w, 0, text) <= r.w) {
        draw_text(w, 0, c, text, r, 1);
        return;
    }
    char a[ROOM_LINE_MAX];
    snprintf(a, sizeof a, "%s", text);
    char *cut = NULL;
    for (char *sp = strchr(a, ' '); sp; sp = strchr(sp + 1, ' ')) {
        *sp = 0;
        int fits = win_text_width(w, 0, a) <= r.w;
        *sp = ' ';
        if (!fits)
            break;
        cut = sp;
    }
    if (cut)
        *cut = 0;
    struct ui_rect r1 = {r.x, r.y, r.w, r.h / 2}, r2 = {r.x, r.y + r.h / 2, r.w, r.h / 2};
    draw_text(w, 0, c, a, r1, 1);
    draw_text(w, 0, c, cut ? cut + 1 : "", r2, 1);
}

static void two_lines(struct window *w, const char *text, struct ui_rect r)
{
    two_lines_in(w, th(w)->text, text, r);
}

static void draw_panel(struct window *w)
{
    const struct theme *t = th(w);
    const struct room_snapshot *s = &w->snap;
    enum win_panel p = win_panel_now(w);
    fill(w, w->lay.panel, t->panel);
    frame(w, w->lay.panel, w->hc ? 4 : 2, 0, t->panel_border);
    if (p == PANEL_CODE) {
        draw_text(w, 0, t->text, _("Code de sécurité"), w->lay.panel_title, 1);
        draw_text(w, 2, t->text, s->code, w->lay.panel_big, 1);
        two_lines(w, _("Lisez-le à voix haute\xc2\xa0: l'autre personne voit-elle le même code\xc2\xa0?"),
                  w->lay.panel_text);
    } else if (p == PANEL_FILES) {
        char line[ROOM_LINE_MAX], size[32];
        if (s->files_waiting > 1)
            snprintf(line, sizeof line, _("%d fichiers vous sont envoyés"), s->files_waiting);
        else
            snprintf(line, sizeof line, "%s", _("Un fichier vous est envoyé"));
        draw_text(w, 1, t->text, line, w->lay.panel_title, 1);
        if (s->file_bytes >= 1024 * 1024)
            snprintf(size, sizeof size, _("%.1f Mo"), (double)s->file_bytes / (1024.0 * 1024.0));
        else
            snprintf(size, sizeof size, _("%llu ko"), (s->file_bytes + 1023) / 1024);
        snprintf(line, sizeof line, _("« %s » (%s), de %s. L'enregistrer\xc2\xa0?"), s->file_name,
                 size, s->file_slot >= 0 && s->file_slot < BP_MAX_MEMBERS
                           ? role_words(s->people[s->file_slot].role)
                           : role_words(BP_ROLE_NONE));
        two_lines(w, line, w->lay.panel_text);
    } else if (p == PANEL_LEAVE) {
        draw_text(w, 1, t->text, _("Quitter la séance ?"), w->lay.panel_title, 1);
    } else if (p == PANEL_PHASE) {
        draw_text(w, 1, t->text, _("Ouvrir une séance : quelle phase ?"), w->lay.panel_title, 1);
    }
}

/* The other person: the first present that is not us, else the first
 * whose picture we have. */
static int other_slot(const struct window *w)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (w->snap.people[i].present && !w->snap.people[i].me && i != w->snap.my_slot)
            return i;
    return -1;
}

void win_draw(struct window *w, uint64_t now_ms)
{
    const struct theme *t = th(w);
    const struct room_snapshot *s = &w->snap;
    w->frame++;
    SDL_SetRenderDrawColor(w->ren, t->bg.r, t->bg.g, t->bg.b, 255);
    SDL_RenderClear(w->ren);
    draw_status(w, now_ms);
    int other = other_slot(w);
    const char *waiting = other < 0 && !w->remote.valid
                              ? _("En attente de l'autre personne…")
                              : _("En attente de son image…");
    if (s->conn == ROOM_RECONNECTING)
        waiting = _("Reconnexion…");
    draw_pic(w, &w->remote, w->lay.remote, 0, waiting, now_ms);
    const char *mine_none = !s->has_cam     ? _("Pas de caméra")
                            : s->cam_muted ? _("Caméra coupée")
                                           : _("Votre image arrive…");
    draw_pic(w, &w->mine, w->lay.self, 1, mine_none, now_ms);
    if (w->lay.self.w > 0)
        frame(w, w->lay.self, 2, 0, t->panel_border);
    /* Captions: who is who, in plain words. */
    char cap[ROOM_LINE_MAX];
    int consultant = other >= 0 && s->people[other].role == BP_ROLE_CONSULTANT;
    if (consultant && s->people[other].name[0])
        snprintf(cap, sizeof cap, "%s : %s", role_words(BP_ROLE_CONSULTANT),
                 s->people[other].name);
    else if (other >= 0)
        snprintf(cap, sizeof cap, "%s", role_words(s->people[other].role));
    else
        snprintf(cap, sizeof cap, "%s", w->remote.valid ? role_words(BP_ROLE_NONE) : "");
    /* Large text: shorter words, then the name alone, rather than half. */
    if (consultant && win_text_width(w, 1, cap) > w->lay.cap_remote.w) {
        if (s->people[other].name[0])
            snprintf(cap, sizeof cap, "%s : %s", _("Consultante / consultant"),
                     s->people[other].name);
        else
            snprintf(cap, sizeof cap, "%s", _("Consultante / consultant"));
        if (s->people[other].name[0] && win_text_width(w, 1, cap) > w->lay.cap_remote.w)
            snprintf(cap, sizeof cap, "%s", s->people[other].name);
    }
    draw_text(w, 1, t->text, cap, w->lay.cap_remote, 0);
    snprintf(cap, sizeof cap, "%s%s", _("Vous"), s->mic_muted ? _(" — Micro coupé") : "");
    draw_text(w, 1, s->mic_muted ? t->warn : t->text, cap, w->lay.cap_self, 1);
    /* The room's latest line, over the top of the pictures for a while. */
    if (!w->lay.has_panel && w->toast[0] && now_ms < w->toast_until && w->lay.video.h > 0) {
        /* Two lines when one is not enough (what does not fit then is cut). */
        int inner = w->lay.video.w - 2 * w->lay.pad;
        int lines = win_text_width(w, 0, w->toast) > inner ? 2 : 1;
        struct ui_rect band = {w->lay.video.x, w->lay.video.y, w->lay.video.w,
                               lines * w->lay.line_h + w->lay.pad};
        if (band.h > w->lay.video.h)
            band.h = w->lay.video.h;
        SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_BLEND);
        SDL_Color bg = t->panel;
        bg.a = w->hc ? 255 : 225;
        fill(w, band, bg);
        SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_NONE);
        struct ui_rect txt = {band.x + w->lay.pad, band.y + w->lay.pad / 2, inner,
                              band.h - w->lay.pad};
        two_lines_in(w, w->toast_kind == ROOM_LINE_WARNING ? t->warn : t->text, w->toast, txt);
    }
    if (w->lay.has_panel)
        draw_panel(w);
    int first = w->lay.has_panel ? 0 : w->npanel_btn;
    for (int i = first; i < w->nbtn; i++)
        draw_button(w, i, i == w->focus);
    SDL_RenderPresent(w->ren);
}

/* ---- for the other windows of client/ui/ (testwin.c): the same drawing ---- */

SDL_Color win_colour(const struct window *w, enum win_colour c)
{
    const struct theme *t = th(w);
    switch (c) {
    case WC_BG:
        return t->bg;
    case WC_TEXT:
        return t->text;
    case WC_DIM:
        return t->dim;
    case WC_PANEL:
        return t->panel;
    case WC_BORDER:
        return t->panel_border;
    case WC_GOOD:
        return t->good;
    case WC_WARN:
        return t->warn;
    case WC_POOR:
        return t->poor;
    default:
        return t->video_bg;
    }
}

void win_draw_text(struct window *w, int font, SDL_Color c, const char *s, struct ui_rect r,
                   int align)
{
    draw_text(w, font, c, s, r, align);
}

void win_fill(struct window *w, struct ui_rect r, SDL_Color c)
{
    fill(w, r, c);
}

void win_frame(struct window *w, struct ui_rect r, int t, int out, SDL_Color c)
{
    frame(w, r, t, out, c);
}

void win_draw_button(struct window *w, int i, int focused)
{
    draw_button(w, i, focused);
}

void win_draw_pic(struct window *w, struct win_pic *p, struct ui_rect r, int mirror,
                  const char *none, uint64_t now_ms)
{
    draw_pic(w, p, r, mirror, none, now_ms);
}
