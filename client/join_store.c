/* join_store.c: the key store around a room visit (see join_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dialog.h"
#include "i18n.h"
#include "join_store.h"

void join_store_receipt(struct join_store *j, const char *bilan, const char *session,
                        const json_t *record, const json_t *attestation)
{
    char *rt = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    char *at = attestation ? json_dumps(attestation, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct ks_receipt r;
    memset(&r, 0, sizeof r);
    r.server_id = j->server_id;
    snprintf(r.bilan, sizeof r.bilan, "%s", bilan);
    snprintf(r.session, sizeof r.session, "%s", session);
    r.record = rt;
    r.attestation = at;
    if (!rt || !at || ks_receipt_put(j->a->ks, &r))
        fprintf(stderr,
                _("bilan : attention : impossible de garder une copie du relevé de la séance "
                  "%s : %s\n"),
                session, rt && at ? ks_error(j->a->ks) : _("mémoire insuffisante"));
    free(rt);
    free(at);
}

void join_store_receipt_sent(struct join_store *j, const char *session)
{
    if (ks_receipt_sent(j->a->ks, j->server_id, session))
        fprintf(stderr,
                _("bilan : attention : impossible de noter l'envoi du relevé de la séance "
                  "%s : %s\n"),
                session, ks_error(j->a->ks));
}

/* What this device saw of the sessions it took part in, kept for a record
 * that reaches it on a later visit (it was gone when the session closed). */
void join_store_attend_put(struct join_store *j, const char *bilan, const struct attend_obs *o)
{
    json_t *js = attend_to_json(o);
    char *text = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (!text || ks_attend_put(j->a->ks, j->server_id, bilan, o->session, text))
        fprintf(stderr,
                _("bilan : attention : impossible de garder ce que cet appareil a vu de la "
                  "séance %s : %s\n"),
                o->session, text ? ks_error(j->a->ks) : _("mémoire insuffisante"));
    free(text);
}

int join_store_attend_get(struct join_store *j, const char *bilan, const char *session,
                          struct attend_obs *o)
{
    char *text = NULL;
    int rc = ks_attend_get(j->a->ks, j->server_id, bilan, session, &text);
    if (rc < 0)
        fprintf(stderr,
                _("bilan : attention : impossible de lire ce que cet appareil a vu de la "
                  "séance %s : %s\n"),
                session, ks_error(j->a->ks));
    json_error_t je;
    json_t *js = rc == 0 && text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
    free(text);
    int ok = js && !attend_from_json(js, o);
    json_decref(js);
    return ok;
}

/* A receipt signed on an earlier visit whose acknowledgement never came
 * (the connection ended first): send it again now. */
static int pending_cb(void *arg, const struct ks_receipt *r)
{
    struct dialog *s = arg;
    json_error_t je;
    json_t *o = json_loads(r->attestation, JSON_REJECT_DUPLICATES, &je);
    struct bp_attestation at;
    struct bp_verr e;
    if (!o || bp_attest_from_json(o, &at, &e)) {
        fprintf(stderr,
                _("bilan : attention : le relevé gardé de la séance %s est illisible\n"),
                r->session);
    } else {
        fprintf(s->out, "[receipt] session=%s sending (signed earlier)\n", r->session);
        fflush(s->out);
        dialog_send_receipt(s, r->session, at.received_audio_ms, at.sas_verified, at.sig);
    }
    json_decref(o);
    return s->finished;
}

void join_store_send_pending(struct join_store *j, struct dialog *s)
{
    if (ks_receipt_each(j->a->ks, j->server_id, 1, pending_cb, s))
        fprintf(stderr,
                _("bilan : attention : impossible de lire les relevés en attente d'envoi : "
                  "%s\n"),
                ks_error(j->a->ks));
}

static int peer_cb(void *arg, const struct ks_peer *p)
{
    struct join_store *j = arg;
    if (p->verified)
        e2e_add_known(j->e2e, p->device, bp_role_parse(p->role, strlen(p->role)));
    return 0;
}

void join_store_remember_peer(void *store_ctx, const struct e2e_remember *r)
{
    struct join_store *j = store_ctx;
    struct ks_peer p;
    memset(&p, 0, sizeof p);
    p.server_id = j->server_id;
    snprintf(p.bilan, sizeof p.bilan, "%s", j->e2e->bilan);
    memcpy(p.device, r->fp, BP_FP_LEN);
    snprintf(p.role, sizeof p.role, "%s", r->role ? bp_role_name(r->role) : "");
    memcpy(p.sign_pub, r->sign_pub, BP_KEY_LEN);
    memcpy(p.dh_pub, r->dh_pub, BP_KEY_LEN);
    p.verified = r->verified;
    snprintf(p.method, sizeof p.method, "%s", r->method);
    if (ks_peer_put(j->a->ks, &p))
        fprintf(stderr, _("bilan : attention : impossible de retenir un correspondant : %s\n"),
                ks_error(j->a->ks));
    else if (j->sync)
        sheet_sync_peer(j->sync, j->dlg, r); /* it is trusted now: the worksheets' key may go to it */
}

/* The invite secrets and the verified peers of the bilan we are about to join. */
void join_store_load_e2e(struct join_store *j, const char *bilan)
{
    uint8_t secrets[E2E_SECRETS_MAX][BP_SECRET_LEN];
    int n = 0;
    if (ks_bilan_secrets(j->a->ks, j->server_id, bilan, secrets, E2E_SECRETS_MAX, &n))
        fprintf(stderr, _("bilan : attention : impossible de lire les secrets d'invitation : "
                          "%s\n"),
                ks_error(j->a->ks));
    for (int i = 0; i < n; i++)
        e2e_add_secret(j->e2e, secrets[i]);
    OPENSSL_cleanse(secrets, sizeof secrets);
    ks_peer_each(j->a->ks, j->server_id, bilan, peer_cb, j);
}

static int known_cb(void *arg, const struct ks_bilan *b)
{
    struct join_store *j = arg;
    if (b->redeemed && j->nknown < JOIN_KNOWN_MAX)
        snprintf(j->known[j->nknown++], BP_ID_MAX + 1, "%s", b->bilan);
    return 0;
}

static int is_known(const struct join_store *j, const char *id)
{
    for (int i = 0; i < j->nknown; i++)
        if (!strcmp(j->known[i], id))
            return 1;
    return 0;
}

/* Which bilan did the invite open? The welcome lists every bilan of this
 * device; the invite's is the beneficiary one we had not redeemed before
 * (a server may also say so in an optional "bilan" field). */
void join_store_known_before(struct join_store *j)
{
    j->nknown = 0;
    ks_bilan_each(j->a->ks, 0, known_cb, j);
}

const char *join_store_invite_bilan(const struct join_store *j, const json_t *m)
{
    const char *hint = bp_str(m, "bilan", NULL);
    if (hint && bp_id_ok(hint))
        return hint;
    const json_t *arr = json_object_get(m, "bilans");
    const char *fresh = NULL, *any = NULL;
    int nfresh = 0, nany = 0;
    size_t i;
    json_t *b;
    json_array_foreach(arr, i, b)
    {
        const char *id = bp_str(b, "bilan", NULL);
        const char *role = bp_str(b, "role", "");
        if (!id || !bp_id_ok(id) || bp_role_parse(role, strlen(role)) != BP_ROLE_BENEFICIARY)
            continue;
        any = id, nany++;
        if (!is_known(j, id))
            fresh = id, nfresh++;
    }
    if (nfresh == 1)
        return fresh;
    if (nfresh == 0 && nany == 1)
        return any; /* the same invite redeemed again after a crash */
    return NULL;
}
