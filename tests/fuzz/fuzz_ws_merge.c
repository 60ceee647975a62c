/* fuzz_ws_merge.c: libFuzzer target for the worksheet merge
 * (proto/ws_merge.c) fed hostile histories: one operation per line, any
 * of them forged (parents in cycles or from the future, several creates,
 * sets before creates, unknown fields). Invariant: the state is a function
 * of the set of operations: added in the given order, in the reverse
 * order, and each twice, the three replicas have the same digest and the
 * same number of operations held. Inputs that reuse an op id with other
 * content are skipped (the first copy wins there, by design). */
#include <stdlib.h>
#include <string.h>

#include "bp/ws_merge.h"
#include "bp/ws_op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static int any_role(void *ctx, const char *device)
{
    (void)ctx;
    return device[0] == 'C' ? 1 : device[0] == 'B' ? 2 : 0;
}

/* Template "t" only; fields starting with 'x' unknown; "c..." consultant
 * only; odd-length strings refused; "t..." fields keep versions. */
static int some_fields(void *ctx, const char *tmpl, const char *field, const json_t *v, int role,
                       int *keeps, char *why, size_t cap)
{
    (void)ctx, (void)why, (void)cap;
    if (strcmp(tmpl, "t"))
        return BP_WS_UNKNOWN_TEMPLATE;
    if (!field)
        return 0;
    *keeps = field[0] == 't';
    if (field[0] == 'x')
        return BP_WS_UNKNOWN_FIELD;
    if (json_is_string(v) && json_string_length(v) % 2)
        return BP_WS_BAD_VALUE;
    return field[0] == 'c' && role != 1 ? BP_WS_ROLE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bp_ws_op ops[MAX_LINES];
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && n < MAX_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (bp_ws_op_parse(p, len, &ops[n], NULL) == 0)
            n++;
        else
            bp_ws_op_clear(&ops[n]);
        p += len + 1;
    }
    int skip = 0;
    for (size_t i = 0; i < n && !skip; i++)
        for (size_t j = 0; j < i && !skip; j++)
            if (!strcmp(ops[i].id, ops[j].id)) {
                char *a = bp_ws_op_encode(&ops[i], NULL), *b = bp_ws_op_encode(&ops[j], NULL);
                skip = !a || !b || strcmp(a, b);
                free(a);
                free(b);
            }
    if (!skip) {
        struct bp_ws_rules rules = {NULL, any_role, some_fields};
        struct bp_ws_replica *r[3];
        for (int k = 0; k < 3; k++)
            if (!(r[k] = bp_ws_replica_new(&rules)))
                abort();
        for (size_t i = 0; i < n; i++) {
            if (bp_ws_replica_add(r[0], &ops[i]) < 0 ||
                bp_ws_replica_add(r[1], &ops[n - 1 - i]) < 0 ||
                bp_ws_replica_add(r[2], &ops[i]) < 0 || bp_ws_replica_add(r[2], &ops[i / 2]) < 0)
                abort();
        }
        uint8_t d[3][32];
        for (int k = 0; k < 3; k++)
            if (bp_ws_replica_digest(r[k], d[k]))
                abort();
        if (memcmp(d[0], d[1], 32) || memcmp(d[0], d[2], 32) ||
            bp_ws_replica_count(r[0]) != bp_ws_replica_count(r[1]) ||
            bp_ws_replica_count(r[0]) != bp_ws_replica_count(r[2]))
            abort();
        for (int k = 0; k < 3; k++)
            bp_ws_replica_free(r[k]);
    }
    for (size_t i = 0; i < n; i++)
        bp_ws_op_clear(&ops[i]);
    return 0;
}
