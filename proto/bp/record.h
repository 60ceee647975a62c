/* record.h: the co-signed session record (attendance receipt) of
 * PROTOCOL.md §9.4, shared by the server (which builds records, checks and
 * stores signatures, exports receipts) and the client (which signs, and
 * verifies a receipt file offline).
 *
 * Owns: the canonical text of a record and of a signer's attestation, the
 * signature over them, and the JSON form of a receipt. Pure: no I/O, no
 * clock. Ed25519 through proto/ident.c (OpenSSL EVP).
 */
#ifndef BP_RECORD_H
#define BP_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/err.h"
#include "bp/limits.h"

#define BP_PHASE_MAX 16
#define BP_RECORD_MAX_PARTICIPANTS 16   /* everyone who was in the session */
#define BP_RECORD_TEXT_MAX 4096
#define BP_REASON_MAX 200               /* bytes of a refusal's reason */

/* What the server states about one closed session. Times are Unix
 * milliseconds (server clock); durations milliseconds. */
struct bp_record {
    char bilan[BP_ID_MAX + 1];
    char session[BP_ID_MAX + 1];
    char phase[BP_PHASE_MAX + 1];        /* preliminaire|investigation|conclusion|suivi */
    int64_t start_ms, end_ms;
    int64_t face_to_face_ms;
    size_t n_participants;
    uint8_t participants[BP_RECORD_MAX_PARTICIPANTS][BP_FP_LEN]; /* sorted ascending, unique */
    uint8_t journal_sha256[32];          /* SHA-256 of the session's journal lines (§9.4) */
};

/* What one device adds and signs. */
struct bp_attestation {
    uint8_t signer[BP_FP_LEN];           /* fingerprint of the signing device */
    uint8_t sign_pub[BP_KEY_LEN];        /* its identity keys (fp = bp_fingerprint of both) */
    uint8_t dh_pub[BP_KEY_LEN];
    int64_t received_audio_ms;           /* time it received and decrypted the others' audio */
    int sas_verified;                    /* 1 if every other participant's code was confirmed */
    uint8_t sig[BP_SIG_LEN];
};

/* Canonical record text (PROTOCOL.md §9.4), NUL-terminated in out.
 * Returns its length or BP_E_INVALID_FIELD (bad field) / BP_E_TOO_LARGE. */
int bp_record_text(const struct bp_record *r, char *out, size_t cap);

/* Sorts and de-duplicates r->participants in place. */
void bp_record_normalize(struct bp_record *r);

/* Fills a->sig: Ed25519 over "bilan-receipt-v1" 0x00 || record text ||
 * attestation text. a's other fields must be set; priv is the identity
 * signing key. */
int bp_attest_sign(const struct bp_record *r, struct bp_attestation *a,
                   const uint8_t priv[BP_KEY_LEN]);
/* 0 if a->sig verifies for r and a, a->signer is the fingerprint of a's keys,
 * and the signer is one of r's participants; otherwise BP_E_BAD_SIGNATURE
 * (with *why saying which check failed). */
int bp_attest_verify(const struct bp_record *r, const struct bp_attestation *a, const char **why);

/* JSON forms (PROTOCOL.md §9.4). Builders return a new object (caller owns;
 * NULL on ENOMEM); parsers are strict and fill e on failure. */
json_t *bp_record_to_json(const struct bp_record *r);
int bp_record_from_json(const json_t *o, struct bp_record *r, struct bp_verr *e);
json_t *bp_attest_to_json(const struct bp_attestation *a);
int bp_attest_from_json(const json_t *o, struct bp_attestation *a, struct bp_verr *e);

/* A device's signed refusal to sign a record (PROTOCOL.md §9.3): what it
 * observed does not agree with the record, and reason says how. */
struct bp_refusal {
    uint8_t signer[BP_FP_LEN];
    uint8_t sign_pub[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    char reason[BP_REASON_MAX + 1];      /* 1-200 bytes, UTF-8, no control characters */
    uint8_t sig[BP_SIG_LEN];
};

/* 1 if s is a valid refusal reason: 1 to BP_REASON_MAX bytes of UTF-8 with
 * no control character (so it fits on one line of the signed text). */
int bp_reason_ok(const char *s);
/* Fills f->sig: Ed25519 over "bilan-refusal-v1" 0x00 || record text ||
 * "signer=<fp>\nreason=<reason>\n". Same rules as bp_attest_sign. */
int bp_refusal_sign(const struct bp_record *r, struct bp_refusal *f, const uint8_t priv[BP_KEY_LEN]);
/* As bp_attest_verify, for a refusal. */
int bp_refusal_verify(const struct bp_record *r, const struct bp_refusal *f, const char **why);
json_t *bp_refusal_to_json(const struct bp_refusal *f);
int bp_refusal_from_json(const json_t *o, struct bp_refusal *f, struct bp_verr *e);

/* A receipt file: {"receipt":1, "record":{...}, "signatures":[{...}, ...],
 * "refusals":[{...}, ...]} ("refusals" optional, absent when empty).
 * Parses at most BP_RECORD_MAX_PARTICIPANTS of each. */
struct bp_receipt {
    struct bp_record record;
    size_t n_sigs;
    struct bp_attestation sigs[BP_RECORD_MAX_PARTICIPANTS];
    size_t n_refusals;
    struct bp_refusal refusals[BP_RECORD_MAX_PARTICIPANTS];
};
json_t *bp_receipt_to_json(const struct bp_receipt *rc);
int bp_receipt_from_json(const json_t *o, struct bp_receipt *rc, struct bp_verr *e);

#endif
