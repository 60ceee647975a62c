/* vp8.c: VP8 through libvpx for live video (vp8.h).
 *
 * Encoder settings and why:
 * - VPX_DL_REALTIME and VP8E_SET_CPUUSED -6: a fixed speed. A positive
 *   cpu-used turns on libvpx's auto-speed, whose quality swings with load.
 * - g_threads = 1: two threads were slower on 2-core machines, where the
 *   decoder, audio and the network loop also need a core.
 * - g_lag_in_frames = 0: no look-ahead, a frame out for each frame in.
 * - g_error_resilient: a lost or dropped frame damages less of what follows.
 * - kf_mode = VPX_KF_DISABLED: no periodic keyframes at all (rather than a
 *   huge kf_max_dist, which still lets libvpx place keyframes on scene
 *   cuts). A keyframe costs 5-10 inter frames over TCP; it is sent only when
 *   a receiver asks (vp8_encoder_request_keyframe) or at the first frame,
 *   which libvpx always codes as a keyframe.
 * - CBR with a short buffer (500 ms, start 300, optimum 400) so the rate
 *   follows set_bitrate within a fraction of a second; undershoot allowed,
 *   overshoot held to 15 %; VP8E_SET_MAX_INTRA_BITRATE_PCT 300 caps a
 *   keyframe at about 3 frames' worth so it does not hold audio back.
 * - rc_dropframe_thresh = 0: the encoder never drops frames by itself;
 *   dropping is rate control's decision, made before encoding; the
 *   picture's index is the pts, so a skipped picture's bits go to the next.
 *
 * Decoder: after any error or a frame libvpx reports corrupt, the decoder
 * waits for a keyframe and refuses everything else (need_key). */
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "vp8.h"
#include "i18n.h"

struct vp8_encoder {
    vpx_codec_ctx_t ctx;
    vpx_codec_enc_cfg_t cfg;
    int inited;
    int force_key;
    int64_t pts;  /* of the last picture encoded */
    int started;  /* a picture was encoded (pts is meaningful) */
    uint8_t *buf; /* the last packet, copied out of libvpx's iterator */
    size_t buf_cap;
};

struct vp8_decoder {
    vpx_codec_ctx_t ctx;
    int inited;
    int need_key; /* an error happened: only a keyframe may follow */
    struct vframe pic;
};

int vp8_encoder_new(struct vp8_encoder **out, const struct vp8_enc_params *p, const char **why)
{
    struct vp8_enc_params d = {0};
    if (p)
        d = *p;
    if (!d.width && !d.height) {
        d.width = 640;
        d.height = 480;
    }
    if (!d.fps)
        d.fps = 30;
    if (!d.bitrate_kbps)
        d.bitrate_kbps = VP8_BITRATE_DEFAULT_KBPS;
    *out = NULL;
    /* VP8 codes 16-bit sizes, libvpx wants even I420 here; our cap is lower. */
    if (d.width < 16 || d.height < 16 || d.width > VFRAME_MAX_SIDE ||
        d.height > VFRAME_MAX_SIDE || (d.width & 1) || (d.height & 1)) {
        *why = _("la taille d'image VP8 doit être paire, de 16 à 4096 de chaque côté");
        return VM_E_ARG;
    }
    if (d.fps < 1 || d.fps > 120) {
        *why = _("la cadence VP8 doit être de 1 à 120 images par seconde");
        return VM_E_ARG;
    }
    if (d.bitrate_kbps < VP8_BITRATE_MIN_KBPS || d.bitrate_kbps > VP8_BITRATE_MAX_KBPS) {
        *why = _("le débit VP8 doit être de 150 à 1500 kbit/s");
        return VM_E_ARG;
    }
    struct vp8_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        *why = _("mémoire insuffisante pour l'encodeur VP8");
        return VM_E_NOMEM;
    }
    vpx_codec_iface_t *cx = vpx_codec_vp8_cx();
    if (vpx_codec_enc_config_default(cx, &e->cfg, 0) != VPX_CODEC_OK) {
        *why = _("libvpx n'a pas donné de réglages par défaut pour l'encodeur VP8");
        goto fail;
    }
    vpx_codec_enc_cfg_t *c = &e->cfg;
    c->g_w = (unsigned)d.width;
    c->g_h = (unsigned)d.height;
    c->g_timebase.num = 1;
    c->g_timebase.den = d.fps; /* pts counts frames */
    c->g_threads = 1;
    c->g_lag_in_frames = 0;
    c->g_pass = VPX_RC_ONE_PASS;
    c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    c->rc_end_usage = VPX_CBR;
    c->rc_target_bitrate = (unsigned)d.bitrate_kbps;
    c->rc_min_quantizer = 2;
    c->rc_max_quantizer = 56;
    c->rc_undershoot_pct = 100;
    c->rc_overshoot_pct = 15;
    c->rc_buf_sz = 500;
    c->rc_buf_initial_sz = 300;
    c->rc_buf_optimal_sz = 400;
    c->rc_dropframe_thresh = 0;
    c->rc_resize_allowed = 0;
    c->kf_mode = VPX_KF_DISABLED;
    if (vpx_codec_enc_init(&e->ctx, cx, c, 0) != VPX_CODEC_OK) {
        *why = _("libvpx a refusé les réglages de l'encodeur VP8");
        goto fail;
    }
    e->inited = 1;
    if (vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, VP8_SPEED) != VPX_CODEC_OK ||
        vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300u) != VPX_CODEC_OK ||
        vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u) != VPX_CODEC_OK) {
        *why = _("libvpx a refusé un réglage de l'encodeur VP8 (vitesse, plafond intra, bruit)");
        goto fail;
    }
    *out = e;
    return VM_OK;
fail:
    vp8_encoder_free(e);
    return VM_E_CODEC;
}

void vp8_encoder_free(struct vp8_encoder *e)
{
    if (!e)
        return;
    if (e->inited)
        vpx_codec_destroy(&e->ctx);
    free(e->buf);
    free(e);
}

void vp8_encoder_request_keyframe(struct vp8_encoder *e)
{
    e->force_key = 1;
}

int vp8_encoder_bitrate(const struct vp8_encoder *e)
{
    return (int)e->cfg.rc_target_bitrate;
}

int vp8_encoder_set_bitrate(struct vp8_encoder *e, int kbps, const char **why)
{
    if (kbps < VP8_BITRATE_MIN_KBPS || kbps > VP8_BITRATE_MAX_KBPS) {
        *why = _("le débit VP8 doit être de 150 à 1500 kbit/s");
        return VM_E_ARG;
    }
    vpx_codec_enc_cfg_t c = e->cfg;
    c.rc_target_bitrate = (unsigned)kbps;
    if (vpx_codec_enc_config_set(&e->ctx, &c) != VPX_CODEC_OK) {
        *why = _("libvpx a refusé le nouveau débit VP8");
        return VM_E_CODEC;
    }
    e->cfg = c;
    return VM_OK;
}

int vp8_encoder_encode(struct vp8_encoder *e, const struct vframe *pic, struct vp8_packet *pkt,
                       const char **why)
{
    if (!pic->y || pic->width != (int)e->cfg.g_w || pic->height != (int)e->cfg.g_h) {
        *why = _("la taille de l'image n'est pas celle de l'encodeur VP8");
        return VM_E_ARG;
    }
    /* Wrap, not copy: point libvpx at our planes and strides. */
    vpx_image_t img;
    if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, pic->y)) {
        *why = _("libvpx n'a pas pu prendre l'image");
        return VM_E_CODEC;
    }
    img.planes[VPX_PLANE_Y] = pic->y;
    img.planes[VPX_PLANE_U] = pic->u;
    img.planes[VPX_PLANE_V] = pic->v;
    img.stride[VPX_PLANE_Y] = pic->stride_y;
    img.stride[VPX_PLANE_U] = pic->stride_uv;
    img.stride[VPX_PLANE_V] = pic->stride_uv;
    vpx_enc_frame_flags_t flags = e->force_key ? VPX_EFLAG_FORCE_KF : 0;
    /* The picture's index is its time in frames: when rate control skips
     * pictures before encoding, libvpx sees the longer interval and gives the
     * next frame the bits of the skipped ones. Times must rise, so a repeated
     * or older index counts as the next frame. */
    int64_t pts = e->started && (int64_t)pic->index <= e->pts ? e->pts + 1 : (int64_t)pic->index;
    if (vpx_codec_encode(&e->ctx, &img, pts, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) {
        *why = _("libvpx n'a pas pu encoder une image VP8");
        return VM_E_CODEC;
    }
    e->pts = pts;
    e->started = 1;
    e->force_key = 0;
    /* With no lag and one pass, at most one frame packet comes out; copy it
     * so it outlives the iterator (libvpx reuses that memory). */
    int got = 0;
    vpx_codec_iter_t it = NULL;
    const vpx_codec_cx_pkt_t *p;
    while ((p = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
        if (p->kind != VPX_CODEC_CX_FRAME_PKT || got)
            continue;
        if (p->data.frame.sz > e->buf_cap) {
            uint8_t *nb = realloc(e->buf, p->data.frame.sz);
            if (!nb) {
                *why = _("mémoire insuffisante pour un paquet VP8");
                return VM_E_NOMEM;
            }
            e->buf = nb;
            e->buf_cap = p->data.frame.sz;
        }
        memcpy(e->buf, p->data.frame.buf, p->data.frame.sz);
        pkt->data = e->buf;
        pkt->len = p->data.frame.sz;
        pkt->keyframe = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
        pkt->index = pic->index;
        got = 1;
    }
    return got;
}

int vp8_decoder_new(struct vp8_decoder **out, const char **why)
{
    *out = NULL;
    struct vp8_decoder *d = calloc(1, sizeof *d);
    if (!d) {
        *why = _("mémoire insuffisante pour le décodeur VP8");
        return VM_E_NOMEM;
    }
    vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
    if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
        free(d);
        *why = _("libvpx n'a pas pu démarrer un décodeur VP8");
        return VM_E_CODEC;
    }
    d->inited = 1;
    d->need_key = 1; /* nothing to predict from until the first keyframe */
    *out = d;
    return VM_OK;
}

void vp8_decoder_free(struct vp8_decoder *d)
{
    if (!d)
        return;
    if (d->inited)
        vpx_codec_destroy(&d->ctx);
    vframe_free(&d->pic);
    free(d);
}

int vp8_decoder_decode(struct vp8_decoder *d, const uint8_t *data, size_t len,
                       const struct vframe **pic, const char **why)
{
    *pic = NULL;
    if (!data || len == 0 || len > UINT32_MAX) {
        *why = _("image VP8 vide");
        return VM_E_NEED_KEYFRAME;
    }
    vpx_codec_stream_info_t si = {.sz = sizeof si};
    int is_key = vpx_codec_peek_stream_info(vpx_codec_vp8_dx(), data, (unsigned)len, &si) ==
                     VPX_CODEC_OK && si.is_kf;
    if (d->need_key && !is_key) {
        *why = _("le décodeur VP8 attend une image clé (une image précédente a été perdue ou abîmée)");
        return VM_E_NEED_KEYFRAME;
    }
    if (vpx_codec_decode(&d->ctx, data, (unsigned)len, NULL, 0) != VPX_CODEC_OK) {
        d->need_key = 1;
        *why = _("image VP8 abîmée ou tronquée");
        return VM_E_NEED_KEYFRAME;
    }
    int corrupt = 0;
    if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) != VPX_CODEC_OK ||
        corrupt) {
        d->need_key = 1;
        *why = _("image VP8 décodée comme abîmée");
        return VM_E_NEED_KEYFRAME;
    }
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
    if (!img || img->fmt != VPX_IMG_FMT_I420) {
        d->need_key = 1;
        *why = _("l'image VP8 n'a donné aucune image I420");
        return VM_E_NEED_KEYFRAME;
    }
    d->need_key = 0;
    int w = (int)img->d_w, h = (int)img->d_h;
    if (d->pic.width != w || d->pic.height != h) {
        vframe_free(&d->pic);
        if (vframe_alloc(&d->pic, w, h) != VM_OK) {
            *why = _("mémoire insuffisante (ou taille excessive) pour une image VP8 décodée");
            d->need_key = 1;
            return VM_E_NOMEM;
        }
    }
    I420Copy(img->planes[VPX_PLANE_Y], img->stride[VPX_PLANE_Y], img->planes[VPX_PLANE_U],
             img->stride[VPX_PLANE_U], img->planes[VPX_PLANE_V], img->stride[VPX_PLANE_V],
             d->pic.y, d->pic.stride_y, d->pic.u, d->pic.stride_uv, d->pic.v, d->pic.stride_uv,
             w, h);
    d->pic.index = 0;
    d->pic.capture_us = 0;
    *pic = &d->pic;
    return VM_OK;
}
