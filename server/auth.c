/* auth.c: the identity rules of PROTOCOL.md §2.2 as plain functions.
 *
 * Redemption order (why): the signature is checked by the caller before any
 * token lookup, so the store is only consulted for holders of the device key;
 * then "already redeemed by this device" wins over expiry, so a client that
 * crashed before saving the answer can always finish; then "replaced by a
 * newer invite" (an unused invite is revoked when the bilan's consultant
 * prints another); then expiry; then the role rules. The write re-checks
 * that the token is still unused inside the transaction, so two processes
 * can never both redeem one token. */
#include <string.h>

#include "auth.h"
#include "log.h"

int auth_token_new(struct auth_token *t)
{
    /* A bare token is typed on command lines (`bilan enrol TOKEN`): one that
     * began with '-' (1 in 64) would be read as an option. Drawing again
     * costs 1/64 of a bit of the token's 256. */
    do {
        if (bp_random(t->raw, sizeof t->raw)) {
            auth_token_wipe(t);
            return BP_E_CRYPTO;
        }
        bp_b64_encode(t->raw, sizeof t->raw, t->b64);
    } while (t->b64[0] == '-');
    if (bp_sha256(t->raw, sizeof t->raw, t->hash)) {
        auth_token_wipe(t);
        return BP_E_CRYPTO;
    }
    return 0;
}

void auth_token_wipe(struct auth_token *t)
{
    explicit_bzero(t, sizeof *t);
}

int auth_bilan_id_new(char out[BP_ID_MAX + 1])
{
    uint8_t r[12];
    if (bp_random(r, sizeof r))
        return BP_E_CRYPTO;
    out[0] = 'b';
    bp_b64_encode(r, sizeof r, out + 1);
    return 0;
}

int auth_redeem_decide(const struct store_token *t, const struct store_device *existing,
                       const char *fp, int64_t now)
{
    if (t->used_by[0])
        return strcmp(t->used_by, fp) ? BP_E_TOKEN_USED : AUTH_REDEEM_AGAIN;
    /* Before expiry: a replaced link is usually also expired (its expiry
     * became the time it was replaced), and "ask for the latest link" is
     * what the person needs to hear. */
    if (t->kind == STORE_TOKEN_INVITE && t->replaced)
        return BP_E_TOKEN_REVOKED;
    if (now >= t->expires)
        return BP_E_TOKEN_EXPIRED;
    if (t->kind == STORE_TOKEN_ENROL) {
        /* A device keeps its role: only a new device, or one already bound to
         * this same consultant, may take a consultant enrolment token. */
        if (existing && (existing->role != BP_ROLE_CONSULTANT ||
                         existing->consultant_id != t->consultant_id))
            return BP_E_FORBIDDEN;
        return 0;
    }
    if (t->role != BP_ROLE_BENEFICIARY)
        return BP_E_FORBIDDEN;
    if (existing && existing->role == BP_ROLE_CONSULTANT)
        return BP_E_FORBIDDEN;
    return 0;
}

int auth_redeem(const struct store_ops *ops, struct store *st, const uint8_t token_hash[32],
                const struct store_device *dev, int64_t now, struct store_device *out)
{
    struct store_token t;
    struct store_device existing;
    int rc, have;
    if ((rc = ops->begin(st)))
        return rc;
    if ((rc = ops->identity->token_get(st, token_hash, &t)))
        goto out;
    rc = ops->identity->device_get(st, dev->fp, &existing);
    if (rc && rc != BP_E_UNKNOWN_DEVICE)
        goto out;
    have = rc == 0;
    rc = auth_redeem_decide(&t, have ? &existing : NULL, dev->fp, now);
    if (rc < 0)
        goto out;
    if (rc == AUTH_REDEEM_AGAIN) {
        ops->rollback(st);
        if (!have)
            return BP_E_INTERNAL; /* used_by points at a device that is gone */
        *out = existing;
        return 0;
    }
    if (have) {
        *out = existing;
    } else {
        *out = *dev;
        out->role = t.kind == STORE_TOKEN_ENROL ? BP_ROLE_CONSULTANT : t.role;
        out->consultant_id = t.kind == STORE_TOKEN_ENROL ? t.consultant_id : 0;
        if ((rc = ops->identity->device_add(st, out, now)))
            goto out;
    }
    if (t.kind == STORE_TOKEN_INVITE && (rc = ops->bilans->member_add(st, t.bilan, dev->fp, t.role, now)))
        goto out;
    if ((rc = ops->identity->token_mark_used(st, t.kind, token_hash, dev->fp, now)))
        goto out;
    return ops->commit(st);
out:
    ops->rollback(st);
    if (rc == STORE_E_EXISTS)
        rc = BP_E_INTERNAL;
    return rc;
}

int auth_check_enrol_sig(const uint8_t nonce[BP_NONCE_LEN], const uint8_t sign_pub[BP_KEY_LEN],
                         const uint8_t dh_pub[BP_KEY_LEN], const uint8_t token[BP_TOKEN_LEN],
                         const uint8_t sig[BP_SIG_LEN])
{
    uint8_t msg[BP_AUTH_MSG_MAX];
    int n = bp_auth_message(nonce, sign_pub, dh_pub, token, BP_TOKEN_LEN, msg);
    if (n < 0)
        return BP_E_INTERNAL;
    int rc = bp_ed25519_verify(sign_pub, msg, (size_t)n, sig) ? BP_E_BAD_SIGNATURE : 0;
    explicit_bzero(msg, sizeof msg); /* holds SHA-256(token) */
    return rc;
}

int auth_check_auth_sig(const uint8_t nonce[BP_NONCE_LEN], const struct store_device *d,
                        const uint8_t sig[BP_SIG_LEN])
{
    uint8_t msg[BP_AUTH_MSG_MAX];
    int n = bp_auth_message(nonce, d->sign_pub, d->dh_pub, NULL, 0, msg);
    if (n < 0)
        return BP_E_INTERNAL;
    return bp_ed25519_verify(d->sign_pub, msg, (size_t)n, sig) ? BP_E_BAD_SIGNATURE : 0;
}

int auth_join_role(const struct store_ops *ops, struct store *st, const char *bilan,
                   const struct store_device *dev, enum bp_role *role)
{
    struct store_bilan b;
    int rc = ops->bilans->bilan_get(st, bilan, &b);
    if (rc)
        return rc;
    if (dev->role == BP_ROLE_CONSULTANT && dev->consultant_id == b.owner_id) {
        *role = BP_ROLE_CONSULTANT;
        return 0;
    }
    return ops->bilans->member_role(st, bilan, dev->fp, role);
}

int auth_bilan_open(const struct store_ops *ops, struct store *st, const char *bilan)
{
    struct store_bilan b;
    int rc = ops->bilans->bilan_get(st, bilan, &b);
    return rc ? rc : b.closed ? BP_E_BILAN_CLOSED : 0;
}

int auth_issue_enrol_token(const struct store_ops *ops, struct store *st, int64_t consultant_id,
                           int64_t now, int64_t ttl_s, struct auth_token *tok)
{
    int rc = auth_token_new(tok);
    if (rc)
        return rc;
    rc = ops->identity->enrol_token_add(st, consultant_id, tok->hash, now, now + ttl_s);
    if (rc)
        auth_token_wipe(tok);
    return rc;
}
