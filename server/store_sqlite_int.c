/* store_sqlite_int.c: the helpers every store_sqlite*.c file shares
 * (store_sqlite_int.h): report a failure, prepare, run, step, copy a column,
 * read a sessions row.
 *
 * Owns no state and no query but the ones it is handed; kept apart from
 * store_sqlite.c so that the domain files depend on these helpers and
 * store_sqlite.c on the domain files, never in a circle.
 *
 * Must never: log a value (only what failed and SQLite's message). */
#include <string.h>

#include "log.h"
#include "store_sqlite_int.h"

int sq_fail(struct store *s, const char *what)
{
    log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
    return BP_E_INTERNAL;
}

int sq_prep(struct store *s, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return sq_fail(s, "prepare");
    }
    return 0;
}

void sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (!t || n < 0)
        n = 0;
    if ((size_t)n >= cap)
        n = (int)cap - 1;
    if (n)
        memcpy(out, t, (size_t)n);
    out[n] = '\0';
}

int sq_exec(struct store *s, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_err("store: %s", err ? err : sqlite3_errmsg(s->db));
        sqlite3_free(err);
        return BP_E_INTERNAL;
    }
    return 0;
}

/* Steps a statement expected to finish without rows. Finalizes it. */
int sq_done(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return STORE_E_EXISTS;
    }
    return sq_fail(s, what);
}

/* Reads a row of SQ_SESSION_COLS. */
void sq_read_session(sqlite3_stmt *st, struct store_session *o)
{
    char phase[32];
    memset(o, 0, sizeof *o);
    sq_copy_text(st, 0, o->id, sizeof o->id);
    sq_copy_text(st, 1, o->bilan, sizeof o->bilan);
    sq_copy_text(st, 2, phase, sizeof phase);
    o->phase = bp_phase_parse(phase, strlen(phase));
    o->opened_ms = sqlite3_column_int64(st, 3);
    o->closed_ms = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    sq_copy_text(st, 5, o->close_reason, sizeof o->close_reason);
    o->rules = sqlite3_column_int(st, 6);
    o->has_figures = sqlite3_column_type(st, 7) != SQLITE_NULL;
    o->end_ms = sqlite3_column_int64(st, 7);
    o->closed_in_journal = sqlite3_column_int(st, 8);
    o->face_to_face_ms = sqlite3_column_int64(st, 9);
    o->interruptions = sqlite3_column_int64(st, 10);
}

int sq_each_session(struct store *s, sqlite3_stmt *st, store_session_cb cb, void *arg, const char *what)
{
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_session ss;
        sq_read_session(st, &ss);
        if ((ret = cb(arg, &ss)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, what);
    sqlite3_finalize(st);
    return ret;
}
