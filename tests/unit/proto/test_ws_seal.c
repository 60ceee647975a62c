/* test_ws_seal.c: proto/ws_seal.c, the worksheets' document key wraps and
 * sealed operations (bp/ws_seal.h).
 *
 * AES-256-GCM against the published test cases 13, 14 and 16 of "The
 * Galois/Counter Mode of Operation (GCM)" (McGrew and Viega, appendix B).
 * Then each construction re-derived from the header's text with OpenSSL
 * called another way (EVP_PKEY HKDF and X25519, EVP_Decrypt with the
 * associated data built here byte by byte), so that a label, a length
 * prefix or an order out of place shows up; then every tampered input
 * refused. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "bp/bp.h"
#include "bp/ident.h"
#include "bp/ws_seal.h"
#include "../check.h"

static const char BILAN[] = "bTestBilan_01";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- AES-256-GCM known answers ---- */

static void test_gcm_vectors(void)
{
    static const struct {
        const char *key, *iv, *pt, *aad, *ct, *tag;
    } tc[] = {
        /* 13: empty plaintext */
        {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "",
         "", "530f8afbc74536b9a963b4f1c4cb738b"},
        /* 14: one zero block */
        {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
         "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18",
         "d0d1c8a799996bf0265b98b5d48ab919"},
        /* 16: 60 bytes with associated data */
        {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d"
         "e657ba637b39",
         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393"
         "ba7a0abcc9f662",
         "76fc6ece0f4e1768cddf8853bb2d551b"},
    };
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
        uint8_t key[32], iv[12], pt[64], aad[32], ct[64], tag[16], out[80];
        unhex(tc[i].key, key);
        unhex(tc[i].iv, iv);
        size_t pl = unhex(tc[i].pt, pt), al = unhex(tc[i].aad, aad);
        unhex(tc[i].ct, ct);
        unhex(tc[i].tag, tag);
        CHECK_EQ_INT(bp_ws_gcm_seal_nonce(key, iv, aad, al, pt, pl, out), 0);
        CHECK_MEM(out, ct, pl);
        CHECK_MEM(out + pl, tag, 16);
    }
}

/* ---- references, from the header's text ---- */

static void ref_x25519(const uint8_t priv[32], const uint8_t pub[32], uint8_t out[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    size_t len = 32;
    CHECK(c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, p) == 1 &&
          EVP_PKEY_derive(c, out, &len) == 1 && len == 32);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(k);
    EVP_PKEY_free(p);
}

static void ref_hkdf(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il, const uint8_t *info, size_t inl,
                     uint8_t out[32])
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t len = 32;
    CHECK(c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
          EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)sl) == 1 && EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)il) == 1 &&
          EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)inl) == 1 && EVP_PKEY_derive(c, out, &len) == 1 && len == 32);
    EVP_PKEY_CTX_free(c);
}

static size_t cat(uint8_t *b, size_t o, const void *p, size_t n)
{
    memcpy(b + o, p, n);
    return o + n;
}

/* u8 len(bilan) || bilan || a || b */
static size_t ids(uint8_t *b, size_t o, const char *bilan, const uint8_t *a, size_t an, const uint8_t *c, size_t cn)
{
    b[o++] = (uint8_t)strlen(bilan);
    o = cat(b, o, bilan, strlen(bilan));
    o = cat(b, o, a, an);
    return cat(b, o, c, cn);
}

/* AES-256-GCM open of nonce || ct || tag, with EVP directly. */
static int ref_open(const uint8_t key[32], const uint8_t *aad, size_t al, const uint8_t *in, size_t len,
                    uint8_t *out)
{
    size_t n = len - 28;
    int l = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
             EVP_DecryptUpdate(c, NULL, &l, aad, (int)al) == 1 &&
             EVP_DecryptUpdate(c, out, &l, in + 12, (int)n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + n)) == 1 &&
             EVP_DecryptFinal_ex(c, out + l, &l) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

struct dev {
    struct bp_identity id;
    uint8_t fp[32];
};

static void dev_new(struct dev *d)
{
    CHECK_EQ_INT(bp_identity_generate(&d->id), 0);
    CHECK_EQ_INT(bp_fingerprint(d->id.sign_pub, d->id.dh_pub, d->fp), 0);
}

static void test_wrap(void)
{
    struct dev a, b, c;
    dev_new(&a);
    dev_new(&b);
    dev_new(&c);
    uint8_t key[32], w[BP_WS_WRAP_LEN], w2[BP_WS_WRAP_LEN], got[32];
    CHECK_EQ_INT(bp_ws_key_new(key), 0);
    CHECK_EQ_INT(bp_ws_key_wrap(a.id.dh_priv, a.fp, b.id.dh_pub, b.fp, BILAN, key, w), 0);

    /* The reference: X25519, HKDF(salt label, info ids), GCM with label 0x00 ids. */
    uint8_t shared[32], k[32], info[200], aad[200], pt[32];
    ref_x25519(b.id.dh_priv, a.id.dh_pub, shared);
    size_t il = ids(info, 0, BILAN, a.fp, 32, b.fp, 32);
    ref_hkdf((const uint8_t *)"bilan-ws-wrap-v1", 16, shared, 32, info, il, k);
    size_t al = cat(aad, 0, "bilan-ws-wrap-v1\0", 17);
    al = ids(aad, al, BILAN, a.fp, 32, b.fp, 32);
    CHECK(ref_open(k, aad, al, w, sizeof w, pt) && memcmp(pt, key, 32) == 0);

    CHECK_EQ_INT(bp_ws_key_unwrap(b.id.dh_priv, b.fp, a.id.dh_pub, a.fp, BILAN, w, got), 0);
    CHECK_MEM(got, key, 32);
    CHECK_EQ_INT(bp_ws_key_wrap(a.id.dh_priv, a.fp, b.id.dh_pub, b.fp, BILAN, key, w2), 0);
    CHECK(memcmp(w, w2, 12) != 0); /* a fresh nonce per wrap */

    /* Only B, from A, for this bilan. */
    CHECK_EQ_INT(bp_ws_key_unwrap(c.id.dh_priv, c.fp, a.id.dh_pub, a.fp, BILAN, w, got), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_key_unwrap(c.id.dh_priv, b.fp, a.id.dh_pub, a.fp, BILAN, w, got), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_key_unwrap(b.id.dh_priv, c.fp, a.id.dh_pub, a.fp, BILAN, w, got), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_key_unwrap(b.id.dh_priv, b.fp, a.id.dh_pub, c.fp, BILAN, w, got), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_key_unwrap(b.id.dh_priv, b.fp, c.id.dh_pub, a.fp, BILAN, w, got), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_key_unwrap(b.id.dh_priv, b.fp, a.id.dh_pub, a.fp, "bAutreBilan", w, got), BP_E_CRYPTO);
    static const uint8_t zero[32];
    CHECK_MEM(got, zero, 32); /* nothing of a failed unwrap is left */
    int flipped_ok = 0;
    for (size_t i = 0; i < sizeof w; i++) {
        w[i] ^= 0x01;
        flipped_ok += bp_ws_key_unwrap(b.id.dh_priv, b.fp, a.id.dh_pub, a.fp, BILAN, w, got) == 0;
        w[i] ^= 0x01;
    }
    CHECK_EQ_INT(flipped_ok, 0);
    CHECK_EQ_INT(bp_ws_key_wrap(a.id.dh_priv, a.fp, b.id.dh_pub, b.fp, "", key, w2), BP_E_INVALID_FIELD);
    bp_identity_wipe(&a.id);
    bp_identity_wipe(&b.id);
    bp_identity_wipe(&c.id);
}

static void test_ops(void)
{
    struct dev a, b;
    dev_new(&a);
    dev_new(&b);
    uint8_t key[32], other[32], opid[16], opid2[16];
    CHECK_EQ_INT(bp_ws_key_new(key), 0);
    CHECK_EQ_INT(bp_ws_key_new(other), 0);
    CHECK_EQ_INT(bp_random(opid, 16), 0);
    memcpy(opid2, opid, 16);
    opid2[15] ^= 0x80;
    const char op[] = "{\"v\":1,\"value\":\"Marqueur-é « œ »\"}";
    size_t n = strlen(op);
    uint8_t s[256], s2[256], out[256], aad[200];
    long sl = bp_ws_op_seal(key, BILAN, opid, a.fp, (const uint8_t *)op, n, s, sizeof s);
    CHECK_EQ_INT(sl, (long)n + BP_WS_SEAL_OVERHEAD);
    CHECK(memmem(s, (size_t)sl, "Marqueur", 8) == NULL);

    size_t al = cat(aad, 0, "bilan-ws-op-v1\0", 15);
    al = ids(aad, al, BILAN, opid, 16, a.fp, 32);
    CHECK(ref_open(key, aad, al, s, (size_t)sl, out) && memcmp(out, op, n) == 0);

    memset(out, 0, sizeof out);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid, a.fp, s, (size_t)sl, out, sizeof out), (long)n);
    CHECK_MEM(out, op, n);
    CHECK_EQ_INT(bp_ws_op_seal(key, BILAN, opid, a.fp, (const uint8_t *)op, n, s2, sizeof s2), sl);
    CHECK(memcmp(s, s2, 12) != 0);

    /* Another key, bilan, op id or author: refused. */
    CHECK_EQ_INT(bp_ws_op_open(other, BILAN, opid, a.fp, s, (size_t)sl, out, sizeof out), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_op_open(key, "bAutreBilan", opid, a.fp, s, (size_t)sl, out, sizeof out), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid2, a.fp, s, (size_t)sl, out, sizeof out), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid, b.fp, s, (size_t)sl, out, sizeof out), BP_E_CRYPTO);
    int flipped_ok = 0;
    for (long i = 0; i < sl; i++) {
        s[i] ^= 0x20;
        flipped_ok += bp_ws_op_open(key, BILAN, opid, a.fp, s, (size_t)sl, out, sizeof out) >= 0;
        s[i] ^= 0x20;
    }
    CHECK_EQ_INT(flipped_ok, 0);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid, a.fp, s, (size_t)sl - 1, out, sizeof out), BP_E_CRYPTO);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid, a.fp, s, 28, out, sizeof out), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_ws_op_open(key, BILAN, opid, a.fp, s, (size_t)sl, out, n - 1), BP_E_TOO_LARGE);
    CHECK_EQ_INT(bp_ws_op_seal(key, BILAN, opid, a.fp, (const uint8_t *)op, 0, s2, sizeof s2), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_ws_op_seal(key, BILAN, opid, a.fp, (const uint8_t *)op, n, s2, n + 27), BP_E_TOO_LARGE);
    bp_identity_wipe(&a.id);
    bp_identity_wipe(&b.id);
}

/* The key id (PROTOCOL.md §10.2): a known answer computed outside this
 * code (Python's hashlib: SHA-256 of the label, its NUL and bytes 0..31),
 * and two keys never share one. */
static void test_kid(void)
{
    uint8_t k[32], k2[32];
    char kid[BP_WS_KID_LEN + 1], kid2[BP_WS_KID_LEN + 1];
    for (int i = 0; i < 32; i++)
        k[i] = (uint8_t)i;
    CHECK(bp_ws_kid(k, kid) == 0 && strcmp(kid, "Jp1hFoNgDEiTOV2XZDZJAw") == 0);
    memcpy(k2, k, 32);
    k2[31] ^= 1;
    CHECK(bp_ws_kid(k2, kid2) == 0 && strlen(kid2) == BP_WS_KID_LEN && strcmp(kid, kid2) != 0);
}

int main(void)
{
    test_kid();
    test_gcm_vectors();
    test_wrap();
    test_ops();
    return check_report();
}
