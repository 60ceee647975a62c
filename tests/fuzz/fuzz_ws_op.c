/* fuzz_ws_op.c: libFuzzer target for a worksheet operation's parser
 * (bp_ws_op_parse, docs/WORKSHEETS.md). Invariants: a refusal has a code
 * and says why; an accepted operation encodes to canonical bytes that parse
 * back to the same bytes; a replica takes it (twice: the second time is a
 * duplicate) and its digest is computed. */
#include <stdlib.h>
#include <string.h>

#include "bp/ws_merge.h"
#include "bp/ws_op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int any_role(void *ctx, const char *device)
{
    (void)ctx;
    return device[0] == 'C' ? 1 : 2;
}

/* Every template known; a field whose name starts with 'x' unknown; a value
 * of an odd length refused; text ("t...") keeps versions. */
static int some_fields(void *ctx, const char *tmpl, const char *field, const json_t *v, int role,
                       int *keeps, char *why, size_t cap)
{
    (void)ctx, (void)tmpl, (void)role, (void)why, (void)cap;
    if (!field)
        return 0;
    *keeps = field[0] == 't';
    if (field[0] == 'x')
        return BP_WS_UNKNOWN_FIELD;
    return json_is_string(v) && json_string_length(v) % 2 ? BP_WS_BAD_VALUE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bp_ws_op op;
    struct bp_verr e = {0};
    int rc = bp_ws_op_parse((const char *)data, size, &op, &e);
    if (rc) {
        if (rc >= 0 || e.code != rc || !e.detail[0])
            abort();
        bp_ws_op_clear(&op);
        return 0;
    }
    size_t n1 = 0, n2 = 0;
    char *a = bp_ws_op_encode(&op, &n1);
    struct bp_ws_op back;
    if (!a || bp_ws_op_parse(a, n1, &back, NULL))
        abort();
    char *b = bp_ws_op_encode(&back, &n2);
    if (!b || n1 != n2 || memcmp(a, b, n1))
        abort();
    struct bp_ws_rules rules = {NULL, any_role, some_fields};
    struct bp_ws_replica *r = bp_ws_replica_new(&rules);
    uint8_t d[32];
    if (!r || bp_ws_replica_add(r, &op) != 1 || bp_ws_replica_add(r, &back) != 0 ||
        bp_ws_replica_count(r) != 1 || bp_ws_replica_digest(r, d))
        abort();
    bp_ws_replica_free(r);
    free(a);
    free(b);
    bp_ws_op_clear(&back);
    bp_ws_op_clear(&op);
    return 0;
}
