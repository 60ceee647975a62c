/* store_sqlite_bilans.c: the bilans domain on SQLite (store.h, struct
 * store_bilan_ops): bilans, their owners and members, and the lists a device
 * or a consultant may see.
 *
 * Owns the queries on the bilans and bilan_members tables (created by the
 * migrations in store_sqlite.c), and how ownership and membership combine
 * into a role (ownership wins).
 *
 * Must never: log a value. */
#include <string.h>

#include "store_sqlite_int.h"

static int st_bilan_add(struct store *s, const struct store_bilan *b, int64_t now)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO bilans(id, label, owner_id, budget_s, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, b->owner_id);
    sqlite3_bind_int64(st, 4, b->budget_s);
    sqlite3_bind_int64(st, 5, now);
    return sq_done(s, st, "bilan_add");
}

/* The close's columns (§10.4), after the six read_bilan reads first. */
#define BILAN_CLOSE_COLS "ifnull(closed, 0), ifnull(purged, 0), ifnull(sheets_kept, '')"

static void read_bilan(sqlite3_stmt *st, struct store_bilan *b)
{
    char role[16];
    memset(b, 0, sizeof *b);
    sq_copy_text(st, 0, b->id, sizeof b->id);
    sq_copy_text(st, 1, b->label, sizeof b->label);
    b->owner_id = sqlite3_column_int64(st, 2);
    b->budget_s = sqlite3_column_int64(st, 3);
    b->created = sqlite3_column_int64(st, 4);
    sq_copy_text(st, 5, role, sizeof role);
    b->role = bp_role_parse(role, strlen(role));
    b->closed = sqlite3_column_int64(st, 6);
    b->purged = sqlite3_column_int64(st, 7);
    sq_copy_text(st, 8, b->sheets_kept, sizeof b->sheets_kept);
}

static int st_bilan_get(struct store *s, const char *id, struct store_bilan *out)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT id, label, owner_id, budget_s, created, '', " BILAN_CLOSE_COLS " FROM bilans WHERE id = ?1",
                &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        read_bilan(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_BILAN : sq_fail(s, "bilan_get");
    }
    sqlite3_finalize(st);
    return ret;
}

/* Steps a prepared bilan query (columns as read_bilan reads them), handing
 * each row to cb until it returns non-zero; finalizes st. */
static int each_bilan(struct store *s, sqlite3_stmt *st, store_bilan_cb cb, void *arg, const char *what)
{
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_bilan b;
        read_bilan(st, &b);
        if ((ret = cb(arg, &b)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = sq_fail(s, what);
    sqlite3_finalize(st);
    return ret;
}

static int st_bilans_for_device(struct store *s, const struct store_device *d, int max,
                                store_bilan_cb cb, void *arg)
{
    sqlite3_stmt *st;
    /* A consultant device sees its consultant's bilans as consultant; any
     * device sees the bilans it is a member of. Ownership wins on overlap. */
    if (sq_prep(s, "SELECT id, label, owner_id, budget_s, created, 'consultant', " BILAN_CLOSE_COLS " FROM bilans "
                   "WHERE ?2 != 0 AND owner_id = ?2 "
                   "UNION ALL "
                   "SELECT b.id, b.label, b.owner_id, b.budget_s, b.created, m.role, "
                   "ifnull(b.closed, 0), ifnull(b.purged, 0), ifnull(b.sheets_kept, '') "
                   "FROM bilan_members m JOIN bilans b ON b.id = m.bilan_id "
                   "WHERE m.device = ?1 AND NOT (?2 != 0 AND b.owner_id = ?2) "
                   "ORDER BY 5 DESC, 1 LIMIT ?3", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, d->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, d->role == BP_ROLE_CONSULTANT ? d->consultant_id : 0);
    sqlite3_bind_int(st, 3, max);
    return each_bilan(s, st, cb, arg, "bilans_for_device");
}

static int st_member_add(struct store *s, const char *bilan, const char *fp, enum bp_role role, int64_t now)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT OR IGNORE INTO bilan_members(bilan_id, device, role, added) "
                   "VALUES (?1, ?2, ?3, ?4)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    return sq_done(s, st, "member_add");
}

static int st_member_role(struct store *s, const char *bilan, const char *fp, enum bp_role *role)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT role FROM bilan_members WHERE bilan_id = ?1 AND device = ?2", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        char r[16];
        sq_copy_text(st, 0, r, sizeof r);
        *role = bp_role_parse(r, strlen(r));
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_NOT_MEMBER : sq_fail(s, "member_role");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_members_count(struct store *s, const char *bilan, enum bp_role role, int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sq_prep(s, "SELECT count(*) FROM bilan_members WHERE bilan_id = ?1 AND role = ?2", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bp_role_name(role), -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        ret = sq_fail(s, "members_count");
    sqlite3_finalize(st);
    return ret;
}

static int st_bilans_of_consultant(struct store *s, int64_t consultant_id, store_bilan_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT id, label, owner_id, budget_s, created, 'consultant', " BILAN_CLOSE_COLS " FROM bilans "
                   "WHERE owner_id = ?1 ORDER BY id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int64(st, 1, consultant_id);
    return each_bilan(s, st, cb, arg, "bilans_of_consultant");
}

const struct store_bilan_ops store_sqlite_bilans = {
    .bilan_add = st_bilan_add,
    .bilan_get = st_bilan_get,
    .bilans_for_device = st_bilans_for_device,
    .bilans_of_consultant = st_bilans_of_consultant,
    .member_add = st_member_add,
    .member_role = st_member_role,
    .members_count = st_members_count,
};
