/* ws_consent.h: the beneficiary's signed consent to keep sheets after the
 * close (PROTOCOL.md §10.3): the statement's one canonical form, its parse
 * with every field checked, its encoding and its Ed25519 signature.
 *
 *   statement = canonical JSON (keys sorted, no spaces, UTF-8) of
 *     {"at": int, "bilan": id, "device": fingerprint, "sheets": [ids, sorted,
 *      distinct, 0..64], "type": "consent", "v": 1}
 *   sig = Ed25519(device key, "bilan-consent-v1" 0x00 || statement)
 *
 * Owns: those rules and the refusal sentences (English, through
 * bp/fields.h: "field 'sheets' in consent statement ..."), which go in
 * error messages and logs.
 * Must never: accept two spellings of one statement (the signed bytes are
 * the statement: a parse that accepted spaces or another key order would
 * let one consent be shown in two forms), keep a pointer into what it
 * parsed, or look at a clock (the caller checks `at`). */
#ifndef BP_WS_CONSENT_H
#define BP_WS_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#include "bp/err.h"
#include "bp/limits.h"

#define BP_WS_CONSENT_MAX 4096     /* bytes of a statement */
#define BP_WS_CONSENT_SHEETS 64    /* sheets one consent names, at most */
#define BP_WS_SHEET_B64 22         /* a sheet id: 16 bytes in base64url */

struct bp_ws_consent {
    int64_t at;                                           /* Unix seconds, as signed */
    char bilan[BP_ID_MAX + 1];
    char device[BP_B64_32 + 1];                           /* fingerprint, base64url */
    char sheets[BP_WS_CONSENT_SHEETS][BP_WS_SHEET_B64 + 1]; /* sorted, distinct */
    size_t n_sheets;
};

/* Parses statement[0..len-1] into *out: 0, or BP_E_INVALID_FIELD /
 * BP_E_MISSING_FIELD / BP_E_BAD_JSON with e (may be NULL) naming the field
 * and why ("... is not in canonical form" when the bytes are not the
 * canonical encoding of what they hold). */
int bp_ws_consent_parse(const char *statement, size_t len, struct bp_ws_consent *out, struct bp_verr *e);
/* The canonical statement of c (malloc'd, NUL-terminated; *len without the
 * NUL when len is not NULL), or NULL when c is not valid or memory ran out.
 * parse(encode(c)) gives c back. */
char *bp_ws_consent_encode(const struct bp_ws_consent *c, size_t *len);
/* Whether sig is sign_pub's signature of "bilan-consent-v1" 0x00 ||
 * statement: 0 or BP_E_BAD_SIGNATURE. */
int bp_ws_consent_verify(const uint8_t sign_pub[BP_KEY_LEN], const char *statement, size_t len,
                         const uint8_t sig[BP_SIG_LEN]);
/* Signs statement with the Ed25519 private key priv (clients, tests): 0 or
 * BP_E_CRYPTO / BP_E_TOO_LARGE. */
int bp_ws_consent_sign(const uint8_t priv[BP_KEY_LEN], const char *statement, size_t len,
                       uint8_t sig[BP_SIG_LEN]);

#endif
