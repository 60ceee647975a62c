/* keystore.c: the key store's database (see keystore.h): opening
 * client.db, its schema and migrations, closing, the error text, and the
 * statement helpers the domain files share (keystore_db.h). The queries of
 * each domain are in ks_identity.c, ks_servers.c, ks_bilans.c, ks_peers.c,
 * ks_receipts.c, ks_attend.c and ks_sheets.c (the worksheet replica).
 *
 * Schema changes are numbered migrations applied in one transaction each and
 * recorded in PRAGMA user_version: append a migration, never edit one that
 * shipped. The whole schema is here, in one list, so that a change is read
 * in one place. The file is created 0600 before SQLite opens it (SQLite gives
 * the -wal and -shm files the database's permissions). Private keys are
 * stored raw in BLOBs: the folder's 0700 mode is the protection, as for ssh
 * keys. */
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
#include "i18n.h"
#include "keystore_db.h"

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
    /* 7 (issue 11, worksheets): the replica of each bilan's worksheets
     * (ks_sheets.c): every operation this device holds, as its canonical
     * JSON plaintext (what is sealed), with the seq the server gave it
     * (NULL while pending: made here, not yet pushed), its author and the
     * author's role (what the rules check a field's editors against), and
     * ord, the order it was stored in (pending ops are pushed in that
     * order). ws_state: per bilan, the last seq applied, the hybrid clock,
     * and the counts the bounds are checked on (KS_WS_OPS_MAX,
     * KS_WS_BYTES_MAX in ks_sheets.h; checked by ks_ws_put). */
    "CREATE TABLE ws_ops ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL,"
    "  op BLOB NOT NULL CHECK (length(op) = 16),"
    "  sheet BLOB NOT NULL CHECK (length(sheet) = 16),"
    "  seq INTEGER CHECK (seq IS NULL OR seq >= 1),"
    "  author BLOB NOT NULL CHECK (length(author) = 32),"
    "  role TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  ord INTEGER NOT NULL,"
    "  PRIMARY KEY (server_id, bilan, op));"
    "CREATE UNIQUE INDEX ws_ops_ord ON ws_ops(server_id, bilan, ord);"
    "CREATE INDEX ws_ops_sheet ON ws_ops(server_id, bilan, sheet);"
    "CREATE TABLE ws_state ("
    "  server_id INTEGER NOT NULL, bilan TEXT NOT NULL,"
    "  after INTEGER NOT NULL DEFAULT 0,"
    "  hlc_ms INTEGER NOT NULL DEFAULT 0, hlc_counter INTEGER NOT NULL DEFAULT 0,"
    "  n_ops INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    "  next_ord INTEGER NOT NULL DEFAULT 1,"
    "  PRIMARY KEY (server_id, bilan));",
    /* 8: the worksheets' document key of each bilan (PROTOCOL.md §10.2) and
     * the devices this device wrapped it for (so each gets it once). */
    "CREATE TABLE doc_keys (server_id INTEGER NOT NULL, bilan TEXT NOT NULL, key BLOB NOT NULL,"
    "  kid TEXT NOT NULL, claimed INTEGER NOT NULL DEFAULT 0, stored_at INTEGER NOT NULL,"
    "  PRIMARY KEY (server_id, bilan));"
    "CREATE TABLE doc_key_wraps (server_id INTEGER NOT NULL, bilan TEXT NOT NULL, kid TEXT NOT NULL,"
    "  device BLOB NOT NULL, wrapped_at INTEGER NOT NULL, PRIMARY KEY (server_id, bilan, kid, device));",
};

int ks__fail(struct keystore *ks, const char *what)
{
    /* SQLite's own words stay as it says them (English): they are for
     * whoever fixes the file; ours say what we were doing. */
    snprintf(ks->err, sizeof ks->err, _("%s : %s"), what,
             ks->db ? sqlite3_errmsg(ks->db) : _("base non ouverte"));
    return BP_E_INTERNAL;
}

int ks__exec_bilan(struct keystore *ks, const char *sql, long long server_id, const char *bilan,
                   const char *what)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, sql, &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE || step == SQLITE_ROW ? 0 : ks__fail(ks, what);
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
        return ks__fail(ks, _("lecture de la version du schéma"));
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    int n = (int)(sizeof migrations / sizeof migrations[0]);
    if (v > n) {
        snprintf(ks->err, sizeof ks->err,
                 _("client.db a la version de schéma %d, plus récente que ce bilan (%d) : "
                   "mettez bilan à jour"),
                 v, n);
        return BP_E_INTERNAL;
    }
    for (; v < n; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(ks->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return ks__fail(ks, _("début d'une mise à jour du schéma"));
        if (sqlite3_exec(ks->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(ks->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
            int rc = ks__fail(ks, _("mise à jour du schéma"));
            sqlite3_exec(ks->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(ks->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return ks__fail(ks, _("fin d'une mise à jour du schéma"));
    }
    return 0;
}

int ks_open(const char *dir, struct keystore **out, char *why, size_t cap)
{
    *out = NULL;
    struct keystore *ks = calloc(1, sizeof *ks);
    if (!ks) {
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    if (strlen(dir) + sizeof "/client.db" > sizeof ks->dir) {
        snprintf(why, cap, "%s", _("le chemin du dossier de données est trop long"));
        free(ks);
        return BP_E_INTERNAL;
    }
    snprintf(ks->dir, sizeof ks->dir, "%s", dir);
    if (mkdirs(dir)) {
        snprintf(why, cap, _("impossible de créer le dossier de données %s : %s"), dir,
                 i18n_strerror(errno));
        free(ks);
        return BP_E_INTERNAL;
    }
    struct stat sb;
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
        snprintf(why, cap, _("le dossier de données %s n'est pas un dossier"), dir);
        free(ks);
        return BP_E_INTERNAL;
    }
    if ((sb.st_mode & 077) && sb.st_uid == getuid())
        chmod(dir, sb.st_mode & 0700); /* our keys live here: keep others out */
    char path[4200];
    snprintf(path, sizeof path, "%s/client.db", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(why, cap, _("impossible d'ouvrir %s : %s"), path, i18n_strerror(errno));
        free(ks);
        return BP_E_INTERNAL;
    }
    fchmod(fd, 0600);
    close(fd);
    if (sqlite3_open_v2(path, &ks->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        snprintf(why, cap, _("impossible d'ouvrir %s : %s"), path,
                 ks->db ? sqlite3_errmsg(ks->db) : _("mémoire insuffisante"));
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
        rc = ks__fail(ks, _("configuration de la base"));
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

int ks__prepare(struct keystore *ks, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(ks->db, sql, -1, st, NULL) != SQLITE_OK)
        return ks__fail(ks, _("préparation d'une requête"));
    return 0;
}

void ks__bind_blob_or_null(sqlite3_stmt *st, int i, int has, const uint8_t *p, int n)
{
    if (has)
        sqlite3_bind_blob(st, i, p, n, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int ks__column_blob32(sqlite3_stmt *st, int i, uint8_t out[32])
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 32)
        return 0;
    memcpy(out, sqlite3_column_blob(st, i), 32);
    return 1;
}

void ks__column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}
