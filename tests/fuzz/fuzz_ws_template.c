/* fuzz_ws_template.c: libFuzzer target for the worksheet template parser
 * and the value check of proto/ws_template.c (docs/WORKSHEETS.md).
 *
 * The input is a template's text. Invariants: a refusal has a known code,
 * leaves *out NULL and says why in NUL-terminated UTF-8 that fits its
 * buffer, also when the buffer is small; an accepted template keeps every
 * rule it was checked for (ids, unique field ids, kinds, editors, scale
 * bounds, options only where they belong), each field is found by its id,
 * the empty value fits every field, each option fits its choice and multi,
 * min and max fit a scale and min - 1 does not. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "bp/data.h"
#include "bp/ws_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_why(const char *why, size_t cap)
{
    const char *end = memchr(why, '\0', cap);
    if (!end || (cap > 1 && end == why) ||
        !bp_utf8_valid((const uint8_t *)why, (size_t)(end - why)))
        abort();
}

static void check_field(const struct bp_ws_template *t, const struct bp_ws_field *f)
{
    char why[256];
    if (bp_ws_template_field(t, f->id) != f || f->kind > BP_WS_DATE ||
        f->editors < BP_WS_CONSULTANT || f->editors > BP_WS_BOTH || !f->label || !f->label[0])
        abort();
    int opts = f->kind == BP_WS_CHOICE || f->kind == BP_WS_MULTI;
    if (opts != (f->n_options > 0) || f->n_options > BP_WS_OPTIONS_MAX)
        abort();
    if (bp_ws_value_check(f, NULL, why, sizeof why) ||
        bp_ws_value_check(f, json_null(), why, sizeof why))
        abort();
    for (size_t k = 0; k < f->n_options; k++) {
        json_t *v = json_string(f->options[k].id);
        json_t *a = json_pack("[s]", f->options[k].id);
        if (!v || !a || bp_ws_value_check(f, f->kind == BP_WS_CHOICE ? v : a, why, sizeof why))
            abort();
        json_decref(v);
        json_decref(a);
    }
    if (f->kind == BP_WS_SCALE) {
        if (f->min < 0 || f->min >= f->max || f->max > 100)
            abort();
        json_t *lo = json_integer(f->min), *hi = json_integer(f->max),
               *out = json_integer(f->min - 1);
        if (bp_ws_value_check(f, lo, why, sizeof why) ||
            bp_ws_value_check(f, hi, why, sizeof why) ||
            bp_ws_value_check(f, out, why, sizeof why) != BP_E_INVALID_FIELD)
            abort();
        check_why(why, sizeof why);
        json_decref(lo);
        json_decref(hi);
        json_decref(out);
    } else if (f->min_label || f->max_label) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    struct bp_ws_template *t = (void *)1;
    char why[512];
    int rc = bp_ws_template_parse((const char *)data, size, NULL, &t, why, sizeof why);
    if (rc) {
        if ((rc != BP_E_BAD_JSON && rc != BP_E_MISSING_FIELD && rc != BP_E_INVALID_FIELD &&
             rc != BP_E_NOMEM) ||
            t != NULL)
            abort();
        check_why(why, sizeof why);
        /* A small buffer: cut on a character, never past its end. */
        char small[24];
        memset(small, 'x', sizeof small);
        if (bp_ws_template_parse((const char *)data, size, NULL, &t, small, 20) != rc ||
            small[20] != 'x')
            abort();
        check_why(small, 20);
        return 0;
    }
    if (!t || !t->title || t->n_sections < 1 || t->phase < 0 || t->phase > 3)
        abort();
    for (size_t s = 0; s < t->n_sections; s++) {
        if (t->sections[s].n_fields < 1)
            abort();
        for (size_t i = 0; i < t->n_sections; i++)
            if (i != s && !strcmp(t->sections[i].id, t->sections[s].id))
                abort();
        for (size_t f = 0; f < t->sections[s].n_fields; f++)
            check_field(t, &t->sections[s].fields[f]);
    }
    /* Parsing again under its own id gives the same answer. */
    struct bp_ws_template *u = NULL;
    if (bp_ws_template_parse((const char *)data, size, t->id, &u, why, sizeof why) || !u)
        abort();
    bp_ws_template_free(u);
    bp_ws_template_free(t);
    return 0;
}
