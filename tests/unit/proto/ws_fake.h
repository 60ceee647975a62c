/* ws_fake.h: what the worksheet merge tests plug in place of the templates
 * (bp_ws_rules): one template "t" with five fields, and devices whose
 * fingerprint says their role (first character 'C': consultant, 'B':
 * beneficiary). Also ids and operations built in a line. Test code only. */
#ifndef TESTS_WS_FAKE_H
#define TESTS_WS_FAKE_H

#include <stdio.h>
#include <string.h>

#include "bp/b64.h"
#include "bp/ws_merge.h"
#include "bp/ws_template.h"

/*   texte  text    both         keeps versions
 *   note   text    consultant   keeps versions
 *   choix  choice  both         "a" "b" "c"
 *   liste  list    both         keeps versions
 *   jour   date    beneficiary  "YYYY-MM-DD" (shape only) */
static inline int fake_role(void *ctx, const char *device)
{
    (void)ctx;
    return device[0] == 'C' ? BP_WS_CONSULTANT : device[0] == 'B' ? BP_WS_BENEFICIARY : 0;
}

static inline int fake_check(void *ctx, const char *tmpl, const char *field, const json_t *v,
                             int role, int *keeps, char *why, size_t cap)
{
    (void)ctx;
    if (strcmp(tmpl, "t")) {
        snprintf(why, cap, "unknown template %s", tmpl);
        return BP_WS_UNKNOWN_TEMPLATE;
    }
    if (!field)
        return 0;
    int editors, ok;
    *keeps = 0;
    if (!strcmp(field, "texte") || !strcmp(field, "note")) {
        editors = field[0] == 't' ? BP_WS_BOTH : BP_WS_CONSULTANT;
        ok = json_is_string(v) || json_is_null(v);
        *keeps = 1;
    } else if (!strcmp(field, "choix")) {
        editors = BP_WS_BOTH;
        const char *s = json_string_value(v);
        ok = json_is_null(v) || (s && strlen(s) == 1 && s[0] >= 'a' && s[0] <= 'c');
    } else if (!strcmp(field, "liste")) {
        editors = BP_WS_BOTH;
        ok = json_is_array(v) || json_is_null(v);
        *keeps = 1;
    } else if (!strcmp(field, "jour")) {
        editors = BP_WS_BENEFICIARY;
        ok = json_is_null(v) || (json_is_string(v) && json_string_length(v) == 10);
    } else {
        snprintf(why, cap, "no field %s", field);
        return BP_WS_UNKNOWN_FIELD;
    }
    if (!ok) {
        snprintf(why, cap, "bad value for %s", field);
        return BP_WS_BAD_VALUE;
    }
    if (!(role & editors)) {
        snprintf(why, cap, "role %d may not edit %s", role, field);
        return BP_WS_ROLE;
    }
    return 0;
}

static const struct bp_ws_rules fake_rules = {NULL, fake_role, fake_check};

/* Op or sheet id n (22 characters) into out[23]. */
static inline void fake_id(unsigned n, char *out)
{
    uint8_t b[16] = {0};
    memcpy(b + 12, &n, sizeof n);
    b[0] = 0x55;
    bp_b64_encode(b, 16, out);
}

/* Device n of a role ('C' or 'B' first) into out[44]. */
static inline void fake_device(char role, unsigned n, char *out)
{
    uint8_t b[32] = {0};
    b[0] = (uint8_t)((role == 'C' ? 2 : role == 'B' ? 1 : 3) << 2);
    memcpy(b + 1, &n, sizeof n);
    bp_b64_encode(b, 32, out);
}

/* An operation in memory (value taken; parents: n ids). */
static inline void fake_op(struct bp_ws_op *op, enum bp_ws_op_type type, const char *id,
                           const char *sheet, const char *name, json_t *value,
                           const char (*parents)[BP_WS_OPID_LEN + 1], size_t n, uint64_t ms,
                           uint32_t counter, const char *device)
{
    memset(op, 0, sizeof *op);
    op->type = type;
    strcpy(op->id, id);
    strcpy(op->sheet, sheet);
    if (type == BP_WS_OP_CREATE)
        strcpy(op->tmpl, name);
    if (type == BP_WS_OP_SET) {
        strcpy(op->field, name);
        op->value = value;
        if (n) {
            op->parents = calloc(n, sizeof *op->parents);
            memcpy(op->parents, parents, n * sizeof *parents);
        }
        op->n_parents = n;
    }
    op->hlc.ms = ms;
    op->hlc.counter = counter;
    strcpy(op->device, device);
}

#endif
