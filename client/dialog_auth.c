/* dialog_auth.c: hello, challenge, welcome and the command's request (see
 * dialog_auth.h). */
#include <string.h>

#include <openssl/crypto.h>

#include "dialog_auth.h"
#include "i18n.h"
#include "util.h"

void dialog_auth_hello(struct dialog *d, uint64_t now)
{
    d->st = ST_HELLO;
    d->req.hello_sent_ms = now;
    dialog_send(d, json_pack("{s:s, s:i, s:s}", "type", "hello", "v", BP_PROTOCOL_VERSION, "client",
                             "bilan/" CLI_VERSION));
}

void dialog_auth_challenge(struct dialog *d, const json_t *m, uint64_t now)
{
    if (d->st != ST_HELLO) {
        dialog_fail(
            d, _("le serveur a répondu dans le désordre : ce n'est peut-être pas un serveur Bilan"),
            NULL);
        return;
    }
    dialog_note_rtt(d, d->req.hello_sent_ms, now);
    long long v = bp_int(m, "v", 0);
    if (v != BP_PROTOCOL_VERSION) {
        fprintf(
            d->err,
            _("bilan : le serveur parle la version %lld du protocole, ce programme la version %d : "
              "il faut mettre à jour le plus ancien des deux (Bilan, ou le serveur : prévenez "
              "l'administrateur)\n"),
            v, BP_PROTOCOL_VERSION);
        dialog_end(d, EXIT_REFUSED);
        return;
    }
    const struct bp_identity *id = d->id;
    uint8_t nonce[BP_NONCE_LEN], msg[BP_AUTH_MSG_MAX], sig[BP_SIG_LEN];
    if (bp_b64_decode_exact(bp_str(m, "nonce", ""), nonce, sizeof nonce)) {
        dialog_fail(
            d,
            _("le serveur a envoyé un message illisible : ce n'est peut-être pas un serveur Bilan"),
            NULL);
        return;
    }
    int enrol = d->req.mode == DIALOG_ENROL;
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, enrol ? d->req.token : NULL,
                            enrol ? BP_TOKEN_LEN : 0, msg);
    if (n < 0 || bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig)) {
        dialog_fail(
            d, _("cet appareil n'a pas pu signer sa demande de connexion (OpenSSL) : réessayez"),
            NULL);
        return;
    }
    char sig64[BP_B64_64 + 1], a[BP_B64_32 + 1], b[BP_B64_32 + 1], c[BP_B64_32 + 1];
    bp_b64_encode(sig, sizeof sig, sig64);
    json_t *o;
    if (enrol) {
        bp_b64_encode(d->req.token, BP_TOKEN_LEN, a);
        bp_b64_encode(id->sign_pub, BP_KEY_LEN, b);
        bp_b64_encode(id->dh_pub, BP_KEY_LEN, c);
        o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "enrol", "token", a, "sign_pub", b,
                      "dh_pub", c, "sig", sig64);
        if (o && d->req.device_name[0])
            json_object_set_new(o, "device_name", json_string(d->req.device_name));
        OPENSSL_cleanse(a, sizeof a);
    } else {
        uint8_t fp[BP_FP_LEN];
        if (bp_fingerprint(id->sign_pub, id->dh_pub, fp)) {
            dialog_fail(
                d, _("cet appareil n'a pas pu calculer son empreinte (OpenSSL) : réessayez"), NULL);
            return;
        }
        bp_b64_encode(fp, sizeof fp, a);
        o = json_pack("{s:s, s:s, s:s}", "type", "auth", "device", a, "sig", sig64);
    }
    d->st = ST_AUTH;
    dialog_send(d, o);
}

/* The command's request, once welcomed; NULL for GOAL_WELCOME. */
static json_t *request_of(struct dialog *d)
{
    const struct dialog_request *r = &d->req;
    json_t *o = NULL;
    switch (r->goal) {
    case GOAL_WELCOME:
        return NULL;
    case GOAL_CREATE:
        o = json_pack("{s:s, s:s}", "type", "bilan_create", "label", r->label);
        if (o && r->budget_s)
            json_object_set_new(o, "budget_s", json_integer(r->budget_s));
        if (o && r->invite_ttl_s)
            json_object_set_new(o, "invite_ttl_s", json_integer(r->invite_ttl_s));
        break;
    case GOAL_INVITE:
        o = json_pack("{s:s, s:s}", "type", "invite_create", "bilan", d->bilan);
        if (o && r->invite_ttl_s)
            json_object_set_new(o, "invite_ttl_s", json_integer(r->invite_ttl_s));
        break;
    case GOAL_LIST:
        o = json_pack("{s:s}", "type", "bilan_list");
        break;
    case GOAL_HOURS:
        o = json_pack("{s:s, s:s}", "type", "hours", "bilan", d->bilan);
        break;
    case GOAL_DECLARE:
        o = json_pack("{s:s, s:s, s:I}", "type", "personal_declare", "bilan", d->bilan, "seconds",
                      (json_int_t)r->declare_s);
        if (o && r->note[0])
            json_object_set_new(o, "note", json_string(r->note));
        break;
    case GOAL_JOIN:
        o = json_pack("{s:s, s:s}", "type", "join", "bilan", d->bilan);
        break;
    case GOAL_SHEETS:
        return NULL; /* the worksheets' side makes its own requests */
    case GOAL_CLOSE:
        o = json_pack("{s:s, s:s}", "type", "bilan_close", "bilan", d->bilan);
        break;
    case GOAL_CONSENT:
        o = json_pack("{s:s, s:s, s:s, s:s}", "type", "sheet_consent", "bilan", d->bilan, "statement",
                      r->statement, "sig", r->statement_sig);
        break;
    }
    return o;
}

void dialog_auth_welcome(struct dialog *d, const json_t *m, uint64_t now)
{
    if (d->st != ST_AUTH) {
        dialog_fail(
            d, _("le serveur a répondu dans le désordre : ce n'est peut-être pas un serveur Bilan"),
            NULL);
        return;
    }
    /* A server that welcomes another device is not talking to us: nothing it
     * says next (bilans, records to sign) may be taken as ours. */
    uint8_t me[BP_FP_LEN], said[BP_FP_LEN];
    if (bp_fingerprint(d->id->sign_pub, d->id->dh_pub, me) ||
        bp_b64_decode_exact(bp_str(m, "device", ""), said, BP_FP_LEN) ||
        memcmp(me, said, BP_FP_LEN)) {
        dialog_fail(d,
                    _("le serveur a accueilli un autre appareil que celui-ci : la connexion est "
                      "arrêtée ; n'allez pas plus loin et prévenez votre consultante ou votre "
                      "consultant"),
                    NULL);
        return;
    }
    int rc = d->app && d->app->on_reply ? d->app->on_reply(d->app_ctx, d, BP_T_WELCOME, m) : 0;
    if (rc) {
        dialog_end(d, rc);
        return;
    }
    if (d->finished)
        return; /* the command's hook failed something on the way */
    if (d->req.goal == GOAL_WELCOME) {
        dialog_end(d, EXIT_OK_);
        return;
    }
    if (d->req.goal == GOAL_SHEETS) {
        d->st = ST_REQUEST;
        if (!d->sheets) {
            dialog_end(d, EXIT_USAGE);
            return;
        }
        d->sheets->on_ready(d->sheets_ctx, d, now);
        return;
    }
    json_t *o = request_of(d);
    if (d->req.goal == GOAL_JOIN) {
        d->st = ST_JOINING;
        d->req.join_sent_ms = now;
    } else {
        d->st = ST_REQUEST;
    }
    dialog_send(d, o);
}

void dialog_auth_reply(struct dialog *d, enum bp_type t, const json_t *m)
{
    if (d->st != ST_REQUEST) {
        dialog_fail(
            d, _("le serveur a répondu dans le désordre : ce n'est peut-être pas un serveur Bilan"),
            NULL);
        return;
    }
    int rc = d->app && d->app->on_reply ? d->app->on_reply(d->app_ctx, d, t, m) : 0;
    dialog_end(d, rc);
}
