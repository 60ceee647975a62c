/* handle_bilan.c: the requests of an authenticated device about its bilans
 * and its connection (PROTOCOL.md §3.1, §4): bilan_create (a consultant opens
 * a bilan and gets its first invite), invite_create (its owner reprints the
 * invite), bilan_list, and stats (this connection's queue and counters).
 *
 * Owns nothing: writes bilans and invites through the store (one
 * transaction each), answers through conn.h. The dispatch table has checked
 * the state and the schema; the role checks are here, after the state.
 *
 * Must never: log or echo an invite token except in the reply to its
 * creator (it is wiped after). */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handle_bilan.h"
#include "log.h"

/* The bilan objects of one message: at most BILANS_LIST_MAX, and fewer when
 * they would pass BILANS_LIST_BYTES (a closed bilan's sheets_kept makes its
 * object longer): the message stays under BP_MAX_CTRL. Newest first, so the
 * oldest are the ones left out. */
#define BILANS_LIST_BYTES (56 * 1024)
struct bilan_list {
    json_t *arr;
    size_t bytes;
};

static int collect_bilan(void *arg, const struct store_bilan *b)
{
    struct bilan_list *l = arg;
    json_t *e = json_pack("{s:s, s:s, s:s, s:I}", "bilan", b->id, "label", b->label, "role",
                          bp_role_name(b->role), "budget_s", (json_int_t)b->budget_s);
    if (!e)
        return BP_E_NOMEM;
    /* The close (PROTOCOL.md §10.4): when, what was kept, when purged. */
    if (b->closed)
        json_object_set_new(e, "closed", json_integer(b->closed));
    json_t *kept = b->closed && !b->purged && b->sheets_kept[0] ? json_loads(b->sheets_kept, 0, NULL) : NULL;
    if (json_is_array(kept) && json_array_size(kept))
        json_object_set(e, "sheets_kept", kept);
    json_decref(kept);
    if (b->purged)
        json_object_set_new(e, "purged", json_integer(b->purged));
    size_t n = json_dumpb(e, NULL, 0, JSON_COMPACT) + 1;
    if (l->bytes + n > BILANS_LIST_BYTES) {
        json_decref(e);
        return 1; /* full: the walk stops, the list so far stays */
    }
    l->bytes += n;
    if (json_array_append_new(l->arr, e))
        return BP_E_NOMEM;
    return 0;
}

void handle_bilan_list_fill(struct conn *c, json_t *o)
{
    struct bilan_list l = {json_array(), 0};
    if (!l.arr || !o) {
        json_decref(l.arr);
        return;
    }
    if (c->srv->ops->bilans->bilans_for_device(c->srv->st, &c->dev, BILANS_LIST_MAX, collect_bilan, &l) < 0)
        json_array_clear(l.arr);
    json_object_set_new(o, "bilans", l.arr);
}

void handle_bilan_create(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (c->dev.role != BP_ROLE_CONSULTANT) {
        conn_send_error(c, BP_E_FORBIDDEN, "only consultants create bilans", ref, now);
        return;
    }
    const struct store_ops *ops = c->srv->ops;
    struct store_bilan b;
    struct auth_token tok;
    memset(&b, 0, sizeof b);
    snprintf(b.label, sizeof b.label, "%s", bp_str(msg, "label", ""));
    b.owner_id = c->dev.consultant_id;
    b.budget_s = bp_int(msg, "budget_s", BP_BUDGET_DEFAULT_S);
    int64_t ttl = bp_int(msg, "invite_ttl_s", c->srv->invite_ttl_s);
    int rc = auth_token_new(&tok);
    if (!rc)
        rc = ops->begin(c->srv->st);
    if (!rc) {
        /* 96 random bits: a clash is practically impossible, but cheap to retry. */
        for (int i = 0; i < 3; i++) {
            if ((rc = auth_bilan_id_new(b.id)))
                break;
            if ((rc = ops->bilans->bilan_add(c->srv->st, &b, now.s)) != STORE_E_EXISTS)
                break;
        }
        if (!rc)
            rc = ops->identity->invite_add(c->srv->st, b.id, BP_ROLE_BENEFICIARY, tok.hash, now.s, now.s + ttl);
        if (!rc)
            rc = ops->commit(c->srv->st);
        else
            ops->rollback(c->srv->st);
    }
    if (rc) {
        auth_token_wipe(&tok);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("device %s created bilan %s", f, b.id);
    json_t *o = conn_reply("bilan_created", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(b.id));
        json_object_set_new(o, "label", json_string(b.label));
        json_object_set_new(o, "budget_s", json_integer(b.budget_s));
        json_object_set_new(o, "invite_token", json_string(tok.b64));
        json_object_set_new(o, "invite_expires", json_integer(now.s + ttl));
    }
    auth_token_wipe(&tok);
    conn_send_json(c, o, now);
}

void handle_invite_create(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    const struct store_ops *ops = c->srv->ops;
    const char *id = bp_str(msg, "bilan", "");
    struct store_bilan b;
    int rc = ops->bilans->bilan_get(c->srv->st, id, &b);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (c->dev.role != BP_ROLE_CONSULTANT || c->dev.consultant_id != b.owner_id) {
        conn_send_error(c, BP_E_FORBIDDEN, "only the consultant who owns this bilan invites to it", ref, now);
        return;
    }
    if (b.closed) { /* a closed bilan takes no new member (§10.4) */
        conn_send_error(c, BP_E_BILAN_CLOSED, NULL, ref, now);
        return;
    }
    int64_t ttl = bp_int(msg, "invite_ttl_s", c->srv->invite_ttl_s), revoked = 0;
    struct auth_token tok;
    rc = auth_token_new(&tok);
    if (!rc)
        rc = ops->begin(c->srv->st);
    if (!rc) {
        /* A reprint replaces the links not used yet: one link in circulation
         * at a time, and an old one says "replaced" (token_revoked). */
        rc = ops->identity->invites_revoke(c->srv->st, b.id, BP_ROLE_BENEFICIARY, now.s, &revoked);
        if (!rc)
            rc = ops->identity->invite_add(c->srv->st, b.id, BP_ROLE_BENEFICIARY, tok.hash, now.s, now.s + ttl);
        if (!rc)
            rc = ops->commit(c->srv->st);
        else
            ops->rollback(c->srv->st);
    }
    if (rc) {
        auth_token_wipe(&tok);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    if (revoked) {
        char f[9];
        log_fp8(c->fp, f);
        log_info("device %s reprinted an invite of bilan %s: %lld unused earlier invite(s) revoked",
                 f, b.id, (long long)revoked);
    }
    json_t *o = conn_reply("invite_created", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(b.id));
        json_object_set_new(o, "invite_token", json_string(tok.b64));
        json_object_set_new(o, "invite_expires", json_integer(now.s + ttl));
    }
    auth_token_wipe(&tok);
    conn_send_json(c, o, now);
}

void handle_bilan_list(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)msg;
    json_t *o = conn_reply("bilans", ref);
    handle_bilan_list_fill(c, o);
    conn_send_json(c, o, now);
}

void handle_stats(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)msg;
    json_t *o = conn_reply("stats", ref);
    if (o) {
        json_object_set_new(o, "queued_bytes", json_integer((json_int_t)c->q.bytes));
        json_object_set_new(o, "dropped_video", json_integer((json_int_t)c->dropped_video));
        json_object_set_new(o, "frames_in", json_integer((json_int_t)c->frames_in));
        json_object_set_new(o, "frames_out", json_integer((json_int_t)c->frames_out));
    }
    conn_send_json(c, o, now);
}
