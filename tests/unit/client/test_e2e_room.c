/* test_e2e.c: client/e2e.c driven by plain calls: two or three room states
 * pass their e2e bodies to each other through a little in-memory relay
 * (which a test may rewrite, as a hostile server would), seal and open
 * frames, and pass time in by hand. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../check.h"
#include "e2e_room.h"

#define QMAX 512

struct node;
struct msg {
    int from, to;
    json_t *body;
};

static struct msg q[QMAX];
static int qn;
/* A hostile relay: may rewrite or drop (return 0) a body in flight. */
static int (*filter)(struct msg *m);

struct node {
    struct e2e e;
    struct bp_identity id;
    int slot;
    char lines[64][512];
    int nlines;
    uint8_t got[4096];
    size_t got_len;
    int frames;
    int remembered, remembered_verified;
};

static struct node *nodes[BP_MAX_MEMBERS];

static int n_send(void *ctx, int to, json_t *body)
{
    struct node *n = ctx;
    if (qn >= QMAX) {
        json_decref(body);
        return BP_E_NOMEM;
    }
    q[qn].from = n->slot;
    q[qn].to = to;
    q[qn].body = body;
    qn++;
    return 0;
}

static void n_line(void *ctx, const char *text)
{
    struct node *n = ctx;
    if (n->nlines < 64)
        snprintf(n->lines[n->nlines++], sizeof n->lines[0], "%s", text);
}

/* What the person is told of a failure, as a line: "[news] failed|ended slot=N reason=R|-". */
static void n_news(void *ctx, enum e2e_news what, int slot, const char *code)
{
    if (what == E2E_NEWS_FAILED || what == E2E_NEWS_ENDED_BY_PEER) {
        char line[300];
        snprintf(line, sizeof line, "[news] %s slot=%d reason=%s",
                 what == E2E_NEWS_FAILED ? "failed" : "ended", slot, code ? code : "-");
        n_line(ctx, line);
    }
}

static void n_frame(void *ctx, const uint8_t *f, size_t len, uint64_t now)
{
    struct node *n = ctx;
    (void)now;
    if (len <= sizeof n->got) {
        memcpy(n->got, f, len);
        n->got_len = len;
    }
    n->frames++;
}

static void n_remember(void *ctx, const struct e2e_remember *r)
{
    struct node *n = ctx;
    n->remembered++;
    n->remembered_verified += r->verified;
}

static int has_line(const struct node *n, const char *needle)
{
    for (int i = 0; i < n->nlines; i++)
        if (strstr(n->lines[i], needle))
            return 1;
    return 0;
}

static const uint8_t SECRET[BP_SECRET_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                              12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                              23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void node_init(struct node *n, int slot, const uint8_t *secret, enum e2e_sas_policy pol)
{
    memset(n, 0, sizeof *n);
    CHECK(bp_identity_generate(&n->id) == 0);
    n->slot = slot;
    CHECK(e2e_init(&n->e, &n->id, secret, pol) == 0);
    n->e.io.ctx = n;
    n->e.io.send = n_send;
    n->e.io.line = n_line;
    n->e.io.frame = n_frame;
    n->e.io.news = n_news;
    n->e.io.store_ctx = n;
    n->e.io.remember = n_remember;
    nodes[slot] = n;
}

static void node_free(struct node *n)
{
    nodes[n->slot] = NULL;
    e2e_free(&n->e);
    bp_identity_wipe(&n->id);
}

/* Delivers every queued body (and what they cause) in order. */
static void pump(uint64_t now)
{
    for (int i = 0; i < qn; i++) {
        struct msg m = q[i];
        if (filter && !filter(&m)) {
            json_decref(m.body);
            continue;
        }
        struct node *src = nodes[m.from], *dst = nodes[m.to];
        if (dst && src)
            e2e_on_body(&dst->e, m.from, src->e.fp, m.body, now);
        json_decref(m.body);
    }
    qn = 0;
}

/* n enters the room where the listed nodes already are (each sees it join). */
static void join(struct node *n, struct node **present, int np, uint64_t now)
{
    CHECK(e2e_joined(&n->e, "B1", n->slot, now) == 0);
    for (int i = 0; i < np; i++) {
        e2e_member(&n->e, present[i]->slot, present[i]->e.fp,
                   present[i]->slot == 0 ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY, 0, now);
        e2e_member(&present[i]->e, n->slot, n->e.fp, n->slot == 0 ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY, 1,
                   now);
    }
}

static int seal(struct node *n, const char *text, uint8_t *out, size_t cap)
{
    struct bp_hdr h = {.version = 1, .kind = BP_KIND_DATA, .slot = 3, .seq = 7};
    uint8_t hdr[BP_HDR_LEN];
    bp_hdr_encode(&h, hdr);
    int len = e2e_seal(&n->e, hdr, (const uint8_t *)text, strlen(text), out, cap);
    if (len > 0)
        out[3] = (uint8_t)n->slot; /* what the server does */
    return len;
}

static int got_text(const struct node *n, const char *text)
{
    size_t l = strlen(text);
    return n->got_len == BP_HDR_LEN + l && !memcmp(n->got + BP_HDR_LEN, text, l);
}

static void t_handshake_invite(void)
{
    struct node a, b;
    node_init(&a, 0, SECRET, E2E_SAS_ASK);
    node_init(&b, 1, SECRET, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    struct node *pa[] = {&a};
    join(&b, pa, 1, 0);
    pump(1);
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_AUTH);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_AUTH);
    CHECK(a.e.peers[1].sas[0] && strcmp(a.e.peers[1].sas, b.e.peers[0].sas) == 0);
    CHECK(has_line(&a, "[e2e] slot=1 code=") && has_line(&b, "[e2e] slot=0 code="));
    CHECK(has_line(&a, "Lisez ce code"));
    CHECK(has_line(&a, "[e2e] slot=1 authenticated by=invite"));
    CHECK(has_line(&b, "[e2e] slot=0 authenticated by=invite"));
    CHECK(!has_line(&a, "verified")); /* MAC only: not remembered as verified */
    CHECK_EQ_INT(a.remembered, 1);
    CHECK_EQ_INT(a.remembered_verified, 0);
    CHECK(has_line(&b, "[e2e] slot=0 keys gen="));
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&b.e));

    /* A frame, a replay, tampering. */
    uint8_t f[512], g[512];
    int n = seal(&a, "bonjour", f, sizeof f);
    CHECK(n > BP_HDR_LEN + (int)strlen("bonjour"));
    CHECK(memmem(f, (size_t)n, "bonjour", 7) == NULL); /* not in clear */
    e2e_open(&b.e, f, (size_t)n, 2);
    CHECK_EQ_INT(b.frames, 1);
    CHECK(got_text(&b, "bonjour"));
    e2e_open(&b.e, f, (size_t)n, 3);
    CHECK_EQ_INT(b.frames, 1);
    CHECK_EQ_INT(b.e.stats.dropped_replay, 1);
    n = seal(&a, "deux", f, sizeof f);
    memcpy(g, f, (size_t)n);
    g[n - 1] ^= 0x01; /* in the tag */
    e2e_open(&b.e, g, (size_t)n, 4);
    memcpy(g, f, (size_t)n);
    g[BP_HDR_LEN + 3] ^= 0x80; /* in the ciphertext */
    e2e_open(&b.e, g, (size_t)n, 4);
    memcpy(g, f, (size_t)n);
    g[6] ^= 0x01; /* routing header: sequence */
    e2e_open(&b.e, g, (size_t)n, 4);
    CHECK_EQ_INT(b.e.stats.dropped_auth, 3);
    CHECK_EQ_INT(b.frames, 1);
    f[3] = 2; /* the server rewrites the slot byte: not authenticated on purpose */
    f[3] = 0;
    e2e_open(&b.e, f, (size_t)n, 5); /* the untouched one still opens */
    CHECK_EQ_INT(b.frames, 2);
    CHECK(got_text(&b, "deux"));
    CHECK_EQ_INT(a.e.stats.frames_sealed, 2);
    CHECK_EQ_INT(b.e.stats.frames_opened, 2);

    /* A frame whose KID names another stream than its kind's (sealed with
     * A's real key of the audio stream, the header saying data) is dropped:
     * streams never share keys or counters (PROTOCOL.md §8.4). */
    {
        const struct bp_kind_info *audio = bp_kind_info(BP_KIND_AUDIO);
        struct bp_sframe_key k;
        CHECK_EQ_INT(bp_sframe_key_derive(a.e.base, sizeof a.e.base, bp_kid(a.e.gen, audio->stream), &k), 0);
        struct bp_hdr h = {.version = 1, .kind = BP_KIND_DATA, .slot = 0, .seq = 9};
        uint8_t meta[BP_SFRAME_META_LEN];
        bp_hdr_encode(&h, g);
        bp_sframe_meta(g, meta);
        int w = bp_sframe_seal(&k, 0, meta, sizeof meta, (const uint8_t *)"trois", 5, g + BP_HDR_LEN,
                               sizeof g - BP_HDR_LEN);
        CHECK(w > 0);
        uint64_t dropped = b.e.stats.dropped_auth;
        e2e_open(&b.e, g, BP_HDR_LEN + (size_t)w, 6);
        CHECK_EQ_INT(b.frames, 2);
        CHECK(b.e.stats.dropped_auth == dropped + 1);
        bp_sframe_key_wipe(&k);
    }

    /* Leaving erases the ephemeral key and the media keys. */
    e2e_leave(&a.e);
    static const uint8_t zero[BP_KEY_LEN];
    CHECK_MEM(a.e.eph_priv, zero, BP_KEY_LEN);
    CHECK(!e2e_can_send(&a.e));
    CHECK(seal(&a, "x", f, sizeof f) < 0);
    node_free(&a);
    node_free(&b);
}

static void t_no_secret_needs_sas(void)
{
    struct node a, b;
    node_init(&a, 0, NULL, E2E_SAS_ASK);
    node_init(&b, 1, NULL, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    struct node *pa[] = {&a};
    join(&b, pa, 1, 0);
    pump(1);
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_BLOCKED);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_BLOCKED);
    CHECK(has_line(&a, "not authenticated") && has_line(&a, "--confirm-sas"));
    CHECK(!has_line(&b, "keys gen="));
    CHECK(!e2e_can_send(&a.e));
    CHECK_EQ_INT(a.remembered, 0);
    uint8_t f[256];
    CHECK(seal(&a, "x", f, sizeof f) > 0); /* sealing works, but nobody holds the key */
    /* The users compare the codes and confirm them. */
    CHECK(strcmp(a.e.peers[1].sas, b.e.peers[0].sas) == 0);
    e2e_sas_decide(&a.e, 1, 1, 2);
    e2e_sas_decide(&b.e, 0, 1, 2);
    pump(3);
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_AUTH);
    CHECK(has_line(&a, "[e2e] slot=1 verified") && has_line(&b, "[e2e] slot=0 verified"));
    CHECK_EQ_INT(a.remembered_verified, 1);
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&b.e));
    node_free(&a);
    node_free(&b);

    /* --confirm-sas without a secret: verified at once. */
    node_init(&a, 0, NULL, E2E_SAS_CONFIRM);
    node_init(&b, 1, NULL, E2E_SAS_CONFIRM);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&b.e));
    CHECK(has_line(&b, "[e2e] slot=0 verified"));
    node_free(&a);
    node_free(&b);

    /* --reject-sas on one side: the pair ends on both. */
    node_init(&a, 0, NULL, E2E_SAS_REJECT);
    node_init(&b, 1, NULL, E2E_SAS_CONFIRM);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(has_line(&a, "[e2e] slot=1 sas rejected by=us"));
    CHECK(has_line(&b, "[e2e] slot=0 sas rejected by=peer"));
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_REFUSED);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
    CHECK(!e2e_can_send(&a.e) && !e2e_can_send(&b.e));
    node_free(&a);
    node_free(&b);

    /* A device remembered as verified: authenticated by=known. */
    node_init(&a, 0, NULL, E2E_SAS_ASK);
    node_init(&b, 1, NULL, E2E_SAS_ASK);
    e2e_add_known(&a.e, b.e.fp, BP_ROLE_BENEFICIARY);
    e2e_add_known(&b.e, a.e.fp, BP_ROLE_CONSULTANT);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(has_line(&a, "[e2e] slot=1 authenticated by=known"));
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&b.e));
    node_free(&a);
    node_free(&b);

    /* Another device for a remembered role, without MAC: changed key. */
    node_init(&a, 0, NULL, E2E_SAS_ASK);
    node_init(&b, 1, NULL, E2E_SAS_ASK);
    uint8_t other[BP_FP_LEN];
    memset(other, 0x42, sizeof other);
    e2e_add_known(&a.e, other, BP_ROLE_BENEFICIARY);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(has_line(&a, "[e2e] WARNING slot=1 role=beneficiary: changed key"));
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_BLOCKED);
    node_free(&a);
    node_free(&b);
}

/* ---- a hostile relay ---- */
static struct bp_identity mallory;
static uint8_t mal_r[32], mal_eph[BP_KEY_LEN];
static struct bp_bundle mal_b;
/* 1: swap reveal only; 2: commit and reveal, bad MAC; 3: the same under an
 * unknown sid (both ways); 4: no proof (both ways) */
static int mode;

static int swap_a_to_b(struct msg *m)
{
    struct bp_e2e_msg e;
    struct bp_verr ve;
    if (m->from == 1 && m->to == 0 && mode >= 3) {
        /* Downgrade both ways: A cannot check B's proof either. */
        CHECK(bp_e2e_parse(m->body, &e, &ve) == 0);
        if (e.kind != BP_E2E_CONFIRM)
            return 1;
        if (mode == 3)
            memset(e.proofs[0].sid, 0x77, sizeof e.proofs[0].sid);
        else
            e.nproofs = 0;
        json_decref(m->body);
        m->body = bp_e2e_build(&e);
        return m->body != NULL;
    }
    if (m->from != 0 || m->to != 1)
        return 1;
    CHECK(bp_e2e_parse(m->body, &e, &ve) == 0);
    if (e.kind == BP_E2E_COMMIT && mode >= 2) {
        CHECK(bp_commit(&mal_b, mal_r, e.c) == 0);
    } else if (e.kind == BP_E2E_REVEAL) {
        e.bundle = mal_b;
        memcpy(e.r, mal_r, 32);
    } else if (e.kind == BP_E2E_CONFIRM) {
        /* The id of the secret A used, a MAC made without it. */
        CHECK_EQ_INT(e.nproofs, 1);
        memset(e.proofs[0].mac, 0x5a, sizeof e.proofs[0].mac);
        if (mode == 3) /* ... or a proof under a secret B does not know */
            memset(e.proofs[0].sid, 0x77, sizeof e.proofs[0].sid);
        if (mode == 4) /* ... or no proof at all */
            e.nproofs = 0;
    } else {
        return 1;
    }
    json_decref(m->body);
    m->body = bp_e2e_build(&e);
    return m->body != NULL;
}

/* The relay swaps keys and tells B that slot 0 is mallory's device; A's
 * bodies go to B through the filter (swap_a_to_b). */
static void mitm_run(struct node *a, struct node *b)
{
    uint8_t mfp[BP_FP_LEN];
    filter = swap_a_to_b;
    CHECK(bp_fingerprint(mallory.sign_pub, mallory.dh_pub, mfp) == 0);
    CHECK(e2e_joined(&a->e, "B1", 0, 0) == 0);
    CHECK(e2e_joined(&b->e, "B1", 1, 0) == 0);
    e2e_member(&b->e, 0, mfp, BP_ROLE_CONSULTANT, 0, 0);
    e2e_member(&a->e, 1, b->e.fp, BP_ROLE_BENEFICIARY, 1, 0);
    for (int i = 0; i < 64 && qn; i++) {
        int n = qn;
        struct msg cur[QMAX];
        memcpy(cur, q, sizeof q[0] * (size_t)n);
        qn = 0;
        for (int k = 0; k < n; k++) {
            struct msg m = cur[k];
            if (!filter(&m)) {
                json_decref(m.body);
                continue;
            }
            if (m.to == 1)
                e2e_on_body(&b->e, 0, mfp, m.body, 1);
            else
                e2e_on_body(&a->e, 1, b->e.fp, m.body, 1);
            json_decref(m.body);
        }
    }
}

static void t_substituted_bundle(void)
{
    CHECK(bp_identity_generate(&mallory) == 0);
    CHECK(bp_random(mal_r, 32) == 0 && bp_random(mal_eph, 32) == 0);
    uint8_t pub[BP_KEY_LEN];
    CHECK(bp_x25519_public(mal_eph, pub) == 0);
    CHECK(bp_bundle_make(&mallory, "B1", pub, &mal_b) == 0);

    /* 1: the reveal is swapped after the commitment: the commitment catches it. */
    struct node a, b;
    struct node *pa[] = {&a};
    node_init(&a, 0, SECRET, E2E_SAS_CONFIRM);
    node_init(&b, 1, SECRET, E2E_SAS_CONFIRM);
    filter = swap_a_to_b;
    mode = 1;
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
    CHECK(has_line(&b, "[e2e] slot=0 refused:") && has_line(&b, "engagement"));
    CHECK(!e2e_can_send(&b.e));
    /* Only B saw the fault; its abort body tells A, which stops waiting. */
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_REFUSED);
    CHECK(has_line(&a, "[e2e] slot=1 refused: l'autre appareil a mis fin à la liaison ("));
    CHECK(has_line(&a, "engagement"));
    /* Both people are told, with the reason (French source: _() where shown). */
    CHECK(
        has_line(&b, "[news] failed slot=0 reason=ses clés ne correspondent pas à son engagement"));
    CHECK(
        has_line(&a, "[news] ended slot=1 reason=ses clés ne correspondent pas à son engagement"));
    node_free(&a);
    node_free(&b);

    /* 2: commit and reveal both the attacker's: the device check catches it. */
    node_init(&a, 0, SECRET, E2E_SAS_CONFIRM);
    node_init(&b, 1, SECRET, E2E_SAS_CONFIRM);
    mode = 2;
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
    CHECK(has_line(&b, "pas celles de l'appareil annoncé par le serveur"));
    node_free(&a);
    node_free(&b);

    /* 3: and the server also announces the attacker's fingerprint for slot 0:
     * only the invite MAC catches it, as a possible interception. */
    mode = 2;
    node_init(&a, 0, SECRET, E2E_SAS_CONFIRM);
    node_init(&b, 1, SECRET, E2E_SAS_CONFIRM);
    mitm_run(&a, &b);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
    CHECK(has_line(&b, "interception possible"));
    CHECK(!e2e_can_send(&b.e));
    CHECK(!has_line(&b, "keys gen="));
    node_free(&a);
    node_free(&b);

    /* 4: the same, but the relay also changes the proof's secret id (or drops
     * the proof): B can no longer check it, so it falls back on the spoken
     * code (a downgrade to the SAS, which still shows the relay: the two
     * codes differ, and nothing is sent before the person confirms). */
    for (mode = 3; mode <= 4; mode++) {
        node_init(&a, 0, SECRET, E2E_SAS_ASK);
        node_init(&b, 1, SECRET, E2E_SAS_ASK);
        mitm_run(&a, &b);
        CHECK_EQ_INT(b.e.peers[0].st, PAIR_BLOCKED);
        CHECK_EQ_INT(a.e.peers[1].st, PAIR_BLOCKED);
        CHECK(!has_line(&b, "interception possible"));
        CHECK(strcmp(a.e.peers[1].sas, b.e.peers[0].sas) != 0);
        CHECK(e2e_sas_pending(&b.e, 0));
        CHECK(!has_line(&b, "keys gen="));
        e2e_sas_decide(&b.e, 0, 0, 2); /* the person hears another code: /non */
        pump(3);
        CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
        CHECK_EQ_INT(a.e.peers[1].st, PAIR_REFUSED);
        node_free(&a);
        node_free(&b);
    }
    filter = NULL;
    bp_identity_wipe(&mallory);
}

/* ---- a relay that forges the bundle's signature ---- */
static struct bp_bundle forged;
static uint8_t forged_r[32];

/* Replaces A's commit and reveal to B with a commitment to, and the reveal
 * of, the forged bundle: the commitment matches what B receives. */
static int forge_a_to_b(struct msg *m)
{
    if (m->from != 0 || m->to != 1)
        return 1;
    struct bp_e2e_msg e;
    struct bp_verr ve;
    CHECK(bp_e2e_parse(m->body, &e, &ve) == 0);
    if (e.kind == BP_E2E_COMMIT) {
        CHECK(bp_commit(&forged, forged_r, e.c) == 0);
    } else if (e.kind == BP_E2E_REVEAL) {
        e.bundle = forged;
        memcpy(e.r, forged_r, 32);
    } else {
        return 1;
    }
    json_decref(m->body);
    m->body = bp_e2e_build(&e);
    return m->body != NULL;
}

/* The relay puts its own ephemeral key into A's bundle and keeps A's identity
 * keys, so that the bundle's fingerprint is the device the server announced
 * and the commitment matches: only the client's own check of the bundle
 * signature (client/e2e.c, on a reveal) stands between it and a pair key
 * with the relay. B must refuse the pair there, before it shows a code or
 * derives a key, with and without the invite secret (without it,
 * --confirm-sas would otherwise trust the pair on the code alone). Two
 * forgeries: A's signature left over another ephemeral key, and a signature
 * by another identity key. */
static void t_bundle_signature_checked(void)
{
    struct bp_identity mal;
    uint8_t mal_priv[BP_KEY_LEN], mal_pub[BP_KEY_LEN];
    struct bp_bundle mb;
    CHECK(bp_identity_generate(&mal) == 0);
    CHECK(bp_random(mal_priv, sizeof mal_priv) == 0 && bp_x25519_public(mal_priv, mal_pub) == 0);
    CHECK(bp_random(forged_r, sizeof forged_r) == 0);
    for (int v = 0; v < 4; v++) {
        struct node a, b;
        struct node *pa[] = {&a};
        const uint8_t *secret = v & 1 ? NULL : SECRET;
        node_init(&a, 0, secret, E2E_SAS_CONFIRM);
        node_init(&b, 1, secret, E2E_SAS_CONFIRM);
        CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
        forged = a.e.bundle;
        memcpy(forged.eph, mal_pub, BP_KEY_LEN);
        if (v >= 2) {
            CHECK(bp_bundle_make(&mal, "B1", mal_pub, &mb) == 0);
            memcpy(forged.sig, mb.sig, BP_SIG_LEN);
        }
        CHECK(bp_bundle_verify(&forged, "B1") != 0);   /* the forgery is one */
        filter = forge_a_to_b;
        join(&b, pa, 1, 0);
        pump(1);
        filter = NULL;
        pump(2);
        CHECK_EQ_INT(b.e.peers[0].st, PAIR_REFUSED);
        CHECK(has_line(&b, "[e2e] slot=0 refused: la signature de ses clés est fausse"));
        CHECK(!has_line(&b, "[e2e] slot=0 code="));
        CHECK(!b.e.peers[0].have_pair_key);
        CHECK(!has_line(&b, "keys gen="));
        CHECK(!e2e_can_send(&b.e));
        CHECK_EQ_INT(b.remembered, 0);
        /* A is told (abort) and stops waiting. */
        CHECK_EQ_INT(a.e.peers[1].st, PAIR_REFUSED);
        CHECK(has_line(&a, "[e2e] slot=1 refused: l'autre appareil a mis fin à la liaison ("));
        node_free(&a);
        node_free(&b);
    }
    OPENSSL_cleanse(mal_priv, sizeof mal_priv);
    bp_identity_wipe(&mal);
}

static int drop_keys_to_b;
static struct msg kept[8];
static int nkept;
static int keep_keys(struct msg *m)
{
    struct bp_e2e_msg e;
    struct bp_verr ve;
    if (drop_keys_to_b && m->to == 1 && bp_e2e_parse(m->body, &e, &ve) == 0 &&
        e.kind == BP_E2E_KEY && nkept < 8) {
        kept[nkept].from = m->from;
        kept[nkept].to = m->to;
        kept[nkept].body = json_incref(m->body);
        nkept++;
        return 0;
    }
    return 1;
}

static void t_hold(void)
{
    struct node a, b;
    struct node *pa[] = {&a};
    node_init(&a, 0, SECRET, E2E_SAS_ASK);
    node_init(&b, 1, SECRET, E2E_SAS_ASK);
    filter = keep_keys;
    drop_keys_to_b = 1;
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK_EQ_INT(nkept, 1);
    uint8_t f[256];
    int n = seal(&a, "early", f, sizeof f);
    e2e_open(&b.e, f, (size_t)n, 100);
    CHECK_EQ_INT(b.frames, 0);
    CHECK_EQ_INT(b.e.stats.held, 1);
    e2e_tick(&b.e, 1000);
    CHECK_EQ_INT(b.e.peers[0].nheld, 1);
    /* the key arrives after the frame (another path through the relay) */
    e2e_on_body(&b.e, 0, a.e.fp, kept[0].body, 1500);
    json_decref(kept[0].body);
    nkept = 0;
    CHECK_EQ_INT(b.frames, 1);
    CHECK(got_text(&b, "early"));
    CHECK_EQ_INT(b.e.stats.dropped_unknown_kid, 0);

    /* A frame whose key never comes is dropped after 2 s. */
    struct bp_hdr h = {.version = 1, .kind = BP_KIND_DATA, .slot = 0};
    uint8_t bogus[64];
    bp_hdr_encode(&h, bogus);
    size_t hl = bp_sframe_hdr_encode(bp_kid(99, 3), 0, bogus + BP_HDR_LEN);
    memset(bogus + BP_HDR_LEN + hl, 0, 20);
    e2e_open(&b.e, bogus, BP_HDR_LEN + hl + 20, 2000);
    e2e_tick(&b.e, 3999);
    CHECK_EQ_INT(b.e.stats.dropped_unknown_kid, 0);
    e2e_tick(&b.e, 4000);
    CHECK_EQ_INT(b.e.stats.dropped_unknown_kid, 1);
    CHECK_EQ_INT(b.e.peers[0].nheld, 0);
    /* At most 256 held per sender. */
    for (int i = 0; i < E2E_HOLD_MAX + 10; i++)
        e2e_open(&b.e, bogus, BP_HDR_LEN + hl + 20, 5000);
    CHECK_EQ_INT(b.e.peers[0].nheld, E2E_HOLD_MAX);
    CHECK_EQ_INT(b.e.stats.dropped_unknown_kid, 11);
    filter = NULL;
    drop_keys_to_b = 0;
    node_free(&a);
    node_free(&b);
}

static void t_late_joiner_and_leaver(void)
{
    struct node a, b, c;
    node_init(&a, 0, SECRET, E2E_SAS_ASK);
    node_init(&b, 1, SECRET, E2E_SAS_ASK);
    node_init(&c, 2, SECRET, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    struct node *pa[] = {&a};
    join(&b, pa, 1, 0);
    pump(1);
    uint8_t before[256], after[256], old_a[256];
    int nb = seal(&a, "before C", before, sizeof before);
    e2e_open(&b.e, before, (size_t)nb, 10);
    CHECK(got_text(&b, "before C"));

    /* C joins: A and B rekey; C gets only the new keys. */
    uint64_t gen_before = a.e.gen;
    struct node *pab[] = {&a, &b};
    join(&c, pab, 2, 20);
    pump(21);
    CHECK(a.e.gen == gen_before + 1);
    CHECK_EQ_INT(c.e.peers[0].st, PAIR_AUTH);
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&c.e));
    e2e_open(&c.e, before, (size_t)nb, 30);
    CHECK_EQ_INT(c.frames, 0); /* held: its key never comes */
    e2e_tick(&c.e, 30 + E2E_HOLD_MS);
    CHECK_EQ_INT(c.frames, 0);
    CHECK_EQ_INT(c.e.stats.frames_opened, 0);
    CHECK_EQ_INT(c.e.stats.dropped_unknown_kid, 1);
    int na = seal(&a, "after C", after, sizeof after);
    e2e_open(&c.e, after, (size_t)na, 3000);
    CHECK(got_text(&c, "after C"));
    e2e_open(&b.e, after, (size_t)na, 3000);
    CHECK(got_text(&b, "after C"));

    /* B leaves: A and C rekey without it; B (keeping its state) cannot open. */
    uint8_t old2[256];
    int nold = seal(&a, "old gen", old_a, sizeof old_a); /* before the rekey */
    int nold2 = seal(&a, "old gen 2", old2, sizeof old2);
    e2e_member_left(&a.e, 1, 4000);
    e2e_member_left(&c.e, 1, 4000);
    pump(4001);
    int nl = seal(&a, "after B left", after, sizeof after);
    int bframes = b.frames;
    e2e_open(&b.e, after, (size_t)nl, 4100);
    e2e_tick(&b.e, 4100 + E2E_HOLD_MS);
    CHECK_EQ_INT(b.frames, bframes);
    CHECK(b.e.stats.dropped_unknown_kid >= 1);
    e2e_open(&c.e, after, (size_t)nl, 4100);
    CHECK(got_text(&c, "after B left"));

    /* Generation erasure: C used A's newer generation at 4100, so the older
     * one still opens within 5 s and is gone after. */
    e2e_tick(&c.e, 4100 + E2E_ERASE_MS - 1);
    int cf = c.frames;
    e2e_open(&c.e, old_a, (size_t)nold, 4100 + E2E_ERASE_MS - 1);
    CHECK_EQ_INT(c.frames, cf + 1);
    CHECK(got_text(&c, "old gen"));
    e2e_tick(&c.e, 4100 + E2E_ERASE_MS);
    int erased = 1;
    for (int i = 0; i < E2E_GENS; i++)
        if (c.e.peers[0].gens[i].used && c.e.peers[0].gens[i].gen < a.e.gen)
            erased = 0;
    CHECK(erased);
    uint64_t dropped = c.e.stats.dropped_unknown_kid;
    e2e_open(&c.e, old2, (size_t)nold2, 9200); /* sealed under the erased generation */
    e2e_tick(&c.e, 9200 + E2E_HOLD_MS);
    CHECK_EQ_INT(c.frames, cf + 1);
    CHECK_EQ_INT(c.e.stats.dropped_unknown_kid, dropped + 1);
    node_free(&a);
    node_free(&b);
    node_free(&c);
}

static const uint8_t SECRET2[BP_SECRET_LEN] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                               9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 7};

static int any_line(const struct node *n, const char *needle)
{
    return has_line(n, needle);
}

/* A consultant device that knows one invite secret and a beneficiary that
 * joined with another invite of the bilan (printed on another device): no
 * alarm, the spoken code decides, and /oui works on both sides. */
static void t_other_invite(void)
{
    struct node a, b;
    struct node *pa[] = {&a};
    node_init(&a, 0, SECRET, E2E_SAS_ASK);
    node_init(&b, 1, SECRET2, E2E_SAS_ASK);
    a.e.interactive = b.e.interactive = 1;
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(!any_line(&a, "refused") && !any_line(&b, "refused"));
    CHECK(!any_line(&a, "interception") && !any_line(&b, "interception"));
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_BLOCKED);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_BLOCKED);
    CHECK(has_line(&a, "[e2e] slot=1: cet appareil est venu avec une autre invitation"));
    CHECK(has_line(&b, "[e2e] slot=0: cet appareil est venu avec une autre invitation"));
    CHECK(has_line(&a, "[e2e] slot=1 not authenticated") && has_line(&a, "/oui 1"));
    CHECK(e2e_sas_pending(&a.e, 1) && e2e_sas_pending(&b.e, 0));
    CHECK(!e2e_pair_ended(&a.e, 1));
    CHECK(strcmp(a.e.peers[1].sas, b.e.peers[0].sas) == 0);
    CHECK(!e2e_can_send(&a.e) && !has_line(&b, "keys gen="));
    e2e_sas_decide(&a.e, 1, 1, 2);
    e2e_sas_decide(&b.e, 0, 1, 2);
    pump(3);
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_AUTH);
    CHECK_EQ_INT(b.e.peers[0].st, PAIR_AUTH);
    CHECK(has_line(&a, "[e2e] slot=1 verified") && has_line(&b, "[e2e] slot=0 verified"));
    CHECK(e2e_can_send(&a.e) && e2e_can_send(&b.e));
    uint8_t f[256];
    int n = seal(&a, "bonjour", f, sizeof f);
    e2e_open(&b.e, f, (size_t)n, 4);
    CHECK(got_text(&b, "bonjour"));
    node_free(&a);
    node_free(&b);

    /* The changed-key rule still holds for a device under another invite. */
    node_init(&a, 0, SECRET, E2E_SAS_ASK);
    node_init(&b, 1, SECRET2, E2E_SAS_ASK);
    uint8_t other[BP_FP_LEN];
    memset(other, 0x42, sizeof other);
    e2e_add_known(&a.e, other, BP_ROLE_BENEFICIARY);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(has_line(&a, "[e2e] WARNING slot=1 role=beneficiary: changed key"));
    CHECK(!any_line(&a, "interception"));
    CHECK_EQ_INT(a.e.peers[1].st, PAIR_BLOCKED);
    node_free(&a);
    node_free(&b);
}

/* A consultant device that printed two invites knows both secrets and gives
 * a proof under each: a beneficiary from either link is authenticated by the
 * invite; two beneficiaries from different links fall back on the code. */
static void t_several_secrets(void)
{
    struct node a, b, c;
    node_init(&a, 0, SECRET2, E2E_SAS_ASK);
    e2e_add_secret(&a.e, SECRET);
    e2e_add_secret(&a.e, SECRET2); /* known already: not twice */
    CHECK_EQ_INT(a.e.nsecrets, 2);
    node_init(&b, 1, SECRET, E2E_SAS_ASK);
    node_init(&c, 2, SECRET2, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    struct node *pa[] = {&a}, *pab[] = {&a, &b};
    join(&b, pa, 1, 0);
    pump(1);
    join(&c, pab, 2, 2);
    pump(3);
    CHECK(has_line(&a, "[e2e] slot=1 authenticated by=invite"));
    CHECK(has_line(&a, "[e2e] slot=2 authenticated by=invite"));
    CHECK(has_line(&b, "[e2e] slot=0 authenticated by=invite"));
    CHECK(has_line(&c, "[e2e] slot=0 authenticated by=invite"));
    CHECK_EQ_INT(b.e.peers[2].st, PAIR_BLOCKED);
    CHECK_EQ_INT(c.e.peers[1].st, PAIR_BLOCKED);
    CHECK(!any_line(&b, "interception") && !any_line(&c, "interception"));
    CHECK(!any_line(&a, "refused") && !any_line(&b, "refused") && !any_line(&c, "refused"));
    /* At most E2E_SECRETS_MAX secrets, the first ones given (newest first). */
    for (int i = 0; i < 20; i++) {
        uint8_t x[BP_SECRET_LEN];
        memset(x, 100 + i, sizeof x);
        e2e_add_secret(&a.e, x);
    }
    CHECK_EQ_INT(a.e.nsecrets, E2E_SECRETS_MAX);
    CHECK_MEM(a.e.secrets[0], SECRET2, BP_SECRET_LEN);
    node_free(&a);
    node_free(&b);
    node_free(&c);
}

/* A pair ended by a rejected code: e2e_pair_ended says so (the console
 * tells the person why /oui has nothing to answer). */
static void t_pair_ended(void)
{
    struct node a, b;
    struct node *pa[] = {&a};
    node_init(&a, 0, NULL, E2E_SAS_ASK);
    node_init(&b, 1, NULL, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    CHECK(!e2e_pair_ended(&a.e, 1) && !e2e_pair_ended(&a.e, 0) && !e2e_pair_ended(&a.e, 3));
    e2e_sas_decide(&b.e, 0, 0, 2);
    pump(3);
    CHECK(e2e_pair_ended(&a.e, 1) && e2e_pair_ended(&b.e, 0));
    CHECK(!e2e_sas_pending(&a.e, 1));
    node_free(&a);
    node_free(&b);
}

/* An abort's reason reaches the person only when it is one this client gives:
 * whoever relays the body must not put its own words on their screen. */
static void t_abort_reason(void)
{
    struct node a, b;
    struct node *pa[] = {&a};
    node_init(&a, 0, NULL, E2E_SAS_ASK);
    node_init(&b, 1, NULL, E2E_SAS_ASK);
    CHECK(e2e_joined(&a.e, "B1", 0, 0) == 0);
    join(&b, pa, 1, 0);
    pump(1);
    struct bp_e2e_msg m;
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_ABORT;
    snprintf(m.reason, sizeof m.reason, "%s", "appelez vite le 01 23 45 67 89");
    json_t *body = bp_e2e_build(&m);
    CHECK(body != NULL);
    e2e_on_body(&a.e, 1, b.e.fp, body, 2);
    json_decref(body);
    CHECK(e2e_pair_ended(&a.e, 1));
    CHECK(has_line(&a, "[news] ended slot=1 reason=-"));
    CHECK(!has_line(&a, "reason=appelez"));
    snprintf(m.reason, sizeof m.reason, "%s",
             "la signature de ses clés est fausse (interception possible)");
    body = bp_e2e_build(&m);
    CHECK(body != NULL);
    e2e_on_body(&b.e, 0, a.e.fp, body, 2);
    json_decref(body);
    CHECK(e2e_pair_ended(&b.e, 0));
    CHECK(has_line(
        &b,
        "[news] ended slot=0 reason=la signature de ses clés est fausse (interception possible)"));
    node_free(&a);
    node_free(&b);
}

int main(void)
{
    t_abort_reason();
    t_other_invite();
    t_several_secrets();
    t_pair_ended();
    t_handshake_invite();
    t_no_secret_needs_sas();
    t_substituted_bundle();
    t_bundle_signature_checked();
    t_hold();
    t_late_joiner_and_leaver();
    return check_report();
}
