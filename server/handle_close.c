/* handle_close.c: bilan_close (PROTOCOL.md §10.4). The bilan's consultant
 * closes it: in one transaction the server marks it closed and deletes
 * every sealed operation except those of the sheets the beneficiary's
 * latest consent names (with none kept, also the key wraps and the
 * consent); the reply counts what went and what stays, and the members in
 * the room get the same bilan_closed. The purge a year later is purge.c's.
 *
 * Must never: close a bilan while one of its sessions is open, keep an
 * operation of a sheet the consent does not name, or say more than counts
 * (the server has no content and no sheet's name to say). */
#include <stdio.h>
#include <string.h>

#include "handle_close.h"
#include "log.h"
#include "room.h"

static int open_session(void *arg, const struct store_session *s)
{
    if (s->closed_ms < 0)
        *(int *)arg = 1;
    return 0;
}

/* The sheets to keep: those of the bilan's consent (a statement the server
 * checked when it came), or none. 0 or BP_E_INTERNAL. */
static int kept_sheets(struct server *srv, const char *bilan, struct bp_ws_consent *k)
{
    struct store_sheet_consent sc;
    memset(k, 0, sizeof *k);
    int rc = srv->ops->worksheets->sheet_consent_get(srv->st, bilan, &sc);
    if (rc == STORE_E_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (bp_ws_consent_parse(sc.statement, strlen(sc.statement), k, NULL)) {
        log_warn("bilan %s: its stored consent no longer parses: no sheet is kept", bilan);
        memset(k, 0, sizeof *k);
    }
    return 0;
}

static json_t *closed_message(const char *ref, const char *bilan, int64_t closed, const struct bp_ws_consent *k,
                              const struct store_sheet_counts *n)
{
    json_t *m = conn_reply("bilan_closed", ref), *kept = json_array();
    for (size_t i = 0; kept && i < k->n_sheets; i++)
        json_array_append_new(kept, json_string(k->sheets[i]));
    if (!m || !kept) {
        json_decref(m);
        json_decref(kept);
        return NULL;
    }
    json_object_set_new(m, "bilan", json_string(bilan));
    json_object_set_new(m, "closed", json_integer(closed));
    json_object_set_new(m, "deleted_ops", json_integer(n->deleted_ops));
    json_object_set_new(m, "deleted_bytes", json_integer(n->deleted_bytes));
    json_object_set_new(m, "kept_sheets", kept);
    json_object_set_new(m, "kept_ops", json_integer(n->kept_ops));
    return m;
}

void handle_bilan_close(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const struct store_ops *ops = srv->ops;
    const char *bilan = bp_str(msg, "bilan", "");
    struct store_bilan b;
    int rc = ops->bilans->bilan_get(srv->st, bilan, &b);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (c->dev.role != BP_ROLE_CONSULTANT || c->dev.consultant_id != b.owner_id) {
        conn_send_error(c, BP_E_FORBIDDEN, "only the consultant of this bilan closes it", ref, now);
        return;
    }
    /* An open session (in its room, or waiting for its members after a
     * restart) is open in the store: it would count hours into a closed
     * bilan. A second close is refused by the store's bilan_close. */
    int open = 0;
    if (ops->journal->sessions_of_bilan(srv->st, bilan, open_session, &open)) {
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    if (open) {
        conn_send_error(c, BP_E_WRONG_STATE, "close the session first", ref, now);
        return;
    }
    struct bp_ws_consent k;
    struct store_sheet_counts n;
    int64_t closed = server_clock_s(srv, now);
    rc = kept_sheets(srv, bilan, &k);
    if (!rc)
        rc = ops->begin(srv->st);
    if (!rc) {
        rc = ops->worksheets->bilan_close(srv->st, bilan, closed, (const char(*)[BP_WS_SHEET_B64 + 1])k.sheets,
                                          k.n_sheets, &n);
        if (!rc)
            rc = ops->commit(srv->st);
        else
            ops->rollback(srv->st);
    }
    if (rc) {
        conn_send_error(c, rc == BP_E_BILAN_CLOSED ? rc : BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("device %s closed bilan %s: %lld operation(s) deleted (%lld bytes), %lld kept in %zu sheet(s)%s", f,
             bilan, (long long)n.deleted_ops, (long long)n.deleted_bytes, (long long)n.kept_ops, k.n_sheets,
             k.n_sheets ? "" : "; key wraps and consent deleted");
    struct room *room = rooms_get(&srv->rooms, bilan, 0);
    for (int i = 0; room && i < BP_MAX_MEMBERS; i++) {
        struct conn *r = room->m[i].conn;
        if (r && r != c && !r->closing)
            conn_send_json(r, closed_message(NULL, bilan, closed, &k, &n), now);
    }
    conn_send_json(c, closed_message(ref, bilan, closed, &k, &n), now);
}
