/* store_sqlite.c: the store on one SQLite file (DATA/server.db).
 *
 * Owns the schema and its numbered migrations (PRAGMA user_version is the
 * number of the last one applied; each runs in its own transaction). WAL mode
 * lets the admin subcommands read and write while the server runs; a busy
 * timeout makes the two wait for each other instead of failing. Foreign keys
 * are on. Statements are prepared per call: the server's database traffic is
 * a handful of statements per connection, never per frame.
 *
 * Must never: store a token (only SHA-256 hashes arrive here), log a value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

struct store {
    sqlite3 *db;
};

/* Migrations: append only. Index i brings the schema from version i to i+1.
 * Later issues (worksheets...) add entries here. */
static const char *const migrations[] = {
    /* 1: identities, bilans, tokens, settings */
    "CREATE TABLE consultants ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE devices ("
    "  fingerprint TEXT PRIMARY KEY,"
    "  sign_pub BLOB NOT NULL CHECK (length(sign_pub) = 32),"
    "  dh_pub BLOB NOT NULL CHECK (length(dh_pub) = 32),"
    "  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),"
    "  consultant_id INTEGER REFERENCES consultants(id),"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  CHECK ((role = 'consultant') = (consultant_id IS NOT NULL)));"
    "CREATE INDEX devices_consultant ON devices(consultant_id);"
    "CREATE TABLE enrol_tokens ("
    "  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
    "  consultant_id INTEGER NOT NULL REFERENCES consultants(id),"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used_by TEXT REFERENCES devices(fingerprint),"
    "  used_at INTEGER);"
    "CREATE TABLE bilans ("
    "  id TEXT PRIMARY KEY,"
    "  label TEXT NOT NULL,"
    "  owner_id INTEGER NOT NULL REFERENCES consultants(id),"
    "  budget_s INTEGER NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX bilans_owner ON bilans(owner_id);"
    "CREATE TABLE invites ("
    "  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
    "  bilan_id TEXT NOT NULL REFERENCES bilans(id),"
    "  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used_by TEXT REFERENCES devices(fingerprint),"
    "  used_at INTEGER);"
    "CREATE TABLE bilan_members ("
    "  bilan_id TEXT NOT NULL REFERENCES bilans(id),"
    "  device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),"
    "  added INTEGER NOT NULL,"
    "  PRIMARY KEY (bilan_id, device));"
    "CREATE INDEX bilan_members_device ON bilan_members(device);"
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);",
    /* 2: sessions, the presence journal (append-only), receipts, budget warnings */
    "CREATE TABLE sessions ("
    "  id TEXT PRIMARY KEY,"
    "  bilan TEXT NOT NULL REFERENCES bilans(id),"
    "  phase TEXT NOT NULL CHECK (phase IN ('preliminaire', 'investigation', 'conclusion', 'suivi')),"
    "  opened_ms INTEGER NOT NULL,"
    "  closed_ms INTEGER,"
    "  close_reason TEXT);"
    "CREATE INDEX sessions_bilan ON sessions(bilan, opened_ms);"
    "CREATE TABLE journal ("
    "  seq INTEGER PRIMARY KEY,"
    "  bilan TEXT NOT NULL REFERENCES bilans(id),"
    "  t_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL CHECK (event IN ('session_open', 'session_close', 'join', 'leave', 'lost',"
    "    'alive', 'personal')),"
    "  session TEXT REFERENCES sessions(id),"
    "  device TEXT,"
    "  role TEXT CHECK (role IS NULL OR role IN ('consultant', 'beneficiary')),"
    "  phase TEXT,"
    "  seconds INTEGER,"   /* personal: milliseconds would be finer, but declarations are whole seconds */
    "  note TEXT);"
    "CREATE INDEX journal_bilan ON journal(bilan, seq);"
    "CREATE INDEX journal_session ON journal(session, seq);"
    "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
    "  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
    "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
    "  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
    "CREATE TABLE receipts ("
    "  session TEXT NOT NULL REFERENCES sessions(id),"
    "  device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  received_audio_ms INTEGER NOT NULL,"
    "  sas_verified INTEGER NOT NULL CHECK (sas_verified IN (0, 1)),"
    "  sig BLOB NOT NULL CHECK (length(sig) = 64),"
    "  stored_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session, device));"
    "CREATE TABLE budget_warnings ("
    "  bilan TEXT NOT NULL REFERENCES bilans(id),"
    "  level INTEGER NOT NULL,"
    "  t_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (bilan, level));",
    /* 3: journal format 2 (every line's seq is its identity); figures and
     * record of each ended session, frozen once computed; the personal total
     * kept with the journal; signed refusals. Sessions that ended before
     * this migration keep the counting rules they were signed under (1):
     * their figures and record are computed once, at the next start. */
    "ALTER TABLE sessions ADD COLUMN rules INTEGER;"
    "ALTER TABLE sessions ADD COLUMN end_ms INTEGER;"
    "ALTER TABLE sessions ADD COLUMN closed_in_journal INTEGER;"
    "ALTER TABLE sessions ADD COLUMN face_to_face_ms INTEGER;"
    "ALTER TABLE sessions ADD COLUMN interruptions INTEGER;"
    "ALTER TABLE sessions ADD COLUMN record TEXT;"
    "UPDATE sessions SET rules = 1 WHERE closed_ms IS NOT NULL;"
    "ALTER TABLE bilans ADD COLUMN personal_ms INTEGER NOT NULL DEFAULT 0;"
    "UPDATE bilans SET personal_ms = (SELECT ifnull(sum(j.seconds), 0) * 1000 FROM journal j "
    "  WHERE j.bilan = bilans.id AND j.event = 'personal');"
    "CREATE TABLE refusals ("
    "  session TEXT NOT NULL REFERENCES sessions(id),"
    "  device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  reason TEXT NOT NULL,"
    "  sig BLOB NOT NULL CHECK (length(sig) = 64),"
    "  stored_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session, device));"
    "CREATE TRIGGER session_record_frozen BEFORE UPDATE OF record ON sessions "
    "  WHEN OLD.record IS NOT NULL "
    "  BEGIN SELECT RAISE(ABORT, 'a session record is never rewritten'); END;",
};
#define MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int fail(struct store *s, const char *what)
{
    log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
    return BP_E_INTERNAL;
}

static int prep(struct store *s, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return fail(s, "prepare");
    }
    return 0;
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
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

static int exec(struct store *s, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_err("store: %s", err ? err : sqlite3_errmsg(s->db));
        sqlite3_free(err);
        return BP_E_INTERNAL;
    }
    return 0;
}

static int user_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (prep(s, "PRAGMA user_version", &st))
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(struct store *s, char *why, size_t why_len)
{
    int v = user_version(s);
    if (v < 0) {
        snprintf(why, why_len, "cannot read the schema version: %s", sqlite3_errmsg(s->db));
        return BP_E_INTERNAL;
    }
    if (v > MIGRATIONS) {
        snprintf(why, why_len,
                 "the database has schema version %d but this bilan-server knows only up to %d; "
                 "use a newer bilan-server", v, MIGRATIONS);
        return STORE_E_VERSION;
    }
    for (; v < MIGRATIONS; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        /* IMMEDIATE: a second process migrating at the same time waits, then
         * sees the new version and skips. */
        if (exec(s, "BEGIN IMMEDIATE"))
            goto bad;
        int now_v = user_version(s);
        if (now_v > v) {
            exec(s, "COMMIT");
            v = now_v - 1;
            continue;
        }
        if (exec(s, migrations[v]) || exec(s, pragma) || exec(s, "COMMIT")) {
            exec(s, "ROLLBACK");
            goto bad;
        }
        log_info("store: database schema migrated to version %d", v + 1);
    }
    return 0;
bad:
    snprintf(why, why_len, "schema migration %d failed: %s", v + 1, sqlite3_errmsg(s->db));
    return BP_E_INTERNAL;
}

static void st_close(struct store *s)
{
    if (!s)
        return;
    /* sqlite3_close_v2 defers if a statement leaked; all of ours are
     * finalized on every path, so this closes now and checkpoints the WAL. */
    sqlite3_close_v2(s->db);
    free(s);
}

static int st_open(const char *path, int create, struct store **out, char *why, size_t why_len)
{
    struct stat sb;
    *out = NULL;
    if (!create && stat(path, &sb) != 0) {
        snprintf(why, why_len, "no database at %s", path);
        return STORE_E_NODB;
    }
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_len, "out of memory");
        return BP_E_NOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        st_close(s);
        return BP_E_INTERNAL;
    }
    if (create)
        chmod(path, 0600);
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 1);
    int rc;
    if ((rc = exec(s, "PRAGMA journal_mode = WAL")) || (rc = exec(s, "PRAGMA foreign_keys = ON")) ||
        (rc = exec(s, "PRAGMA synchronous = NORMAL"))) {
        snprintf(why, why_len, "cannot configure %s: %s", path, sqlite3_errmsg(s->db));
        st_close(s);
        return rc;
    }
    if ((rc = migrate(s, why, why_len))) {
        st_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int st_schema_version(struct store *s)
{
    return user_version(s);
}

static int st_begin(struct store *s)
{
    return exec(s, "BEGIN IMMEDIATE");
}

static int st_commit(struct store *s)
{
    if (exec(s, "COMMIT")) {
        exec(s, "ROLLBACK");
        return BP_E_INTERNAL;
    }
    return 0;
}

static void st_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        exec(s, "ROLLBACK");
}

/* Steps a statement expected to finish without rows. Finalizes it. */
static int done(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return STORE_E_EXISTS;
    }
    return fail(s, what);
}

static int st_setting_get(struct store *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT value FROM settings WHERE key = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        copy_text(st, 0, out, cap);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : fail(s, "setting_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_setting_set(struct store *s, const char *key, const char *value)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return done(s, st, "setting_set");
}

static int st_consultant_add(struct store *s, const char *name, int64_t now, int64_t *id)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO consultants(name, created) VALUES (?1, ?2)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = done(s, st, "consultant_add");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static int st_consultant_find(struct store *s, const char *name, int64_t *id)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT id FROM consultants WHERE name = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : fail(s, "consultant_find");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_consultant_name(struct store *s, int64_t id, char name[BP_NAME_MAX + 1])
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT name FROM consultants WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        copy_text(st, 0, name, BP_NAME_MAX + 1);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : fail(s, "consultant_name");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_consultant_count(struct store *s, int64_t *n)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT count(*) FROM consultants", &st))
        return BP_E_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : fail(s, "consultant_count");
}

static int st_consultant_list(struct store *s, store_consultant_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT c.id, c.name, c.created, "
                "(SELECT count(*) FROM devices d WHERE d.consultant_id = c.id) "
                "FROM consultants c ORDER BY c.name", &st))
        return BP_E_INTERNAL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_consultant c;
        memset(&c, 0, sizeof c);
        c.id = sqlite3_column_int64(st, 0);
        copy_text(st, 1, c.name, sizeof c.name);
        c.created = sqlite3_column_int64(st, 2);
        c.devices = sqlite3_column_int64(st, 3);
        if ((ret = cb(arg, &c)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "consultant_list");
    sqlite3_finalize(st);
    return ret;
}

static int st_enrol_token_add(struct store *s, int64_t consultant_id, const uint8_t hash[32],
                              int64_t now, int64_t expires)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO enrol_tokens(token_hash, consultant_id, created, expires) "
                "VALUES (?1, ?2, ?3, ?4)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, consultant_id);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, expires);
    return done(s, st, "enrol_token_add");
}

static int st_invite_add(struct store *s, const char *bilan, enum bp_role role, const uint8_t hash[32],
                         int64_t now, int64_t expires)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO invites(token_hash, bilan_id, role, created, expires) "
                "VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires);
    return done(s, st, "invite_add");
}

static int st_invites_revoke(struct store *s, const char *bilan, enum bp_role role, int64_t now,
                             int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (prep(s, "UPDATE invites SET expires = ?3 "
                "WHERE bilan_id = ?1 AND role = ?2 AND used_by IS NULL AND expires > ?3", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = done(s, st, "invites_revoke");
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
    if (prep(s, "SELECT 1, consultant_id, '', 'consultant', expires, ifnull(used_by, ''), 0 "
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
        copy_text(st, 2, out->bilan, sizeof out->bilan);
        copy_text(st, 3, role, sizeof role);
        out->role = bp_role_parse(role, strlen(role));
        out->expires = sqlite3_column_int64(st, 4);
        copy_text(st, 5, out->used_by, sizeof out->used_by);
        out->replaced = sqlite3_column_int(st, 6);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_TOKEN : fail(s, "token_get");
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
    if (prep(s, sql, &st))
        return BP_E_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = done(s, st, "token_mark_used");
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
    if (prep(s, "SELECT fingerprint, sign_pub, dh_pub, role, ifnull(consultant_id, 0), name "
                "FROM devices WHERE fingerprint = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, fp, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == BP_KEY_LEN &&
        sqlite3_column_bytes(st, 2) == BP_KEY_LEN) {
        char role[16];
        copy_text(st, 0, out->fp, sizeof out->fp);
        memcpy(out->sign_pub, sqlite3_column_blob(st, 1), BP_KEY_LEN);
        memcpy(out->dh_pub, sqlite3_column_blob(st, 2), BP_KEY_LEN);
        copy_text(st, 3, role, sizeof role);
        out->role = bp_role_parse(role, strlen(role));
        out->consultant_id = sqlite3_column_int64(st, 4);
        copy_text(st, 5, out->name, sizeof out->name);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_DEVICE : fail(s, "device_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_device_add(struct store *s, const struct store_device *d, int64_t now)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO devices(fingerprint, sign_pub, dh_pub, role, consultant_id, name, created) "
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
    return done(s, st, "device_add");
}

static int st_bilan_add(struct store *s, const struct store_bilan *b, int64_t now)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO bilans(id, label, owner_id, budget_s, created) VALUES (?1, ?2, ?3, ?4, ?5)",
             &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, b->owner_id);
    sqlite3_bind_int64(st, 4, b->budget_s);
    sqlite3_bind_int64(st, 5, now);
    return done(s, st, "bilan_add");
}

static void read_bilan(sqlite3_stmt *st, struct store_bilan *b)
{
    char role[16];
    memset(b, 0, sizeof *b);
    copy_text(st, 0, b->id, sizeof b->id);
    copy_text(st, 1, b->label, sizeof b->label);
    b->owner_id = sqlite3_column_int64(st, 2);
    b->budget_s = sqlite3_column_int64(st, 3);
    b->created = sqlite3_column_int64(st, 4);
    copy_text(st, 5, role, sizeof role);
    b->role = bp_role_parse(role, strlen(role));
}

static int st_bilan_get(struct store *s, const char *id, struct store_bilan *out)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT id, label, owner_id, budget_s, created, '' FROM bilans WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        read_bilan(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_BILAN : fail(s, "bilan_get");
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
        ret = fail(s, what);
    sqlite3_finalize(st);
    return ret;
}

static int st_bilans_for_device(struct store *s, const struct store_device *d, int max,
                                store_bilan_cb cb, void *arg)
{
    sqlite3_stmt *st;
    /* A consultant device sees its consultant's bilans as consultant; any
     * device sees the bilans it is a member of. Ownership wins on overlap. */
    if (prep(s, "SELECT id, label, owner_id, budget_s, created, 'consultant' FROM bilans "
                "WHERE ?2 != 0 AND owner_id = ?2 "
                "UNION ALL "
                "SELECT b.id, b.label, b.owner_id, b.budget_s, b.created, m.role "
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
    if (prep(s, "INSERT OR IGNORE INTO bilan_members(bilan_id, device, role, added) "
                "VALUES (?1, ?2, ?3, ?4)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    return done(s, st, "member_add");
}

static int st_member_role(struct store *s, const char *bilan, const char *fp, enum bp_role *role)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT role FROM bilan_members WHERE bilan_id = ?1 AND device = ?2", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        char r[16];
        copy_text(st, 0, r, sizeof r);
        *role = bp_role_parse(r, strlen(r));
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? BP_E_NOT_MEMBER : fail(s, "member_role");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_members_count(struct store *s, const char *bilan, enum bp_role role, int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (prep(s, "SELECT count(*) FROM bilan_members WHERE bilan_id = ?1 AND role = ?2", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bp_role_name(role), -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        ret = fail(s, "members_count");
    sqlite3_finalize(st);
    return ret;
}

/* ---- Sessions, journal, receipts, budget warnings ---- */

static int st_bilans_of_consultant(struct store *s, int64_t consultant_id, store_bilan_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT id, label, owner_id, budget_s, created, 'consultant' FROM bilans "
                "WHERE owner_id = ?1 ORDER BY id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int64(st, 1, consultant_id);
    return each_bilan(s, st, cb, arg, "bilans_of_consultant");
}

static int st_session_add(struct store *s, const struct store_session *ss)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO sessions(id, bilan, phase, opened_ms, rules) VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, ss->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ss->bilan, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, bp_phase_name(ss->phase), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ss->opened_ms);
    if (ss->rules)
        sqlite3_bind_int(st, 5, ss->rules);
    return done(s, st, "session_add");
}

static int st_session_end(struct store *s, const char *id, int64_t closed_ms, const char *reason)
{
    sqlite3_stmt *st;
    if (prep(s, "UPDATE sessions SET closed_ms = ?2, close_reason = ?3 WHERE id = ?1 AND closed_ms IS NULL",
             &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, closed_ms);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    return done(s, st, "session_end");
}

static void read_session(sqlite3_stmt *st, struct store_session *o)
{
    char phase[32];
    memset(o, 0, sizeof *o);
    copy_text(st, 0, o->id, sizeof o->id);
    copy_text(st, 1, o->bilan, sizeof o->bilan);
    copy_text(st, 2, phase, sizeof phase);
    o->phase = bp_phase_parse(phase, strlen(phase));
    o->opened_ms = sqlite3_column_int64(st, 3);
    o->closed_ms = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    copy_text(st, 5, o->close_reason, sizeof o->close_reason);
    o->rules = sqlite3_column_int(st, 6);
    o->has_figures = sqlite3_column_type(st, 7) != SQLITE_NULL;
    o->end_ms = sqlite3_column_int64(st, 7);
    o->closed_in_journal = sqlite3_column_int(st, 8);
    o->face_to_face_ms = sqlite3_column_int64(st, 9);
    o->interruptions = sqlite3_column_int64(st, 10);
}

#define SESSION_COLS "id, bilan, phase, opened_ms, closed_ms, ifnull(close_reason, ''), ifnull(rules, 0), " \
                     "end_ms, ifnull(closed_in_journal, 0), ifnull(face_to_face_ms, 0), ifnull(interruptions, 0)"

static int st_session_get(struct store *s, const char *id, struct store_session *out)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        read_session(st, out);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : fail(s, "session_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_of_bilan(struct store *s, const char *bilan, store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT " SESSION_COLS " FROM sessions WHERE bilan = ?1 ORDER BY opened_ms, id", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_session ss;
        read_session(st, &ss);
        if ((ret = cb(arg, &ss)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "sessions_of_bilan");
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_end_open(struct store *s, int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (prep(s, "UPDATE sessions SET close_reason = 'server_restart', "
                "closed_ms = (SELECT ifnull(max(j.t_ms), sessions.opened_ms) FROM journal j "
                "             WHERE j.session = sessions.id) "
                "WHERE closed_ms IS NULL", &st))
        return BP_E_INTERNAL;
    int rc = done(s, st, "sessions_end_open");
    if (!rc)
        *n = sqlite3_changes(s->db);
    return rc;
}

static int journal_insert(struct store *s, struct store_jev *e)
{
    sqlite3_stmt *st;
    const struct acc_event *v = &e->ev;
    if (prep(s, "INSERT INTO journal(bilan, t_ms, event, session, device, role, phase, seconds, note) "
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
    int rc = done(s, st, "journal_append");
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
    if (exec(s, "SAVEPOINT personal"))
        return BP_E_INTERNAL;
    int rc = journal_insert(s, e);
    if (!rc && !(rc = prep(s, "UPDATE bilans SET personal_ms = personal_ms + ?2 WHERE id = ?1", &st))) {
        sqlite3_bind_text(st, 1, e->bilan, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, e->ev.personal_ms / 1000 * 1000);
        rc = done(s, st, "journal_append (personal total)");
        if (!rc && sqlite3_changes(s->db) != 1)
            rc = fail(s, "journal_append (no such bilan)");
    }
    if (rc) {
        exec(s, "ROLLBACK TO personal");
        exec(s, "RELEASE personal");
        e->seq = e->ev.seq = 0;
        return rc;
    }
    return exec(s, "RELEASE personal");
}

static int st_journal_of_bilan(struct store *s, const char *bilan, const char *session, store_jev_cb cb,
                               void *arg)
{
    sqlite3_stmt *st;
    /* Two statements, so that a session's lines come through the
     * journal_session index, not a scan of the bilan's whole journal. */
    if (prep(s, session ? "SELECT seq, bilan, t_ms, event, ifnull(session, ''), ifnull(device, ''), "
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
        copy_text(st, 1, e->bilan, sizeof e->bilan);
        e->ev.t_ms = sqlite3_column_int64(st, 2);
        copy_text(st, 3, kind, sizeof kind);
        e->ev.kind = account_kind_parse(kind, strlen(kind));
        copy_text(st, 4, e->ev.session, sizeof e->ev.session);
        copy_text(st, 5, e->ev.device, sizeof e->ev.device);
        copy_text(st, 6, role, sizeof role);
        e->ev.role = role[0] ? bp_role_parse(role, strlen(role)) : BP_ROLE_NONE;
        copy_text(st, 7, phase, sizeof phase);
        e->ev.phase = phase[0] ? bp_phase_parse(phase, strlen(phase)) : BP_PHASE_NONE;
        e->ev.personal_ms = sqlite3_column_int64(st, 8) * 1000;
        copy_text(st, 9, e->note, sizeof e->note);
        if (e->ev.kind < 0) {
            log_err("store: journal line %lld has an unknown event", (long long)e->seq);
            ret = BP_E_INTERNAL;
            break;
        }
        if ((ret = cb(arg, e)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "journal_of_bilan");
    free(e);
    sqlite3_finalize(st);
    return ret;
}

static int st_receipt_put(struct store *s, const struct store_receipt *r)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO receipts(session, device, received_audio_ms, sas_verified, sig, stored_ms) "
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
    return done(s, st, "receipt_put");
}

static int st_receipts_of_session(struct store *s, const char *session, store_receipt_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT session, device, received_audio_ms, sas_verified, sig, stored_ms FROM receipts "
                "WHERE session = ?1 ORDER BY device", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, session, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_receipt r;
        memset(&r, 0, sizeof r);
        copy_text(st, 0, r.session, sizeof r.session);
        copy_text(st, 1, r.device, sizeof r.device);
        r.received_audio_ms = sqlite3_column_int64(st, 2);
        r.sas_verified = sqlite3_column_int(st, 3);
        if (sqlite3_column_bytes(st, 4) == BP_SIG_LEN)
            memcpy(r.sig, sqlite3_column_blob(st, 4), BP_SIG_LEN);
        r.stored_ms = sqlite3_column_int64(st, 5);
        if ((ret = cb(arg, &r)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "receipts_of_session");
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_unsigned(struct store *s, const char *bilan, const char *device, int max,
                                store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    /* journal_session and the receipts primary key make both tests lookups. */
    if (prep(s, "SELECT " SESSION_COLS " FROM ("
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
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_session ss;
        read_session(st, &ss);
        if ((ret = cb(arg, &ss)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "sessions_unsigned");
    sqlite3_finalize(st);
    return ret;
}

static int st_budget_warning_add(struct store *s, const char *bilan, int level, int64_t t_ms)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO budget_warnings(bilan, level, t_ms) VALUES (?1, ?2, ?3)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, level);
    sqlite3_bind_int64(st, 3, t_ms);
    return done(s, st, "budget_warning_add");
}

/* ---- Frozen figures, personal total, refusals (schema 3) ---- */

static int st_session_figures_put(struct store *s, const struct store_session_figures *f)
{
    sqlite3_stmt *st;
    if (prep(s, "UPDATE sessions SET rules = ?2, end_ms = ?3, closed_in_journal = ?4, face_to_face_ms = ?5, "
                "interruptions = ?6, record = ?7 WHERE id = ?1 AND record IS NULL", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, f->rules);
    sqlite3_bind_int64(st, 3, f->end_ms);
    sqlite3_bind_int(st, 4, f->closed_in_journal ? 1 : 0);
    sqlite3_bind_int64(st, 5, f->face_to_face_ms);
    sqlite3_bind_int64(st, 6, f->interruptions);
    sqlite3_bind_text(st, 7, f->record, -1, SQLITE_STATIC);
    int rc = done(s, st, "session_figures_put");
    if (!rc && sqlite3_changes(s->db) != 1)
        return STORE_E_EXISTS;
    return rc;
}

static int st_session_record_get(struct store *s, const char *id, char **json)
{
    sqlite3_stmt *st;
    *json = NULL;
    if (prep(s, "SELECT record FROM sessions WHERE id = ?1 AND record IS NOT NULL", &st))
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
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : fail(s, "session_record_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_sessions_without_figures(struct store *s, int max, store_session_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT " SESSION_COLS " FROM sessions WHERE closed_ms IS NOT NULL AND record IS NULL "
                "ORDER BY opened_ms, id LIMIT ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_int(st, 1, max);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_session ss;
        read_session(st, &ss);
        if ((ret = cb(arg, &ss)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "sessions_without_figures");
    sqlite3_finalize(st);
    return ret;
}

static int st_bilan_personal_ms(struct store *s, const char *bilan, int64_t *ms)
{
    sqlite3_stmt *st;
    *ms = 0;
    if (prep(s, "SELECT personal_ms FROM bilans WHERE id = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, bilan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        *ms = sqlite3_column_int64(st, 0);
    else
        ret = rc == SQLITE_DONE ? BP_E_UNKNOWN_BILAN : fail(s, "bilan_personal_ms");
    sqlite3_finalize(st);
    return ret;
}

static int st_refusal_put(struct store *s, const struct store_refusal *r)
{
    sqlite3_stmt *st;
    if (prep(s, "INSERT INTO refusals(session, device, reason, sig, stored_ms) VALUES (?1, ?2, ?3, ?4, ?5)", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, r->session, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, r->sig, BP_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->stored_ms);
    return done(s, st, "refusal_put");
}

static int st_refusals_of_session(struct store *s, const char *session, store_refusal_cb cb, void *arg)
{
    sqlite3_stmt *st;
    if (prep(s, "SELECT session, device, reason, sig, stored_ms FROM refusals WHERE session = ?1 "
                "ORDER BY device", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, session, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_refusal r;
        memset(&r, 0, sizeof r);
        copy_text(st, 0, r.session, sizeof r.session);
        copy_text(st, 1, r.device, sizeof r.device);
        copy_text(st, 2, r.reason, sizeof r.reason);
        if (sqlite3_column_bytes(st, 3) == BP_SIG_LEN)
            memcpy(r.sig, sqlite3_column_blob(st, 3), BP_SIG_LEN);
        r.stored_ms = sqlite3_column_int64(st, 4);
        if ((ret = cb(arg, &r)))
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = fail(s, "refusals_of_session");
    sqlite3_finalize(st);
    return ret;
}

const struct store_ops store_sqlite = {
    .api_version = STORE_API_VERSION,
    .name = "sqlite",
    .open = st_open,
    .close = st_close,
    .schema_version = st_schema_version,
    .begin = st_begin,
    .commit = st_commit,
    .rollback = st_rollback,
    .setting_get = st_setting_get,
    .setting_set = st_setting_set,
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
    .bilan_add = st_bilan_add,
    .bilan_get = st_bilan_get,
    .bilans_for_device = st_bilans_for_device,
    .member_add = st_member_add,
    .member_role = st_member_role,
    .members_count = st_members_count,
    .bilans_of_consultant = st_bilans_of_consultant,
    .session_add = st_session_add,
    .session_end = st_session_end,
    .session_get = st_session_get,
    .sessions_of_bilan = st_sessions_of_bilan,
    .sessions_end_open = st_sessions_end_open,
    .journal_append = st_journal_append,
    .journal_of_bilan = st_journal_of_bilan,
    .receipt_put = st_receipt_put,
    .receipts_of_session = st_receipts_of_session,
    .sessions_unsigned = st_sessions_unsigned,
    .budget_warning_add = st_budget_warning_add,
    .session_figures_put = st_session_figures_put,
    .session_record_get = st_session_record_get,
    .sessions_without_figures = st_sessions_without_figures,
    .bilan_personal_ms = st_bilan_personal_ms,
    .refusal_put = st_refusal_put,
    .refusals_of_session = st_refusals_of_session,
};
