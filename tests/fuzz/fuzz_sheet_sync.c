/* fuzz_sheet_sync.c: libFuzzer target for the client's worksheet sync
 * (client/sheet_sync.c) fed whatever a hostile server may send.
 *
 * Input: the first byte picks the device's state (bit 0: it holds the
 * bilan's document key K, claimed; bit 1: consultant, else beneficiary;
 * bit 2: `bilan sheet sync`, else in the room; bit 3: a local sheet is
 * pending), the rest is lines, each parsed as a server message
 * (bp_msg_parse, BP_TO_CLIENT) and handed to the sync's hooks as the dialog
 * does (an error whose ref starts with "sheet:" to on_error); a line "@ready"
 * is a new connection (on_ready), "@peer" a peer authenticated in the room
 * (sheet_sync_peer). With the key, the sync first gets the honest answer to
 * its sheet_key_get, so the lines meet a sync that pushes and pulls.
 *
 * The devices have fixed keys: this one (0x11...), the trusted peer P
 * (0x22..., a ks_peer row of the bilan) and an unknown device U (0x33...).
 * Invariants: no crash, no leak; the only key ever stored is K (which P
 * wraps), or one this device made and claimed itself, never one from an
 * untrusted wrap; a device that never held a key applied no operation;
 * every message the sync sends validates (dialog_send would otherwise fail
 * the dialog with EXIT_NETWORK).
 *
 * The seed corpus (corpus/sheet_sync) is written by this file with
 * FUZZ_SHEET_SYNC_SEEDS=dir set (wraps and seals use random nonces);
 * FUZZ_SHEET_SYNC_SAY=1 says what each input did. */
#define _GNU_SOURCE /* open_memstream */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BILAN "B1"
#define KIDS_MAX 8

static struct keystore *ks;
static long long srv_id;
static struct bp_identity self, peer, unknown;
static uint8_t self_fp[BP_FP_LEN], peer_fp[BP_FP_LEN], unknown_fp[BP_FP_LEN];
static uint8_t K[BP_WS_KEY_LEN], K2[BP_WS_KEY_LEN];
static char KID[BP_WS_KID_LEN + 1], KID2[BP_WS_KID_LEN + 1];

/* What the sync sent in one run: the kids it claimed for itself, and
 * whether any message failed validation. */
struct sent {
    char claimed[KIDS_MAX][BP_WS_KID_LEN + 1];
    int nclaimed;
};

static int f_send(void *ctx, const char *buf, size_t len)
{
    struct sent *s = ctx;
    char self64[BP_B64_32 + 1];
    json_t *o = json_loadb(buf, len, 0, NULL);
    bp_b64_encode(self_fp, BP_FP_LEN, self64);
    if (!strcmp(bp_str(o, "type", ""), "sheet_key_put") && !strcmp(bp_str(o, "to", ""), self64) &&
        s->nclaimed < KIDS_MAX)
        snprintf(s->claimed[s->nclaimed++], BP_WS_KID_LEN + 1, "%s", bp_str(o, "kid", ""));
    json_decref(o);
    return 0;
}

static void f_nop(void *ctx)
{
    (void)ctx;
}

static const struct dialog_transport fake_tp = {f_send, f_nop, f_nop, NULL};

static void fixed_identity(struct bp_identity *id, uint8_t fill, uint8_t fp[BP_FP_LEN])
{
    memset(id, 0, sizeof *id);
    memset(id->sign_priv, fill, BP_KEY_LEN);
    memset(id->dh_priv, fill ^ 0x5A, BP_KEY_LEN);
    if (bp_identity_derive_public(id) || bp_fingerprint(id->sign_pub, id->dh_pub, fp))
        abort();
}

static void write_seeds(const char *dir);

static char db_dir[] = "/tmp/bilan-fuzz-sheetsync-XXXXXX";

static void rm_dir(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

static void cleanup(void)
{
    ks_close(ks);
    rm_dir(db_dir);
}

static void setup(void)
{
    char why[256];
    if (!mkdtemp(db_dir) || ks_open(db_dir, &ks, why, sizeof why))
        abort();
    atexit(cleanup);
    fixed_identity(&self, 0x11, self_fp);
    fixed_identity(&peer, 0x22, peer_fp);
    fixed_identity(&unknown, 0x33, unknown_fp);
    memset(K, 0x4B, sizeof K);
    memset(K2, 0x4C, sizeof K2);
    bp_ws_kid(K, KID);
    bp_ws_kid(K2, KID2);
    struct ks_server s;
    memset(&s, 0, sizeof s);
    snprintf(s.host, sizeof s.host, "bilan.test");
    s.port = 4443;
    struct ks_bilan b;
    memset(&b, 0, sizeof b);
    snprintf(b.bilan, sizeof b.bilan, BILAN);
    struct ks_peer p;
    memset(&p, 0, sizeof p);
    snprintf(p.bilan, sizeof p.bilan, BILAN);
    memcpy(p.device, peer_fp, BP_FP_LEN);
    snprintf(p.role, sizeof p.role, "consultant");
    memcpy(p.sign_pub, peer.sign_pub, BP_KEY_LEN);
    memcpy(p.dh_pub, peer.dh_pub, BP_KEY_LEN);
    p.verified = 1;
    snprintf(p.method, sizeof p.method, "sas");
    if (ks_server_put(ks, &s))
        abort();
    srv_id = b.server_id = p.server_id = s.id;
    if (ks_bilan_put(ks, &b) || ks_peer_put(ks, &p))
        abort();
    const char *seeds = getenv("FUZZ_SHEET_SYNC_SEEDS");
    if (seeds)
        write_seeds(seeds);
}

/* The bilan's worksheets gone, then the state the first byte asks for. */
static void reset(int mode)
{
    sheets_shred(ks, srv_id, BILAN, NULL, 0);
    ks_dockey_delete(ks, srv_id, BILAN);
    if (mode & 1) {
        struct ks_dockey k;
        memset(&k, 0, sizeof k);
        memcpy(k.key, K, sizeof K);
        snprintf(k.kid, sizeof k.kid, "%s", KID);
        k.claimed = 1;
        ks_dockey_put(ks, srv_id, BILAN, &k);
    }
    if (mode & 8) {
        struct sheets *sh;
        char why[256], id[SHEETS_ID_LEN + 1];
        if (!sheets_open(ks, srv_id, BILAN, self_fp, mode & 2 ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY, &sh,
                         why, sizeof why)) {
            sheets_new(sh, "analyse_demande", id, why, sizeof why);
            sheets_close(sh);
        }
    }
}

static void feed(struct sheet_sync *s, struct dialog *d, const char *line, size_t len, uint64_t now)
{
    enum bp_type t;
    json_t *m = NULL;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    if (len == 6 && !memcmp(line, "@ready", 6)) {
        sheet_sync_hooks.on_ready(s, d, now);
        return;
    }
    if (len == 5 && !memcmp(line, "@peer", 5)) {
        struct e2e_remember r;
        memset(&r, 0, sizeof r);
        memcpy(r.fp, peer_fp, BP_FP_LEN);
        memcpy(r.sign_pub, peer.sign_pub, BP_KEY_LEN);
        memcpy(r.dh_pub, peer.dh_pub, BP_KEY_LEN);
        r.role = BP_ROLE_CONSULTANT;
        r.method = "known";
        sheet_sync_peer(s, d, &r);
        return;
    }
    if (bp_msg_parse(line, len, BP_TO_CLIENT, &t, &m, &e, ref))
        return;
    if (t == BP_T_ERROR) {
        if (!strncmp(ref, "sheet:", 6))
            sheet_sync_hooks.on_error(s, d, ref, bp_str(m, "code", "internal"),
                                      json_is_true(json_object_get(m, "fatal")));
    } else {
        sheet_sync_hooks.on_msg(s, d, t, m, ref, now);
    }
    json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1 || size > 1 << 18)
        return 0;
    int mode = data[0];
    reset(mode);
    struct sent sent;
    memset(&sent, 0, sizeof sent);
    char *outbuf = NULL, *errbuf = NULL;
    size_t outlen = 0, errlen = 0;
    FILE *out = open_memstream(&outbuf, &outlen), *err = open_memstream(&errbuf, &errlen);
    struct dialog d;
    dialog_init(&d);
    d.tp = &fake_tp;
    d.tp_ctx = &sent;
    d.id = &self;
    d.out = out;
    d.err = err;
    snprintf(d.bilan, sizeof d.bilan, BILAN);
    int role = mode & 2 ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY;
    struct sheet_sync_cfg cfg = {ks, srv_id, &self, role, (mode >> 2) & 1, err};
    struct sheet_sync *s;
    if (sheet_sync_new(&cfg, &s))
        abort();
    uint64_t now = 1;
    sheet_sync_hooks.on_ready(s, &d, now++);
    if (mode & 1) {
        char honest[128];
        int n = snprintf(honest, sizeof honest,
                         "{\"type\":\"sheet_keys\",\"bilan\":\"B1\",\"kid\":\"%s\",\"keys\":[],\"ref\":\"sheet:keyget\"}",
                         KID);
        feed(s, &d, honest, (size_t)n, now++);
    }
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    struct ks_dockey k;
    int ever_key = ks_dockey_get(ks, srv_id, BILAN, &k) == 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        feed(s, &d, p, len, now++);
        ever_key |= ks_dockey_get(ks, srv_id, BILAN, &k) == 0;
        p += len + 1;
    }
    if (!ever_key && (sheet_sync_counts(s)->received || sheet_sync_counts(s)->held))
        abort(); /* applied without a key: sealed under zeros */
    /* Every message sent was valid: none failed the dialog. */
    if (d.finished && d.exit_code == EXIT_NETWORK)
        abort();
    /* The key stored is K, or one this device claimed itself. */
    if (ks_dockey_get(ks, srv_id, BILAN, &k) == 0 && memcmp(k.key, K, sizeof K)) {
        int mine = 0;
        char kid[BP_WS_KID_LEN + 1];
        bp_ws_kid(k.key, kid);
        for (int i = 0; i < sent.nclaimed; i++)
            mine |= !strcmp(sent.claimed[i], kid) && !strcmp(kid, k.kid);
        if (!mine)
            abort();
    }
    struct sheet_sync_counts c = *sheet_sync_counts(s);
    sheet_sync_free(s);
    dialog_free(&d);
    fclose(out);
    fclose(err);
    if (getenv("FUZZ_SHEET_SYNC_SAY")) /* what a seed does, to check it still reaches its case */
        fprintf(stderr, "mode=%d have_key=%d made=%d pushed=%ld received=%ld refused=%ld given=%ld closed=%d\n%s%s\n",
                mode, c.have_key, c.made_key, c.pushed, c.received, c.refused, c.wraps_given, c.closed,
                outbuf ? outbuf : "", errbuf ? errbuf : "");
    free(outbuf);
    free(errbuf);
    return 0;
}

/* ---- the seed corpus ---- */

static void seed_file(const char *dir, const char *name, int mode, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputc(mode, f);
    fputs(text, f);
    fclose(f);
}

static char *wrap_line(const struct bp_identity *from, const uint8_t from_fp[BP_FP_LEN], const uint8_t key[32],
                       const char *kid)
{
    uint8_t w[BP_WS_WRAP_LEN];
    char w64[BP_WS_WRAP_LEN * 2], f64[BP_B64_32 + 1], s64[BP_B64_32 + 1], d64[BP_B64_32 + 1], *line = NULL;
    if (bp_ws_key_wrap(from->dh_priv, from_fp, self.dh_pub, self_fp, BILAN, key, w))
        abort();
    bp_b64_encode(w, sizeof w, w64);
    bp_b64_encode(from_fp, BP_FP_LEN, f64);
    bp_b64_encode(from->sign_pub, BP_KEY_LEN, s64);
    bp_b64_encode(from->dh_pub, BP_KEY_LEN, d64);
    if (asprintf(&line,
                 "{\"type\":\"sheet_keys\",\"bilan\":\"B1\",\"kid\":\"%s\",\"keys\":[{\"from\":\"%s\",\"sign_pub\":"
                 "\"%s\",\"dh_pub\":\"%s\",\"wrap\":\"%s\"}],\"ref\":\"sheet:keyget\"}\n",
                 kid, f64, s64, d64, w64) < 0)
        abort();
    return line;
}

struct ops_text {
    char *text;
    size_t len;
    FILE *f;
    long long seq;
    char first_op[SHEETS_ID_LEN + 1];
};

static const uint8_t *seal_key = K;

static int seal_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1], const char *json, size_t len)
{
    struct ops_text *o = arg;
    uint8_t sealed[4096];
    char s64[6000], op64[SHEETS_ID_LEN + 1], a64[BP_B64_32 + 1];
    long n = bp_ws_op_seal(seal_key, BILAN, op, peer_fp, (const uint8_t *)json, len, sealed, sizeof sealed);
    if (n < 0)
        abort();
    bp_b64_encode(sealed, (size_t)n, s64);
    bp_b64_encode(op, 16, op64);
    bp_b64_encode(peer_fp, BP_FP_LEN, a64);
    if (!o->first_op[0])
        snprintf(o->first_op, sizeof o->first_op, "%s", op64);
    fprintf(o->f, "%s{\"seq\":%lld,\"op\":\"%s\",\"sheet\":\"%s\",\"author\":\"%s\",\"role\":\"consultant\",\"sealed\":\"%s\"}",
            o->seq > 1 ? "," : "", o->seq, op64, sheet, a64, s64);
    o->seq++;
    return 0;
}

static void write_seeds(const char *dir)
{
    char why[256], pdir[] = "/tmp/bilan-fuzz-seeds-XXXXXX", sheet[SHEETS_ID_LEN + 1], *line;
    struct keystore *pks;
    struct sheets *sh;
    if (!mkdtemp(pdir) || ks_open(pdir, &pks, why, sizeof why) ||
        sheets_open(pks, 1, BILAN, peer_fp, BP_ROLE_CONSULTANT, &sh, why, sizeof why) ||
        sheets_new(sh, "analyse_demande", sheet, why, sizeof why))
        abort();
    json_t *v = json_string("Je veux changer de métier.");
    sheets_set(sh, sheet, "demande_mots", v, why, sizeof why);
    json_decref(v);
    struct ops_text o = {NULL, 0, NULL, 1, ""};
    o.f = open_memstream(&o.text, &o.len);
    fputs("{\"type\":\"sheet_ops\",\"bilan\":\"B1\",\"ops\":[", o.f);
    sheets_pending_each(sh, seal_cb, &o);
    fputs("],\"more\":false,\"ref\":\"sheet:pull\"}\n", o.f);
    fclose(o.f);
    static const uint8_t zeros[BP_WS_KEY_LEN];
    struct ops_text z = {NULL, 0, NULL, 1, ""};
    seal_key = zeros; /* what a device without the key would open with */
    z.f = open_memstream(&z.text, &z.len);
    fprintf(z.f, "{\"type\":\"sheet_keys\",\"bilan\":\"B1\",\"kid\":\"%s\",\"keys\":[],\"ref\":\"sheet:keyget\"}\n"
                 "{\"type\":\"sheet_ops\",\"bilan\":\"B1\",\"ops\":[", KID);
    sheets_pending_each(sh, seal_cb, &z);
    fputs("],\"more\":false,\"ref\":\"sheet:pull\"}\n", z.f);
    fclose(z.f);
    seed_file(dir, "ops_under_zeros_no_key", 0, z.text);
    free(z.text);
    sheets_close(sh);
    ks_close(pks);
    rm_dir(pdir);

    char *text;
    line = wrap_line(&peer, peer_fp, K, KID);
    if (asprintf(&text, "%s%s", line, o.text) < 0)
        abort();
    seed_file(dir, "keys_trusted_then_ops", 0, text);
    free(text);
    free(line);
    line = wrap_line(&unknown, unknown_fp, K2, KID2);
    seed_file(dir, "keys_untrusted", 0, line);
    free(line);
    line = wrap_line(&unknown, peer_fp, K2, KID2); /* said to be P's, made by U */
    seed_file(dir, "keys_spoofed_from", 0, line);
    free(line);
    line = wrap_line(&peer, peer_fp, K2, KID); /* P's wrap, but of another key than the kid named */
    seed_file(dir, "keys_other_kid", 0, line);
    free(line);
    seed_file(dir, "ops_with_key", 1, o.text);
    /* The same page, its second seq past what a pull can name, and more to come. */
    char *at = strstr(o.text, "\"seq\":2,"), *more = strstr(o.text, "\"more\":false");
    if (!at || !more || asprintf(&text, "%.*s\"seq\":1125899906842625,%.*s\"more\":true%s", (int)(at - o.text),
                                 o.text, (int)(more - at - 8), at + 8, more + 12) < 0)
        abort();
    seed_file(dir, "ops_seq_past_2_50", 1, text);
    free(text);
    if (asprintf(&text,
                 "{\"type\":\"sheet_pushed\",\"bilan\":\"B1\",\"op\":\"%s\",\"seq\":1,\"ref\":\"sheet:push\"}\n"
                 "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow down\",\"ref\":\"sheet:push\"}\n"
                 "{\"type\":\"sheet_ops\",\"bilan\":\"B1\",\"ops\":[],\"more\":false,\"ref\":\"sheet:pull\"}\n"
                 "@peer\n",
                 o.first_op) < 0)
        abort();
    seed_file(dir, "pushed_rate_limited", 1 | 2 | 8, text);
    free(text);
    char self64[BP_B64_32 + 1];
    bp_b64_encode(self_fp, BP_FP_LEN, self64);
    if (asprintf(&text,
                 "{\"type\":\"sheet_keys\",\"bilan\":\"B1\",\"keys\":[],\"ref\":\"sheet:keyget\"}\n"
                 "{\"type\":\"sheet_key_stored\",\"bilan\":\"B1\",\"to\":\"%s\",\"ref\":\"sheet:claim\"}\n"
                 "@peer\n",
                 self64) < 0)
        abort();
    seed_file(dir, "consultant_claims", 2 | 8, text);
    free(text);
    seed_file(dir, "closed", 1 | 8,
              "{\"type\":\"bilan_closed\",\"bilan\":\"B1\",\"closed\":1764547200,\"deleted_ops\":0,"
              "\"deleted_bytes\":0,\"kept_sheets\":[],\"kept_ops\":0}\n@ready\n");
    free(o.text);
}
