/* purge.c: the purge of closed bilans (see purge.h). A year after the
 * close the beneficiary's consent runs out: what the close kept goes too.
 * The hours journal, the receipts and the bilan's row stay (administrative
 * records); the row says when it was purged.
 *
 * Must never: touch a bilan closed less than PURGE_AFTER_S ago, or log or
 * print anything but ids and counts. */
#include <string.h>

#include "log.h"
#include "purge.h"

static int first(void *arg, const struct store_bilan *b)
{
    *(struct store_bilan *)arg = *b;
    return 1;
}

int purge_run(const struct store_ops *ops, struct store *st, int64_t now, purge_cb cb, void *arg,
              struct purge_totals *t)
{
    memset(t, 0, sizeof *t);
    for (;;) {
        /* One at a time: each purge marks its bilan, so the next query
         * moves on (no walk over rows that change under it). */
        struct store_bilan b;
        memset(&b, 0, sizeof b);
        int rc = ops->worksheets->bilans_to_purge(st, now - PURGE_AFTER_S, first, &b);
        if (rc < 0)
            return BP_E_INTERNAL;
        if (!b.id[0])
            return 0;
        struct store_sheet_counts n;
        rc = ops->begin(st);
        if (!rc) {
            rc = ops->worksheets->bilan_purge(st, b.id, now, &n);
            if (!rc)
                rc = ops->commit(st);
            else
                ops->rollback(st);
        }
        if (rc)
            return BP_E_INTERNAL;
        t->bilans++;
        t->ops += n.deleted_ops;
        t->bytes += n.deleted_bytes;
        t->wraps += n.deleted_wraps;
        t->consents += n.deleted_consents;
        if (cb)
            cb(arg, b.id, b.closed, &n);
    }
}

static void log_one(void *arg, const char *bilan, int64_t closed, const struct store_sheet_counts *n)
{
    (void)arg;
    log_info("purge: bilan %s (closed at %lld): %lld operation(s) (%lld bytes), %lld key wrap(s), %lld consent(s) "
             "deleted", bilan, (long long)closed, (long long)n->deleted_ops, (long long)n->deleted_bytes,
             (long long)n->deleted_wraps, (long long)n->deleted_consents);
}

void purge_tick(struct server *srv, struct now now)
{
    int64_t clock = server_clock_s(srv, now);
    if (!srv->st || clock < srv->purge_next_s)
        return;
    srv->purge_next_s = clock + PURGE_EVERY_S;
    struct purge_totals t;
    if (purge_run(srv->ops, srv->st, clock, log_one, NULL, &t)) {
        log_warn("purge: the store failed; the purge runs again in 24 h");
        return;
    }
    log_info("purge: %lld bilan(s) purged, %lld operation(s) (%lld bytes), %lld key wrap(s), %lld consent(s) "
             "deleted", (long long)t.bilans, (long long)t.ops, (long long)t.bytes, (long long)t.wraps,
             (long long)t.consents);
}
