/* store_sqlite_receipts.c: the receipts domain on SQLite (store.h, struct
 * store_receipt_ops): attendance receipts, signed refusals, and which ended
 * sessions still wait for a device's signature.
 *
 * Owns the queries on the receipts and refusals tables (created by the
 * migrations in store_sqlite.c). Signatures are stored as they came; checking
 * them is the caller's job (proto/record).
 *
 * Must never: log a value. */
#include <string.h>

#include "store_sqlite_int.h"

static int st_receipt_put(struct store *s, const struct store_receipt *r)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO receipts(session, device, received_audio_ms, sas_verified, sig, stored_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(session, device) DO UPDATE SET "
                   "received_audio_ms = excluded.received_audio_ms, sas_verified = excluded.sas_verified, "
                   "sig = excluded.sig, stored_ms = excluded.stored_ms", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, r->session, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->received_audio_ms);
    sqlite3_bind_int(st, 4, r->sas_verified ? 1 : 0);
    sqlite3_bind_blob(st, 5, r->sig, BP_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, r->stored_ms);
    return sq_done(s, st, "receipt_put");
}

static int st_receipts_of_session(struct store *s, const char *session, store_receipt_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT session, device, received_audio_ms, sas_verified, sig, stored_ms FROM receipts "
                   "WHERE session = ?1 ORDER BY device", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, session, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_receipt r;
        memset(&r, 0, sizeof r);
        sq_copy_text(st, 0, r.session, sizeof r.session);
        sq_copy_text(st, 1, r.device, sizeof r.device);
        r.received_audio_ms = sqlite3_column_int64(st, 2);
        r.sas_verified = sqlite3_column_int(st, 3);
        if (sqlite3_column_bytes(st, 4) == BP_SIG_LEN)
            memcpy(r.sig, sqlite3_column_blob(st, 4), BP_SIG_LEN);
        r.stored_ms = sqlite3_column_int64(st, 5);
        if ((ret = cb(arg, &r)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, "receipts_of_session");
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_unsigned(struct store *s, const char *bilan, const char *device, int max,
                                store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    /* journal_session and the receipts primary key make both tests lookups. */
    if (sq_prep(s, "SELECT " SQ_SESSION_COLS " FROM ("
                   "  SELECT * FROM sessions WHERE bilan = ?1 AND closed_ms IS NOT NULL"
                   "  AND EXISTS (SELECT 1 FROM journal j WHERE j.session = sessions.id AND j.event = 'join'"
                   "              AND j.device = ?2)"
                   "  AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.session = sessions.id AND r.device = ?2)"
                   "  AND NOT EXISTS (SELECT 1 FROM refusals f WHERE f.session = sessions.id AND f.device = ?2)"
                   "  ORDER BY opened_ms DESC, id DESC LIMIT ?3"
                   ") ORDER BY opened_ms, id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, max);
    return sq_each_session(s, st, cb, arg, "sessions_unsigned");
}

static int st_refusal_put(struct store *s, const struct store_refusal *r)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO refusals(session, device, reason, sig, stored_ms) VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, r->session, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, r->sig, BP_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->stored_ms);
    return sq_done(s, st, "refusal_put");
}

static int st_refusals_of_session(struct store *s, const char *session, store_refusal_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT session, device, reason, sig, stored_ms FROM refusals WHERE session = ?1 "
                   "ORDER BY device", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, session, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_refusal r;
        memset(&r, 0, sizeof r);
        sq_copy_text(st, 0, r.session, sizeof r.session);
        sq_copy_text(st, 1, r.device, sizeof r.device);
        sq_copy_text(st, 2, r.reason, sizeof r.reason);
        if (sqlite3_column_bytes(st, 3) == BP_SIG_LEN)
            memcpy(r.sig, sqlite3_column_blob(st, 3), BP_SIG_LEN);
        r.stored_ms = sqlite3_column_int64(st, 4);
        if ((ret = cb(arg, &r)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, "refusals_of_session");
    sqlite3_finalize(st);
    return ret;
}

const struct store_receipt_ops store_sqlite_receipts = {
    .receipt_put = st_receipt_put,
    .receipts_of_session = st_receipts_of_session,
    .refusal_put = st_refusal_put,
    .refusals_of_session = st_refusals_of_session,
    .sessions_unsigned = st_sessions_unsigned,
};
