/* fuzz_sheet_input.c: libFuzzer target for what a person types as a value
 * on the command line (client/sheet_input.c: `bilan sheet set ID FIELD
 * VALUE`, `resolve --value V`).
 *
 * The input's first two bytes pick a field among every field of the
 * built-in templates; the rest is the typed text (cut at its first NUL, as
 * argv is). Invariants: a refusal leaves *out NULL and says why in
 * NUL-terminated UTF-8 within its buffer (also a small one); an acceptance
 * gives JSON null or the kind's shape: a string for text, choice and date
 * (an option id; "dddd-dd-dd"), an array of distinct option ids for multi,
 * an integer for scale, an array of non-empty one-line items for list. */
#include <stdlib.h>
#include <string.h>

#include "bp/data.h"
#include "sheet_input.h"
#include "ws_templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ws_templates ts;
static const struct bp_ws_field **fields;
static size_t n_fields;

static void setup(void)
{
    char why[256];
    if (ws_templates_load_all(&ts, why, sizeof why) || !ts.n)
        abort();
    for (int pass = 0; pass < 2; pass++) {
        n_fields = 0;
        for (size_t i = 0; i < ts.n; i++)
            for (size_t s = 0; s < ts.t[i]->n_sections; s++)
                for (size_t k = 0; k < ts.t[i]->sections[s].n_fields; k++) {
                    if (pass)
                        fields[n_fields] = &ts.t[i]->sections[s].fields[k];
                    n_fields++;
                }
        if (!pass && !(fields = calloc(n_fields, sizeof *fields)))
            abort();
    }
}

static int is_option(const struct bp_ws_field *f, const json_t *v)
{
    const char *id = json_string_value(v);
    for (size_t i = 0; id && i < f->n_options; i++)
        if (!strcmp(f->options[i].id, id))
            return 1;
    return 0;
}

static void check_shape(const struct bp_ws_field *f, const json_t *v)
{
    if (json_is_null(v))
        return;
    switch (f->kind) {
    case BP_WS_TEXT:
        if (!json_is_string(v))
            abort();
        break;
    case BP_WS_CHOICE:
        if (!is_option(f, v))
            abort();
        break;
    case BP_WS_DATE: {
        const char *d = json_string_value(v);
        if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
            abort();
        break;
    }
    case BP_WS_SCALE:
        if (!json_is_integer(v))
            abort();
        break;
    case BP_WS_MULTI:
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!is_option(f, json_array_get(v, i)))
                abort();
            for (size_t j = 0; j < i; j++)
                if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                    abort();
        }
        if (!json_is_array(v))
            abort();
        break;
    case BP_WS_LIST:
        if (!json_is_array(v))
            abort();
        for (size_t i = 0; i < json_array_size(v); i++) {
            const char *s = json_string_value(json_array_get(v, i));
            if (!s || !*s || strchr(s, '\n'))
                abort();
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fields)
        setup();
    if (size < 2)
        return 0;
    const struct bp_ws_field *f = fields[((size_t)data[0] << 8 | data[1]) % n_fields];
    char *text = malloc(size - 1);
    if (!text)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    size_t caps[2] = {512, 9};
    for (int k = 0; k < 2; k++) {
        char why[512];
        memset(why, 'x', sizeof why);
        json_t *v = (json_t *)1;
        int rc = sheet_input_parse(f, text, &v, why, caps[k]);
        if (rc == 0) {
            if (!v)
                abort();
            check_shape(f, v);
            json_decref(v);
        } else {
            const char *end = memchr(why, '\0', caps[k]);
            if (rc != -1 || v || !end ||
                (k == 0 && !bp_utf8_valid((const uint8_t *)why, (size_t)(end - why))))
                abort();
        }
    }
    free(text);
    return 0;
}
