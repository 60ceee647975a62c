/* test_call_recv.c: the receive half of a call (client/call_recv.h), fed
 * as the loop would feed it: real VP8 frames of the test pattern cut in
 * chunks and real Opus packets of a tone, with proper headers, at real pace
 * (the sender is paced; results are awaited by polling a condition with a
 * deadline). Checks the .y4m (every picture at its position, PSNR against
 * what was sent), the .wav (the blocks, the tone's level), the counters and
 * lip sync, a lost chunk (a keyframe want, no broken picture in the file),
 * lost audio blocks (PLC, then FEC, in the file), a stream that starts with
 * a delta frame (a want at once, repeated at most every 500 ms), two
 * senders and a rejoin at frame 0, malformed payloads (counted), a full
 * queue, a sender leaving, the speaker not built yet. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../check.h"
#include "../media/test_vtmp.h"
#include "asource.h"
#include "bp/frame.h"
#include "bp/media.h"
#include "call_recv.h"
#include "opus_codec.h"
#include "vp8.h"
#include "vsource.h"

#define W 320
#define H 240
#define MAX_PICS 64

static atomic_int wakes;
static void on_wake(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&wakes, 1);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until(uint64_t t_us)
{
    struct timespec ts = {.tv_sec = (time_t)(t_us / 1000000),
                          .tv_nsec = (long)(t_us % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

/* One simulated remote member. */
struct tx {
    uint8_t slot;
    struct vsource *src;
    struct vp8_encoder *enc;
    struct vframe pic;
    struct vframe sent[MAX_PICS]; /* the source pictures, by picture number */
    unsigned npics;
    struct asource *asrc;
    struct opc_enc *aenc;
    uint32_t frame_no, vseq, aseq;
    /* What to do to the stream. */
    int send_from_pic;   /* pictures before it are encoded but not sent */
    uint32_t drop_frame; /* drop one chunk of this frame number (or the frame) */
    int drop_armed;
    int audio, video;  /* what it sends */
    int64_t drop_aseq; /* audio blocks drop_aseq .. +drop_acount-1 are lost (-1: none) */
    unsigned drop_acount;
    int answer_wants; /* a want makes the next picture a keyframe */
    size_t piece;     /* VP8 bytes per chunk: BP_VCHUNK_DATA_MAX, or less (any
                         cut is valid: the receiver never assumes one) */
    /* What happened. */
    unsigned sent_frames, sent_blocks, wants_seen, dropped_chunks;
    uint64_t first_video_us, first_want_us;
};

static void tx_open(struct tx *t, uint8_t slot)
{
    memset(t, 0, sizeof *t);
    t->slot = slot;
    t->drop_aseq = -1;
    char why[VSOURCE_WHY_MAX];
    const char *r = NULL;
    struct vsource_params p = {.width = W, .height = H};
    struct vp8_enc_params ep = {.width = W, .height = H, .bitrate_kbps = 1500};
    CHECK_EQ_INT(vsource_open(&t->src, "pattern", &p, why, sizeof why), 0);
    CHECK_EQ_INT(vframe_alloc(&t->pic, W, H), 0);
    CHECK_EQ_INT(vp8_encoder_new(&t->enc, &ep, &r), 0);
    CHECK_EQ_INT(asource_open(&t->asrc, "tone", &r, NULL, 0), 0);
    CHECK_EQ_INT(opc_enc_new(&t->aenc, 0, -1, &r), 0);
}

static void tx_close(struct tx *t)
{
    vsource_close(t->src);
    vframe_free(&t->pic);
    for (unsigned i = 0; i < MAX_PICS; i++)
        vframe_free(&t->sent[i]);
    vp8_encoder_free(t->enc);
    asource_close(t->asrc);
    opc_enc_free(t->aenc);
}

static int deliver(struct call_recv *r, const struct mux_sink *sink, uint8_t kind, uint8_t slot,
                   uint8_t flags, uint32_t seq, uint32_t media_ts, const uint8_t *p, size_t len)
{
    struct bp_hdr h = {.version = 1,
                       .kind = kind,
                       .flags = flags,
                       .slot = slot,
                       .seq = seq,
                       .media_ts = media_ts,
                       .capture_ms = (uint32_t)(now_us() / 1000)};
    return sink->frame(r, &h, p, len, now_us() / 1000);
}

static void tx_video(struct tx *t, struct call_recv *r)
{
    char why[VSOURCE_WHY_MAX];
    const char *e = NULL;
    if (t->npics >= MAX_PICS)
        return;
    CHECK_EQ_INT(vsource_next(t->src, &t->pic, why, sizeof why), 0);
    unsigned picture = t->pic.index;
    if (picture < MAX_PICS && vframe_alloc(&t->sent[picture], W, H) == 0)
        vframe_copy(&t->sent[picture], &t->pic);
    t->npics++;
    struct vp8_packet pkt;
    if (vp8_encoder_encode(t->enc, &t->pic, &pkt, &e) != 1)
        return;
    if ((int)picture < t->send_from_pic)
        return; /* a stream joined late: its first frame sent is a delta frame */
    uint32_t frame = t->frame_no++;
    size_t piece = t->piece ? t->piece : BP_VCHUNK_DATA_MAX;
    unsigned count = (unsigned)((pkt.len + piece - 1) / piece);
    CHECK(count >= 1 && count <= BP_VCHUNK_COUNT_MAX);
    if (!t->first_video_us)
        t->first_video_us = now_us();
    for (unsigned i = 0; i < count; i++) {
        size_t off = (size_t)i * piece;
        size_t n = pkt.len - off < piece ? pkt.len - off : piece;
        if (t->drop_armed && frame == t->drop_frame && !pkt.keyframe && (count == 1 || i == 1)) {
            t->dropped_chunks++;
            continue;
        }
        uint8_t buf[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX];
        struct bp_vchunk c = {
            .frame = frame, .picture = picture, .index = (uint16_t)i, .count = (uint16_t)count};
        bp_vchunk_encode_hdr(&c, buf);
        memcpy(buf + BP_VCHUNK_HDR, pkt.data + off, n);
        CHECK_EQ_INT(deliver(r, &call_recv_video_sink, BP_KIND_VIDEO, t->slot,
                             pkt.keyframe ? BP_FLAG_KEYFRAME : 0, t->vseq++, picture * 3000u, buf,
                             BP_VCHUNK_HDR + n),
                     1);
    }
    if (t->drop_armed && frame == t->drop_frame && pkt.keyframe)
        t->drop_frame++; /* never a keyframe: the next frame then */
    t->sent_frames++;
}

static void tx_audio(struct tx *t, struct call_recv *r)
{
    struct aframe f;
    const char *why = NULL;
    uint8_t pkt[OPC_MAX_PACKET];
    CHECK_EQ_INT(asource_next(t->asrc, &f, &why), 0);
    int n = opc_enc_encode(t->aenc, f.pcm, pkt, sizeof pkt, &why);
    CHECK(n > 0);
    if (t->drop_aseq >= 0 && (int64_t)t->aseq >= t->drop_aseq &&
        (int64_t)t->aseq < t->drop_aseq + t->drop_acount) {
        t->aseq++;
        t->sent_blocks++; /* sent, lost on the way */
        return;
    }
    CHECK_EQ_INT(deliver(r, &call_recv_audio_sink, BP_KIND_AUDIO, t->slot, 0, t->aseq,
                         t->aseq * BP_AUDIO_BLOCK, pkt, (size_t)n),
                 1);
    t->aseq++;
    t->sent_blocks++;
}

/* Sends for ms milliseconds at real pace from n senders: audio every 20 ms
 * (those with audio set), video every 33.3 ms (those with video set);
 * wants are taken as the loop would (every 5 ms). */
static void drive_many(struct tx **t, unsigned n, struct call_recv *r, unsigned ms)
{
    uint64_t t0 = now_us(), end = t0 + (uint64_t)ms * 1000, na = t0, nv = t0;
    for (;;) {
        uint64_t now = now_us();
        if (now >= end)
            break;
        int do_a = now >= na, do_v = now >= nv;
        for (unsigned i = 0; i < n; i++) {
            if (do_a && t[i]->audio)
                tx_audio(t[i], r);
            if (do_v && t[i]->video)
                tx_video(t[i], r);
        }
        na += do_a ? 20000 : 0;
        nv += do_v ? 33333 : 0;
        unsigned w = call_recv_take_keyframe_wants(r);
        for (unsigned i = 0; i < n; i++) {
            if (!(w & (1u << t[i]->slot)))
                continue;
            t[i]->wants_seen++;
            if (!t[i]->first_want_us)
                t[i]->first_want_us = now_us();
            if (t[i]->answer_wants)
                vp8_encoder_request_keyframe(t[i]->enc);
        }
        /* Wake at least every 5 ms to take wants as a loop would. */
        uint64_t next = na < nv ? na : nv;
        if (next > now_us() + 5000)
            next = now_us() + 5000;
        sleep_until(next < end ? next : end);
    }
}

static void drive(struct tx *t, struct call_recv *r, unsigned ms, int audio)
{
    t->audio = audio;
    t->video = 1;
    drive_many(&t, 1, r, ms);
}

/* A figure of slot's stream ("audio" or "video"), or -1. */
static long long stat_of(struct call_recv *r, unsigned slot, const char *stream, const char *key)
{
    json_t *st = call_recv_stats_json(r);
    long long v = -1;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(st, "slots"), i, s)
    {
        if (json_integer_value(json_object_get(s, "slot")) == (json_int_t)slot &&
            !json_is_true(json_object_get(s, "left"))) {
            json_t *x = json_object_get(json_object_get(s, stream), key);
            if (json_is_integer(x))
                v = json_integer_value(x);
        }
    }
    json_decref(st);
    return v;
}

static long long dropped_in(struct call_recv *r, unsigned slot, const char *stream, const char *key)
{
    json_t *st = call_recv_stats_json(r);
    long long v = -1;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(st, "slots"), i, s)
    {
        if (json_integer_value(json_object_get(s, "slot")) == (json_int_t)slot)
            v = json_integer_value(
                json_object_get(json_object_get(json_object_get(s, stream), "dropped"), key));
    }
    json_decref(st);
    return v;
}

static long long dropped_of(struct call_recv *r, unsigned slot, const char *key)
{
    return dropped_in(r, slot, "video", key);
}

/* Audio blocks of slot accounted for: played, concealed, or skipped to
 * shrink the delay (a loaded machine makes the delay grow, then shrink). */
static long long audio_accounted(struct call_recv *r, unsigned slot)
{
    return stat_of(r, slot, "audio", "played") + stat_of(r, slot, "audio", "concealed_fec") +
           stat_of(r, slot, "audio", "concealed_plc") + dropped_in(r, slot, "audio", "skipped") +
           dropped_in(r, slot, "audio", "late");
}

/* Video frames of slot accounted for: shown, dropped for lip sync,
 * undecodable, refused by the decoder or lost. */
static long long video_accounted(struct call_recv *r, unsigned slot)
{
    return stat_of(r, slot, "video", "rendered") + dropped_of(r, slot, "avsync_late") +
           dropped_of(r, slot, "undecodable") + dropped_of(r, slot, "decode_errors") +
           stat_of(r, slot, "video", "lost");
}

/* Polls until video of slot is all accounted for (want frames) and, if
 * blocks > 0, that many audio blocks were played or concealed. */
static int wait_done(struct call_recv *r, unsigned slot, long long frames, long long blocks)
{
    uint64_t deadline = now_us() + 4000000;
    while (now_us() < deadline) {
        if (video_accounted(r, slot) >= frames &&
            (blocks <= 0 || audio_accounted(r, slot) >= blocks))
            return 1;
        sleep_until(now_us() + 5000);
    }
    return 0;
}

/* Pictures in a .y4m of W x H: 0..n; -1 when not one. */
static long y4m_frames(const char *path, long *hdr_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char line[128];
    long n = -1;
    if (fgets(line, sizeof line, f) && strncmp(line, "YUV4MPEG2 ", 10) == 0) {
        *hdr_len = (long)strlen(line);
        struct stat sb;
        long fl = 6 + W * H * 3 / 2;
        if (stat(path, &sb) == 0 && (sb.st_size - *hdr_len) % fl == 0)
            n = (sb.st_size - *hdr_len) / fl;
    }
    fclose(f);
    return n;
}

/* Reads the file's pictures; checks each is the sent picture of its position
 * (PSNR >= 30 dB) or a repeat of the one before. Returns the good ones. */
static long check_pictures(const char *path, struct tx *t, long n, long *repeats)
{
    struct vsource *rd = NULL;
    char why[VSOURCE_WHY_MAX];
    struct vsource_params p = {.width = W, .height = H};
    struct vframe cur, prev;
    long good = 0;
    *repeats = 0;
    CHECK_EQ_INT(vsource_open(&rd, path, &p, why, sizeof why), 0);
    CHECK_EQ_INT(vframe_alloc(&cur, W, H), 0);
    CHECK_EQ_INT(vframe_alloc(&prev, W, H), 0);
    for (long i = 0; rd && i < n && i < MAX_PICS; i++) {
        CHECK_EQ_INT(vsource_next(rd, &cur, why, sizeof why), 0);
        double q = t->sent[i].mem ? vframe_psnr_y(&cur, &t->sent[i]) : 0;
        if (q >= 30.0) {
            good++;
        } else if (i > 0 && vframe_psnr_y(&cur, &prev) >= 99.0) {
            (*repeats)++;
        } else {
            fprintf(stderr, "picture %ld: PSNR %.1f dB against the sent one, not a repeat\n", i, q);
            CHECK(0);
        }
        vframe_copy(&prev, &cur);
    }
    vsource_close(rd);
    vframe_free(&cur);
    vframe_free(&prev);
    return good;
}

static long wav_blocks(const char *path, double *rms_mid)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long blocks = (size - 44) / (AFRAME_SAMPLES * 2);
    /* The level of blocks 10..blocks-10 (past the start-up and the end). */
    double sum = 0;
    long samples = 0;
    int16_t pcm[AFRAME_SAMPLES];
    for (long b = 10; b + 10 < blocks; b++) {
        fseek(f, 44 + b * AFRAME_SAMPLES * 2, SEEK_SET);
        if (fread(pcm, 2, AFRAME_SAMPLES, f) != AFRAME_SAMPLES)
            break;
        for (unsigned i = 0; i < AFRAME_SAMPLES; i++)
            sum += (double)pcm[i] * pcm[i];
        samples += AFRAME_SAMPLES;
    }
    *rms_mid = samples ? sqrt(sum / (double)samples) : 0;
    fclose(f);
    return blocks;
}

static struct call_recv *make(const char *vout, const char *aout)
{
    struct call_recv_config cfg = {
        .video_out = vout, .audio_out = aout, .width = W, .height = H, .fps = 30};
    struct call_recv *r = NULL;
    char why[256] = "";
    int rc = call_recv_new(&r, &cfg, why, sizeof why);
    if (rc)
        fprintf(stderr, "call_recv_new: %s\n", why);
    CHECK_EQ_INT(rc, 0);
    return r;
}

/* A clean call: every frame shown at its place, every block in the file. */
static void test_clean(void)
{
    char vp[512], ap[512], why[256];
    struct call_recv *r =
        make(tmp_path(vp, sizeof vp, "clean.y4m"), tmp_path(ap, sizeof ap, "clean.wav"));
    if (!r)
        return;
    call_recv_set_clock_offset(r, 0);
    atomic_store(&wakes, 0);
    CHECK_EQ_INT(call_recv_start(r, on_wake, NULL), 0);
    struct tx t;
    tx_open(&t, 1);
    drive(&t, r, 1500, 1);
    CHECK(wait_done(r, 1, t.sent_frames, t.sent_blocks));
    long long rendered = stat_of(r, 1, "video", "rendered");
    printf("clean: %u frames, %u blocks sent; rendered %lld, avsync_late %lld\n", t.sent_frames,
           t.sent_blocks, rendered, dropped_of(r, 1, "avsync_late"));
    CHECK(t.sent_frames >= 40);
    CHECK_EQ_INT(stat_of(r, 1, "video", "decoded"), t.sent_frames);
    CHECK(rendered >= (long long)t.sent_frames - 2);
    CHECK_EQ_INT(stat_of(r, 1, "video", "keyframes"), 1);
    CHECK_EQ_INT(stat_of(r, 1, "video", "keyframe_requests"), 0);
    CHECK_EQ_INT(dropped_of(r, 1, "undecodable"), 0);
    CHECK(stat_of(r, 1, "video", "chunks") > (long long)t.sent_frames); /* keyframes take several */
    /* Every block is played, but for a few a loaded machine may make late
     * or skip (the test runs beside others): each is accounted for once. */
    long long played = stat_of(r, 1, "audio", "played");
    CHECK_EQ_INT(stat_of(r, 1, "audio", "frames"), t.sent_blocks);
    CHECK(played >= (long long)t.sent_blocks - 3);
    CHECK_EQ_INT(audio_accounted(r, 1), t.sent_blocks);
    CHECK_EQ_INT(call_recv_take_audio_ms(r, 1), 20 * played);
    CHECK_EQ_INT(call_recv_take_audio_ms(r, 1), 0);
    CHECK_EQ_INT(call_recv_take_keyframe_wants(r), 0);
    CHECK_EQ_INT(atomic_load(&wakes), 0);
    json_t *st = call_recv_stats_json(r);
    json_t *s0 = json_array_get(json_object_get(st, "slots"), 0);
    json_t *vl = json_object_get(json_object_get(s0, "video"), "latency_ms");
    json_t *al = json_object_get(json_object_get(s0, "audio"), "latency_ms");
    long long vp50 = json_integer_value(json_object_get(vl, "p50"));
    long long ap50 = json_integer_value(json_object_get(al, "p50"));
    printf("clean: latency p50 video %lld ms, audio %lld ms; samples %lld/%lld\n", vp50, ap50,
           (long long)json_integer_value(json_object_get(vl, "samples")),
           (long long)json_integer_value(json_object_get(al, "samples")));
    CHECK(json_integer_value(json_object_get(vl, "samples")) == rendered);
    CHECK(vp50 >= 0 && vp50 < 500);
    CHECK(ap50 >= 20 && ap50 < 500);
    CHECK(json_array_size(json_object_get(json_object_get(s0, "audio"), "kbps")) >= 1);
    /* Video was shown on the voice's clock, within the drop limit. */
    json_t *ls = json_object_get(json_object_get(s0, "video"), "lipsync_ms");
    printf("clean: lip sync p50 %lld ms, |p95| %lld ms over %lld frames\n",
           (long long)json_integer_value(json_object_get(ls, "p50")),
           (long long)json_integer_value(json_object_get(ls, "abs_p95")),
           (long long)json_integer_value(json_object_get(ls, "samples")));
    CHECK(json_integer_value(json_object_get(ls, "samples")) > 20);
    CHECK(json_integer_value(json_object_get(ls, "abs_p95")) <= 80);
    json_decref(st);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0); /* idempotent */
    long hl = 0, n = y4m_frames(vp, &hl);
    CHECK_EQ_INT(n, t.sent_frames); /* picture N at position N, all of them */
    long repeats = 0;
    long good = check_pictures(vp, &t, n, &repeats);
    CHECK(good >= n - 2);
    double rms = 0;
    long blocks = wav_blocks(ap, &rms);
    printf("clean: .y4m %ld pictures (%ld good, %ld repeats), .wav %ld blocks, rms %.0f\n", n, good,
           repeats, blocks, rms);
    CHECK(blocks >= (long)t.sent_blocks - 3 && blocks <= (long)t.sent_blocks);
    CHECK(rms > 3000 && rms < 9000); /* the tone's -12 dBFS: ~5800 */
    call_recv_free(r);
    tx_close(&t);
}

/* A chunk lost: the receiver wants a keyframe; no broken picture is shown.
 * Two audio blocks lost: the first guessed (PLC), the second rebuilt from
 * the next packet's FEC, both written at their place. */
static void test_lost_chunk(void)
{
    char vp[512], ap[512], why[256];
    struct call_recv *r =
        make(tmp_path(vp, sizeof vp, "lost.y4m"), tmp_path(ap, sizeof ap, "lost.wav"));
    if (!r)
        return;
    atomic_store(&wakes, 0);
    CHECK_EQ_INT(call_recv_start(r, on_wake, NULL), 0);
    struct tx t;
    tx_open(&t, 2);
    t.drop_frame = 10;
    t.drop_armed = 1;
    t.piece = 200; /* delta frames of the pattern are small: several chunks each */
    t.answer_wants = 1;
    t.drop_aseq = 20; /* 20 and 21: 20 is guessed (PLC), 21 rebuilt from 22's FEC */
    t.drop_acount = 2;
    drive(&t, r, 1500, 1);
    CHECK(wait_done(r, 2, t.sent_frames, t.sent_blocks));
    long long fec = stat_of(r, 2, "audio", "concealed_fec");
    long long plc = stat_of(r, 2, "audio", "concealed_plc");
    printf("lost block: concealed by FEC %lld, by PLC %lld\n", fec, plc);
    CHECK_EQ_INT(stat_of(r, 2, "audio", "frames"), t.sent_blocks - 2);
    CHECK(fec >= 1);       /* the next packet was there: FEC, not a guess */
    CHECK(plc >= 1);       /* it was not */
    CHECK(fec + plc <= 4); /* a loaded machine may add a late one */
    long long kreq = stat_of(r, 2, "video", "keyframe_requests");
    long long undec = dropped_of(r, 2, "undecodable");
    printf("lost chunk: %u frames sent, %u chunk dropped; wants %u, requests %lld, undecodable "
           "%lld, rendered %lld, keyframes %lld, incomplete %lld\n",
           t.sent_frames, t.dropped_chunks, t.wants_seen, kreq, undec,
           stat_of(r, 2, "video", "rendered"), stat_of(r, 2, "video", "keyframes"),
           stat_of(r, 2, "video", "incomplete"));
    CHECK_EQ_INT(t.dropped_chunks, 1);
    CHECK_EQ_INT(stat_of(r, 2, "video", "incomplete"), 1); /* given up, not shown */
    CHECK(t.wants_seen >= 1);
    CHECK(kreq >= 1);
    CHECK(atomic_load(&wakes) >= 1);
    CHECK(undec >= 1);
    CHECK(stat_of(r, 2, "video", "keyframes") >= 2); /* the answer was decoded */
    CHECK(stat_of(r, 2, "video", "rendered") > 20);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0);
    long hl = 0, n = y4m_frames(vp, &hl);
    CHECK(n >= (long)t.sent_frames - 1);
    long repeats = 0;
    long good = check_pictures(vp, &t, n, &repeats);
    printf("lost chunk: .y4m %ld pictures, %ld good, %ld repeats\n", n, good, repeats);
    CHECK(repeats >= 1);        /* the undecodable ones */
    CHECK(good + repeats == n); /* and nothing else: no broken picture */
    double rms = 0;
    long blocks = wav_blocks(ap, &rms);
    CHECK(blocks >= (long)t.sent_blocks - 3 && blocks <= (long)t.sent_blocks);
    CHECK(rms > 3000 && rms < 9000); /* the concealed block is in, no hole */
    call_recv_free(r);
    tx_close(&t);
}

/* A stream that starts with a delta frame: a want at once, repeated at most
 * every 500 ms, nothing shown. */
static void test_starts_with_delta(void)
{
    char vp[512], why[256];
    struct call_recv *r = make(tmp_path(vp, sizeof vp, "delta.y4m"), NULL);
    if (!r)
        return;
    CHECK_EQ_INT(call_recv_start(r, on_wake, NULL), 0);
    struct tx t;
    tx_open(&t, 3);
    t.send_from_pic = 3;
    drive(&t, r, 1200, 0);
    CHECK(wait_done(r, 3, t.sent_frames, 0));
    long long kreq = stat_of(r, 3, "video", "keyframe_requests");
    printf("delta start: first want %lld ms after the first frame; %lld requests in 1.2 s\n",
           (long long)(t.first_want_us - t.first_video_us) / 1000, kreq);
    CHECK(t.first_want_us > 0);
    CHECK(t.first_want_us - t.first_video_us < 30000); /* before any jitter delay */
    CHECK(kreq >= 2 && kreq <= 3);
    CHECK(t.wants_seen >= 2 && t.wants_seen <= 3);
    CHECK_EQ_INT(stat_of(r, 3, "video", "rendered"), 0);
    CHECK_EQ_INT(dropped_of(r, 3, "undecodable"), t.sent_frames);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0);
    long hl = 0;
    CHECK_EQ_INT(y4m_frames(vp, &hl), 0);
    call_recv_free(r);
    tx_close(&t);
}

/* Two senders at once: the file gets the first one rendered, both are
 * decoded. Then one leaves and comes back: it starts again at frame 0 with
 * a keyframe, which is decoded (not taken for a late frame). */
static void test_two_senders_and_rejoin(void)
{
    char vp[512], why[256];
    struct call_recv *r = make(tmp_path(vp, sizeof vp, "two.y4m"), NULL);
    if (!r)
        return;
    CHECK_EQ_INT(call_recv_start(r, on_wake, NULL), 0);
    struct tx a, b, b2;
    tx_open(&a, 0);
    tx_open(&b, 3);
    a.video = b.video = 1;
    b.audio = 1;
    struct tx *both[2] = {&a, &b};
    drive_many(both, 2, r, 1000);
    CHECK(wait_done(r, 0, a.sent_frames, 0));
    CHECK(wait_done(r, 3, b.sent_frames, b.sent_blocks));
    CHECK_EQ_INT(stat_of(r, 0, "video", "decoded"), a.sent_frames);
    CHECK_EQ_INT(stat_of(r, 3, "video", "decoded"), b.sent_frames);
    json_t *st = call_recv_stats_json(r);
    int chosen = (int)json_integer_value(json_object_get(st, "video_slot"));
    json_decref(st);
    CHECK(chosen == 0 || chosen == 3);
    /* b leaves; a new member takes slot 3 and starts at frame 0. */
    call_recv_video_sink.slot_gone(r, 3, 0);
    call_recv_audio_sink.slot_gone(r, 3, 0);
    tx_open(&b2, 3);
    b2.video = b2.audio = 1;
    both[1] = &b2;
    drive_many(both, 2, r, 600);
    CHECK(wait_done(r, 0, a.sent_frames, 0));
    CHECK(wait_done(r, 3, b2.sent_frames, b2.sent_blocks));
    long long dec = stat_of(r, 3, "video", "decoded");
    printf("two senders: slot %d in the file; after the rejoin %u frames sent, %lld decoded, "
           "%lld requests\n",
           chosen, b2.sent_frames, dec, stat_of(r, 3, "video", "keyframe_requests"));
    CHECK_EQ_INT(dec, b2.sent_frames); /* counters started afresh, every frame decoded */
    CHECK_EQ_INT(stat_of(r, 3, "video", "keyframe_requests"), 0);
    CHECK_EQ_INT(stat_of(r, 3, "audio", "frames"), b2.sent_blocks);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0);
    long hl = 0, n = y4m_frames(vp, &hl);
    struct tx *in_file = chosen == 0 ? &a : &b;
    /* Only the chosen sender's pictures, each at its place (a rejoined b
     * would restart at picture 0: ignored, positions already written). */
    CHECK(n >= (long)in_file->sent_frames - 2);
    long repeats = 0;
    long good = check_pictures(
        vp, in_file, n < (long)in_file->sent_frames ? n : (long)in_file->sent_frames, &repeats);
    CHECK(good >= (long)in_file->sent_frames - 2);
    call_recv_free(r);
    tx_close(&a);
    tx_close(&b);
    tx_close(&b2);
}

/* Malformed payloads are counted and refused; garbage that passes the
 * checks reaches the decoders and is refused there, not crashing. */
static void test_malformed(void)
{
    char why[256];
    struct call_recv *r = make(NULL, NULL);
    if (!r)
        return;
    CHECK_EQ_INT(call_recv_start(r, on_wake, NULL), 0);
    uint8_t junk[2000];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    const struct mux_sink *a = &call_recv_audio_sink, *v = &call_recv_video_sink;
    CHECK_EQ_INT(deliver(r, a, BP_KIND_AUDIO, 0, 0, 0, 0, junk, 0), 0);
    CHECK_EQ_INT(deliver(r, a, BP_KIND_AUDIO, 0, 0, 0, 0, junk, BP_AUDIO_PACKET_MAX + 1), 0);
    CHECK_EQ_INT(deliver(r, a, BP_KIND_AUDIO, 9, 0, 0, 0, junk, 10), 0); /* no such slot */
    CHECK_EQ_INT(deliver(r, v, BP_KIND_VIDEO, 0, 0, 0, 0, junk, 5), 0);  /* short */
    uint8_t c[BP_VCHUNK_HDR + 10];
    memcpy(c + BP_VCHUNK_HDR, junk, 10);
    struct bp_vchunk h0 = {.frame = 0, .picture = 0, .index = 0, .count = 0};
    bp_vchunk_encode_hdr(&h0, c);
    CHECK_EQ_INT(deliver(r, v, BP_KIND_VIDEO, 0, 0, 0, 0, c, sizeof c), 0); /* count 0 */
    h0.count = 2;
    h0.index = 2;
    bp_vchunk_encode_hdr(&h0, c);
    CHECK_EQ_INT(deliver(r, v, BP_KIND_VIDEO, 0, 0, 0, 0, c, sizeof c), 0); /* index past count */
    /* Garbage that passes: Opus noise and a "keyframe" of noise. */
    for (uint32_t s = 0; s < 10; s++)
        CHECK_EQ_INT(deliver(r, a, BP_KIND_AUDIO, 0, 0, s, s * 960, junk + s * 50, 40), 1);
    h0.index = 0;
    h0.count = 1;
    bp_vchunk_encode_hdr(&h0, c);
    CHECK_EQ_INT(deliver(r, v, BP_KIND_VIDEO, 0, BP_FLAG_KEYFRAME, 0, 0, c, sizeof c), 1);
    uint64_t deadline = now_us() + 3000000;
    unsigned wants = 0;
    while (now_us() < deadline) {
        wants |= call_recv_take_keyframe_wants(r);
        long long aud = stat_of(r, 0, "audio", "played") + stat_of(r, 0, "audio", "decode_errors");
        if ((wants & 1u) && aud >= 10)
            break;
        sleep_until(now_us() + 5000);
    }
    CHECK(wants & 1u);
    CHECK_EQ_INT(dropped_of(r, 0, "decode_errors"), 1);
    CHECK_EQ_INT(stat_of(r, 0, "video", "rendered"), 0);
    CHECK_EQ_INT(stat_of(r, 0, "audio", "frames"), 10);
    CHECK_EQ_INT(stat_of(r, 0, "audio", "played") + stat_of(r, 0, "audio", "decode_errors"), 10);
    json_t *st = call_recv_stats_json(r);
    json_t *q = json_object_get(st, "queue");
    CHECK_EQ_INT(json_integer_value(json_object_get(q, "malformed_audio")), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(q, "malformed_video")), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(q, "queued")), 11);
    json_decref(st);
    /* The sender leaves: its state goes; its figures stay, marked as left. */
    call_recv_audio_sink.slot_gone(r, 0, 0);
    deadline = now_us() + 2000000;
    long long left = 1;
    while (now_us() < deadline && (left = stat_of(r, 0, "audio", "frames")) != -1)
        sleep_until(now_us() + 5000);
    CHECK_EQ_INT(left, -1);
    st = call_recv_stats_json(r);
    json_t *e = json_array_get(json_object_get(st, "slots"), 0);
    CHECK(json_is_true(json_object_get(e, "left")));
    CHECK_EQ_INT(json_integer_value(json_object_get(e, "slot")), 0);
    CHECK(json_integer_value(json_object_get(json_object_get(e, "audio"), "frames")) > 0);
    json_decref(st);
    CHECK_EQ_INT(call_recv_stop(r, why, sizeof why), 0);
    call_recv_free(r);
}

/* Before the playout thread runs, the queue fills: 1024 taken, the rest
 * refused and counted; freeing drops them. The speaker is not built yet. */
static void test_queue_full_and_speaker(void)
{
    struct call_recv *r = make(NULL, NULL);
    if (!r)
        return;
    uint8_t p[20] = {0};
    int taken = 0;
    for (uint32_t s = 0; s < 1030; s++)
        taken += deliver(r, &call_recv_audio_sink, BP_KIND_AUDIO, 1, 0, s, s * 960, p, sizeof p);
    CHECK_EQ_INT(taken, 1024);
    json_t *st = call_recv_stats_json(r);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "queue"), "queue_full")),
                 6);
    json_decref(st);
    call_recv_free(r);

    /* The speaker: SDL's disk driver plays into a file here; a driver that
     * does not exist is a sentence naming it. */
    struct call_recv_config cfg = {.audio_out = "default"};
    char why[256] = "", spk[600];
    tmp_path(spk, sizeof spk, "speaker.raw");
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILE", spk, 1);
    CHECK_EQ_INT(call_recv_new(&r, &cfg, why, sizeof why), 0);
    CHECK(r != NULL);
    call_recv_free(r);
    r = NULL;
    setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
    CHECK(call_recv_new(&r, &cfg, why, sizeof why) < 0);
    CHECK(r == NULL);
    CHECK(strstr(why, "no-such-driver") != NULL);
    unsetenv("SDL_AUDIODRIVER");
    unsetenv("SDL_DISKAUDIOFILE");
    /* A file that cannot be created is named. */
    struct call_recv_config bad = {.video_out = "/nonexistent-dir/x.y4m", .width = W, .height = H};
    CHECK(call_recv_new(&r, &bad, why, sizeof why) < 0);
    CHECK(strstr(why, "/nonexistent-dir/x.y4m") != NULL);
}

int main(void)
{
    if (!tmp_make()) {
        fprintf(stderr, "no temporary folder\n");
        return 1;
    }
    test_queue_full_and_speaker();
    test_malformed();
    test_clean();
    test_lost_chunk();
    test_starts_with_delta();
    test_two_senders_and_rejoin();
    tmp_remove();
    return check_report();
}
