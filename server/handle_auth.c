/* handle_auth.c: the handshake (PROTOCOL.md §2.2): hello gets a challenge,
 * enrol (a token redeemed by a new device) or auth (a known device) signs it,
 * and a valid one gets welcome.
 *
 * Owns the challenge nonce of a connection and the decision to welcome it
 * (state authenticated, the transport told once). One attempt per challenge:
 * a failure needs a new hello. Failures that tell a guesser something are
 * counted by the rate limiter, per address and globally; when an address or
 * the whole server is limited, enrol is refused before its token is looked
 * up, while auth is still verified: only a valid signature of a known device
 * gets through.
 *
 * The dispatch table has checked the state (hello before authentication,
 * enrol and auth once challenged) and the message's schema.
 *
 * Must never: log or echo tokens, keys, nonces or signatures; keep a token
 * in memory after the attempt (wiped). */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handle_auth.h"
#include "handle_bilan.h"
#include "log.h"

/* opened: the bilan an invite just opened to this device (enrolment by
 * invite), so that a device with several bilans knows which one; or NULL. */
static void welcome(struct conn *c, const char *ref, const char *opened, struct now now)
{
    c->state = CS_AUTHED;
    c->srv->transport->authenticated(c);
    memset(c->nonce, 0, sizeof c->nonce);
    c->consultant_name[0] = '\0';
    if (c->dev.role == BP_ROLE_CONSULTANT &&
        c->srv->ops->identity->consultant_name(c->srv->st, c->dev.consultant_id, c->consultant_name))
        c->consultant_name[0] = '\0';
    json_t *o = conn_reply("welcome", ref);
    if (o) {
        json_object_set_new(o, "role", json_string(bp_role_name(c->dev.role)));
        json_object_set_new(o, "device", json_string(c->dev.fp));
        if (c->consultant_name[0])
            json_object_set_new(o, "name", json_string(c->consultant_name));
        if (opened && *opened)
            json_object_set_new(o, "bilan", json_string(opened));
        handle_bilan_list_fill(c, o);
    }
    c->srv->auth_ok++;
    conn_send_json(c, o, now);
}

/* Rate-limit clock: monotonic seconds, so that a wall-clock step neither
 * opens nor extends a window. */
static int64_t rl_now(struct now now)
{
    return now.ms / 1000;
}

/* Whether code is a failure §2.2 counts (it tells a guesser something). */
static int counted_failure(int code)
{
    switch (code) {
    case BP_E_BAD_SIGNATURE:
    case BP_E_UNKNOWN_TOKEN:
    case BP_E_TOKEN_USED:
    case BP_E_TOKEN_EXPIRED:
    case BP_E_TOKEN_REVOKED:
    case BP_E_UNKNOWN_DEVICE:
        return 1;
    default:
        return 0;
    }
}

/* A failed attempt. limited: the address, the overflow it shares or the
 * global ceiling was already used up when the attempt began; then the failure
 * is answered rate_limited, whatever it was, and counted for the address only:
 * the global ceiling counts only the failures answered with their own code,
 * which are the ones that tell a guesser something (PROTOCOL.md §2.2). */
static void auth_failed(struct conn *c, int code, int limited, const char *ref, struct now now)
{
    if (counted_failure(code)) {
        ratelimit_fail(&c->srv->rl, c->ip, rl_now(now), !limited);
        c->srv->auth_failed++;
    }
    if (limited) {
        log_warn("auth from %s refused: rate limited (%s)", c->ip, bp_err_code(code));
        conn_send_error(c, BP_E_RATE_LIMITED, NULL, ref, now);
        return;
    }
    log_info("auth from %s refused: %s", c->ip, bp_err_code(code));
    conn_send_error(c, code, NULL, ref, now);
}

void handle_hello(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    long long v = bp_int(msg, "v", -1);
    if (v != BP_PROTOCOL_VERSION) {
        char why[160];
        snprintf(why, sizeof why,
                 "This server speaks protocol version %d, your client version %lld. Update the bilan client.",
                 BP_PROTOCOL_VERSION, v);
        conn_send_error(c, BP_E_VERSION, why, ref, now);
        return;
    }
    if (bp_random(c->nonce, sizeof c->nonce)) {
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    /* What the device says it is, passed on to the room as it was said
     * (PROTOCOL.md §3.2, member object): the browser client runs code this
     * server delivers, and the people in the room should know. */
    c->browser = !strncmp(bp_str(msg, "client", ""), BP_BROWSER_CLIENT, strlen(BP_BROWSER_CLIENT));
    char nonce[BP_B64_32 + 1];
    bp_b64_encode(c->nonce, sizeof c->nonce, nonce);
    c->state = CS_CHALLENGED;
    json_t *o = conn_reply("challenge", ref);
    if (o) {
        json_object_set_new(o, "v", json_integer(BP_PROTOCOL_VERSION));
        json_object_set_new(o, "nonce", json_string(nonce));
        json_object_set_new(o, "server", json_string(SERVER_NAME));
    }
    conn_send_json(c, o, now);
}

/* enrol/auth common entry (c is challenged): consumes the challenge, then
 * the rate limit. *limited: whether this attempt may only succeed (see
 * auth_failed()). */
static void attempt_begin(struct conn *c, uint8_t nonce[BP_NONCE_LEN], int *limited, struct now now)
{
    /* One attempt per challenge: a failure needs a new hello. */
    memcpy(nonce, c->nonce, BP_NONCE_LEN);
    memset(c->nonce, 0, sizeof c->nonce);
    c->state = CS_NEW;
    *limited = ratelimit_blocked(&c->srv->rl, c->ip, rl_now(now)) ||
               ratelimit_global_blocked(&c->srv->rl, rl_now(now));
}

void handle_enrol(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    uint8_t nonce[BP_NONCE_LEN], token[BP_TOKEN_LEN], hash[32], sig[BP_SIG_LEN];
    struct store_device d, out;
    int limited;
    attempt_begin(c, nonce, &limited, now);
    if (limited) {
        /* Before the token is decoded or looked up: a guess gets no answer. */
        log_warn("enrol from %s refused: rate limited", c->ip);
        conn_send_error(c, BP_E_RATE_LIMITED, NULL, ref, now);
        return;
    }
    memset(&d, 0, sizeof d);
    /* The schema guarantees these decode. */
    if (bp_b64_decode_exact(bp_str(msg, "token", ""), token, sizeof token) ||
        bp_b64_decode_exact(bp_str(msg, "sign_pub", ""), d.sign_pub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "dh_pub", ""), d.dh_pub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "sig", ""), sig, sizeof sig) ||
        bp_fingerprint(d.sign_pub, d.dh_pub, c->fp) || bp_sha256(token, sizeof token, hash)) {
        memset(token, 0, sizeof token);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    bp_b64_encode(c->fp, BP_FP_LEN, d.fp);
    snprintf(d.name, sizeof d.name, "%s", bp_str(msg, "device_name", ""));
    int rc = auth_check_enrol_sig(nonce, d.sign_pub, d.dh_pub, token, sig);
    memset(token, 0, sizeof token);
    if (!rc)
        rc = auth_redeem(c->srv->ops, c->srv->st, hash, &d, now.s, &out);
    if (rc == BP_E_FORBIDDEN) {
        log_info("enrol from %s refused: forbidden for this device's role", c->ip);
        conn_send_error(c, rc, "A device keeps its role: a consultant device cannot redeem a beneficiary "
                        "invite, and a beneficiary device cannot take a consultant enrolment token. "
                        "Use another device.", ref, now);
        return;
    }
    if (rc) {
        auth_failed(c, rc, 0, ref, now);
        return;
    }
    c->dev = out;
    char f[9];
    log_fp8(c->fp, f);
    log_info("device %s enrolled from %s as %s", f, c->ip, bp_role_name(out.role));
    struct store_token t;
    const char *opened = NULL;
    if (!c->srv->ops->identity->token_get(c->srv->st, hash, &t) && t.kind == STORE_TOKEN_INVITE)
        opened = t.bilan;
    welcome(c, ref, opened, now);
}

void handle_auth(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    uint8_t nonce[BP_NONCE_LEN], sig[BP_SIG_LEN];
    struct store_device d;
    int limited;
    attempt_begin(c, nonce, &limited, now);
    const char *dev = bp_str(msg, "device", "");
    if (bp_b64_decode_exact(dev, c->fp, BP_FP_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "sig", ""), sig, sizeof sig)) {
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    int rc = c->srv->ops->identity->device_get(c->srv->st, dev, &d);
    if (!rc)
        rc = auth_check_auth_sig(nonce, &d, sig);
    if (rc) {
        /* Checked even when limited: a valid signature of a known device is
         * not a guess, so an attack cannot lock members out. */
        memset(c->fp, 0, sizeof c->fp);
        auth_failed(c, rc, limited, ref, now);
        return;
    }
    c->dev = d;
    char f[9];
    log_fp8(c->fp, f);
    log_info("device %s authenticated from %s as %s", f, c->ip, bp_role_name(d.role));
    welcome(c, ref, NULL, now);
}
