/* testwin_draw.c: what the window of `bilan test-media` draws (see
 * testwin.h): its words, buttons, layout (from the top: a title, "Votre
 * image" on the left beside the microphone's meter and the test sound on
 * the right, the verdict under them, the buttons at the bottom) and the
 * drawing itself, with the room's window's text, buttons, pictures and
 * themes (window_int.h). Window thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "testwin_int.h"

static struct ui_rect rect(int x, int y, int w, int h)
{
    struct ui_rect r = {x, y, w > 0 ? w : 0, h > 0 ? h : 0};
    return r;
}

/* ---- words and buttons ---- */

int tw_asking(const struct testwin *t)
{
    return t->sound_seen == TW_SOUND_ASK;
}

static void add(struct testwin *t, const char *label, const char *short_label, enum tw_act a)
{
    struct window *w = &t->w;
    if (w->nbtn < 2 * UI_BUTTONS_MAX) {
        t->acts[w->nbtn] = a;
        w->btn[w->nbtn++] = (struct win_button){.label = label, .short_label = short_label};
    }
}

static void buttons(struct testwin *t)
{
    t->w.nbtn = 0;
    t->w.npanel_btn = 0;
    if (tw_asking(t)) {
        add(t, _("Oui, je l'entends (O)"), _("Oui (O)"), TA_YES);
        add(t, _("Non (N)"), _("Non (N)"), TA_NO);
    }
    if (t->sound_seen != TW_SOUND_NONE && t->sound_seen != TW_SOUND_PLAYING)
        add(t, t->sound_seen == TW_SOUND_IDLE ? _("Jouer un son d'essai (J)") : _("Rejouer le son (J)"),
            _("Son (J)"), TA_PLAY);
    add(t, _("Fermer (Échap)"), _("Fermer"), TA_CLOSE);
    add(t, _("A− (Ctrl −)"), _("A−"), TA_SMALLER);
    add(t, _("A+ (Ctrl +)"), _("A+"), TA_BIGGER);
    add(t, _("Contraste (F2)"), _("Contraste"), TA_CONTRAST);
}

static const char *sound_words(const struct testwin *t)
{
    switch (t->sound_seen) {
    case TW_SOUND_IDLE:
        return _("Appuyez sur J pour jouer un son d'essai sur le haut-parleur.");
    case TW_SOUND_PLAYING:
        return _("Son d'essai en cours…");
    case TW_SOUND_ASK:
        return _("Avez-vous entendu le son ? Oui (O) ou Non (N)");
    case TW_SOUND_HEARD:
        return _("Le haut-parleur marche.");
    case TW_SOUND_NOT_HEARD:
        return _("Montez le volume, vérifiez le haut-parleur choisi, puis rejouez le son (J).");
    case TW_SOUND_FAILED:
        return t->sound_detail;
    default:
        return _("Aucun haut-parleur choisi.");
    }
}

/* text cut into lines of at most width px (at spaces; a word wider than
 * the line is cut by the drawing). Returns the number of lines. */
static int wrap(struct window *w, int font, const char *text, int width,
                char out[TW_WRAP][TESTWIN_LINE_MAX])
{
    int n = 0;
    const char *p = text;
    while (*p == ' ')
        p++;
    while (*p && n < TW_WRAP) {
        char line[TESTWIN_LINE_MAX];
        size_t len = 0, fit = 0;
        for (;;) {
            const char *sp = strchr(p + len + (len ? 1 : 0), ' ');
            size_t end = sp ? (size_t)(sp - p) : strlen(p);
            if (end >= sizeof line)
                end = sizeof line - 1;
            memcpy(line, p, end);
            line[end] = 0;
            if (fit && win_text_width(w, font, line) > width)
                break;
            fit = end;
            if (!sp || end == sizeof line - 1)
                break;
            len = end;
        }
        memcpy(out[n], p, fit);
        out[n][fit] = 0;
        n++;
        p += fit;
        while (*p == ' ')
            p++;
    }
    return n;
}

/* text wrapped in r from its top; returns the height used. */
static int draw_wrapped(struct window *w, int font, SDL_Color c, const char *text, struct ui_rect r)
{
    char lines[TW_WRAP][TESTWIN_LINE_MAX];
    int n = wrap(w, font, text, r.w, lines), y = r.y;
    for (int i = 0; i < n && y + w->lay.line_h <= r.y + r.h; i++, y += w->lay.line_h)
        win_draw_text(w, font, c, lines[i], rect(r.x, y, r.w, w->lay.line_h), 0);
    return n * w->lay.line_h;
}

/* ---- layout ---- */

/* Buttons flowed from the bottom into rows (long labels, or short ones
 * when long ones need more than one row); returns the top of the rows. */
static int place_buttons(struct testwin *t, int W, int H)
{
    struct window *w = &t->w;
    int pad = w->lay.pad, avail = W - 2 * pad;
    for (int pass = 0; pass < 2; pass++) {
        w->lay.bar_short = pass;
        int x = 0, y = 0, rows = 1;
        for (int i = 0; i < w->nbtn; i++) {
            const char *s = pass ? w->btn[i].short_label : w->btn[i].label;
            int bw = win_text_width(w, 1, s) + 2 * pad;
            bw = bw > avail ? avail : bw;
            if (x && x + bw > avail) {
                x = 0;
                y += w->lay.btn_h + pad;
                rows++;
            }
            w->btn_rect[i] = rect(pad + x, y, bw, w->lay.btn_h);
            x += bw + pad;
        }
        if (rows == 1 || pass == 1) {
            int top = H - pad - rows * w->lay.btn_h - (rows - 1) * pad;
            for (int i = 0; i < w->nbtn; i++)
                w->btn_rect[i].y += top;
            return top;
        }
    }
    return H;
}

static int lines_of(struct window *w, int font, const char *text, int width)
{
    char lines[TW_WRAP][TESTWIN_LINE_MAX];
    return wrap(w, font, text, width, lines);
}

static const char *meter_words(const struct testwin *t, int heard)
{
    if (!t->audio)
        return t->audio_error[0] ? t->audio_error : _("Aucun micro choisi.");
    return heard ? _("On vous entend.") : _("Le micro ne capte rien : parlez pour l'essayer.");
}

/* The verdict's lines in the order shown: the devices that do not work
 * (each with its advice), the conclusion, then the others (large text
 * leaves room for few lines: what to fix comes first). Returns how many. */
static int verdict_order(const struct testwin_verdict *v, int order[TESTWIN_LINES])
{
    int n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < v->n; i++) {
            enum testwin_kind k = v->line[i].kind;
            if (pass == 1) {
                if (k == TW_READY || k == TW_FIX)
                    order[n++] = i;
                continue;
            }
            if (k != (pass ? TW_DEVICE : TW_PROBLEM))
                continue;
            order[n++] = i;
            for (int j = i + 1; j < v->n && (v->line[j].kind == TW_ADVICE || v->line[j].kind == TW_NOTE);
                 j++)
                order[n++] = j;
        }
    return n;
}

void tw_layout(struct testwin *t)
{
    struct window *w = &t->w;
    int W = 0, H = 0;
    SDL_GetRendererOutputSize(w->ren, &W, &H);
    struct ui_layout *l = &w->lay;
    l->px = ui_px_of_pt(w->pt);
    l->line_h = l->px * 5 / 4 + 2; /* as layout.c: DejaVu's line skip */
    l->pad = l->px / 4 > 6 ? l->px / 4 : 6;
    l->btn_h = l->line_h + l->pad;
    int pad = l->pad, lh = l->line_h;
    buttons(t);
    int bar_top = place_buttons(t, W, H);
    t->title = rect(pad, pad, W - 2 * pad, lh);
    int top = pad + lh + pad, avail = bar_top - pad - top;
    /* Left, 55 % of the width: "Votre image"; right: the microphone, then
     * the sound, as many lines as their words need. */
    int colw = (W - 3 * pad) * 55 / 100, rx = pad + colw + pad, rw = W - rx - pad;
    int nmeter = lines_of(w, 0, meter_words(t, 0), rw), nsound = lines_of(w, 0, sound_words(t), rw);
    int right = lh + lh * 3 / 2 + pad + nmeter * lh + pad + lh + nsound * lh;
    /* The verdict under both: all of it when there is room; else the right
     * column's room, but at least what to fix and the conclusion (up to
     * half the height), the right column then cut at its bottom. */
    int vh = 0, vmin = 0, problem = 0;
    for (int i = 0; i < t->verdict_seen.n; i++) {
        enum testwin_kind k = t->verdict_seen.line[i].kind;
        if (k != TW_ADVICE && k != TW_NOTE)
            problem = k == TW_PROBLEM;
        int note = k == TW_ADVICE || k == TW_NOTE;
        int h = lh * lines_of(w, note ? 0 : 1, t->verdict_seen.line[i].text,
                              W - 2 * pad - (note ? 2 * pad : 0));
        vh += h;
        if (problem || k == TW_FIX)
            vmin += h;
    }
    if (vmin > avail / 2)
        vmin = avail / 2;
    if (!t->verdict_seen.n)
        vh = vmin = lh; /* "Le résultat arrive…" */
    int mid = avail - (vh ? vh + pad : 0);
    if (mid < right)
        mid = avail - right - pad >= vmin ? right : avail - (vmin ? vmin + pad : 0);
    if (mid < 0)
        mid = 0;
    int bottom = top + mid;
    t->verdict_r = rect(pad, bottom + pad, W - 2 * pad, bar_top - pad - (bottom + pad));
    /* The picture, the camera's shape (4:3 until known), fit in its column. */
    int vw = 640, vhh = 480;
    if (w->mine.valid) {
        vw = w->mine.pic.width;
        vhh = w->mine.pic.height;
    }
    int pw = colw, ph = mid - lh;
    if (ph < 0)
        ph = 0;
    if (pw * vhh > ph * vw)
        pw = ph * vw / vhh;
    else
        ph = pw * vhh / vw;
    t->pic_cap = rect(pad, top, colw, lh);
    t->pic = rect(pad, top + lh, pw, ph);
    int y = top;
    t->meter_cap = rect(rx, y, rw, lh);
    y += lh;
    t->meter = rect(rx, y + pad / 2, rw, lh * 3 / 2);
    y += lh * 3 / 2 + pad;
    t->meter_words = rect(rx, y, rw, nmeter * lh);
    y += nmeter * lh + pad;
    t->sound_cap = rect(rx, y, rw, lh);
    y += lh;
    t->sound_words = rect(rx, y, rw, bottom - y);
}

/* ---- drawing ---- */

static void draw_meter(struct testwin *t, uint64_t now)
{
    struct window *w = &t->w;
    struct ui_rect r = t->meter;
    win_fill(w, r, win_colour(w, WC_VIDEO));
    win_frame(w, r, w->hc ? 3 : 2, 0, win_colour(w, WC_BORDER));
    const char *words = meter_words(t, now < t->heard_until);
    SDL_Color c = win_colour(w, WC_TEXT);
    if (!t->audio) {
        t->lit_pct = 0;
        c = win_colour(w, t->audio_error[0] ? WC_WARN : WC_DIM);
    } else {
        double f = (t->level.rms_dbfs - MCHECK_FLOOR_DBFS) / -MCHECK_FLOOR_DBFS;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        int heard = t->level.blocks > 0 && mcheck_heard(t->level.rms_dbfs);
        if (heard)
            t->heard_until = now + TW_HEARD_HOLD_MS;
        int inner = r.w - 8;
        struct ui_rect lit = rect(r.x + 4, r.y + 4, (int)(inner * f), r.h - 8);
        t->lit_pct = (int)(f * 100);
        win_fill(w, lit, win_colour(w, heard ? WC_GOOD : WC_DIM));
        /* The line a voice must cross to count as heard. */
        double s = (MCHECK_SILENCE_DBFS - MCHECK_FLOOR_DBFS) / -MCHECK_FLOOR_DBFS;
        win_fill(w, rect(r.x + 4 + (int)(inner * s), r.y, w->hc ? 3 : 2, r.h),
                 win_colour(w, WC_WARN));
        words = meter_words(t, now < t->heard_until);
        if (now < t->heard_until)
            c = win_colour(w, WC_GOOD);
    }
    draw_wrapped(w, 0, c, words, t->meter_words);
}

static void draw_verdict(struct testwin *t)
{
    struct window *w = &t->w;
    struct ui_rect r = t->verdict_r;
    if (r.h <= 0)
        return;
    if (!t->verdict_seen.n) {
        draw_wrapped(w, 0, win_colour(w, WC_DIM),
                     _("Le résultat arrive dans quelques secondes…"), r);
        return;
    }
    int y = r.y, order[TESTWIN_LINES], n = verdict_order(&t->verdict_seen, order);
    for (int o = 0; o < n && y < r.y + r.h; o++) {
        int i = order[o];
        enum testwin_kind k = t->verdict_seen.line[i].kind;
        int indent = k == TW_ADVICE || k == TW_NOTE ? 2 * w->lay.pad : 0;
        SDL_Color c = win_colour(w, k == TW_ADVICE || k == TW_FIX || k == TW_PROBLEM ? WC_WARN
                                    : k == TW_NOTE || k == TW_READY ? WC_GOOD
                                                                     : WC_TEXT);
        int font = k == TW_READY || k == TW_FIX || k == TW_DEVICE || k == TW_PROBLEM ? 1 : 0;
        y += draw_wrapped(w, font, c, t->verdict_seen.line[i].text,
                          rect(r.x + indent, y, r.w - indent, r.y + r.h - y));
    }
}

void tw_draw(struct testwin *t, uint64_t now)
{
    struct window *w = &t->w;
    w->frame++;
    SDL_Color bg = win_colour(w, WC_BG), text = win_colour(w, WC_TEXT);
    SDL_SetRenderDrawColor(w->ren, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(w->ren);
    win_draw_text(w, 1, text, _("Essai de la caméra, du micro et du haut-parleur"), t->title, 0);
    win_draw_text(w, 1, text, _("Votre image"), t->pic_cap, 0);
    const char *none = t->video ? _("Votre image arrive…")
                       : t->video_error[0] ? t->video_error
                                           : _("Pas de caméra");
    win_draw_pic(w, &w->mine, t->pic, 1, none, now); /* mirrored, as in the room */
    if (t->pic.w > 0)
        win_frame(w, t->pic, 2, 0, win_colour(w, WC_BORDER));
    win_draw_text(w, 1, text, _("Micro"), t->meter_cap, 0);
    draw_meter(t, now);
    win_draw_text(w, 1, text, _("Haut-parleur"), t->sound_cap, 0);
    int bad = t->sound_seen == TW_SOUND_FAILED || t->sound_seen == TW_SOUND_NOT_HEARD;
    draw_wrapped(w, 0, win_colour(w, bad ? WC_WARN : t->sound_seen == TW_SOUND_HEARD ? WC_GOOD : WC_TEXT),
                 sound_words(t), t->sound_words);
    draw_verdict(t);
    for (int i = 0; i < w->nbtn; i++)
        win_draw_button(w, i, i == w->focus);
    SDL_RenderPresent(w->ren);
}

/* BILAN_WINDOW_TRACE=1: one machine line on stderr per change (tests find
 * the regions and the buttons with it). */
void tw_trace(struct testwin *t, uint64_t now)
{
    static const char *env;
    if (!env)
        env = getenv("BILAN_WINDOW_TRACE") ? "1" : "0";
    if (*env != '1')
        return;
    char line[sizeof t->trace];
    const struct window *w = &t->w;
    snprintf(line, sizeof line,
             "[testwin] picture=%d,%d,%d,%d meter=%d,%d,%d,%d lit=%d heard=%d sound=%d "
             "verdict=%d pt=%d hc=%d focus=%d buttons=%d words=%d,%d,%d,%d sound_words=%d,%d,%d,%d "
             "verdict_area=%d,%d,%d,%d bar=%d,%d,%d,%d",
             t->pic.x, t->pic.y, t->pic.w, t->pic.h, t->meter.x, t->meter.y, t->meter.w,
             t->meter.h, t->lit_pct / 10 * 10, t->heard_until > now, (int)t->sound_seen,
             t->verdict_seen.n, w->pt, w->hc, w->focus, w->nbtn, t->meter_words.x,
             t->meter_words.y, t->meter_words.w, t->meter_words.h, t->sound_words.x,
             t->sound_words.y, t->sound_words.w, t->sound_words.h, t->verdict_r.x, t->verdict_r.y,
             t->verdict_r.w, t->verdict_r.h, w->btn_rect[0].x, w->btn_rect[0].y,
             w->btn_rect[0].w, w->btn_rect[0].h);
    if (strcmp(line, t->trace)) {
        snprintf(t->trace, sizeof t->trace, "%s", line);
        fprintf(stderr, "%s\n", line);
    }
}

/* BILAN_WINDOW_TRACE=1: the verdict's lines as shown, when they change
 * (tests compare them with the report printed at the end). */
void tw_trace_verdict(const struct testwin *t)
{
    if (!getenv("BILAN_WINDOW_TRACE"))
        return;
    for (int i = 0; i < t->verdict_seen.n; i++)
        fprintf(stderr, "[testwin] verdict %d %s\n", (int)t->verdict_seen.line[i].kind,
                t->verdict_seen.line[i].text);
}
