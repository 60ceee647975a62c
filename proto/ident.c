/* ident.c: device identity keys (Ed25519 + X25519), fingerprints, the
 * connection-authentication message, and thin wrappers over OpenSSL EVP for
 * the primitives the protocol uses. No primitive is implemented here: every
 * operation is one EVP call sequence. Private key material is cleansed on
 * every path that held it. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "bp/ident.h"

int bp_random(uint8_t *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? 0 : BP_E_CRYPTO;
}

int bp_ct_cmp(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) ? 1 : 0;
}

int bp_sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    return EVP_Digest(in, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : BP_E_CRYPTO;
}

/* Public half of a raw private key of the given type. */
static int raw_public(int type, const uint8_t priv[BP_KEY_LEN], uint8_t pub[BP_KEY_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(type, NULL, priv, BP_KEY_LEN);
    size_t len = BP_KEY_LEN;
    int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == BP_KEY_LEN;
    EVP_PKEY_free(k);
    return ok ? 0 : BP_E_CRYPTO;
}

static int raw_generate(int type, uint8_t priv[BP_KEY_LEN], uint8_t pub[BP_KEY_LEN])
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
    size_t plen = BP_KEY_LEN, qlen = BP_KEY_LEN;
    int ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1 &&
             EVP_PKEY_get_raw_private_key(k, priv, &plen) == 1 && plen == BP_KEY_LEN &&
             EVP_PKEY_get_raw_public_key(k, pub, &qlen) == 1 && qlen == BP_KEY_LEN;
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        OPENSSL_cleanse(priv, BP_KEY_LEN);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_identity_generate(struct bp_identity *id)
{
    if (raw_generate(EVP_PKEY_ED25519, id->sign_priv, id->sign_pub) ||
        raw_generate(EVP_PKEY_X25519, id->dh_priv, id->dh_pub)) {
        bp_identity_wipe(id);
        return BP_E_CRYPTO;
    }
    return 0;
}

int bp_identity_derive_public(struct bp_identity *id)
{
    if (raw_public(EVP_PKEY_ED25519, id->sign_priv, id->sign_pub) ||
        raw_public(EVP_PKEY_X25519, id->dh_priv, id->dh_pub))
        return BP_E_CRYPTO;
    return 0;
}

void bp_identity_wipe(struct bp_identity *id)
{
    OPENSSL_cleanse(id, sizeof *id);
}

int bp_fingerprint(const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN],
                   uint8_t fp[BP_FP_LEN])
{
    static const char ctx[] = "bilan-device-v1";
    uint8_t buf[sizeof ctx - 1 + 2 * BP_KEY_LEN];
    memcpy(buf, ctx, sizeof ctx - 1);
    memcpy(buf + sizeof ctx - 1, sign_pub, BP_KEY_LEN);
    memcpy(buf + sizeof ctx - 1 + BP_KEY_LEN, dh_pub, BP_KEY_LEN);
    return bp_sha256(buf, sizeof buf, fp);
}

void bp_fingerprint_human(const uint8_t fp[BP_FP_LEN], char out[40])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        out[o++] = hex[fp[i] >> 4];
        out[o++] = hex[fp[i] & 15];
        if (i % 2 == 1 && i != 15)
            out[o++] = ' ';
    }
    out[o] = '\0';
}

int bp_ed25519_sign(const uint8_t priv[BP_KEY_LEN], const uint8_t *msg, size_t n,
                    uint8_t sig[BP_SIG_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, BP_KEY_LEN);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = BP_SIG_LEN;
    int ok = k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(md, sig, &len, msg, n) == 1 && len == BP_SIG_LEN;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_ed25519_verify(const uint8_t pub[BP_KEY_LEN], const uint8_t *msg, size_t n,
                      const uint8_t sig[BP_SIG_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, BP_KEY_LEN);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(md, sig, BP_SIG_LEN, msg, n) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok ? 0 : BP_E_BAD_SIGNATURE;
}

int bp_x25519_public(const uint8_t priv[BP_KEY_LEN], uint8_t pub[BP_KEY_LEN])
{
    return raw_public(EVP_PKEY_X25519, priv, pub);
}

int bp_x25519(const uint8_t priv[BP_KEY_LEN], const uint8_t peer_pub[BP_KEY_LEN],
              uint8_t shared[BP_KEY_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, BP_KEY_LEN);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, BP_KEY_LEN);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    size_t len = BP_KEY_LEN;
    /* OpenSSL refuses an all-zero shared secret (small-order peer key). */
    int ok = ctx && p && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
             EVP_PKEY_derive(ctx, shared, &len) == 1 && len == BP_KEY_LEN;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    if (!ok)
        OPENSSL_cleanse(shared, BP_KEY_LEN);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5], *p = params;
    static char digest[] = "SHA256";
    static const uint8_t empty[1];
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    /* An absent salt is HashLen zeros (RFC 5869 §2.2); OpenSSL does that for an empty one. */
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                             (void *)(salt ? salt : empty), salt ? salt_len : 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                             (void *)(info ? info : empty), info ? info_len : 0);
    *p = OSSL_PARAM_construct_end();
    int ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_auth_message(const uint8_t nonce[BP_NONCE_LEN], const uint8_t sign_pub[BP_KEY_LEN],
                    const uint8_t dh_pub[BP_KEY_LEN], const uint8_t *token, size_t token_len,
                    uint8_t out[BP_AUTH_MSG_MAX])
{
    static const char auth_ctx[] = "bilan-auth-v1";   /* sizeof includes the NUL separator */
    static const char enrol_ctx[] = "bilan-enrol-v1";
    const char *c = token ? enrol_ctx : auth_ctx;
    size_t clen = token ? sizeof enrol_ctx : sizeof auth_ctx;
    size_t o = 0;
    memcpy(out, c, clen);
    o += clen;
    memcpy(out + o, nonce, BP_NONCE_LEN);
    o += BP_NONCE_LEN;
    memcpy(out + o, sign_pub, BP_KEY_LEN);
    o += BP_KEY_LEN;
    memcpy(out + o, dh_pub, BP_KEY_LEN);
    o += BP_KEY_LEN;
    if (token) {
        if (bp_sha256(token, token_len, out + o))
            return BP_E_CRYPTO;
        o += 32;
    }
    return (int)o;
}
