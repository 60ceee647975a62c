/* test_purge.c: server/purge.c, the purge of closed bilans (PROTOCOL.md
 * §10.4), driven through the once-a-second sweep (conn_sweep) as serve
 * drives it: on the server's clock moved by the test offset, a bilan closed
 * 365 days ago is purged at the first sweep and one closed an hour later is
 * not; two hours later it is due but the purge waits for its 24 h; then it
 * goes. purge_run's totals add up the bilans it purged. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "lifecycle.h"
#include "log.h"
#include "purge.h"

static struct now T = {1700000000, 100000, 1700000000000LL};
static struct server srv; /* no connection: the sweep only runs its timers */

#define DAY 86400LL
#define SHEET "AQEBAQEBAQEBAQEBAQEBAQ"

/* A bilan of alice holding one operation of SHEET, closed at closed keeping it. */
static void closed_bilan(const char *id, int64_t alice, int64_t closed)
{
    const struct store_ops *ops = srv.ops;
    struct store_bilan b;
    memset(&b, 0, sizeof b);
    snprintf(b.id, sizeof b.id, "%s", id);
    snprintf(b.label, sizeof b.label, "x");
    b.owner_id = alice;
    b.budget_s = 3600;
    CHECK_EQ_INT(ops->bilans->bilan_add(srv.st, &b, T.s), 0);
    uint8_t sealed[40];
    memset(sealed, 0x5a, sizeof sealed);
    struct store_sheet_op o;
    memset(&o, 0, sizeof o);
    snprintf(o.bilan, sizeof o.bilan, "%s", id);
    snprintf(o.author, sizeof o.author, "author");
    snprintf(o.sheet, sizeof o.sheet, SHEET);
    o.sealed = sealed;
    o.sealed_len = sizeof sealed;
    int same;
    CHECK_EQ_INT(ops->worksheets->sheet_op_put(srv.st, &o, &same), 0);
    const char kept[1][BP_WS_SHEET_B64 + 1] = {SHEET};
    struct store_sheet_counts n;
    CHECK_EQ_INT(ops->worksheets->bilan_close(srv.st, id, closed, kept, 1, &n), 0);
    CHECK_EQ_INT(n.kept_ops, 1);
}

static int64_t purged(const char *id)
{
    struct store_bilan b;
    return srv.ops->bilans->bilan_get(srv.st, id, &b) ? -1 : b.purged;
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-purge-XXXXXX", path[256], why[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/server.db", dir);
    srv.ops = &store_sqlite;
    if (store_open(srv.ops, path, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    int64_t alice;
    CHECK_EQ_INT(srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice), 0);
    /* The server's clock is T + 10 days (the test offset); the sweeps below
     * pass wall times 10 days earlier. */
    srv.test_clock_offset_s = 10 * DAY;
    int64_t c0 = T.s + 10 * DAY - 365 * DAY; /* a year before the server's clock */
    closed_bilan("B1", alice, c0);
    closed_bilan("B2", alice, c0 + 3600);

    struct now t = T;
    conn_sweep(&srv, t); /* the first sweep purges what is due */
    CHECK_EQ_INT(purged("B1"), T.s + 10 * DAY);
    CHECK_EQ_INT(purged("B2"), 0);
    int64_t count, bytes;
    CHECK_EQ_INT(srv.ops->worksheets->sheet_usage(srv.st, "B1", &count, &bytes), 0);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(srv.purge_next_s, T.s + 10 * DAY + PURGE_EVERY_S);

    t.s = T.s + 2 * 3600; /* B2 is due, the purge is not: it runs once a day */
    conn_sweep(&srv, t);
    CHECK_EQ_INT(purged("B2"), 0);
    CHECK_EQ_INT(srv.ops->worksheets->sheet_usage(srv.st, "B2", &count, &bytes), 0);
    CHECK_EQ_INT(count, 1);

    t.s = T.s + DAY; /* a day on */
    conn_sweep(&srv, t);
    CHECK_EQ_INT(purged("B2"), T.s + DAY + 10 * DAY);
    CHECK_EQ_INT(srv.ops->worksheets->sheet_usage(srv.st, "B2", &count, &bytes), 0);
    CHECK_EQ_INT(count, 0);

    /* purge_run by hand: nothing left; then a third bilan, counted. */
    struct purge_totals tot;
    CHECK_EQ_INT(purge_run(srv.ops, srv.st, T.s + 20 * DAY, NULL, NULL, &tot), 0);
    CHECK_EQ_INT(tot.bilans, 0);
    closed_bilan("B3", alice, T.s - 400 * DAY);
    CHECK_EQ_INT(purge_run(srv.ops, srv.st, T.s, NULL, NULL, &tot), 0);
    CHECK(tot.bilans == 1 && tot.ops == 1 && tot.bytes == 40);

    srv.ops->close(srv.st);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
