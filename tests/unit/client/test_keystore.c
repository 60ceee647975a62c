/* test_keystore.c: tests of client/keystore.c in a temporary folder:
 * permissions, identity created once and reloaded, server and bilan
 * round trips, that refreshing a bilan never erases its secret, and that
 * every invite secret of a bilan is kept (migration 5 included). */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include <sqlite3.h>

#include "keystore.h"

static int count_cb(void *arg, const struct ks_bilan *b)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

struct peer_seen {
    int n, verified;
    long long first_seen, verified_at;
    char method[16];
};

static int peer_cb(void *arg, const struct ks_peer *p)
{
    struct peer_seen *ps = arg;
    ps->n++;
    ps->verified = p->verified;
    ps->first_seen = p->first_seen;
    ps->verified_at = p->verified_at;
    snprintf(ps->method, sizeof ps->method, "%s", p->method);
    return 0;
}

/* 1 if the file holds the n bytes of pat, 0 if not, -1 if unreadable. */
static int file_holds(const char *path, const uint8_t *pat, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static uint8_t buf[1 << 22];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, len, pat, n) != NULL;
}

int main(void)
{
    char tmpl[] = "/tmp/bilan-ks-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char dir[256], why[256];
    snprintf(dir, sizeof dir, "%s/nested/data", tmpl);
    struct keystore *ks;
    CHECK_EQ_INT(ks_open(dir, &ks, why, sizeof why), 0);
    struct stat sb;
    CHECK_EQ_INT(stat(dir, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0700);
    char db[300];
    snprintf(db, sizeof db, "%s/client.db", dir);
    CHECK_EQ_INT(stat(db, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);

    struct bp_identity id1, id2;
    long long c1 = 0, c2 = 0;
    CHECK_EQ_INT(ks_identity(ks, 0, &id1, &c1), KS_NOT_FOUND);
    CHECK_EQ_INT(ks_identity(ks, 1, &id1, &c1), 0);
    CHECK(c1 > 0);
    ks_close(ks);

    /* Reopen: same keys, migrations not re-applied. */
    CHECK_EQ_INT(ks_open(dir, &ks, why, sizeof why), 0);
    CHECK_EQ_INT(ks_identity(ks, 1, &id2, &c2), 0);
    CHECK_MEM(&id1, &id2, sizeof id1);
    CHECK_EQ_INT(c1, c2);

    struct ks_server s = {0}, g;
    snprintf(s.host, sizeof s.host, "127.0.0.1");
    s.port = 8443;
    s.has_pin = 1;
    memset(s.pin, 7, sizeof s.pin);
    snprintf(s.role, sizeof s.role, "consultant");
    snprintf(s.name, sizeof s.name, "Marie");
    CHECK_EQ_INT(ks_server_put(ks, &s), 0);
    CHECK(s.id > 0);
    long long sid = s.id;
    CHECK_EQ_INT(ks_server_get(ks, "127.0.0.1", 8443, &g), 0);
    CHECK_EQ_INT(g.id, sid);
    CHECK(g.has_pin);
    CHECK_MEM(g.pin, s.pin, 32);
    CHECK_STR(g.role, "consultant");
    CHECK_STR(g.name, "Marie");
    CHECK_EQ_INT(ks_server_get(ks, "127.0.0.1", 8444, &g), KS_NOT_FOUND);
    /* Update: same row, empty fields keep their value. */
    struct ks_server s2 = {0};
    snprintf(s2.host, sizeof s2.host, "127.0.0.1");
    s2.port = 8443;
    CHECK_EQ_INT(ks_server_put(ks, &s2), 0);
    CHECK_EQ_INT(s2.id, sid);
    CHECK_EQ_INT(ks_server_by_id(ks, sid, &g), 0);
    CHECK_STR(g.role, "consultant");
    CHECK(!g.has_pin); /* a new link without pin means CA trust */

    struct ks_bilan b = {0}, r;
    b.server_id = sid;
    snprintf(b.bilan, sizeof b.bilan, "B1");
    snprintf(b.label, sizeof b.label, "dossier-17");
    snprintf(b.role, sizeof b.role, "consultant");
    b.budget_s = 57600;
    b.has_secret = 1;
    memset(b.secret, 0x5a, 32);
    b.has_token = 1;
    memset(b.token, 0x11, 32);
    b.has_token_hash = 1;
    memset(b.token_hash, 0x22, 32);
    b.invite_expires = 123;
    CHECK_EQ_INT(ks_bilan_put(ks, &b), 0);
    /* A refresh from a welcome (no secret, no token) keeps them. */
    struct ks_bilan refresh = {0};
    refresh.server_id = sid;
    snprintf(refresh.bilan, sizeof refresh.bilan, "B1");
    snprintf(refresh.label, sizeof refresh.label, "dossier-18");
    CHECK_EQ_INT(ks_bilan_put(ks, &refresh), 0);
    CHECK_EQ_INT(ks_bilan_get(ks, sid, "B1", &r), 0);
    CHECK_STR(r.label, "dossier-18");
    CHECK_STR(r.role, "consultant");
    CHECK_EQ_INT(r.budget_s, 57600);
    CHECK(r.has_secret);
    CHECK_MEM(r.secret, b.secret, 32);
    CHECK(r.has_token);
    CHECK_EQ_INT(r.invite_expires, 123);
    uint8_t h[32];
    memset(h, 0x22, 32);
    CHECK_EQ_INT(ks_bilan_by_token_hash(ks, h, &r), 0);
    CHECK_STR(r.bilan, "B1");
    memset(h, 0x23, 32);
    CHECK_EQ_INT(ks_bilan_by_token_hash(ks, h, &r), KS_NOT_FOUND);
    CHECK_EQ_INT(ks_bilan_get(ks, sid, "nope", &r), KS_NOT_FOUND);
    int n = 0;
    CHECK_EQ_INT(ks_bilan_each(ks, 0, count_cb, &n), 0);
    CHECK_EQ_INT(n, 1);
    n = 0;
    CHECK_EQ_INT(ks_bilan_each(ks, sid + 1, count_cb, &n), 0);
    CHECK_EQ_INT(n, 0);

    /* Peers (migration 2): remembered per bilan; verified is sticky. */
    struct ks_peer p;
    memset(&p, 0, sizeof p);
    p.server_id = sid;
    snprintf(p.bilan, sizeof p.bilan, "B1");
    memset(p.device, 0xd1, sizeof p.device);
    memset(p.sign_pub, 0x51, sizeof p.sign_pub);
    memset(p.dh_pub, 0xd4, sizeof p.dh_pub);
    snprintf(p.role, sizeof p.role, "beneficiary");
    snprintf(p.method, sizeof p.method, "invite");
    CHECK_EQ_INT(ks_peer_put(ks, &p), 0);
    struct peer_seen ps = {0};
    CHECK_EQ_INT(ks_peer_each(ks, sid, "B1", peer_cb, &ps), 0);
    CHECK_EQ_INT(ps.n, 1);
    CHECK_EQ_INT(ps.verified, 0);
    p.verified = 1;
    snprintf(p.method, sizeof p.method, "sas");
    CHECK_EQ_INT(ks_peer_put(ks, &p), 0);
    p.verified = 0; /* a later sighting by invite only */
    CHECK_EQ_INT(ks_peer_put(ks, &p), 0);
    memset(&ps, 0, sizeof ps);
    CHECK_EQ_INT(ks_peer_each(ks, sid, "B1", peer_cb, &ps), 0);
    CHECK_EQ_INT(ps.n, 1);
    CHECK_EQ_INT(ps.verified, 1);
    CHECK(ps.verified_at > 0 && ps.first_seen > 0);
    CHECK_STR(ps.method, "invite"); /* how it was first authenticated */
    memset(&ps, 0, sizeof ps);
    CHECK_EQ_INT(ks_peer_each(ks, sid, "B2", peer_cb, &ps), 0);
    CHECK_EQ_INT(ps.n, 0);
    snprintf(p.bilan, sizeof p.bilan, "unknown-bilan"); /* must belong to a stored bilan */
    CHECK(ks_peer_put(ks, &p) != 0);

    /* Invite secrets (migration 5): every secret given for a bilan is kept,
     * newest first; bilans.secret is the newest. */
    uint8_t secs[8][BP_SECRET_LEN];
    int ns = -1;
    CHECK_EQ_INT(ks_bilan_secrets(ks, sid, "B1", secs, 8, &ns), 0);
    CHECK_EQ_INT(ns, 1);
    CHECK_MEM(secs[0], b.secret, 32);
    for (int i = 0; i < 3; i++) {
        memset(b.secret, 0x60 + i, 32);
        CHECK_EQ_INT(ks_bilan_put(ks, &b), 0);
    }
    CHECK_EQ_INT(ks_bilan_put(ks, &b), 0); /* the same secret again: not twice */
    CHECK_EQ_INT(ks_bilan_secrets(ks, sid, "B1", secs, 8, &ns), 0);
    CHECK_EQ_INT(ns, 4);
    CHECK_EQ_INT(secs[0][0], 0x62);
    CHECK_EQ_INT(secs[1][0], 0x61);
    CHECK_EQ_INT(secs[2][0], 0x60);
    CHECK_EQ_INT(secs[3][0], 0x5a);
    CHECK_EQ_INT(ks_bilan_secrets(ks, sid, "B1", secs, 2, &ns), 0);
    CHECK_EQ_INT(ns, 2);
    CHECK_EQ_INT(secs[1][0], 0x61);
    CHECK_EQ_INT(ks_bilan_get(ks, sid, "B1", &r), 0);
    CHECK_EQ_INT(r.secret[0], 0x62);
    CHECK_EQ_INT(ks_bilan_secrets(ks, sid, "B2", secs, 8, &ns), 0);
    CHECK_EQ_INT(ns, 0);
    ks_close(ks);

    /* A client.db of schema 4 (one secret per bilan) keeps its secret. */
    sqlite3 *old;
    CHECK_EQ_INT(sqlite3_open(db, &old), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(old,
                              "DROP TABLE bilan_secrets; PRAGMA user_version = 4;"
                              "DROP TRIGGER bilans_bound; DROP TRIGGER peers_bound;"
                              "DROP TRIGGER sessions_taken_bound; DROP TRIGGER receipts_bound;"
                              "ALTER TABLE sessions_taken DROP COLUMN obs;"
                              "DROP TABLE ws_ops; DROP TABLE ws_state;" /* migration 7 */
                              "DROP TABLE doc_keys; DROP TABLE doc_key_wraps;" /* migration 8 */
                              "UPDATE bilans SET secret = zeroblob(32) WHERE bilan = 'B1';",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(old);
    CHECK_EQ_INT(ks_open(dir, &ks, why, sizeof why), 0);
    CHECK_EQ_INT(ks_bilan_secrets(ks, sid, "B1", secs, 8, &ns), 0);
    CHECK_EQ_INT(ns, 1);
    static const uint8_t zero32[32];
    CHECK_MEM(secs[0], zero32, 32);
    /* What this device saw of a session (migration 6): kept, replaced, read back. */
    char *obs = NULL;
    CHECK_EQ_INT(ks_attend_get(ks, sid, "B1", "S1", &obs), KS_NOT_FOUND);
    CHECK_EQ_INT(ks_attend_put(ks, sid, "B1", "S1", "{\"a\":1}"), 0);
    CHECK_EQ_INT(ks_attend_put(ks, sid, "B1", "S1", "{\"a\":2}"), 0);
    CHECK_EQ_INT(ks_attend_get(ks, sid, "B1", "S1", &obs), 0);
    CHECK(obs && !strcmp(obs, "{\"a\":2}"));
    free(obs);

    /* The worksheets' document key (migration 8): stored, read back,
     * replaced; wraps remembered per key id; deleted with its wraps. */
    struct ks_dockey dk, got;
    memset(&dk, 0, sizeof dk);
    memset(dk.key, 0x5a, sizeof dk.key);
    snprintf(dk.kid, sizeof dk.kid, "%s", "AAAAAAAAAAAAAAAAAAAAAA");
    static const uint8_t dev1[32] = {1}, dev2[32] = {2};
    CHECK_EQ_INT(ks_dockey_get(ks, sid, "B1", &got), KS_NOT_FOUND);
    CHECK_EQ_INT(ks_dockey_put(ks, sid, "B1", &dk), 0);
    CHECK_EQ_INT(ks_dockey_get(ks, sid, "B1", &got), 0);
    CHECK(!memcmp(got.key, dk.key, 32) && !strcmp(got.kid, dk.kid) && got.claimed == 0);
    dk.claimed = 1;
    CHECK_EQ_INT(ks_dockey_put(ks, sid, "B1", &dk), 0);
    CHECK_EQ_INT(ks_dockey_get(ks, sid, "B1", &got), 0);
    CHECK_EQ_INT(got.claimed, 1);
    CHECK_EQ_INT(ks_dockey_get(ks, sid, "B2", &got), KS_NOT_FOUND);
    CHECK_EQ_INT(ks_dockey_wrapped(ks, sid, "B1", dk.kid, dev1), 0);
    CHECK_EQ_INT(ks_dockey_mark_wrapped(ks, sid, "B1", dk.kid, dev1), 0);
    CHECK_EQ_INT(ks_dockey_mark_wrapped(ks, sid, "B1", dk.kid, dev1), 0);
    CHECK_EQ_INT(ks_dockey_wrapped(ks, sid, "B1", dk.kid, dev1), 1);
    CHECK_EQ_INT(ks_dockey_wrapped(ks, sid, "B1", dk.kid, dev2), 0);
    CHECK_EQ_INT(ks_dockey_wrapped(ks, sid, "B1", "BBBBBBBBBBBBBBBBBBBBBB", dev1), 0);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", db);
    /* Closed and opened again: the key is in the database file itself. */
    ks_close(ks);
    CHECK_EQ_INT(ks_open(dir, &ks, why, sizeof why), 0);
    CHECK_EQ_INT(file_holds(db, dk.key, 32), 1);
    CHECK_EQ_INT(ks_dockey_delete(ks, sid, "B1"), 0);
    CHECK_EQ_INT(ks_dockey_get(ks, sid, "B1", &got), KS_NOT_FOUND);
    /* Crypto-shredding: no copy of the key's bytes in the file or its log. */
    CHECK_EQ_INT(file_holds(db, dk.key, 32), 0);
    CHECK(file_holds(wal, dk.key, 32) <= 0);
    CHECK_EQ_INT(ks_dockey_wrapped(ks, sid, "B1", dk.kid, dev1), 0);

    /* Bounds on what a server can make us store (migration 6). */
    sqlite3 *q;
    CHECK_EQ_INT(sqlite3_open(db, &q), SQLITE_OK);
    sqlite3_stmt *st;
    int rows;
#define ROWS(sql)                                                                   \
    (rows = -1, sqlite3_prepare_v2(q, sql, -1, &st, NULL) == SQLITE_OK &&          \
                        sqlite3_step(st) == SQLITE_ROW                              \
                    ? (rows = sqlite3_column_int(st, 0))                            \
                    : 0,                                                            \
     sqlite3_finalize(st), rows)
    for (int i = 0; i < KS_BILANS_MAX + 10; i++) {
        struct ks_bilan nb = {0};
        nb.server_id = sid;
        snprintf(nb.bilan, sizeof nb.bilan, "X%d", i);
        CHECK_EQ_INT(ks_bilan_put(ks, &nb), 0);
    }
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM bilans"), KS_BILANS_MAX);
    /* ... an existing one is still updated at the bound. */
    refresh.budget_s = 3600;
    CHECK_EQ_INT(ks_bilan_put(ks, &refresh), 0);
    CHECK_EQ_INT(ks_bilan_get(ks, sid, "B1", &r), 0);
    CHECK_EQ_INT(r.budget_s, 3600);
    snprintf(p.bilan, sizeof p.bilan, "B1");
    for (int i = 0; i < KS_PEERS_MAX + 10; i++) {
        memset(p.device, 0, sizeof p.device);
        p.device[0] = (uint8_t)i;
        p.device[1] = 0x77;
        CHECK_EQ_INT(ks_peer_put(ks, &p), 0);
    }
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM peers WHERE bilan = 'B1'"), KS_PEERS_MAX);
    for (int i = 0; i < KS_ATTEND_MAX + 10; i++) {
        char sess[16];
        snprintf(sess, sizeof sess, "T%d", i);
        CHECK_EQ_INT(ks_attend_put(ks, sid, "B1", sess, "{}"), 0);
    }
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM sessions_taken WHERE bilan = 'B1'"), KS_ATTEND_MAX);
    CHECK_EQ_INT(ks_attend_get(ks, sid, "B1", "T209", &obs), 0); /* the newest stay */
    free(obs);
    for (int i = 0; i < KS_RECEIPTS_MAX + 10; i++) {
        struct ks_receipt rc = {.server_id = sid, .record = "{}", .attestation = "{}", .signed_at = 1000 + i};
        snprintf(rc.bilan, sizeof rc.bilan, "B1");
        snprintf(rc.session, sizeof rc.session, "R%d", i);
        CHECK_EQ_INT(ks_receipt_put(ks, &rc), 0);
    }
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM receipts WHERE bilan = 'B1'"), KS_RECEIPTS_MAX);
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM receipts WHERE session = 'R0'"), 0);
    CHECK_EQ_INT(ROWS("SELECT count(*) FROM receipts WHERE session = 'R509'"), 1);
#undef ROWS
    sqlite3_close(q);
    ks_close(ks);

    /* A database from a newer client is refused, not damaged. */
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    CHECK(ks_open(dir, &ks, why, sizeof why) < 0);
    CHECK(ks == NULL);
    CHECK(strstr(why, "plus récente") != NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    CHECK_EQ_INT(system(cmd), 0);
    bp_identity_wipe(&id1);
    bp_identity_wipe(&id2);
    return check_report();
}
