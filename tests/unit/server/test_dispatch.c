/* test_dispatch.c: server/dispatch.c, the one table of control messages.
 * Every message a client may send has a row and no other type has one; in
 * each of the four connection states, a message its row does not allow is
 * refused with wrong_state, not fatal, with the request's ref and the exact
 * message the server has always sent for it (the table below is the
 * protocol's behaviour, written out by hand), and the connection's state
 * does not change; the table itself says the same. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "auth.h"
#include "conn.h"
#include "dispatch.h"
#include "log.h"

static struct now T = {1700000000, 100000, 1700000000000LL};
#include "fake_conn.h"

#define KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define SIG KEY KEY
#define WRAP "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 60 bytes */
#define AF "authenticate first (hello, then enrol or auth)"
#define NIR "not in a room"
#define NEWC "send hello first, then sign the challenge"
#define DONE "this connection is already authenticated"
#define HELLO "hello is only allowed before authentication"
#define E2E "e2e messages are only relayed after join"
#define OPEN "join the bilan's room before opening a session"

/* A schema-valid request of each type (ref "r") and what it gets in each
 * state (new, challenged, authenticated, in_room): NULL where it is allowed. */
static const struct sample {
    enum bp_type type;
    const char *json;
    const char *refused[CS_COUNT];
} SAMPLES[] = {
    {BP_T_HELLO, "{\"type\":\"hello\",\"v\":1,\"ref\":\"r\"}", {NULL, NULL, HELLO, HELLO}},
    {BP_T_ENROL,
     "{\"type\":\"enrol\",\"token\":\"" KEY "\",\"sign_pub\":\"" KEY "\",\"dh_pub\":\"" KEY "\",\"sig\":\"" SIG
     "\",\"ref\":\"r\"}",
     {NEWC, NULL, DONE, DONE}},
    {BP_T_AUTH, "{\"type\":\"auth\",\"device\":\"" KEY "\",\"sig\":\"" SIG "\",\"ref\":\"r\"}", {NEWC, NULL, DONE, DONE}},
    {BP_T_BILAN_CREATE, "{\"type\":\"bilan_create\",\"label\":\"x\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_INVITE_CREATE, "{\"type\":\"invite_create\",\"bilan\":\"b1\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_BILAN_LIST, "{\"type\":\"bilan_list\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_JOIN, "{\"type\":\"join\",\"bilan\":\"b1\",\"ref\":\"r\"}", {AF, AF, NULL, "already in a room: send leave first"}},
    {BP_T_LEAVE, "{\"type\":\"leave\",\"ref\":\"r\"}", {NIR, NIR, NIR, NULL}},
    {BP_T_STATS, "{\"type\":\"stats\",\"ref\":\"r\"}", {NIR, NIR, NIR, NULL}},
    {BP_T_KEYFRAME_WANT, "{\"type\":\"keyframe_request\",\"slot\":1,\"ref\":\"r\"}", {NIR, NIR, NIR, NULL}},
    {BP_T_CLOCK, "{\"type\":\"clock\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_E2E, "{\"type\":\"e2e\",\"body\":{},\"ref\":\"r\"}", {E2E, E2E, E2E, NULL}},
    {BP_T_SESSION_OPEN, "{\"type\":\"session_open\",\"phase\":\"investigation\",\"ref\":\"r\"}", {OPEN, OPEN, OPEN, NULL}},
    {BP_T_SESSION_CLOSE, "{\"type\":\"session_close\",\"ref\":\"r\"}", {NIR, NIR, NIR, NULL}},
    {BP_T_HOURS, "{\"type\":\"hours\",\"bilan\":\"b1\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_PERSONAL_DECLARE, "{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":60,\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_RECEIPT,
     "{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":0,\"sas_verified\":true,\"sig\":\"" SIG
     "\",\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_RECEIPT_REFUSAL, "{\"type\":\"receipt_refusal\",\"session\":\"s1\",\"reason\":\"no\",\"sig\":\"" SIG
     "\",\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_SHEET_PUSH,
     "{\"type\":\"sheet_push\",\"bilan\":\"b1\",\"op\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"sheet\":\"AAAAAAAAAAAAAAAAAAAAAA\","
     "\"sealed\":\""
     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_SHEET_PULL, "{\"type\":\"sheet_pull\",\"bilan\":\"b1\",\"after\":0,\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_SHEET_KEY_PUT,
     "{\"type\":\"sheet_key_put\",\"bilan\":\"b1\",\"kid\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"to\":\"" KEY
     "\",\"wrap\":\"" WRAP "\",\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_SHEET_KEY_GET, "{\"type\":\"sheet_key_get\",\"bilan\":\"b1\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
    {BP_T_SHEET_CONSENT, "{\"type\":\"sheet_consent\",\"bilan\":\"b1\",\"statement\":\"{}\",\"sig\":\"" SIG
     "\",\"ref\":\"r\"}",
     {AF, AF, NULL, NULL}},
    {BP_T_BILAN_CLOSE, "{\"type\":\"bilan_close\",\"bilan\":\"b1\",\"ref\":\"r\"}", {AF, AF, NULL, NULL}},
};
#define NSAMPLES (sizeof SAMPLES / sizeof SAMPLES[0])

static const struct sample *sample_of(enum bp_type t)
{
    for (size_t i = 0; i < NSAMPLES; i++)
        if (SAMPLES[i].type == t)
            return &SAMPLES[i];
    return NULL;
}

/* Whether {"type": name} is a message a client may send (the parser does
 * not refuse the name as unknown in that direction). */
static int client_sends(const char *name)
{
    char buf[96];
    enum bp_type ty = BP_T_NONE;
    json_t *root = NULL;
    struct bp_verr e;
    snprintf(buf, sizeof buf, "{\"type\":\"%s\"}", name);
    int rc = bp_msg_parse(buf, strlen(buf), BP_TO_SERVER, &ty, &root, &e, NULL);
    json_decref(root);
    return rc != BP_E_UNKNOWN_TYPE;
}

/* The table: a row for exactly the types a client may send (a reply may
 * share its request's name: stats, e2e), and for each the states and
 * messages above. */
static void test_table(void)
{
    int rows = 0;
    for (int t = BP_T_NONE; t < BP_T__COUNT; t++) {
        const struct dispatch_row *row = dispatch_row_of((enum bp_type)t);
        const char *name = bp_type_name((enum bp_type)t);
        const struct sample *s = sample_of((enum bp_type)t);
        CHECK((row->fn != NULL) == (s != NULL));
        if (name && client_sends(name)) {
            /* Some type of that name has a row. */
            int found = 0;
            for (int u = BP_T_NONE; u < BP_T__COUNT; u++)
                if (bp_type_name((enum bp_type)u) && !strcmp(bp_type_name((enum bp_type)u), name) &&
                    dispatch_row_of((enum bp_type)u)->fn)
                    found = 1;
            if (!found)
                fprintf(stderr, "%s: a client may send it and no row handles it\n", name);
            CHECK(found);
        }
        if (!row->fn)
            continue;
        rows++;
        CHECK(name && client_sends(name));
        for (int st = 0; st < CS_COUNT; st++) {
            int allowed = (row->states & CSM(st)) != 0;
            CHECK(allowed == (s->refused[st] == NULL));
            if (allowed) {
                CHECK(!(row->refused_alt_states & CSM(st)));
                continue;
            }
            const char *why = row->refused_alt_states & CSM(st) ? row->refused_alt : row->refused;
            CHECK(why != NULL);
            if (why && s->refused[st])
                CHECK_STR(why, s->refused[st]);
        }
    }
    CHECK_EQ_INT(rows, (int)NSAMPLES);
    CHECK(dispatch_row_of(BP_T__COUNT)->fn == NULL);
    CHECK(dispatch_row_of((enum bp_type)-1)->fn == NULL);
}

/* Each refused request through the lifecycle, in each state. */
static void refusals_in(struct conn *c, enum conn_state st)
{
    CHECK_EQ_INT(c->state, st);
    for (size_t i = 0; i < NSAMPLES; i++) {
        const struct sample *s = &SAMPLES[i];
        if (!s->refused[st])
            continue;
        text(c, s->json);
        json_t *j = NULL;
        CHECK(expect_type(c, "error", &j));
        if (!j)
            continue;
        const char *code = json_string_value(json_object_get(j, "code"));
        const char *msg = json_string_value(json_object_get(j, "message"));
        const char *ref = json_string_value(json_object_get(j, "ref"));
        if (!code || strcmp(code, "wrong_state") || !msg || strcmp(msg, s->refused[st]))
            fprintf(stderr, "%s in state %d: %s / %s\n", s->json, (int)st, code ? code : "-", msg ? msg : "-");
        CHECK_STR(code ? code : "", "wrong_state");
        CHECK_STR(msg ? msg : "", s->refused[st]);
        CHECK_STR(ref ? ref : "", "r");
        CHECK(json_is_false(json_object_get(j, "fatal")));
        json_decref(j);
        CHECK(!c->closing);
        CHECK_EQ_INT(c->state, st);
        CHECK(next_json(c, NULL, NULL) == NULL);
    }
}

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.1", T);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-dispatch-XXXXXX", path[256], why[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/server.db", dir);
    srv.ops = &store_sqlite;
    srv.soft_budget = 64 * 1024;
    srv.invite_ttl_s = 3600;
    ratelimit_init(&srv.rl, 3, 60);
    if (store_open(srv.ops, path, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    int64_t alice;
    struct auth_token tok;
    srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
    auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);

    test_table();

    /* One connection per state; refusals change nothing, so each stays in
     * its state for every request. */
    struct conn *n = &conns[0], *ch = &conns[1], *au = &conns[2], *in = &conns[3];
    open_conn(0);
    open_conn(1);
    open_conn(2);
    open_conn(3);
    text(ch, "{\"type\":\"hello\",\"v\":1}");
    CHECK(expect_type(ch, "challenge", NULL));
    struct bp_identity ida;
    bp_identity_generate(&ida);
    CHECK(enrol(au, &ida, tok.b64));
    auth_token_wipe(&tok);
    CHECK(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok) == 0);
    struct bp_identity idb;
    bp_identity_generate(&idb);
    CHECK(enrol(in, &idb, tok.b64));
    auth_token_wipe(&tok);
    text(in, "{\"type\":\"bilan_create\",\"label\":\"D\"}");
    json_t *bc = NULL;
    CHECK(expect_type(in, "bilan_created", &bc));
    char join[160] = "";
    if (bc)
        snprintf(join, sizeof join, "{\"type\":\"join\",\"bilan\":\"%s\"}", json_string_value(json_object_get(bc, "bilan")));
    json_decref(bc);
    text(in, join);
    CHECK(expect_type(in, "joined", NULL));
    drain(in);

    refusals_in(n, CS_NEW);
    refusals_in(ch, CS_CHALLENGED);
    refusals_in(au, CS_AUTHED);
    refusals_in(in, CS_IN_ROOM);

    /* The allowed media control messages (PROTOCOL.md §4.3): clock answers
     * with the wall clock and the ref, authenticated or in a room; a
     * keyframe_request naming an empty slot or one's own gets nothing. */
    for (int k = 0; k < 2; k++) {
        struct conn *c = k ? in : au;
        text(c, "{\"type\":\"clock\",\"ref\":\"r\"}");
        json_t *cl = NULL;
        CHECK(expect_type(c, "clock", &cl));
        CHECK(json_integer_value(json_object_get(cl, "server_ms")) == T.wall_ms);
        CHECK_STR(json_string_value(json_object_get(cl, "ref")), "r");
        json_decref(cl);
    }
    char kr[80];
    snprintf(kr, sizeof kr, "{\"type\":\"keyframe_request\",\"slot\":%d}", in->slot);
    text(in, kr);
    text(in, "{\"type\":\"keyframe_request\",\"slot\":3}");
    CHECK(next_json(in, NULL, NULL) == NULL);
    CHECK(!in->closing);
    CHECK(srv.kf_ignored == 2 && srv.kf_forwarded == 0);

    /* Binary frames are no control messages: before join, wrong_state with
     * their own message (not fatal once authenticated). */
    uint8_t fr[20];
    struct bp_hdr h = {1, BP_KIND_DATA, 0, 0, 1, 0, 0};
    memset(fr, 0, sizeof fr);
    bp_hdr_encode(&h, fr);
    conn_rx(au, fr, sizeof fr, 1, 1, 0, T);
    json_t *j = NULL;
    CHECK(expect_type(au, "error", &j));
    CHECK_STR(json_string_value(json_object_get(j, "message")), "binary frames are only relayed after join");
    CHECK(json_is_false(json_object_get(j, "fatal")));
    json_decref(j);

    /* An unknown type is unknown_type, whatever the state. */
    text(n, "{\"type\":\"welcome\",\"ref\":\"r\"}");
    CHECK(expect_error(n, "unknown_type", 0));
    text(in, "{\"type\":\"flow\",\"ref\":\"r\"}");
    CHECK(expect_error(in, "unknown_type", 0));

    for (int i = 0; i < 4; i++)
        conn_closed(&conns[i], T);
    CHECK_EQ_INT(srv.nconns, 0);
    srv.ops->close(srv.st);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
