/* ws_seal.c: see bp/ws_seal.h for the layouts. */
#include "bp/ws_seal.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bp/b64.h"
#include "bp/err.h"
#include "bp/ident.h"

#define WRAP_LABEL "bilan-ws-wrap-v1"
#define OP_LABEL "bilan-ws-op-v1"
/* The longest associated data: a label, its 0x00, the bilan, two ids. */
#define AAD_MAX (32 + 1 + 1 + BP_ID_MAX + BP_FP_LEN + BP_FP_LEN)

static int bilan_len(const char *bilan)
{
    if (!bilan)
        return -1;
    size_t n = strnlen(bilan, BP_ID_MAX + 1);
    return n >= 1 && n <= BP_ID_MAX ? (int)n : -1;
}

/* label 0x00 || u8 len(bilan) || bilan || a (alen) || b (blen); the HKDF
 * info is the same without the label and its 0x00 (skip). */
static size_t context(uint8_t *out, const char *label, const char *bilan, int blen, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen2)
{
    size_t o = 0, l = strlen(label);
    memcpy(out + o, label, l);
    o += l;
    out[o++] = 0x00;
    out[o++] = (uint8_t)blen;
    memcpy(out + o, bilan, (size_t)blen);
    o += (size_t)blen;
    memcpy(out + o, a, alen);
    o += alen;
    memcpy(out + o, b, blen2);
    return o + blen2;
}

int bp_ws_gcm_seal_nonce(const uint8_t key[32], const uint8_t nonce[BP_WS_NONCE_LEN], const uint8_t *aad,
                         size_t aad_len, const uint8_t *pt, size_t len, uint8_t *out)
{
    int n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && len <= (size_t)BP_WS_PLAIN_MAX &&
             EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, BP_WS_NONCE_LEN, NULL) == 1 &&
             EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
             (!aad_len || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
             (!len || EVP_EncryptUpdate(ctx, out, &n, pt, (int)len) == 1) && (!len || (size_t)n == len) &&
             EVP_EncryptFinal_ex(ctx, out + len, &n) == 1 && n == 0 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BP_WS_TAG_LEN, out + len) == 1;
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    return ok ? 0 : BP_E_CRYPTO;
}

/* Opens ct || tag (len bytes of ct) into out; 0 or BP_E_CRYPTO. */
static int gcm_open(const uint8_t key[32], const uint8_t nonce[BP_WS_NONCE_LEN], const uint8_t *aad, size_t aad_len,
                    const uint8_t *ct, size_t len, uint8_t *out)
{
    int n = 0;
    uint8_t tag[BP_WS_TAG_LEN];
    memcpy(tag, ct + len, BP_WS_TAG_LEN);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, BP_WS_NONCE_LEN, NULL) == 1 &&
             EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
             (!len || EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) == 1) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BP_WS_TAG_LEN, tag) == 1 &&
             EVP_DecryptFinal_ex(ctx, out + len, &n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        OPENSSL_cleanse(out, len);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_ws_key_new(uint8_t key[BP_WS_KEY_LEN])
{
    return bp_random(key, BP_WS_KEY_LEN) ? BP_E_CRYPTO : 0;
}

int bp_ws_kid(const uint8_t key[BP_WS_KEY_LEN], char out[BP_WS_KID_LEN + 1])
{
    static const char label[] = "bilan-ws-kid-v1"; /* and its NUL */
    uint8_t md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(c, label, sizeof label) && EVP_DigestUpdate(c, key, BP_WS_KEY_LEN) &&
             EVP_DigestFinal_ex(c, md, &mdlen) && mdlen == sizeof md;
    EVP_MD_CTX_free(c);
    if (!ok)
        return BP_E_CRYPTO;
    bp_b64_encode(md, 16, out);
    out[BP_WS_KID_LEN] = '\0';
    return 0;
}

/* The wrap's key between two devices (either side computes it). */
static int wrap_key(const uint8_t my_priv[BP_KEY_LEN], const uint8_t peer_pub[BP_KEY_LEN], const char *bilan,
                    int blen, const uint8_t from_fp[BP_FP_LEN], const uint8_t to_fp[BP_FP_LEN], uint8_t k[32])
{
    uint8_t shared[BP_KEY_LEN], info[AAD_MAX];
    size_t skip = strlen(WRAP_LABEL) + 1;
    size_t ilen = context(info, WRAP_LABEL, bilan, blen, from_fp, BP_FP_LEN, to_fp, BP_FP_LEN) - skip;
    int rc = bp_x25519(my_priv, peer_pub, shared);
    if (!rc)
        rc = bp_hkdf_sha256((const uint8_t *)WRAP_LABEL, strlen(WRAP_LABEL), shared, sizeof shared, info + skip,
                            ilen, k, 32);
    OPENSSL_cleanse(shared, sizeof shared);
    return rc ? BP_E_CRYPTO : 0;
}

int bp_ws_key_wrap(const uint8_t from_dh_priv[BP_KEY_LEN], const uint8_t from_fp[BP_FP_LEN],
                   const uint8_t to_dh_pub[BP_KEY_LEN], const uint8_t to_fp[BP_FP_LEN], const char *bilan,
                   const uint8_t key[BP_WS_KEY_LEN], uint8_t out[BP_WS_WRAP_LEN])
{
    int blen = bilan_len(bilan);
    memset(out, 0, BP_WS_WRAP_LEN);
    if (blen < 0)
        return BP_E_INVALID_FIELD;
    uint8_t k[32], aad[AAD_MAX];
    size_t alen = context(aad, WRAP_LABEL, bilan, blen, from_fp, BP_FP_LEN, to_fp, BP_FP_LEN);
    int rc = wrap_key(from_dh_priv, to_dh_pub, bilan, blen, from_fp, to_fp, k);
    if (!rc)
        rc = bp_random(out, BP_WS_NONCE_LEN) ? BP_E_CRYPTO : 0;
    if (!rc)
        rc = bp_ws_gcm_seal_nonce(k, out, aad, alen, key, BP_WS_KEY_LEN, out + BP_WS_NONCE_LEN);
    OPENSSL_cleanse(k, sizeof k);
    if (rc)
        OPENSSL_cleanse(out, BP_WS_WRAP_LEN);
    return rc;
}

int bp_ws_key_unwrap(const uint8_t to_dh_priv[BP_KEY_LEN], const uint8_t to_fp[BP_FP_LEN],
                     const uint8_t from_dh_pub[BP_KEY_LEN], const uint8_t from_fp[BP_FP_LEN], const char *bilan,
                     const uint8_t in[BP_WS_WRAP_LEN], uint8_t key[BP_WS_KEY_LEN])
{
    int blen = bilan_len(bilan);
    memset(key, 0, BP_WS_KEY_LEN);
    if (blen < 0)
        return BP_E_CRYPTO;
    uint8_t k[32], aad[AAD_MAX];
    size_t alen = context(aad, WRAP_LABEL, bilan, blen, from_fp, BP_FP_LEN, to_fp, BP_FP_LEN);
    int rc = wrap_key(to_dh_priv, from_dh_pub, bilan, blen, from_fp, to_fp, k);
    if (!rc)
        rc = gcm_open(k, in, aad, alen, in + BP_WS_NONCE_LEN, BP_WS_KEY_LEN, key);
    OPENSSL_cleanse(k, sizeof k);
    return rc ? BP_E_CRYPTO : 0;
}

long bp_ws_op_seal(const uint8_t key[BP_WS_KEY_LEN], const char *bilan, const uint8_t op_id[BP_WS_OPID_RAW],
                   const uint8_t author_fp[BP_FP_LEN], const uint8_t *op, size_t len, uint8_t *out, size_t cap)
{
    int blen = bilan_len(bilan);
    if (blen < 0 || len < 1 || len > BP_WS_PLAIN_MAX)
        return BP_E_INVALID_FIELD;
    if (cap < len + BP_WS_SEAL_OVERHEAD)
        return BP_E_TOO_LARGE;
    uint8_t aad[AAD_MAX];
    size_t alen = context(aad, OP_LABEL, bilan, blen, op_id, BP_WS_OPID_RAW, author_fp, BP_FP_LEN);
    if (bp_random(out, BP_WS_NONCE_LEN) ||
        bp_ws_gcm_seal_nonce(key, out, aad, alen, op, len, out + BP_WS_NONCE_LEN)) {
        OPENSSL_cleanse(out, len + BP_WS_SEAL_OVERHEAD);
        return BP_E_CRYPTO;
    }
    return (long)(len + BP_WS_SEAL_OVERHEAD);
}

long bp_ws_op_open(const uint8_t key[BP_WS_KEY_LEN], const char *bilan, const uint8_t op_id[BP_WS_OPID_RAW],
                   const uint8_t author_fp[BP_FP_LEN], const uint8_t *sealed, size_t len, uint8_t *out,
                   size_t cap)
{
    int blen = bilan_len(bilan);
    if (blen < 0 || len < BP_WS_SEAL_OVERHEAD + 1 || len > BP_WS_PLAIN_MAX + BP_WS_SEAL_OVERHEAD)
        return BP_E_INVALID_FIELD;
    size_t n = len - BP_WS_SEAL_OVERHEAD;
    if (cap < n)
        return BP_E_TOO_LARGE;
    uint8_t aad[AAD_MAX];
    size_t alen = context(aad, OP_LABEL, bilan, blen, op_id, BP_WS_OPID_RAW, author_fp, BP_FP_LEN);
    if (gcm_open(key, sealed, aad, alen, sealed + BP_WS_NONCE_LEN, n, out))
        return BP_E_CRYPTO;
    return (long)n;
}
