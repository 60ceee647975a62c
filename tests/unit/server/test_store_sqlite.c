/* test_store_sqlite.c: what only the SQLite backend (server/store_sqlite*.c)
 * promises, seen in its file: the schema number, the file's mode and WAL
 * journal, the triggers that keep the journal append-only and a stored record
 * frozen, the migration of a schema-2 file (the previous release) and of a
 * schema-4 file (sealed operations before their sheet and role), a newer
 * file refused, and tokens stored only as hashes (their bytes appear nowhere
 * in the file). The store's contract, the same for every backend, is
 * test_store.c. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"
#include "auth.h"
#include "log.h"
#include "store.h"

static const struct store_ops *ops = &store_sqlite;
static char dir[] = "/tmp/bilan-test-store-sqlite-XXXXXX";

static void mkdev(struct store_device *d, int seed)
{
    uint8_t fp[BP_FP_LEN];
    memset(d, 0, sizeof *d);
    memset(d->sign_pub, seed, BP_KEY_LEN);
    memset(d->dh_pub, seed + 100, BP_KEY_LEN);
    bp_fingerprint(d->sign_pub, d->dh_pub, fp);
    bp_b64_encode(fp, BP_FP_LEN, d->fp);
}

/* One value of a read-only query on the file, or -1. */
static long long q1(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* A fresh file: schema 3, mode 0600, WAL; reopening keeps the version.
 * Then the triggers and the token bytes, on a file with a redeemed
 * enrolment token, a redeemed invite and journal lines. */
static void test_fresh(void)
{
    char path[256], why[256];
    struct store *st = NULL;
    snprintf(path, sizeof path, "%s/server.db", dir);
    CHECK_EQ_INT(store_open(ops, path, 1, &st, why, sizeof why), 0);
    if (!st)
        return;
    CHECK_EQ_INT(ops->schema_version(st), 5);
    ops->close(st);
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), 0);
    if (!st)
        return;
    CHECK_EQ_INT(ops->schema_version(st), 5);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    sqlite3 *db = NULL;
    char mode[16] = "";
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    CHECK_STR(mode, "wal");

    int64_t now = 1700000000, alice = 0;
    struct auth_token t1, inv;
    struct store_device d1, ben, out;
    mkdev(&d1, 1);
    mkdev(&ben, 50);
    CHECK_EQ_INT(ops->identity->consultant_add(st, "alice", now, &alice), 0);
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 3600, &t1), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 10, &out), 0);
    struct store_bilan b = {.owner_id = alice, .budget_s = 3600};
    snprintf(b.id, sizeof b.id, "hb1");
    snprintf(b.label, sizeof b.label, "hours");
    CHECK_EQ_INT(ops->bilans->bilan_add(st, &b, now), 0);
    CHECK_EQ_INT(auth_token_new(&inv), 0);
    CHECK_EQ_INT(ops->identity->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv.hash, now, now + 100), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben, now, &out), 0);
    struct store_session ss = {.phase = BP_PHASE_SUIVI, .opened_ms = 1000};
    snprintf(ss.id, sizeof ss.id, "s1");
    snprintf(ss.bilan, sizeof ss.bilan, "hb1");
    CHECK_EQ_INT(ops->journal->session_add(st, &ss), 0);
    struct store_jev e;
    memset(&e, 0, sizeof e);
    snprintf(e.bilan, sizeof e.bilan, "hb1");
    snprintf(e.ev.session, sizeof e.ev.session, "s1");
    e.ev.kind = ACC_SESSION_OPEN;
    e.ev.phase = BP_PHASE_SUIVI;
    e.ev.t_ms = 1000;
    CHECK_EQ_INT(ops->journal->journal_append(st, &e), 0);
    CHECK_EQ_INT(ops->journal->session_end(st, "s1", 2000, "closed"), 0);
    struct store_session_figures fig = {.rules = 2, .end_ms = 2000, .record = "{\"v\":1}"};
    snprintf(fig.id, sizeof fig.id, "s1");
    CHECK_EQ_INT(ops->journal->session_figures_put(st, &fig), 0);

    /* Append-only: the schema refuses UPDATE and DELETE, whoever asks; and a
     * stored record is never rewritten. */
    CHECK(raw_exec(path, "UPDATE journal SET t_ms = 0") != SQLITE_OK);
    CHECK(raw_exec(path, "DELETE FROM journal") != SQLITE_OK);
    CHECK(raw_exec(path, "UPDATE sessions SET record = '{}' WHERE id = 's1'") != SQLITE_OK);
    CHECK_EQ_INT(q1(path, "SELECT count(*) FROM journal"), 1);

    /* Tokens are stored hashed: the raw token bytes appear nowhere in the file. */
    ops->close(st);
    FILE *f = fopen(path, "rb");
    size_t found = 0;
    CHECK(f != NULL);
    if (f) {
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK(len > 0 && len < sizeof buf);
        for (size_t i = 0; i + BP_TOKEN_LEN <= len; i++)
            if (!memcmp(buf + i, t1.raw, BP_TOKEN_LEN) || !memcmp(buf + i, inv.raw, BP_TOKEN_LEN))
                found++;
    }
    CHECK_EQ_INT(found, 0);

    /* A database from a newer server is refused with a clear reason. */
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 99"), SQLITE_OK);
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), STORE_E_VERSION);
    CHECK(st == NULL);
    CHECK(strstr(why, "newer") != NULL);
}

/* A file of the previous release (schema 2, tests/integration/data) is
 * brought to schema 3: sessions that had ended keep the counting rules they
 * were signed under (1), open ones wait; the personal totals are summed from
 * the journal. */
static void test_migrate_v2(void)
{
    char path[256], why[256];
    snprintf(path, sizeof path, "%s/v2.db", dir);
    FILE *f = fopen(SCHEMA_V2_SQL, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char sql[1 << 16];
    size_t len = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[len] = '\0';
    CHECK_EQ_INT(raw_exec(path, sql), SQLITE_OK);
    CHECK_EQ_INT(raw_exec(path,
                          "INSERT INTO consultants VALUES (1, 'alice', 1);"
                          "INSERT INTO bilans VALUES ('B1', 'old', 1, 57600, 1);"
                          "INSERT INTO sessions VALUES ('s-old', 'B1', 'suivi', 1000, 2000, 'closed');"
                          "INSERT INTO sessions VALUES ('s-open', 'B1', 'suivi', 3000, NULL, NULL);"
                          "INSERT INTO journal(bilan, t_ms, event, seconds, note) "
                          "  VALUES ('B1', 5, 'personal', 600, 'a'), ('B1', 6, 'personal', 60, NULL);"),
                 SQLITE_OK);
    CHECK_EQ_INT(q1(path, "PRAGMA user_version"), 2);

    struct store *st = NULL;
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), 0);
    if (!st)
        return;
    CHECK_EQ_INT(ops->schema_version(st), 5);
    struct store_session got;
    CHECK_EQ_INT(ops->journal->session_get(st, "s-old", &got), 0);
    CHECK(got.rules == 1 && !got.has_figures && got.closed_ms == 2000);
    CHECK_EQ_INT(ops->journal->session_get(st, "s-open", &got), 0);
    CHECK(got.rules == 0 && got.closed_ms == -1);
    int64_t pms = -1;
    CHECK_EQ_INT(ops->journal->bilan_personal_ms(st, "B1", &pms), 0);
    CHECK_EQ_INT(pms, 660000);
    ops->close(st);
    CHECK_EQ_INT(q1(path, "SELECT count(*) FROM refusals"), 0);
}

static int role_of(void *arg, const struct store_sheet_op *o)
{
    char *out = arg;
    size_t n = strlen(out);
    out[n] = o->role == BP_ROLE_CONSULTANT ? 'c' : o->role == BP_ROLE_BENEFICIARY ? 'b' : '-';
    out[n + 1] = o->sheet[0] ? 's' : '0';
    return 0;
}

/* A schema-4 file (issue 11's first part) with operations by the bilan's
 * consultant, its beneficiary and a device that is neither: brought to 5,
 * each operation has its author's role as the server enrolled it (none for
 * the stranger) and no sheet; the bilan is open, without a key; a close
 * without consent deletes them all. */
static void test_migrate_v4(void)
{
    char path[256], why[256];
    snprintf(path, sizeof path, "%s/v4.db", dir);
    FILE *f = fopen(SCHEMA_V4_SQL, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char sql[1 << 16];
    size_t len = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[len] = '\0';
    CHECK_EQ_INT(raw_exec(path, sql), SQLITE_OK);
    CHECK_EQ_INT(raw_exec(path,
                          "INSERT INTO consultants VALUES (1, 'alice', 1);"
                          "INSERT INTO devices VALUES ('dA', zeroblob(32), zeroblob(32), 'consultant', 1, '', 1);"
                          "INSERT INTO devices VALUES ('dB', zeroblob(32), zeroblob(32), 'beneficiary', NULL, '', 1);"
                          "INSERT INTO bilans VALUES ('B1', 'old', 1, 57600, 1, 0);"
                          "INSERT INTO bilan_members VALUES ('B1', 'dB', 'beneficiary', 1);"
                          "INSERT INTO sheet_ops VALUES ('B1', 1, zeroblob(16), 'dA', x'00', 1);"
                          "INSERT INTO sheet_ops VALUES ('B1', 2, x'01010101010101010101010101010101', 'dB', x'00', 1);"
                          "INSERT INTO sheet_ops VALUES ('B1', 3, x'02020202020202020202020202020202', 'dX', x'00', 1);"),
                 SQLITE_OK);
    CHECK_EQ_INT(q1(path, "PRAGMA user_version"), 4);
    struct store *st = NULL;
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), 0);
    if (!st)
        return;
    CHECK_EQ_INT(ops->schema_version(st), 5);
    char roles[16] = "";
    CHECK_EQ_INT(ops->worksheets->sheet_ops_after(st, "B1", 0, 10, role_of, roles), 0);
    CHECK_STR(roles, "c0b0-0");
    struct store_bilan b;
    CHECK_EQ_INT(ops->bilans->bilan_get(st, "B1", &b), 0);
    CHECK(b.closed == 0 && b.purged == 0 && b.sheets_kept[0] == '\0');
    char kid[BP_WS_SHEET_B64 + 1];
    CHECK_EQ_INT(ops->worksheets->sheet_kid_get(st, "B1", kid), STORE_E_NOTFOUND);
    struct store_sheet_counts n;
    CHECK_EQ_INT(ops->worksheets->bilan_close(st, "B1", 100, NULL, 0, &n), 0);
    CHECK(n.deleted_ops == 3 && n.kept_ops == 0);
    ops->close(st);
    CHECK_EQ_INT(q1(path, "SELECT count(*) FROM sheet_ops"), 0);
}

int main(void)
{
    log_init(0);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_fresh();
    test_migrate_v2();
    test_migrate_v4();
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
