/* call_recv_video.c: the video path of the receive half of a call
 * (call_recv.h): chunks -> reassembly (vasm.h) -> a video jitter buffer per
 * remote slot keyed by the frame number -> continuity check -> VP8 decoder
 * -> lip sync on that member's audio (avsync.h) -> the .y4m file (one
 * sender: the first rendered) and that sender's picture box (the latest
 * picture, for a window: vmailbox.h), with a capture-to-render latency
 * sample.
 *
 * Continuity: a frame is only decoded when the decoder holds everything it
 * refers to: after frames were lost (given up by the jitter buffer, a gap
 * in frame numbers) or refused by the decoder, only a keyframe is decoded,
 * and the sender is asked for one (a want, repeated at most every 500 ms
 * while its frames stay undecodable). So a broken picture never reaches
 * the file.
 *
 * Must never: run on the loop thread, hold more than one waiting picture
 * per slot, or render a picture of a sender other than the chosen one into
 * the file. */
#include <string.h>

#include "bp/err.h"
#include "call_recv_int.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void cr_video_reset(struct cr_video *v)
{
    jitter_free(v->jb);
    vp8_decoder_free(v->dec);
    vframe_free(&v->held);
    memset(v, 0, sizeof *v);
}

/* The sender's video cannot be decoded until a keyframe: ask, but not more
 * often than every CR_WANT_REPEAT_US. */
static void want_keyframe(struct call_recv *r, unsigned slot, uint64_t now_us)
{
    struct cr_video *v = &r->slot[slot].v;
    if (v->wanted && now_us - v->last_want_us < CR_WANT_REPEAT_US)
        return;
    v->wanted = 1;
    v->last_want_us = now_us;
    v->keyframe_requests++;
    atomic_fetch_or(&r->wants, 1u << slot);
    r->wake_pending = 1;
}

void cr_video_arrive(struct call_recv *r, const struct cr_item *it)
{
    unsigned slot = it->h.slot;
    struct cr_video *v = &r->slot[slot].v;
    struct bp_vchunk c;
    const char *why = NULL;
    if (bp_vchunk_decode(it->data, it->len, &c, &why) != 0)
        return; /* checked on the loop thread already */
    v->chunks++;
    if (!v->first_chunk_us)
        v->first_chunk_us = it->arrival_us;
    cr_series_bytes(r, &v->ser, it->len, it->arrival_us);
    struct vasm_meta m = {.media_ts = it->h.media_ts,
                          .capture_ms = it->h.capture_ms,
                          .keyframe = (it->h.flags & BP_FLAG_KEYFRAME) != 0};
    struct vasm_frame f;
    if (vasm_push(r->vasm, slot, &c, &m, it->arrival_us, &f) != VASM_COMPLETE)
        return;
    if (!v->jb) {
        struct jitter_config jc;
        jitter_config_video(&jc);
        jc.slots = CR_VIDEO_SLOTS;
        jc.slot_bytes = CR_VIDEO_SLOT_BYTES;
        /* Video is scheduled on the voice (lip sync waits for the audio's
         * time), and TCP delivers in order: its own buffer only has to
         * smooth arrivals a little. A video buffer as deep as the audio's
         * measured the link's worst spike of the last 5 s into every
         * picture (400 ms on a congested link, measured). */
        jc.min_delay_us = CR_VIDEO_MIN_DELAY_US;
        jc.max_delay_us = CR_VIDEO_MAX_DELAY_US;
        if (jitter_new(&jc, &v->jb, &why) != 0 || vp8_decoder_new(&v->dec, &why) != 0) {
            jitter_free(v->jb);
            v->jb = NULL;
            v->refused++;
            return;
        }
    }
    /* A new sender whose first frame is no keyframe: ask at once rather
     * than after the jitter delay. */
    if (!v->completed && !f.keyframe)
        want_keyframe(r, slot, it->arrival_us);
    v->completed = 1;
    if (f.len + CR_VIDEO_PREFIX > CR_VIDEO_SLOT_BYTES) {
        v->refused++; /* the gap it leaves asks for a keyframe */
        return;
    }
    put32(r->scratch, f.capture_ms);
    r->scratch[4] = (uint8_t)f.keyframe;
    put32(r->scratch + 5, f.picture);
    memcpy(r->scratch + CR_VIDEO_PREFIX, f.data, f.len);
    if (jitter_push(v->jb, f.frame, f.media_ts, r->scratch, f.len + CR_VIDEO_PREFIX,
                    it->arrival_us) < 0)
        v->refused++;
}

static void render(struct call_recv *r, unsigned slot, const struct vframe *pic,
                   uint32_t capture_ms, uint64_t now_us)
{
    struct cr_video *v = &r->slot[slot].v;
    if (r->y4m && r->video_slot < 0)
        r->video_slot = (int)slot;
    if (r->y4m && r->video_slot == (int)slot) {
        char why[256];
        int rc = vsink_y4m_write(r->y4m, pic, why, sizeof why);
        if (rc) {
            v->write_errors++;
            cr_sink_error(r, rc, r->video_out, why);
        }
    }
    vmailbox_put(&r->boxes[slot], pic); /* no memory: the window shows no picture */
    v->rendered++;
    if (v->last_render_us && now_us - v->last_render_us > v->max_render_gap_us)
        v->max_render_gap_us = now_us - v->last_render_us;
    v->last_render_us = now_us;
    int32_t l = cr_latency_sample(r, &v->ser, capture_ms, now_us);
    struct cr_tl_pt *p = cr_tl_now(r, slot, now_us); /* NULL exactly when l is CR_NO_LATENCY */
    if (p) {
        p->v_rendered++;
        if (p->v_lat_n < CR_TL_LAT && l != CR_NO_LATENCY)
            p->v_lat[p->v_lat_n++] = (int16_t)(l > 32767 ? 32767 : l < -32767 ? -32767 : l);
    }
}

static void render_held(struct call_recv *r, unsigned slot, uint64_t now_us)
{
    struct cr_video *v = &r->slot[slot].v;
    if (!v->held_valid)
        return;
    v->held_valid = 0;
    render(r, slot, &v->held, v->held_capture_ms, now_us);
}

/* The held picture's time has come: lip sync is asked again (the voice may
 * have moved), which records the offset of a synced render. */
static void held_due(struct call_recv *r, unsigned slot, uint64_t now_us)
{
    struct cr_slot *s = &r->slot[slot];
    struct cr_video *v = &s->v;
    struct avsync_decision d = {.action = AVSYNC_RENDER};
    if (s->av)
        avsync_video(s->av, v->held_capture_ms, now_us, &d);
    if (d.action == AVSYNC_WAIT && d.at_us > now_us) {
        v->held_at_us = d.at_us;
    } else if (d.action == AVSYNC_DROP) {
        v->held_valid = 0;
        v->avsync_late++;
    } else {
        render_held(r, slot, now_us);
    }
}

/* One frame released by the jitter buffer. */
static void decode_one(struct call_recv *r, unsigned slot, const struct jitter_out *o,
                       uint64_t now_us)
{
    struct cr_slot *s = &r->slot[slot];
    struct cr_video *v = &s->v;
    if (o->len <= CR_VIDEO_PREFIX)
        return;
    uint32_t capture_ms = be32(o->payload), picture = be32(o->payload + 5);
    int keyframe = o->payload[4] != 0;
    int gap = o->lost_before > 0 || (v->have_last && o->seq != v->last_frame + 1);
    v->have_last = 1;
    v->last_frame = o->seq;
    if (gap)
        v->need_key = 1;
    if (!keyframe && (v->need_key || !v->started)) {
        v->undecodable++;
        want_keyframe(r, slot, now_us);
        return;
    }
    const struct vframe *pic = NULL;
    const char *why = NULL;
    int rc = vp8_decoder_decode(v->dec, o->payload + CR_VIDEO_PREFIX, o->len - CR_VIDEO_PREFIX,
                                &pic, &why);
    if (rc != 0) {
        v->decode_errors++;
        v->need_key = 1;
        want_keyframe(r, slot, now_us);
        return;
    }
    v->need_key = 0;
    v->wanted = 0; /* the next want goes out at once */
    v->started = 1;
    if (!v->first_decode_us)
        v->first_decode_us = now_us;
    v->decoded++;
    if (keyframe)
        v->keyframes++;
    struct vframe shown = *pic; /* a view: the decoder owns the planes */
    shown.index = picture;
    render_held(r, slot, now_us); /* an older picture still waiting goes first */
    struct avsync_decision d = {.action = AVSYNC_RENDER};
    if (s->av)
        avsync_video(s->av, capture_ms, now_us, &d);
    if (d.action == AVSYNC_RENDER) {
        v->late_since_us = 0;
        render(r, slot, &shown, capture_ms, now_us);
    } else if (d.action == AVSYNC_DROP) {
        /* Later than the voice: dropped to keep lips in sync, but only for
         * a moment. Video that stays late (its path alone is slow: a
         * sender's uplink full of video) is shown late rather than not at
         * all. */
        if (!v->late_since_us)
            v->late_since_us = now_us;
        if (now_us - v->late_since_us >= CR_LATE_SHOW_US) {
            v->rendered_late++;
            render(r, slot, &shown, capture_ms, now_us);
        } else {
            v->avsync_late++;
        }
    } else {
        if (v->held.width != shown.width || v->held.height != shown.height) {
            vframe_free(&v->held);
            if (vframe_alloc(&v->held, shown.width, shown.height) != 0) {
                render(r, slot, &shown, capture_ms, now_us); /* no memory to wait: show it now */
                return;
            }
        }
        vframe_copy(&v->held, &shown);
        v->held_valid = 1;
        v->held_at_us = d.at_us;
        v->held_capture_ms = capture_ms;
    }
}

void cr_video_poll(struct call_recv *r, uint64_t now_us, uint64_t *next_us)
{
    vasm_expire(r->vasm, now_us);
    for (unsigned slot = 0; slot < BP_MAX_MEMBERS; slot++) {
        struct cr_video *v = &r->slot[slot].v;
        if (!v->jb)
            continue;
        if (v->held_valid && now_us >= v->held_at_us)
            held_due(r, slot, now_us);
        struct jitter_out o;
        while (jitter_pop(v->jb, now_us, &o) == 0 && o.kind == JITTER_FRAME)
            decode_one(r, slot, &o, now_us);
        uint64_t due;
        if (jitter_next_due(v->jb, &due)) {
            if (due <= now_us) /* never a deadline in the past: no busy loop */
                due = now_us + 1000;
            if (due < *next_us)
                *next_us = due;
        }
        if (v->held_valid && v->held_at_us < *next_us)
            *next_us = v->held_at_us;
    }
}

void cr_video_flush(struct call_recv *r, uint64_t now_us)
{
    for (unsigned slot = 0; slot < BP_MAX_MEMBERS; slot++)
        render_held(r, slot, now_us);
}
