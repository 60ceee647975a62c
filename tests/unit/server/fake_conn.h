/* fake_conn.h: the fake transport (a struct transport_ops table, installed
 * in srv) and the handshake helpers shared by the server unit tests that
 * drive a connection's lifecycle with plain calls (test_conn.c,
 * test_attendance.c, ...). Test-only; included once per test program, after
 * the test defines its clock: static struct now T = {...}; */
#ifndef TEST_FAKE_CONN_H
#define TEST_FAKE_CONN_H

#include "conn.h"
#include "lifecycle.h"

/* ---- fake transport (transport.h), installed in srv below ---- */
struct fake {
    int wakes, close_soon, alive, authenticated;
    int tcp;                  /* 1: report acked/unacked like a TCP socket; 0: cannot tell */
    uint64_t acked, unacked;  /* what the peer's TCP acknowledged / still owes (set by tests) */
    size_t rx_pending;        /* what it sent that "the kernel" holds unread (set by tests) */
};
static struct fake fakes[8];
static struct fake *F(struct conn *c) { return (struct fake *)c->transport; }
static void fake_wake(struct conn *c) { F(c)->wakes++; }
static int fake_tx_progress(struct conn *c, uint64_t *acked, uint64_t *unacked)
{
    if (!F(c)->tcp)
        return -1;
    *acked = F(c)->acked;
    *unacked = F(c)->unacked;
    return 0;
}
static size_t fake_rx_pending(struct conn *c) { return F(c)->rx_pending; }
static void fake_close_soon(struct conn *c, int secs) { (void)secs; F(c)->close_soon++; }
static void fake_alive(struct conn *c) { F(c)->alive++; }
static void fake_authenticated(struct conn *c) { F(c)->authenticated++; }
static const struct transport_ops fake_transport = {
    .api = TRANSPORT_API,
    .name = "fake",
    .wake = fake_wake,
    .tx_progress = fake_tx_progress,
    .rx_pending = fake_rx_pending,
    .close_soon = fake_close_soon,
    .alive = fake_alive,
    .authenticated = fake_authenticated,
};

/* The transport is installed before any connection opens, as ws_serve() does. */
static struct server srv = {.transport = &fake_transport};
static struct conn conns[8];

static void text(struct conn *c, const char *s)
{
    conn_rx(c, (const uint8_t *)s, strlen(s), 0, 1, 0, T);
}

/* Next queued message: JSON object (caller decrefs) or NULL for binary/none. */
static json_t *next_json(struct conn *c, uint8_t *bin, size_t *bin_len)
{
    struct qmsg *m = conn_next_write(c, T);
    if (!m)
        return NULL;
    json_t *j = NULL;
    if (qkind_is_text(m->kind)) {
        j = json_loadb((const char *)qmsg_data(m), m->len, 0, NULL);
    } else if (bin) {
        memcpy(bin, qmsg_data(m), m->len);
        *bin_len = m->len;
    }
    conn_written(c, m);
    return j;
}

static int expect_type(struct conn *c, const char *type, json_t **keep)
{
    json_t *j = next_json(c, NULL, NULL);
    const char *t = j ? json_string_value(json_object_get(j, "type")) : NULL;
    int ok = t && !strcmp(t, type);
    if (!ok)
        fprintf(stderr, "expected %s, got %s\n", type, t ? t : "(nothing/binary)");
    if (keep && ok)
        *keep = j;
    else
        json_decref(j);
    return ok;
}

static __attribute__((unused)) int expect_error(struct conn *c, const char *code, int fatal)
{
    json_t *j = NULL;
    if (!expect_type(c, "error", &j))
        return 0;
    int ok = !strcmp(json_string_value(json_object_get(j, "code")), code) &&
             json_is_true(json_object_get(j, "fatal")) == fatal;
    if (!ok)
        fprintf(stderr, "expected error %s, got %s\n", code, json_string_value(json_object_get(j, "code")));
    json_decref(j);
    return ok;
}

static void drain(struct conn *c)
{
    struct qmsg *m;
    while ((m = conn_next_write(c, T)))
        conn_written(c, m);
}

/* hello + enrol with a fresh identity; returns 1 on welcome. */
static int enrol(struct conn *c, struct bp_identity *id, const char *token_b64)
{
    char buf[1024], nonce_b64[64], sp[64], dp[64], sig_b64[128];
    uint8_t nonce[32], token[32], msg[BP_AUTH_MSG_MAX], sig[64];
    text(c, "{\"type\":\"hello\",\"v\":1}");
    json_t *ch = NULL;
    if (!expect_type(c, "challenge", &ch))
        return 0;
    snprintf(nonce_b64, sizeof nonce_b64, "%s", json_string_value(json_object_get(ch, "nonce")));
    json_decref(ch);
    bp_b64_decode_exact(nonce_b64, nonce, 32);
    bp_b64_decode_exact(token_b64, token, 32);
    int n = bp_auth_message(nonce, id->sign_pub, id->dh_pub, token, 32, msg);
    bp_ed25519_sign(id->sign_priv, msg, (size_t)n, sig);
    bp_b64_encode(id->sign_pub, 32, sp);
    bp_b64_encode(id->dh_pub, 32, dp);
    bp_b64_encode(sig, 64, sig_b64);
    snprintf(buf, sizeof buf,
             "{\"type\":\"enrol\",\"token\":\"%s\",\"sign_pub\":\"%s\",\"dh_pub\":\"%s\",\"sig\":\"%s\",\"ref\":\"r\"}",
             token_b64, sp, dp, sig_b64);
    text(c, buf);
    return expect_type(c, "welcome", NULL);
}

#endif
