/* fuzz_ws_template.c: libFuzzer target for the worksheet template parser
 * and the value check of proto/ws_template.c (docs/WORKSHEETS.md).
 *
 * The input is a template's text. Invariants: a refusal has a known code,
 * leaves *out NULL and says why in NUL-terminated UTF-8 that fits its
 * buffer, also when the buffer is small; an accepted template keeps every
 * rule it was checked for (ids, unique field ids, kinds, editors, scale
 * bounds, options only where they belong), each field is found by its id,
 * the empty value fits every field, each option fits its choice and multi,
 * min and max fit a scale and min - 1 does not.
 * An input may carry a value after a NUL byte (template, NUL, JSON value):
 * checked against every field of the template, an accepted value has the
 * shape its kind promises, a refused one a known code and a sentence. */
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

/* Whether s[0..n) has a control character other than \n and \t (multiline). */
static int controls(const char *s, size_t n, int multiline)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f ||
            (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            return 1;
    }
    return 0;
}

static int is_option(const struct bp_ws_field *f, const json_t *v)
{
    for (size_t k = 0; json_is_string(v) && k < f->n_options; k++)
        if (!strcmp(json_string_value(v), f->options[k].id) &&
            json_string_length(v) == strlen(f->options[k].id))
            return 1;
    return 0;
}

/* v accepted by f: it has the shape f's kind promises. */
static int fits(const struct bp_ws_field *f, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    switch (f->kind) {
    case BP_WS_TEXT:
        return s && n <= BP_WS_TEXT_MAX && bp_utf8_valid((const uint8_t *)s, n) &&
               !controls(s, n, 1);
    case BP_WS_CHOICE:
        return is_option(f, v);
    case BP_WS_MULTI:
        if (!json_is_array(v) || json_array_size(v) > f->n_options)
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!is_option(f, json_array_get(v, i)))
                return 0;
            for (size_t j = 0; j < i; j++) /* distinct */
                if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                    return 0;
        }
        return 1;
    case BP_WS_SCALE:
        return json_is_integer(v) && json_integer_value(v) >= f->min &&
               json_integer_value(v) <= f->max;
    case BP_WS_LIST:
        if (!json_is_array(v) || json_array_size(v) > BP_WS_LIST_ITEMS)
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *it = json_array_get(v, i);
            size_t m = json_string_length(it);
            if (!json_is_string(it) || m < 1 || m > BP_WS_ITEM_MAX ||
                controls(json_string_value(it), m, 0))
                return 0;
        }
        return 1;
    case BP_WS_DATE:
        return s && n == 10 && s[4] == '-' && s[7] == '-';
    }
    return 0;
}

static void check_value(const struct bp_ws_template *t, const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return;
    for (size_t s = 0; s < t->n_sections; s++)
        for (size_t i = 0; i < t->sections[s].n_fields; i++) {
            const struct bp_ws_field *f = &t->sections[s].fields[i];
            char why[256];
            int rc = bp_ws_value_check(f, v, why, sizeof why);
            if (rc == 0 && !json_is_null(v) && !fits(f, v))
                abort();
            if (rc) {
                if (rc != BP_E_INVALID_FIELD && rc != BP_E_TOO_LARGE)
                    abort();
                check_why(why, sizeof why);
            }
        }
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    const uint8_t *value = NULL;
    size_t value_len = 0;
    if (nul) {
        value = nul + 1;
        value_len = size - (size_t)(value - data);
        size = (size_t)(nul - data);
    }
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
    if (value)
        check_value(t, value, value_len);
    bp_ws_template_free(t);
    return 0;
}
