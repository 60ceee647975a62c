/* test_store.c: server/store_sqlite.c and server/auth.c on a temporary
 * database file — migrations, settings, consultants, and token redemption
 * with a fake clock: single use, expiry, idempotent redeem by the same
 * device, roles that cannot change, join rights. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"
#include "auth.h"
#include "log.h"
#include "store.h"

static const struct store_ops *ops = &store_sqlite;

static void mkdev(struct store_device *d, int seed)
{
    uint8_t fp[BP_FP_LEN];
    memset(d, 0, sizeof *d);
    memset(d->sign_pub, seed, BP_KEY_LEN);
    memset(d->dh_pub, seed + 100, BP_KEY_LEN);
    bp_fingerprint(d->sign_pub, d->dh_pub, fp);
    bp_b64_encode(fp, BP_FP_LEN, d->fp);
    snprintf(d->name, sizeof d->name, "dev%d", seed);
}

static int count_sess(void *arg, const struct store_session *ss)
{
    (void)ss;
    (*(int *)arg)++;
    return 0;
}

static int count_cb(void *arg, const struct store_bilan *b)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-store-XXXXXX", path[256], why[256];
    log_init(0);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/server.db", dir);
    struct store *st = NULL;

    /* Without create, a missing database is a clear error. */
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), STORE_E_NODB);
    CHECK(st == NULL);
    CHECK_EQ_INT(store_open(ops, path, 1, &st, why, sizeof why), 0);
    if (!st)
        return check_report();
    CHECK_EQ_INT(ops->schema_version(st), 3);
    ops->close(st);
    /* Reopening migrates nothing and keeps the version. */
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), 0);
    CHECK_EQ_INT(ops->schema_version(st), 3);

    /* Settings. */
    char v[64];
    CHECK_EQ_INT(ops->setting_get(st, "public_host", v, sizeof v), STORE_E_NOTFOUND);
    CHECK_EQ_INT(ops->setting_set(st, "public_host", "127.0.0.1"), 0);
    CHECK_EQ_INT(ops->setting_set(st, "public_host", "example.org"), 0);
    CHECK_EQ_INT(ops->setting_get(st, "public_host", v, sizeof v), 0);
    CHECK_STR(v, "example.org");

    /* Consultants. */
    int64_t now = 1700000000, alice = 0, bob = 0, id = 0, n = -1;
    CHECK_EQ_INT(ops->identity->consultant_count(st, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(ops->identity->consultant_add(st, "alice", now, &alice), 0);
    CHECK_EQ_INT(ops->identity->consultant_add(st, "alice", now, &id), STORE_E_EXISTS);
    CHECK_EQ_INT(ops->identity->consultant_add(st, "bob", now, &bob), 0);
    CHECK_EQ_INT(ops->identity->consultant_find(st, "alice", &id), 0);
    CHECK_EQ_INT(id, alice);
    CHECK_EQ_INT(ops->identity->consultant_find(st, "carol", &id), STORE_E_NOTFOUND);

    /* Enrolment: single use, expiry, same-device idempotence. */
    struct auth_token t1, t2, t3;
    struct store_device d1, d2, d3, out;
    mkdev(&d1, 1);
    mkdev(&d2, 2);
    mkdev(&d3, 3);
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 3600, &t1), 0);
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 60, &t2), 0);
    uint8_t bogus[32];
    memset(bogus, 7, sizeof bogus);
    CHECK_EQ_INT(auth_redeem(ops, st, bogus, &d1, now, &out), BP_E_UNKNOWN_TOKEN);
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 10, &out), 0);
    CHECK_EQ_INT(out.role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(out.consultant_id, alice);
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 20, &out), 0);           /* same device again */
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d1, now + 999999, &out), 0);       /* even after expiry */
    CHECK_EQ_INT(auth_redeem(ops, st, t1.hash, &d2, now + 20, &out), BP_E_TOKEN_USED);
    CHECK_EQ_INT(auth_redeem(ops, st, t2.hash, &d2, now + 60, &out), BP_E_TOKEN_EXPIRED);
    CHECK_EQ_INT(auth_redeem(ops, st, t2.hash, &d2, now + 59, &out), 0);
    CHECK_EQ_INT(ops->identity->device_get(st, d2.fp, &out), 0);
    CHECK_EQ_INT(out.consultant_id, alice);
    CHECK_STR(out.name, "dev2");
    CHECK_MEM(out.sign_pub, d2.sign_pub, BP_KEY_LEN);
    CHECK_EQ_INT(ops->identity->device_get(st, d3.fp, &out), BP_E_UNKNOWN_DEVICE);
    /* A device of alice cannot take bob's token. */
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, bob, now, 3600, &t3), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, t3.hash, &d1, now, &out), BP_E_FORBIDDEN);
    /* ...and the refusal did not consume it. */
    CHECK_EQ_INT(auth_redeem(ops, st, t3.hash, &d3, now, &out), 0);
    CHECK_EQ_INT(out.consultant_id, bob);

    /* Bilans and invites. */
    struct store_bilan b;
    memset(&b, 0, sizeof b);
    CHECK_EQ_INT(auth_bilan_id_new(b.id), 0);
    CHECK_EQ_INT(strlen(b.id), 17);
    CHECK(b.id[0] == 'b');
    snprintf(b.label, sizeof b.label, "Bilan \xc3\xa9t\xc3\xa9");
    b.owner_id = alice;
    b.budget_s = 57600;
    CHECK_EQ_INT(ops->bilans->bilan_add(st, &b, now), 0);
    CHECK_EQ_INT(ops->bilans->bilan_add(st, &b, now), STORE_E_EXISTS);
    struct auth_token inv, inv_old;
    /* A bare token never starts with '-' (it would read as an option). */
    int dash = 0;
    for (int i = 0; i < 2000; i++) {
        struct auth_token tt;
        CHECK_EQ_INT(auth_token_new(&tt), 0);
        dash += tt.b64[0] == '-';
        auth_token_wipe(&tt);
    }
    CHECK_EQ_INT(dash, 0);
    CHECK_EQ_INT(auth_token_new(&inv), 0);
    CHECK_EQ_INT(ops->identity->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv.hash, now, now + 100), 0);
    CHECK_EQ_INT(auth_token_new(&inv_old), 0);
    CHECK_EQ_INT(ops->identity->invite_add(st, b.id, BP_ROLE_BENEFICIARY, inv_old.hash, now - 200, now - 100), 0);

    struct store_device ben, ben2;
    mkdev(&ben, 50);
    mkdev(&ben2, 51);
    enum bp_role role;
    CHECK_EQ_INT(auth_join_role(ops, st, "bnope", &ben, &role), BP_E_UNKNOWN_BILAN);
    CHECK_EQ_INT(auth_redeem(ops, st, inv_old.hash, &ben, now, &out), BP_E_TOKEN_EXPIRED);
    /* A consultant device cannot redeem a beneficiary invite. */
    CHECK_EQ_INT(ops->identity->device_get(st, d1.fp, &d1), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &d1, now, &out), BP_E_FORBIDDEN);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben, now, &out), 0);
    CHECK_EQ_INT(out.role, BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(out.consultant_id, 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben, now + 5, &out), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, inv.hash, &ben2, now + 5, &out), BP_E_TOKEN_USED);
    /* A beneficiary device cannot take a consultant enrolment token. */
    struct auth_token t4;
    CHECK_EQ_INT(auth_issue_enrol_token(ops, st, alice, now, 3600, &t4), 0);
    CHECK_EQ_INT(auth_redeem(ops, st, t4.hash, &ben, now, &out), BP_E_FORBIDDEN);

    /* Join rights: owner's devices as consultant, members with their role. */
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d1, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(ops->identity->device_get(st, d2.fp, &d2), 0);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d2, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(ops->identity->device_get(st, d3.fp, &d3), 0);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &d3, &role), BP_E_NOT_MEMBER); /* bob's device */
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &ben, &role), 0);
    CHECK_EQ_INT(role, BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(auth_join_role(ops, st, b.id, &ben2, &role), BP_E_NOT_MEMBER);

    int cnt = 0;
    CHECK_EQ_INT(ops->bilans->bilans_for_device(st, &d1, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 1);
    cnt = 0;
    CHECK_EQ_INT(ops->bilans->bilans_for_device(st, &ben, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 1);
    cnt = 0;
    CHECK_EQ_INT(ops->bilans->bilans_for_device(st, &d3, 500, count_cb, &cnt), 0);
    CHECK_EQ_INT(cnt, 0);

    /* Sessions, journal (append-only), receipts, budget warnings (schema 2). */
    {
        struct store_bilan hb;
        memset(&hb, 0, sizeof hb);
        snprintf(hb.id, sizeof hb.id, "hb1");
        snprintf(hb.label, sizeof hb.label, "hours");
        hb.owner_id = alice;
        hb.budget_s = 3600;
        CHECK_EQ_INT(ops->bilans->bilan_add(st, &hb, now), 0);
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
        int64_t seq1 = e.seq;
        e.ev.kind = ACC_ALIVE;
        e.ev.phase = BP_PHASE_NONE;
        snprintf(e.ev.device, sizeof e.ev.device, "devA");
        e.ev.t_ms = 11000;
        CHECK_EQ_INT(ops->journal->journal_append(st, &e), 0);
        CHECK(e.seq > seq1);
        /* A restart ends the open session at its last journal t, without a close line. */
        int64_t ended = 0;
        CHECK_EQ_INT(ops->journal->sessions_end_open(st, &ended), 0);
        CHECK_EQ_INT(ended, 1);
        struct store_session got;
        CHECK_EQ_INT(ops->journal->session_get(st, "s1", &got), 0);
        CHECK_EQ_INT(got.closed_ms, 11000);
        CHECK_STR(got.close_reason, "server_restart");
        CHECK_EQ_INT(got.phase, BP_PHASE_SUIVI);
        CHECK_EQ_INT(ops->journal->sessions_end_open(st, &ended), 0);
        CHECK_EQ_INT(ended, 0);
        CHECK_EQ_INT(ops->journal->session_get(st, "nope", &got), STORE_E_NOTFOUND);
        /* Append-only: the schema refuses UPDATE and DELETE. */
        sqlite3 *rw = NULL;
        CHECK_EQ_INT(sqlite3_open(path, &rw), SQLITE_OK);
        CHECK(sqlite3_exec(rw, "UPDATE journal SET t_ms = 0", NULL, NULL, NULL) != SQLITE_OK);
        CHECK(sqlite3_exec(rw, "DELETE FROM journal", NULL, NULL, NULL) != SQLITE_OK);
        sqlite3_close(rw);
        /* Budget warnings: once per level. */
        CHECK_EQ_INT(ops->journal->budget_warning_add(st, "hb1", 80, 5), 0);
        CHECK_EQ_INT(ops->journal->budget_warning_add(st, "hb1", 80, 6), STORE_E_EXISTS);
        CHECK_EQ_INT(ops->journal->budget_warning_add(st, "hb1", 100, 6), 0);

        /* Schema 3: a session's figures and record are stored once. */
        CHECK_EQ_INT(ops->journal->session_get(st, "s1", &got), 0);
        CHECK_EQ_INT(got.has_figures, 0);
        char *json = NULL;
        CHECK_EQ_INT(ops->journal->session_record_get(st, "s1", &json), STORE_E_NOTFOUND);
        int nwf = 0;
        CHECK_EQ_INT(ops->journal->sessions_without_figures(st, 10, count_sess, &nwf), 0);
        CHECK_EQ_INT(nwf, 1);
        struct store_session_figures fig = {.rules = 2, .end_ms = 11000, .closed_in_journal = 0,
                                            .face_to_face_ms = 7000, .interruptions = 1, .record = "{\"v\":1}"};
        snprintf(fig.id, sizeof fig.id, "s1");
        CHECK_EQ_INT(ops->journal->session_figures_put(st, &fig), 0);
        fig.face_to_face_ms = 9999;
        fig.record = "{\"v\":2}";
        CHECK_EQ_INT(ops->journal->session_figures_put(st, &fig), STORE_E_EXISTS); /* never rewritten */
        CHECK_EQ_INT(ops->journal->session_record_get(st, "s1", &json), 0);
        CHECK(json && !strcmp(json, "{\"v\":1}"));
        free(json);
        CHECK_EQ_INT(ops->journal->session_get(st, "s1", &got), 0);
        CHECK(got.has_figures && got.rules == 2 && got.face_to_face_ms == 7000 && got.interruptions == 1 &&
              got.end_ms == 11000 && !got.closed_in_journal);
        nwf = 0;
        CHECK_EQ_INT(ops->journal->sessions_without_figures(st, 10, count_sess, &nwf), 0);
        CHECK_EQ_INT(nwf, 0);
        /* The personal total moves with each declaration, atomically with its line. */
        int64_t pms = -1;
        CHECK_EQ_INT(ops->journal->bilan_personal_ms(st, "hb1", &pms), 0);
        CHECK_EQ_INT(pms, 0);
        memset(&e, 0, sizeof e);
        snprintf(e.bilan, sizeof e.bilan, "hb1");
        e.ev.kind = ACC_PERSONAL;
        e.ev.phase = BP_PHASE_NONE;
        e.ev.t_ms = 20000;
        e.ev.personal_ms = 5400000;
        snprintf(e.ev.device, sizeof e.ev.device, "devB");
        CHECK_EQ_INT(ops->journal->journal_append(st, &e), 0);
        CHECK(e.ev.seq > 0 && e.ev.seq == e.seq);
        CHECK_EQ_INT(ops->journal->journal_append(st, &e), 0); /* same content, same ms: a second event */
        CHECK_EQ_INT(ops->journal->bilan_personal_ms(st, "hb1", &pms), 0);
        CHECK_EQ_INT(pms, 2 * 5400000);
        snprintf(e.bilan, sizeof e.bilan, "no-such-bilan");
        CHECK(ops->journal->journal_append(st, &e) != 0); /* no line without its total */
        CHECK_EQ_INT(ops->journal->bilan_personal_ms(st, "no-such-bilan", &pms), BP_E_UNKNOWN_BILAN);
        /* Refusals: one per device and session. */
        struct store_refusal rf;
        memset(&rf, 0, sizeof rf);
        snprintf(rf.session, sizeof rf.session, "s1");
        snprintf(rf.device, sizeof rf.device, "%s", ben.fp);
        snprintf(rf.reason, sizeof rf.reason, "pas vu");
        memset(rf.sig, 7, sizeof rf.sig);
        CHECK_EQ_INT(ops->receipts->refusal_put(st, &rf), 0);
        CHECK_EQ_INT(ops->receipts->refusal_put(st, &rf), STORE_E_EXISTS);
    }

    /* Tokens are stored hashed: the raw token bytes appear nowhere in the file. */
    ops->close(st);
    FILE *f = fopen(path, "rb");
    size_t found = 0;
    if (f) {
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t i = 0; i + BP_TOKEN_LEN <= len; i++)
            if (!memcmp(buf + i, t1.raw, BP_TOKEN_LEN) || !memcmp(buf + i, inv.raw, BP_TOKEN_LEN))
                found++;
    }
    CHECK_EQ_INT(found, 0);

    /* A database from a newer server is refused with a clear reason. */
    sqlite3 *raw = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(store_open(ops, path, 0, &st, why, sizeof why), STORE_E_VERSION);
    CHECK(strstr(why, "newer") != NULL);

    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
