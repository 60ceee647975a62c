/* bench_media.c: what one video frame costs the client, stage by stage, and
 * how fast our VP8 encoder is against vpxenc on the same clip in the same run.
 *
 * 1. Per-frame cost, for each size (--sizes, default 640x480 and 1280x720,
 *    30 frames/s, --frames pictures each, default 300):
 *      send  capture (the "pattern" source draws the picture)
 *            encode  (client/media/vp8.c with the product's settings)
 *            seal    (cut in chunks as proto/bp/media.h says, then one
 *                     SFrame seal per chunk, as the sender does per message)
 *      recv  open    (SFrame open of each chunk, chunk header check,
 *                     reassembly of the VP8 frame)
 *            decode  (vp8_decoder_decode)
 *    p50 and p95 of each stage and of the totals, in ms and as a share of
 *    the 33.3 ms a frame may take at 30 frames/s. The SFrame key is a fixed
 *    test key (this measures cost, not secrecy).
 * 2. Encoder speed: the captured pictures are written to a temporary .y4m;
 *    then, alternating, --repeats times each: our encoder reads the file
 *    (client/media's y4m source) and encodes it; `vpxenc` encodes it with the
 *    same settings (the flags below mirror vp8.c line by line). Wall time
 *    around the whole process for vpxenc (posix_spawn .. waitpid, so its
 *    start-up and file reading count), read + encode for ours (and encode
 *    alone, shown too). The medians give the ratio ours / vpxenc, and the
 *    bytes each produced give the bitrate achieved, so a faster encoder
 *    that spends fewer bits is visible as such.
 *
 * Output: tables, then "BENCH_JSON {...}". Exit 0 when every frame went
 * through and every vpxenc run succeeded.
 *
 * Owns its temporary clip (removed at the end). Never prints key material.
 * No timed assertions: it reports figures, a person judges them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_common.h"
#include "bp/bp.h"
#include "bp/e2e.h"
#include "bp/media.h"
#include "vp8.h"
#include "vsink_y4m.h"
#include "vsource.h"

#define FPS 30
#define BUDGET_MS (1000.0 / FPS)
#define MAX_SIZES 4
#define MAX_REPEATS 9

enum { ST_CAPTURE, ST_ENCODE, ST_SEAL, ST_OPEN, ST_DECODE, ST_SEND, ST_RECV, ST_ALL, NST };
static const char *const st_name[NST] = {
    "capture", "encode", "cut + seal", "open + reassemble", "decode",
    "send total", "receive total", "send + receive"};

struct opts {
    int w[MAX_SIZES], h[MAX_SIZES];
    int nsizes;
    unsigned frames, bitrate, repeats;
    const char *vpxenc;
    const char *tmpdir;
};

struct size_result {
    int w, h;
    double p50[NST], p95[NST];
    double kbps;            /* achieved in part 1 */
    unsigned keyframes;
    double ours_fps[MAX_REPEATS], ours_enc_fps[MAX_REPEATS], vpx_fps[MAX_REPEATS];
    double ours_kbps, vpx_kbps;
    double ours_fps_med, ours_enc_fps_med, vpx_fps_med;
    int have_vpx;
};

static void die(const char *fmt, const char *what)
{
    fprintf(stderr, "bench_media: ");
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    exit(1);
}

static double ms_since(uint64_t t0)
{
    return (double)(bench_now_ns() - t0) / 1e6;
}

static double median(const double *v, unsigned n)
{
    double c[MAX_REPEATS];
    memcpy(c, v, n * sizeof *v);
    return bench_pct_double(c, n, 50);
}

/* The sender's work after encoding: cut pkt into chunks and seal each one
 * into sealed[i] (lengths in slen[i]). Returns the chunk count, or 0. */
static unsigned cut_and_seal(struct bp_sframe_key *k, uint64_t *ctr, uint32_t frame,
                             const struct vp8_packet *pkt, uint32_t *seq, uint8_t **sealed,
                             size_t *slen, uint8_t hdrs[][BP_HDR_LEN])
{
    unsigned n = bp_vchunk_count(pkt->len);
    uint8_t pt[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX];
    for (unsigned i = 0; i < n; i++) {
        struct bp_vchunk c = {frame, pkt->index, (uint16_t)i, (uint16_t)n, NULL, 0};
        struct bp_hdr h = {BP_PROTOCOL_VERSION, BP_KIND_VIDEO,
                           (uint8_t)(pkt->keyframe ? BP_FLAG_KEYFRAME : 0), 0, (*seq)++,
                           pkt->index * (BP_VIDEO_HZ / FPS), pkt->index * 33u};
        uint8_t meta[BP_SFRAME_META_LEN];
        size_t off = (size_t)i * BP_VCHUNK_DATA_MAX;
        c.len = pkt->len - off < BP_VCHUNK_DATA_MAX ? pkt->len - off : BP_VCHUNK_DATA_MAX;
        bp_vchunk_encode_hdr(&c, pt);
        memcpy(pt + BP_VCHUNK_HDR, pkt->data + off, c.len);
        bp_hdr_encode(&h, hdrs[i]);
        bp_sframe_meta(hdrs[i], meta);
        int r = bp_sframe_seal(k, (*ctr)++, meta, sizeof meta, pt, BP_VCHUNK_HDR + c.len,
                               sealed[i], BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX + BP_SFRAME_OVERHEAD);
        if (r < 0)
            return 0;
        slen[i] = (size_t)r;
    }
    return n;
}

/* The receiver's work before decoding: open each chunk, check its header,
 * put its bytes in place. Returns the frame's length, or 0. */
static size_t open_and_join(struct bp_sframe_key *k, unsigned n, uint8_t **sealed,
                            const size_t *slen, uint8_t hdrs[][BP_HDR_LEN], uint8_t *frame)
{
    uint8_t pt[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX];
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t meta[BP_SFRAME_META_LEN];
        uint64_t kid, ctr;
        struct bp_vchunk c;
        const char *why;
        bp_sframe_meta(hdrs[i], meta);
        if (bp_sframe_hdr_decode(sealed[i], slen[i], &kid, &ctr) < 0 || kid != k->kid)
            return 0;
        int r = bp_sframe_open(k, meta, sizeof meta, sealed[i], slen[i], pt, sizeof pt, &ctr);
        if (r < 0 || bp_vchunk_decode(pt, (size_t)r, &c, &why) || c.count != n)
            return 0;
        memcpy(frame + (size_t)c.index * BP_VCHUNK_DATA_MAX, c.data, c.len);
        total += c.len;
    }
    return total;
}

/* Part 1 for one size; writes the captured clip to clip (a .y4m path). */
static void per_frame(const struct opts *o, struct size_result *res, const char *clip)
{
    char why[VSOURCE_WHY_MAX];
    const char *cwhy = "";
    struct vsource_params vp = {res->w, res->h, FPS};
    struct vp8_enc_params ep = {res->w, res->h, FPS, (int)o->bitrate};
    struct vsource *src;
    struct vsink_y4m *sink;
    struct vp8_encoder *enc;
    struct vp8_decoder *dec;
    struct vframe pic;
    struct bp_sframe_key ks, kr;
    uint8_t base[BP_BASE_KEY_LEN];
    uint8_t *sealed[BP_VCHUNK_COUNT_MAX];
    static uint8_t hdrs[BP_VCHUNK_COUNT_MAX][BP_HDR_LEN];
    size_t slen[BP_VCHUNK_COUNT_MAX];
    uint8_t *frame = malloc((size_t)BP_VCHUNK_COUNT_MAX * BP_VCHUNK_DATA_MAX);
    double *t[NST];
    uint64_t ctr = 1, bytes = 0;
    uint32_t seq = 0;

    if (vsource_open(&src, "pattern", &vp, why, sizeof why))
        die("cannot open the pattern source: %s", why);
    if (vsink_y4m_open(&sink, clip, res->w, res->h, FPS, 1, why, sizeof why))
        die("cannot write the clip: %s", why);
    if (vp8_encoder_new(&enc, &ep, &cwhy) || vp8_decoder_new(&dec, &cwhy))
        die("VP8: %s", cwhy);
    if (vframe_alloc(&pic, res->w, res->h) || !frame)
        die("%s", "out of memory");
    for (int i = 0; i < BP_BASE_KEY_LEN; i++)
        base[i] = (uint8_t)(0x5a ^ i); /* a fixed test key: cost, not secrecy */
    /* Two key states, as on two machines: the sender's and the receiver's. */
    if (bp_sframe_key_derive(base, sizeof base, bp_kid(1, BP_KIND_VIDEO), &ks) ||
        bp_sframe_key_derive(base, sizeof base, bp_kid(1, BP_KIND_VIDEO), &kr))
        die("%s", "SFrame key derivation failed");
    for (int s = 0; s < NST; s++)
        if (!(t[s] = calloc(o->frames, sizeof *t[s])))
            die("%s", "out of memory");
    for (unsigned i = 0; i < BP_VCHUNK_COUNT_MAX; i++)
        if (!(sealed[i] = malloc(BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX + BP_SFRAME_OVERHEAD)))
            die("%s", "out of memory");

    for (unsigned f = 0; f < o->frames; f++) {
        struct vp8_packet pkt;
        const struct vframe *out;
        unsigned n;
        size_t len;
        uint64_t t0 = bench_now_ns();
        if (vsource_next(src, &pic, why, sizeof why))
            die("pattern: %s", why);
        t[ST_CAPTURE][f] = ms_since(t0);
        t0 = bench_now_ns();
        if (vp8_encoder_encode(enc, &pic, &pkt, &cwhy) != 1)
            die("VP8 encode gave no frame: %s", cwhy);
        t[ST_ENCODE][f] = ms_since(t0);
        bytes += pkt.len;
        res->keyframes += pkt.keyframe != 0;
        t0 = bench_now_ns();
        n = cut_and_seal(&ks, &ctr, f, &pkt, &seq, sealed, slen, hdrs);
        t[ST_SEAL][f] = ms_since(t0);
        if (!n)
            die("%s", "cutting or sealing failed");
        t0 = bench_now_ns();
        len = open_and_join(&kr, n, sealed, slen, hdrs, frame);
        t[ST_OPEN][f] = ms_since(t0);
        if (len != pkt.len)
            die("%s", "opening or reassembling failed");
        t0 = bench_now_ns();
        if (vp8_decoder_decode(dec, frame, len, &out, &cwhy))
            die("VP8 decode failed: %s", cwhy);
        t[ST_DECODE][f] = ms_since(t0);
        if (out->width != res->w || out->height != res->h)
            die("%s", "decoded picture of the wrong size");
        t[ST_SEND][f] = t[ST_CAPTURE][f] + t[ST_ENCODE][f] + t[ST_SEAL][f];
        t[ST_RECV][f] = t[ST_OPEN][f] + t[ST_DECODE][f];
        t[ST_ALL][f] = t[ST_SEND][f] + t[ST_RECV][f];
        if (vsink_y4m_write(sink, &pic, why, sizeof why)) /* untimed */
            die("clip: %s", why);
    }
    if (vsink_y4m_close(sink, why, sizeof why))
        die("clip: %s", why);
    for (int s = 0; s < NST; s++) {
        res->p50[s] = bench_pct_double(t[s], o->frames, 50);
        res->p95[s] = bench_pct_double(t[s], o->frames, 95);
        free(t[s]);
    }
    res->kbps = (double)bytes * 8 / 1000 / ((double)o->frames / FPS);
    for (unsigned i = 0; i < BP_VCHUNK_COUNT_MAX; i++)
        free(sealed[i]);
    free(frame);
    bp_sframe_key_wipe(&ks);
    bp_sframe_key_wipe(&kr);
    vframe_free(&pic);
    vp8_encoder_free(enc);
    vp8_decoder_free(dec);
    vsource_close(src);
}

/* Ours over the clip: fps of read + encode (wall) and of encode alone. */
static void ours_over_clip(const struct opts *o, struct size_result *res, const char *clip,
                           double *fps, double *enc_fps, uint64_t *bytes)
{
    char why[VSOURCE_WHY_MAX];
    const char *cwhy = "";
    struct vsource_params vp = {res->w, res->h, FPS};
    struct vp8_enc_params ep = {res->w, res->h, FPS, (int)o->bitrate};
    struct vsource *src;
    struct vp8_encoder *enc;
    struct vframe pic;
    double enc_ms = 0;
    uint64_t t0 = bench_now_ns();
    *bytes = 0;
    if (vsource_open(&src, clip, &vp, why, sizeof why))
        die("cannot read the clip: %s", why);
    if (vp8_encoder_new(&enc, &ep, &cwhy))
        die("VP8: %s", cwhy);
    if (vframe_alloc(&pic, res->w, res->h))
        die("%s", "out of memory");
    for (unsigned f = 0; f < o->frames; f++) {
        struct vp8_packet pkt;
        if (vsource_next(src, &pic, why, sizeof why))
            die("clip: %s", why);
        uint64_t t1 = bench_now_ns();
        if (vp8_encoder_encode(enc, &pic, &pkt, &cwhy) != 1)
            die("VP8 encode gave no frame: %s", cwhy);
        enc_ms += ms_since(t1);
        *bytes += pkt.len;
    }
    vp8_encoder_free(enc);
    vsource_close(src);
    vframe_free(&pic);
    *fps = o->frames / (ms_since(t0) / 1000);
    *enc_fps = o->frames / (enc_ms / 1000);
}

/* vpxenc over the clip with vp8.c's settings: fps (wall, whole process) and
 * the VP8 bytes it wrote (IVF framing subtracted). -1 if it failed. */
static int vpxenc_over_clip(const struct opts *o, const char *clip, const char *ivf,
                            double *fps, uint64_t *bytes)
{
    char br[32], lim[32], out[4300];
    snprintf(br, sizeof br, "--target-bitrate=%u", o->bitrate);
    snprintf(lim, sizeof lim, "--limit=%u", o->frames);
    snprintf(out, sizeof out, "--output=%s", ivf);
    /* One flag per setting of vp8_encoder_new (client/media/vp8.c). */
    char *argv[] = {(char *)o->vpxenc, "--codec=vp8", "--quiet", "--ivf", "--passes=1",
                    "--rt",                                   /* VPX_DL_REALTIME */
                    "--cpu-used=-6",                          /* VP8_SPEED */
                    "--threads=1", "--lag-in-frames=0", "--error-resilient=1",
                    "--end-usage=cbr", br, "--min-q=2", "--max-q=56",
                    "--undershoot-pct=100", "--overshoot-pct=15", "--buf-sz=500",
                    "--buf-initial-sz=300", "--buf-optimal-sz=400", "--drop-frame=0",
                    "--resize-allowed=0",
                    "--disable-kf",                           /* kf_mode = VPX_KF_DISABLED */
                    "--max-intra-rate=300", "--noise-sensitivity=0", lim, out,
                    (char *)clip, NULL};
    posix_spawn_file_actions_t fa;
    struct stat st;
    pid_t pid;
    int status = 0, rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    uint64_t t0 = bench_now_ns();
    rc = posix_spawnp(&pid, o->vpxenc, &fa, NULL, argv, NULL);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "bench_media: cannot start %s: %s\n", o->vpxenc, strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *fps = o->frames / (ms_since(t0) / 1000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) || stat(ivf, &st)) {
        fprintf(stderr, "bench_media: %s failed (status %d)\n", o->vpxenc, status);
        return -1;
    }
    /* IVF: a 32-byte file header, then 12 bytes before each frame. */
    *bytes = (uint64_t)st.st_size - 32 - 12ull * o->frames;
    return 0;
}

static void compare(const struct opts *o, struct size_result *res, const char *clip,
                    const char *ivf)
{
    uint64_t ob = 0, vb = 0;
    double secs = (double)o->frames / FPS;
    res->have_vpx = 1;
    for (unsigned r = 0; r < o->repeats; r++) {
        /* Alternating, so drifts (heat, neighbours) hit both alike. */
        ours_over_clip(o, res, clip, &res->ours_fps[r], &res->ours_enc_fps[r], &ob);
        if (vpxenc_over_clip(o, clip, ivf, &res->vpx_fps[r], &vb))
            res->have_vpx = 0;
    }
    res->ours_fps_med = median(res->ours_fps, o->repeats);
    res->ours_enc_fps_med = median(res->ours_enc_fps, o->repeats);
    res->ours_kbps = (double)ob * 8 / 1000 / secs;
    if (res->have_vpx) {
        res->vpx_fps_med = median(res->vpx_fps, o->repeats);
        res->vpx_kbps = (double)vb * 8 / 1000 / secs;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_media [--sizes WxH[,WxH...]] [--frames N] [--bitrate KBPS]\n"
               "                   [--repeats N] [--vpxenc PATH] [--tmpdir DIR]\n"
               "  --sizes     picture sizes (default 640x480,1280x720), 30 frames/s\n"
               "  --frames    pictures per size (default 300)\n"
               "  --bitrate   VP8 target, kbit/s (default 1000; 150..1500)\n"
               "  --repeats   runs of each encoder over the clip (default 3, at most 9)\n"
               "  --vpxenc    the reference encoder (default: vpxenc from PATH)\n"
               "  --tmpdir    where the temporary clip goes (default $TMPDIR or /tmp)\n"
               "Prints tables on stdout, then 'BENCH_JSON {...}'.\n");
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"sizes", required_argument, NULL, 's'}, {"frames", required_argument, NULL, 'f'},
        {"bitrate", required_argument, NULL, 'b'}, {"repeats", required_argument, NULL, 'r'},
        {"vpxenc", required_argument, NULL, 'v'}, {"tmpdir", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *sizes = "640x480,1280x720";
    int c;
    memset(o, 0, sizeof *o);
    o->frames = 300;
    o->bitrate = VP8_BITRATE_DEFAULT_KBPS;
    o->repeats = 3;
    o->vpxenc = "vpxenc";
    o->tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': sizes = optarg; break;
        case 'f': if (bench_parse_uint(optarg, 10, 100000, &o->frames)) goto bad; break;
        case 'b':
            if (bench_parse_uint(optarg, VP8_BITRATE_MIN_KBPS, VP8_BITRATE_MAX_KBPS, &o->bitrate))
                goto bad;
            break;
        case 'r': if (bench_parse_uint(optarg, 1, MAX_REPEATS, &o->repeats)) goto bad; break;
        case 'v': o->vpxenc = optarg; break;
        case 't': o->tmpdir = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind != argc)
        goto bad_usage;
    for (const char *p = sizes; *p && o->nsizes < MAX_SIZES;) {
        int w, h, n = 0;
        if (sscanf(p, "%dx%d%n", &w, &h, &n) != 2 || w < 16 || h < 16 || w > 4096 || h > 4096 ||
            (w & 1) || (h & 1))
            goto bad_usage;
        o->w[o->nsizes] = w;
        o->h[o->nsizes++] = h;
        p += n;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad_usage;
    }
    if (o->nsizes)
        return;
bad_usage:
    fprintf(stderr, "bench_media: bad arguments (sizes are even WxH, comma-separated)\n");
    usage(stderr);
    exit(2);
bad:
    fprintf(stderr, "bench_media: bad value '%s'\n", optarg);
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct size_result res[MAX_SIZES];
    char dir[4096], clip[4200], ivf[4200];
    int ok = 1;
    json_t *js = json_array();

    parse_args(argc, argv, &o);
    snprintf(dir, sizeof dir, "%s/bench_media.XXXXXX", o.tmpdir);
    if (!mkdtemp(dir))
        die("cannot create a temporary folder under %s", o.tmpdir);
    snprintf(clip, sizeof clip, "%s/clip.y4m", dir);
    snprintf(ivf, sizeof ivf, "%s/vpxenc.ivf", dir);
    memset(res, 0, sizeof res);

    printf("bench_media: %u frames per size at %d frames/s (budget %.1f ms a frame), VP8 %u "
           "kbit/s, vp8.c settings (1 thread, cpu-used %d, CBR, no lag)\n",
           o.frames, FPS, BUDGET_MS, o.bitrate, VP8_SPEED);
    for (int i = 0; i < o.nsizes; i++) {
        struct size_result *r = &res[i];
        r->w = o.w[i];
        r->h = o.h[i];
        per_frame(&o, r, clip);
        compare(&o, r, clip, ivf);
        unlink(ivf);
        unlink(clip);
        ok &= r->have_vpx;

        printf("\n%dx%d: per frame (%u keyframe(s), %.0f kbit/s achieved)\n", r->w, r->h,
               r->keyframes, r->kbps);
        printf("  %-20s %9s %9s %9s %9s\n", "stage", "p50 ms", "p50 %", "p95 ms", "p95 %");
        json_t *st = json_object();
        for (int s = 0; s < NST; s++) {
            printf("  %-20s %9.3f %8.1f%% %9.3f %8.1f%%\n", st_name[s], r->p50[s],
                   100 * r->p50[s] / BUDGET_MS, r->p95[s], 100 * r->p95[s] / BUDGET_MS);
            json_object_set_new(st, st_name[s],
                                json_pack("{s:f,s:f}", "p50_ms", r->p50[s], "p95_ms", r->p95[s]));
        }
        printf("  encoder over the same clip, %u runs each, alternating:\n", o.repeats);
        printf("    ours    read+encode fps:");
        for (unsigned k = 0; k < o.repeats; k++)
            printf(" %.0f", r->ours_fps[k]);
        printf("  (median %.0f; encode alone %.0f fps), %.0f kbit/s\n", r->ours_fps_med,
               r->ours_enc_fps_med, r->ours_kbps);
        json_t *j = json_pack("{s:i,s:i,s:o,s:f,s:f,s:f,s:f}", "width", r->w, "height", r->h,
                              "stages", st, "kbps", r->kbps, "ours_fps", r->ours_fps_med,
                              "ours_encode_only_fps", r->ours_enc_fps_med, "ours_kbps",
                              r->ours_kbps);
        if (r->have_vpx) {
            printf("    vpxenc  process fps:    ");
            for (unsigned k = 0; k < o.repeats; k++)
                printf(" %.0f", r->vpx_fps[k]);
            printf("  (median %.0f), %.0f kbit/s\n", r->vpx_fps_med, r->vpx_kbps);
            printf("    ours / vpxenc (median fps): %.2f (our encode alone / vpxenc: %.2f)\n",
                   r->ours_fps_med / r->vpx_fps_med, r->ours_enc_fps_med / r->vpx_fps_med);
            json_object_set_new(j, "vpxenc_fps", json_real(r->vpx_fps_med));
            json_object_set_new(j, "vpxenc_kbps", json_real(r->vpx_kbps));
            json_object_set_new(j, "ours_over_vpxenc", json_real(r->ours_fps_med / r->vpx_fps_med));
        } else {
            printf("    vpxenc: no figures (it did not run; see above)\n");
        }
        json_array_append_new(js, j);
    }
    rmdir(dir);
    {
        json_t *root = json_pack("{s:o,s:b}", "sizes", js, "ok", ok);
        char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
        printf("BENCH_JSON %s\n", s ? s : "{}");
        free(s);
        json_decref(root);
    }
    return ok ? 0 : 1;
}
