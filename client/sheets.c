/* sheets.c: one bilan's worksheets on this device (see sheets.h): the
 * replica loaded from client.db with the real rules, local edits made into
 * operations, and the operations of the sync (pending, pushed, remote).
 * The reading side (lists, values, conflicts) is sheets_read.c.
 *
 * Owns: the rules the merge asks (a template's field and kind, a field's
 * editors against the author's role), the authors' roles, the bilan's
 * hybrid clock in memory (persisted with each operation by ks_sheets.c),
 * the sheets' index.
 * Must never: apply an operation that is not stored first, change the role
 * the rules give a device once an operation of it is held (the merge's
 * answers must depend on their arguments only), or say a key or a seal
 * (it never sees one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "sheets.h"

#include "bp/ws_seal.h"
#include "bp/b64.h"
#include "bp/vocab.h"
#include "i18n.h"
#include "ks_sheets.h"
#include "sheets_int.h"

/* ---- the sheets' index ---- */

static uint32_t hash_id(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h;
}

struct sheets_ent *sheets__ent(const struct sheets *s, const char *id)
{
    if (!s->hcap)
        return NULL;
    for (size_t i = hash_id(id) & (s->hcap - 1);; i = (i + 1) & (s->hcap - 1)) {
        uint32_t v = s->hidx[i];
        if (!v)
            return NULL;
        if (!strcmp(s->sh[v - 1].id, id))
            return &s->sh[v - 1];
    }
}

static int rehash(struct sheets *s, size_t cap)
{
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return BP_E_NOMEM;
    for (size_t k = 0; k < s->n_sh; k++) {
        size_t i = hash_id(s->sh[k].id) & (cap - 1);
        while (h[i])
            i = (i + 1) & (cap - 1);
        h[i] = (uint32_t)(k + 1);
    }
    free(s->hidx);
    s->hidx = h;
    s->hcap = cap;
    return 0;
}

/* The entry of sheet id, made when new. NULL when memory ran out. */
static struct sheets_ent *ent_get(struct sheets *s, const char *id)
{
    struct sheets_ent *e = sheets__ent(s, id);
    if (e)
        return e;
    if (s->n_sh == s->cap_sh) {
        size_t cap = s->cap_sh ? s->cap_sh * 2 : 16;
        struct sheets_ent *v = realloc(s->sh, cap * sizeof *v);
        if (!v)
            return NULL;
        s->sh = v;
        s->cap_sh = cap;
    }
    if ((s->n_sh + 1) * 2 > s->hcap && rehash(s, s->hcap ? s->hcap * 2 : 64))
        return NULL;
    e = &s->sh[s->n_sh++];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    size_t i = hash_id(id) & (s->hcap - 1);
    while (s->hidx[i])
        i = (i + 1) & (s->hcap - 1);
    s->hidx[i] = (uint32_t)s->n_sh;
    return e;
}

/* Notes op in the index (after it is held by the replica). */
static int ent_note(struct sheets *s, const struct bp_ws_op *op, int pending)
{
    struct sheets_ent *e = ent_get(s, op->sheet);
    if (!e)
        return BP_E_NOMEM;
    if (op->type == BP_WS_OP_CREATE &&
        (!e->has_create || bp_ws_hlc_cmp(&op->hlc, &e->created) < 0)) {
        e->has_create = 1;
        e->created = op->hlc;
    }
    if (pending) {
        e->pending++;
        s->pending++;
    }
    return 0;
}

/* ---- the rules ---- */

static int ws_role(int role)
{
    return role == BP_ROLE_CONSULTANT    ? BP_WS_CONSULTANT
           : role == BP_ROLE_BENEFICIARY ? BP_WS_BENEFICIARY
                                         : 0;
}

int sheets__device_role(const struct sheets *s, const char *device)
{
    if (!strcmp(device, s->self_b64))
        return s->self_role;
    for (size_t i = 0; i < s->n_dev; i++)
        if (!strcmp(s->dev[i].fp, device))
            return s->dev[i].role;
    return 0;
}

static int rule_role(void *ctx, const char *device)
{
    return ws_role(sheets__device_role(ctx, device));
}

static int rule_field(void *ctx, const char *template_id, const char *field, const json_t *value,
                      int author_role, int *keeps_versions, char *why, size_t cap)
{
    struct sheets *s = ctx;
    *keeps_versions = 0;
    const struct bp_ws_template *t = ws_templates_find(&s->tpl, template_id);
    if (!t) {
        snprintf(why, cap, _("modèle « %s » inconnu de cet appareil : mettez bilan à jour"),
                 template_id);
        return BP_WS_UNKNOWN_TEMPLATE;
    }
    if (!field)
        return 0;
    const struct bp_ws_field *f = bp_ws_template_field(t, field);
    if (!f) {
        snprintf(why, cap, _("le champ « %s » n'existe pas dans « %s »"), field, t->title);
        return BP_WS_UNKNOWN_FIELD;
    }
    *keeps_versions = f->kind == BP_WS_TEXT || f->kind == BP_WS_LIST;
    if (!(author_role & (int)f->editors)) {
        snprintf(why, cap,
                 f->editors == BP_WS_CONSULTANT
                     ? _("le champ « %s » ne peut être rempli que par le consultant")
                     : _("le champ « %s » ne peut être rempli que par le ou la bénéficiaire"),
                 field);
        return BP_WS_ROLE;
    }
    char vwhy[256];
    if (bp_ws_value_check(f, value, vwhy, sizeof vwhy)) {
        snprintf(why, cap, _("le champ « %s » : %s"), field, vwhy);
        return BP_WS_BAD_VALUE;
    }
    return 0;
}

/* ---- open, close ---- */

static int load_row(void *arg, const struct ks_ws_row *row)
{
    struct sheets *s = arg;
    char author[BP_WS_DEVICE_LEN + 1];
    bp_b64_encode(row->author, 32, author);
    if (strcmp(author, s->self_b64) && !sheets__device_role(s, author) && row->role &&
        s->n_dev < SHEETS_DEVICES_MAX) {
        snprintf(s->dev[s->n_dev].fp, sizeof s->dev[s->n_dev].fp, "%s", author);
        s->dev[s->n_dev++].role = row->role;
    }
    struct bp_ws_op op;
    int rc = bp_ws_op_parse(row->json, row->len, &op, NULL);
    if (rc == 0) {
        rc = bp_ws_replica_add(s->r, &op);
        if (rc >= 0)
            rc = ent_note(s, &op, row->seq == 0);
        else if (rc != BP_E_NOMEM)
            rc = 0; /* stored before a newer rule refused it: kept in the file, not shown */
    } else {
        rc = 0; /* the same: never fail the whole bilan on one row */
    }
    bp_ws_op_clear(&op);
    return rc;
}

int sheets_open(struct keystore *ks, long long server_id, const char *bilan,
                const uint8_t self_fp[BP_FP_LEN], int self_role, struct sheets **out, char *why,
                size_t cap)
{
    *out = NULL;
    struct sheets *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    s->ks = ks;
    s->server_id = server_id;
    snprintf(s->bilan, sizeof s->bilan, "%s", bilan);
    memcpy(s->self_fp, self_fp, BP_FP_LEN);
    bp_b64_encode(self_fp, BP_FP_LEN, s->self_b64);
    s->self_role = self_role;
    int rc = ws_templates_load_all(&s->tpl, why, cap);
    if (rc) {
        free(s);
        return rc;
    }
    struct bp_ws_rules rules = {.ctx = s, .device_role = rule_role, .field_check = rule_field};
    if (!(s->r = bp_ws_replica_new(&rules))) {
        sheets_close(s);
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    struct ks_ws_state st;
    if ((rc = ks_ws_state(ks, server_id, bilan, &st)) ||
        (rc = ks_ws_each(ks, server_id, bilan, 0, load_row, s)) < 0) {
        snprintf(why, cap, "%s", rc == BP_E_NOMEM ? _("mémoire insuffisante") : ks_error(ks));
        sheets_close(s);
        return rc < 0 ? rc : BP_E_INTERNAL;
    }
    s->after = st.after;
    s->hlc.ms = st.hlc_ms;
    s->hlc.counter = st.hlc_counter;
    *out = s;
    return 0;
}

void sheets_close(struct sheets *s)
{
    if (!s)
        return;
    bp_ws_replica_free(s->r);
    ws_templates_free(&s->tpl);
    free(s->sh);
    free(s->hidx);
    free(s);
}

/* ---- local edits ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int new_id(char out[BP_WS_OPID_LEN + 1], uint8_t raw[16])
{
    if (RAND_bytes(raw, 16) != 1)
        return BP_E_CRYPTO;
    bp_b64_encode(raw, 16, out);
    return 0;
}

/* Stamps op (id, clock, device), stores it pending, applies it. op's
 * other fields are set by the caller; op is not taken. */
static int commit_local(struct sheets *s, struct bp_ws_op *op, char *why, size_t cap)
{
    uint8_t raw[16], sheet[16];
    if (new_id(op->id, raw)) {
        snprintf(why, cap, "%s", _("le générateur de nombres aléatoires a échoué"));
        return BP_E_CRYPTO;
    }
    snprintf(op->device, sizeof op->device, "%s", s->self_b64);
    struct bp_ws_hlc clock = s->hlc;
    bp_ws_hlc_local(&clock, now_ms(), &op->hlc);
    size_t len;
    char *json = bp_ws_op_encode(op, &len);
    if (!json || bp_b64_decode_exact(op->sheet, sheet, 16)) {
        free(json);
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    if (len > BP_WS_PLAIN_MAX) {
        /* A list of 100 long items fits a field but not one sealed message
         * (PROTOCOL.md §10.1): refused here, before it could wait forever. */
        free(json);
        snprintf(why, cap,
                 _("cette valeur est trop longue pour être partagée (%zu octets une fois écrite, %d au "
                   "plus) : raccourcissez-la ou répartissez-la sur plusieurs champs"),
                 len, BP_WS_PLAIN_MAX);
        return BP_E_TOO_LARGE;
    }
    int rc = ks_ws_put(s->ks, s->server_id, s->bilan, raw, sheet, 0, s->self_fp, s->self_role, json,
                       len, op->hlc.ms, op->hlc.counter);
    free(json);
    if (rc) {
        snprintf(why, cap, "%s", ks_error(s->ks));
        return rc < 0 ? rc : BP_E_INTERNAL;
    }
    s->hlc = clock;
    rc = bp_ws_replica_add(s->r, op);
    if (rc >= 0)
        rc = ent_note(s, op, 1);
    if (rc < 0) {
        /* Stored: the next open shows it. This replica is now unsure. */
        snprintf(why, cap, "%s", _("mémoire insuffisante (la modification est enregistrée)"));
        return rc;
    }
    return 0;
}

int sheets_new(struct sheets *s, const char *template_id, char sheet_id_out[SHEETS_ID_LEN + 1],
               char *why, size_t cap)
{
    if (!ws_templates_find(&s->tpl, template_id)) {
        char list[1024] = "";
        for (size_t i = 0; i < s->tpl.n; i++) {
            size_t n = strlen(list);
            snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", s->tpl.t[i]->id);
        }
        snprintf(why, cap, _("le modèle « %s » n'existe pas : les modèles sont %s"), template_id,
                 list);
        return BP_E_INVALID_FIELD;
    }
    struct bp_ws_op op;
    memset(&op, 0, sizeof op);
    op.type = BP_WS_OP_CREATE;
    snprintf(op.tmpl, sizeof op.tmpl, "%s", template_id);
    uint8_t raw[16];
    /* A person types this id on a command line: one starting with '-'
     * would read as an option there (1 draw in 64 is redrawn). */
    do {
        if (new_id(op.sheet, raw)) {
            snprintf(why, cap, "%s", _("le générateur de nombres aléatoires a échoué"));
            return BP_E_CRYPTO;
        }
    } while (op.sheet[0] == '-');
    int rc = commit_local(s, &op, why, cap);
    if (!rc)
        snprintf(sheet_id_out, SHEETS_ID_LEN + 1, "%s", op.sheet);
    return rc;
}

/* The sheet's template when it can be edited, else NULL with why. */
static const struct bp_ws_template *editable(struct sheets *s, const char *sheet_id, char *why,
                                             size_t cap)
{
    const char *tmpl;
    int deleted;
    if (!bp_ws_replica_sheet(s->r, sheet_id, &tmpl, &deleted)) {
        snprintf(why, cap, _("aucune fiche %s dans ce bilan : `bilan sheet list` les montre"),
                 sheet_id);
        return NULL;
    }
    if (deleted) {
        snprintf(why, cap, _("la fiche %s a été supprimée : elle ne peut plus être modifiée"),
                 sheet_id);
        return NULL;
    }
    const struct bp_ws_template *t = ws_templates_find(&s->tpl, tmpl);
    if (!t)
        snprintf(why, cap,
                 *tmpl ? _("la fiche %s suit le modèle « %s », que cet appareil ne connaît pas : "
                           "mettez bilan à jour")
                       : _("la fiche %s n'a pas encore été reçue en entier (modèle inconnu%s) : "
                           "synchronisez (bilan sheet sync)"),
                 sheet_id, tmpl);
    return t;
}

int sheets_set(struct sheets *s, const char *sheet_id, const char *field, const json_t *value,
               char *why, size_t cap)
{
    const struct bp_ws_template *t = editable(s, sheet_id, why, cap);
    if (!t)
        return BP_E_INVALID_FIELD;
    const struct bp_ws_field *f = bp_ws_template_field(t, field);
    if (!f) {
        char list[2048] = "";
        for (size_t i = 0; i < t->n_sections; i++)
            for (size_t j = 0; j < t->sections[i].n_fields; j++) {
                size_t n = strlen(list);
                snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
                         t->sections[i].fields[j].id);
            }
        snprintf(why, cap, _("le champ « %s » n'existe pas dans « %s » : les champs sont %s"),
                 field, t->title, list);
        return BP_E_INVALID_FIELD;
    }
    int keeps;
    json_t *null = json_null();
    if (!value)
        value = null;
    int skip = rule_field(s, t->id, field, value, ws_role(s->self_role), &keeps, why, cap);
    if (skip)
        return skip == BP_WS_ROLE ? BP_E_FORBIDDEN : BP_E_INVALID_FIELD;
    struct bp_ws_op op;
    memset(&op, 0, sizeof op);
    op.type = BP_WS_OP_SET;
    snprintf(op.sheet, sizeof op.sheet, "%s", sheet_id);
    snprintf(op.field, sizeof op.field, "%s", field);
    op.value = (json_t *)value; /* borrowed: encode does not take it */
    const struct bp_ws_op *heads[BP_WS_PARENTS_MAX];
    size_t n = bp_ws_replica_heads(s->r, sheet_id, field, heads, BP_WS_PARENTS_MAX, NULL);
    if (n > BP_WS_PARENTS_MAX)
        n = BP_WS_PARENTS_MAX; /* winner first: a second set resolves the rest */
    char parents[BP_WS_PARENTS_MAX][BP_WS_OPID_LEN + 1];
    for (size_t i = 0; i < n; i++)
        memcpy(parents[i], heads[i]->id, BP_WS_OPID_LEN + 1);
    op.parents = n ? parents : NULL;
    op.n_parents = n;
    return commit_local(s, &op, why, cap);
}

int sheets_delete(struct sheets *s, const char *sheet_id, char *why, size_t cap)
{
    const char *tmpl;
    int deleted;
    if (!bp_ws_replica_sheet(s->r, sheet_id, &tmpl, &deleted) || deleted) {
        snprintf(why, cap,
                 deleted ? _("la fiche %s est déjà supprimée")
                         : _("aucune fiche %s dans ce bilan : `bilan sheet list` les montre"),
                 sheet_id);
        return BP_E_INVALID_FIELD;
    }
    struct bp_ws_op op;
    memset(&op, 0, sizeof op);
    op.type = BP_WS_OP_DELETE;
    snprintf(op.sheet, sizeof op.sheet, "%s", sheet_id);
    return commit_local(s, &op, why, cap);
}

/* ---- sync ---- */

struct pending_ctx {
    int (*cb)(void *arg, const uint8_t op[16], const char sheet_b64[SHEETS_ID_LEN + 1],
              const char *json, size_t len);
    void *arg;
};

static int pending_row(void *arg, const struct ks_ws_row *r)
{
    struct pending_ctx *p = arg;
    char sheet[SHEETS_ID_LEN + 1];
    bp_b64_encode(r->sheet, 16, sheet);
    return p->cb(p->arg, r->op, sheet, r->json, r->len);
}

int sheets_pending_each(struct sheets *s,
                        int (*cb)(void *arg, const uint8_t op[16],
                                  const char sheet_b64[SHEETS_ID_LEN + 1], const char *json,
                                  size_t len),
                        void *arg)
{
    struct pending_ctx p = {cb, arg};
    return ks_ws_each(s->ks, s->server_id, s->bilan, 1, pending_row, &p);
}

/* The op's entry goes from pending to sent (in memory). */
static void unpend(struct sheets *s, const uint8_t op[16])
{
    char id[BP_WS_OPID_LEN + 1];
    bp_b64_encode(op, 16, id);
    const struct bp_ws_op *o = bp_ws_replica_get(s->r, id);
    struct sheets_ent *e = o ? sheets__ent(s, o->sheet) : NULL;
    if (e && e->pending) {
        e->pending--;
        s->pending--;
    }
}

int sheets_mark_pushed(struct sheets *s, const uint8_t op[16], long long seq)
{
    long long had;
    int rc = ks_ws_get(s->ks, s->server_id, s->bilan, op, &had, NULL);
    if (rc == KS_NOT_FOUND || (rc == 0 && had))
        return 0;
    if (rc || seq < 1 || (rc = ks_ws_pushed(s->ks, s->server_id, s->bilan, op, seq)))
        return rc ? rc : BP_E_INVALID_FIELD;
    unpend(s, op);
    return 0;
}

long long sheets_after(const struct sheets *s)
{
    return s->after;
}

int sheets_set_after(struct sheets *s, long long seq)
{
    if (seq <= s->after)
        return 0;
    int rc = ks_ws_set_after(s->ks, s->server_id, s->bilan, seq);
    if (!rc)
        s->after = seq;
    return rc;
}

/* SHEETS_HELD with the rules' sentence when op is held, else 0. */
static int held(struct sheets *s, const char *id, char *why, size_t cap)
{
    const char *w = "";
    int st = bp_ws_replica_status(s->r, id, &w);
    if (st <= 0)
        return 0;
    snprintf(why, cap, "%s",
             st == BP_WS_NO_CREATE ? _("la fiche de cette opération n'a pas (encore) été créée")
             : *w                  ? w
                                   : _("opération non appliquée"));
    return SHEETS_HELD;
}

/* A copy of op the replica or the file already holds: 0 when it is the
 * same operation, else a refusal. */
static int same_op(struct sheets *s, long long seq, const uint8_t raw[16],
                   const struct bp_ws_op *op, const char *canon, char *why, size_t cap)
{
    long long had_seq;
    char *stored = NULL;
    int rc = ks_ws_get(s->ks, s->server_id, s->bilan, raw, &had_seq, &stored);
    if (rc) {
        snprintf(why, cap, "%s", ks_error(s->ks));
        return rc < 0 ? rc : BP_E_INTERNAL;
    }
    int same = !strcmp(stored, canon);
    free(stored);
    if (!same) {
        snprintf(why, cap, _("l'opération %s existe déjà avec un autre contenu : ignorée"), op->id);
        return BP_E_INVALID_FIELD;
    }
    if (!had_seq) { /* ours, coming back: pushed */
        if ((rc = ks_ws_pushed(s->ks, s->server_id, s->bilan, raw, seq))) {
            snprintf(why, cap, "%s", ks_error(s->ks));
            return rc;
        }
        unpend(s, raw);
    }
    if (!bp_ws_replica_get(s->r, op->id)) { /* stored by another process meanwhile */
        if (bp_ws_replica_add(s->r, op) < 0 || ent_note(s, op, 0)) {
            snprintf(why, cap, "%s", _("mémoire insuffisante"));
            return BP_E_NOMEM;
        }
    }
    if ((rc = sheets_set_after(s, seq))) {
        snprintf(why, cap, "%s", ks_error(s->ks));
        return rc;
    }
    return 0; /* a repeat: whatever it was, it was said the first time */
}

/* Whether author may be given role: 0, or a refusal in why. */
static int role_ok(struct sheets *s, const char *author, int role, char *why, size_t cap)
{
    if (role != BP_ROLE_CONSULTANT && role != BP_ROLE_BENEFICIARY) {
        snprintf(why, cap, "%s", _("opération d'un appareil sans rôle dans ce bilan : ignorée"));
        return BP_E_INVALID_FIELD;
    }
    int known = sheets__device_role(s, author);
    if (known && known != role) {
        snprintf(why, cap,
                 _("l'appareil %.8s… est déjà connu comme %s dans ce bilan : opération "
                   "ignorée"),
                 author, bp_role_name(known));
        return BP_E_INVALID_FIELD;
    }
    if (!known && s->n_dev == SHEETS_DEVICES_MAX) {
        snprintf(why, cap, "%s", _("trop d'appareils ont écrit dans ce bilan : opération ignorée"));
        return BP_E_TOO_LARGE;
    }
    return 0;
}

int sheets_apply_remote(struct sheets *s, long long seq, const uint8_t op_raw[16],
                        const char *sheet_b64, const uint8_t author[BP_FP_LEN], int author_role,
                        const char *json, size_t len, char *why, size_t cap)
{
    struct bp_ws_op op;
    struct bp_verr e = {0, ""};
    char id[BP_WS_OPID_LEN + 1], dev[BP_WS_DEVICE_LEN + 1];
    bp_b64_encode(op_raw, 16, id);
    bp_b64_encode(author, BP_FP_LEN, dev);
    if (seq < 1) {
        snprintf(why, cap, "%s", _("opération sans numéro d'ordre : ignorée"));
        return BP_E_INVALID_FIELD;
    }
    int rc = bp_ws_op_parse(json, len, &op, &e);
    if (rc) {
        snprintf(why, cap, _("opération illisible : %s"), e.detail);
        bp_ws_op_clear(&op);
        return rc;
    }
    if (strcmp(op.id, id) || strcmp(op.sheet, sheet_b64) || strcmp(op.device, dev)) {
        snprintf(why, cap, "%s",
                 _("l'opération ne correspond pas à ce que le serveur en dit (identifiant, fiche "
                   "ou auteur) : ignorée"));
        bp_ws_op_clear(&op);
        return BP_E_INVALID_FIELD;
    }
    size_t clen;
    char *canon = bp_ws_op_encode(&op, &clen);
    uint8_t sheet[16];
    if (!canon || bp_b64_decode_exact(op.sheet, sheet, 16)) {
        free(canon);
        bp_ws_op_clear(&op);
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    int self = !strcmp(dev, s->self_b64);
    if (self ? author_role != s->self_role : (rc = role_ok(s, dev, author_role, why, cap)) != 0) {
        if (self)
            snprintf(why, cap, "%s",
                     _("une opération de cet appareil arrive avec un autre rôle : ignorée"));
        free(canon);
        bp_ws_op_clear(&op);
        return rc ? rc : BP_E_INVALID_FIELD;
    }
    struct bp_ws_hlc clock = s->hlc;
    bp_ws_hlc_receive(&clock, &op.hlc, now_ms());
    rc = ks_ws_put(s->ks, s->server_id, s->bilan, op_raw, sheet, seq, author, author_role, canon,
                   clen, clock.ms, clock.counter);
    if (rc == KS_WS_EXISTS) {
        rc = same_op(s, seq, op_raw, &op, canon, why, cap);
    } else if (rc) {
        snprintf(why, cap, "%s", ks_error(s->ks));
    } else {
        s->hlc = clock;
        if (seq > s->after)
            s->after = seq;
        if (!self && !sheets__device_role(s, dev)) {
            snprintf(s->dev[s->n_dev].fp, sizeof s->dev[s->n_dev].fp, "%s", dev);
            s->dev[s->n_dev++].role = author_role;
        }
        rc = bp_ws_replica_add(s->r, &op);
        if (rc >= 0 && !(rc = ent_note(s, &op, 0)))
            rc = held(s, op.id, why, cap);
        else if (rc == BP_E_NOMEM || rc == 0)
            snprintf(why, cap, "%s", _("mémoire insuffisante (l'opération est enregistrée)"));
        else
            snprintf(why, cap, "%s", _("opération refusée par la fusion"));
    }
    free(canon);
    bp_ws_op_clear(&op);
    return rc;
}

int sheets_shred(struct keystore *ks, long long server_id, const char *bilan,
                 const char *const *keep, size_t nkeep)
{
    uint8_t(*raw)[16] = nkeep ? calloc(nkeep, sizeof *raw) : NULL;
    size_t n = 0;
    if (nkeep && !raw)
        return BP_E_NOMEM;
    for (size_t i = 0; i < nkeep; i++)
        if (keep[i] && strlen(keep[i]) == BP_WS_OPID_LEN &&
            !bp_b64_decode_exact(keep[i], raw[n], 16))
            n++;
    /* Kept ids that do not parse keep nothing; but "keep none of these"
     * must not turn into "nkeep 0" (delete the state too) by accident:
     * the sync state is kept whenever the caller asked to keep something. */
    int rc;
    if (nkeep && !n) {
        static const uint8_t none[1][16];
        rc = ks_ws_shred(ks, server_id, bilan, none, 1);
    } else {
        rc = ks_ws_shred(ks, server_id, bilan, raw, n);
    }
    free(raw);
    return rc;
}

const struct ws_templates *sheets_templates(const struct sheets *s)
{
    return &s->tpl;
}

int sheets_self_role(const struct sheets *s)
{
    return s->self_role;
}

struct bp_ws_replica *sheets_replica(struct sheets *s)
{
    return s->r;
}

size_t sheets_pending_count(const struct sheets *s)
{
    return s->pending;
}
