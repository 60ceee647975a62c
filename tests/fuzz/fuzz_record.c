/* fuzz_record.c: libFuzzer target for the receipt parser of proto/record.c
 * (PROTOCOL.md §9.4).
 *
 * The input is read as JSON (any value, as a receipt file handed to
 * `bilan receipt verify` could hold) and given to bp_receipt_from_json.
 * Invariants: a refusal has a known code, a NUL-terminated non-empty detail
 * and leaves the struct zeroed; an accepted receipt has a canonical text
 * (the parser accepts nothing bp_record_text would refuse), builds, and the
 * built JSON, through text and back, parses to the identical struct. Every
 * signature and refusal is verified: the answer is 0 or BP_E_BAD_SIGNATURE with a reason,
 * never anything else (the seed corpus holds a receipt whose two signatures
 * verify). */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "bp/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bp_receipt rc, back;
    if (size > BP_MAX_CTRL)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    struct bp_verr e;
    memset(&e, 0, sizeof e);
    int err = bp_receipt_from_json(j, &rc, &e);
    if (err) {
        if ((err != BP_E_MISSING_FIELD && err != BP_E_INVALID_FIELD) || e.code != err ||
            !memchr(e.detail, '\0', sizeof e.detail) || !e.detail[0] || !all_zero(&rc, sizeof rc))
            abort();
        json_decref(j);
        return 0;
    }
    char text[BP_RECORD_TEXT_MAX];
    int n = bp_record_text(&rc.record, text, sizeof text);
    if (n <= 0 || (size_t)n != strlen(text))
        abort();
    for (size_t i = 0; i < rc.n_sigs; i++) {
        const char *why = NULL;
        int v = bp_attest_verify(&rc.record, &rc.sigs[i], &why);
        if (v ? (v != BP_E_BAD_SIGNATURE || !why) : why != NULL)
            abort();
    }
    for (size_t i = 0; i < rc.n_refusals; i++) {
        const char *why = NULL;
        int v = bp_refusal_verify(&rc.record, &rc.refusals[i], &why);
        if (v ? (v != BP_E_BAD_SIGNATURE || !why) : why != NULL)
            abort();
        if (!bp_reason_ok(rc.refusals[i].reason))
            abort(); /* the parser accepts only reasons that can be signed */
    }
    json_t *o = bp_receipt_to_json(&rc);
    if (!o)
        abort();   /* jansson allocation aside, whatever parses builds */
    char *s = json_dumps(o, JSON_COMPACT);
    json_t *p = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!p || bp_receipt_from_json(p, &back, NULL) != 0 || memcmp(&rc, &back, sizeof rc))
        abort();
    json_decref(p);
    free(s);
    json_decref(o);
    json_decref(j);
    return 0;
}
