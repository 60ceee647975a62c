/* ws_op.c: a worksheet operation parsed, checked and encoded (bp/ws_op.h).
 *
 * Owns: the operation's field table (checked by bp/fields.h, the protocol's
 * one validator) and the rules that table cannot say: which fields each
 * type may carry, the shape of a value, distinct parents.
 * Must never: look at a template (the merge does, through its rules), or
 * accept what would not encode back to the same operation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/fields.h"
#include "bp/ws_op.h"

static const char *const type_words[] = {"create", "set", "delete", NULL};
static const char *const WHERE = "operation";

static const struct bp_field common_spec[] = {
    BP_FIELD_WHY("v", BP_F_INT, BP_FIELD_REQ, 1, 1, "must be 1"),
    BP_FIELD("op", BP_F_B64, BP_FIELD_REQ, 0, 16),
    BP_FIELD("sheet", BP_F_B64, BP_FIELD_REQ, 0, 16),
    BP_FIELD_WORDS("type", BP_FIELD_REQ, type_words),
    BP_FIELD("hlc", BP_F_ARRAY, BP_FIELD_REQ, 2, 2),
    BP_FIELD("device", BP_F_B64, BP_FIELD_REQ, 0, 32),
};
static const struct bp_field hlc_ms =
    BP_FIELD("hlc[0]", BP_F_INT, BP_FIELD_REQ, 0, (long long)BP_WS_HLC_MS_MAX);
static const struct bp_field hlc_counter =
    BP_FIELD("hlc[1]", BP_F_INT, BP_FIELD_REQ, 0, BP_WS_HLC_COUNTER_MAX);
static const struct bp_field create_spec[] = {
    BP_FIELD_WHY("template", BP_F_STR, BP_FIELD_REQ, 1, BP_WS_NAME_MAX,
                 "must be 1 to 40 characters a-z 0-9 _"),
};
static const struct bp_field set_spec[] = {
    BP_FIELD_WHY("field", BP_F_STR, BP_FIELD_REQ, 1, BP_WS_NAME_MAX,
                 "must be 1 to 40 characters a-z 0-9 _"),
    BP_FIELD("parents", BP_F_ARRAY, BP_FIELD_REQ, 0, BP_WS_PARENTS_MAX),
};
static const struct bp_field parent_row = BP_FIELD("parents[]", BP_F_B64, BP_FIELD_REQ, 0, 16);
/* Only for the wording of a missing value (any JSON value is looked at below). */
static const struct bp_field value_row = BP_FIELD("value", BP_F_OBJECT, BP_FIELD_REQ, 0, 0);

/* The fields each type may carry, in the order of enum bp_ws_op_type. */
static const char *const allowed[3][10] = {
    {"v", "op", "sheet", "type", "hlc", "device", "template", NULL},
    {"v", "op", "sheet", "type", "hlc", "device", "field", "value", "parents", NULL},
    {"v", "op", "sheet", "type", "hlc", "device", NULL},
};

int bp_ws_name_ok(const char *s, size_t n)
{
    if (n < 1 || n > BP_WS_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int name_field(const json_t *o, const char *key, char *out)
{
    const json_t *v = json_object_get(o, key);
    if (!bp_ws_name_ok(json_string_value(v), json_string_length(v)))
        return 0;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 1;
}

/* null, a string, an integer, or an array of at most BP_WS_VALUE_ITEMS strings. */
static int value_shape_ok(const json_t *v)
{
    if (json_is_null(v) || json_is_string(v) || json_is_integer(v))
        return 1;
    if (!json_is_array(v) || json_array_size(v) > BP_WS_VALUE_ITEMS)
        return 0;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i)))
            return 0;
    return 1;
}

static int set_fields(const json_t *o, struct bp_ws_op *op, struct bp_verr *e)
{
    int rc = bp_fields_check(o, set_spec, sizeof set_spec / sizeof set_spec[0], WHERE, e);
    if (rc)
        return rc;
    if (!name_field(o, "field", op->field))
        return bp_field_refuse("field", WHERE, "must be 1 to 40 characters a-z 0-9 _", e);
    const json_t *v = json_object_get(o, "value");
    if (!v)
        return bp_field_check_value(NULL, &value_row, WHERE, e);
    if (!value_shape_ok(v))
        return bp_field_refuse("value", WHERE,
                               "must be null, a string, an integer or an array of strings", e);
    const json_t *ps = json_object_get(o, "parents");
    size_t n = json_array_size(ps);
    if (n) {
        op->parents = calloc(n, sizeof *op->parents);
        if (!op->parents)
            return BP_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(ps, i);
        rc = bp_field_check_value(p, &parent_row, WHERE, e);
        if (rc)
            return rc;
        const char *s = json_string_value(p);
        /* A repeated parent would count twice; the op itself can't be its parent. */
        if (!strcmp(s, op->id))
            return bp_field_refuse("parents", WHERE, "must not list the operation itself", e);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(op->parents[j], s))
                return bp_field_refuse("parents", WHERE, "must not repeat an id", e);
        memcpy(op->parents[i], s, BP_WS_OPID_LEN + 1);
        op->n_parents = i + 1;
    }
    op->value = json_deep_copy(v);
    return op->value ? 0 : BP_E_NOMEM;
}

int bp_ws_op_from_json(const json_t *o, struct bp_ws_op *out, struct bp_verr *e)
{
    memset(out, 0, sizeof *out);
    int rc = bp_fields_check(o, common_spec, sizeof common_spec / sizeof common_spec[0], WHERE, e);
    if (rc)
        return rc;
    const json_t *h = json_object_get(o, "hlc");
    if ((rc = bp_field_check_value(json_array_get(h, 0), &hlc_ms, WHERE, e)) ||
        (rc = bp_field_check_value(json_array_get(h, 1), &hlc_counter, WHERE, e)))
        return rc;
    out->hlc.ms = (uint64_t)json_integer_value(json_array_get(h, 0));
    out->hlc.counter = (uint32_t)json_integer_value(json_array_get(h, 1));
    out->type = (enum bp_ws_op_type)bp_field_word(json_object_get(o, "type"), type_words);
    bp_fields_str(o, "op", out->id, sizeof out->id);
    bp_fields_str(o, "sheet", out->sheet, sizeof out->sheet);
    bp_fields_str(o, "device", out->device, sizeof out->device);

    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        int ok = 0;
        for (int i = 0; allowed[out->type][i] && !ok; i++)
            ok = !strcmp(key, allowed[out->type][i]);
        if (!ok)
            return bp_field_refuse(key, WHERE, "is not allowed in this type of operation", e);
    }
    if (out->type == BP_WS_OP_CREATE) {
        if ((rc = bp_fields_check(o, create_spec, 1, WHERE, e)))
            return rc;
        if (!name_field(o, "template", out->tmpl))
            return bp_field_refuse("template", WHERE, "must be 1 to 40 characters a-z 0-9 _", e);
    } else if (out->type == BP_WS_OP_SET) {
        return set_fields(o, out, e);
    }
    return 0;
}

int bp_ws_op_parse(const char *json, size_t len, struct bp_ws_op *out, struct bp_verr *e)
{
    memset(out, 0, sizeof *out);
    if (len > BP_WS_OP_MAX) {
        if (e) {
            e->code = BP_E_TOO_LARGE;
            snprintf(e->detail, sizeof e->detail, "operation of %zu bytes (at most %d)", len,
                     BP_WS_OP_MAX);
        }
        return BP_E_TOO_LARGE;
    }
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        if (e) {
            e->code = BP_E_BAD_JSON;
            snprintf(e->detail, sizeof e->detail, "operation is not JSON: %.100s", je.text);
        }
        return BP_E_BAD_JSON;
    }
    int rc = bp_ws_op_from_json(o, out, e);
    json_decref(o);
    return rc;
}

char *bp_ws_op_encode(const struct bp_ws_op *op, size_t *len)
{
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:[I,I], s:s}", "v", 1, "op", op->id, "sheet",
                          op->sheet, "type", type_words[op->type], "hlc", (json_int_t)op->hlc.ms,
                          (json_int_t)op->hlc.counter, "device", op->device);
    if (!o)
        return NULL;
    int bad = 0;
    if (op->type == BP_WS_OP_CREATE) {
        bad |= json_object_set_new(o, "template", json_string(op->tmpl));
    } else if (op->type == BP_WS_OP_SET) {
        json_t *ps = json_array();
        for (size_t i = 0; ps && i < op->n_parents; i++)
            bad |= json_array_append_new(ps, json_string(op->parents[i]));
        bad |= json_object_set_new(o, "parents", ps);
        bad |= json_object_set_new(o, "field", json_string(op->field));
        bad |= json_object_set(o, "value", op->value ? op->value : json_null());
    }
    char *s = NULL;
    /* Checked on the way out too: an op built in memory is sealed only if it would parse. */
    struct bp_ws_op back;
    if (!bad && bp_ws_op_from_json(o, &back, NULL) == 0)
        s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    bp_ws_op_clear(&back);
    json_decref(o);
    if (s && len)
        *len = strlen(s);
    return s;
}

int bp_ws_op_copy(struct bp_ws_op *dst, const struct bp_ws_op *src)
{
    *dst = *src;
    dst->value = NULL;
    dst->parents = NULL;
    if (src->value && !(dst->value = json_deep_copy(src->value)))
        goto fail;
    if (src->n_parents) {
        dst->parents = malloc(src->n_parents * sizeof *dst->parents);
        if (!dst->parents)
            goto fail;
        memcpy(dst->parents, src->parents, src->n_parents * sizeof *dst->parents);
    }
    return 0;
fail:
    bp_ws_op_clear(dst);
    return BP_E_NOMEM;
}

void bp_ws_op_clear(struct bp_ws_op *op)
{
    json_decref(op->value);
    free(op->parents);
    memset(op, 0, sizeof *op);
}
