/* test_sheet_sync.c: client/sheet_sync.c against a hostile or broken
 * server. The hooks (on_ready, on_msg, on_error, sheet_sync_peer) are driven
 * directly with a struct dialog wired to a fake transport that keeps what
 * is sent; every server message goes through bp_msg_parse (BP_TO_CLIENT)
 * first, as in the dialog. Each device has a real client.db in a temporary
 * folder; the other devices have real identities, so the wraps
 * (bp_ws_key_wrap) and the sealed operations (bp_ws_op_seal over the
 * canonical operations of a second replica, sheets.h) are real.
 *
 * What is checked: a consultant's first key and its self-wrap; a wrap taken
 * only from a device authenticated in the bilan's room, with its keys
 * hashing to `from`, opening for this device and this bilan, and the key's
 * kid equal to `kid`; a server announcing another kid than our claimed key
 * gets nothing; operations that do not open, do not match their listing or
 * are malformed (a seq past 2^50 too) are refused and counted, the others
 * apply and `after` moves past them; a device without the key applies
 * nothing (its key would be zeros); messages of another bilan are not ours;
 * a live operation after a gap is a pull; a rate limit stops the push and
 * keeps the rest pending; a close shreds; a peer gets one wrap per visit;
 * a refused key_get ends the command, a refused wrap is wrapped again next
 * visit, an operation the rules hold is counted held. */
#define _GNU_SOURCE /* open_memstream, memmem */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/msg.h"
#include "bp/vocab.h"
#include "bp/ws_seal.h"
#include "dialog.h"
#include "e2e_state.h"
#include "keystore.h"
#include "sheet_sync.h"
#include "sheets.h"
#include "util.h"

#define BILAN "B1"
#define SENT_MAX 256

static char root[] = "/tmp/bilan-sheetsync-XXXXXX";

/* ---- devices ---- */

struct dev {
    char dir[300];
    struct keystore *ks; /* NULL: a device known only by its identity */
    struct bp_identity id;
    uint8_t fp[BP_FP_LEN];
    char fp64[BP_B64_32 + 1];
    long long srv;
    int role;
};

static void bilan_row(struct dev *d, const char *bilan)
{
    struct ks_bilan b;
    memset(&b, 0, sizeof b);
    b.server_id = d->srv;
    snprintf(b.bilan, sizeof b.bilan, "%s", bilan);
    snprintf(b.role, sizeof b.role, "%s", bp_role_name(d->role));
    CHECK_EQ_INT(ks_bilan_put(d->ks, &b), 0);
}

/* A device with its client.db (name: its folder), or without (name NULL). */
static void dev_make(struct dev *d, const char *name, int role)
{
    char why[512];
    long long created;
    memset(d, 0, sizeof *d);
    d->role = role;
    if (!name) {
        CHECK_EQ_INT(bp_identity_generate(&d->id), 0);
    } else {
        snprintf(d->dir, sizeof d->dir, "%s/%s", root, name);
        CHECK_EQ_INT(ks_open(d->dir, &d->ks, why, sizeof why), 0);
        CHECK_EQ_INT(ks_identity(d->ks, 1, &d->id, &created), 0);
        struct ks_server s;
        memset(&s, 0, sizeof s);
        snprintf(s.host, sizeof s.host, "bilan.test");
        s.port = 4443;
        CHECK_EQ_INT(ks_server_put(d->ks, &s), 0);
        d->srv = s.id;
        bilan_row(d, BILAN);
    }
    bp_fingerprint(d->id.sign_pub, d->id.dh_pub, d->fp);
    bp_b64_encode(d->fp, BP_FP_LEN, d->fp64);
}

static void dev_free(struct dev *d)
{
    if (d->ks)
        ks_close(d->ks);
    bp_identity_wipe(&d->id);
    d->ks = NULL;
}

/* d authenticated peer in bilan's room (what e2e's remember hook stores). */
static void trust(struct dev *d, const struct dev *peer, const char *bilan)
{
    struct ks_peer p;
    memset(&p, 0, sizeof p);
    p.server_id = d->srv;
    snprintf(p.bilan, sizeof p.bilan, "%s", bilan);
    memcpy(p.device, peer->fp, BP_FP_LEN);
    snprintf(p.role, sizeof p.role, "%s", bp_role_name(peer->role));
    memcpy(p.sign_pub, peer->id.sign_pub, BP_KEY_LEN);
    memcpy(p.dh_pub, peer->id.dh_pub, BP_KEY_LEN);
    p.verified = 1;
    snprintf(p.method, sizeof p.method, "sas");
    CHECK_EQ_INT(ks_peer_put(d->ks, &p), 0);
}

static void key_new(uint8_t k[BP_WS_KEY_LEN], char kid[BP_WS_KID_LEN + 1])
{
    CHECK_EQ_INT(bp_ws_key_new(k), 0);
    CHECK_EQ_INT(bp_ws_kid(k, kid), 0);
}

static void key_store(struct dev *d, const uint8_t k[BP_WS_KEY_LEN], int claimed)
{
    struct ks_dockey dk;
    memset(&dk, 0, sizeof dk);
    memcpy(dk.key, k, BP_WS_KEY_LEN);
    CHECK_EQ_INT(bp_ws_kid(k, dk.kid), 0);
    dk.claimed = claimed;
    CHECK_EQ_INT(ks_dockey_put(d->ks, d->srv, BILAN, &dk), 0);
}

/* 1 when d holds key k for the bilan, 0 when it holds none, -1 another. */
static int key_held(struct dev *d, const uint8_t k[BP_WS_KEY_LEN])
{
    struct ks_dockey dk;
    int rc = ks_dockey_get(d->ks, d->srv, BILAN, &dk);
    if (rc == KS_NOT_FOUND)
        return 0;
    return rc == 0 && !memcmp(dk.key, k, BP_WS_KEY_LEN) ? 1 : -1;
}

/* A sheet_keys entry: `from` (as said), the keys it shows, a wrap that
 * signer made of k from from_fp to `to` for bilan. */
static json_t *wrap_entry(const struct dev *signer, const uint8_t from_fp[BP_FP_LEN], const struct dev *shown,
                          const struct dev *to, const char *bilan, const uint8_t k[BP_WS_KEY_LEN])
{
    uint8_t w[BP_WS_WRAP_LEN];
    char w64[BP_WS_WRAP_LEN * 2], from64[BP_B64_32 + 1], sp[BP_B64_32 + 1], dp[BP_B64_32 + 1];
    CHECK_EQ_INT(bp_ws_key_wrap(signer->id.dh_priv, from_fp, to->id.dh_pub, to->fp, bilan, k, w), 0);
    bp_b64_encode(w, sizeof w, w64);
    bp_b64_encode(from_fp, BP_FP_LEN, from64);
    bp_b64_encode(shown->id.sign_pub, BP_KEY_LEN, sp);
    bp_b64_encode(shown->id.dh_pub, BP_KEY_LEN, dp);
    return json_pack("{s:s, s:s, s:s, s:s}", "from", from64, "sign_pub", sp, "dh_pub", dp, "wrap", w64);
}

/* ---- a connection: the dialog, its fake transport, the sync ---- */

struct conn {
    json_t *sent[SENT_MAX];
    int nsent;
    struct dialog d;
    struct sheet_sync *s;
    struct dev *dev;
    FILE *out, *err;
    char *outbuf, *errbuf;
    size_t outlen, errlen;
    uint64_t now;
};

static int f_send(void *ctx, const char *buf, size_t len)
{
    struct conn *c = ctx;
    json_t *o = json_loadb(buf, len, 0, NULL);
    if (c->nsent < SENT_MAX)
        c->sent[c->nsent] = o;
    else
        json_decref(o);
    c->nsent++;
    return 0;
}

static void f_want(void *ctx)
{
    (void)ctx;
}

static void f_close(void *ctx)
{
    (void)ctx;
}

static const struct dialog_transport fake_tp = {f_send, f_want, f_close, NULL};

static void conn_open(struct conn *c, struct dev *dev, int end_when_done)
{
    memset(c, 0, sizeof *c);
    c->dev = dev;
    c->out = open_memstream(&c->outbuf, &c->outlen);
    c->err = open_memstream(&c->errbuf, &c->errlen);
    dialog_init(&c->d);
    c->d.tp = &fake_tp;
    c->d.tp_ctx = c;
    c->d.id = &dev->id;
    c->d.out = c->out;
    c->d.err = c->err;
    c->d.machine = 1;
    snprintf(c->d.bilan, sizeof c->d.bilan, "%s", BILAN);
    c->d.room.role = dev->role;
    struct sheet_sync_cfg cfg = {dev->ks, dev->srv, &dev->id, dev->role, end_when_done, c->err};
    CHECK_EQ_INT(sheet_sync_new(&cfg, &c->s), 0);
    c->d.sheets = &sheet_sync_hooks;
    c->d.sheets_ctx = c->s;
    sheet_sync_hooks.on_ready(c->s, &c->d, ++c->now);
}

static void conn_close(struct conn *c)
{
    sheet_sync_free(c->s);
    dialog_free(&c->d);
    for (int i = 0; i < c->nsent && i < SENT_MAX; i++)
        json_decref(c->sent[i]);
    fclose(c->out);
    fclose(c->err);
    free(c->outbuf);
    free(c->errbuf);
}

static const char *errs(struct conn *c)
{
    fflush(c->err);
    return c->errbuf ? c->errbuf : "";
}

static const char *outs(struct conn *c)
{
    fflush(c->out);
    return c->outbuf ? c->outbuf : "";
}

static int n_type(struct conn *c, const char *type)
{
    int n = 0;
    for (int i = 0; i < c->nsent && i < SENT_MAX; i++)
        n += !strcmp(bp_str(c->sent[i], "type", ""), type);
    return n;
}

/* The k-th message of type sent (0 first), or NULL. */
static json_t *nth(struct conn *c, const char *type, int k)
{
    for (int i = 0; i < c->nsent && i < SENT_MAX; i++)
        if (!strcmp(bp_str(c->sent[i], "type", ""), type) && k-- == 0)
            return c->sent[i];
    return NULL;
}

static const char *last_type(struct conn *c)
{
    return c->nsent ? bp_str(c->sent[c->nsent - 1], "type", "?") : "";
}

/* The server says m (taken): validated as the dialog does, then handed over. */
static void srv(struct conn *c, json_t *m)
{
    char *txt = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    enum bp_type t;
    json_t *root_m = NULL;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    int rc = bp_msg_parse(txt, strlen(txt), BP_TO_CLIENT, &t, &root_m, &e, ref);
    if (rc)
        fprintf(stderr, "bad server message in the test: %s: %s\n", e.detail, txt);
    CHECK_EQ_INT(rc, 0);
    if (!rc)
        sheet_sync_hooks.on_msg(c->s, &c->d, t, root_m, ref, ++c->now);
    json_decref(root_m);
    free(txt);
}

static void srv_err(struct conn *c, const char *ref, const char *code)
{
    CHECK_EQ_INT(sheet_sync_hooks.on_error(c->s, &c->d, ref, code, 0), 1);
}

static json_t *keys_msg(const char *kid, json_t *keys, const char *ref)
{
    json_t *m = json_pack("{s:s, s:s, s:o}", "type", "sheet_keys", "bilan", BILAN, "keys", keys ? keys : json_array());
    if (kid)
        json_object_set_new(m, "kid", json_string(kid));
    if (ref)
        json_object_set_new(m, "ref", json_string(ref));
    return m;
}

static json_t *one(json_t *e)
{
    json_t *a = json_array();
    json_array_append_new(a, e);
    return a;
}

static json_t *ops_msg(json_t *ops, int more, const char *ref)
{
    json_t *m = json_pack("{s:s, s:s, s:o, s:b}", "type", "sheet_ops", "bilan", BILAN, "ops", ops, "more", more);
    if (ref)
        json_object_set_new(m, "ref", json_string(ref));
    return m;
}

static json_t *pushed_msg(const char *op64, long long seq)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s}", "type", "sheet_pushed", "bilan", BILAN, "op", op64, "seq",
                     (json_int_t)seq, "ref", "sheet:push");
}

static json_t *stored_msg(const char *to64, const char *ref)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "type", "sheet_key_stored", "bilan", BILAN, "to", to64, "ref", ref);
}

static json_t *closed_msg(json_t *kept)
{
    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:i}", "type", "bilan_closed", "bilan", BILAN, "closed",
                     1764547200, "deleted_ops", 0, "deleted_bytes", 0, "kept_sheets", kept, "kept_ops", 0);
}

/* ---- operations: made by a real replica, sealed for real ---- */

struct plain {
    uint8_t op[BP_WS_OPID_RAW];
    char sheet[SHEETS_ID_LEN + 1];
    char *json;
    size_t len;
};

struct plains {
    struct plain p[64];
    size_t n;
};

static int collect_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1], const char *json,
                      size_t len)
{
    struct plains *ps = arg;
    if (ps->n == 64)
        return 1;
    struct plain *p = &ps->p[ps->n++];
    memcpy(p->op, op, 16);
    snprintf(p->sheet, sizeof p->sheet, "%s", sheet);
    p->json = strndup(json, len);
    p->len = len;
    return 0;
}

static void plains_free(struct plains *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->p[i].json);
    ps->n = 0;
}

static struct sheets *replica(struct dev *d)
{
    char why[512];
    struct sheets *sh = NULL;
    CHECK_EQ_INT(sheets_open(d->ks, d->srv, BILAN, d->fp, d->role, &sh, why, sizeof why), 0);
    return sh;
}

static void set_text(struct sheets *sh, const char *sheet, const char *field, const char *text)
{
    char why[512];
    json_t *v = json_string(text);
    int rc = sheets_set(sh, sheet, field, v, why, sizeof why);
    if (rc)
        fprintf(stderr, "sheets_set %s: %s\n", field, why);
    CHECK_EQ_INT(rc, 0);
    json_decref(v);
}

/* The consultant c makes sheets (nsheets) with demande_mots set on each:
 * their operations, in order, into ps (marked sent on c's side). */
static void consultant_ops(struct dev *c, int nsheets, const char *text, struct plains *ps,
                           char sheets_out[][SHEETS_ID_LEN + 1])
{
    char why[512];
    struct sheets *sh = replica(c);
    for (int i = 0; i < nsheets; i++) {
        CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheets_out[i], why, sizeof why), 0);
        set_text(sh, sheets_out[i], "demande_mots", text);
    }
    size_t first = ps->n;
    CHECK_EQ_INT(sheets_pending_each(sh, collect_cb, ps), 0);
    for (size_t i = first; i < ps->n; i++)
        CHECK_EQ_INT(sheets_mark_pushed(sh, ps->p[i].op, 1000 + (long long)i), 0);
    sheets_close(sh);
}

static char *seal64(const uint8_t k[BP_WS_KEY_LEN], const uint8_t op[16], const uint8_t author[BP_FP_LEN],
                    const char *json, size_t len)
{
    uint8_t *sealed = malloc(len + BP_WS_SEAL_OVERHEAD);
    char *b64 = malloc(BP_WS_SEALED_B64_MAX + 1);
    long n = bp_ws_op_seal(k, BILAN, op, author, (const uint8_t *)json, len, sealed, len + BP_WS_SEAL_OVERHEAD);
    CHECK(n > 0);
    bp_b64_encode(sealed, n > 0 ? (size_t)n : 0, b64);
    free(sealed);
    return b64;
}

/* A sheet_ops entry as an honest server lists p, by author, sealed under k. */
static json_t *entry(long long seq, const struct plain *p, const struct dev *author, const uint8_t k[32])
{
    char op64[SHEETS_ID_LEN + 1];
    char *sealed = seal64(k, p->op, author->fp, p->json, p->len);
    bp_b64_encode(p->op, 16, op64);
    json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)seq, "op", op64, "sheet", p->sheet,
                          "author", author->fp64, "role", bp_role_name(author->role), "sealed", sealed);
    free(sealed);
    return e;
}

/* Opens a sheet_push this device sent: its plaintext (caller frees), or NULL. */
static char *open_push(const json_t *m, const uint8_t k[32], const struct dev *author)
{
    uint8_t op[16], sealed[4096];
    char *plain = calloc(1, 4096);
    int n = bp_b64_decode(bp_str(m, "sealed", ""), strlen(bp_str(m, "sealed", "")), sealed, sizeof sealed);
    if (bp_b64_decode_exact(bp_str(m, "op", ""), op, 16) || n < BP_WS_SEALED_MIN ||
        bp_ws_op_open(k, BILAN, op, author->fp, sealed, (size_t)n, (uint8_t *)plain, 4095) < 0) {
        free(plain);
        return NULL;
    }
    return plain;
}

static const char *value_of(struct dev *d, const char *sheet, const char *field)
{
    static char buf[256];
    struct sheets *sh = replica(d);
    json_t *v = sheets_values(sh, sheet);
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(v, field)) ?: "(none)");
    json_decref(v);
    sheets_close(sh);
    return buf;
}

static size_t ops_held(struct dev *d)
{
    struct sheets *sh = replica(d);
    size_t n = bp_ws_replica_count(sheets_replica(sh));
    sheets_close(sh);
    return n;
}

/* ---- the cases ---- */

/* A consultant with no key on a server that has none makes one, claims it
 * with a self-wrap of the right kid, and seals nothing before the claim is
 * stored; a second consultant device waits for a wrap; a claim refused
 * (another device was first) drops ours and takes the winner's. */
static void test_consultant_first_key(void)
{
    struct dev a, a2, a3;
    struct conn c;
    struct ks_dockey dk;
    char why[512], sheet[SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t w[BP_WS_WRAP_LEN], k[BP_WS_KEY_LEN];
    dev_make(&a, "a1", BP_ROLE_CONSULTANT);
    struct sheets *sh = replica(&a);
    CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheet, why, sizeof why), 0);
    set_text(sh, sheet, "demande_mots", "premier jet");
    sheets_close(sh);

    conn_open(&c, &a, 1);
    CHECK_EQ_INT(c.nsent, 1);
    CHECK_STR(last_type(&c), "sheet_key_get");
    CHECK_STR(bp_str(c.sent[0], "ref", ""), "sheet:keyget");
    srv(&c, keys_msg(NULL, NULL, "sheet:keyget"));
    CHECK_EQ_INT(ks_dockey_get(a.ks, a.srv, BILAN, &dk), 0);
    CHECK_EQ_INT(dk.claimed, 0);
    CHECK_EQ_INT(c.nsent, 2);
    json_t *put = nth(&c, "sheet_key_put", 0);
    CHECK(put != NULL);
    CHECK_STR(bp_str(put, "ref", ""), "sheet:claim");
    CHECK_STR(bp_str(put, "to", ""), a.fp64);
    CHECK_STR(bp_str(put, "kid", ""), dk.kid);
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(put, "wrap", ""), w, sizeof w), 0);
    CHECK_EQ_INT(bp_ws_key_unwrap(a.id.dh_priv, a.fp, a.id.dh_pub, a.fp, BILAN, w, k), 0);
    CHECK_MEM(k, dk.key, BP_WS_KEY_LEN);
    CHECK_EQ_INT(bp_ws_kid(k, kid), 0);
    CHECK_STR(kid, dk.kid);
    CHECK_EQ_INT(n_type(&c, "sheet_push"), 0); /* nothing sealed before the claim is stored */
    srv(&c, stored_msg(a.fp64, "sheet:claim"));
    CHECK_EQ_INT(ks_dockey_get(a.ks, a.srv, BILAN, &dk), 0);
    CHECK_EQ_INT(dk.claimed, 1);
    CHECK_EQ_INT(n_type(&c, "sheet_push"), 2);
    for (int i = 0; i < 2; i++) {
        json_t *p = nth(&c, "sheet_push", i);
        char *plain = p ? open_push(p, k, &a) : NULL;
        CHECK(plain != NULL);
        CHECK(plain && strstr(plain, i ? "premier jet" : "analyse_demande") != NULL);
        CHECK_STR(bp_str(p, "sheet", ""), sheet);
        free(plain);
        srv(&c, pushed_msg(bp_str(p, "op", ""), i + 1));
    }
    json_t *pull = nth(&c, "sheet_pull", 0);
    CHECK(pull != NULL);
    CHECK_EQ_INT(bp_int(pull, "after", -1), 2); /* our own two, next in order */
    srv(&c, ops_msg(json_array(), 0, "sheet:pull"));
    const struct sheet_sync_counts *n = sheet_sync_counts(c.s);
    CHECK(n->made_key && n->have_key && n->done);
    CHECK_EQ_INT(n->pushed, 2);
    CHECK_EQ_INT(n->pending_left, 0);
    CHECK(c.d.finished && c.d.exit_code == 0);
    CHECK(strstr(outs(&c), "[sheets] key made bilan=B1") != NULL);
    char k64[BP_B64_32 + 1];
    bp_b64_encode(k, sizeof k, k64);
    CHECK(!strstr(outs(&c), k64) && !strstr(errs(&c), k64) && !strstr(errs(&c), bp_str(put, "wrap", "")));
    conn_close(&c);

    /* Another consultant device, no key, the bilan has one: it makes none. */
    dev_make(&a2, "a2", BP_ROLE_CONSULTANT);
    conn_open(&c, &a2, 1);
    srv(&c, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(c.nsent, 1);
    CHECK_EQ_INT(key_held(&a2, k), 0);
    CHECK(c.d.finished && c.d.exit_code == EXIT_REFUSED);
    CHECK(strstr(outs(&c), "[sheets] no key") != NULL);
    conn_close(&c);

    /* A claim refused: ours goes, we ask again and take a's wrap. */
    dev_make(&a3, "a3", BP_ROLE_CONSULTANT);
    trust(&a3, &a, BILAN);
    conn_open(&c, &a3, 1);
    srv(&c, keys_msg(NULL, NULL, "sheet:keyget"));
    CHECK_STR(last_type(&c), "sheet_key_put");
    srv_err(&c, "sheet:claim", "invalid_field");
    CHECK_EQ_INT(key_held(&a3, k), 0);
    CHECK_EQ_INT(n_type(&c, "sheet_key_get"), 2);
    srv(&c, keys_msg(kid, one(wrap_entry(&a, a.fp, &a, &a3, BILAN, k)), "sheet:keyget"));
    CHECK_EQ_INT(key_held(&a3, k), 1);
    CHECK_STR(last_type(&c), "sheet_pull");
    conn_close(&c);
    dev_free(&a);
    dev_free(&a2);
    dev_free(&a3);
}

/* A beneficiary takes a wrap from a device it authenticated, pulls and
 * applies, then pushes its own edit sealed under that key; in the room a
 * wrap that comes later starts the catch-up. */
static void test_beneficiary_trusted(void)
{
    struct dev c, b, b2;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN];
    struct ks_dockey dk;
    dev_make(&c, "c2", BP_ROLE_CONSULTANT);
    dev_make(&b, "b2", BP_ROLE_BENEFICIARY);
    trust(&b, &c, BILAN);
    key_new(k, kid);
    consultant_ops(&c, 1, "Je veux changer", &ps, sheets_);
    CHECK_EQ_INT(ps.n, 2);

    conn_open(&x, &b, 1);
    srv(&x, keys_msg(kid, one(wrap_entry(&c, c.fp, &c, &b, BILAN, k)), "sheet:keyget"));
    CHECK_EQ_INT(key_held(&b, k), 1);
    CHECK_EQ_INT(ks_dockey_get(b.ks, b.srv, BILAN, &dk), 0);
    CHECK_EQ_INT(dk.claimed, 1);
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 0);
    CHECK_STR(last_type(&x), "sheet_pull");
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 0), "after", -1), 0);
    json_t *ops = json_array();
    for (size_t i = 0; i < ps.n; i++)
        json_array_append_new(ops, entry((long long)i + 1, &ps.p[i], &c, k));
    srv(&x, ops_msg(ops, 0, "sheet:pull"));
    const struct sheet_sync_counts *n = sheet_sync_counts(x.s);
    CHECK_EQ_INT(n->received, 2);
    CHECK_EQ_INT(n->refused, 0);
    CHECK(n->done && x.d.finished && x.d.exit_code == 0);
    CHECK_STR(value_of(&b, sheets_[0], "demande_mots"), "Je veux changer");
    conn_close(&x);

    struct sheets *sh = replica(&b);
    set_text(sh, sheets_[0], "demande_mots", "Je veux changer de métier");
    sheets_close(sh);
    conn_open(&x, &b, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 1);
    json_t *p = nth(&x, "sheet_push", 0);
    char *plain = p ? open_push(p, k, &b) : NULL;
    CHECK(plain && strstr(plain, "de métier") != NULL);
    free(plain);
    CHECK_STR(bp_str(p, "sheet", ""), sheets_[0]);
    srv(&x, pushed_msg(bp_str(p, "op", ""), 3));
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 0), "after", -1), 3);
    srv(&x, ops_msg(json_array(), 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->pushed, 1);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->pending_left, 0);
    conn_close(&x);

    /* In the room: no key yet, then the wrap comes live (no ref). */
    dev_make(&b2, "b2bis", BP_ROLE_BENEFICIARY);
    trust(&b2, &c, BILAN);
    conn_open(&x, &b2, 0);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(x.nsent, 1);
    CHECK(!x.d.finished);
    srv(&x, keys_msg(kid, one(wrap_entry(&c, c.fp, &c, &b2, BILAN, k)), NULL));
    CHECK_EQ_INT(key_held(&b2, k), 1);
    CHECK_STR(last_type(&x), "sheet_pull");
    conn_close(&x);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&b);
    dev_free(&b2);
}

/* d's replica gets author's operations (as if pulled before) and one edit
 * of its own, pending. */
static void seed(struct dev *d, const struct plains *ps, const struct dev *author)
{
    char why[512];
    struct sheets *sh = replica(d);
    for (size_t i = 0; i < ps->n; i++)
        CHECK_EQ_INT(sheets_apply_remote(sh, (long long)i + 1, ps->p[i].op, ps->p[i].sheet, author->fp,
                                         author->role, ps->p[i].json, ps->p[i].len, why, sizeof why),
                     0);
    set_text(sh, ps->p[0].sheet, "demande_mots", "modifié sur cet appareil");
    CHECK_EQ_INT(sheets_pending_count(sh), 1);
    sheets_close(sh);
}

/* Wraps that must be ignored: no key stored, nothing pushed or pulled. */
static void test_untrusted_wraps(void)
{
    struct dev c, u, x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], kid2[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN], k2[BP_WS_KEY_LEN];
    dev_make(&c, "c3", BP_ROLE_CONSULTANT);
    dev_make(&u, NULL, BP_ROLE_CONSULTANT); /* a device of the server's making */
    dev_make(&x, NULL, BP_ROLE_BENEFICIARY);
    key_new(k, kid);
    key_new(k2, kid2);
    consultant_ops(&c, 1, "texte", &ps, sheets_);
    for (int i = 0; i < 8; i++) {
        struct dev d;
        struct conn cn;
        char name[16];
        snprintf(name, sizeof name, "u%d", i);
        dev_make(&d, name, BP_ROLE_BENEFICIARY);
        trust(&d, &c, BILAN);
        seed(&d, &ps, &c);
        json_t *e = NULL;
        const char *mkid = kid2, *said = "";
        switch (i) {
        case 0: /* from a device never authenticated */
            e = wrap_entry(&u, u.fp, &u, &d, BILAN, k2);
            said = "never authenticated";
            break;
        case 1: /* authenticated, but in another bilan's room */
            bilan_row(&d, "B2");
            trust(&d, &u, "B2");
            e = wrap_entry(&u, u.fp, &u, &d, BILAN, k2);
            said = "never authenticated";
            break;
        case 2: /* said to come from c, with u's keys (and made by u) */
            e = wrap_entry(&u, c.fp, &u, &d, BILAN, k2);
            said = "do not match its fingerprint";
            break;
        case 3: /* from c, but of another key than the bilan's kid */
            e = wrap_entry(&c, c.fp, &c, &d, BILAN, k2);
            mkid = kid;
            said = "not the bilan's";
            break;
        case 4: /* made for another bilan */
            e = wrap_entry(&c, c.fp, &c, &d, "B2", k);
            mkid = kid;
            said = "does not open";
            break;
        case 5: /* made for another device */
            e = wrap_entry(&c, c.fp, &c, &x, BILAN, k);
            mkid = kid;
            said = "does not open";
            break;
        case 6: /* a wrap cut short */
            e = wrap_entry(&c, c.fp, &c, &d, BILAN, k);
            json_object_set_new(e, "wrap", json_string("AAAA"));
            mkid = kid;
            said = "malformed";
            break;
        case 7: /* a good wrap, but the server names no kid */
            e = wrap_entry(&c, c.fp, &c, &d, BILAN, k);
            mkid = NULL;
            said = "malformed";
            break;
        }
        conn_open(&cn, &d, 1);
        srv(&cn, keys_msg(mkid, one(e), "sheet:keyget"));
        if (key_held(&d, k) || key_held(&d, k2) || cn.nsent != 1 || !strstr(errs(&cn), said))
            fprintf(stderr, "untrusted wrap case %d taken or not said: %s\n", i, errs(&cn));
        CHECK_EQ_INT(key_held(&d, k), 0);
        CHECK_EQ_INT(key_held(&d, k2), 0);
        CHECK_EQ_INT(cn.nsent, 1); /* the key_get only: no push, no pull */
        CHECK(strstr(errs(&cn), said) != NULL);
        CHECK_EQ_INT(sheet_sync_counts(cn.s)->have_key, 0);
        CHECK_EQ_INT(sheet_sync_counts(cn.s)->pending_left, 1);
        CHECK(cn.d.finished && cn.d.exit_code == EXIT_REFUSED);
        conn_close(&cn);
        dev_free(&d);
    }
    plains_free(&ps);
    dev_free(&c);
    dev_free(&u);
    dev_free(&x);
}

/* The server announces another kid than our claimed key: nothing is sent,
 * not even under a wrap of that other key from a trusted device. An
 * unclaimed key of ours (a lost race) gives way to the winner's. */
static void test_other_kid(void)
{
    struct dev a, c, a2;
    struct conn x;
    char why[512], sheet[SHEETS_ID_LEN + 1], kida[BP_WS_KID_LEN + 1], kidb[BP_WS_KID_LEN + 1];
    uint8_t ka[BP_WS_KEY_LEN], kb[BP_WS_KEY_LEN];
    dev_make(&a, "o1", BP_ROLE_CONSULTANT);
    dev_make(&c, NULL, BP_ROLE_CONSULTANT);
    trust(&a, &c, BILAN);
    key_new(ka, kida);
    key_new(kb, kidb);
    key_store(&a, ka, 1);
    struct sheets *sh = replica(&a);
    CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheet, why, sizeof why), 0);
    sheets_close(sh);
    conn_open(&x, &a, 1);
    json_t *other = keys_msg(kida, NULL, "sheet:keyget");
    json_object_set_new(other, "bilan", json_string("B2")); /* another bilan's answer */
    srv(&x, other);
    CHECK(!x.d.finished && x.nsent == 1);
    srv(&x, keys_msg(kidb, one(wrap_entry(&c, c.fp, &c, &a, BILAN, kb)), "sheet:keyget"));
    CHECK_EQ_INT(x.nsent, 1);
    CHECK_EQ_INT(key_held(&a, ka), 1);
    CHECK(x.d.finished && x.d.exit_code == EXIT_REFUSED);
    CHECK(strstr(errs(&x), "autre clé des fiches") != NULL);
    conn_close(&x);

    dev_make(&a2, "o2", BP_ROLE_CONSULTANT);
    trust(&a2, &c, BILAN);
    key_store(&a2, ka, 0);
    sh = replica(&a2);
    CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheet, why, sizeof why), 0);
    sheets_close(sh);
    conn_open(&x, &a2, 1);
    srv(&x, keys_msg(kidb, one(wrap_entry(&c, c.fp, &c, &a2, BILAN, kb)), "sheet:keyget"));
    CHECK_EQ_INT(key_held(&a2, kb), 1);
    json_t *p = nth(&x, "sheet_push", 0);
    char *plain = p ? open_push(p, kb, &a2) : NULL;
    CHECK(plain != NULL);
    free(plain);
    conn_close(&x);
    dev_free(&a);
    dev_free(&c);
    dev_free(&a2);
}

/* A beneficiary with the key, trusting c; ready to pull (after 0). */
static void with_key(struct dev *b, const char *name, struct dev *c, const uint8_t k[32], struct conn *x,
                     int end_when_done)
{
    char kid[BP_WS_KID_LEN + 1];
    dev_make(b, name, BP_ROLE_BENEFICIARY);
    trust(b, c, BILAN);
    key_store(b, k, 1);
    bp_ws_kid(k, kid);
    conn_open(x, b, end_when_done);
    srv(x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_STR(last_type(x), "sheet_pull");
}

/* Operations that do not open, do not match what the server lists of them,
 * or are malformed: refused and counted, the others apply, `after` moves
 * past them all. */
static void test_ops_refused(void)
{
    struct dev c, u, b;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[2][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], kid2[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN], k2[BP_WS_KEY_LEN], fresh[16];
    dev_make(&c, "c5", BP_ROLE_CONSULTANT);
    dev_make(&u, NULL, BP_ROLE_CONSULTANT);
    key_new(k, kid);
    key_new(k2, kid2);
    consultant_ops(&c, 2, "texte", &ps, sheets_); /* create s0, set s0, create s1, set s1 */
    CHECK_EQ_INT(ps.n, 4);
    with_key(&b, "b5", &c, k, &x, 1);

    json_t *ops = json_array(), *e;
    char op64[SHEETS_ID_LEN + 1], *sealed;
    json_array_append_new(ops, entry(1, &ps.p[0], &c, k));
    json_array_append_new(ops, entry(2, &ps.p[1], &c, k2)); /* sealed under another key */
    e = entry(3, &ps.p[2], &c, k);                          /* listed in another sheet */
    json_object_set_new(e, "sheet", json_string(sheets_[0]));
    json_array_append_new(ops, e);
    /* s1's set sealed and listed as s0's set: the plaintext says another op id */
    bp_b64_encode(ps.p[1].op, 16, op64);
    sealed = seal64(k, ps.p[1].op, c.fp, ps.p[3].json, ps.p[3].len);
    json_array_append_new(ops, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "seq", 4, "op", op64, "sheet",
                                         sheets_[1], "author", c.fp64, "role", "consultant", "sealed", sealed));
    free(sealed);
    /* c's create sealed and listed as u's: the plaintext says another author */
    bp_b64_encode(ps.p[2].op, 16, op64);
    sealed = seal64(k, ps.p[2].op, u.fp, ps.p[2].json, ps.p[2].len);
    json_array_append_new(ops, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "seq", 5, "op", op64, "sheet",
                                         sheets_[1], "author", u.fp64, "role", "consultant", "sealed", sealed));
    free(sealed);
    e = entry(6, &ps.p[1], &c, k); /* malformed: an op id that is not one */
    json_object_set_new(e, "op", json_string("x"));
    json_array_append_new(ops, e);
    e = entry(7, &ps.p[1], &c, k); /* sealed bytes too short */
    json_object_set_new(e, "sealed", json_string("AAAA"));
    json_array_append_new(ops, e);
    memset(fresh, 0x5A, sizeof fresh); /* sealed right, but not an operation */
    bp_b64_encode(fresh, 16, op64);
    sealed = seal64(k, fresh, c.fp, "{\"nope\":1}", 10);
    json_array_append_new(ops, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "seq", 8, "op", op64, "sheet",
                                         sheets_[1], "author", c.fp64, "role", "consultant", "sealed", sealed));
    free(sealed);
    json_array_append_new(ops, entry(9, &ps.p[1], &c, k));
    json_array_append_new(ops, entry(10, &ps.p[2], &c, k));
    json_array_append_new(ops, entry(11, &ps.p[3], &c, k));
    srv(&x, ops_msg(ops, 1, "sheet:pull"));

    const struct sheet_sync_counts *n = sheet_sync_counts(x.s);
    CHECK_EQ_INT(n->received, 4);
    CHECK_EQ_INT(n->refused, 7);
    for (int seq = 2; seq <= 8; seq++) {
        char line[32];
        snprintf(line, sizeof line, "seq=%d not applied", seq);
        CHECK(strstr(errs(&x), line) != NULL);
    }
    CHECK(strstr(errs(&x), "seq=9 ") == NULL);
    CHECK(strstr(errs(&x), "seq=2 not applied: does not open") != NULL);
    CHECK_STR(value_of(&b, sheets_[0], "demande_mots"), "texte");
    CHECK_STR(value_of(&b, sheets_[1], "demande_mots"), "texte");
    CHECK_EQ_INT(ops_held(&b), 4);
    /* `more`: the next pull starts past every one of them */
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 2);
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 1), "after", -1), 11);
    /* A page whose last operation is refused: the next pull is past it. */
    srv(&x, ops_msg(one(entry(12, &ps.p[1], &c, k2)), 1, "sheet:pull"));
    CHECK_EQ_INT(n->refused, 8);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 3);
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 2), "after", -1), 12);
    /* A repeat of what was passed over is not looked at again. */
    e = entry(3, &ps.p[2], &c, k);
    json_object_set_new(e, "sheet", json_string(sheets_[0]));
    srv(&x, ops_msg(one(e), 0, "sheet:pull"));
    CHECK_EQ_INT(n->refused, 8);
    CHECK(n->done && x.d.exit_code == 0);
    conn_close(&x);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&u);
    dev_free(&b);
}

/* A seq past what a pull can name (sheet_pull's `after` is at most 2^50):
 * refused, `after` stays, the next pull is still a valid message. */
static void test_seq_bounds(void)
{
    struct dev c, b;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN];
    dev_make(&c, "c6", BP_ROLE_CONSULTANT);
    key_new(k, kid);
    consultant_ops(&c, 1, "texte", &ps, sheets_);
    with_key(&b, "b6", &c, k, &x, 1);
    json_t *ops = json_array();
    json_array_append_new(ops, entry(1, &ps.p[0], &c, k));
    json_array_append_new(ops, entry((1LL << 50) + 1, &ps.p[1], &c, k));
    srv(&x, ops_msg(ops, 1, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->refused, 1);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 1);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 2);
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 1), "after", -1), 1);
    CHECK(!x.d.finished);
    conn_close(&x);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&b);
}

/* A device without the key takes no operation, not even a pull's answer it
 * did not ask for: without a key, the sync's key is all zeros, which anyone
 * can seal under. */
static void test_no_key_no_ops(void)
{
    struct dev c, b;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN], zero[BP_WS_KEY_LEN];
    memset(zero, 0, sizeof zero);
    dev_make(&c, "c9", BP_ROLE_CONSULTANT);
    dev_make(&b, "b9", BP_ROLE_BENEFICIARY);
    key_new(k, kid);
    consultant_ops(&c, 1, "écrit par le serveur", &ps, sheets_);
    conn_open(&x, &b, 0);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->have_key, 0);
    json_t *ops = json_array();
    for (size_t i = 0; i < ps.n; i++)
        json_array_append_new(ops, entry((long long)i + 1, &ps.p[i], &c, zero));
    srv(&x, ops_msg(ops, 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 0);
    CHECK_EQ_INT(ops_held(&b), 0);
    srv(&x, ops_msg(one(entry(1, &ps.p[0], &c, zero)), 0, NULL)); /* live */
    CHECK_EQ_INT(ops_held(&b), 0);
    CHECK_EQ_INT(x.nsent, 1);
    conn_close(&x);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&b);
}

/* In the room: a live operation next in order is applied; one after a gap
 * is a pull from where we are. */
static void test_live_gap(void)
{
    struct dev c, b;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[2][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN];
    dev_make(&c, "c7", BP_ROLE_CONSULTANT);
    key_new(k, kid);
    consultant_ops(&c, 2, "texte", &ps, sheets_);
    with_key(&b, "b7", &c, k, &x, 0);
    srv(&x, ops_msg(one(entry(1, &ps.p[0], &c, k)), 0, "sheet:pull"));
    CHECK(sheet_sync_counts(x.s)->done && !x.d.finished);
    json_t *other = ops_msg(one(entry(2, &ps.p[1], &c, k)), 0, NULL);
    json_object_set_new(other, "bilan", json_string("B2")); /* another bilan's: not ours */
    srv(&x, other);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 1);
    srv(&x, ops_msg(one(entry(2, &ps.p[1], &c, k)), 0, NULL));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 2);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 1);
    srv(&x, ops_msg(one(entry(4, &ps.p[3], &c, k)), 0, NULL)); /* 3 is missing */
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 2);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 2);
    CHECK_EQ_INT(bp_int(nth(&x, "sheet_pull", 1), "after", -1), 2);
    json_t *ops = json_array();
    json_array_append_new(ops, entry(3, &ps.p[2], &c, k));
    json_array_append_new(ops, entry(4, &ps.p[3], &c, k));
    srv(&x, ops_msg(ops, 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 4);
    CHECK_EQ_INT(ops_held(&b), 4);
    conn_close(&x);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&b);
}

/* A push refused with rate_limited: no push after it, the rest stays
 * pending, the pull still comes once every push in flight is answered;
 * the next sync starts from the first one not stored. */
static void test_rate_limited(void)
{
    struct dev a;
    struct conn x;
    char why[512], sheet[SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], text[32];
    uint8_t k[BP_WS_KEY_LEN];
    dev_make(&a, "r1", BP_ROLE_CONSULTANT);
    key_new(k, kid);
    key_store(&a, k, 1);
    struct sheets *sh = replica(&a);
    CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheet, why, sizeof why), 0);
    for (int i = 0; i < 39; i++) {
        snprintf(text, sizeof text, "version %d", i);
        set_text(sh, sheet, "demande_mots", text);
    }
    CHECK_EQ_INT(sheets_pending_count(sh), 40);
    sheets_close(sh);
    conn_open(&x, &a, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 32); /* the window */
    char second[SHEETS_ID_LEN + 1];
    snprintf(second, sizeof second, "%s", bp_str(nth(&x, "sheet_push", 1), "op", ""));
    srv(&x, pushed_msg(bp_str(nth(&x, "sheet_push", 0), "op", ""), 1));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 33);
    srv_err(&x, "sheet:push", "rate_limited");
    CHECK(strstr(errs(&x), "limite les envois") != NULL);
    for (int i = 0; i < 31; i++) {
        CHECK_EQ_INT(n_type(&x, "sheet_pull"), 0);
        srv_err(&x, "sheet:push", "rate_limited");
    }
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 33);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 1);
    srv(&x, ops_msg(json_array(), 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->pushed, 1);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->pending_left, 39);
    CHECK(x.d.finished && x.d.exit_code == 0);
    conn_close(&x);
    conn_open(&x, &a, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 32);
    CHECK_STR(bp_str(nth(&x, "sheet_push", 0), "op", ""), second);
    conn_close(&x);
    dev_free(&a);
}

/* A sheet_pushed for an operation this sync did not send (still waiting
 * outside the window, or unknown): nothing is marked pushed, `after` does
 * not move, so the operation is still sent, now or at the next sync. */
static void test_pushed_unsent(void)
{
    struct dev a;
    struct conn x;
    struct plains ps = {.n = 0};
    char why[512], sheet[SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], op64[SHEETS_ID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN];
    dev_make(&a, "q1", BP_ROLE_CONSULTANT);
    key_new(k, kid);
    key_store(&a, k, 1);
    struct sheets *sh = replica(&a);
    CHECK_EQ_INT(sheets_new(sh, "analyse_demande", sheet, why, sizeof why), 0);
    for (int i = 0; i < 39; i++)
        set_text(sh, sheet, "demande_mots", i % 2 ? "pair" : "impair");
    CHECK_EQ_INT(sheets_pending_each(sh, collect_cb, &ps), 0);
    sheets_close(sh);
    CHECK_EQ_INT(ps.n, 40);
    conn_open(&x, &a, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 32);
    bp_b64_encode(ps.p[34].op, 16, op64); /* the 35th: not sent yet */
    srv(&x, pushed_msg(op64, 1));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->pushed, 0);
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 32);
    conn_close(&x); /* the connection drops */
    sh = replica(&a);
    CHECK_EQ_INT(sheets_pending_count(sh), 40);
    CHECK_EQ_INT(sheets_after(sh), 0);
    sheets_close(sh);
    plains_free(&ps);
    dev_free(&a);
}

/* bilan_closed: the replica of the sheets not kept goes, and the key too
 * when nothing is kept; nothing is sent or applied after. */
static void test_closed(void)
{
    struct dev c, b, b2, b3;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[2][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN];
    dev_make(&c, "c8", BP_ROLE_CONSULTANT);
    key_new(k, kid);
    consultant_ops(&c, 2, "texte", &ps, sheets_);
    json_t *ops = json_array();
    for (size_t i = 0; i < ps.n; i++)
        json_array_append_new(ops, entry((long long)i + 1, &ps.p[i], &c, k));

    with_key(&b, "b8", &c, k, &x, 0);
    srv(&x, ops_msg(json_deep_copy(ops), 0, "sheet:pull"));
    CHECK_EQ_INT(ops_held(&b), 4);
    int sent = x.nsent;
    srv(&x, closed_msg(json_pack("[s]", sheets_[0])));
    CHECK_EQ_INT(ops_held(&b), 2);
    CHECK_STR(value_of(&b, sheets_[0], "demande_mots"), "texte");
    CHECK_EQ_INT(key_held(&b, k), 1);
    CHECK(sheet_sync_counts(x.s)->closed);
    srv(&x, ops_msg(one(entry(5, &ps.p[3], &c, k)), 0, NULL));
    sheet_sync_hooks.on_ready(x.s, &x.d, ++x.now);
    CHECK_EQ_INT(x.nsent, sent);
    conn_close(&x);

    with_key(&b2, "b8bis", &c, k, &x, 1);
    srv(&x, ops_msg(json_deep_copy(ops), 0, "sheet:pull"));
    srv(&x, closed_msg(json_array()));
    CHECK_EQ_INT(ops_held(&b2), 0);
    CHECK_EQ_INT(key_held(&b2, k), 0);
    srv(&x, keys_msg(kid, one(wrap_entry(&c, c.fp, &c, &b2, BILAN, k)), NULL)); /* too late */
    CHECK_EQ_INT(key_held(&b2, k), 0);
    CHECK(x.d.finished && x.d.exit_code == 0);
    conn_close(&x);

    /* Refused with bilan_closed while pushing: the same shredding. */
    dev_make(&b3, "b8ter", BP_ROLE_BENEFICIARY);
    trust(&b3, &c, BILAN);
    key_store(&b3, k, 1);
    seed(&b3, &ps, &c);
    conn_open(&x, &b3, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_push"), 1);
    srv_err(&x, "sheet:push", "bilan_closed");
    CHECK_EQ_INT(ops_held(&b3), 0);
    CHECK_EQ_INT(key_held(&b3, k), 0);
    struct sheets *sh = replica(&b3);
    CHECK_EQ_INT(sheets_pending_count(sh), 0);
    sheets_close(sh);
    CHECK_EQ_INT(n_type(&x, "sheet_pull"), 0);
    conn_close(&x);
    json_decref(ops);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&b);
    dev_free(&b2);
    dev_free(&b3);
}

static struct e2e_remember remember(const struct dev *p)
{
    struct e2e_remember r;
    memset(&r, 0, sizeof r);
    memcpy(r.fp, p->fp, BP_FP_LEN);
    r.role = p->role;
    memcpy(r.sign_pub, p->id.sign_pub, BP_KEY_LEN);
    memcpy(r.dh_pub, p->id.dh_pub, BP_KEY_LEN);
    r.verified = 1;
    r.method = "sas";
    return r;
}

/* A peer authenticated in the room gets one wrap of the key it can open,
 * once: not again when it is remembered twice, nor on the next visit. */
static void test_peer_once(void)
{
    struct dev a, p, q, b;
    struct conn x;
    char kid[BP_WS_KID_LEN + 1];
    uint8_t k[BP_WS_KEY_LEN], w[BP_WS_WRAP_LEN], got[BP_WS_KEY_LEN];
    dev_make(&a, "p1", BP_ROLE_CONSULTANT);
    dev_make(&p, NULL, BP_ROLE_BENEFICIARY);
    dev_make(&q, NULL, BP_ROLE_BENEFICIARY);
    key_new(k, kid);
    key_store(&a, k, 1);
    struct e2e_remember rp = remember(&p), rq = remember(&q);

    conn_open(&x, &a, 0);
    sheet_sync_peer(x.s, &x.d, &rp); /* before the key is confirmed: it waits */
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 0);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 1);
    json_t *put = nth(&x, "sheet_key_put", 0);
    CHECK_STR(bp_str(put, "to", ""), p.fp64);
    CHECK_STR(bp_str(put, "kid", ""), kid);
    CHECK_STR(bp_str(put, "ref", ""), "sheet:wrap");
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(put, "wrap", ""), w, sizeof w), 0);
    CHECK_EQ_INT(bp_ws_key_unwrap(p.id.dh_priv, p.fp, a.id.dh_pub, a.fp, BILAN, w, got), 0);
    CHECK_MEM(got, k, BP_WS_KEY_LEN);
    sheet_sync_peer(x.s, &x.d, &rp); /* remembered again before the server answered */
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 1);
    srv(&x, stored_msg(p.fp64, "sheet:wrap"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->wraps_given, 1);
    sheet_sync_peer(x.s, &x.d, &rp);
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 1);
    srv(&x, ops_msg(json_array(), 0, "sheet:pull"));
    sheet_sync_peer(x.s, &x.d, &rq); /* in the room, live: at once */
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 2);
    CHECK_STR(bp_str(nth(&x, "sheet_key_put", 1), "to", ""), q.fp64);
    srv(&x, stored_msg(q.fp64, "sheet:wrap"));
    conn_close(&x);
    /* The next visit: both remembered again, neither wrapped again. */
    conn_open(&x, &a, 0);
    sheet_sync_peer(x.s, &x.d, &rp);
    sheet_sync_peer(x.s, &x.d, &rq);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    sheet_sync_peer(x.s, &x.d, &rp);
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 0);
    conn_close(&x);
    /* A device without the key gives nothing. */
    dev_make(&b, "p2", BP_ROLE_BENEFICIARY);
    conn_open(&x, &b, 0);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    sheet_sync_peer(x.s, &x.d, &rp);
    CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 0);
    conn_close(&x);
    dev_free(&a);
    dev_free(&p);
    dev_free(&q);
    dev_free(&b);
}

/* The server refuses: the key_get (not a member) ends `bilan sheet sync`
 * with 2 and nothing else is sent; a refused wrap is not marked given, so
 * the next visit wraps again. An operation the rules hold (a beneficiary's
 * value in a consultant's field) is stored, counted held and said. */
static void test_refusals_and_held(void)
{
    struct dev a, b, c, p, w;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], why[512];
    uint8_t k[BP_WS_KEY_LEN];
    key_new(k, kid);
    dev_make(&b, "f1", BP_ROLE_BENEFICIARY);
    conn_open(&x, &b, 1);
    srv_err(&x, "sheet:keyget", "not_member");
    CHECK(x.d.finished && x.d.exit_code == EXIT_REFUSED);
    CHECK_EQ_INT(x.nsent, 1);
    CHECK(strstr(errs(&x), "refusé la synchronisation") != NULL);
    conn_close(&x);

    dev_make(&a, "f2", BP_ROLE_CONSULTANT);
    dev_make(&p, NULL, BP_ROLE_BENEFICIARY);
    key_store(&a, k, 1);
    struct e2e_remember rp = remember(&p);
    for (int visit = 0; visit < 2; visit++) {
        conn_open(&x, &a, 0);
        srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
        sheet_sync_peer(x.s, &x.d, &rp);
        CHECK_EQ_INT(n_type(&x, "sheet_key_put"), 1); /* the first visit's refusal marked nothing */
        srv_err(&x, "sheet:wrap", "invalid_field");
        CHECK_EQ_INT(sheet_sync_counts(x.s)->wraps_given, 0);
        CHECK(!x.d.finished);
        conn_close(&x);
    }

    dev_make(&c, "f3", BP_ROLE_CONSULTANT);
    consultant_ops(&c, 1, "texte", &ps, sheets_);
    dev_make(&w, "f4", BP_ROLE_CONSULTANT); /* makes the edit a consultant may make... */
    struct sheets *sh = replica(&w);
    for (size_t i = 0; i < ps.n; i++)
        CHECK_EQ_INT(sheets_apply_remote(sh, (long long)i + 1, ps.p[i].op, ps.p[i].sheet, c.fp, c.role,
                                         ps.p[i].json, ps.p[i].len, why, sizeof why),
                     0);
    json_t *v = json_integer(2);
    CHECK_EQ_INT(sheets_set(sh, sheets_[0], "urgence", v, why, sizeof why), 0);
    json_decref(v);
    size_t first = ps.n;
    CHECK_EQ_INT(sheets_pending_each(sh, collect_cb, &ps), 0);
    sheets_close(sh);
    CHECK_EQ_INT(ps.n, first + 1);
    w.role = BP_ROLE_BENEFICIARY; /* ...but the bilan lists it as a beneficiary's device */
    struct dev r;
    with_key(&r, "f5", &c, k, &x, 1);
    json_t *ops = json_array();
    for (size_t i = 0; i < first; i++)
        json_array_append_new(ops, entry((long long)i + 1, &ps.p[i], &c, k));
    json_array_append_new(ops, entry((long long)first + 1, &ps.p[first], &w, k));
    srv(&x, ops_msg(ops, 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->received, 3);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->held, 1);
    CHECK_EQ_INT(sheet_sync_counts(x.s)->refused, 0);
    CHECK(strstr(errs(&x), "seq=3 held") != NULL);
    CHECK_EQ_INT(ops_held(&r), 3);
    conn_close(&x);
    plains_free(&ps);
    dev_free(&a);
    dev_free(&b);
    dev_free(&c);
    dev_free(&p);
    dev_free(&w);
    dev_free(&r);
}

/* A device this one authenticated in the room as the beneficiary's: the
 * server lists its edit of a consultant's field as a consultant's; the role
 * seen in the room wins (PROTOCOL.md §10.1): the edit is held, not applied. */
static void test_room_role_wins(void)
{
    struct dev c, w, r;
    struct conn x;
    struct plains ps = {.n = 0};
    char sheets_[1][SHEETS_ID_LEN + 1], kid[BP_WS_KID_LEN + 1], why[512];
    uint8_t k[BP_WS_KEY_LEN];
    key_new(k, kid);
    dev_make(&c, "g1", BP_ROLE_CONSULTANT);
    consultant_ops(&c, 1, "texte", &ps, sheets_);
    dev_make(&w, "g2", BP_ROLE_CONSULTANT); /* a replica that lets it write the field */
    struct sheets *sh = replica(&w);
    for (size_t i = 0; i < ps.n; i++)
        CHECK_EQ_INT(sheets_apply_remote(sh, (long long)i + 1, ps.p[i].op, ps.p[i].sheet, c.fp, c.role,
                                         ps.p[i].json, ps.p[i].len, why, sizeof why),
                     0);
    json_t *v = json_integer(4);
    CHECK_EQ_INT(sheets_set(sh, sheets_[0], "urgence", v, why, sizeof why), 0);
    json_decref(v);
    size_t first = ps.n;
    CHECK_EQ_INT(sheets_pending_each(sh, collect_cb, &ps), 0);
    sheets_close(sh);
    dev_make(&r, "g3", BP_ROLE_BENEFICIARY);
    trust(&r, &c, BILAN);
    w.role = BP_ROLE_BENEFICIARY; /* what r saw of w in the room */
    trust(&r, &w, BILAN);
    w.role = BP_ROLE_CONSULTANT; /* what the server lists */
    key_store(&r, k, 1);
    conn_open(&x, &r, 1);
    srv(&x, keys_msg(kid, NULL, "sheet:keyget"));
    json_t *ops = json_array();
    for (size_t i = 0; i < first; i++)
        json_array_append_new(ops, entry((long long)i + 1, &ps.p[i], &c, k));
    json_array_append_new(ops, entry((long long)first + 1, &ps.p[first], &w, k));
    srv(&x, ops_msg(ops, 0, "sheet:pull"));
    CHECK_EQ_INT(sheet_sync_counts(x.s)->held, 1);
    CHECK(strstr(errs(&x), "held") != NULL);
    conn_close(&x);
    struct sheets *rs = replica(&r);
    json_t *vals = sheets_values(rs, sheets_[0]);
    CHECK(vals && json_object_get(vals, "urgence") == NULL); /* not applied */
    json_decref(vals);
    sheets_close(rs);
    plains_free(&ps);
    dev_free(&c);
    dev_free(&w);
    dev_free(&r);
}

int main(void)
{
    CHECK(mkdtemp(root) != NULL);
    test_consultant_first_key();
    test_beneficiary_trusted();
    test_untrusted_wraps();
    test_other_kid();
    test_ops_refused();
    test_seq_bounds();
    test_no_key_no_ops();
    test_live_gap();
    test_rate_limited();
    test_pushed_unsent();
    test_closed();
    test_peer_once();
    test_refusals_and_held();
    test_room_role_wins();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_report();
}
