/* test_pair.c: proto/pair.c, the pairwise handshake of PROTOCOL.md §8.2-8.3,
 * with real generated identities.
 *
 * The primitives themselves are tested against RFC vectors elsewhere
 * (test_ident, test_sframe); here every construction is re-derived from the
 * text of PROTOCOL.md with OpenSSL EVP called directly (a different OpenSSL
 * path where one exists: EVP_PKEY HKDF rather than EVP_KDF, EVP_Q_mac rather
 * than EVP_MAC_CTX), so that a byte out of place in a label, a length prefix
 * or an order shows up as a mismatch. Then: symmetry between the two sides,
 * refusal of every tampered input, and the e2e body parser's strictness.
 * argv[1] (the vectors directory) is not needed. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "bp/bp.h"
#include "bp/e2e.h"
#include "../check.h"

static const char BILAN[] = "bTestBilan_01";

/* ---- Reference constructions, straight from PROTOCOL.md ---- */

static void ref_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    CHECK(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32);
}

static void ref_hkdf(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il,
                     const uint8_t *info, size_t inl, uint8_t *out, size_t n)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t len = n;
    static const uint8_t zero[32];
    /* RFC 5869: an empty salt is HashLen zeros. */
    if (sl == 0) {
        salt = zero;
        sl = 32;
    }
    CHECK(c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
          EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)sl) == 1 &&
          EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)il) == 1 &&
          EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)inl) == 1 && EVP_PKEY_derive(c, out, &len) == 1 &&
          len == n);
    EVP_PKEY_CTX_free(c);
}

static void ref_hmac(const uint8_t *key, size_t kl, const uint8_t *msg, size_t n, uint8_t out[32])
{
    size_t len = 0;
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, kl, msg, n, out, 32, &len) != NULL &&
          len == 32);
}

/* Appends a label: with_nul adds the 0x00 that PROTOCOL.md writes. */
static size_t lab(uint8_t *b, size_t o, const char *s, int with_nul)
{
    memcpy(b + o, s, strlen(s));
    o += strlen(s);
    if (with_nul)
        b[o++] = 0;
    return o;
}

static size_t cat(uint8_t *b, size_t o, const void *p, size_t n)
{
    memcpy(b + o, p, n);
    return o + n;
}

static size_t lbilan(uint8_t *b, size_t o, const char *bilan)
{
    b[o++] = (uint8_t)strlen(bilan);
    return cat(b, o, bilan, strlen(bilan));
}

static void ref_bundle_bytes(const struct bp_bundle *b, uint8_t out[160])
{
    size_t o = cat(out, 0, b->sign_pub, 32);
    o = cat(out, o, b->dh_pub, 32);
    o = cat(out, o, b->eph, 32);
    cat(out, o, b->sig, 64);
}

static void ref_fp(const struct bp_bundle *b, uint8_t fp[32])
{
    uint8_t buf[128];
    size_t o = lab(buf, 0, "bilan-device-v1", 0);
    o = cat(buf, o, b->sign_pub, 32);
    o = cat(buf, o, b->dh_pub, 32);
    ref_sha256(buf, o, fp);
}

static void ref_transcript(const char *bilan, const struct bp_bundle *a, const uint8_t ra[32],
                           const struct bp_bundle *b, const uint8_t rb[32], uint8_t t[32])
{
    uint8_t buf[1024], fa[32], fb[32], pa[160], pb[160];
    ref_fp(a, fa);
    ref_fp(b, fb);
    ref_bundle_bytes(a, pa);
    ref_bundle_bytes(b, pb);
    int a_first = memcmp(fa, fb, 32) < 0;
    size_t o = lab(buf, 0, "bilan-pair-v1", 1);
    o = lbilan(buf, o, bilan);
    o = cat(buf, o, a_first ? pa : pb, 160);
    o = cat(buf, o, a_first ? ra : rb, 32);
    o = cat(buf, o, a_first ? pb : pa, 160);
    o = cat(buf, o, a_first ? rb : ra, 32);
    ref_sha256(buf, o, t);
}

static void ref_mac(const uint8_t secret[32], const char *bilan, const uint8_t t[32],
                    const uint8_t fp[32], uint8_t mac[32])
{
    uint8_t k[32], buf[128];
    ref_hkdf((const uint8_t *)"bilan-invite-v1", 15, secret, 32, (const uint8_t *)bilan,
             strlen(bilan), k, 32);
    size_t o = lab(buf, 0, "bilan-confirm-v1", 1);
    o = cat(buf, o, t, 32);
    o = cat(buf, o, fp, 32);
    ref_hmac(k, 32, buf, o, mac);
}

static void ref_sid(const uint8_t secret[32], const char *bilan, uint8_t sid[8])
{
    ref_hkdf((const uint8_t *)"bilan-invite-id-v1", 18, secret, 32, (const uint8_t *)bilan,
             strlen(bilan), sid, 8);
}

static void ref_sas(const uint8_t t[32], char out[16])
{
    uint8_t d[4];
    ref_hkdf(NULL, 0, t, 32, (const uint8_t *)"bilan-sas-v1", 12, d, 4);
    unsigned long v = ((unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 |
                       (unsigned long)d[2] << 8 | d[3]) % 1000000ul;
    snprintf(out, 16, "%03lu %03lu", v / 1000, v % 1000);
}

static void ref_x25519(const uint8_t priv[32], const uint8_t pub[32], uint8_t out[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    size_t len = 32;
    CHECK(c && p && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, p) == 1 &&
          EVP_PKEY_derive(c, out, &len) == 1 && len == 32);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
}

static size_t ref_sk_aad(const char *bilan, const uint8_t from[32], const uint8_t to[32],
                         uint64_t gen, uint8_t *aad)
{
    size_t o = lab(aad, 0, "bilan-senderkey-v1", 1);
    o = lbilan(aad, o, bilan);
    o = cat(aad, o, from, 32);
    o = cat(aad, o, to, 32);
    for (int i = 7; i >= 0; i--)
        aad[o++] = (uint8_t)(gen >> (8 * i));
    return o;
}

/* Opens a sealed key with EVP directly: 1 if it authenticates. */
static int ref_sk_open(const uint8_t key[32], const char *bilan, const uint8_t from[32],
                       const uint8_t to[32], uint64_t gen, const uint8_t in[44], uint8_t out[16])
{
    uint8_t aad[256], tag[16];
    size_t al = ref_sk_aad(bilan, from, to, gen, aad);
    int len = 0;
    memcpy(tag, in + 28, 16);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
             EVP_DecryptUpdate(c, NULL, &len, aad, (int)al) == 1 &&
             EVP_DecryptUpdate(c, out, &len, in + 12, 16) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
             EVP_DecryptFinal_ex(c, out + 16, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* ---- One side of a pair ---- */

struct side {
    struct bp_identity id;
    uint8_t eph_priv[32], eph_pub[32];
    struct bp_bundle b;
    uint8_t r[32], fp[32];
};

static void side_init(struct side *s, const char *bilan)
{
    CHECK_EQ_INT(bp_identity_generate(&s->id), 0);
    CHECK_EQ_INT(bp_random(s->eph_priv, 32), 0);
    CHECK_EQ_INT(bp_x25519_public(s->eph_priv, s->eph_pub), 0);
    CHECK_EQ_INT(bp_bundle_make(&s->id, bilan, s->eph_pub, &s->b), 0);
    CHECK_EQ_INT(bp_random(s->r, 32), 0);
    CHECK_EQ_INT(bp_fingerprint(s->id.sign_pub, s->id.dh_pub, s->fp), 0);
}

static struct side X, Y;

static void test_bundle(void)
{
    struct bp_bundle b = X.b, t;
    uint8_t bytes[BP_BUNDLE_LEN], ref[BP_BUNDLE_LEN], fp[32], msg[256];
    CHECK_EQ_INT(bp_bundle_verify(&b, BILAN), 0);
    CHECK_MEM(b.sign_pub, X.id.sign_pub, 32);
    CHECK_MEM(b.dh_pub, X.id.dh_pub, 32);
    CHECK_MEM(b.eph, X.eph_pub, 32);
    bp_bundle_bytes(&b, bytes);
    ref_bundle_bytes(&b, ref);
    CHECK_MEM(bytes, ref, BP_BUNDLE_LEN);
    CHECK_EQ_INT(bp_bundle_fp(&b, fp), 0);
    CHECK_MEM(fp, X.fp, 32);

    /* The signature covers exactly the documented message. */
    size_t o = lab(msg, 0, "bilan-bundle-v1", 1);
    o = lbilan(msg, o, BILAN);
    o = cat(msg, o, b.sign_pub, 32);
    o = cat(msg, o, b.dh_pub, 32);
    o = cat(msg, o, b.eph, 32);
    CHECK_EQ_INT(bp_ed25519_verify(X.id.sign_pub, msg, o, b.sig), 0);

    /* Any flipped bit of any field is refused. */
    for (int f = 0; f < 4; f++) {
        for (int i = 0; i < (f == 3 ? 64 : 32); i += 7) {
            t = b;
            uint8_t *p = f == 0 ? t.sign_pub : f == 1 ? t.dh_pub : f == 2 ? t.eph : t.sig;
            p[i] ^= 0x01;
            CHECK_EQ_INT(bp_bundle_verify(&t, BILAN), BP_E_BAD_SIGNATURE);
        }
    }
    /* Another bilan, or a bilan that is not an id. */
    CHECK_EQ_INT(bp_bundle_verify(&b, "bTestBilan_02"), BP_E_BAD_SIGNATURE);
    CHECK_EQ_INT(bp_bundle_verify(&b, "bTestBilan_0"), BP_E_BAD_SIGNATURE);
    CHECK_EQ_INT(bp_bundle_verify(&b, ""), BP_E_BAD_SIGNATURE);
    CHECK_EQ_INT(bp_bundle_verify(&b, NULL), BP_E_BAD_SIGNATURE);
    char long_bilan[80];
    memset(long_bilan, 'a', sizeof long_bilan - 1);
    long_bilan[sizeof long_bilan - 1] = '\0';
    CHECK(bp_bundle_make(&X.id, long_bilan, X.eph_pub, &t) != 0);
    long_bilan[BP_ID_MAX] = '\0';   /* 64: the longest id */
    CHECK_EQ_INT(bp_bundle_make(&X.id, long_bilan, X.eph_pub, &t), 0);
    CHECK_EQ_INT(bp_bundle_verify(&t, long_bilan), 0);
    /* Another identity's keys under X's signature. */
    t = b;
    memcpy(t.sign_pub, Y.id.sign_pub, 32);
    CHECK_EQ_INT(bp_bundle_verify(&t, BILAN), BP_E_BAD_SIGNATURE);
    /* Y's bundle with X's ephemeral key swapped in. */
    t = Y.b;
    memcpy(t.eph, X.eph_pub, 32);
    CHECK_EQ_INT(bp_bundle_verify(&t, BILAN), BP_E_BAD_SIGNATURE);
}

static void test_commit(void)
{
    uint8_t c[32], ref[32], buf[256], r2[32];
    CHECK_EQ_INT(bp_commit(&X.b, X.r, c), 0);
    size_t o = lab(buf, 0, "bilan-commit-v1", 1);
    ref_bundle_bytes(&X.b, buf + o);
    o = cat(buf, o + 160, X.r, 32);
    ref_sha256(buf, o, ref);
    CHECK_MEM(c, ref, 32);
    CHECK_EQ_INT(bp_ct_cmp(c, ref, 32), 0);
    /* Binds r ... */
    memcpy(r2, X.r, 32);
    r2[31] ^= 0x80;
    CHECK_EQ_INT(bp_commit(&X.b, r2, ref), 0);
    CHECK(bp_ct_cmp(c, ref, 32) != 0);
    /* ... and every part of the bundle. */
    for (int f = 0; f < 4; f++) {
        struct bp_bundle t = X.b;
        (f == 0 ? t.sign_pub : f == 1 ? t.dh_pub : f == 2 ? t.eph : t.sig)[5] ^= 1;
        CHECK_EQ_INT(bp_commit(&t, X.r, ref), 0);
        CHECK(bp_ct_cmp(c, ref, 32) != 0);
    }
    CHECK_EQ_INT(bp_commit(&Y.b, X.r, ref), 0);
    CHECK(bp_ct_cmp(c, ref, 32) != 0);
}

static void test_transcript(uint8_t t_out[32])
{
    uint8_t t1[32], t2[32], ref[32], t3[32];
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, X.r, &Y.b, Y.r, t1), 0);
    CHECK_EQ_INT(bp_transcript(BILAN, &Y.b, Y.r, &X.b, X.r, t2), 0);
    CHECK_MEM(t1, t2, 32);
    ref_transcript(BILAN, &X.b, X.r, &Y.b, Y.r, ref);
    CHECK_MEM(t1, ref, 32);
    memcpy(t_out, t1, 32);

    /* Anything else changes T. */
    CHECK_EQ_INT(bp_transcript("bTestBilan_02", &X.b, X.r, &Y.b, Y.r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    uint8_t r[32];
    memcpy(r, X.r, 32);
    r[0] ^= 1;
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, r, &Y.b, Y.r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    memcpy(r, Y.r, 32);
    r[31] ^= 1;
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, X.r, &Y.b, r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    struct bp_bundle b = Y.b;
    b.eph[3] ^= 1;
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, X.r, &b, Y.r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    b = Y.b;
    b.sig[63] ^= 1;
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, X.r, &b, Y.r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    /* Swapping the r values between the sides changes it: order is by
     * fingerprint, not by argument position. */
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, Y.r, &Y.b, X.r, t3), 0);
    CHECK(memcmp(t1, t3, 32) != 0);
    /* One identity on both sides (a reflected handshake) is refused. */
    CHECK_EQ_INT(bp_transcript(BILAN, &X.b, X.r, &X.b, Y.r, t3), BP_E_INVALID_FIELD);
    CHECK(bp_transcript("", &X.b, X.r, &Y.b, Y.r, t3) != 0);
}

static void test_mac(const uint8_t t[32])
{
    uint8_t s[32], s2[32], mac[32], ref[32], m2[32], t2[32];
    CHECK_EQ_INT(bp_random(s, 32), 0);
    memcpy(s2, s, 32);
    s2[0] ^= 1;
    CHECK_EQ_INT(bp_invite_mac(s, BILAN, t, X.fp, mac), 0);
    ref_mac(s, BILAN, t, X.fp, ref);
    CHECK_MEM(mac, ref, 32);
    /* The receiver recomputes with the same secret and the sender's fp. */
    CHECK_EQ_INT(bp_invite_mac(s, BILAN, t, X.fp, m2), 0);
    CHECK_EQ_INT(bp_ct_cmp(mac, m2, 32), 0);
    CHECK_EQ_INT(bp_invite_mac(s2, BILAN, t, X.fp, m2), 0);
    CHECK(bp_ct_cmp(mac, m2, 32) != 0);
    CHECK_EQ_INT(bp_invite_mac(s, BILAN, t, Y.fp, m2), 0);   /* Y's MAC is not X's */
    CHECK(bp_ct_cmp(mac, m2, 32) != 0);
    memcpy(t2, t, 32);
    t2[16] ^= 1;
    CHECK_EQ_INT(bp_invite_mac(s, BILAN, t2, X.fp, m2), 0);
    CHECK(bp_ct_cmp(mac, m2, 32) != 0);
    CHECK_EQ_INT(bp_invite_mac(s, "bTestBilan_02", t, X.fp, m2), 0);
    CHECK(bp_ct_cmp(mac, m2, 32) != 0);
    CHECK(bp_invite_mac(s, NULL, t, X.fp, m2) != 0);
}

static void test_secret_id(void)
{
    uint8_t s[32], s2[32], sid[8], ref[8], sid2[8], k[32];
    CHECK_EQ_INT(bp_random(s, 32), 0);
    memcpy(s2, s, 32);
    s2[31] ^= 1;
    CHECK_EQ_INT(bp_invite_secret_id(s, BILAN, sid), 0);
    ref_sid(s, BILAN, ref);
    CHECK_MEM(sid, ref, 8);
    CHECK_EQ_INT(bp_invite_secret_id(s2, BILAN, sid2), 0);
    CHECK(memcmp(sid, sid2, 8) != 0);
    CHECK_EQ_INT(bp_invite_secret_id(s, "bTestBilan_02", sid2), 0);
    CHECK(memcmp(sid, sid2, 8) != 0);
    /* Its own label: not the first bytes of the MAC key. */
    ref_hkdf((const uint8_t *)"bilan-invite-v1", 15, s, 32, (const uint8_t *)BILAN, strlen(BILAN), k, 32);
    CHECK(memcmp(sid, k, 8) != 0);
    CHECK(bp_invite_secret_id(s, NULL, sid2) != 0);
    CHECK(bp_invite_secret_id(s, "", sid2) != 0);
}

static int sas_format_ok(const char *s)
{
    if (strlen(s) != 7 || s[3] != ' ')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 3 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

static void test_sas(const uint8_t t[32])
{
    char a[BP_SAS_LEN], b[BP_SAS_LEN], ref[16];
    uint8_t t_other[32];
    CHECK_EQ_INT(bp_sas(t, a), 0);
    CHECK(sas_format_ok(a));
    ref_sas(t, ref);
    CHECK_STR(a, ref);
    /* Y computes its own T and gets the same code. */
    CHECK_EQ_INT(bp_transcript(BILAN, &Y.b, Y.r, &X.b, X.r, t_other), 0);
    CHECK_EQ_INT(bp_sas(t_other, b), 0);
    CHECK_STR(a, b);

    /* Known answers on fixed transcripts: leading zeros kept, and the
     * reference computed from the formula. */
    uint8_t ft[32];
    int diff = 0;
    for (int k = 0; k < 64; k++) {
        for (int i = 0; i < 32; i++)
            ft[i] = (uint8_t)(i * 7 + k);
        CHECK_EQ_INT(bp_sas(ft, a), 0);
        ref_sas(ft, ref);
        CHECK_STR(a, ref);
        CHECK(sas_format_ok(a));
        if (k && strcmp(a, b))
            diff++;
        memcpy(b, a, sizeof b);
    }
    CHECK(diff > 50);   /* distinct transcripts give (almost always) distinct codes */
    /* T = 00 01 .. 1f, checked against the formula spelled out by hand:
     * first 4 bytes of HKDF(salt "", ikm T, info "bilan-sas-v1"). */
    for (int i = 0; i < 32; i++)
        ft[i] = (uint8_t)i;
    uint8_t d[4];
    ref_hkdf(NULL, 0, ft, 32, (const uint8_t *)"bilan-sas-v1", 12, d, 4);
    unsigned long v = (((unsigned long)d[0] << 24) + ((unsigned long)d[1] << 16) +
                       ((unsigned long)d[2] << 8) + d[3]) % 1000000ul;
    CHECK_EQ_INT(bp_sas(ft, a), 0);
    char want[16];
    snprintf(want, sizeof want, "%03lu %03lu", v / 1000, v % 1000);
    CHECK_STR(a, want);
}

static void test_pair_key(const uint8_t t[32], uint8_t kx_out[32])
{
    uint8_t kx[32], ky[32], ref[32], shared[32], t2[32], zero[32] = {0};
    CHECK_EQ_INT(bp_pair_key(X.eph_priv, Y.eph_pub, t, kx), 0);
    CHECK_EQ_INT(bp_pair_key(Y.eph_priv, X.eph_pub, t, ky), 0);
    CHECK_MEM(kx, ky, 32);
    ref_x25519(X.eph_priv, Y.eph_pub, shared);
    ref_hkdf(t, 32, shared, 32, (const uint8_t *)"bilan-pair-key-v1", 17, ref, 32);
    CHECK_MEM(kx, ref, 32);
    memcpy(t2, t, 32);
    t2[0] ^= 1;
    CHECK_EQ_INT(bp_pair_key(X.eph_priv, Y.eph_pub, t2, ky), 0);
    CHECK(memcmp(kx, ky, 32) != 0);
    /* The identity DH keys are not the ephemeral ones. */
    CHECK_EQ_INT(bp_pair_key(X.id.dh_priv, Y.eph_pub, t, ky), 0);
    CHECK(memcmp(kx, ky, 32) != 0);
    /* A small-order peer key (all zeros) gives no key. */
    CHECK(bp_pair_key(X.eph_priv, zero, t, ky) != 0);
    CHECK_MEM(ky, zero, 32);
    memcpy(kx_out, kx, 32);
}

static void test_senderkey(const uint8_t k[32])
{
    uint8_t base[16], out[16], s1[BP_SEALED_KEY_LEN], s2[BP_SEALED_KEY_LEN], k2[32], zero[16] = {0};
    CHECK_EQ_INT(bp_random(base, 16), 0);
    CHECK_EQ_INT(bp_senderkey_seal(k, BILAN, X.fp, Y.fp, 1, base, s1), 0);
    CHECK_EQ_INT(bp_senderkey_open(k, BILAN, X.fp, Y.fp, 1, s1, out), 0);
    CHECK_MEM(out, base, 16);
    /* The documented layout and AAD, opened with EVP directly. */
    memset(out, 0, 16);
    CHECK(ref_sk_open(k, BILAN, X.fp, Y.fp, 1, s1, out));
    CHECK_MEM(out, base, 16);
    /* A fresh nonce each time. */
    CHECK_EQ_INT(bp_senderkey_seal(k, BILAN, X.fp, Y.fp, 1, base, s2), 0);
    CHECK(memcmp(s1, s2, 12) != 0);
    uint64_t big = UINT64_C(1) << 40;
    CHECK_EQ_INT(bp_senderkey_seal(k, BILAN, X.fp, Y.fp, big, base, s2), 0);
    CHECK_EQ_INT(bp_senderkey_open(k, BILAN, X.fp, Y.fp, big, s2, out), 0);
    CHECK_MEM(out, base, 16);
    CHECK(ref_sk_open(k, BILAN, X.fp, Y.fp, big, s2, out));

    /* Everything bound: gen, bilan, sender, recipient, pair key. */
    memcpy(k2, k, 32);
    k2[9] ^= 1;
#define REFUSED(call)                                   \
    do {                                                \
        memset(out, 0xee, 16);                          \
        CHECK_EQ_INT(call, BP_E_CRYPTO);                \
        CHECK_MEM(out, zero, 16);                       \
    } while (0)
    REFUSED(bp_senderkey_open(k, BILAN, X.fp, Y.fp, 2, s1, out));
    REFUSED(bp_senderkey_open(k, BILAN, X.fp, Y.fp, 1 + (UINT64_C(1) << 32), s1, out));
    REFUSED(bp_senderkey_open(k, "bTestBilan_02", X.fp, Y.fp, 1, s1, out));
    REFUSED(bp_senderkey_open(k, BILAN, Y.fp, X.fp, 1, s1, out));
    REFUSED(bp_senderkey_open(k, BILAN, Y.fp, Y.fp, 1, s1, out));
    REFUSED(bp_senderkey_open(k, BILAN, X.fp, X.fp, 1, s1, out));
    REFUSED(bp_senderkey_open(k2, BILAN, X.fp, Y.fp, 1, s1, out));
    REFUSED(bp_senderkey_open(k, NULL, X.fp, Y.fp, 1, s1, out));
    for (int i = 0; i < BP_SEALED_KEY_LEN; i++) {
        memcpy(s2, s1, sizeof s2);
        s2[i] ^= (uint8_t)(1u << (i % 8));
        REFUSED(bp_senderkey_open(k, BILAN, X.fp, Y.fp, 1, s2, out));
    }
#undef REFUSED
    CHECK(bp_senderkey_seal(k, "", X.fp, Y.fp, 1, base, s2) != 0);
}

/* ---- e2e bodies ---- */

static int msg_eq(const struct bp_e2e_msg *a, const struct bp_e2e_msg *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case BP_E2E_COMMIT: return !memcmp(a->c, b->c, 32);
    case BP_E2E_REVEAL:
        return !memcmp(&a->bundle, &b->bundle, sizeof a->bundle) && !memcmp(a->r, b->r, 32);
    case BP_E2E_CONFIRM:
        return a->nproofs == b->nproofs &&
               !memcmp(a->proofs, b->proofs, sizeof a->proofs[0] * (size_t)a->nproofs);
    case BP_E2E_SAS: return a->sas_confirmed == b->sas_confirmed;
    case BP_E2E_KEY: return a->gen == b->gen && !memcmp(a->sealed, b->sealed, sizeof a->sealed);
    case BP_E2E_ABORT: return !strcmp(a->reason, b->reason);
    }
    return 0;
}

static void round_trip(const struct bp_e2e_msg *m, const char *t)
{
    struct bp_e2e_msg back;
    struct bp_verr e = {0};
    json_t *o = bp_e2e_build(m);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK_STR(json_string_value(json_object_get(o, "t")), t);
    /* Through text, as the relay carries it. */
    char *s = json_dumps(o, JSON_COMPACT);
    json_t *p = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    CHECK(p != NULL);
    int rc = bp_e2e_parse(p, &back, &e);
    if (rc)
        fprintf(stderr, "round trip of %s refused: %s\n", s, e.detail);
    CHECK_EQ_INT(rc, 0);
    CHECK(msg_eq(m, &back));
    free(s);
    json_decref(p);
    json_decref(o);
}

static void test_bodies(const uint8_t k[32])
{
    struct bp_e2e_msg m;
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_COMMIT;
    CHECK_EQ_INT(bp_commit(&X.b, X.r, m.c), 0);
    round_trip(&m, "commit");

    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_REVEAL;
    m.bundle = X.b;
    memcpy(m.r, X.r, 32);
    round_trip(&m, "reveal");

    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_CONFIRM;
    round_trip(&m, "confirm");
    m.nproofs = 1;
    memset(m.proofs[0].sid, 0x11, sizeof m.proofs[0].sid);
    memset(m.proofs[0].mac, 0xa5, sizeof m.proofs[0].mac);
    round_trip(&m, "confirm");
    for (int i = 1; i < BP_E2E_PROOFS_MAX; i++) {
        memset(m.proofs[i].sid, 0x20 + i, sizeof m.proofs[i].sid);
        memset(m.proofs[i].mac, 0x40 + i, sizeof m.proofs[i].mac);
    }
    m.nproofs = BP_E2E_PROOFS_MAX;
    round_trip(&m, "confirm");
    json_t *cj = bp_e2e_build(&m);
    CHECK(json_array_size(json_object_get(cj, "proofs")) == BP_E2E_PROOFS_MAX);
    CHECK(json_object_get(cj, "mac") == NULL);
    json_decref(cj);
    m.nproofs = BP_E2E_PROOFS_MAX + 1;
    CHECK(bp_e2e_build(&m) == NULL);
    m.nproofs = 3;
    memcpy(m.proofs[2].sid, m.proofs[0].sid, sizeof m.proofs[0].sid);
    CHECK(bp_e2e_build(&m) == NULL); /* a repeated sid would not parse */

    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_SAS;
    m.sas_confirmed = 1;
    round_trip(&m, "sas");
    m.sas_confirmed = 0;
    round_trip(&m, "sas");

    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_KEY;
    m.gen = 1;
    uint8_t base[16] = {1, 2, 3};
    CHECK_EQ_INT(bp_senderkey_seal(k, BILAN, X.fp, Y.fp, 1, base, m.sealed), 0);
    round_trip(&m, "key");
    m.gen = UINT64_C(1) << 40;
    round_trip(&m, "key");

    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_ABORT;
    strcpy(m.reason, "possible interception: the confirmation does not verify");
    round_trip(&m, "abort");
    m.reason[0] = '\0';
    CHECK(bp_e2e_build(&m) == NULL); /* an empty reason would not parse */
    strcpy(m.reason, "bell\a");
    CHECK(bp_e2e_build(&m) == NULL);
    strcpy(m.reason, "bad utf-8 \xff");
    CHECK(bp_e2e_build(&m) == NULL);

    /* A whole exchange: reveal parsed on the other side verifies. */
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_REVEAL;
    m.bundle = Y.b;
    memcpy(m.r, Y.r, 32);
    json_t *o = bp_e2e_build(&m);
    struct bp_e2e_msg got;
    struct bp_verr e;
    CHECK_EQ_INT(bp_e2e_parse(o, &got, &e), 0);
    CHECK_EQ_INT(bp_bundle_verify(&got.bundle, BILAN), 0);
    uint8_t fp[32];
    CHECK_EQ_INT(bp_bundle_fp(&got.bundle, fp), 0);
    CHECK_MEM(fp, Y.fp, 32);
    json_decref(o);

    /* build refuses what would not parse. */
    memset(&m, 0, sizeof m);
    CHECK(bp_e2e_build(&m) == NULL);
    m.kind = (enum bp_e2e_kind)6;
    CHECK(bp_e2e_build(&m) == NULL);
    m.kind = BP_E2E_KEY;
    m.gen = 0;
    CHECK(bp_e2e_build(&m) == NULL);
    m.gen = (UINT64_C(1) << 40) + 1;
    CHECK(bp_e2e_build(&m) == NULL);
}

#define K43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define K42 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define S86 K43 K43
#define SEALED "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 59 = 44 bytes */
#define BUNDLE "{\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43 "\",\"eph\":\"" K43 "\",\"sig\":\"" S86 "\"}"
/* An invite proof whose 8-byte sid is 11 copies of base64url letter x. */
#define PROOF(x) "{\"sid\":\"" #x #x #x #x #x #x #x #x #x #x "A\",\"mac\":\"" K43 "\"}"

static void test_parse_literals(void)
{
    static const struct {
        const char *json;
        enum bp_e2e_kind kind;
    } ok[] = {
        {"{\"t\":\"commit\",\"c\":\"" K43 "\"}", BP_E2E_COMMIT},
        {"{\"c\":\"" K43 "\",\"t\":\"commit\",\"extra\":{\"deep\":[1,2]}}", BP_E2E_COMMIT},
        {"{\"t\":\"reveal\",\"bundle\":" BUNDLE ",\"r\":\"" K43 "\"}", BP_E2E_REVEAL},
        {"{\"t\":\"confirm\"}", BP_E2E_CONFIRM},
        {"{\"t\":\"confirm\",\"mac\":\"" K43 "\"}", BP_E2E_CONFIRM}, /* before ids: ignored */
        {"{\"t\":\"confirm\",\"proofs\":[]}", BP_E2E_CONFIRM},
        {"{\"t\":\"confirm\",\"proofs\":[" PROOF(A) "]}", BP_E2E_CONFIRM},
        {"{\"t\":\"confirm\",\"proofs\":[" PROOF(A) "," PROOF(B) "," PROOF(C) "," PROOF(D) ","
         PROOF(E) "," PROOF(F) "," PROOF(G) "," PROOF(H) "]}", BP_E2E_CONFIRM},
        {"{\"t\":\"sas\",\"result\":\"confirmed\"}", BP_E2E_SAS},
        {"{\"t\":\"sas\",\"result\":\"rejected\",\"code\":\"ignored\"}", BP_E2E_SAS},
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":\"" SEALED "\"}", BP_E2E_KEY},
        {"{\"t\":\"key\",\"gen\":1099511627776,\"sealed\":\"" SEALED "\"}", BP_E2E_KEY},
        {"{\"t\":\"abort\",\"reason\":\"the code was rejected\"}", BP_E2E_ABORT},
        {"{\"t\":\"abort\",\"reason\":\"interception possible — code refusé\"}", BP_E2E_ABORT},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *j = json_loads(ok[i].json, JSON_REJECT_DUPLICATES, NULL);
        struct bp_e2e_msg m;
        struct bp_verr e = {0};
        CHECK(j != NULL);
        int rc = bp_e2e_parse(j, &m, &e);
        if (rc)
            fprintf(stderr, "case %zu %s refused: %s\n", i, ok[i].json, e.detail);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(m.kind, ok[i].kind);
        json_decref(j);
    }
    struct bp_e2e_msg m;
    json_t *j = json_loads("{\"t\":\"confirm\",\"mac\":\"" K43 "\"}", 0, NULL);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, NULL), 0);
    CHECK_EQ_INT(m.nproofs, 0);
    json_decref(j);
    j = json_loads("{\"t\":\"confirm\",\"proofs\":[" PROOF(A) "," PROOF(B) "]}", 0, NULL);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, NULL), 0);
    CHECK_EQ_INT(m.nproofs, 2);
    static const uint8_t sid_b[8] = {0x04, 0x10, 0x41, 0x04, 0x10, 0x41, 0x04, 0x10};
    CHECK_MEM(m.proofs[1].sid, sid_b, 8);
    json_decref(j);
    j = json_loads("{\"t\":\"sas\",\"result\":\"confirmed\"}", 0, NULL);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, NULL), 0);
    CHECK_EQ_INT(m.sas_confirmed, 1);
    json_decref(j);
    j = json_loads("{\"t\":\"key\",\"gen\":1099511627776,\"sealed\":\"" SEALED "\"}", 0, NULL);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, NULL), 0);
    CHECK(m.gen == UINT64_C(1) << 40);
    json_decref(j);
}

static void test_refusals(void)
{
    static const struct {
        const char *json;
        int code;
        const char *detail;
    } bad[] = {
        {"[]", BP_E_INVALID_FIELD, "object"},
        {"\"commit\"", BP_E_INVALID_FIELD, "object"},
        {"null", BP_E_INVALID_FIELD, "object"},
        {"42", BP_E_INVALID_FIELD, "object"},
        {"{}", BP_E_MISSING_FIELD, "'t'"},
        {"{\"c\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'t'"},
        {"{\"t\":\"hello\"}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":\"Commit\",\"c\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":\"commit \",\"c\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":\"\"}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":1}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":null}", BP_E_INVALID_FIELD, "'t'"},
        {"{\"t\":[\"commit\"]}", BP_E_INVALID_FIELD, "'t'"},
        /* commit */
        {"{\"t\":\"commit\"}", BP_E_MISSING_FIELD, "'c'"},
        /* abort */
        {"{\"t\":\"abort\"}", BP_E_MISSING_FIELD, "'reason'"},
        {"{\"t\":\"abort\",\"reason\":\"\"}", BP_E_INVALID_FIELD, "'reason'"},
        {"{\"t\":\"abort\",\"reason\":7}", BP_E_INVALID_FIELD, "'reason'"},
        {"{\"t\":\"abort\",\"reason\":\"bell\\u0007\"}", BP_E_INVALID_FIELD, "control"},
        {"{\"t\":\"abort\",\"reason\":\"esc\\u001b[2J\"}", BP_E_INVALID_FIELD, "control"},
        {"{\"t\":\"commit\",\"c\":\"" K42 "\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\"" K43 "A\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\"" K43 "=\"}", BP_E_INVALID_FIELD, "43 characters"},
        {"{\"t\":\"commit\",\"c\":\"" K42 "=\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\"" K42 "B\"}", BP_E_INVALID_FIELD, "'c'"},  /* trailing bits */
        {"{\"t\":\"commit\",\"c\":\"+" K42 "\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\"/" K42 "\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\" " K42 "\"}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":5}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":null}", BP_E_INVALID_FIELD, "'c'"},
        {"{\"t\":\"commit\",\"c\":\"" S86 "\"}", BP_E_INVALID_FIELD, "'c'"},
        /* reveal */
        {"{\"t\":\"reveal\",\"r\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'bundle'"},
        {"{\"t\":\"reveal\",\"bundle\":[],\"r\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'bundle'"},
        {"{\"t\":\"reveal\",\"bundle\":\"" K43 "\",\"r\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'bundle'"},
        {"{\"t\":\"reveal\",\"bundle\":" BUNDLE "}", BP_E_MISSING_FIELD, "'r'"},
        {"{\"t\":\"reveal\",\"bundle\":" BUNDLE ",\"r\":\"" K42 "\"}", BP_E_INVALID_FIELD, "'r'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"dh_pub\":\"" K43 "\",\"eph\":\"" K43 "\",\"sig\":\"" S86
         "\"},\"r\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'sign_pub'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" K43 "\",\"eph\":\"" K43 "\",\"sig\":\"" S86
         "\"},\"r\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'dh_pub'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43 "\",\"sig\":\"" S86
         "\"},\"r\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'eph'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43 "\",\"eph\":\"" K43
         "\"},\"r\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'sig'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43 "\",\"eph\":\"" K43
         "\",\"sig\":\"" K43 "\"},\"r\":\"" K43 "\"}", BP_E_INVALID_FIELD, "86 characters"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43 "\",\"eph\":\"" K42
         "\",\"sig\":\"" S86 "\"},\"r\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'eph'"},
        {"{\"t\":\"reveal\",\"bundle\":{\"sign_pub\":\"" S86 "\",\"dh_pub\":\"" K43 "\",\"eph\":\"" K43
         "\",\"sig\":\"" S86 "\"},\"r\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'sign_pub'"},
        /* confirm */
        {"{\"t\":\"confirm\",\"proofs\":{}}", BP_E_INVALID_FIELD, "'proofs'"},
        {"{\"t\":\"confirm\",\"proofs\":null}", BP_E_INVALID_FIELD, "'proofs'"},
        {"{\"t\":\"confirm\",\"proofs\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'proofs'"},
        {"{\"t\":\"confirm\",\"proofs\":[\"" K43 "\"]}", BP_E_INVALID_FIELD, "'proofs'"},
        {"{\"t\":\"confirm\",\"proofs\":[" PROOF(A) "," PROOF(B) "," PROOF(C) "," PROOF(D) ","
         PROOF(E) "," PROOF(F) "," PROOF(G) "," PROOF(H) "," PROOF(I) "]}", BP_E_INVALID_FIELD, "at most 8"},
        {"{\"t\":\"confirm\",\"proofs\":[" PROOF(A) "," PROOF(B) "," PROOF(A) "]}", BP_E_INVALID_FIELD,
         "repeat"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"mac\":\"" K43 "\"}]}", BP_E_MISSING_FIELD, "'sid'"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"AAAAAAAAAAA\"}]}", BP_E_MISSING_FIELD, "'mac'"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"AAAAAAAAAA\",\"mac\":\"" K43 "\"}]}",
         BP_E_INVALID_FIELD, "11 characters"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"" K43 "\",\"mac\":\"" K43 "\"}]}",
         BP_E_INVALID_FIELD, "'sid'"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"AAAAAAAAAAB\",\"mac\":\"" K43 "\"}]}",
         BP_E_INVALID_FIELD, "'sid'"}, /* non-canonical trailing bits */
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"AAAAAAAAAAA\",\"mac\":\"" K42 "\"}]}",
         BP_E_INVALID_FIELD, "'mac'"},
        {"{\"t\":\"confirm\",\"proofs\":[{\"sid\":\"AAAAAAAAAAA\",\"mac\":null}]}",
         BP_E_INVALID_FIELD, "'mac'"},
        /* sas */
        {"{\"t\":\"sas\"}", BP_E_MISSING_FIELD, "'result'"},
        {"{\"t\":\"sas\",\"result\":\"yes\"}", BP_E_INVALID_FIELD, "'result'"},
        {"{\"t\":\"sas\",\"result\":\"Confirmed\"}", BP_E_INVALID_FIELD, "'result'"},
        {"{\"t\":\"sas\",\"result\":\"confirmedx\"}", BP_E_INVALID_FIELD, "'result'"},
        {"{\"t\":\"sas\",\"result\":true}", BP_E_INVALID_FIELD, "'result'"},
        {"{\"t\":\"sas\",\"result\":1}", BP_E_INVALID_FIELD, "'result'"},
        /* key */
        {"{\"t\":\"key\",\"sealed\":\"" SEALED "\"}", BP_E_MISSING_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":1}", BP_E_MISSING_FIELD, "'sealed'"},
        {"{\"t\":\"key\",\"gen\":0,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":-1,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":1099511627777,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":9223372036854775807,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":-9223372036854775807,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":1.0,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":1.5,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":\"1\",\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":true,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":null,\"sealed\":\"" SEALED "\"}", BP_E_INVALID_FIELD, "'gen'"},
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":\"" SEALED "A\"}", BP_E_INVALID_FIELD, "59 characters"},
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":\"" K43 "\"}", BP_E_INVALID_FIELD, "'sealed'"},
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         BP_E_INVALID_FIELD, "'sealed'"},
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\"}",
         BP_E_INVALID_FIELD, "'sealed'"},   /* non-canonical trailing bits */
        {"{\"t\":\"key\",\"gen\":1,\"sealed\":[]}", BP_E_INVALID_FIELD, "'sealed'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t je;
        json_t *j = json_loads(bad[i].json, JSON_DECODE_ANY, &je);
        if (!j) {
            fprintf(stderr, "case %zu does not load: %s\n", i, je.text);
            CHECK(0);
            continue;
        }
        struct bp_e2e_msg m;
        struct bp_verr e = {0};
        memset(&m, 0x5a, sizeof m);
        int rc = bp_e2e_parse(j, &m, &e);
        if (rc != bad[i].code || !strstr(e.detail, bad[i].detail))
            fprintf(stderr, "case %zu %s: rc %d detail '%s'\n", i, bad[i].json, rc, e.detail);
        CHECK_EQ_INT(rc, bad[i].code);
        CHECK_EQ_INT(e.code, bad[i].code);
        CHECK(strstr(e.detail, bad[i].detail) != NULL);
        CHECK_EQ_INT(m.kind, 0);   /* nothing half-parsed is left behind */
        CHECK_EQ_INT(bp_e2e_parse(j, &m, NULL), bad[i].code);
        json_decref(j);
    }
    /* NULL body, and a string with an embedded NUL built in memory. */
    struct bp_e2e_msg m;
    struct bp_verr e = {0};
    CHECK_EQ_INT(bp_e2e_parse(NULL, &m, &e), BP_E_INVALID_FIELD);
    char nul[44];
    memcpy(nul, K43, 43);
    nul[10] = '\0';
    json_t *j = json_pack("{s:s, s:s#}", "t", "commit", "c", nul, (size_t)43);
    CHECK(j != NULL);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, &e), BP_E_INVALID_FIELD);
    json_decref(j);
    j = json_pack("{s:s#}", "t", "commit\0x", (size_t)8);
    CHECK_EQ_INT(bp_e2e_parse(j, &m, &e), BP_E_INVALID_FIELD);
    json_decref(j);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint8_t t[32], k[32];
    side_init(&X, BILAN);
    side_init(&Y, BILAN);
    test_bundle();
    test_commit();
    test_transcript(t);
    test_mac(t);
    test_secret_id();
    test_sas(t);
    test_pair_key(t, k);
    test_senderkey(k);
    test_bodies(k);
    test_parse_literals();
    test_refusals();
    bp_identity_wipe(&X.id);
    bp_identity_wipe(&Y.id);
    return check_report();
}
