/* store_sqlite_identity.c: the identity domain on SQLite (store.h,
 * struct store_identity_ops): consultants, devices, enrolment tokens and
 * invites, and the redemption steps (look a token up by its hash, mark it
 * used by one device).
 *
 * Owns the queries on the consultants, devices, enrol_tokens and invites
 * tables (created by the migrations in store_sqlite.c). A token is marked
 * used only while unused, so of two processes redeeming one token the second
 * sees BP_E_TOKEN_USED.
 *
 * Must never: see a token (only its SHA-256), log a value. */
#include <stdio.h>
#include <string.h>

#include "store_sqlite_int.h"

static int st_consultant_add(struct store *s, const char *name, int64_t now, int64_t *id)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO consultants(name, created) VALUES (?1, ?2)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sq_done(s, st, "consultant_add");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static int st_consultant_find(struct store *s, const char *name, int64_t *id)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT id FROM consultants WHERE name = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "consultant_find");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_consultant_name(struct store *s, int64_t id, char name[BP_NAME_MAX + 1])
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT name FROM consultants WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        sq_copy_text(st, 0, name, BP_NAME_MAX + 1);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "consultant_name");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_consultant_count(struct store *s, int64_t *n)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT count(*) FROM consultants", &st))
        return BP_E_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(s, "consultant_count");
}

static int st_consultant_list(struct store *s, store_consultant_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT c.id, c.name, c.created, "
                   "(SELECT count(*) FROM devices d WHERE d.consultant_id = c.id) "
                   "FROM consultants c ORDER BY c.name", &st))
        return BP_E_INTERNAL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_consultant c;
        memset(&c, 0, sizeof c);
        c.id = sqlite3_column_int64(st, 0);
        sq_copy_text(st, 1, c.name, sizeof c.name);
        c.created = sqlite3_column_int64(st, 2);
        c.devices = sqlite3_column_int64(st, 3);
        if ((ret = cb(arg, &c)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, "consultant_list");
    sqlite3_finalize(st);
    return ret;
}

static int st_enrol_token_add(struct store *s, int64_t consultant_id, const uint8_t hash[32],
                              int64_t now, int64_t expires)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO enrol_tokens(token_hash, consultant_id, created, expires) "
                   "VALUES (?1, ?2, ?3, ?4)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, consultant_id);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, expires);
    return sq_done(s, st, "enrol_token_add");
}

static int st_invite_add(struct store *s, const char *bilan, enum bp_role role, const uint8_t hash[32],
                         int64_t now, int64_t expires)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO invites(token_hash, bilan_id, role, created, expires) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires);
    return sq_done(s, st, "invite_add");
}

static int st_invites_revoke(struct store *s, const char *bilan, enum bp_role role, int64_t now,
                             int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sq_prep(s, "UPDATE invites SET expires = ?3 "
                   "WHERE bilan_id = ?1 AND role = ?2 AND used_by IS NULL AND expires > ?3", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sq_done(s, st, "invites_revoke");
    if (!rc)
        *n = sqlite3_changes(s->db);
    return rc;
}

static int st_token_get(struct store *s, const uint8_t hash[32], struct store_token *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    /* "replaced": a newer invite of the same bilan and role (by creation
     * time, then by rowid: invites are never deleted) was made while this
     * one was still valid. invites_revoke moved this one's expiry to that
     * moment, so the test also holds for a revoked invite; an invite that
     * simply ran out before the next one was made stays "expired". */
    if (sq_prep(s, "SELECT 1, consultant_id, '', 'consultant', expires, ifnull(used_by, ''), 0 "
                   "FROM enrol_tokens WHERE token_hash = ?1 "
                   "UNION ALL "
                   "SELECT 2, 0, i.bilan_id, i.role, i.expires, ifnull(i.used_by, ''), "
                   "EXISTS (SELECT 1 FROM invites n WHERE n.bilan_id = i.bilan_id AND n.role = i.role "
                   "AND (n.created > i.created OR (n.created = i.created AND n.rowid > i.rowid)) "
                   "AND n.created <= i.expires) "
                   "FROM invites i WHERE i.token_hash = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        char role[16];
        out->kind = sqlite3_column_int(st, 0) == 1 ? STORE_TOKEN_ENROL : STORE_TOKEN_INVITE;
        out->consultant_id = sqlite3_column_int64(st, 1);
        sq_copy_text(st, 2, out->bilan, sizeof out->bilan);
        sq_copy_text(st, 3, role, sizeof role);
        out->role = bp_role_parse(role, strlen(role));
        out->expires = sqlite3_column_int64(st, 4);
        sq_copy_text(st, 5, out->used_by, sizeof out->used_by);
        out->replaced = sqlite3_column_int(st, 6);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_TOKEN : sq_fail(s, "token_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_token_mark_used(struct store *s, enum store_token_kind kind, const uint8_t hash[32],
                              const char *fp, int64_t now)
{
    sqlite3_stmt *st;
    const char *sql = kind == STORE_TOKEN_ENROL
                          ? "UPDATE enrol_tokens SET used_by = ?2, used_at = ?3 "
                            "WHERE token_hash = ?1 AND used_by IS NULL"
                          : "UPDATE invites SET used_by = ?2, used_at = ?3 "
                            "WHERE token_hash = ?1 AND used_by IS NULL";
    if (sq_prep(s, sql, &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sq_done(s, st, "token_mark_used");
    if (!rc && sqlite3_changes(s->db) != 1)
        return BP_E_TOKEN_USED; /* raced: someone else redeemed it first */
    return rc;
}

static int st_device_get(struct store *s, const char *fp_in, struct store_device *out)
{
    sqlite3_stmt *st;
    char fp[STORE_FP_B64];
    snprintf(fp, sizeof fp, "%s", fp_in); /* fp_in may point into *out */
    memset(out, 0, sizeof *out);
    if (sq_prep(s, "SELECT fingerprint, sign_pub, dh_pub, role, ifnull(consultant_id, 0), name "
                   "FROM devices WHERE fingerprint = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, fp, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == BP_KEY_LEN &&
        sqlite3_column_bytes(st, 2) == BP_KEY_LEN) {
        char role[16];
        sq_copy_text(st, 0, out->fp, sizeof out->fp);
        memcpy(out->sign_pub, sqlite3_column_blob(st, 1), BP_KEY_LEN);
        memcpy(out->dh_pub, sqlite3_column_blob(st, 2), BP_KEY_LEN);
        sq_copy_text(st, 3, role, sizeof role);
        out->role = bp_role_parse(role, strlen(role));
        out->consultant_id = sqlite3_column_int64(st, 4);
        sq_copy_text(st, 5, out->name, sizeof out->name);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_DEVICE : sq_fail(s, "device_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_device_add(struct store *s, const struct store_device *d, int64_t now)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO devices(fingerprint, sign_pub, dh_pub, role, consultant_id, name, created) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, d->fp, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, d->sign_pub, BP_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, d->dh_pub, BP_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, bp_role_name(d->role), -1, SQLITE_STATIC);
    if (d->role == BP_ROLE_CONSULTANT)
        sqlite3_bind_int64(st, 5, d->consultant_id);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    return sq_done(s, st, "device_add");
}

const struct store_identity_ops store_sqlite_identity = {
    .consultant_add = st_consultant_add,
    .consultant_find = st_consultant_find,
    .consultant_name = st_consultant_name,
    .consultant_count = st_consultant_count,
    .consultant_list = st_consultant_list,
    .enrol_token_add = st_enrol_token_add,
    .invite_add = st_invite_add,
    .invites_revoke = st_invites_revoke,
    .token_get = st_token_get,
    .token_mark_used = st_token_mark_used,
    .device_get = st_device_get,
    .device_add = st_device_add,
};
