/* avsync.c: lip sync, video on the audio clock (see avsync.h). Pure logic:
 * no clock, no I/O, no allocation after avsync_new. */
#include "avsync.h"

#include <stdlib.h>
#include <string.h>

#include "bp/err.h"
#include "i18n.h"

struct avsync {
    struct avsync_config cfg;
    int have_audio;
    uint64_t audio_at_us;   /* when the reported audio frame started playing */
    uint32_t audio_capture_ms;
    int64_t *win, *scratch;
    uint32_t win_n, win_pos;
    struct avsync_stats st;
};

void avsync_config_default(struct avsync_config *cfg)
{
    cfg->drop_late_us = 80000;
    cfg->audio_stale_us = 500000;
    cfg->max_wait_us = 2000000;
    cfg->window = 256;
}

int avsync_new(const struct avsync_config *cfg, struct avsync **out, const char **why)
{
    *out = NULL;
    if (cfg->window < 8 || cfg->window > 4096) {
        if (why)
            *why = "window out of 8..4096";
        return BP_E_INVALID_FIELD;
    }
    struct avsync *av = calloc(1, sizeof(*av));
    if (!av)
        goto fail;
    av->cfg = *cfg;
    av->win = calloc(cfg->window, sizeof(*av->win));
    av->scratch = calloc(cfg->window, sizeof(*av->scratch));
    if (!av->win || !av->scratch)
        goto fail;
    *out = av;
    return 0;
fail:
    if (why)
        *why = _("mémoire insuffisante");
    avsync_free(av);
    return BP_E_NOMEM;
}

void avsync_free(struct avsync *av)
{
    if (!av)
        return;
    free(av->win);
    free(av->scratch);
    free(av);
}

void avsync_audio_played(struct avsync *av, uint32_t capture_ms, uint64_t now_us)
{
    av->have_audio = 1;
    av->audio_at_us = now_us;
    av->audio_capture_ms = capture_ms;
}

static void record(struct avsync *av, int64_t offset)
{
    av->win[av->win_pos] = offset;
    av->win_pos = (av->win_pos + 1) % av->cfg.window;
    if (av->win_n < av->cfg.window)
        av->win_n++;
}

void avsync_video(struct avsync *av, uint32_t capture_ms, uint64_t now_us,
                  struct avsync_decision *d)
{
    memset(d, 0, sizeof(*d));
    if (!av->have_audio || (now_us > av->audio_at_us &&
                           now_us - av->audio_at_us > av->cfg.audio_stale_us)) {
        d->action = AVSYNC_RENDER;
        av->st.rendered_own_clock++;
        return;
    }
    /* capture_ms wraps every 49 days: the difference is taken modulo 2^32. */
    int64_t rel_us = (int64_t)(int32_t)(capture_ms - av->audio_capture_ms) * 1000;
    int64_t t = (int64_t)av->audio_at_us + rel_us;
    int64_t late = (int64_t)now_us - t;
    if (-late > (int64_t)av->cfg.max_wait_us) {
        d->action = AVSYNC_RENDER;
        av->st.out_of_range++;
        av->st.rendered_own_clock++;
        return;
    }
    d->synced = 1;
    d->offset_us = late;
    if (late < 0) {
        d->action = AVSYNC_WAIT;
        d->at_us = (uint64_t)t;
        av->st.waits++;
    } else if (late > (int64_t)av->cfg.drop_late_us) {
        d->action = AVSYNC_DROP;
        av->st.dropped++;
    } else {
        d->action = AVSYNC_RENDER;
        av->st.rendered_synced++;
        record(av, late);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void avsync_stats_get(struct avsync *av, struct avsync_stats *st)
{
    *st = av->st;
    st->samples = av->win_n;
    st->offset_p50_us = st->abs_offset_p95_us = 0;
    if (!av->win_n)
        return;
    uint32_t n = av->win_n;
    memcpy(av->scratch, av->win, n * sizeof(*av->scratch));
    qsort(av->scratch, n, sizeof(*av->scratch), cmp_i64);
    st->offset_p50_us = av->scratch[n / 2];
    for (uint32_t i = 0; i < n; i++)
        av->scratch[i] = av->scratch[i] < 0 ? -av->scratch[i] : av->scratch[i];
    qsort(av->scratch, n, sizeof(*av->scratch), cmp_i64);
    st->abs_offset_p95_us = av->scratch[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
}
