/* test_attendance.c: server/attendance.c with a fake clock (now.wall_ms) and a
 * temporary store: presence outside a session is not journaled; session_open
 * journals a join per member present; alive checkpoints every ~10 s (never
 * closer than 9.5 s); budget warnings once per level; a silent member is lost
 * at its last sign of life; the room emptying closes the session at the last
 * departure; the journal always replays (account_compute). A device that
 * took part in a closed session and has not signed it gets its record when
 * it joins the room again, until its receipt is stored; a device that was
 * not in that session never gets it; sessions ended by server_restart count
 * as closed. Budget warnings at their exact edges (t_budget_edges).
 * Reconnection (t_grace): a device back on a new connection while its old
 * one is silent is `lost` at the old one's last sign of life, and so is a
 * connection closed after 4 s of silence with a ping unanswered; a room
 * emptied without a leave keeps its session open for the grace, a return
 * continues it (one interruption per break), and after the grace it closes
 * at the last departure; a session a crash left open is resumed at startup
 * (lost lines at the last checkpoint), continued by a return, or closed at
 * its last checkpoint (server_restart) when nobody comes back; a session
 * open when the server stops stays open for the next start to resume. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../check.h"
#include "auth.h"
#include "conn.h"
#include "log.h"
#include "attendance.h"

static struct now T = {1700000000, 100000, 1700000000000LL};
#include "fake_conn.h"

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.1", T);
}


static struct bp_identity ida, idb;

/* Advances the clock by ms (monotonic and wall together). */
static void tick(int64_t ms)
{
    T.ms += ms;
    T.wall_ms += ms;
    T.s = T.wall_ms / 1000;
}

static char dbpath[256];

static long long q1(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int count_type(struct conn *c, const char *type)
{
    int n = 0;
    json_t *j;
    while ((j = next_json(c, NULL, NULL))) {
        const char *t = json_string_value(json_object_get(j, "type"));
        n += t && !strcmp(t, type);
        json_decref(j);
    }
    return n;
}

/* One second of life: both (or only a) answer, then the sweep runs. */
static void second(struct conn *a, struct conn *b)
{
    tick(1000);
    if (a)
        conn_pong(a, T);
    if (b)
        conn_pong(b, T);
    conn_sweep(&srv, T);
}

/* Drains c; returns how many session_record it held and keeps the first. */
static int records(struct conn *c, json_t **first)
{
    int n = 0;
    json_t *j;
    while ((j = next_json(c, NULL, NULL))) {
        const char *t = json_string_value(json_object_get(j, "type"));
        if (t && !strcmp(t, "session_record")) {
            if (!n++ && first)
                *first = json_incref(json_object_get(j, "record"));
        }
        json_decref(j);
    }
    return n;
}

/* Signs the record rj as id and sends the receipt on c; 1 on receipt_ok. */
static int sign_record(struct conn *c, const struct bp_identity *id, const json_t *rj)
{
    struct bp_record r;
    struct bp_attestation a;
    struct bp_verr e;
    char buf[512], sig[BP_B64_64 + 1];
    memset(&a, 0, sizeof a);
    memcpy(a.sign_pub, id->sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, id->dh_pub, BP_KEY_LEN);
    if (bp_record_from_json(rj, &r, &e) || bp_fingerprint(a.sign_pub, a.dh_pub, a.signer) ||
        bp_attest_sign(&r, &a, id->sign_priv))
        return 0;
    bp_b64_encode(a.sig, BP_SIG_LEN, sig);
    snprintf(buf, sizeof buf, "{\"type\":\"receipt\",\"session\":\"%s\",\"received_audio_ms\":0,"
             "\"sas_verified\":false,\"sig\":\"%s\"}", r.session, sig);
    text(c, buf);
    return expect_type(c, "receipt_ok", NULL);
}

/* Drains c; returns how many budget_warning it held, the last one's level,
 * face_to_face_ms and budget_s in *lv, *ftf, *bs; *upd = hours_update seen. */
static int warnings(struct conn *c, long long *lv, long long *ftf, long long *bs, int *upd)
{
    int n = 0;
    json_t *j;
    if (upd)
        *upd = 0;
    while ((j = next_json(c, NULL, NULL))) {
        const char *t = json_string_value(json_object_get(j, "type"));
        if (t && !strcmp(t, "budget_warning")) {
            n++;
            *lv = json_integer_value(json_object_get(j, "level"));
            *ftf = json_integer_value(json_object_get(j, "face_to_face_ms"));
            *bs = json_integer_value(json_object_get(j, "budget_s"));
        } else if (t && !strcmp(t, "hours_update") && upd) {
            (*upd)++;
        }
        json_decref(j);
    }
    return n;
}

/* Budget warnings (PROTOCOL.md §9.2) at their exact edges, to the
 * millisecond. A bilan of 3600 s (the smallest budget); a consultant device
 * k1 and the beneficiary w are in the room from the session's open at t0,
 * so face-to-face = t - t0. A second consultant device k2 joins and leaves
 * at chosen instants (each join and leave makes the server recompute the
 * figures and send hours_update); no sweep runs, so nothing else happens.
 * None at 79.9 % nor at 80 % - 1 ms; level 80 exactly at 2880 s, to the
 * consultants in the room (k1, k2) and not to the beneficiary devices (w,
 * later w2 too), once; none at 100 % - 1 ms; level 100 exactly at 3600 s,
 * once; each recorded once with its instant. */
static void t_budget_edges(void)
{
    struct conn *k1 = &conns[3], *k2 = &conns[4], *w = &conns[5], *w2 = &conns[6];
    static struct bp_identity idk1, idk2, idw, idw2;
    struct auth_token tok;
    int64_t alice = 0;
    char bilan[80], join[160], sql[256];
    long long lv = 0, ftf = 0, bs = 0;
    int upd = 0;
    CHECK_EQ_INT(srv.ops->identity->consultant_find(srv.st, "alice", &alice), 0);
    bp_identity_generate(&idk1);
    bp_identity_generate(&idk2);
    bp_identity_generate(&idw);
    bp_identity_generate(&idw2);
    open_conn(3);
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    CHECK(enrol(k1, &idk1, tok.b64));
    open_conn(4);
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    CHECK(enrol(k2, &idk2, tok.b64));
    auth_token_wipe(&tok);
    text(k1, "{\"type\":\"bilan_create\",\"label\":\"edges\",\"budget_s\":3600}");
    json_t *bc = NULL;
    CHECK(expect_type(k1, "bilan_created", &bc));
    if (!bc)
        return;
    snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
    open_conn(5);
    CHECK(enrol(w, &idw, json_string_value(json_object_get(bc, "invite_token"))));
    json_decref(bc);
    snprintf(join, sizeof join, "{\"type\":\"invite_create\",\"bilan\":\"%s\"}", bilan);
    text(k1, join);
    json_t *ic = NULL;
    CHECK(expect_type(k1, "invite_created", &ic));
    open_conn(6);
    CHECK(ic && enrol(w2, &idw2, json_string_value(json_object_get(ic, "invite_token"))));
    json_decref(ic);
    snprintf(join, sizeof join, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
    text(k1, join);
    text(w, join);
    drain(k1);
    text(k1, "{\"type\":\"session_open\",\"phase\":\"conclusion\"}");
    CHECK(expect_type(k1, "session_opened", NULL));
    int64_t t0 = T.wall_ms;
    drain(k1);
    drain(w);
    drain(k2);
    drain(w2);

    /* k2 arrives and leaves at t0 + off; what did each device get? */
#define AT(off) tick(t0 + (off) - T.wall_ms)
#define POKE()                                                                                    \
    do {                                                                                          \
        text(k2, join);                                                                           \
        text(k2, "{\"type\":\"leave\"}");                                                         \
    } while (0)
    AT(2876400); /* 79.9 % */
    POKE();
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, &upd), 0);
    CHECK(upd >= 2);                                /* the figures were recomputed */
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, NULL), 0);
    AT(2879999); /* 80 % - 1 ms */
    POKE();
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, &upd), 0);
    CHECK(upd >= 2);
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, NULL), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM budget_warnings WHERE bilan = '%s'", bilan);
    CHECK_EQ_INT(q1(sql), 0);

    AT(2880000); /* exactly 80 %: k2 is in the room when the figures cross it */
    text(k2, join);
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 1);
    CHECK_EQ_INT(lv, 80);
    CHECK_EQ_INT(ftf, 2880000);
    CHECK_EQ_INT(bs, 3600);
    lv = 0;
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 1);
    CHECK_EQ_INT(lv, 80);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, &upd), 0); /* the beneficiary: figures, no warning */
    CHECK(upd >= 1);
    text(k2, "{\"type\":\"leave\"}");
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 0);
    snprintf(sql, sizeof sql, "SELECT t_ms FROM budget_warnings WHERE bilan = '%s' AND level = 80", bilan);
    CHECK_EQ_INT(q1(sql), t0 + 2880000);
    AT(2881000); /* once */
    POKE();
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, NULL), 0);

    AT(3000000); /* a second beneficiary device, present from here on */
    text(w2, join);
    drain(k1);
    drain(w);
    drain(w2);
    AT(3599999); /* 100 % - 1 ms */
    POKE();
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 0);
    AT(3600000); /* exactly 100 % */
    text(k2, join);
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 1);
    CHECK_EQ_INT(lv, 100);
    CHECK_EQ_INT(ftf, 3600000);
    CHECK_EQ_INT(bs, 3600);
    lv = 0;
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 1);
    CHECK_EQ_INT(lv, 100);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, &upd), 0);
    CHECK(upd >= 1);
    CHECK_EQ_INT(warnings(w2, &lv, &ftf, &bs, &upd), 0);
    CHECK(upd >= 1);
    text(k2, "{\"type\":\"leave\"}");
    AT(3700000); /* once, and nothing past 100 % */
    POKE();
    CHECK_EQ_INT(warnings(k1, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(k2, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(w, &lv, &ftf, &bs, NULL), 0);
    CHECK_EQ_INT(warnings(w2, &lv, &ftf, &bs, NULL), 0);
#undef POKE
#undef AT
    snprintf(sql, sizeof sql, "SELECT count(*) FROM budget_warnings WHERE bilan = '%s'", bilan);
    CHECK_EQ_INT(q1(sql), 2);
    snprintf(sql, sizeof sql, "SELECT t_ms FROM budget_warnings WHERE bilan = '%s' AND level = 100", bilan);
    CHECK_EQ_INT(q1(sql), t0 + 3600000);

    text(k1, "{\"type\":\"session_close\"}");
    for (int i = 3; i <= 6; i++) {
        drain(&conns[i]);
        conn_closed(&conns[i], T);
    }
}

/* hello + auth of an enrolled device on a fresh connection; 1 on welcome. */
static int auth_again(struct conn *c, const struct bp_identity *id)
{
    char buf[512], fp64[BP_B64_32 + 1], sig64[BP_B64_64 + 1];
    uint8_t nonce[32], fp[BP_FP_LEN], msg[BP_AUTH_MSG_MAX], sig[64];
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return 0;
    bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, NULL, 0, msg);
    bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig);
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, BP_FP_LEN, fp64);
    bp_b64_encode(sig, 64, sig64);
    snprintf(buf, sizeof buf, "{\"type\":\"auth\",\"device\":\"%s\",\"sig\":\"%s\"}", fp64, sig64);
    text(c, buf);
    return expect_type(c, "welcome", NULL);
}

/* A new connection in conns[i] for id, joined to the room (join: the message). */
static struct conn *rejoin(int i, const struct bp_identity *id, const char *join)
{
    open_conn(i);
    CHECK(auth_again(&conns[i], id));
    text(&conns[i], join);
    CHECK(expect_type(&conns[i], "joined", NULL));
    drain(&conns[i]);
    return &conns[i];
}

/* The report row of session sid (1 if found). */
static int row_of_session(const char *bilan, const char *sid, struct acc_session *out)
{
    struct acc_report r;
    char why[256];
    int found = 0;
    if (ledger_report(srv.ops, srv.st, bilan, NULL, T.wall_ms, &r, why, sizeof why))
        return 0;
    for (size_t i = 0; i < r.n_sessions; i++)
        if (!strcmp(r.sessions[i].id, sid)) {
            *out = r.sessions[i];
            found = 1;
        }
    account_report_free(&r);
    return found;
}

static long long q1s(const char *fmt, const char *a)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, a);
    return q1(sql);
}

/* A crashed session written by hand: open at t, k and w join at t, alive
 * checkpoints at t + 10 s and t + 20 s; open in the store. */
static void crashed_session(const char *bilan, const char *sid, const char *fk, const char *fw, int64_t t)
{
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "%s", sid);
    snprintf(ss.bilan, sizeof ss.bilan, "%.64s", bilan);
    ss.phase = BP_PHASE_SUIVI;
    ss.opened_ms = t;
    ss.rules = LEDGER_RULES;
    CHECK_EQ_INT(srv.ops->journal->session_add(srv.st, &ss), 0);
    struct { int kind; int64_t dt; const char *dev; int role; } lines[] = {
        {ACC_SESSION_OPEN, 0, NULL, 0}, {ACC_JOIN, 0, fk, BP_ROLE_CONSULTANT},
        {ACC_JOIN, 0, fw, BP_ROLE_BENEFICIARY}, {ACC_ALIVE, 10000, fk, 0}, {ACC_ALIVE, 10000, fw, 0},
        {ACC_ALIVE, 20000, fk, 0}, {ACC_ALIVE, 20000, fw, 0}};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct store_jev e;
        memset(&e, 0, sizeof e);
        snprintf(e.bilan, sizeof e.bilan, "%.64s", bilan);
        snprintf(e.ev.session, sizeof e.ev.session, "%s", sid);
        e.ev.kind = lines[i].kind;
        e.ev.t_ms = t + lines[i].dt;
        e.ev.phase = lines[i].kind == ACC_SESSION_OPEN ? BP_PHASE_SUIVI : BP_PHASE_NONE;
        e.ev.role = lines[i].kind == ACC_JOIN ? lines[i].role : BP_ROLE_NONE;
        if (lines[i].dev)
            snprintf(e.ev.device, sizeof e.ev.device, "%s", lines[i].dev);
        CHECK_EQ_INT(srv.ops->journal->journal_append(srv.st, &e), 0);
    }
}

static void t_grace(void)
{
    static struct bp_identity idk, idw;
    struct auth_token tok;
    int64_t alice = 0;
    char bilan[80], join[160], sid[80], fk[BP_B64_32 + 1], fw[BP_B64_32 + 1];
    struct acc_session row;
    srv.session_grace_ms = 30000;
    CHECK_EQ_INT(srv.ops->identity->consultant_find(srv.st, "alice", &alice), 0);
    bp_identity_generate(&idk);
    bp_identity_generate(&idw);
    open_conn(3);
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    CHECK(enrol(&conns[3], &idk, tok.b64));
    auth_token_wipe(&tok);
    text(&conns[3], "{\"type\":\"bilan_create\",\"label\":\"grace\"}");
    json_t *bc = NULL;
    CHECK(expect_type(&conns[3], "bilan_created", &bc));
    if (!bc)
        return;
    snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
    open_conn(4);
    CHECK(enrol(&conns[4], &idw, json_string_value(json_object_get(bc, "invite_token"))));
    json_decref(bc);
    bp_b64_encode(conns[3].fp, BP_FP_LEN, fk);
    bp_b64_encode(conns[4].fp, BP_FP_LEN, fw);
    snprintf(join, sizeof join, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
    struct conn *k = &conns[3], *w = &conns[4];
    text(k, join);
    text(w, join);
    drain(k);
    drain(w);
    text(k, "{\"type\":\"session_open\",\"phase\":\"suivi\"}");
    json_t *so = NULL;
    CHECK(expect_type(k, "session_opened", &so));
    snprintf(sid, sizeof sid, "%s", so ? json_string_value(json_object_get(so, "session")) : "");
    json_decref(so);
    int64_t t0 = T.wall_ms;

    /* w's link goes silent for 6 s; it comes back on a new connection
     * (replaced): lost at its last sign of life, then a join now. */
    for (int i = 0; i < 5; i++) {
        second(k, w);
        drain(k);
        drain(w);
    }
    int64_t last_w = T.wall_ms;
    for (int i = 0; i < 6; i++) {
        second(k, NULL);
        drain(k);
    }
    CHECK(w->room != NULL); /* not yet lost: 15 s */
    int64_t t_back = T.wall_ms, t_back0 = t_back;
    w = rejoin(5, &idw, join);
    conn_closed(&conns[4], T);
    CHECK_EQ_INT(q1s("SELECT t_ms FROM journal WHERE event = 'lost' AND session = '%s'", sid), last_w);
    CHECK_EQ_INT(q1s("SELECT max(t_ms) FROM journal WHERE event = 'join' AND session = '%s'", sid), t_back);

    /* A connection that closes without a leave after 4 s of silence with
     * a ping of ours unanswered (a dead link whose reset came through
     * later) is lost at its last sign of life; one closed while it still
     * answered leaves at the close. */
    for (int i = 0; i < 2; i++) {
        second(k, w);
        drain(k);
        drain(w);
    }
    int64_t last_w2 = T.wall_ms;
    for (int i = 0; i < 5; i++) {
        second(k, NULL);
        drain(k);
    }
    conn_closed(w, T);
    CHECK_EQ_INT(q1s("SELECT max(t_ms) FROM journal WHERE event = 'lost' AND session = '%s'", sid), last_w2);
    t_back = T.wall_ms;
    w = rejoin(4, &idw, join);
    second(k, w);
    drain(k);
    drain(w);
    int64_t t_reset = T.wall_ms;
    conn_closed(w, T); /* heard 0 s ago: disconnected now */
    CHECK_EQ_INT(q1s("SELECT max(t_ms) FROM journal WHERE event = 'leave' AND session = '%s'", sid), t_reset);
    w = rejoin(5, &idw, join);
    CHECK_EQ_INT(q1s("SELECT max(t_ms) FROM journal WHERE event = 'join' AND session = '%s'", sid), t_reset);

    /* Both links drop without a leave: the session waits. */
    for (int i = 0; i < 4; i++) {
        second(k, w);
        drain(k);
        drain(w);
    }
    int64_t t_drop = T.wall_ms;
    conn_closed(k, T);
    conn_closed(w, T);
    for (int i = 0; i < 29; i++)
        second(NULL, NULL);
    CHECK_EQ_INT(q1s("SELECT count(*) FROM journal WHERE event = 'session_close' AND session = '%s'", sid), 0);
    CHECK(rooms_get(&srv.rooms, bilan, 0) != NULL);
    /* They come back within the grace: the session goes on. */
    int64_t t_ret = T.wall_ms;
    k = rejoin(3, &idk, join);
    w = rejoin(4, &idw, join);
    for (int i = 0; i < 10; i++)
        second(k, w);
    int64_t t_close = T.wall_ms;
    drain(k);
    drain(w);
    text(k, "{\"type\":\"session_close\"}");
    CHECK(expect_type(k, "session_closed", NULL));
    drain(k);
    drain(w);
    CHECK(row_of_session(bilan, sid, &row));
    CHECK_EQ_INT(row.interruptions, 3); /* the leave and join at t_reset touch: one interval */
    CHECK_EQ_INT(row.face_to_face_ms, (last_w - t0) + (last_w2 - t_back0) + (t_drop - t_back) + (t_close - t_ret));
    CHECK_EQ_INT(q1s("SELECT count(*) FROM sessions WHERE id = '%s' AND close_reason = 'closed'", sid), 1);

    /* Nobody comes back: closed at the last departure once the grace is over. */
    text(k, "{\"type\":\"session_open\",\"phase\":\"suivi\"}");
    so = NULL;
    CHECK(expect_type(k, "session_opened", &so));
    snprintf(sid, sizeof sid, "%s", so ? json_string_value(json_object_get(so, "session")) : "");
    json_decref(so);
    drain(w);
    second(k, w);
    conn_closed(w, T);
    second(k, NULL);
    int64_t t_last = T.wall_ms;
    conn_closed(k, T);
    for (int i = 0; i < 29; i++)
        second(NULL, NULL);
    CHECK_EQ_INT(q1s("SELECT count(*) FROM journal WHERE event = 'session_close' AND session = '%s'", sid), 0);
    second(NULL, NULL);
    CHECK_EQ_INT(q1s("SELECT t_ms FROM journal WHERE event = 'session_close' AND session = '%s'", sid), t_last);
    CHECK_EQ_INT(q1s("SELECT count(*) FROM sessions WHERE id = '%s' AND close_reason = 'empty'", sid), 1);
    CHECK(rooms_get(&srv.rooms, bilan, 0) == NULL);

    /* A crash left a session open: resumed at startup, continued by a return. */
    int64_t tc = T.wall_ms - 60000;
    crashed_session(bilan, "s-resumed", fk, fw, tc);
    int64_t nres = 0;
    CHECK_EQ_INT(attendance_resume_all(&srv, T, &nres), 0);
    CHECK_EQ_INT(nres, 1);
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'lost' AND session = 's-resumed'"), 2);
    CHECK_EQ_INT(q1("SELECT min(t_ms) FROM journal WHERE event = 'lost' AND session = 's-resumed'"), tc + 20000);
    second(NULL, NULL);
    t_ret = T.wall_ms;
    k = rejoin(3, &idk, join);
    w = rejoin(4, &idw, join);
    for (int i = 0; i < 5; i++)
        second(k, w);
    t_close = T.wall_ms;
    drain(k);
    drain(w);
    text(k, "{\"type\":\"session_close\"}");
    CHECK(expect_type(k, "session_closed", NULL));
    drain(k);
    drain(w);
    CHECK(row_of_session(bilan, "s-resumed", &row));
    CHECK_EQ_INT(row.interruptions, 1);
    CHECK_EQ_INT(row.face_to_face_ms, 20000 + (t_close - t_ret));
    CHECK_EQ_INT(row.closed, 1);
    conn_closed(k, T);
    conn_closed(w, T);

    /* Nobody comes back after the crash: closed at the last checkpoint. */
    tc = T.wall_ms - 60000;
    crashed_session(bilan, "s-abandoned", fk, fw, tc);
    CHECK_EQ_INT(attendance_resume_all(&srv, T, &nres), 0);
    CHECK_EQ_INT(nres, 1);
    for (int i = 0; i < 30; i++)
        second(NULL, NULL);
    CHECK_EQ_INT(q1("SELECT t_ms FROM journal WHERE event = 'session_close' AND session = 's-abandoned'"),
                 tc + 20000);
    CHECK_EQ_INT(q1("SELECT count(*) FROM sessions WHERE id = 's-abandoned' AND close_reason = 'server_restart' "
                    "AND closed_ms IS NOT NULL"), 1);
    CHECK(row_of_session(bilan, "s-abandoned", &row));
    CHECK_EQ_INT(row.face_to_face_ms, 20000);
    CHECK(rooms_get(&srv.rooms, bilan, 0) == NULL);

    /* The server stops with a session open: it stays open in the store,
     * and the next start resumes it like after a crash. */
    tc = T.wall_ms - 60000;
    crashed_session(bilan, "s-stopped", fk, fw, tc);
    CHECK_EQ_INT(attendance_resume_all(&srv, T, &nres), 0);
    CHECK_EQ_INT(nres, 1);
    srv.stopping = 1;
    attendance_free_all(&srv);
    srv.stopping = 0;
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'session_close' AND session = 's-stopped'"), 0);
    CHECK_EQ_INT(q1("SELECT count(*) FROM sessions WHERE id = 's-stopped' AND closed_ms IS NULL"), 1);
    CHECK_EQ_INT(attendance_resume_all(&srv, T, &nres), 0);
    CHECK_EQ_INT(nres, 1);
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'lost' AND session = 's-stopped'"), 2);
    for (int i = 0; i < 30; i++)
        second(NULL, NULL);
    CHECK_EQ_INT(q1("SELECT t_ms FROM journal WHERE event = 'session_close' AND session = 's-stopped'"), tc + 20000);
    CHECK_EQ_INT(q1("SELECT count(*) FROM sessions WHERE id = 's-stopped' AND close_reason = 'server_restart'"), 1);
    CHECK(rooms_get(&srv.rooms, bilan, 0) == NULL);
    srv.session_grace_ms = 0;
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-session-XXXXXX", why[256], buf[256], sql[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(dbpath, sizeof dbpath, "%s/server.db", dir);
    srv.ops = &store_sqlite;
    srv.soft_budget = 1 << 20;
    srv.invite_ttl_s = 3600;
    ratelimit_init(&srv.rl, 3, 60);
    if (store_open(srv.ops, dbpath, 1, &srv.st, why, sizeof why))
        return 1;
    int64_t alice;
    struct auth_token tok;
    srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
    auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);
    struct conn *a = &conns[0], *b = &conns[1];
    bp_identity_generate(&ida);
    bp_identity_generate(&idb);
    open_conn(0);
    CHECK(enrol(a, &ida, tok.b64));
    text(a, "{\"type\":\"bilan_create\",\"label\":\"S\",\"budget_s\":3600}");
    json_t *bc = NULL;
    CHECK(expect_type(a, "bilan_created", &bc));
    if (!bc)
        return check_report();
    char bilan[80], inv[64];
    snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
    snprintf(inv, sizeof inv, "%s", json_string_value(json_object_get(bc, "invite_token")));
    json_decref(bc);
    open_conn(1);
    CHECK(enrol(b, &idb, inv));
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
    text(a, buf);
    text(b, buf);
    drain(a);
    drain(b);

    /* Outside a session nothing is journaled; the beneficiary cannot open one. */
    second(a, b);
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal"), 0);
    text(b, "{\"type\":\"session_open\",\"phase\":\"suivi\"}");
    CHECK(expect_error(b, "forbidden", 0));

    /* Open with both present: session_open + 2 joins at the same t. */
    int64_t t0 = T.wall_ms;
    text(a, "{\"type\":\"session_open\",\"phase\":\"investigation\"}");
    CHECK(expect_type(a, "session_opened", NULL));
    drain(a);
    drain(b);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal WHERE t_ms = %lld AND event IN "
             "('session_open','join')", (long long)t0);
    CHECK_EQ_INT(q1(sql), 3);

    /* Alive cadence: ~10 s per present member, never closer than 9.5 s. */
    for (int i = 0; i < 35; i++)
        second(a, b);
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'alive'"), 6);
    CHECK(q1("SELECT min(j2.t_ms - j1.t_ms) FROM journal j1 JOIN journal j2 ON j1.device = j2.device "
             "AND j1.event = 'alive' AND j2.event = 'alive' AND j2.seq > j1.seq") >= 9500);
    CHECK(q1("SELECT max(t_ms) FROM journal WHERE event = 'alive'") - t0 <= 31000);
    CHECK(q1("SELECT min(t_ms) FROM journal WHERE event = 'alive'") - t0 <= 10500);
    drain(a);
    drain(b);

    /* Budget warnings: 80 % at 2880 s, 100 % at 3600 s, each once. */
    int warn = 0;
    for (int i = 0; i < 3700; i++) {
        second(a, b);
        warn += count_type(a, "budget_warning");
        drain(b);
    }
    CHECK_EQ_INT(warn, 2);
    CHECK_EQ_INT(q1("SELECT count(*) FROM budget_warnings"), 2);
    CHECK_EQ_INT(q1("SELECT level FROM budget_warnings ORDER BY t_ms LIMIT 1"), 80);

    /* b goes silent: lost, dated at its last sign of life. */
    int64_t last_b = T.wall_ms;
    for (int i = 0; i < 20 && b->room; i++)
        second(a, NULL);
    CHECK(b->room == NULL);
    conn_closed(b, T);
    snprintf(sql, sizeof sql, "SELECT t_ms FROM journal WHERE event = 'lost'");
    CHECK_EQ_INT(q1(sql), last_b);

    /* a leaves: the room is empty, the session closes at that departure. */
    tick(2000);
    int64_t t_leave = T.wall_ms;
    text(a, "{\"type\":\"leave\"}");
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'session_close'"), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE close_reason = 'empty' AND closed_ms = %lld",
             (long long)t_leave);
    CHECK_EQ_INT(q1(sql), 1);
    CHECK_EQ_INT(q1("SELECT max(t_ms) FROM journal WHERE event = 'session_close'"), t_leave);

    /* The journal replays; face-to-face = open .. b's last sign of life. */
    struct acc_report r;
    CHECK_EQ_INT(ledger_report(srv.ops, srv.st, bilan, NULL, T.wall_ms, &r, why, sizeof why), 0);
    CHECK_EQ_INT(r.n_sessions, 1);
    if (r.n_sessions == 1) {
        CHECK_EQ_INT(r.sessions[0].face_to_face_ms, last_b - t0);
        CHECK_EQ_INT(r.sessions[0].closed, 1);
        account_report_free(&r);
    }
    /* a was not in the room at the close but still connected: it got the
     * record then, did not sign it, and gets it again on its next join. */
    drain(a);
    char sid[80];
    sid[0] = '\0';
    json_t *rec = NULL;
    text(a, buf);
    CHECK_EQ_INT(records(a, &rec), 1);
    CHECK(rec != NULL);
    if (rec)
        snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(rec, "session")));
    CHECK(sid[0] != '\0');
    /* ... the same record every time until it signs it ... */
    text(a, "{\"type\":\"leave\"}");
    drain(a);
    text(a, buf);
    json_t *rec2 = NULL;
    CHECK_EQ_INT(records(a, &rec2), 1);
    CHECK(rec && rec2 && json_equal(rec, rec2));
    json_decref(rec2);
    CHECK(rec && sign_record(a, &ida, rec));
    json_decref(rec);
    /* ... and never after its receipt. */
    text(a, "{\"type\":\"leave\"}");
    drain(a);
    text(a, buf);
    CHECK_EQ_INT(records(a, NULL), 0);

    /* A second beneficiary device that never was in that session: nothing. */
    struct bp_identity idc;
    bp_identity_generate(&idc);
    snprintf(sql, sizeof sql, "{\"type\":\"invite_create\",\"bilan\":\"%s\"}", bilan);
    text(a, sql);
    json_t *ic = NULL;
    CHECK(expect_type(a, "invite_created", &ic));
    struct conn *c3 = &conns[2];
    open_conn(2);
    CHECK(ic && enrol(c3, &idc, json_string_value(json_object_get(ic, "invite_token"))));
    json_decref(ic);
    text(c3, buf);
    CHECK_EQ_INT(records(c3, NULL), 0);
    text(c3, "{\"type\":\"leave\"}");
    drain(c3);
    drain(a);

    /* A session the server never closed (it crashed): ended at restart by
     * sessions_end_open, then closed for this purpose; c3 took part in it. */
    char fpc[BP_B64_32 + 1];
    bp_b64_encode(c3->fp, BP_FP_LEN, fpc);
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "s-crashed");
    snprintf(ss.bilan, sizeof ss.bilan, "%.64s", bilan);
    ss.phase = BP_PHASE_SUIVI;
    ss.opened_ms = T.wall_ms;
    CHECK_EQ_INT(srv.ops->journal->session_add(srv.st, &ss), 0);
    const int kinds[] = {ACC_SESSION_OPEN, ACC_JOIN, ACC_ALIVE};
    for (int i = 0; i < 3; i++) {
        struct store_jev e;
        memset(&e, 0, sizeof e);
        snprintf(e.bilan, sizeof e.bilan, "%.64s", bilan);
        snprintf(e.ev.session, sizeof e.ev.session, "s-crashed");
        e.ev.kind = kinds[i];
        e.ev.t_ms = T.wall_ms + i * 10000;
        e.ev.phase = kinds[i] == ACC_SESSION_OPEN ? BP_PHASE_SUIVI : BP_PHASE_NONE;
        e.ev.role = kinds[i] == ACC_JOIN ? BP_ROLE_BENEFICIARY : BP_ROLE_NONE;
        if (kinds[i] != ACC_SESSION_OPEN)
            snprintf(e.ev.device, sizeof e.ev.device, "%s", fpc);
        CHECK_EQ_INT(srv.ops->journal->journal_append(srv.st, &e), 0);
    }
    text(c3, buf);
    CHECK_EQ_INT(records(c3, NULL), 0); /* still open in the database: not yet */
    text(c3, "{\"type\":\"leave\"}");
    drain(c3);
    int64_t nend = 0;
    CHECK_EQ_INT(srv.ops->journal->sessions_end_open(srv.st, &nend), 0);
    CHECK_EQ_INT(nend, 1);
    text(c3, buf);
    rec = NULL;
    CHECK_EQ_INT(records(c3, &rec), 1);
    CHECK(rec && !strcmp(json_string_value(json_object_get(rec, "session")), "s-crashed"));
    CHECK(rec && json_integer_value(json_object_get(rec, "end_ms")) == T.wall_ms + 20000);
    CHECK(rec && sign_record(c3, &idc, rec));
    json_decref(rec);
    text(a, buf); /* a was not in s-crashed; its own session is signed */
    CHECK_EQ_INT(records(a, NULL), 0);
    conn_closed(c3, T);

    drain(a);
    conn_closed(a, T);

    t_budget_edges();
    t_grace();

    srv.ops->close(srv.st);
    snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
    if (system(buf) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
