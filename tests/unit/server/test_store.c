/* test_store.c: the store's contract (server/store.h), on any backend.
 *
 *   test_server_store [BACKEND]     (default: store_backend()'s default)
 *
 * Part 1 checks what every backend goes through: store_ops_check refuses a
 * table of another API version, without a domain, or with one operation
 * missing in any domain, naming it; store_open refuses it before calling the
 * backend; store_backend knows its default and refuses an unknown name.
 *
 * Part 2 is the contract itself, reached only through a
 * `const struct store_ops *` and the backend's fixture (a fresh, empty place
 * for a store, removed at the end), with a fake clock: opening, settings,
 * consultants, token redemption (single use, expiry, idempotent redeem by
 * the same device, roles that cannot change), invites, join rights, members,
 * sessions, the journal and its personal total, frozen figures, budget
 * warnings, receipts and refusals, worksheets (operations with their sheet
 * and role, the document key's id and wraps, the consent, the close and
 * the purge), transactions. A new backend adds its
 * fixture to `fixtures` and runs this program with its name.
 *
 * What only the SQLite file has (schema numbers, file mode, WAL, triggers,
 * migrations from an older file, what the file's bytes hold) is checked in
 * test_store_sqlite.c. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "auth.h"
#include "log.h"
#include "store.h"

/* ---- Backend fixtures ---- */

struct store_fixture {
    const char *backend;   /* a store_backend() name */
    /* Makes a fresh, empty place for a store: its open() path into where
     * (cap bytes). *ctx is handed to destroy. 0 or -1. */
    int (*make)(char *where, size_t cap, void **ctx);
    /* Removes the place and everything in it. */
    void (*destroy)(void *ctx);
};

/* SQLite: a file in a new temporary folder. */
static int sqlite_make(char *where, size_t cap, void **ctx)
{
    char dir[] = "/tmp/bilan-test-store-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return -1;
    }
    *ctx = strdup(dir);
    snprintf(where, cap, "%s/server.db", dir);
    return *ctx ? 0 : -1;
}

static void sqlite_destroy(void *ctx)
{
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", (const char *)ctx);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", (const char *)ctx);
    free(ctx);
}

static const struct store_fixture fixtures[] = {
    {"sqlite", sqlite_make, sqlite_destroy},
};

/* ---- Part 1: the table check, checked open, the backend's choice ---- */

static int fake_open_called;
static int fake_open(const char *path, int create, struct store **out, char *why, size_t why_len)
{
    (void)path, (void)create, (void)why, (void)why_len;
    fake_open_called++;
    *out = NULL;
    return BP_E_INTERNAL;
}

/* The table is refused, and why names exactly what. */
static void check_refused(const struct store_ops *t, const char *expect)
{
    char why[200] = "";
    CHECK_EQ_INT(store_ops_check(t, why, sizeof why), STORE_E_BACKEND);
    if (strcmp(why, expect))
        fprintf(stderr, "  got:  %s\n  want: %s\n", why, expect);
    CHECK_STR(why, expect);
}

/* A copy of a backend's tables, named "x", for one operation to be taken out. */
static struct store_ops x_ops;
static struct store_identity_ops x_identity;
static struct store_bilan_ops x_bilans;
static struct store_journal_ops x_journal;
static struct store_receipt_ops x_receipts;
static struct store_worksheet_ops x_worksheets;

static void copy_tables(const struct store_ops *ops)
{
    x_ops = *ops;
    x_identity = *ops->identity;
    x_bilans = *ops->bilans;
    x_journal = *ops->journal;
    x_receipts = *ops->receipts;
    x_worksheets = *ops->worksheets;
    x_ops.name = "x";
    x_ops.identity = &x_identity;
    x_ops.bilans = &x_bilans;
    x_ops.journal = &x_journal;
    x_ops.receipts = &x_receipts;
    x_ops.worksheets = &x_worksheets;
}

static void test_check(const struct store_ops *ops)
{
    char why[200] = "";
    struct store *st = (struct store *)&x_ops;

    CHECK_EQ_INT(store_ops_check(ops, why, sizeof why), 0);
    CHECK_EQ_INT(store_ops_check(NULL, why, sizeof why), STORE_E_BACKEND);

    /* One operation missing, in the base and in each domain (the first and
     * the last of each, so that no end of a list goes unchecked). */
    copy_tables(ops);
    CHECK_EQ_INT(store_ops_check(&x_ops, why, sizeof why), 0);
    copy_tables(ops);
    x_ops.open = NULL;
    check_refused(&x_ops, "store backend 'x': operation open is missing");
    copy_tables(ops);
    x_ops.setting_set = NULL;
    check_refused(&x_ops, "store backend 'x': operation setting_set is missing");
    copy_tables(ops);
    x_identity.consultant_add = NULL;
    check_refused(&x_ops, "store backend 'x': operation identity.consultant_add is missing");
    copy_tables(ops);
    x_identity.device_add = NULL;
    check_refused(&x_ops, "store backend 'x': operation identity.device_add is missing");
    copy_tables(ops);
    x_bilans.bilan_add = NULL;
    check_refused(&x_ops, "store backend 'x': operation bilans.bilan_add is missing");
    copy_tables(ops);
    x_bilans.members_count = NULL;
    check_refused(&x_ops, "store backend 'x': operation bilans.members_count is missing");
    copy_tables(ops);
    x_journal.session_add = NULL;
    check_refused(&x_ops, "store backend 'x': operation journal.session_add is missing");
    copy_tables(ops);
    x_journal.budget_warning_add = NULL;
    check_refused(&x_ops, "store backend 'x': operation journal.budget_warning_add is missing");
    copy_tables(ops);
    x_receipts.receipt_put = NULL;
    check_refused(&x_ops, "store backend 'x': operation receipts.receipt_put is missing");
    copy_tables(ops);
    x_receipts.sessions_unsigned = NULL;
    check_refused(&x_ops, "store backend 'x': operation receipts.sessions_unsigned is missing");
    /* A whole domain missing, another API version, no name. */
    copy_tables(ops);
    x_ops.journal = NULL;
    check_refused(&x_ops, "store backend 'x': domain journal is missing");
    copy_tables(ops);
    x_ops.receipts = NULL;
    check_refused(&x_ops, "store backend 'x': domain receipts is missing");
    copy_tables(ops);
    x_worksheets.sheet_op_put = NULL;
    check_refused(&x_ops, "store backend 'x': operation worksheets.sheet_op_put is missing");
    copy_tables(ops);
    x_worksheets.sheet_usage = NULL;
    check_refused(&x_ops, "store backend 'x': operation worksheets.sheet_usage is missing");
    copy_tables(ops);
    x_worksheets.sheet_wrap_put = NULL;
    check_refused(&x_ops, "store backend 'x': operation worksheets.sheet_wrap_put is missing");
    copy_tables(ops);
    x_worksheets.bilan_purge = NULL;
    check_refused(&x_ops, "store backend 'x': operation worksheets.bilan_purge is missing");
    copy_tables(ops);
    x_ops.worksheets = NULL;
    check_refused(&x_ops, "store backend 'x': domain worksheets is missing");
    copy_tables(ops);
    x_ops.api_version = STORE_API_VERSION - 1;
    char expect[200];
    snprintf(expect, sizeof expect, "store backend 'x': made for store API version %d, this server has version %d",
             STORE_API_VERSION - 1, STORE_API_VERSION);
    check_refused(&x_ops, expect);
    copy_tables(ops);
    x_ops.name = NULL;
    check_refused(&x_ops, "store backend '(unnamed)': it has no name");

    /* store_open checks first: an incomplete backend is never called. */
    copy_tables(ops);
    x_ops.open = fake_open;
    x_journal.session_add = NULL;
    fake_open_called = 0;
    CHECK_EQ_INT(store_open(&x_ops, "/nonexistent/x.db", 1, &st, why, sizeof why), STORE_E_BACKEND);
    CHECK(st == NULL);
    CHECK_EQ_INT(fake_open_called, 0);
    CHECK_STR(why, "store backend 'x': operation journal.session_add is missing");
    copy_tables(ops);
    x_ops.open = fake_open;
    CHECK_EQ_INT(store_open(&x_ops, "/nonexistent/x.db", 1, &st, why, sizeof why), BP_E_INTERNAL);
    CHECK_EQ_INT(fake_open_called, 1);

    /* The backend is chosen in one place: a default, names, a clear error. */
    const struct store_ops *def = store_backend(NULL, why, sizeof why);
    CHECK(def != NULL);
    CHECK(store_backend("", NULL, 0) == def);
    CHECK(def && store_backend(def->name, NULL, 0) == def);
    CHECK(store_backend("sqlite", NULL, 0) == &store_sqlite);
    CHECK(def && store_ops_check(def, why, sizeof why) == 0);
    CHECK(store_backend("nosuch", why, sizeof why) == NULL);
    CHECK_STR(why, "unknown store backend 'nosuch' (this build has: sqlite)");
    CHECK(store_backend("nosuch", NULL, 0) == NULL);
}

/* ---- Part 2: the contract ---- */

static void mkdev(struct store_device *d, int seed)
{
    uint8_t fp[BP_FP_LEN];
    memset(d, 0, sizeof *d);
    memset(d->sign_pub, seed, BP_KEY_LEN);
    memset(d->dh_pub, seed + 100, BP_KEY_LEN);
    bp_fingerprint(d->sign_pub, d->dh_pub, fp);
    bp_b64_encode(fp, BP_FP_LEN, d->fp);
    snprintf(d->name, sizeof d->name, "dev%d", seed);
}

static int count_sess(void *arg, const struct store_session *ss)
{
    (void)ss;
    (*(int *)arg)++;
    return 0;
}

static int count_cb(void *arg, const struct store_bilan *b)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

/* Collectors: the rows a walk handed over, copied (they live for the call). */
#define ROWS 8
struct rows {
    int n;
    struct store_consultant c[ROWS];
    struct store_jev j[ROWS];
    struct store_receipt r[ROWS];
    struct store_refusal f[ROWS];
    struct store_session s[ROWS];
};

static int row_consultant(void *arg, const struct store_consultant *c)
{
    struct rows *r = arg;
    if (r->n < ROWS)
        r->c[r->n] = *c;
    r->n++;
    return 0;
}

static int row_jev(void *arg, const struct store_jev *e)
{
    struct rows *r = arg;
    if (r->n < ROWS)
        r->j[r->n] = *e;
    r->n++;
    return 0;
}

static int row_receipt(void *arg, const struct store_receipt *x)
{
    struct rows *r = arg;
    if (r->n < ROWS)
        r->r[r->n] = *x;
    r->n++;
    return 0;
}

static int row_refusal(void *arg, const struct store_refusal *x)
{
    struct rows *r = arg;
    if (r->n < ROWS)
        r->f[r->n] = *x;
    r->n++;
    return 0;
}

static int row_session(void *arg, const struct store_session *x)
{
    struct rows *r = arg;
    if (r->n < ROWS)
        r->s[r->n] = *x;
    r->n++;
    return 0;
}

/* A walk stops at the first non-zero return of its callback, and returns it. */
static int stop_at_first(void *arg, const struct store_bilan *b)
{
    (void)b;
    (*(int *)arg)++;
    return 42;
}

static void jev(struct store_jev *e, const char *bilan, const char *session, enum acc_kind kind, int64_t t_ms)
{
    memset(e, 0, sizeof *e);
    snprintf(e->bilan, sizeof e->bilan, "%s", bilan);
    snprintf(e->ev.session, sizeof e->ev.session, "%s", session);
    e->ev.kind = kind;
    e->ev.phase = BP_PHASE_NONE;
    e->ev.t_ms = t_ms;
}

struct sheet_rows {
    int n;
    int64_t seq[8];
    size_t len[8];
    int first_byte[8], op_first[8];
    char author[8][STORE_FP_B64];
    char sheet[8][BP_WS_SHEET_B64 + 1];
    enum bp_role role[8];
};

static int row_sheet(void *arg, const struct store_sheet_op *o)
{
    struct sheet_rows *r = arg;
    if (r->n < 8) {
        r->seq[r->n] = o->seq;
        r->len[r->n] = o->sealed_len;
        r->first_byte[r->n] = o->sealed_len ? o->sealed[0] : -1;
        r->op_first[r->n] = o->op[0];
        snprintf(r->author[r->n], sizeof r->author[r->n], "%s", o->author);
        snprintf(r->sheet[r->n], sizeof r->sheet[r->n], "%s", o->sheet);
        r->role[r->n] = o->role;
    }
    r->n++;
    return 0;
}

#define SHEET_A "AQEBAQEBAQEBAQEBAQEBAQ"
#define SHEET_B "AgICAgICAgICAgICAgICAg"

struct wrap_rows {
    int n;
    char from[4][STORE_FP_B64];
    uint8_t first[4], sign0[4];
};

static int row_wrap(void *arg, const struct store_sheet_wrap *w)
{
    struct wrap_rows *r = arg;
    if (r->n < 4) {
        snprintf(r->from[r->n], sizeof r->from[r->n], "%s", w->from);
        r->first[r->n] = w->wrap[0];
        r->sign0[r->n] = w->from_sign_pub[0];
    }
    r->n++;
    return 0;
}

static int first_bilan(void *arg, const struct store_bilan *b)
{
    snprintf(arg, BP_ID_MAX + 1, "%s", b->id);
    return 1;
}

/* The document key's id and wraps, the consent, the close and the purge
 * (PROTOCOL.md §10.2-10.4) on bilan, which holds three operations: two of
 * SHEET_A (40 and 38 bytes), one of SHEET_B (39 bytes); d1 and d2 are
 * enrolled devices. */
static void test_keys_close(const struct store_ops *ops, struct store *st, const char *bilan,
                            const struct store_device *d1, const struct store_device *d2, int64_t now)
{
    const struct store_worksheet_ops *ws = ops->worksheets;
    char kid[BP_WS_SHEET_B64 + 1];
    CHECK_EQ_INT(ws->sheet_kid_get(st, bilan, kid), STORE_E_NOTFOUND);
    CHECK_EQ_INT(ws->sheet_kid_set(st, bilan, "KID1KID1KID1KID1KID1KI"), 0);
    CHECK_EQ_INT(ws->sheet_kid_set(st, bilan, "KID2KID2KID2KID2KID2KI"), STORE_E_EXISTS); /* the first wins */
    CHECK_EQ_INT(ws->sheet_kid_get(st, bilan, kid), 0);
    CHECK_STR(kid, "KID1KID1KID1KID1KID1KI");

    struct store_sheet_wrap w;
    memset(&w, 0, sizeof w);
    snprintf(w.bilan, sizeof w.bilan, "%s", bilan);
    snprintf(w.from, sizeof w.from, "%s", d1->fp);
    snprintf(w.to, sizeof w.to, "%s", d1->fp);
    memset(w.wrap, 0x11, sizeof w.wrap);
    CHECK_EQ_INT(ws->sheet_wrap_put(st, &w, 2), 0);
    snprintf(w.to, sizeof w.to, "%s", d2->fp);
    CHECK_EQ_INT(ws->sheet_wrap_put(st, &w, 2), 0);
    memset(w.wrap, 0x22, sizeof w.wrap); /* the same pair: replaced */
    CHECK_EQ_INT(ws->sheet_wrap_put(st, &w, 2), 0);
    struct wrap_rows wr = {0};
    CHECK_EQ_INT(ws->sheet_wraps_to(st, bilan, d2->fp, row_wrap, &wr), 0);
    CHECK(wr.n == 1 && wr.first[0] == 0x22 && wr.sign0[0] == d1->sign_pub[0]);
    CHECK_STR(wr.from[0], d1->fp);
    snprintf(w.from, sizeof w.from, "%s", d2->fp); /* a third pair past max 2 */
    CHECK_EQ_INT(ws->sheet_wrap_put(st, &w, 2), BP_E_TOO_LARGE);
    CHECK_EQ_INT(ws->sheet_wrap_put(st, &w, 3), 0);

    struct store_sheet_consent c, got;
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(ws->sheet_consent_get(st, bilan, &got), STORE_E_NOTFOUND);
    snprintf(c.bilan, sizeof c.bilan, "%s", bilan);
    snprintf(c.device, sizeof c.device, "%s", d2->fp);
    snprintf(c.statement, sizeof c.statement, "{\"first\":1}");
    memset(c.sig, 0x33, sizeof c.sig);
    c.at = now;
    CHECK_EQ_INT(ws->sheet_consent_put(st, &c), 0);
    snprintf(c.statement, sizeof c.statement, "{\"second\":2}"); /* the newest replaces */
    c.at = now + 5;
    CHECK_EQ_INT(ws->sheet_consent_put(st, &c), 0);
    CHECK_EQ_INT(ws->sheet_consent_get(st, bilan, &got), 0);
    CHECK(got.at == now + 5 && got.sig[63] == 0x33);
    CHECK_STR(got.statement, "{\"second\":2}");

    /* The close keeps SHEET_A's operations, the wraps and the consent. */
    const char kept[1][BP_WS_SHEET_B64 + 1] = {SHEET_A};
    struct store_sheet_counts n;
    CHECK_EQ_INT(ws->bilan_close(st, "bNoSuchBilan", now + 10, kept, 1, &n), BP_E_UNKNOWN_BILAN);
    CHECK_EQ_INT(ws->bilan_close(st, bilan, now + 10, kept, 1, &n), 0);
    CHECK(n.deleted_ops == 1 && n.deleted_bytes == 39 && n.kept_ops == 2 && n.deleted_wraps == 0 &&
          n.deleted_consents == 0);
    CHECK_EQ_INT(ws->bilan_close(st, bilan, now + 11, kept, 1, &n), BP_E_BILAN_CLOSED);
    struct store_bilan b;
    CHECK_EQ_INT(ops->bilans->bilan_get(st, bilan, &b), 0);
    CHECK(b.closed == now + 10 && b.purged == 0);
    CHECK_STR(b.sheets_kept, "[\"" SHEET_A "\"]");
    int64_t count, bytes;
    CHECK_EQ_INT(ws->sheet_usage(st, bilan, &count, &bytes), 0);
    CHECK(count == 2 && bytes == 40 + 38);
    CHECK_EQ_INT(ws->sheet_consent_get(st, bilan, &got), 0);
    CHECK_EQ_INT(ws->sheet_kid_get(st, bilan, kid), 0);

    /* The purge: due only once closed_before reaches the close. */
    char due[BP_ID_MAX + 1] = "";
    CHECK_EQ_INT(ws->bilans_to_purge(st, now + 9, first_bilan, due), 0);
    CHECK_STR(due, "");
    CHECK_EQ_INT(ws->bilans_to_purge(st, now + 10, first_bilan, due), 1);
    CHECK_STR(due, bilan);
    CHECK_EQ_INT(ws->bilan_purge(st, bilan, now + 20, &n), 0);
    CHECK(n.deleted_ops == 2 && n.deleted_bytes == 78 && n.deleted_wraps == 3 && n.deleted_consents == 1);
    CHECK_EQ_INT(ops->bilans->bilan_get(st, bilan, &b), 0);
    CHECK(b.closed == now + 10 && b.purged == now + 20 && !b.sheets_kept[0]);
    CHECK_EQ_INT(ws->sheet_usage(st, bilan, &count, &bytes), 0);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(ws->sheet_consent_get(st, bilan, &got), STORE_E_NOTFOUND);
    CHECK_EQ_INT(ws->sheet_kid_get(st, bilan, kid), STORE_E_NOTFOUND);
    wr.n = 0;
    CHECK_EQ_INT(ws->sheet_wraps_to(st, bilan, d2->fp, row_wrap, &wr), 0);
    CHECK_EQ_INT(wr.n, 0);
    due[0] = '\0';
    CHECK_EQ_INT(ws->bilans_to_purge(st, now + 1000, first_bilan, due), 0);
    CHECK_STR(due, ""); /* purged once */
}

static void test_contract(const struct store_ops *ops, const char *path)
{
    char why[256];
    struct store *st = NULL;

    /* Without create, a missing database is a clear error. */
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), STORE_E_NODB);
    CHECK(st == NULL);
    CHECK_EQ_INT(store_open(ops, path, 1, &st, why, sizeof why), 0);
    if (!st)
        return;
    int version = ops->schema_version(st);
    CHECK(version > 0);
    ops->close(st);
    /* Reopening migrates nothing and keeps the version. */
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), 0);
    if (!st)
        return;
    CHECK_EQ_INT(ops->schema_version(st), version);

    /* Settings. */
    char v[64];
    CHECK_EQ_INT(ops->setting_get(st, "public_host", v, sizeof v), STORE_E_NOTFOUND);
    CHECK_EQ_INT(ops->setting_set(st, "public_host", "127.0.0.1"), 0);
    CHECK_EQ_INT(ops->setting_set(st, "public_host", "example.org"), 0);
    CHECK_EQ_INT(ops->setting_get(st, "public_host", v, sizeof v), 0);
    CHECK_STR(v, "example.org");

    /* Consultants. */
    const struct store_identity_ops *idt = ops->identity;
    int64_t now = 1700000000, alice = 0, bob = 0, id = 0, n = -1;
    char name[BP_NAME_MAX + 1];
    CHECK_EQ_INT(idt->consultant_count(st, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(idt->consultant_add(st, "alice", now, &alice), 0);
    CHECK_EQ_INT(idt->consultant_add(st, "alice", now, &id), STORE_E_EXISTS);
    CHECK_EQ_INT(idt->consultant_add(st, "bob", now, &bob), 0);
    CHECK_EQ_INT(idt->consultant_find(st, "alice", &id), 0);
    CHECK_EQ_INT(id, alice);
    CHECK_EQ_INT(idt->consultant_find(st, "carol", &id), STORE_E_NOTFOUND);
    CHECK_EQ_INT(idt->consultant_name(st, bob, name), 0);
    CHECK_STR(name, "bob");
    CHECK_EQ_INT(idt->consultant_name(st, alice + bob + 1000, name), STORE_E_NOTFOUND);
    CHECK_EQ_INT(idt->consultant_count(st, &n), 0);
    CHECK_EQ_INT(n, 2);

    /* Enrolment: single use, expiry, same-device idempotence. */
    struct auth_token t1, t2, t3;
    struct store_device d1, d2, d3, out;
    mkdev(&d1, 1);
    mkdev(&d2, 2);
    mkdev(&d3, 3);
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 3600, &t1), 0);
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 60, &t2), 0);
    uint8_t bogus[32];
    memset(bogus, 7, sizeof bogus);
    CHECK_EQ_INT(auth_redeem(ops, st, bogus, &d1, now, &out), BP_E_UNKNOWN_TOKEN);
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 10, &out), 0);
    CHECK_EQ_INT(out.role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(out.consultant_id, alice);
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 20, &out), 0);           /* same device again */
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 999999, &out), 0);       /* even after expiry */
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d2, now + 20, &out), BP_E_TOKEN_USED);
    CHECK_EQ_INT(auth_redeem(ops, st, t2.hash, &d2, now + 60, &out), BP_E_TOKEN_EXPIRED);
    CHECK_EQ_INT(auth_redeem(ops, st, t2.hash, &d2, now + 59, &out), 0);
    CHECK_EQ_INT(idt->device_get(st, d2.fp, &out), 0);
    CHECK_EQ_INT(out.consultant_id, alice);
    CHECK_STR(out.name, "dev2");
    CHECK_MEM(out.sign_pub, d2.sign_pub, BP_KEY_LEN);
    CHECK_EQ_INT(idt->device_get(st, d3.fp, &out), BP_E_UNKNOWN_DEVICE);
    /* A device of alice cannot take bob's token. */
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, bob, now, 3600, &t3), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, t3.hash, &d1, now, &out), BP_E_FORBIDDEN);
    /* ...and the refusal did not consume it. */
    CHECK_EQ_INT(auth_redeem(ops, st, t3.hash, &d3, now, &out), 0);
    CHECK_EQ_INT(out.consultant_id, bob);
    /* What the store keeps of a token, and a second mark that loses. */
    struct store_token tk;
    CHECK_EQ_INT(idt->token_get(st, t1.hash, &tk), 0);
    CHECK(tk.kind == STORE_TOKEN_ENROL && tk.consultant_id == alice && tk.expires == now + 3600 && !tk.replaced);
    CHECK_STR(tk.used_by, d1.fp);
    CHECK_EQ_INT(idt->token_get(st, bogus, &tk), BP_E_UNKNOWN_TOKEN);
    CHECK_EQ_INT(idt->token_mark_used(st, STORE_TOKEN_ENROL, t1.hash, d2.fp, now), BP_E_TOKEN_USED);
    /* Consultants by name, with their devices. */
    struct rows rw = {0};
    CHECK_EQ_INT(idt->consultant_list(st, row_consultant, &rw), 0);
    CHECK_EQ_INT(rw.n, 2);
    CHECK(!strcmp(rw.c[0].name, "alice") && rw.c[0].id == alice && rw.c[0].devices == 2 &&
          rw.c[0].created == now);
    CHECK(!strcmp(rw.c[1].name, "bob") && rw.c[1].devices == 1);

    /* Bilans and invites. */
    const struct store_bilan_ops *bil = ops->bilans;
    struct store_bilan b;
    memset(&b, 0, sizeof b);
    CHECK_EQ_INT(auth_bilan_id_new(b.id), 0);
    CHECK_EQ_INT(strlen(b.id), 17);
    CHECK(b.id[0] == 'b');
    snprintf(b.label, sizeof b.label, "Bilan \xc3\xa9t\xc3\xa9");
    b.owner_id = alice;
    b.budget_s = 57600;
    CHECK_EQ_INT(bil->bilan_add(st, &b, now), 0);
    CHECK_EQ_INT(bil->bilan_add(st, &b, now), STORE_E_EXISTS);
    struct store_bilan bg;
    CHECK_EQ_INT(bil->bilan_get(st, b.id, &bg), 0);
    CHECK(!strcmp(bg.label, b.label) && bg.owner_id == alice && bg.budget_s == 57600 && bg.created == now);
    CHECK_EQ_INT(bil->bilan_get(st, "bnope", &bg), BP_E_UNKNOWN_BILAN);
    struct auth_token inv, inv_old;
    /* A bare token never starts with '-' (it would read as an option). */
    int dash = 0;
    for (int i = 0; i < 2000; i++) {
        struct auth_token tt;
        CHECK_EQ_INT(auth_token_new(&tt), 0);
        dash += tt.b64[0] == '-';
        auth_token_wipe(&tt);
    }
    CHECK_EQ_INT(dash, 0);
    CHECK_EQ_INT(auth_token_new(&inv), 0);
    CHECK_EQ_INT(idt->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv.hash, now, now + 100), 0);
    CHECK_EQ_INT(auth_token_new(&inv_old), 0);
    CHECK_EQ_INT(idt->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv_old.hash, now - 200, now - 100), 0);

    struct store_device ben, ben2;
    mkdev(&ben, 50);
    mkdev(&ben2, 51);
    enum bp_role role;
    CHECK_EQ_INT(auth_join_role(ops, st, "bnope", &ben, &role), BP_E_UNKNOWN_BILAN);
    CHECK_EQ_INT(auth_redeem(ops, st, inv_old.hash, &ben, now, &out), BP_E_TOKEN_EXPIRED);
    /* A consultant device cannot redeem a beneficiary invite. */
    CHECK_EQ_INT(idt->device_get(st, d1.fp, &d1), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &d1, now, &out), BP_E_FORBIDDEN);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben, now, &out), 0);
    CHECK_EQ_INT(out.role, BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(out.consultant_id, 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben, now + 5, &out), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben2, now + 5, &out), BP_E_TOKEN_USED);
    /* A beneficiary device cannot take a consultant enrolment token. */
    struct auth_token t4;
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 3600, &t4), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, t4.hash, &ben, now, &out), BP_E_FORBIDDEN);
    CHECK_EQ_INT(idt->token_get(st, inv.hash, &tk), 0);
    CHECK(tk.kind == STORE_TOKEN_INVITE && tk.role == BP_ROLE_BENEFICIARY && tk.expires == now + 100 &&
          !tk.replaced && !strcmp(tk.bilan, b.id) && !strcmp(tk.used_by, ben.fp));

    /* Reprinting an invite: the unused, unexpired ones of that bilan and role
     * are revoked (their expiry becomes now), and show as replaced once a
     * newer one exists; used and expired ones are left alone. */
    struct auth_token inv3, inv4;
    int64_t revoked = -1;
    CHECK_EQ_INT(auth_token_new(&inv3), 0);
    CHECK_EQ_INT(auth_token_new(&inv4), 0);
    CHECK_EQ_INT(idt->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv3.hash, now, now + 100), 0);
    CHECK_EQ_INT(idt->invites_revoke(st, b.id, BP_ROLE_CONSULTANT, now + 1, &revoked), 0);
    CHECK_EQ_INT(revoked, 0);
    CHECK_EQ_INT(idt->invites_revoke(st, b.id, BP_ROLE_BENEFICIARY, now + 1, &revoked), 0);
    CHECK_EQ_INT(revoked, 1);
    CHECK_EQ_INT(idt->token_get(st, inv3.hash, &tk), 0);
    CHECK(tk.expires == now + 1 && !tk.replaced && !tk.used_by[0]);
    CHECK_EQ_INT(idt->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv4.hash, now + 1, now + 100), 0);
    CHECK_EQ_INT(idt->token_get(st, inv3.hash, &tk), 0);
    CHECK_EQ_INT(tk.replaced, 1);
    CHECK_EQ_INT(idt->token_get(st, inv_old.hash, &tk), 0);
    CHECK(tk.expires == now - 100 && !tk.replaced);
    CHECK_EQ_INT(idt->token_get(st, inv.hash, &tk), 0);
    CHECK(tk.expires == now + 100 && tk.used_by[0]);

    /* Join rights: owner's devices as consultant, members with their role. */
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d1, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(idt->device_get(st, d2.fp, &d2), 0);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d2, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(idt->device_get(st, d3.fp, &d3), 0);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d3, &role), BP_E_NOT_MEMBER); /* bob's device */
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &ben, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &ben2, &role), BP_E_NOT_MEMBER);

    int cnt = 0;
    CHECK_EQ_INT(bil->bilans_for_device(st, &d1, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 1);
    cnt = 0;
    CHECK_EQ_INT(bil->bilans_for_device(st, &ben, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 1);
    cnt = 0;
    CHECK_EQ_INT(bil->bilans_for_device(st, &d3, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 0);
    cnt = 0;
    CHECK_EQ_INT(bil->bilans_for_device(st, &d1, 500, stop_at_first, &cnt), 42);
    CHECK_EQ_INT(cnt, 1);

    /* Members: the redeemed invite made ben a member; adding again changes nothing. */
    CHECK_EQ_INT(bil->member_role(st, b.id, ben.fp, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(bil->member_role(st, b.id, d1.fp, &role), BP_E_NOT_MEMBER); /* owner, not member */
    CHECK_EQ_INT(bil->members_count(st, b.id, BP_ROLE_BENEFICIARY, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(bil->member_add(st, b.id, ben.fp, BP_ROLE_BENEFICIARY, now + 9), 0);
    CHECK_EQ_INT(bil->members_count(st, b.id, BP_ROLE_BENEFICIARY, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(bil->members_count(st, b.id, BP_ROLE_CONSULTANT, &n), 0);
    CHECK_EQ_INT(n, 0);
    cnt = 0;
    CHECK_EQ_INT(bil->bilans_of_consultant(st, alice, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 1);
    cnt = 0;
    CHECK_EQ_INT(bil->bilans_of_consultant(st, bob, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 0);

    /* Sessions, journal (append-only), receipts, budget warnings. */
    const struct store_journal_ops *jo = ops->journal;
    const struct store_receipt_ops *rc = ops->receipts;
    {
        struct store_bilan hb;
        memset(&hb, 0, sizeof hb);
        snprintf(hb.id, sizeof hb.id, "hb1");
        snprintf(hb.label, sizeof hb.label, "hours");
        hb.owner_id = alice;
        hb.budget_s = 3600;
        CHECK_EQ_INT(bil->bilan_add(st, &hb, now), 0);
        struct store_session ss = {.phase = BP_PHASE_SUIVI, .opened_ms = 1000};
        snprintf(ss.id, sizeof ss.id, "s1");
        snprintf(ss.bilan, sizeof ss.bilan, "hb1");
        CHECK_EQ_INT(jo->session_add(st, &ss), 0);
        struct store_jev e;
        memset(&e, 0, sizeof e);
        snprintf(e.bilan, sizeof e.bilan, "hb1");
        snprintf(e.ev.session, sizeof e.ev.session, "s1");
        e.ev.kind = ACC_SESSION_OPEN;
        e.ev.phase = BP_PHASE_SUIVI;
        e.ev.t_ms = 1000;
        CHECK_EQ_INT(jo->journal_append(st, &e), 0);
        int64_t seq1 = e.seq;
        e.ev.kind = ACC_ALIVE;
        e.ev.phase = BP_PHASE_NONE;
        snprintf(e.ev.device, sizeof e.ev.device, "devA");
        e.ev.t_ms = 11000;
        CHECK_EQ_INT(jo->journal_append(st, &e), 0);
        CHECK(e.seq > seq1);
        /* The lines come back in append order, as written. */
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(jo->journal_of_bilan(st, "hb1", NULL, row_jev, &rw), 0);
        CHECK_EQ_INT(rw.n, 2);
        CHECK(rw.j[0].seq == seq1 && rw.j[0].ev.seq == seq1 && rw.j[0].ev.kind == ACC_SESSION_OPEN &&
              rw.j[0].ev.phase == BP_PHASE_SUIVI && rw.j[0].ev.t_ms == 1000 && !strcmp(rw.j[0].ev.session, "s1") &&
              !strcmp(rw.j[0].bilan, "hb1"));
        CHECK(rw.j[1].seq == e.seq && rw.j[1].ev.kind == ACC_ALIVE && !strcmp(rw.j[1].ev.device, "devA") &&
              rw.j[1].ev.t_ms == 11000);
        /* A restart ends the open session at its last journal t, without a close line. */
        int64_t ended = 0;
        CHECK_EQ_INT(jo->sessions_end_open(st, &ended), 0);
        CHECK_EQ_INT(ended, 1);
        struct store_session got;
        CHECK_EQ_INT(jo->session_get(st, "s1", &got), 0);
        CHECK_EQ_INT(got.closed_ms, 11000);
        CHECK_STR(got.close_reason, "server_restart");
        CHECK_EQ_INT(got.phase, BP_PHASE_SUIVI);
        CHECK_EQ_INT(jo->sessions_end_open(st, &ended), 0);
        CHECK_EQ_INT(ended, 0);
        CHECK_EQ_INT(jo->session_get(st, "nope", &got), STORE_E_NOTFOUND);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(jo->journal_of_bilan(st, "hb1", NULL, row_jev, &rw), 0);
        CHECK_EQ_INT(rw.n, 2); /* no line written by the restart */
        /* Budget warnings: once per level. */
        CHECK_EQ_INT(jo->budget_warning_add(st, "hb1", 80, 5), 0);
        CHECK_EQ_INT(jo->budget_warning_add(st, "hb1", 80, 6), STORE_E_EXISTS);
        CHECK_EQ_INT(jo->budget_warning_add(st, "hb1", 100, 6), 0);

        /* A session's figures and record are stored once. */
        CHECK_EQ_INT(jo->session_get(st, "s1", &got), 0);
        CHECK_EQ_INT(got.has_figures, 0);
        char *json = NULL;
        CHECK_EQ_INT(jo->session_record_get(st, "s1", &json), STORE_E_NOTFOUND);
        int nwf = 0;
        CHECK_EQ_INT(jo->sessions_without_figures(st, 10, count_sess, &nwf), 0);
        CHECK_EQ_INT(nwf, 1);
        struct store_session_figures fig = {.rules = 2, .end_ms = 11000, .closed_in_journal = 0,
                                            .face_to_face_ms = 7000, .interruptions = 1, .record = "{\"v\":1}"};
        snprintf(fig.id, sizeof fig.id, "s1");
        CHECK_EQ_INT(jo->session_figures_put(st, &fig), 0);
        fig.face_to_face_ms = 9999;
        fig.record = "{\"v\":2}";
        CHECK_EQ_INT(jo->session_figures_put(st, &fig), STORE_E_EXISTS); /* never rewritten */
        CHECK_EQ_INT(jo->session_record_get(st, "s1", &json), 0);
        CHECK(json && !strcmp(json, "{\"v\":1}"));
        free(json);
        CHECK_EQ_INT(jo->session_get(st, "s1", &got), 0);
        CHECK(got.has_figures && got.rules == 2 && got.face_to_face_ms == 7000 && got.interruptions == 1 &&
              got.end_ms == 11000 && !got.closed_in_journal);
        nwf = 0;
        CHECK_EQ_INT(jo->sessions_without_figures(st, 10, count_sess, &nwf), 0);
        CHECK_EQ_INT(nwf, 0);
        /* The personal total moves with each declaration, atomically with its line. */
        int64_t pms = -1;
        CHECK_EQ_INT(jo->bilan_personal_ms(st, "hb1", &pms), 0);
        CHECK_EQ_INT(pms, 0);
        memset(&e, 0, sizeof e);
        snprintf(e.bilan, sizeof e.bilan, "hb1");
        e.ev.kind = ACC_PERSONAL;
        e.ev.phase = BP_PHASE_NONE;
        e.ev.t_ms = 20000;
        e.ev.personal_ms = 5400000;
        snprintf(e.ev.device, sizeof e.ev.device, "devB");
        snprintf(e.note, sizeof e.note, "lecture");
        CHECK_EQ_INT(jo->journal_append(st, &e), 0);
        CHECK(e.ev.seq > 0 && e.ev.seq == e.seq);
        CHECK_EQ_INT(jo->journal_append(st, &e), 0); /* same content, same ms: a second event */
        CHECK_EQ_INT(jo->bilan_personal_ms(st, "hb1", &pms), 0);
        CHECK_EQ_INT(pms, 2 * 5400000);
        snprintf(e.bilan, sizeof e.bilan, "no-such-bilan");
        CHECK(jo->journal_append(st, &e) != 0); /* no line without its total */
        CHECK_EQ_INT(jo->bilan_personal_ms(st, "no-such-bilan", &pms), BP_E_UNKNOWN_BILAN);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(jo->journal_of_bilan(st, "hb1", NULL, row_jev, &rw), 0);
        CHECK_EQ_INT(rw.n, 4);
        CHECK(rw.j[3].ev.kind == ACC_PERSONAL && rw.j[3].ev.personal_ms == 5400000 && !rw.j[3].ev.session[0] &&
              !strcmp(rw.j[3].note, "lecture"));
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(jo->journal_of_bilan(st, "hb1", "s1", row_jev, &rw), 0);
        CHECK_EQ_INT(rw.n, 2); /* only that session's lines */
        /* Refusals: one per device and session. */
        struct store_refusal rf;
        memset(&rf, 0, sizeof rf);
        snprintf(rf.session, sizeof rf.session, "s1");
        snprintf(rf.device, sizeof rf.device, "%s", ben.fp);
        snprintf(rf.reason, sizeof rf.reason, "pas vu");
        memset(rf.sig, 7, sizeof rf.sig);
        CHECK_EQ_INT(rc->refusal_put(st, &rf), 0);
        CHECK_EQ_INT(rc->refusal_put(st, &rf), STORE_E_EXISTS);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->refusals_of_session(st, "s1", row_refusal, &rw), 0);
        CHECK_EQ_INT(rw.n, 1);
        CHECK(!strcmp(rw.f[0].device, ben.fp) && !strcmp(rw.f[0].reason, "pas vu") && rw.f[0].sig[63] == 7);

        /* An ended session waits for the receipt or refusal of each device
         * that joined it; the latest receipt of a device replaces its last. */
        struct store_session s2 = {.phase = BP_PHASE_CONCLUSION, .opened_ms = 30000};
        snprintf(s2.id, sizeof s2.id, "s2");
        snprintf(s2.bilan, sizeof s2.bilan, "hb1");
        CHECK_EQ_INT(jo->session_add(st, &s2), 0);
        CHECK_EQ_INT(jo->session_get(st, "s2", &got), 0);
        CHECK(got.closed_ms == -1 && !got.close_reason[0] && got.phase == BP_PHASE_CONCLUSION);
        jev(&e, "hb1", "s2", ACC_JOIN, 30000);
        e.ev.role = BP_ROLE_BENEFICIARY;
        snprintf(e.ev.device, sizeof e.ev.device, "%s", ben.fp);
        CHECK_EQ_INT(jo->journal_append(st, &e), 0);
        e.ev.role = BP_ROLE_CONSULTANT;
        snprintf(e.ev.device, sizeof e.ev.device, "%s", d1.fp);
        CHECK_EQ_INT(jo->journal_append(st, &e), 0);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->sessions_unsigned(st, "hb1", ben.fp, 10, row_session, &rw), 0);
        CHECK_EQ_INT(rw.n, 0); /* still open */
        CHECK_EQ_INT(jo->session_end(st, "s2", 40000, "closed"), 0);
        CHECK_EQ_INT(jo->session_end(st, "s2", 50000, "empty"), 0); /* ended once */
        CHECK_EQ_INT(jo->session_get(st, "s2", &got), 0);
        CHECK(got.closed_ms == 40000 && !strcmp(got.close_reason, "closed"));
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(jo->sessions_of_bilan(st, "hb1", row_session, &rw), 0);
        CHECK(rw.n == 2 && !strcmp(rw.s[0].id, "s1") && !strcmp(rw.s[1].id, "s2"));
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->sessions_unsigned(st, "hb1", ben.fp, 10, row_session, &rw), 0);
        CHECK(rw.n == 1 && !strcmp(rw.s[0].id, "s2")); /* s1: refused; s2: to sign */
        struct store_receipt r = {.received_audio_ms = 1234, .sas_verified = 1, .stored_ms = 41000};
        snprintf(r.session, sizeof r.session, "s2");
        snprintf(r.device, sizeof r.device, "%s", ben.fp);
        memset(r.sig, 9, sizeof r.sig);
        CHECK_EQ_INT(rc->receipt_put(st, &r), 0);
        r.received_audio_ms = 5678;
        CHECK_EQ_INT(rc->receipt_put(st, &r), 0);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->receipts_of_session(st, "s2", row_receipt, &rw), 0);
        CHECK_EQ_INT(rw.n, 1);
        CHECK(!strcmp(rw.r[0].device, ben.fp) && rw.r[0].received_audio_ms == 5678 && rw.r[0].sas_verified == 1 &&
              rw.r[0].stored_ms == 41000 && rw.r[0].sig[0] == 9);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->sessions_unsigned(st, "hb1", ben.fp, 10, row_session, &rw), 0);
        CHECK_EQ_INT(rw.n, 0);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->sessions_unsigned(st, "hb1", d1.fp, 10, row_session, &rw), 0);
        CHECK(rw.n == 1 && !strcmp(rw.s[0].id, "s2"));
        snprintf(rf.session, sizeof rf.session, "s2");
        snprintf(rf.device, sizeof rf.device, "%s", d1.fp);
        CHECK_EQ_INT(rc->refusal_put(st, &rf), 0);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->sessions_unsigned(st, "hb1", d1.fp, 10, row_session, &rw), 0);
        CHECK_EQ_INT(rw.n, 0);
        memset(&rw, 0, sizeof rw);
        CHECK_EQ_INT(rc->receipts_of_session(st, "s1", row_receipt, &rw), 0);
        CHECK_EQ_INT(rw.n, 0);
    }

    /* Worksheets: sealed operations in the bilan's order, a repeat known
     * as such, another operation under a used id refused, pages in order. */
    {
        const struct store_worksheet_ops *ws = ops->worksheets;
        struct sheet_rows sr;
        uint8_t blob[3][40];
        struct store_sheet_op o[3];
        for (int i = 0; i < 3; i++) {
            memset(&o[i], 0, sizeof o[i]);
            memset(blob[i], 0xa0 + i, sizeof blob[i]);
            snprintf(o[i].bilan, sizeof o[i].bilan, "%s", b.id);
            memset(o[i].op, i + 1, BP_WS_OPID_RAW);
            snprintf(o[i].author, sizeof o[i].author, "%s", i == 1 ? "author-b" : "author-a");
            snprintf(o[i].sheet, sizeof o[i].sheet, "%s", i == 1 ? SHEET_B : SHEET_A);
            o[i].role = i == 1 ? BP_ROLE_BENEFICIARY : BP_ROLE_CONSULTANT;
            o[i].sealed = blob[i];
            o[i].sealed_len = sizeof blob[i] - (size_t)i;
            o[i].stored_ms = now * 1000 + i;
        }
        int same = -1;
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_INT(ws->sheet_op_put(st, &o[i], &same), 0);
            CHECK_EQ_INT(o[i].seq, i + 1);
        }
        struct store_sheet_op again = o[1];
        again.seq = 0;
        CHECK_EQ_INT(ws->sheet_op_put(st, &again, &same), STORE_E_EXISTS);
        CHECK(same == 1 && again.seq == 2);
        uint8_t other[40];
        memset(other, 0x55, sizeof other);
        again.sealed = other;
        CHECK_EQ_INT(ws->sheet_op_put(st, &again, &same), STORE_E_EXISTS);
        CHECK_EQ_INT(same, 0);
        int64_t count = 0, bytes = 0;
        CHECK_EQ_INT(ws->sheet_usage(st, b.id, &count, &bytes), 0);
        CHECK(count == 3 && bytes == 40 + 39 + 38);
        memset(&sr, 0, sizeof sr);
        CHECK_EQ_INT(ws->sheet_ops_after(st, b.id, 0, 2, row_sheet, &sr), 0);
        CHECK(sr.n == 2 && sr.seq[0] == 1 && sr.seq[1] == 2 && sr.len[1] == 39 && sr.first_byte[1] == 0xa1);
        CHECK_STR(sr.author[1], "author-b");
        CHECK_STR(sr.sheet[1], SHEET_B);
        CHECK_STR(sr.sheet[0], SHEET_A);
        CHECK(sr.role[0] == BP_ROLE_CONSULTANT && sr.role[1] == BP_ROLE_BENEFICIARY);
        memset(&sr, 0, sizeof sr);
        CHECK_EQ_INT(ws->sheet_ops_after(st, b.id, 2, 10, row_sheet, &sr), 0);
        CHECK(sr.n == 1 && sr.seq[0] == 3 && sr.op_first[0] == 3);
        memset(&sr, 0, sizeof sr);
        CHECK_EQ_INT(ws->sheet_ops_after(st, "bNoSuchBilan", 0, 10, row_sheet, &sr), 0);
        CHECK_EQ_INT(sr.n, 0);
        test_keys_close(ops, st, b.id, &d1, &d2, now);
    }

    /* Transactions: a rollback leaves nothing, a commit keeps all; a
     * rollback outside a transaction is harmless. */
    CHECK_EQ_INT(ops->begin(st), 0);
    CHECK_EQ_INT(idt->consultant_add(st, "carol", now, &id), 0);
    ops->rollback(st);
    CHECK_EQ_INT(idt->consultant_find(st, "carol", &id), STORE_E_NOTFOUND);
    CHECK_EQ_INT(ops->begin(st), 0);
    CHECK_EQ_INT(idt->consultant_add(st, "carol", now, &id), 0);
    CHECK_EQ_INT(ops->commit(st), 0);
    CHECK_EQ_INT(idt->consultant_find(st, "carol", &id), 0);
    ops->rollback(st);
    CHECK_EQ_INT(idt->consultant_find(st, "carol", &id), 0);
    ops->close(st);
    ops->close(NULL);
}

int main(int argc, char **argv)
{
    char why[256];
    log_init(0);
    const struct store_ops *ops = store_backend(argc > 1 ? argv[1] : NULL, why, sizeof why);
    if (!ops) {
        fprintf(stderr, "test_store: %s\n", why);
        return 1;
    }
    const struct store_fixture *fx = NULL;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        if (!strcmp(fixtures[i].backend, ops->name))
            fx = &fixtures[i];
    if (!fx) {
        fprintf(stderr, "test_store: no fixture for the store backend '%s'\n", ops->name);
        return 1;
    }

    test_check(ops);

    char where[256];
    void *ctx = NULL;
    if (fx->make(where, sizeof where, &ctx)) {
        fprintf(stderr, "test_store: cannot make a fresh '%s' store\n", ops->name);
        return 1;
    }
    test_contract(ops, where);
    fx->destroy(ctx);
    return check_report();
}
