/* web_sheets_ref.c: the C side of the browser worksheets' interop tests
 * (tests/integration/test_web_sheets.py): what the native client's code
 * (bilanproto: ws_op, ws_seal, ws_merge, ws_template, ws_consent, ws_hlc)
 * makes of the same inputs the browser gets.
 *
 *   web_sheets_ref TEMPLATES_DIR < request.json > answer.json
 *
 * One JSON request on stdin, one JSON answer on stdout; bytes travel in
 * base64url. Commands ("cmd"):
 *   canon   {texts: [b64]}             -> {out: [b64 canonical | null]}
 *   seal    {key, bilan, items: [{op, author, plain}]} -> {sealed: [b64]}
 *   open    {key, bilan, items: [{op, author, sealed}]}
 *           -> {out: [{plain: b64|null, error: str|null, canon: b64|null}]}
 *   merge   {roles: {fp: role}, ops: [json text], orders: [[i...]]}
 *           -> {digests: [hex], count, skipped, status: {op: skip}}
 *   keygen  {} -> {sign_pub, sign_priv, dh_pub, dh_priv, fp}   (test keys)
 *   wrap    {dh_priv, fp, to_dh_pub, to_fp, bilan, key} -> {wrap, kid}
 *   unwrap  {dh_priv, fp, from_dh_pub, from_fp, bilan, wrap} -> {key|null, kid}
 *   consent {sign_pub, statement: b64, sig} -> {parse: "ok"|why, verify: bool, canon}
 *   hlc     {steps: [["local", now] | ["recv", ms, counter, now]]} -> {stamps: [[ms, c]]}
 *   template {items: [{text: b64, id}]} -> {out: ["ok" | French refusal]}
 * A test tool: it handles private test keys on purpose. Exit 0, or 1 with
 * the reason on stderr. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/ws_consent.h"
#include "bp/ws_hlc.h"
#include "bp/ws_merge.h"
#include "bp/ws_op.h"
#include "bp/ws_seal.h"
#include "bp/ws_template.h"

#define MAX_TEMPLATES 32

static struct bp_ws_template *tpl[MAX_TEMPLATES];
static size_t n_tpl;

static int die(const char *why)
{
    fprintf(stderr, "web_sheets_ref: %s\n", why);
    exit(1);
}

/* Decodes obj[name] (base64url) into a malloc'd buffer; *n its length. */
static uint8_t *bytes(const json_t *obj, const char *name, size_t *n)
{
    const char *s = json_string_value(json_object_get(obj, name));
    if (!s)
        die(name);
    size_t cap = strlen(s) * 3 / 4 + 3;
    uint8_t *out = malloc(cap);
    int r = out ? bp_b64_decode(s, strlen(s), out, cap) : -1;
    if (r < 0)
        die(name);
    *n = (size_t)r;
    return out;
}

static void exact(const json_t *obj, const char *name, uint8_t *out, size_t want)
{
    size_t n;
    uint8_t *b = bytes(obj, name, &n);
    if (n != want)
        die(name);
    memcpy(out, b, n);
    free(b);
}

static json_t *b64(const uint8_t *b, size_t n)
{
    char *s = malloc(bp_b64_len(n) + 1);
    if (!s)
        die("memory");
    bp_b64_encode(b, n, s);
    s[bp_b64_len(n)] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static void load_templates(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        die("templates folder");
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") || n_tpl == MAX_TEMPLATES)
            continue;
        char path[4096], id[64], why[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(id, sizeof id, "%.*s", (int)(l - 5), e->d_name);
        FILE *f = fopen(path, "rb");
        static char text[1 << 20];
        size_t n = f ? fread(text, 1, sizeof text, f) : 0;
        if (f)
            fclose(f);
        if (bp_ws_template_parse(text, n, id, &tpl[n_tpl], why, sizeof why))
            die(why);
        n_tpl++;
    }
    closedir(d);
}

/* ---- the rules: client/sheets.c rule_field, with the roles given ---- */

static json_t *roles;

static int rule_role(void *ctx, const char *device)
{
    (void)ctx;
    const char *r = json_string_value(json_object_get(roles, device));
    return !r ? 0 : !strcmp(r, "consultant") ? BP_WS_CONSULTANT : !strcmp(r, "beneficiary") ? BP_WS_BENEFICIARY : 0;
}

static int rule_field(void *ctx, const char *template_id, const char *field, const json_t *value, int author_role,
                      int *keeps, char *why, size_t cap)
{
    (void)ctx;
    *keeps = 0;
    const struct bp_ws_template *t = NULL;
    for (size_t i = 0; i < n_tpl && !t; i++)
        if (!strcmp(tpl[i]->id, template_id))
            t = tpl[i];
    if (!t)
        return BP_WS_UNKNOWN_TEMPLATE;
    if (!field)
        return 0;
    const struct bp_ws_field *f = bp_ws_template_field(t, field);
    if (!f)
        return BP_WS_UNKNOWN_FIELD;
    *keeps = f->kind == BP_WS_TEXT || f->kind == BP_WS_LIST;
    if (!(author_role & (int)f->editors))
        return BP_WS_ROLE;
    if (bp_ws_value_check(f, value, why, cap))
        return BP_WS_BAD_VALUE;
    return 0;
}

/* ---- commands ---- */

static json_t *cmd_canon(const json_t *req)
{
    json_t *out = json_array(), *t;
    size_t i;
    json_array_foreach(json_object_get(req, "texts"), i, t)
    {
        size_t n;
        json_t *one = json_object();
        json_object_set(one, "t", t);
        uint8_t *text = bytes(one, "t", &n);
        json_decref(one);
        json_error_t e;
        json_t *v = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, &e);
        char *s = v ? json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_array_append_new(out, s ? b64((const uint8_t *)s, strlen(s)) : json_null());
        free(s);
        json_decref(v);
        free(text);
    }
    return json_pack("{s:o}", "out", out);
}

static json_t *cmd_seal(const json_t *req, int open)
{
    uint8_t key[32], op[16], author[32];
    const char *bilan = json_string_value(json_object_get(req, "bilan"));
    exact(req, "key", key, 32);
    json_t *out = json_array(), *it;
    size_t i;
    json_array_foreach(json_object_get(req, "items"), i, it)
    {
        exact(it, "op", op, 16);
        exact(it, "author", author, 32);
        size_t n;
        uint8_t *in = bytes(it, open ? "sealed" : "plain", &n);
        uint8_t *buf = malloc(n + BP_WS_SEAL_OVERHEAD + 1);
        if (!open) {
            long r = bp_ws_op_seal(key, bilan, op, author, in, n, buf, n + BP_WS_SEAL_OVERHEAD);
            json_array_append_new(out, r > 0 ? b64(buf, (size_t)r) : json_null());
        } else {
            long r = bp_ws_op_open(key, bilan, op, author, in, n, buf, n + 1);
            json_t *o = json_pack("{s:n, s:n, s:n}", "plain", "error", "canon");
            if (r >= 0) {
                struct bp_ws_op parsed;
                struct bp_verr e = {0, ""};
                json_object_set_new(o, "plain", b64(buf, (size_t)r));
                if (bp_ws_op_parse((const char *)buf, (size_t)r, &parsed, &e)) {
                    json_object_set_new(o, "error", json_string(e.detail));
                } else {
                    size_t cl;
                    char *c = bp_ws_op_encode(&parsed, &cl);
                    json_object_set_new(o, "canon", c ? b64((const uint8_t *)c, cl) : json_null());
                    free(c);
                }
                bp_ws_op_clear(&parsed);
            }
            json_array_append_new(out, o);
        }
        free(in);
        free(buf);
    }
    return json_pack("{s:o}", open ? "out" : "sealed", out);
}

static json_t *cmd_merge(const json_t *req)
{
    struct bp_ws_rules rules = {.ctx = NULL, .device_role = rule_role, .field_check = rule_field};
    const json_t *ops = json_object_get(req, "ops"), *order;
    roles = json_object_get(req, "roles");
    json_t *digests = json_array(), *status = json_object();
    size_t i, count = 0, skipped = 0;
    json_array_foreach(json_object_get(req, "orders"), i, order)
    {
        struct bp_ws_replica *r = bp_ws_replica_new(&rules);
        size_t k;
        const json_t *ix;
        json_array_foreach(order, k, ix)
        {
            const json_t *t = json_array_get(ops, (size_t)json_integer_value(ix));
            struct bp_verr e = {0, ""};
            int rc = bp_ws_replica_add_json(r, json_string_value(t), json_string_length(t), &e);
            if (rc == BP_E_NOMEM)
                die("memory");
        }
        uint8_t d[32];
        char hex[65];
        if (bp_ws_replica_digest(r, d))
            die("digest");
        for (int b = 0; b < 32; b++)
            snprintf(hex + 2 * b, 3, "%02x", d[b]);
        json_array_append_new(digests, json_string(hex));
        if (i == 0) {
            count = bp_ws_replica_count(r);
            skipped = bp_ws_replica_skipped(r);
            json_array_foreach(ops, k, ix)
            {
                struct bp_ws_op op;
                if (bp_ws_op_parse(json_string_value(ix), json_string_length(ix), &op, NULL) == 0)
                    json_object_set_new(status, op.id, json_integer(bp_ws_replica_status(r, op.id, NULL)));
                bp_ws_op_clear(&op);
            }
        }
        bp_ws_replica_free(r);
    }
    return json_pack("{s:o, s:I, s:I, s:o}", "digests", digests, "count", (json_int_t)count, "skipped",
                     (json_int_t)skipped, "status", status);
}

static json_t *cmd_keygen(void)
{
    struct bp_identity id;
    uint8_t fp[32];
    if (bp_identity_generate(&id) || bp_fingerprint(id.sign_pub, id.dh_pub, fp))
        die("keygen");
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "sign_pub", b64(id.sign_pub, 32), "sign_priv",
                          b64(id.sign_priv, 32), "dh_pub", b64(id.dh_pub, 32), "dh_priv", b64(id.dh_priv, 32), "fp",
                          b64(fp, 32));
    bp_identity_wipe(&id);
    return o;
}

static json_t *cmd_wrap(const json_t *req, int unwrap)
{
    uint8_t priv[32], fp[32], peer_pub[32], peer_fp[32], key[32], w[BP_WS_WRAP_LEN];
    char kid[BP_WS_KID_LEN + 1];
    const char *bilan = json_string_value(json_object_get(req, "bilan"));
    exact(req, "dh_priv", priv, 32);
    exact(req, "fp", fp, 32);
    exact(req, unwrap ? "from_dh_pub" : "to_dh_pub", peer_pub, 32);
    exact(req, unwrap ? "from_fp" : "to_fp", peer_fp, 32);
    if (!unwrap) {
        exact(req, "key", key, 32);
        if (bp_ws_key_wrap(priv, fp, peer_pub, peer_fp, bilan, key, w) || bp_ws_kid(key, kid))
            die("wrap");
        return json_pack("{s:o, s:s}", "wrap", b64(w, sizeof w), "kid", kid);
    }
    exact(req, "wrap", w, sizeof w);
    if (bp_ws_key_unwrap(priv, fp, peer_pub, peer_fp, bilan, w, key))
        return json_pack("{s:n, s:n}", "key", "kid");
    bp_ws_kid(key, kid);
    return json_pack("{s:o, s:s}", "key", b64(key, 32), "kid", kid);
}

static json_t *cmd_consent(const json_t *req)
{
    uint8_t pub[32], sig[64];
    size_t n;
    exact(req, "sign_pub", pub, 32);
    exact(req, "sig", sig, 64);
    uint8_t *st = bytes(req, "statement", &n);
    struct bp_ws_consent c;
    struct bp_verr e = {0, ""};
    int prc = bp_ws_consent_parse((const char *)st, n, &c, &e);
    int ok = bp_ws_consent_verify(pub, (const char *)st, n, sig) == 0;
    free(st);
    return json_pack("{s:s, s:b, s:s, s:I}", "parse", prc ? e.detail : "ok", "verify", ok, "device",
                     prc ? "" : c.device, "n_sheets", (json_int_t)c.n_sheets);
}

static json_t *cmd_hlc(const json_t *req)
{
    struct bp_ws_hlc c = {0, 0};
    json_t *out = json_array(), *step;
    size_t i;
    json_array_foreach(json_object_get(req, "steps"), i, step)
    {
        const char *what = json_string_value(json_array_get(step, 0));
        if (what && !strcmp(what, "local")) {
            struct bp_ws_hlc s;
            bp_ws_hlc_local(&c, (uint64_t)json_integer_value(json_array_get(step, 1)), &s);
        } else {
            struct bp_ws_hlc r = {(uint64_t)json_integer_value(json_array_get(step, 1)),
                                  (uint32_t)json_integer_value(json_array_get(step, 2))};
            bp_ws_hlc_receive(&c, &r, (uint64_t)json_integer_value(json_array_get(step, 3)));
        }
        json_array_append_new(out, json_pack("[I,I]", (json_int_t)c.ms, (json_int_t)c.counter));
    }
    return json_pack("{s:o}", "stamps", out);
}

static json_t *cmd_template(const json_t *req)
{
    json_t *out = json_array(), *it;
    size_t i;
    json_array_foreach(json_object_get(req, "items"), i, it)
    {
        size_t n;
        uint8_t *text = bytes(it, "text", &n);
        char why[600];
        struct bp_ws_template *t = NULL;
        int rc = bp_ws_template_parse((const char *)text, n, json_string_value(json_object_get(it, "id")), &t, why,
                                      sizeof why);
        json_array_append_new(out, json_string(rc ? why : "ok"));
        bp_ws_template_free(t);
        free(text);
    }
    return json_pack("{s:o}", "out", out);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return die("usage: web_sheets_ref TEMPLATES_DIR < request.json");
    load_templates(argv[1]);
    json_error_t e;
    json_t *req = json_loadf(stdin, 0, &e);
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    if (!cmd)
        return die("no cmd");
    json_t *ans = !strcmp(cmd, "canon")     ? cmd_canon(req)
                  : !strcmp(cmd, "seal")    ? cmd_seal(req, 0)
                  : !strcmp(cmd, "open")    ? cmd_seal(req, 1)
                  : !strcmp(cmd, "merge")   ? cmd_merge(req)
                  : !strcmp(cmd, "keygen")  ? cmd_keygen()
                  : !strcmp(cmd, "wrap")    ? cmd_wrap(req, 0)
                  : !strcmp(cmd, "unwrap")  ? cmd_wrap(req, 1)
                  : !strcmp(cmd, "consent") ? cmd_consent(req)
                  : !strcmp(cmd, "hlc")     ? cmd_hlc(req)
                  : !strcmp(cmd, "template") ? cmd_template(req)
                                            : NULL;
    if (!ans)
        return die("unknown cmd");
    if (json_dumpf(ans, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) || fflush(stdout))
        return die("write");
    json_decref(ans);
    json_decref(req);
    for (size_t i = 0; i < n_tpl; i++)
        bp_ws_template_free(tpl[i]);
    return 0;
}
