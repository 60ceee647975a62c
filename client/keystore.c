/* keystore.c: SQLite glue for the client's local state (see keystore.h).
 *
 * Schema changes are numbered migrations applied in one transaction each and
 * recorded in PRAGMA user_version: append a migration, never edit one that
 * shipped. The file is created 0600 before SQLite opens it (SQLite gives the
 * -wal and -shm files the database's permissions). Private keys are stored
 * raw in BLOBs: the folder's 0700 mode is the protection, as for ssh keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"

struct keystore {
    sqlite3 *db;
    char dir[4096];
    char err[512];
};

static const char *const migrations[] = {
    /* 1: first schema */
    "CREATE TABLE identity ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  sign_priv BLOB NOT NULL CHECK (length(sign_priv) = 32),"
    "  dh_priv BLOB NOT NULL CHECK (length(dh_priv) = 32),"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE servers ("
    "  id INTEGER PRIMARY KEY,"
    "  host TEXT NOT NULL, port INTEGER NOT NULL,"
    "  pin BLOB CHECK (pin IS NULL OR length(pin) = 32),"
    "  role TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',"
    "  device_name TEXT NOT NULL DEFAULT '',"
    "  enrolled_at INTEGER NOT NULL,"
    "  UNIQUE (host, port));"
    "CREATE TABLE bilans ("
    "  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
    "  bilan TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT '',"
    "  budget_s INTEGER NOT NULL DEFAULT 0,"
    "  secret BLOB CHECK (secret IS NULL OR length(secret) = 32),"
    "  invite_token BLOB CHECK (invite_token IS NULL OR length(invite_token) = 32),"
    "  invite_expires INTEGER NOT NULL DEFAULT 0,"
    "  token_hash BLOB CHECK (token_hash IS NULL OR length(token_hash) = 32),"
    "  redeemed INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (server_id, bilan));"
    "CREATE INDEX bilans_token_hash ON bilans(token_hash);",
    /* 2: peers met in a bilan's room (PROTOCOL.md §8.2 step 8): verified =
     * the short code was confirmed; method = how it was first authenticated. */
    "CREATE TABLE peers ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL,"
    "  device BLOB NOT NULL CHECK (length(device) = 32),"
    "  role TEXT NOT NULL DEFAULT '',"
    "  sign_pub BLOB NOT NULL CHECK (length(sign_pub) = 32),"
    "  dh_pub BLOB NOT NULL CHECK (length(dh_pub) = 32),"
    "  verified INTEGER NOT NULL DEFAULT 0,"
    "  method TEXT NOT NULL DEFAULT '',"
    "  first_seen INTEGER NOT NULL,"
    "  verified_at INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (server_id, bilan, device),"
    "  FOREIGN KEY (server_id, bilan) REFERENCES bilans(server_id, bilan) ON DELETE CASCADE);",
    /* 3: attendance receipts this device signed (PROTOCOL.md §9.3): the
     * server's record and our attestation as JSON, as signed; sent_at = 0
     * while the server has not acknowledged it (receipt_ok): such a receipt
     * is sent again at the next connection to that server. */
    "CREATE TABLE receipts ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL, session TEXT NOT NULL,"
    "  record TEXT NOT NULL, attestation TEXT NOT NULL,"
    "  signed_at INTEGER NOT NULL, sent_at INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (server_id, bilan, session));",
    /* 4: sessions this device took part in (PROTOCOL.md §9.3): noted when
     * one opens while it is in the room, or when it joins one already open;
     * a session_record that arrives on a later visit (it was gone at the
     * close) is signed only if its session is here. */
    "CREATE TABLE sessions_taken ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL, session TEXT NOT NULL,"
    "  seen_at INTEGER NOT NULL,"
    "  PRIMARY KEY (server_id, bilan, session));",
    /* 5 (issue 7, invites): every invite secret of a bilan this device knows.
     * A consultant device draws a new secret for each invite it prints and
     * proves itself with each of them (PROTOCOL.md §8.2 step 6), so that a
     * beneficiary who joined with any of its links is recognised.
     * bilans.secret stays the newest one. */
    "CREATE TABLE bilan_secrets ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL,"
    "  secret BLOB NOT NULL CHECK (length(secret) = 32),"
    "  added INTEGER NOT NULL,"
    "  PRIMARY KEY (server_id, bilan, secret),"
    "  FOREIGN KEY (server_id, bilan) REFERENCES bilans(server_id, bilan) ON DELETE CASCADE);"
    "INSERT INTO bilan_secrets (server_id, bilan, secret, added)"
    "  SELECT server_id, bilan, secret, 0 FROM bilans WHERE secret IS NOT NULL;",
    /* 6: what this device observed of each session (attend.h, JSON), the
     * check before it signs a record; and bounds on everything a server can
     * make this device store: bilans per server, peers and observed sessions
     * per bilan, receipts per bilan. Past a bound, a new bilan or peer is not
     * stored; the oldest observed session or receipt (acknowledged first)
     * makes room. */
    "ALTER TABLE sessions_taken ADD COLUMN obs TEXT;"
    "CREATE TRIGGER bilans_bound BEFORE INSERT ON bilans"
    "  WHEN (SELECT count(*) FROM bilans WHERE server_id = NEW.server_id) >= " KS_STR(KS_BILANS_MAX)
    "   AND NOT EXISTS (SELECT 1 FROM bilans WHERE server_id = NEW.server_id AND bilan = NEW.bilan)"
    "  BEGIN SELECT RAISE(IGNORE); END;"
    "CREATE TRIGGER peers_bound BEFORE INSERT ON peers"
    "  WHEN (SELECT count(*) FROM peers WHERE server_id = NEW.server_id AND bilan = NEW.bilan) >= "
    KS_STR(KS_PEERS_MAX)
    "   AND NOT EXISTS (SELECT 1 FROM peers WHERE server_id = NEW.server_id AND bilan = NEW.bilan"
    "                   AND device = NEW.device)"
    "  BEGIN SELECT RAISE(IGNORE); END;"
    "CREATE TRIGGER sessions_taken_bound AFTER INSERT ON sessions_taken BEGIN"
    "  DELETE FROM sessions_taken WHERE rowid IN (SELECT rowid FROM sessions_taken"
    "   WHERE server_id = NEW.server_id AND bilan = NEW.bilan ORDER BY seen_at DESC, rowid DESC"
    "   LIMIT -1 OFFSET " KS_STR(KS_ATTEND_MAX) "); END;"
    "CREATE TRIGGER receipts_bound AFTER INSERT ON receipts BEGIN"
    "  DELETE FROM receipts WHERE rowid IN (SELECT rowid FROM receipts"
    "   WHERE server_id = NEW.server_id AND bilan = NEW.bilan"
    "   ORDER BY sent_at = 0 DESC, signed_at DESC, rowid DESC LIMIT -1 OFFSET " KS_STR(KS_RECEIPTS_MAX) "); END;",
};

static int fail(struct keystore *ks, const char *what)
{
    snprintf(ks->err, sizeof ks->err, "%s: %s", what,
             ks->db ? sqlite3_errmsg(ks->db) : "no database");
    return BP_E_INTERNAL;
}

const char *ks_error(const struct keystore *ks)
{
    return ks->err;
}

const char *ks_dir(const struct keystore *ks)
{
    return ks->dir;
}

/* mkdir -p with mode 0700 for the folders we create. */
static int mkdirs(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return -1;
            tmp[i] = c;
        }
    }
    return 0;
}

static int migrate(struct keystore *ks)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ks->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return fail(ks, "reading the schema version");
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    int n = (int)(sizeof migrations / sizeof migrations[0]);
    if (v > n) {
        snprintf(ks->err, sizeof ks->err,
                 "client.db has schema version %d, newer than this bilan (%d): update bilan", v, n);
        return BP_E_INTERNAL;
    }
    for (; v < n; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(ks->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return fail(ks, "starting a migration");
        if (sqlite3_exec(ks->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(ks->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
            int rc = fail(ks, "applying a schema migration");
            sqlite3_exec(ks->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(ks->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return fail(ks, "committing a migration");
    }
    return 0;
}

int ks_open(const char *dir, struct keystore **out, char *why, size_t cap)
{
    *out = NULL;
    struct keystore *ks = calloc(1, sizeof *ks);
    if (!ks) {
        snprintf(why, cap, "out of memory");
        return BP_E_NOMEM;
    }
    if (strlen(dir) + sizeof "/client.db" > sizeof ks->dir) {
        snprintf(why, cap, "data folder path is too long");
        free(ks);
        return BP_E_INTERNAL;
    }
    snprintf(ks->dir, sizeof ks->dir, "%s", dir);
    if (mkdirs(dir)) {
        snprintf(why, cap, "cannot create the data folder %s: %s", dir, strerror(errno));
        free(ks);
        return BP_E_INTERNAL;
    }
    struct stat sb;
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
        snprintf(why, cap, "data folder %s is not a folder", dir);
        free(ks);
        return BP_E_INTERNAL;
    }
    if ((sb.st_mode & 077) && sb.st_uid == getuid())
        chmod(dir, sb.st_mode & 0700); /* our keys live here: keep others out */
    char path[4200];
    snprintf(path, sizeof path, "%s/client.db", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(why, cap, "cannot open %s: %s", path, strerror(errno));
        free(ks);
        return BP_E_INTERNAL;
    }
    fchmod(fd, 0600);
    close(fd);
    if (sqlite3_open_v2(path, &ks->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        snprintf(why, cap, "cannot open %s: %s", path,
                 ks->db ? sqlite3_errmsg(ks->db) : "out of memory");
        sqlite3_close(ks->db);
        free(ks);
        return BP_E_INTERNAL;
    }
    sqlite3_busy_timeout(ks->db, 5000);
    int rc = 0;
    if (sqlite3_exec(ks->db,
                     "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                     "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
                     NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(ks, "configuring the database");
    if (!rc)
        rc = migrate(ks);
    if (rc) {
        snprintf(why, cap, "%s (%s)", ks->err, path);
        ks_close(ks);
        return rc;
    }
    *out = ks;
    return 0;
}

void ks_close(struct keystore *ks)
{
    if (!ks)
        return;
    sqlite3_close(ks->db);
    free(ks);
}

static int prepare(struct keystore *ks, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(ks->db, sql, -1, st, NULL) != SQLITE_OK)
        return fail(ks, "preparing a query");
    return 0;
}

static void bind_blob_or_null(sqlite3_stmt *st, int i, int has, const uint8_t *p, int n)
{
    if (has)
        sqlite3_bind_blob(st, i, p, n, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int column_blob32(sqlite3_stmt *st, int i, uint8_t out[32])
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 32)
        return 0;
    memcpy(out, sqlite3_column_blob(st, i), 32);
    return 1;
}

static void column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

int ks_identity(struct keystore *ks, int create, struct bp_identity *id, long long *created)
{
    sqlite3_stmt *st;
    int rc = prepare(ks, "SELECT sign_priv, dh_priv, created FROM identity WHERE id = 1", &st);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int ok = column_blob32(st, 0, id->sign_priv) && column_blob32(st, 1, id->dh_priv);
        if (created)
            *created = sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        if (!ok || bp_identity_derive_public(id)) {
            bp_identity_wipe(id);
            snprintf(ks->err, sizeof ks->err, "the identity keys in client.db are damaged");
            return BP_E_CRYPTO;
        }
        return 0;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return fail(ks, "reading the identity");
    if (!create)
        return KS_NOT_FOUND;
    if (bp_identity_generate(id)) {
        snprintf(ks->err, sizeof ks->err, "generating identity keys failed (OpenSSL)");
        return BP_E_CRYPTO;
    }
    long long now = (long long)time(NULL);
    rc = prepare(ks, "INSERT INTO identity (id, sign_priv, dh_priv, created) VALUES (1, ?, ?, ?)",
                 &st);
    if (rc) {
        bp_identity_wipe(id);
        return rc;
    }
    sqlite3_bind_blob(st, 1, id->sign_priv, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, id->dh_priv, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        bp_identity_wipe(id);
        return fail(ks, "storing the identity");
    }
    if (created)
        *created = now;
    return 0;
}

#define SERVER_COLS "id, host, port, pin, role, name, device_name, enrolled_at"

static void server_row(sqlite3_stmt *st, struct ks_server *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    column_text(st, 1, s->host, sizeof s->host);
    s->port = (uint16_t)sqlite3_column_int(st, 2);
    s->has_pin = column_blob32(st, 3, s->pin);
    column_text(st, 4, s->role, sizeof s->role);
    column_text(st, 5, s->name, sizeof s->name);
    column_text(st, 6, s->device_name, sizeof s->device_name);
    s->enrolled_at = sqlite3_column_int64(st, 7);
}

int ks_server_put(struct keystore *ks, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "INSERT INTO servers (host, port, pin, role, name, device_name, enrolled_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                     " ON CONFLICT (host, port) DO UPDATE SET pin = excluded.pin,"
                     " role = CASE WHEN excluded.role = '' THEN role ELSE excluded.role END,"
                     " name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,"
                     " device_name = CASE WHEN excluded.device_name = '' THEN device_name"
                     " ELSE excluded.device_name END"
                     " RETURNING id",
                     &st);
    if (rc)
        return rc;
    if (!s->enrolled_at)
        s->enrolled_at = (long long)time(NULL);
    sqlite3_bind_text(st, 1, s->host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, s->port);
    bind_blob_or_null(st, 3, s->has_pin, s->pin, BP_FP_LEN);
    sqlite3_bind_text(st, 4, s->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, s->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, s->device_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, s->enrolled_at);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        s->id = sqlite3_column_int64(st, 0);
    /* RETURNING rows are final only once the statement has run to completion. */
    while (step == SQLITE_ROW)
        step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return fail(ks, "storing the server");
    return 0;
}

static int server_query(struct keystore *ks, sqlite3_stmt *st, struct ks_server *s)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        server_row(st, s);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return 0;
    if (step == SQLITE_DONE)
        return KS_NOT_FOUND;
    return fail(ks, "reading a server");
}

int ks_server_get(struct keystore *ks, const char *host, uint16_t port, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc = prepare(ks, "SELECT " SERVER_COLS " FROM servers WHERE host = ? AND port = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, port);
    return server_query(ks, st, s);
}

int ks_server_by_id(struct keystore *ks, long long id, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc = prepare(ks, "SELECT " SERVER_COLS " FROM servers WHERE id = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return server_query(ks, st, s);
}

int ks_server_each(struct keystore *ks, int (*cb)(void *arg, const struct ks_server *s), void *arg)
{
    sqlite3_stmt *st;
    int rc = prepare(ks, "SELECT " SERVER_COLS " FROM servers ORDER BY id", &st);
    if (rc)
        return rc;
    int step;
    struct ks_server s;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        server_row(st, &s);
        if (cb(arg, &s))
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return fail(ks, "listing servers");
    return 0;
}

#define BILAN_COLS                                                                                 \
    "server_id, bilan, label, role, budget_s, secret, invite_token, invite_expires,"               \
    " token_hash, redeemed"

static void bilan_row(sqlite3_stmt *st, struct ks_bilan *b)
{
    memset(b, 0, sizeof *b);
    b->server_id = sqlite3_column_int64(st, 0);
    column_text(st, 1, b->bilan, sizeof b->bilan);
    column_text(st, 2, b->label, sizeof b->label);
    column_text(st, 3, b->role, sizeof b->role);
    b->budget_s = sqlite3_column_int64(st, 4);
    b->has_secret = column_blob32(st, 5, b->secret);
    b->has_token = column_blob32(st, 6, b->token);
    b->invite_expires = sqlite3_column_int64(st, 7);
    b->has_token_hash = column_blob32(st, 8, b->token_hash);
    b->redeemed = sqlite3_column_int(st, 9);
}

int ks_bilan_put(struct keystore *ks, const struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc = prepare(
        ks,
        "INSERT INTO bilans (" BILAN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (server_id, bilan) DO UPDATE SET"
        " label = CASE WHEN excluded.label = '' THEN label ELSE excluded.label END,"
        " role = CASE WHEN excluded.role = '' THEN role ELSE excluded.role END,"
        " budget_s = CASE WHEN excluded.budget_s = 0 THEN budget_s ELSE excluded.budget_s END,"
        " secret = coalesce(excluded.secret, secret),"
        " invite_token = coalesce(excluded.invite_token, invite_token),"
        " invite_expires = CASE WHEN excluded.invite_token IS NULL THEN invite_expires"
        " ELSE excluded.invite_expires END,"
        " token_hash = coalesce(excluded.token_hash, token_hash),"
        " redeemed = max(redeemed, excluded.redeemed)",
        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, b->server_id);
    sqlite3_bind_text(st, 2, b->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, b->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, b->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, b->budget_s);
    bind_blob_or_null(st, 6, b->has_secret, b->secret, BP_SECRET_LEN);
    bind_blob_or_null(st, 7, b->has_token, b->token, BP_TOKEN_LEN);
    sqlite3_bind_int64(st, 8, b->invite_expires);
    bind_blob_or_null(st, 9, b->has_token_hash, b->token_hash, 32);
    sqlite3_bind_int(st, 10, b->redeemed ? 1 : 0);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return fail(ks, "storing a bilan");
    if (!b->has_secret)
        return 0;
    /* The secret joins the bilan's list (a known one keeps its place). */
    if ((rc = prepare(ks,
                      "INSERT INTO bilan_secrets (server_id, bilan, secret, added)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                      &st)))
        return rc;
    sqlite3_bind_int64(st, 1, b->server_id);
    sqlite3_bind_text(st, 2, b->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, b->secret, BP_SECRET_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (long long)time(NULL));
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : fail(ks, "storing an invite secret");
}

int ks_bilan_secrets(struct keystore *ks, long long server_id, const char *bilan,
                     uint8_t (*out)[BP_SECRET_LEN], int max, int *n)
{
    sqlite3_stmt *st;
    *n = 0;
    int rc = prepare(ks,
                     "SELECT secret FROM bilan_secrets WHERE server_id = ?1 AND bilan = ?2"
                     " ORDER BY added DESC, rowid DESC LIMIT ?3",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, max);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        if (column_blob32(st, 0, out[*n]))
            (*n)++;
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : fail(ks, "reading invite secrets");
}

static int bilan_query(struct keystore *ks, sqlite3_stmt *st, struct ks_bilan *b)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        bilan_row(st, b);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return 0;
    if (step == SQLITE_DONE)
        return KS_NOT_FOUND;
    return fail(ks, "reading a bilan");
}

int ks_bilan_get(struct keystore *ks, long long server_id, const char *bilan, struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc =
        prepare(ks, "SELECT " BILAN_COLS " FROM bilans WHERE server_id = ? AND bilan = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    return bilan_query(ks, st, b);
}

int ks_bilan_by_token_hash(struct keystore *ks, const uint8_t hash[32], struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc = prepare(ks, "SELECT " BILAN_COLS " FROM bilans WHERE token_hash = ? LIMIT 1", &st);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    return bilan_query(ks, st, b);
}

int ks_bilan_each(struct keystore *ks, long long server_id,
                  int (*cb)(void *arg, const struct ks_bilan *b), void *arg)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "SELECT " BILAN_COLS " FROM bilans WHERE ?1 = 0 OR server_id = ?1"
                     " ORDER BY server_id, rowid",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    int step;
    struct ks_bilan b;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        bilan_row(st, &b);
        int stop = cb(arg, &b);
        OPENSSL_cleanse(&b, sizeof b);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return fail(ks, "listing bilans");
    return 0;
}

int ks_peer_put(struct keystore *ks, const struct ks_peer *p)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "INSERT INTO peers (server_id, bilan, device, role, sign_pub, dh_pub, verified,"
                     " method, first_seen, verified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                     " CASE WHEN ?7 THEN ?9 ELSE 0 END)"
                     " ON CONFLICT (server_id, bilan, device) DO UPDATE SET"
                     " role = excluded.role,"
                     " verified_at = CASE WHEN verified = 0 AND excluded.verified THEN ?9"
                     " ELSE verified_at END,"
                     " verified = max(verified, excluded.verified)",
                     &st);
    if (rc)
        return rc;
    long long now = (long long)time(NULL);
    sqlite3_bind_int64(st, 1, p->server_id);
    sqlite3_bind_text(st, 2, p->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, p->device, BP_FP_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, p->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 5, p->sign_pub, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, p->dh_pub, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, p->verified ? 1 : 0);
    sqlite3_bind_text(st, 8, p->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, now);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : fail(ks, "saving a peer");
}

int ks_peer_each(struct keystore *ks, long long server_id, const char *bilan,
                 int (*cb)(void *arg, const struct ks_peer *p), void *arg)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "SELECT device, role, sign_pub, dh_pub, verified, method, first_seen,"
                     " verified_at FROM peers WHERE server_id = ? AND bilan = ? ORDER BY rowid",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct ks_peer p;
        memset(&p, 0, sizeof p);
        p.server_id = server_id;
        snprintf(p.bilan, sizeof p.bilan, "%s", bilan);
        if (!column_blob32(st, 0, p.device) || !column_blob32(st, 2, p.sign_pub) ||
            !column_blob32(st, 3, p.dh_pub))
            continue;
        column_text(st, 1, p.role, sizeof p.role);
        p.verified = sqlite3_column_int(st, 4);
        column_text(st, 5, p.method, sizeof p.method);
        p.first_seen = sqlite3_column_int64(st, 6);
        p.verified_at = sqlite3_column_int64(st, 7);
        if (cb(arg, &p))
            break;
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : fail(ks, "reading peers");
}

int ks_receipt_put(struct keystore *ks, const struct ks_receipt *r)
{
    sqlite3_stmt *st;
    /* A record signed again (the server sent it twice) keeps its first
     * signature time and its acknowledgement. */
    int rc = prepare(ks,
                     "INSERT INTO receipts (server_id, bilan, session, record, attestation,"
                     " signed_at, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
                     " ON CONFLICT (server_id, bilan, session) DO UPDATE SET"
                     " record = excluded.record, attestation = excluded.attestation",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->server_id);
    sqlite3_bind_text(st, 2, r->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->record, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->attestation, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, r->signed_at ? r->signed_at : (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : fail(ks, "saving a receipt");
}

int ks_receipt_sent(struct keystore *ks, long long server_id, const char *session)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "UPDATE receipts SET sent_at = ?3 WHERE server_id = ?1 AND session = ?2"
                     " AND sent_at = 0",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : fail(ks, "marking a receipt sent");
}

int ks_receipt_each(struct keystore *ks, long long server_id, int pending_only,
                    int (*cb)(void *arg, const struct ks_receipt *r), void *arg)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "SELECT server_id, bilan, session, record, attestation, signed_at, sent_at"
                     " FROM receipts WHERE (?1 = 0 OR server_id = ?1) AND (?2 = 0 OR sent_at = 0)"
                     " ORDER BY signed_at, rowid",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_int(st, 2, pending_only ? 1 : 0);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct ks_receipt r;
        memset(&r, 0, sizeof r);
        r.server_id = sqlite3_column_int64(st, 0);
        column_text(st, 1, r.bilan, sizeof r.bilan);
        column_text(st, 2, r.session, sizeof r.session);
        r.record = (const char *)sqlite3_column_text(st, 3);
        r.attestation = (const char *)sqlite3_column_text(st, 4);
        r.signed_at = sqlite3_column_int64(st, 5);
        r.sent_at = sqlite3_column_int64(st, 6);
        if (!r.record || !r.attestation)
            continue;
        if (cb(arg, &r))
            break;
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : fail(ks, "reading receipts");
}

int ks_attend_put(struct keystore *ks, long long server_id, const char *bilan, const char *session, const char *obs)
{
    sqlite3_stmt *st;
    int rc = prepare(ks,
                     "INSERT INTO sessions_taken (server_id, bilan, session, seen_at, obs)"
                     " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET obs = excluded.obs",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (long long)time(NULL));
    sqlite3_bind_text(st, 5, obs, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : fail(ks, "keeping what this device saw of a session");
}

int ks_attend_get(struct keystore *ks, long long server_id, const char *bilan, const char *session, char **obs)
{
    sqlite3_stmt *st;
    *obs = NULL;
    int rc = prepare(ks,
                     "SELECT obs FROM sessions_taken WHERE server_id = ?1 AND bilan = ?2 AND session = ?3"
                     " AND obs IS NOT NULL",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, session, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *obs = t ? strdup(t) : NULL;
        rc = *obs ? 0 : BP_E_NOMEM;
    } else {
        rc = step == SQLITE_DONE ? KS_NOT_FOUND : fail(ks, "reading what this device saw of a session");
    }
    sqlite3_finalize(st);
    return rc;
}
