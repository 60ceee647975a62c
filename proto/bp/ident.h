/* ident.h: device identity keys, fingerprints, the signatures that
 * authenticate a connection (PROTOCOL.md §2), and the thin wrappers over
 * OpenSSL EVP that every proto file signs, hashes and derives with (ident.c).
 *
 * Must never: implement a primitive, or leave private key material behind:
 * bp_identity_wipe erases it. */
#ifndef BP_IDENT_H
#define BP_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "bp/err.h"
#include "bp/limits.h"

struct bp_identity {
    uint8_t sign_pub[BP_KEY_LEN];  /* Ed25519 */
    uint8_t sign_priv[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];    /* X25519 */
    uint8_t dh_priv[BP_KEY_LEN];
};

/* Fresh keys from the OpenSSL RNG. */
int bp_identity_generate(struct bp_identity *id);
/* Recomputes the public halves from the private ones (for loading). */
int bp_identity_derive_public(struct bp_identity *id);
/* Erases private key material. */
void bp_identity_wipe(struct bp_identity *id);
/* fp = SHA-256("bilan-device-v1" || sign_pub || dh_pub). */
int bp_fingerprint(const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN],
                   uint8_t fp[BP_FP_LEN]);
/* Human form of a fingerprint: 8 groups of 4 lowercase hex digits over its
 * first 16 bytes, space separated (39 chars + NUL). */
void bp_fingerprint_human(const uint8_t fp[BP_FP_LEN], char out[40]);

int bp_ed25519_sign(const uint8_t priv[BP_KEY_LEN], const uint8_t *msg, size_t n,
                    uint8_t sig[BP_SIG_LEN]);
/* 0 if valid, BP_E_BAD_SIGNATURE otherwise. */
int bp_ed25519_verify(const uint8_t pub[BP_KEY_LEN], const uint8_t *msg, size_t n,
                      const uint8_t sig[BP_SIG_LEN]);
int bp_x25519_public(const uint8_t priv[BP_KEY_LEN], uint8_t pub[BP_KEY_LEN]);
int bp_x25519(const uint8_t priv[BP_KEY_LEN], const uint8_t peer_pub[BP_KEY_LEN],
              uint8_t shared[BP_KEY_LEN]);
int bp_sha256(const uint8_t *in, size_t n, uint8_t out[32]);
/* HKDF-SHA256 (RFC 5869) extract-and-expand. */
int bp_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
int bp_random(uint8_t *out, size_t n);
/* Constant-time comparison: 0 when equal. */
int bp_ct_cmp(const void *a, const void *b, size_t n);

/* What a device signs to prove it holds its key for this connection.
 * msg = "bilan-auth-v1" 0x00 || nonce || sign_pub || dh_pub, and for an
 * enrolment "bilan-enrol-v1" 0x00 || nonce || sign_pub || dh_pub || SHA-256(token).
 * out must hold BP_AUTH_MSG_MAX bytes; returns the length. token may be NULL
 * (auth) or the token's raw bytes (enrol). */
#define BP_AUTH_MSG_MAX 160
int bp_auth_message(const uint8_t nonce[BP_NONCE_LEN], const uint8_t sign_pub[BP_KEY_LEN],
                    const uint8_t dh_pub[BP_KEY_LEN], const uint8_t *token, size_t token_len,
                    uint8_t out[BP_AUTH_MSG_MAX]);

#endif
