/* ws_merge.c: a worksheet replica and its merge (bp/ws_merge.h).
 *
 * Owns: every operation it was given (a node per op id, also for ids only
 * named as parents so far), the sheets and the fields, and three hash
 * tables (op id, sheet id, sheet/field). The state is kept up to date on
 * each add, and each step is order-free:
 *   - a set is applied when its sheet has a create and the rules accept it;
 *   - a parent P of an applied set X (same field) counts as replaced when
 *     P is applied and P's hlc is strictly before X's: an honest device
 *     always stamps an edit after the values it saw, and the rule makes a
 *     cycle of forged parents impossible. Each (P, X) pair is counted once,
 *     by whichever of the two is applied last;
 *   - a field's heads are its applied sets with no such replacement.
 * When a sheet's create changes (the first one, or one with a smaller
 * (hlc, device, id) naming another template) the sheet is rebuilt: all its
 * sets are applied again, which gives what any other order would.
 * Must never: drop an operation, read a template, or scan all operations
 * on an add (only the digest does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bp/ws_merge.h"

struct node;
struct sheet;

struct field {
    char key[BP_WS_OPID_LEN + 1 + BP_WS_NAME_MAX + 1]; /* sheet "/" field */
    struct sheet *sheet;
    struct node **heads; /* unordered; sorted winner first when asked */
    size_t n_heads, cap_heads;
    int keeps; /* text, list: concurrent heads are versions */
};

struct node {
    char id[BP_WS_OPID_LEN + 1];
    int held;
    struct bp_ws_op op;
    struct node **kids; /* held sets listing this id as a parent */
    size_t n_kids, cap_kids;
    struct sheet *sheet;
    struct field *field; /* applied sets only */
    int skip;            /* enum bp_ws_skip */
    char *why;           /* NULL or the rules' sentence */
    unsigned n_repl;     /* applied later sets of the same field replacing this one */
    size_t head_at;      /* 1 + index in field->heads, 0 when not a head */
};

struct sheet {
    char id[BP_WS_OPID_LEN + 1];
    struct node *create; /* the smallest create, or NULL */
    int deleted;
    struct node **sets;
    size_t n_sets, cap_sets;
    struct field **fields;
    size_t n_fields, cap_fields;
};

struct hent {
    const char *key; /* points into the value */
    void *val;
    struct hent *next;
};

struct tab {
    struct hent **b;
    size_t nb, n;
};

struct bp_ws_replica {
    struct bp_ws_rules rules;
    struct tab nodes, sheets, fields;
    struct node **held;
    size_t n_held, cap_held;
    struct sheet **all_sheets;
    size_t n_sheets, cap_sheets;
    struct field **all_fields;
    size_t n_fields, cap_fields;
    size_t n_skipped;
};

/* ---- small tools ---- */

/* Appends p to a growing array of pointers: 0 or BP_E_NOMEM. */
static int push(void *arr, size_t *n, size_t *cap, void *p)
{
    void ***a = arr;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        void **g = realloc(*a, c * sizeof *g);
        if (!g)
            return BP_E_NOMEM;
        *a = g;
        *cap = c;
    }
    (*a)[(*n)++] = p;
    return 0;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void *tab_get(const struct tab *t, const char *key)
{
    if (!t->nb)
        return NULL;
    for (struct hent *e = t->b[hash(key) & (t->nb - 1)]; e; e = e->next)
        if (!strcmp(e->key, key))
            return e->val;
    return NULL;
}

/* Adds key (not present; it lives in val) -> val; grows at load 1. */
static int tab_put(struct tab *t, const char *key, void *val)
{
    if (t->n >= t->nb) {
        size_t nb = t->nb ? t->nb * 2 : 64;
        struct hent **b = calloc(nb, sizeof *b);
        if (!b)
            return BP_E_NOMEM;
        for (size_t i = 0; i < t->nb; i++)
            for (struct hent *e = t->b[i], *next; e; e = next) {
                next = e->next;
                size_t k = hash(e->key) & (nb - 1);
                e->next = b[k];
                b[k] = e;
            }
        free(t->b);
        t->b = b;
        t->nb = nb;
    }
    struct hent *e = malloc(sizeof *e);
    if (!e)
        return BP_E_NOMEM;
    e->key = key;
    e->val = val;
    size_t k = hash(key) & (t->nb - 1);
    e->next = t->b[k];
    t->b[k] = e;
    t->n++;
    return 0;
}

static void tab_free(struct tab *t)
{
    for (size_t i = 0; i < t->nb; i++)
        for (struct hent *e = t->b[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(t->b);
}

/* The merge's order of operations: (hlc ms, hlc counter, device, op id). */
static int op_order(const struct bp_ws_op *a, const struct bp_ws_op *b)
{
    int c = bp_ws_hlc_cmp(&a->hlc, &b->hlc);
    if (c)
        return c;
    if ((c = strcmp(a->device, b->device)))
        return c;
    return strcmp(a->id, b->id);
}

/* ---- finding or making nodes, sheets, fields ---- */

static struct node *node_get(struct bp_ws_replica *r, const char *id)
{
    struct node *n = tab_get(&r->nodes, id);
    if (n)
        return n;
    if (!(n = calloc(1, sizeof *n)))
        return NULL;
    memcpy(n->id, id, BP_WS_OPID_LEN + 1);
    if (tab_put(&r->nodes, n->id, n)) {
        free(n);
        return NULL;
    }
    return n;
}

static struct sheet *sheet_get(struct bp_ws_replica *r, const char *id)
{
    struct sheet *s = tab_get(&r->sheets, id);
    if (s)
        return s;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    memcpy(s->id, id, BP_WS_OPID_LEN + 1);
    if (tab_put(&r->sheets, s->id, s)) {
        free(s);
        return NULL;
    }
    /* From here the table owns it (bp_ws_replica_free frees through the tables). */
    return push(&r->all_sheets, &r->n_sheets, &r->cap_sheets, s) ? NULL : s;
}

static void field_key(char *key, const char *sheet, const char *field)
{
    size_t n = strlen(sheet);
    memcpy(key, sheet, n);
    key[n] = '/';
    strcpy(key + n + 1, field);
}

static struct field *field_get(struct bp_ws_replica *r, struct sheet *s, const char *name)
{
    char key[sizeof((struct field *)0)->key];
    field_key(key, s->id, name);
    struct field *f = tab_get(&r->fields, key);
    if (f)
        return f;
    if (!(f = calloc(1, sizeof *f)))
        return NULL;
    memcpy(f->key, key, sizeof key);
    f->sheet = s;
    if (tab_put(&r->fields, f->key, f)) {
        free(f);
        return NULL;
    }
    if (push(&r->all_fields, &r->n_fields, &r->cap_fields, f) ||
        push(&s->fields, &s->n_fields, &s->cap_fields, f))
        return NULL;
    return f;
}

/* ---- the merge ---- */

static int applied(const struct node *n)
{
    return n->held && n->op.type == BP_WS_OP_SET && n->field && n->skip == BP_WS_APPLIED;
}

static void set_skip(struct bp_ws_replica *r, struct node *n, int skip, const char *why)
{
    if ((n->skip != 0) != (skip != 0))
        r->n_skipped += skip ? 1 : (size_t)-1;
    n->skip = skip;
    free(n->why);
    n->why = why && *why ? strdup(why) : NULL;
}

static void head_remove(struct node *n)
{
    struct field *f = n->field;
    size_t i = n->head_at - 1;
    struct node *last = f->heads[--f->n_heads];
    f->heads[i] = last;
    last->head_at = i + 1;
    n->head_at = 0;
}

/* Applies set x if its sheet and the rules allow (see the file's top). */
static int apply_set(struct bp_ws_replica *r, struct node *x)
{
    struct sheet *s = x->sheet;
    if (!s->create) {
        set_skip(r, x, BP_WS_NO_CREATE, NULL);
        return 0;
    }
    char why[200] = "";
    int keeps = 0;
    int role = r->rules.device_role ? r->rules.device_role(r->rules.ctx, x->op.device) : 0;
    int rc = r->rules.field_check(r->rules.ctx, s->create->op.tmpl, x->op.field, x->op.value, role,
                                  &keeps, why, sizeof why);
    if (rc) {
        set_skip(r, x, rc, why);
        return 0;
    }
    struct field *f = field_get(r, s, x->op.field);
    if (!f)
        return BP_E_NOMEM;
    f->keeps = keeps;
    set_skip(r, x, BP_WS_APPLIED, NULL);
    x->field = f;
    x->n_repl = 0;
    /* A node's field is set only while it is applied: same field means applied too. */
    for (size_t i = 0; i < x->n_kids; i++) {
        struct node *k = x->kids[i];
        if (k->field == f && bp_ws_hlc_cmp(&x->op.hlc, &k->op.hlc) < 0)
            x->n_repl++;
    }
    if (!x->n_repl) {
        if (push(&f->heads, &f->n_heads, &f->cap_heads, x))
            return BP_E_NOMEM;
        x->head_at = f->n_heads;
    }
    for (size_t i = 0; i < x->op.n_parents; i++) {
        struct node *p = tab_get(&r->nodes, x->op.parents[i]);
        if (p && p->field == f && bp_ws_hlc_cmp(&p->op.hlc, &x->op.hlc) < 0 && p->n_repl++ == 0)
            head_remove(p);
    }
    return 0;
}

/* The sheet's create changed: every set of it is applied again. */
static int rebuild(struct bp_ws_replica *r, struct sheet *s)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        s->fields[i]->n_heads = 0;
    }
    for (size_t i = 0; i < s->n_sets; i++) {
        struct node *x = s->sets[i];
        x->field = NULL;
        x->n_repl = 0;
        x->head_at = 0;
        set_skip(r, x, BP_WS_NO_CREATE, NULL);
    }
    for (size_t i = 0; i < s->n_sets; i++) {
        int rc = apply_set(r, s->sets[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_create(struct bp_ws_replica *r, struct node *n)
{
    struct sheet *s = n->sheet;
    char why[200] = "";
    int keeps = 0;
    int rc = r->rules.field_check(r->rules.ctx, n->op.tmpl, NULL, NULL, 0, &keeps, why, sizeof why);
    set_skip(r, n, rc ? BP_WS_UNKNOWN_TEMPLATE : BP_WS_APPLIED, why);
    struct node *old = s->create;
    if (old && op_order(&old->op, &n->op) <= 0)
        return 0;
    s->create = n;
    if (!old || strcmp(old->op.tmpl, n->op.tmpl))
        return rebuild(r, s);
    return 0;
}

/* Cheap checks of an op built in memory: what the tables and arrays rely on
 * (the full check is bp_ws_op_parse's, or bp_ws_op_encode's). */
static int op_shape_ok(const struct bp_ws_op *op)
{
    if (strnlen(op->id, sizeof op->id) != BP_WS_OPID_LEN ||
        strnlen(op->sheet, sizeof op->sheet) != BP_WS_OPID_LEN ||
        strnlen(op->device, sizeof op->device) != BP_WS_DEVICE_LEN || op->type > BP_WS_OP_DELETE)
        return 0;
    if (op->type == BP_WS_OP_CREATE)
        return bp_ws_name_ok(op->tmpl, strnlen(op->tmpl, sizeof op->tmpl));
    if (op->type != BP_WS_OP_SET)
        return 1;
    if (!bp_ws_name_ok(op->field, strnlen(op->field, sizeof op->field)) ||
        op->n_parents > BP_WS_PARENTS_MAX || (op->n_parents && !op->parents))
        return 0;
    for (size_t i = 0; i < op->n_parents; i++)
        if (strnlen(op->parents[i], sizeof op->parents[i]) != BP_WS_OPID_LEN)
            return 0;
    return 1;
}

int bp_ws_replica_add(struct bp_ws_replica *r, const struct bp_ws_op *op)
{
    if (!op_shape_ok(op))
        return BP_E_INVALID_FIELD;
    struct node *n = node_get(r, op->id);
    if (!n)
        return BP_E_NOMEM;
    if (n->held) {
        char *a = bp_ws_op_encode(&n->op, NULL), *b = bp_ws_op_encode(op, NULL);
        int same = a && b && !strcmp(a, b);
        free(a);
        free(b);
        return same ? 0 : BP_E_INVALID_FIELD;
    }
    struct sheet *s = sheet_get(r, op->sheet);
    if (!s || bp_ws_op_copy(&n->op, op))
        return BP_E_NOMEM;
    if (push(&r->held, &r->n_held, &r->cap_held, n)) {
        bp_ws_op_clear(&n->op);
        return BP_E_NOMEM;
    }
    n->held = 1;
    n->sheet = s;
    switch (op->type) {
    case BP_WS_OP_CREATE:
        return add_create(r, n) ? BP_E_NOMEM : 1;
    case BP_WS_OP_DELETE:
        s->deleted = 1;
        return 1;
    case BP_WS_OP_SET:
        break;
    }
    if (push(&s->sets, &s->n_sets, &s->cap_sets, n))
        return BP_E_NOMEM;
    for (size_t i = 0; i < op->n_parents; i++) {
        struct node *p = node_get(r, op->parents[i]);
        if (!p || push(&p->kids, &p->n_kids, &p->cap_kids, n))
            return BP_E_NOMEM;
    }
    /* Counted as skipped until applied, so set_skip keeps n_skipped right. */
    n->skip = BP_WS_NO_CREATE;
    r->n_skipped++;
    return apply_set(r, n) ? BP_E_NOMEM : 1;
}

int bp_ws_replica_add_json(struct bp_ws_replica *r, const char *json, size_t len, struct bp_verr *e)
{
    struct bp_ws_op op;
    int rc = bp_ws_op_parse(json, len, &op, e);
    if (!rc)
        rc = bp_ws_replica_add(r, &op);
    bp_ws_op_clear(&op);
    return rc;
}

/* ---- reading the state ---- */

static int head_order(const void *a, const void *b)
{
    /* Winner first: the largest (hlc, device, op id). */
    return op_order(&(*(struct node *const *)b)->op, &(*(struct node *const *)a)->op);
}

static void field_sort(struct field *f)
{
    if (f->n_heads > 1) /* qsort's array may not be NULL, even empty */
        qsort(f->heads, f->n_heads, sizeof *f->heads, head_order);
    for (size_t i = 0; i < f->n_heads; i++)
        f->heads[i]->head_at = i + 1;
}

size_t bp_ws_replica_heads(struct bp_ws_replica *r, const char *sheet, const char *field,
                           const struct bp_ws_op **heads, size_t cap, int *conflict)
{
    if (conflict)
        *conflict = 0;
    if (strlen(sheet) > BP_WS_OPID_LEN || strlen(field) > BP_WS_NAME_MAX)
        return 0;
    char key[sizeof((struct field *)0)->key];
    field_key(key, sheet, field);
    struct field *f = tab_get(&r->fields, key);
    if (!f)
        return 0;
    field_sort(f);
    for (size_t i = 0; i < f->n_heads && i < cap; i++)
        heads[i] = &f->heads[i]->op;
    if (conflict)
        *conflict = f->keeps && f->n_heads > 1;
    return f->n_heads;
}

int bp_ws_replica_sheet(const struct bp_ws_replica *r, const char *sheet, const char **tmpl,
                        int *deleted)
{
    const struct sheet *s = tab_get(&r->sheets, sheet);
    if (!s || (!s->create && !s->deleted))
        return 0;
    if (tmpl)
        *tmpl = s->create ? s->create->op.tmpl : "";
    if (deleted)
        *deleted = s->deleted;
    return 1;
}

size_t bp_ws_replica_count(const struct bp_ws_replica *r)
{
    return r->n_held;
}

size_t bp_ws_replica_skipped(const struct bp_ws_replica *r)
{
    return r->n_skipped;
}

const struct bp_ws_op *bp_ws_replica_get(const struct bp_ws_replica *r, const char *op_id)
{
    const struct node *n = tab_get(&r->nodes, op_id);
    return n && n->held ? &n->op : NULL;
}

int bp_ws_replica_status(const struct bp_ws_replica *r, const char *op_id, const char **why)
{
    const struct node *n = tab_get(&r->nodes, op_id);
    if (!n || !n->held)
        return -1;
    if (why)
        *why = n->why ? n->why : "";
    return n->skip;
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(struct node *const *)a)->id, (*(struct node *const *)b)->id);
}

static int sheet_by_id(const void *a, const void *b)
{
    return strcmp((*(struct sheet *const *)a)->id, (*(struct sheet *const *)b)->id);
}

int bp_ws_replica_digest(struct bp_ws_replica *r, uint8_t out[32])
{
    int rc = BP_E_CRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto done;
    for (size_t i = 0; i < r->n_fields; i++)
        field_sort(r->all_fields[i]);
    /* Sorting the arrays themselves is harmless: their order means nothing. */
    if (r->n_sheets > 1)
        qsort(r->all_sheets, r->n_sheets, sizeof *r->all_sheets, sheet_by_id);
    if (r->n_held > 1)
        qsort(r->held, r->n_held, sizeof *r->held, by_id);
    for (size_t i = 0; i < r->n_sheets; i++) {
        const struct sheet *s = r->all_sheets[i];
        char line[128];
        int n = snprintf(line, sizeof line, "S %s %s %d\n", s->id, s->create ? s->create->id : "-",
                         s->deleted);
        EVP_DigestUpdate(md, line, (size_t)n);
    }
    for (size_t i = 0; i < r->n_held; i++) {
        const struct node *x = r->held[i];
        size_t len;
        char *enc = bp_ws_op_encode(&x->op, &len);
        if (!enc) {
            rc = BP_E_NOMEM;
            goto done;
        }
        char line[64];
        int head = applied(x) && x->head_at, winner = head && x->head_at == 1;
        int n = snprintf(line, sizeof line, "O %zu %d %d %d\n", len, x->skip, head, winner);
        EVP_DigestUpdate(md, line, (size_t)n);
        EVP_DigestUpdate(md, enc, len);
        free(enc);
    }
    unsigned int olen = 0;
    rc = EVP_DigestFinal_ex(md, out, &olen) == 1 && olen == 32 ? 0 : BP_E_CRYPTO;
done:
    EVP_MD_CTX_free(md);
    return rc;
}

/* ---- life ---- */

struct bp_ws_replica *bp_ws_replica_new(const struct bp_ws_rules *rules)
{
    struct bp_ws_replica *r = calloc(1, sizeof *r);
    if (r)
        r->rules = *rules;
    return r;
}

void bp_ws_replica_free(struct bp_ws_replica *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nodes.nb; i++)
        for (struct hent *e = r->nodes.b[i]; e; e = e->next) {
            struct node *n = e->val;
            bp_ws_op_clear(&n->op);
            free(n->kids);
            free(n->why);
            free(n);
        }
    for (size_t i = 0; i < r->sheets.nb; i++)
        for (struct hent *e = r->sheets.b[i]; e; e = e->next) {
            struct sheet *s = e->val;
            free(s->sets);
            free(s->fields);
            free(s);
        }
    for (size_t i = 0; i < r->fields.nb; i++)
        for (struct hent *e = r->fields.b[i]; e; e = e->next) {
            struct field *f = e->val;
            free(f->heads);
            free(f);
        }
    tab_free(&r->nodes);
    tab_free(&r->sheets);
    tab_free(&r->fields);
    free(r->held);
    free(r->all_sheets);
    free(r->all_fields);
    free(r);
}
