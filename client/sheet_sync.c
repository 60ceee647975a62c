/* sheet_sync.c: the worksheets over one connection; the order of things is
 * written out in sheet_sync.h and PROTOCOL.md §10.2 and §10.5.
 *
 * One exchange per connection: sheet_key_get (always: it also brings wraps
 * made for us since), then the key (claimed by a consultant's device when
 * the bilan has none), then the pending operations pushed, PUSH_WINDOW at a
 * time, then pulls until `more` is false. Refs name what a reply answers:
 * "sheet:keyget", "sheet:claim", "sheet:wrap", "sheet:push", "sheet:pull". */
#include "sheet_sync.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/msg.h"
#include "bp/vocab.h"
#include "bp/ws_seal.h"
#include "e2e_state.h"
#include "i18n.h"
#include "sheet_entry.h"
#include "sheet_roles.h"
#include "sheets.h"

#define PUSH_WINDOW 32 /* pushes in flight: enough to fill a round trip, few to resend */
#define IDLE_MS 30000  /* `bilan sheet sync` gives up after this long without a reply */
#define PEERS_MAX 16   /* authenticated peers remembered in one visit */
#define SEALED_B64_CAP (BP_WS_SEALED_B64_MAX + 1)

enum phase { PH_IDLE, PH_KEY, PH_CLAIM, PH_PUSH, PH_PULL, PH_LIVE, PH_NOKEY, PH_CLOSED, PH_FAILED };

struct pend {
    uint8_t op[BP_WS_OPID_RAW];
    char sheet[SHEETS_ID_LEN + 1];
    char *json;
    size_t len;
};

struct peer {
    uint8_t fp[BP_FP_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    int given; /* wrapped in this visit: not again while the server's answer is on its way */
};

struct sheet_sync {
    struct sheet_sync_cfg cfg;
    struct sheet_sync_counts n;
    struct sheets *sh;
    char bilan[BP_ID_MAX + 1];
    int role;
    uint8_t self_fp[BP_FP_LEN];
    char self_b64[BP_B64_32 + 1];
    struct ks_dockey key;
    int have_key;
    enum phase ph;
    int key_asks;
    struct pend *pend;
    size_t npend, sent, acked;
    int push_stopped; /* rate limited or refused: the rest waits for the next sync */
    int pull_out;
    struct peer peers[PEERS_MAX];
    int npeers;
    struct sheet_roles roles; /* devices authenticated in the room: their role there */
};

int sheet_sync_new(const struct sheet_sync_cfg *cfg, struct sheet_sync **out)
{
    struct sheet_sync *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return BP_E_NOMEM;
    s->cfg = *cfg;
    if (!s->cfg.err)
        s->cfg.err = stderr;
    if (bp_fingerprint(cfg->id->sign_pub, cfg->id->dh_pub, s->self_fp)) {
        free(s);
        return BP_E_CRYPTO;
    }
    bp_b64_encode(s->self_fp, BP_FP_LEN, s->self_b64);
    *out = s;
    return 0;
}

static void pend_clear(struct sheet_sync *s)
{
    for (size_t i = 0; i < s->npend; i++) {
        OPENSSL_cleanse(s->pend[i].json, s->pend[i].len);
        free(s->pend[i].json);
    }
    free(s->pend);
    s->pend = NULL;
    s->npend = s->sent = s->acked = 0;
}

void sheet_sync_free(struct sheet_sync *s)
{
    if (!s)
        return;
    pend_clear(s);
    sheets_close(s->sh);
    OPENSSL_cleanse(&s->key, sizeof s->key);
    free(s);
}

const struct sheet_sync_counts *sheet_sync_counts(const struct sheet_sync *s)
{
    return &s->n;
}

/* ---- sending ---- */

static void end_if_done(struct sheet_sync *s, struct dialog *d, int code)
{
    if (s->cfg.end_when_done && !d->finished)
        dialog_end(d, code);
}

static void fail(struct sheet_sync *s, struct dialog *d, int code)
{
    s->ph = PH_FAILED;
    end_if_done(s, d, code);
}

static void ask_keys(struct sheet_sync *s, struct dialog *d)
{
    s->key_asks++;
    s->ph = PH_KEY;
    dialog_send(d, json_pack("{s:s, s:s, s:s}", "type", "sheet_key_get", "bilan", s->bilan, "ref", "sheet:keyget"));
}

/* A wrap of our key for (fp, dh_pub): 0, or -1. */
static int wrap_send(struct sheet_sync *s, struct dialog *d, const uint8_t fp[BP_FP_LEN],
                     const uint8_t dh_pub[BP_KEY_LEN], const char *ref)
{
    uint8_t w[BP_WS_WRAP_LEN];
    char w64[BP_WS_WRAP_LEN * 2], to[BP_B64_32 + 1];
    if (bp_ws_key_wrap(s->cfg.id->dh_priv, s->self_fp, dh_pub, fp, s->bilan, s->key.key, w))
        return -1;
    bp_b64_encode(w, sizeof w, w64);
    bp_b64_encode(fp, BP_FP_LEN, to);
    return dialog_send(d, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "sheet_key_put", "bilan", s->bilan,
                                    "kid", s->key.kid, "to", to, "wrap", w64, "ref", ref))
               ? -1
               : 0;
}

static void wrap_for_peer(struct sheet_sync *s, struct dialog *d, struct peer *p)
{
    if (!s->have_key || !s->key.claimed || s->ph == PH_CLOSED)
        return;
    if (p->given || ks_dockey_wrapped(s->cfg.ks, s->cfg.server_id, s->bilan, s->key.kid, p->fp))
        return;
    if (!(p->given = !wrap_send(s, d, p->fp, p->dh_pub, "sheet:wrap")))
        fprintf(s->cfg.err, "%s\n", _("bilan : la clé des fiches n'a pas pu être transmise à l'autre appareil"));
}

/* ---- the catch-up ---- */

static void pull(struct sheet_sync *s, struct dialog *d)
{
    s->ph = PH_PULL;
    s->pull_out = 1;
    dialog_send(d, json_pack("{s:s, s:s, s:I, s:s}", "type", "sheet_pull", "bilan", s->bilan, "after",
                             (json_int_t)sheets_after(s->sh), "ref", "sheet:pull"));
}

static void done(struct sheet_sync *s, struct dialog *d)
{
    s->ph = PH_LIVE;
    s->n.done = 1;
    s->n.pending_left = (long)sheets_pending_count(s->sh);
    dialog_print(d,
                 "[sheets] synced bilan=%s pushed=%ld received=%ld held=%ld unreadable=%ld pending=%ld "
                 "text_out=%llu text_in=%llu\n",
                 s->bilan, s->n.pushed, s->n.received, s->n.held, s->n.refused, s->n.pending_left,
                 (unsigned long long)d->text_out, (unsigned long long)d->text_in);
    end_if_done(s, d, 0);
}

static int push_one(struct sheet_sync *s, struct dialog *d, const struct pend *p)
{
    size_t cap = p->len + BP_WS_SEAL_OVERHEAD;
    uint8_t *sealed = malloc(cap);
    char *b64 = malloc(SEALED_B64_CAP);
    char op64[SHEETS_ID_LEN + 1];
    int rc = -1;
    if (sealed && b64) {
        long n = bp_ws_op_seal(s->key.key, s->bilan, p->op, s->self_fp, (const uint8_t *)p->json, p->len,
                               sealed, cap);
        if (n > 0) {
            bp_b64_encode(sealed, (size_t)n, b64);
            bp_b64_encode(p->op, BP_WS_OPID_RAW, op64);
            rc = dialog_send(d, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "sheet_push", "bilan",
                                          s->bilan, "op", op64, "sheet", p->sheet, "sealed", b64, "ref",
                                          "sheet:push"));
        }
    }
    free(sealed);
    free(b64);
    return rc;
}

static void push_more(struct sheet_sync *s, struct dialog *d)
{
    while (!s->push_stopped && s->sent < s->npend && s->sent - s->acked < PUSH_WINDOW) {
        if (push_one(s, d, &s->pend[s->sent])) {
            fprintf(s->cfg.err, "%s\n", _("bilan : une modification n'a pas pu être chiffrée : elle reste sur "
                                          "cet appareil"));
            s->push_stopped = 1;
            break;
        }
        s->sent++;
    }
    if (s->acked == s->sent && (s->push_stopped || s->sent == s->npend))
        pull(s, d);
}

static int pend_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1], const char *json,
                   size_t len)
{
    struct sheet_sync *s = arg;
    struct pend *np = realloc(s->pend, (s->npend + 1) * sizeof *np);
    if (!np)
        return BP_E_NOMEM;
    s->pend = np;
    struct pend *p = &np[s->npend];
    memcpy(p->op, op, BP_WS_OPID_RAW);
    snprintf(p->sheet, sizeof p->sheet, "%s", sheet);
    p->json = malloc(len + 1);
    if (!p->json)
        return BP_E_NOMEM;
    memcpy(p->json, json, len);
    p->json[len] = '\0';
    p->len = len;
    s->npend++;
    return 0;
}

static void wrap_for_peers(struct sheet_sync *s, struct dialog *d)
{
    for (int i = 0; i < s->npeers; i++)
        wrap_for_peer(s, d, &s->peers[i]);
}

/* The key is the bilan's: wraps for the peers met, then the push. */
static void key_ready(struct sheet_sync *s, struct dialog *d)
{
    wrap_for_peers(s, d);
    pend_clear(s);
    s->push_stopped = 0;
    s->ph = PH_PUSH;
    if (sheets_pending_each(s->sh, pend_cb, s) < 0) {
        fprintf(s->cfg.err, _("bilan : les modifications en attente n'ont pas pu être lues : %s\n"),
                ks_error(s->cfg.ks));
        fail(s, d, EXIT_USAGE);
        return;
    }
    push_more(s, d);
}

static void claim(struct sheet_sync *s, struct dialog *d)
{
    s->ph = PH_CLAIM;
    if (wrap_send(s, d, s->self_fp, s->cfg.id->dh_pub, "sheet:claim")) {
        fprintf(s->cfg.err, "%s\n", _("bilan : la clé des fiches n'a pas pu être préparée"));
        fail(s, d, EXIT_USAGE);
    }
}

static void no_key(struct sheet_sync *s, struct dialog *d)
{
    s->ph = PH_NOKEY;
    s->n.pending_left = (long)sheets_pending_count(s->sh);
    dialog_print(d, "[sheets] no key bilan=%s pending=%ld\n", s->bilan, s->n.pending_left);
    if (s->cfg.end_when_done) {
        fprintf(s->cfg.err, "%s\n",
                _("bilan : les fiches de ce bilan ne sont pas encore partagées avec cet appareil. Elles le "
                  "seront la prochaine fois que vous serez dans la salle du bilan en même temps qu'un "
                  "appareil qui les a (votre consultante ou votre consultant), une fois le code confirmé. "
                  "Vos modifications restent sur cet appareil en attendant."));
        end_if_done(s, d, EXIT_REFUSED);
    }
}

/* ---- keys received ---- */

struct trust_find {
    const uint8_t *fp;
    int found;
};

static int trust_cb(void *arg, const struct ks_peer *p)
{
    struct trust_find *t = arg;
    if (!memcmp(p->device, t->fp, BP_FP_LEN))
        t->found = 1;
    return t->found;
}

/* One wrap of sheet_keys: opened and stored when it passes every check of
 * PROTOCOL.md §10.2; else said on err and ignored. */
static void wrap_take(struct sheet_sync *s, const json_t *e, const char *kid)
{
    uint8_t from[BP_FP_LEN], spub[BP_KEY_LEN], dpub[BP_KEY_LEN], fp[BP_FP_LEN], w[BP_WS_WRAP_LEN];
    struct ks_dockey k;
    const char *why = NULL;
    memset(&k, 0, sizeof k);
    if (!json_is_object(e) || bp_b64_decode_exact(bp_str(e, "from", ""), from, BP_FP_LEN) ||
        bp_b64_decode_exact(bp_str(e, "sign_pub", ""), spub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(e, "dh_pub", ""), dpub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(e, "wrap", ""), w, BP_WS_WRAP_LEN) || !kid) {
        why = "malformed";
    } else if (bp_fingerprint(spub, dpub, fp) || memcmp(fp, from, BP_FP_LEN)) {
        why = "its keys do not match its fingerprint";
    } else {
        struct trust_find t = {from, !memcmp(from, s->self_fp, BP_FP_LEN)};
        if (!t.found)
            ks_peer_each(s->cfg.ks, s->cfg.server_id, s->bilan, trust_cb, &t);
        if (!t.found)
            why = "from a device this one never authenticated in the bilan's room";
        else if (bp_ws_key_unwrap(s->cfg.id->dh_priv, s->self_fp, dpub, from, s->bilan, w, k.key))
            why = "does not open";
        else if (bp_ws_kid(k.key, k.kid) || strcmp(k.kid, kid))
            why = "the key is not the bilan's";
    }
    if (why) {
        char h[40] = "?";
        if (why[0] != 'm') /* "malformed": `from` may not have been read */
            bp_fingerprint_human(from, h);
        fprintf(s->cfg.err, "[sheets] key wrap from %s ignored: %s\n", h, why);
        OPENSSL_cleanse(&k, sizeof k);
        return;
    }
    if (s->have_key && !strcmp(s->key.kid, k.kid) && s->key.claimed) {
        OPENSSL_cleanse(&k, sizeof k);
        return; /* already ours */
    }
    if (s->have_key && s->key.claimed && strcmp(s->key.kid, k.kid)) {
        fprintf(s->cfg.err, "[sheets] key wrap for another key than ours ignored\n");
        OPENSSL_cleanse(&k, sizeof k);
        return;
    }
    k.claimed = 1;
    if (ks_dockey_put(s->cfg.ks, s->cfg.server_id, s->bilan, &k)) {
        fprintf(s->cfg.err, _("bilan : la clé des fiches n'a pas pu être enregistrée : %s\n"), ks_error(s->cfg.ks));
        OPENSSL_cleanse(&k, sizeof k);
        return;
    }
    s->key = k;
    s->have_key = s->n.have_key = 1;
    OPENSSL_cleanse(&k, sizeof k);
}

static void make_key(struct sheet_sync *s, struct dialog *d)
{
    struct ks_dockey k;
    memset(&k, 0, sizeof k);
    if (bp_ws_key_new(k.key) || bp_ws_kid(k.key, k.kid) ||
        ks_dockey_put(s->cfg.ks, s->cfg.server_id, s->bilan, &k)) {
        fprintf(s->cfg.err, "%s\n", _("bilan : la clé des fiches n'a pas pu être créée"));
        OPENSSL_cleanse(&k, sizeof k);
        fail(s, d, EXIT_USAGE);
        return;
    }
    s->key = k;
    s->have_key = s->n.have_key = 1;
    s->n.made_key = 1;
    OPENSSL_cleanse(&k, sizeof k);
    claim(s, d);
}

static void forget_key(struct sheet_sync *s)
{
    ks_dockey_delete(s->cfg.ks, s->cfg.server_id, s->bilan);
    OPENSSL_cleanse(&s->key, sizeof s->key);
    s->have_key = s->n.have_key = 0;
}

static void on_keys(struct sheet_sync *s, struct dialog *d, const json_t *m, const char *ref)
{
    const char *kid = bp_str(m, "kid", NULL);
    const json_t *keys = json_object_get(m, "keys");
    size_t i;
    const json_t *e;
    if (strcmp(bp_str(m, "bilan", ""), s->bilan))
        return;
    json_array_foreach(keys, i, e) wrap_take(s, e, kid);
    if (strcmp(ref, "sheet:keyget")) {
        /* A wrap made for us while we wait in the room. */
        if (s->ph == PH_NOKEY && s->have_key && s->key.claimed)
            key_ready(s, d);
        return;
    }
    if (s->have_key && s->key.claimed && (!kid || !strcmp(kid, s->key.kid))) {
        if (!kid) /* the server lost the bilan's key (a restored backup): claim it again */
            claim(s, d);
        else
            key_ready(s, d);
    } else if (s->have_key && !s->key.claimed) {
        if (!kid)
            claim(s, d);
        else if (!strcmp(kid, s->key.kid)) { /* our claim landed; its reply was lost */
            s->key.claimed = 1;
            ks_dockey_put(s->cfg.ks, s->cfg.server_id, s->bilan, &s->key);
            key_ready(s, d);
        } else { /* another consultant device was first: ours goes */
            forget_key(s);
            no_key(s, d);
        }
    } else if (s->have_key) {
        fprintf(s->cfg.err, "%s\n",
                _("bilan : le serveur annonce une autre clé des fiches que celle de cet appareil : rien "
                  "n'est envoyé ; prévenez votre consultante ou votre consultant"));
        fail(s, d, EXIT_REFUSED);
    } else if (!kid && s->role == BP_ROLE_CONSULTANT) {
        make_key(s, d);
    } else {
        no_key(s, d);
    }
}

/* ---- operations received ---- */

/* The role a field's editors are checked against (PROTOCOL.md §10.1): ours,
 * else sheet_roles' answer. */
static int author_role(struct sheet_sync *s, const uint8_t author[BP_FP_LEN], int listed)
{
    return !memcmp(author, s->self_fp, BP_FP_LEN) ? s->role : sheet_roles_of(&s->roles, author, listed);
}

/* One entry of sheet_ops, opened and handed to the replica. A refused one
 * is said with its seq and passed over (the others still apply); `after`
 * moves past it either way, so that a pull never stalls on it. */
static void apply_one(struct sheet_sync *s, const json_t *j)
{
    struct sheet_entry e;
    char why[256] = "";
    int rc = -1;
    if (sheet_entry_open(j, s->key.key, s->bilan, &e, why, sizeof why) == 0)
        rc = sheets_apply_remote(s->sh, e.seq, e.op, e.sheet, e.author, author_role(s, e.author, e.role),
                                 (const char *)e.plain, e.len, why, sizeof why);
    if (rc == 0) {
        s->n.received++;
    } else if (rc == SHEETS_HELD) {
        s->n.received++;
        s->n.held++;
        fprintf(s->cfg.err, "[sheets] seq=%lld held: %s\n", e.seq, why);
    } else {
        s->n.refused++;
        fprintf(s->cfg.err, "[sheets] seq=%lld not applied: %s\n", e.seq,
                why[0] ? why : "the replica would not take it");
    }
    if (e.seq > 0)
        sheets_set_after(s->sh, e.seq);
    sheet_entry_clear(&e);
}

static void on_ops(struct sheet_sync *s, struct dialog *d, const json_t *m, const char *ref)
{
    const json_t *ops = json_object_get(m, "ops"), *e;
    size_t i;
    if (strcmp(bp_str(m, "bilan", ""), s->bilan) || !s->sh || !s->have_key)
        return; /* without the key ours is zeros, which anyone can seal under */
    int reply = !strcmp(ref, "sheet:pull");
    if (!reply) {
        /* Live: applied in order; a gap (we missed some) is a pull. */
        if (s->ph != PH_LIVE)
            return;
        e = json_array_get(ops, 0);
        if (!e)
            return;
        if (bp_int(e, "seq", 0) > sheets_after(s->sh) + 1) {
            pull(s, d);
            return;
        }
    } else {
        s->pull_out = 0;
    }
    json_array_foreach(ops, i, e)
    {
        long long seq = bp_int(e, "seq", 0);
        if (seq <= sheets_after(s->sh))
            continue; /* already applied */
        apply_one(s, e);
    }
    if (reply) {
        if (json_is_true(json_object_get(m, "more")))
            pull(s, d);
        else
            done(s, d);
    } else {
        dialog_print(d, "[sheets] live bilan=%s received=%ld\n", s->bilan, s->n.received);
    }
}

/* ---- the dialog's hooks ---- */

static void closed(struct sheet_sync *s, struct dialog *d, const json_t *m)
{
    const json_t *kept = json_object_get(m, "kept_sheets");
    sheets_close(s->sh);
    s->sh = NULL;
    pend_clear(s);
    s->ph = PH_CLOSED;
    s->n.closed = 1;
    if (!kept || !json_array_size(kept)) {
        OPENSSL_cleanse(&s->key, sizeof s->key);
        s->have_key = 0;
    }
    sheet_sync_shred(s->cfg.ks, s->cfg.server_id, s->bilan, kept, 0, s->cfg.err);
    dialog_print(d, "[sheets] closed bilan=%s kept=%zu\n", s->bilan, json_array_size(kept));
    end_if_done(s, d, 0);
}

static void hook_ready(void *ctx, struct dialog *d, uint64_t now)
{
    struct sheet_sync *s = ctx;
    char why[512];
    (void)now;
    if (s->ph == PH_CLOSED)
        return;
    if (!s->sh) {
        snprintf(s->bilan, sizeof s->bilan, "%s", d->bilan);
        s->role = s->cfg.role ? s->cfg.role : d->room.role;
        if (sheets_open(s->cfg.ks, s->cfg.server_id, s->bilan, s->self_fp, s->role, &s->sh, why, sizeof why)) {
            fprintf(s->cfg.err, _("bilan : les fiches de ce bilan n'ont pas pu être ouvertes : %s\n"), why);
            fail(s, d, EXIT_USAGE);
            return;
        }
        s->n.have_key = s->have_key = ks_dockey_get(s->cfg.ks, s->cfg.server_id, s->bilan, &s->key) == 0;
    }
    sheet_roles_load(&s->roles, s->cfg.ks, s->cfg.server_id, s->bilan); /* the room's roles, as known now */
    pend_clear(s);
    s->pull_out = 0;
    s->key_asks = 0;
    ask_keys(s, d);
}

static void on_stored(struct sheet_sync *s, struct dialog *d, const json_t *m, const char *ref)
{
    uint8_t to[BP_FP_LEN];
    if (strcmp(bp_str(m, "bilan", ""), s->bilan) || bp_b64_decode_exact(bp_str(m, "to", ""), to, BP_FP_LEN))
        return;
    if (!strcmp(ref, "sheet:claim") && s->ph == PH_CLAIM && !memcmp(to, s->self_fp, BP_FP_LEN)) {
        s->key.claimed = 1;
        ks_dockey_put(s->cfg.ks, s->cfg.server_id, s->bilan, &s->key);
        dialog_print(d, "[sheets] key made bilan=%s\n", s->bilan);
        key_ready(s, d);
    } else if (!strcmp(ref, "sheet:wrap") && s->have_key) {
        ks_dockey_mark_wrapped(s->cfg.ks, s->cfg.server_id, s->bilan, s->key.kid, to);
        s->n.wraps_given++;
        char h[40];
        bp_fingerprint_human(to, h);
        dialog_print(d, "[sheets] key given to=%s\n", h);
    }
}

static void on_pushed(struct sheet_sync *s, struct dialog *d, const json_t *m)
{
    uint8_t op[BP_WS_OPID_RAW];
    size_t i = 0;
    if (s->ph != PH_PUSH || strcmp(bp_str(m, "bilan", ""), s->bilan) ||
        bp_b64_decode_exact(bp_str(m, "op", ""), op, sizeof op))
        return;
    while (i < s->sent && memcmp(s->pend[i].op, op, BP_WS_OPID_RAW))
        i++;
    if (i == s->sent) /* not one we sent: marking it would keep it from ever being sent */
        return;
    long long seq = bp_int(m, "seq", 0);
    if (sheets_mark_pushed(s->sh, op, seq) == 0)
        s->n.pushed++;
    /* Ours, and next in the bilan's order: nothing before it is missing, so
     * the pull need not bring it back. */
    if (seq == sheets_after(s->sh) + 1)
        sheets_set_after(s->sh, seq);
    s->acked++;
    push_more(s, d);
}

static void hook_msg(void *ctx, struct dialog *d, enum bp_type t, const json_t *m, const char *ref, uint64_t now)
{
    struct sheet_sync *s = ctx;
    /* A long catch-up is not late while the server answers: the command's
     * deadline counts from the last reply. */
    if (s->cfg.end_when_done && d->script.setup_deadline)
        d->script.setup_deadline = now + IDLE_MS;
    if (t == BP_T_BILAN_CLOSED) {
        if (!strcmp(bp_str(m, "bilan", ""), s->bilan) && s->ph != PH_CLOSED)
            closed(s, d, m);
        return;
    }
    if (!s->sh || s->ph == PH_CLOSED || s->ph == PH_FAILED)
        return;
    switch (t) {
    case BP_T_SHEET_KEYS:
        on_keys(s, d, m, ref);
        break;
    case BP_T_SHEET_KEY_STORED:
        on_stored(s, d, m, ref);
        break;
    case BP_T_SHEET_PUSHED:
        on_pushed(s, d, m);
        break;
    case BP_T_SHEET_OPS:
        on_ops(s, d, m, ref);
        break;
    default:
        break;
    }
}

static int hook_error(void *ctx, struct dialog *d, const char *ref, const char *code, int fatal)
{
    struct sheet_sync *s = ctx;
    if (fatal)
        return 0; /* the connection ends: the dialog says why */
    if (!strcmp(code, "bilan_closed")) {
        json_t *none = json_pack("{s:s}", "bilan", s->bilan);
        if (s->ph != PH_CLOSED)
            closed(s, d, none);
        json_decref(none);
        return 1;
    }
    if (!strcmp(ref, "sheet:claim")) {
        /* Another consultant device made the bilan's key first, or this
         * device may not make it: ours goes; a wrap of theirs may come. */
        forget_key(s);
        if (s->key_asks < 2)
            ask_keys(s, d);
        else
            no_key(s, d);
        return 1;
    }
    if (!strcmp(ref, "sheet:push")) {
        s->acked++;
        if (!s->push_stopped)
            fprintf(s->cfg.err,
                    !strcmp(code, "rate_limited")
                        ? _("bilan : le serveur limite les envois : les modifications restantes partiront à la "
                            "prochaine synchronisation\n")
                        : _("bilan : le serveur a refusé une modification : elle reste sur cet appareil\n"));
        s->push_stopped = 1;
        push_more(s, d);
        return 1;
    }
    if (!strcmp(ref, "sheet:wrap")) {
        fprintf(s->cfg.err, "%s\n", _("bilan : le serveur a refusé la clé des fiches transmise à l'autre appareil"));
        return 1;
    }
    /* keyget or pull refused (not a member, unknown bilan): said by the dialog's words. */
    fprintf(s->cfg.err, _("bilan : le serveur a refusé la synchronisation des fiches : %s\n"),
            d->err_msg[0] ? d->err_msg : code);
    fail(s, d, EXIT_REFUSED);
    return 1;
}

const struct dialog_sheets sheet_sync_hooks = {
    .on_ready = hook_ready,
    .on_msg = hook_msg,
    .on_error = hook_error,
};

void sheet_sync_peer(struct sheet_sync *s, struct dialog *d, const struct e2e_remember *r)
{
    sheet_roles_note(&s->roles, r->fp, r->role);
    struct peer *p = NULL;
    for (int i = 0; i < s->npeers; i++)
        if (!memcmp(s->peers[i].fp, r->fp, BP_FP_LEN))
            p = &s->peers[i];
    if (!p && s->npeers < PEERS_MAX)
        p = &s->peers[s->npeers++];
    if (!p)
        return;
    memcpy(p->fp, r->fp, BP_FP_LEN);
    memcpy(p->dh_pub, r->dh_pub, BP_KEY_LEN);
    if (d && s->ph != PH_KEY && s->ph != PH_CLAIM)
        wrap_for_peer(s, d, p);
}
