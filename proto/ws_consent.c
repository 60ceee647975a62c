/* ws_consent.c: the consent statement (see bp/ws_consent.h): parse with
 * every field checked, the canonical form enforced by encoding what was
 * parsed and comparing bytes, the signature over a domain-separated
 * message.
 *
 * Owns no state. Must never: accept a statement whose bytes differ from
 * its canonical encoding, or keep a pointer into the text. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/fields.h"
#include "bp/ident.h"
#include "bp/ws_consent.h"

#define WHERE "consent statement"
#define CONSENT_DOMAIN "bilan-consent-v1"

static const char *const type_words[] = {"consent", NULL};

static const struct bp_field consent_fields[] = {
    BP_FIELD("at", BP_F_INT, BP_FIELD_REQ, 0, 1LL << 40),
    BP_FIELD("bilan", BP_F_ID, BP_FIELD_REQ, 0, 0),
    BP_FIELD("device", BP_F_B64, BP_FIELD_REQ, 0, BP_FP_LEN),
    BP_FIELD("sheets", BP_F_ARRAY, BP_FIELD_REQ, 0, BP_WS_CONSENT_SHEETS),
    BP_FIELD_WORDS("type", BP_FIELD_REQ, type_words),
    BP_FIELD_WHY("v", BP_F_INT, BP_FIELD_REQ, 1, 1, "must be 1"),
};
#define N_FIELDS (sizeof consent_fields / sizeof consent_fields[0])

static const struct bp_field sheet_field = BP_FIELD("sheets[]", BP_F_B64, BP_FIELD_REQ, 0, 16);

static json_t *to_json(const struct bp_ws_consent *c)
{
    json_t *sheets = json_array();
    for (size_t i = 0; sheets && i < c->n_sheets; i++)
        if (json_array_append_new(sheets, json_string(c->sheets[i]))) {
            json_decref(sheets);
            return NULL;
        }
    if (!sheets)
        return NULL;
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:i}", "at", (json_int_t)c->at, "bilan", c->bilan, "device",
                     c->device, "sheets", sheets, "type", "consent", "v", 1);
}

char *bp_ws_consent_encode(const struct bp_ws_consent *c, size_t *len)
{
    if (c->n_sheets > BP_WS_CONSENT_SHEETS)
        return NULL;
    json_t *o = to_json(c);
    char *s = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return NULL;
    struct bp_ws_consent back;
    if (bp_ws_consent_parse(s, strlen(s), &back, NULL)) {
        free(s);
        return NULL;
    }
    if (len)
        *len = strlen(s);
    return s;
}

int bp_ws_consent_parse(const char *statement, size_t len, struct bp_ws_consent *out, struct bp_verr *e)
{
    memset(out, 0, sizeof *out);
    if (len > BP_WS_CONSENT_MAX)
        return bp_field_refuse("statement", "'sheet_consent'", "is longer than 4096 bytes", e);
    json_error_t jerr;
    json_t *o = json_loadb(statement, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return bp_field_refuse("statement", "'sheet_consent'", "is not a JSON object", e);
    }
    /* A field more is refused below: the canonical encoding has only these. */
    int rc = bp_fields_check(o, consent_fields, N_FIELDS, WHERE, e);
    if (rc) {
        json_decref(o);
        return rc;
    }
    out->at = json_integer_value(json_object_get(o, "at"));
    snprintf(out->bilan, sizeof out->bilan, "%s", json_string_value(json_object_get(o, "bilan")));
    snprintf(out->device, sizeof out->device, "%s", json_string_value(json_object_get(o, "device")));
    const json_t *sheets = json_object_get(o, "sheets");
    for (size_t i = 0; i < json_array_size(sheets); i++) {
        const json_t *v = json_array_get(sheets, i);
        if ((rc = bp_field_check_value(v, &sheet_field, WHERE, e)))
            break;
        snprintf(out->sheets[i], sizeof out->sheets[i], "%s", json_string_value(v));
        /* Sorted and distinct: one list, one spelling. */
        if (i > 0 && strcmp(out->sheets[i - 1], out->sheets[i]) >= 0) {
            rc = bp_field_refuse("sheets", WHERE, "must be sorted and distinct", e);
            break;
        }
        out->n_sheets = i + 1;
    }
    json_decref(o);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    /* The bytes must be the canonical encoding of what they hold. */
    json_t *c = to_json(out);
    char *canon = c ? json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(c);
    if (!canon)
        return BP_E_NOMEM;
    int same = strlen(canon) == len && !memcmp(canon, statement, len);
    free(canon);
    if (!same) {
        memset(out, 0, sizeof *out);
        return bp_field_refuse("statement", "'sheet_consent'",
                               "is not in canonical form (keys sorted, no spaces)", e);
    }
    return 0;
}

/* "bilan-consent-v1" 0x00 || statement, malloc'd (*n its length). */
static uint8_t *message(const char *statement, size_t len, size_t *n)
{
    size_t d = sizeof CONSENT_DOMAIN; /* with its NUL: the separator */
    uint8_t *m = len <= BP_WS_CONSENT_MAX ? malloc(d + len) : NULL;
    if (!m)
        return NULL;
    memcpy(m, CONSENT_DOMAIN, d);
    memcpy(m + d, statement, len);
    *n = d + len;
    return m;
}

int bp_ws_consent_verify(const uint8_t sign_pub[BP_KEY_LEN], const char *statement, size_t len,
                         const uint8_t sig[BP_SIG_LEN])
{
    size_t n;
    uint8_t *m = message(statement, len, &n);
    if (!m)
        return BP_E_BAD_SIGNATURE;
    int rc = bp_ed25519_verify(sign_pub, m, n, sig) ? BP_E_BAD_SIGNATURE : 0;
    free(m);
    return rc;
}

int bp_ws_consent_sign(const uint8_t priv[BP_KEY_LEN], const char *statement, size_t len,
                       uint8_t sig[BP_SIG_LEN])
{
    size_t n;
    if (len > BP_WS_CONSENT_MAX)
        return BP_E_TOO_LARGE;
    uint8_t *m = message(statement, len, &n);
    if (!m)
        return BP_E_CRYPTO;
    int rc = bp_ed25519_sign(priv, m, n, sig) ? BP_E_CRYPTO : 0;
    free(m);
    return rc;
}
