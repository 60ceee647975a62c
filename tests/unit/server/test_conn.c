/* test_conn.c: server/conn.c driven by plain calls, with a fake transport
 * and a temporary store: handshake, enrolment, rooms and roster events,
 * relay (only the slot byte rewritten), video drops with keyframe requests
 * at most once a second, data flow control (hold, go, the allowance, the
 * drain deadline on a fake clock), the hard cap, replacement, reassembly
 * limits, "lost" on close; strangers (small text only, no binary, the
 * authentication deadline) and the global ceiling of failed authentications. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "auth.h"
#include "bp/kinds.h"
#include "conn.h"
#include "log.h"

static struct now T = {1700000000, 100000, 0};
#include "fake_conn.h"

static int auth(struct conn *c, struct bp_identity *id)
{
    char buf[512], fp_b64[64], sig_b64[128];
    uint8_t nonce[32], msg[BP_AUTH_MSG_MAX], sig[64], fp[32];
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return 0;
    bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, NULL, 0, msg);
    bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig);
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, 32, fp_b64);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf, "{\"type\":\"auth\",\"device\":\"%s\",\"sig\":\"%s\"}", fp_b64, sig_b64);
    text(c, buf);
    return expect_type(c, "welcome", NULL);
}

static void frame(struct conn *c, uint8_t kind, uint8_t flags, size_t len, uint8_t fill)
{
    uint8_t *b = malloc(len);
    struct bp_hdr h = {1, kind, flags, 3, 42, 1000, 2000};
    memset(b, fill, len);
    bp_hdr_encode(&h, b);
    conn_rx(c, b, len, 1, 1, 0, T);
    free(b);
}

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.1", T);
}

/* Expects an e2e relay on c from slot `from` (device fp of id) whose body
 * serialises to want (compact). */
static int expect_e2e(struct conn *c, int from, const struct bp_identity *id, const char *want)
{
    json_t *j = NULL;
    if (!expect_type(c, "e2e", &j))
        return 0;
    uint8_t fp[32];
    char fp_b64[64];
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, 32, fp_b64);
    char *body = json_dumps(json_object_get(j, "body"), JSON_COMPACT);
    int ok = json_integer_value(json_object_get(j, "from")) == from &&
             !strcmp(json_string_value(json_object_get(j, "device")), fp_b64) && body &&
             !strcmp(body, want) && !json_object_get(j, "to") && !json_object_get(j, "ref");
    struct bp_verr ve;
    enum bp_type ty = BP_T_NONE;
    ok = ok && !bp_msg_validate(j, BP_TO_CLIENT, &ty, &ve) && ty == BP_T_E2E_RELAY;
    if (!ok)
        fprintf(stderr, "unexpected e2e relay: body %s\n", body ? body : "(none)");
    free(body);
    json_decref(j);
    return ok;
}

static struct bp_identity ida, idb, idc;

static void open_conn_ip(int i, const char *ip)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], ip, T);
}

/* A string member of o, "" when absent (o may be NULL). */
static const char *jstr(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* A JSON text of exactly n bytes: {fields,"pad":"xx..."}. Caller frees. */
static char *padded(const char *fields, size_t n)
{
    char *m = malloc(n + 1);
    int k = snprintf(m, n + 1, "{%s,\"pad\":\"", fields);
    memset(m + k, 'x', n - (size_t)k - 2);
    memcpy(m + n - 2, "\"}", 3);
    return m;
}

/* The next message's type, or its code when it is an error (static). */
static const char *answer(struct conn *c)
{
    static char out[40];
    json_t *j = next_json(c, NULL, NULL);
    const char *t = j ? json_string_value(json_object_get(j, "type")) : NULL;
    if (t && !strcmp(t, "error"))
        t = json_string_value(json_object_get(j, "code"));
    snprintf(out, sizeof out, "%s", t ? t : "(none)");
    json_decref(j);
    return out;
}

/* hello, then auth as id's device; good = 0 signs a wrong nonce. */
static const char *try_auth(struct conn *c, const struct bp_identity *id, int good)
{
    char buf[512], fp_b64[64], sig_b64[128];
    uint8_t nonce[32], msg[BP_AUTH_MSG_MAX], sig[64], fp[32];
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return "(no challenge)";
    bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
    if (!good)
        nonce[0] ^= 1;
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, NULL, 0, msg);
    bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig);
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, 32, fp_b64);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf, "{\"type\":\"auth\",\"device\":\"%s\",\"sig\":\"%s\"}", fp_b64, sig_b64);
    text(c, buf);
    return answer(c);
}

/* hello, then enrol a fresh identity with token_b64; the answer. */
static const char *try_enrol(struct conn *c, const char *token_b64)
{
    static struct bp_identity id;
    char buf[1024], sp[64], dp[64], sig_b64[128];
    uint8_t nonce[32], token[32], msg[BP_AUTH_MSG_MAX], sig[64];
    bp_identity_generate(&id);
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return "(no challenge)";
    bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
    bp_b64_decode_exact(token_b64, token, 32);
    int n = bp_auth_message(nonce, id.sign_pub, id.dh_pub, token, 32, msg);
    bp_ed25519_sign(id.sign_priv, msg, (size_t)n, sig);
    bp_b64_encode(id.sign_pub, 32, sp);
    bp_b64_encode(id.dh_pub, 32, dp);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf,
             "{\"type\":\"enrol\",\"token\":\"%s\",\"sign_pub\":\"%s\",\"dh_pub\":\"%s\",\"sig\":\"%s\"}",
             token_b64, sp, dp, sig_b64);
    text(c, buf);
    return answer(c);
}

/* Strangers (PROTOCOL.md §2.2): small text only, no binary, a deadline;
 * after welcome, today's limits. Uses conns 5-7 and leaves them closed. */
static void test_strangers(void)
{
    struct conn *s = &conns[5], *w = &conns[6], *u = &conns[7];
    const char *hello = "\"type\":\"hello\",\"v\":1";
    json_t *er = NULL;

    /* Text before welcome: 4096 bytes pass, 4097 are too_large (fatal). */
    open_conn(5);
    char *m = padded(hello, BP_MAX_CTRL_PREAUTH);
    text(s, m);
    free(m);
    CHECK(expect_type(s, "challenge", NULL));
    m = padded(hello, BP_MAX_CTRL_PREAUTH + 1);
    text(s, m);
    free(m);
    CHECK(expect_type(s, "error", &er));
    CHECK_STR(jstr(er, "code"), "too_large");
    CHECK_STR(jstr(er, "message"), "text message larger than 4 KiB before authentication");
    CHECK(json_is_true(json_object_get(er, "fatal")));
    json_decref(er);
    CHECK(s->closing && s->close_status == CC_TOO_BIG);
    conn_closed(s, T);

    /* Refused on the declared size, before buffering: 8 bytes arrive and the
     * frame announces 4089 more. */
    open_conn(5);
    conn_rx(s, (const uint8_t *)"{\"type\":", 8, 0, 0, BP_MAX_CTRL_PREAUTH - 7, T);
    CHECK(s->closing && s->rx_cap == 0 && s->rx == NULL);
    CHECK(expect_error(s, "too_large", 1));
    conn_closed(s, T);
    /* Across fragments: 4000 bytes, then a fragment announcing 97 more. */
    open_conn(5);
    static uint8_t fill[BP_MAX_CTRL + 2];
    memset(fill, ' ', sizeof fill);
    conn_rx(s, fill, 4000, 0, 0, 0, T);
    CHECK(!s->closing);
    conn_rx(s, fill, 10, 0, 0, 87, T);
    CHECK(s->closing && (s->rx == NULL || s->rx_cap <= 16384));
    CHECK(expect_error(s, "too_large", 1));
    conn_closed(s, T);

    /* Binary before welcome: refused at its first chunk, fatal, nothing
     * buffered, whether the connection said hello or not. */
    open_conn(5);
    conn_rx(s, (const uint8_t *)"\x01\x03", 2, 1, 0, BP_MAX_FRAME - 2, T);
    CHECK(s->closing && s->rx == NULL && s->rx_cap == 0);
    CHECK(expect_error(s, "wrong_state", 1));
    CHECK(s->close_status == CC_POLICY);
    conn_rx(s, (const uint8_t *)"\x01\x03", 2, 1, 0, BP_MAX_FRAME - 4, T);   /* the rest: ignored */
    CHECK(s->rx == NULL && next_json(s, NULL, NULL) == NULL);
    conn_closed(s, T);
    open_conn(5);
    text(s, "{\"type\":\"hello\",\"v\":1}");
    CHECK(expect_type(s, "challenge", NULL));
    frame(s, BP_KIND_DATA, 0, 20, 0);
    CHECK(expect_error(s, "wrong_state", 1));
    CHECK(s->closing);
    conn_closed(s, T);

    /* After welcome: 64 KiB text, binary allowed (wrong_state, not fatal,
     * until join); the transport heard of the welcome once. */
    open_conn(5);
    CHECK(auth(s, &ida));
    CHECK_EQ_INT(fakes[5].authenticated, 1);
    m = padded("\"type\":\"bilan_list\"", BP_MAX_CTRL);
    text(s, m);
    free(m);
    CHECK(expect_type(s, "bilans", NULL));
    frame(s, BP_KIND_DATA, 0, 20, 0);
    CHECK(expect_error(s, "wrong_state", 0));
    CHECK(!s->closing);
    m = padded("\"type\":\"bilan_list\"", BP_MAX_CTRL + 1);
    text(s, m);
    free(m);
    CHECK(expect_error(s, "too_large", 1));
    CHECK_EQ_INT(fakes[5].authenticated, 1);
    conn_closed(s, T);

    /* The deadline: BP_AUTH_TIMEOUT_S after the WebSocket opened, a silent
     * stranger and a talking one (challenged) get the fatal auth_timeout; a
     * welcomed connection stays. */
    open_conn(5);
    open_conn(6);
    open_conn(7);
    text(u, "{\"type\":\"hello\",\"v\":1}");
    CHECK(expect_type(u, "challenge", NULL));
    T.ms += BP_AUTH_TIMEOUT_S * 1000 - 1;
    CHECK(auth(w, &ida));             /* just in time */
    conn_sweep(&srv, T);
    CHECK(!s->closing && !u->closing && !w->closing);
    T.ms += 1;
    conn_sweep(&srv, T);
    CHECK(s->closing && u->closing && !w->closing);
    CHECK(expect_error(s, "auth_timeout", 1));
    CHECK(expect_error(u, "auth_timeout", 1));
    CHECK(conn_should_close(s) && conn_should_close(u));
    CHECK(fakes[5].close_soon && fakes[7].close_soon);
    T.ms += 5000;
    conn_sweep(&srv, T);
    CHECK(!w->closing);
    conn_closed(s, T);
    conn_closed(u, T);
    conn_closed(w, T);
}

/* Counting token lookups, to prove that a limited enrol never reaches one. */
static int token_lookups;
static int (*real_token_get)(struct store *, const uint8_t[32], struct store_token *);
static int counting_token_get(struct store *st, const uint8_t hash[32], struct store_token *out)
{
    token_lookups++;
    return real_token_get(st, hash, out);
}

/* The global ceiling (PROTOCOL.md §2.2), with 2 answered failures per 60 s:
 * then enrol is refused before any token lookup, from any address; auth is
 * still verified: a known device with a valid signature gets in, a failing
 * auth is answered rate_limited and counted for its address only. */
static void test_rate_global(int64_t alice)
{
    static struct store_ops ops;
    const struct store_ops *saved = srv.ops;
    struct conn *s = &conns[5];
    struct auth_token tok;
    ops = *srv.ops;
    static struct store_identity_ops identity;
    identity = *ops.identity;
    real_token_get = identity.token_get;
    identity.token_get = counting_token_get;
    ops.identity = &identity;
    srv.ops = &ops;
    ratelimit_init(&srv.rl, 3, 60);
    ratelimit_set_global(&srv.rl, 2);
    struct bp_identity idz;
    bp_identity_generate(&idz);

    open_conn_ip(5, "192.0.2.10");
    CHECK_STR(try_auth(s, &idz, 1), "unknown_device");
    conn_closed(s, T);
    open_conn_ip(5, "192.0.2.11");
    CHECK_STR(try_enrol(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "unknown_token");
    conn_closed(s, T);
    CHECK(ratelimit_global_blocked(&srv.rl, T.ms / 1000));

    /* A valid token from a fresh address: refused, never looked up. */
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    token_lookups = 0;
    open_conn_ip(5, "192.0.2.12");
    CHECK_STR(try_enrol(s, tok.b64), "rate_limited");
    CHECK_EQ_INT(token_lookups, 0);
    CHECK(s->closing);
    conn_closed(s, T);

    /* A member still gets in from anywhere. */
    open_conn_ip(5, "192.0.2.13");
    CHECK_STR(try_auth(s, &ida, 1), "welcome");
    conn_closed(s, T);

    /* A failing auth is answered rate_limited, not bad_signature, and counts
     * for its address (3 make it limited on its own) but not globally. */
    for (int i = 0; i < 3; i++) {
        open_conn_ip(5, "192.0.2.14");
        CHECK_STR(try_auth(s, &ida, 0), "rate_limited");
        conn_closed(s, T);
    }
    CHECK(ratelimit_blocked(&srv.rl, "192.0.2.14", T.ms / 1000));
    CHECK_EQ_INT(srv.rl.g_count, 2);

    /* 60 s later the ceiling has room again: the token was not consumed. */
    T.ms += 60000;
    CHECK(!ratelimit_global_blocked(&srv.rl, T.ms / 1000));
    open_conn_ip(5, "192.0.2.12");
    CHECK_STR(try_enrol(s, tok.b64), "welcome");
    CHECK(token_lookups > 0);
    conn_closed(s, T);
    auth_token_wipe(&tok);

    srv.ops = saved;
    ratelimit_init(&srv.rl, 3, 60);
}

/* e2e relay (PROTOCOL.md §8.1), with a third member c (a second device of the
 * consultant) in slot 2: to all, to one, wrong state, bad to, size cap,
 * order among binary frames. a is slot 0, b slot 1; leaves them so. */
static void test_e2e_relay(struct conn *a, struct conn *b, const char *join)
{
    struct conn *c = &conns[5];
    struct auth_token tok;
    int64_t alice = 0;
    CHECK_EQ_INT(srv.ops->identity->consultant_find(srv.st, "alice", &alice), 0);
    open_conn(5);
    text(c, "{\"type\":\"e2e\",\"body\":{}}");
    CHECK(expect_error(c, "wrong_state", 0));
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    bp_identity_generate(&idc);
    CHECK(enrol(c, &idc, tok.b64));
    auth_token_wipe(&tok);
    text(c, "{\"type\":\"e2e\",\"body\":{\"t\":\"commit\"},\"ref\":\"w\"}");
    CHECK(expect_error(c, "wrong_state", 0));
    text(c, join);
    json_t *jn = NULL;
    CHECK(expect_type(c, "joined", &jn));
    CHECK_EQ_INT(json_integer_value(json_object_get(jn, "slot")), 2);
    json_decref(jn);
    CHECK(expect_type(a, "member_joined", NULL));
    CHECK(expect_type(b, "member_joined", NULL));

    /* To every other member; the sender gets nothing back; unknown fields
     * of the body pass through untouched. */
    text(a, "{\"type\":\"e2e\",\"body\":{\"t\":\"commit\",\"c\":\"xyz\",\"n\":[1,{\"k\":null}]}}");
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(expect_e2e(b, 0, &ida, "{\"t\":\"commit\",\"c\":\"xyz\",\"n\":[1,{\"k\":null}]}"));
    CHECK(expect_e2e(c, 0, &ida, "{\"t\":\"commit\",\"c\":\"xyz\",\"n\":[1,{\"k\":null}]}"));
    CHECK(next_json(b, NULL, NULL) == NULL);
    CHECK(next_json(c, NULL, NULL) == NULL);

    /* To one slot only. */
    text(b, "{\"type\":\"e2e\",\"to\":2,\"body\":{\"t\":\"sas\"}}");
    CHECK(expect_e2e(c, 1, &idb, "{\"t\":\"sas\"}"));
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(next_json(b, NULL, NULL) == NULL);
    text(c, "{\"type\":\"e2e\",\"to\":0,\"body\":{}}");
    CHECK(expect_e2e(a, 2, &idc, "{}"));
    CHECK(next_json(b, NULL, NULL) == NULL);

    /* Bad to: own slot, empty slot, out of range, not an integer. */
    text(a, "{\"type\":\"e2e\",\"to\":0,\"body\":{},\"ref\":\"o\"}");
    json_t *er = NULL;
    CHECK(expect_type(a, "error", &er));
    CHECK_STR(json_string_value(json_object_get(er, "code")), "invalid_field");
    CHECK_STR(json_string_value(json_object_get(er, "ref")), "o");
    json_decref(er);
    text(a, "{\"type\":\"e2e\",\"to\":3,\"body\":{}}");
    CHECK(expect_error(a, "invalid_field", 0));
    text(a, "{\"type\":\"e2e\",\"to\":4,\"body\":{}}");
    CHECK(expect_error(a, "invalid_field", 0));
    text(a, "{\"type\":\"e2e\",\"to\":\"1\",\"body\":{}}");
    CHECK(expect_error(a, "invalid_field", 0));
    text(a, "{\"type\":\"e2e\",\"body\":[]}");
    CHECK(expect_error(a, "invalid_field", 0));
    text(a, "{\"type\":\"e2e\"}");
    CHECK(expect_error(a, "missing_field", 0));
    CHECK(next_json(b, NULL, NULL) == NULL);
    CHECK(next_json(c, NULL, NULL) == NULL);
    CHECK(!a->closing);

    /* Size cap: the body serialised compactly, 8192 bytes pass, 8193 do not
     * (whitespace in the request does not count). */
    size_t pad = 8192 - strlen("{\"p\":\"\"}");
    char *big = malloc(pad + 64), *want = malloc(pad + 64);
    memset(big, 0, pad + 64);
    strcpy(big, "{\"type\":\"e2e\",\"to\":1,\"body\":{  \"p\" :  \"");
    size_t off = strlen(big);
    memset(big + off, 'x', pad);
    strcpy(big + off + pad, "\"}}");
    snprintf(want, pad + 64, "{\"p\":\"%s", big + off);
    want[strlen(want) - 1] = '\0';   /* drop the outer } */
    text(a, big);
    CHECK(expect_e2e(b, 0, &ida, want));
    memmove(big + off + 1, big + off, pad + 4);   /* one more x */
    text(a, big);
    CHECK(expect_type(a, "error", &er));
    CHECK_STR(json_string_value(json_object_get(er, "code")), "invalid_field");
    CHECK_STR(json_string_value(json_object_get(er, "message")), "body larger than 8 KiB");
    json_decref(er);
    CHECK(next_json(b, NULL, NULL) == NULL);
    free(big);
    free(want);

    /* Order: an e2e message keeps its place among the frames. */
    static uint8_t got[256];
    size_t got_len = 0;
    frame(a, BP_KIND_DATA, 0, 100, 1);
    text(a, "{\"type\":\"e2e\",\"to\":1,\"body\":{\"t\":\"key\"}}");
    frame(a, BP_KIND_AUDIO, 0, 50, 2);
    CHECK(next_json(b, got, &got_len) == NULL);
    CHECK_EQ_INT(got_len, 100);
    CHECK(expect_e2e(b, 0, &ida, "{\"t\":\"key\"}"));
    CHECK(next_json(b, got, &got_len) == NULL);
    CHECK_EQ_INT(got_len, 50);
    drain(c);

    /* c leaves: a and b see it; e2e after leave is wrong_state. */
    text(c, "{\"type\":\"leave\"}");
    CHECK(expect_type(c, "left", NULL));
    CHECK(expect_type(a, "member_left", NULL));
    CHECK(expect_type(b, "member_left", NULL));
    text(c, "{\"type\":\"e2e\",\"body\":{}}");
    CHECK(expect_error(c, "wrong_state", 0));
    text(a, "{\"type\":\"e2e\",\"to\":2,\"body\":{}}");
    CHECK(expect_error(a, "invalid_field", 0));
    conn_closed(c, T);
    a->frames_in = 0;
    b->frames_out = 0;
}

/* ---- data flow control (PROTOCOL.md §4 "Queues") ---- */

/* What a drained connection held: flow messages in order ("h1" for hold
 * slot 1, "g" for go, "E" for flow_violation), other text messages counted. */
struct seen {
    char flow[32];
    int stats, other, binary;
};
static uint64_t want_allowance;   /* what the next hold must state */

static void collect(struct conn *c, struct seen *v)
{
    struct qmsg *m;
    memset(v, 0, sizeof *v);
    while ((m = conn_next_write(c, T))) {
        if (!qkind_is_text(m->kind)) {
            v->binary++;
            conn_written(c, m);
            continue;
        }
        json_t *j = json_loadb((const char *)qmsg_data(m), m->len, 0, NULL);
        conn_written(c, m);
        const char *t = json_string_value(json_object_get(j, "type"));
        size_t n = strlen(v->flow);
        struct bp_verr ve;
        CHECK(j && bp_msg_validate(j, BP_TO_CLIENT, NULL, &ve) == 0);
        if (t && !strcmp(t, "flow") && n + 3 < sizeof v->flow) {
            const char *st = json_string_value(json_object_get(j, "state"));
            CHECK_STR(json_string_value(json_object_get(j, "kind")), "data");
            if (!strcmp(st, "hold")) {
                CHECK_EQ_INT(json_integer_value(json_object_get(j, "allowance")), want_allowance);
                snprintf(v->flow + n, sizeof v->flow - n, "h%d",
                         (int)json_integer_value(json_object_get(j, "slot")));
            } else {
                CHECK(!json_object_get(j, "slot") && !json_object_get(j, "allowance"));
                snprintf(v->flow + n, sizeof v->flow - n, "%s", !strcmp(st, "go") ? "g" : "?");
            }
        } else if (t && !strcmp(t, "error") && n + 2 < sizeof v->flow) {
            CHECK_STR(json_string_value(json_object_get(j, "code")), "flow_violation");
            CHECK(json_is_false(json_object_get(j, "fatal")));
            snprintf(v->flow + n, sizeof v->flow - n, "E");
        } else if (t && !strcmp(t, "stats")) {
            v->stats++;
        } else {
            v->other++;
        }
        json_decref(j);
    }
}

static void quiet(struct conn *c)
{
    struct seen v;
    collect(c, &v);
}

/* Pops and writes one message of c; returns its length. */
static size_t write_one(struct conn *c)
{
    struct qmsg *m = conn_next_write(c, T);
    size_t n = m ? m->len : 0;
    if (m)
        conn_written(c, m);
    return n;
}

/* One second on the fake clock: everyone listed proves it is alive, then the sweep. */
static void second_alive(struct conn *const *live, int n)
{
    T.ms += 1000;
    for (int i = 0; i < n; i++)
        if (live[i] && !live[i]->closing)
            conn_pong(live[i], T);
    conn_sweep(&srv, T);
}

static struct bp_identity idd;

/* a (slot 0) sends data to b (slot 1) and a third member d (slot 2). Ends
 * with a and b in the room, d gone, every queue empty. */
static void test_flow(struct conn *a, struct conn *b, const char *join)
{
    struct conn *d = &conns[5];
    struct auth_token tok;
    int64_t alice = 0;
    struct seen v;
    const size_t soft = srv.soft_budget;       /* 64 KiB */
    CHECK_EQ_INT(srv.ops->identity->consultant_find(srv.st, "alice", &alice), 0);
    open_conn(5);
    CHECK_EQ_INT(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok), 0);
    bp_identity_generate(&idd);
    CHECK(enrol(d, &idd, tok.b64));
    auth_token_wipe(&tok);
    text(d, join);
    CHECK(expect_type(d, "joined", NULL));
    quiet(a);
    quiet(b);
    quiet(d);
    uint64_t in0 = a->frames_in;

    /* 1. b does not read, d does. The fourth 20 kB frame takes b past 64 KiB:
     * queued all the same (data is never dropped), and a is told to hold,
     * naming b, once. Its allowance: four 1 MiB frames (more than the 64 KiB
     * budget), plus the 100 kB it has sent that "the kernel" holds unread. */
    fakes[0].rx_pending = 100000;
    want_allowance = 4 * 1024 * 1024 + 100000;
    for (int i = 0; i < 4; i++) {
        frame(a, BP_KIND_DATA, 0, 20000, 2);
        quiet(d);
    }
    CHECK_EQ_INT(b->q.count, 4);
    CHECK_EQ_INT(a->hold_mask, 1u << 1);
    collect(a, &v);
    CHECK_STR(v.flow, "h1");

    /* Held, a's audio and control messages do not wait: audio reaches both,
     * stats is answered at once. */
    frame(a, BP_KIND_AUDIO, 0, 500, 5);
    CHECK_EQ_INT(b->q.count, 5);
    collect(d, &v);
    CHECK_EQ_INT(v.binary, 1);
    text(a, "{\"type\":\"stats\"}");
    collect(a, &v);
    CHECK_EQ_INT(v.stats, 1);
    CHECK_STR(v.flow, "");

    /* 2. The allowance (4294304 bytes): four 1 MB frames in flight are
     * accepted and relayed; the next is refused to the sender alone, told
     * once, not counted in frames_in; from then on every data frame is
     * refused until go, even one that would fit. b holds 4 MB of data, 64
     * times its budget and far past the hard cap, and is not cut for it. */
    for (int i = 0; i < 4; i++) {
        frame(a, BP_KIND_DATA, 0, 1000000, 3);
        quiet(d);
    }
    CHECK_EQ_INT(a->frames_in, in0 + 4 + 1 + 4);
    CHECK_EQ_INT(b->q.count, 9);
    frame(a, BP_KIND_DATA, 0, 300000, 4);
    frame(a, BP_KIND_DATA, 0, 100, 4);
    CHECK_EQ_INT(a->frames_in, in0 + 9);
    CHECK_EQ_INT(a->data_refused, 2);
    CHECK_EQ_INT(b->q.count, 9);
    collect(d, &v);
    CHECK_EQ_INT(v.binary, 0);
    collect(a, &v);
    CHECK_STR(v.flow, "E");
    CHECK(!a->closing && !b->closing);
    /* Audio still goes, to b too: the hard cap does not count data. */
    frame(a, BP_KIND_AUDIO, 0, 500, 5);
    CHECK_EQ_INT(b->q.count, 10);
    CHECK(!b->closing);
    quiet(d);

    /* 3. go once b is back under half the budget (32768), not before. */
    int pops = 0;
    for (;;) {
        CHECK(write_one(b) > 0);
        pops++;
        collect(a, &v);
        if (b->q.bytes < soft / 2)
            break;
        CHECK_STR(v.flow, "");
    }
    CHECK_STR(v.flow, "g");
    CHECK(pops > 5);
    CHECK_EQ_INT(a->hold_mask, 0);
    drain(b);
    collect(a, &v);
    CHECK_STR(v.flow, "");
    /* After go, a fresh allowance: data flows again, no error. */
    frame(a, BP_KIND_DATA, 0, 20000, 6);
    CHECK_EQ_INT(a->frames_in, in0 + 11);
    collect(a, &v);
    CHECK_STR(v.flow, "");
    drain(b);
    quiet(d);

    /* 4. Two receivers hold a: one hold (the first named), one go, when the
     * last of them drains. */
    fakes[0].rx_pending = 0;
    want_allowance = 4 * 1024 * 1024;
    for (int i = 0; i < 4; i++)
        frame(a, BP_KIND_DATA, 0, 20000, 7);
    CHECK_EQ_INT(a->hold_mask, (1u << 1) | (1u << 2));
    collect(a, &v);
    CHECK_STR(v.flow, "h1");
    drain(b);
    collect(a, &v);
    CHECK_STR(v.flow, "");
    drain(d);
    collect(a, &v);
    CHECK_STR(v.flow, "g");

    /* 5. The drain deadline. d stops reading: its TCP owes 200 kB and
     * acknowledges nothing. Cut with too_slow exactly QUEUE_STALL_MS after
     * the first sweep that saw it owe; a gets go; b sees d leave. b, slow
     * but moving at 1 Mbit/s behind deep buffers, is not cut. */
    for (int i = 0; i < 4; i++) {
        frame(a, BP_KIND_DATA, 0, 20000, 8);
        quiet(b);
    }
    collect(a, &v);
    CHECK_STR(v.flow, "h2");
    fakes[5].tcp = 1;
    fakes[5].acked = 123456;
    fakes[5].unacked = 200000;
    fakes[1].tcp = 1;
    fakes[1].unacked = 4000000;
    for (int i = 0; i < 6; i++) {
        frame(a, BP_KIND_AUDIO, 0, 300, 9);   /* b keeps getting audio it reads slowly */
        frame(a, BP_KIND_AUDIO, 0, 300, 9);
    }
    struct conn *live[] = {a, b, d};
    int cut_at = -1;
    char aflow[64] = "";
    for (int sec = 0; sec <= 12 && cut_at < 0; sec++) {
        second_alive(live, 3);
        fakes[1].acked += 125000;
        write_one(b);                         /* b takes a frame now and then */
        collect(a, &v);
        strncat(aflow, v.flow, sizeof aflow - strlen(aflow) - 1);
        if (d->closing)
            cut_at = sec;
    }
    CHECK_EQ_INT(cut_at, QUEUE_STALL_MS / 1000);
    CHECK(!b->closing && !a->closing);
    CHECK_STR(aflow, "g");
    CHECK(expect_error(d, "too_slow", 1));
    CHECK(conn_should_close(d));
    json_t *ml = NULL;
    struct qmsg *m;
    while ((m = conn_next_write(b, T)) && !qkind_is_text(m->kind))
        conn_written(b, m);
    if (m) {
        ml = json_loadb((const char *)qmsg_data(m), m->len, 0, NULL);
        conn_written(b, m);
    }
    CHECK(ml && !strcmp(json_string_value(json_object_get(ml, "type")), "member_left") &&
          !strcmp(json_string_value(json_object_get(ml, "reason")), "disconnected") &&
          json_integer_value(json_object_get(ml, "slot")) == 2);
    json_decref(ml);
    conn_closed(d, T);
    /* b, slow but moving, lasts as long as it moves, though it says nothing
     * (no message, no pong) for 30 s: what it takes proves it alive. */
    for (int sec = 0; sec < 30; sec++) {
        frame(a, BP_KIND_AUDIO, 0, 300, 9);
        second_alive(live, 1);
        fakes[1].acked += 125000;
        quiet(a);
    }
    CHECK(!b->closing);
    CHECK_EQ_INT(b->last_rx_ms, T.ms);
    fakes[1].tcp = 0;
    drain(b);

    /* 6. A transport that cannot count acknowledgements: progress is a
     * message handed over. d again, with messages it never takes. */
    open_conn(5);
    CHECK(auth(d, &idd));
    text(d, join);
    CHECK(expect_type(d, "joined", NULL));
    quiet(a);
    quiet(b);
    frame(a, BP_KIND_AUDIO, 0, 300, 10);
    quiet(b);
    cut_at = -1;
    for (int sec = 0; sec <= 12 && cut_at < 0; sec++) {
        second_alive(live, 3);
        quiet(a);
        quiet(b);
        if (d->closing)
            cut_at = sec;
    }
    CHECK_EQ_INT(cut_at, QUEUE_STALL_MS / 1000);
    CHECK(!a->closing && !b->closing);
    conn_closed(d, T);
    quiet(a);
    quiet(b);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-conn-XXXXXX", path[256], why[256];
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

    struct conn *a = &conns[0], *b = &conns[1], *x = &conns[2];
    bp_identity_generate(&ida);
    bp_identity_generate(&idb);

    /* Handshake state machine. */
    open_conn(2);
    text(x, "{\"type\":\"join\",\"bilan\":\"b1\",\"ref\":\"q\"}");
    CHECK(expect_error(x, "wrong_state", 0));
    text(x, "not json at all");
    CHECK(expect_error(x, "bad_json", 0));
    text(x, "{\"type\":\"hello\"}");
    CHECK(expect_error(x, "missing_field", 0));
    text(x, "{\"type\":\"hello\",\"v\":7}");
    CHECK(expect_error(x, "version_mismatch", 1));
    CHECK(x->closing && fakes[2].close_soon);
    CHECK(conn_should_close(x));
    text(x, "{\"type\":\"hello\",\"v\":1}");    /* closing: ignored */
    CHECK(next_json(x, NULL, NULL) == NULL);
    conn_closed(x, T);

    /* Rate limit: 3 failures, then rate_limited (fatal). */
    for (int i = 0; i < 4; i++) {
        open_conn(2);
        text(x, "{\"type\":\"hello\",\"v\":1}");
        CHECK(expect_type(x, "challenge", NULL));
        text(x, "{\"type\":\"auth\",\"device\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                "\"sig\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
        CHECK(expect_error(x, i < 3 ? "unknown_device" : "rate_limited", i >= 3));
        /* One attempt per challenge. */
        if (i == 0) {
            text(x, "{\"type\":\"auth\",\"device\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                    "\"sig\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
            CHECK(expect_error(x, "wrong_state", 0));
        }
        conn_closed(x, T);
    }
    ratelimit_init(&srv.rl, 3, 60);

    /* Consultant enrols, creates a bilan, joins. */
    open_conn(0);
    CHECK(enrol(a, &ida, tok.b64));
    CHECK_EQ_INT(a->state, CS_AUTHED);
    text(a, "{\"type\":\"bilan_create\",\"label\":\"Essai\",\"ref\":\"c\"}");
    json_t *bc = NULL;
    CHECK(expect_type(a, "bilan_created", &bc));
    if (!bc)
        return check_report();
    char bilan[80], inv[64], buf[256];
    snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
    snprintf(inv, sizeof inv, "%s", json_string_value(json_object_get(bc, "invite_token")));
    CHECK_EQ_INT(json_integer_value(json_object_get(bc, "budget_s")), 57600);
    CHECK_EQ_INT(json_integer_value(json_object_get(bc, "invite_expires")), T.s + 3600);
    CHECK_STR(json_string_value(json_object_get(bc, "ref")), "c");
    json_decref(bc);
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
    text(a, buf);
    CHECK(expect_type(a, "joined", NULL));
    CHECK_EQ_INT(a->slot, 0);
    text(a, buf);
    CHECK(expect_error(a, "wrong_state", 0));

    /* Beneficiary enrols with the invite; cannot create bilans; joins. */
    open_conn(1);
    CHECK(enrol(b, &idb, inv));
    text(b, "{\"type\":\"bilan_create\",\"label\":\"x\"}");
    CHECK(expect_error(b, "forbidden", 0));
    text(b, "{\"type\":\"join\",\"bilan\":\"bUnknownBilan\"}");
    CHECK(expect_error(b, "unknown_bilan", 0));
    text(b, buf);
    json_t *jn = NULL;
    CHECK(expect_type(b, "joined", &jn));
    CHECK_EQ_INT(json_integer_value(json_object_get(jn, "slot")), 1);
    CHECK_EQ_INT(json_array_size(json_object_get(jn, "members")), 2);
    json_decref(jn);
    CHECK(expect_type(a, "member_joined", NULL));

    test_e2e_relay(a, b, buf);

    /* Relay: only the slot byte changes; the sender gets nothing back. */
    static uint8_t got[BP_MAX_FRAME];
    size_t got_len = 0;
    frame(a, BP_KIND_AUDIO, 0, 1000, 0xab);
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(next_json(b, got, &got_len) == NULL);
    CHECK_EQ_INT(got_len, 1000);
    CHECK_EQ_INT(got[3], 0);
    CHECK_EQ_INT(got[1], BP_KIND_AUDIO);
    CHECK_EQ_INT(got[7], 42);
    CHECK_EQ_INT(got[999], 0xab);
    CHECK_EQ_INT(a->frames_in, 1);
    CHECK_EQ_INT(b->frames_out, 1);
    frame(a, BP_KIND_DATA, BP_FLAG_KEYFRAME, 100, 0);
    CHECK(expect_error(a, "bad_frame", 0));
    /* A kind outside the table of kinds has no queue class: refused with
     * bad_frame before any queue (kind 4 was once the text event class). */
    for (unsigned k = 0; k < 256; k++) {
        if (bp_kind_info(k))
            continue;
        frame(a, (uint8_t)k, 0, 100, 0);
        CHECK(expect_error(a, "bad_frame", 0));
        CHECK(!a->closing);
    }
    CHECK_EQ_INT(b->q.count, 0);
    CHECK_EQ_INT(a->frames_in, 1);

    /* Video over the 64 KiB budget: dropped and counted, one keyframe_request
     * per receiver per second to the sender. */
    for (int i = 0; i < 10; i++)
        frame(a, BP_KIND_VIDEO, 0, 20000, 1);
    CHECK_EQ_INT(b->q.count, 3);
    CHECK_EQ_INT(b->dropped_video, 7);
    json_t *kr = NULL;
    CHECK(expect_type(a, "keyframe_request", &kr));
    CHECK_EQ_INT(json_integer_value(json_object_get(kr, "slot")), 1);
    json_decref(kr);
    /* The drops also bring a media_report at once, one per 250 ms. */
    CHECK(expect_type(a, "media_report", NULL));
    CHECK(next_json(a, NULL, NULL) == NULL);
    T.ms += 1000;
    frame(a, BP_KIND_VIDEO, 0, 20000, 1);
    CHECK(expect_type(a, "keyframe_request", NULL));
    CHECK(expect_type(a, "media_report", NULL));
    /* Audio still passes when video does not. */
    frame(a, BP_KIND_AUDIO, 0, 20000, 1);
    CHECK_EQ_INT(b->q.count, 4);
    drain(b);

    test_flow(a, b, buf);

    /* Replacement: the beneficiary device joins again on a new connection. */
    struct conn *b2 = &conns[3];
    open_conn(3);
    CHECK(auth(b2, &idb));
    text(b2, buf);
    CHECK(expect_type(b2, "joined", NULL));
    json_t *ml = NULL;
    CHECK(expect_type(a, "member_left", &ml));
    CHECK(ml && !strcmp(json_string_value(json_object_get(ml, "reason")), "replaced"));
    json_decref(ml);
    CHECK(expect_type(a, "member_joined", NULL));
    CHECK(b->closing && b->room == NULL && conn_should_close(b));
    conn_closed(b, T);

    /* Hard cap: audio is never dropped, so a receiver that does not read is
     * cut with too_slow at 4 x 64 KiB; the room sees it leave. */
    for (int i = 0; i < 20 && !b2->closing; i++)
        frame(a, BP_KIND_AUDIO, 0, 30000, 3);
    CHECK(b2->closing);
    CHECK(b2->q.bytes < 1024);            /* media purged, only the error */
    /* Cut during a's frame, it left the room at the end of that event (the
     * safe point), once: nothing is left pending. */
    CHECK(b2->room == NULL && b2->state == CS_AUTHED && !b2->depart_due && srv.departing == NULL);
    CHECK(expect_error(b2, "too_slow", 1));
    CHECK(conn_should_close(b2));
    CHECK(expect_type(a, "member_left", NULL));
    CHECK(next_json(a, NULL, NULL) == NULL);
    conn_closed(b2, T);

    /* Reassembly: fragments up to the cap; too_large as soon as the announced
     * size is over it, before buffering it. */
    const char *hello = "{\"type\":\"hello\",\"v\":1}";
    struct conn *y = &conns[4];
    open_conn(4);
    conn_rx(y, (const uint8_t *)hello, 5, 0, 0, 0, T);
    conn_rx(y, (const uint8_t *)hello + 5, 5, 0, 0, 3, T);
    conn_rx(y, (const uint8_t *)hello + 10, strlen(hello) - 10, 0, 1, 0, T);
    CHECK(expect_type(y, "challenge", NULL));
    conn_rx(y, (const uint8_t *)hello, 5, 0, 0, BP_MAX_CTRL, T);
    CHECK(expect_error(y, "too_large", 1));
    CHECK(y->rx == NULL || y->rx_cap <= 16384);
    conn_closed(y, T);
    /* Binary messages: only once authenticated (test_strangers). */
    open_conn(4);
    CHECK(auth(y, &ida));
    conn_rx(y, (const uint8_t *)"\x01\x01", 2, 1, 0, BP_MAX_FRAME - 2, T);  /* exactly 1 MiB: fine */
    CHECK(!y->closing);
    conn_closed(y, T);
    open_conn(4);
    CHECK(auth(y, &ida));
    conn_rx(y, (const uint8_t *)"\x01\x01", 2, 1, 0, 0, T);                 /* fragment 1: 2 bytes */
    conn_rx(y, (const uint8_t *)"\x01\x01", 2, 1, 0, BP_MAX_FRAME - 3, T);  /* fragment 2 announces 1 too many */
    CHECK(y->closing);
    CHECK(expect_error(y, "too_large", 1));
    conn_closed(y, T);

    /* A connection silent for 15 s is "lost" for the others. */
    open_conn(1);
    CHECK(auth(b, &idb));
    text(b, buf);
    CHECK(expect_type(b, "joined", NULL));
    CHECK(expect_type(a, "member_joined", NULL));
    /* A member's last frame reaches the others before its member_left. */
    frame(b, BP_KIND_DATA, 0, 100, 9);
    T.ms += 15000;
    conn_closed(b, T);
    CHECK(next_json(a, got, &got_len) == NULL);
    CHECK_EQ_INT(got_len, 100);
    CHECK_EQ_INT(got[3], 1);
    ml = NULL; /* freed above: a failed expect_type must not leave it dangling */
    CHECK(expect_type(a, "member_left", &ml));
    CHECK(ml && !strcmp(json_string_value(json_object_get(ml, "reason")), "lost"));
    json_decref(ml);

    /* stats, leave, shutdown. */
    text(a, "{\"type\":\"stats\",\"ref\":\"s\"}");
    json_t *stt = NULL;
    CHECK(expect_type(a, "stats", &stt));
    CHECK(json_integer_value(json_object_get(stt, "frames_in")) >= 18);
    json_decref(stt);
    text(a, "{\"type\":\"leave\"}");
    CHECK(expect_type(a, "left", NULL));
    CHECK_EQ_INT(srv.rooms.count, 0);
    conn_shutdown_all(&srv, T);
    CHECK(expect_error(a, "shutting_down", 1));
    conn_closed(a, T);
    CHECK_EQ_INT(srv.nconns, 0);

    /* On their own, with the clock moving: no room member to keep alive. */
    srv.stopping = 0;
    test_strangers();
    test_rate_global(alice);
    CHECK_EQ_INT(srv.nconns, 0);

    srv.ops->close(srv.st);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
