/* sframe.c: SFrame (RFC 9605) with cipher suite AES_128_GCM_SHA256_128
 * (0x0004) on every bilan binary frame (PROTOCOL.md §8.4), and its replay
 * window.
 *
 * Owns: the SFrame header codec, the per-KID key/salt derivation, sealing and
 * opening, the routing-header metadata used as AAD, the 128-counter replay
 * window.
 *
 * Wire layout of an SFrame ciphertext (RFC 9605 §4.2, §4.3):
 *
 *   config byte: X(1) K(3) Y(1) C(3)
 *     X = 0: KID = K (0..7), no KID bytes follow
 *     X = 1: K + 1 KID bytes follow (big-endian)
 *     Y/C:   same for CTR, after the KID bytes
 *   AEAD ciphertext (same length as the plaintext) || 16-byte tag
 *
 *   nonce = sframe_salt XOR (CTR as 12 bytes big-endian)
 *   AAD   = SFrame header || metadata
 *
 * Invariants: every primitive is OpenSSL EVP (HKDF via EVP_KDF, AES-128-GCM
 * via EVP_CIPHER_CTX); each key holds one encryption and one decryption
 * context keyed once in bp_sframe_key_derive, so a frame costs only an IV
 * setup plus one GCM pass. Key material is cleansed on wipe and on every
 * failure path; a frame that fails authentication leaves zeros, never
 * unauthenticated plaintext, in the caller's buffer.
 *
 * Must never: do I/O, read a clock, log, or read past a (pointer, length).
 * A key's contexts are not safe for concurrent seal/open on the same key from
 * two threads (callers hold one key per thread or a lock).
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "bp/e2e.h"

#define SFRAME_NH 32 /* SHA-256 output: the size of sframe_secret */

static const char key_label[] = "SFrame 1.0 Secret key ";
static const char salt_label[] = "SFrame 1.0 Secret salt ";

/* ---------------------------------------------------------------- keys */

/* One HKDF step through EVP_KDF. mode is EVP_KDF_HKDF_MODE_EXTRACT_ONLY
 * (in = IKM, no salt: RFC 9605 uses the empty salt, which HKDF treats as
 * HashLen zero bytes) or EVP_KDF_HKDF_MODE_EXPAND_ONLY (in = PRK, info). */
static int hkdf_step(int mode, const uint8_t *in, size_t in_len, const uint8_t *info,
                     size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)in, in_len);
    if (info)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx); /* cleanses its copy of the key */
    EVP_KDF_free(kdf);
    if (!ok)
        OPENSSL_cleanse(out, out_len);
    return ok ? 0 : BP_E_CRYPTO;
}

/* label || KID (u64 BE) || cipher suite (u16 BE); returns its length. */
static size_t make_label(const char *label, uint64_t kid, uint8_t *out)
{
    size_t n = strlen(label);
    memcpy(out, label, n);
    for (int i = 0; i < 8; i++)
        out[n + (size_t)i] = (uint8_t)(kid >> (56 - 8 * i));
    out[n + 8] = (uint8_t)(BP_SFRAME_SUITE >> 8);
    out[n + 9] = (uint8_t)(BP_SFRAME_SUITE & 0xff);
    return n + 10;
}

/* A GCM context keyed with key, IV length 12; the IV comes per frame. */
static EVP_CIPHER_CTX *gcm_ctx_new(const uint8_t key[BP_SFRAME_NK], int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return NULL;
    if (EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, BP_SFRAME_NN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, NULL, enc) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

int bp_sframe_key_derive(const uint8_t *base_key, size_t base_len, uint64_t kid,
                         struct bp_sframe_key *k)
{
    uint8_t secret[SFRAME_NH];
    uint8_t label[sizeof salt_label - 1 + 10];
    int rc;

    memset(k, 0, sizeof *k);
    /* An empty base key is a caller's bug, not key material (ours are
     * BP_BASE_KEY_LEN bytes): refuse it rather than derive from nothing. */
    if (!base_key || base_len == 0)
        return BP_E_INVALID_FIELD;
    k->kid = kid;
    rc = hkdf_step(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, base_key, base_len, NULL, 0, secret,
                   sizeof secret);
    if (rc)
        goto fail;
    size_t n = make_label(key_label, kid, label);
    rc = hkdf_step(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, sizeof secret, label, n, k->key,
                   sizeof k->key);
    if (rc)
        goto fail;
    n = make_label(salt_label, kid, label);
    rc = hkdf_step(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, sizeof secret, label, n, k->salt,
                   sizeof k->salt);
    if (rc)
        goto fail;
    k->enc = gcm_ctx_new(k->key, 1);
    k->dec = gcm_ctx_new(k->key, 0);
    if (!k->enc || !k->dec) {
        rc = BP_E_CRYPTO;
        goto fail;
    }
    OPENSSL_cleanse(secret, sizeof secret);
    return 0;
fail:
    OPENSSL_cleanse(secret, sizeof secret);
    bp_sframe_key_wipe(k);
    return rc;
}

void bp_sframe_key_wipe(struct bp_sframe_key *k)
{
    if (!k)
        return;
    /* EVP_CIPHER_CTX_free cleanses the key schedule it holds. */
    EVP_CIPHER_CTX_free(k->enc);
    EVP_CIPHER_CTX_free(k->dec);
    OPENSSL_cleanse(k, sizeof *k);
}

/* -------------------------------------------------------------- header */

/* Bytes needed for v in the compact form (1..8), v >= 8. */
static unsigned min_bytes(uint64_t v)
{
    unsigned n = 1;
    while (n < 8 && (v >> (8 * n)) != 0)
        n++;
    return n;
}

static size_t put_be(uint64_t v, unsigned n, uint8_t *out)
{
    for (unsigned i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

size_t bp_sframe_hdr_encode(uint64_t kid, uint64_t ctr, uint8_t out[BP_SFRAME_HDR_MAX])
{
    size_t len = 1;
    uint8_t cfg = 0;
    if (kid < 8) {
        cfg |= (uint8_t)(kid << 4);
    } else {
        unsigned n = min_bytes(kid);
        cfg |= (uint8_t)(0x80 | ((n - 1) << 4));
        len += put_be(kid, n, out + len);
    }
    if (ctr < 8) {
        cfg |= (uint8_t)ctr;
    } else {
        unsigned n = min_bytes(ctr);
        cfg |= (uint8_t)(0x08 | (n - 1));
        len += put_be(ctr, n, out + len);
    }
    out[0] = cfg;
    return len;
}

/* Non-minimal encodings (X = 1 with a value below 8, leading zero bytes) are
 * accepted as RFC 9605 decoders do; they cannot authenticate anyway, since the
 * header bytes themselves are in the AAD and our sender writes the minimal form. */
int bp_sframe_hdr_decode(const uint8_t *in, size_t len, uint64_t *kid, uint64_t *ctr)
{
    if (len < 1)
        return BP_E_BAD_FRAME;
    uint8_t cfg = in[0];
    size_t klen = (cfg & 0x80) ? (size_t)((cfg >> 4) & 7) + 1 : 0;
    size_t clen = (cfg & 0x08) ? (size_t)(cfg & 7) + 1 : 0;
    if (len - 1 < klen + clen)
        return BP_E_BAD_FRAME;
    uint64_t k = klen ? 0 : (uint64_t)((cfg >> 4) & 7);
    uint64_t c = clen ? 0 : (uint64_t)(cfg & 7);
    size_t pos = 1;
    for (size_t i = 0; i < klen; i++)
        k = (k << 8) | in[pos++];
    for (size_t i = 0; i < clen; i++)
        c = (c << 8) | in[pos++];
    if (kid)
        *kid = k;
    if (ctr)
        *ctr = c;
    return (int)pos;
}

/* ---------------------------------------------------------- seal, open */

static void make_nonce(const struct bp_sframe_key *k, uint64_t ctr, uint8_t nonce[BP_SFRAME_NN])
{
    memcpy(nonce, k->salt, BP_SFRAME_NN);
    for (int i = 0; i < 8; i++)
        nonce[BP_SFRAME_NN - 1 - i] ^= (uint8_t)(ctr >> (8 * i));
}

int bp_sframe_seal(struct bp_sframe_key *k, uint64_t ctr, const uint8_t *meta, size_t meta_len,
                   const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap)
{
    if (ctr > BP_SFRAME_CTR_MAX || meta_len > INT_MAX)
        return BP_E_INVALID_FIELD;
    if (!k->enc)
        return BP_E_CRYPTO;
    uint8_t hdr[BP_SFRAME_HDR_MAX];
    size_t hl = bp_sframe_hdr_encode(k->kid, ctr, hdr);
    /* The result is returned as an int: refuse lengths it cannot carry. */
    if (pt_len > (size_t)INT_MAX - BP_SFRAME_OVERHEAD || cap < hl + pt_len + BP_SFRAME_NT)
        return BP_E_TOO_LARGE;

    EVP_CIPHER_CTX *c = k->enc;
    uint8_t nonce[BP_SFRAME_NN];
    int outl = 0, finl = 0;
    make_nonce(k, ctr, nonce);
    /* The header goes to out first: the caller may not alias it, and GCM
     * needs the AAD before the payload anyway. */
    memcpy(out, hdr, hl);
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
        EVP_EncryptUpdate(c, NULL, &outl, hdr, (int)hl) != 1 ||
        (meta_len && EVP_EncryptUpdate(c, NULL, &outl, meta, (int)meta_len) != 1) ||
        (pt_len && EVP_EncryptUpdate(c, out + hl, &outl, pt, (int)pt_len) != 1) ||
        EVP_EncryptFinal_ex(c, out + hl + pt_len, &finl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, BP_SFRAME_NT, out + hl + pt_len) != 1) {
        OPENSSL_cleanse(out, hl + pt_len + BP_SFRAME_NT);
        return BP_E_CRYPTO;
    }
    return (int)(hl + pt_len + BP_SFRAME_NT);
}

int bp_sframe_open(struct bp_sframe_key *k, const uint8_t *meta, size_t meta_len,
                   const uint8_t *in, size_t in_len, uint8_t *pt, size_t cap, uint64_t *ctr_out)
{
    uint64_t kid, ctr;
    int hl = bp_sframe_hdr_decode(in, in_len, &kid, &ctr);
    if (hl < 0)
        return hl;
    /* A sender never seals past BP_SFRAME_CTR_MAX (§8.4): such a frame is
     * malformed whatever its tag says. */
    if (kid != k->kid || ctr > BP_SFRAME_CTR_MAX || in_len - (size_t)hl < BP_SFRAME_NT)
        return BP_E_BAD_FRAME;
    size_t ct_len = in_len - (size_t)hl - BP_SFRAME_NT;
    if (ct_len > INT_MAX || meta_len > INT_MAX)
        return BP_E_TOO_LARGE;
    if (ct_len > cap)
        return BP_E_TOO_LARGE;
    if (!k->dec)
        return BP_E_CRYPTO;

    EVP_CIPHER_CTX *c = k->dec;
    uint8_t nonce[BP_SFRAME_NN], tag[BP_SFRAME_NT];
    int outl = 0, finl = 0;
    make_nonce(k, ctr, nonce);
    memcpy(tag, in + (size_t)hl + ct_len, BP_SFRAME_NT); /* SET_TAG wants non-const */
    if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
        EVP_DecryptUpdate(c, NULL, &outl, in, hl) != 1 ||
        (meta_len && EVP_DecryptUpdate(c, NULL, &outl, meta, (int)meta_len) != 1) ||
        (ct_len && EVP_DecryptUpdate(c, pt, &outl, in + hl, (int)ct_len) != 1) ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, BP_SFRAME_NT, tag) != 1 ||
        EVP_DecryptFinal_ex(c, pt + ct_len, &finl) != 1) {
        /* Never hand back unauthenticated plaintext. */
        if (ct_len)
            OPENSSL_cleanse(pt, ct_len);
        return BP_E_CRYPTO;
    }
    if (ctr_out)
        *ctr_out = ctr;
    return (int)ct_len;
}

void bp_sframe_meta(const uint8_t routing_hdr[BP_HDR_LEN], uint8_t meta[BP_SFRAME_META_LEN])
{
    /* Byte 3, the sender slot, is rewritten by the server: outside the AAD. */
    memcpy(meta, routing_hdr, 3);
    memcpy(meta + 3, routing_hdr + 4, BP_HDR_LEN - 4);
}

/* ------------------------------------------------------- replay window */

/* Window bit i (0..127) stands for counter top - i: bits[0] holds i 0..63,
 * bits[1] holds 64..127. top itself is always marked once any is set. */

int bp_replay_check(const struct bp_replay *w, uint64_t ctr)
{
    if (!w->any || ctr > w->top)
        return 0;
    uint64_t d = w->top - ctr;
    if (d >= BP_REPLAY_WINDOW)
        return BP_E_BAD_FRAME; /* too old to tell: refuse */
    return (w->bits[d / 64] >> (d % 64)) & 1 ? BP_E_BAD_FRAME : 0;
}

void bp_replay_update(struct bp_replay *w, uint64_t ctr)
{
    if (!w->any) {
        w->any = 1;
        w->top = ctr;
        w->bits[0] = 1;
        w->bits[1] = 0;
        return;
    }
    if (ctr > w->top) {
        uint64_t s = ctr - w->top;
        if (s >= 128) {
            w->bits[0] = w->bits[1] = 0;
        } else if (s >= 64) {
            w->bits[1] = w->bits[0] << (s - 64);
            w->bits[0] = 0;
        } else {
            w->bits[1] = (w->bits[1] << s) | (w->bits[0] >> (64 - s));
            w->bits[0] <<= s;
        }
        w->bits[0] |= 1;
        w->top = ctr;
        return;
    }
    uint64_t d = w->top - ctr;
    if (d < BP_REPLAY_WINDOW)
        w->bits[d / 64] |= UINT64_C(1) << (d % 64);
}
