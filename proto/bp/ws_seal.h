/* ws_seal.h: the worksheets' cryptography (docs/WORKSHEETS.md, "Keys"):
 * the bilan's document key wrapped from one device to another, and each
 * operation sealed under it. OpenSSL EVP only (X25519, HKDF-SHA256,
 * AES-256-GCM): no primitive is written here.
 *
 * Wrap (device A gives the document key to device B):
 *   shared = X25519(A's dh_priv, B's dh_pub)
 *   K      = HKDF-SHA256(salt = "bilan-ws-wrap-v1", ikm = shared,
 *                        info = u8 len(bilan) || bilan || A fp || B fp), 32 bytes
 *   wrap   = nonce (12, random) || AES-256-GCM(K, nonce, aad, doc key) || tag (16)
 *   aad    = "bilan-ws-wrap-v1" 0x00 || u8 len(bilan) || bilan || A fp || B fp
 * B opens it with X25519(B's dh_priv, A's dh_pub): only the two devices can,
 * and a wrap moved to another bilan, another recipient or said to come from
 * another device does not open.
 *
 * Seal (an operation's plaintext, the canonical JSON of docs/WORKSHEETS.md):
 *   sealed = nonce (12, random) || AES-256-GCM(doc key, nonce, aad, op) || tag (16)
 *   aad    = "bilan-ws-op-v1" 0x00 || u8 len(bilan) || bilan || op id (16) || author fp
 * so that the server, which sees the bilan, the op id and the author in
 * clear to store and order them, cannot move a sealed operation to another
 * bilan, give it another id, or lend it to another author. Random nonces: a
 * bilan's key seals tens of thousands of operations at most, far below the
 * 2^32 a random 96-bit nonce allows per key.
 *
 * Owns: these layouts. Must never: keep a key past a call, or leave key
 * material in its stack buffers (cleansed). */
#ifndef BP_WS_SEAL_H
#define BP_WS_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "bp/limits.h"

#define BP_WS_KEY_LEN 32                                   /* the document key */
#define BP_WS_OPID_RAW 16 /* an operation or sheet id, raw (ws_op.h: BP_WS_OPID_LEN, its base64url) */
#define BP_WS_NONCE_LEN 12
#define BP_WS_TAG_LEN 16
#define BP_WS_WRAP_LEN (BP_WS_NONCE_LEN + BP_WS_KEY_LEN + BP_WS_TAG_LEN) /* 60 */
#define BP_WS_SEAL_OVERHEAD (BP_WS_NONCE_LEN + BP_WS_TAG_LEN)            /* 28 */
/* An operation's plaintext, bytes: a 20,000-byte text with every character
 * escaped fits, and its sealed form in base64url still fits in one control
 * message (BP_MAX_CTRL, 64 KiB) with the message around it. */
#define BP_WS_PLAIN_MAX 46000 /* bytes of an operation that can be sealed (ws_op.h: BP_WS_OP_MAX, what parses) */
#define BP_WS_SEALED_MIN (BP_WS_SEAL_OVERHEAD + 1)
#define BP_WS_SEALED_MAX (BP_WS_PLAIN_MAX + BP_WS_SEAL_OVERHEAD)
#define BP_WS_SEALED_B64_MIN ((BP_WS_SEALED_MIN * 4 + 2) / 3)   /* base64url without padding */
#define BP_WS_SEALED_B64_MAX ((BP_WS_SEALED_MAX * 4 + 2) / 3)
#define BP_WS_OPS_PER_MSG 256 /* operations in one sheet_ops message, at most */
#define BP_WS_KID_RAW 16      /* a document key's id: SHA-256("bilan-ws-kid-v1" 0 || key)[0..15] */
#define BP_WS_WRAPS_MAX 64    /* key wraps a bilan holds, at most (PROTOCOL.md §10.2) */

/* A new document key (random). 0 or BP_E_CRYPTO. */
int bp_ws_key_new(uint8_t key[BP_WS_KEY_LEN]);
/* The key's id (PROTOCOL.md §10.2): base64url of the first 16 bytes of
 * SHA-256("bilan-ws-kid-v1" 0x00 || key), 22 characters and a NUL. 0 or
 * BP_E_CRYPTO. It names the key on the wire; it reveals nothing of it. */
#define BP_WS_KID_LEN 22
int bp_ws_kid(const uint8_t key[BP_WS_KEY_LEN], char out[BP_WS_KID_LEN + 1]);
/* Wraps key from device (from_dh_priv, from_fp) to device (to_dh_pub,
 * to_fp) for bilan. 0, BP_E_INVALID_FIELD (bilan not an id) or BP_E_CRYPTO. */
int bp_ws_key_wrap(const uint8_t from_dh_priv[BP_KEY_LEN], const uint8_t from_fp[BP_FP_LEN],
                   const uint8_t to_dh_pub[BP_KEY_LEN], const uint8_t to_fp[BP_FP_LEN], const char *bilan,
                   const uint8_t key[BP_WS_KEY_LEN], uint8_t out[BP_WS_WRAP_LEN]);
/* Opens a wrap made for (to_dh_priv, to_fp) by (from_dh_pub, from_fp). 0,
 * or BP_E_CRYPTO when it does not authenticate (key is then zeroed). */
int bp_ws_key_unwrap(const uint8_t to_dh_priv[BP_KEY_LEN], const uint8_t to_fp[BP_FP_LEN],
                     const uint8_t from_dh_pub[BP_KEY_LEN], const uint8_t from_fp[BP_FP_LEN], const char *bilan,
                     const uint8_t in[BP_WS_WRAP_LEN], uint8_t key[BP_WS_KEY_LEN]);

/* Seals op (len bytes, 1..BP_WS_PLAIN_MAX) into out (cap at least len +
 * BP_WS_SEAL_OVERHEAD). Returns the sealed length, or a negative BP_E_*. */
long bp_ws_op_seal(const uint8_t key[BP_WS_KEY_LEN], const char *bilan, const uint8_t op_id[BP_WS_OPID_RAW],
                   const uint8_t author_fp[BP_FP_LEN], const uint8_t *op, size_t len, uint8_t *out, size_t cap);
/* Opens sealed (len bytes) into out (cap at least len - overhead). Returns
 * the plaintext length, or BP_E_CRYPTO when it does not authenticate (wrong
 * key, bilan, op id or author; altered), BP_E_INVALID_FIELD when too short
 * or too long. When it does not authenticate, out is left zeroed (GCM
 * decrypts before it checks the tag: nothing unchecked is kept). */
long bp_ws_op_open(const uint8_t key[BP_WS_KEY_LEN], const char *bilan, const uint8_t op_id[BP_WS_OPID_RAW],
                   const uint8_t author_fp[BP_FP_LEN], const uint8_t *sealed, size_t len, uint8_t *out,
                   size_t cap);

/* AES-256-GCM with a given nonce (what the two above do after drawing it):
 * for the known-answer tests only; the product never picks a nonce. out
 * gets ct || tag (len + 16 bytes). 0 or BP_E_CRYPTO. */
int bp_ws_gcm_seal_nonce(const uint8_t key[32], const uint8_t nonce[BP_WS_NONCE_LEN], const uint8_t *aad,
                         size_t aad_len, const uint8_t *pt, size_t len, uint8_t *out);

#endif
