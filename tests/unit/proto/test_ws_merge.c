/* test_ws_merge.c: proto/ws_merge.c, the replica and its merge, with the
 * fake rules of ws_fake.h in place of the templates.
 *
 * Sequential edits replace without conflict; two concurrent text edits are
 * a conflict keeping both, the winner by (ms, counter, device); resolving
 * (parents = all heads) leaves one head; a choice or a date chosen twice
 * has a winner and no conflict; duplicates are ignored and a reused id with
 * other content refused; a parent that comes after its child; a set before
 * its create; a field, value or role the rules refuse; a forged parent
 * stamped after its child does not replace; a second create naming another
 * template; the digest the same in every order. */
#include "ws_fake.h"
#include "../check.h"

static char S1[23], S2[23], DC[44], DB[44], DB2[44];
static char ID[40][23];

static int add(struct bp_ws_replica *r, enum bp_ws_op_type type, int id, const char *sheet,
               const char *name, json_t *value, const int *parents, size_t n, uint64_t ms,
               uint32_t counter, const char *device)
{
    char ps[8][BP_WS_OPID_LEN + 1];
    for (size_t i = 0; i < n; i++)
        strcpy(ps[i], ID[parents[i]]);
    struct bp_ws_op op;
    fake_op(&op, type, ID[id], sheet, name, value, ps, n, ms, counter, device);
    int rc = bp_ws_replica_add(r, &op);
    bp_ws_op_clear(&op);
    return rc;
}

/* Heads of a field as op numbers, winner first, into out; returns n. */
static size_t heads(struct bp_ws_replica *r, const char *sheet, const char *field, int *out,
                    int *conflict)
{
    const struct bp_ws_op *h[16];
    size_t n = bp_ws_replica_heads(r, sheet, field, h, 16, conflict);
    for (size_t i = 0; i < n && i < 16; i++)
        for (int k = 0; k < 40; k++)
            if (!strcmp(h[i]->id, ID[k]))
                out[i] = k;
    return n;
}

static const char *winner_text(struct bp_ws_replica *r, const char *sheet, const char *field)
{
    const struct bp_ws_op *h[1];
    if (!bp_ws_replica_heads(r, sheet, field, h, 1, NULL))
        return NULL;
    return json_string_value(h[0]->value);
}

static void test_text(void)
{
    struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
    int h[16], conflict = -1;
    CHECK_EQ_INT(add(r, BP_WS_OP_CREATE, 1, S1, "t", NULL, NULL, 0, 10, 0, DC), 1);
    const char *tmpl = NULL;
    int deleted = -1;
    CHECK(bp_ws_replica_sheet(r, S1, &tmpl, &deleted) == 1 && !strcmp(tmpl, "t") && deleted == 0);
    CHECK_EQ_INT(bp_ws_replica_heads(r, S1, "texte", NULL, 0, NULL), 0);
    /* Sequential: each lists the one before. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 2, S1, "texte", json_string("un"), NULL, 0, 20, 0, DC), 1);
    CHECK_EQ_INT(
        add(r, BP_WS_OP_SET, 3, S1, "texte", json_string("deux"), (int[]){2}, 1, 21, 0, DB), 1);
    CHECK_EQ_INT(
        add(r, BP_WS_OP_SET, 4, S1, "texte", json_string("trois"), (int[]){3}, 1, 22, 0, DC), 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, &conflict), 1);
    CHECK(h[0] == 4 && conflict == 0);
    CHECK_STR(winner_text(r, S1, "texte"), "trois");
    /* Two concurrent edits of 4: a conflict, both kept, the winner by ms. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 5, S1, "texte", json_string("B"), (int[]){4}, 1, 30, 0, DB),
                 1);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 6, S1, "texte", json_string("C"), (int[]){4}, 1, 29, 5, DC),
                 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, &conflict), 2);
    CHECK(h[0] == 5 && h[1] == 6 && conflict == 1);
    /* Same ms: the counter decides; same counter: the device. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 7, S1, "texte", json_string("C2"), (int[]){4}, 1, 30, 1, DC),
                 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, &conflict), 3);
    CHECK(h[0] == 7 && h[1] == 5 && h[2] == 6);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 8, S1, "texte", json_string("B2"), (int[]){4}, 1, 30, 1, DB2),
                 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, &conflict), 4);
    /* DB2 and DC: "C..." > "B..." as bytes. */
    CHECK(h[0] == 7 && h[1] == 8);
    /* Resolve: parents = all heads. One head, no conflict. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 9, S1, "texte", json_string("fusion"), (int[]){5, 6, 7, 8}, 4,
                     31, 0, DB),
                 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, &conflict), 1);
    CHECK(h[0] == 9 && conflict == 0);
    /* Every op still held. */
    CHECK_EQ_INT(bp_ws_replica_count(r), 9);
    CHECK(bp_ws_replica_get(r, ID[5]) != NULL);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[5], NULL), 0);
    /* The same op again is ignored; the same id with other content refused. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 9, S1, "texte", json_string("fusion"), (int[]){5, 6, 7, 8}, 4,
                     31, 0, DB),
                 0);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 9, S1, "texte", json_string("autre"), (int[]){5, 6, 7, 8}, 4,
                     31, 0, DB),
                 BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_ws_replica_count(r), 9);
    CHECK_STR(winner_text(r, S1, "texte"), "fusion");
    /* A list keeps versions too. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 10, S1, "liste", json_pack("[s]", "x"), NULL, 0, 40, 0, DB),
                 1);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 11, S1, "liste", json_pack("[s]", "y"), NULL, 0, 40, 0, DC),
                 1);
    CHECK_EQ_INT(heads(r, S1, "liste", h, &conflict), 2);
    CHECK(conflict == 1 && h[0] == 11);
    /* Delete: the sheet is gone, its operations stay. */
    CHECK_EQ_INT(add(r, BP_WS_OP_DELETE, 12, S1, NULL, NULL, NULL, 0, 50, 0, DC), 1);
    CHECK(bp_ws_replica_sheet(r, S1, &tmpl, &deleted) == 1 && deleted == 1);
    CHECK_EQ_INT(bp_ws_replica_count(r), 12);
    bp_ws_replica_free(r);
}

static void test_choice_date(void)
{
    struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
    int h[16], conflict = -1;
    add(r, BP_WS_OP_CREATE, 1, S1, "t", NULL, NULL, 0, 10, 0, DC);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 2, S1, "choix", json_string("a"), NULL, 0, 20, 0, DC), 1);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 3, S1, "choix", json_string("b"), NULL, 0, 20, 0, DB), 1);
    CHECK_EQ_INT(heads(r, S1, "choix", h, &conflict), 2);
    CHECK(conflict == 0 && h[0] == 2);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 4, S1, "jour", json_string("2026-12-01"), NULL, 0, 20, 0, DB),
                 1);
    CHECK_EQ_INT(
        add(r, BP_WS_OP_SET, 5, S1, "jour", json_string("2026-12-02"), NULL, 0, 21, 0, DB2), 1);
    CHECK_EQ_INT(heads(r, S1, "jour", h, &conflict), 2);
    CHECK(conflict == 0 && h[0] == 5);
    bp_ws_replica_free(r);
}

static void test_refused(void)
{
    struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
    int h[16];
    const char *why = NULL;
    /* A set before its create: held, not applied, applied once the create comes. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 2, S1, "texte", json_string("avant"), NULL, 0, 20, 0, DB), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[2], NULL), BP_WS_NO_CREATE);
    CHECK_EQ_INT(bp_ws_replica_skipped(r), 1);
    CHECK_EQ_INT(bp_ws_replica_heads(r, S1, "texte", NULL, 0, NULL), 0);
    CHECK_EQ_INT(bp_ws_replica_sheet(r, S1, NULL, NULL), 0);
    CHECK_EQ_INT(add(r, BP_WS_OP_CREATE, 1, S1, "t", NULL, NULL, 0, 10, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[2], NULL), 0);
    CHECK_EQ_INT(bp_ws_replica_skipped(r), 0);
    CHECK_EQ_INT(heads(r, S1, "texte", h, NULL), 1);
    /* Role: the beneficiary may not write "note", the consultant not "jour". */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 3, S1, "note", json_string("x"), NULL, 0, 30, 0, DB), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[3], &why), BP_WS_ROLE);
    CHECK(why && strstr(why, "note") != NULL);
    CHECK_EQ_INT(bp_ws_replica_heads(r, S1, "note", NULL, 0, NULL), 0);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 4, S1, "jour", json_string("2026-01-01"), NULL, 0, 30, 0, DC),
                 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[4], NULL), BP_WS_ROLE);
    /* Unknown field, bad value, unknown device role. */
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 5, S1, "inconnu", json_string("x"), NULL, 0, 30, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[5], NULL), BP_WS_UNKNOWN_FIELD);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 6, S1, "choix", json_string("z"), NULL, 0, 30, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[6], NULL), BP_WS_BAD_VALUE);
    char dx[44];
    fake_device('X', 1, dx);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 7, S1, "texte", json_string("x"), (int[]){2}, 1, 30, 0, dx),
                 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[7], NULL), BP_WS_ROLE);
    /* A refused op replaces nothing. */
    CHECK_EQ_INT(heads(r, S1, "texte", h, NULL), 1);
    CHECK(h[0] == 2);
    CHECK_EQ_INT(bp_ws_replica_skipped(r), 5);
    /* A forged parent link backwards in time does not replace. */
    CHECK_EQ_INT(
        add(r, BP_WS_OP_SET, 8, S1, "texte", json_string("vieux"), (int[]){2}, 1, 19, 0, DC), 1);
    CHECK_EQ_INT(heads(r, S1, "texte", h, NULL), 2);
    /* Unknown template: the create is reported, its sets are not applied. */
    CHECK_EQ_INT(add(r, BP_WS_OP_CREATE, 9, S2, "autre", NULL, NULL, 0, 10, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[9], NULL), BP_WS_UNKNOWN_TEMPLATE);
    CHECK_EQ_INT(add(r, BP_WS_OP_SET, 10, S2, "texte", json_string("x"), NULL, 0, 30, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[10], NULL), BP_WS_UNKNOWN_TEMPLATE);
    /* A smaller create naming "t" takes over: the sheet is rebuilt. */
    CHECK_EQ_INT(add(r, BP_WS_OP_CREATE, 11, S2, "t", NULL, NULL, 0, 9, 0, DC), 1);
    CHECK_EQ_INT(bp_ws_replica_status(r, ID[10], NULL), 0);
    CHECK_EQ_INT(heads(r, S2, "texte", h, NULL), 1);
    bp_ws_replica_free(r);
}

/* Children before parents, and every order of a small history: one digest. */
static void test_orders(void)
{
    /* 1 create; 2 <- 3 <- 4 sequential; 5 concurrent with 3; 6 resolves 4, 5. */
    struct {
        enum bp_ws_op_type t;
        const char *v;
        int p[2];
        size_t n;
        uint64_t ms;
        const char *dev;
    } h[] = {
        {BP_WS_OP_CREATE, NULL, {0}, 0, 1, DC}, {BP_WS_OP_SET, "a", {0}, 0, 2, DC},
        {BP_WS_OP_SET, "b", {2}, 1, 3, DB},     {BP_WS_OP_SET, "c", {3}, 1, 4, DB},
        {BP_WS_OP_SET, "d", {2}, 1, 5, DC},     {BP_WS_OP_SET, "e", {4, 5}, 2, 6, DB},
        {BP_WS_OP_SET, "f", {3}, 1, 7, DB2},
    };
    size_t n = sizeof h / sizeof h[0];
    uint8_t first[32], d[32];
    srand(7);
    for (int run = 0; run < 200; run++) {
        struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
        int order[16];
        for (size_t i = 0; i < n; i++)
            order[i] = (int)i;
        for (size_t i = n - 1; run && i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        if (run == 1)
            for (size_t i = 0; i < n; i++)
                order[i] = (int)(n - 1 - i); /* children first, create last */
        for (size_t k = 0; k < n; k++) {
            int i = order[k];
            add(r, h[i].t, i + 1, S1, h[i].t == BP_WS_OP_CREATE ? "t" : "texte",
                h[i].v ? json_string(h[i].v) : NULL, h[i].p, h[i].n, h[i].ms, 0, h[i].dev);
            if (rand() % 3 == 0) /* a repeat */
                add(r, h[i].t, i + 1, S1, h[i].t == BP_WS_OP_CREATE ? "t" : "texte",
                    h[i].v ? json_string(h[i].v) : NULL, h[i].p, h[i].n, h[i].ms, 0, h[i].dev);
        }
        int hd[16], conflict;
        CHECK_EQ_INT(heads(r, S1, "texte", hd, &conflict), 2);
        CHECK(hd[0] == 7 && hd[1] == 6 && conflict == 1);
        CHECK_EQ_INT(bp_ws_replica_digest(r, run ? d : first), 0);
        if (run)
            CHECK_MEM(d, first, 32);
        bp_ws_replica_free(r);
    }
    /* The same ops with another rule's answer (a role refused): another digest. */
    {
        struct bp_ws_rules strict = fake_rules;
        strict.device_role = NULL; /* every author unknown: every set refused */
        struct bp_ws_replica *a = bp_ws_replica_new(&fake_rules), *b = bp_ws_replica_new(&strict);
        uint8_t da[32], db[32];
        for (int k = 0; k < 2; k++) {
            struct bp_ws_replica *x = k ? b : a;
            add(x, BP_WS_OP_CREATE, 1, S1, "t", NULL, NULL, 0, 1, 0, DC);
            add(x, BP_WS_OP_SET, 2, S1, "texte", json_string("a"), NULL, 0, 2, 0, DC);
        }
        CHECK_EQ_INT(bp_ws_replica_status(b, ID[2], NULL), BP_WS_ROLE);
        CHECK(bp_ws_replica_digest(a, da) == 0 && bp_ws_replica_digest(b, db) == 0);
        CHECK(memcmp(da, db, 32) != 0);
        bp_ws_replica_free(a);
        bp_ws_replica_free(b);
    }
    /* A different set: a different digest. */
    struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
    add(r, BP_WS_OP_CREATE, 1, S1, "t", NULL, NULL, 0, 1, 0, DC);
    CHECK_EQ_INT(bp_ws_replica_digest(r, d), 0);
    CHECK(memcmp(d, first, 32) != 0);
    bp_ws_replica_free(r);
}

static void test_json(void)
{
    struct bp_ws_replica *r = bp_ws_replica_new(&fake_rules);
    struct bp_verr e = {0};
    CHECK_EQ_INT(bp_ws_replica_add_json(r, "{}", 2, &e), BP_E_MISSING_FIELD);
    CHECK(strstr(e.detail, "operation") != NULL);
    struct bp_ws_op op;
    fake_op(&op, BP_WS_OP_CREATE, ID[1], S1, "t", NULL, NULL, 0, 1, 0, DC);
    size_t len;
    char *s = bp_ws_op_encode(&op, &len);
    CHECK_EQ_INT(bp_ws_replica_add_json(r, s, len, &e), 1);
    CHECK_EQ_INT(bp_ws_replica_add_json(r, s, len, &e), 0);
    free(s);
    bp_ws_op_clear(&op);
    CHECK_EQ_INT(bp_ws_replica_count(r), 1);
    /* An op built in memory with a malformed id, field or parent is refused. */
    fake_op(&op, BP_WS_OP_SET, ID[2], S1, "texte", json_string("x"), NULL, 0, 2, 0, DC);
    op.id[5] = 0;
    CHECK_EQ_INT(bp_ws_replica_add(r, &op), BP_E_INVALID_FIELD);
    strcpy(op.id, ID[2]);
    strcpy(op.field, "Texte");
    CHECK_EQ_INT(bp_ws_replica_add(r, &op), BP_E_INVALID_FIELD);
    strcpy(op.field, "texte");
    op.n_parents = 1; /* and no array */
    CHECK_EQ_INT(bp_ws_replica_add(r, &op), BP_E_INVALID_FIELD);
    op.n_parents = 0;
    op.type = (enum bp_ws_op_type)7;
    CHECK_EQ_INT(bp_ws_replica_add(r, &op), BP_E_INVALID_FIELD);
    op.type = BP_WS_OP_SET;
    CHECK_EQ_INT(bp_ws_replica_add(r, &op), 1);
    bp_ws_op_clear(&op);
    CHECK_EQ_INT(bp_ws_replica_count(r), 2);
    bp_ws_replica_free(r);
}

int main(void)
{
    fake_id(1000, S1);
    fake_id(1001, S2);
    fake_device('C', 1, DC);
    fake_device('B', 1, DB);
    fake_device('B', 2, DB2);
    for (int i = 0; i < 40; i++)
        fake_id((unsigned)i, ID[i]);
    test_text();
    test_choice_date();
    test_refused();
    test_orders();
    test_json();
    return check_report();
}
