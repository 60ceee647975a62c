/* bench_sframe.c: what SFrame costs per frame on top of the AEAD itself.
 *
 * For each payload size (100 B: an Opus audio frame; 30 000 B: a VP8
 * keyframe-sized video frame) it times, in the same run and on the same
 * buffers:
 *   bare  one AES-128-GCM encryption through EVP: a context keyed once, then
 *         per frame: set the IV, one AAD update (the 15-byte frame metadata),
 *         encrypt, final, get the tag. This is the floor SFrame builds on.
 *   seal  bp_sframe_seal (header encode, nonce = salt XOR CTR, AAD = header
 *         || metadata, encrypt, tag), CTR incremented per frame.
 *   open  bp_sframe_open of one sealed frame (header decode, KID check,
 *         decrypt, tag check); the replay window is not part of it.
 * and prints ns/frame, MB/s (payload bytes, 10^6) and seal/bare, open/bare.
 *
 * Timing: each measurement is repeated --rounds times, interleaved
 * (bare, seal, open, bare, ...), and the fastest round counts, which keeps
 * frequency changes and neighbours from skewing the ratio. Without --iters,
 * the iteration count per size is calibrated to about 50 ms per round.
 * With --iters N (and --rounds 1) the work is fixed, for callgrind:
 *   valgrind --tool=callgrind bench_sframe --iters 2000 --rounds 1
 *
 * Output: a table, then one line "BENCH_JSON {...}" for scripts.
 * Exit status 1 if a frame does not round-trip (the bench checks itself).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bp/bp.h"
#include "bp/e2e.h"

static const size_t sizes[] = {100, 30000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_sframe: %s\n", what);
    exit(1);
}

/* ---- the three operations, each run n times; return total ns ---- */

struct ctx {
    struct bp_sframe_key key;
    EVP_CIPHER_CTX *bare;
    uint8_t meta[BP_SFRAME_META_LEN];
    uint8_t *pt, *out, *sealed, *back;
    size_t len;
    int sealed_len;
    uint64_t ctr;
};

static volatile uint8_t sink;

static double run_bare(struct ctx *c, long n)
{
    uint8_t iv[BP_SFRAME_NN];
    memcpy(iv, c->key.salt, sizeof iv);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        int outl, finl;
        iv[11] = (uint8_t)i; /* a different IV per call, as SFrame's nonce */
        if (EVP_EncryptInit_ex(c->bare, NULL, NULL, NULL, iv) != 1 ||
            EVP_EncryptUpdate(c->bare, NULL, &outl, c->meta, (int)sizeof c->meta) != 1 ||
            EVP_EncryptUpdate(c->bare, c->out, &outl, c->pt, (int)c->len) != 1 ||
            EVP_EncryptFinal_ex(c->bare, c->out + c->len, &finl) != 1 ||
            EVP_CIPHER_CTX_ctrl(c->bare, EVP_CTRL_GCM_GET_TAG, BP_SFRAME_NT, c->out + c->len) !=
                1)
            die("bare AES-GCM failed");
    }
    double t = now_ns() - t0;
    sink ^= c->out[c->len];
    return t;
}

static double run_seal(struct ctx *c, long n)
{
    size_t cap = c->len + BP_SFRAME_OVERHEAD;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (bp_sframe_seal(&c->key, c->ctr++, c->meta, sizeof c->meta, c->pt, c->len, c->out,
                           cap) < 0)
            die("bp_sframe_seal failed");
    }
    double t = now_ns() - t0;
    sink ^= c->out[0];
    return t;
}

static double run_open(struct ctx *c, long n)
{
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (bp_sframe_open(&c->key, c->meta, sizeof c->meta, c->sealed, (size_t)c->sealed_len,
                           c->back, c->len, NULL) != (int)c->len)
            die("bp_sframe_open failed");
    }
    double t = now_ns() - t0;
    sink ^= c->back[0];
    return t;
}

static void ctx_init(struct ctx *c, size_t len)
{
    memset(c, 0, sizeof *c);
    uint8_t base[BP_BASE_KEY_LEN];
    for (int i = 0; i < BP_BASE_KEY_LEN; i++)
        base[i] = (uint8_t)(0x40 + i);
    if (bp_sframe_key_derive(base, sizeof base, bp_kid(1, BP_KIND_VIDEO), &c->key) != 0)
        die("key derivation failed");
    /* The bare context: same key, keyed once, IV per call (what sframe.c does). */
    c->bare = EVP_CIPHER_CTX_new();
    if (!c->bare || EVP_EncryptInit_ex(c->bare, EVP_aes_128_gcm(), NULL, c->key.key, NULL) != 1)
        die("EVP init failed");
    uint8_t rh[BP_HDR_LEN] = {1, BP_KIND_VIDEO, BP_FLAG_KEYFRAME, 2, 0, 0, 1, 0,
                              0, 1, 0x5f, 0x90, 0, 0, 0x30, 0x39};
    bp_sframe_meta(rh, c->meta);
    c->len = len;
    c->pt = malloc(len);
    c->out = malloc(len + BP_SFRAME_OVERHEAD);
    c->sealed = malloc(len + BP_SFRAME_OVERHEAD);
    c->back = malloc(len);
    if (!c->pt || !c->out || !c->sealed || !c->back)
        die("out of memory");
    for (size_t i = 0; i < len; i++)
        c->pt[i] = (uint8_t)(i * 31 + 7);
    c->ctr = 1000; /* a 2-byte CTR, as in a call a few seconds in */
    c->sealed_len = bp_sframe_seal(&c->key, c->ctr++, c->meta, sizeof c->meta, c->pt, len,
                                   c->sealed, len + BP_SFRAME_OVERHEAD);
    if (c->sealed_len < 0 ||
        bp_sframe_open(&c->key, c->meta, sizeof c->meta, c->sealed, (size_t)c->sealed_len,
                       c->back, len, NULL) != (int)len ||
        memcmp(c->back, c->pt, len) != 0)
        die("a frame does not round-trip");
}

static void ctx_free(struct ctx *c)
{
    EVP_CIPHER_CTX_free(c->bare);
    bp_sframe_key_wipe(&c->key);
    free(c->pt);
    free(c->out);
    free(c->sealed);
    free(c->back);
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--iters N] [--rounds R]\n"
            "  --iters N   frames per measurement (default: calibrated to ~50 ms)\n"
            "  --rounds R  interleaved repetitions, fastest counts (default 7;\n"
            "              use --iters N --rounds 1 under callgrind)\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    long fixed_iters = 0, rounds = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            fixed_iters = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = strtol(argv[++i], NULL, 10);
        else
            usage(argv[0]);
    }
    if (fixed_iters < 0 || rounds < 1)
        usage(argv[0]);

    struct {
        size_t len;
        long iters;
        double ns[3]; /* bare, seal, open: best ns per frame */
    } res[NSIZES];

    for (size_t s = 0; s < NSIZES; s++) {
        struct ctx c;
        ctx_init(&c, sizes[s]);
        long n = fixed_iters;
        if (!n) {
            /* Calibrate on the bare call: about 50 ms per measurement. */
            n = 64;
            for (;;) {
                double t = run_bare(&c, n);
                if (t > 20e6 || n > (1L << 26))
                    break;
                n *= 2;
            }
            n = (long)((double)n * 50e6 / run_bare(&c, n)) + 1;
        }
        double best[3] = {1e300, 1e300, 1e300};
        for (long r = 0; r < rounds; r++) {
            double t[3] = {run_bare(&c, n), run_seal(&c, n), run_open(&c, n)};
            for (int k = 0; k < 3; k++)
                if (t[k] < best[k])
                    best[k] = t[k];
        }
        res[s].len = sizes[s];
        res[s].iters = n;
        for (int k = 0; k < 3; k++)
            res[s].ns[k] = best[k] / (double)n;
        ctx_free(&c);
    }

    printf("SFrame (AES_128_GCM_SHA256_128) per frame, best of %ld rounds; MB = 10^6 payload "
           "bytes\n",
           rounds);
    printf("%8s %9s | %10s %9s | %10s %9s | %10s %9s | %10s %10s\n", "payload", "iters",
           "bare ns", "bare MB/s", "seal ns", "seal MB/s", "open ns", "open MB/s", "seal/bare",
           "open/bare");
    for (size_t s = 0; s < NSIZES; s++) {
        double mbs[3];
        for (int k = 0; k < 3; k++)
            mbs[k] = (double)res[s].len / res[s].ns[k] * 1e3;
        printf("%8zu %9ld | %10.1f %9.1f | %10.1f %9.1f | %10.1f %9.1f | %10.3f %10.3f\n",
               res[s].len, res[s].iters, res[s].ns[0], mbs[0], res[s].ns[1], mbs[1],
               res[s].ns[2], mbs[2], res[s].ns[1] / res[s].ns[0], res[s].ns[2] / res[s].ns[0]);
    }
    printf("BENCH_JSON {\"bench\":\"sframe\",\"suite\":\"0x0004\",\"rounds\":%ld,\"results\":[",
           rounds);
    for (size_t s = 0; s < NSIZES; s++) {
        double b = res[s].ns[0], se = res[s].ns[1], op = res[s].ns[2];
        double l = (double)res[s].len;
        printf("%s{\"payload\":%zu,\"iters\":%ld,\"bare_ns\":%.1f,\"seal_ns\":%.1f,"
               "\"open_ns\":%.1f,\"bare_mbs\":%.1f,\"seal_mbs\":%.1f,\"open_mbs\":%.1f,"
               "\"seal_ratio\":%.3f,\"open_ratio\":%.3f}",
               s ? "," : "", res[s].len, res[s].iters, b, se, op, l / b * 1e3, l / se * 1e3,
               l / op * 1e3, se / b, op / b);
    }
    printf("]}\n");
    return sink == 0xff ? 0 : 0; /* sink keeps the loops honest */
}
