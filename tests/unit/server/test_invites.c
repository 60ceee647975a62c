/* test_invites.c: invites as server/conn.c, auth.c and the store handle them
 * (PROTOCOL.md §2.2, §3.2): a reprint (invite_create) revokes the bilan's
 * unused invites in the same transaction; a revoked invite is token_revoked,
 * told apart from an expired one and counted by the rate limiter; member
 * objects of beneficiaries say how many beneficiary devices the bilan has. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "auth.h"
#include "conn.h"
#include "log.h"

static struct now T = {1700000000, 100000, 0};
#include "fake_conn.h"

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.7", T);
}

/* The invite token of an invite_created / bilan_created reply to c. */
static int next_invite(struct conn *c, const char *type, char out[64])
{
    json_t *j = NULL;
    if (!expect_type(c, type, &j))
        return 0;
    snprintf(out, 64, "%s", json_string_value(json_object_get(j, "invite_token")));
    json_decref(j);
    return 1;
}

/* hello + enrol, expecting the error code (fatal or not). */
static int enrol_refused(struct conn *c, struct bp_identity *id, const char *tok, const char *code,
                         int fatal)
{
    char buf[1024], sp[64], dp[64], sig_b64[128];
    uint8_t nonce[32], token[32], msg[BP_AUTH_MSG_MAX], sig[64];
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return 0;
    bp_b64_decode_exact(json_string_value(json_object_get(ch, "nonce")), nonce, 32);
    json_decref(ch);
    bp_b64_decode_exact(tok, token, 32);
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, token, 32, msg);
    bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig);
    bp_b64_encode(id->sign_pub, 32, sp);
    bp_b64_encode(id->dh_pub, 32, dp);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf,
             "{\"type\":\"enrol\",\"token\":\"%s\",\"sign_pub\":\"%s\",\"dh_pub\":\"%s\",\"sig\":\"%s\"}",
             tok, sp, dp, sig_b64);
    text(c, buf);
    return expect_error(c, code, fatal);
}

/* The beneficiary_devices of the member in slot, from a member object array
 * or object; -1 when absent. */
static long long devices_of(const json_t *members, int slot)
{
    size_t i;
    json_t *m;
    if (json_is_object(members))
        return json_object_get(members, "beneficiary_devices")
                   ? json_integer_value(json_object_get(members, "beneficiary_devices"))
                   : -1;
    json_array_foreach(members, i, m)
        if (json_integer_value(json_object_get(m, "slot")) == slot)
            return json_object_get(m, "beneficiary_devices")
                       ? json_integer_value(json_object_get(m, "beneficiary_devices"))
                       : -1;
    return -2;
}

static void test_decide(void)
{
    struct store_token t;
    memset(&t, 0, sizeof t);
    t.kind = STORE_TOKEN_INVITE;
    t.role = BP_ROLE_BENEFICIARY;
    t.expires = 2000;
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 1000), 0);
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 2000), BP_E_TOKEN_EXPIRED);
    t.replaced = 1;
    /* Replaced: revoked, whether or not its (moved) expiry has passed. */
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 1000), BP_E_TOKEN_REVOKED);
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 3000), BP_E_TOKEN_REVOKED);
    /* A replaced invite that was used before stays the redeemer's. */
    snprintf(t.used_by, sizeof t.used_by, "fpA");
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 3000), AUTH_REDEEM_AGAIN);
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpB", 3000), BP_E_TOKEN_USED);
    /* Enrolment tokens are never "replaced". */
    memset(&t, 0, sizeof t);
    t.kind = STORE_TOKEN_ENROL;
    t.expires = 2000;
    t.replaced = 1;
    CHECK_EQ_INT(auth_redeem_decide(&t, NULL, "fpA", 1000), 0);
}

static int replaced(const uint8_t hash[32])
{
    struct store_token t;
    CHECK_EQ_INT(srv.ops->identity->token_get(srv.st, hash, &t), 0);
    return t.replaced;
}

/* "replaced" against "expired", on the store alone. */
static void test_store_replaced(int64_t owner)
{
    struct store_bilan b;
    struct auth_token t1, t2, t3;
    int64_t n = -1;
    memset(&b, 0, sizeof b);
    snprintf(b.id, sizeof b.id, "bReplaced");
    snprintf(b.label, sizeof b.label, "r");
    b.owner_id = owner;
    b.budget_s = 3600;
    CHECK_EQ_INT(srv.ops->bilans->bilan_add(srv.st, &b, 100), 0);
    CHECK_EQ_INT(auth_token_new(&t1) | auth_token_new(&t2) | auth_token_new(&t3), 0);
    CHECK_EQ_INT(srv.ops->identity->invite_add(srv.st, b.id, BP_ROLE_BENEFICIARY, t1.hash, 100, 200), 0);
    /* t1 ran out before t2 was made: still "expired", not "replaced". */
    CHECK_EQ_INT(srv.ops->identity->invites_revoke(srv.st, b.id, BP_ROLE_BENEFICIARY, 300, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(srv.ops->identity->invite_add(srv.st, b.id, BP_ROLE_BENEFICIARY, t2.hash, 300, 400), 0);
    CHECK(!replaced(t1.hash) && !replaced(t2.hash));
    /* t3 made while t2 was valid: t2 is revoked (expiry moved) and replaced. */
    CHECK_EQ_INT(srv.ops->identity->invites_revoke(srv.st, b.id, BP_ROLE_BENEFICIARY, 350, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(srv.ops->identity->invite_add(srv.st, b.id, BP_ROLE_BENEFICIARY, t3.hash, 350, 450), 0);
    CHECK(replaced(t2.hash) && !replaced(t3.hash) && !replaced(t1.hash));
    /* Consultant-role invites are another series. */
    CHECK_EQ_INT(srv.ops->identity->invites_revoke(srv.st, b.id, BP_ROLE_CONSULTANT, 360, &n), 0);
    CHECK_EQ_INT(n, 0);
    auth_token_wipe(&t1);
    auth_token_wipe(&t2);
    auth_token_wipe(&t3);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-invites-XXXXXX", path[256], why[256];
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
    test_decide();

    int64_t alice;
    struct auth_token tok;
    struct bp_identity ida, idb1, idb2, idx;
    bp_identity_generate(&ida);
    bp_identity_generate(&idb1);
    bp_identity_generate(&idb2);
    bp_identity_generate(&idx);
    srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
    test_store_replaced(alice);
    auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);
    struct conn *a = &conns[0], *b1 = &conns[1], *b2 = &conns[2], *x = &conns[3];
    open_conn(0);
    CHECK(enrol(a, &ida, tok.b64));
    auth_token_wipe(&tok);

    char bilan[80], inv1[64], inv2[64], inv3[64], inv4[64], buf[512];
    text(a, "{\"type\":\"bilan_create\",\"label\":\"Reprint\"}");
    json_t *bc = NULL;
    CHECK(expect_type(a, "bilan_created", &bc));
    if (!bc)
        return check_report();
    snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
    snprintf(inv1, sizeof inv1, "%s", json_string_value(json_object_get(bc, "invite_token")));
    json_decref(bc);

    /* Two reprints: the first two invites are revoked, in the store too. */
    snprintf(buf, sizeof buf, "{\"type\":\"invite_create\",\"bilan\":\"%s\"}", bilan);
    T.s += 10;
    text(a, buf);
    CHECK(next_invite(a, "invite_created", inv2));
    text(a, buf);
    CHECK(next_invite(a, "invite_created", inv3));
    uint8_t raw[32], h[32];
    struct store_token st;
    bp_b64_decode_exact(inv1, raw, 32);
    bp_sha256(raw, 32, h);
    CHECK_EQ_INT(srv.ops->identity->token_get(srv.st, h, &st), 0);
    CHECK(st.replaced && st.expires == T.s && !st.used_by[0]);
    bp_b64_decode_exact(inv3, raw, 32);
    bp_sha256(raw, 32, h);
    CHECK_EQ_INT(srv.ops->identity->token_get(srv.st, h, &st), 0);
    CHECK(!st.replaced && st.expires == T.s + 3600);

    /* The replaced links: token_revoked, not fatal, and counted as failed
     * attempts (3 allowed per minute here, the fourth is rate_limited). */
    const char *old[] = {inv1, inv2, inv1};
    for (int i = 0; i < 3; i++) {
        open_conn(3);
        CHECK(enrol_refused(x, &idx, old[i], "token_revoked", 0));
        CHECK(!x->closing);
        conn_closed(x, T);
    }
    open_conn(3);
    CHECK(enrol_refused(x, &idx, inv3, "rate_limited", 1));
    conn_closed(x, T);
    ratelimit_init(&srv.rl, 3, 60);

    /* The latest link works; member objects carry beneficiary_devices. */
    char join[256];
    snprintf(join, sizeof join, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
    text(a, join);
    json_t *jn = NULL;
    CHECK(expect_type(a, "joined", &jn));
    CHECK_EQ_INT(devices_of(json_object_get(jn, "members"), 0), -1); /* consultants: none */
    json_decref(jn);
    open_conn(1);
    CHECK(enrol(b1, &idb1, inv3));
    text(b1, join);
    CHECK(expect_type(b1, "joined", &jn));
    CHECK_EQ_INT(devices_of(json_object_get(jn, "members"), 1), 1);
    json_decref(jn);
    json_t *mj = NULL;
    CHECK(expect_type(a, "member_joined", &mj));
    CHECK_EQ_INT(devices_of(mj, 1), 1);
    struct bp_verr ve;
    CHECK_EQ_INT(bp_msg_validate(mj, BP_TO_CLIENT, NULL, &ve), 0);
    json_decref(mj);

    /* A used invite is not revoked by a reprint: its device still redeems
     * it again (a crash before saving the answer), and joins. */
    text(a, buf);
    CHECK(next_invite(a, "invite_created", inv4));
    open_conn(3);
    CHECK(enrol(x, &idb1, inv3));
    conn_closed(x, T);

    /* A second beneficiary device: 2, on its member_joined and on the roster
     * it receives, for both beneficiary devices. */
    open_conn(2);
    CHECK(enrol(b2, &idb2, inv4));
    text(b2, join);
    CHECK(expect_type(b2, "joined", &jn));
    CHECK_EQ_INT(devices_of(json_object_get(jn, "members"), 1), 2);
    CHECK_EQ_INT(devices_of(json_object_get(jn, "members"), 2), 2);
    CHECK_EQ_INT(devices_of(json_object_get(jn, "members"), 0), -1);
    json_decref(jn);
    CHECK(expect_type(a, "member_joined", &mj));
    CHECK_EQ_INT(devices_of(mj, 2), 2);
    json_decref(mj);
    CHECK(expect_type(b1, "member_joined", &mj));
    CHECK_EQ_INT(devices_of(mj, 2), 2);
    json_decref(mj);
    int64_t n = 0;
    CHECK_EQ_INT(srv.ops->bilans->members_count(srv.st, bilan, BP_ROLE_BENEFICIARY, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(srv.ops->bilans->members_count(srv.st, bilan, BP_ROLE_CONSULTANT, &n), 0);
    CHECK_EQ_INT(n, 0);

    /* member_left is not a member object: no count. */
    text(b2, "{\"type\":\"leave\"}");
    CHECK(expect_type(b2, "left", NULL));
    json_t *ml = NULL;
    CHECK(expect_type(a, "member_left", &ml));
    CHECK(json_object_get(ml, "beneficiary_devices") == NULL);
    json_decref(ml);
    drain(b1);

    conn_closed(b2, T);
    conn_closed(b1, T);
    conn_closed(a, T);
    bp_identity_wipe(&ida);
    bp_identity_wipe(&idb1);
    bp_identity_wipe(&idb2);
    bp_identity_wipe(&idx);
    srv.ops->close(srv.st);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
