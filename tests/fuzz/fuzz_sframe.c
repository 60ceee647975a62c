/* fuzz_sframe.c: libFuzzer target for the SFrame header decoder and for
 * bp_sframe_open under one fixed key (base key 00..0f, KID bp_kid(1, video)).
 *
 * Input: byte 0 = flags: low 4 bits the metadata length (0..15), bit 4 a
 * short plaintext cap (half the frame); then the metadata; the rest is the
 * SFrame ciphertext. Invariants, any failure aborts:
 *  - the header either decodes, and its (KID, CTR) re-encode to a header that
 *    decodes to the same values and is no longer than the input's, or is
 *    refused with BP_E_BAD_FRAME; nothing is read past the input (the
 *    frame is copied to an exact-size heap buffer for ASan);
 *  - open returns a length <= cap, or one of BAD_FRAME / CRYPTO / TOO_LARGE;
 *    after CRYPTO the plaintext buffer holds zeros only; on success,
 *    sealing the plaintext again with the same CTR and metadata gives back
 *    the input byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "bp/e2e.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bp_sframe_key *fixed_key(void)
{
    static struct bp_sframe_key k;
    static int ready;
    if (!ready) {
        uint8_t base[BP_BASE_KEY_LEN];
        for (int i = 0; i < BP_BASE_KEY_LEN; i++)
            base[i] = (uint8_t)i;
        if (bp_sframe_key_derive(base, sizeof base, bp_kid(1, BP_KIND_VIDEO), &k) != 0)
            abort();
        ready = 1;
    }
    return &k;
}

static void fuzz_header(const uint8_t *in, size_t len)
{
    uint64_t kid = 0, ctr = 0;
    int hl = bp_sframe_hdr_decode(in, len, &kid, &ctr);
    if (hl < 0) {
        if (hl != BP_E_BAD_FRAME)
            abort();
        return;
    }
    if (hl < 1 || hl > BP_SFRAME_HDR_MAX || (size_t)hl > len)
        abort();
    uint8_t again[BP_SFRAME_HDR_MAX];
    size_t n = bp_sframe_hdr_encode(kid, ctr, again);
    uint64_t k2 = 0, c2 = 0;
    if (n > (size_t)hl || bp_sframe_hdr_decode(again, n, &k2, &c2) != (int)n || k2 != kid ||
        c2 != ctr)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t meta_len = data[0] & 0x0f;
    int short_cap = (data[0] & 0x10) != 0;
    if (size - 1 < meta_len)
        return 0;
    const uint8_t *meta = data + 1;
    size_t in_len = size - 1 - meta_len;
    uint8_t *in = malloc(in_len ? in_len : 1);
    if (!in)
        return 0;
    memcpy(in, data + 1 + meta_len, in_len);

    fuzz_header(in, in_len);

    struct bp_sframe_key *k = fixed_key();
    size_t cap = short_cap ? in_len / 2 : in_len;
    uint8_t *pt = malloc(cap ? cap : 1);
    if (!pt)
        abort();
    memset(pt, 0xa5, cap);
    uint64_t ctr = UINT64_MAX;
    int rc = bp_sframe_open(k, meta, meta_len, in, in_len, pt, cap, &ctr);
    if (rc >= 0) {
        if ((size_t)rc > cap || (size_t)rc + BP_SFRAME_NT > in_len || ctr > BP_SFRAME_CTR_MAX)
            abort();
        uint8_t *out = malloc(in_len);
        if (!out)
            abort();
        int n = bp_sframe_seal(k, ctr, meta, meta_len, pt, (size_t)rc, out, in_len);
        if (n != (int)in_len || memcmp(out, in, in_len) != 0)
            abort();
        free(out);
    } else if (rc == BP_E_CRYPTO) {
        /* Nothing unauthenticated is left behind (the ciphertext length is
         * what open may have written). */
        int hl = bp_sframe_hdr_decode(in, in_len, NULL, NULL);
        size_t wl = in_len - (size_t)hl - BP_SFRAME_NT;
        for (size_t i = 0; i < wl; i++)
            if (pt[i] != 0)
                abort();
    } else if (rc != BP_E_BAD_FRAME && rc != BP_E_TOO_LARGE) {
        abort();
    }
    if (rc < 0 && ctr != UINT64_MAX)
        abort(); /* no counter handed out for a frame that did not open */
    free(pt);
    free(in);
    return 0;
}
