/* testmedia_report.c: the verdict of `bilan test-media` in words (see
 * testmedia_report.h). */
#include "testmedia_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"

#define TM_LOW_FPS 10.0 /* below: the camera works, but poorly lit or overloaded */

__attribute__((format(printf, 3, 4))) static void line(struct testwin_verdict *out,
                                                       enum testwin_kind kind, const char *fmt, ...)
{
    if (out->n >= TESTWIN_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    out->line[out->n].kind = kind;
    vsnprintf(out->line[out->n].text, sizeof out->line[out->n].text, fmt, ap);
    va_end(ap);
    out->n++;
}

static int camera(const struct tm_results *r, struct testwin_verdict *out)
{
    const struct mtest_video_result *v = r->v;
    char head[TESTWIN_LINE_MAX];
    if (!r->video) {
        if (!r->video_wanted)
            return 1;
        line(out, TW_DEVICE, _("Caméra : %s"),
             _("Aucune caméra trouvée : branchez-la, ou vérifiez qu'une autre application ne "
               "l'utilise pas ; sous Linux, votre compte doit être dans le groupe video."));
        return 0;
    }
    snprintf(head, sizeof head, _("Caméra %s : "), r->video);
    if (*r->verr) {
        line(out, TW_DEVICE, "%s%s", head, r->verr);
        return 0;
    }
    if (v->frames == 0) {
        line(out, TW_DEVICE, "%s%s %s", head, _("aucune image reçue."), v->error);
        return 0;
    }
    int ok = 1;
    line(out, TW_DEVICE, "%s", head);
    size_t used = strlen(out->line[out->n - 1].text);
    snprintf(out->line[out->n - 1].text + used, sizeof out->line[0].text - used,
             _("%dx%d, %.1f images par seconde."), v->width, v->height, v->fps);
    if (*v->error)
        line(out, TW_ADVICE, "%s", v->error), ok = 0;
    if (v->dark)
        line(out, TW_ADVICE, "%s",
             _("Image noire ou trop sombre : retirez le cache de l'objectif, ouvrez le volet de "
               "la caméra, allumez une lumière face à vous.")),
            ok = 0;
    if (v->frozen)
        line(out, TW_ADVICE, "%s",
             _("L'image ne bouge pas : débranchez et rebranchez la caméra, ou fermez les autres "
               "applications vidéo.")),
            ok = 0;
    if (v->fps > 0 && v->fps < TM_LOW_FPS)
        line(out, TW_ADVICE, "%s",
             _("Peu d'images par seconde : plus de lumière aide la caméra ; fermez les autres "
               "applications."));
    if (!v->dark && !v->frozen && !*v->error)
        line(out, TW_NOTE, "%s", _("L'image est bonne."));
    return ok;
}

static int microphone(const struct tm_results *r, struct testwin_verdict *out)
{
    const struct mtest_audio_result *a = r->a;
    if (!r->audio)
        return 1;
    char head[TESTWIN_LINE_MAX];
    snprintf(head, sizeof head, _("Micro %s : "), r->audio);
    if (*r->aerr) {
        line(out, TW_DEVICE, "%s%s", head, r->aerr);
        return 0;
    }
    if (a->heard) {
        line(out, TW_DEVICE, "%s", head);
        size_t used = strlen(out->line[out->n - 1].text);
        snprintf(out->line[out->n - 1].text + used, sizeof out->line[0].text - used,
                 _("son entendu (jusqu'à %.0f dB)."), a->max_dbfs);
        return 1;
    }
    line(out, TW_DEVICE, "%s%s", head,
         *a->error ? a->error
                   : _("aucun son entendu : vérifiez que le micro n'est pas coupé (bouton ou "
                       "touche du clavier), qu'il est bien choisi (bilan devices), et parlez "
                       "plus près."));
    return 0;
}

static int speaker(const struct tm_results *r, struct testwin_verdict *out)
{
    const struct tm_speaker *sp = r->sp;
    if (!sp->tried)
        return 1;
    char head[TESTWIN_LINE_MAX];
    snprintf(head, sizeof head, _("Haut-parleur %s : "), r->out);
    if (!sp->played) {
        line(out, TW_DEVICE, "%s%s", head, sp->error);
        return 0;
    }
    if (sp->asked && !sp->heard) {
        line(out, TW_DEVICE, "%s%s", head,
             _("son joué mais pas entendu : vérifiez le volume et que le son n'est pas coupé, "
               "choisissez un autre haut-parleur (bilan devices), ou branchez un casque."));
        return 0;
    }
    line(out, TW_DEVICE, "%s%s", head, sp->asked ? _("son entendu.") : _("son d'essai joué."));
    return 1;
}

/* The device line of a device that does not work becomes a TW_PROBLEM. */
static int device(int (*judge)(const struct tm_results *, struct testwin_verdict *),
                  const struct tm_results *r, struct testwin_verdict *out)
{
    int first = out->n, ok = judge(r, out);
    if (!ok && first < out->n && out->line[first].kind == TW_DEVICE)
        out->line[first].kind = TW_PROBLEM;
    return ok;
}

int tm_verdict(const struct tm_results *r, struct testwin_verdict *out)
{
    memset(out, 0, sizeof *out);
    int ok = device(camera, r, out);
    ok &= device(microphone, r, out);
    ok &= device(speaker, r, out);
    if (ok)
        line(out, TW_READY, "%s", _("Tout est prêt pour la séance."));
    else
        line(out, TW_FIX, "%s", _("À corriger avant la séance : voir ci-dessus."));
    return ok;
}
