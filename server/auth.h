/* auth.h: identity decisions on top of the store (PROTOCOL.md §2): verifying
 * a challenge signature, redeeming enrolment and invite tokens, deciding who
 * may join which bilan, and minting tokens and bilan ids.
 *
 * Owns no state. No lws and no SQL here: the store is reached through its ops
 * table, time is passed in, so tests drive it with a temporary database and a
 * fake clock. Token bytes live only in the caller's buffers; these functions
 * hash them and never keep them. */
#ifndef SERVER_AUTH_H
#define SERVER_AUTH_H

#include <stdint.h>

#include "bp/bp.h"
#include "store.h"

/* A fresh token: 32 random bytes, their base64url form, their SHA-256. */
struct auth_token {
    uint8_t raw[BP_TOKEN_LEN];
    char b64[BP_B64_32 + 1];
    uint8_t hash[32];
};
int auth_token_new(struct auth_token *t);
/* Erases t. */
void auth_token_wipe(struct auth_token *t);

/* A bilan id: "b" followed by 16 base64url characters (96 random bits). */
int auth_bilan_id_new(char out[BP_ID_MAX + 1]);

/* Outcome of a redemption as a pure function of the token row and the device
 * row (NULL when the device is new): 0 (redeem now), AUTH_REDEEM_AGAIN (this
 * device already redeemed it: succeed without writing), or a BP_E_* refusal. */
#define AUTH_REDEEM_AGAIN 1
int auth_redeem_decide(const struct store_token *t, const struct store_device *existing,
                       const char *fp, int64_t now);

/* Redeems token_hash for the device described by dev (fp, keys, name), in one
 * store transaction. On success fills *out with the device as stored (role,
 * consultant) and returns 0; otherwise a BP_E_* code (BP_E_UNKNOWN_TOKEN,
 * BP_E_TOKEN_USED, BP_E_TOKEN_REVOKED, BP_E_TOKEN_EXPIRED, BP_E_FORBIDDEN,
 * BP_E_INTERNAL). */
int auth_redeem(const struct store_ops *ops, struct store *st, const uint8_t token_hash[32],
                const struct store_device *dev, int64_t now, struct store_device *out);

/* Checks an enrol signature: sig over the enrolment message for nonce, keys
 * and token. 0 or BP_E_BAD_SIGNATURE. */
int auth_check_enrol_sig(const uint8_t nonce[BP_NONCE_LEN], const uint8_t sign_pub[BP_KEY_LEN],
                         const uint8_t dh_pub[BP_KEY_LEN], const uint8_t token[BP_TOKEN_LEN],
                         const uint8_t sig[BP_SIG_LEN]);
/* Checks an auth signature for a known device. 0 or BP_E_BAD_SIGNATURE. */
int auth_check_auth_sig(const uint8_t nonce[BP_NONCE_LEN], const struct store_device *d,
                        const uint8_t sig[BP_SIG_LEN]);

/* The role dev has in bilan: consultant when its consultant owns the bilan,
 * else its member role. BP_E_UNKNOWN_BILAN, BP_E_NOT_MEMBER or BP_E_INTERNAL. */
int auth_join_role(const struct store_ops *ops, struct store *st, const char *bilan,
                   const struct store_device *dev, enum bp_role *role);

/* Whether bilan still takes changes (PROTOCOL.md §10.4): 0 while open;
 * BP_E_BILAN_CLOSED once closed, BP_E_UNKNOWN_BILAN or BP_E_INTERNAL. */
int auth_bilan_open(const struct store_ops *ops, struct store *st, const char *bilan);

/* Issues an enrolment token for consultant id, valid ttl_s from now. */
int auth_issue_enrol_token(const struct store_ops *ops, struct store *st, int64_t consultant_id,
                           int64_t now, int64_t ttl_s, struct auth_token *tok);

#endif
