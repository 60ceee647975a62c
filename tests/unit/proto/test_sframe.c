/* test_sframe.c: proto/sframe.c against RFC 9605 Appendix C (C.1 header
 * encodings, C.3 encryption for cipher suite 0x0004; tests/vectors/sframe.json
 * names its sources), then the properties the vectors do not cover: tamper,
 * wrong KID, caps, the counter limit, the replay window, the metadata.
 * Usage: test_sframe VECTORS_DIR */
#include <inttypes.h>

#include "bp/bp.h"
#include "bp/e2e.h"
#include "../check.h"

static const char *vdir;

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", vdir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) {
        fprintf(stderr, "cannot load %s: %s\n", path, e.text);
        exit(2);
    }
    return j;
}

/* "0x" + 16 hex digits (the vectors keep 64-bit values as strings). */
static uint64_t u64_field(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    CHECK(s && s[0] == '0' && s[1] == 'x' && strlen(s) == 18);
    return s ? strtoull(s, NULL, 16) : 0;
}

static int hex_field(const json_t *o, const char *k, uint8_t *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, k));
    int n = s ? check_unhex(s, out, cap) : -1;
    CHECK(n >= 0);
    return n;
}

/* ------------------------------------------------------ C.1 headers */

static int header_vectors;

static void test_header_vectors(const json_t *v)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "header"), i, t) {
        uint64_t kid = u64_field(t, "kid"), ctr = u64_field(t, "ctr");
        uint8_t want[BP_SFRAME_HDR_MAX], got[BP_SFRAME_HDR_MAX];
        int n = hex_field(t, "header", want, sizeof want);
        size_t len = bp_sframe_hdr_encode(kid, ctr, got);
        CHECK_EQ_INT(len, n);
        CHECK_MEM(got, want, len <= sizeof got ? len : sizeof got);
        uint64_t k2 = 0, c2 = 0;
        CHECK_EQ_INT(bp_sframe_hdr_decode(want, (size_t)n, &k2, &c2), n);
        CHECK(k2 == kid);
        CHECK(c2 == ctr);
        /* Trailing bytes (the ciphertext) are not part of the header. */
        uint8_t longer[BP_SFRAME_HDR_MAX + 4];
        memcpy(longer, want, (size_t)n);
        memset(longer + n, 0xa5, 4);
        CHECK_EQ_INT(bp_sframe_hdr_decode(longer, (size_t)n + 4, &k2, &c2), n);
        /* Every truncation is refused; each copy is heap-exact so ASan sees
         * any read past len. */
        for (int cut = 0; cut < n; cut++) {
            uint8_t *h = malloc(cut ? (size_t)cut : 1);
            memcpy(h, want, (size_t)cut);
            CHECK_EQ_INT(bp_sframe_hdr_decode(h, (size_t)cut, &k2, &c2), BP_E_BAD_FRAME);
            free(h);
        }
        header_vectors++;
    }
    CHECK_EQ_INT(header_vectors, 289);
}

static void test_header_extra(void)
{
    uint8_t h[BP_SFRAME_HDR_MAX];
    uint64_t k, c;
    /* Largest header: both values on 8 bytes. */
    CHECK_EQ_INT(bp_sframe_hdr_encode(UINT64_MAX, UINT64_MAX, h), 17);
    CHECK_EQ_INT(h[0], 0xff);
    CHECK_EQ_INT(bp_sframe_hdr_decode(h, 17, &k, &c), 17);
    CHECK(k == UINT64_MAX && c == UINT64_MAX);
    /* Null outputs are allowed (length only). */
    CHECK_EQ_INT(bp_sframe_hdr_decode(h, 17, NULL, NULL), 17);
    /* Non-minimal forms decode (they cannot authenticate: the header is AAD). */
    const uint8_t nm[] = {0x80 | 0x10 | 0x03, 0x00, 0x05}; /* KID on 2 bytes */
    CHECK_EQ_INT(bp_sframe_hdr_decode(nm, sizeof nm, &k, &c), 3);
    CHECK(k == 5 && c == 3);
    CHECK_EQ_INT(bp_sframe_hdr_decode(NULL, 0, &k, &c), BP_E_BAD_FRAME);
}

/* ------------------------------------------------- C.3 suite 0x0004 */

static int enc_vectors;

static void test_encryption_vectors(const json_t *v)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "encryption"), i, t) {
        const char *suite = json_string_value(json_object_get(t, "cipher_suite"));
        if (!suite || strcmp(suite, "0x0004") != 0)
            continue;
        uint64_t kid = u64_field(t, "kid"), ctr = u64_field(t, "ctr");
        uint8_t base[64], key[16], salt[12], nonce[12], meta[64], pt[256], ct[512];
        uint8_t out[512], back[256];
        int bl = hex_field(t, "base_key", base, sizeof base);
        CHECK_EQ_INT(hex_field(t, "sframe_key", key, sizeof key), 16);
        CHECK_EQ_INT(hex_field(t, "sframe_salt", salt, sizeof salt), 12);
        CHECK_EQ_INT(hex_field(t, "nonce", nonce, sizeof nonce), 12);
        int ml = hex_field(t, "metadata", meta, sizeof meta);
        int pl = hex_field(t, "pt", pt, sizeof pt);
        int cl = hex_field(t, "ct", ct, sizeof ct);

        struct bp_sframe_key k;
        CHECK_EQ_INT(bp_sframe_key_derive(base, (size_t)bl, kid, &k), 0);
        CHECK(k.kid == kid);
        CHECK_MEM(k.key, key, 16);
        CHECK_MEM(k.salt, salt, 12);
        CHECK(k.enc != NULL && k.dec != NULL);
        /* nonce = salt XOR ctr (12 bytes BE), checked against the vector. */
        uint8_t mine[12];
        memcpy(mine, salt, 12);
        for (int b = 0; b < 8; b++)
            mine[11 - b] ^= (uint8_t)(ctr >> (8 * b));
        CHECK_MEM(mine, nonce, 12);

        CHECK_EQ_INT(bp_sframe_seal(&k, ctr, meta, (size_t)ml, pt, (size_t)pl, out, sizeof out),
                     cl);
        CHECK_MEM(out, ct, (size_t)cl);
        /* Twice in a row: the context is re-IV'd, not re-keyed, per frame. */
        CHECK_EQ_INT(bp_sframe_seal(&k, ctr, meta, (size_t)ml, pt, (size_t)pl, out, sizeof out),
                     cl);
        CHECK_MEM(out, ct, (size_t)cl);

        uint64_t got_ctr = 0;
        CHECK_EQ_INT(bp_sframe_open(&k, meta, (size_t)ml, ct, (size_t)cl, back, sizeof back,
                                    &got_ctr),
                     pl);
        CHECK_MEM(back, pt, (size_t)pl);
        CHECK(got_ctr == ctr);
        /* Exact cap works; one byte less is refused without writing. */
        CHECK_EQ_INT(bp_sframe_open(&k, meta, (size_t)ml, ct, (size_t)cl, back, (size_t)pl,
                                    NULL),
                     pl);
        memset(back, 0x77, sizeof back);
        CHECK_EQ_INT(bp_sframe_open(&k, meta, (size_t)ml, ct, (size_t)cl, back,
                                    (size_t)pl - 1, NULL),
                     BP_E_TOO_LARGE);
        CHECK(back[0] == 0x77 && back[pl - 1] == 0x77);
        /* Same for seal: cap one short of header + ct + tag. */
        CHECK_EQ_INT(bp_sframe_seal(&k, ctr, meta, (size_t)ml, pt, (size_t)pl, out,
                                    (size_t)cl - 1),
                     BP_E_TOO_LARGE);

        /* A key derived again decrypts (separate contexts, same keys). */
        struct bp_sframe_key k2;
        CHECK_EQ_INT(bp_sframe_key_derive(base, (size_t)bl, kid, &k2), 0);
        CHECK_EQ_INT(bp_sframe_open(&k2, meta, (size_t)ml, ct, (size_t)cl, back, sizeof back,
                                    NULL),
                     pl);
        bp_sframe_key_wipe(&k2);

        /* Wipe leaves nothing behind. */
        bp_sframe_key_wipe(&k);
        static const uint8_t zero[sizeof k];
        CHECK_MEM(&k, zero, sizeof k);
        bp_sframe_key_wipe(&k); /* idempotent */
        enc_vectors++;
    }
    CHECK_EQ_INT(enc_vectors, 1);
}

/* ------------------------------------------------------- properties */

static const uint8_t base_key[BP_BASE_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8,
                                                  9, 10, 11, 12, 13, 14, 15, 16};

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_tamper(void)
{
    struct bp_sframe_key k;
    uint64_t kid = bp_kid(3, BP_KIND_VIDEO);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, kid, &k), 0);
    uint8_t rh[BP_HDR_LEN] = {1, 2, 1, 0, 0, 0, 0, 42, 0, 0, 1, 0, 0, 0, 2, 0};
    uint8_t meta[BP_SFRAME_META_LEN];
    bp_sframe_meta(rh, meta);
    uint8_t pt[40], frame[40 + BP_SFRAME_OVERHEAD], back[64];
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7 + 1);
    uint64_t ctr = 0x123456; /* a 3-byte CTR, a 1-byte KID */
    int n = bp_sframe_seal(&k, ctr, meta, sizeof meta, pt, sizeof pt, frame, sizeof frame);
    CHECK_EQ_INT(n, 1 + 1 + 3 + 40 + 16);
    CHECK_EQ_INT(bp_sframe_open(&k, meta, sizeof meta, frame, (size_t)n, back, sizeof back, NULL),
                 40);
    CHECK_MEM(back, pt, 40);

    /* Every bit of every ciphertext byte (header, ct, tag): the header bits
     * either change the KID (BAD_FRAME), make it malformed (BAD_FRAME) or
     * fail authentication; only the last two must be BP_E_CRYPTO for the
     * counter bytes, ct and tag. */
    int crypto = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t f[sizeof frame];
            memcpy(f, frame, (size_t)n);
            f[i] ^= (uint8_t)(1u << bit);
            memset(back, 0x55, sizeof back);
            uint64_t c = 0;
            int rc = bp_sframe_open(&k, meta, sizeof meta, f, (size_t)n, back, sizeof back, &c);
            if (i >= 2) { /* past the config byte and the KID byte */
                CHECK_EQ_INT(rc, BP_E_CRYPTO);
            } else {
                CHECK(rc == BP_E_CRYPTO || rc == BP_E_BAD_FRAME);
            }
            if (rc == BP_E_CRYPTO) {
                crypto++;
                /* pt was zeroed where it was written, never left as plaintext */
                size_t hl = (size_t)bp_sframe_hdr_decode(f, (size_t)n, NULL, NULL);
                size_t wl = (size_t)n - hl - BP_SFRAME_NT;
                CHECK(all_zero(back, wl));
                CHECK(back[wl] == 0x55);
            } else {
                bad++;
            }
            CHECK(c == 0);
        }
    }
    CHECK(crypto > 8 * (n - 2) - 1);
    /* Every metadata byte. */
    for (size_t i = 0; i < sizeof meta; i++) {
        uint8_t m[BP_SFRAME_META_LEN];
        memcpy(m, meta, sizeof m);
        m[i] ^= 0x01;
        memset(back, 0x55, sizeof back);
        CHECK_EQ_INT(bp_sframe_open(&k, m, sizeof m, frame, (size_t)n, back, sizeof back, NULL),
                     BP_E_CRYPTO);
        CHECK(all_zero(back, 40));
    }
    /* Metadata of another length (dropped, appended byte). */
    CHECK_EQ_INT(bp_sframe_open(&k, meta, sizeof meta - 1, frame, (size_t)n, back, sizeof back,
                                NULL),
                 BP_E_CRYPTO);
    CHECK_EQ_INT(bp_sframe_open(&k, NULL, 0, frame, (size_t)n, back, sizeof back, NULL),
                 BP_E_CRYPTO);
    /* The slot byte is outside the AAD: the server may rewrite it. */
    uint8_t rh2[BP_HDR_LEN], meta2[BP_SFRAME_META_LEN];
    memcpy(rh2, rh, sizeof rh2);
    bp_hdr_set_slot(rh2, 3);
    bp_sframe_meta(rh2, meta2);
    CHECK_EQ_INT(bp_sframe_open(&k, meta2, sizeof meta2, frame, (size_t)n, back, sizeof back,
                                NULL),
                 40);
    /* Truncations: below header + tag is malformed, otherwise it fails. */
    for (int cut = 0; cut < n; cut++) {
        uint8_t *f = malloc(cut ? (size_t)cut : 1);
        memcpy(f, frame, (size_t)cut);
        int rc = bp_sframe_open(&k, meta, sizeof meta, f, (size_t)cut, back, sizeof back, NULL);
        if (cut < 5 + BP_SFRAME_NT) {
            CHECK_EQ_INT(rc, BP_E_BAD_FRAME);
        } else {
            CHECK_EQ_INT(rc, BP_E_CRYPTO);
        }
        free(f);
    }
    /* An extra byte appended fails too. */
    uint8_t longer[sizeof frame + 1];
    memcpy(longer, frame, (size_t)n);
    longer[n] = 0;
    CHECK_EQ_INT(bp_sframe_open(&k, meta, sizeof meta, longer, (size_t)n + 1, back, sizeof back,
                                NULL),
                 BP_E_CRYPTO);
    (void)bad;
    bp_sframe_key_wipe(&k);
}

static void test_kid_and_keys(void)
{
    struct bp_sframe_key a, b, c;
    uint64_t ka = bp_kid(1, BP_KIND_AUDIO), kb = bp_kid(1, BP_KIND_VIDEO);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, ka, &a), 0);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, kb, &b), 0);
    uint8_t other[BP_BASE_KEY_LEN];
    memcpy(other, base_key, sizeof other);
    other[0] ^= 1;
    CHECK_EQ_INT(bp_sframe_key_derive(other, sizeof other, ka, &c), 0);
    /* Different KIDs and different base keys give different keys and salts. */
    CHECK(memcmp(a.key, b.key, 16) != 0 && memcmp(a.salt, b.salt, 12) != 0);
    CHECK(memcmp(a.key, c.key, 16) != 0 && memcmp(a.salt, c.salt, 12) != 0);

    uint8_t pt[10] = "0123456789", f[10 + BP_SFRAME_OVERHEAD], back[10];
    int n = bp_sframe_seal(&a, 7, NULL, 0, pt, sizeof pt, f, sizeof f);
    CHECK_EQ_INT(n, 1 + 1 + 10 + 16); /* CTR 7 fits in the config byte, KID 17 takes one more */
    /* Wrong KID: refused before any decryption. */
    memset(back, 0x33, sizeof back);
    CHECK_EQ_INT(bp_sframe_open(&b, NULL, 0, f, (size_t)n, back, sizeof back, NULL),
                 BP_E_BAD_FRAME);
    CHECK(back[0] == 0x33);
    /* Right KID, wrong base key: authentication fails. */
    CHECK_EQ_INT(bp_sframe_open(&c, NULL, 0, f, (size_t)n, back, sizeof back, NULL), BP_E_CRYPTO);
    CHECK(all_zero(back, sizeof back));
    CHECK_EQ_INT(bp_sframe_open(&a, NULL, 0, f, (size_t)n, back, sizeof back, NULL), 10);
    CHECK_MEM(back, pt, 10);

    /* Empty payload. */
    n = bp_sframe_seal(&a, 8, NULL, 0, NULL, 0, f, sizeof f);
    CHECK_EQ_INT(n, 3 + 16);
    uint64_t ctr = 0;
    CHECK_EQ_INT(bp_sframe_open(&a, NULL, 0, f, (size_t)n, back, 0, &ctr), 0);
    CHECK(ctr == 8);

    /* KID helpers (PROTOCOL.md §8.4: gen * 16 + stream, the stream of the
     * kind in bp/kinds.h). */
    CHECK(bp_kid(1, BP_KIND_AUDIO) == 17);
    CHECK(bp_kid(1, BP_KIND_VIDEO) == 18);
    CHECK(bp_kid(1, BP_KIND_DATA) == 19);
    CHECK(bp_kid(2, BP_KIND_AUDIO) == 33);
    for (uint64_t g = 1; g < 70000; g += 997) {
        for (unsigned s = 1; s < BP_STREAMS; s++) {
            uint64_t kid = bp_kid(g, s);
            CHECK(bp_kid_gen(kid) == g);
            CHECK_EQ_INT(bp_kid_stream(kid), s);
        }
    }
    CHECK(bp_kid_gen(bp_kid(UINT64_C(1) << 40, 2)) == UINT64_C(1) << 40);
    /* Room for at least 8 streams per sender, and no two gens share a KID. */
    CHECK(BP_STREAMS >= 8);
    CHECK_EQ_INT(bp_kid_stream(bp_kid(9, 7)), 7);
    CHECK(bp_kid(9, BP_STREAMS - 1) < bp_kid(10, 0));
    /* The table of kinds gives each kind one stream, unique, in range. */
    {
        unsigned nk;
        const struct bp_kind_info *ks = bp_kinds(&nk);
        CHECK(nk >= 3);
        for (unsigned i = 0; i < nk; i++) {
            CHECK(ks[i].stream >= 1 && ks[i].stream < BP_STREAMS);
            CHECK(bp_kind_of_stream(ks[i].stream) == &ks[i]);
            CHECK(bp_kind_info(ks[i].kind) == &ks[i]);
        }
        CHECK(bp_kind_info(0) == NULL && bp_kind_info(BP_KIND_MAX + 1) == NULL);
        CHECK(bp_kind_of_stream(0) == NULL);
    }

    bp_sframe_key_wipe(&a);
    bp_sframe_key_wipe(&b);
    bp_sframe_key_wipe(&c);

    /* An empty base key is refused; the key is left zeroed (wipe is safe). */
    CHECK_EQ_INT(bp_sframe_key_derive(NULL, 0, ka, &a), BP_E_INVALID_FIELD);
    CHECK(a.enc == NULL && a.dec == NULL);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, 0, ka, &a), BP_E_INVALID_FIELD);
    bp_sframe_key_wipe(&a);
    /* A wiped key seals and opens nothing. */
    CHECK_EQ_INT(bp_sframe_seal(&a, 1, NULL, 0, pt, sizeof pt, f, sizeof f), BP_E_CRYPTO);
}

static void test_ctr_limit(void)
{
    struct bp_sframe_key k;
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, bp_kid(2, 3), &k), 0);
    uint8_t pt[4] = {1, 2, 3, 4}, f[4 + BP_SFRAME_OVERHEAD], back[4];
    int n = bp_sframe_seal(&k, BP_SFRAME_CTR_MAX, NULL, 0, pt, 4, f, sizeof f);
    CHECK_EQ_INT(n, 1 + 1 + 6 + 4 + 16);
    uint64_t ctr = 0;
    CHECK_EQ_INT(bp_sframe_open(&k, NULL, 0, f, (size_t)n, back, sizeof back, &ctr), 4);
    CHECK(ctr == BP_SFRAME_CTR_MAX);
    CHECK_EQ_INT(bp_sframe_seal(&k, BP_SFRAME_CTR_MAX + 1, NULL, 0, pt, 4, f, sizeof f),
                 BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_sframe_seal(&k, UINT64_MAX, NULL, 0, pt, 4, f, sizeof f), BP_E_INVALID_FIELD);
    /* A frame claiming a counter past the limit is malformed on receive. */
    uint8_t big[BP_SFRAME_HDR_MAX + 4 + BP_SFRAME_NT] = {0};
    size_t hl = bp_sframe_hdr_encode(k.kid, BP_SFRAME_CTR_MAX + 1, big);
    CHECK_EQ_INT(bp_sframe_open(&k, NULL, 0, big, hl + 4 + BP_SFRAME_NT, back, sizeof back, NULL),
                 BP_E_BAD_FRAME);
    bp_sframe_key_wipe(&k);
}

static void test_meta(void)
{
    uint8_t rh[BP_HDR_LEN], meta[BP_SFRAME_META_LEN + 1];
    for (int i = 0; i < BP_HDR_LEN; i++)
        rh[i] = (uint8_t)(0xa0 + i);
    meta[BP_SFRAME_META_LEN] = 0xee; /* guard */
    bp_sframe_meta(rh, meta);
    const uint8_t want[BP_SFRAME_META_LEN] = {0xa0, 0xa1, 0xa2, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
                                              0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    CHECK_MEM(meta, want, BP_SFRAME_META_LEN);
    CHECK_EQ_INT(meta[BP_SFRAME_META_LEN], 0xee);
    /* Only byte 3 is free: every other byte changes the metadata. */
    for (int i = 0; i < BP_HDR_LEN; i++) {
        uint8_t r2[BP_HDR_LEN], m2[BP_SFRAME_META_LEN];
        memcpy(r2, rh, sizeof r2);
        r2[i] ^= 0xff;
        bp_sframe_meta(r2, m2);
        CHECK_EQ_INT(memcmp(m2, want, sizeof m2) == 0, i == 3);
    }
}

/* ---------------------------------------------------- replay window */

/* Reference model: the set of accepted counters and the highest one. */
#define MODEL_MAX 4096
struct model {
    uint64_t seen[MODEL_MAX];
    size_t n;
    uint64_t top;
};

static int model_fresh(const struct model *m, uint64_t ctr)
{
    if (m->n == 0 || ctr > m->top)
        return 1;
    if (m->top - ctr >= BP_REPLAY_WINDOW)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->seen[i] == ctr)
            return 0;
    return 1;
}

static void model_add(struct model *m, uint64_t ctr)
{
    if (m->n < MODEL_MAX)
        m->seen[m->n++] = ctr;
    if (m->n == 1 || ctr > m->top)
        m->top = ctr;
}

static void test_replay(void)
{
    struct bp_replay w = {0};
    /* Fresh, then duplicate. */
    CHECK_EQ_INT(bp_replay_check(&w, 0), 0);
    bp_replay_update(&w, 0);
    CHECK_EQ_INT(bp_replay_check(&w, 0), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&w, 1), 0);
    /* check is pure: asking twice does not record. */
    CHECK_EQ_INT(bp_replay_check(&w, 1), 0);
    bp_replay_update(&w, 1);
    CHECK_EQ_INT(bp_replay_check(&w, 1), BP_E_BAD_FRAME);

    /* Out of order within the window. */
    struct bp_replay r = {0};
    bp_replay_update(&r, 1000);
    CHECK_EQ_INT(bp_replay_check(&r, 999), 0);
    CHECK_EQ_INT(bp_replay_check(&r, 1000 - 127), 0); /* oldest tracked */
    CHECK_EQ_INT(bp_replay_check(&r, 1000 - 128), BP_E_BAD_FRAME); /* beyond 128 counters */
    CHECK_EQ_INT(bp_replay_check(&r, 0), BP_E_BAD_FRAME);
    bp_replay_update(&r, 1000 - 127);
    bp_replay_update(&r, 990);
    CHECK_EQ_INT(bp_replay_check(&r, 990), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1000 - 127), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 991), 0);
    /* Advancing by one pushes the oldest out. */
    bp_replay_update(&r, 1001);
    CHECK_EQ_INT(bp_replay_check(&r, 1000 - 127), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1001 - 127), 0);
    CHECK_EQ_INT(bp_replay_check(&r, 990), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1000), BP_E_BAD_FRAME);
    /* A jump by exactly 64 keeps the bits (crossing the word boundary). */
    bp_replay_update(&r, 1065);
    CHECK_EQ_INT(bp_replay_check(&r, 1001), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1000), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 990), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 991), 0);
    /* A big jump forgets everything but the new top. */
    bp_replay_update(&r, 1000000);
    CHECK_EQ_INT(bp_replay_check(&r, 1000000), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 999999), 0);
    CHECK_EQ_INT(bp_replay_check(&r, 1065), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1000001), 0);
    /* A jump of exactly 128 and 127. */
    bp_replay_update(&r, 1000127);
    CHECK_EQ_INT(bp_replay_check(&r, 1000000), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&r, 1000001), 0);
    bp_replay_update(&r, 1000255);
    CHECK_EQ_INT(bp_replay_check(&r, 1000127), BP_E_BAD_FRAME); /* out of window */
    CHECK_EQ_INT(bp_replay_check(&r, 1000128), 0);
    /* Top of the counter range: no overflow. */
    struct bp_replay e = {0};
    bp_replay_update(&e, UINT64_MAX);
    CHECK_EQ_INT(bp_replay_check(&e, UINT64_MAX), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_replay_check(&e, UINT64_MAX - 1), 0);
    CHECK_EQ_INT(bp_replay_check(&e, 0), BP_E_BAD_FRAME);
    /* A window whose first counter is large still accepts later ones. */
    struct bp_replay s = {0};
    bp_replay_update(&s, 500);
    CHECK_EQ_INT(bp_replay_check(&s, 400), 0);
    CHECK_EQ_INT(bp_replay_check(&s, 372), BP_E_BAD_FRAME);

    /* Random walks against the reference model: mostly forward with
     * reordering, duplicates, occasional large jumps. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    int mismatches = 0;
    for (int run = 0; run < 8; run++) {
        struct bp_replay rw = {0};
        static struct model m;
        m.n = 0;
        uint64_t base = run * 1000;
        for (int step = 0; step < 3000; step++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t ctr;
            unsigned pick = (unsigned)(x % 100);
            if (pick < 50)
                ctr = base + (x >> 8) % 8;          /* near the front */
            else if (pick < 85)
                ctr = base - ((x >> 8) % 200 < base ? (x >> 8) % 200 : 0); /* behind */
            else if (pick < 97 && m.n)
                ctr = m.seen[(x >> 8) % m.n];      /* a replay */
            else
                ctr = base + 1 + (x >> 8) % 300;   /* a jump */
            int want = model_fresh(&m, ctr) ? 0 : BP_E_BAD_FRAME;
            int got = bp_replay_check(&rw, ctr);
            if (got != want)
                mismatches++;
            if (got == 0) {
                bp_replay_update(&rw, ctr);
                model_add(&m, ctr);
                if (ctr > base)
                    base = ctr;
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
}

/* A realistic sequence: seal 300 frames, deliver them shuffled with
 * duplicates, receiver checks the window, opens, then updates. */
static void test_seal_open_replay(void)
{
    struct bp_sframe_key tx, rx;
    uint64_t kid = bp_kid(1, BP_KIND_AUDIO);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, kid, &tx), 0);
    CHECK_EQ_INT(bp_sframe_key_derive(base_key, sizeof base_key, kid, &rx), 0);
    enum { N = 300 };
    static uint8_t frames[N][100 + BP_SFRAME_OVERHEAD];
    int lens[N];
    uint8_t meta[BP_SFRAME_META_LEN] = {1, 1, 0};
    for (int i = 0; i < N; i++) {
        uint8_t pt[100];
        memset(pt, i & 0xff, sizeof pt);
        lens[i] = bp_sframe_seal(&tx, (uint64_t)i, meta, sizeof meta, pt, sizeof pt, frames[i],
                                 sizeof frames[i]);
        CHECK(lens[i] > 0);
    }
    struct bp_replay w = {0};
    int accepted = 0, refused = 0;
    /* Order: each index twice, swapped pairwise, with a few late ones. */
    for (int i = 0; i < N; i++) {
        int idx[3] = {i ^ 1, i, i - 5};
        for (int j = 0; j < 3; j++) {
            int f = idx[j];
            if (f < 0 || f >= N)
                continue;
            uint64_t kid2, ctr;
            CHECK(bp_sframe_hdr_decode(frames[f], (size_t)lens[f], &kid2, &ctr) > 0);
            CHECK(kid2 == kid);
            if (bp_replay_check(&w, ctr) != 0) {
                refused++;
                continue;
            }
            uint8_t back[100];
            uint64_t c2 = 0;
            CHECK_EQ_INT(bp_sframe_open(&rx, meta, sizeof meta, frames[f], (size_t)lens[f], back,
                                        sizeof back, &c2),
                         100);
            CHECK(c2 == ctr && back[0] == (uint8_t)(f & 0xff));
            bp_replay_update(&w, c2);
            accepted++;
        }
    }
    CHECK_EQ_INT(accepted, N);
    CHECK(refused > N);
    bp_sframe_key_wipe(&tx);
    bp_sframe_key_wipe(&rx);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    vdir = argv[1];
    json_t *v = load("sframe.json");
    test_header_vectors(v);
    test_header_extra();
    test_encryption_vectors(v);
    json_decref(v);
    test_tamper();
    test_kid_and_keys();
    test_ctr_limit();
    test_meta();
    test_replay();
    test_seal_open_replay();
    printf("sframe: %d header vectors, %d encryption vectors (suite 0x0004)\n", header_vectors,
           enc_vectors);
    return check_report();
}
