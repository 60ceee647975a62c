/* fields.h: the one JSON field validator of the protocol. Control messages
 * (msg.c), e2e handshake bodies (pair.c), records, attestations, refusals and
 * receipts (record.c), and next worksheets, describe their fields in a const
 * table of struct bp_field and hand it to bp_fields_check.
 *
 * Owns: the field kinds, what each accepts, and the wording of a refusal:
 *   "missing field '<name>' in <where>"        BP_E_MISSING_FIELD
 *   "field '<name>' in <where> <why>"          BP_E_INVALID_FIELD
 * where the caller names the object ("'hello'", "e2e 'commit'", "record",
 * "signatures[3]") and <why> is the kind's wording or the row's own.
 *
 * Must never: allocate, keep a pointer to what it is given, read a string
 * past its JSON length (an embedded NUL is seen, never trusted), or decode
 * into caller memory: a check only says yes or why not; the accessors at the
 * end read a field once it passed. Unknown fields are not looked at. */
#ifndef BP_FIELDS_H
#define BP_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/err.h"

enum bp_field_kind {
    BP_F_STR,    /* string of min..max bytes, no NUL */
    BP_F_LINE,   /* text on one line: string of min..max bytes, UTF-8, no control
                    character (0x00-0x1f, 0x7f): safe to show on a terminal or sign as a line */
    BP_F_ID,     /* identifier: bp_id_ok ([A-Za-z0-9_-]{1,64}); min, max unused */
    BP_F_INT,    /* integer within min..max */
    BP_F_BOOL,   /* true or false */
    BP_F_B64,    /* base64url without padding of exactly max bytes (canonical) */
    BP_F_ARRAY,  /* array of min..max elements; the reader checks the elements */
    BP_F_OBJECT, /* JSON object; its reader checks its fields */
    BP_F_WORD,   /* one of words[] (exact bytes) */
    BP_F_ROLE,   /* a role's wire name (bp/vocab.h) */
    BP_F_PHASE,  /* a phase's wire name (bp/vocab.h) */
};

#define BP_FIELD_OPT 0
#define BP_FIELD_REQ 1

/* One row of a spec, written with the macros below:
 *   BP_FIELD("v", BP_F_INT, BP_FIELD_REQ, 0, 65535)
 *   BP_FIELD_WORDS("t", BP_FIELD_REQ, kind_words)
 *   BP_FIELD_WHY("v", BP_F_INT, BP_FIELD_REQ, 1, 1, "must be 1")
 * A row whose name is NULL ends the spec early (fixed-size arrays of rows). */
struct bp_field {
    const char *name;
    enum bp_field_kind kind;
    int required;                /* BP_FIELD_REQ or BP_FIELD_OPT */
    long long min, max;          /* bounds: bytes, value or elements (see the kind) */
    const char *const *words;    /* BP_F_WORD: the accepted words, NULL-terminated */
    const char *why;             /* NULL: the kind's wording; else the one reason given
                                    for every way this field can be wrong (static) */
};

#define BP_FIELD(name, kind, req, lo, hi) {(name), (kind), (req), (lo), (hi), NULL, NULL}
#define BP_FIELD_WHY(name, kind, req, lo, hi, why) {(name), (kind), (req), (lo), (hi), NULL, (why)}
#define BP_FIELD_WORDS(name, req, words) {(name), BP_F_WORD, (req), 0, 0, (words), NULL}

/* Checks obj's fields against spec[0..n-1] in order and stops at the first
 * refusal: 0, BP_E_MISSING_FIELD (a required field is absent) or
 * BP_E_INVALID_FIELD (present but wrong; also when obj is not an object).
 * e may be NULL; where names obj in the detail (NULL: no " in ..."). */
int bp_fields_check(const json_t *obj, const struct bp_field *spec, size_t n, const char *where,
                    struct bp_verr *e);
/* Checks one value against one row; v NULL means absent. For array elements
 * and nested objects: a copy of a row with its name set to "participants[3]"
 * words the refusal for that element. */
int bp_field_check_value(const json_t *v, const struct bp_field *f, const char *where,
                         struct bp_verr *e);

/* Refuses a field for a rule of the caller's own (order, uniqueness, one
 * field against another), worded like the checks: "field '<name>' in <where>
 * <why>". Returns BP_E_INVALID_FIELD. */
int bp_field_refuse(const char *name, const char *where, const char *why, struct bp_verr *e);

/* Index of v's string in words (NULL-terminated), or -1 (also when v is not a string). */
int bp_field_word(const json_t *v, const char *const *words);
/* Whether s is a protocol identifier (bilan, session): [A-Za-z0-9_-]{1,64}.
 * Reads at most BP_ID_MAX + 1 bytes of s. */
int bp_id_ok(const char *s);
/* bp_id_ok for n bytes that need no NUL (a JSON string and its length). */
int bp_id_ok_len(const char *s, size_t n);

/* ---- Reading fields that passed a check ---- */
/* Decodes obj[name], a BP_F_B64 field of n bytes, into out[0..n-1]. 0, or
 * BP_E_INVALID_FIELD when it would not have passed (out is then undefined). */
int bp_fields_bytes(const json_t *obj, const char *name, uint8_t *out, size_t n);
/* Copies obj[name], a string, with its NUL into out (cap bytes). Returns its
 * length, or BP_E_INVALID_FIELD when it is not a string, holds a NUL or does
 * not fit (out is then ""). */
int bp_fields_str(const json_t *obj, const char *name, char *out, size_t cap);

#endif
