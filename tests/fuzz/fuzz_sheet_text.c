/* fuzz_sheet_text.c: libFuzzer target for the reading of a sheet's text
 * form (client/doc/sheet_text_read.c), the text a person saved in $EDITOR.
 *
 * The input's first byte picks a built-in template (low bits), the role
 * (bit 6: consultant or beneficiary) and whether the sheet was filled
 * before (bit 7); the rest is the text. Invariants: a refusal leaves
 * *changes NULL, says why in NUL-terminated UTF-8 that fits its buffer (also
 * a small one, cut on a character) and gives a line within the text; the
 * same text reopened with its error (sheet_text_reopen) is refused with the
 * same words (but for line numbers, which move). An acceptance gives only fields of the template
 * that the role may edit, each value accepted by bp_ws_value_check and different from before; the
 * sheet with those changes, written and read back, gives no change. */
#include <stdlib.h>
#include <string.h>

#include "bp/data.h"
#include "bp/vocab.h"
#include "sheet_text.h"
#include "ws_templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ws_templates ts;
static json_t **filled; /* per template: a value for every field */

static json_t *value_for(const struct bp_ws_field *f)
{
    switch (f->kind) {
    case BP_WS_TEXT:
        return json_string("Avant\n\n# dièse\nfin");
    case BP_WS_CHOICE:
        return json_string(f->options[0].id);
    case BP_WS_MULTI:
        return json_pack("[s]", f->options[f->n_options - 1].id);
    case BP_WS_SCALE:
        return json_integer(f->min);
    case BP_WS_LIST:
        return json_pack("[ss]", "- un", "deux");
    case BP_WS_DATE:
        return json_string("2026-12-01");
    }
    return NULL;
}

static void setup(void)
{
    char why[256];
    if (ws_templates_load_all(&ts, why, sizeof why) || !ts.n)
        abort();
    filled = calloc(ts.n, sizeof *filled);
    for (size_t i = 0; i < ts.n; i++) {
        filled[i] = json_object();
        for (size_t s = 0; s < ts.t[i]->n_sections; s++)
            for (size_t k = 0; k < ts.t[i]->sections[s].n_fields; k++) {
                const struct bp_ws_field *f = &ts.t[i]->sections[s].fields[k];
                json_object_set_new(filled[i], f->id, value_for(f));
            }
    }
}

static void check_why(const char *why, size_t cap)
{
    const char *end = memchr(why, '\0', cap);
    if (!end || end == why || !bp_utf8_valid((const uint8_t *)why, (size_t)(end - why)))
        abort();
}

static int lines_of(const uint8_t *p, size_t n)
{
    int k = 1;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

/* a and b equal but for their digits (a line number moves when reopened). */
static int same_words(const char *a, const char *b)
{
    for (;; a++, b++) {
        while (*a >= '0' && *a <= '9')
            a++;
        while (*b >= '0' && *b <= '9')
            b++;
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
    }
}

static void refused(const struct bp_ws_template *t, int role, const json_t *before,
                    const char *text, size_t len, const char *why, int line)
{
    check_why(why, 600);
    if (line < 0 || line > lines_of((const uint8_t *)text, len))
        abort();
    char small[24];
    json_t *ch = (void *)1;
    int l2 = -1;
    memset(small, 'x', sizeof small);
    if (!sheet_text_read(text, len, t, role, before, &ch, small, 20, &l2) || ch || l2 != line ||
        small[20] != 'x')
        abort();
    check_why(small, 20);
    /* Reopened with the error on top: the same error. */
    char *re = NULL, why2[600];
    size_t re_len = 0;
    FILE *m = open_memstream(&re, &re_len);
    if (!m || sheet_text_reopen(m, text, len, why, line) || fclose(m))
        abort();
    if (!sheet_text_read(re, re_len, t, role, before, &ch, why2, sizeof why2, &l2) || ch ||
        !same_words(why, why2))
        abort();
    free(re);
}

static void accepted(const struct bp_ws_template *t, int role, const json_t *before, json_t *ch)
{
    json_t *after = before ? json_deep_copy(before) : json_object();
    const char *id;
    json_t *v;
    json_object_foreach(ch, id, v)
    {
        const struct bp_ws_field *f = bp_ws_template_field(t, id);
        char why[300];
        const json_t *old = before ? json_object_get(before, id) : NULL;
        if (!f || !sheet_text_may_edit(f, role) || bp_ws_value_check(f, v, why, sizeof why) ||
            (old && json_equal(old, v)) || (!old && json_is_null(v)))
            abort();
        json_object_set(after, id, v);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m || sheet_text_write(m, t, after, NULL, NULL, role, NULL) || fclose(m))
        abort();
    json_t *again = NULL;
    char why[600];
    int line;
    if (sheet_text_read(text, len, t, role, after, &again, why, sizeof why, &line) ||
        json_object_size(again))
        abort();
    json_decref(again);
    free(text);
    json_decref(after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!filled)
        setup();
    if (size < 1 || size > 1 << 16)
        return 0;
    size_t k = (data[0] & 0x3f) % ts.n;
    int role = data[0] & 0x40 ? BP_ROLE_BENEFICIARY : BP_ROLE_CONSULTANT;
    const json_t *before = data[0] & 0x80 ? filled[k] : NULL;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    json_t *ch = (void *)1;
    char why[600];
    int line = -1;
    if (sheet_text_read(text, len, ts.t[k], role, before, &ch, why, sizeof why, &line)) {
        if (ch)
            abort();
        refused(ts.t[k], role, before, text, len, why, line);
        return 0;
    }
    if (!json_is_object(ch) || why[0] || line)
        abort();
    accepted(ts.t[k], role, before, ch);
    json_decref(ch);
    return 0;
}
