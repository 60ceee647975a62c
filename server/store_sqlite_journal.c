/* store_sqlite_journal.c: the journal domain on SQLite (store.h, struct
 * store_journal_ops): sessions, the append-only journal of presence lines,
 * each ended session's frozen figures and record, the personal total and
 * budget warnings.
 *
 * Owns the queries on the sessions, journal and budget_warnings tables and on
 * bilans.personal_ms (created by the migrations in store_sqlite.c, which also
 * hold the triggers that refuse to change a journal line or a stored
 * record). A personal line and its total are one change (a savepoint).
 *
 * Must never: update or delete a journal line, rewrite a stored record, log a
 * value. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite_int.h"

static int st_session_add(struct store *s, const struct store_session *ss)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO sessions(id, bilan, phase, opened_ms, rules) VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, ss->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ss->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_phase_name(ss->phase), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ss->opened_ms);
    if (ss->rules)
        sqlite3_bind_int(st, 5, ss->rules);
    return sq_done(s, st, "session_add");
}

static int st_session_end(struct store *s, const char *id, int64_t closed_ms, const char *reason)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "UPDATE sessions SET closed_ms = ?2, close_reason = ?3 WHERE id = ?1 AND closed_ms IS NULL",
                &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, closed_ms);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    return sq_done(s, st, "session_end");
}

static int st_session_get(struct store *s, const char *id, struct store_session *out)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT " SQ_SESSION_COLS " FROM sessions WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        sq_read_session(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "session_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_of_bilan(struct store *s, const char *bilan, store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT " SQ_SESSION_COLS " FROM sessions WHERE bilan = ?1 ORDER BY opened_ms, id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    return sq_each_session(s, st, cb, arg, "sessions_of_bilan");
}

static int st_sessions_end_open(struct store *s, int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sq_prep(s, "UPDATE sessions SET close_reason = 'server_restart', "
                   "closed_ms = (SELECT ifnull(max(j.t_ms), sessions.opened_ms) FROM journal j "
                   "             WHERE j.session = sessions.id) "
                   "WHERE closed_ms IS NULL", &st))
        return BP_E_INTERNAL;
    int rc = sq_done(s, st, "sessions_end_open");
    if (!rc)
        *n = sqlite3_changes(s->db);
    return rc;
}

static int st_sessions_open(struct store *s, store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT " SQ_SESSION_COLS " FROM sessions WHERE closed_ms IS NULL ORDER BY opened_ms, id", &st))
        return BP_E_INTERNAL;
    return sq_each_session(s, st, cb, arg, "sessions_open");
}

static int journal_insert(struct store *s, struct store_jev *e)
{
    sqlite3_stmt *st;
    const struct acc_event *v = &e->ev;
    if (sq_prep(s, "INSERT INTO journal(bilan, t_ms, event, session, device, role, phase, seconds, note) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, e->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v->t_ms);
    sqlite3_bind_text(st, 3, account_kind_name(v->kind), -1, SQLITE_STATIC);
    if (v->session[0])
        sqlite3_bind_text(st, 4, v->session, -1, SQLITE_STATIC);
    if (v->device[0])
        sqlite3_bind_text(st, 5, v->device, -1, SQLITE_STATIC);
    if (v->kind == ACC_JOIN)
        sqlite3_bind_text(st, 6, bp_role_name(v->role), -1, SQLITE_STATIC);
    if (v->kind == ACC_SESSION_OPEN)
        sqlite3_bind_text(st, 7, bp_phase_name(v->phase), -1, SQLITE_STATIC);
    if (v->kind == ACC_PERSONAL) {
        sqlite3_bind_int64(st, 8, v->personal_ms / 1000);
        if (e->note[0])
            sqlite3_bind_text(st, 9, e->note, -1, SQLITE_STATIC);
    }
    int rc = sq_done(s, st, "journal_append");
    if (!rc)
        e->seq = e->ev.seq = sqlite3_last_insert_rowid(s->db);
    return rc;
}

/* A savepoint makes the line and the personal total one change, inside or
 * outside the caller's transaction. */
static int st_journal_append(struct store *s, struct store_jev *e)
{
    if (e->ev.kind < 0 || e->ev.kind >= ACC_KIND_COUNT)
        return BP_E_INTERNAL;
    if (e->ev.kind != ACC_PERSONAL)
        return journal_insert(s, e);
    sqlite3_stmt *st;
    if (sq_exec(s, "SAVEPOINT personal"))
        return BP_E_INTERNAL;
    int rc = journal_insert(s, e);
    if (!rc && !(rc = sq_prep(s, "UPDATE bilans SET personal_ms = personal_ms + ?2 WHERE id = ?1", &st))) {
        sqlite3_bind_text(st, 1, e->bilan, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, e->ev.personal_ms / 1000 * 1000);
        rc = sq_done(s, st, "journal_append (personal total)");
        if (!rc && sqlite3_changes(s->db) != 1)
            rc = sq_fail(s, "journal_append (no such bilan)");
    }
    if (rc) {
        sq_exec(s, "ROLLBACK TO personal");
        sq_exec(s, "RELEASE personal");
        e->seq = e->ev.seq = 0;
        return rc;
    }
    return sq_exec(s, "RELEASE personal");
}

static int st_journal_of_bilan(struct store *s, const char *bilan, const char *session, store_jev_cb cb,
                               void *arg)
{
    sqlite3_stmt *st;
    /* Two statements, so that a session's lines come through the
     * journal_session index, not a scan of the bilan's whole journal. */
    if (sq_prep(s, session ? "SELECT seq, bilan, t_ms, event, ifnull(session, ''), ifnull(device, ''), "
                             "ifnull(role, ''), ifnull(phase, ''), ifnull(seconds, 0), ifnull(note, '') FROM journal "
                             "WHERE session = ?2 AND bilan = ?1 ORDER BY seq"
                           : "SELECT seq, bilan, t_ms, event, ifnull(session, ''), ifnull(device, ''), "
                             "ifnull(role, ''), ifnull(phase, ''), ifnull(seconds, 0), ifnull(note, '') FROM journal "
                             "WHERE bilan = ?1 ORDER BY seq",
                &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    if (session)
        sqlite3_bind_text(st, 2, session, -1, SQLITE_STATIC);
    int rc, ret = 0;
    struct store_jev *e = malloc(sizeof *e);
    if (!e) {
        sqlite3_finalize(st);
        return BP_E_NOMEM;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char kind[32], role[32], phase[32];
        memset(e, 0, sizeof *e);
        e->seq = e->ev.seq = sqlite3_column_int64(st, 0);
        sq_copy_text(st, 1, e->bilan, sizeof e->bilan);
        e->ev.t_ms = sqlite3_column_int64(st, 2);
        sq_copy_text(st, 3, kind, sizeof kind);
        e->ev.kind = account_kind_parse(kind, strlen(kind));
        sq_copy_text(st, 4, e->ev.session, sizeof e->ev.session);
        sq_copy_text(st, 5, e->ev.device, sizeof e->ev.device);
        sq_copy_text(st, 6, role, sizeof role);
        e->ev.role = role[0] ? bp_role_parse(role, strlen(role)) : BP_ROLE_NONE;
        sq_copy_text(st, 7, phase, sizeof phase);
        e->ev.phase = phase[0] ? bp_phase_parse(phase, strlen(phase)) : BP_PHASE_NONE;
        e->ev.personal_ms = sqlite3_column_int64(st, 8) * 1000;
        sq_copy_text(st, 9, e->note, sizeof e->note);
        if (e->ev.kind < 0) {
            log_err("store: journal line %lld has an unknown event", (long long)e->seq);
            ret = BP_E_INTERNAL;
            break;
        }
        if ((ret = cb(arg, e)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, "journal_of_bilan");
    free(e);
    sqlite3_finalize(st);
    return ret;
}

static int st_session_figures_put(struct store *s, const struct store_session_figures *f)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "UPDATE sessions SET rules = ?2, end_ms = ?3, closed_in_journal = ?4, face_to_face_ms = ?5, "
                   "interruptions = ?6, record = ?7 WHERE id = ?1 AND record IS NULL", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, f->rules);
    sqlite3_bind_int64(st, 3, f->end_ms);
    sqlite3_bind_int(st, 4, f->closed_in_journal ? 1 : 0);
    sqlite3_bind_int64(st, 5, f->face_to_face_ms);
    sqlite3_bind_int64(st, 6, f->interruptions);
    sqlite3_bind_text(st, 7, f->record, -1, SQLITE_STATIC);
    int rc = sq_done(s, st, "session_figures_put");
    if (!rc && sqlite3_changes(s->db) != 1)
        return STORE_E_EXISTS;
    return rc;
}

static int st_session_record_get(struct store *s, const char *id, char **json)
{
    sqlite3_stmt *st;
    *json = NULL;
    if (sq_prep(s, "SELECT record FROM sessions WHERE id = ?1 AND record IS NOT NULL", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        *json = t ? malloc((size_t)n + 1) : NULL;
        if (*json) {
            memcpy(*json, t, (size_t)n);
            (*json)[n] = '\0';
            ret = 0;
        } else {
            ret = BP_E_NOMEM;
        }
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "session_record_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_without_figures(struct store *s, int max, store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT " SQ_SESSION_COLS " FROM sessions WHERE closed_ms IS NOT NULL AND record IS NULL "
                   "ORDER BY opened_ms, id LIMIT ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int(st, 1, max);
    return sq_each_session(s, st, cb, arg, "sessions_without_figures");
}

static int st_bilan_personal_ms(struct store *s, const char *bilan, int64_t *ms)
{
    sqlite3_stmt *st;
    *ms = 0;
    if (sq_prep(s, "SELECT personal_ms FROM bilans WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        *ms = sqlite3_column_int64(st, 0);
    else
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_BILAN : sq_fail(s, "bilan_personal_ms");
    sqlite3_finalize(st);
    return ret;
}

static int st_budget_warning_add(struct store *s, const char *bilan, int level, int64_t t_ms)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO budget_warnings(bilan, level, t_ms) VALUES (?1, ?2, ?3)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, t_ms);
    return sq_done(s, st, "budget_warning_add");
}

const struct store_journal_ops store_sqlite_journal = {
    .session_add = st_session_add,
    .session_end = st_session_end,
    .session_get = st_session_get,
    .sessions_of_bilan = st_sessions_of_bilan,
    .sessions_end_open = st_sessions_end_open,
    .sessions_open = st_sessions_open,
    .journal_append = st_journal_append,
    .journal_of_bilan = st_journal_of_bilan,
    .session_figures_put = st_session_figures_put,
    .session_record_get = st_session_record_get,
    .sessions_without_figures = st_sessions_without_figures,
    .bilan_personal_ms = st_bilan_personal_ms,
    .budget_warning_add = st_budget_warning_add,
};
