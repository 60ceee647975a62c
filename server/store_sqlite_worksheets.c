/* store_sqlite_worksheets.c: the worksheets domain on SQLite (store.h,
 * struct store_worksheet_ops): sealed operations in the server's order.
 *
 * Owns the queries on the sheet_ops table (created by the migrations in
 * store_sqlite.c). The bytes are stored as they came: the server has no key
 * to them.
 *
 * Must never: log a value, or hand out a pointer past the call. */
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
    if (sq_prep(s, "INSERT INTO sheet_ops(bilan, seq, op, author, sealed, stored_ms) "
                   "SELECT ?1, ifnull(max(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM sheet_ops WHERE bilan = ?1 "
                   "RETURNING seq", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, o->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, o->op, BP_WS_OPID_RAW, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->author, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, o->sealed, (int)o->sealed_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, o->stored_ms);
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
    if (sq_prep(s, "SELECT seq, op, author, sealed, stored_ms FROM sheet_ops WHERE bilan = ?1 AND seq > ?2 "
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
    if (sq_prep(s, "SELECT count(*), ifnull(sum(length(sealed)), 0) FROM sheet_ops WHERE bilan = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int ret = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        *bytes = sqlite3_column_int64(st, 1);
    } else {
        ret = sq_fail(s, "sheet_usage");
    }
    sqlite3_finalize(st);
    return ret;
}

const struct store_worksheet_ops store_sqlite_worksheets = {
    .sheet_op_put = st_sheet_op_put,
    .sheet_ops_after = st_sheet_ops_after,
    .sheet_usage = st_sheet_usage,
};
