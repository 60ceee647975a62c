/* vasm.c: video frame reassembly (vasm.h). Each chunk's bytes go to a fixed
 * place (index * BP_VCHUNK_DATA_MAX) of its frame's buffer, with its length
 * beside it, because only the last chunk tells where the others end; the
 * frame is packed in place when the last missing chunk arrives. */
#include "vasm.h"

#include <stdlib.h>
#include <string.h>

#include "bp/err.h"
#include "i18n.h"

#define VASM_SENDERS_MAX 64
#define VASM_FRAMES_MAX 16
#define VASM_FRAME_BYTES_MAX ((size_t)BP_VCHUNK_COUNT_MAX * BP_VCHUNK_DATA_MAX)

struct vasm_slot {
    int used;
    uint32_t frame, picture, media_ts, capture_ms;
    int keyframe;
    uint16_t count, have;
    uint64_t first_us;
    size_t reserved;
    uint8_t *buf;   /* count * BP_VCHUNK_DATA_MAX bytes */
    uint16_t *lens; /* count lengths, 0 = not here yet */
};

struct vasm_sender {
    struct vasm_slot *slots; /* cfg.frames */
    int have_done;
    uint32_t done; /* newest frame completed or given up */
    uint8_t *out;  /* the frame handed out last */
    size_t held;
    struct vasm_stats st;
};

struct vasm {
    struct vasm_config cfg;
    struct vasm_sender *s;
};

void vasm_config_default(struct vasm_config *cfg, unsigned senders)
{
    cfg->senders = senders;
    cfg->frames = 4;
    cfg->bytes_max = 4u << 20;
    cfg->timeout_us = 1000000;
}

int vasm_new(const struct vasm_config *cfg, struct vasm **out, const char **why)
{
    *out = NULL;
    if (cfg->senders < 1 || cfg->senders > VASM_SENDERS_MAX) {
        *why = "senders out of 1..64";
        return BP_E_INVALID_FIELD;
    }
    if (cfg->frames < 1 || cfg->frames > VASM_FRAMES_MAX) {
        *why = "frames out of 1..16";
        return BP_E_INVALID_FIELD;
    }
    if (cfg->bytes_max < VASM_FRAME_BYTES_MAX) {
        *why = "bytes_max below one largest frame";
        return BP_E_INVALID_FIELD;
    }
    if (cfg->timeout_us == 0) {
        *why = "timeout_us is 0";
        return BP_E_INVALID_FIELD;
    }
    struct vasm *v = calloc(1, sizeof *v);
    if (!v)
        goto nomem;
    v->cfg = *cfg;
    v->s = calloc(cfg->senders, sizeof *v->s);
    if (!v->s)
        goto nomem;
    for (unsigned i = 0; i < cfg->senders; i++) {
        v->s[i].slots = calloc(cfg->frames, sizeof *v->s[i].slots);
        if (!v->s[i].slots)
            goto nomem;
    }
    *out = v;
    return 0;
nomem:
    vasm_free(v);
    *why = _("mémoire insuffisante");
    return BP_E_NOMEM;
}

static void slot_release(struct vasm_sender *s, struct vasm_slot *f)
{
    free(f->buf);
    free(f->lens);
    s->held -= f->reserved;
    memset(f, 0, sizeof *f);
}

void vasm_free(struct vasm *v)
{
    if (!v)
        return;
    if (v->s) {
        for (unsigned i = 0; i < v->cfg.senders; i++) {
            if (v->s[i].slots)
                for (unsigned j = 0; j < v->cfg.frames; j++)
                    slot_release(&v->s[i], &v->s[i].slots[j]);
            free(v->s[i].slots);
            free(v->s[i].out);
        }
        free(v->s);
    }
    free(v);
}

/* a - b as a signed serial difference (frame numbers wrap). */
static int32_t serial_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static void mark_done(struct vasm_sender *s, uint32_t frame)
{
    if (!s->have_done || serial_diff(frame, s->done) > 0)
        s->done = frame;
    s->have_done = 1;
}

static void give_up(struct vasm_sender *s, struct vasm_slot *f)
{
    mark_done(s, f->frame);
    s->st.given_up++;
    slot_release(s, f);
}

static struct vasm_slot *oldest(struct vasm *v, struct vasm_sender *s)
{
    struct vasm_slot *o = NULL;
    for (unsigned j = 0; j < v->cfg.frames; j++) {
        struct vasm_slot *f = &s->slots[j];
        if (f->used && (!o || serial_diff(f->frame, o->frame) < 0))
            o = f;
    }
    return o;
}

/* A slot for a new frame of n chunks, making room by giving up the oldest
 * frames (only frames older than the new one: a stale frame never pushes
 * out a newer one). NULL with *res when there is none. */
static struct vasm_slot *new_slot(struct vasm *v, struct vasm_sender *s, uint32_t frame,
                                  uint16_t count, int *res)
{
    size_t need = (size_t)count * BP_VCHUNK_DATA_MAX;
    for (;;) {
        struct vasm_slot *free_slot = NULL;
        unsigned used = 0;
        for (unsigned j = 0; j < v->cfg.frames; j++) {
            if (s->slots[j].used)
                used++;
            else if (!free_slot)
                free_slot = &s->slots[j];
        }
        if (free_slot && s->held + need <= v->cfg.bytes_max)
            return free_slot;
        struct vasm_slot *o = oldest(v, s);
        if (!o || serial_diff(o->frame, frame) > 0) {
            *res = o ? VASM_LATE : VASM_TOO_LARGE;
            return NULL;
        }
        give_up(s, o);
    }
}

unsigned vasm_expire(struct vasm *v, uint64_t now_us)
{
    unsigned n = 0;
    for (unsigned i = 0; i < v->cfg.senders; i++)
        for (unsigned j = 0; j < v->cfg.frames; j++) {
            struct vasm_slot *f = &v->s[i].slots[j];
            if (f->used && now_us - f->first_us >= v->cfg.timeout_us && now_us >= f->first_us) {
                give_up(&v->s[i], f);
                n++;
            }
        }
    return n;
}

void vasm_reset(struct vasm *v, unsigned sender)
{
    if (sender >= v->cfg.senders)
        return;
    struct vasm_sender *s = &v->s[sender];
    for (unsigned j = 0; j < v->cfg.frames; j++)
        slot_release(s, &s->slots[j]);
    free(s->out);
    s->out = NULL;
    s->have_done = 0;
}

/* The frame is whole: pack it into the handed-out buffer, give up the older
 * frames in progress. */
static int complete(struct vasm *v, struct vasm_sender *s, struct vasm_slot *f,
                    struct vasm_frame *out)
{
    size_t len = 0;
    for (unsigned i = 0; i < f->count; i++) {
        if (len != (size_t)i * BP_VCHUNK_DATA_MAX)
            memmove(f->buf + len, f->buf + (size_t)i * BP_VCHUNK_DATA_MAX, f->lens[i]);
        len += f->lens[i];
    }
    free(s->out);
    s->out = f->buf; /* the packed buffer changes hands, no copy */
    f->buf = NULL;
    out->frame = f->frame;
    out->picture = f->picture;
    out->media_ts = f->media_ts;
    out->capture_ms = f->capture_ms;
    out->keyframe = f->keyframe;
    out->data = s->out;
    out->len = len;
    uint32_t frame = f->frame;
    mark_done(s, frame);
    slot_release(s, f);
    s->st.complete++;
    for (unsigned j = 0; j < v->cfg.frames; j++)
        if (s->slots[j].used && serial_diff(s->slots[j].frame, frame) < 0)
            give_up(s, &s->slots[j]);
    return VASM_COMPLETE;
}

int vasm_push(struct vasm *v, unsigned sender, const struct bp_vchunk *c, const struct vasm_meta *m,
              uint64_t now_us, struct vasm_frame *out)
{
    if (sender >= v->cfg.senders || c->count == 0 || c->count > BP_VCHUNK_COUNT_MAX ||
        c->index >= c->count || c->len == 0 || c->len > BP_VCHUNK_DATA_MAX || !c->data)
        return BP_E_INVALID_FIELD;
    struct vasm_sender *s = &v->s[sender];
    /* The frame handed out last is only valid until this call. */
    free(s->out);
    s->out = NULL;
    vasm_expire(v, now_us);
    int keyframe = m->keyframe ? 1 : 0;
    struct vasm_slot *f = NULL;
    for (unsigned j = 0; j < v->cfg.frames && !f; j++)
        if (s->slots[j].used && s->slots[j].frame == c->frame)
            f = &s->slots[j];
    if (f) {
        if (f->count != c->count || f->picture != c->picture || f->media_ts != m->media_ts ||
            f->keyframe != keyframe) {
            s->st.mismatch++;
            return VASM_MISMATCH;
        }
        if (f->lens[c->index]) {
            s->st.duplicate++;
            return VASM_DUPLICATE;
        }
    } else {
        if (s->have_done && serial_diff(c->frame, s->done) <= 0) {
            s->st.late++;
            return VASM_LATE;
        }
        int res = VASM_TOO_LARGE;
        f = new_slot(v, s, c->frame, c->count, &res);
        if (!f) {
            if (res == VASM_LATE)
                s->st.late++;
            else
                s->st.too_large++;
            return res;
        }
        size_t need = (size_t)c->count * BP_VCHUNK_DATA_MAX;
        f->buf = malloc(need);
        f->lens = calloc(c->count, sizeof *f->lens);
        if (!f->buf || !f->lens) {
            free(f->buf);
            free(f->lens);
            memset(f, 0, sizeof *f);
            return BP_E_NOMEM;
        }
        f->used = 1;
        f->frame = c->frame;
        f->picture = c->picture;
        f->media_ts = m->media_ts;
        f->capture_ms = m->capture_ms;
        f->keyframe = keyframe;
        f->count = c->count;
        f->first_us = now_us;
        f->reserved = need;
        s->held += need;
        if (s->held > s->st.bytes_peak)
            s->st.bytes_peak = s->held;
    }
    memcpy(f->buf + (size_t)c->index * BP_VCHUNK_DATA_MAX, c->data, c->len);
    f->lens[c->index] = (uint16_t)c->len;
    f->have++;
    s->st.chunks++;
    if (f->have < f->count)
        return VASM_STORED;
    return complete(v, s, f, out);
}

void vasm_stats_get(const struct vasm *v, unsigned sender, struct vasm_stats *st)
{
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < v->cfg.senders; i++) {
        if (sender < v->cfg.senders && i != sender)
            continue;
        const struct vasm_sender *s = &v->s[i];
        st->chunks += s->st.chunks;
        st->complete += s->st.complete;
        st->given_up += s->st.given_up;
        st->duplicate += s->st.duplicate;
        st->late += s->st.late;
        st->mismatch += s->st.mismatch;
        st->too_large += s->st.too_large;
        st->bytes_held += s->held;
        if (s->st.bytes_peak > st->bytes_peak)
            st->bytes_peak = s->st.bytes_peak;
        for (unsigned j = 0; j < v->cfg.frames; j++)
            st->in_progress += s->slots[j].used ? 1u : 0u;
    }
}
