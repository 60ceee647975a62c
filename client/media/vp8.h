/* vp8.h: the VP8 encoder and decoder of a call, over libvpx, tuned for live
 * video (real time, one thread, error resilient, keyframes on request only).
 *
 * Owns: one libvpx context each, and the buffers below whose lifetimes are
 * stated per call. Must never: read a clock, block, start a thread of its
 * own (g_threads = 1), or decide rates or drops (rate control does, later:
 * it calls vp8_encoder_set_bitrate and skips frames before encoding them).
 * Not thread-safe: one encoder or decoder is used by one thread at a time. */
#ifndef CLIENT_MEDIA_VP8_H
#define CLIENT_MEDIA_VP8_H

#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

#define VP8_BITRATE_MIN_KBPS 150
#define VP8_BITRATE_MAX_KBPS 1500
#define VP8_BITRATE_DEFAULT_KBPS 1000
#define VP8_SPEED (-6) /* VP8E_SET_CPUUSED: negative = fixed speed, no auto-speed */

struct vp8_enc_params {
    int width, height;   /* 0 = 640 x 480 */
    int fps;             /* 0 = 30 */
    int bitrate_kbps;    /* 0 = VP8_BITRATE_DEFAULT_KBPS; else 150..1500 */
};

/* One compressed frame. data belongs to the encoder and stays valid until
 * the next vp8_encoder_encode or vp8_encoder_free on that encoder. */
struct vp8_packet {
    const uint8_t *data;
    size_t len;
    int keyframe;       /* 1 for a keyframe */
    uint32_t index;     /* the input picture's index */
};

struct vp8_encoder;
struct vp8_decoder;

/* A new encoder (p may be NULL for the defaults). 0 and *out, or VM_E_ARG /
 * VM_E_NOMEM / VM_E_CODEC with a static reason in *why. */
int vp8_encoder_new(struct vp8_encoder **out, const struct vp8_enc_params *p, const char **why);
void vp8_encoder_free(struct vp8_encoder *e);

/* Encodes one picture of the encoder's size. Its index is copied to the
 * packet and is libvpx's time in frames: skip pictures by not encoding them
 * and the rate stays right (an index not above the last counts as the next). Returns 1 and fills *pkt, 0 when the encoder produced nothing
 * for this picture (a dropped frame), or VM_E_ARG / VM_E_CODEC with *why.
 * The picture is only read during the call. */
int vp8_encoder_encode(struct vp8_encoder *e, const struct vframe *pic, struct vp8_packet *pkt,
                       const char **why);

/* The next encoded picture is a keyframe (a receiver lost its way, or a
 * new member arrived). */
void vp8_encoder_request_keyframe(struct vp8_encoder *e);

/* Changes the target bitrate from the next picture on. 0, or VM_E_ARG out
 * of 150..1500 kbit/s (nothing changed), or VM_E_CODEC. */
int vp8_encoder_set_bitrate(struct vp8_encoder *e, int kbps, const char **why);
int vp8_encoder_bitrate(const struct vp8_encoder *e);

/* A new decoder. 0 and *out, or VM_E_NOMEM / VM_E_CODEC with *why. */
int vp8_decoder_new(struct vp8_decoder **out, const char **why);
void vp8_decoder_free(struct vp8_decoder *d);

/* Decodes one compressed frame (read only during the call). Returns 0 and
 * *pic pointing at a picture the decoder owns, valid until the next
 * vp8_decoder_decode or vp8_decoder_free; its index is 0 (the caller sets
 * it from the frame header). VM_E_NEED_KEYFRAME with *why when the frame is
 * corrupt, truncated or references a picture the decoder lost: from then on
 * every frame but a keyframe gets the same answer, so a broken picture is
 * never shown. VM_E_NOMEM on memory. */
int vp8_decoder_decode(struct vp8_decoder *d, const uint8_t *data, size_t len,
                       const struct vframe **pic, const char **why);

#endif
