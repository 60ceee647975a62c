/* asource.c: picks a source's table from a spec and numbers its blocks.
 * Owns the struct asource (table, state, next sequence index). */
#include "asource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bp/err.h"
#include "i18n.h"

struct asource {
    const struct asource_ops *ops;
    void *state;
    uint64_t seq;
};

static const struct asource_ops *const kinds[] = {&asrc_tone_ops, &asrc_wav_ops,
                                                  &asrc_mic_default_ops, &asrc_mic_ops};

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcasecmp(s + n - m, suffix) == 0;
}

int asource_open(struct asource **out, const char *spec, const char **why, char *msg,
                 size_t msg_cap)
{
    *out = NULL;
    const struct asource_ops *ops = NULL;
    const char *arg = "";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]->name);
        if (strncmp(spec, kinds[i]->name, n) == 0 && (spec[n] == '\0' || spec[n] == ':')) {
            ops = kinds[i];
            arg = spec[n] ? spec + n + 1 : "";
            break;
        }
    }
    if (!ops && has_suffix(spec, ".wav")) {
        ops = &asrc_wav_ops;
        arg = spec;
    }
    const char *reason = _("source audio inconnue (choisissez tone, tone:HZ, wav:CHEMIN, un fichier .wav, default ou mic:NOM)");
    int r = BP_E_INVALID_FIELD;
    struct asource *s = NULL;
    if (ops) {
        s = calloc(1, sizeof *s);
        if (!s) {
            r = BP_E_NOMEM;
            reason = _("mémoire insuffisante");
        } else {
            s->ops = ops;
            r = ops->open(&s->state, arg, &reason);
        }
    }
    if (r == 0) {
        *out = s;
        return 0;
    }
    free(s); /* the table's open freed its own partial state */
    if (why)
        *why = reason;
    if (msg && msg_cap)
        snprintf(msg, msg_cap, _("%s : %s"), ops && *arg ? arg : spec, reason);
    return r;
}

int asource_next(struct asource *s, struct aframe *f, const char **why)
{
    int r = s->ops->next(s->state, f->pcm, why);
    if (r)
        return r;
    f->seq = s->seq++;
    f->capture_us = (int64_t)f->seq * AFRAME_US;
    return 0;
}

unsigned asource_loops(const struct asource *s)
{
    return s->ops->loops(s->state);
}

int asource_is_live(const struct asource *s)
{
    return s->ops->live;
}

void asource_close(struct asource *s)
{
    if (!s)
        return;
    s->ops->close(s->state);
    free(s);
}
