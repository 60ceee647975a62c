/* store_sqlite_worksheets.c: the worksheets domain on SQLite (store.h,
 * struct store_worksheet_ops): sealed operations in the server's order,
 * the document key's id and wraps, the beneficiary's consent, and the
 * close and purge that delete them (PROTOCOL.md §10).
 *
 * Owns the queries on the sheet_ops, sheet_wraps and sheet_consents tables
 * and on the close's columns of bilans (all created by the migrations in
 * store_sqlite.c). The bytes are stored as they came: the server has no key
 * to them.
 *
 * Must never: log a value, hand out a pointer past the call, or delete an
 * operation of a sheet the close was told to keep. */
#include <string.h>

#include "store_sqlite_int.h"

/* The row of (bilan, op), if any: its seq, and whether author and bytes are o's. */
static int existing(struct store *s, struct store_sheet_op *o, int *same)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT seq, author, sealed FROM sheet_ops WHERE bilan = ?1 AND op = ?2", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, o->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, o->op, BP_WS_OPID_RAW, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        o->seq = sqlite3_column_int64(st, 0);
        const char *author = (const char *)sqlite3_column_text(st, 1);
        const void *b = sqlite3_column_blob(st, 2);
        size_t n = (size_t)sqlite3_column_bytes(st, 2);
        *same = author && !strcmp(author, o->author) && n == o->sealed_len && b && !memcmp(b, o->sealed, n);
        ret = STORE_E_EXISTS;
    } else {
        ret = rc == SQLITE_DONE ? 0 : sq_fail(s, "sheet_op_put");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_sheet_op_put(struct store *s, struct store_sheet_op *o, int *same)
{
    *same = 0;
    int rc = existing(s, o, same);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    /* One statement: the next seq and the row together (the server is one
     * thread, and SQLite runs a statement whole). */
    if (sq_prep(s, "INSERT INTO sheet_ops(bilan, seq, op, author, sealed, stored_ms, sheet, role) "
                   "SELECT ?1, ifnull(max(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7 FROM sheet_ops WHERE bilan = ?1 "
                   "RETURNING seq", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, o->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, o->op, BP_WS_OPID_RAW, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->author, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, o->sealed, (int)o->sealed_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, o->stored_ms);
    sqlite3_bind_text(st, 6, o->sheet, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, bp_role_name(o->role), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        o->seq = sqlite3_column_int64(st, 0);
    else
        ret = sq_fail(s, "sheet_op_put");
    if (!ret && sqlite3_step(st) != SQLITE_DONE)
        ret = sq_fail(s, "sheet_op_put");
    sqlite3_finalize(st);
    return ret;
}

static int st_sheet_ops_after(struct store *s, const char *bilan, int64_t after, int max, store_sheet_op_cb cb,
                              void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT seq, op, author, sealed, stored_ms, sheet, role FROM sheet_ops WHERE bilan = ?1 AND seq > ?2 "
                   "ORDER BY seq LIMIT ?3", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, max);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_sheet_op o;
        memset(&o, 0, sizeof o);
        snprintf(o.bilan, sizeof o.bilan, "%s", bilan);
        o.seq = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) == BP_WS_OPID_RAW)
            memcpy(o.op, sqlite3_column_blob(st, 1), BP_WS_OPID_RAW);
        sq_copy_text(st, 2, o.author, sizeof o.author);
        o.sealed = sqlite3_column_blob(st, 3);
        o.sealed_len = (size_t)sqlite3_column_bytes(st, 3);
        o.stored_ms = sqlite3_column_int64(st, 4);
        sq_copy_text(st, 5, o.sheet, sizeof o.sheet);
        char role[16];
        sq_copy_text(st, 6, role, sizeof role);
        o.role = bp_role_parse(role, strlen(role));
        if ((ret = cb(arg, &o)))
            break;
    }
    if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = sq_fail(s, "sheet_ops_after");
    sqlite3_finalize(st);
    return ret;
}

static int st_sheet_usage(struct store *s, const char *bilan, int64_t *count, int64_t *bytes)
{
    sqlite3_stmt *st;
    *count = *bytes = 0;
    /* Counted by triggers (migration 5): a sum over the bilan's operations
     * at every push made 10,000 pushes quadratic. */
    if (sq_prep(s, "SELECT sheet_ops_n, sheet_ops_bytes FROM bilans WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int ret = 0, step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        *bytes = sqlite3_column_int64(st, 1);
    } else if (step != SQLITE_DONE) {
        ret = sq_fail(s, "sheet_usage");
    }
    sqlite3_finalize(st);
    return ret;
}

/* ---- the document key (§10.2) ---- */

static int st_sheet_kid_get(struct store *s, const char *bilan, char kid[BP_WS_SHEET_B64 + 1])
{
    sqlite3_stmt *st;
    kid[0] = '\0';
    if (sq_prep(s, "SELECT sheet_kid FROM bilans WHERE id = ?1 AND sheet_kid IS NOT NULL", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        sq_copy_text(st, 0, kid, BP_WS_SHEET_B64 + 1);
    else
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "sheet_kid_get");
    sqlite3_finalize(st);
    return ret;
}

static int st_sheet_kid_set(struct store *s, const char *bilan, const char *kid)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "UPDATE bilans SET sheet_kid = ?2 WHERE id = ?1 AND sheet_kid IS NULL", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kid, -1, SQLITE_STATIC);
    int rc = sq_done(s, st, "sheet_kid_set");
    if (!rc && sqlite3_changes(s->db) == 0)
        rc = STORE_E_EXISTS;
    return rc;
}

/* The one integer of a query (count, sum...) with text parameters a and b
 * (b may be NULL: a query with one). */
static int int_of(struct store *s, const char *sql, const char *a, const char *b, int64_t *out, const char *what)
{
    sqlite3_stmt *st;
    *out = 0;
    if (sq_prep(s, sql, &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int ret = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        ret = sq_fail(s, what);
    sqlite3_finalize(st);
    return ret;
}

static int st_sheet_wrap_put(struct store *s, const struct store_sheet_wrap *w, int max)
{
    int64_t n, mine;
    int rc = int_of(s, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?1", w->bilan, NULL, &n, "sheet_wrap_put");
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT count(*) FROM sheet_wraps WHERE bilan = ?1 AND from_device = ?2 AND to_device = ?3",
                &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, w->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, w->to, -1, SQLITE_STATIC);
    mine = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (mine < 0)
        return sq_fail(s, "sheet_wrap_put");
    if (!mine && n >= max)
        return BP_E_TOO_LARGE;
    if (sq_prep(s, "INSERT OR REPLACE INTO sheet_wraps(bilan, from_device, to_device, wrap, stored_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, w->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, w->to, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, w->wrap, BP_WS_WRAP_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, w->stored_ms);
    return sq_done(s, st, "sheet_wrap_put");
}

static void copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
    if ((size_t)sqlite3_column_bytes(st, col) == n)
        memcpy(out, sqlite3_column_blob(st, col), n);
    else
        memset(out, 0, n);
}

static int st_sheet_wraps_to(struct store *s, const char *bilan, const char *to, store_sheet_wrap_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT w.from_device, w.wrap, w.stored_ms, d.sign_pub, d.dh_pub FROM sheet_wraps w "
                   "JOIN devices d ON d.fingerprint = w.from_device "
                   "WHERE w.bilan = ?1 AND w.to_device = ?2 ORDER BY w.from_device", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_sheet_wrap w;
        memset(&w, 0, sizeof w);
        snprintf(w.bilan, sizeof w.bilan, "%s", bilan);
        snprintf(w.to, sizeof w.to, "%s", to);
        sq_copy_text(st, 0, w.from, sizeof w.from);
        copy_blob(st, 1, w.wrap, BP_WS_WRAP_LEN);
        w.stored_ms = sqlite3_column_int64(st, 2);
        copy_blob(st, 3, w.from_sign_pub, BP_KEY_LEN);
        copy_blob(st, 4, w.from_dh_pub, BP_KEY_LEN);
        if ((ret = cb(arg, &w)))
            break;
    }
    if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = sq_fail(s, "sheet_wraps_to");
    sqlite3_finalize(st);
    return ret;
}

/* ---- the consent (§10.3) ---- */

static int st_sheet_consent_put(struct store *s, const struct store_sheet_consent *c)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT OR REPLACE INTO sheet_consents(bilan, device, statement, sig, at, stored_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, c->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->statement, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, c->sig, BP_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, c->at);
    sqlite3_bind_int64(st, 6, c->stored_ms);
    return sq_done(s, st, "sheet_consent_put");
}

static int st_sheet_consent_get(struct store *s, const char *bilan, struct store_sheet_consent *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sq_prep(s, "SELECT device, statement, sig, at, stored_ms FROM sheet_consents WHERE bilan = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        snprintf(out->bilan, sizeof out->bilan, "%s", bilan);
        sq_copy_text(st, 0, out->device, sizeof out->device);
        sq_copy_text(st, 1, out->statement, sizeof out->statement);
        copy_blob(st, 2, out->sig, BP_SIG_LEN);
        out->at = sqlite3_column_int64(st, 3);
        out->stored_ms = sqlite3_column_int64(st, 4);
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "sheet_consent_get");
    }
    sqlite3_finalize(st);
    return ret;
}

/* ---- the close and the purge (§10.4) ---- */

/* Runs sql (?1 the bilan, ?2 the kept ids as a JSON array when given) and
 * adds the rows it changed to *changed (may be NULL). */
static int run_bilan(struct store *s, const char *sql, const char *bilan, const char *kept, int64_t *changed,
                     const char *what)
{
    sqlite3_stmt *st;
    if (sq_prep(s, sql, &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    if (kept)
        sqlite3_bind_text(st, 2, kept, -1, SQLITE_STATIC);
    int rc = sq_done(s, st, what);
    if (!rc && changed)
        *changed += sqlite3_changes(s->db);
    return rc;
}

/* The kept ids as a JSON array text (ids are base64url: no escaping). */
static void kept_json(const char (*kept)[BP_WS_SHEET_B64 + 1], size_t n, char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "[");
    for (size_t i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s\"%s\"", i ? "," : "", kept[i]);
    if (k < cap)
        snprintf(out + k, cap - k, "]");
}

static int st_bilan_close(struct store *s, const char *bilan, int64_t closed,
                          const char (*kept)[BP_WS_SHEET_B64 + 1], size_t n, struct store_sheet_counts *out)
{
    memset(out, 0, sizeof *out);
    if (n > BP_WS_CONSENT_SHEETS)
        return BP_E_INTERNAL;
    int64_t was;
    int rc = int_of(s, "SELECT ifnull((SELECT ifnull(closed, 0) FROM bilans WHERE id = ?1), -1)", bilan, NULL,
                    &was, "bilan_close");
    if (rc)
        return rc;
    if (was < 0)
        return BP_E_UNKNOWN_BILAN;
    if (was > 0)
        return BP_E_BILAN_CLOSED;
    char list[sizeof ((struct store_bilan *)0)->sheets_kept];
    kept_json(kept, n, list, sizeof list);
    const char *gone = "FROM sheet_ops WHERE bilan = ?1 AND sheet NOT IN (SELECT value FROM json_each(?2))";
    char sql[256];
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT count(*), ifnull(sum(length(sealed)), 0) FROM sheet_ops WHERE bilan = ?1 "
                   "AND sheet NOT IN (SELECT value FROM json_each(?2))", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, list, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->deleted_ops = sqlite3_column_int64(st, 0);
        out->deleted_bytes = sqlite3_column_int64(st, 1);
    } else {
        rc = sq_fail(s, "bilan_close");
    }
    sqlite3_finalize(st);
    snprintf(sql, sizeof sql, "DELETE %s", gone);
    if (!rc)
        rc = run_bilan(s, sql, bilan, list, NULL, "bilan_close");
    if (!rc && n == 0)
        rc = run_bilan(s, "DELETE FROM sheet_wraps WHERE bilan = ?1", bilan, NULL, &out->deleted_wraps,
                       "bilan_close");
    if (!rc && n == 0)
        rc = run_bilan(s, "DELETE FROM sheet_consents WHERE bilan = ?1", bilan, NULL, &out->deleted_consents,
                       "bilan_close");
    if (!rc)
        rc = int_of(s, "SELECT count(*) FROM sheet_ops WHERE bilan = ?1", bilan, NULL, &out->kept_ops,
                    "bilan_close");
    if (rc)
        return rc;
    if (sq_prep(s, "UPDATE bilans SET closed = ?2, sheets_kept = ?3, "
                   "sheet_kid = CASE WHEN ?4 THEN sheet_kid END WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, closed);
    if (n)
        sqlite3_bind_text(st, 3, list, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int(st, 4, n > 0);
    return sq_done(s, st, "bilan_close");
}

static int st_bilans_to_purge(struct store *s, int64_t closed_before, store_bilan_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT id, closed FROM bilans WHERE closed IS NOT NULL AND closed <= ?1 AND purged IS NULL "
                   "ORDER BY id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int64(st, 1, closed_before);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_bilan b;
        memset(&b, 0, sizeof b);
        sq_copy_text(st, 0, b.id, sizeof b.id);
        b.closed = sqlite3_column_int64(st, 1);
        if ((ret = cb(arg, &b)))
            break;
    }
    if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = sq_fail(s, "bilans_to_purge");
    sqlite3_finalize(st);
    return ret;
}

static int st_bilan_purge(struct store *s, const char *bilan, int64_t now, struct store_sheet_counts *out)
{
    memset(out, 0, sizeof *out);
    int rc = int_of(s, "SELECT count(*) FROM sheet_ops WHERE bilan = ?1", bilan, NULL, &out->deleted_ops,
                    "bilan_purge");
    if (!rc)
        rc = int_of(s, "SELECT ifnull(sum(length(sealed)), 0) FROM sheet_ops WHERE bilan = ?1", bilan, NULL,
                    &out->deleted_bytes, "bilan_purge");
    if (!rc)
        rc = run_bilan(s, "DELETE FROM sheet_ops WHERE bilan = ?1", bilan, NULL, NULL, "bilan_purge");
    if (!rc)
        rc = run_bilan(s, "DELETE FROM sheet_wraps WHERE bilan = ?1", bilan, NULL, &out->deleted_wraps,
                       "bilan_purge");
    if (!rc)
        rc = run_bilan(s, "DELETE FROM sheet_consents WHERE bilan = ?1", bilan, NULL, &out->deleted_consents,
                       "bilan_purge");
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sq_prep(s, "UPDATE bilans SET purged = ?2, sheets_kept = NULL, sheet_kid = NULL WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    return sq_done(s, st, "bilan_purge");
}

const struct store_worksheet_ops store_sqlite_worksheets = {
    .sheet_op_put = st_sheet_op_put,
    .sheet_ops_after = st_sheet_ops_after,
    .sheet_usage = st_sheet_usage,
    .sheet_kid_get = st_sheet_kid_get,
    .sheet_kid_set = st_sheet_kid_set,
    .sheet_wrap_put = st_sheet_wrap_put,
    .sheet_wraps_to = st_sheet_wraps_to,
    .sheet_consent_put = st_sheet_consent_put,
    .sheet_consent_get = st_sheet_consent_get,
    .bilan_close = st_bilan_close,
    .bilans_to_purge = st_bilans_to_purge,
    .bilan_purge = st_bilan_purge,
};
