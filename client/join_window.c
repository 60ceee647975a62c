/* join_window.c: the window of `bilan join` (see join_window.h). */
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "cli.h"
#include "dialog.h"
#include "i18n.h"
#include "join_opts.h"
#include "join_window.h"
#include "ui/window.h"

struct label_find {
    const char *bilan;
    char label[BP_LABEL_MAX + 1];
};

static int label_cb(void *arg, const struct ks_bilan *b)
{
    struct label_find *f = arg;
    if (!strcmp(b->bilan, f->bilan) && b->label[0])
        snprintf(f->label, sizeof f->label, "%s", b->label);
    return 0;
}

/* "Bilan — <its name, or its id>" */
static void title_of(struct app *a, const char *bilan, char *out, size_t cap)
{
    struct label_find f = {.bilan = bilan};
    if (bilan && a && a->ks)
        ks_bilan_each(a->ks, 0, label_cb, &f);
    if (bilan)
        snprintf(out, cap, "Bilan — %s", f.label[0] ? f.label : bilan);
    else
        snprintf(out, cap, "Bilan");
}

/* The room's bilan became known (after an invite's welcome): the title. */
static void on_bilan(void *ctx, const char *bilan)
{
    struct join_window *jw = ctx;
    char title[200];
    title_of(jw->a, bilan, title, sizeof title);
    window_set_title(jw->win, title);
}

void join_window_open(struct join_window *jw, struct app *a, const struct join_opts *o,
                      struct dialog *d, struct call *call, struct join_console *console,
                      const char *bilan)
{
    memset(jw, 0, sizeof *jw);
    if (o->headless)
        return;
    char why[300] = "";
    if (o->window || window_display_announced()) {
        jw->model = room_model_new(NULL, NULL);
        struct window_config wc;
        memset(&wc, 0, sizeof wc);
        struct call_pictures pics;
        call_picture_boxes(call, &pics);
        wc.model = jw->model;
        wc.mine = pics.mine;
        for (int i = 0; i < BP_MAX_MEMBERS; i++)
            wc.remote[i] = pics.slot[i];
        char title[200];
        title_of(a, bilan, title, sizeof title);
        wc.title = title;
        wc.text_pt = o->text_pt;
        wc.high_contrast = o->high_contrast;
        if (jw->model && window_open(&jw->win, &wc, why, sizeof why) == 0) {
            d->news.model = jw->model;
            room_cmds_attach(&jw->cmds, jw->model, d, call, console);
            jw->a = a;
            jw->cmds.on_bilan = on_bilan;
            jw->cmds.on_bilan_ctx = jw;
            return;
        }
        room_model_free(jw->model);
        jw->model = NULL;
    }
    if (why[0])
        fprintf(stderr, "%s%s (%s)\n", _("bilan : "),
                _("Pas d'écran disponible : la salle continue en mode texte."), why);
    else
        fprintf(stderr, "%s%s\n", _("bilan : "),
                _("Pas d'écran disponible : la salle continue en mode texte."));
}

void join_window_close(struct join_window *jw, struct dialog *d)
{
    window_close(jw->win);
    jw->win = NULL;
    if (d->news.model == jw->model)
        d->news.model = NULL;
    room_model_free(jw->model);
    jw->model = NULL;
}
