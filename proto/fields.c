/* fields.c: the one JSON field validator (see bp/fields.h).
 *
 * Owns every field kind's check and its default wording. The wording of
 * message fields ("is out of range", "must be 32 bytes in base64url...") is
 * what the server sends back in error messages and what tests look for:
 * change it only with them.
 *
 * Invariants: strings are measured with json_string_length, never strlen, so
 * a string with an embedded NUL is judged on all its bytes; a detail is
 * always NUL-terminated, truncated rather than overrun. No allocation. */
#include <stdio.h>
#include <string.h>

#include "bp/b64.h"
#include "bp/data.h"
#include "bp/fields.h"
#include "bp/limits.h"
#include "bp/vocab.h"

int bp_id_ok_len(const char *s, size_t n)
{
    if (!s || n < 1 || n > BP_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int bp_id_ok(const char *s)
{
    /* Bounded: one byte past the longest id is enough to refuse it. */
    return s && bp_id_ok_len(s, strnlen(s, BP_ID_MAX + 1));
}

int bp_field_word(const json_t *v, const char *const *words)
{
    if (!json_is_string(v) || !words)
        return -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    for (int i = 0; words[i]; i++)
        if (strlen(words[i]) == n && !memcmp(words[i], s, n))
            return i;
    return -1;
}

/* Whether s (n bytes) is canonical base64url of exactly want bytes. Decodes
 * four characters at a time into a 3-byte scratch, so any length is checked
 * without a buffer the size of the value. */
static int b64_exact(const char *s, size_t n, size_t want)
{
    uint8_t scratch[3];
    if (n != bp_b64_len(want))
        return 0;
    for (size_t i = 0; i < n; i += 4) {
        size_t k = n - i < 4 ? n - i : 4;
        /* A partial last block must leave zero bits: bp_b64_decode checks it. */
        if (bp_b64_decode(s + i, k, scratch, sizeof scratch) < 0)
            return 0;
    }
    return 1;
}

/* The reason a present value v fails f, written into why (cap bytes), or
 * NULL when it passes. Reasons are static strings except the ones built from
 * the row (sizes, word lists), which go into why. */
static const char *field_why(const struct bp_field *f, const json_t *v, char *why, size_t cap)
{
    switch (f->kind) {
    case BP_F_STR: {
        if (!json_is_string(v))
            return "must be a string";
        size_t n = json_string_length(v);
        if ((long long)n < f->min || (long long)n > f->max)
            return "has a length out of range";
        if (memchr(json_string_value(v), '\0', n))
            return "must not contain NUL";
        return NULL;
    }
    case BP_F_LINE: {
        size_t n = json_is_string(v) ? json_string_length(v) : 0;
        if (!json_is_string(v) || (long long)n < f->min || (long long)n > f->max) {
            snprintf(why, cap, "must be a string of %lld to %lld bytes", f->min, f->max);
            return why;
        }
        const unsigned char *s = (const unsigned char *)json_string_value(v);
        for (size_t i = 0; i < n; i++)
            if (s[i] < 0x20 || s[i] == 0x7f)
                return "must not contain control characters";
        /* jansson only builds UTF-8 strings, except through its _nocheck calls. */
        if (!bp_utf8_valid(s, n))
            return "must be UTF-8";
        return NULL;
    }
    case BP_F_ID:
        if (!json_is_string(v) || !bp_id_ok_len(json_string_value(v), json_string_length(v)))
            return "must be an identifier of 1 to 64 characters A-Z a-z 0-9 _ -";
        return NULL;
    case BP_F_INT: {
        if (!json_is_integer(v))
            return "must be an integer";
        json_int_t x = json_integer_value(v);
        if (x < f->min || x > f->max)
            return "is out of range";
        return NULL;
    }
    case BP_F_BOOL:
        return json_is_boolean(v) ? NULL : "must be true or false";
    case BP_F_B64: {
        size_t want = f->max > 0 ? (size_t)f->max : 0;
        /* Length first: also keeps a string with an embedded NUL away from the decoder. */
        if (json_is_string(v) && b64_exact(json_string_value(v), json_string_length(v), want))
            return NULL;
        snprintf(why, cap, "must be %zu bytes in base64url without padding (%zu characters)", want,
                 bp_b64_len(want));
        return why;
    }
    case BP_F_ARRAY:
        if (!json_is_array(v) || (long long)json_array_size(v) < f->min ||
            (long long)json_array_size(v) > f->max)
            return "must be an array of bounded size";
        return NULL;
    case BP_F_OBJECT:
        return json_is_object(v) ? NULL : "must be a JSON object";
    case BP_F_WORD: {
        if (bp_field_word(v, f->words) >= 0)
            return NULL;
        /* must be "a", "b" or "c" */
        size_t o = (size_t)snprintf(why, cap, "must be");
        for (int i = 0; f->words && f->words[i] && o < cap; i++) {
            const char *sep = i == 0 ? " " : f->words[i + 1] ? ", " : " or ";
            o += (size_t)snprintf(why + o, cap - o, "%s\"%s\"", sep, f->words[i]);
        }
        return why;
    }
    case BP_F_ROLE:
        if (json_is_string(v) &&
            bp_role_parse(json_string_value(v), json_string_length(v)) != BP_ROLE_NONE)
            return NULL;
        return "must be \"consultant\" or \"beneficiary\"";
    case BP_F_PHASE:
        if (json_is_string(v) &&
            bp_phase_parse(json_string_value(v), json_string_length(v)) != BP_PHASE_NONE)
            return NULL;
        return "must be one of " BP_PHASE_LIST;
    }
    return "has a kind this build does not know";   /* a row's bug: refuse rather than pass */
}

int bp_field_check_value(const json_t *v, const struct bp_field *f, const char *where,
                         struct bp_verr *e)
{
    const char *in = where ? " in " : "", *w = where ? where : "";
    if (!v) {
        if (!f->required)
            return 0;
        if (e) {
            e->code = BP_E_MISSING_FIELD;
            snprintf(e->detail, sizeof e->detail, "missing field '%s'%s%s", f->name, in, w);
        }
        return BP_E_MISSING_FIELD;
    }
    char buf[128];   /* a built reason: sizes or a word list; truncated if longer */
    const char *why = field_why(f, v, buf, sizeof buf);
    return why ? bp_field_refuse(f->name, where, f->why ? f->why : why, e) : 0;
}

int bp_field_refuse(const char *name, const char *where, const char *why, struct bp_verr *e)
{
    if (e) {
        e->code = BP_E_INVALID_FIELD;
        snprintf(e->detail, sizeof e->detail, "field '%s'%s%s %s", name, where ? " in " : "",
                 where ? where : "", why);
    }
    return BP_E_INVALID_FIELD;
}

int bp_fields_check(const json_t *obj, const struct bp_field *spec, size_t n, const char *where,
                    struct bp_verr *e)
{
    if (!json_is_object(obj)) {
        /* Callers word this themselves first; this is the safe default. */
        if (e) {
            e->code = BP_E_INVALID_FIELD;
            snprintf(e->detail, sizeof e->detail, "%s must be a JSON object",
                     where ? where : "the value");
        }
        return BP_E_INVALID_FIELD;
    }
    for (size_t i = 0; i < n && spec[i].name; i++) {
        int rc = bp_field_check_value(json_object_get(obj, spec[i].name), &spec[i], where, e);
        if (rc)
            return rc;
    }
    return 0;
}

int bp_fields_bytes(const json_t *obj, const char *name, uint8_t *out, size_t n)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v) || json_string_length(v) != bp_b64_len(n))
        return BP_E_INVALID_FIELD;
    return bp_b64_decode(json_string_value(v), json_string_length(v), out, n) == (int)n
               ? 0
               : BP_E_INVALID_FIELD;
}

int bp_fields_str(const json_t *obj, const char *name, char *out, size_t cap)
{
    const json_t *v = json_object_get(obj, name);
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    if (cap)
        out[0] = '\0';
    if (!json_is_string(v) || n >= cap || memchr(json_string_value(v), '\0', n))
        return BP_E_INVALID_FIELD;
    memcpy(out, json_string_value(v), n + 1);
    return (int)n;
}
