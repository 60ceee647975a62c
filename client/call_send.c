/* call_send.c: the send half of a call (see call_send.h). */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aec.h"
#include "bp/bp.h"
#include "bp/media.h"
#include "call_send.h"
#include "frameq.h"
#include "i18n.h"
#include "opus_codec.h"
#include "asource.h"
#include "ratectl.h"
#include "tcpinfo.h"
#include "vmailbox.h"
#include "vp8.h"
#include "vsource.h"

/* Queues: audio holds 1 s (50 packets: only a loop that stopped pulling
 * fills it); video holds about two keyframes' worth of chunks at the top
 * rate. Rate control skips pictures long before either fills. */
#define AUDIO_QUEUE 50
#define VIDEO_QUEUE 256
/* What a message costs on the wire beyond its payload: frame header (16),
 * SFrame header and tag (~26), WebSocket (4) and TLS record (~22) framing.
 * Rate control compares what we send with what the kernel delivers. */
#define WIRE_OVERHEAD 68
#define SERIES_MAX 900 /* per-second points kept: 15 min */

struct series_pt {
    int64_t t_ms; /* the server's clock (Unix ms): figures line up across devices */
    uint32_t target_kbps, sent_kbps;
};

struct call_send {
    struct call_send_config cfg;
    int width, height, fps;
    /* Video (the video thread's, after start). */
    struct vsource *vs;
    struct vp8_encoder *venc;
    struct vframe pic;
    int video_live;
    /* Audio (the audio thread's). */
    struct asource *as;
    struct opc_enc *aenc;
    int audio_live;
    struct aec *aec;           /* NULL: off, for aec_off */
    const char *aec_off;       /* why it is off (static) */
    struct frameq vq, aq;
    int vq_ok, aq_ok;
    pthread_t vth, ath;
    int vth_on, ath_on;
    atomic_int stop, sending, offset_valid;
    /* The person's mute (call_send_mute): nothing is encoded or sent for a
     * muted stream, not silence or black: receivers see the stream stop. */
    atomic_int mic_muted, cam_muted;
    struct vmailbox preview; /* our own latest picture, for the window */
    atomic_llong offset_ms;
    /* Rate control, shared by the loop (observe) and the video thread. */
    pthread_mutex_t rc_mu;
    struct ratectl *rc;
    int64_t rx_dropped, rx_queue_ms, rx_rate_kbps;
    int rx_present;
    int key_wanted; /* under rc_mu: a request to hand to ratectl */
    /* Threads' counters. */
    atomic_ullong v_encoded, v_keyframes, v_skipped, v_qfull, v_codec_drop, a_encoded, a_qfull,
        key_requests;
    atomic_int v_failed, a_failed;
    /* Loop thread's counters and series. */
    uint64_t a_frames, a_bytes, v_chunks, v_bytes, a_obs, v_obs;
    uint64_t series_t0, series_last, series_bytes;
    struct series_pt series[SERIES_MAX];
    unsigned nseries;
    int min_kbps, max_kbps;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Sleeps until the monotonic time at_us (a pacing deadline, not a wait for
 * an event: sources without a clock of their own are paced this way). */
static void sleep_until(uint64_t at_us)
{
    struct timespec ts = {.tv_sec = (time_t)(at_us / 1000000u),
                          .tv_nsec = (long)(at_us % 1000000u) * 1000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int spec_on(const char *s)
{
    return s && *s && strcmp(s, "none") != 0;
}

/* The capture time in the server's clock (PROTOCOL.md §4.3). */
static uint32_t capture_ms(struct call_send *c, uint64_t now_us)
{
    return (uint32_t)((int64_t)(now_us / 1000u) + atomic_load(&c->offset_ms));
}

/* Waits for the next tick k of period_us from *t0 (restarting the grid
 * when more than 3 periods late: a stalled machine catches up at once
 * instead of bursting). */
static void pace(uint64_t *t0, uint64_t *k, uint64_t period_us)
{
    uint64_t due = *t0 + *k * period_us, now = mono_us();
    if (now > due + 3 * period_us) {
        *t0 = now - *k * period_us;
        due = now;
    }
    if (due > now)
        sleep_until(due);
    (*k)++;
}

/* ---- video thread ---- */

/* Pushes the chunks of one encoded frame (all or none). 0, or -1 when
 * the queue had no room for all of them. */
static int push_frame(struct call_send *c, const struct vp8_packet *pkt, uint32_t frame_no,
                      uint32_t picture, uint64_t now_us)
{
    unsigned n = bp_vchunk_count(pkt->len);
    if (!n || frameq_room(&c->vq) < n)
        return -1;
    uint8_t buf[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX];
    uint32_t media_ts = (uint32_t)(now_us * 9u / 100u), cap = capture_ms(c, now_us);
    uint8_t flags = pkt->keyframe ? BP_FLAG_KEYFRAME : 0;
    for (unsigned i = 0; i < n; i++) {
        size_t off = (size_t)i * BP_VCHUNK_DATA_MAX;
        size_t len = pkt->len - off < BP_VCHUNK_DATA_MAX ? pkt->len - off : BP_VCHUNK_DATA_MAX;
        struct bp_vchunk ch = {.frame = frame_no, .picture = picture, .index = (uint16_t)i,
                               .count = (uint16_t)n};
        bp_vchunk_encode_hdr(&ch, buf);
        memcpy(buf + BP_VCHUNK_HDR, pkt->data + off, len);
        if (frameq_push_timed(&c->vq, buf, BP_VCHUNK_HDR + len, flags, media_ts, cap))
            return -1; /* cannot happen: only we push, and there was room */
    }
    return 0;
}

/* The rate controller's verdict for this picture, and its target. */
static int admit(struct call_send *c, uint64_t now_us, int *kbps)
{
    pthread_mutex_lock(&c->rc_mu);
    if (c->key_wanted) {
        ratectl_keyframe_request(c->rc, (int64_t)now_us);
        c->key_wanted = 0;
    }
    int v = ratectl_video_admit(c->rc, (int64_t)now_us, 0);
    *kbps = ratectl_bitrate_kbps(c->rc);
    pthread_mutex_unlock(&c->rc_mu);
    return v;
}

static void want_key_locked(struct call_send *c)
{
    pthread_mutex_lock(&c->rc_mu);
    c->key_wanted = 1;
    pthread_mutex_unlock(&c->rc_mu);
}

static void *video_main(void *arg)
{
    struct call_send *c = arg;
    uint64_t t0 = mono_us(), k = 0, period = 1000000u / (unsigned)c->fps;
    uint32_t frame_no = 0;
    int was_sending = 0;
    char why[VSOURCE_WHY_MAX];
    while (!atomic_load(&c->stop)) {
        if (!c->video_live)
            pace(&t0, &k, period);
        if (vsource_next(c->vs, &c->pic, why, sizeof why)) {
            fprintf(c->cfg.err, _("bilan : la vidéo s'arrête : %s ; le son continue.\n"), why);
            atomic_store(&c->v_failed, 1);
            break;
        }
        uint64_t now = mono_us();
        /* The source keeps its pace (a camera's buffers must be drained);
         * a muted camera shows nothing here and sends nothing. */
        if (atomic_load(&c->cam_muted)) {
            vmailbox_clear(&c->preview);
            was_sending = 0; /* unmuted: receivers start again from a keyframe */
            continue;
        }
        vmailbox_put(&c->preview, &c->pic);
        if (!atomic_load(&c->sending)) {
            was_sending = 0;
            continue;
        }
        if (!was_sending) {
            was_sending = 1;
            want_key_locked(c); /* a receiver starts here: it needs a keyframe */
        }
        int kbps, v = admit(c, now, &kbps);
        if (v == RATECTL_SKIP) {
            atomic_fetch_add(&c->v_skipped, 1);
            continue;
        }
        const char *w = NULL;
        if (kbps != vp8_encoder_bitrate(c->venc))
            vp8_encoder_set_bitrate(c->venc, kbps, &w);
        if (v == RATECTL_ENCODE_KEY)
            vp8_encoder_request_keyframe(c->venc);
        struct vp8_packet pkt;
        int rc = vp8_encoder_encode(c->venc, &c->pic, &pkt, &w);
        if (rc < 0) {
            fprintf(c->cfg.err,
                    _("bilan : l'encodeur vidéo (VP8) a échoué (%s) : la vidéo s'arrête, le son "
                      "continue.\n"),
                    w ? w : "?");
            atomic_store(&c->v_failed, 1);
            break;
        }
        if (rc == 0) {
            atomic_fetch_add(&c->v_codec_drop, 1);
            continue;
        }
        if (push_frame(c, &pkt, frame_no, c->pic.index, now)) {
            /* The next frames would refer to this one: start again from a
             * keyframe once there is room. */
            atomic_fetch_add(&c->v_qfull, 1);
            want_key_locked(c);
            continue;
        }
        frame_no++;
        atomic_fetch_add(&c->v_encoded, 1);
        if (pkt.keyframe)
            atomic_fetch_add(&c->v_keyframes, 1);
    }
    return NULL;
}

/* ---- audio thread ---- */

static void *audio_main(void *arg)
{
    struct call_send *c = arg;
    uint64_t t0 = mono_us(), k = 0;
    uint32_t sent = 0;
    struct aframe f;
    uint8_t pkt[OPC_MAX_PACKET];
    while (!atomic_load(&c->stop)) {
        if (!c->audio_live)
            pace(&t0, &k, AFRAME_US);
        const char *why = NULL;
        if (asource_next(c->as, &f, &why)) {
            fprintf(c->cfg.err, _("bilan : le son s'arrête (%s).\n"), why ? why : "?");
            atomic_store(&c->a_failed, 1);
            break;
        }
        uint64_t now = mono_us();
        /* now is read after the block was handed over: its first sample
         * entered the microphone 20 ms before, at the latest (aec.c). */
        if (c->aec)
            aec_near(c->aec, f.pcm, f.pcm, (int64_t)(now - AFRAME_US));
        if (!atomic_load(&c->sending) || atomic_load(&c->mic_muted))
            continue;
        int n = opc_enc_encode(c->aenc, f.pcm, pkt, sizeof pkt, &why);
        if (n <= 0)
            continue;
        atomic_fetch_add(&c->a_encoded, 1);
        /* media_ts counts the samples sent, in step with the header's seq. */
        if (frameq_push_timed(&c->aq, pkt, (size_t)n, 0, sent * (uint32_t)BP_AUDIO_BLOCK,
                              capture_ms(c, now)))
            atomic_fetch_add(&c->a_qfull, 1);
        else
            sent++;
    }
    return NULL;
}

/* ---- life ---- */

int call_send_new(struct call_send **out, const struct call_send_config *cfg, char *why,
                  size_t why_cap)
{
    *out = NULL;
    struct call_send *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    c->cfg = *cfg;
    vmailbox_init(&c->preview);
    if (!c->cfg.err)
        c->cfg.err = stderr;
    c->width = cfg->width ? cfg->width : 640;
    c->height = cfg->height ? cfg->height : 480;
    c->fps = cfg->fps ? cfg->fps : 30;
    pthread_mutex_init(&c->rc_mu, NULL);
    const char *w = NULL;
    int rc = ratectl_new(NULL, &c->rc, &w);
    if (rc) {
        snprintf(why, why_cap, _("réglage du débit : %s"), w ? w : "?");
        goto fail;
    }
    if (spec_on(cfg->video)) {
        struct vsource_params p = {.width = c->width, .height = c->height, .fps = c->fps};
        if ((rc = vsource_open(&c->vs, cfg->video, &p, why, why_cap)))
            goto fail;
        c->video_live = vsource_is_live(c->vs); /* a device paces itself */
        /* One picture now: a file with no whole picture, or a camera that
         * gives none, is said before any connection, not in the call. */
        if ((rc = vframe_alloc(&c->pic, c->width, c->height)) ||
            (rc = vsource_next(c->vs, &c->pic, why, why_cap)))
            goto fail;
        struct vp8_enc_params ep = {.width = c->width, .height = c->height, .fps = c->fps,
                                    .bitrate_kbps = ratectl_bitrate_kbps(c->rc)};
        if ((rc = vp8_encoder_new(&c->venc, &ep, &w))) {
            snprintf(why, why_cap, _("encodeur vidéo (VP8) %dx%d : %s"), c->width, c->height,
                     w ? w : _("mémoire insuffisante"));
            goto fail;
        }
        if ((rc = frameq_init(&c->vq, VIDEO_QUEUE, BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX, NULL, NULL)))
            goto fail;
        c->vq_ok = 1;
    }
    if (spec_on(cfg->audio)) {
        char msg[400];
        msg[0] = 0;
        if ((rc = asource_open(&c->as, cfg->audio, &w, msg, sizeof msg))) {
            snprintf(why, why_cap, "%s",
                     msg[0] ? msg
                     : w    ? w
                            : _("impossible d'ouvrir la source du son (micro ou fichier)"));
            goto fail;
        }
        c->audio_live = asource_is_live(c->as);
        struct aframe first;
        if ((rc = asource_next(c->as, &first, &w))) {
            snprintf(why, why_cap, _("%s : %s"), cfg->audio, w ? w : _("aucun son"));
            goto fail;
        }
        if ((rc = opc_enc_new(&c->aenc, 0, -1, &w))) {
            snprintf(why, why_cap, _("encodeur du son (Opus) : %s"), w ? w : "?");
            goto fail;
        }
        if ((rc = frameq_init(&c->aq, AUDIO_QUEUE, BP_AUDIO_PACKET_MAX, NULL, NULL)))
            goto fail;
        c->aq_ok = 1;
        c->aec_off = !cfg->echo_cancel ? "option" : !cfg->speaker ? "no speaker"
                     : !c->audio_live  ? "not a microphone"
                                       : NULL;
        if (!c->aec_off && (rc = aec_new(&c->aec, NULL, &w))) {
            snprintf(why, why_cap, _("annulation d'écho : %s"), w ? w : "?");
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    if (!why[0])
        snprintf(why, why_cap, "%s", _("impossible de préparer le son et l'image"));
    call_send_free(c);
    return rc ? rc : BP_E_INTERNAL;
}

int call_send_start(struct call_send *c, void (*wake)(void *ctx), void *wake_ctx)
{
    /* The queues wake the loop from now on. */
    c->vq.wake = c->aq.wake = wake;
    c->vq.wake_ctx = c->aq.wake_ctx = wake_ctx;
    if (c->aenc && !c->ath_on) {
        if (pthread_create(&c->ath, NULL, audio_main, c))
            return BP_E_NOMEM;
        c->ath_on = 1;
    }
    if (c->venc && !c->vth_on) {
        if (pthread_create(&c->vth, NULL, video_main, c))
            return BP_E_NOMEM;
        c->vth_on = 1;
    }
    return 0;
}

void call_send_stop(struct call_send *c)
{
    atomic_store(&c->stop, 1);
    if (c->vth_on)
        pthread_join(c->vth, NULL);
    if (c->ath_on)
        pthread_join(c->ath, NULL);
    c->vth_on = c->ath_on = 0;
}

void call_send_free(struct call_send *c)
{
    if (!c)
        return;
    call_send_stop(c);
    vsource_close(c->vs);
    vp8_encoder_free(c->venc);
    vframe_free(&c->pic);
    asource_close(c->as);
    opc_enc_free(c->aenc);
    aec_free(c->aec);
    if (c->vq_ok)
        frameq_free(&c->vq);
    if (c->aq_ok)
        frameq_free(&c->aq);
    ratectl_free(c->rc);
    pthread_mutex_destroy(&c->rc_mu);
    vmailbox_destroy(&c->preview);
    free(c);
}

/* ---- the loop's side ---- */

static int audio_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now)
{
    struct call_send *c = ctx;
    int n = frameq_source.next(&c->aq, out, cap, meta, now);
    if (n > 0) {
        c->a_frames++;
        c->a_bytes += (uint64_t)n + WIRE_OVERHEAD;
    }
    return n;
}

static int video_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now)
{
    struct call_send *c = ctx;
    int n = frameq_source.next(&c->vq, out, cap, meta, now);
    if (n > 0) {
        c->v_chunks++;
        c->v_bytes += (uint64_t)n + WIRE_OVERHEAD;
    }
    return n;
}

static const struct mux_source audio_source = {.next = audio_next, .pending = NULL};
static const struct mux_source video_source = {.next = video_next, .pending = NULL};

const struct mux_source *call_send_audio_source(struct call_send *c)
{
    return c->aenc ? &audio_source : NULL;
}

const struct mux_source *call_send_video_source(struct call_send *c)
{
    return c->venc ? &video_source : NULL;
}

struct aec *call_send_aec(struct call_send *c)
{
    return c->aec;
}

int call_send_has_video(const struct call_send *c)
{
    return c->venc != NULL;
}

int call_send_has_audio(const struct call_send *c)
{
    return c->aenc != NULL;
}

void call_send_set_sending(struct call_send *c, int on)
{
    atomic_store(&c->sending, on ? 1 : 0);
}

void call_send_mute(struct call_send *c, int mic, int cam)
{
    if (mic >= 0)
        atomic_store(&c->mic_muted, mic ? 1 : 0);
    if (cam >= 0)
        atomic_store(&c->cam_muted, cam ? 1 : 0);
}

void call_send_muted(struct call_send *c, int *mic, int *cam)
{
    *mic = atomic_load(&c->mic_muted);
    *cam = atomic_load(&c->cam_muted);
}

struct vmailbox *call_send_preview(struct call_send *c)
{
    return &c->preview;
}

void call_send_set_clock_offset(struct call_send *c, int64_t offset_ms)
{
    atomic_store(&c->offset_ms, offset_ms);
    atomic_store(&c->offset_valid, 1);
}

void call_send_keyframe(struct call_send *c, uint64_t now_ms)
{
    (void)now_ms;
    atomic_fetch_add(&c->key_requests, 1);
    want_key_locked(c);
}

void call_send_receiver_report(struct call_send *c, int64_t dropped_video, int64_t queue_ms,
                               int64_t rate_kbps)
{
    pthread_mutex_lock(&c->rc_mu);
    c->rx_rate_kbps = rate_kbps > 0 ? rate_kbps : 0;
    c->rx_dropped += dropped_video > 0 ? dropped_video : 0;
    if (!c->rx_present || queue_ms > c->rx_queue_ms)
        c->rx_queue_ms = queue_ms > 0 ? queue_ms : 0;
    c->rx_present = 1;
    pthread_mutex_unlock(&c->rc_mu);
}

/* One point per second: the target and what we sent. */
static void series_add(struct call_send *c, uint64_t now_ms, int kbps)
{
    if (!c->series_t0) {
        c->series_t0 = c->series_last = now_ms;
        c->series_bytes = c->a_bytes + c->v_bytes;
        return;
    }
    if (now_ms - c->series_last < 1000 || c->nseries >= SERIES_MAX)
        return;
    uint64_t bytes = c->a_bytes + c->v_bytes, dt = now_ms - c->series_last;
    struct series_pt *p = &c->series[c->nseries++];
    p->t_ms = (int64_t)now_ms + atomic_load(&c->offset_ms);
    p->target_kbps = (uint32_t)kbps;
    p->sent_kbps = (uint32_t)((bytes - c->series_bytes) * 8u / dt);
    c->series_last = now_ms;
    c->series_bytes = bytes;
}

void call_send_observe(struct call_send *c, const struct tcpinfo *t, uint64_t now_ms)
{
    struct ratectl_obs o;
    memset(&o, 0, sizeof o);
    o.now_us = (int64_t)now_ms * 1000;
    o.backlog_bytes = (int64_t)((c->vq_ok ? frameq_bytes(&c->vq) : 0) +
                                (c->aq_ok ? frameq_bytes(&c->aq) : 0));
    if (t && t->ok) {
        o.backlog_bytes += t->notsent_bytes;
        o.delivery_Bps = (int64_t)t->delivery_Bps;
        o.srtt_us = t->srtt_us;
        o.app_limited = t->app_limited;
    }
    o.audio_bytes = (int64_t)(c->a_bytes - c->a_obs);
    o.video_bytes = (int64_t)(c->v_bytes - c->v_obs);
    c->a_obs = c->a_bytes;
    c->v_obs = c->v_bytes;
    pthread_mutex_lock(&c->rc_mu);
    if (c->rx_present) {
        o.rx.present = 1;
        o.rx.video_dropped = c->rx_dropped;
        o.rx.queue_delay_ms = c->rx_queue_ms;
        o.rx.rate_Bps = c->rx_rate_kbps * 1000 / 8;
        c->rx_present = 0;
        c->rx_dropped = c->rx_queue_ms = c->rx_rate_kbps = 0;
    }
    ratectl_observe(c->rc, &o);
    int kbps = ratectl_bitrate_kbps(c->rc);
    pthread_mutex_unlock(&c->rc_mu);
    if (!c->min_kbps || kbps < c->min_kbps)
        c->min_kbps = kbps;
    if (kbps > c->max_kbps)
        c->max_kbps = kbps;
    if (atomic_load(&c->sending) && c->venc)
        series_add(c, now_ms, kbps);
}

/* The echo canceller's figures (aec.h), or why it is off. */
static json_t *aec_json(struct call_send *c)
{
    if (!c->aec)
        return json_pack("{s:b, s:s}", "on", 0, "off_reason", c->aec_off ? c->aec_off : "?");
    struct aec_stats st;
    aec_stats(c->aec, &st);
    /* No far-end sound heard yet: no estimate (null), not 0 dB. */
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "on", 1, "blocks",
                     (json_int_t)st.near_blocks, "far_blocks", (json_int_t)st.far_blocks,
                     "far_active", (json_int_t)st.far_active, "realign_far",
                     (json_int_t)st.realign_far, "realign_near", (json_int_t)st.realign_near,
                     "ref_lost", (json_int_t)st.ref_lost, "erle_db",
                     st.erle_blocks ? json_real(round(st.erle_db * 10.0) / 10.0) : json_null());
}

json_t *call_send_stats_json(struct call_send *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (c->aenc)
        json_object_set_new(
            o, "audio",
            json_pack("{s:I, s:I, s:I, s:{s:I}, s:b, s:o}", "frames_sent", (json_int_t)c->a_frames,
                      "bytes_sent", (json_int_t)c->a_bytes, "encoded",
                      (json_int_t)atomic_load(&c->a_encoded), "dropped", "queue_full",
                      (json_int_t)atomic_load(&c->a_qfull), "source_failed",
                      atomic_load(&c->a_failed), "echo_cancel", aec_json(c)));
    if (c->venc) {
        json_object_set_new(
            o, "video",
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}, s:I, s:b, s:i, s:i}",
                      "frames_encoded", (json_int_t)atomic_load(&c->v_encoded), "chunks_sent",
                      (json_int_t)c->v_chunks, "bytes_sent", (json_int_t)c->v_bytes, "keyframes",
                      (json_int_t)atomic_load(&c->v_keyframes), "skipped_rate",
                      (json_int_t)atomic_load(&c->v_skipped), "dropped", "queue_full",
                      (json_int_t)atomic_load(&c->v_qfull), "encoder",
                      (json_int_t)atomic_load(&c->v_codec_drop), "keyframe_requests",
                      (json_int_t)atomic_load(&c->key_requests), "source_failed",
                      atomic_load(&c->v_failed), "width", c->width, "height", c->height));
        struct ratectl_stats st;
        pthread_mutex_lock(&c->rc_mu);
        ratectl_stats_get(c->rc, &st);
        int kbps = ratectl_bitrate_kbps(c->rc);
        pthread_mutex_unlock(&c->rc_mu);
        json_t *series = json_array();
        for (unsigned i = 0; series && i < c->nseries; i++)
            json_array_append_new(series, json_pack("{s:f, s:i, s:i}", "t",
                                                    (double)c->series[i].t_ms / 1000.0,
                                                    "target_kbps", (int)c->series[i].target_kbps,
                                                    "sent_kbps", (int)c->series[i].sent_kbps));
        json_object_set_new(
            o, "rate",
            json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:s, s:I, s:o}", "target_kbps", kbps,
                      "min_kbps", c->min_kbps, "max_kbps", c->max_kbps, "decreases",
                      (json_int_t)st.decreases, "increases", (json_int_t)st.increases,
                      "delay_ms", (json_int_t)(st.delay_us / 1000), "ceiling_kbps",
                      (json_int_t)st.ceiling_kbps, "last_reason",
                      ratectl_reason_name(st.last_reason), "skipped", (json_int_t)st.skipped,
                      "series", series ? series : json_array()));
    }
    return o;
}
