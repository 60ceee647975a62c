/* test_sheets.c: tests of client/sheets.c, sheets_read.c and ks_sheets.c
 * with real client.db files in a temporary folder: local edits persisted
 * and reloaded identically (the replica's digest), the pending order, the
 * push marks, remote operations (repeats, refusals, held ones), a conflict
 * kept then resolved without losing a value, two devices editing offline
 * and converging whatever the order, and a shred that leaves nothing of the
 * bilan in the file but the kept sheets. A tiny in-memory "server" gives
 * the seqs (the sealing is the lead's sync, not tested here). */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include <sqlite3.h>

#include "bp/b64.h"
#include "bp/vocab.h"
#include "keystore.h"
#include "ks_sheets.h"
#include "sheet_input.h"
#include "sheets.h"

/* ---- the server's log ---- */

struct entry {
    long long seq;
    uint8_t op[16];
    char sheet[SHEETS_ID_LEN + 1];
    uint8_t author[32];
    int role;
    char *json;
    size_t len;
};

static struct entry log_v[512];
static size_t log_n;

struct pusher {
    const uint8_t *author;
    int role;
    uint8_t ops[256][16];
    size_t n;
    char fields[256][48]; /* "create", "set:field", "delete": the order seen */
};

static int push_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1],
                   const char *json, size_t len)
{
    struct pusher *p = arg;
    struct entry *e = &log_v[log_n];
    e->seq = (long long)++log_n;
    memcpy(e->op, op, 16);
    snprintf(e->sheet, sizeof e->sheet, "%s", sheet);
    memcpy(e->author, p->author, 32);
    e->role = p->role;
    e->json = strndup(json, len);
    e->len = len;
    memcpy(p->ops[p->n], op, 16);
    json_t *o = json_loadb(json, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *field = json_string_value(json_object_get(o, "field"));
    snprintf(p->fields[p->n], sizeof p->fields[0], "%s%s%s", type ? type : "?", field ? ":" : "",
             field ? field : "");
    json_decref(o);
    p->n++;
    return 0;
}

/* Pushes s's pending operations to the log, marks them pushed. */
static size_t push(struct sheets *s, const uint8_t *author, int role, struct pusher *p)
{
    memset(p, 0, sizeof *p);
    p->author = author;
    p->role = role;
    size_t first = log_n;
    CHECK_EQ_INT(sheets_pending_each(s, push_cb, p), 0);
    for (size_t i = 0; i < p->n; i++)
        CHECK_EQ_INT(sheets_mark_pushed(s, p->ops[i], log_v[first + i].seq), 0);
    return p->n;
}

/* Applies the log after s's `after`: how many were applied (0 returns). */
static int pull(struct sheets *s)
{
    int applied = 0;
    char why[512];
    for (size_t i = 0; i < log_n; i++) {
        struct entry *e = &log_v[i];
        if (e->seq <= sheets_after(s))
            continue;
        int rc = sheets_apply_remote(s, e->seq, e->op, e->sheet, e->author, e->role, e->json,
                                     e->len, why, sizeof why);
        if (rc == 0)
            applied++;
        else if (rc != SHEETS_HELD)
            fprintf(stderr, "pull: seq %lld: %d %s\n", e->seq, rc, why);
        CHECK_EQ_INT(sheets_set_after(s, e->seq), 0);
    }
    return applied;
}

static void digest(struct sheets *s, uint8_t out[32])
{
    CHECK_EQ_INT(bp_ws_replica_digest(sheets_replica(s), out), 0);
}

static int set_str(struct sheets *s, const char *sheet, const char *field, const char *v)
{
    char why[1024];
    json_t *j = json_string(v);
    int rc = sheets_set(s, sheet, field, j, why, sizeof why);
    json_decref(j);
    if (rc)
        fprintf(stderr, "set %s: %s\n", field, why);
    return rc;
}

static int set_json(struct sheets *s, const char *sheet, const char *field, const char *v,
                    char *why, size_t cap)
{
    json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
    int rc = sheets_set(s, sheet, field, j, why, cap);
    json_decref(j);
    return rc;
}

/* The text of field in s, or "" */
static const char *value_of(json_t *vals, const char *field)
{
    const char *t = json_string_value(json_object_get(vals, field));
    return t ? t : "";
}

/* Whether the bytes of file contain needle. */
static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b)
                break;
            buf = b;
        }
    }
    fclose(f);
    int hit = buf && memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return hit;
}

static long long count_rows(const char *db, const char *sql)
{
    sqlite3 *raw;
    long long n = -1;
    if (sqlite3_open(db, &raw) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(raw);
    return n;
}

static const char *field_conflicts(struct sheets *s, const char *sheet, const char *field,
                                   size_t *n)
{
    json_t *c = sheets_conflicts(s, sheet);
    json_t *a = json_object_get(c, field);
    *n = json_array_size(a);
    static char both[256];
    both[0] = '\0';
    for (size_t i = 0; i < *n; i++) {
        size_t l = strlen(both);
        snprintf(both + l, sizeof both - l, "%s%s", i ? "|" : "",
                 json_string_value(json_object_get(json_array_get(a, i), "value")));
    }
    json_decref(c);
    return both;
}

struct dev {
    char dir[300];
    struct keystore *ks;
    uint8_t fp[32];
    int role;
    struct sheets *s;
};

#define SRV 1
#define BILAN "b1"

static void dev_open(struct dev *d, const char *root, const char *name, int role, uint8_t tag)
{
    char why[512];
    snprintf(d->dir, sizeof d->dir, "%s/%s", root, name);
    memset(d->fp, tag, 32);
    d->role = role;
    CHECK_EQ_INT(ks_open(d->dir, &d->ks, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_open(d->ks, SRV, BILAN, d->fp, role, &d->s, why, sizeof why), 0);
}

static void dev_reopen(struct dev *d)
{
    char why[512];
    sheets_close(d->s);
    CHECK_EQ_INT(sheets_open(d->ks, SRV, BILAN, d->fp, d->role, &d->s, why, sizeof why), 0);
}

static void dev_close(struct dev *d)
{
    sheets_close(d->s);
    ks_close(d->ks);
    d->s = NULL;
    d->ks = NULL;
}

static int apply(struct sheets *s, const struct entry *e, char *why, size_t cap);

static int count_sheets(void *arg, const struct sheets_info *i)
{
    (void)i;
    (*(int *)arg)++;
    return 0;
}

/* Local edits: stored pending, in order, reloaded identically. */
static void test_local(struct dev *a, char sheet[SHEETS_ID_LEN + 1])
{
    char why[1024];
    CHECK_EQ_INT(sheets_new(a->s, "analyse_demande", sheet, why, sizeof why), 0);
    CHECK_EQ_INT(strlen(sheet), SHEETS_ID_LEN);
    CHECK_EQ_INT(set_str(a->s, sheet, "demande_mots", "premier jet"), 0);
    CHECK_EQ_INT(set_json(a->s, sheet, "urgence", "3", why, sizeof why), 0);
    CHECK_EQ_INT(
        set_json(a->s, sheet, "pistes", "[\"boulangerie\", \"fleuriste\"]", why, sizeof why), 0);
    CHECK_EQ_INT(set_str(a->s, sheet, "demande_mots", "Je veux changer de métier."), 0);
    CHECK_EQ_INT(sheets_pending_count(a->s), 5);
    json_t *v = sheets_values(a->s, sheet);
    CHECK_STR(value_of(v, "demande_mots"), "Je veux changer de métier.");
    CHECK_EQ_INT(json_integer_value(json_object_get(v, "urgence")), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(v, "pistes")), 2);
    json_decref(v);
    /* A sequential edit replaces: one head, no conflict. */
    int conflict = 1;
    CHECK_EQ_INT(sheets_heads(a->s, sheet, "demande_mots", NULL, 0, &conflict), 1);
    CHECK_EQ_INT(conflict, 0);

    uint8_t d1[32], d2[32];
    digest(a->s, d1);
    dev_reopen(a);
    digest(a->s, d2);
    CHECK_MEM(d1, d2, 32);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(a->s)), 5);
    CHECK_EQ_INT(sheets_pending_count(a->s), 5);
    v = sheets_values(a->s, sheet);
    CHECK_STR(value_of(v, "demande_mots"), "Je veux changer de métier.");
    json_decref(v);
    struct sheets_info info;
    CHECK_EQ_INT(sheets_info(a->s, sheet, &info), 0);
    CHECK_STR(info.tmpl, "analyse_demande");
    CHECK_STR(info.label, "Je veux changer de métier.");
    CHECK_EQ_INT(info.pending, 5);
    CHECK(info.created_ms > 0);

    /* Refusals, in French, naming what is wrong. */
    char other[SHEETS_ID_LEN + 1];
    CHECK(sheets_new(a->s, "nope", other, why, sizeof why) < 0);
    CHECK(strstr(why, "« nope »") && strstr(why, "analyse_demande"));
    CHECK(set_json(a->s, sheet, "champ_faux", "\"x\"", why, sizeof why) < 0);
    CHECK(strstr(why, "« champ_faux »") && strstr(why, "demande_mots") && strstr(why, "pistes"));
    CHECK(set_json(a->s, sheet, "urgence", "\"beaucoup\"", why, sizeof why) < 0);
    CHECK(strstr(why, "urgence") != NULL);
    CHECK(set_json(a->s, sheet, "urgence", "9", why, sizeof why) < 0);
    CHECK(set_json(a->s, "AAAAAAAAAAAAAAAAAAAAAA", "urgence", "2", why, sizeof why) < 0);
    CHECK(strstr(why, "aucune fiche") != NULL);
    CHECK_EQ_INT(sheets_pending_count(a->s), 5); /* nothing stored by a refusal */
    char found[SHEETS_ID_LEN + 1];
    char pre[8];
    snprintf(pre, sizeof pre, "%.6s", sheet);
    CHECK_EQ_INT(sheets_find(a->s, pre, found, why, sizeof why), 0);
    CHECK_STR(found, sheet);
    CHECK(sheets_find(a->s, "zz", found, why, sizeof why) < 0);
}

/* The clock is persisted: an edit after a reopen is stamped after the others. */
struct last_hlc {
    long long ms, counter;
    int ordered;
};

static int hlc_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1],
                  const char *json, size_t len)
{
    (void)op;
    (void)sheet;
    struct last_hlc *h = arg;
    json_t *o = json_loadb(json, len, 0, NULL);
    json_t *a = json_object_get(o, "hlc");
    long long ms = json_integer_value(json_array_get(a, 0)),
              c = json_integer_value(json_array_get(a, 1));
    if (ms < h->ms || (ms == h->ms && c <= h->counter))
        h->ordered = 0;
    h->ms = ms;
    h->counter = c;
    json_decref(o);
    return 0;
}

static void test_pending(struct dev *a, const char *sheet)
{
    struct pusher p;
    /* pending order = creation order */
    memset(&p, 0, sizeof p);
    p.author = a->fp;
    size_t before = log_n;
    CHECK_EQ_INT(sheets_pending_each(a->s, push_cb, &p), 0);
    log_n = before; /* only looked */
    for (size_t i = 0; i < p.n; i++)
        free(log_v[before + i].json);
    CHECK_EQ_INT(p.n, 5);
    CHECK_STR(p.fields[0], "create");
    CHECK_STR(p.fields[1], "set:demande_mots");
    CHECK_STR(p.fields[2], "set:urgence");
    CHECK_STR(p.fields[3], "set:pistes");
    CHECK_STR(p.fields[4], "set:demande_mots");
    CHECK_EQ_INT(set_str(a->s, sheet, "contraintes", "aucune"), 0);
    struct last_hlc h = {0, 0, 1};
    CHECK_EQ_INT(sheets_pending_each(a->s, hlc_cb, &h), 0);
    CHECK(h.ordered);
    /* Push the first two only: the rest stay pending, in order. */
    CHECK_EQ_INT(sheets_mark_pushed(a->s, p.ops[0], 101), 0);
    CHECK_EQ_INT(sheets_mark_pushed(a->s, p.ops[1], 102), 0);
    CHECK_EQ_INT(sheets_mark_pushed(a->s, p.ops[1], 102), 0); /* a repeated reply */
    CHECK_EQ_INT(sheets_pending_count(a->s), 4);
    CHECK_EQ_INT(sheets_after(a->s), 0); /* pushing is not pulling */
    struct pusher q;
    memset(&q, 0, sizeof q);
    q.author = a->fp;
    before = log_n;
    CHECK_EQ_INT(sheets_pending_each(a->s, push_cb, &q), 0);
    log_n = before;
    for (size_t i = 0; i < q.n; i++)
        free(log_v[before + i].json);
    CHECK_EQ_INT(q.n, 4);
    CHECK_STR(q.fields[0], "set:urgence");
    CHECK_STR(q.fields[3], "set:contraintes");
    dev_reopen(a);
    CHECK_EQ_INT(sheets_pending_count(a->s), 4);
    CHECK_EQ_INT(sheets_set_after(a->s, 7), 0);
    CHECK_EQ_INT(sheets_set_after(a->s, 3), 0); /* never lowered */
    dev_reopen(a);
    CHECK_EQ_INT(sheets_after(a->s), 7);

    /* A lost sheet_pushed: our own operations come back in a pull, and are
     * no longer pending (nor pushed twice). */
    struct pusher r;
    memset(&r, 0, sizeof r);
    r.author = a->fp;
    r.role = a->role;
    before = log_n;
    CHECK_EQ_INT(sheets_pending_each(a->s, push_cb, &r), 0);
    CHECK_EQ_INT(r.n, 4);
    char why[512];
    for (size_t i = 0; i < r.n; i++)
        CHECK_EQ_INT(apply(a->s, &log_v[before + i], why, sizeof why), 0);
    CHECK_EQ_INT(sheets_pending_count(a->s), 0);
    dev_reopen(a);
    CHECK_EQ_INT(sheets_pending_count(a->s), 0);
    for (size_t i = 0; i < r.n; i++)
        free(log_v[before + i].json);
    log_n = before;
}

/* An operation written by hand for another device, appended to the log. */
static struct entry *craft_at(const char *sheet, uint8_t tag, const uint8_t author[32], int role,
                              const char *field, const char *value_json, const char *parents,
                              long long ms)
{
    struct entry *e = &log_v[log_n];
    memset(e, 0, sizeof *e);
    e->seq = (long long)++log_n;
    memset(e->op, tag, 16);
    snprintf(e->sheet, sizeof e->sheet, "%s", sheet);
    memcpy(e->author, author, 32);
    e->role = role;
    char id[23], dev[44], buf[1024];
    bp_b64_encode(e->op, 16, id);
    bp_b64_encode(author, 32, dev);
    snprintf(buf, sizeof buf,
             "{\"device\":\"%s\",\"field\":\"%s\",\"hlc\":[%lld,0],\"op\":\"%s\",\"parents\":[%s],"
             "\"sheet\":\"%s\",\"type\":\"set\",\"v\":1,\"value\":%s}",
             dev, field, ms, id, parents, sheet, value_json);
    e->json = strdup(buf);
    e->len = strlen(buf);
    return e;
}

static struct entry *craft(const char *sheet, uint8_t tag, const uint8_t author[32], int role,
                           const char *field, const char *value_json, const char *parents)
{
    return craft_at(sheet, tag, author, role, field, value_json, parents, 1000 + tag);
}

static int apply(struct sheets *s, const struct entry *e, char *why, size_t cap)
{
    return sheets_apply_remote(s, e->seq, e->op, e->sheet, e->author, e->role, e->json, e->len, why,
                               cap);
}

static void test_remote(struct dev *a, struct dev *b, const char *sheet)
{
    char why[1024];
    struct pusher p;
    CHECK_EQ_INT(push(a->s, a->fp, a->role, &p), 5);
    CHECK_EQ_INT(sheets_pending_count(a->s), 0);
    CHECK_EQ_INT(pull(b->s), 5);
    CHECK_EQ_INT(sheets_after(b->s), (long long)log_n);
    uint8_t da[32], db[32];
    digest(a->s, da);
    digest(b->s, db);
    CHECK_MEM(da, db, 32);
    /* A repeat changes nothing. */
    CHECK_EQ_INT(apply(b->s, &log_v[1], why, sizeof why), 0);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(b->s)), 5);
    /* The same op id with other content, another sheet, another author: refused. */
    struct entry forged = log_v[1];
    char *alt = strdup(forged.json);
    char *at = strstr(alt, "premier jet");
    if (at)
        memcpy(at, "PREMIER JET", 11);
    forged.json = alt;
    CHECK(apply(b->s, &forged, why, sizeof why) < 0);
    CHECK(strstr(why, "autre contenu") != NULL);
    free(alt);
    forged = log_v[1];
    snprintf(forged.sheet, sizeof forged.sheet, "%s", "BBBBBBBBBBBBBBBBBBBBBA");
    CHECK(apply(b->s, &forged, why, sizeof why) < 0);
    forged = log_v[1];
    memset(forged.author, 0x77, 32);
    CHECK(apply(b->s, &forged, why, sizeof why) < 0);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(b->s)), 5);

    /* Held by the rules, stored all the same (another device's newer
     * template, a bad value, a role not among the editors). */
    uint8_t c[32], c2[32];
    memset(c, 0xC1, 32);
    memset(c2, 0xC2, 32);
    struct entry *e = craft(sheet, 0xE1, c, BP_ROLE_CONSULTANT, "nope", "\"x\"", "");
    CHECK_EQ_INT(apply(b->s, e, why, sizeof why), SHEETS_HELD);
    CHECK(strstr(why, "« nope »") != NULL);
    e = craft(sheet, 0xE2, c, BP_ROLE_CONSULTANT, "urgence", "\"très\"", "");
    CHECK_EQ_INT(apply(b->s, e, why, sizeof why), SHEETS_HELD);
    CHECK(strstr(why, "urgence") != NULL);
    e = craft(sheet, 0xE3, c2, BP_ROLE_BENEFICIARY, "urgence", "2", "");
    CHECK_EQ_INT(apply(b->s, e, why, sizeof why), SHEETS_HELD);
    CHECK(strstr(why, "consultant") != NULL);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(b->s)), 8);
    CHECK_EQ_INT(bp_ws_replica_skipped(sheets_replica(b->s)), 3);
    json_t *v = sheets_values(b->s, sheet);
    CHECK_EQ_INT(json_integer_value(json_object_get(v, "urgence")), 3);
    json_decref(v);
    /* A known device with another role: refused, not stored. */
    struct entry turn = *craft(sheet, 0xE4, c, BP_ROLE_BENEFICIARY, "demande_mots", "\"y\"", "");
    log_n--;
    CHECK(apply(b->s, &turn, why, sizeof why) < 0);
    free(turn.json);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(b->s)), 8);
    char dbpath[400];
    snprintf(dbpath, sizeof dbpath, "%s/client.db", b->dir);
    CHECK_EQ_INT(count_rows(dbpath, "SELECT count(*) FROM ws_ops WHERE bilan = 'b1'"), 8);
    CHECK_EQ_INT(sheets_set_after(b->s, (long long)log_n), 0);
    /* Reloaded, the held ones are still held, with the same roles. */
    digest(b->s, db);
    dev_reopen(b);
    uint8_t db2[32];
    digest(b->s, db2);
    CHECK_MEM(db, db2, 32);
    CHECK_EQ_INT(pull(a->s), 5); /* its own five come back (repeats); the three held are said */
    digest(a->s, da);
    CHECK_MEM(da, db, 32);

    /* The clock is persisted: a value stamped far ahead, then a reopen, then
     * a local edit: the edit is stamped after it (and wins). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long ahead = (long long)now.tv_sec * 1000 + 86400000LL * 365;
    const struct bp_ws_op *h[2];
    CHECK_EQ_INT(sheets_heads(b->s, sheet, "contraintes", h, 2, NULL), 0);
    e = craft_at(sheet, 0xE5, c, BP_ROLE_CONSULTANT, "contraintes", "\"d'avance\"", "", ahead);
    CHECK_EQ_INT(apply(b->s, e, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_set_after(b->s, e->seq), 0);
    dev_reopen(b);
    CHECK_EQ_INT(set_str(b->s, sheet, "contraintes", "après"), 0);
    CHECK_EQ_INT(sheets_heads(b->s, sheet, "contraintes", h, 2, NULL), 1);
    char bdev[44];
    bp_b64_encode(b->fp, 32, bdev);
    CHECK((long long)h[0]->hlc.ms >= ahead && !strcmp(h[0]->device, bdev));
    json_t *after = sheets_values(b->s, sheet);
    CHECK_STR(value_of(after, "contraintes"), "après");
    json_decref(after);
}

/* Naming sheets: deleted ones, and a prefix two sheets share. */
static void test_find(struct dev *a)
{
    char why[1024], sid[SHEETS_ID_LEN + 1], found[SHEETS_ID_LEN + 1];
    struct sheets *s;
    CHECK_EQ_INT(sheets_open(a->ks, SRV, "names", a->fp, a->role, &s, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(s, "recit", sid, why, sizeof why), 0);
    CHECK(sid[0] != '-');
    CHECK_EQ_INT(sheets_delete(s, sid, why, sizeof why), 0);
    CHECK(sheets_find(s, sid, found, why, sizeof why) < 0 && strstr(why, "supprimée"));
    CHECK(set_json(s, sid, "x", "1", why, sizeof why) < 0 && strstr(why, "supprimée"));
    CHECK(sheets_delete(s, sid, why, sizeof why) < 0 && strstr(why, "déjà supprimée"));
    int n = 0;
    CHECK_EQ_INT(sheets_list(s, 0, count_sheets, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(sheets_list(s, 1, count_sheets, &n), 0);
    CHECK_EQ_INT(n, 1);
    /* Two sheets (another device's) whose ids start alike. */
    uint8_t c[32];
    memset(c, 0xC3, 32);
    char dev[44];
    bp_b64_encode(c, 32, dev);
    const char *ids[2] = {"ZZZZZZAAAAAAAAAAAAAAAA", "ZZZZZZBAAAAAAAAAAAAAAA"};
    for (int i = 0; i < 2; i++) {
        char json[512];
        uint8_t op[16], raw[16];
        memset(op, 0x70 + i, 16);
        char opid[23];
        bp_b64_encode(op, 16, opid);
        CHECK_EQ_INT(bp_b64_decode_exact(ids[i], raw, 16), 0);
        snprintf(json, sizeof json,
                 "{\"device\":\"%s\",\"hlc\":[5,%d],\"op\":\"%s\",\"sheet\":\"%s\","
                 "\"template\":\"recit\",\"type\":\"create\",\"v\":1}",
                 dev, i, opid, ids[i]);
        CHECK_EQ_INT(sheets_apply_remote(s, i + 1, op, ids[i], c, BP_ROLE_CONSULTANT, json,
                                         strlen(json), why, sizeof why),
                     0);
    }
    CHECK(sheets_find(s, "ZZZZZZ", found, why, sizeof why) < 0 && strstr(why, "plusieurs"));
    CHECK_EQ_INT(sheets_find(s, "ZZZZZZB", found, why, sizeof why), 0);
    CHECK_STR(found, ids[1]);
    sheets_close(s);
}

/* The bounds a server cannot push past (KS_WS_OPS_MAX): the count is
 * checked on insert (set here by hand, 200,000 inserts would be slow). */
static void test_bounds(struct dev *a)
{
    char why[1024], sid[SHEETS_ID_LEN + 1];
    struct sheets *s;
    CHECK_EQ_INT(sheets_open(a->ks, SRV, "full", a->fp, a->role, &s, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(s, "recit", sid, why, sizeof why), 0);
    sheets_close(s);
    char db[400];
    snprintf(db, sizeof db, "%s/client.db", a->dir);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
    CHECK_EQ_INT(
        sqlite3_exec(raw,
                     "UPDATE ws_state SET n_ops = " KS_STR(KS_WS_OPS_MAX) " WHERE bilan = 'full'",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(sheets_open(a->ks, SRV, "full", a->fp, a->role, &s, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(s, "recit", sid, why, sizeof why), BP_E_TOO_LARGE);
    CHECK(strstr(why, "pleines") != NULL);
    uint8_t c[32];
    memset(c, 0xC1, 32);
    struct entry *e = craft(sid, 0xE6, c, BP_ROLE_CONSULTANT, "nope", "1", "");
    log_n--; /* not for the others */
    CHECK_EQ_INT(sheets_apply_remote(s, 1, e->op, e->sheet, e->author, e->role, e->json, e->len,
                                     why, sizeof why),
                 BP_E_TOO_LARGE);
    free(e->json);
    CHECK_EQ_INT(bp_ws_replica_count(sheets_replica(s)), 1);
    sheets_close(s);

    /* A value that fits its field but not one sealed operation (a list of
     * long items): refused with the sizes said, nothing pending; a shorter
     * one goes. */
    CHECK_EQ_INT(sheets_open(a->ks, SRV, "long", a->fp, a->role, &s, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(s, "synthese", sid, why, sizeof why), 0);
    size_t before = sheets_pending_count(s);
    json_t *items = json_array();
    static char item[BP_WS_ITEM_MAX + 1];
    memset(item, 'a', BP_WS_ITEM_MAX);
    for (int i = 0; i < 30; i++)
        json_array_append_new(items, json_string(item));
    CHECK_EQ_INT(sheets_set(s, sid, "competences_cles", items, why, sizeof why), BP_E_TOO_LARGE);
    CHECK(strstr(why, "trop longue") != NULL && strstr(why, "46000") != NULL);
    CHECK_EQ_INT(sheets_pending_count(s), before);
    while (json_array_size(items) > 20)
        json_array_remove(items, 0);
    CHECK_EQ_INT(sheets_set(s, sid, "competences_cles", items, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_pending_count(s), before + 1);
    json_decref(items);
    sheets_close(s);
}

/* Two devices edit the same and different fields offline, then exchange
 * their operations; a third device gets everything in reverse order. */
static void test_converge(struct dev *a, struct dev *b, struct dev *d, const char *sheet)
{
    char why[1024];
    const struct bp_ws_op *h[4];
    CHECK_EQ_INT(set_str(a->s, sheet, "demande_mots", "version A"), 0);
    CHECK_EQ_INT(set_json(a->s, sheet, "urgence", "4", why, sizeof why), 0);
    CHECK_EQ_INT(set_str(b->s, sheet, "demande_mots", "version B"), 0);
    CHECK_EQ_INT(set_json(b->s, sheet, "pistes", "[\"menuiserie\"]", why, sizeof why), 0);
    CHECK(set_json(b->s, sheet, "urgence", "1", why, sizeof why) == BP_E_FORBIDDEN);
    struct pusher p;
    push(a->s, a->fp, a->role, &p);
    push(b->s, b->fp, b->role, &p);
    pull(a->s);
    pull(b->s);
    uint8_t da[32], db[32], dd[32];
    digest(a->s, da);
    digest(b->s, db);
    CHECK_MEM(da, db, 32);
    char why2[512];
    for (size_t i = log_n; i-- > 0;) {
        int rc = apply(d->s, &log_v[i], why2, sizeof why2);
        CHECK(rc == 0 || rc == SHEETS_HELD);
    }
    digest(d->s, dd);
    CHECK_MEM(da, dd, 32);
    size_t n;
    const char *both = field_conflicts(a->s, sheet, "demande_mots", &n);
    CHECK_EQ_INT(n, 2);
    CHECK(strstr(both, "version A") && strstr(both, "version B"));
    CHECK_STR(field_conflicts(b->s, sheet, "demande_mots", &n), both);
    struct sheets_info info;
    CHECK_EQ_INT(sheets_info(b->s, sheet, &info), 0);
    CHECK_EQ_INT(info.conflicts, 1);
    json_t *v = sheets_values(b->s, sheet);
    CHECK_EQ_INT(json_integer_value(json_object_get(v, "urgence")),
                 4); /* different fields: both kept */
    CHECK_STR(json_string_value(json_array_get(json_object_get(v, "pistes"), 0)), "menuiserie");
    json_decref(v);

    /* Resolving: one set whose parents are both heads; nothing is lost. */
    CHECK_EQ_INT(sheets_heads(b->s, sheet, "demande_mots", h, 4, NULL), 2);
    char old0[23], old1[23];
    snprintf(old0, sizeof old0, "%s", h[0]->id);
    snprintf(old1, sizeof old1, "%s", h[1]->id);
    CHECK_EQ_INT(set_str(b->s, sheet, "demande_mots", "version A, puis B"), 0);
    push(b->s, b->fp, b->role, &p);
    pull(a->s);
    pull(b->s);
    CHECK_EQ_INT(field_conflicts(a->s, sheet, "demande_mots", &n)[0], 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(sheets_heads(a->s, sheet, "demande_mots", h, 4, NULL), 1);
    CHECK_EQ_INT(bp_ws_replica_status(sheets_replica(a->s), old0, NULL), BP_WS_APPLIED);
    CHECK_EQ_INT(bp_ws_replica_status(sheets_replica(a->s), old1, NULL), BP_WS_APPLIED);
    CHECK_STR(
        json_string_value(bp_ws_replica_get(sheets_replica(a->s), old1)->value),
        strcmp(json_string_value(bp_ws_replica_get(sheets_replica(a->s), old0)->value), "version A")
            ? "version A"
            : "version B");
    v = sheets_values(a->s, sheet);
    CHECK_STR(value_of(v, "demande_mots"), "version A, puis B");
    json_decref(v);
    digest(a->s, da);
    digest(b->s, db);
    CHECK_MEM(da, db, 32);
}

static void test_shred(struct dev *a, const char *root)
{
    char why[1024], s1[SHEETS_ID_LEN + 1], s2[SHEETS_ID_LEN + 1], s3[SHEETS_ID_LEN + 1];
    struct pusher p;
    CHECK_EQ_INT(sheets_new(a->s, "recit", s1, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(a->s, "recit", s2, why, sizeof why), 0);
    struct sheets_info info;
    CHECK_EQ_INT(sheets_info(a->s, s1, &info), 0);
    const struct bp_ws_field *text = NULL;
    for (size_t i = 0; info.t && !text && i < info.t->n_sections; i++)
        for (size_t j = 0; !text && j < info.t->sections[i].n_fields; j++)
            if (info.t->sections[i].fields[j].kind == BP_WS_TEXT &&
                (info.t->sections[i].fields[j].editors & BP_WS_CONSULTANT))
                text = &info.t->sections[i].fields[j];
    CHECK(text != NULL);
    if (!text)
        return;
    char fid[BP_WS_NAME_MAX + 1]; /* text points into a->s's templates, freed at its close */
    snprintf(fid, sizeof fid, "%s", text->id);
    CHECK_EQ_INT(set_str(a->s, s1, fid, "GARDE-MOI-42"), 0);
    CHECK_EQ_INT(set_str(a->s, s2, fid, "EFFACE-MOI-42 envoyé"), 0);
    push(a->s, a->fp, a->role, &p);
    CHECK_EQ_INT(set_str(a->s, s2, fid, "EFFACE-MOI-43 en attente"), 0);
    CHECK_EQ_INT(set_str(a->s, s1, fid, "GARDE-MOI-44 en attente"), 0);
    struct sheets *other;
    CHECK_EQ_INT(sheets_open(a->ks, SRV, "b2", a->fp, a->role, &other, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_new(other, "recit", s3, why, sizeof why), 0);
    CHECK_EQ_INT(set_str(other, s3, fid, "AUTRE-BILAN-42"), 0);
    sheets_close(other);
    sheets_close(a->s);
    a->s = NULL;

    const char *keep[] = {s1};
    CHECK_EQ_INT(sheets_shred(a->ks, SRV, BILAN, keep, 1), 0);
    CHECK_EQ_INT(sheets_open(a->ks, SRV, BILAN, a->fp, a->role, &a->s, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_info(a->s, s2, &info), KS_NOT_FOUND);
    CHECK_EQ_INT(sheets_info(a->s, s1, &info), 0);
    CHECK_EQ_INT(sheets_pending_count(a->s), 0); /* a closed bilan takes no push */
    json_t *v = sheets_values(a->s, s1);
    CHECK_STR(value_of(v, fid), "GARDE-MOI-42");
    json_decref(v);
    char db[400], wal[400];
    snprintf(db, sizeof db, "%s/a/client.db", root);
    snprintf(wal, sizeof wal, "%s/a/client.db-wal", root);
    /* Still open: the shred's own checkpoint, not the close's, cleaned the WAL. */
    CHECK(!file_has(db, "EFFACE-MOI-42") && !file_has(wal, "EFFACE-MOI-42"));
    dev_close(a);
    CHECK(!file_has(db, "EFFACE-MOI-42") && !file_has(wal, "EFFACE-MOI-42"));
    CHECK(!file_has(db, "EFFACE-MOI-43") && !file_has(wal, "EFFACE-MOI-43"));
    CHECK(!file_has(db, "GARDE-MOI-44") && !file_has(wal, "GARDE-MOI-44"));
    CHECK(file_has(db, "GARDE-MOI-42") || file_has(wal, "GARDE-MOI-42"));
    CHECK(file_has(db, "AUTRE-BILAN-42") || file_has(wal, "AUTRE-BILAN-42"));

    CHECK_EQ_INT(ks_open(a->dir, &a->ks, why, sizeof why), 0);
    CHECK_EQ_INT(sheets_shred(a->ks, SRV, BILAN, NULL, 0), 0);
    ks_close(a->ks);
    a->ks = NULL;
    CHECK_EQ_INT(count_rows(db, "SELECT count(*) FROM ws_ops WHERE bilan = 'b1'"), 0);
    CHECK_EQ_INT(count_rows(db, "SELECT count(*) FROM ws_state WHERE bilan = 'b1'"), 0);
    CHECK_EQ_INT(count_rows(db, "SELECT count(*) FROM ws_ops WHERE bilan = 'b2'"), 2);
    CHECK(!file_has(db, "GARDE-MOI-42") && !file_has(wal, "GARDE-MOI-42"));
    CHECK(!file_has(db, "demande_mots") && !file_has(wal, "demande_mots"));
    CHECK(file_has(db, "AUTRE-BILAN-42") || file_has(wal, "AUTRE-BILAN-42"));
}

/* What a person types, per kind (sheet_input.c). */
static void test_input(void)
{
    struct ws_templates ts;
    char why[1024];
    CHECK_EQ_INT(ws_templates_load_all(&ts, why, sizeof why), 0);
    const struct bp_ws_template *t = ws_templates_find(&ts, "analyse_demande");
    const struct bp_ws_template *plan = ws_templates_find(&ts, "plan_action");
    if (!t || !plan)
        return;
    struct {
        const struct bp_ws_template *t;
        const char *field, *typed, *json; /* json NULL: refused */
    } cases[] = {
        {t, "demande_mots", "deux\nlignes ", "\"deux\\nlignes \""},
        {t, "demande_mots", "", "null"},
        {t, "rapport_projet", "aucune_idee", "\"aucune_idee\""},
        {t, "rapport_projet", "Aucune idée pour l'instant", "\"aucune_idee\""},
        {t, "rapport_projet", "des idées", "\"idees_non_explorees\""},
        {t, "rapport_projet", "peut-être", NULL},
        {t, "preoccupations", "orientation, Création, orientation",
         "[\"orientation\",\"creation\"]"},
        {t, "preoccupations", "orientation, nope", NULL},
        {t, "urgence", " 4 ", "4"},
        {t, "urgence", "4.5", NULL},
        {t, "urgence", "beaucoup", NULL},
        {t, "pistes", "a | b\nc\n\n", "[\"a\",\"b\",\"c\"]"},
        {t, "pistes", "a|b", "[\"a|b\"]"},
        {plan, "echeance", "09/03/2026", "\"2026-03-09\""},
        {plan, "echeance", "9/3/2026", "\"2026-03-09\""},
        {plan, "echeance", "2026-03-09", "\"2026-03-09\""},
        {plan, "echeance", "demain", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = NULL;
        const struct bp_ws_field *f = bp_ws_template_field(cases[i].t, cases[i].field);
        int rc = f ? sheet_input_parse(f, cases[i].typed, &v, why, sizeof why) : -2;
        if (!cases[i].json) {
            CHECK_EQ_INT(rc, -1);
            CHECK(strstr(why, cases[i].field) != NULL);
        } else {
            char *got = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            if (rc || !got || strcmp(got, cases[i].json))
                fprintf(stderr, "input %s '%s': %d %s\n", cases[i].field, cases[i].typed, rc,
                        got ? got : why);
            CHECK(rc == 0 && got && !strcmp(got, cases[i].json));
            free(got);
        }
        json_decref(v);
    }
    ws_templates_free(&ts);
}

int main(void)
{
    test_input();
    char root[] = "/tmp/bilan-sheets-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    struct dev p, a, b, d;
    char sheet[SHEETS_ID_LEN + 1];
    dev_open(&p, root, "p", BP_ROLE_CONSULTANT, 0xA0);
    test_local(&p, sheet);
    test_pending(&p, sheet);
    dev_close(&p);

    dev_open(&a, root, "a", BP_ROLE_CONSULTANT, 0xA1);
    dev_open(&b, root, "b", BP_ROLE_BENEFICIARY, 0xB1);
    dev_open(&d, root, "d", BP_ROLE_CONSULTANT, 0xD1);
    test_local(&a, sheet);
    test_remote(&a, &b, sheet);
    test_converge(&a, &b, &d, sheet);
    test_bounds(&a);
    test_find(&a);
    dev_close(&b);
    dev_close(&d);
    test_shred(&a, root);
    for (size_t i = 0; i < log_n; i++)
        free(log_v[i].json);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_report();
}
