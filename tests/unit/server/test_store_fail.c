/* test_store_fail.c: store failures injected under server/conn.c and
 * server/attendance.c, observed the way a client and an auditor observe them.
 *
 * The store is store_sqlite on a temporary file behind a wrapper table of
 * operations (test code only): once armed with k, the k-th store call from
 * then on fails (BP_E_INTERNAL; a failed commit rolls back, as store_sqlite's
 * own does). Each request below is sent again and again with k = 1, 2, 3...
 * until it goes through without reaching the k-th call, so every store call
 * it makes fails once, whatever the calls are (the handlers may be
 * rewritten: nothing here names them). For each failure:
 *   - either the request is answered by an `internal` error carrying its
 *     ref, not fatal, and the database is byte for byte what it was (nothing
 *     half-written: a rolled-back transaction, no journal line without its
 *     session, no bilan without its invite), and what the other members see
 *     and what the sender can do next say nothing happened either (no
 *     session left open in memory, no member added to the room);
 *   - or the request's effect was complete before the failing call (the
 *     reply is the success, the failing call came after: figures, a welcome's
 *     list), and then the effect is whole and the journal still replays.
 * The last attempt of each request, with nothing failing, shows that the
 * server keeps working. The alive checkpoints of the sweep are all written
 * or none. A session_close whose writes fail still ends the session in the
 * room (by design, see close_session): there the journal line and the
 * sessions row are both written or neither, and the journal replays.
 *
 * A join or a leave during an open session whose journal line cannot be
 * written must not leave the room and the journal at odds (a later alive
 * checkpoint or rejoin would make the journal unreplayable): these cases ran
 * as known_bug (reported, not counted, failing once fixed) until attendance.c
 * learnt to leave an unwritten join uncounted and to write a refused
 * departure again; they count now. known_bug stays for the next such find. */
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

/* ---- The failing store ---- */

static int armed_at;        /* the armed_at-th counted call fails; 0: none */
static int ncalls;          /* counted calls since arming */
static const char *fired;   /* the operation that failed, or NULL */

static int inject(const char *op)
{
    if (!armed_at || ++ncalls != armed_at)
        return 0;
    fired = op;
    armed_at = 0;
    return 1;
}

/* WRAP(domain, op, ...) wraps store_sqlite.domain->op; WRAP_BASE a base one. */
#define WRAP_BASE(op, params, args)                                                                \
    static int f_##op params                                                                       \
    {                                                                                              \
        return inject(#op) ? BP_E_INTERNAL : store_sqlite.op args;                                 \
    }
#define WRAP(dom, op, params, args)                                                                \
    static int f_##op params                                                                       \
    {                                                                                              \
        return inject(#op) ? BP_E_INTERNAL : store_sqlite.dom->op args;                            \
    }
WRAP_BASE(begin, (struct store *s), (s))
WRAP_BASE(setting_get, (struct store *s, const char *key, char *out, size_t cap), (s, key, out, cap))
WRAP_BASE(setting_set, (struct store *s, const char *key, const char *value), (s, key, value))
WRAP(identity, consultant_add, (struct store *s, const char *name, int64_t now, int64_t *id), (s, name, now, id))
WRAP(identity, consultant_find, (struct store *s, const char *name, int64_t *id), (s, name, id))
WRAP(identity, consultant_name, (struct store *s, int64_t id, char name[BP_NAME_MAX + 1]), (s, id, name))
WRAP(identity, consultant_count, (struct store *s, int64_t *n), (s, n))
WRAP(identity, consultant_list, (struct store *s, store_consultant_cb cb, void *arg), (s, cb, arg))
WRAP(identity, enrol_token_add, (struct store *s, int64_t cid, const uint8_t hash[32], int64_t now, int64_t exp),
     (s, cid, hash, now, exp))
WRAP(identity, invite_add, (struct store *s, const char *bilan, enum bp_role role, const uint8_t hash[32],
                            int64_t now, int64_t exp), (s, bilan, role, hash, now, exp))
WRAP(identity, token_get, (struct store *s, const uint8_t hash[32], struct store_token *out), (s, hash, out))
WRAP(identity, token_mark_used, (struct store *s, enum store_token_kind kind, const uint8_t hash[32],
                                 const char *fp, int64_t now), (s, kind, hash, fp, now))
WRAP(identity, device_get, (struct store *s, const char *fp, struct store_device *out), (s, fp, out))
WRAP(identity, device_add, (struct store *s, const struct store_device *d, int64_t now), (s, d, now))
WRAP(bilans, bilan_add, (struct store *s, const struct store_bilan *b, int64_t now), (s, b, now))
WRAP(bilans, bilan_get, (struct store *s, const char *id, struct store_bilan *out), (s, id, out))
WRAP(bilans, bilans_for_device, (struct store *s, const struct store_device *d, int max, store_bilan_cb cb,
                                 void *arg), (s, d, max, cb, arg))
WRAP(bilans, member_add, (struct store *s, const char *bilan, const char *fp, enum bp_role role, int64_t now),
     (s, bilan, fp, role, now))
WRAP(bilans, member_role, (struct store *s, const char *bilan, const char *fp, enum bp_role *role),
     (s, bilan, fp, role))
WRAP(bilans, bilans_of_consultant, (struct store *s, int64_t cid, store_bilan_cb cb, void *arg), (s, cid, cb, arg))
WRAP(journal, session_add, (struct store *s, const struct store_session *ss), (s, ss))
WRAP(journal, session_end, (struct store *s, const char *id, int64_t closed_ms, const char *reason),
     (s, id, closed_ms, reason))
WRAP(journal, session_get, (struct store *s, const char *id, struct store_session *out), (s, id, out))
WRAP(journal, sessions_of_bilan, (struct store *s, const char *bilan, store_session_cb cb, void *arg),
     (s, bilan, cb, arg))
WRAP(journal, sessions_end_open, (struct store *s, int64_t *n), (s, n))
WRAP(journal, sessions_open, (struct store *s, store_session_cb cb, void *arg), (s, cb, arg))
WRAP(journal, journal_append, (struct store *s, struct store_jev *e), (s, e))
WRAP(journal, journal_of_bilan, (struct store *s, const char *bilan, const char *session, store_jev_cb cb,
                                 void *arg), (s, bilan, session, cb, arg))
WRAP(journal, budget_warning_add, (struct store *s, const char *bilan, int level, int64_t t_ms),
     (s, bilan, level, t_ms))
WRAP(receipts, receipt_put, (struct store *s, const struct store_receipt *r), (s, r))
WRAP(receipts, receipts_of_session, (struct store *s, const char *session, store_receipt_cb cb, void *arg),
     (s, session, cb, arg))
WRAP(receipts, sessions_unsigned, (struct store *s, const char *bilan, const char *device, int max,
                                   store_session_cb cb, void *arg), (s, bilan, device, max, cb, arg))
#undef WRAP
#undef WRAP_BASE

/* The store's contract (store_sqlite's st_commit): a COMMIT that fails is
 * rolled back before the error is returned. */
static int f_commit(struct store *s)
{
    if (inject("commit")) {
        store_sqlite.rollback(s);
        return BP_E_INTERNAL;
    }
    return store_sqlite.commit(s);
}

/* Copies of store_sqlite's tables with the operations above replaced;
 * operations added later pass through. */
static struct store_ops faulty;
static struct store_identity_ops faulty_identity;
static struct store_bilan_ops faulty_bilans;
static struct store_journal_ops faulty_journal;
static struct store_receipt_ops faulty_receipts;

static void faulty_init(void)
{
    faulty = store_sqlite;
    faulty.name = "sqlite-with-failures";
    faulty_identity = *store_sqlite.identity;
    faulty_bilans = *store_sqlite.bilans;
    faulty_journal = *store_sqlite.journal;
    faulty_receipts = *store_sqlite.receipts;
    faulty.identity = &faulty_identity;
    faulty.bilans = &faulty_bilans;
    faulty.journal = &faulty_journal;
    faulty.receipts = &faulty_receipts;
#define SET_BASE(op) faulty.op = f_##op
#define SET(dom, op) faulty_##dom.op = f_##op
    SET_BASE(begin); SET_BASE(commit); SET_BASE(setting_get); SET_BASE(setting_set);
    SET(identity, consultant_add); SET(identity, consultant_find); SET(identity, consultant_name);
    SET(identity, consultant_count); SET(identity, consultant_list); SET(identity, enrol_token_add);
    SET(identity, invite_add); SET(identity, token_get); SET(identity, token_mark_used);
    SET(identity, device_get); SET(identity, device_add);
    SET(bilans, bilan_add); SET(bilans, bilan_get); SET(bilans, bilans_for_device); SET(bilans, member_add);
    SET(bilans, member_role); SET(bilans, bilans_of_consultant);
    SET(journal, session_add); SET(journal, session_end); SET(journal, session_get);
    SET(journal, sessions_of_bilan); SET(journal, sessions_end_open); SET(journal, sessions_open); SET(journal, journal_append);
    SET(journal, journal_of_bilan); SET(journal, budget_warning_add);
    SET(receipts, receipt_put); SET(receipts, receipts_of_session); SET(receipts, sessions_unsigned);
#undef SET
#undef SET_BASE
}

/* ---- What an auditor sees: the database, read-only ---- */

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

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + l + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np)
            abort();
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

/* Every row of every table, as text (the caller frees it). */
static char *db_dump(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *tables = NULL;
    struct sbuf b = {0};
    sb_add(&b, "");
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &tables,
                           NULL) != SQLITE_OK) {
        sqlite3_close(db);
        sb_add(&b, "(unreadable)");
        return b.p;
    }
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char sql[160];
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", (const char *)sqlite3_column_text(tables, 0));
        sb_add(&b, "\n#");
        sb_add(&b, sql);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(st) == SQLITE_ROW) {
            sb_add(&b, "\n");
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const unsigned char *v = sqlite3_column_type(st, i) == SQLITE_BLOB ? NULL : sqlite3_column_text(st, i);
                char blob[32];
                if (sqlite3_column_type(st, i) == SQLITE_BLOB) {
                    snprintf(blob, sizeof blob, "<blob %d>", sqlite3_column_bytes(st, i));
                    sb_add(&b, blob);
                } else {
                    sb_add(&b, v ? (const char *)v : "NULL");
                }
                sb_add(&b, "|");
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return b.p;
}

/* ---- What a client sees ---- */

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.1", T);
}

static void tick(int64_t ms)
{
    T.ms += ms;
    T.wall_ms += ms;
    T.s = T.wall_ms / 1000;
}

/* Drains c: the message with that ref (caller decrefs; NULL if none), and
 * how many messages of type count_type went by. */
static json_t *reply_for(struct conn *c, const char *ref, const char *count_type, int *count)
{
    json_t *keep = NULL, *j;
    if (count)
        *count = 0;
    while ((j = next_json(c, NULL, NULL))) {
        const char *r = json_string_value(json_object_get(j, "ref"));
        const char *t = json_string_value(json_object_get(j, "type"));
        if (count && t && !strcmp(t, count_type))
            (*count)++;
        if (!keep && r && !strcmp(r, ref))
            keep = json_incref(j);
        json_decref(j);
    }
    return keep;
}

/* Sends req (a JSON object without ref) with ref "u" on c, nothing armed,
 * and returns the reply's type ("" if none). */
static char utype[32];
static const char *unarmed(struct conn *c, const char *req)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s,\"ref\":\"u\"}", (int)strlen(req) - 1, req);
    text(c, buf);
    json_t *r = reply_for(c, "u", NULL, NULL);
    snprintf(utype, sizeof utype, "%s", r ? json_string_value(json_object_get(r, "type")) : "");
    if (r && !strcmp(utype, "error"))
        snprintf(utype, sizeof utype, "error:%s", json_string_value(json_object_get(r, "code")));
    json_decref(r);
    return utype;
}

static int count_of(struct conn *c, const char *type)
{
    int n = 0;
    json_decref(reply_for(c, "(none)", type, &n));
    return n;
}

static uint8_t nonce[32];

static void hello(struct conn *c)
{
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    CHECK(expect_type(c, "challenge", &ch));
    if (ch)
        bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
}

static void fp_b64(const struct bp_identity *id, char out[BP_B64_32 + 1])
{
    uint8_t fp[BP_FP_LEN];
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, BP_FP_LEN, out);
}

/* ---- The world: consultant k and beneficiary w of bilan X ---- */

static struct bp_identity idk, idw, idn;
static struct conn *k = &conns[0], *w = &conns[1], *n = &conns[2];
static char X[80], joinX[160], fpw[BP_B64_32 + 1], sid[80], inv[64];
static json_t *record;     /* a closed session's record, for receipts */

static void in_room(struct conn *c, int want)
{
    int is = c->room != NULL;   /* only to skip needless traffic; outcomes are checked by messages */
    if (is == want)
        return;
    CHECK_STR(unarmed(c, want ? joinX : "{\"type\":\"leave\"}"), want ? "joined" : "left");
    drain(k);
    drain(w);
}

static void session_state(int want_open)
{
    if (want_open && !sid[0]) {
        text(k, "{\"type\":\"session_open\",\"phase\":\"suivi\",\"ref\":\"o\"}");
        json_t *r = reply_for(k, "o", NULL, NULL);
        CHECK(r && !strcmp(json_string_value(json_object_get(r, "type")), "session_opened"));
        if (r)
            snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(r, "session")));
        json_decref(r);
    } else if (!want_open && sid[0]) {
        CHECK_STR(unarmed(k, "{\"type\":\"session_close\"}"), "session_closed");
        sid[0] = '\0';
    }
    drain(w);
}

/* The journal replays: the bilan's report can be computed. */
static int report_ok(void)
{
    char req[160];
    snprintf(req, sizeof req, "{\"type\":\"hours\",\"bilan\":\"%s\"}", X);
    return !strcmp(unarmed(k, req), "hours_report");
}

/* Ten seconds and a sweep: an alive checkpoint per present member. */
static void checkpoint(void)
{
    tick(10000);
    conn_pong(k, T);
    conn_pong(w, T);
    conn_sweep(&srv, T);
    drain(k);
    drain(w);
}

/* A fresh bilan X for k and w (w redeems its invite on connection n), so
 * that a case cannot inherit a journal another case broke. */
static void fresh_bilan(void)
{
    session_state(0);
    in_room(k, 0);
    in_room(w, 0);
    text(k, "{\"type\":\"bilan_create\",\"label\":\"fresh\",\"budget_s\":3600,\"ref\":\"b\"}");
    json_t *bc = reply_for(k, "b", NULL, NULL);
    CHECK(bc && !strcmp(json_string_value(json_object_get(bc, "type")), "bilan_created"));
    if (!bc)
        return;
    snprintf(X, sizeof X, "%s", json_string_value(json_object_get(bc, "bilan")));
    snprintf(joinX, sizeof joinX, "{\"type\":\"join\",\"bilan\":\"%s\"}", X);
    if (n->srv)
        conn_closed(n, T);
    open_conn(2);
    CHECK(enrol(n, &idw, json_string_value(json_object_get(bc, "invite_token"))));
    conn_closed(n, T);
    json_decref(bc);
}

/* ---- The cases ---- */

struct fcase {
    const char *name;
    struct conn **c;
    void (*prepare)(void);        /* nothing armed: the state before each attempt */
    void (*fire)(void);           /* the request under test, ref "R" */
    const char *ok_type;
    int may_answer_internal;      /* 0: the request never answers internal (see session_close) */
    void (*on_fail)(void);        /* after an internal error: what else must hold */
    void (*on_ok)(json_t *reply); /* after the success reply: check it is whole (stored), undo */
    const char *known_bug;        /* see run_case */
};

/* enrol: redeeming an invite by a new device. */
static void enrol_prepare(void)
{
    if (!inv[0]) {
        char req[160];
        snprintf(req, sizeof req, "{\"type\":\"invite_create\",\"bilan\":\"%s\",\"ref\":\"i\"}", X);
        text(k, req);
        json_t *r = reply_for(k, "i", NULL, NULL);
        CHECK(r != NULL);
        snprintf(inv, sizeof inv, "%s", r ? json_string_value(json_object_get(r, "invite_token")) : "");
        json_decref(r);
    }
    if (n->srv)
        conn_closed(n, T);
    open_conn(2);
    bp_identity_generate(&idn);
    hello(n);
}

static void enrol_fire(void)
{
    char buf[1024], sp[64], dp[64], sig_b64[128];
    uint8_t token[32], msg[BP_AUTH_MSG_MAX], sig[64];
    bp_b64_decode_exact(inv, token, 32);
    int len = bp_auth_message(nonce, idn.sign_pub, idn.dh_pub, token, 32, msg);
    bp_ed25519_sign(idn.sign_priv, msg, (size_t)len, sig);
    bp_b64_encode(idn.sign_pub, 32, sp);
    bp_b64_encode(idn.dh_pub, 32, dp);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf, "{\"type\":\"enrol\",\"token\":\"%s\",\"sign_pub\":\"%s\",\"dh_pub\":\"%s\","
             "\"sig\":\"%s\",\"ref\":\"R\"}", inv, sp, dp, sig_b64);
    text(n, buf);
}

static void enrol_ok(json_t *reply)
{
    (void)reply;
    char fp[BP_B64_32 + 1], sql[320];
    fp_b64(&idn, fp);
    /* Whole: the device, its membership and the spent invite, together. */
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM devices WHERE fingerprint = '%s') + "
             "(SELECT count(*) FROM bilan_members WHERE device = '%s') + "
             "(SELECT count(*) FROM invites WHERE used_by = '%s')", fp, fp, fp);
    CHECK_EQ_INT(q1(sql), 3);
    inv[0] = '\0';
}

/* auth: an enrolled device (w's identity on another connection). */
static void auth_prepare(void)
{
    if (n->srv)
        conn_closed(n, T);
    open_conn(2);
    hello(n);
}

static void auth_fire(void)
{
    char buf[512], sig_b64[128];
    uint8_t msg[BP_AUTH_MSG_MAX], sig[64];
    int len = bp_auth_message(nonce, idw.sign_pub, idw.dh_pub, NULL, 0, msg);
    bp_ed25519_sign(idw.sign_priv, msg, (size_t)len, sig);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf, "{\"type\":\"auth\",\"device\":\"%s\",\"sig\":\"%s\",\"ref\":\"R\"}", fpw, sig_b64);
    text(n, buf);
}

static void auth_ok(json_t *reply)
{
    CHECK_STR(json_string_value(json_object_get(reply, "device")), fpw);
}

static void auth_fail(void)
{
    /* Not authenticated: the connection may not do anything yet. */
    text(n, "{\"type\":\"bilan_list\"}");
    CHECK(expect_error(n, "wrong_state", 0));
}

/* How many invites of bilan (unused) have the hash of this token. */
static long long invite_rows(const char *bilan, const char *token_b64)
{
    uint8_t token[32], h[32];
    char hex[65], sql[300];
    if (!token_b64 || bp_b64_decode_exact(token_b64, token, 32) || bp_sha256(token, 32, h))
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", h[i]);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM invites WHERE hex(token_hash) = '%s' AND bilan_id = '%.64s' "
             "AND used_by IS NULL", hex, bilan);
    return q1(sql);
}

/* bilan_create and invite_create by the consultant. */
static void bilan_create_fire(void)
{
    text(k, "{\"type\":\"bilan_create\",\"label\":\"again\",\"budget_s\":3600,\"ref\":\"R\"}");
}

static void bilan_create_ok(json_t *reply)
{
    char sql[200];
    const char *b = json_string_value(json_object_get(reply, "bilan"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM bilans WHERE id = '%.64s'", b ? b : "");
    CHECK_EQ_INT(q1(sql), 1);
    CHECK_EQ_INT(invite_rows(b ? b : "", json_string_value(json_object_get(reply, "invite_token"))), 1);
    /* Whole: no bilan without the invite it was created with. */
    CHECK_EQ_INT(q1("SELECT count(*) FROM bilans b WHERE NOT EXISTS "
                    "(SELECT 1 FROM invites i WHERE i.bilan_id = b.id)"), 0);
}

static void invite_create_ok(json_t *reply)
{
    CHECK_EQ_INT(invite_rows(X, json_string_value(json_object_get(reply, "invite_token"))), 1);
}

static void invite_create_fire(void)
{
    char buf[200];
    snprintf(buf, sizeof buf, "{\"type\":\"invite_create\",\"bilan\":\"%s\",\"ref\":\"R\"}", X);
    text(k, buf);
}

/* join, no session open: w joins where k already is. */
static void join_prepare(void)
{
    session_state(0);
    in_room(k, 1);
    in_room(w, 0);
}

static void join_fire(void)
{
    char buf[200];
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"bilan\":\"%s\",\"ref\":\"R\"}", X);
    text(w, buf);
}

static void join_fail(void)
{
    CHECK_EQ_INT(count_of(k, "member_joined"), 0);             /* the room saw no one arrive */
    CHECK_STR(unarmed(w, "{\"type\":\"leave\"}"), "error:wrong_state"); /* w is in no room */
}

static void join_ok(json_t *reply)
{
    (void)reply;
    CHECK_EQ_INT(count_of(k, "member_joined"), 1);
    CHECK_STR(unarmed(w, "{\"type\":\"leave\"}"), "left");
    drain(k);
}

/* hours and personal_declare by the beneficiary. */
static void hours_fire(void)
{
    char buf[200];
    snprintf(buf, sizeof buf, "{\"type\":\"hours\",\"bilan\":\"%s\",\"ref\":\"R\"}", X);
    text(w, buf);
}

static void hours_ok(json_t *reply)
{
    CHECK(json_is_array(json_object_get(json_object_get(reply, "report"), "sessions")));
}

static long long personal_before;
static void personal_prepare(void)
{
    personal_before = q1("SELECT count(*) FROM journal WHERE event = 'personal'");
}

static void personal_ok(json_t *reply)
{
    (void)reply;
    CHECK_EQ_INT(q1("SELECT count(*) FROM journal WHERE event = 'personal'"), personal_before + 1);
}

static void personal_fire(void)
{
    char buf[200];
    snprintf(buf, sizeof buf, "{\"type\":\"personal_declare\",\"bilan\":\"%s\",\"seconds\":600,\"ref\":\"R\"}", X);
    text(w, buf);
}

/* session_open with both in the room. */
static void open_prepare(void)
{
    session_state(0);
    in_room(k, 1);
    in_room(w, 1);
    drain(k);
    drain(w);
}

static void open_fire(void)
{
    text(k, "{\"type\":\"session_open\",\"phase\":\"investigation\",\"ref\":\"R\"}");
}

static void open_fail(void)
{
    CHECK_EQ_INT(count_of(w, "session_opened"), 0);
    /* No session was left open in memory: there is none to close. */
    CHECK_STR(unarmed(k, "{\"type\":\"session_close\"}"), "error:wrong_state");
}

static void open_ok(json_t *reply)
{
    char sql[300];
    const char *id = json_string_value(json_object_get(reply, "session"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal j JOIN sessions s ON s.id = j.session "
             "WHERE s.id = '%.64s' AND j.event = 'session_open' AND s.closed_ms IS NULL", id ? id : "");
    CHECK_EQ_INT(q1(sql), 1);
    CHECK_EQ_INT(count_of(w, "session_opened"), 1);
    CHECK_EQ_INT(q1("SELECT count(*) FROM sessions WHERE closed_ms IS NULL"), 1);
    CHECK(report_ok());
    CHECK_STR(unarmed(k, "{\"type\":\"session_close\"}"), "session_closed");
    drain(w);
}

/* session_close: whatever fails, both of its writes or neither. */
static char closing[80];
static void close_prepare(void)
{
    in_room(k, 1);
    in_room(w, 1);
    session_state(1);
    checkpoint();
    snprintf(closing, sizeof closing, "%s", sid);
}

static void close_fire(void)
{
    text(k, "{\"type\":\"session_close\",\"ref\":\"R\"}");
    sid[0] = '\0';
}

static void close_ok(json_t *reply)
{
    (void)reply;
    char sql[512];
    CHECK_EQ_INT(count_of(w, "session_closed"), 1);
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM sessions WHERE id = '%s' AND closed_ms IS NOT NULL) "
             "= (SELECT count(*) FROM journal WHERE session = '%s' AND event = 'session_close')", closing, closing);
    CHECK_EQ_INT(q1(sql), 1);
    CHECK(report_ok());
}

/* receipt for the record of a closed session. */
static void receipt_prepare(void)
{
    if (record)
        return;
    in_room(k, 1);
    in_room(w, 1);
    session_state(1);
    checkpoint();
    text(k, "{\"type\":\"session_close\"}");
    sid[0] = '\0';
    drain(k);
    json_t *j;
    while ((j = next_json(w, NULL, NULL))) {
        if (!record && !strcmp(json_string_value(json_object_get(j, "type")), "session_record"))
            record = json_incref(json_object_get(j, "record"));
        json_decref(j);
    }
    CHECK(record != NULL);
}

static void receipt_ok(json_t *reply)
{
    char sql[300];
    const char *id = json_string_value(json_object_get(reply, "session"));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM receipts WHERE session = '%.64s' AND device = '%s'",
             id ? id : "", fpw);
    CHECK_EQ_INT(q1(sql), 1);
}

static void receipt_fire(void)
{
    struct bp_record r;
    struct bp_attestation a;
    struct bp_verr e;
    char buf[512], sig[BP_B64_64 + 1];
    memset(&a, 0, sizeof a);
    memcpy(a.sign_pub, idw.sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, idw.dh_pub, BP_KEY_LEN);
    if (!record || bp_record_from_json(record, &r, &e) || bp_fingerprint(a.sign_pub, a.dh_pub, a.signer) ||
        bp_attest_sign(&r, &a, idw.sign_priv)) {
        CHECK(0);
        return;
    }
    bp_b64_encode(a.sig, BP_SIG_LEN, sig);
    snprintf(buf, sizeof buf, "{\"type\":\"receipt\",\"session\":\"%s\",\"received_audio_ms\":0,"
             "\"sas_verified\":false,\"sig\":\"%s\",\"ref\":\"R\"}", r.session, sig);
    text(w, buf);
}

/* join and leave while a session is open: the journal must follow the room. */
static void sjoin_prepare(void)
{
    in_room(k, 1);
    in_room(w, 0);
    session_state(1);
    drain(k);
}

static void sjoin_ok(json_t *reply)
{
    (void)reply;
    /* w is in the room: its presence must be in the journal so that the
     * checkpoints written for it replay. */
    checkpoint();
    CHECK(report_ok());
    CHECK_STR(unarmed(w, "{\"type\":\"leave\"}"), "left");
    checkpoint();
    CHECK(report_ok());
}

static void sleave_prepare(void)
{
    in_room(k, 1);
    in_room(w, 1);
    session_state(1);
    checkpoint();
    drain(k);
    drain(w);
}

static void sleave_fire(void)
{
    text(w, "{\"type\":\"leave\",\"ref\":\"R\"}");
}

/* While w is away its time must not count: the face-to-face total stays. */
static long long ftf_now(void)
{
    char req[160];
    snprintf(req, sizeof req, "{\"type\":\"hours\",\"bilan\":\"%s\",\"ref\":\"f\"}", X);
    text(k, req);
    json_t *r = reply_for(k, "f", NULL, NULL);
    json_t *v = r ? json_object_get(json_object_get(r, "report"), "face_to_face_s") : NULL;
    long long ms = v ? (long long)(json_number_value(v) * 1000 + 0.5) : -1;
    json_decref(r);
    return ms;
}

static void sleave_ok(json_t *reply)
{
    (void)reply;
    long long before = ftf_now();
    checkpoint();
    checkpoint();
    CHECK(before >= 0);
    CHECK_EQ_INT(ftf_now(), before);
    /* ... and it can come back. */
    CHECK_STR(unarmed(w, joinX), "joined");
    checkpoint();
    CHECK(report_ok());
}

/* A case with known_bug set runs on a bilan of its own and its failed
 * checks are reported, not counted, until the bug is fixed; then the case
 * fails, so that its known_bug is removed. */
static void run_case(const struct fcase *fc)
{
    int k_, internal = 0, after = 0, done = 0;
    int failed0 = check_failed;
    if (fc->known_bug)
        fresh_bilan();
    for (k_ = 1; k_ <= 100 && !done; k_++) {
        if (fc->prepare)
            fc->prepare();
        struct conn *c = *fc->c;
        drain(c);
        char *before = db_dump();
        ncalls = 0;
        fired = NULL;
        armed_at = k_;
        fc->fire();
        armed_at = 0;
        json_t *r = reply_for(c, "R", NULL, NULL);
        const char *type = r ? json_string_value(json_object_get(r, "type")) : "(no reply)";
        const char *code = r ? json_string_value(json_object_get(r, "code")) : NULL;
        if (!fired) {
            if (strcmp(type, fc->ok_type))
                fprintf(stderr, "%s: nothing failed, yet the reply is %s %s\n", fc->name, type, code ? code : "");
            CHECK_STR(type, fc->ok_type);
            if (fc->on_ok)
                fc->on_ok(r);
            done = 1;
        } else if (!strcmp(type, "error")) {
            internal++;
            int fatal = json_is_true(json_object_get(r, "fatal"));
            if (strcmp(code, "internal") || fatal)
                fprintf(stderr, "%s: store call %d (%s) failed: answered %s%s\n", fc->name, k_, fired, code,
                        fatal ? " (fatal)" : "");
            CHECK(!strcmp(code, "internal") && !fatal && fc->may_answer_internal);
            char *now_ = db_dump();
            if (strcmp(before, now_))
                fprintf(stderr, "%s: store call %d (%s) failed and the request was refused, but the database "
                        "changed\n", fc->name, k_, fired);
            CHECK(!strcmp(before, now_));
            free(now_);
            if (fc->on_fail)
                fc->on_fail();
        } else if (!strcmp(type, fc->ok_type)) {
            after++;
            int f0 = check_failed;
            if (fc->on_ok)
                fc->on_ok(r);
            if (check_failed != f0)
                fprintf(stderr, "%s: store call %d (%s) failed after the reply %s: the effect is not whole\n",
                        fc->name, k_, fired, type);
        } else {
            fprintf(stderr, "%s: store call %d (%s) failed: answered %s\n", fc->name, k_, fired, type);
            CHECK(0);
        }
        json_decref(r);
        free(before);
    }
    CHECK(done);
    CHECK(!fc->may_answer_internal || internal >= 1);   /* the request did depend on the store */
    printf("%-24s %2d store calls: %2d answered internal, %2d after the reply\n", fc->name, k_ - 2, internal,
           after);
    if (fc->known_bug) {
        int bad = check_failed - failed0;
        check_failed = failed0;
        if (bad)
            printf("  KNOWN BUG, not counted (%d failed checks): %s\n", bad, fc->known_bug);
        else
            fprintf(stderr, "%s: the known bug no longer shows: remove its known_bug (%s)\n", fc->name,
                    fc->known_bug);
        CHECK(bad > 0);
    }
}

/* The sweep's alive checkpoints: one per present member, all or none. */
static void sweep_all_or_none(void)
{
    in_room(k, 1);
    in_room(w, 1);
    session_state(1);
    checkpoint();
    int done = 0, failures = 0;
    for (int k_ = 1; k_ <= 100 && !done; k_++) {
        long long before = q1("SELECT count(*) FROM journal WHERE event = 'alive'");
        tick(10000);
        conn_pong(k, T);
        conn_pong(w, T);
        ncalls = 0;
        fired = NULL;
        armed_at = k_;
        conn_sweep(&srv, T);
        armed_at = 0;
        drain(k);
        drain(w);
        long long added = q1("SELECT count(*) FROM journal WHERE event = 'alive'") - before;
        if (!fired) {
            CHECK_EQ_INT(added, 2);
            done = 1;
        } else {
            failures++;
            if (added != 0 && added != 2)
                fprintf(stderr, "sweep: store call %d (%s) failed: %lld of 2 checkpoints written\n", k_, fired,
                        added);
            CHECK(added == 0 || added == 2);
        }
        CHECK(report_ok());
    }
    CHECK(done && failures >= 1);
    printf("%-24s %2d store calls failed: checkpoints all or none each time\n", "sweep (alive)", failures);
    session_state(0);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-store-fail-XXXXXX", why[256], buf[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(dbpath, sizeof dbpath, "%s/server.db", dir);
    faulty_init();
    srv.ops = &faulty;
    srv.soft_budget = 1 << 20;
    srv.invite_ttl_s = 3600;
    ratelimit_init(&srv.rl, 1000, 60);
    if (store_open(srv.ops, dbpath, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    int64_t alice;
    struct auth_token tok;
    srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
    auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);
    bp_identity_generate(&idk);
    bp_identity_generate(&idw);
    fp_b64(&idw, fpw);
    open_conn(0);
    CHECK(enrol(k, &idk, tok.b64));
    auth_token_wipe(&tok);
    text(k, "{\"type\":\"bilan_create\",\"label\":\"F\",\"budget_s\":3600}");
    json_t *bc = NULL;
    CHECK(expect_type(k, "bilan_created", &bc));
    if (!bc)
        return check_report();
    snprintf(X, sizeof X, "%s", json_string_value(json_object_get(bc, "bilan")));
    open_conn(1);
    CHECK(enrol(w, &idw, json_string_value(json_object_get(bc, "invite_token"))));
    json_decref(bc);
    snprintf(joinX, sizeof joinX, "{\"type\":\"join\",\"bilan\":\"%s\"}", X);

    const struct fcase cases[] = {
        {"enrol (invite)", &n, enrol_prepare, enrol_fire, "welcome", 1, NULL, enrol_ok, NULL},
        {"auth", &n, auth_prepare, auth_fire, "welcome", 1, auth_fail, auth_ok, NULL},
        {"bilan_create", &k, NULL, bilan_create_fire, "bilan_created", 1, NULL, bilan_create_ok, NULL},
        {"invite_create", &k, NULL, invite_create_fire, "invite_created", 1, NULL, invite_create_ok, NULL},
        {"join", &w, join_prepare, join_fire, "joined", 1, join_fail, join_ok, NULL},
        {"hours", &w, NULL, hours_fire, "hours_report", 1, NULL, hours_ok, NULL},
        {"personal_declare", &w, personal_prepare, personal_fire, "personal_declared", 1, NULL, personal_ok, NULL},
        {"session_open", &k, open_prepare, open_fire, "session_opened", 1, open_fail, open_ok, NULL},
        {"session_close", &k, close_prepare, close_fire, "session_closed", 0, NULL, close_ok, NULL},
        {"receipt", &w, receipt_prepare, receipt_fire, "receipt_ok", 1, NULL, receipt_ok, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    sweep_all_or_none();
    /* Once known bugs (issue 7): a join or leave line the store refused used to
     * break the bilan's journal for good. A refused join is now not counted
     * (nor its departure); a refused departure is written again at the next
     * sweep, close, or rejoin of that device. */
    const struct fcase bugs[] = {
        {"join during a session", &w, sjoin_prepare, join_fire, "joined", 1, join_fail, sjoin_ok, NULL},
        /* Leaving never answers internal: the member is out of the room whatever the journal says. */
        {"leave during a session", &w, sleave_prepare, sleave_fire, "left", 0, NULL, sleave_ok, NULL},
    };
    for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++)
        run_case(&bugs[i]);

    json_decref(record);
    for (int i = 0; i < 3; i++)
        if (conns[i].srv) {
            drain(&conns[i]);
            conn_closed(&conns[i], T);
        }
    srv.ops->close(srv.st);
    snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
    if (system(buf) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
