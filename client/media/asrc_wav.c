/* asrc_wav.c: the "wav" audio source: a RIFF/WAVE file of 16-bit PCM, mono
 * or stereo (averaged to mono), at 8..192 kHz, resampled to 48 kHz by
 * speexdsp when needed, looped at its end. Owns the open FILE, the
 * resampler and a small FIFO of 48 kHz samples.
 *
 * The header is parsed by awav.c from the file's first bytes (pure and
 * bounded); this file only does the I/O. The resampler keeps its state
 * across the loop point, so looping makes no click beyond the file's own.
 *
 * Must never: hand-write resampling, grow a buffer with the file, or read
 * past the data chunk (a trailing chunk is not audio). */
#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asrc.h"
#include "awav.h"
#include "bp/err.h"
#include "i18n.h"

/* Quality 4 of 0..10 (speexdsp's default): alias-free in the voice band at a
 * small cost; the input is a test or prompt file, not music for a studio. */
#define WAV_RESAMPLE_QUALITY SPEEX_RESAMPLER_QUALITY_DEFAULT
#define WAV_CHUNK 480            /* input frames read per step */
#define WAV_FIFO (8 * AFRAME_SAMPLES) /* > one block + one step's output at 8 kHz (2880) */

struct wavsrc {
    FILE *f;
    struct awav_info info;
    uint64_t data_len;   /* usable bytes of samples, whole frames, within the file */
    uint64_t pos;        /* bytes of data read since the last loop */
    unsigned loops;
    SpeexResamplerState *rs; /* NULL at 48 kHz */
    int16_t fifo[WAV_FIFO];
    size_t fifo_n;
};

static void wav_close(void *state)
{
    struct wavsrc *w = state;
    if (!w)
        return;
    if (w->rs)
        speex_resampler_destroy(w->rs);
    if (w->f)
        fclose(w->f);
    free(w);
}

static int wav_open(void **state, const char *path, const char **why)
{
    int r = BP_E_INVALID_FIELD;
    uint8_t *head = NULL;
    struct wavsrc *w = calloc(1, sizeof *w);
    if (!w) {
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    if (!*path) {
        *why = _("aucun fichier nommé (écrivez wav:CHEMIN)");
        goto fail;
    }
    w->f = fopen(path, "rb");
    if (!w->f) {
        *why = errno == ENOENT ? _("ce fichier n'existe pas") : _("impossible d'ouvrir le fichier");
        goto fail;
    }
    head = malloc(AWAV_HEAD_MAX);
    if (!head) {
        *why = _("mémoire insuffisante");
        r = BP_E_NOMEM;
        goto fail;
    }
    size_t got = fread(head, 1, AWAV_HEAD_MAX, w->f);
    if (ferror(w->f)) {
        *why = _("erreur de lecture");
        goto fail;
    }
    r = awav_parse(head, got, &w->info, why);
    if (r)
        goto fail;
    r = BP_E_INVALID_FIELD;
    if (fseek(w->f, 0, SEEK_END) != 0) {
        *why = _("impossible de se déplacer dans le fichier");
        goto fail;
    }
    long size = ftell(w->f);
    uint64_t have = size > 0 && (uint64_t)size > w->info.data_off
                        ? (uint64_t)size - w->info.data_off : 0;
    /* A writer that died leaves a declared size past the end: trust the file. */
    w->data_len = w->info.data_len < have ? w->info.data_len : have;
    w->data_len -= w->data_len % (2 * w->info.channels);
    if (w->data_len == 0) {
        *why = _("le bloc data ne contient aucun échantillon");
        goto fail;
    }
    if (fseek(w->f, (long)w->info.data_off, SEEK_SET) != 0) {
        *why = _("impossible de se déplacer dans le fichier");
        goto fail;
    }
    if (w->info.rate != AFRAME_RATE) {
        int err = 0;
        w->rs = speex_resampler_init(1, w->info.rate, AFRAME_RATE, WAV_RESAMPLE_QUALITY, &err);
        if (!w->rs || err != RESAMPLER_ERR_SUCCESS) {
            *why = _("le rééchantillonneur a refusé la fréquence d'échantillonnage");
            goto fail;
        }
        speex_resampler_skip_zeros(w->rs); /* no leading silence of its latency */
    }
    free(head);
    *state = w;
    return 0;
fail:
    free(head);
    wav_close(w);
    return r;
}

/* Read up to WAV_CHUNK frames as mono into mono[]; loops at the end. */
static int read_chunk(struct wavsrc *w, int16_t *mono, size_t *n, const char **why)
{
    if (w->pos >= w->data_len) {
        if (fseek(w->f, (long)w->info.data_off, SEEK_SET) != 0) {
            *why = _("impossible de revenir au début du fichier");
            return BP_E_INTERNAL;
        }
        w->pos = 0;
        w->loops++;
    }
    size_t frame = 2 * w->info.channels;
    uint64_t left = (w->data_len - w->pos) / frame;
    size_t want = left < WAV_CHUNK ? (size_t)left : WAV_CHUNK;
    uint8_t raw[WAV_CHUNK * 4];
    size_t got = fread(raw, frame, want, w->f);
    if (got == 0) {
        *why = ferror(w->f) ? _("erreur de lecture") : _("le fichier a rétréci pendant sa lecture");
        return BP_E_INTERNAL;
    }
    for (size_t i = 0; i < got; i++) {
        const uint8_t *p = raw + i * frame;
        int l = (int16_t)(p[0] | p[1] << 8);
        if (w->info.channels == 2) {
            int rr = (int16_t)(p[2] | p[3] << 8);
            l = (l + rr) / 2; /* the mean never clips, unlike the sum */
        }
        mono[i] = (int16_t)l;
    }
    w->pos += got * frame;
    *n = got;
    return 0;
}

static int wav_next(void *state, int16_t pcm[AFRAME_SAMPLES], const char **why)
{
    struct wavsrc *w = state;
    while (w->fifo_n < AFRAME_SAMPLES) {
        int16_t mono[WAV_CHUNK];
        size_t n = 0;
        int r = read_chunk(w, mono, &n, why);
        if (r)
            return r;
        if (!w->rs) {
            memcpy(w->fifo + w->fifo_n, mono, n * sizeof mono[0]);
            w->fifo_n += n;
            continue;
        }
        /* The FIFO has room for a whole step's output (see WAV_FIFO), so
         * one call consumes the input; the loop only guards that. */
        for (size_t used = 0; used < n;) {
            spx_uint32_t in_len = (spx_uint32_t)(n - used);
            spx_uint32_t out_len = (spx_uint32_t)(WAV_FIFO - w->fifo_n);
            if (speex_resampler_process_int(w->rs, 0, mono + used, &in_len,
                                            w->fifo + w->fifo_n,
                                            &out_len) != RESAMPLER_ERR_SUCCESS ||
                (in_len == 0 && out_len == 0)) {
                *why = _("le rééchantillonnage a échoué");
                return BP_E_INTERNAL;
            }
            used += in_len;
            w->fifo_n += out_len;
        }
    }
    memcpy(pcm, w->fifo, AFRAME_BYTES);
    w->fifo_n -= AFRAME_SAMPLES;
    memmove(w->fifo, w->fifo + AFRAME_SAMPLES, w->fifo_n * sizeof w->fifo[0]);
    return 0;
}

static unsigned wav_loops(const void *state)
{
    return ((const struct wavsrc *)state)->loops;
}

const struct asource_ops asrc_wav_ops = {
    .name = "wav",
    .open = wav_open,
    .next = wav_next,
    .loops = wav_loops,
    .close = wav_close,
};
