/* asink_wav.c: the .wav recorder of asink_wav.h. Owns the FILE and the
 * count of blocks the file holds; the header is written with zero sizes at
 * open and fixed at close (a file cut short by a crash still parses: our
 * reader trusts the file's length over the declared one). */
#include "asink_wav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awav.h"
#include "bp/err.h"
#include "i18n.h"

/* The RIFF size (u32) counts 36 header bytes plus the data. */
#define SINK_MAX_BLOCKS ((UINT32_MAX - 36u) / AFRAME_BYTES)

struct asink_wav {
    FILE *f;
    uint64_t n_blocks; /* blocks the file holds, written or silent */
    int failed;        /* a write failed: close reports it */
    struct asink_wav_stats st;
};

static int fail_io(struct asink_wav *s, const char **why, const char *msg)
{
    s->failed = 1;
    if (why)
        *why = msg;
    return BP_E_INTERNAL;
}

int asink_wav_open(struct asink_wav **out, const char *path, const char **why)
{
    *out = NULL;
    struct asink_wav *s = calloc(1, sizeof *s);
    if (!s) {
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    uint8_t h[AWAV_HEADER_LEN];
    awav_header_put(h, 0);
    s->f = fopen(path, "wb");
    if (!s->f || fwrite(h, 1, sizeof h, s->f) != sizeof h) {
        *why = _("impossible de créer le fichier .wav");
        if (s->f)
            fclose(s->f);
        free(s);
        return BP_E_INTERNAL;
    }
    *out = s;
    return 0;
}

static int seek_block(struct asink_wav *s, uint64_t seq)
{
    return fseek(s->f, (long)(AWAV_HEADER_LEN + seq * AFRAME_BYTES), SEEK_SET);
}

/* Samples are little-endian on disk whatever the host. */
static void put_le(uint8_t *out, const int16_t *pcm)
{
    for (int i = 0; i < AFRAME_SAMPLES; i++) {
        out[2 * i] = (uint8_t)(pcm[i] & 0xff);
        out[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
    }
}

int asink_wav_write(struct asink_wav *s, uint64_t seq, const int16_t pcm[AFRAME_SAMPLES],
                    const char **why)
{
    if (seq >= SINK_MAX_BLOCKS) {
        if (why)
            *why = _("bloc au-delà des 4 Gio qu'un fichier .wav peut contenir");
        return BP_E_TOO_LARGE;
    }
    uint8_t buf[AFRAME_BYTES];
    if (seq > s->n_blocks) {
        memset(buf, 0, sizeof buf);
        if (seek_block(s, s->n_blocks) != 0)
            return fail_io(s, why, _("impossible de se déplacer dans le fichier .wav"));
        for (uint64_t i = s->n_blocks; i < seq; i++)
            if (fwrite(buf, 1, sizeof buf, s->f) != sizeof buf)
                return fail_io(s, why, _("impossible d'écrire le fichier .wav (disque plein ?)"));
        s->st.gap_blocks += seq - s->n_blocks;
        s->n_blocks = seq;
    } else if (seq < s->n_blocks) {
        s->st.rewrites++;
        if (seek_block(s, seq) != 0)
            return fail_io(s, why, _("impossible de se déplacer dans le fichier .wav"));
    } else if (seek_block(s, seq) != 0) {
        return fail_io(s, why, _("impossible de se déplacer dans le fichier .wav"));
    }
    put_le(buf, pcm);
    if (fwrite(buf, 1, sizeof buf, s->f) != sizeof buf)
        return fail_io(s, why, _("impossible d'écrire le fichier .wav (disque plein ?)"));
    if (seq == s->n_blocks)
        s->n_blocks++;
    s->st.blocks++;
    return 0;
}

void asink_wav_stats(const struct asink_wav *s, struct asink_wav_stats *out)
{
    *out = s->st;
}

int asink_wav_close(struct asink_wav *s, const char **why)
{
    if (!s)
        return 0;
    int r = 0;
    uint8_t h[AWAV_HEADER_LEN];
    awav_header_put(h, (uint32_t)(s->n_blocks * AFRAME_BYTES));
    if (s->failed)
        r = fail_io(s, why, _("une écriture précédente du fichier .wav a échoué"));
    else if (fseek(s->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, s->f) != sizeof h)
        r = fail_io(s, why, _("impossible de finir l'en-tête du fichier .wav"));
    if (fclose(s->f) != 0 && r == 0)
        r = fail_io(s, why, _("impossible de vider le fichier .wav sur le disque"));
    free(s);
    return r;
}
