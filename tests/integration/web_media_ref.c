/* web_media_ref.c: the native side of the browser media interop tests
 * (test_web_media.py), with the project's own media code: proto/media.c for
 * the payloads, client/media/vp8.c and opus_codec.c for the codecs, the
 * "pattern" and "tone" sources.
 *
 * A record file is a list of binary messages as on the wire (the 16-byte
 * header of PROTOCOL.md §4, then the payload of §4.2), each preceded by its
 * length (u32 big-endian). No encryption: the E2E layer is tested apart.
 *
 *   web_media_ref make N OUT       encodes N pictures of "pattern" (640x480,
 *                                  30/s) and the same time of "tone" as the
 *                                  native sender (client/call_send.c) would
 *                                  send them: chunks, timestamps, seq.
 *   web_media_ref check IN         parses, reassembles and decodes every
 *                                  frame of IN; prints one JSON line of what
 *                                  it found (counts, sizes, keyframes) on
 *                                  stdout. Exit 0, or 1 when IN is unreadable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/err.h"
#include "bp/frame.h"
#include "bp/media.h"
#include "asource.h"
#include "opus_codec.h"
#include "vp8.h"
#include "vsource.h"

#define W 640
#define H 480
#define FPS 30
#define CAPTURE_BASE_MS 1000000u /* any clock: the page does not judge it */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int write_msg(FILE *f, uint8_t kind, uint8_t flags, uint32_t seq, uint32_t ts, uint32_t cap,
                     const uint8_t *payload, size_t len)
{
    uint8_t head[4 + BP_HDR_LEN];
    struct bp_hdr h = {.version = 1, .kind = kind, .flags = flags, .slot = 0, .seq = seq,
                       .media_ts = ts, .capture_ms = cap};
    put32(head, (uint32_t)(BP_HDR_LEN + len));
    bp_hdr_encode(&h, head + 4);
    return fwrite(head, 1, sizeof head, f) != sizeof head || fwrite(payload, 1, len, f) != len;
}

static int make(int n, const char *out_path)
{
    char why[400];
    const char *w = NULL;
    struct vsource_params p = {.width = W, .height = H, .fps = FPS};
    struct vsource *src;
    struct vframe pic;
    struct vp8_encoder *venc;
    struct asource *as;
    struct opc_enc *aenc;
    if (vsource_open(&src, "pattern", &p, why, sizeof why) || vframe_alloc(&pic, W, H)) {
        fprintf(stderr, "web_media_ref: %s\n", why);
        return 1;
    }
    /* The native sender's encoder as it starts (rate control's 500 kbit/s). */
    struct vp8_enc_params ep = {.width = W, .height = H, .fps = FPS, .bitrate_kbps = 500};
    if (vp8_encoder_new(&venc, &ep, &w) || asource_open(&as, "tone", &w, why, sizeof why) ||
        opc_enc_new(&aenc, 0, -1, &w)) {
        fprintf(stderr, "web_media_ref: %s\n", w ? w : "codec");
        return 1;
    }
    FILE *f = fopen(out_path, "wb");
    if (!f) {
        perror(out_path);
        return 1;
    }
    uint32_t vseq = 0, aseq = 0, frame_no = 0;
    int fail = 0;
    long audio_blocks = (long)n * 50 / FPS;
    for (int i = 0, a = 0; !fail && (i < n || a < audio_blocks);) {
        uint64_t vt_us = (uint64_t)i * 1000000u / FPS, at_us = (uint64_t)a * 20000u;
        if (i < n && (a >= audio_blocks || vt_us <= at_us)) {
            if (vsource_next(src, &pic, why, sizeof why)) {
                fprintf(stderr, "web_media_ref: %s\n", why);
                return 1;
            }
            struct vp8_packet pkt;
            int rc = vp8_encoder_encode(venc, &pic, &pkt, &w);
            if (rc < 0) {
                fprintf(stderr, "web_media_ref: %s\n", w);
                return 1;
            }
            if (rc > 0) {
                /* As push_frame: same frame, picture, count, ts, capture, flag. */
                unsigned count = bp_vchunk_count(pkt.len);
                uint8_t buf[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX];
                for (unsigned c = 0; c < count && !fail; c++) {
                    size_t off = (size_t)c * BP_VCHUNK_DATA_MAX;
                    size_t len = pkt.len - off < BP_VCHUNK_DATA_MAX ? pkt.len - off : BP_VCHUNK_DATA_MAX;
                    struct bp_vchunk ch = {.frame = frame_no, .picture = pic.index,
                                           .index = (uint16_t)c, .count = (uint16_t)count};
                    bp_vchunk_encode_hdr(&ch, buf);
                    memcpy(buf + BP_VCHUNK_HDR, pkt.data + off, len);
                    fail = write_msg(f, 2, pkt.keyframe ? BP_FLAG_KEYFRAME : 0, vseq++,
                                     (uint32_t)(vt_us * 9u / 100u),
                                     CAPTURE_BASE_MS + (uint32_t)(vt_us / 1000u), buf,
                                     BP_VCHUNK_HDR + len);
                }
                frame_no++;
            }
            i++;
        } else {
            struct aframe af;
            uint8_t pkt[OPC_MAX_PACKET];
            if (asource_next(as, &af, &w)) {
                fprintf(stderr, "web_media_ref: %s\n", w ? w : "tone");
                return 1;
            }
            int len = opc_enc_encode(aenc, af.pcm, pkt, sizeof pkt, &w);
            if (len <= 0) {
                fprintf(stderr, "web_media_ref: %s\n", w ? w : "opus");
                return 1;
            }
            fail = write_msg(f, 1, 0, aseq, aseq * (uint32_t)BP_AUDIO_BLOCK,
                             CAPTURE_BASE_MS + (uint32_t)(at_us / 1000u), pkt, (size_t)len);
            aseq++;
            a++;
        }
    }
    if (fclose(f) || fail) {
        fprintf(stderr, "web_media_ref: writing %s failed\n", out_path);
        return 1;
    }
    fprintf(stderr, "web_media_ref: %u video frames (%u chunks), %u audio packets\n", frame_no,
            vseq, aseq);
    vp8_encoder_free(venc);
    opc_enc_free(aenc);
    asource_close(as);
    vframe_free(&pic);
    vsource_close(src);
    return 0;
}

/* ---- check ---- */

struct vstate {
    uint8_t *buf;
    size_t len, cap;
    int building; /* a frame is being built */
    struct bp_vchunk first;
    uint16_t next;
    uint8_t flags;
    uint32_t ts, cap_ms;
    long chunks, frames, decoded, keyframes, undecodable, broken, mismatched, gaps;
    long last_frame;
    int width, height, size_changes;
    char keys[2048]; /* frame numbers of keyframes, comma-separated */
};

struct astate {
    long packets, decoded, errors, ts_wrong, seq_gaps;
    int min_size, max_size;
    long last_seq;
};

static void frame_done(struct vstate *v, struct vp8_decoder *dec)
{
    v->frames++;
    int key = (v->flags & BP_FLAG_KEYFRAME) != 0;
    if (key) {
        v->keyframes++;
        size_t l = strlen(v->keys);
        if (l + 12 < sizeof v->keys)
            snprintf(v->keys + l, sizeof v->keys - l, "%s%u", l ? "," : "", v->first.frame);
    }
    if (v->last_frame >= 0 && v->first.frame != (uint32_t)v->last_frame + 1)
        v->gaps++;
    v->last_frame = v->first.frame;
    const struct vframe *pic;
    const char *why = NULL;
    if (vp8_decoder_decode(dec, v->buf, v->len, &pic, &why) == 0) {
        v->decoded++;
        if ((v->width || v->height) && (pic->width != v->width || pic->height != v->height))
            v->size_changes++;
        v->width = pic->width;
        v->height = pic->height;
    } else {
        v->undecodable++;
        fprintf(stderr, "web_media_ref: frame %u not decoded: %s\n", v->first.frame, why);
    }
}

static void video_chunk(struct vstate *v, struct vp8_decoder *dec, const struct bp_hdr *h,
                        const uint8_t *payload, size_t len)
{
    struct bp_vchunk c;
    const char *why;
    if (bp_vchunk_decode(payload, len, &c, &why)) {
        v->mismatched++;
        fprintf(stderr, "web_media_ref: video chunk refused: %s\n", why);
        return;
    }
    v->chunks++;
    if (c.index == 0) {
        if (v->building)
            v->broken++;
        v->building = 1;
        v->first = c;
        v->next = 0;
        v->len = 0;
        v->flags = h->flags;
        v->ts = h->media_ts;
        v->cap_ms = h->capture_ms;
    }
    if (!v->building || c.frame != v->first.frame || c.picture != v->first.picture ||
        c.count != v->first.count || c.index != v->next || h->flags != v->flags ||
        h->media_ts != v->ts || h->capture_ms != v->cap_ms) {
        v->mismatched++;
        v->building = 0;
        return;
    }
    if (v->len + c.len > v->cap) {
        size_t nc = (v->len + c.len) * 2;
        uint8_t *nb = realloc(v->buf, nc);
        if (!nb)
            exit(1);
        v->buf = nb;
        v->cap = nc;
    }
    memcpy(v->buf + v->len, c.data, c.len);
    v->len += c.len;
    if (++v->next == c.count) {
        v->building = 0;
        frame_done(v, dec);
    }
}

static void audio_packet(struct astate *a, struct opc_dec *dec, const struct bp_hdr *h,
                         const uint8_t *payload, size_t len)
{
    const char *why;
    a->packets++;
    if (bp_audio_check(len, &why)) {
        a->errors++;
        return;
    }
    if (a->last_seq >= 0 && h->seq != (uint32_t)a->last_seq + 1)
        a->seq_gaps++;
    a->last_seq = h->seq;
    if (h->media_ts != h->seq * (uint32_t)BP_AUDIO_BLOCK)
        a->ts_wrong++;
    if (!a->min_size || (int)len < a->min_size)
        a->min_size = (int)len;
    if ((int)len > a->max_size)
        a->max_size = (int)len;
    int16_t pcm[AFRAME_SAMPLES];
    if (opc_dec_decode(dec, payload, len, pcm, &why) == AFRAME_SAMPLES)
        a->decoded++;
    else {
        a->errors++;
        fprintf(stderr, "web_media_ref: audio packet %u: %s\n", h->seq, why);
    }
}

static int check(const char *in_path)
{
    FILE *f = fopen(in_path, "rb");
    if (!f) {
        perror(in_path);
        return 1;
    }
    struct vstate v;
    struct astate a;
    memset(&v, 0, sizeof v);
    memset(&a, 0, sizeof a);
    v.last_frame = a.last_seq = -1;
    struct vp8_decoder *vdec;
    struct opc_dec *adec;
    const char *w;
    if (vp8_decoder_new(&vdec, &w) || opc_dec_new(&adec, &w)) {
        fprintf(stderr, "web_media_ref: %s\n", w);
        return 1;
    }
    long bad_headers = 0;
    static uint8_t msg[BP_HDR_LEN + 65536];
    uint8_t lenb[4];
    while (fread(lenb, 1, 4, f) == 4) {
        uint32_t len = (uint32_t)lenb[0] << 24 | (uint32_t)lenb[1] << 16 | (uint32_t)lenb[2] << 8 | lenb[3];
        if (len > sizeof msg || fread(msg, 1, len, f) != len) {
            fprintf(stderr, "web_media_ref: %s: a record is cut or too long\n", in_path);
            return 1;
        }
        struct bp_hdr h;
        const char *why;
        if (bp_hdr_decode(msg, len, &h, &why)) {
            bad_headers++;
            continue;
        }
        if (h.kind == 2)
            video_chunk(&v, vdec, &h, msg + BP_HDR_LEN, len - BP_HDR_LEN);
        else if (h.kind == 1)
            audio_packet(&a, adec, &h, msg + BP_HDR_LEN, len - BP_HDR_LEN);
        else
            bad_headers++;
    }
    fclose(f);
    printf("{\"bad_headers\": %ld, \"video\": {\"chunks\": %ld, \"frames\": %ld, \"decoded\": %ld, "
           "\"undecodable\": %ld, \"keyframes\": %ld, \"keyframe_frames\": [%s], \"broken\": %ld, "
           "\"mismatched\": %ld, \"gaps\": %ld, \"width\": %d, \"height\": %d, "
           "\"size_changes\": %d}, \"audio\": {\"packets\": %ld, \"decoded\": %ld, \"errors\": %ld, "
           "\"ts_wrong\": %ld, \"seq_gaps\": %ld, \"min_size\": %d, \"max_size\": %d}}\n",
           bad_headers, v.chunks, v.frames, v.decoded, v.undecodable, v.keyframes, v.keys, v.broken,
           v.mismatched, v.gaps, v.width, v.height, v.size_changes, a.packets, a.decoded, a.errors,
           a.ts_wrong, a.seq_gaps, a.min_size, a.max_size);
    vp8_decoder_free(vdec);
    opc_dec_free(adec);
    free(v.buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "make") == 0 && atoi(argv[2]) > 0)
        return make(atoi(argv[2]), argv[3]);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    fprintf(stderr, "usage: web_media_ref make N OUT | web_media_ref check IN\n");
    return 1;
}
