/* store_sqlite.c: the store on one SQLite file (DATA/server.db): its base.
 *
 * Owns the schema and its numbered migrations (PRAGMA user_version is the
 * number of the last one applied; each runs in its own transaction), opening
 * and closing, transactions, settings, and the table `store_sqlite` that ties
 * the domain files together. WAL mode lets the admin subcommands read and
 * write while the server runs; a busy timeout makes the two wait for each
 * other instead of failing. Foreign keys are on. Statements are prepared per
 * call: the server's database traffic is a handful of statements per
 * connection, never per frame.
 *
 * The domains' operations live in store_sqlite_identity.c, _bilans.c,
 * _journal.c and _receipts.c, on the helpers of store_sqlite_int.c; their
 * tables are created here, because the migrations are one numbered sequence
 * over the whole file.
 *
 * Must never: store a token (only SHA-256 hashes arrive here), log a value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store_sqlite_int.h"

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
    /* 4: worksheets' sealed operations (PROTOCOL.md §10), in the order the
     * server gave them; the server cannot read them. */
    "CREATE TABLE sheet_ops ("
    "  bilan TEXT NOT NULL REFERENCES bilans(id),"
    "  seq INTEGER NOT NULL CHECK (seq >= 1),"
    "  op BLOB NOT NULL CHECK (length(op) = 16),"
    "  author TEXT NOT NULL,"
    "  sealed BLOB NOT NULL,"
    "  stored_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (bilan, seq),"
    "  UNIQUE (bilan, op));",
    /* 5: each operation's sheet (kept or deleted by sheet at the close) and
     * its author's role (PROTOCOL.md §10.1; operations stored before have
     * no sheet, and their role is computed now as the server enrolled it);
     * the document key's id and wraps (§10.2); the beneficiary's consent
     * (§10.3); the close and the purge (§10.4). */
    "ALTER TABLE sheet_ops ADD COLUMN sheet TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE sheet_ops ADD COLUMN role TEXT NOT NULL DEFAULT '';"
    "UPDATE sheet_ops SET role = CASE WHEN EXISTS (SELECT 1 FROM devices d JOIN bilans b "
    "  ON b.owner_id = d.consultant_id WHERE d.fingerprint = sheet_ops.author AND b.id = sheet_ops.bilan) "
    "  THEN 'consultant' ELSE ifnull((SELECT m.role FROM bilan_members m WHERE m.bilan_id = sheet_ops.bilan "
    "  AND m.device = sheet_ops.author), '') END;"
    "CREATE INDEX sheet_ops_sheet ON sheet_ops(bilan, sheet);"
    "ALTER TABLE bilans ADD COLUMN closed INTEGER;"
    "ALTER TABLE bilans ADD COLUMN sheets_kept TEXT;"
    "ALTER TABLE bilans ADD COLUMN purged INTEGER;"
    "ALTER TABLE bilans ADD COLUMN sheet_kid TEXT;"
    "CREATE TABLE sheet_wraps ("
    "  bilan TEXT NOT NULL REFERENCES bilans(id),"
    "  from_device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  to_device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  wrap BLOB NOT NULL CHECK (length(wrap) = 60),"
    "  stored_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (bilan, from_device, to_device));"
    "CREATE INDEX sheet_wraps_to ON sheet_wraps(bilan, to_device);"
    "CREATE TABLE sheet_consents ("
    "  bilan TEXT PRIMARY KEY REFERENCES bilans(id),"
    "  device TEXT NOT NULL REFERENCES devices(fingerprint),"
    "  statement TEXT NOT NULL,"
    "  sig BLOB NOT NULL CHECK (length(sig) = 64),"
    "  at INTEGER NOT NULL,"
    "  stored_ms INTEGER NOT NULL);"
    /* The bilan's worksheet usage (its limits, §10.1), kept by triggers so
     * that a push does not sum every operation before it. */
    "ALTER TABLE bilans ADD COLUMN sheet_ops_n INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE bilans ADD COLUMN sheet_ops_bytes INTEGER NOT NULL DEFAULT 0;"
    "UPDATE bilans SET sheet_ops_n = (SELECT count(*) FROM sheet_ops o WHERE o.bilan = bilans.id),"
    "  sheet_ops_bytes = (SELECT ifnull(sum(length(sealed)), 0) FROM sheet_ops o WHERE o.bilan = bilans.id);"
    "CREATE TRIGGER sheet_ops_count_in AFTER INSERT ON sheet_ops BEGIN"
    "  UPDATE bilans SET sheet_ops_n = sheet_ops_n + 1, sheet_ops_bytes = sheet_ops_bytes + length(NEW.sealed)"
    "  WHERE id = NEW.bilan; END;"
    "CREATE TRIGGER sheet_ops_count_out AFTER DELETE ON sheet_ops BEGIN"
    "  UPDATE bilans SET sheet_ops_n = sheet_ops_n - 1, sheet_ops_bytes = sheet_ops_bytes - length(OLD.sealed)"
    "  WHERE id = OLD.bilan; END;",
};
#define MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- Schema, open, close ---- */

static int user_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sq_prep(s, "PRAGMA user_version", &st))
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
        if (sq_exec(s, "BEGIN IMMEDIATE"))
            goto bad;
        int now_v = user_version(s);
        if (now_v > v) {
            sq_exec(s, "COMMIT");
            v = now_v - 1;
            continue;
        }
        if (sq_exec(s, migrations[v]) || sq_exec(s, pragma) || sq_exec(s, "COMMIT")) {
            sq_exec(s, "ROLLBACK");
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
    if ((rc = sq_exec(s, "PRAGMA journal_mode = WAL")) || (rc = sq_exec(s, "PRAGMA foreign_keys = ON")) ||
        (rc = sq_exec(s, "PRAGMA synchronous = NORMAL"))) {
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

/* ---- Transactions, settings ---- */

static int st_begin(struct store *s)
{
    return sq_exec(s, "BEGIN IMMEDIATE");
}

static int st_commit(struct store *s)
{
    if (sq_exec(s, "COMMIT")) {
        sq_exec(s, "ROLLBACK");
        return BP_E_INTERNAL;
    }
    return 0;
}

static void st_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sq_exec(s, "ROLLBACK");
}

static int st_setting_get(struct store *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "SELECT value FROM settings WHERE key = ?1", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        sq_copy_text(st, 0, out, cap);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? STORE_E_NOTFOUND : sq_fail(s, "setting_get");
    }
    sqlite3_finalize(st);
    return ret;
}

static int st_setting_set(struct store *s, const char *key, const char *value)
{
    sqlite3_stmt *st;
    if (sq_prep(s, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st))
        return BP_E_INTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return sq_done(s, st, "setting_set");
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
    .identity = &store_sqlite_identity,
    .bilans = &store_sqlite_bilans,
    .journal = &store_sqlite_journal,
    .receipts = &store_sqlite_receipts,
    .worksheets = &store_sqlite_worksheets,
};
